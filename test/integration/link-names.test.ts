/**
 * The link name cache (src/api/link-names.ts) against the kernel, in throwaway namespaces, with
 * `ip` making the changes from another process: a rename, a deletion and a new link under an old
 * name are seen by the next lookup by name, even when the event loop has not run since (ip runs
 * synchronously here); each client resolves the names of its own namespace; the event socket goes
 * with the client.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { NotFoundError } from '../../src/api/errors.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';

if (!privileged) console.warn(`skipping link name cache integration tests: ${skipReason}`);

const made: TestNetns[] = [];
const clients: NetlinkClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const ns of made.splice(0)) deleteNetns(ns);
});

function netns(): TestNetns {
  const ns = createNetns();
  made.push(ns);
  return ns;
}

function indexOf(ns: TestNetns, name: string): number {
  return ns.ipJson<{ ifindex: number }[]>('link', 'show', 'dev', name)[0]!.ifindex;
}

function addressesOf(ns: TestNetns, name: string): string[] {
  const [link] = ns.ipJson<{ addr_info: { local: string }[] }[]>('-4', 'address', 'show', 'dev', name);
  return link!.addr_info.map((a) => a.local).sort();
}

const openFds = (): number => readdirSync('/proc/self/fd').length;
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe.skipIf(!privileged)('link name cache (kernel)', () => {
  it('a rename by another process: the old name is not found, the new name is the renamed link', async () => {
    const ns = netns();
    const nl = NetlinkClient.open({ netns: ns.name });
    clients.push(nl);
    ns.ip('link', 'add', 'h0', 'type', 'bridge');
    await nl.addresses.add('198.18.0.1/32', { link: 'h0' });
    await settle(); // the event socket is made in the namespace (setns, after a module load) meanwhile
    await nl.addresses.add('198.18.0.2/32', { link: 'h0' });
    expect(nl.links.names?.size).toBe(1); // cached: the event socket is live
    ns.ip('link', 'set', 'h0', 'name', 'h1'); // synchronous: the event loop has not read the event
    await expect(nl.addresses.add('198.18.0.3/32', { link: 'h0' })).rejects.toBeInstanceOf(NotFoundError);
    await nl.addresses.add('198.18.0.4/32', { link: 'h1' });
    expect(addressesOf(ns, 'h1')).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.4']);
    // The old name given to a new link: that link, not the renamed one.
    ns.ip('link', 'add', 'h0', 'type', 'bridge');
    await nl.addresses.add('198.18.0.5/32', { link: 'h0' });
    expect(addressesOf(ns, 'h0')).toEqual(['198.18.0.5']);
    expect(addressesOf(ns, 'h1')).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.4']);
  });

  it('a link deleted and made again under its name: the new index is used', async () => {
    const ns = netns();
    const nl = NetlinkClient.open({ netns: ns.name });
    clients.push(nl);
    ns.ip('link', 'add', 'h0', 'type', 'bridge');
    const before = indexOf(ns, 'h0');
    await nl.addresses.add('198.18.0.1/32', { link: 'h0' });
    await settle(); // the event socket is made in the namespace (setns, after a module load) meanwhile
    await nl.addresses.add('198.18.0.2/32', { link: 'h0' });
    ns.ip('link', 'del', 'h0');
    await expect(nl.addresses.add('198.18.0.3/32', { link: 'h0' })).rejects.toBeInstanceOf(NotFoundError);
    ns.ip('link', 'add', 'h0', 'type', 'bridge');
    expect(indexOf(ns, 'h0')).not.toBe(before);
    await nl.addresses.add('198.18.0.4/32', { link: 'h0' });
    await nl.addresses.delete('198.18.0.4/32', { link: 'h0' });
    await nl.addresses.add('198.18.0.5/32', { link: 'h0' });
    expect(addressesOf(ns, 'h0')).toEqual(['198.18.0.5']);
  });

  it('clients in other namespaces resolve the names of their own (open and connect)', async () => {
    const a = netns();
    const b = netns();
    b.ip('link', 'add', 'pad0', 'type', 'bridge'); // h0 gets another index in b
    for (const ns of [a, b]) ns.ip('link', 'add', 'h0', 'type', 'bridge');
    expect(indexOf(a, 'h0')).not.toBe(indexOf(b, 'h0'));
    const na = NetlinkClient.open({ netns: a.name });
    const nb = await NetlinkClient.connect({ netns: b.name });
    clients.push(na, nb);
    for (let i = 1; i <= 3; i++) {
      await na.addresses.add(`198.18.0.${i}/32`, { link: 'h0' });
      await nb.addresses.add(`198.18.1.${i}/32`, { link: 'h0' });
      await settle();
    }
    expect([na.links.names?.size, nb.links.names?.size]).toEqual([1, 1]);
    expect(addressesOf(a, 'h0')).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    expect(addressesOf(b, 'h0')).toEqual(['198.18.1.1', '198.18.1.2', '198.18.1.3']);
    // Each cache hears its own namespace: a rename in b is news to nb only.
    b.ip('link', 'set', 'h0', 'name', 'h1');
    await expect(nb.addresses.add('198.18.1.4/32', { link: 'h0' })).rejects.toBeInstanceOf(NotFoundError);
    await na.addresses.add('198.18.0.4/32', { link: 'h0' });
    expect(na.links.names?.size).toBe(1);
  });

  it('the event socket is closed with the client: no fd left open', async () => {
    const ns = netns();
    ns.ip('link', 'add', 'h0', 'type', 'bridge');
    await settle();
    const before = openFds();
    for (const connect of [false, true]) {
      const nl = connect ? await NetlinkClient.connect({ netns: ns.name }) : NetlinkClient.open({ netns: ns.name });
      await nl.addresses.add(`198.18.0.${connect ? 1 : 2}/32`, { link: 'h0' });
      await settle();
      await nl.addresses.add(`198.18.0.${connect ? 3 : 4}/32`, { link: 'h0' });
      expect(nl.links.names?.size).toBe(1);
      nl.close();
    }
    // Closed while its event socket is still being made (the helper is a process of its own).
    const late = await NetlinkClient.connect({ netns: ns.name });
    await late.addresses.add('198.18.0.5/32', { link: 'h0' });
    late.close();
    // Leases go after the sockets close, and the helper's pipes when it exits: a moment, under load more.
    for (let i = 0; i < 40 && openFds() !== before; i++) await settle();
    expect(openFds()).toBe(before);
  });
});
