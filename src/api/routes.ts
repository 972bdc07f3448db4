/**
 * Routes: list (kernel-filtered dumps, one per family), get (`ip route get`), add / replace / delete, and
 * pipelined batches. Friendly options in (CIDR strings, names for tables, protocols, scopes, types
 * and devices), plain objects out. Defaults follow iproute2 (`ip route add`): table main,
 * protocol boot, type unicast, scope link for unicast routes without a gateway.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { rtRouteSpec } from '../../protocol/rt-route.js';
import type { NetlinkMessage, OutgoingMessage } from '../codec/message.js';
import { formatHwaddr, formatIPv4, formatIPv6 } from '../codec/values.js';
import type { BatchOptions, BatchResult, Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { InvalidArgumentError, NotFoundError, notFoundOr } from './errors.js';
import { RouteRecord } from './record.js';
import type { LinkApi } from './links.js';
import {
  AF,
  type Family,
  type ParsedAddress,
  type ParsedPrefix,
  checkBatchOptions,
  checkBool,
  checkFamily,
  checkLinkName,
  checkInt,
  checkRequestOptions,
  checkU32,
  networkOf,
  parseAddress,
  parsePrefix,
} from './validate.js';

type Attrs = Record<string, any>;

const RT_TABLE_UNSPEC = 0;
const RT_TABLE_MAIN = 254;
const RT_TABLE_LOCAL = 255;

const TABLE_NAMES: Readonly<Record<string, number>> = { default: 253, main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL };
const TYPES = rtRouteSpec.definitions['rtm-type'].entries as Readonly<Record<string, number>>;
const SCOPES = rtRouteSpec.definitions['rt-scope'].entries as Readonly<Record<string, number>>;
const PROTOCOLS = rtRouteSpec.definitions['rt-protocol'].entries as Readonly<Record<string, number>>;
const LOCK_NAMES = Object.keys(rtRouteSpec.definitions['rtax-lock'].entries);
const FEATURE_NAMES = Object.keys(rtRouteSpec.definitions['rtax-features'].entries);
const METRIC_NAMES = rtRouteSpec.attributeSets.metrics.attributes.map((a) => a.name as string);

/** Route types that take a gateway or device (the others are rejected by the kernel with one). */
const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'] as const;
const NO_NEXTHOP_TYPES: ReadonlySet<string> = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);
const NEEDS_NEXTHOP_TYPES: ReadonlySet<string> = new Set(['unicast', 'local', 'broadcast']);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const FAMILY_BY_NUMBER: Readonly<Record<number, string>> = { 2: 'inet', 10: 'inet6', 17: 'packet', 28: 'mpls' };

export type RouteType = (typeof ROUTE_TYPES)[number];
export type RouteScope = 'universe' | 'site' | 'link' | 'host' | 'nowhere' | number;
/** 'main', 'local', 'default' or a table id 1..2^32-1 (a numeric string works too). */
export type RouteTable = 'main' | 'local' | 'default' | number | (string & {});
export type RouteProtocol = keyof typeof rtRouteSpec.definitions['rt-protocol']['entries'] | number;
export type RoutePref = 'low' | 'medium' | 'high';

/** RTA_METRICS by spec name; `lock` names the metrics path MTU discovery etc. may not change. */
export interface RouteMetrics {
  lock?: (string | number)[];
  mtu?: number;
  window?: number;
  rtt?: number;
  rttvar?: number;
  ssthresh?: number;
  cwnd?: number;
  advmss?: number;
  reordering?: number;
  hoplimit?: number;
  initcwnd?: number;
  features?: (string | number)[] | number;
  rtoMin?: number;
  initrwnd?: number;
  quickack?: number;
  ccAlgo?: string;
  fastopenNoCookie?: number;
}

/** A struct rtvia: a nexthop of another family (an IPv6 gateway of an IPv4 route). */
export interface RouteVia {
  family: string | number;
  address: string;
}

/** One nexthop of a multipath route. */
export interface RouteNexthop {
  gateway?: string;
  via?: RouteVia;
  /** Output interface index. */
  dev: number;
  /** 1..256 (rtnh_hops + 1). */
  weight: number;
  /** RTNH_F_* names: 'onlink', 'dead', 'linkdown'... */
  flags: (string | number)[];
}

