/**
 * Small conversions shared by the formatters: decoded enum / flag names back to numbers (ip
 * prints from numbers), interface index -> name lookups, and printf-style helpers.
 */
import type { EnumSpec } from '../../../protocol/spec.js';

type Attrs = Record<string, any>;

/** A decoded enum value (a name, or the number the spec did not know) as its number. */
export function enumNum(def: EnumSpec, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return def.entries[v] ?? 0;
  return 0;
}

/** Decoded flags (a list of names, maybe ending with a number for unnamed bits) as a bit mask. */
export function flagsNum(def: EnumSpec, v: unknown): number {
  if (typeof v === 'number') return v >>> 0;
  if (!Array.isArray(v)) return 0;
  let n = 0;
  for (const f of v) n |= typeof f === 'number' ? f : (def.entries[f] ?? 0);
  return n >>> 0;
}

/** Index -> name and flags, as ip's ll_map cache answers (unknown indexes read "if%d"). */
export interface LinkNames {
  name(index: number): string;
  /** IFF_* flags, when the link is known. */
  flags(index: number): number | undefined;
  /** Name of the namespace with this nsid (/run/netns), when known. */
  nsName?(nsid: number): string | undefined;
}

export class LinkTable implements LinkNames {
  private readonly names = new Map<number, string>();
  private readonly flagBits = new Map<number, number>();
  /** nsid -> /run/netns name. */
  readonly nsids = new Map<number, string>();

  nsName(nsid: number): string | undefined {
    return this.nsids.get(nsid);
  }

  add(index: number, name: string, flags: number): void {
    this.names.set(index, name);
    this.flagBits.set(index, flags);
  }
  has(index: number): boolean {
    return this.names.has(index);
  }
  index(name: string): number | undefined {
    for (const [i, n] of this.names) if (n === name) return i;
    return undefined;
  }
  name(index: number): string {
    return this.names.get(index) ?? `if${index}`;
  }
  flags(index: number): number | undefined {
    return this.flagBits.get(index);
  }
}

/** A u64 counter (bigint) or u32 as a plain decimal. */
export function dec(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : String(v ?? 0);
}

/** printf("%#x"): "0" for zero, "0x.." otherwise. */
export function altHex(n: number | bigint): string {
  return n === 0 || n === 0n ? '0' : '0x' + n.toString(16);
}

/** Bytes of a hardware-address string ("aa:bb:..") or of raw bytes. */
export function hwBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && v.length > 0) return Uint8Array.from(v.split(':'), (p) => parseInt(p, 16));
  return new Uint8Array(0);
}

/** ll_addr_n2a: colon hex, except tunnel addresses which print as IP addresses. */
export function llAddr(v: unknown, type: number): string {
  const b = hwBytes(v);
  if (b.length === 4 && (type === 768 || type === 776 || type === 778)) return Array.from(b).join('.');
  if (b.length === 16 && (type === 769 || type === 823)) return ipv6Text(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ipv6Text(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: longest run of zero words (length >= 2) becomes ::
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  // ::ffff:a.b.c.d and ::a.b.c.d as inet_ntop writes them
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  const hex = (w: number) => w.toString(16);
  if (best < 0) return words.map(hex).join(':');
  return words.slice(0, best).map(hex).join(':') + '::' + words.slice(best + bestLen).map(hex).join(':');
}

export function attrs(v: unknown): Attrs {
  return v && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) ? (v as Attrs) : {};
}
