/**
 * The one walk over netlink frames (src/codec/walk.ts): messages in a datagram, attributes in a
 * payload, struct-array records. Golden bytes built by hand, every kind of malformed length, and
 * properties against the hand-written walks it replaced (kept below as `before`, verbatim but for
 * names) and against the decoders fast-decode.ts generates, which inline the same walk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import type { FamilySpec } from '../../protocol/spec.js';
import { iterateAttrs } from '../../src/codec/byte-writer.js';
import { compileFamily } from '../../src/codec/compile.js';
import { DecodeError } from '../../src/codec/errors.js';
import { selectedSetDecoder } from '../../src/codec/fast-decode.js';
import { ProtocolCodec, makeCtx } from '../../src/codec/message.js';
import { type AttrNames, attrFrameError, recordEnd, walkAttrs, walkMessages } from '../../src/codec/walk.js';
import { Bytes, concat, nlmsg } from '../support/bytes.js';

const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** What a walk did: the frames it stepped on, then how it ended. */
type Trace = { frames: number[][]; error?: { message: string; offset: number; path: string[] } };

function traced(step: (frames: number[][]) => void): Trace {
  const frames: number[][] = [];
  try {
    step(frames);
    return { frames };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { frames, error: { message: err.message, offset: err.offset, path: err.path } };
  }
}

const attrsTrace = (b: Uint8Array, start: number, end: number, names?: AttrNames, lenient = false): Trace =>
  traced((out) => {
    const w = walkAttrs(viewOf(b), start, end, names);
    while (lenient ? w.nextValid() : w.next()) out.push([w.at, w.len, w.type, w.id, w.start, w.end]);
  });

const messagesTrace = (b: Uint8Array, lenient = false): Trace =>
  traced((out) => {
    const m = walkMessages(b);
    while (lenient ? m.nextValid() : m.next()) out.push([m.at, m.len, m.end, m.type, m.flags, m.seq, m.pid]);
  });

/** A message as the traces show it: offset, nlmsg_len, end, type, flags, seq, pid. */
const header = (view: DataView, at: number, len: number): number[] => [
  at,
  len,
  at + len,
  view.getUint16(at + 4, true),
  view.getUint16(at + 6, true),
  view.getUint32(at + 8, true),
  view.getUint32(at + 12, true),
];

