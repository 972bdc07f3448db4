/**
 * Presentation of raw attribute bytes: text, hardware and IP addresses, hex. Hot in dumps (every
 * route carries addresses, every link a name), so the common cases avoid TextDecoder and regexes.
 */
import ipaddr from '../deps/ipaddr.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

/** Text of a NUL-terminated (or unterminated) string attribute. */
export function decodeString(bytes: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  const n = stop - start;
  if (n <= 12) {
    // Names, kinds, qdiscs: one short flat string per character append (below V8's 13-character
    // cons-string threshold) is cheaper than a subarray plus fromCharCode.apply.
    let s = '';
    for (let i = start; i < stop; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, stop));
      s += String.fromCharCode(c);
    }
    return s;
  }
  if (n <= 32) {
    let ascii = true;
    for (let i = start; i < stop; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, stop) as unknown as number[]);
  }
  return utf8.decode(bytes.subarray(start, stop));
}

/** A string attribute's payload: UTF-8 plus the terminating NUL the kernel expects. */
export function encodeString(s: string): Uint8Array {
  const body = utf8enc.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

/** Bytes of `s` in UTF-8 (as TextEncoder writes it, lone surrogates as U+FFFD), without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 4 bytes for its 2 code units
      i++;
    } else n += 2; // 3 bytes: the rest of the BMP, and a lone surrogate (U+FFFD)
  }
  return n;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Character codes of HEX: two per byte value. */
const HEX_CODES = new Uint16Array(512);
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = HEX[i]!.charCodeAt(0);
  HEX_CODES[2 * i + 1] = HEX[i]!.charCodeAt(1);
}

export function formatHwaddr(bytes: Uint8Array, start: number, end: number): string {
  if (end - start === 6) {
    // An Ethernet address (two per link): one flat string, not eleven concatenated pieces.
    const h = HEX_CODES;
    const a = bytes[start]! * 2,
      b = bytes[start + 1]! * 2,
      c = bytes[start + 2]! * 2;
    const d = bytes[start + 3]! * 2,
      e = bytes[start + 4]! * 2,
      f = bytes[start + 5]! * 2;
    return String.fromCharCode(
      h[a]!,
      h[a + 1]!,
      58,
      h[b]!,
      h[b + 1]!,
      58,
      h[c]!,
      h[c + 1]!,
      58,
      h[d]!,
      h[d + 1]!,
      58,
      h[e]!,
      h[e + 1]!,
      58,
      h[f]!,
      h[f + 1]!,
    );
  }
  if (end <= start) return '';
  let s = HEX[bytes[start]!]!;
  for (let i = start + 1; i < end; i++) s += ':' + HEX[bytes[i]!]!;
  return s;
}

export function parseHwaddr(text: string): Uint8Array | undefined {
  if (text === '') return new Uint8Array(0); // what formatHwaddr gives for a zero-length address
  const parts = text.split(':');
  if (parts.length === 0 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

export function formatHex(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!]!;
  return s;
}

export function parseHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const OCTET: string[] = [];
for (let i = 0; i < 256; i++) OCTET.push(String(i));
/**
 * Recently formatted IPv4 addresses, direct-mapped by a hash of the address: dumps repeat a few
 * addresses many times (the gateway of 100k routes, IFA_LOCAL = IFA_ADDRESS), and one shared
 * string each saves both the formatting and ~32 bytes per copy kept.
 */
const V4_SLOTS = 256;
const v4Keys = new Int32Array(V4_SLOTS);
const v4Texts: (string | undefined)[] = new Array(V4_SLOTS).fill(undefined);

export function formatIPv4(b: Uint8Array, o: number): string {
  const key = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  const slot = (key ^ (key >>> 8) ^ (key >>> 16) ^ (key >>> 24)) & (V4_SLOTS - 1);
  const hit = v4Texts[slot];
  if (hit !== undefined && v4Keys[slot] === key) return hit;
  const text = OCTET[b[o]!]! + '.' + OCTET[b[o + 1]!]! + '.' + OCTET[b[o + 2]!]! + '.' + OCTET[b[o + 3]!]!;
  v4Keys[slot] = key;
  v4Texts[slot] = text;
  return text;
}

/** RFC 5952 text, as glibc's inet_ntop prints it (what `ip` shows), incl. ::ffff:a.b.c.d. */
export function formatIPv6(b: Uint8Array, o: number): string {
  const w = new Array<number>(8);
  let any = 0;
  for (let i = 0; i < 8; i++) any |= w[i] = (b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!;
  if (any === 0) return '::'; // every link's IFLA_INET6_TOKEN, unspecified addresses
  // Longest run of at least two zero groups, first one wins a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped and IPv4-compatible forms, as inet_ntop prints them.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    return (bestLen === 5 ? '::ffff:' : '::') + formatIPv4(b, o + 12);
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += w[i]!.toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

/** Dotted quad without a library call: the common case when encoding routes and addresses in bulk. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // no leading zeros (octal ambiguity)
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

/** Parse IPv4 or IPv6 text to its 4 or 16 bytes; undefined when it is not an address. */
export function parseIp(text: string): Uint8Array | undefined {
  if (!text.includes(':')) return parseIPv4(text);
  const last = text.lastIndexOf(':');
  if (text.includes('.', last)) {
    // ipaddr.js reads ::a.b.c.d as ::ffff:a.b.c.d; the dotted quad is just the last 32 bits (RFC 4291 2.2).
    const v4 = parseIPv4(text.slice(last + 1));
    if (!v4) return undefined;
    text = `${text.slice(0, last + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  if (!ipaddr().isValid(text)) return undefined;
  try {
    const addr = ipaddr().parse(text);
    // ipaddr.js accepts IPv4 shorthands ("10.1", "0x0a000001"); iproute2 and the kernel use full dotted quads.
    if (addr.kind() === 'ipv4' && !ipaddr().IPv4.isValidFourPartDecimal(text)) return undefined;
    return Uint8Array.from(addr.toByteArray());
  } catch {
    return undefined;
  }
}
