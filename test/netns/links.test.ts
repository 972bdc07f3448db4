/**
 * Links across namespaces: a veth with each end created in a namespace, links moved by name, pid
 * and fd then renamed and configured there, and the peer shown across namespaces. Configured with
 * the library from the root namespace's point of view only through IFLA_NET_NS_FD / PID; `ip` is the oracle.
 */
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { execNetns, getNetnsId, setNetnsId } from '../../src/netns/manage.js';
import { execReady, ipJson, privileged, skipReason, uniqueName, withNamespaces } from './support.js';

if (!privileged) console.warn(`[netns links] skipped: ${skipReason}`);

async function inNs<T>(name: string, fn: (nl: NetlinkClient) => Promise<T>): Promise<T> {
  const nl = await NetlinkClient.connect({ netns: name });
  try {
    return await fn(nl);
  } finally {
    nl.close();
  }
}

describe.skipIf(!privileged)('links across namespaces', () => {
  it('veth with each end created in its own namespace (link add veth1 netns A type veth peer name veth2 netns B)', () =>
    withNamespaces(3, async (c, a, b) => {
      // A calls B 11 (otherwise the kernel picks an id when the veth is made).
      await inNs(a, (nl) => setNetnsId(b, 11, { via: nl }));
      // Issued from a third namespace C: neither end stays where the request was made.
      await inNs(c, (nl) => nl.links.add({ name: 'veth1', kind: 'veth', netns: a, peer: { name: 'veth2', netns: b } }));
      expect(ipJson(c, 'link', 'show').map((l: any) => l.ifname)).toEqual(['lo']);
      const [l1] = ipJson(a, 'link', 'show', 'veth1');
      const [l2] = ipJson(b, 'link', 'show', 'veth2');
      expect(l1.ifname).toBe('veth1');
      expect(l2.ifname).toBe('veth2');
      expect(l1.link_index).toBe(l2.ifindex);
      expect(l2.link_index).toBe(l1.ifindex);
      // The peer across namespaces: index + nsid as the kernel says, name of the namespace where known.
      await inNs(a, async (nl) => {
        const link = await nl.links.get('veth1');
        expect(link.link).toBe(l2.ifindex);
        expect(link.linkNetnsid).toBe(11);
        expect(await nl.links.peer('veth1')).toEqual({ index: l2.ifindex, netnsid: 11, netns: b, name: 'veth2' });
        expect(ipJson(a, 'link', 'show', 'veth1')[0].link_netnsid).toBe(11);
      });
      // From B, A got an id automatically; the peer still resolves to A's name.
      await inNs(b, async (nl) => {
        const peer = await nl.links.peer('veth2');
        expect(peer).toMatchObject({ index: l1.ifindex, netns: a, name: 'veth1' });
        expect(peer!.netnsid).toBe(await getNetnsId(a, { via: nl }));
      });
    }));

  it('moves a link into a namespace by name, by pid and by fd, renaming and configuring it there', () =>
    withNamespaces(3, async (home, a, b) => {
      const sleeper = execNetns(b, ['sleep', '30'], { stdio: 'ignore' });
      try {
        await execReady(sleeper.pid, 'sleep');
        await inNs(home, async (nl) => {
          await nl.links.add({ name: 'm1', kind: 'veth', peer: { name: 'm2' } });
          await nl.links.add({ name: 'm3', kind: 'veth', peer: { name: 'm4' } });
          // by name, renamed on the way
          await nl.links.set('m1', { netns: a, name: 'eth0' });
          // by pid (of a process living in B)
          await nl.links.set('m2', { netns: { pid: sleeper.pid! } });
          // by fd
          const fd = openSync(`/run/netns/${b}`, 'r');
          try {
            await nl.links.set('m3', { netns: { fd } });
          } finally {
            closeSync(fd);
          }
          expect((await nl.links.list()).map((l) => l.name).sort()).toEqual(['lo', 'm4']);
          // An unknown target is refused before the kernel is asked; the link stays.
          await expect(nl.links.set('m4', { netns: uniqueName('nope') })).rejects.toMatchObject({ name: 'NamespaceError', code: 'ENOENT' });
          expect((await nl.links.get('m4')).name).toBe('m4');
        });
        expect(
          ipJson(a, 'link', 'show')
            .map((l: any) => l.ifname)
            .sort(),
        ).toEqual(['eth0', 'lo']);
        expect(
          ipJson(b, 'link', 'show')
            .map((l: any) => l.ifname)
            .sort(),
        ).toEqual(['lo', 'm2', 'm3']);
        // Configure there: rename, mtu, up, address
        await inNs(b, async (nl) => {
          await nl.links.set('m2', { name: 'eth1', mtu: 1400, up: true });
          await nl.addresses.add('10.77.0.2/24', { link: 'eth1' });
        });
        const [e1] = ipJson(b, 'addr', 'show', 'eth1');
        expect(e1).toMatchObject({ ifname: 'eth1', mtu: 1400 });
        expect(e1.flags).toContain('UP');
        expect(e1.addr_info.map((x: any) => `${x.local}/${x.prefixlen}`)).toContain('10.77.0.2/24');
      } finally {
        sleeper.kill('SIGKILL');
      }
    }));

  it('a veth whose ends share a namespace has no netnsid', () =>
    withNamespaces(1, async (a) => {
      await inNs(a, async (nl) => {
        await nl.links.add({ name: 'p1', kind: 'veth', peer: { name: 'p2' } });
        const p2 = await nl.links.get('p2');
        expect(await nl.links.peer('p1')).toEqual({ index: p2.index, name: 'p2' });
        expect(await nl.links.peer('lo')).toBeUndefined();
      });
    }));
});
