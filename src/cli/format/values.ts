/**
 * Small conversions shared by the formatters: decoded enum / flag names back to numbers (ip
 * prints from numbers) and numbers to the spec's names, interface index -> name lookups, and
 * printf-style helpers. Names and bits come from the specs' definitions; the formatters only hold
 * ip's spelling where it differs from the spec's (presentation, not protocol).
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { EnumSpec } from '../../../protocol/spec.js';
import type { RtnlKind, RtnlMessages } from '../../api/rtnl-messages.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { formatHwaddr, formatIPv4, formatIPv6 } from '../../codec/values.js';

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

const byValue = new WeakMap<EnumSpec, Map<number, string>>();

/** The spec's name of a decoded enum value (the codec's name, or a number the spec may know), else undefined. */
export function enumName(def: EnumSpec, v: unknown): string | undefined {
  if (typeof v === 'string') return Object.hasOwn(def.entries, v) ? v : undefined;
  if (typeof v !== 'number' && typeof v !== 'bigint') return undefined;
  let names = byValue.get(def);
  if (!names) {
    names = new Map();
    // Aliases: the first name, as the codec decodes them.
    for (const [k, n] of Object.entries(def.entries)) if (!names.has(n)) names.set(n, k);
    byValue.set(def, names);
  }
  return names.get(Number(v));
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

const ARPHRD = rtLinkSpec.definitions.arphrd;
/** Tunnel devices whose hardware addresses are IPv4 / IPv6 addresses. */
const IPV4_TUNNELS = new Set<string>(['tunnel', 'sit', 'ipgre']);
const IPV6_TUNNELS = new Set<string>(['tunnel6', 'ip6gre']);

/** ll_addr_n2a: colon hex, except tunnel addresses which print as IP addresses. `linkType`: the decoded ifi_type. */
export function llAddr(v: unknown, linkType: unknown): string {
  const b = hwBytes(v);
  const type = enumName(ARPHRD, linkType) ?? '';
  if (b.length === 4 && IPV4_TUNNELS.has(type)) return formatIPv4(b, 0);
  if (b.length === 16 && IPV6_TUNNELS.has(type)) return formatIPv6(b, 0);
  return formatHwaddr(b, 0, b.length);
}

/** An address the codec shows as text, or bytes: IPv4 / IPv6 text for 4 / 16 bytes, else colon hex. */
export function addrText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    if (v.length === 4) return formatIPv4(v, 0);
    if (v.length === 16) return formatIPv6(v, 0);
    return formatHwaddr(v, 0, v.length);
  }
  return String(v);
}

/**
 * A decoded message's fixed header, typed as the codec decodes messages of `kind` (the generated
 * types, made from the specs; the codec itself is untyped; a family's new / del / get messages
 * share one type); `{}` for a message without one.
 */
export function headerOf<K extends RtnlKind>(m: NetlinkMessage, _kind: K): RtnlMessages[K]['header'] {
  return (m.header ?? {}) as RtnlMessages[K]['header'];
}

/** A decoded message's attributes, typed as the codec decodes messages of `kind`; `{}` for none. */
export function attrsOf<K extends RtnlKind>(m: NetlinkMessage, _kind: K): RtnlMessages[K]['attrs'] {
  return (m.attrs ?? {}) as RtnlMessages[K]['attrs'];
}

/** A nested attribute set or struct as decoded: `{}` when absent or kept as bytes (a kind the spec does not describe). */
export function attrs<T extends object>(v: T | Uint8Array | undefined): Partial<T> {
  return v && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) ? v : {};
}
