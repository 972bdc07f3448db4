/**
 * ROUTE_FIELDS is what a route dump decodes (decodeRouteFields): toRoute must give the same Route
 * from it as from the whole message, over routes with every field toRoute fills, and with
 * attributes it does not read. The dump's filter reads rtm_family and rtm_flags as numbers.
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_FIELDS, decodeRouteFields, routeFamilyNumber, routeFlagsNumber, toRoute } from '../../src/api/route-fields.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { type OutgoingMessage, makeCtx } from '../../src/codec/message.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';

const header = (over: Record<string, unknown> = {}) => ({
  family: 'inet',
  dstLen: 24,
  srcLen: 0,
  tos: 0,
  table: 'main',
  protocol: 'static',
  scope: 'universe',
  type: 'unicast',
  flags: [],
  ...over,
});

const ROUTES: { name: string; header: Record<string, unknown>; attrs: Record<string, unknown> }[] = [
  { name: 'via gateway', header: header(), attrs: { dst: '10.1.2.0', gateway: '192.0.2.1', oif: 2, priority: 100, table: 254 } },
  {
    name: 'host route, /32',
    header: header({ dstLen: 32, protocol: 'boot' }),
    attrs: { dst: '10.0.39.15', gateway: '192.0.2.2', oif: 3, table: 254 },
  },
  { name: 'default', header: header({ dstLen: 0 }), attrs: { gateway: '192.0.2.1', oif: 2, table: 254 } },
  {
    name: 'local, prefsrc, scope host',
    header: header({ dstLen: 32, table: 'local', protocol: 'kernel', scope: 'host', type: 'local' }),
    attrs: { dst: '192.0.2.1', prefsrc: '192.0.2.1', oif: 2, table: 255 },
  },
  {
    name: 'multipath, with a via nexthop',
    header: header({ flags: ['onlink'] }),
    attrs: {
      dst: '10.2.0.0',
      table: 1000,
      multipath: [
        { flags: ['onlink'], hops: 0, ifindex: 2, attrs: { gateway: '192.0.2.1' } },
        { flags: [], hops: 4, ifindex: 3, attrs: { via: { family: 'inet6', addr: 'fe80::1' } } },
      ],
    },
  },
  {
    name: 'IPv4 via an IPv6 gateway',
    header: header({ dstLen: 8 }),
    attrs: { dst: '10.0.0.0', via: { family: 'inet6', addr: '2001:db8::1' }, oif: 2 },
  },
  {
    name: 'metrics with mtu and lock, mark, uid, iif',
    header: header(),
    attrs: { dst: '10.3.0.0', oif: 2, metrics: { mtu: 1400, lock: ['mtu'], hoplimit: 3 }, mark: 7, uid: 1000, iif: 4 },
  },
  {
    name: 'IPv6, cacheinfo expires, pref, src',
    header: header({ family: 'inet6', dstLen: 64, srcLen: 48, protocol: 'ra' }),
    attrs: {
      dst: '2001:db8:1::',
      src: '2001:db8:2::',
      gateway: 'fe80::1',
      oif: 2,
      priority: 1024,
      table: 254,
      pref: 'high',
      cacheinfo: { clntref: 0, lastuse: 0, expires: 179900, error: 0, used: 0, id: 0, ts: 0, tsage: 0 },
    },
  },
  {
    name: 'IPv6 default, no expiry',
    header: header({ family: 'inet6', dstLen: 0 }),
    attrs: { gateway: 'fe80::2', oif: 2, cacheinfo: { expires: 0 } },
  },
  { name: 'nexthop object', header: header({ dstLen: 16 }), attrs: { dst: '10.4.0.0', nhId: 12, table: 254 } },
  {
    name: 'attributes toRoute does not read (flow, encap, ttl propagate)',
    header: header(),
    attrs: { dst: '10.5.0.0', oif: 2, flow: 0x10002, encapType: 'ip', encap: { id: 5n, dst: '198.51.100.1', ttl: 9 }, ttlPropagate: 1 },
  },
  { name: 'cloned, unreachable', header: header({ dstLen: 32, type: 'unreachable', flags: ['cloned'] }), attrs: { dst: '10.6.0.1' } },
];

function encoded(r: (typeof ROUTES)[number]): Uint8Array {
  return rtnetlinkCodec().encode({ kind: 'newroute', header: r.header, attrs: r.attrs } as OutgoingMessage, undefined, 'kernel');
}

describe('ROUTE_FIELDS and decodeRouteFields', () => {
  it.each(ROUTES)('toRoute from the selected decode equals toRoute from the whole message: $name', (r) => {
    const bytes = encoded(r);
    const whole = rtnetlinkCodec().decode(bytes)[0]!;
    const selected = decodeRouteFields(makeCtx(bytes), 0);
    const [a, b] = [toRoute(whole), toRoute(selected, bytes, 0)];
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toEqual(a);
    // raw stays the whole message
    expect(b.raw).toEqual(whole);
  });

  it('the same over a recorded route dump', () => {
    const fx = loadFixture(new URL('../../fixtures/route-dump.json', import.meta.url).pathname);
    let routes = 0;
    for (const x of fx.exchanges) {
      if (x.dir !== 'received') continue;
      const d = fromHex(x.hex);
      const ctx = makeCtx(d);
      for (let at = 0; at < d.length; at += (ctx.view.getUint32(at, true) + 3) & ~3) {
        const whole = rtnetlinkCodec().decodeFrame(ctx, at, at + ctx.view.getUint32(at, true));
        if (whole.kind !== 'newroute') continue;
        const selected = toRoute(decodeRouteFields(ctx, at), d, at);
        expect(Object.keys(selected)).toEqual(Object.keys(toRoute(whole)));
        expect(selected).toEqual(toRoute(whole));
        routes++;
      }
    }
    expect(routes).toBeGreaterThan(3);
  });

  it('names only attributes of the route set', () => {
    const set = rtnetlinkCodec().messageByName('newroute')!.message.attributes;
    for (const k of Object.keys(ROUTE_FIELDS)) expect(set.byName.has(k), k).toBe(true);
  });

  it('rtm_family and rtm_flags read as numbers agree with the decoded header; a message too short for an rtmsg is AF_UNSPEC', () => {
    for (const r of ROUTES) {
      const bytes = encoded(r);
      const ctx = makeCtx(bytes);
      const h = rtnetlinkCodec().decode(bytes)[0]!.header as { family: string; flags: string[] };
      expect(routeFamilyNumber(ctx, 0)).toBe(h.family === 'inet' ? 2 : 10);
      expect((routeFlagsNumber(ctx, 0) & 0x200) !== 0).toBe(h.flags.includes('cloned'));
    }
    const short = new Uint8Array(20);
    new DataView(short.buffer).setUint32(0, 20, true);
    short[16] = 2;
    expect(routeFamilyNumber(makeCtx(short), 0)).toBe(0);
  });
});