/** The walks walk.ts replaced, as they were written (src/codec, src/transport/replay.ts). */
const before = {
  /** byte-writer.ts iterateAttrs: strict. */
  attrs(b: Uint8Array, start: number, end: number): Trace {
    return traced((out) => {
      const view = viewOf(b);
      let pos = start;
      while (pos < end) {
        if (end - pos < 4) throw new DecodeError(`${end - pos} trailing bytes are too short for an attribute header`, pos);
        const len = view.getUint16(pos, true);
        const type = view.getUint16(pos + 2, true);
        if (len < 4) throw new DecodeError(`attribute length ${len} is shorter than its 4-byte header`, pos);
        if (pos + len > end) throw new DecodeError(`attribute length ${len} runs ${pos + len - end} bytes past its container`, pos);
        out.push([pos, len, type, type & 0x3fff, pos + 4, pos + len]);
        pos += (len + 3) & ~3;
      }
    });
  },
  /** message.ts pathAt (template.ts and the CLI's annotate stop the same way): lenient. */
  attrsLenient(b: Uint8Array, start: number, end: number): Trace {
    return traced((out) => {
      const view = viewOf(b);
      let pos = start;
      while (pos + 4 <= end) {
        const len = view.getUint16(pos, true);
        if (len < 4 || pos + len > end) return;
        const type = view.getUint16(pos + 2, true);
        out.push([pos, len, type, type & 0x3fff, pos + 4, pos + len]);
        pos += (len + 3) & ~3;
      }
    });
  },
  /** The decoders' frame errors with names (attr-set-codec.ts, fast-decode.ts frameError). */
  frameError(pos: number, len: number, raw: number, end: number, set: AttrNames): DecodeError {
    if (raw < 0) return new DecodeError(`${end - pos} trailing bytes are too short for an attribute header`, pos, [set.name]);
    const a = set.byId[raw & 0x3fff];
    const name = a ? a.key : `type ${raw & 0x3fff}`;
    if (len < 4) return new DecodeError(`attribute length ${len} is shorter than its 4-byte header`, pos, [name]);
    return new DecodeError(`attribute length ${len} runs ${pos + len - end} bytes past its container`, pos, [name]);
  },
  /** message.ts decode() with frameEnd: strict. */
  messages(b: Uint8Array): Trace {
    return traced((out) => {
      const view = viewOf(b);
      let pos = 0;
      while (pos < b.length) {
        const left = b.length - pos;
        if (left < 16) throw new DecodeError(`${left} bytes left, too short for a 16-byte nlmsghdr`, pos, ['nlmsghdr']);
        const len = view.getUint32(pos, true);
        if (len < 16) throw new DecodeError(`nlmsg_len ${len} is shorter than the 16-byte header`, pos, ['nlmsghdr']);
        if (len > left) throw new DecodeError(`nlmsg_len ${len} runs ${len - left} bytes past the end of the data (truncated?)`, pos, ['nlmsghdr']);
        const at = pos;
        out.push(header(view, at, len));
        pos = (pos + len + 3) & ~3;
      }
    });
  },
  /** replay.ts frames(): lenient. */
  messagesLenient(b: Uint8Array): Trace {
    return traced((out) => {
      const view = viewOf(b);
      let pos = 0;
      while (pos + 16 <= b.length) {
        const len = view.getUint32(pos, true);
        if (len < 16 || pos + len > b.length) break;
        out.push(header(view, pos, len));
        pos += (len + 3) & ~3;
      }
    });
  },
  /** compile.ts struct-array records (u16 length at lenAt, a struct of `size` bytes first). */
  records(b: Uint8Array, lenAt: number, size: number, name: string): Trace {
    return traced((out) => {
      const view = viewOf(b);
      let p = 0;
      while (p < b.length) {
        if (b.length - p < size) throw new DecodeError(`${b.length - p} bytes left, too short for a ${name} (${size} bytes)`, p);
        const len = view.getUint16(p + lenAt, true);
        if (len < size) throw new DecodeError(`${name} length ${len} is shorter than its ${size}-byte header`, p);
        if (p + len > b.length) throw new DecodeError(`${name} length ${len} runs ${p + len - b.length} bytes past its container`, p);
        out.push([p, p + len]);
        p += (len + 3) & ~3;
      }
    });
  },
};

const recordsTrace = (b: Uint8Array, lenAt: number, size: number, name: string): Trace =>
  traced((out) => {
    for (let p = 0; p < b.length; ) {
      const e = recordEnd(viewOf(b), p, b.length, lenAt, size, name);
      out.push([p, e]);
      p += (e - p + 3) & ~3;
    }
  });

/** Well-framed attributes (any type, flag bits included), then a few bytes changed and a cut: mostly valid, often not. */
const attrSoup = fc
  .tuple(
    fc.array(fc.record({ type: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 24 }) }), { maxLength: 10 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.nat(),
    fc.boolean(),
  )
  .map(([attrs, muts, cut, whole]) => {
    const b = new Bytes();
    for (const a of attrs) b.attr(a.type, a.data);
    const bytes = b.build();
    for (const [pos, val] of muts) if (bytes.length > 0) bytes[pos % bytes.length] = val;
    return whole ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });

const anyBytes = fc.oneof(attrSoup, fc.uint8Array({ maxLength: 96 }));

/** Messages with random payloads, changed and cut the same way. */
const datagram = fc
  .tuple(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.nat(), fc.uint8Array({ maxLength: 30 })), {
      maxLength: 5,
    }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.nat(),
    fc.boolean(),
  )
  .map(([msgs, muts, cut, whole]) => {
    const bytes = concat(...msgs.map(([type, flags, seq, payload]) => nlmsg(type, flags, seq, seq ^ 0x5a5a, payload)));
    for (const [pos, val] of muts) if (bytes.length > 0) bytes[pos % bytes.length] = val;
    return whole ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });

