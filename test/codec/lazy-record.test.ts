/**
 * codec/lazy-record.ts: dump records decoded on first read behave as the eager records do for
 * everything that looks at them as data (spread, keys, JSON, deep equality, inspect, `in`),
 * read their quick fields without decoding the rest, keep what the caller writes, and surface
 * malformed bytes as a DecodeError of the read.
 */
import { inspect, isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LINK_ATTRS, type Link, lazyLinks, toLink } from '../../src/api/link-fields.js';
import { lazyRoute, toRoute } from '../../src/api/route-fields.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { DecodeError } from '../../src/codec/errors.js';
import { datagramCtxs, lazyKind, lazyRecord } from '../../src/codec/lazy-record.js';
import { type NetlinkMessage, makeCtx } from '../../src/codec/message.js';
import { RawRecord, recordKind } from '../../src/codec/record.js';

const codec = rtnetlinkCodec();

/** A datagram of the given messages, as the kernel writes them. */
function datagram(...msgs: Parameters<typeof codec.encode>[0][]): { bytes: Uint8Array; offsets: number[] } {
  const parts = msgs.map((m) => codec.encode(m, undefined, 'kernel'));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, offsets };
}

const header = { family: 0, type: 'ether', index: 7, flags: ['up', 'broadcast', 'lower_up'], change: 0 };
const richAttrs = {
  ifname: 'veth-a',
  mtu: 1500,
  txqlen: 1000,
  operstate: 'up',
  address: '02:00:00:00:00:01',
  broadcast: 'ff:ff:ff:ff:ff:ff',
  master: 3,
  ifalias: 'uplink',
  carrier: 1,
  linkinfo: { kind: 'veth' },
  propList: { altIfname: ['alt-one'] },
};

/** Lazy links of a datagram, through the mapper a link dump uses. */
function lazyLinksOf(bytes: Uint8Array, offsets: number[]): Link[] {
  const map = lazyLinks();
  return offsets.map((o) => map({ type: new DataView(bytes.buffer, bytes.byteOffset).getUint16(o + 4, true) }, bytes, o)!);
}

