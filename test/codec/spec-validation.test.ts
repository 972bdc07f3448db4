/**
 * Specs are data, and code is generated from them (fast-decode.ts): every spec is validated when it
 * is compiled, and a spec that is wrong in any way (types, ranges, names, references) fails then
 * with a SpecError naming the place, before any code is generated. Crafted specs must never run
 * code of their own.
 */
import { describe, expect, it } from 'vitest';
import * as protocol from '../../protocol/index.js';
import { netlinkSpec, rtnetlinkSpecs } from '../../protocol/index.js';
import type { FamilySpec } from '../../protocol/spec.js';
import { compileFamily, markValidated } from '../../src/codec/compile.js';
import { SpecError, isSpecError } from '../../src/codec/errors.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { validateFamily } from '../../src/codec/spec-check.js';
import { Bytes, nlmsg } from '../support/bytes.js';

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A small valid family touching every attribute type, rebuilt per test so tests can break it. */
function base(): Mutable {
  return {
    name: 'rt-x',
    protocol: 0,
    definitions: {
      colour: { type: 'enum', entries: { red: 1, green: 2 } },
      bits: { type: 'flags', entries: { a: 1, b: 2 } },
      hdr: {
        type: 'struct',
        members: [
          { name: 'family', type: 'u8', enum: 'colour' },
          { name: 'pad', type: 'pad', len: 3 },
          { name: 'mac', type: 'binary', len: 8, display: 'hwaddr' },
          { name: 'index', type: 'u32' },
        ],
      },
      rec: {
        type: 'struct',
        members: [
          { name: 'len', type: 'u16' },
          { name: 'hops', type: 'u8' },
          { name: 'pad', type: 'pad', len: 1 },
        ],
      },
      tailed: {
        type: 'struct',
        members: [
          { name: 'family', type: 'u16' },
          { name: 'addr', type: 'binary' },
        ],
      },
    },
    attributeSets: {
      top: {
        prefix: 'XA_',
        attributes: [
          { name: 'id', value: 1, type: 'u32', enum: 'colour' },
          { name: 'label', value: 2, type: 'string' },
          { name: 'on', value: 3, type: 'flag' },
          { name: 'nest', value: 4, type: 'nest', nested: 'inner', nestedFlag: true },
          { name: 'st', value: 5, type: 'struct', struct: 'hdr' },
          { name: 'kind', value: 6, type: 'string' },
          { name: 'data', value: 7, type: 'sub-message', subMessage: 'by-kind', selector: 'kind' },
          { name: 'hops', value: 8, type: 'struct-array', struct: 'rec', nested: 'inner', lengthMember: 'len' },
          { name: 'arr', value: 9, type: 'binary', subType: 'u32' },
          { name: 'via', value: 10, type: 'struct', struct: 'tailed' },
          { name: 'port', value: 11, type: 'u16', byteOrder: 'big-endian', multi: true },
          { name: 'mask', value: 12, type: 'u32', enum: 'bits', doc: 'flags' },
          { name: 'withHdr', value: 13, type: 'nest', nested: 'inner', header: 'hdr' },
        ],
      },
      inner: { attributes: [{ name: 'x', value: 1, type: 'u64' }] },
    },
    subMessages: { 'by-kind': { veth: 'inner' } },
    messages: { newx: { value: 100, header: 'hdr', attributes: 'top' } },
    mcastGroups: [{ name: 'x', value: 1 }],
  };
}

/** A message of the base family with every attribute, so every generated decoder is built and run. */
function sample(): Uint8Array {
  const hdr = new Bytes().u8(1).raw([0, 0, 0]).raw([2, 0, 0, 0, 0, 1, 0, 0]).u32(7);
  const inner = new Bytes().attr(1, new Bytes().u32(5).u32(0));
  return nlmsg(
    100,
    0,
    1,
    0,
    new Bytes()
      .raw(hdr.build())
      .attr(1, new Bytes().u32(1))
      .attr(2, new Bytes().str('a'))
      .attr(3, [])
      .attr(4 | 0x8000, inner)
      .attr(5, hdr)
      .attr(6, new Bytes().str('veth'))
      .attr(7, inner)
      .attr(
        8,
        new Bytes()
          .u16(4 + 12)
          .u8(1)
          .u8(0)
          .raw(inner.build()),
      )
      .attr(9, new Bytes().u32(1).u32(2))
      .attr(10, new Bytes().u16(2).raw([10, 0, 0, 1]))
      .attr(11, new Bytes().u16be(80))
      .attr(12, new Bytes().u32(3))
      .attr(13, new Bytes().raw(hdr.build()).raw(inner.build())),
  );
}