const NAMES: AttrNames = { name: 'link-attrs', byId: [undefined, { key: 'address' }, undefined, { key: 'ifname' }] };

describe('walkAttrs', () => {
  // ifname "lo" (len 7, padded to 8), a nested empty linkinfo (NLA_F_NESTED), a big-endian u16
  // (NLA_F_NET_BYTEORDER, len 6, padded), and a last attribute of 5 bytes with no padding after it.
  const golden = Uint8Array.from([7, 0, 3, 0, 0x6c, 0x6f, 0, 0, /* */ 4, 0, 18, 0x80, /* */ 6, 0, 5, 0x40, 0x12, 0x34, 0, 0, /* */ 5, 0, 1, 0, 0xaa]);

  it('gives each attribute: offset, nla_len, nla_type with its flag bits, id, payload bounds', () => {
    expect(attrsTrace(golden, 0, golden.length)).toEqual({
      frames: [
        [0, 7, 3, 3, 4, 7],
        [8, 4, 0x8012, 18, 12, 12],
        [12, 6, 0x4005, 5, 16, 18],
        [20, 5, 1, 1, 24, 25],
      ],
    });
  });

  it('walks a range of a larger buffer, from a view with an offset', () => {
    const big = concat(new Uint8Array(12), golden, new Uint8Array(8));
    const inner = big.subarray(4);
    const t = attrsTrace(inner, 8, 8 + golden.length);
    expect(t.frames.map((f) => f[0]! - 8)).toEqual([0, 8, 12, 20]);
    expect(t.error).toBeUndefined();
  });

  it('an empty range has no attributes', () => {
    expect(attrsTrace(golden, 8, 8)).toEqual({ frames: [] });
    expect(attrsTrace(golden, 8, 8, NAMES, true)).toEqual({ frames: [] });
  });

  const ATTR = [8, 0, 3, 0, 1, 2, 3, 4]; // a good ifname of 4 bytes, before the bad one
  const TRAILING = /^3 trailing bytes are too short for an attribute header/;
  const SHORT = /^attribute length (0|3) is shorter than its 4-byte header/;
  const malformed: [string, number[], { message: RegExp; offset: number; named: string[] }][] = [
    ['3 trailing bytes', [...ATTR, 9, 9, 9], { message: TRAILING, offset: 8, named: ['link-attrs'] }],
    ['nla_len 0 (the endless loop)', [...ATTR, 0, 0, 1, 0], { message: SHORT, offset: 8, named: ['address'] }],
    ['nla_len 3', [3, 0, 3, 0, 0, 0, 0, 0], { message: SHORT, offset: 0, named: ['ifname'] }],
    ['nla_len past the container', [...ATTR, 12, 0, 7, 0, 1, 2, 3, 4], { message: /^attribute length 12 runs 4/, offset: 8, named: ['type 7'] }],
    ['nla_len past it, flag bits set', [9, 0, 3, 0x80, 1, 2, 3, 4], { message: /^attribute length 9 runs 1 bytes/, offset: 0, named: ['ifname'] }],
  ];

  it.each(malformed)('next() refuses %s: DecodeError at its offset, the attributes before it walked', (_what, bytes, want) => {
    const b = Uint8Array.from(bytes);
    const plain = attrsTrace(b, 0, b.length);
    const named = attrsTrace(b, 0, b.length, NAMES);
    expect(plain.error?.message).toMatch(want.message);
    expect(plain.error?.offset).toBe(want.offset);
    expect(plain.error?.path).toEqual([]);
    expect(named.error?.path).toEqual(want.named);
    expect(named.frames).toEqual(plain.frames);
    expect(plain.frames.map((f) => f[0])).toEqual(want.offset === 0 ? [] : [0]);
  });

  it.each(malformed)('nextValid() stops at %s, after the attributes before it', (_what, bytes, want) => {
    const b = Uint8Array.from(bytes);
    expect(attrsTrace(b, 0, b.length, NAMES, true)).toEqual({ frames: attrsTrace(b, 0, want.offset).frames });
  });

  it('is what the walks it replaced were, on random and mutated bytes (strict: iterateAttrs; names: the decoders)', () => {
    fc.assert(
      fc.property(anyBytes, fc.nat(), (b, s) => {
        const start = b.length === 0 ? 0 : (s % b.length) & ~3;
        expect(attrsTrace(b, start, b.length)).toEqual(before.attrs(b, start, b.length));
        const named = attrsTrace(b, start, b.length, NAMES);
        const old = before.attrs(b, start, b.length);
        if (old.error) {
          const e = old.error;
          const raw = b.length - e.offset < 4 ? -1 : viewOf(b).getUint16(e.offset + 2, true);
          const len = raw < 0 ? 0 : viewOf(b).getUint16(e.offset, true);
          const want = before.frameError(e.offset, len, raw, b.length, NAMES);
          expect(named.error).toEqual({ message: want.message, offset: want.offset, path: want.path });
        } else expect(named).toEqual(old);
      }),
      { numRuns: 4000 },
    );
  });

  it('nextValid() is what the lenient walks were (pathAt, templates, annotate)', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        expect(attrsTrace(b, 0, b.length, undefined, true)).toEqual(before.attrsLenient(b, 0, b.length));
      }),
      { numRuns: 4000 },
    );
  });

  it('attrFrameError is the error the decoders built by hand', () => {
    for (const [pos, len, raw, end] of [
      [0, 0, -1, 3],
      [8, 2, 3, 40],
      [8, 0, 0x8001, 40],
      [4, 60, 7, 40],
      [4, 60, 0xc003, 40],
    ] as const) {
      const got = attrFrameError(pos, len, raw, end, NAMES);
      const want = before.frameError(pos, len, raw, end, NAMES);
      expect([got.message, got.offset, got.path]).toEqual([want.message, want.offset, want.path]);
    }
  });

  it('iterateAttrs (public) gives the walk as objects', () => {
    expect([...iterateAttrs(golden)].map((a) => [a.offset, a.type, [...a.data]])).toEqual([
      [0, 3, [0x6c, 0x6f, 0]],
      [8, 0x8012, []],
      [12, 0x4005, [0x12, 0x34]],
      [20, 1, [0xaa]],
    ]);
    expect(() => [...iterateAttrs(Uint8Array.from([0, 0, 1, 0]))]).toThrow(/attribute length 0 is shorter than its 4-byte header \(offset 0\)/);
  });
});