describe('lazy records', () => {
  it('a lazy link is, as data, the eager link: spread, keys in order, JSON, deep equality, inspect, in', () => {
    const { bytes, offsets } = datagram(
      { kind: 'newlink', header, attrs: richAttrs },
      { kind: 'newlink', header: { ...header, index: 8, flags: [] }, attrs: { ifname: 'lo2' } },
    );
    const lazy = lazyLinksOf(bytes, offsets);
    const eager = codec.decode(bytes).map((m) => toLink(m));
    for (let i = 0; i < 2; i++) {
      expect(Object.keys(lazy[i]!)).toEqual(Object.keys(eager[i]!));
      expect({ ...lazy[i] }).toEqual({ ...eager[i] });
      expect(JSON.stringify(lazy[i])).toBe(JSON.stringify(eager[i]));
      expect(isDeepStrictEqual({ ...lazy[i] }, { ...eager[i] })).toBe(true);
      expect(isDeepStrictEqual(lazy[i], eager[i])).toBe(true);
      expect(lazy[i]).toEqual(eager[i]);
    }
    expect(lazy[0]!.raw.attrs).toMatchObject({ ifname: 'veth-a', mtu: 1500 });
    expect('alias' in lazy[0]!).toBe(true);
    expect('alias' in lazy[1]!).toBe(false);
    expect(inspect(lazyLinksOf(bytes, offsets)[0])).toContain("alias: 'uplink'");
  });

  it('reads quick fields from the bytes and decodes the rest only when another field is read', () => {
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: richAttrs });
    let fills = 0;
    const Kind = recordKind<Link>(class extends RawRecord {}, rtnetlinkCodec);
    const counting = lazyKind<Link>(['index', 'name', 'mtu', 'alias'], { index: () => 7, name: () => 'quick' }, (t) => {
      fills++;
      t.mtu = 1500;
    });
    const link = lazyRecord(Kind, counting, makeCtx(bytes), offsets[0]!);
    expect([link.index, link.name, link.name]).toEqual([7, 'quick', 'quick']);
    expect(fills).toBe(0);
    // Promise resolution, symbols, methods: not fields, nothing decoded.
    expect((link as unknown as { then?: unknown }).then).toBeUndefined();
    expect(typeof link.toString).toBe('function');
    expect(fills).toBe(0);
    expect(link.mtu).toBe(1500);
    expect(link.alias).toBeUndefined();
    expect(fills).toBe(1);
  });

  it('the quick fields of the real kinds equal the decoded ones', () => {
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: richAttrs }, { kind: 'newlink', header, attrs: {} });
    const [a, b] = lazyLinksOf(bytes, offsets);
    expect([a!.index, a!.name]).toEqual([7, 'veth-a']);
    expect([b!.index, b!.name]).toEqual([7, undefined]);
    const eager = toLink(codec.decode(bytes)[0]!);
    expect([a!.index, a!.name]).toEqual([eager.index, eager.name]);
  });

  it('keeps what the caller writes before the record was decoded', () => {
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: richAttrs });
    const [link] = lazyLinksOf(bytes, offsets);
    const l = link as Link & { note?: string };
    l.mtu = 9000;
    l.note = 'mine';
    expect(l.mtu).toBe(9000);
    expect(l.address).toBe('02:00:00:00:00:01');
    expect({ ...l }).toMatchObject({ mtu: 9000, note: 'mine', name: 'veth-a' });
    const [other] = lazyLinksOf(bytes, offsets);
    delete (other as Partial<Link>).alias;
    expect('alias' in other!).toBe(false);
    expect(other!.master).toBe(3);
    const [frozen] = lazyLinksOf(bytes, offsets);
    Object.freeze(frozen);
    expect(frozen!.mtu).toBe(1500);
    expect(Object.isFrozen(frozen)).toBe(true);
  });

  it('malformed bytes are a DecodeError of the read, every time, quick or not', () => {
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: { mtu: 1500, ifname: 'x' } });
    const bad = bytes.slice();
    // The first attribute (after nlmsghdr 16 + ifinfomsg 16) claims to run past the message.
    new DataView(bad.buffer).setUint16(32, 0x7ff0, true);
    const [link] = lazyLinksOf(bad, offsets);
    expect(() => link!.name).toThrow(DecodeError);
    expect(() => link!.mtu).toThrow(DecodeError);
    expect(() => link!.mtu).toThrow(DecodeError);
    expect(() => ({ ...link })).toThrow(DecodeError);
  });

  it('structuredClone refuses a lazy record; its spread is plain data', () => {
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: { ifname: 'x', mtu: 1400 } });
    const [link] = lazyLinksOf(bytes, offsets);
    expect(() => structuredClone(link)).toThrow();
    expect(structuredClone({ ...link })).toMatchObject({ name: 'x', mtu: 1400 });
  });

  it('a lazy route is, as data, the eager route; family and dst read alone', () => {
    const routes: Parameters<typeof codec.encode>[0][] = [
      {
        kind: 'newroute',
        header: { family: 'inet', dstLen: 24, srcLen: 0, tos: 0, table: 'main', protocol: 'static', scope: 'universe', type: 'unicast', flags: [] },
        attrs: { dst: '10.1.2.0', gateway: '192.0.2.1', oif: 2, priority: 100, table: 254 },
      },
      {
        kind: 'newroute',
        header: { family: 'inet6', dstLen: 0, srcLen: 0, tos: 0, table: 'main', protocol: 'ra', scope: 'universe', type: 'unicast', flags: [] },
        attrs: { gateway: 'fe80::1', oif: 2, table: 254 },
      },
    ];
    const { bytes, offsets } = datagram(...routes);
    const ctxOf = datagramCtxs();
    const lazy = offsets.map((o) => lazyRoute(ctxOf(bytes), o));
    const eager = codec.decode(bytes).map((m: NetlinkMessage) => toRoute(m));
    expect(lazy.map((r) => [r.family, r.dst])).toEqual([
      ['inet', '10.1.2.0/24'],
      ['inet6', 'default'],
    ]);
    for (let i = 0; i < 2; i++) {
      expect(Object.keys(lazy[i]!)).toEqual(Object.keys(eager[i]!));
      expect(lazy[i]).toEqual(eager[i]);
    }
  });

  it('a message too short for its fixed header has no header fields to read quickly (nothing read past it)', () => {
    const short = new Uint8Array(20); // nlmsghdr + 4 bytes: no room for a 12-byte rtmsg
    const v = new DataView(short.buffer);
    v.setUint32(0, 20, true);
    v.setUint16(4, 24, true); // RTM_NEWROUTE
    short[16] = 2;
    const route = lazyRoute(makeCtx(short), 0);
    expect(route.family).toBeUndefined();
  });

  it('every field of a Link, read first on a fresh lazy link, is its decoded value', () => {
    // One value for every attribute of the table, so that the eager Link has every field.
    const all: Record<string, unknown> = {
      ...richAttrs,
      linkinfo: { kind: 'bridge', slaveKind: 'bridge' },
      afSpec: { inet6: { addrGenMode: 'none' } },
    };
    Object.values(LINK_ATTRS).forEach((from, i) => {
      const attr = typeof from === 'string' ? from : from.attr;
      all[attr] ??= ['qdisc', 'ifalias'].includes(attr)
        ? `s${i}`
        : attr === 'permAddress'
          ? '02:00:00:00:00:09'
          : attr === 'linkmode'
            ? 'dormant'
            : 100 + i;
    });
    const { bytes, offsets } = datagram({ kind: 'newlink', header, attrs: all });
    const eager = toLink(codec.decode(bytes)[0]!) as unknown as Record<string, unknown>;
    expect(Object.keys(eager).length).toBeGreaterThan(Object.keys(LINK_ATTRS).length + 8);
    for (const field of Object.keys(eager)) {
      const [link] = lazyLinksOf(bytes, offsets);
      expect((link as unknown as Record<string, unknown>)[field], field).toEqual(eager[field]);
    }
  });
});

