/**
 * Route input, checked before anything is built or sent: destinations, gateways and vias,
 * tables, types, scopes, protocols and metrics by name, with the messages a person can act on.
 */
import { rtTableEnum } from '../../protocol/rt-common.js';
import { rtRouteSpec } from '../../protocol/rt-route.js';
import type { RtRouteMetricsAttrs, RtRouteRtaxFeatures, RtRouteRtaxLock } from '../generated/index.js';
import { InvalidArgumentError } from './errors.js';
import type { Route } from './route-fields.js';
import { ROUTE_TYPES, type RouteInput, type RouteProtocol, type RouteScope, type RouteType } from './route-types.js';
import {
  AF,
  type Family,
  type ParsedAddress,
  type ParsedPrefix,
  checkFamily,
  checkInt,
  checkU32,
  networkOf,
  parseAddress,
  parsePrefix,
} from './validate.js';

export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

const { default: RT_TABLE_DEFAULT } = rtTableEnum.entries;
/** The table names a caller may use (RT_TABLE_*); other tables are numbers. */
export const TABLE_NAMES: Readonly<Record<string, number>> = { default: RT_TABLE_DEFAULT, main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL };
export const TYPES = rtRouteSpec.definitions['rtm-type'].entries as Readonly<Record<string, number>>;
export const SCOPES = rtRouteSpec.definitions['rt-scope'].entries as Readonly<Record<string, number>>;
export const PROTOCOLS = rtRouteSpec.definitions['rt-protocol'].entries as Readonly<Record<string, number>>;
const LOCK_NAMES = Object.keys(rtRouteSpec.definitions['rtax-lock'].entries);
const FEATURE_NAMES = Object.keys(rtRouteSpec.definitions['rtax-features'].entries);
const METRIC_NAMES = rtRouteSpec.attributeSets.metrics.attributes.map((a) => a.name as string);

/** Route types that take no gateway or device (the kernel rejects one), and those that need one. */
export const NO_NEXTHOP_TYPES: ReadonlySet<string> = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);
export const NEEDS_NEXTHOP_TYPES: ReadonlySet<string> = new Set(['unicast', 'local', 'broadcast']);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type MetricsIn = RtRouteMetricsAttrs<'request'> & Record<string, unknown>;

export interface ParsedDst {
  family?: Family;
  prefixlen: number;
  bytes?: Uint8Array;
  address?: string;
}

export function parseDst(dst: unknown, argument: string): ParsedDst {
  if (dst === undefined) throw new InvalidArgumentError(argument, dst, "is required: 'default' or a prefix like 10.0.0.0/8");
  if (dst === 'default') return { prefixlen: 0 };
  const p = parseNetwork(dst, argument);
  if (p.prefixlen === 0) return { family: p.family, prefixlen: 0 }; // 0.0.0.0/0 is default
  return p;
}

/**
 * Dotted-quad IPv4 without ipaddr.js (batches parse 100k of these): the same strict form as
 * validate.parseAddress (no leading zeros, each part 0..255). undefined means "take the slow path".
 */
function fastIPv4(text: string, start: number, end: number): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let i = start;
  while (part < 4) {
    const first = i;
    let n = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && text.charCodeAt(first) === 48)) return undefined;
    out[part++] = n;
    if (part < 4) {
      if (i >= end || text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === end ? out : undefined;
}

export function parseAddr(text: unknown, argument: string): ParsedAddress {
  if (typeof text === 'string') {
    const b = fastIPv4(text, 0, text.length);
    if (b) return { family: 'inet', address: text, bytes: b };
  }
  return parseAddress(text, argument);
}

/** A prefix whose host bits are clear (routes are keyed by the network). */
function parseNetwork(text: unknown, argument: string): ParsedPrefix {
  if (typeof text === 'string') {
    const slash = text.indexOf('/');
    const end = slash < 0 ? text.length : slash;
    const b = fastIPv4(text, 0, end);
    const lenText = slash < 0 ? '32' : text.slice(slash + 1);
    if (b && /^\d{1,2}$/.test(lenText) && Number(lenText) <= 32) {
      const len = Number(lenText);
      const addr = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      if ((addr & ~mask) >>> 0 === 0) return { family: 'inet', address: text.slice(0, end), bytes: b, prefixlen: len };
    }
  }
  const p = parsePrefix(text, argument);
  const net = networkOf(p);
  if (!sameBytes(net.bytes, p.bytes)) {
    throw new InvalidArgumentError(argument, text, `${String(text)} has host bits set; did you mean ${net.address}/${p.prefixlen}?`);
  }
  return p;
}

export function parseSrc(text: unknown, argument: string): ParsedPrefix {
  return parseNetwork(text, argument);
}

export function parseVia(v: unknown, argument: string): ParsedAddress {
  if (typeof v === 'object' && v !== null && 'address' in v) {
    const o = v as { family?: unknown; address: unknown };
    const p = parseAddr(o.address, argument);
    if (o.family !== undefined && checkFamily(o.family, argument) !== p.family) {
      throw new InvalidArgumentError(argument, o.address, `is not an address of family ${String(o.family)}`);
    }
    return p;
  }
  return parseAddr(v, argument);
}

/** struct rtvia: __kernel_sa_family_t (u16, host order) then the address. */
export function encodeVia(p: ParsedAddress): Uint8Array {
  const out = new Uint8Array(2 + p.bytes.length);
  new DataView(out.buffer).setUint16(0, AF[p.family], HOST_LITTLE_ENDIAN);
  out.set(p.bytes, 2);
  return out;
}

export function parseHostAddress(text: unknown, argument: string): ParsedAddress {
  if (typeof text === 'string' && text.includes('/')) {
    const p = parsePrefix(text, argument);
    if (p.prefixlen !== (p.family === 'inet' ? 32 : 128)) {
      throw new InvalidArgumentError(argument, text, 'must be one address (route get looks up a single destination)');
    }
    return p;
  }
  return parseAddress(text, argument);
}

export function tableId(v: unknown, argument = 'table'): number {
  if (typeof v === 'string') {
    const named = TABLE_NAMES[v];
    if (named !== undefined) return named;
    if (/^\d{1,10}$/.test(v)) return checkInt(Number(v), argument, 1, 0xffffffff);
  } else if (typeof v === 'number') {
    return checkInt(v, argument, 1, 0xffffffff);
  }
  throw new InvalidArgumentError(argument, v, "must be 'main', 'local', 'default' or a table id from 1 to 4294967295");
}

export function checkType(v: unknown, argument: string): RouteType {
  if (typeof v === 'string' && (ROUTE_TYPES as readonly string[]).includes(v)) return v as RouteType;
  throw new InvalidArgumentError(argument, v, `must be one of ${ROUTE_TYPES.join(', ')}`);
}

export function typeNumber(v: unknown, argument = 'type'): number {
  return TYPES[checkType(v, argument)]!;
}

export function scopeNumber(v: unknown, argument: string): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && SCOPES[v] !== undefined) return SCOPES[v]!;
  throw new InvalidArgumentError(argument, v, `must be one of ${Object.keys(SCOPES).join(', ')} or a number 0..255`);
}

