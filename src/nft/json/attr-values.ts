/**
 * Reading decoded nf_tables attributes whatever shape the codec gives them: enum values arrive as names
 * ('eq', 'reg-1', 'network-header') or as numbers when the spec has no name for them, flag sets as arrays of
 * names, data as Uint8Array, handles as bigint. Everything here turns them into the kernel's numbers, so the
 * delinearizer reasons with the uapi constants like nft does (and keeps working when an enum gains names).
 */
import { nfnlDefinitions } from '../../../protocol/nfnetlink.js';
import { nftablesSpec } from '../../../protocol/nf-tables.js';

/** A definition's entries, from the spec (the one place nf_tables' enums and flags are written). */
function entries(name: string): Readonly<Record<string, number>> {
  const def =
    (nftablesSpec.definitions as Record<string, { entries?: Record<string, number> }>)[name] ??
    (nfnlDefinitions as Record<string, { entries?: Record<string, number> }>)[name];
  if (def?.entries === undefined) throw new Error(`no enum or flags "${name}" in the nftables specs`);
  return def.entries;
}

/** A name as compared here: case and punctuation do not matter ('reg32-00' === 'REG32_00'). */
function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Kernel enum: names (and aliases) -> numbers. */
export class KernelEnum {
  private readonly byName = new Map<string, number>();
  private readonly exact = new Map<string, number>();

  constructor(entries: Readonly<Record<string, number>>, aliases: Readonly<Record<string, number>> = {}) {
    for (const [k, v] of Object.entries(entries)) this.byName.set(norm(k), v);
    for (const [k, v] of Object.entries(aliases)) this.byName.set(norm(k), v);
  }

  /** The number of a decoded value, or undefined when it is neither a number nor a known name. */
  num(v: unknown): number | undefined {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string') {
      // the codec's spelling comes back again and again: remember it as given
      const hit = this.exact.get(v);
      if (hit !== undefined) return hit;
      const n = this.byName.get(norm(v));
      if (n !== undefined && this.exact.size < 4096) this.exact.set(v, n);
      return n;
    }
    return undefined;
  }

  /** A flag set (number, or array of names/numbers as the codec decodes `flags` enums) as one number. */
  flags(v: unknown): number {
    if (v === undefined || v === null) return 0;
    if (Array.isArray(v)) {
      let out = 0;
      for (const f of v) out |= this.num(f) ?? 0;
      return out >>> 0;
    }
    return (this.num(v) ?? 0) >>> 0;
  }
}

/** A u32/u64 attribute as a number (undefined when absent). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** A 64-bit attribute (handles, counters) as bigint. */
export function big(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return undefined;
}

/** A signed 32-bit value the codec may have read unsigned (verdict codes, priorities). */
export function s32(v: number): number {
  return v | 0;
}

/** Binary payload (NFTA_DATA_VALUE, userdata...) as bytes. */
export function bytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Uint8Array.from(v as number[]);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return undefined;
}

/** The elements of a list nest (`{ elem: [...] }`), or of a plain array. */
export function listElems<T = Record<string, unknown>>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v as T[];
  if (typeof v === 'object') {
    const e = (v as Record<string, unknown>).elem;
    if (Array.isArray(e)) return e as T[];
    if (e !== undefined) return [e as T];
  }
  return [];
}

export type Attrs = Record<string, unknown>;

/** The attributes object of a nest (or {} when absent). */
export function nest(v: unknown): Attrs {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) ? (v as Attrs) : {};
}

/** NFTA_DATA_VALUE of a data nest. */
export function dataValue(v: unknown): Uint8Array | undefined {
  return bytes(nest(v).value);
}

/** NFTA_DATA_VERDICT of a data nest: code and chain. */
export function dataVerdict(v: unknown): { code: number; chain?: string } | undefined {
  const verdict = nest(nest(v).verdict);
  if (verdict.code === undefined) return undefined;
  const code = VERDICT.num(verdict.code);
  if (code === undefined) return undefined;
  return { code: s32(code), ...(typeof verdict.chain === 'string' ? { chain: verdict.chain } : {}) };
}

// --------------------------------------------------------------------------------------------------------------
// uapi enums (linux/netfilter/nf_tables.h, netfilter.h)

/** Verdict codes: netfilter's and nf_tables' own (negative). */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NF_STOLEN = 2;
export const NF_QUEUE = 3;
export const NFT_CONTINUE = -1;
export const NFT_BREAK = -2;
export const NFT_JUMP = -3;
export const NFT_GOTO = -4;
export const NFT_RETURN = -5;

export const VERDICT = new KernelEnum(entries('verdict-code'));