declare global {
  var pwned: unknown; // eslint-disable-line no-var
}

/**
 * Compiles `spec` and, should that succeed, decodes and encodes a message with it, so any code
 * generated from it runs. Returns what was thrown first.
 */
function attempt(spec: Mutable): unknown {
  globalThis.pwned = undefined;
  try {
    compileFamily(spec as FamilySpec);
  } catch (err) {
    return err;
  }
  try {
    const codec = new ProtocolCodec([spec as FamilySpec]);
    const [m] = codec.decode(sample());
    codec.encode({ kind: 'newx', header: m!.header, attrs: m!.attrs });
  } catch {
    // a failure after compiling is not what these tests look for
  }
  return undefined;
}

/** Asserts that compiling the spec fails with a SpecError whose path matches, and ran nothing. */
function refused(spec: Mutable, where: RegExp, reason?: RegExp): void {
  const err = attempt(spec) as { name?: string; path?: string[]; message?: string } | undefined;
  expect(globalThis.pwned).toBeUndefined();
  expect(err?.name, `compiled without a SpecError (${String(err)})`).toBe('SpecError');
  expect(err!.path!.join('.')).toMatch(where);
  expect(err!.message).toContain('rt-x');
  if (reason) expect(err!.message).toMatch(reason);
}

const members = (s: Mutable, struct = 'hdr'): Mutable[] => s.definitions[struct].members;
const attrs = (s: Mutable, set = 'top'): Mutable[] => s.attributeSets[set].attributes;