export function protocolNumber(v: unknown, argument = 'protocol'): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && PROTOCOLS[v] !== undefined) return PROTOCOLS[v]!;
  throw new InvalidArgumentError(argument, v, `must be a number 0..255 or one of ${Object.keys(PROTOCOLS).join(', ')}`);
}

export function ipv(f: Family): string {
  return f === 'inet' ? 'IPv4' : 'IPv6';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A Route from list() given to delete(): the fields that identify it. */
export function fromRoute(r: RouteInput | Route): RouteInput {
  if (typeof r !== 'object' || r === null || !('raw' in r)) return r as RouteInput;
  const out: RouteInput = { dst: r.dst };
  if (r.family === 'inet' || r.family === 'inet6') out.family = r.family;
  if (r.src !== undefined) out.src = r.src;
  if (r.table !== undefined) out.table = r.table;
  if (typeof r.type === 'string' && (ROUTE_TYPES as readonly string[]).includes(r.type)) out.type = r.type as RouteType;
  if (r.protocol !== undefined) out.protocol = r.protocol as RouteProtocol;
  if (r.scope !== undefined && r.family !== 'inet6') out.scope = r.scope as RouteScope;
  if (r.tos) out.tos = r.tos;
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.via !== undefined) out.via = typeof r.via === 'object' && r.via !== null ? { address: r.via.address } : (r.via as never); // checked as given
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}

/** RTA_METRICS of a route: `metrics`, and mtu / advmss / hoplimit given outside it. */
export function buildMetrics(r: RouteInput, arg: (n: string) => string): RtRouteMetricsAttrs<'request'> | undefined {
  const m: MetricsIn = {};
  if (r.metrics !== undefined) {
    if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics)) {
      throw new InvalidArgumentError(arg('metrics'), r.metrics, 'must be an object like { mtu: 1400, lock: ["mtu"] }');
    }
    for (const [k, v] of Object.entries(r.metrics as Record<string, unknown>)) {
      if (v === undefined) continue;
      if (!METRIC_NAMES.includes(k)) {
        throw new InvalidArgumentError(arg(`metrics.${k}`), v, `is not a route metric (known: ${METRIC_NAMES.join(', ')})`);
      }
      if (k === 'lock') {
        const list = typeof v === 'string' ? [v] : v;
        if (!Array.isArray(list)) throw new InvalidArgumentError(arg('metrics.lock'), v, `must be a list of metric names (${LOCK_NAMES.join(', ')})`);
        for (const n of list) {
          if (typeof n === 'string' ? !LOCK_NAMES.includes(n) : typeof n !== 'number') {
            throw new InvalidArgumentError(arg('metrics.lock'), n, `must be one of ${LOCK_NAMES.join(', ')}`);
          }
        }
        m.lock = list as RtRouteRtaxLock; // names checked above
      } else if (k === 'ccAlgo') {
        if (typeof v !== 'string' || v.length === 0 || v.length > 15) {
          throw new InvalidArgumentError(arg('metrics.ccAlgo'), v, 'must be a congestion control name like cubic');
        }
        m.ccAlgo = v;
      } else if (k === 'features' && (Array.isArray(v) || typeof v === 'string')) {
        const list: unknown[] = typeof v === 'string' ? [v] : v;
        for (const n of list) {
          if (typeof n === 'string' ? !FEATURE_NAMES.includes(n) : typeof n !== 'number') {
            throw new InvalidArgumentError(arg('metrics.features'), n, `must be one of ${FEATURE_NAMES.join(', ')} (or a number)`);
          }
        }
        m.features = v as RtRouteRtaxFeatures; // names checked above; one name alone, as the encoder takes it
      } else {
        m[k] = checkU32(v, arg(`metrics.${k}`));
      }
    }
  }
  for (const k of ['mtu', 'advmss', 'hoplimit'] as const) {
    if (r[k] === undefined) continue;
    if (m[k] !== undefined && m[k] !== r[k]) throw new InvalidArgumentError(arg(k), r[k], `conflicts with metrics.${k} ${m[k]}`);
    m[k] = checkU32(r[k], arg(k));
  }
  if (m.hoplimit !== undefined && m.hoplimit > 255) throw new InvalidArgumentError(arg('hoplimit'), m.hoplimit, 'must be between 0 and 255');
  return Object.keys(m).length > 0 ? m : undefined;
}