/** A route as the kernel reports it, with friendly names. */
export interface Route {
  family: string | number;
  /** 'default' or 'prefix/len' (host routes keep their /32 or /128). */
  dst: string;
  /** Source prefix (IPv6 source routing, `from` in ip). */
  src?: string;
  /** RTA_TABLE when present, else the header's table: 'main', 'local', 'default' or the id. */
  table: string | number;
  protocol: string | number;
  scope: string | number;
  type: string | number;
  tos: number;
  gateway?: string;
  via?: RouteVia;
  /** Output interface index (RTA_OIF). */
  dev?: number;
  /** Input interface index (RTA_IIF, `route get` with iif). */
  iif?: number;
  /** Preferred source address. */
  prefsrc?: string;
  /** RTA_PRIORITY. */
  metric?: number;
  metrics?: RouteMetrics;
  /** metrics.mtu */
  mtu?: number;
  /** rtm_flags names: 'onlink', 'linkdown', 'cloned', 'offload'... */
  flags: (string | number)[];
  nexthops?: RouteNexthop[];
  /** IPv6 router preference. */
  pref?: string | number;
  /** Seconds until the route expires (integer, as ip prints it). */
  expires?: number;
  mark?: number;
  uid?: number;
  /** Nexthop object id (RTA_NH_ID). */
  nhid?: number;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

export type DevRef = string | number;

export interface RouteNexthopInput {
  gateway?: string;
  /** A gateway of the other family (IPv6 nexthop of an IPv4 route): sent as RTA_VIA. */
  via?: string | { family?: string; address: string };
  dev?: DevRef;
  /** 1..256, default 1. */
  weight?: number;
  onlink?: boolean;
}

/** What add / replace / delete take. */
export interface RouteInput {
  /** 'default', a prefix ('10.0.0.0/8', '2001:db8::/32') or an address (a host route). Host bits must be clear. */
  dst: string;
  /** Normally inferred from dst / gateway; needed only for `default` routes without any address. */
  family?: Family;
  gateway?: string;
  /** IPv6 gateway of an IPv4 route (RTA_VIA). */
  via?: string | { family?: string; address: string };
  dev?: DevRef;
  /** Preferred source address: what ip's `src` keyword sets. */
  prefsrc?: string;
  /** Source prefix, IPv6 only (source-specific routing, ip's `from`); refused for IPv4, whose FIBs ignore it. */
  src?: string;
  metric?: number;
  table?: RouteTable;
  scope?: RouteScope | string;
  protocol?: RouteProtocol | string;
  type?: RouteType;
  tos?: number;
  multipath?: RouteNexthopInput[];
  mtu?: number;
  advmss?: number;
  hoplimit?: number;
  metrics?: RouteMetrics;
  /** Gateway is on the link even if no prefix covers it (RTNH_F_ONLINK). */
  onlink?: boolean;
  /** IPv6 router preference. */
  pref?: RoutePref;
  /** IPv6: lifetime in seconds (RTA_EXPIRES). */
  expires?: number;
}

export interface RouteListOptions extends RequestOptions {
  /** Default: both IPv4 and IPv6. */
  family?: Family;
  /** Default 'main' (like `ip route show`); 'all' for every table. */
  table?: RouteTable | 'all';
  protocol?: RouteProtocol | string;
  type?: RouteType;
  /** Only routes through this interface (any nexthop). */
  dev?: DevRef;
}

export interface RouteGetOptions extends RequestOptions {
  /** Source address of the simulated packet. */
  from?: string;
  /** Simulate a packet received on this interface. */
  iif?: DevRef;
  /** Force this output interface. */
  oif?: DevRef;
  mark?: number;
  /** Return the FIB entry that matched (RTM_F_FIB_MATCH) instead of the resolved route. */
  fibMatch?: boolean;
}

export interface RouteBatchOptions extends BatchOptions {
  /** addBatch: replace existing routes (NLM_F_REPLACE) instead of failing with EEXIST. */
  replace?: boolean;
}

type Op = 'add' | 'replace' | 'delete';

/** Devices given by name, filled in once their indexes are known. */
interface Pending {
  target: Attrs;
  key: string;
  name: string;
}

interface Built {
  msg: OutgoingMessage;
  pending: Pending[];
  dst: string;
}

export class RouteApi {
  constructor(
    private readonly conn: Connection,
    private readonly links: LinkApi,
  ) {}

