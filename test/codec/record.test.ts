/**
 * codec/record.ts: records decode `raw` from their bytes once, on first access, and keep it out of
 * spread and JSON; a field table becomes a builder that sets the leading fields and the present
 * attributes, in table order, and a decoder selection.
 */
import { describe, expect, it } from 'vitest';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { RawRecord, recordBuilder, recordKind, tableSelection } from '../../src/codec/record.js';

const codec = rtnetlinkCodec();

describe('recordKind', () => {
  it('decodes raw from (bytes, offset) once, on first access, and keeps it out of spread and JSON', () => {
    const addr = (index: number, local: string) =>
      codec.encode({ kind: 'newaddr', header: { family: 'inet', prefixlen: 24, flags: 0, scope: 0, index }, attrs: { local } });
    const first = addr(1, '10.0.0.1');
    const second = addr(2, '10.0.0.2');
    const both = new Uint8Array(first.length + second.length);
    both.set(first);
    both.set(second, first.length);
    let decodes = 0;
    const counting = () => {
      decodes++;
      return codec;
    };
    const Rec = recordKind<{ raw: NetlinkMessage; n?: number }>(class extends RawRecord {}, counting);
    const r = new Rec(both, first.length);
    r.n = 1;
    expect(decodes).toBe(0);
    expect(r.raw.attrs).toMatchObject({ local: '10.0.0.2' });
    expect(r.raw).toBe(r.raw);
    expect(decodes).toBe(1);
    expect({ ...r }).toEqual({ n: 1 });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ n: 1 });
    const m = codec.decode(first)[0]!;
    expect(new Rec(m).raw).toBe(m); // made from a decoded message: that message
  });

  it('decodes raw with the codec of its kind; a class made otherwise says so', () => {
    const Kind = recordKind<{ raw: NetlinkMessage }>(class extends RawRecord {}, () => codec);
    expect(new Kind(codec.encode({ kind: 'getlink', header: {} })).raw.kind).toBe('getlink');
    class Stray extends RawRecord {}
    expect(() => new Stray(new Uint8Array(0)).raw).toThrow(/Stray has no codec/);
  });
});

describe('recordBuilder', () => {
  const table = { mtu: 'mtu', alias: 'ifalias', carrier: { attr: 'carrier', is: 1 } } as const;
  type Rec = { raw: NetlinkMessage; index?: number; name?: string; mtu?: number; alias?: string; carrier?: boolean };
  const Kind = recordKind<Rec>(class extends RawRecord {}, () => codec);

  it('sets the leading fields, then the attributes present under their field names, in table order', () => {
    const build = recordBuilder(Kind, ['index', 'name'], table);
    const r = build(new Uint8Array(0), 0, { carrier: 0, ifalias: 'x', other: 5 }, 3, 'eth0');
    expect(r).toBeInstanceOf(Kind);
    expect({ ...r }).toEqual({ index: 3, name: 'eth0', alias: 'x', carrier: false });
    expect(Object.keys(r)).toEqual(['index', 'name', 'alias', 'carrier']);
    const all = build(new Uint8Array(0), 0, { carrier: 1, ifalias: 'y', mtu: 1500 }, 4, 'eth1');
    expect(Object.keys(all)).toEqual(['index', 'name', 'mtu', 'alias', 'carrier']);
    expect(all.carrier).toBe(true);
  });

  it('gives the attributes a table reads as a selection, and refuses names that are not identifiers', () => {
    expect(tableSelection(table)).toEqual({ mtu: true, ifalias: true, carrier: true });
    expect(() => recordBuilder(Kind, [], { 'a-b': 'x' })).toThrow(/not a field or attribute name/);
    expect(() => recordBuilder(Kind, [], { x: '__proto__' })).toThrow(/not a field or attribute name/);
  });
});
