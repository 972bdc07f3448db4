/**
 * Whatever the decoder returns, the encoder takes: for recorded messages of every family, and for
 * those messages mutated (attributes repeated, dropped, emptied, cut short, moved, bytes changed),
 * any message that decodes must encode again without throwing, and decoding that gives the same
 * value: decode(encode(decode(b))) deep-equals decode(b). The generated decoders and the reference
 * interpreter must agree on every one of them.
 *
 * Out of the property: a message shorter than its fixed header (the header is always encoded
 * whole, so absent members come back as zeros); mutations here leave the header's length alone.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { decodeAttrsInterpreted, decodeStructGeneric } from '../../src/codec/compile.js';
import { DecodeError } from '../../src/codec/errors.js';
import { type NetlinkMessage, ProtocolCodec, makeCtx } from '../../src/codec/message.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';

const codec = new ProtocolCodec(rtnetlinkSpecs);

/** The same specs decoded by the reference interpreter only: the generated decoders must agree on mutated messages too. */
const reference = new ProtocolCodec(rtnetlinkSpecs);
for (const fam of reference.families.values()) {
  for (const set of fam.sets.values()) set.decode = (ctx, s, e, d) => decodeAttrsInterpreted(ctx, set, s, e, d);
  for (const st of fam.structs.values()) st.decode = (ctx, s, e) => decodeStructGeneric(ctx, st, s, e);
}