  /** Routes of one table (default main) or all, filtered by the kernel (one dump per family). Cloned (cache) entries are skipped. */
  async list(opts?: RouteListOptions): Promise<Route[]> {
    const options = checkRequestOptions(opts);
    const family = options.family === undefined ? undefined : checkFamily(options.family);
    const table = options.table === undefined ? RT_TABLE_MAIN : options.table === 'all' ? RT_TABLE_UNSPEC : tableId(options.table);
    const protocol = options.protocol === undefined ? 0 : protocolNumber(options.protocol);
    const type = options.type === undefined ? 0 : typeNumber(options.type);
    const dev = options.dev === undefined ? undefined : await this.links.index(options.dev, options);
    // Kernel dump filters (ip_valid_fib_dump_req): rtm_table / RTA_TABLE, rtm_protocol, rtm_type, RTA_OIF.
    // rtm_scope must stay 0 there, so scope is no dump filter.
    const attrs: Attrs = {};
    if (table !== RT_TABLE_UNSPEC) attrs.table = table;
    if (dev !== undefined) attrs.oif = dev;
    // One dump per family rather than one AF_UNSPEC dump: that would also ask ipmr / ip6mr / MPLS,
    // and MPLS refuses RTA_TABLE and a header table with EINVAL, failing the whole dump.
    const keep = (m: NetlinkMessage, bytes: Uint8Array, offset: number): Route | undefined => {
      if (m.kind !== 'newroute') return undefined;
      const h = (m.header ?? {}) as Attrs;
      if (h.family !== 'inet' && h.family !== 'inet6') return undefined;
      if ((h.flags as unknown[] | undefined)?.includes('cloned')) return undefined;
      // NLM_F_DUMP_FILTERED: the kernel applied the filters. Without it (no strict checking) do it here.
      if (!(m.flags & NLM_F.DUMP_FILTERED) && !matches(m, table, protocol, type, dev)) return undefined;
      return toRoute(m, bytes, offset);
    };
    const dumpFamily = async (f: Family): Promise<Route[]> => {
      const header = { family: f, table: table < 256 ? table : RT_TABLE_UNSPEC, protocol, type };
      try {
        return await this.conn.dumpMap({ kind: 'getroute', header, attrs }, keep, options);
      } catch (err) {
        // A table that was never created: "FIB table does not exist". It has no routes.
        if (isNetlinkError(err) && err.code === 'ENOENT' && table !== RT_TABLE_UNSPEC) return [];
        throw err;
      }
    };
    // In turn: a netlink socket runs one dump at a time (a second one fails with EBUSY).
    if (family) return dumpFamily(family);
    const v4 = await dumpFamily('inet');
    return v4.concat(await dumpFamily('inet6'));
  }

  /** The route the kernel would use for `destination` (`ip route get`). */
  async get(destination: string, opts?: RouteGetOptions): Promise<Route> {
    const options = checkRequestOptions(opts);
    const d = parseHostAddress(destination, 'destination');
    const full = d.family === 'inet' ? 32 : 128;
    const header: Attrs = { family: d.family, dstLen: full, srcLen: 0, flags: checkBool(options.fibMatch, 'fibMatch') ? ['fib_match'] : [] };
    const attrs: Attrs = { dst: d.bytes };
    if (options.from !== undefined) {
      const s = parseHostAddress(options.from, 'from');
      if (s.family !== d.family) throw new InvalidArgumentError('from', options.from, `is ${ipv(s.family)} but the destination is ${ipv(d.family)}`);
      header.srcLen = full;
      attrs.src = s.bytes;
    }
    if (options.iif !== undefined) attrs.iif = await this.links.index(options.iif, options);
    if (options.oif !== undefined) attrs.oif = await this.links.index(options.oif, options);
    if (options.mark !== undefined) attrs.mark = checkU32(options.mark, 'mark');
    let msgs: NetlinkMessage[];
    try {
      msgs = await this.conn.request({ kind: 'getroute', header, attrs }, options);
    } catch (err) {
      throw notFoundOr(err, 'route to', destination); // ENETUNREACH: no route covers it
    }
    const m = msgs.find((x) => x.kind === 'newroute');
    if (!m) throw new NotFoundError('route to', destination);
    return toRoute(m);
  }

  /** Adds a route (NLM_F_CREATE | NLM_F_EXCL: EEXIST when the same route exists). */
  async add(route: RouteInput, options: RequestOptions = {}): Promise<void> {
    await this.send(route, 'add', options);
  }

  /** Adds or replaces the route with the same destination, table, tos and metric. */
  async replace(route: RouteInput, options: RequestOptions = {}): Promise<void> {
    await this.send(route, 'replace', options);
  }

  /**
   * Deletes a route. Unset fields match anything (type, protocol, scope), as with `ip route del`;
   * a Route from list() deletes that route. NotFoundError when nothing matches.
   */
  async delete(route: RouteInput | Route, options: RequestOptions = {}): Promise<void> {
    await this.send(fromRoute(route), 'delete', options);
  }

  /** Adds many routes, pipelined; one result per route in order. Bad input throws before anything is sent. */
  async addBatch(routes: readonly RouteInput[], opts?: RouteBatchOptions): Promise<BatchResult[]> {
    const options = checkBatchOptions(opts);
    return this.sendBatch(routes, checkBool(options.replace, 'replace') ? 'replace' : 'add', options);
  }

