/**
 * codec/record.ts: records decode `raw` from their bytes once, on first access, and keep it out of
 * spread and JSON, decoded by the codec of their kind; a field table gives a decoder selection.
 */
import { describe, expect, it } from 'vitest';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { RawRecord, recordKind, tableSelection } from '../../src/codec/record.js';

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

describe('tableSelection', () => {
  it('selects the attributes a field table reads', () => {
    const table = { mtu: 'mtu', alias: 'ifalias', carrier: { attr: 'carrier', is: 1 } } as const;
    expect(tableSelection(table)).toEqual({ mtu: true, ifalias: true, carrier: true });
  });
});
