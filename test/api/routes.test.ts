/**
 * RouteApi over a scripted fake kernel: the exact requests each call builds (decoded back with the
 * rtnetlink codec), how replies become Route objects, and input refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { isInvalidArgumentError, isNotFoundError, NotFoundError } from '../../src/api/errors.js';
import type { LinkApi } from '../../src/api/links.js';
import { RouteApi, type RouteInput, toRoute } from '../../src/api/routes.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { type Reply, fakeKernel } from '../support/fake-kernel.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

const codec = rtnetlinkCodec();
const NAMES = new Map<string, number>([
  ['veth0', 5],
  ['eth1', 7],
]);

/** A LinkApi stand-in: names resolve from NAMES without any request. */
function stubLinks(): LinkApi & { lookups: (string | number)[] } {
  const lookups: (string | number)[] = [];
  return {
    lookups,
    async index(ref: string | number) {
      lookups.push(ref);
      if (typeof ref === 'number') return ref;
      const i = NAMES.get(ref);
      if (i === undefined) throw new NotFoundError('link', ref);
      return i;
    },
  } as unknown as LinkApi & { lookups: (string | number)[] };
}

function setup(answer: (m: NetlinkMessage, i: number) => Reply = () => ({})) {
  const { transport: t, received, datagrams } = fakeKernel(codec, 'newroute', answer);
  const conn = new Connection(t, codec, { timeoutMs: 2000 });
  const links = stubLinks();
  return { t, conn, links, api: new RouteApi(conn, links), received, datagrams };
}

const CREATE_EXCL = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;
const REPLACE_CREATE = NLM_F.REQUEST | NLM_F.ACK | NLM_F.REPLACE | NLM_F.CREATE;

/** rtmsg as the codec decodes it, with ip route add's defaults. */
function hdr(extra: Record<string, unknown> = {}) {
  return { family: 'inet', dstLen: 0, srcLen: 0, tos: 0, table: 'main', protocol: 'boot', scope: 'universe', type: 'unicast', flags: [], ...extra };
}

function viaBytes(family: number, addr: number[]): Uint8Array {
  const b = new Uint8Array(2 + addr.length);
  new Uint16Array(b.buffer, 0, 1)[0] = family; // host order
  b.set(addr, 2);
  return b;
}

