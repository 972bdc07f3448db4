/**
 * ethtool bit sets (ETHTOOL_A_BITSET_*): features, link modes, wake-on-LAN modes and message
 * classes travel as one of two forms. Compact: the number of bits, a u32 array of values and one
 * of masks, names looked up in a string set. Verbose: one nest per bit with its index, its name
 * and a flag when set. Without a mask (NOMASK), a bit set is a list: its bits are the set ones.
 */

import type { EthtoolBitsetAttrs } from '../generated/index.js';

/** A bit set as the codec decodes ethtool's `bitset` attribute set. */
export type BitsetAttrs = EthtoolBitsetAttrs;

/** One bit of a set: its number and its name (the kernel's, or from the string set). */
export interface NamedBit {
  index: number;
  name: string;
}

/** A bit set read: which bits are set, and which bits the value speaks for. */
export interface Bits {
  /** Set bits, in index order. */
  value: NamedBit[];
  /** The mask (for a verbose set with a mask: the listed bits); undefined for a list (NOMASK). */
  mask?: NamedBit[];
}

function bitOn(words: readonly number[] | undefined, i: number): boolean {
  return words !== undefined && ((words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
}

/** `names[i]`, or BITi as ethtool shows a bit without a name. */
function nameOf(names: readonly string[] | undefined, i: number): string {
  const n = names?.[i];
  return n === undefined || n === '' ? `BIT${i}` : n;
}

/** Reads a bit set of either form; `names` (a string set) names the bits of a compact one. */
export function readBits(b: BitsetAttrs | undefined, names?: readonly string[]): Bits {
  if (b === undefined) return { value: [] };
  const list = b.nomask === true;
  if (b.bits !== undefined || b.value === undefined) {
    const value: NamedBit[] = [];
    const mask: NamedBit[] = [];
    for (const bit of b.bits?.bit ?? []) {
      if (bit.index === undefined) continue;
      const nb = { index: bit.index, name: bit.name ?? nameOf(names, bit.index) };
      if (list || bit.value === true) value.push(nb);
      if (!list) mask.push(nb);
    }
    return list ? { value } : { value, mask };
  }
  const size = b.size ?? b.value.length * 32;
  const value: NamedBit[] = [];
  const mask: NamedBit[] = [];
  for (let i = 0; i < size; i++) {
    if (bitOn(b.value, i)) value.push({ index: i, name: nameOf(names, i) });
    if (!list && bitOn(b.mask, i)) mask.push({ index: i, name: nameOf(names, i) });
  }
  return list ? { value } : { value, mask };
}

/** Per-bit booleans of a compact bit set's value (or mask), `size` long. */
export function bitArray(b: BitsetAttrs | undefined, size: number, which: 'value' | 'mask' = 'value'): boolean[] {
  const words = which === 'value' ? b?.value : b?.mask;
  if (words === undefined && b?.bits !== undefined) {
    // A verbose set read as an array: bits listed (mask) or listed with the value flag.
    const out = new Array<boolean>(size).fill(false);
    for (const bit of b.bits.bit ?? []) {
      if (bit.index !== undefined && bit.index < size && (which === 'mask' || b.nomask === true || bit.value === true)) out[bit.index] = true;
    }
    return out;
  }
  return Array.from({ length: size }, (_, i) => bitOn(words, i));
}

/** A verbose bit set request changing bits by name: listed bits are the mask, `true` ones set. */
export function namedBitsRequest(changes: Iterable<readonly [string, boolean]>): BitsetAttrs {
  const bit: { name: string; value?: true }[] = [];
  for (const [name, on] of changes) bit.push(on ? { name, value: true } : { name });
  return { bits: { bit } };
}
