/**
 * nft's datatypes, as far as the text listing needs them: which datatype an expression has (payload
 * fields, meta and ct keys...), and how a JSON value of that type prints. The JSON document keeps
 * numbers as numbers and symbols as strings; nft's text prints some numbers in hex (marks, ether
 * types), quotes some strings (interface names) and writes times as 1h2m3s.
 */
import {
  ARP_OP_SYMBOLS,
  CT_DIR_SYMBOLS,
  DCCP_PKTTYPE_SYMBOLS,
  DSCP_SYMBOLS,
  ECN_SYMBOLS,
  ETHER_TYPE_SYMBOLS,
  ICMPV6_CODE_SYMBOLS,
  ICMPV6_TYPE_SYMBOLS,
  ICMP_CODE_SYMBOLS,
  ICMP_TYPE_SYMBOLS,
  NFPROTO_SYMBOLS,
  PKT_TYPE_SYMBOLS,
  type SymbolTable,
} from '../json/symbol-tables.js';

/** How values of a datatype print: the datatype's print function in nft's datatype.c, reduced. */
export interface ValueFormat {
  /** numbers: decimal, or hex with at least `width` digits */
  num: 'dec' | 'hex' | 'time' | 'bool';
  width?: number;
  /** strings: printed inside double quotes (string types: interface names, helpers...) */
  quote?: boolean;
  /** a bitmask type: lists of flags print joined with ',' */
  bitmask?: boolean;
  /** named-set element layout (rule.c calculate_delim): elements per line, 0 = one per line */
  perLine?: number;
}

const DEC: ValueFormat = { num: 'dec', perLine: 0 };
const INT: ValueFormat = { num: 'dec', perLine: 5 };
const PAIR: ValueFormat = { num: 'dec', perLine: 2 };
const QUOTED: ValueFormat = { num: 'dec', quote: true, perLine: 0 };

/** nft datatype name -> how its values print. Names as `nft -j` writes them in set "type". */
const TYPES: Record<string, ValueFormat> = {
  integer: INT,
  xinteger: { num: 'hex', width: 0, perLine: 0 },
  string: QUOTED,
  ifname: QUOTED,
  iface_index: { num: 'dec', quote: true, perLine: 5 },
  devgroup: QUOTED,
  cgroupsv2: QUOTED,
  day: QUOTED,
  hour: QUOTED,
  date: QUOTED,
  ipv4_addr: PAIR,
  ipv6_addr: DEC,
  ether_addr: DEC,
  ether_type: { num: 'hex', width: 4, perLine: 0 },
  mark: { num: 'hex', width: 8, perLine: 5 },
  dscp: { num: 'hex', width: 2, perLine: 0 },
  ecn: { num: 'hex', width: 0, perLine: 0 },
  tcp_flag: { num: 'hex', width: 0, bitmask: true, perLine: 5 },
  ct_state: { num: 'hex', width: 0, bitmask: true, perLine: 2 },
  ct_status: { num: 'hex', width: 0, bitmask: true, perLine: 2 },
  ct_event: { num: 'hex', width: 0, bitmask: true, perLine: 0 },
  ct_label: { num: 'dec', bitmask: true, perLine: 0 },
  pkt_type: PAIR,
  nf_proto: INT,
  inet_proto: INT,
  inet_service: INT,
  arp_op: INT,
  dccp_pkttype: INT,
  classid: INT,
  uid: INT,
  gid: INT,
  ct_dir: INT,
  time: { num: 'time', perLine: 0 },
  boolean: { num: 'bool', perLine: 0 },
  verdict: DEC,
  counter: QUOTED,
  quota: QUOTED,
  limit: QUOTED,
  'ct helper': QUOTED,
  'ct timeout': QUOTED,
  'ct expectation': QUOTED,
  secmark: QUOTED,
  synproxy: QUOTED,
};

/** The format of a datatype by name; unknown names print like integers. */
export function typeFormat(name: string | undefined): ValueFormat {
  return (name !== undefined && TYPES[name]) || DEC;
}

// ---------------------------------------------------------------------------------------------------------------
// Datatypes of expressions (proto.c, meta.c, ct.c, exthdr.c...)

const ADDR4 = 'ipv4_addr';
const ADDR6 = 'ipv6_addr';
const PORT = 'inet_service';
const PROTO = 'inet_proto';

