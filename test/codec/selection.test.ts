/**
 * Selected decoding (AttrSelection): a message decoded with a selection has exactly the selected
 * attributes of the whole decode, skips the rest unread, and fails on malformed input only with a
 * DecodeError. Link dumps use it (LINK_FIELDS), so toLink must give the same Link either way.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINK_FIELDS, toLink } from '../../src/api/links.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { DecodeError } from '../../src/codec/errors.js';
import { selectedSetDecoder } from '../../src/codec/fast-decode.js';
import { type NetlinkMessage, makeCtx } from '../../src/codec/message.js';
import type { AttrSelection } from '../../src/codec/types.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';
import { Bytes, nlmsg } from '../support/bytes.js';

const codec = rtnetlinkCodec();
const DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Every RTM_NEWLINK the kernel sent in the fixture corpus, as [datagram, offset, end]. */
function recordedLinks(): [Uint8Array, number, number][] {
  const out: [Uint8Array, number, number][] = [];
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
    for (const ex of loadFixture(DIR + f).exchanges) {
      if (ex.dir !== 'received') continue;
      const d = fromHex(ex.hex);
      const ctx = makeCtx(d);
      for (let pos = 0; pos < d.length; ) {
        const end = codec.frameEnd(ctx, pos);
        if (ctx.view.getUint16(pos + 4, true) === 16) out.push([d, pos, end]);
        pos = (end + 3) & ~3;
      }
    }
  }
  return out;
}

/** What a selection should keep of a whole decode. */
function project(whole: Record<string, unknown>, sel: AttrSelection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(sel)) {
    const v = whole[k];
    if (v === undefined) continue;
    out[k] = s === true || typeof v !== 'object' || v instanceof Uint8Array ? v : project(v as Record<string, unknown>, s);
  }
  return out;
}

/** A Link's own fields (raw is a getter off the object, and differs by construction). */
function fields(m: NetlinkMessage): Record<string, unknown> {
  return { ...toLink(m) };
}

