/**
 * nft's datatypes (nft 1.0.6 include/datatype.h): the id a set key carries (NFTA_SET_KEY_TYPE), the
 * size and byte order of values, and how the JSON writes them ('ssh', 'established', '10.0.0.1',
 * 'eth0'). A value is encoded here into the bytes nft puts in a cmp, an immediate or a set element.
 */
import { parseHwaddr, parseIPv4, parseIp } from '../../codec/values.js';
import { type JsonPath, fail } from './json-path.js';
import {
  ARPHRD_SYMBOLS,
  ARP_OP_SYMBOLS,
  CT_DIR_SYMBOLS,
  CT_STATE_SYMBOLS,
  CT_STATUS_SYMBOLS,
  DAY_SYMBOLS,
  DSCP_SYMBOLS,
  ECN_SYMBOLS,
  ETHER_TYPE_SYMBOLS,
  ICMPV6_CODE_SYMBOLS,
  ICMPV6_TYPE_SYMBOLS,
  ICMPX_CODE_SYMBOLS,
  ICMP_CODE_SYMBOLS,
  ICMP_TYPE_SYMBOLS,
  IP_PROTOCOL_KEYWORDS,
  IP_PROTOCOL_NAMES,
  NFPROTO_SYMBOLS,
  PKT_TYPE_SYMBOLS,
  type SymbolTable,
  TCP_FLAG_SYMBOLS,
} from './symbol-tables.js';

export type ByteOrder = 'big' | 'host';

export interface DataType {
  readonly name: string;
  /** nft's TYPE_* id (set key types; concatenations pack 6 bits per field). */
  readonly id: number;
  /** Bits of one value (0: given by the expression, as for integer and string). */
  readonly bits: number;
  readonly byteorder: ByteOrder;
  /** Bits test with 'in' (LHS & RHS != 0); a list of names ORs together. */
  readonly bitmask?: boolean;
  /** Symbolic names -> values ('established' -> 2). */
  readonly symbols?: Readonly<Record<string, number>>;
  /** nft gives the type no byte order (BYTEORDER_INVALID): its one-byte values have none. */
  readonly noByteorder?: boolean;
  readonly parse?: 'ipv4' | 'ipv6' | 'ether' | 'string' | 'verdict' | 'boolean' | 'duration' | 'bit' | 'classid';
}

const t = (name: string, id: number, bits: number, byteorder: ByteOrder, extra: Partial<DataType> = {}): DataType => ({
  name,
  id,
  bits,
  byteorder,
  ...extra,
});

/** Protocol names: those of /etc/protocols (nft's getprotobyname) and nft's keywords. */
const INET_PROTO: SymbolTable = {
  ...Object.fromEntries(Object.entries(IP_PROTOCOL_NAMES).map(([n, name]) => [name, Number(n)])),
  ...IP_PROTOCOL_KEYWORDS,
};
/** The services of nft's /etc/services lookups that rules name most; other ports go by number. */
const SERVICES = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submissions: 465,
  submission: 587,
  imaps: 993,
  pop3s: 995,
};

