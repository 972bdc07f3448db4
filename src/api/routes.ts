/**
 * Routes: list (kernel-filtered dumps, one per family), get (`ip route get`), add / replace / delete, and
 * pipelined batches. Friendly options in (CIDR strings, names for tables, protocols, scopes, types
 * and devices), plain objects out. Input is checked in route-input.ts, requests are built in
 * route-message.ts (defaults as `ip route add`), replies become Route objects in route-fields.ts.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { addressFamilyEnum } from '../../protocol/rt-common.js';
import { rtRouteSpec } from '../../protocol/rt-route.js';
import { datagramCtxs, messageType } from '../codec/lazy-record.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { RtRouteRtmFlags, RtRouteRtmsg } from '../generated/index.js';
import type { BatchOptions, BatchResult, Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { InvalidArgumentError, NotFoundError, notFoundOr } from './errors.js';
import type { LinkApi } from './links.js';
import { type Route, decodeRouteFields, lazyRoute, routeFamilyNumber, routeFlagsNumber, toRoute } from './route-fields.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import {
  PROTOCOLS,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  TABLE_NAMES,
  TYPES,
  fromRoute,
  ipv,
  parseHostAddress,
  protocolNumber,
  tableId,
  typeNumber,
} from './route-input.js';
import { type Op, type Pending, buildRouteMessage } from './route-message.js';
import type { RouteBatchOptions, RouteGetOptions, RouteInput, RouteListOptions } from './route-types.js';
import { type RequestAttrs, type RequestHeader, type RtnlMessage, isKind, rtnlRequest } from './rtnl-messages.js';
import { type Family, checkBatchOptions, checkBool, checkFamily, checkRequestOptions, checkU32 } from './validate.js';

export type {
  DevRef,
  RouteBatchOptions,
  RouteGetOptions,
  RouteInput,
  RouteListOptions,
  RouteNexthopInput,
  RoutePref,
  RouteProtocol,
  RouteScope,
  RouteTable,
  RouteType,
} from './route-types.js';
export { type Route, type RouteMetrics, type RouteNexthop, type RouteVia, toRoute } from './route-fields.js';
export { buildRouteMessage } from './route-message.js';

// rtm_family values a route list keeps, and RTM_F_CLONED (route cache entries, skipped).
const AF_INET = addressFamilyEnum.entries.inet;
const AF_INET6 = addressFamilyEnum.entries.inet6;
const RTM_F_CLONED = rtRouteSpec.definitions['rtm-flags'].entries.cloned;

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
    const attrs: RequestAttrs<'getroute'> = {};
    if (table !== RT_TABLE_UNSPEC) attrs.table = table;
    if (dev !== undefined) attrs.oif = dev;
    // One dump per family rather than one AF_UNSPEC dump: that would also ask ipmr / ip6mr / MPLS,
    // and MPLS refuses RTA_TABLE and a header table with EINVAL, failing the whole dump.
    // Lazy: replies stay undecoded ('frame'), each route a lazy record read from its bytes when used.
    // Otherwise the connection decodes each reply whole as it arrives: decoding only ROUTE_FIELDS
    // was no faster warm and slower over a process's first dumps (docs/benchmarks.md, #17).
    const lazy = checkBool(options.lazy, 'lazy') === true;
    const ctxOf = datagramCtxs();
    const newroute = messageType(rtnetlinkCodec, 'newroute');
    // Both keep IPv4 and IPv6 routes that are no cache entries (RTM_F_CLONED): the lazy one reads
    // the numbers from the bytes, the other the names the connection has decoded anyway (reading
    // the bytes again there measured 4-10% slower on a first dump).
    const keepLazy = (m: NetlinkMessage, bytes: Uint8Array, offset: number): Route | undefined => {
      if (m.type !== newroute) return undefined;
      const ctx = ctxOf(bytes);
      const family = routeFamilyNumber(ctx, offset);
      if (family !== AF_INET && family !== AF_INET6) return undefined;
      if (routeFlagsNumber(ctx, offset) & RTM_F_CLONED) return undefined;
      if (m.flags & NLM_F.DUMP_FILTERED) return lazyRoute(ctx, offset);
      // Without NLM_F_DUMP_FILTERED (no strict checking) the kernel did not filter: do it here.
      const decoded = decodeRouteFields(ctx, offset);
      return matches(decoded as RtnlMessage<'newroute'>, table, protocol, type, dev) ? toRoute(decoded, bytes, offset) : undefined;
    };
    const keep = (m: NetlinkMessage, bytes: Uint8Array, offset: number): Route | undefined => {
      if (!isKind(m, 'newroute')) return undefined;
      const h = m.header;
      if (h?.family !== 'inet' && h?.family !== 'inet6') return undefined;
      if (h.flags?.includes('cloned')) return undefined;
      if (!(m.flags & NLM_F.DUMP_FILTERED) && !matches(m, table, protocol, type, dev)) return undefined;
      return toRoute(m, bytes, offset);
    };
    const dumpFamily = async (f: Family): Promise<Route[]> => {
      const header: RequestHeader<'getroute'> = { family: f, table: table < 256 ? table : RT_TABLE_UNSPEC, protocol, type };
      try {
        const req = rtnlRequest({ kind: 'getroute', header, attrs });
        return await (lazy ? this.conn.dumpMap(req, keepLazy, options, 'frame') : this.conn.dumpMap(req, keep, options));
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
    const flags: RtRouteRtmFlags = checkBool(options.fibMatch, 'fibMatch') ? ['fib_match'] : [];
    const header: RequestHeader<'getroute'> = { family: d.family, dstLen: full, srcLen: 0, flags };
    const attrs: RequestAttrs<'getroute'> = { dst: d.bytes };
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
      if (p.key === 'oif') p.target.oif = index;
      else p.target.ifindex = index;
    }
  }
}

function mapError(err: Error, op: Op, dst: string): Error {
  return op === 'delete' ? (notFoundOr(err, 'route', dst) as Error) : err;
}

/** Userspace copy of the kernel's dump filter, for replies without NLM_F_DUMP_FILTERED. */
function matches(m: RtnlMessage<'newroute'>, table: number, protocol: number, type: number, dev: number | undefined): boolean {
  const h: Partial<RtRouteRtmsg> = m.header ?? {};
  const a = m.attrs ?? {};
  if (table !== RT_TABLE_UNSPEC && enumValue(a.table ?? h.table, TABLE_NAMES) !== table) return false;
  if (protocol !== 0 && enumValue(h.protocol, PROTOCOLS) !== protocol) return false;
  if (type !== 0 && enumValue(h.type, TYPES) !== type) return false;
  if (dev !== undefined && a.oif !== dev && !(a.multipath ?? []).some((n) => n.ifindex === dev)) return false;
  return true;
}

function enumValue(v: unknown, names: Readonly<Record<string, number>>): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return names[v];
  return undefined;
}
