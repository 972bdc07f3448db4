/**
 * Prefixes as ip reads them on the command line (get_prefix: ADDR[/LEN], `default`, `all`, `any`)
 * and inet_addr_match; fnmatch for labels.
 */
import { type ParsedAddress, parseAddress } from '../../api/validate.js';
import type { Args } from '../args.js';

export interface Prefix {
  family?: 'inet' | 'inet6';
  bytes: Uint8Array;
  /** Bits that must match (0 matches everything). */
  bits: number;
  /** Was a length given ("10.0.0.0/8" rather than "10.0.0.0")? */
  explicit: boolean;
  text: string;
}

export function parseCliPrefix(text: string, args: Args): Prefix {
  if (text === 'default' || text === 'all' || text === 'any') return { bytes: new Uint8Array(0), bits: 0, explicit: true, text };
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  let parsed: ParsedAddress;
  try {
    parsed = parseAddress(addr);
  } catch {
    throw args.invalid('any valid prefix is expected', text);
  }
  const max = parsed.family === 'inet' ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const len = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) throw args.invalid('any valid prefix is expected', text);
    bits = Number(len);
  }
  return { family: parsed.family, bytes: parsed.bytes, bits, explicit: slash >= 0, text };
}

/** inet_addr_match: the first `bits` bits of `addr` equal the prefix's. */
export function prefixMatches(p: Prefix, addr: string | Uint8Array): boolean {
  if (p.bits === 0) return true;
  let b: Uint8Array;
  try {
    b = typeof addr === 'string' ? parseAddress(addr).bytes : addr;
  } catch {
    return false;
  }
  if (b.length !== p.bytes.length) return false;
  return bitsEqual(b, p.bytes, p.bits);
}

export function bitsEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest) {
    const mask = (0xff << (8 - rest)) & 0xff;
    if ((a[full]! & mask) !== (b[full]! & mask)) return false;
  }
  return true;
}

/** fnmatch(3) without flags: *, ? and [...] classes. */
export function fnmatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += '[' + cls.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(s);
}
