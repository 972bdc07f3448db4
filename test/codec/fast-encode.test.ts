/**
 * The generated set encoders (src/codec/fast-encode.ts) against the interpreter they replace once a
 * set is used often: for every message of the fixture corpora, decoded (rtnetlink fixtures, the
 * nftables dumps, and the messages nft 1.0.6 sends for the linearizer's corpus), and for those
 * values changed (keys dropped, added, reordered; values of the wrong type, flags false, lists where
 * one value goes), both give the same bytes, as userspace and as the kernel writes them, or throw
 * the same error. And a set tiers up: the interpreter first, its generated encoder after ENCODE_TIER_UP.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nfnetlinkSpec } from '../../protocol/nfnetlink.js';
import { nftablesSpec } from '../../protocol/nf-tables.js';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { encodeAttrsInterpreted } from '../../src/codec/compile.js';
import { ENCODE_TIER_UP, buildSetEncoder } from '../../src/codec/fast-encode.js';
import { ProtocolCodec, makeCtx } from '../../src/codec/message.js';
import type { CompiledSet } from '../../src/codec/types.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const NFT_SPECS = [nfnetlinkSpec, nftablesSpec];

/** Two codecs of the same specs: every set encoded by the interpreter, or by its generated encoder from the start. */
function pair(specs: ConstructorParameters<typeof ProtocolCodec>[0]): { ref: ProtocolCodec; fast: ProtocolCodec } {
  const ref = new ProtocolCodec(specs);
  const fast = new ProtocolCodec(specs);
  for (const fam of ref.families.values()) for (const set of fam.sets.values()) set.encode = (w, v, d) => encodeAttrsInterpreted(w, set, v, d);
  for (const fam of fast.families.values()) for (const set of fam.sets.values()) set.encode = buildSetEncoder(set);
  return { ref, fast };
}

interface Sample {
  codecs: { ref: ProtocolCodec; fast: ProtocolCodec };
  message: string;
  attrs: Record<string, unknown>;
}

const rt = pair(rtnetlinkSpecs);
const nft = pair(NFT_SPECS);

/** Every family message of `datagrams`, decoded with its attributes. */
function samples(codecs: Sample['codecs'], datagrams: Uint8Array[]): Sample[] {
  const out: Sample[] = [];
  for (const d of datagrams) {
    const ctx = makeCtx(d);
    for (let pos = 0; pos + 16 <= d.length; ) {
      let end: number;
      try {
        end = codecs.fast.frameEnd(ctx, pos);
      } catch {
        break;
      }
      for (const sender of ['kernel', 'user'] as const) {
        try {
          const m = codecs.fast.decodeFrame(ctx, pos, end, true, sender);
          if (m.kind !== undefined && m.attrs !== undefined && codecs.fast.messageByName(m.kind)) {
            out.push({ codecs, message: m.kind, attrs: m.attrs as Record<string, unknown> });
            break;
          }
        } catch {
          // not this sender's, or malformed: not a sample
        }
      }
      pos = (end + 3) & ~3;
    }
  }
  return out;
}

function fixtureDatagrams(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.includes('golden'))
    .flatMap((f) => loadFixture(dir + f).exchanges.map((ex) => fromHex(ex.hex)));
}

function goldenDatagrams(): Uint8Array[] {
  const golden = JSON.parse(readFileSync(`${FIXTURES}nftables/from-json-golden.json`, 'utf8')) as { cases: { nft: string[] }[] };
  return golden.cases.flatMap((c) => c.nft.map(fromHex));
}

const CORPUS: Sample[] = [
  ...samples(rt, fixtureDatagrams(FIXTURES)),
  ...samples(nft, [...fixtureDatagrams(`${FIXTURES}nftables/`), ...goldenDatagrams()]),
];

function setOf(c: ProtocolCodec, message: string): CompiledSet {
  return c.messageByName(message)!.message.attributes;
}

/** The bytes (hex) or the error message of encoding `attrs` with one codec's set encoders. */
function outcome(c: ProtocolCodec, message: string, attrs: unknown, asKernel: boolean): string {
  const w = new ByteWriter(16);
  w.asKernel = asKernel;
  try {
    setOf(c, message).encode(w, attrs as Record<string, unknown>, 0);
    return Buffer.from(w.finish()).toString('hex');
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

function same(s: Sample, attrs: unknown): void {
  for (const asKernel of [false, true])
    expect(outcome(s.codecs.fast, s.message, attrs, asKernel)).toBe(outcome(s.codecs.ref, s.message, attrs, asKernel));
}

const WRONG: unknown[] = [42, -1, 2 ** 40, 1n, 'x', '', true, false, null, [], {}, [1, 2], { a: 1 }, new Uint8Array([1, 2, 3])];

/** A changed copy of `v`: at the `at`-th object of the tree, one change `op` with value `k`. */
function mutated(v: unknown, op: number, at: number, k: number): unknown {
  const copy = structuredClone(v) as Record<string, unknown>;
  const objects: Record<string, unknown>[] = [];
  const walk = (x: unknown, depth: number) => {
    if (depth > 12 || typeof x !== 'object' || x === null || x instanceof Uint8Array) return;
    if (!Array.isArray(x)) objects.push(x as Record<string, unknown>);
    for (const y of Object.values(x)) walk(y, depth + 1);
  };
  walk(copy, 0);
  const o = objects[at % objects.length]!;
  const keys = Object.keys(o);
  const key = keys[k % Math.max(1, keys.length)];
  switch (op % 6) {
    case 0: // a key dropped
      if (key !== undefined) delete o[key];
      break;
    case 1: // a value of another type
      if (key !== undefined) o[key] = WRONG[k % WRONG.length];
      break;
    case 2: // a key no set has
      o[`bogus${k % 3}`] = WRONG[k % WRONG.length];
      break;
    case 3: // the keys in reverse order
      for (const kk of keys.reverse()) {
        const x = o[kk];
        delete o[kk];
        o[kk] = x;
      }
      break;
    case 4: // one value as a list of it (a multi attribute's form)
      if (key !== undefined) o[key] = [o[key], o[key]];
      break;
    case 5: // undefined, which is left out
      if (key !== undefined) o[key] = undefined;
      break;
  }
  return copy;
}

describe('generated set encoders', () => {
  it('the corpus has rtnetlink and nftables messages of many kinds', () => {
    const kinds = new Set(CORPUS.map((s) => s.message));
    expect(kinds.size).toBeGreaterThan(15);
    expect(kinds).toContain('newrule');
    expect(kinds).toContain('newlink');
  });

  it('encode every decoded message of the corpus as the interpreter does', () => {
    for (const s of CORPUS) same(s, s.attrs);
  });

  it('encode changed values as the interpreter does: the same bytes, or the same error', () => {
    fc.assert(
      fc.property(fc.nat(CORPUS.length - 1), fc.nat(), fc.nat(), fc.nat(), (i, op, at, k) => {
        const s = CORPUS[i]!;
        same(s, mutated(s.attrs, op, at, k));
      }),
      { numRuns: 4000 },
    );
  });

  it('a set encodes through the interpreter until it has been used ENCODE_TIER_UP times, then through its generated encoder', () => {
    const c = new ProtocolCodec(NFT_SPECS);
    const set = setOf(c, 'newtable');
    const first = set.encode;
    const w = new ByteWriter(64);
    for (let i = 1; i < ENCODE_TIER_UP; i++) set.encode(w, { name: 't' }, 0);
    expect(set.encode).toBe(first);
    set.encode(w, { name: 't' }, 0);
    expect(set.encode).not.toBe(first);
    expect(set.encode.name).toBe('encode_set');
  });
});