export const TYPES = {
  verdict: t('verdict', 1, 0, 'host', { parse: 'verdict' }),
  nf_proto: t('nf_proto', 2, 8, 'host', { noByteorder: true, symbols: NFPROTO_SYMBOLS }),
  integer: t('integer', 4, 0, 'host'),
  string: t('string', 5, 0, 'host', { parse: 'string' }),
  ipv4_addr: t('ipv4_addr', 7, 32, 'big', { parse: 'ipv4' }),
  ipv6_addr: t('ipv6_addr', 8, 128, 'big', { parse: 'ipv6' }),
  ether_addr: t('ether_addr', 9, 48, 'big', { parse: 'ether' }),
  ether_type: t('ether_type', 10, 16, 'big', { symbols: ETHER_TYPE_SYMBOLS }),
  inet_proto: t('inet_proto', 12, 8, 'big', { noByteorder: true, symbols: INET_PROTO }),
  inet_service: t('inet_service', 13, 16, 'big', { symbols: SERVICES }),
  icmp_type: t('icmp_type', 14, 8, 'big', { symbols: ICMP_TYPE_SYMBOLS }),
  tcp_flag: t('tcp_flag', 15, 8, 'big', { bitmask: true, symbols: TCP_FLAG_SYMBOLS }),
  mark: t('mark', 19, 32, 'host'),
  iface_index: t('iface_index', 20, 32, 'host'),
  iface_type: t('iface_type', 21, 16, 'host', { symbols: ARPHRD_SYMBOLS }),
  realm: t('realm', 22, 32, 'host'),
  /** tc class ids: "major:minor" in hex, or "root", "none". */
  classid: t('classid', 23, 32, 'host', { parse: 'classid' }),
  uid: t('uid', 24, 32, 'host'),
  gid: t('gid', 25, 32, 'host'),
  ct_state: t('ct_state', 26, 32, 'host', { bitmask: true, symbols: CT_STATE_SYMBOLS }),
  ct_dir: t('ct_dir', 27, 8, 'host', { symbols: CT_DIR_SYMBOLS }),
  ct_status: t('ct_status', 28, 32, 'host', { bitmask: true, symbols: CT_STATUS_SYMBOLS }),
  icmpv6_type: t('icmpv6_type', 29, 8, 'big', { symbols: ICMPV6_TYPE_SYMBOLS }),
  icmp_code: t('icmp_code', 32, 8, 'big', { symbols: ICMP_CODE_SYMBOLS }),
  icmpv6_code: t('icmpv6_code', 33, 8, 'big', { symbols: ICMPV6_CODE_SYMBOLS }),
  icmpx_code: t('icmpx_code', 34, 8, 'big', { symbols: ICMPX_CODE_SYMBOLS }),
  arp_op: t('arp_op', 11, 16, 'big', { symbols: ARP_OP_SYMBOLS }),
  /** Conntrack labels: a label is a bit number (names of connlabel.conf are not known here). */
  ct_label: t('ct_label', 30, 128, 'host', { parse: 'bit' }),
  pkt_type: t('pkt_type', 31, 8, 'host', { symbols: PKT_TYPE_SYMBOLS }),
  devgroup: t('devgroup', 35, 32, 'host'),
  dscp: t('dscp', 36, 6, 'big', { symbols: DSCP_SYMBOLS }),
  ecn: t('ecn', 37, 2, 'big', { symbols: ECN_SYMBOLS }),
  boolean: t('boolean', 39, 1, 'host', { parse: 'boolean' }),
  ifname: t('ifname', 41, 128, 'host', { parse: 'string' }),
  /** Durations (ct expiration): milliseconds; JSON gives seconds, or nft's "1d2h3m4s". */
  time: t('time', 18, 32, 'host', { parse: 'duration' }),
  /** Wall-clock time (meta time): nanoseconds since the epoch; JSON gives seconds. */
  date: t('time', 43, 64, 'host'),
  day: t('day', 45, 8, 'host', { symbols: DAY_SYMBOLS }),
  hour: t('hour', 44, 32, 'host'),
} as const satisfies Record<string, DataType>;

export type TypeName = keyof typeof TYPES;

/** A datatype by the name a set's "type" gives it. */
export function typeByName(name: string): DataType | undefined {
  return Object.hasOwn(TYPES, name) ? TYPES[name as TypeName] : undefined;
}

/** Where a value is going: its type, its size in bits and byte order (those of the field it is compared with). */
export interface ValueSlot {
  readonly type: DataType;
  readonly bits: number;
  readonly byteorder: ByteOrder;
}

export function slotOf(type: DataType, bits = type.bits, byteorder = type.byteorder): ValueSlot {
  return { type, bits, byteorder };
}

export const byteLen = (bits: number): number => Math.ceil(bits / 8);

