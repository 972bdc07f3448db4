/**
 * `indexed-array` attributes (YNL's indexed-array of nests): a nest whose attributes are the
 * elements, each a nest of one attribute set, numbered 1, 2, 3... by their type. The number is
 * only a position, so an element decodes to its set's values and the whole to an array; encoding
 * numbers them again from 1 (as the kernel does: nlctrl's CTRL_ATTR_OPS and MCAST_GROUPS).
 */
import { encodeAttrs } from './attr-set-codec.js';
import type { ByteWriter } from './byte-writer.js';
import { DecodeError, EncodeError } from './errors.js';
import { describe } from './scalars.js';
import type { AttrValues, CompiledSet, DecodeCtx } from './types.js';
import { NLA_F_NESTED, walkAttrs } from './walk.js';

export interface IndexedArrayParts {
  nestedSet: CompiledSet;
  decode: (ctx: DecodeCtx, start: number, end: number, depth: number) => AttrValues[];
  encode: (w: ByteWriter, value: unknown, siblings: Record<string, unknown>, depth: number) => void;
}

/** Decoder and encoder of an indexed array of `set` nests; `nested` sets NLA_F_NESTED on each element. */
export function indexedArrayParts(set: CompiledSet, nested: boolean): IndexedArrayParts {
  const elementFlags = nested ? NLA_F_NESTED : 0;
  return {
    nestedSet: set,
    decode: (ctx, start, end, depth) => {
      const out: AttrValues[] = [];
      // A malformed element length is the walk's DecodeError, at the element's place: [i].
      try {
        for (const w = walkAttrs(ctx.view, start, end); w.next(); ) out.push(set.decode(ctx, w.start, w.end, depth + 1));
      } catch (err) {
        throw err instanceof DecodeError ? err.withOuter(`[${out.length}]`) : err;
      }
      return out;
    },
    encode: (w, value, _siblings, depth) => {
      if (!Array.isArray(value)) throw new EncodeError(`expected an array of ${set.name} elements, got ${describe(value)}`);
      value.forEach((element, i) => {
        if (i + 1 > 0x3fff) throw new EncodeError(`an indexed array holds at most ${0x3fff} elements`);
        const at = w.beginAttr((i + 1) | elementFlags);
        try {
          encodeAttrs(w, set, element as Record<string, unknown>, depth + 1);
        } catch (err) {
          throw err instanceof EncodeError ? err.withOuter(`[${i}]`) : err;
        }
        w.endAttr(at);
      });
    },
  };
}