describe('selected decoding', () => {
  const links = recordedLinks();

  it('the corpus has link messages to check (veth, bridge, vxlan, macvlan...)', () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it('keeps exactly the selected attributes of the whole decode, nested selections included', () => {
    for (const [d, pos, end] of links) {
      const ctx = makeCtx(d);
      const whole = codec.decodeFrame(ctx, pos, end);
      const selected = codec.decodeFrame(ctx, pos, end, LINK_FIELDS);
      expect(selected.header).toEqual(whole.header);
      expect({ ...selected.attrs }).toEqual(project(whole.attrs!, LINK_FIELDS));
    }
  });

  it('toLink gives the same Link from a selected decode as from a whole one', () => {
    let withKind = 0;
    let withAddrGenMode = 0;
    for (const [d, pos, end] of links) {
      const ctx = makeCtx(d);
      const a = fields(codec.decodeFrame(ctx, pos, end));
      expect(fields(codec.decodeFrame(ctx, pos, end, LINK_FIELDS))).toEqual(a);
      if (a.kind !== undefined) withKind++;
      if (a.addrGenMode !== undefined) withAddrGenMode++;
    }
    // The comparison covered kind-selected data and a nested selection, not just empty fields.
    expect(withKind).toBeGreaterThan(5);
    expect(withAddrGenMode).toBeGreaterThan(5);
  });

  it('brings along the attribute a selected value depends on (linkinfo data needs kind)', () => {
    const [d, pos, end] = links.find(
      ([d, p, e]) => (codec.decodeFrame(makeCtx(d), p, e).attrs!.linkinfo as { data?: unknown } | undefined)?.data !== undefined,
    )!;
    const sel = { linkinfo: { data: true } } as const;
    const m = codec.decodeFrame(makeCtx(d), pos, end, sel);
    const whole = codec.decodeFrame(makeCtx(d), pos, end);
    const info = whole.attrs!.linkinfo as Record<string, unknown>;
    expect(m.attrs!.linkinfo).toEqual({ kind: info.kind, data: info.data });
    expect(Object.keys(m.attrs!)).toEqual(['linkinfo']);
  });

  it('refuses a selection naming an attribute the set does not have', () => {
    const [d, pos, end] = links[0]!;
    expect(() => codec.decodeFrame(makeCtx(d), pos, end, { ifnam: true })).toThrow(/selection names "ifnam", which attribute set link does not have/);
  });

  it('skips a malformed nest it does not select, and reports one it does', () => {
    // IFLA_AF_SPEC whose inner attribute runs past the nest, then IFLA_IFNAME.
    const bad = new Bytes().u16(40).u16(2).u32(0);
    const m = nlmsg(16, 0, 1, 0, new Bytes().raw(new Uint8Array(16)).attr(26, bad).attr(3, new Bytes().str('x0')));
    const ctx = makeCtx(m);
    const end = codec.frameEnd(ctx, 0);
    expect(codec.decodeFrame(ctx, 0, end, { ifname: true }).attrs).toEqual({ ifname: 'x0' });
    expect(() => codec.decodeFrame(ctx, 0, end, { afSpec: { inet: true } })).toThrow(DecodeError);
    expect(() => codec.decodeFrame(ctx, 0, end)).toThrow(DecodeError);
  });

  it('truncated and mutated link messages give a result or a DecodeError', () => {
    fc.assert(
      fc.property(
        fc.nat(links.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (i, muts, cut) => {
          const [d, pos, end] = links[i]!;
          const m = d.slice(pos, end);
          for (const [p, v] of muts) m[16 + (p % (m.length - 16))] = v;
          const n = Math.max(16, cut % (m.length + 1));
          const t = m.slice(0, n);
          new DataView(t.buffer).setUint32(0, n, true); // the frame itself stays valid: what is inside is cut
          try {
            codec.decodeFrame(makeCtx(t), 0, n, LINK_FIELDS);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw new Error(`non-DecodeError thrown: ${String(err)}`, { cause: err });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('the selected-decoder cache', () => {
  // The API's selections are module constants, but a caller may pass a fresh literal per dump.
  const links = recordedLinks();
  const decode = (sel: AttrSelection, i = 0): NetlinkMessage => {
    const [d, pos, end] = links[i % links.length]!;
    return codec.decodeFrame(makeCtx(d), pos, end, sel);
  };

  it('a selection object seen before is found without reading it again (no serialising on the hot path)', () => {
    let reads = 0;
    const sel = new Proxy({ ifname: true, mtu: true, linkinfo: { kind: true } } as AttrSelection, {
      ownKeys: (t) => {
        reads++;
        return Reflect.ownKeys(t);
      },
      get: (t, k) => {
        reads++;
        return Reflect.get(t, k);
      },
    });
    decode(sel);
    reads = 0;
    for (let i = 0; i < 100; i++) decode(sel, i);
    expect(reads).toBe(0);
  });

  it('fresh selection objects of the same content share one decoder', () => {
    const [d, pos, end] = links[0]!;
    const set = codec.messageByType(16)!.message.attributes;
    const a = selectedSetDecoder(set, { ifname: true, linkinfo: { kind: true, data: true } }, 32);
    const b = selectedSetDecoder(set, { linkinfo: { data: true, kind: true }, ifname: true }, 32);
    expect(b).toBe(a);
    expect(codec.decodeFrame(makeCtx(d), pos, end, { ifname: true }).attrs).toEqual(codec.decodeFrame(makeCtx(d), pos, end, { ifname: true }).attrs);
  });

  it('3,000 dumps with fresh selection objects, same or different, keep no more than a bounded cache', () => {
    const names = [...codec.messageByType(16)!.message.attributes.byName.keys()].filter((k) => k !== 'linkinfo');
    const gc = collector();
    const run = (n: number, offset: number): void => {
      for (let i = 0; i < n; i++) {
        const j = offset + i;
        // Half the same content as fresh literals, half distinct combinations of attributes.
        const sel: Record<string, true> = {};
        if (j % 2 === 0) Object.assign(sel, { ifname: true, mtu: true });
        else for (let b = 0; b < 12; b++) if ((j >> 1) & (1 << b)) sel[names[b]!] = true;
        decode(sel, j);
      }
    };
    run(200, 0); // warm: the code paths themselves compiled
    gc();
    const before = process.memoryUsage().heapUsed;
    run(3000, 200);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(1024 * 1024);
  });
});

/** global.gc, without starting node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