function outcome(c: ProtocolCodec, bytes: Uint8Array): unknown {
  try {
    return { ok: c.decode(bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

interface Sample {
  family: string;
  /** One message, nlmsghdr included. */
  bytes: Uint8Array;
  /** Where its attributes start (after the aligned fixed header). */
  attrsAt: number;
}

/** Every family message in the fixture corpus, sent or received, one per sample. */
function corpus(): Sample[] {
  const out: Sample[] = [];
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
    for (const ex of loadFixture(DIR + f).exchanges) {
      const d = fromHex(ex.hex);
      const ctx = makeCtx(d);
      for (let pos = 0; pos < d.length; ) {
        const end = codec.frameEnd(ctx, pos);
        const found = codec.messageByType(ctx.view.getUint16(pos + 4, true));
        if (found && end - pos >= 16 + found.message.header.size) {
          out.push({ family: found.family.name, bytes: d.slice(pos, end), attrsAt: 16 + ((found.message.header.size + 3) & ~3) });
        }
        pos = (end + 3) & ~3;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Attributes as a tree, to mutate them where they are and keep every enclosing length right.

interface Attr {
  type: number;
  /** The payload as attributes, when it reads as a whole chain of them; else raw bytes. */
  children?: Attr[];
  payload: Uint8Array;
}

function parseChain(b: Uint8Array, depth = 0): Attr[] | undefined {
  const out: Attr[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p < b.length) {
    if (b.length - p < 4) return undefined;
    const len = v.getUint16(p, true);
    if (len < 4 || p + len > b.length) return undefined;
    const payload = b.slice(p + 4, p + len);
    const children = depth < 8 && payload.length >= 4 ? parseChain(payload, depth + 1) : undefined;
    out.push({ type: v.getUint16(p + 2, true), payload, children });
    p += (len + 3) & ~3;
  }
  return out;
}

function serialise(attrs: Attr[]): Uint8Array {
  const parts: number[] = [];
  for (const a of attrs) {
    const payload = a.children ? serialise(a.children) : a.payload;
    const len = 4 + payload.length;
    parts.push(len & 0xff, len >> 8, a.type & 0xff, a.type >> 8, ...payload);
    while (parts.length % 4) parts.push(0);
  }
  return Uint8Array.from(parts);
}

/** Every attribute list in the tree (the top level and each nest's), for a mutation to pick from. */
function lists(attrs: Attr[], out: Attr[][] = []): Attr[][] {
  out.push(attrs);
  for (const a of attrs) if (a.children) lists(a.children, out);
  return out;
}

type Op = 'repeat' | 'drop' | 'empty' | 'shorten' | 'move' | 'flatten' | 'retype' | 'insert' | 'kind';
const OPS: Op[] = ['repeat', 'drop', 'empty', 'shorten', 'move', 'flatten', 'retype', 'insert', 'kind'];
/** Selector values (link kinds, encap types) and other short texts, for 'kind'. */
const WORDS = ['veth', 'bridge', 'vxlan', 'macvlan', 'macvtap', 'vlan', 'bond', 'dummy', 'ip', 'mpls', 'x', ''];

function mutate(attrs: Attr[], op: Op, which: number, at: number, n: number): void {
  const all = lists(attrs).filter((l) => l.length > 0);
  if (all.length === 0) return;
  const list = all[which % all.length]!;
  const i = at % list.length;
  const a = list[i]!;
  switch (op) {
    case 'repeat': // the same attribute again, somewhere later in its list
      list.splice(i + 1 + (n % (list.length - i)), 0, structuredClone(a));
      break;
    case 'drop':
      list.splice(i, 1);
      break;
    case 'empty': // a zero-length payload
      a.children = undefined;
      a.payload = new Uint8Array(0);
      break;
    case 'shorten': {
      const p = a.children ? serialise(a.children) : a.payload;
      a.children = undefined;
      a.payload = p.slice(0, n % (p.length + 1));
      break;
    }
    case 'move':
      list.splice(n % list.length, 0, ...list.splice(i, 1));
      break;
    case 'flatten': // a nest's payload as raw bytes, then mutated byte-wise below
      if (a.children) a.payload = serialise(a.children);
      a.children = undefined;
      if (a.payload.length > 0) a.payload[n % a.payload.length] = (n >> 8) & 0xff;
      break;
    case 'retype': // another id of the same list (or with NLA_F_NESTED toggled)
      a.type = n % 3 === 0 ? a.type ^ 0x8000 : (list[n % list.length]!.type & 0x3fff) | (a.type & 0xc000);
      break;
    case 'insert': // an attribute of any id up to 80, with or without NLA_F_NESTED, of 0-15 bytes
      list.splice(i, 0, {
        type: (n % 80) | (n & 0x100 ? 0x8000 : 0),
        payload: Uint8Array.from({ length: (n >> 9) % 16 }, (_, k) => (n >> k) & 0xff),
      });
      break;
    case 'kind': // a string payload: another link kind, encap type...
      a.children = undefined;
      a.payload = Uint8Array.from(Buffer.from(`${WORDS[n % WORDS.length]}\0`));
      break;
  }
}

function rebuild(s: Sample, attrs: Attr[]): Uint8Array {
  const body = serialise(attrs);
  const out = new Uint8Array(s.attrsAt + body.length);
  out.set(s.bytes.subarray(0, s.attrsAt));
  out.set(body, s.attrsAt);
  new DataView(out.buffer).setUint32(0, out.length, true);
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Decodes, re-encodes and decodes again; throws (with the input in hex) when the property fails. */
function roundTrip(bytes: Uint8Array): boolean {
  let first: NetlinkMessage[];
  try {
    first = codec.decode(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return false; // malformed: not this property's business
    throw err;
  }
  for (const m of first) {
    if (m.family === undefined) continue;
    const again = () => codec.decode(codec.encode({ kind: m.kind!, flags: m.flags, seq: m.seq, pid: m.pid, header: m.header, attrs: m.attrs }));
    let second: NetlinkMessage[];
    try {
      second = again();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n  input ${Buffer.from(bytes).toString('hex')}`, { cause: err });
    }
    expect(second, Buffer.from(bytes).toString('hex')).toHaveLength(1);
    expect({ header: second[0]!.header, attrs: second[0]!.attrs }, Buffer.from(bytes).toString('hex')).toEqual({ header: m.header, attrs: m.attrs });
  }
  return true;
}

describe('decode -> encode -> decode', () => {
  const samples = corpus();

  it('the corpus has messages of every family', () => {
    const families = new Set(samples.map((s) => s.family));
    expect([...families].sort()).toEqual(rtnetlinkSpecs.map((s) => s.name).sort());
  });

  it('recorded messages round-trip as they are', () => {
    for (const s of samples) expect(roundTrip(s.bytes)).toBe(true);
  });

  it('a zero-length hardware address and a repeated linkinfo kind encode again', () => {
    const link = samples.find(
      (s) => s.family === 'rt-link' && parseChain(s.bytes.subarray(s.attrsAt))!.some((a) => a.type === 18 && a.children?.some((c) => c.type === 2)),
    )!;
    const attrs = parseChain(link.bytes.subarray(link.attrsAt))!;
    const info = attrs.find((a) => a.type === 18)!;
    const kind = info.children!.find((c) => c.type === 1)!;
    // IFLA_ADDRESS with no bytes, and IFLA_INFO_KIND again after IFLA_INFO_DATA, naming another kind.
    attrs.push({ type: 1, payload: new Uint8Array(0) });
    info.children!.push({ type: 1, payload: Uint8Array.from(Buffer.from('bridge\0')) });
    const bytes = rebuild(link, attrs);
    expect(roundTrip(bytes)).toBe(true);
    // As the kernel reads it: the last kind, and the data decoded by that one.
    const [m] = codec.decode(bytes);
    const linkinfo = m!.attrs!.linkinfo as { kind: string; data: object };
    expect(Buffer.from(kind.payload).toString()).not.toMatch(/^bridge/);
    expect(linkinfo.kind).toBe('bridge');
    expect(linkinfo.data).not.toBeInstanceOf(Uint8Array);
    expect(linkinfo.data).not.toHaveProperty('peer');
    expect(m!.attrs!.address).toBe('');
  });

  it('a repeated single-valued attribute is its last value, and an unknown one after it keeps its place', () => {
    // RTM_NEWADDR: IFA_LABEL twice, then attribute type 99, which no spec names.
    const s = samples.find((x) => x.family === 'rt-addr')!;
    const attrs = parseChain(s.bytes.subarray(s.attrsAt))!.filter((a) => a.type !== 3);
    attrs.push({ type: 3, payload: Uint8Array.from(Buffer.from('one\0')) }, { type: 3, payload: Uint8Array.from(Buffer.from('two\0')) });
    attrs.push({ type: 99, payload: Uint8Array.of(1, 2, 3, 4) });
    const bytes = rebuild(s, attrs);
    const [m] = codec.decode(bytes);
    expect(m!.attrs!.label).toBe('two');
    expect(m!.attrs!.unknown).toMatchObject([{ type: 99, index: attrs.length - 2 }]);
    expect(roundTrip(bytes)).toBe(true);
  });

  it('mutated messages of every family: what decodes, encodes, and decodes again to the same value', () => {
    const sample = fc.nat(samples.length - 1).map((i) => samples[i]!);
    const op = fc.record({ op: fc.constantFrom(...OPS), which: fc.nat(), at: fc.nat(), n: fc.nat() });
    let decoded = 0;
    fc.assert(
      fc.property(
        sample,
        fc.array(op, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (s, ops, bytes) => {
          const attrs = parseChain(s.bytes.subarray(s.attrsAt)) ?? [];
          for (const o of ops) mutate(attrs, o.op, o.which, o.at, o.n);
          const m = rebuild(s, attrs);
          // Byte changes after the nlmsghdr: the header's members, attribute headers and payloads.
          for (const [p, v] of bytes) if (m.length > 16) m[16 + (p % (m.length - 16))] = v;
          expect(outcome(codec, m)).toEqual(outcome(reference, m));
          if (roundTrip(m)) decoded++;
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 4000) },
    );
    expect(decoded).toBeGreaterThan(1000);
  });
});