describe('RouteApi.add builds the request ip route add would', () => {
  it('default via a gateway: no RTA_DST, table main in header and RTA_TABLE, proto boot, scope universe', async () => {
    const { api, received } = setup();
    await api.add({ dst: 'default', gateway: '192.0.2.1' });
    expect(received).toHaveLength(1);
    const m = received[0]!;
    expect(m.kind).toBe('newroute');
    expect(m.flags).toBe(CREATE_EXCL);
    expect(m.header).toEqual(hdr());
    expect(m.attrs).toEqual({ gateway: '192.0.2.1', table: 'main' });
  });

  it('a prefix on a device by name, with prefsrc and metric: scope link without a gateway', async () => {
    const { api, received, links } = setup();
    await api.add({ dst: '10.1.0.0/16', dev: 'veth0', prefsrc: '10.1.0.1', metric: 50 });
    expect(links.lookups).toEqual(['veth0']);
    expect(received[0]!.header).toEqual(hdr({ dstLen: 16, scope: 'link' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.1.0.0', oif: 5, prefsrc: '10.1.0.1', priority: 50, table: 'main' });
  });

  it('table 100: in the header and in RTA_TABLE', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.2.0.0/24', gateway: '192.0.2.1', table: 100 });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 24, table: 100 }));
    expect(received[0]!.attrs).toEqual({ dst: '10.2.0.0', gateway: '192.0.2.1', table: 100 });
  });

  it('table 1000: header table RT_TABLE_UNSPEC, the id only in RTA_TABLE', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.3.0.0/24', dev: 7, table: 1000 });
    await api.add({ dst: '10.3.1.0/24', dev: 7, table: '70000' });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 24, table: 'unspec', scope: 'link' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.3.0.0', oif: 7, table: 1000 });
    expect(received[1]!.attrs!.table).toBe(70000);
  });

  it('blackhole: no oif, scope universe; unreachable / prohibit likewise', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.4.0.0/16', type: 'blackhole' });
    await api.add({ dst: '10.5.0.0/16', type: 'unreachable' });
    await api.add({ dst: '2001:db8:9::/48', type: 'prohibit' });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 16, type: 'blackhole' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.4.0.0', table: 'main' });
    expect(received[1]!.header).toMatchObject({ type: 'unreachable', scope: 'universe' });
    expect(received[2]!.header).toEqual(hdr({ family: 'inet6', dstLen: 48, type: 'prohibit' }));
  });

  it('local routes go to table local with scope host', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.6.0.1', type: 'local', dev: 5 });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 32, type: 'local', table: 'local', scope: 'host' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.6.0.1', oif: 5, table: 'local' });
  });

  it('multipath: weights become rtnh_hops = weight - 1, devices resolved once each', async () => {
    const { api, received, links } = setup();
    await api.add({
      dst: '10.7.0.0/16',
      multipath: [
        { gateway: '192.0.2.1', dev: 'veth0', weight: 3 },
        { gateway: '192.0.2.2', dev: 'veth0' },
        { gateway: '198.51.100.1', dev: 'eth1', weight: 256, onlink: true },
      ],
    });
    expect(links.lookups).toEqual(['veth0', 'eth1']);
    expect(received[0]!.header).toEqual(hdr({ dstLen: 16 }));
    expect(received[0]!.attrs).toEqual({
      dst: '10.7.0.0',
      table: 'main',
      multipath: [
        { flags: [], hops: 2, ifindex: 5, attrs: { gateway: '192.0.2.1' } },
        { flags: [], hops: 0, ifindex: 5, attrs: { gateway: '192.0.2.2' } },
        { flags: ['onlink'], hops: 255, ifindex: 7, attrs: { gateway: '198.51.100.1' } },
      ],
    });
  });

  it('an IPv4 route via an IPv6 gateway: RTA_VIA (struct rtvia), no RTA_GATEWAY', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.8.0.0/24', via: 'fe80::1', dev: 5 });
    await api.add({ dst: 'default', via: { family: 'inet6', address: '2001:db8::1' }, dev: 5 });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 24 }));
    const { via, ...rest } = received[0]!.attrs!;
    expect(rest).toEqual({ dst: '10.8.0.0', oif: 5, table: 'main' });
    // struct rtvia: u16 AF_INET6 in host order, then the 16 address bytes.
    const bytes = via instanceof Uint8Array ? via : codec.encode({ kind: 'newroute', attrs: { via } }).slice(16 + 12 + 4, 16 + 12 + 4 + 18);
    expect(Array.from(bytes)).toEqual(Array.from(viaBytes(10, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
    expect(toRoute(received[0]!).via).toEqual({ family: 'inet6', address: 'fe80::1' });
    expect(received[1]!.header).toMatchObject({ family: 'inet', dstLen: 0 });
    expect(toRoute(received[1]!).via).toEqual({ family: 'inet6', address: '2001:db8::1' });
  });

  it('onlink: RTNH_F_ONLINK in rtm_flags', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.9.0.0/24', gateway: '203.0.113.1', dev: 5, onlink: true });
    expect(received[0]!.header).toEqual(hdr({ dstLen: 24, flags: ['onlink'] }));
    expect(received[0]!.attrs).toEqual({ dst: '10.9.0.0', gateway: '203.0.113.1', oif: 5, table: 'main' });
  });

  it('metrics: mtu / advmss / hoplimit shortcuts and lock by name', async () => {
    const { api, received } = setup();
    await api.add({ dst: '10.10.0.0/24', dev: 5, mtu: 1400, advmss: 1360, hoplimit: 16, metrics: { lock: ['mtu'], initcwnd: 10 } });
    expect(received[0]!.attrs!.metrics).toEqual({ lock: ['mtu'], initcwnd: 10, mtu: 1400, advmss: 1360, hoplimit: 16 });
  });

  it('IPv6 with pref high: family from dst, scope universe, RTA_PREF', async () => {
    const { api, received } = setup();
    await api.add({ dst: '2001:db8:1::/64', gateway: 'fe80::1', dev: 5, pref: 'high', protocol: 'static' });
    expect(received[0]!.header).toEqual(hdr({ family: 'inet6', dstLen: 64, protocol: 'static' }));
    expect(received[0]!.attrs).toEqual({ dst: '2001:db8:1::', gateway: 'fe80::1', oif: 5, table: 'main', pref: 'high' });
  });

  it('default route family from the gateway; replace uses CREATE|REPLACE', async () => {
    const { api, received } = setup();
    await api.replace({ dst: 'default', gateway: 'fe80::1', dev: 5 });
    expect(received[0]!.flags).toBe(REPLACE_CREATE);
    expect(received[0]!.header).toMatchObject({ family: 'inet6', dstLen: 0, scope: 'universe' });
  });
});

