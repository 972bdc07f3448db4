/**
 * A sub-message whose selector is an enum (NFTA_OBJ_TYPE, RTA_ENCAP_TYPE): the decoder shows the
 * selector by name and picks the set by it; a request may give the selector as a number, as the
 * generated types allow, and its data must still encode by the set that number names.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolCodec } from '../../src/codec/message.js';
import { defineFamily } from '../../protocol/spec.js';

const spec = defineFamily({
  name: 'seltest',
  protocol: 31,
  definitions: {
    hdr: { type: 'struct', members: [{ name: 'x', type: 'u32' }] },
    kinds: { type: 'enum', entries: { counter: 1, quota: 2 } },
  },
  attributeSets: {
    obj: {
      attributes: [
        { name: 'type', value: 1, type: 'u32', byteOrder: 'big-endian', enum: 'kinds' },
        { name: 'data', value: 2, type: 'sub-message', subMessage: 'by-type', selector: 'type' },
      ],
    },
    counter: { attributes: [{ name: 'packets', value: 1, type: 'u32' }] },
    quota: { attributes: [{ name: 'bytes', value: 1, type: 'u32' }] },
  },
  subMessages: { 'by-type': { counter: 'counter', quota: 'quota' } },
  messages: { msg: { value: 100, header: 'hdr', attributes: 'obj' } },
});

const codec = new ProtocolCodec([spec]);

describe('a sub-message chosen by an enum selector', () => {
  it('encodes the same whether the selector is given by name or by number', () => {
    const byName = codec.encode({ kind: 'msg', header: { x: 0 }, attrs: { type: 'quota', data: { bytes: 9 } } });
    const byNumber = codec.encode({ kind: 'msg', header: { x: 0 }, attrs: { type: 2, data: { bytes: 9 } } });
    expect(byNumber).toEqual(byName);
    expect(codec.decode(byNumber)[0]!.attrs).toEqual({ type: 'quota', data: { bytes: 9 } });
  });

  it('a number the enum does not name still needs raw data', () => {
    expect(() => codec.encode({ kind: 'msg', header: { x: 0 }, attrs: { type: 7, data: { bytes: 9 } } })).toThrow(/pass raw bytes/);
    const raw = codec.encode({ kind: 'msg', header: { x: 0 }, attrs: { type: 7, data: Uint8Array.from([8, 0, 1, 0, 9, 0, 0, 0]) } });
    expect(codec.decode(raw)[0]!.attrs).toEqual({ type: 7, data: Uint8Array.from([8, 0, 1, 0, 9, 0, 0, 0]) });
  });
});
