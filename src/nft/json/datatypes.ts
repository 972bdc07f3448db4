/**
 * nft's datatypes (src/datatype.c, meta.c, ct.c, proto.c, fib.c of nftables 1.0.x): the type ids the kernel
 * stores in a set's key and data type (NFTA_SET_KEY_TYPE), their names ('ipv4_addr', 'inet_service'...),
 * sizes, byte orders, symbol tables, and how a constant of each type is printed in JSON.
 */
import { type ByteOrder, exportBytes, scan1, symbolValue } from './mpz.js';
import type { OutputContext } from './output-context.js';
import {
  ARPHRD_SYMBOLS,
  ARP_OP_SYMBOLS,
  CT_DIR_SYMBOLS,
  CT_STATE_SYMBOLS,
  CT_STATUS_SYMBOLS,
  DAY_SYMBOLS,
  DCCP_PKTTYPE_SYMBOLS,
  DSCP_SYMBOLS,
  ECN_SYMBOLS,
  ETHER_TYPE_SYMBOLS,
  FIB_ADDRTYPE_SYMBOLS,
  ICMPV6_CODE_SYMBOLS,
  ICMPV6_TYPE_SYMBOLS,
  ICMPX_CODE_SYMBOLS,
  ICMP_CODE_SYMBOLS,
  ICMP_TYPE_SYMBOLS,
  IP_PROTOCOL_NAMES,
  NFPROTO_SYMBOLS,
  PKT_TYPE_SYMBOLS,
  type SymbolTable,
  TCP_FLAG_SYMBOLS,
} from './symbol-tables.js';

/** A constant as the printers see it. */
export interface TypedValue {
  value: bigint;
  /** bits */
  len: number;
  byteorder: ByteOrder;
  dtype: Datatype;
}

