/**
 * NeighbourApi against the kernel, in throwaway namespaces, with `ip -j neigh show` as the oracle.
 * Needs root (CAP_SYS_ADMIN for namespaces); skipped otherwise with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { isNotFoundError } from '../../src/api/errors.js';
import { LinkApi } from '../../src/api/links.js';
import { type Neighbour, NeighbourApi } from '../../src/api/neighbours.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[neighbours integration] skipped: ${skipReason}`);

interface Ctx {
  ns: TestNetns;
  api: NeighbourApi;
  /** Interface indexes of the veth pair. */
  va: number;
  vb: number;
  names: Map<number, string>;
}

/** A namespace with veth pair va/vb up and addressed, a connection inside it, and the API. */
function inNetns(fn: (c: Ctx) => Promise<void>): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('link', 'set', 'vb', 'up');
      ns.ip('address', 'add', '10.0.0.1/24', 'dev', 'va');
      ns.ip('address', 'add', '10.0.1.1/24', 'dev', 'vb');
      ns.ip('address', 'add', '2001:db8::1/64', 'dev', 'va', 'nodad');
      const names = new Map<number, string>();
      for (const l of ns.ipJson<any[]>('link', 'show')) names.set(l.ifindex, l.ifname);
      const index = (name: string) => [...names].find(([, n]) => n === name)![0];
      const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
      try {
        await fn({ ns, api: new NeighbourApi(conn, new LinkApi(conn)), va: index('va'), vb: index('vb'), names });
      } finally {
        conn.close();
      }
    });
}

/** What ip -j prints for an entry, from ours. */
function asIp(n: Neighbour, names: Map<number, string>, withDev = true): Record<string, unknown> {
  const o: Record<string, unknown> = { dst: n.dst };
  if (withDev) o.dev = names.get(n.index);
  if (n.lladdr !== undefined) o.lladdr = n.lladdr;
  if (n.router) o.router = null;
  if (n.proxy) o.proxy = null;
  if (n.extLearned) o.extern_learn = null;
  if (!n.state.includes('none')) o.state = n.state.map((s) => String(s).toUpperCase());
  return o;
}

const byDst = (a: { dst?: unknown }, b: { dst?: unknown }) => String(a.dst).localeCompare(String(b.dst));