describe('walkMessages', () => {
  const two = concat(nlmsg(16, 0x2, 7, 42, new Bytes().u8(1).u8(2).u8(3).u8(4).u8(5)), nlmsg(3, 0x2, 7, 42, new Bytes().u32(0)));

  it('gives each message: offset, nlmsg_len, end and the header fields; the next starts aligned', () => {
    expect(messagesTrace(two)).toEqual({
      frames: [
        [0, 21, 21, 16, 2, 7, 42],
        [24, 20, 44, 3, 2, 7, 42],
      ],
    });
    expect(walkMessages(two, 24).next()).toBe(true);
  });

  it('a last message without its padding ends the datagram', () => {
    const cut = two.subarray(0, 21);
    expect(messagesTrace(cut).frames).toEqual([[0, 21, 21, 16, 2, 7, 42]]);
  });

  it.each([
    ['a short header', 10, /^10 bytes left, too short for a 16-byte nlmsghdr/],
    ['nlmsg_len 8', 8, /^nlmsg_len 8 is shorter than the 16-byte header/],
    ['nlmsg_len past the datagram', 64, /^nlmsg_len 64 runs 48 bytes past the end of the data \(truncated\?\)/],
  ] as const)('next() refuses %s after the good messages; nextValid() stops there', (what, n, message) => {
    const tail = what === 'a short header' ? new Uint8Array(n) : new Bytes().u32(n).u16(16).u16(0).u32(0).u32(0).build();
    const bad = concat(two, tail);
    const t = messagesTrace(bad);
    expect(t.error?.message).toMatch(message);
    expect(t.error?.offset).toBe(44);
    expect(t.error?.path).toEqual(['nlmsghdr']);
    expect(t.frames).toHaveLength(2);
    expect(messagesTrace(bad, true)).toEqual({ frames: t.frames });
  });

  it('is what the walks it replaced were (ProtocolCodec.decode and frameEnd; replay frames)', () => {
    fc.assert(
      fc.property(fc.oneof(datagram, fc.uint8Array({ maxLength: 80 })), (b) => {
        expect(messagesTrace(b)).toEqual(before.messages(b));
        expect(messagesTrace(b, true)).toEqual(before.messagesLenient(b));
      }),
      { numRuns: 4000 },
    );
  });

  it('ProtocolCodec.frameEnd is the walk’s check', () => {
    const codec = new ProtocolCodec([]);
    const bad = concat(two, new Uint8Array(10));
    expect(codec.frameEnd(makeCtx(bad), 24)).toBe(44);
    expect(() => codec.frameEnd(makeCtx(bad), 44)).toThrow(messagesTrace(bad).error!.message);
  });
});

