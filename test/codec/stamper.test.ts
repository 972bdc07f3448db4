/**
 * codec/stamper.ts: a stamp writes its fields as the spec lays them out (size, byte order, bytes of
 * the template's length), so a stamped message is byte for byte what the encoder makes of the same
 * values; a field the spec lays out otherwise is refused when the stamp is made.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineFamily } from '../../protocol/spec.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { messageStamper } from '../../src/codec/stamper.js';

const spec = defineFamily({
  name: 'stamp-fixture',
  protocol: 0,
  definitions: {
    hdr: {
      type: 'struct',
      members: [
        { name: 'kind', type: 'u8' },
        { name: 'pad', type: 'pad', len: 1 },
        { name: 'port', type: 'u16', byteOrder: 'big-endian' },
        { name: 'index', type: 's32' },
      ],
    },
  },
  attributeSets: {
    top: {
      attributes: [
        { name: 'addr', value: 1, type: 'binary', display: 'ipaddr' },
        { name: 'mark', value: 2, type: 'u32' },
        { name: 'vid', value: 3, type: 'u16', byteOrder: 'big-endian' },
        { name: 'name', value: 4, type: 'string' },
      ],
    },
  },
  messages: { newthing: { value: 40, header: 'hdr', attributes: 'top' } },
});

const codec = new ProtocolCodec([spec]);
const template = { kind: 'newthing', header: { kind: 0, port: 0, index: 0 }, attrs: { addr: '::', mark: 0, vid: 0 } };
const fields = ['header.kind', 'header.port', 'header.index', ['attrs.addr', 16], 'attrs.mark', 'attrs.vid'] as const;

describe('messageStamper', () => {
  it('makes what the encoder makes of the same values (both byte orders, signed, bytes)', () => {
    const stamp = messageStamper(codec, template, fields);
    fc.assert(
      fc.property(
        fc.nat(255),
        fc.nat(0xffff),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(0xffffffff),
        fc.nat(0xffff),
        (kind, port, index, addr, mark, vid) => {
          const stamped = codec.encode({ kind: 'newthing', seq: 3, encoded: stamp(kind, port, index, addr, mark, vid) });
          const encoded = codec.encode({ kind: 'newthing', seq: 3, header: { kind, port, index }, attrs: { addr, mark, vid } });
          expect(stamped).toEqual(encoded);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses bytes of another length than the template holds', () => {
    const stamp = messageStamper(codec, template, fields);
    expect(() => stamp(1, 2, 3, new Uint8Array(4), 5, 6)).toThrow(/attrs.addr must be 16 bytes/);
  });

  it('refuses fields the message lacks or cannot stamp, when made', () => {
    expect(() => messageStamper(codec, template, ['header.nope'])).toThrow(/has no field header.nope/);
    expect(() => messageStamper(codec, template, ['attrs.addr'])).toThrow(/give their length/);
    expect(() => messageStamper(codec, template, [['attrs.addr', 4]])).toThrow(/is 16 bytes, not 4/);
    expect(() => messageStamper(codec, { ...template, attrs: { name: 'x' } }, ['attrs.name'])).toThrow(/a string: only integers/);
  });
});