describe('specs are validated when compiled', () => {
  it('the base spec of these tests compiles, decodes and re-encodes (so refusals below are about the change)', () => {
    const spec = base();
    expect(attempt(spec)).toBeUndefined();
    const codec = new ProtocolCodec([spec as FamilySpec]);
    const [m] = codec.decode(sample());
    expect(m!.attrs!.unknown).toBeUndefined();
    expect(Object.keys(m!.attrs!)).toHaveLength(13);
  });

  it('every shipped spec is valid', () => {
    for (const spec of [netlinkSpec, ...rtnetlinkSpecs]) expect(() => compileFamily(spec)).not.toThrow();
    const all = (Object.values(protocol) as unknown[]).filter((v): v is FamilySpec => typeof v === 'object' && v !== null && 'attributeSets' in v);
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const spec of all) expect(() => validateFamily(spec), spec.name).not.toThrow();
  });

  it('a struct member len that is code is refused and never executed', () => {
    const spec = base();
    members(spec)[2]!.len = '1);globalThis.pwned=1;(';
    refused(spec, /^rt-x\.definitions\.hdr\.mac\.len$/, /len/);
    // One that parses where it lands (the struct's size, after a trailing pad) ran before validation.
    const again = base();
    members(again).push({ name: 'pad2', type: 'pad', len: '4) {globalThis.pwned=1}; if (0' });
    refused(again, /^rt-x\.definitions\.hdr\.pad2\.len$/);
  });

  it('struct member lengths: numeric strings, zero, negative, fractional, huge, Infinity, NaN', () => {
    for (const len of ['8', 0, -1, 1.5, 1e9, Infinity, NaN, 8n, null]) {
      const spec = base();
      members(spec)[2]!.len = len;
      refused(spec, /definitions\.hdr\.mac\.len$/);
    }
  });

  it('a len on a scalar member (whose size is its type) is refused', () => {
    const spec = base();
    members(spec)[3]!.len = 4;
    refused(spec, /hdr\.index\.len$/);
  });

  it('only the last binary member may omit len', () => {
    const spec = base();
    delete members(spec)[2]!.len;
    refused(spec, /hdr\.mac\.len$/);
  });

  it('names with quotes, backticks, newlines, spaces or of another type are refused', () => {
    const hostile: unknown[] = [
      'a"];globalThis.pwned=1;//',
      "a'];globalThis.pwned=1;//",
      'a`$' + '{globalThis.pwned=1}`',
      'a\nglobalThis.pwned=1',
      'a b',
      '',
      5,
      null,
      {},
      ['x'],
    ];
    for (const name of hostile) {
      const s1 = base();
      attrs(s1)[1]!.name = name;
      refused(s1, /attributeSets\.top\.attributes\[1\]\.name$/);
      const s2 = base();
      members(s2)[3]!.name = name;
      refused(s2, /definitions\.hdr\.members\[3\]\.name$/);
    }
  });

  it('__proto__ and the names the codec itself uses in decoded objects are refused', () => {
    const s1 = base();
    attrs(s1)[1]!.name = '__proto__';
    refused(s1, /attributes\[1\]\.name$/);
    const s2 = base();
    members(s2)[3]!.name = '__proto__';
    refused(s2, /members\[3\]\.name$/);
    const s3 = base();
    attrs(s3)[1]!.name = 'unknown';
    refused(s3, /attributes\[1\]\.name$/, /unknown/);
    const s4 = base();
    members(s4)[3]!.name = '_tail';
    refused(s4, /members\[3\]\.name$/, /_tail/);
    const s5 = base();
    members(s5, 'rec')[1]!.name = 'attrs';
    refused(s5, /attributeSets\.top\.hops\.struct$/, /attrs/);
  });

  it('attribute ids must be integers in 0..0x3fff (nla_type without its flag bits)', () => {
    for (const value of ['1: globalThis.pwned=1; case 2', '2', -1, 0x4000, 0x8001, 1.5, NaN, 1n, undefined]) {
      const spec = base();
      attrs(spec)[1]!.value = value;
      refused(spec, /attributeSets\.top\.label\.value$/);
    }
  });

  it('duplicate attribute ids and names, member names, message types and names are refused', () => {
    const s1 = base();
    attrs(s1)[1]!.value = 1;
    refused(s1, /attributeSets\.top\.label\.value$/, /id 1/);
    const s2 = base();
    attrs(s2)[1]!.name = 'id';
    refused(s2, /attributeSets\.top\.attributes\[1\]\.name$/, /twice/);
    const s3 = base();
    members(s3)[3]!.name = 'family';
    refused(s3, /definitions\.hdr\.members\[3\]\.name$/, /twice/);
    const s4 = base();
    s4.messages.newy = { value: 100, header: 'hdr', attributes: 'top' };
    refused(s4, /messages\.newy\.value$/, /newx/);
    const s5 = base();
    s5.mcastGroups.push({ name: 'x', value: 2 });
    refused(s5, /mcastGroups\[1\]\.name$/, /twice/);
  });

  it('message types must be integers in 16..0xffff; protocol a netlink protocol number', () => {
    for (const value of ['100', 15, 0x10000, 1.5]) {
      const spec = base();
      spec.messages.newx.value = value;
      refused(spec, /messages\.newx\.value$/);
    }
    for (const protocol of ['0', 32, -2, 0.5]) {
      const spec = base();
      spec.protocol = protocol;
      refused(spec, /^rt-x\.protocol$/);
    }
  });

  it('references to definitions, sets and sub-message tables must exist and be of the right kind', () => {
    const cases: [(s: Mutable) => void, RegExp][] = [
      [(s) => (attrs(s)[3]!.nested = 'nope'), /top\.nest\.nested$/],
      [(s) => (attrs(s)[3]!.header = 'colour'), /top\.nest\.header$/],
      [(s) => (attrs(s)[4]!.struct = 'inner'), /top\.st\.struct$/],
      [(s) => (attrs(s)[0]!.enum = 'hdr'), /top\.id\.enum$/],
      [(s) => (members(s)[0]!.enum = 'nope'), /hdr\.family\.enum$/],
      [(s) => (attrs(s)[6]!.subMessage = 'nope'), /top\.data\.subMessage$/],
      [(s) => (attrs(s)[6]!.selector = 'nope'), /top\.data\.selector$/],
      [(s) => (s.subMessages['by-kind'].veth = 'nope'), /subMessages\.by-kind\.veth$/],
      [(s) => (attrs(s)[7]!.lengthMember = 'hops'), /top\.hops\.lengthMember$/],
      [(s) => delete attrs(s)[7]!.lengthMember, /top\.hops\.lengthMember$/],
      [(s) => (s.messages.newx.header = 'nope'), /messages\.newx\.header$/],
      [(s) => (s.messages.newx.attributes = 'nope'), /messages\.newx\.attributes$/],
      [(s) => delete attrs(s)[3]!.nested, /top\.nest\.nested$/],
    ];
    for (const [change, where] of cases) {
      const spec = base();
      change(spec);
      refused(spec, where);
    }
  });

  it('types, display hints, byte orders and flags outside the vocabulary are refused', () => {
    const cases: [(s: Mutable) => void, RegExp][] = [
      [(s) => (attrs(s)[0]!.type = 'u128'), /top\.id\.type$/],
      [(s) => (attrs(s)[0]!.type = 'u32); globalThis.pwned=1; ('), /top\.id\.type$/],
      [(s) => (members(s)[3]!.type = 'string'), /hdr\.index\.type$/],
      [(s) => (attrs(s)[0]!.display = 'evil'), /top\.id\.display$/],
      [(s) => (attrs(s)[0]!.byteOrder = 'little-endian'), /top\.id\.byteOrder$/],
      [(s) => (attrs(s)[8]!.subType = 'string'), /top\.arr\.subType$/],
      [(s) => (attrs(s)[0]!.multi = 'yes'), /top\.id\.multi$/],
      [(s) => (attrs(s)[3]!.nestedflag = true), /top\.nest\.nestedflag$/],
      [(s) => (attrs(s)[1]!.struct = 'hdr'), /top\.label\.struct$/],
      [(s) => (attrs(s)[0]!.doc = 5), /top\.id\.doc$/],
      [(s) => (s.attributeSets.top.prefix = 'X"'), /top\.prefix$/],
      [(s) => (s.definitions.colour.type = 'union'), /definitions\.colour\.type$/],
    ];
    for (const [change, where] of cases) {
      const spec = base();
      change(spec);
      refused(spec, where);
    }
  });

  it('enum and flag values must be integers (flags: 32-bit masks); entry names plain words', () => {
    const cases: [(s: Mutable) => void, RegExp][] = [
      [(s) => (s.definitions.colour.entries.red = 'x'), /colour\.entries\.red$/],
      [(s) => (s.definitions.colour.entries.red = 1.5), /colour\.entries\.red$/],
      [(s) => (s.definitions.bits.entries.a = 2 ** 32), /bits\.entries\.a$/],
      [(s) => (s.definitions.bits.entries.a = -(2 ** 31) - 1), /bits\.entries\.a$/],
      [(s) => (s.definitions.colour.entries['"blue'] = 3), /colour\.entries\[2\]$/],
      [(s) => (s.definitions.colour.entries = null), /colour\.entries$/],
    ];
    for (const [change, where] of cases) {
      const spec = base();
      change(spec);
      refused(spec, where);
    }
  });

  it('a spec that is not an object, or lacks its tables, is a SpecError too', () => {
    const cases: [(s: Mutable) => void, RegExp][] = [
      [(s) => (s.definitions = null), /^rt-x\.definitions$/],
      [(s) => (s.attributeSets.top.attributes = {}), /top\.attributes$/],
      [(s) => (s.attributeSets.top.attributes[0] = 'u32'), /top\.attributes\[0\]$/],
      [(s) => (s.messages.newx = 5), /messages\.newx$/],
      [(s) => (s.mcastGroups[0].value = '1'), /mcastGroups\[0\]\.value$/],
    ];
    for (const [change, where] of cases) {
      const spec = base();
      change(spec);
      refused(spec, where);
    }
  });
});

