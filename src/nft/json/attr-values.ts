/**
 * Reading decoded nf_tables attributes whatever shape the codec gives them: enum values arrive as names
 * ('eq', 'reg-1', 'network-header') or as numbers when the spec has no name for them, flag sets as arrays of
 * names, data as Uint8Array, handles as bigint. Everything here turns them into the kernel's numbers, so the
 * delinearizer reasons with the uapi constants like nft does (and keeps working when an enum gains names).
 */

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

export const VERDICT = new KernelEnum({
  drop: NF_DROP,
  accept: NF_ACCEPT,
  stolen: NF_STOLEN,
  queue: NF_QUEUE,
  repeat: 4,
  stop: 5,
  continue: NFT_CONTINUE,
  break: NFT_BREAK,
  jump: NFT_JUMP,
  goto: NFT_GOTO,
  return: NFT_RETURN,
});

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

export const CMP_OP = new KernelEnum({ eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 });
export const RANGE_OP = new KernelEnum({ eq: 0, neq: 1 });
export const BITWISE_OP = new KernelEnum({ bool: 0, lshift: 1, rshift: 2, and: 3, or: 4, xor: 5 }, { 'mask-xor': 0 });
export const BYTEORDER_OP = new KernelEnum({ ntoh: 0, hton: 1 });

export const PAYLOAD_BASE = new KernelEnum(
  { 'll-header': 0, 'network-header': 1, 'transport-header': 2, 'inner-header': 3, 'tun-header': 4 },
  { 'link-layer-header': 0, ll: 0, network: 1, transport: 2, inner: 3 },
);

export const META_KEY = new KernelEnum(
  {
    len: 0,
    protocol: 1,
    priority: 2,
    mark: 3,
    iif: 4,
    oif: 5,
    iifname: 6,
    oifname: 7,
    iiftype: 8,
    oiftype: 9,
    skuid: 10,
    skgid: 11,
    nftrace: 12,
    rtclassid: 13,
    secmark: 14,
    nfproto: 15,
    l4proto: 16,
    'bri-iifname': 17,
    'bri-oifname': 18,
    pkttype: 19,
    cpu: 20,
    iifgroup: 21,
    oifgroup: 22,
    cgroup: 23,
    prandom: 24,
    secpath: 25,
    iifkind: 26,
    oifkind: 27,
    'bri-iifpvid': 28,
    'bri-iifvproto': 29,
    'time-ns': 30,
    'time-day': 31,
    'time-hour': 32,
    sdif: 33,
    sdifname: 34,
    'bri-broute': 35,
  },
  { iftype: 8 },
);

export const CT_KEY = new KernelEnum({
  state: 0,
  direction: 1,
  status: 2,
  mark: 3,
  secmark: 4,
  expiration: 5,
  helper: 6,
  l3protocol: 7,
  src: 8,
  dst: 9,
  protocol: 10,
  'proto-src': 11,
  'proto-dst': 12,
  labels: 13,
  pkts: 14,
  bytes: 15,
  avgpkt: 16,
  zone: 17,
  eventmask: 18,
  'src-ip': 19,
  'dst-ip': 20,
  'src-ip6': 21,
  'dst-ip6': 22,
  id: 23,
});

export const CT_DIRECTION = new KernelEnum({ original: 0, reply: 1 });

export const RT_KEY = new KernelEnum({ classid: 0, nexthop4: 1, nexthop6: 2, tcpmss: 3, xfrm: 4 });

export const NAT_TYPE = new KernelEnum({ snat: 0, dnat: 1 });

export const REJECT_TYPE = new KernelEnum({ 'icmp-unreach': 0, 'tcp-rst': 1, 'icmpx-unreach': 2 });

export const LIMIT_TYPE = new KernelEnum({ pkts: 0, 'pkt-bytes': 1 });

export const DYNSET_OP = new KernelEnum({ add: 0, update: 1, delete: 2 });

export const EXTHDR_OP = new KernelEnum({ ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 });

export const FIB_RESULT = new KernelEnum({ unspec: 0, oif: 1, oifname: 2, addrtype: 3 });

export const NG_TYPE = new KernelEnum({ incremental: 0, random: 1 }, { inc: 0 });