describe('recordEnd (struct-array records)', () => {
  it('is what the struct-array decoder checked by hand', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0, 2), fc.constantFrom(4, 8), (b, lenAt, size) => {
        expect(recordsTrace(b, lenAt, size, 'rtnexthop')).toEqual(before.records(b, lenAt, size, 'rtnexthop'));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the generated decoders walk as walk.ts does', () => {
  const spec = {
    name: 'walk-test',
    protocol: 0,
    definitions: { hdr: { type: 'struct', members: [{ name: 'x', type: 'u32' }] } },
    attributeSets: { none: { attributes: [] } },
    messages: { m: { value: 16, header: 'hdr', attributes: 'none' } },
  } as unknown as FamilySpec;
  const set = compileFamily(spec).sets.get('none')!;

  /** A set that knows no attribute keeps each one raw, with its place: exactly the walk, seen from outside. */
  function generated(b: Uint8Array, selective: boolean): Trace {
    return traced((out) => {
      const ctx = makeCtx(b);
      const decode = selective ? selectedSetDecoder(set, {}, 32) : set.decode;
      const o = decode(ctx, 0, b.length, 0);
      if (selective) return;
      for (const u of o.unknown ?? []) out.push([u.index, u.type, ...u.data]);
    });
  }

  function walked(b: Uint8Array, selective: boolean): Trace {
    return traced((out) => {
      let i = 0;
      for (const w = walkAttrs(viewOf(b), 0, b.length, set); w.next(); i++) if (!selective) out.push([i, w.type, ...b.subarray(w.start, w.end)]);
    });
  }

  it('the same attributes, in order, and the same DecodeError (reason, offset, path) on malformed lengths', () => {
    fc.assert(
      fc.property(anyBytes, fc.boolean(), (b, selective) => {
        const [got, want] = [generated(b, selective), walked(b, selective)];
        // A decoder that throws returns nothing: then only the errors compare.
        if (want.error) expect(got.error).toEqual(want.error);
        else expect(got).toEqual(want);
      }),
      { numRuns: 4000 },
    );
  });
});

describe('indexed arrays', () => {
  const nlctrl = new ProtocolCodec([nlctrlSpec]);

  it('a malformed element length is the walk’s DecodeError at its index', () => {
    // CTRL_CMD_NEWFAMILY with CTRL_ATTR_OPS: element 1 fine, element 2 claims 40 bytes of 12.
    const op = new Bytes().attr(1, new Bytes().u32(3)).build();
    const ops = new Bytes().attr(1, op).u16(40).u16(2).u32(0).u32(0).build();
    const m = nlmsg(0x10, 0, 1, 0, new Bytes().u8(1).u8(2).u16(0).attr(6, ops));
    try {
      nlctrl.decode(m);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DecodeError);
      const e = err as DecodeError;
      expect(e.reason).toBe('attribute length 40 runs 28 bytes past its container');
      expect(e.path).toEqual(['nlctrl:newfamily', 'ops', '[1]']);
      expect(e.offset).toBe(16 + 4 + 4 + 12);
    }
  });
});