describe.skipIf(!privileged)('NeighbourApi (kernel, ip as oracle)', () => {
  it(
    'adds a permanent entry with lladdr; list() equals ip neigh show',
    inNetns(async ({ ns, api, va, names }) => {
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      const ours = await api.list();
      expect(ours.find((n) => n.dst === '10.0.0.2')).toMatchObject({
        family: 'inet',
        index: va,
        lladdr: '02:00:00:00:00:02',
        state: ['permanent'],
        proxy: false,
      });
      expect(ours.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('neigh', 'show').sort(byDst));
    }),
  );

  it(
    'add of an existing entry is EEXIST; replace changes the lladdr and the state',
    inNetns(async ({ ns, api, va }) => {
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      const err = await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' }).catch((e: unknown) => e);
      expect(isNetlinkError(err) && err.code).toBe('EEXIST');
      await api.replace('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:22' });
      expect(ns.ipJson<any[]>('neigh', 'show', 'dev', 'va')).toEqual([{ dst: '10.0.0.2', lladdr: '02:00:00:00:00:22', state: ['PERMANENT'] }]);
      await api.replace('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:23', state: 'stale' });
      expect(ns.ipJson<any[]>('neigh', 'show', 'dev', 'va')).toEqual([{ dst: '10.0.0.2', lladdr: '02:00:00:00:00:23', state: ['STALE'] }]);
      // replace creates too.
      await api.replace('10.0.0.3', { dev: va, lladdr: '02:00:00:00:00:03' });
      expect((await api.list({ dev: va })).map((n) => [n.dst, n.lladdr, n.state])).toEqual(
        ns.ipJson<any[]>('neigh', 'show', 'dev', 'va').map((n) => [n.dst, n.lladdr, n.state.map((s: string) => s.toLowerCase())]),
      );
    }),
  );

  it(
    'proxy entries: add, list({ proxy: true }) equals ip neigh show proxy, delete',
    inNetns(async ({ ns, api, va, vb, names }) => {
      await api.add('10.0.0.9', { dev: va, proxy: true });
      await api.add('10.0.1.9', { dev: vb, proxy: true });
      await api.add('2001:db8::9', { dev: va, proxy: true });
      const proxies = await api.list({ proxy: true });
      expect(proxies.every((n) => n.proxy && n.state.includes('none'))).toBe(true);
      expect(proxies.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('neigh', 'show', 'proxy').sort(byDst));
      // Ordinary listing does not show them (the kernel dumps one table or the other), as ip.
      expect((await api.list()).filter((n) => n.proxy)).toEqual([]);
      expect((await api.list({ proxy: true, dev: vb })).map((n) => n.dst)).toEqual(['10.0.1.9']);
      expect((await api.list({ proxy: true, family: 'inet6' })).map((n) => n.dst)).toEqual(['2001:db8::9']);
      await api.delete('10.0.0.9', { dev: va, proxy: true });
      expect(ns.ipJson<any[]>('neigh', 'show', 'proxy', 'dev', 'va').map((n) => n.dst)).toEqual(['2001:db8::9']);
      const err = await api.delete('10.0.0.9', { dev: va, proxy: true }).catch((e: unknown) => e);
      expect(isNotFoundError(err)).toBe(true);
    }),
  );

  it(
    'IPv6 neighbour with the router flag; list({ family: inet6 }) equals ip -6 neigh show',
    inNetns(async ({ ns, api, va, names }) => {
      await api.add('2001:db8::2', { dev: va, lladdr: '02:00:00:00:00:05', router: true });
      await api.add('fe80::5', { dev: va, lladdr: '02:00:00:00:00:06', state: 'stale' });
      const ours = await api.list({ family: 'inet6' });
      expect(ours.find((n) => n.dst === '2001:db8::2')).toMatchObject({ family: 'inet6', router: true, state: ['permanent'] });
      expect(ours.every((n) => n.family === 'inet6')).toBe(true);
      expect(ours.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('-6', 'neigh', 'show').sort(byDst));
    }),
  );

  it(
    'hides NOARP and stateless entries like ip; all: true equals nud all; state and dev filters',
    inNetns(async ({ ns, api, va, vb, names }) => {
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      await api.add('10.0.0.3', { dev: va, lladdr: '02:00:00:00:00:03', state: 'stale' });
      await api.add('10.0.0.4', { dev: va, lladdr: '02:00:00:00:00:04', state: 'noarp' });
      await api.add('10.0.1.2', { dev: vb, lladdr: '02:00:00:00:00:12', state: 'reachable' });
      const shown = await api.list({ family: 'inet' });
      expect(shown.map((n) => n.dst).sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.1.2']);
      expect(shown.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('-4', 'neigh', 'show').sort(byDst));
      const all = await api.list({ family: 'inet', all: true });
      expect(all.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('-4', 'neigh', 'show', 'nud', 'all').sort(byDst));
      expect(all.map((n) => n.dst)).toContain('10.0.0.4');
      const noarp = await api.list({ family: 'inet', state: 'noarp' });
      expect(noarp.map((n) => asIp(n, names)).sort(byDst)).toEqual(ns.ipJson<any[]>('-4', 'neigh', 'show', 'nud', 'noarp').sort(byDst));
      const onVb = await api.list({ dev: vb, family: 'inet' });
      expect(onVb.map((n) => asIp(n, names, false))).toEqual(ns.ipJson<any[]>('-4', 'neigh', 'show', 'dev', 'vb'));
    }),
  );

  it(
    'master filter (NDA_MASTER): only entries on ports of the bridge, as ip neigh show master',
    inNetns(async ({ ns, api, va, vb, names }) => {
      ns.ip('link', 'add', 'br0', 'type', 'bridge');
      ns.ip('link', 'set', 'vb', 'master', 'br0');
      const br0 = ns.ipJson<any[]>('link', 'show', 'dev', 'br0')[0].ifindex as number;
      names.set(br0, 'br0');
      await api.add('10.0.1.2', { dev: vb, lladdr: '02:00:00:00:00:12' });
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      const ours = await api.list({ master: br0, family: 'inet' });
      expect(ours.map((n) => [n.dst, n.index])).toEqual([['10.0.1.2', vb]]);
      expect(ours.map((n) => asIp(n, names))).toEqual(ns.ipJson<any[]>('-4', 'neigh', 'show', 'master', 'br0'));
    }),
  );

  it(
    'dev given by name resolves through the link API',
    inNetns(async ({ ns, api }) => {
      await api.add('10.0.0.7', { dev: 'va', lladdr: '02:00:00:00:00:07' });
      expect((await api.list({ dev: 'va', family: 'inet' })).map((n) => n.dst)).toEqual(['10.0.0.7']);
      await api.delete('10.0.0.7', { dev: 'va' });
      expect(ns.ipJson<any[]>('-4', 'neigh', 'show', 'dev', 'va')).toEqual([]);
    }),
  );

  it(
    'delete removes the entry; deleting it again is NotFoundError',
    inNetns(async ({ ns, api, va }) => {
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      await api.add('2001:db8::2', { dev: va, lladdr: '02:00:00:00:00:05' });
      await api.delete('10.0.0.2', { dev: va });
      await api.delete('2001:db8::2', { dev: va });
      expect(ns.ipJson<any[]>('neigh', 'show', 'dev', 'va')).toEqual([]);
      const err = await api.delete('10.0.0.2', { dev: va }).catch((e: unknown) => e);
      expect(isNotFoundError(err)).toBe(true);
    }),
  );

  it(
    'flush removes what ip neigh flush removes (not PERMANENT / NOARP) and counts; all: true removes the rest',
    inNetns(async ({ ns, api, va, vb }) => {
      await api.add('10.0.0.2', { dev: va, lladdr: '02:00:00:00:00:02' });
      await api.add('10.0.0.3', { dev: va, lladdr: '02:00:00:00:00:03', state: 'stale' });
      await api.add('10.0.0.4', { dev: va, lladdr: '02:00:00:00:00:04', state: 'reachable' });
      await api.add('10.0.0.5', { dev: va, lladdr: '02:00:00:00:00:05', state: 'noarp' });
      await api.add('10.0.1.3', { dev: vb, lladdr: '02:00:00:00:00:13', state: 'stale' });
      expect(await api.flush({ dev: va })).toBe(2);
      expect(
        ns
          .ipJson<any[]>('-4', 'neigh', 'show', 'nud', 'all', 'dev', 'va')
          .map((n) => n.dst)
          .sort(),
      ).toEqual(['10.0.0.2', '10.0.0.5']);
      // Other devices are untouched.
      expect(ns.ipJson<any[]>('-4', 'neigh', 'show', 'dev', 'vb').map((n) => n.dst)).toEqual(['10.0.1.3']);
      expect(await api.flush({ dev: va })).toBe(0);
      expect(await api.flush({ dev: va, family: 'inet', all: true })).toBe(2);
      expect(ns.ipJson<any[]>('-4', 'neigh', 'show', 'nud', 'all', 'dev', 'va')).toEqual([]);
      expect(await api.flush({ family: 'inet' })).toBe(1);
      expect(ns.ipJson<any[]>('-4', 'neigh', 'show', 'nud', 'all')).toEqual([]);
      await api.add('10.0.0.9', { dev: va, proxy: true });
      expect(await api.flush({ proxy: true })).toBe(1);
      expect(ns.ipJson<any[]>('neigh', 'show', 'proxy')).toEqual([]);
    }),
  );
});