  /** Deletes many routes, pipelined; a route that does not exist fails with NotFoundError in its result. */
  async deleteBatch(routes: readonly (RouteInput | Route)[], options?: BatchOptions): Promise<BatchResult[]> {
    if (!Array.isArray(routes)) throw new InvalidArgumentError('routes', routes, 'must be an array of routes');
    return this.sendBatch(routes.map(fromRoute), 'delete', checkBatchOptions(options));
  }

  // -------------------------------------------------------------------------------------------

  private async send(route: RouteInput, op: Op, opts: RequestOptions | undefined): Promise<void> {
    const options = checkRequestOptions(opts);
    const b = buildRouteMessage(route, op);
    await this.resolve(b.pending, new Map(), options);
    try {
      await this.conn.request(b.msg, options);
    } catch (err) {
      throw mapError(err as Error, op, b.dst);
    }
  }

  private async sendBatch(routes: readonly RouteInput[], op: Op, options: BatchOptions): Promise<BatchResult[]> {
    if (!Array.isArray(routes)) throw new InvalidArgumentError('routes', routes, 'must be an array of routes');
    const built = routes.map((r, i) => buildRouteMessage(r, op, `routes[${i}].`));
    const pending = built.flatMap((b) => b.pending);
    if (pending.length > 0) await this.resolve(pending, new Map(), options);
    const results = await this.conn.batch(
      built.map((b) => b.msg),
      options,
    );
    return results.map((r, i) => (r.ok ? r : { ok: false, error: mapError(r.error, op, built[i]!.dst) }));
  }