describe('RouteApi.delete', () => {
  it('sends what ip route del does: scope nowhere, proto and type unspec unless given', async () => {
    const { api, received } = setup();
    await api.delete({ dst: '10.1.0.0/16' });
    await api.delete({ dst: '10.1.0.0/16', type: 'blackhole', table: 100 });
    expect(received[0]!.kind).toBe('delroute');
    expect(received[0]!.flags).toBe(NLM_F.REQUEST | NLM_F.ACK);
    expect(received[0]!.header).toEqual(hdr({ dstLen: 16, protocol: 'unspec', scope: 'nowhere', type: 'unspec' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.1.0.0', table: 'main' });
    expect(received[1]!.header).toMatchObject({ type: 'blackhole', table: 100, scope: 'nowhere' });
  });

  it('ESRCH becomes NotFoundError', async () => {
    const { api } = setup(() => ({ errno: 3 }));
    const err = await api.delete({ dst: '10.1.0.0/16' }).catch((e) => e);
    expect(isNotFoundError(err)).toBe(true);
    expect(err.message).toBe('route "10.1.0.0/16" does not exist');
    expect(isNetlinkError(err.cause)).toBe(true);
  });

  it('deletes a Route from list() by its identifying fields', async () => {
    const route = toRoute({
      type: 24,
      flags: 0,
      seq: 0,
      pid: 0,
      kind: 'newroute',
      header: hdr({ dstLen: 24, table: 'compat', protocol: 'static' }),
      attrs: { dst: '10.2.0.0', table: 1000, gateway: '192.0.2.1', oif: 5, priority: 7, metrics: { mtu: 1300 } },
    });
    const { api, received } = setup();
    await api.delete(route);
    expect(received[0]!.header).toEqual(hdr({ dstLen: 24, table: 'unspec', protocol: 'static' }));
    expect(received[0]!.attrs).toEqual({ dst: '10.2.0.0', gateway: '192.0.2.1', oif: 5, priority: 7, table: 1000 });
  });
});

describe('RouteApi.list', () => {
  it('asks the kernel to filter (RTA_TABLE, RTA_OIF, protocol, type) and skips cloned entries', async () => {
    const { api, received } = setup(() => ({
      dumpFlags: NLM_F.DUMP_FILTERED,
      dump: [
        {
          header: hdr({ dstLen: 24, protocol: 'static', table: 100 }),
          attrs: { dst: '10.0.0.0', table: 100, gateway: '192.0.2.1', oif: 5, priority: 10 },
        },
        { header: hdr({ dstLen: 32, protocol: 'static', table: 100, flags: ['cloned'] }), attrs: { dst: '10.0.0.9', table: 100, oif: 5 } },
      ],
    }));
    const routes = await api.list({ family: 'inet', table: 100, protocol: 'static', type: 'unicast', dev: 'veth0' });
    expect(received[0]!.kind).toBe('getroute');
    expect(received[0]!.flags).toBe(NLM_F.REQUEST | NLM_F.DUMP);
    expect(received[0]!.header).toEqual({
      family: 'inet',
      dstLen: 0,
      srcLen: 0,
      tos: 0,
      table: 100,
      protocol: 'static',
      scope: 'universe',
      type: 'unicast',
      flags: [],
    });
    expect(received[0]!.attrs).toEqual({ table: 100, oif: 5 });
    expect(routes).toHaveLength(1);
    const { raw, ...r } = routes[0]!;
    expect(raw.kind).toBe('newroute');
    expect(r).toEqual({
      family: 'inet',
      dst: '10.0.0.0/24',
      table: 100,
      protocol: 'static',
      scope: 'universe',
      type: 'unicast',
      tos: 0,
      flags: [],
      gateway: '192.0.2.1',
      dev: 5,
      metric: 10,
    });
  });

  it('keeps only the bytes of each listed route and decodes raw on first access', async () => {
    const { api } = setup(() => ({
      dump: [
        { header: hdr({ dstLen: 24 }), attrs: { dst: '10.0.0.0', table: 254, gateway: '192.0.2.1', oif: 5 } },
        { header: hdr({ dstLen: 32 }), attrs: { dst: '10.0.0.9', table: 254, oif: 7 } },
      ],
    }));
    const routes = await api.list({ family: 'inet' });
    expect(routes.map((r) => r.dst)).toEqual(['10.0.0.0/24', '10.0.0.9/32']);
    // Not an own enumerable property: spread, keys and JSON leave it out.
    expect(Object.keys(routes[1]!)).not.toContain('raw');
    expect(JSON.stringify(routes[1])).not.toContain('raw');
    expect('raw' in routes[1]!).toBe(true);
    const raw = routes[1]!.raw;
    expect(routes[1]!.raw).toBe(raw); // decoded once
    expect(raw.kind).toBe('newroute');
    expect(raw.header).toMatchObject({ family: 'inet', dstLen: 32 });
    expect(raw.attrs).toEqual({ dst: '10.0.0.9', table: 'main', oif: 7 });
  });

  it('defaults to table main, one dump per family (not AF_UNSPEC); all tables sends no table', async () => {
    const { api, received } = setup(() => ({ dump: [] }));
    await api.list();
    await api.list({ table: 'all', family: 'inet6' });
    await api.list({ table: 5000, family: 'inet' });
    expect(received.map((m) => m.header!.family)).toEqual(['inet', 'inet6', 'inet6', 'inet']);
    expect(received[0]!.header).toMatchObject({ table: 'main', protocol: 'unspec', type: 'unspec' });
    expect(received[0]!.attrs).toEqual({ table: 'main' });
    expect(received[2]!.header).toMatchObject({ table: 'unspec' });
    expect(received[2]!.attrs).toEqual({});
    expect(received[3]!.header).toMatchObject({ table: 'unspec' });
    expect(received[3]!.attrs).toEqual({ table: 5000 });
  });

  it('returns IPv4 routes before IPv6 ones (stateful fake kernel)', async () => {
    const nl = new StatefulKernel().client();
    await nl.links.add({ name: 'd0', kind: 'dummy', up: true });
    await nl.routes.add({ dst: '2001:db8::/32', dev: 'd0' });
    await nl.routes.add({ dst: '10.0.0.0/8', dev: 'd0' });
    expect((await nl.routes.list()).map((r) => r.dst)).toEqual(['10.0.0.0/8', '2001:db8::/32', 'fe80::/64']);
    nl.close();
  });

  it('filters in userspace when the kernel did not (no NLM_F_DUMP_FILTERED)', async () => {
    const { api } = setup((m) => ({
      dump:
        m.header!.family !== 'inet'
          ? []
          : [
              { header: hdr({ dstLen: 8 }), attrs: { dst: '10.0.0.0', table: 'main', oif: 5 } },
              { header: hdr({ dstLen: 8, table: 'local', type: 'local' }), attrs: { dst: '11.0.0.0', table: 'local', oif: 5 } },
              { header: hdr({ dstLen: 8 }), attrs: { dst: '12.0.0.0', table: 'main', oif: 7 } },
              { header: hdr({ dstLen: 8, family: 'ipmr' }), attrs: { dst: '13.0.0.0', table: 'main', oif: 5 } },
            ],
    }));
    const routes = await api.list({ dev: 5 });
    expect(routes.map((r) => r.dst)).toEqual(['10.0.0.0/8']);
  });

  it('a table that does not exist (the dump ends in ENOENT) lists as empty (stateful fake kernel)', async () => {
    const nl = new StatefulKernel().client();
    await nl.links.add({ name: 'd0', kind: 'dummy', up: true });
    await expect(nl.routes.list({ family: 'inet', table: 77 })).resolves.toEqual([]);
    await expect(nl.routes.list({ table: 77 })).resolves.toEqual([]);
    // The kernel creates a table with its first route.
    await nl.routes.add({ dst: '10.0.0.0/8', dev: 'd0', table: 77 });
    expect((await nl.routes.list({ family: 'inet', table: 77 })).map((r) => [r.dst, r.table])).toEqual([['10.0.0.0/8', 77]]);
    nl.close();
  });

  it('decodes multipath, via, metrics, pref and expires', async () => {
    const { api } = setup(() => ({
      dump: [
        {
          header: hdr({ dstLen: 16 }),
          attrs: {
            dst: '10.7.0.0',
            table: 'main',
            metrics: { lock: ['mtu'], mtu: 1400 },
            multipath: [
              { flags: [], hops: 2, ifindex: 5, attrs: { gateway: '192.0.2.1' } },
              { flags: ['onlink'], hops: 0, ifindex: 7, attrs: { via: viaBytes(10, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]) } },
            ],
          },
        },
        {
          header: hdr({ family: 'inet6', dstLen: 0 }),
          attrs: { table: 'main', gateway: 'fe80::1', oif: 5, priority: 1024, pref: 'high', cacheinfo: { clntref: 0, lastuse: 0, expires: 179950 } },
        },
      ],
    }));
    const [a, b] = await api.list();
    expect(a!.dst).toBe('10.7.0.0/16');
    expect(a!.metrics).toEqual({ lock: ['mtu'], mtu: 1400 });
    expect(a!.mtu).toBe(1400);
    expect(a!.nexthops).toEqual([
      { gateway: '192.0.2.1', dev: 5, weight: 3, flags: [] },
      { via: { family: 'inet6', address: 'fe80::2' }, dev: 7, weight: 1, flags: ['onlink'] },
    ]);
    expect(b).toMatchObject({ family: 'inet6', dst: 'default', gateway: 'fe80::1', dev: 5, metric: 1024, pref: 'high', expires: 1799 });
  });
});

describe('RouteApi.get', () => {
  it('sends RTA_DST with the full prefix length and returns the resolved route', async () => {
    const { api, received } = setup(() => ({
      replies: [
        {
          header: hdr({ dstLen: 32, protocol: 'unspec', flags: ['cloned'] }),
          attrs: { dst: '8.8.8.8', table: 'main', oif: 5, gateway: '10.1.0.2', prefsrc: '10.1.0.1', uid: 0 },
        },
      ],
    }));
    const r = await api.get('8.8.8.8', { from: '10.1.0.1', oif: 'veth0', mark: 7 });
    expect(received[0]!.kind).toBe('getroute');
    expect(received[0]!.flags).toBe(NLM_F.REQUEST | NLM_F.ACK);
    expect(received[0]!.header).toEqual({
      family: 'inet',
      dstLen: 32,
      srcLen: 32,
      tos: 0,
      table: 'unspec',
      protocol: 'unspec',
      scope: 'universe',
      type: 'unspec',
      flags: [],
    });
    expect(received[0]!.attrs).toEqual({ dst: '8.8.8.8', src: '10.1.0.1', oif: 5, mark: 7 });
    expect(r).toMatchObject({ dst: '8.8.8.8/32', gateway: '10.1.0.2', prefsrc: '10.1.0.1', dev: 5, uid: 0 });
  });

  it('fibMatch sets RTM_F_FIB_MATCH; IPv6 uses /128', async () => {
    const { api, received } = setup(() => ({ replies: [{ header: hdr({ family: 'inet6' }), attrs: {} }] }));
    await api.get('2001:db8::5', { fibMatch: true });
    expect(received[0]!.header).toMatchObject({ family: 'inet6', dstLen: 128, flags: ['fib_match'] });
  });
});

describe('batches', () => {
  it('addBatch pipelines many routes in few datagrams; one result each, failures in place', async () => {
    const { api, received, datagrams, links } = setup((_m, i) => (i === 3 ? { errno: 17 } : {}));
    const routes: RouteInput[] = Array.from({ length: 300 }, (_, i) => ({
      dst: `172.16.${i >> 8}.${i & 255}/32`,
      gateway: '10.1.0.2',
      dev: 'veth0',
      table: 200,
    }));
    const results = await api.addBatch(routes, { window: 64 });
    expect(results).toHaveLength(300);
    expect(results.filter((r) => !r.ok)).toHaveLength(1);
    const bad = results[3]!;
    expect(!bad.ok && isNetlinkError(bad.error) && bad.error.code).toBe('EEXIST');
    expect(received).toHaveLength(300);
    expect(received[299]!.attrs).toEqual({ dst: '172.16.1.43', gateway: '10.1.0.2', oif: 5, table: 200 });
    // One ACK per window of 64: only the window's last request asks for it.
    expect(received[0]!.flags).toBe(CREATE_EXCL & ~0x4);
    expect(received[63]!.flags).toBe(CREATE_EXCL);
    expect(datagrams.length).toBeLessThan(20);
    expect(links.lookups).toEqual(['veth0']); // once per batch, not per route
  });

  it('addBatch with replace; deleteBatch maps ESRCH to NotFoundError per route', async () => {
    const { api, received } = setup((m) => (m.kind === 'delroute' && m.attrs!.dst === '10.0.0.2' ? { errno: 3 } : {}));
    await api.addBatch([{ dst: '10.0.0.1', dev: 5 }], { replace: true });
    expect(received[0]!.flags).toBe(REPLACE_CREATE);
    const res = await api.deleteBatch([{ dst: '10.0.0.1' }, { dst: '10.0.0.2' }]);
    expect(res[0]!.ok).toBe(true);
    expect(!res[1]!.ok && isNotFoundError(res[1]!.error)).toBe(true);
  });

  it('one bad route in a batch throws naming its index, and nothing is sent', async () => {
    const { api, t } = setup();
    const err = await api
      .addBatch([
        { dst: '10.0.0.0/8', dev: 5 },
        { dst: '10.1.2.3/16', dev: 5 },
      ])
      .catch((e) => e);
    expect(isInvalidArgumentError(err)).toBe(true);
    expect(err.argument).toBe('routes[1].dst');
    expect(t.sent).toHaveLength(0);
  });
});

describe('validation: bad input is refused before anything is sent', () => {
  const bad: [string, RouteInput, RegExp][] = [
    ['host bits', { dst: '10.1.2.3/16', dev: 5 }, /10\.1\.2\.3\/16 has host bits set; did you mean 10\.1\.0\.0\/16\?/],
    ['IPv6 host bits', { dst: '2001:db8::1/64', dev: 5 }, /did you mean 2001:db8::\/64\?/],
    ['no dst', {} as RouteInput, /dst/],
    ['bad dst', { dst: '10.1.2/24', dev: 5 }, /not an IPv4 or IPv6 address/],
    [
      'family mismatch dst/gateway',
      { dst: '10.0.0.0/8', gateway: '2001:db8::1' },
      /is IPv6 but the route is IPv4; an IPv6 nexthop of an IPv4 route goes in via/,
    ],
    ['family mismatch explicit', { dst: '10.0.0.0/8', family: 'inet6', dev: 5 }, /is IPv4 but family is inet6/],
    ['prefsrc family', { dst: '2001:db8::/32', dev: 5, prefsrc: '10.0.0.1' }, /prefsrc.*is IPv4 but the route is IPv6/],
    ['via on IPv6', { dst: '2001:db8::/32', via: 'fe80::1', dev: 5 }, /IPv6 routes do not support via/],
    ['gateway and via', { dst: '10.0.0.0/8', gateway: '10.1.1.1', via: 'fe80::1', dev: 5 }, /either gateway or via/],
    ['weight 0', { dst: '10.0.0.0/8', multipath: [{ gateway: '10.1.1.1', weight: 0 }] }, /weight.*between 1 and 256/],
    ['weight 257', { dst: '10.0.0.0/8', multipath: [{ gateway: '10.1.1.1', weight: 257 }] }, /between 1 and 256/],
    ['empty multipath', { dst: '10.0.0.0/8', multipath: [] }, /non-empty array/],
    ['multipath plus gateway', { dst: '10.0.0.0/8', gateway: '10.1.1.1', multipath: [{ gateway: '10.1.1.2' }] }, /go into each nexthop/],
    ['empty nexthop', { dst: '10.0.0.0/8', multipath: [{ weight: 2 }] }, /needs a gateway, via or dev/],
    ['blackhole with dev', { dst: '10.0.0.0/8', type: 'blackhole', dev: 5 }, /take no gateway, device or multipath/],
    ['unicast with nothing', { dst: '10.0.0.0/8' }, /needs a gateway, via, dev or multipath/],
    ['bad type', { dst: '10.0.0.0/8', type: 'bogus' as 'unicast', dev: 5 }, /must be one of unicast/],
    ['table 0', { dst: '10.0.0.0/8', dev: 5, table: 0 }, /between 1 and 4294967295/],
    ['table too big', { dst: '10.0.0.0/8', dev: 5, table: 2 ** 32 }, /between 1 and 4294967295/],
    ['table name', { dst: '10.0.0.0/8', dev: 5, table: 'nosuch' }, /'main', 'local', 'default' or a table id/],
    ['metric', { dst: '10.0.0.0/8', dev: 5, metric: -1 }, /metric/],
    ['scope', { dst: '10.0.0.0/8', dev: 5, scope: 'galaxy' }, /scope/],
    ['protocol', { dst: '10.0.0.0/8', dev: 5, protocol: 'carrier-pigeon' }, /protocol/],
    ['pref on IPv4', { dst: '10.0.0.0/8', dev: 5, pref: 'high' }, /IPv6 routes only/],
    ['pref value', { dst: '2001:db8::/32', dev: 5, pref: 'top' as 'high' }, /'low', 'medium' or 'high'/],
    ['onlink without gateway', { dst: '10.0.0.0/8', dev: 5, onlink: true }, /onlink.*needs a gateway/],
    ['unknown metric', { dst: '10.0.0.0/8', dev: 5, metrics: { speed: 1 } as never }, /not a route metric/],
    ['bad lock', { dst: '10.0.0.0/8', dev: 5, metrics: { lock: ['nope'] } }, /lock/],
    ['mtu type', { dst: '10.0.0.0/8', dev: 5, mtu: 1.5 }, /mtu.*integer/],
    ['dev name', { dst: '10.0.0.0/8', dev: 'a/b' }, /dev/],
    ['tos on IPv6', { dst: '2001:db8::/32', dev: 5, tos: 4 }, /IPv6 routes have no tos/],
    // The kernel drops RTA_SRC on IPv4 routes without a word; ip's `src` keyword is prefsrc.
    ['src on IPv4', { dst: '10.0.0.0/8', dev: 5, src: '10.1.0.1' }, /src.*IPv4 routes have no source prefix.*prefsrc/],
    ['src on an IPv4 default route', { dst: 'default', dev: 5, src: '10.1.0.0/16' }, /prefsrc/],
  ];
  for (const [name, route, re] of bad) {
    it(name, async () => {
      const { api, t, links } = setup();
      const err = await api.add(route).catch((e) => e);
      expect(isInvalidArgumentError(err), String(err)).toBe(true);
      expect(err.message).toMatch(re);
      expect(t.sent).toHaveLength(0);
      expect(links.lookups).toEqual([]);
    });
  }

  it('get refuses a prefix and a source of the other family', async () => {
    const { api, t } = setup();
    await expect(api.get('10.0.0.0/24')).rejects.toThrow(/single destination/);
    await expect(api.get('10.0.0.1', { from: '2001:db8::1' })).rejects.toThrow(/is IPv6 but the destination is IPv4/);
    await expect(api.list({ table: -3 })).rejects.toThrow(/table/);
    expect(t.sent).toHaveLength(0);
  });

  it('an unknown device name is NotFoundError, and nothing is sent', async () => {
    const { api, t } = setup();
    const err = await api.add({ dst: '10.0.0.0/8', dev: 'nope0' }).catch((e) => e);
    expect(isNotFoundError(err)).toBe(true);
    expect(t.sent).toHaveLength(0);
  });
});