/** An unsigned integer as `len` bytes in the given byte order. */
export function intBytes(n: bigint, len: number, byteorder: ByteOrder): Uint8Array {
  const out = new Uint8Array(len);
  let v = n;
  for (let i = 0; i < len; i++) {
    out[byteorder === 'big' ? len - 1 - i : i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToInt(b: Uint8Array, byteorder: ByteOrder): bigint {
  let n = 0n;
  for (let i = 0; i < b.length; i++) n = (n << 8n) | BigInt(b[byteorder === 'big' ? i : b.length - 1 - i]!);
  return n;
}

/** A number, or text that is a decimal or 0x-hex integer. */
function parseInteger(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) return BigInt(v);
  return undefined;
}

/** The integer a value of an integer-like type stands for (names resolved, flag lists OR'd). */
export function valueNumber(slot: ValueSlot, v: unknown, path: JsonPath): bigint {
  const { type } = slot;
  if (typeof v === 'string' && type.symbols && Object.hasOwn(type.symbols, v)) return BigInt(type.symbols[v]!);
  if (Array.isArray(v) && type.bitmask) {
    let n = 0n;
    v.forEach((f, i) => {
      n |= valueNumber(slot, f, path.at(i));
    });
    return n;
  }
  const n = parseInteger(v);
  if (n === undefined) {
    const names = type.symbols ? `; known names: ${Object.keys(type.symbols).join(', ')}` : '';
    fail(path, v, `is not a ${describeType(slot)}${names}`);
  }
  const max = (1n << BigInt(slot.bits)) - 1n;
  if (n > max) fail(path, v, `does not fit the ${slot.bits} bits of a ${describeType(slot)} (at most ${max})`);
  return n;
}

function describeType(slot: ValueSlot): string {
  switch (slot.type.name) {
    case 'inet_service':
      return 'port (0-65535, or a service name)';
    case 'inet_proto':
      return 'protocol (a number or a name like tcp, udp)';
    case 'integer':
      return `${slot.bits}-bit number`;
    default:
      return `${slot.type.name.replace(/_/g, ' ')} value`;
  }
}

const utf8 = new TextEncoder();

/** The bytes of one value as nft linearizes a constant of this slot. */
export function encodeValue(slot: ValueSlot, v: unknown, path: JsonPath): Uint8Array {
  const len = byteLen(slot.bits);
  switch (slot.type.parse) {
    case 'ipv4': {
      const b = typeof v === 'string' ? parseIPv4(v) : undefined;
      return b ?? fail(path, v, 'is not an IPv4 address (like 192.0.2.1)');
    }
    case 'ipv6': {
      const b = typeof v === 'string' && v.includes(':') ? parseIp(v) : undefined;
      return b ?? fail(path, v, 'is not an IPv6 address (like 2001:db8::1)');
    }
    case 'ether': {
      const b = typeof v === 'string' ? parseHwaddr(v) : undefined;
      return b && b.length === 6 ? b : fail(path, v, 'is not an Ethernet address (like 02:00:00:00:00:01)');
    }
    case 'string':
      return encodeString(slot, v, path);
    case 'boolean':
      if (typeof v !== 'boolean' && v !== 'exists' && v !== 'missing') fail(path, v, 'must be true or false');
      return intBytes(v === true || v === 'exists' ? 1n : 0n, len, slot.byteorder);
    case 'verdict':
      return fail(path, v, 'is a verdict, not a value');
    case 'duration':
      return intBytes(durationMs(v, path), len, slot.byteorder);
    case 'classid': {
      const m = typeof v === 'string' ? /^([0-9a-f]{0,4}):([0-9a-f]{0,4})$/i.exec(v) : null;
      if (v === 'root') return intBytes(0xffffffffn, len, slot.byteorder);
      if (v === 'none') return intBytes(0n, len, slot.byteorder);
      if (!m) return intBytes(valueNumber(slot, v, path), len, slot.byteorder);
      const id = (BigInt(`0x${m[1] || '0'}`) << 16n) | BigInt(`0x${m[2] || '0'}`);
      return intBytes(id, len, slot.byteorder);
    }
    case 'bit': {
      const list = Array.isArray(v) ? v : [v];
      let n = 0n;
      list.forEach((b, i) => {
        const p = Array.isArray(v) ? path.at(i) : path;
        const bit =
          typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < slot.bits
            ? b
            : fail(p, b, `is not a label bit number (0 to ${slot.bits - 1})`);
        n |= 1n << BigInt(bit);
      });
      return intBytes(n, len, slot.byteorder);
    }
    default:
      return intBytes(valueNumber(slot, v, path), len, slot.byteorder);
  }
}

/** Interface names and strings: padded with zeros to the field's size. */
function encodeString(slot: ValueSlot, v: unknown, path: JsonPath): Uint8Array {
  if (typeof v !== 'string') return fail(path, v, 'must be a string');
  const bytes = utf8.encode(v);
  const len = byteLen(slot.bits);
  if (bytes.length >= len && slot.type === TYPES.ifname) fail(path, v, `is ${bytes.length} bytes long; interface names have at most ${len - 1}`);
  if (bytes.length > len) fail(path, v, `is ${bytes.length} bytes long; at most ${len} fit`);
  const out = new Uint8Array(len);
  out.set(bytes);
  return out;
}

/** "eth*": an interface name wildcard, compared by its prefix. */
export function stringWildcard(slot: ValueSlot, v: unknown): Uint8Array | undefined {
  if (slot.type.parse !== 'string' || typeof v !== 'string' || !v.endsWith('*') || v.endsWith('\\*')) return undefined;
  return utf8.encode(v.slice(0, -1));
}

/** An address of either family: 4 or 16 bytes. */
export function parseAddress(v: unknown): Uint8Array | undefined {
  return typeof v === 'string' ? parseIp(v) : undefined;
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = { d: 86400000n, h: 3600000n, m: 60000n, s: 1000n, ms: 1n };

/** A duration in milliseconds: a number of seconds, or nft's text ("30s", "1d2h3m4s", "250ms"). */
function durationMs(v: unknown, path: JsonPath): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v) * 1000n;
  if (typeof v === 'string' && /^(\d+(ms|d|h|m|s))+$/.test(v)) {
    let ms = 0n;
    for (const m of v.matchAll(/(\d+)(ms|d|h|m|s)/g)) ms += BigInt(m[1]!) * DURATION_UNITS[m[2]!]!;
    return ms;
  }
  return fail(path, v, 'is not a duration (seconds, or like "1h30m", "45s")');
}