  /** Looks up device names (once each per call) and writes their indexes into the request. */
  private async resolve(pending: Pending[], cache: Map<string, number>, options: RequestOptions): Promise<void> {
    for (const p of pending) {
      let index = cache.get(p.name);
      if (index === undefined) {
        index = await this.links.index(p.name, options);
        cache.set(p.name, index);
      }
      p.target[p.key] = index;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * Validates a route and builds its RTM_NEWROUTE / RTM_DELROUTE. Device names are left pending
 * (resolved by the caller), so every check happens before anything is sent.
 */
export function buildRouteMessage(r: RouteInput, op: Op, prefix = ''): Built {
  const arg = (name: string) => prefix + name;
  if (typeof r !== 'object' || r === null) throw new InvalidArgumentError(prefix ? prefix.slice(0, -1) : 'route', r, 'must be an object like { dst: "10.0.0.0/8", gateway: "192.0.2.1" }');
  const pending: Pending[] = [];
  const attrs: Attrs = {};
  const hdr: Attrs = {};

  // Destination
  const dst = parseDst(r.dst, arg('dst'));
  const gw = r.gateway === undefined ? undefined : parseAddr(r.gateway, arg('gateway'));
  const via = r.via === undefined ? undefined : parseVia(r.via, arg('via'));
  const prefsrc = r.prefsrc === undefined ? undefined : parseAddr(r.prefsrc, arg('prefsrc'));
  const src = r.src === undefined ? undefined : parseSrc(r.src, arg('src'));
  const hops = r.multipath;
  if (hops !== undefined && (!Array.isArray(hops) || hops.length === 0)) {
    throw new InvalidArgumentError(arg('multipath'), hops, 'must be a non-empty array of nexthops like [{ gateway: "192.0.2.1", weight: 2 }]');
  }
  const hopGws = (hops ?? []).map((h, i) => {
    if (typeof h !== 'object' || h === null) throw new InvalidArgumentError(arg(`multipath[${i}]`), h, 'must be an object like { gateway: "192.0.2.1" }');
    return {
      gw: h.gateway === undefined ? undefined : parseAddr(h.gateway, arg(`multipath[${i}].gateway`)),
      via: h.via === undefined ? undefined : parseVia(h.via, arg(`multipath[${i}].via`)),
    };
  });

  // Family: explicit, or from the first address that says.
  const family: Family =
    (r.family !== undefined ? checkFamily(r.family, arg('family')) : undefined) ??
    dst.family ??
    gw?.family ??
    (via ? 'inet' : undefined) ??
    prefsrc?.family ??
    hopGws.find((h) => h.gw)?.gw?.family ??
    (hopGws.some((h) => h.via) ? 'inet' : undefined) ??
    src?.family ??
    'inet';
  const sameFamily = (p: ParsedAddress | undefined, name: string, value: unknown, isGateway = false) => {
    if (!p || p.family === family) return;
    const hint = isGateway && family === 'inet' ? '; an IPv6 nexthop of an IPv4 route goes in via' : '';
    throw new InvalidArgumentError(arg(name), value, `is ${ipv(p.family)} but the route is ${ipv(family)}${hint}`);
  };
  if (dst.family !== undefined && dst.family !== family) throw new InvalidArgumentError(arg('dst'), r.dst, `is ${ipv(dst.family)} but family is ${family}`);
  sameFamily(gw, 'gateway', r.gateway, true);
  sameFamily(prefsrc, 'prefsrc', r.prefsrc);
  sameFamily(src, 'src', r.src);
  if (src && family === 'inet') {
    // IPv4 FIBs have no source routing: the kernel drops RTA_SRC without a word (ip's `from`).
    throw new InvalidArgumentError(
      arg('src'),
      r.src,
      "IPv4 routes have no source prefix (the kernel ignores it); for the preferred source address (ip's `src`) use prefsrc",
    );
  }
  hopGws.forEach((h, i) => sameFamily(h.gw, `multipath[${i}].gateway`, hops![i]!.gateway, true));
  if (family === 'inet6' && via) throw new InvalidArgumentError(arg('via'), r.via, 'IPv6 routes do not support via (RTA_VIA); use gateway');
  if (family === 'inet6' && hopGws.some((h) => h.via)) throw new InvalidArgumentError(arg('multipath'), hops, 'IPv6 routes do not support via (RTA_VIA); use gateway');
  if (gw && via) throw new InvalidArgumentError(arg('via'), r.via, 'give either gateway or via, not both');

  // Type, table, protocol, scope
  const type = r.type === undefined ? (op === 'delete' ? undefined : 'unicast') : checkType(r.type, arg('type'));
  if (hops && (r.gateway !== undefined || r.via !== undefined || r.dev !== undefined || r.onlink)) {
    throw new InvalidArgumentError(arg('multipath'), hops, 'gateway, via, dev and onlink go into each nexthop of a multipath route');
  }
  if (type !== undefined && NO_NEXTHOP_TYPES.has(type) && (gw || via || r.dev !== undefined || hops)) {
    throw new InvalidArgumentError(arg('type'), type, 'routes of this type take no gateway, device or multipath');
  }
  if (op !== 'delete' && type !== undefined && NEEDS_NEXTHOP_TYPES.has(type) && !gw && !via && r.dev === undefined && !hops) {
    throw new InvalidArgumentError(arg('dev'), r.dev, `a ${type} route needs a gateway, via, dev or multipath`);
  }
  if (r.onlink !== undefined && typeof r.onlink !== 'boolean') throw new InvalidArgumentError(arg('onlink'), r.onlink, 'must be true or false');
  if (r.onlink && (!(gw || via) || r.dev === undefined)) throw new InvalidArgumentError(arg('onlink'), r.onlink, 'needs a gateway (or via) and a dev');

  let table: number;
  if (r.table !== undefined) table = tableId(r.table, arg('table'));
  else table = type === 'local' || type === 'broadcast' || type === 'nat' || type === 'anycast' ? RT_TABLE_LOCAL : RT_TABLE_MAIN;

  let scope: number;
  if (r.scope !== undefined) scope = scopeNumber(r.scope, arg('scope'));
  else if (family === 'inet6') scope = SCOPES.universe!;
  else if (type === 'local' || type === 'nat') scope = SCOPES.host!;
  else if (type === 'broadcast' || type === 'multicast' || type === 'anycast') scope = SCOPES.link!;
  else if (op === 'delete') scope = SCOPES.nowhere!; // matches any scope
  else if (type === 'unicast' && !gw && !via && !hops) scope = SCOPES.link!;
  else scope = SCOPES.universe!;

  const protocol = r.protocol !== undefined ? protocolNumber(r.protocol, arg('protocol')) : op === 'delete' ? 0 : PROTOCOLS.boot!;

  hdr.family = family;
  hdr.dstLen = dst.prefixlen;
  hdr.srcLen = src?.prefixlen ?? 0;
  hdr.tos = r.tos === undefined ? 0 : checkInt(r.tos, arg('tos'), 0, 255);
  if (hdr.tos && family === 'inet6') throw new InvalidArgumentError(arg('tos'), r.tos, 'IPv6 routes have no tos');
  hdr.table = table < 256 ? table : RT_TABLE_UNSPEC;
  hdr.protocol = protocol;
  hdr.scope = scope;
  hdr.type = type === undefined ? 0 : TYPES[type]!;
  hdr.flags = r.onlink ? ['onlink'] : [];

  // Attributes, in iproute2's order.
  if (dst.bytes) attrs.dst = dst.bytes;
  if (src) attrs.src = src.bytes;
  if (gw) attrs.gateway = gw.bytes;
  if (via) attrs.via = encodeVia(via);
  if (r.dev !== undefined) devRef(r.dev, attrs, 'oif', arg('dev'), pending);
  if (prefsrc) attrs.prefsrc = prefsrc.bytes;
  if (r.metric !== undefined) attrs.priority = checkU32(r.metric, arg('metric'));
  attrs.table = table;

  const metrics = buildMetrics(r, arg);
  if (metrics) attrs.metrics = metrics;

  if (hops) {
    attrs.multipath = hops.map((h, i) => {
      const a = (n: string) => arg(`multipath[${i}].${n}`);
      const { gw: hgw, via: hvia } = hopGws[i]!;
      if (hgw && hvia) throw new InvalidArgumentError(a('via'), h.via, 'give either gateway or via, not both');
      if (!hgw && !hvia && h.dev === undefined) throw new InvalidArgumentError(arg(`multipath[${i}]`), h, 'a nexthop needs a gateway, via or dev');
      if (h.onlink !== undefined && typeof h.onlink !== 'boolean') throw new InvalidArgumentError(a('onlink'), h.onlink, 'must be true or false');
      if (h.onlink && (!(hgw || hvia) || h.dev === undefined)) throw new InvalidArgumentError(a('onlink'), h.onlink, 'needs a gateway (or via) and a dev');
      const weight = h.weight === undefined ? 1 : checkInt(h.weight, a('weight'), 1, 256);
      const rec: Attrs = { flags: h.onlink ? ['onlink'] : [], hops: weight - 1, ifindex: 0, attrs: {} };
      if (hgw) rec.attrs.gateway = hgw.bytes;
      if (hvia) rec.attrs.via = encodeVia(hvia);
      if (h.dev !== undefined) devRef(h.dev, rec, 'ifindex', a('dev'), pending);
      return rec;
    });
  }

  if (r.pref !== undefined) {
    if (family !== 'inet6') throw new InvalidArgumentError(arg('pref'), r.pref, 'is for IPv6 routes only');
    if (r.pref !== 'low' && r.pref !== 'medium' && r.pref !== 'high') throw new InvalidArgumentError(arg('pref'), r.pref, "must be 'low', 'medium' or 'high'");
    attrs.pref = r.pref;
  }
  if (r.expires !== undefined) {
    if (family !== 'inet6') throw new InvalidArgumentError(arg('expires'), r.expires, 'is for IPv6 routes only');
    attrs.expires = checkInt(r.expires, arg('expires'), 0, 0x7fffffff);
  }

  const flags = op === 'add' ? NLM_F.CREATE | NLM_F.EXCL : op === 'replace' ? NLM_F.CREATE | NLM_F.REPLACE : 0;
  const msg: OutgoingMessage = { kind: op === 'delete' ? 'delroute' : 'newroute', flags, header: hdr, attrs };
  const dstText = dst.bytes ? `${dst.address}/${dst.prefixlen}` : 'default';
  return { msg, pending, dst: dstText };
}

function buildMetrics(r: RouteInput, arg: (n: string) => string): Attrs | undefined {
  const m: Attrs = {};
  if (r.metrics !== undefined) {
    if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics)) {
      throw new InvalidArgumentError(arg('metrics'), r.metrics, 'must be an object like { mtu: 1400, lock: ["mtu"] }');
    }
    for (const [k, v] of Object.entries(r.metrics)) {
      if (v === undefined) continue;
      if (!METRIC_NAMES.includes(k)) throw new InvalidArgumentError(arg(`metrics.${k}`), v, `is not a route metric (known: ${METRIC_NAMES.join(', ')})`);
      if (k === 'lock') {
        const list = typeof v === 'string' ? [v] : v;
        if (!Array.isArray(list)) throw new InvalidArgumentError(arg('metrics.lock'), v, `must be a list of metric names (${LOCK_NAMES.join(', ')})`);
        for (const n of list) {
          if (typeof n === 'string' ? !LOCK_NAMES.includes(n) : typeof n !== 'number') {
            throw new InvalidArgumentError(arg('metrics.lock'), n, `must be one of ${LOCK_NAMES.join(', ')}`);
          }
        }
        m.lock = list;
      } else if (k === 'ccAlgo') {
        if (typeof v !== 'string' || v.length === 0 || v.length > 15) throw new InvalidArgumentError(arg('metrics.ccAlgo'), v, 'must be a congestion control name like cubic');
        m.ccAlgo = v;
      } else if (k === 'features' && (Array.isArray(v) || typeof v === 'string')) {
        const list: unknown[] = typeof v === 'string' ? [v] : v;
        for (const n of list) {
          if (typeof n === 'string' ? !FEATURE_NAMES.includes(n) : typeof n !== 'number') {
            throw new InvalidArgumentError(arg('metrics.features'), n, `must be one of ${FEATURE_NAMES.join(', ')} (or a number)`);
          }
        }
        m.features = v;
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

function devRef(ref: DevRef, target: Attrs, key: string, argument: string, pending: Pending[]): void {
  if (typeof ref === 'number') {
    target[key] = checkInt(ref, argument, 1, 0x7fffffff);
    return;
  }
  pending.push({ target, key, name: checkLinkName(ref, argument) });
  target[key] = 0;
}

interface ParsedDst {
  family?: Family;
  prefixlen: number;
  bytes?: Uint8Array;
  address?: string;
}

function parseDst(dst: unknown, argument: string): ParsedDst {
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

function parseAddr(text: unknown, argument: string): ParsedAddress {
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
      if (((addr & ~mask) >>> 0) === 0) return { family: 'inet', address: text.slice(0, end), bytes: b, prefixlen: len };
    }
  }
  const p = parsePrefix(text, argument);
  const net = networkOf(p);
  if (!sameBytes(net.bytes, p.bytes)) {
    throw new InvalidArgumentError(argument, text, `${String(text)} has host bits set; did you mean ${net.address}/${p.prefixlen}?`);
  }
  return p;
}

function parseSrc(text: unknown, argument: string): ParsedPrefix {
  return parseNetwork(text, argument);
}

function parseVia(v: unknown, argument: string): ParsedAddress {
  if (typeof v === 'object' && v !== null && 'address' in v) {
    const o = v as { family?: unknown; address: unknown };
    const p = parseAddr(o.address, argument);
    if (o.family !== undefined && checkFamily(o.family, argument) !== p.family) throw new InvalidArgumentError(argument, o.address, `is not an address of family ${String(o.family)}`);
    return p;
  }
  return parseAddr(v, argument);
}

/** struct rtvia: __kernel_sa_family_t (u16, host order) then the address. */
function encodeVia(p: ParsedAddress): Uint8Array {
  const out = new Uint8Array(2 + p.bytes.length);
  new DataView(out.buffer).setUint16(0, AF[p.family], HOST_LITTLE_ENDIAN);
  out.set(p.bytes, 2);
  return out;
}

function parseHostAddress(text: unknown, argument: string): ParsedAddress {
  if (typeof text === 'string' && text.includes('/')) {
    const p = parsePrefix(text, argument);
    if (p.prefixlen !== (p.family === 'inet' ? 32 : 128)) throw new InvalidArgumentError(argument, text, 'must be one address (route get looks up a single destination)');
    return p;
  }
  return parseAddress(text, argument);
}

function tableId(v: unknown, argument = 'table'): number {
  if (typeof v === 'string') {
    const named = TABLE_NAMES[v];
    if (named !== undefined) return named;
    if (/^\d{1,10}$/.test(v)) return checkInt(Number(v), argument, 1, 0xffffffff);
  } else if (typeof v === 'number') {
    return checkInt(v, argument, 1, 0xffffffff);
  }
  throw new InvalidArgumentError(argument, v, "must be 'main', 'local', 'default' or a table id from 1 to 4294967295");
}

function checkType(v: unknown, argument: string): RouteType {
  if (typeof v === 'string' && (ROUTE_TYPES as readonly string[]).includes(v)) return v as RouteType;
  throw new InvalidArgumentError(argument, v, `must be one of ${ROUTE_TYPES.join(', ')}`);
}

function typeNumber(v: unknown, argument = 'type'): number {
  return TYPES[checkType(v, argument)]!;
}

function scopeNumber(v: unknown, argument: string): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && SCOPES[v] !== undefined) return SCOPES[v]!;
  throw new InvalidArgumentError(argument, v, `must be one of ${Object.keys(SCOPES).join(', ')} or a number 0..255`);
}

function protocolNumber(v: unknown, argument = 'protocol'): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && PROTOCOLS[v] !== undefined) return PROTOCOLS[v]!;
  throw new InvalidArgumentError(argument, v, `must be a number 0..255 or one of ${Object.keys(PROTOCOLS).join(', ')}`);
}

function ipv(f: Family): string {
  return f === 'inet' ? 'IPv4' : 'IPv6';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A Route from list() given to delete(): the fields that identify it. */
function fromRoute(r: RouteInput | Route): RouteInput {
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

function mapError(err: Error, op: Op, dst: string): Error {
  return op === 'delete' ? (notFoundOr(err, 'route', dst) as Error) : err;
}

/** Userspace copy of the kernel's dump filter, for replies without NLM_F_DUMP_FILTERED. */
function matches(m: NetlinkMessage, table: number, protocol: number, type: number, dev: number | undefined): boolean {
  const h = (m.header ?? {}) as Attrs;
  const a = (m.attrs ?? {}) as Attrs;
  if (table !== RT_TABLE_UNSPEC && enumValue(a.table ?? h.table, TABLE_NAMES) !== table) return false;
  if (protocol !== 0 && enumValue(h.protocol, PROTOCOLS) !== protocol) return false;
  if (type !== 0 && enumValue(h.type, TYPES) !== type) return false;
  if (dev !== undefined && a.oif !== dev && !((a.multipath ?? []) as Attrs[]).some((n) => n.ifindex === dev)) return false;
  return true;
}

function enumValue(v: unknown, names: Readonly<Record<string, number>>): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return names[v];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Replies

/** Friendly view of a decoded RTM_NEWROUTE (dump, `route get` reply or notification). */
export function toRoute(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Route {
  const h = (m.header ?? {}) as Attrs;
  const a = (m.attrs ?? {}) as Attrs;
  const route = new RouteRecord(bytes ?? m, offset) as unknown as Route;
  route.family = h.family;
  route.dst = prefixText(a.dst, h.dstLen ?? 0) ?? 'default';
  route.table = a.table ?? h.table;
  route.protocol = h.protocol;
  route.scope = h.scope;
  route.type = h.type;
  route.tos = h.tos ?? 0;
  route.flags = (h.flags ?? []) as (string | number)[];
  const src = prefixText(a.src, h.srcLen ?? 0);
  if (src !== undefined) route.src = src;
  if (a.gateway !== undefined) route.gateway = addrText(a.gateway);
  if (a.via !== undefined) route.via = decodeVia(a.via);
  if (a.oif !== undefined) route.dev = a.oif;
  if (a.iif !== undefined) route.iif = a.iif;
  if (a.prefsrc !== undefined) route.prefsrc = addrText(a.prefsrc);
  if (a.priority !== undefined) route.metric = a.priority;
  if (a.metrics !== undefined && typeof a.metrics === 'object') {
    const { unknown: _unknown, ...metrics } = a.metrics as Attrs;
    route.metrics = metrics as RouteMetrics;
    if (metrics.mtu !== undefined) route.mtu = metrics.mtu;
  }
  if (Array.isArray(a.multipath)) {
    route.nexthops = (a.multipath as Attrs[]).map((n) => {
      const na = (n.attrs ?? {}) as Attrs;
      const hop: RouteNexthop = { dev: n.ifindex, weight: (n.hops ?? 0) + 1, flags: (n.flags ?? []) as (string | number)[] };
      if (na.gateway !== undefined) hop.gateway = addrText(na.gateway);
      if (na.via !== undefined) hop.via = decodeVia(na.via);
      return hop;
    });
  }
  if (a.pref !== undefined) route.pref = a.pref;
  const expires = a.cacheinfo?.expires;
  if (typeof expires === 'number' && expires !== 0) route.expires = Math.trunc(expires / 100); // clock_t at USER_HZ 100
  if (a.mark !== undefined) route.mark = a.mark;
  if (a.uid !== undefined) route.uid = a.uid;
  if (a.nhId !== undefined) route.nhid = a.nhId;
  return route;
}

function prefixText(addr: unknown, len: number): string | undefined {
  if (addr === undefined) return len === 0 ? undefined : `unknown/${len}`;
  if (len === 0 && (addr === '0.0.0.0' || addr === '::')) return undefined;
  return `${addrText(addr)}/${len}`;
}

function addrText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return bytesText(v, 0, v.length);
  return String(v);
}

function bytesText(b: Uint8Array, s: number, e: number): string {
  if (e - s === 4) return formatIPv4(b, s);
  if (e - s === 16) return formatIPv6(b, s);
  return formatHwaddr(b, s, e);
}

function decodeVia(v: unknown): RouteVia {
  if (v instanceof Uint8Array) {
    if (v.length < 2) return { family: 'unspec', address: '' };
    const fam = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint16(0, HOST_LITTLE_ENDIAN);
    return { family: FAMILY_BY_NUMBER[fam] ?? fam, address: bytesText(v, 2, v.length) };
  }
  // A spec that decodes struct rtvia itself: { family, addr }.
  const o = (v ?? {}) as Attrs;
  return { family: o.family, address: addrText(o.addr ?? o.address) };
}
