/**
 * RouteApi against the kernel, in throwaway namespaces, with `ip -j route show` / `ip -j route get`
 * as the oracle. Needs root (CAP_SYS_ADMIN for namespaces); skipped otherwise with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { isNotFoundError } from '../../src/api/errors.js';
import { LinkApi } from '../../src/api/links.js';
import { type Route, RouteApi } from '../../src/api/routes.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[routes integration] skipped: ${skipReason}`);

interface Ctx {
  ns: TestNetns;
  api: RouteApi;
  conn: Connection;
  /** ifindex of an interface, from ip. */
  idx(name: string): number;
}

/**
 * A namespace with veth pair va/vb (both up), va = 10.1.0.1/24 and 2001:db8:1::1/64 (no DAD),
 * a connection inside it, and the API.
 */
function inNetns(fn: (c: Ctx) => Promise<void>): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      ns.exec('sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('link', 'set', 'vb', 'up');
      ns.ip('address', 'add', '10.1.0.1/24', 'dev', 'va');
      ns.ip('address', 'add', '2001:db8:1::1/64', 'dev', 'va', 'nodad');
      const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
      try {
        const idx = (name: string) => ns.ipJson<any[]>('link', 'show', 'dev', name)[0].ifindex as number;
        await fn({ ns, api: new RouteApi(conn, new LinkApi(conn)), conn, idx });
      } finally {
        conn.close();
      }
    });
}

function names(ns: TestNetns): Map<number, string> {
  return new Map(ns.ipJson<any[]>('link', 'show').map((l) => [l.ifindex, l.ifname]));
}

/**
 * A Route as `ip -j route show` prints it (iproute2 print_route): unicast / universe / boot / main
 * are left out, host routes drop their /32 or /128, devices by name, metrics as [{...}] (lock is
 * only in the text output), table only when listing every table (then as a string).
 */
function asIp(r: Route, ifnames: Map<number, string>, o: { table?: boolean; dev?: boolean; get?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const host = r.family === 'inet' ? '/32' : '/128';
  if (r.type !== 'unicast') out.type = r.type;
  out.dst = r.dst.endsWith(host) ? r.dst.slice(0, -host.length) : r.dst;
  if (r.src !== undefined) out.from = r.src.endsWith(host) ? r.src.slice(0, -host.length) : r.src;
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.via !== undefined) out.via = { family: r.via.family, host: r.via.address };
  if (r.dev !== undefined && o.dev !== false) out.dev = ifnames.get(r.dev);
  if (o.table && r.table !== 'main') out.table = String(r.table);
  if (!o.get && r.protocol !== 'boot' && r.protocol !== 'unspec') out.protocol = r.protocol;
  if (r.scope !== 'universe') out.scope = r.scope;
  if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
  if (r.metric !== undefined) out.metric = r.metric;
  out.flags = r.flags.filter((f) => f !== 'cloned');
  if (r.metrics !== undefined) {
    const { lock: _lock, ...m } = r.metrics;
    out.metrics = [m];
  }
  if (r.nexthops)
    out.nexthops = r.nexthops.map((n) => ({
      ...(n.gateway !== undefined && { gateway: n.gateway }),
      dev: ifnames.get(n.dev),
      weight: n.weight,
      flags: n.flags,
    }));
  if (r.pref !== undefined) out.pref = r.pref;
  if (r.uid !== undefined) out.uid = r.uid;
  return out;
}

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
const sorted = <T>(xs: T[]) => [...xs].sort(byJson);

/** What ip prints on stderr when the same change fails (the oracle for error text). */
function ipFailure(ns: TestNetns, ...args: string[]): string {
  try {
    ns.ip(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? '');
  }
  throw new Error(`ip ${args.join(' ')} unexpectedly succeeded`);
}

/** "Error: Nexthop has invalid gateway." -> "Nexthop has invalid gateway" (undefined when ip printed no kernel text). */
function kernelText(stderr: string): string | undefined {
  return /^Error: (.*?)\.?$/m.exec(stderr)?.[1];
}