describe('the generic netlink vocabulary is checked too', () => {
  /** The base family with its messages named by a header member, directional ids and operations. */
  function genl(): Mutable {
    const s = base();
    s.messageIds = { member: 'index', type: 0x20 };
    s.messages.getx = { value: 3, header: 'hdr', attributes: 'top', sentBy: 'user' };
    s.messages.ntfx = { value: 3, header: 'hdr', attributes: 'top', sentBy: 'kernel' };
    s.mcastGroups = [{ name: 'x' }];
    s.operations = {
      getx: { doc: 'd', do: { request: { message: 'getx', attributes: ['id'] }, reply: { message: 'newx', attributes: ['id', 'label'] } } },
      ntfx: { event: { message: 'ntfx', attributes: [] }, mcgrp: 'x' },
    };
    attrs(s, 'inner').push({ name: 'list', value: 2, type: 'indexed-array', nested: 'inner' });
    return s;
  }

  it('a valid one compiles', () => {
    expect(() => compileFamily(genl() as FamilySpec)).not.toThrow();
  });

  it('what it gets wrong is named', () => {
    const cases: [(s: Mutable) => void, RegExp][] = [
      [(s) => (s.messageIds.member = 'nope'), /messages\.newx\.header$/],
      [(s) => (s.messageIds.member = 'mac'), /messages\.newx\.header$/],
      [(s) => (s.messageIds.type = 5), /messageIds\.type$/],
      [(s) => (s.messageIds.extra = 1), /messageIds\.extra$/],
      [(s) => (s.messages.newx.value = 2 ** 32), /messages\.newx\.value$/],
      [(s) => (s.messages.ntfx.sentBy = 'both'), /messages\.ntfx\.sentBy$/],
      [(s) => delete s.messages.ntfx.sentBy, /messages\.ntfx\.value$/],
      [(s) => (s.operations.getx.do.request.message = 'nope'), /operations\.getx\.do\.request\.message$/],
      [(s) => (s.operations.getx.do.reply.attributes = ['id', 'x"']), /operations\.getx\.do\.reply\.attributes\[1\]$/],
      [(s) => (s.operations.ntfx.mcgrp = 'nope'), /operations\.ntfx\.mcgrp$/],
      [(s) => (s.operations.ntfx.notify = true), /operations\.ntfx\.notify$/],
      [(s) => delete attrs(s, 'inner')[1]!.nested, /inner\.list\.nested$/],
      [(s) => (s.mcastGroups[0].value = 0), /mcastGroups\[0\]\.value$/],
    ];
    for (const [change, where] of cases) {
      const spec = genl();
      change(spec);
      refused(spec, where);
    }
  });
});

