/**
 * Reading the info structs of xtables extensions (x86-64 layout, host byte order, as the kernel
 * keeps them in NFTA_MATCH_INFO / NFTA_TARGET_INFO), and the address and number formats
 * libxtables' translations print.
 */
import { IP_PROTOCOL_NAMES } from '../json/symbol-tables.js';

/** What the translation of an xt statement needs from its rule. */
export interface XtContext {
  /** the table's family: 'ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev' */
  family: string;
  /** protocol number the rule matched before the statement (`-p tcp`): the entry's ip.proto */
  l4proto?: number;
}

/** A translation: the text, or undefined when libxtables' xlate would fail (return 0). */
export type Xlate = (info: Info, ctx: XtContext) => string | undefined;

/** A bounds-checked view of one extension's info struct: out-of-range reads give undefined. */
export class Info {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  u8(off: number): number {
    return this.has(off, 1) ? this.view.getUint8(off) : 0;
  }
  u16(off: number): number {
    return this.has(off, 2) ? this.view.getUint16(off, true) : 0;
  }
  be16(off: number): number {
    return this.has(off, 2) ? this.view.getUint16(off, false) : 0;
  }
  u32(off: number): number {
    return this.has(off, 4) ? this.view.getUint32(off, true) : 0;
  }
  i32(off: number): number {
    return this.has(off, 4) ? this.view.getInt32(off, true) : 0;
  }
  u64(off: number): bigint {
    return this.has(off, 8) ? this.view.getBigUint64(off, true) : 0n;
  }
  /** A NUL-terminated string in a fixed-size field. */
  str(off: number, size: number): string {
    const end = Math.min(off + size, this.bytes.length);
    let n = off;
    while (n < end && this.bytes[n] !== 0) n++;
    return new TextDecoder().decode(this.bytes.subarray(off, n));
  }
  slice(off: number, size: number): Uint8Array {
    return this.bytes.subarray(off, off + size);
  }
  /** Whether the struct is at least `size` bytes: a shorter one is not the revision we know. */
  fits(size: number): boolean {
    return this.bytes.length >= size;
  }
  private has(off: number, n: number): boolean {
    return off >= 0 && off + n <= this.bytes.length;
  }
}

/** Dotted quad of 4 network-order bytes. */
export function ipv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text of 16 network-order bytes, with inet_ntop's ::ffff:a.b.c.d form. */
export function ipv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${ipv4(b.subarray(12, 16))}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  // glibc inet_ntop: an IPv4-compatible address (96 zero bits) keeps its dotted tail
  if (best === 0 && bestLen === 6) return `::${ipv4(b.subarray(12, 16))}`;
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Leading one bits of a mask, or -1 when the mask is not a prefix. */
function prefixLength(mask: Uint8Array): number {
  let len = 0;
  let done = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && done) return -1;
      if (one) len++;
      else done = true;
    }
  }
  return len;
}

/** xtables_ipmask_to_numeric / xtables_ip6mask_to_numeric: '' for a host mask, '/N' for a prefix. */
export function maskSuffix(mask: Uint8Array, v6: boolean): string {
  const len = prefixLength(mask);
  if (len === mask.length * 8) return '';
  if (len >= 0) return `/${len}`;
  return `/${v6 ? ipv6(mask) : ipv4(mask)}`;
}

/** An nf_inet_addr (16 bytes) of the family's size. */
export function inetAddr(info: Info, off: number, v6: boolean): string {
  return v6 ? ipv6(info.slice(off, 16)) : ipv4(info.slice(off, 4));
}

export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Names of IP protocols as getprotobynumber gives them (netbase's /etc/protocols). */
export const IP_PROTOCOLS = IP_PROTOCOL_NAMES;

/** The protocol number of a name nft prints for `meta l4proto` / `ip protocol`. */
export function protocolNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  for (const [n, name] of Object.entries(IP_PROTOCOLS)) if (name === v) return Number(n);
  return undefined;
}