describe.skipIf(!privileged)('RouteApi (integration, ip as oracle)', () => {
  it(
    'default route via a gateway with prefsrc and metric',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: 'default', gateway: '10.1.0.254', prefsrc: '10.1.0.1', metric: 100 });
      const ours = await api.list({ family: 'inet' });
      expect(ours.map((r) => asIp(r, names(ns)))).toEqual(ns.ipJson('route', 'show'));
      const d = ours.find((r) => r.dst === 'default')!;
      expect(d).toMatchObject({
        family: 'inet',
        gateway: '10.1.0.254',
        prefsrc: '10.1.0.1',
        metric: 100,
        table: 'main',
        protocol: 'boot',
        scope: 'universe',
        type: 'unicast',
      });
    }),
  );

  it(
    'blackhole, unreachable and prohibit routes (no device, scope universe)',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '10.30.0.0/16', type: 'blackhole' });
      await api.add({ dst: '10.31.0.0/16', type: 'unreachable' });
      await api.add({ dst: '10.32.0.0/16', type: 'prohibit', metric: 7 });
      await api.add({ dst: '2001:db8:30::/48', type: 'blackhole' });
      const ifn = names(ns);
      expect((await api.list({ family: 'inet' })).map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show'));
      expect((await api.list({ family: 'inet6' })).map((r) => asIp(r, ifn))).toEqual(ns.ipJson('-6', 'route', 'show'));
      expect((await api.list({ family: 'inet', type: 'blackhole' })).map((r) => r.dst)).toEqual(['10.30.0.0/16']);
    }),
  );

  it(
    'table 100 and table 1000: listing one table, every table, and by device',
    inNetns(async ({ ns, api, idx }) => {
      await api.add({ dst: '10.40.0.0/16', gateway: '10.1.0.2', table: 100 });
      await api.add({ dst: '10.41.0.0/16', dev: idx('va'), table: 100, metric: 3 });
      await api.add({ dst: '10.42.0.0/16', gateway: '10.1.0.2', table: 1000 });
      await api.add({ dst: '10.43.0.0/16', gateway: '10.1.0.2' });
      await api.add({ dst: '10.44.0.0/16', dev: idx('vb') });
      const ifn = names(ns);
      const t100 = await api.list({ table: 100 });
      expect(t100.map((r) => r.table)).toEqual([100, 100]);
      expect(t100.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show', 'table', '100'));
      const t1000 = await api.list({ table: 1000 });
      expect(t1000.map((r) => r.table)).toEqual([1000]);
      expect(t1000.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show', 'table', '1000'));
      // Every table, both families.
      const all = await api.list({ table: 'all' });
      expect(sorted(all.map((r) => asIp(r, ifn, { table: true })))).toEqual(sorted(ns.ipJson('route', 'show', 'table', 'all')));
      // A table nobody created is empty, not an error.
      expect(await api.list({ family: 'inet', table: 4242 })).toEqual([]);
      // Kernel-filtered by device (ip omits dev then).
      const onVb = await api.list({ family: 'inet', dev: idx('vb') });
      expect(onVb.map((r) => asIp(r, ifn, { dev: false }))).toEqual(ns.ipJson('route', 'show', 'dev', 'vb'));
      expect(onVb.map((r) => r.dst)).toEqual(['10.44.0.0/16']);
    }),
  );

  it(
    'multipath with weights, and an IPv4 route via an IPv6 gateway (RTA_VIA)',
    inNetns(async ({ ns, api, idx }) => {
      ns.ip('address', 'add', '10.2.0.1/24', 'dev', 'vb');
      await api.add({
        dst: '10.50.0.0/16',
        multipath: [
          { gateway: '10.1.0.2', dev: idx('va'), weight: 3 },
          { gateway: '10.2.0.2', dev: idx('vb'), weight: 1 },
        ],
      });
      await api.add({ dst: '10.51.0.0/16', via: 'fe80::1', dev: idx('va') });
      const ifn = names(ns);
      const ours = await api.list({ family: 'inet' });
      expect(ours.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show'));
      const mp = ours.find((r) => r.dst === '10.50.0.0/16')!;
      expect(mp.nexthops).toEqual([
        { gateway: '10.1.0.2', dev: idx('va'), weight: 3, flags: [] },
        { gateway: '10.2.0.2', dev: idx('vb'), weight: 1, flags: [] },
      ]);
      expect(ours.find((r) => r.dst === '10.51.0.0/16')!.via).toEqual({ family: 'inet6', address: 'fe80::1' });
    }),
  );

  it(
    'mtu and advmss metrics, with lock mtu',
    inNetns(async ({ ns, api, idx }) => {
      await api.add({ dst: '10.60.0.0/16', gateway: '10.1.0.2', mtu: 1400, advmss: 1300, metrics: { lock: ['mtu'] } });
      await api.add({ dst: '10.61.0.0/16', dev: idx('va'), mtu: 1280 });
      const ifn = names(ns);
      const ours = await api.list({ family: 'inet' });
      expect(ours.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show'));
      const locked = ours.find((r) => r.dst === '10.60.0.0/16')!;
      expect(locked.mtu).toBe(1400);
      expect(locked.metrics).toEqual({ lock: ['mtu'], mtu: 1400, advmss: 1300 });
      expect(ns.ip('route', 'show', '10.60.0.0/16')).toContain('mtu lock 1400');
      expect(ours.find((r) => r.dst === '10.61.0.0/16')!.metrics).toEqual({ mtu: 1280 });
      expect(ns.ip('route', 'show', '10.61.0.0/16')).not.toContain('lock');
    }),
  );

  it(
    'IPv6 route with pref high',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '2001:db8:7::/64', gateway: '2001:db8:1::2', pref: 'high' });
      await api.add({ dst: '2001:db8:8::/64', gateway: '2001:db8:1::3', pref: 'low', metric: 10 });
      const ifn = names(ns);
      const ours = await api.list({ family: 'inet6' });
      expect(ours.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('-6', 'route', 'show'));
      expect(ours.find((r) => r.dst === '2001:db8:7::/64')).toMatchObject({ pref: 'high', metric: 1024, gateway: '2001:db8:1::2' });
      expect(ours.find((r) => r.dst === '2001:db8:8::/64')).toMatchObject({ pref: 'low', metric: 10 });
    }),
  );

  it(
    'onlink gateway outside every connected prefix; without onlink the kernel refuses it (ENETUNREACH + extack)',
    inNetns(async ({ ns, api, idx }) => {
      await api.add({ dst: '10.70.0.0/16', gateway: '192.168.77.1', dev: idx('va'), onlink: true });
      const ifn = names(ns);
      const ours = await api.list({ family: 'inet' });
      expect(ours.map((r) => asIp(r, ifn))).toEqual(ns.ipJson('route', 'show'));
      expect(ours.find((r) => r.dst === '10.70.0.0/16')!.flags).toEqual(['onlink']);

      const err = await api.add({ dst: '10.71.0.0/16', gateway: '192.168.88.1' }).catch((e) => e);
      const stderr = ipFailure(ns, 'route', 'add', '10.71.0.0/16', 'via', '192.168.88.1');
      expect(isNetlinkError(err)).toBe(true);
      expect(err.code).toBe('ENETUNREACH');
      expect(err.kernelMessage).toBe(kernelText(stderr));
      expect(err.kernelMessage).toBe('Nexthop has invalid gateway');
      expect(ns.ipJson('route', 'show', '10.71.0.0/16')).toEqual([]);
    }),
  );

  it(
    'replace changes the gateway of a route without a metric (one route, not two)',
    inNetns(async ({ ns, api }) => {
      ns.ip('address', 'add', '10.2.0.1/24', 'dev', 'vb');
      await api.add({ dst: '10.80.0.0/16', gateway: '10.1.0.2' });
      await api.replace({ dst: '10.80.0.0/16', gateway: '10.2.0.2' });
      expect(ns.ipJson('route', 'show', '10.80.0.0/16')).toEqual([{ dst: '10.80.0.0/16', gateway: '10.2.0.2', dev: 'vb', flags: [] }]);
      // replace also creates.
      await api.replace({ dst: '10.81.0.0/16', gateway: '10.2.0.2' });
      expect(ns.ipJson('route', 'show', '10.81.0.0/16')).toHaveLength(1);
    }),
  );

  it(
    'delete: by fields, a Route from list(), IPv6; a missing route is NotFoundError',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '10.90.0.0/16', gateway: '10.1.0.2' });
      await api.add({ dst: '10.91.0.0/16', gateway: '10.1.0.2', table: 100, metric: 9 });
      await api.add({ dst: '2001:db8:90::/48', gateway: '2001:db8:1::2' });
      await api.delete({ dst: '10.90.0.0/16' });
      expect(ns.ipJson('route', 'show', '10.90.0.0/16')).toEqual([]);
      const [r] = await api.list({ table: 100 });
      await api.delete(r!);
      expect(ns.ipJson('route', 'show', 'table', 'all', '10.91.0.0/16')).toEqual([]);
      await api.delete({ dst: '2001:db8:90::/48', gateway: '2001:db8:1::2' });
      expect(ns.ipJson('-6', 'route', 'show', '2001:db8:90::/48')).toEqual([]);
      const err = await api.delete({ dst: '10.90.0.0/16' }).catch((e) => e);
      expect(isNotFoundError(err)).toBe(true);
      expect(isNetlinkError(err.cause) && err.cause.code).toBe('ESRCH');
    }),
  );

  it(
    'route get: an address in a connected subnet, one via the default route, IPv6',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: 'default', gateway: '10.1.0.254' });
      await api.add({ dst: '2001:db8:7::/64', gateway: '2001:db8:1::2', pref: 'high' });
      const ifn = names(ns);
      const near = await api.get('10.1.0.9');
      expect(asIp(near, ifn, { get: true })).toEqual(omitCache(ns.ipJson('route', 'get', '10.1.0.9')[0]));
      expect(near).toMatchObject({ dst: '10.1.0.9/32', prefsrc: '10.1.0.1' });
      expect(near.gateway).toBeUndefined();
      const far = await api.get('198.51.100.7');
      expect(asIp(far, ifn, { get: true })).toEqual(omitCache(ns.ipJson('route', 'get', '198.51.100.7')[0]));
      expect(far).toMatchObject({ gateway: '10.1.0.254', prefsrc: '10.1.0.1' });
      const fib = await api.get('198.51.100.7', { fibMatch: true });
      expect(asIp(fib, ifn)).toEqual(ns.ipJson('route', 'get', '198.51.100.7', 'fibmatch')[0]);
      expect(fib.dst).toBe('default');
      const six = await api.get('2001:db8:7::1');
      expect(asIp(six, ifn, { get: true })).toEqual(omitCache(ns.ipJson('-6', 'route', 'get', '2001:db8:7::1')[0]));
      expect(six).toMatchObject({ family: 'inet6', dst: '2001:db8:7::1/128', gateway: '2001:db8:1::2', prefsrc: '2001:db8:1::1', pref: 'high' });
    }),
  );

  it(
    'route get without a route: NotFoundError with the ENETUNREACH ip reports',
    inNetns(async ({ ns, api }) => {
      const err = await api.get('198.51.100.7').catch((e) => e);
      const stderr = ipFailure(ns, 'route', 'get', '198.51.100.7');
      expect(isNotFoundError(err)).toBe(true);
      expect(isNetlinkError(err.cause)).toBe(true);
      expect(err.code).toBe('ENETUNREACH');
      expect(stderr).toContain('Network is unreachable');
    }),
  );

  it(
    'adding the same route twice: NetlinkError EEXIST, with the kernel text ip shows (if any)',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '10.95.0.0/16', gateway: '10.1.0.2' });
      const err = await api.add({ dst: '10.95.0.0/16', gateway: '10.1.0.2' }).catch((e) => e);
      const stderr = ipFailure(ns, 'route', 'add', '10.95.0.0/16', 'via', '10.1.0.2');
      expect(isNetlinkError(err)).toBe(true);
      expect(err.code).toBe('EEXIST');
      expect(err.errno).toBe(17);
      expect(stderr).toContain('File exists');
      expect(err.kernelMessage).toBe(kernelText(stderr));
      await api.add({ dst: '2001:db8:95::/48', gateway: '2001:db8:1::2' });
      const err6 = await api.add({ dst: '2001:db8:95::/48', gateway: '2001:db8:1::2' }).catch((e) => e);
      expect(isNetlinkError(err6) && err6.code).toBe('EEXIST');
      expect(err6.kernelMessage).toBe(kernelText(ipFailure(ns, '-6', 'route', 'add', '2001:db8:95::/48', 'via', '2001:db8:1::2')));
    }),
  );

  it(
    'devices by name; addBatch / deleteBatch of 2000 routes',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '10.99.0.0/16', dev: 'va', prefsrc: '10.1.0.1' });
      expect(ns.ipJson('route', 'show', '10.99.0.0/16')).toEqual([{ dst: '10.99.0.0/16', dev: 'va', scope: 'link', prefsrc: '10.1.0.1', flags: [] }]);
      const routes = Array.from({ length: 2000 }, (_, i) => ({ dst: `172.16.${i >> 8}.${i & 255}/32`, gateway: '10.1.0.2', dev: 'va', table: 200 }));
      routes.push({ ...routes[5]! }); // a duplicate: fails alone
      const res = await api.addBatch(routes);
      expect(res.filter((r) => r.ok)).toHaveLength(2000);
      const dup = res[2000]!;
      expect(!dup.ok && isNetlinkError(dup.error) && dup.error.code).toBe('EEXIST');
      expect(ns.ipJson('route', 'show', 'table', '200')).toHaveLength(2000);
      const listed = await api.list({ table: 200, dev: 'va' });
      expect(listed).toHaveLength(2000);
      const del = await api.deleteBatch(listed);
      expect(del.every((r) => r.ok)).toBe(true);
      expect(await api.list({ family: 'inet', table: 200 })).toEqual([]);
    }),
  );
});

function omitCache(o: Record<string, unknown>): Record<string, unknown> {
  const { cache: _cache, ...rest } = o;
  return rest;
}