describe('links.list() lazy unless { lazy: false }; routes.list() lazy with { lazy: true }', () => {
  it('gives the same data either way; only the lazy objects are Proxies', async () => {
    const { types } = await import('node:util');
    const { StatefulKernel } = await import('../support/stateful-kernel.js');
    const nl = new StatefulKernel().client();
    try {
      await nl.links.add({ name: 'd0', kind: 'dummy', up: true, mtu: 1400 });
      await nl.routes.add({ dst: '10.9.0.0/16', dev: 'd0' });
      const [lazyLinks, eagerLinks] = [await nl.links.list(), await nl.links.list({ lazy: false })];
      expect(lazyLinks.every((l) => types.isProxy(l))).toBe(true);
      expect(eagerLinks.some((l) => types.isProxy(l))).toBe(false);
      expect(lazyLinks.map((l) => ({ ...l }))).toEqual(eagerLinks.map((l) => ({ ...l })));
      expect(lazyLinks.find((l) => l.name === 'd0')).toMatchObject({ mtu: 1400, up: true });
      const [lazyRoutes, eagerRoutes] = [await nl.routes.list({ family: 'inet', lazy: true }), await nl.routes.list({ family: 'inet' })];
      expect(lazyRoutes.every((r) => types.isProxy(r))).toBe(true);
      expect(eagerRoutes.some((r) => types.isProxy(r))).toBe(false);
      expect(lazyRoutes.map((r) => ({ ...r }))).toEqual(eagerRoutes.map((r) => ({ ...r })));
      expect(lazyRoutes.map((r) => r.dst)).toContain('10.9.0.0/16');
      await expect(nl.links.list({ lazy: 'no' as unknown as boolean })).rejects.toThrow(/lazy.*must be true or false/);
      await expect(nl.routes.list({ lazy: 1 as unknown as boolean })).rejects.toThrow(/lazy.*must be true or false/);
    } finally {
      nl.close();
    }
  });
});