describe('SpecError', () => {
  it('is a typed codec error with the path and a message naming it', () => {
    const spec = base();
    attrs(spec)[1]!.value = '2';
    let err: unknown;
    try {
      compileFamily(spec as FamilySpec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect(isSpecError(err)).toBe(true);
    expect((err as SpecError).path).toEqual(['rt-x', 'attributeSets', 'top', 'label', 'value']);
    expect((err as SpecError).message).toBe('spec rt-x, attributeSets.top.label.value: an attribute id must be an integer in 0..16383, got "2"');
  });

  it('a protocol given the same family twice, or two families with one message type, is refused with one', () => {
    const other = base();
    other.name = 'rt-y';
    expect(() => new ProtocolCodec([base() as FamilySpec, base() as FamilySpec])).toThrow(SpecError);
    expect(() => new ProtocolCodec([base() as FamilySpec, other as FamilySpec])).toThrow(
      /rt-y.*messages\.newx\.value: message type 100 is already rt-x\.newx/,
    );
    expect(() => new ProtocolCodec([null as unknown as FamilySpec])).toThrow(SpecError);
  });
});

describe('specs marked valid', () => {
  it("are not checked again when compiled (the package's own: see 'every shipped spec is valid'), and still run no code of their own", () => {
    const spec = base();
    const name = 'x"]=0;globalThis.pwned=1;//';
    attrs(spec)[1]!.name = name;
    expect(() => compileFamily(spec as FamilySpec)).toThrow(SpecError);
    markValidated([spec as FamilySpec]);
    expect(attempt(spec)).toBeUndefined();
    expect(globalThis.pwned).toBeUndefined();
    const [m] = new ProtocolCodec([spec as FamilySpec]).decode(sample());
    expect(m!.attrs![name]).toBe('a');
    // What the generated source cannot hold is still refused, when the decoder is made.
    const proto = base();
    attrs(proto)[1]!.name = '__proto__';
    markValidated([proto as FamilySpec]);
    expect(() => new ProtocolCodec([proto as FamilySpec]).decode(sample())).toThrow(/__proto__/);
  });
});

describe('generated source', () => {
  /** A compiled base family whose decoders are not built yet, and a way to decode with it. */
  function compiled(): { family: ReturnType<typeof compileFamily>; decode: () => void } {
    const family = compileFamily(base() as FamilySpec);
    const hdr = family.structs.get('hdr')!;
    const top = family.sets.get('top')!;
    const decode = (): void => {
      const bytes = sample();
      const ctx = { bytes, view: new DataView(bytes.buffer) };
      hdr.decode(ctx, 16, 32);
      top.decode(ctx, 32, bytes.length, 0);
    };
    return { family, decode };
  }

  it('holds only integers and JSON-quoted names, whatever the compiled tables hold by then', () => {
    const cases: [(f: ReturnType<typeof compileFamily>) => void, RegExp][] = [
      [(f) => ((f.structs.get('hdr')!.members[3] as { offset: unknown }).offset = '0) + (globalThis.pwned = 1'), /offset/],
      [(f) => ((f.structs.get('hdr')! as { size: unknown }).size = '16) {globalThis.pwned=1}; if (0'), /size/],
      [(f) => ((f.structs.get('hdr')!.members[3]!.spec as { name: unknown }).name = '__proto__'), /__proto__/],
      [(f) => ((f.sets.get('top')!.byName.get('label') as { key: unknown }).key = 7), /7/],
    ];
    for (const [change, reason] of cases) {
      const { family, decode } = compiled();
      change(family);
      globalThis.pwned = undefined;
      let err: unknown;
      try {
        decode();
      } catch (e) {
        err = e;
      }
      expect(globalThis.pwned).toBeUndefined();
      expect((err as Error | undefined)?.name).toBe('SpecError');
      expect((err as Error).message).toMatch(reason);
    }
  });
});
