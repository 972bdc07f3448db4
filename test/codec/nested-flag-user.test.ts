/**
 * `nestedFlag: 'user'`: nests that userspace sends with NLA_F_NESTED (libmnl's mnl_attr_nest_start)
 * and the kernel without (nla_nest_start_noflag), as every nest of nf_tables. Either form decodes
 * as the nest (not as unknown), by the generated decoders and the reference interpreter alike;
 * encoding writes the flag for requests and leaves it out when encoding as the kernel, so both
 * sides' messages re-encode byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { decodeAttrsInterpreted, decodeStructGeneric } from '../../src/codec/compile.js';
import { SpecError } from '../../src/codec/errors.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { validateFamily } from '../../src/codec/spec-check.js';
import { defineFamily } from '../../protocol/spec.js';
import type { FamilySpec } from '../../protocol/spec.js';

const spec = defineFamily({
  name: 'flagtest',
  protocol: 31,
  definitions: { hdr: { type: 'struct', members: [{ name: 'x', type: 'u32' }] } },
  attributeSets: {
    top: {
      attributes: [
        { name: 'name', value: 1, type: 'string' },
        { name: 'inner', value: 2, type: 'nest', nested: 'inner', nestedFlag: 'user' },
        { name: 'always', value: 3, type: 'nest', nested: 'inner', nestedFlag: true },
        { name: 'data', value: 4, type: 'sub-message', subMessage: 'by-name', selector: 'name', nestedFlag: 'user' },
        { name: 'list', value: 5, type: 'nest', nested: 'inner', multi: true, nestedFlag: 'user' },
      ],
    },
    inner: { attributes: [{ name: 'v', value: 1, type: 'u32' }] },
  },
  subMessages: { 'by-name': { a: 'inner' } },
  messages: { msg: { value: 100, header: 'hdr', attributes: 'top' } },
});

const codec = new ProtocolCodec([spec]);
const reference = new ProtocolCodec([spec]);
for (const fam of [reference.family('flagtest')]) {
  for (const set of fam.sets.values()) set.decode = (ctx, s, e, d) => decodeAttrsInterpreted(ctx, set, s, e, d);
  for (const st of fam.structs.values()) st.decode = (ctx, s, e) => decodeStructGeneric(ctx, st, s, e);
}

/** nlmsghdr + hdr + attributes given as [type, payload] pairs. */
function message(attrs: [number, number[]][]): Uint8Array {
  const body: number[] = [];
  for (const [type, payload] of attrs) {
    const len = 4 + payload.length;
    body.push(len & 0xff, len >> 8, type & 0xff, type >> 8, ...payload);
    while (body.length % 4) body.push(0);
  }
  const total = 16 + 4 + body.length;
  return Uint8Array.from([total, 0, 0, 0, 100, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, ...body]);
}

const V = [8, 0, 1, 0, 5, 0, 0, 0]; // inner { v: 5 }
const F = 0x8000;
const user = message([
  [1, [0x61, 0]],
  [2 | F, V],
  [3 | F, V],
  [4 | F, V],
  [5 | F, V],
  [5 | F, V],
]);
const kernel = message([
  [1, [0x61, 0]],
  [2, V],
  [3 | F, V],
  [4, V],
  [5, V],
  [5, V],
]);
const decoded = { name: 'a', inner: { v: 5 }, always: { v: 5 }, data: { v: 5 }, list: [{ v: 5 }, { v: 5 }] };

describe("nestedFlag: 'user'", () => {
  for (const [name, c] of [
    ['generated decoders', codec],
    ['reference interpreter', reference],
  ] as const) {
    it(`${name}: a nest with and without NLA_F_NESTED decodes the same, nothing kept unknown`, () => {
      expect(c.decode(user, 'user')[0]!.attrs).toEqual(decoded);
      expect(c.decode(kernel)[0]!.attrs).toEqual(decoded);
    });
  }

  it('a nestedFlag: true nest still keeps the flagless form as unknown', () => {
    const odd = message([[3, V]]);
    expect(codec.decode(odd)[0]!.attrs).toEqual({ unknown: [{ type: 3, data: Uint8Array.from(V), index: 0 }] });
  });

  it('encodes the flag in requests and leaves it out when encoding as the kernel', () => {
    const m = { kind: 'msg', flags: 1, header: { x: 7 }, attrs: decoded };
    expect(codec.encode(m)).toEqual(user);
    expect(codec.encode(m, undefined, 'kernel')).toEqual(kernel);
    // the writer's mode does not stick: the next request has the flag again
    expect(codec.encode(m)).toEqual(user);
  });

  it('spec validation takes true, false and user, and nothing else', () => {
    const withFlag = (v: unknown) =>
      ({
        ...spec,
        attributeSets: { ...spec.attributeSets, top: { attributes: [{ name: 'inner', value: 2, type: 'nest', nested: 'inner', nestedFlag: v }] } },
      }) as unknown as FamilySpec;
    expect(() => validateFamily(withFlag('user'))).not.toThrow();
    expect(() => validateFamily(withFlag(true))).not.toThrow();
    expect(() => validateFamily(withFlag('kernel'))).toThrow(SpecError);
  });
});
