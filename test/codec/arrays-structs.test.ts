/**
 * The fast paths of the generated decoders: integer arrays read in one loop (IFLA_AF_SPEC conf
 * and stats), 64-bit values shared as small bigints, structs of other lengths than the spec's
 * (IFLA_STATS), enum scalars read inline. Each is checked against hand-built bytes and against
 * the reference interpreter, and every recorded fixture must decode the same both ways.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { decodeAttrsInterpreted, decodeStructGeneric } from '../../src/codec/compile.js';
import { DecodeError } from '../../src/codec/errors.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { formatHwaddr, formatIPv6 } from '../../src/codec/values.js';
import { Bytes, nlmsg } from '../support/bytes.js';

const RTM_NEWLINK = 16;
const IFLA_STATS = 7;
const IFLA_STATS64 = 23;
const IFLA_AF_SPEC = 26;
const IFLA_OPERSTATE = 16;
const AF_INET = 2;
const AF_INET6 = 10;
const IFLA_INET_CONF = 1;
const IFLA_INET6_CONF = 2;
const IFLA_INET6_STATS = 3;

function referenceCodec(): ProtocolCodec {
  const c = new ProtocolCodec(rtnetlinkSpecs);
  for (const fam of c.families.values()) {
    for (const set of fam.sets.values()) set.decode = (ctx, s, e, d) => decodeAttrsInterpreted(ctx, set, s, e, d);
    for (const st of fam.structs.values()) st.decode = (ctx, s, e) => decodeStructGeneric(ctx, st, s, e);
  }
  return c;
}

function outcome(c: ProtocolCodec, bytes: Uint8Array): unknown {
  try {
    return { ok: c.decode(bytes) };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { error: err.message, offset: err.offset, path: err.path };
  }
}

const u64le = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};

function link(attrs: Bytes): Uint8Array {
  return nlmsg(RTM_NEWLINK, 2, 1, 0, new Bytes().raw(new Uint8Array(16)).raw(attrs.build()));
}

function afSpec(inetConf: number[], inet6Conf: number[], inet6Stats: bigint[]): Uint8Array {
  const inet = new Bytes().attr(
    IFLA_INET_CONF,
    inetConf.reduce((b, v) => b.u32(v), new Bytes()),
  );
  const inet6 = new Bytes()
    .attr(
      IFLA_INET6_CONF,
      inet6Conf.reduce((b, v) => b.s32(v), new Bytes()),
    )
    .attr(
      IFLA_INET6_STATS,
      inet6Stats.reduce((b, v) => b.raw(u64le(v)), new Bytes()),
    );
  return link(new Bytes().attr(IFLA_AF_SPEC, new Bytes().attr(AF_INET, inet).attr(AF_INET6, inet6)));
}

describe('integer arrays', () => {
  const codec = new ProtocolCodec(rtnetlinkSpecs);
  const reference = referenceCodec();
  const edges64 = [0n, 1n, 38n, 255n, 256n, 0xffffffffn, 0x100000000n, 0x1_0000_00ffn, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

  it('decode u32, s32 and u64 elements exactly', () => {
    const inetConf = [0, 1, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff];
    const inet6Conf = [0, -1, 1, -2147483648, 2147483647, 64];
    const m = codec.decode(afSpec(inetConf, inet6Conf, edges64))[0]!;
    const af = (m.attrs as { afSpec: { inet: { conf: number[] }; inet6: { conf: number[]; stats: bigint[] } } }).afSpec;
    expect(af.inet.conf).toEqual(inetConf);
    expect(af.inet6.conf).toEqual(inet6Conf);
    expect(af.inet6.stats).toEqual(edges64);
    for (const v of af.inet6.stats) expect(typeof v).toBe('bigint');
    expect(Array.isArray(af.inet.conf)).toBe(true);
    expect(outcome(codec, afSpec(inetConf, inet6Conf, edges64))).toEqual(outcome(reference, afSpec(inetConf, inet6Conf, edges64)));
  });

  it('re-encode byte-exactly', () => {
    const bytes = afSpec([1, 2, 0xffffffff], [-1, 0, 7], edges64);
    const m = codec.decode(bytes)[0]!;
    expect(codec.encode({ ...m, kind: 'newlink' } as never)).toEqual(bytes);
  });

  it('a ragged length is the same DecodeError as in the interpreter', () => {
    const inet = new Bytes().attr(IFLA_INET_CONF, [1, 0, 0, 0, 2, 0]);
    const bytes = link(new Bytes().attr(IFLA_AF_SPEC, new Bytes().attr(AF_INET, inet)));
    const got = outcome(codec, bytes) as { error: string; path: string[] };
    expect(got.error).toMatch(/array of u32 has 6 bytes, not a multiple of 4/);
    expect(got.path).toEqual(['rt-link:newlink', 'afSpec', 'inet', 'conf']);
    expect(got).toEqual(outcome(reference, bytes));
  });

  it('random arrays agree with the interpreter', () => {
    const arb = fc.tuple(
      fc.array(fc.nat({ max: 0xffffffff })),
      fc.array(fc.integer({ min: -2147483648, max: 2147483647 })),
      fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }))),
    );
    fc.assert(
      fc.property(arb, ([a, b, c]) => {
        const bytes = afSpec(a, b, c);
        expect(outcome(codec, bytes)).toEqual(outcome(reference, bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('structs of other lengths', () => {
  it('shorter, exact and longer payloads match decodeStructGeneric, for more lengths than are specialised', () => {
    const codec = new ProtocolCodec(rtnetlinkSpecs);
    const reference = referenceCodec();
    // IFLA_STATS (u32 counters) and IFLA_STATS64 (u64 counters) at every length from 0 to 216.
    for (let len = 0; len <= 216; len += 4) {
      const payload = Uint8Array.from({ length: len }, (_, i) => (i * 37 + 11) & 0xff);
      const bytes = link(new Bytes().attr(IFLA_STATS, payload).attr(IFLA_STATS64, payload));
      expect(outcome(codec, bytes)).toEqual(outcome(reference, bytes));
    }
  });

  it('a 64-bit counter is a bigint of the right value whether small or not', () => {
    const codec = new ProtocolCodec(rtnetlinkSpecs);
    const vals = [0n, 255n, 256n, 1n << 32n, (1n << 64n) - 1n];
    const payload = new Bytes();
    for (let i = 0; i < 25; i++) payload.raw(u64le(vals[i % vals.length]!));
    const m = codec.decode(link(new Bytes().attr(IFLA_STATS64, payload)))[0]!;
    const st = (m.attrs as { stats64: Record<string, bigint> }).stats64;
    expect(Object.values(st).slice(0, 5)).toEqual(vals);
  });
});

describe('enum scalars read inline', () => {
  it('name known values and keep unknown ones as numbers', () => {
    const codec = new ProtocolCodec(rtnetlinkSpecs);
    const reference = referenceCodec();
    for (const v of [0, 2, 6, 7, 200]) {
      const bytes = link(new Bytes().attr(IFLA_OPERSTATE, [v]));
      expect(outcome(codec, bytes)).toEqual(outcome(reference, bytes));
    }
    expect((codec.decode(link(new Bytes().attr(IFLA_OPERSTATE, [6])))[0]!.attrs as { operstate: unknown }).operstate).toBe('up');
  });
});

describe('recorded fixtures', () => {
  it('decode the same with the generated decoders and the interpreter', () => {
    const codec = new ProtocolCodec(rtnetlinkSpecs);
    const reference = referenceCodec();
    const dir = new URL('../../fixtures/', import.meta.url);
    let n = 0;
    // Three rounds: later ones run on whatever V8 has optimised by then.
    for (let round = 0; round < 3; round++) {
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
        const fx = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { exchanges: { hex: string }[] };
        for (const ex of fx.exchanges) {
          const bytes = new Uint8Array(Buffer.from(ex.hex, 'hex'));
          expect(outcome(codec, bytes)).toEqual(outcome(reference, bytes));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(100);
  });
});

describe('presentation fast paths', () => {
  it('Ethernet addresses are the same text as the general hardware address path', () => {
    const b = Uint8Array.from([0x00, 0x1b, 0xff, 0xa0, 0x0f, 0x7e, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
    for (let start = 0; start + 6 <= b.length; start++) {
      const slow = Array.from(b.subarray(start, start + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
      expect(formatHwaddr(b, start, start + 6)).toBe(slow);
    }
    expect(formatHwaddr(new Uint8Array(6).fill(255), 0, 6)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatHwaddr(b, 0, 8)).toBe('00:1b:ff:a0:0f:7e:12:34');
    expect(formatHwaddr(b, 0, 0)).toBe('');
  });

  it('the unspecified IPv6 address is ::, and one set bit anywhere is not', () => {
    expect(formatIPv6(new Uint8Array(16), 0)).toBe('::');
    for (let i = 0; i < 16; i++) {
      const b = new Uint8Array(16);
      b[i] = 1;
      expect(formatIPv6(b, 0)).not.toBe('::');
    }
  });

  it('enums with small values name them through a table, others stay numbers', () => {
    const codec = new ProtocolCodec(rtnetlinkSpecs);
    // ifinfomsg: family u8 (address-family), type u16 (arphrd: 1 ether, 772 loopback, 65534 none).
    for (const [type, want] of [
      [1, 'ether'],
      [772, 'loopback'],
      [65534, 'none'],
      [9999, 9999],
    ] as const) {
      const hdr = new Bytes().u8(0).u8(0).u16(type).s32(1).u32(0).u32(0);
      const m = codec.decode(nlmsg(RTM_NEWLINK, 2, 1, 0, hdr))[0]!;
      expect((m.header as { type: unknown }).type).toBe(want);
    }
  });
});