/** Payload header fields whose datatype is not a plain integer, by protocol. */
const PAYLOAD: Record<string, Record<string, string>> = {
  ether: { saddr: 'ether_addr', daddr: 'ether_addr', type: 'ether_type' },
  vlan: { type: 'ether_type' },
  arp: {
    ptype: 'ether_type',
    operation: 'arp_op',
    'saddr ether': 'ether_addr',
    'daddr ether': 'ether_addr',
    'saddr ip': ADDR4,
    'daddr ip': ADDR4,
  },
  ip: { dscp: 'dscp', ecn: 'ecn', protocol: PROTO, saddr: ADDR4, daddr: ADDR4 },
  icmp: { type: 'icmp_type', code: 'icmp_code' },
  igmp: { type: 'igmp_type', group: ADDR4 },
  ip6: { dscp: 'dscp', ecn: 'ecn', nexthdr: PROTO, saddr: ADDR6, daddr: ADDR6 },
  icmpv6: { type: 'icmpv6_type', code: 'icmpv6_code', taddr: ADDR6, daddr: ADDR6 },
  ah: { nexthdr: PROTO },
  comp: { nexthdr: PROTO },
  udp: { sport: PORT, dport: PORT },
  udplite: { sport: PORT, dport: PORT },
  tcp: { sport: PORT, dport: PORT, flags: 'tcp_flag' },
  dccp: { sport: PORT, dport: PORT, type: 'dccp_pkttype' },
  sctp: { sport: PORT, dport: PORT },
  th: { sport: PORT, dport: PORT },
};

/** IPv6 extension headers (exthdr expression). */
const EXTHDR: Record<string, Record<string, string>> = {
  hbh: { nexthdr: PROTO },
  rt: { nexthdr: PROTO },
  rt0: { nexthdr: PROTO, 'addr[1]': ADDR6 },
  rt2: { nexthdr: PROTO, addr: ADDR6 },
  srh: { nexthdr: PROTO, 'sid[1]': ADDR6 },
  frag: { nexthdr: PROTO },
  dst: { nexthdr: PROTO },
  mh: { nexthdr: PROTO, type: 'mh_type' },
};

const META: Record<string, string> = {
  mark: 'mark',
  protocol: 'ether_type',
  ibrvproto: 'ether_type',
  iifname: 'ifname',
  oifname: 'ifname',
  ibrname: 'ifname',
  obrname: 'ifname',
  sdifname: 'ifname',
  iifkind: 'ifname',
  oifkind: 'ifname',
  iif: 'iface_index',
  oif: 'iface_index',
  sdif: 'iface_index',
  iiftype: 'iface_type',
  oiftype: 'iface_type',
  skuid: 'uid',
  skgid: 'gid',
  rtclassid: 'realm',
  priority: 'classid',
  pkttype: 'pkt_type',
  iifgroup: 'devgroup',
  oifgroup: 'devgroup',
  nfproto: 'nf_proto',
  l4proto: PROTO,
  ipsec: 'boolean',
  secpath: 'boolean',
  time: 'date',
  day: 'day',
  hour: 'hour',
};

const CT: Record<string, string> = {
  state: 'ct_state',
  status: 'ct_status',
  event: 'ct_event',
  direction: 'ct_dir',
  mark: 'mark',
  expiration: 'time',
  helper: 'string',
  l3proto: 'nf_proto',
  protocol: PROTO,
  'proto-src': PORT,
  'proto-dst': PORT,
  label: 'ct_label',
  saddr: ADDR4,
  daddr: ADDR4,
  'ip saddr': ADDR4,
  'ip daddr': ADDR4,
  'ip6 saddr': ADDR6,
  'ip6 daddr': ADDR6,
};

const RT: Record<string, string> = { classid: 'realm', ipsec: 'boolean' };
const FIB: Record<string, string> = { oif: 'iface_index', oifname: 'ifname', type: 'fib_addrtype' };
const SOCKET: Record<string, string> = { mark: 'mark', cgroupv2: 'cgroupsv2' };

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