/** Printing switches nft flips inside some expressions (a range prints protocols as numbers). */
export interface PrintState {
  ctx: OutputContext;
  numericProto?: boolean;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface Datatype {
  /** TYPE_* id; concatenations: ids packed 6 bits each, first component highest. */
  readonly type: number;
  readonly name: string;
  readonly byteorder: ByteOrder;
  /** bits; 0 for variable-size types */
  readonly size: number;
  readonly basetype?: Datatype;
  /** identifier -> value as nft's symbol tables hold it (network-order types hold htons'd values) */
  readonly symbols?: readonly (readonly [string, bigint])[];
  /** DTYPE_F_PREFIX: ranges of this type print as prefixes when they can */
  readonly prefix?: boolean;
  /** concatenations: number of components */
  readonly subtypes?: number;
  readonly json?: (v: TypedValue, st: PrintState) => JsonValue;
  /** the text nft's print callback writes, quotes removed (datatype_json's fallback) */
  readonly print?: (v: TypedValue, st: PrintState) => string;
}

export const TYPE = {
  INVALID: 0,
  VERDICT: 1,
  NFPROTO: 2,
  BITMASK: 3,
  INTEGER: 4,
  STRING: 5,
  LLADDR: 6,
  IPADDR: 7,
  IP6ADDR: 8,
  ETHERADDR: 9,
  ETHERTYPE: 10,
  ARPOP: 11,
  INET_PROTOCOL: 12,
  INET_SERVICE: 13,
  ICMP_TYPE: 14,
  TCP_FLAG: 15,
  DCCP_PKTTYPE: 16,
  MH_TYPE: 17,
  TIME: 18,
  MARK: 19,
  IFINDEX: 20,
  ARPHRD: 21,
  REALM: 22,
  CLASSID: 23,
  UID: 24,
  GID: 25,
  CT_STATE: 26,
  CT_DIR: 27,
  CT_STATUS: 28,
  ICMP6_TYPE: 29,
  CT_LABEL: 30,
  PKTTYPE: 31,
  ICMP_CODE: 32,
  ICMPV6_CODE: 33,
  ICMPX_CODE: 34,
  DEVGROUP: 35,
  DSCP: 36,
  ECN: 37,
  FIB_ADDR: 38,
  BOOLEAN: 39,
  CT_EVENTBIT: 40,
  IFNAME: 41,
  IGMP_TYPE: 42,
  TIME_DATE: 43,
  TIME_HOUR: 44,
  TIME_DAY: 45,
  CGROUPV2: 46,
} as const;

export const TYPE_BITS = 6;
export const TYPE_MASK = (1 << TYPE_BITS) - 1;
/** NFT_DATA_VERDICT: the kernel's type of verdict map data. */
export const NFT_DATA_VERDICT = 0xffffff00;

const sym = (entries: Record<string, number | bigint>): readonly (readonly [string, bigint])[] =>
  Object.entries(entries).map(([k, v]) => [k, BigInt(v)] as const);
const htons = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
/** The symbols of a 16-bit network-order type as nft's tables hold them (htons'd). */
const sym16be = (table: SymbolTable): readonly (readonly [string, bigint])[] => Object.entries(table).map(([k, v]) => [k, BigInt(htons(v))] as const);

/** getprotobynumber, as nft uses it for inet_proto values and object protocols. */
export function protocolName(n: number): string | undefined {
  return IP_PROTOCOL_NAMES[n];
}

// ------------------------------------------------------------------------------------------------------------
// printers

const u64 = (v: bigint): bigint => v & 0xffffffffffffffffn;

/** integer_type_json: a number when it fits an unsigned long, else a hex string. */
export function integerJson(v: TypedValue): JsonValue {
  if (v.value >= 0n && v.value <= 0xffffffffffffffffn) return Number(v.value);
  return `0x${v.value.toString(16)}`;
}

/** The bytes of a string value (host order, as string_type exports it), up to the first NUL. */
export function stringOf(v: TypedValue): string {
  const n = Math.ceil(v.len / 8);
  const data = exportBytes(v.value, 'host', n);
  let end = data.indexOf(0);
  if (end < 0) end = data.length;
  return new TextDecoder().decode(data.subarray(0, end));
}

function ipv4Text(v: bigint): string {
  const b = exportBytes(v, 'big', 4);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** inet_ntop(AF_INET6) as glibc writes it (getnameinfo NI_NUMERICHOST). */
export function ipv6Text(v: bigint): string {
  const b = exportBytes(v, 'big', 16);
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function lladdrText(v: TypedValue): string {
  const n = Math.ceil(v.len / 8);
  return Array.from(exportBytes(v.value, 'big', n), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** symbolic_constant_json: the symbol, or the base type's JSON when the value has none. */
function symbolicJson(symbols: readonly (readonly [string, bigint])[], v: TypedValue, st: PrintState): JsonValue {
  const val = symbolValue(v.value, v.byteorder, v.len);
  for (const [id, s] of symbols) if (s === val) return id;
  return basetypeJson(v, st);
}

function basetypeJson(v: TypedValue, st: PrintState): JsonValue {
  let t: Datatype = v.dtype;
  while (t.basetype) t = t.basetype;
  return datatypeJson({ ...v, dtype: t }, st);
}

/** datatype_json: the first of json callback, symbol table, print callback along the base type chain. */
export function datatypeJson(v: TypedValue, st: PrintState): JsonValue {
  for (let t: Datatype | undefined = v.dtype; t; t = t.basetype) {
    if (t.json) return t.json(v, st);
    if (t.symbols) return symbolicJson(t.symbols, v, st);
    if (t.print) return t.print(v, st);
  }
  return integerJson(v);
}

/** time_print: "1d2h3m4s5ms". */
export function timeText(ms: bigint): string {
  let rest = ms;
  const days = rest / 86400000n;
  rest %= 86400000n;
  const hours = rest / 3600000n;
  rest %= 3600000n;
  const minutes = rest / 60000n;
  rest %= 60000n;
  const seconds = rest / 1000n;
  rest %= 1000n;
  let out = '';
  if (days > 0n) out += `${days}d`;
  if (hours > 0n) out += `${hours}h`;
  if (minutes > 0n) out += `${minutes}m`;
  if (seconds > 0n) out += `${seconds}s`;
  if (rest > 0n) out += `${rest}ms`;
  return out;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

// ------------------------------------------------------------------------------------------------------------
// the types

export const invalidType: Datatype = {
  type: TYPE.INVALID,
  name: 'invalid',
  byteorder: 'invalid',
  size: 0,
  print: (v) => `0x${v.value.toString(16)} [invalid type]`,
};

export const verdictType: Datatype = { type: TYPE.VERDICT, name: 'verdict', byteorder: 'invalid', size: 0 };

export const integerType: Datatype = { type: TYPE.INTEGER, name: 'integer', byteorder: 'invalid', size: 0, json: integerJson };

/** Raw payload loads print in hex in text; JSON prints them like integers. */
export const xintegerType: Datatype = { ...integerType, basetype: integerType };

export const bitmaskType: Datatype = { type: TYPE.BITMASK, name: 'bitmask', byteorder: 'invalid', size: 0, basetype: integerType };

export const stringType: Datatype = {
  type: TYPE.STRING,
  name: 'string',
  byteorder: 'host',
  size: 0,
  json: (v) => stringOf(v),
};

export const nfprotoType: Datatype = {
  type: TYPE.NFPROTO,
  name: 'nf_proto',
  byteorder: 'invalid',
  size: 8,
  basetype: integerType,
  symbols: sym(NFPROTO_SYMBOLS),
};

export const lladdrType: Datatype = {
  type: TYPE.LLADDR,
  name: 'll_addr',
  byteorder: 'big',
  size: 0,
  basetype: integerType,
  print: lladdrText,
};

export const ipaddrType: Datatype = {
  type: TYPE.IPADDR,
  name: 'ipv4_addr',
  byteorder: 'big',
  size: 32,
  basetype: integerType,
  prefix: true,
  print: (v) => ipv4Text(v.value),
};

export const ip6addrType: Datatype = {
  type: TYPE.IP6ADDR,
  name: 'ipv6_addr',
  byteorder: 'big',
  size: 128,
  basetype: integerType,
  prefix: true,
  print: (v) => ipv6Text(v.value),
};

export const etheraddrType: Datatype = { type: TYPE.ETHERADDR, name: 'ether_addr', byteorder: 'big', size: 48, basetype: lladdrType };

export const ethertypeType: Datatype = {
  type: TYPE.ETHERTYPE,
  name: 'ether_type',
  byteorder: 'big',
  size: 16,
  basetype: integerType,
  symbols: sym16be(ETHER_TYPE_SYMBOLS),
};

export const arpopType: Datatype = {
  type: TYPE.ARPOP,
  name: 'arp_op',
  byteorder: 'big',
  size: 16,
  basetype: integerType,
  symbols: sym16be(ARP_OP_SYMBOLS),
};

export const inetProtocolType: Datatype = {
  type: TYPE.INET_PROTOCOL,
  name: 'inet_proto',
  byteorder: 'invalid',
  size: 8,
  basetype: integerType,
  json: (v, st) => {
    if (!st.numericProto) {
      const name = protocolName(Number(v.value & 0xffn));
      if (name !== undefined) return name;
    }
    return integerJson(v);
  },
};

export const inetServiceType: Datatype = {
  type: TYPE.INET_SERVICE,
  name: 'inet_service',
  byteorder: 'big',
  size: 16,
  basetype: integerType,
  // Service names are off by default (nft -S turns them on): the port number.
  json: (v) => Number(v.value & 0xffffn),
};

export const icmpTypeType: Datatype = {
  type: TYPE.ICMP_TYPE,
  name: 'icmp_type',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym(ICMP_TYPE_SYMBOLS),
};

export const tcpFlagType: Datatype = {
  type: TYPE.TCP_FLAG,
  name: 'tcp_flag',
  byteorder: 'big',
  size: 8,
  basetype: bitmaskType,
  symbols: sym(TCP_FLAG_SYMBOLS),
};

export const dccpPkttypeType: Datatype = {
  type: TYPE.DCCP_PKTTYPE,
  name: 'dccp_pkttype',
  byteorder: 'invalid',
  size: 4,
  basetype: integerType,
  symbols: sym(DCCP_PKTTYPE_SYMBOLS),
};

export const mhTypeType: Datatype = {
  type: TYPE.MH_TYPE,
  name: 'mh_type',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym({
    'binding-refresh-request': 0,
    'home-test-init': 1,
    'careof-test-init': 2,
    'home-test': 3,
    'careof-test': 4,
    'binding-update': 5,
    'binding-acknowledgement': 6,
    'binding-error': 7,
    'fast-binding-update': 8,
    'fast-binding-acknowledgement': 9,
    'fast-binding-advertisement': 10,
    'experimental-mobility-header': 11,
    'home-agent-switch-message': 12,
  }),
};

/** Relative time: milliseconds, printed in seconds. */
export const timeType: Datatype = {
  type: TYPE.TIME,
  name: 'time',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  json: (v) => Number(u64(v.value) / 1000n),
};

export const markType: Datatype = {
  type: TYPE.MARK,
  name: 'mark',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  prefix: true,
  // /etc/iproute2/rt_marks: Debian ships none, so marks print as numbers.
  json: (v) => integerJson(v),
};

export const ifindexType: Datatype = {
  type: TYPE.IFINDEX,
  name: 'iface_index',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  print: (v, st) => {
    const index = Number(v.value & 0xffffffffn) | 0;
    return st.ctx.ifname(index) ?? String(index);
  },
};

export const arphrdType: Datatype = {
  type: TYPE.ARPHRD,
  name: 'iface_type',
  byteorder: 'host',
  size: 16,
  basetype: integerType,
  symbols: sym(ARPHRD_SYMBOLS),
};

/** Routing realm: /etc/iproute2/rt_realms of Debian names only 0 ("cosmos"). */
export const realmType: Datatype = {
  type: TYPE.REALM,
  name: 'realm',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  print: (v) => (v.value === 0n ? 'cosmos' : v.value.toString()),
};

export const tchandleType: Datatype = {
  type: TYPE.CLASSID,
  name: 'classid',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  print: (v) => {
    const h = Number(v.value & 0xffffffffn) >>> 0;
    if (h === 0xffffffff) return 'root';
    if (h === 0) return 'none';
    return `${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`;
  },
};

const u32Json = (v: TypedValue): JsonValue => Number(v.value & 0xffffffffn);

export const uidType: Datatype = { type: TYPE.UID, name: 'uid', byteorder: 'host', size: 32, basetype: integerType, json: u32Json };

export const gidType: Datatype = { type: TYPE.GID, name: 'gid', byteorder: 'host', size: 32, basetype: integerType, json: u32Json };

export const ctStateType: Datatype = {
  type: TYPE.CT_STATE,
  name: 'ct_state',
  byteorder: 'host',
  size: 32,
  basetype: bitmaskType,
  symbols: sym(CT_STATE_SYMBOLS),
};

export const ctDirType: Datatype = {
  type: TYPE.CT_DIR,
  name: 'ct_dir',
  byteorder: 'invalid',
  size: 8,
  basetype: integerType,
  symbols: sym(CT_DIR_SYMBOLS),
};

export const ctStatusType: Datatype = {
  type: TYPE.CT_STATUS,
  name: 'ct_status',
  byteorder: 'host',
  size: 32,
  basetype: bitmaskType,
  symbols: sym(CT_STATUS_SYMBOLS),
};

export const ctEventType: Datatype = {
  type: TYPE.CT_EVENTBIT,
  name: 'ct_event',
  byteorder: 'host',
  size: 32,
  basetype: bitmaskType,
  symbols: sym({
    new: 1,
    related: 2,
    destroy: 4,
    reply: 8,
    assured: 16,
    protoinfo: 32,
    helper: 64,
    mark: 128,
    seqadj: 256,
    secmark: 512,
    label: 1024,
  }),
};

/** Conntrack labels: the lowest set bit (connlabel.conf is not installed on Debian, so a number). */
export const ctLabelType: Datatype = {
  type: TYPE.CT_LABEL,
  name: 'ct_label',
  byteorder: 'host',
  size: 128,
  basetype: bitmaskType,
  json: (v) => scan1(v.value, 0),
};

export const icmp6TypeType: Datatype = {
  type: TYPE.ICMP6_TYPE,
  name: 'icmpv6_type',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym(ICMPV6_TYPE_SYMBOLS),
};

export const pkttypeType: Datatype = {
  type: TYPE.PKTTYPE,
  name: 'pkt_type',
  byteorder: 'host',
  size: 8,
  basetype: integerType,
  symbols: sym(PKT_TYPE_SYMBOLS),
};

export const icmpCodeType: Datatype = {
  type: TYPE.ICMP_CODE,
  name: 'icmp_code',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym(ICMP_CODE_SYMBOLS),
};

export const icmpv6CodeType: Datatype = {
  type: TYPE.ICMPV6_CODE,
  name: 'icmpv6_code',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym(ICMPV6_CODE_SYMBOLS),
};

export const icmpxCodeType: Datatype = {
  type: TYPE.ICMPX_CODE,
  name: 'icmpx_code',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym(ICMPX_CODE_SYMBOLS),
};

/** Device groups: /etc/iproute2/group of Debian names only 0 ("default"). */
export const devgroupType: Datatype = {
  type: TYPE.DEVGROUP,
  name: 'devgroup',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  prefix: true,
  json: (v, st) => symbolicJson(sym({ default: 0 }), v, st),
};

export const dscpType: Datatype = {
  type: TYPE.DSCP,
  name: 'dscp',
  byteorder: 'big',
  size: 6,
  basetype: integerType,
  symbols: sym(DSCP_SYMBOLS),
};

export const ecnType: Datatype = {
  type: TYPE.ECN,
  name: 'ecn',
  byteorder: 'big',
  size: 2,
  basetype: integerType,
  symbols: sym(ECN_SYMBOLS),
};

export const fibAddrType: Datatype = {
  type: TYPE.FIB_ADDR,
  name: 'fib_addrtype',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  symbols: sym(FIB_ADDRTYPE_SYMBOLS),
};

export const booleanType: Datatype = {
  type: TYPE.BOOLEAN,
  name: 'boolean',
  byteorder: 'invalid',
  size: 1,
  basetype: integerType,
  json: (v) => symbolValue(v.value, v.byteorder, v.len) !== 0n,
};

export const ifnameType: Datatype = { type: TYPE.IFNAME, name: 'ifname', byteorder: 'host', size: 16 * 8, basetype: stringType };

export const igmpTypeType: Datatype = {
  type: TYPE.IGMP_TYPE,
  name: 'igmp_type',
  byteorder: 'big',
  size: 8,
  basetype: integerType,
  symbols: sym({
    'membership-query': 0x11,
    'membership-report-v1': 0x12,
    'membership-report-v2': 0x16,
    'membership-report-v3': 0x22,
    'leave-group': 0x17,
  }),
};

/** meta time: nanoseconds since the epoch, printed as local date and time. */
export const dateType: Datatype = {
  type: TYPE.TIME_DATE,
  name: 'time',
  byteorder: 'host',
  size: 64,
  basetype: integerType,
  print: (v, st) => {
    let secs = Number(u64(v.value) / 1000000000n);
    secs += st.ctx.utcOffset(secs);
    const d = new Date(secs * 1000);
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(
      d.getUTCMinutes(),
    )}:${pad2(d.getUTCSeconds())}`;
  },
};

/** meta hour: seconds since midnight UTC, printed in local time. */
export const hourType: Datatype = {
  type: TYPE.TIME_HOUR,
  name: 'hour',
  byteorder: 'host',
  size: 32,
  basetype: integerType,
  print: (v, st) => {
    let seconds = Number(v.value & 0xffffffffn);
    const off = st.ctx.utcOffset(Math.floor(Date.now() / 1000));
    seconds = (((seconds + off) % 86400) + 86400) % 86400;
    let minutes = Math.floor(seconds / 60);
    seconds %= 60;
    const hours = Math.floor(minutes / 60);
    minutes %= 60;
    return `${pad2(hours)}:${pad2(minutes)}${seconds ? `:${pad2(seconds)}` : ''}`;
  },
};

export const dayType: Datatype = {
  type: TYPE.TIME_DAY,
  name: 'day',
  byteorder: 'host',
  size: 8,
  basetype: integerType,
  symbols: sym(DAY_SYMBOLS),
};

/** cgroup v2 ids: nft prints the path it finds under /sys/fs/cgroup; without the host's tree, the id. */
export const cgroupv2Type: Datatype = { type: TYPE.CGROUPV2, name: 'cgroupsv2', byteorder: 'host', size: 64, basetype: integerType };

const BY_ID: (Datatype | undefined)[] = [];
for (const t of [
  invalidType,
  verdictType,
  nfprotoType,
  bitmaskType,
  integerType,
  stringType,
  lladdrType,
  ipaddrType,
  ip6addrType,
  etheraddrType,
  ethertypeType,
  arpopType,
  inetProtocolType,
  inetServiceType,
  icmpTypeType,
  tcpFlagType,
  dccpPkttypeType,
  mhTypeType,
  timeType,
  markType,
  ifindexType,
  arphrdType,
  realmType,
  tchandleType,
  uidType,
  gidType,
  ctStateType,
  ctDirType,
  ctStatusType,
  icmp6TypeType,
  ctLabelType,
  pkttypeType,
  icmpCodeType,
  icmpv6CodeType,
  icmpxCodeType,
  devgroupType,
  dscpType,
  ecnType,
  fibAddrType,
  booleanType,
  ctEventType,
  ifnameType,
  igmpTypeType,
  dateType,
  hourType,
  dayType,
  cgroupv2Type,
]) {
  BY_ID[t.type] = t;
}

/** datatype_lookup. */
export function datatypeLookup(type: number): Datatype | undefined {
  return BY_ID[type];
}

export function concatSubtypeId(type: number, n: number): number {
  return Math.floor(type / 2 ** (TYPE_BITS * n)) & TYPE_MASK;
}

export function concatSubtypeLookup(type: number, n: number): Datatype | undefined {
  return datatypeLookup(concatSubtypeId(type, n));
}

function fls(x: number): number {
  let n = 0;
  let v = x;
  while (v > 0) {
    n++;
    v = Math.floor(v / 2);
  }
  return n;
}

/** concat_type_alloc: 'ipv4_addr . inet_service', size in padded bits. */
export function concatTypeAlloc(type: number): Datatype | undefined {
  const names: string[] = [];
  let size = 0;
  let subtypes = 0;
  let n = Math.ceil(fls(type) / TYPE_BITS);
  while (n > 0 && concatSubtypeId(type, --n)) {
    const t = concatSubtypeLookup(type, n);
    if (!t) return undefined;
    names.push(t.name);
    size += Math.ceil(t.size / 32) * 32;
    subtypes++;
  }
  return { type, name: names.join(' . '), byteorder: 'invalid', size, subtypes };
}

/** concat_subtype_add. */
export function concatSubtypeAdd(type: number, subtype: number): number {
  return type * 2 ** TYPE_BITS + subtype;
}

/** dtype_map_from_kernel: a set's NFTA_SET_KEY_TYPE / DATA_TYPE. */
export function dtypeFromKernel(type: number): Datatype | undefined {
  if (type === NFT_DATA_VERDICT) return verdictType;
  if (type > TYPE_MASK) return concatTypeAlloc(type);
  return datatypeLookup(type);
}

/** set_datatype_alloc: a plain integer key takes the byte order the set's userdata records. */
export function setDatatypeAlloc(t: Datatype, byteorder: ByteOrder): Datatype {
  if (t !== integerType) return t;
  return { ...t, byteorder };
}

export function basetypeOf(t: Datatype): Datatype {
  let b = t;
  while (b.basetype) b = b.basetype;
  return b;
}

export function isBitmaskType(t: Datatype): boolean {
  return t.basetype?.type === TYPE.BITMASK;
}