export const HASH_TYPE = new KernelEnum({ jenkins: 0, sym: 1 });

export const SOCKET_KEY = new KernelEnum({ transparent: 0, mark: 1, wildcard: 2, cgroupv2: 3 });

export const OBJECT_TYPE = new KernelEnum({
  unspec: 0,
  counter: 1,
  quota: 2,
  'ct-helper': 3,
  limit: 4,
  connlimit: 5,
  tunnel: 6,
  'ct-timeout': 7,
  secmark: 8,
  'ct-expect': 9,
  synproxy: 10,
});

export const XFRM_KEY = new KernelEnum({
  unspec: 0,
  'daddr-ip4': 1,
  'daddr-ip6': 2,
  'saddr-ip4': 3,
  'saddr-ip6': 4,
  reqid: 5,
  spi: 6,
});

/** Flag sets, bit -> name as the kernel names them (the codec may give names or numbers). */
export const SET_FLAGS = new KernelEnum({
  anonymous: 0x1,
  constant: 0x2,
  interval: 0x4,
  map: 0x8,
  timeout: 0x10,
  eval: 0x20,
  object: 0x40,
  concat: 0x80,
  expr: 0x100,
});
export const NFT_SET_ANONYMOUS = 0x1;
export const NFT_SET_CONSTANT = 0x2;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_TIMEOUT = 0x10;
export const NFT_SET_EVAL = 0x20;
export const NFT_SET_OBJECT = 0x40;

export const SET_ELEM_FLAGS = new KernelEnum({ 'interval-end': 0x1, catchall: 0x2 });
export const NFT_SET_ELEM_INTERVAL_END = 0x1;
export const NFT_SET_ELEM_CATCHALL = 0x2;

export const TABLE_FLAGS = new KernelEnum({ dormant: 0x1, owner: 0x2, persist: 0x4 });
export const CHAIN_FLAGS = new KernelEnum({ base: 0x1, 'hw-offload': 0x2, binding: 0x4 });
export const SET_POLICY = new KernelEnum({ performance: 0, memory: 1 });

/** Generic flag numbers: the codec gives a number, or names we only need to OR back together. */
export const NAT_RANGE_FLAGS = new KernelEnum({
  'map-ips': 0x1,
  'proto-specified': 0x2,
  'proto-random': 0x4,
  persistent: 0x8,
  'proto-random-fully': 0x10,
  'proto-offset': 0x20,
  netmap: 0x40,
});
/** NFPROTO_* (nfgenmsg.family, nat/tproxy/fwd families, object l3proto). */
export const NFPROTO_ENUM = new KernelEnum({ unspec: 0, inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 }, { ipv4: 2, ipv6: 10 });

/** IPPROTO_* as object l4proto names. */
export const IP_PROTO = new KernelEnum({
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  dccp: 33,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
});

export const LOG_LEVEL = new KernelEnum({ emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7, audit: 8 }, { warn: 4 });

export const LOG_FLAGS = new KernelEnum({ tcpseq: 0x1, tcpopt: 0x2, ipopt: 0x4, uid: 0x8, nflog: 0x10, macdecode: 0x20 });
export const QUEUE_FLAGS = new KernelEnum({ bypass: 0x1, 'cpu-fanout': 0x2 });
export const LIMIT_FLAGS = new KernelEnum({ inv: 0x1 });
export const QUOTA_FLAGS = new KernelEnum({ inv: 0x1, depleted: 0x2 });
export const LOOKUP_FLAGS = new KernelEnum({ inv: 0x1 });
export const DYNSET_FLAGS = new KernelEnum({ inv: 0x1, expr: 0x2 });
export const CONNLIMIT_FLAGS = new KernelEnum({ inv: 0x1 });
export const EXTHDR_FLAGS = new KernelEnum({ present: 0x1 });
export const FIB_FLAGS = new KernelEnum({ saddr: 0x1, daddr: 0x2, mark: 0x4, iif: 0x8, oif: 0x10, present: 0x20 });
export const SYNPROXY_FLAGS = new KernelEnum({ mss: 0x1, wscale: 0x2, 'sack-perm': 0x4, timestamp: 0x8, ecn: 0x10 });
export const OSF_FLAGS = new KernelEnum({ version: 0x1 });