/** Registers: NFT_REG_VERDICT, NFT_REG_1..4 (16 bytes), NFT_REG32_00..15 (4 bytes). */
const regEntries: Record<string, number> = { verdict: 0, 'reg-verdict': 0 };
for (let i = 1; i <= 4; i++) {
  regEntries[`reg-${i}`] = i;
  regEntries[`${i}`] = i;
}
for (let i = 0; i < 16; i++) {
  const n = String(i).padStart(2, '0');
  regEntries[`reg32-${n}`] = 8 + i;
  regEntries[`32-${n}`] = 8 + i;
}
export const REGISTERS = new KernelEnum(regEntries);

export const CMP_OP = new KernelEnum(entries('cmp-ops'));
export const RANGE_OP = new KernelEnum(entries('range-ops'));
export const BITWISE_OP = new KernelEnum({ bool: 0, lshift: 1, rshift: 2, and: 3, or: 4, xor: 5 }, { 'mask-xor': 0 });
export const BYTEORDER_OP = new KernelEnum(entries('byteorder-ops'));

export const PAYLOAD_BASE = new KernelEnum(entries('payload-bases'), { 'link-layer-header': 0, ll: 0, network: 1, transport: 2, inner: 3 });

export const META_KEY = new KernelEnum(entries('meta-keys'), { iftype: 8 });

export const CT_KEY = new KernelEnum(entries('ct-keys'));

export const CT_DIRECTION = new KernelEnum(entries('ct-direction'));

export const RT_KEY = new KernelEnum(entries('rt-keys'));

export const NAT_TYPE = new KernelEnum(entries('nat-types'));

export const REJECT_TYPE = new KernelEnum(entries('reject-types'));

export const LIMIT_TYPE = new KernelEnum(entries('limit-type'));

export const DYNSET_OP = new KernelEnum(entries('dynset-ops'));

export const EXTHDR_OP = new KernelEnum(entries('exthdr-op'));

export const FIB_RESULT = new KernelEnum(entries('fib-result'));

export const NG_TYPE = new KernelEnum(entries('ng-types'), { inc: 0 });

export const HASH_TYPE = new KernelEnum(entries('hash-types'));

export const SOCKET_KEY = new KernelEnum(entries('socket-keys'));

export const OBJECT_TYPE = new KernelEnum(entries('object-type'));

export const XFRM_KEY = new KernelEnum(entries('xfrm-keys'));

/** Flag sets, bit -> name as the kernel names them (the codec may give names or numbers). */
export const SET_FLAGS = new KernelEnum(entries('set-flags'));
export const NFT_SET_ANONYMOUS = 0x1;
export const NFT_SET_CONSTANT = 0x2;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_TIMEOUT = 0x10;
export const NFT_SET_EVAL = 0x20;
export const NFT_SET_OBJECT = 0x40;

export const SET_ELEM_FLAGS = new KernelEnum(entries('set-elem-flags'));
export const NFT_SET_ELEM_INTERVAL_END = 0x1;
export const NFT_SET_ELEM_CATCHALL = 0x2;

export const TABLE_FLAGS = new KernelEnum(entries('table-flags'));
export const CHAIN_FLAGS = new KernelEnum(entries('chain-flags'));
export const SET_POLICY = new KernelEnum(entries('set-policy'));

/** Generic flag numbers: the codec gives a number, or names we only need to OR back together. */
export const NAT_RANGE_FLAGS = new KernelEnum(entries('nat-range-flags'));
/** NFPROTO_* (nfgenmsg.family, nat/tproxy/fwd families, object l3proto). */
export const NFPROTO_ENUM = new KernelEnum(entries('nfproto'), { ipv4: 2, ipv6: 10 });

/** IPPROTO_* as object l4proto names. */
export const IP_PROTO = new KernelEnum(entries('ip-proto'));

export const LOG_LEVEL = new KernelEnum(entries('log-level'), { warn: 4 });

export const LOG_FLAGS = new KernelEnum(entries('log-flags'));
export const QUEUE_FLAGS = new KernelEnum(entries('queue-flags'));
export const LIMIT_FLAGS = new KernelEnum(entries('limit-flags'));
export const QUOTA_FLAGS = new KernelEnum(entries('quota-flags'));
export const LOOKUP_FLAGS = new KernelEnum(entries('lookup-flags'));
export const DYNSET_FLAGS = new KernelEnum(entries('dynset-flags'));
export const CONNLIMIT_FLAGS = new KernelEnum(entries('connlimit-flags'));
export const EXTHDR_FLAGS = new KernelEnum(entries('exthdr-flags'));
export const FIB_FLAGS = new KernelEnum(entries('fib-flags'));
export const SYNPROXY_FLAGS = new KernelEnum(entries('synproxy-flags'));
export const OSF_FLAGS = new KernelEnum(entries('osf-flags'));