/** The datatype name of an expression (a left-hand side, a mangled key, a map key). */
export function exprType(e: unknown): string | string[] | undefined {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return undefined;
  const o = e as Obj;
  if (o.payload) return payloadType(o.payload);
  if (o.meta) return META[o.meta.key] ?? 'integer';
  if (o.ct) return CT[o.ct.key] ?? 'integer';
  if (o.concat) return (o.concat as unknown[]).map((c) => flatType(exprType(c)));
  if (o.exthdr) return o.exthdr.field === undefined ? 'boolean' : (EXTHDR[o.exthdr.name]?.[o.exthdr.field] ?? 'integer');
  if (o['tcp option']) return o['tcp option'].field === undefined ? 'boolean' : 'integer';
  if (o['ip option']) return o['ip option'].field === undefined ? 'boolean' : o['ip option'].field === 'addr' ? ADDR4 : 'integer';
  if (o['sctp chunk']) return o['sctp chunk'].field === undefined ? 'boolean' : 'integer';
  if (o['dccp option']) return 'boolean';
  if (o.fib) return FIB[o.fib.result] ?? 'integer';
  if (o.rt) return o.rt.key === 'nexthop' ? (o.rt.family === 'ip6' ? ADDR6 : ADDR4) : (RT[o.rt.key] ?? 'integer');
  if (o.socket) return SOCKET[o.socket.key] ?? 'integer';
  if (o.osf) return 'string';
  if (o.ipsec) return ipsecType(o.ipsec);
  for (const op of ['&', '|', '^', '<<', '>>']) if (o[op]) return exprType(o[op][0]);
  if (o.map) return undefined;
  return undefined;
}

function payloadType(p: Obj): string {
  if (p.protocol === undefined) return 'xinteger';
  return PAYLOAD[p.protocol]?.[p.field] ?? 'integer';
}

function ipsecType(x: Obj): string {
  if (x.key === 'saddr' || x.key === 'daddr') return x.family === 'ip6' ? ADDR6 : ADDR4;
  return 'integer';
}

function flatType(t: string | string[] | undefined): string {
  if (t === undefined) return 'integer';
  return Array.isArray(t) ? t.join(' . ') : t;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/** Milliseconds as nft's time_print writes them: 1d2h3m4s5ms (a document's seconds may carry milliseconds as a fraction). */
export function formatTime(ms: number): string {
  let rest = Math.round(ms);
  const parts: [number, string][] = [];
  for (const [unit, suffix] of [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ] as const) {
    parts.push([Math.floor(rest / unit), suffix]);
    rest %= unit;
  }
  parts.push([rest, 'ms']);
  return parts
    .filter(([n]) => n > 0)
    .map(([n, s]) => `${n}${s}`)
    .join('');
}

/** A JSON number printed as a datatype prints it. */
export function formatNumber(n: number, f: ValueFormat): string {
  switch (f.num) {
    case 'hex':
      return `0x${hex(n, f.width ?? 0)}`;
    case 'time':
      return formatTime(n * 1000);
    default:
      return String(n);
  }
}

function hex(n: number, width: number): string {
  const digits = n < 0 ? (BigInt(n) & 0xffffffffffffffffn).toString(16) : n.toString(16);
  return digits.padStart(width, '0');
}

/** A JSON string printed as a datatype prints it. */
export function formatString(s: string, f: ValueFormat): string {
  return f.quote ? `"${s}"` : s;
}

/** nft's get_rate: bytes in the largest unit that divides them exactly (already done by nft -j for rates). */
export function byteUnits(bytes: number): [number, string] {
  const units = ['bytes', 'kbytes', 'mbytes'];
  let i = 0;
  let v = bytes;
  while (v !== 0 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return [v, units[i]!];
}

// ---------------------------------------------------------------------------------------------------------------
// Symbol tables (proto.c, datatype.c) of the types whose constants a range prints as numbers

const SYMBOLS: Readonly<Record<string, SymbolTable>> = {
  icmp_type: ICMP_TYPE_SYMBOLS,
  icmpv6_type: ICMPV6_TYPE_SYMBOLS,
  icmp_code: ICMP_CODE_SYMBOLS,
  icmpv6_code: ICMPV6_CODE_SYMBOLS,
  dscp: DSCP_SYMBOLS,
  ecn: ECN_SYMBOLS,
  ether_type: ETHER_TYPE_SYMBOLS,
  arp_op: ARP_OP_SYMBOLS,
  pkt_type: PKT_TYPE_SYMBOLS,
  nf_proto: NFPROTO_SYMBOLS,
  ct_dir: CT_DIR_SYMBOLS,
  dccp_pkttype: DCCP_PKTTYPE_SYMBOLS,
};

/** The number of a symbolic constant of a datatype, when nft has a table for it. */
export function symbolValue(type: string | undefined, symbol: string): number | undefined {
  return type === undefined ? undefined : SYMBOLS[type]?.[symbol];
}
