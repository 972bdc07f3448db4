/** Routes as callers see them: the Route type and toRoute, typed by the generated rt-route types. */
import type { NetlinkMessage } from '../codec/message.js';
import { lazyKind, lazyRecord, quickAttribute, quickHeaderMember, quickHeaderNumber } from '../codec/lazy-record.js';
import { RawRecord, recordKind } from '../codec/record.js';
import type { DecodeCtx } from '../codec/types.js';
import { formatHwaddr, formatIPv4, formatIPv6 } from '../codec/values.js';
import type {
  RtRouteAddressFamily,
  RtRouteMetricsAttrs,
  RtRouteRtPref,
  RtRouteRtProtocol,
  RtRouteRtScope,
  RtRouteRtTable,
  RtRouteRtmFlags,
  RtRouteRtmType,
  RtRouteRouteAttrs,
  RtRouteRtmsg,
  RtRouteRtnhFlags,
} from '../generated/index.js';
import type { Friendly, FriendlyFields, RtnlMessage } from './rtnl-messages.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';

/**
 * RTA_METRICS by spec name; `lock` names the metrics path MTU discovery etc. may not change.
 * `features` may also be given as one number of RTAX_FEATURE_* bits.
 */
export type RouteMetrics = Omit<FriendlyFields<RtRouteMetricsAttrs>, 'unknown' | 'features'> & {
  features?: Friendly<RtRouteMetricsAttrs<'request'>['features']>;
};

/** A struct rtvia: a nexthop of another family (an IPv6 gateway of an IPv4 route). */
export interface RouteVia {
  family: Friendly<RtRouteAddressFamily>;
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
  flags: Friendly<RtRouteRtnhFlags>;
}

/** A route as the kernel reports it, with friendly names. */
export interface Route {
  family: Friendly<RtRouteAddressFamily>;
  /** 'default' or 'prefix/len' (host routes keep their /32 or /128). */
  dst: string;
  /** Source prefix (IPv6 source routing, `from` in ip). */
  src?: string;
  /** RTA_TABLE when present, else the header's table: 'main', 'local', 'default' or the id. */
  table: Friendly<RtRouteRtTable>;
  protocol: Friendly<RtRouteRtProtocol>;
  scope: Friendly<RtRouteRtScope>;
  type: Friendly<RtRouteRtmType>;
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
  flags: Friendly<RtRouteRtmFlags>;
  nexthops?: RouteNexthop[];
  /** IPv6 router preference. */
  pref?: Friendly<RtRouteRtPref>;
  /** Seconds until the route expires (integer, as ip prints it). */
  expires?: number;
  mark?: number;
  uid?: number;
  /** Nexthop object id (RTA_NH_ID). */
  nhid?: number;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

/** A class of its own for each kind of record (codec/record.ts). */
const RouteRecord = recordKind<Route>(class extends RawRecord {}, rtnetlinkCodec);
const NO_HEADER = {} as RtRouteRtmsg;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const FAMILY_BY_NUMBER: Readonly<Record<number, RtRouteAddressFamily>> = { 2: 'inet', 10: 'inet6', 17: 'packet', 28: 'mpls' };

/** Friendly view of a decoded RTM_NEWROUTE (dump, `route get` reply or notification). */
export function toRoute(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Route {
  return fillRoute(new RouteRecord(bytes ?? m, offset), m);
}

/**
 * The attributes fillRoute reads (and a dump's own filter: table, oif, multipath): a dump decodes
 * only these, `raw` still has everything (decoded on first access). A test checks toRoute gives the
 * same Route from a whole message.
 */
export const ROUTE_FIELDS = {
  dst: true,
  src: true,
  iif: true,
  oif: true,
  gateway: true,
  priority: true,
  prefsrc: true,
  metrics: true,
  multipath: true,
  cacheinfo: true,
  table: true,
  mark: true,
  via: true,
  pref: true,
  uid: true,
  nhId: true,
} as const satisfies { readonly [A in keyof RtRouteRouteAttrs]?: true };

/** The RTM_NEWROUTE at `offset` of ctx.bytes with ROUTE_FIELDS decoded: what toRoute reads. */
export function decodeRouteFields(ctx: DecodeCtx, offset: number): NetlinkMessage {
  const codec = rtnetlinkCodec();
  return codec.decodeFrame(ctx, offset, codec.frameEnd(ctx, offset), ROUTE_FIELDS);
}

// rtmsg's rtm_family and rtm_flags, as numbers: a route dump's filter reads them for every route
// (the names would cost a lookup each). A message too short for an rtmsg reads as 0 (AF_UNSPEC).
const familyAt = quickHeaderNumber(rtnetlinkCodec, 'newroute', 'family');
const flagsAt = quickHeaderNumber(rtnetlinkCodec, 'newroute', 'flags');
/** rtm_family of the RTM_NEWROUTE at `offset`; 0 (AF_UNSPEC) when the message is too short for an rtmsg. */
export const routeFamilyNumber = (ctx: DecodeCtx, offset: number): number => familyAt(ctx, offset) ?? 0;
/** rtm_flags of the RTM_NEWROUTE at `offset`; 0 when the message is too short for an rtmsg. */
export const routeFlagsNumber = (ctx: DecodeCtx, offset: number): number => flagsAt(ctx, offset) ?? 0;

/** Every field of a Route: reading one of a lazy route's decodes it (quick ones aside). */
const ROUTE_FIELD_NAMES = [
  'family',
  'dst',
  'table',
  'protocol',
  'scope',
  'type',
  'tos',
  'flags',
  'src',
  'gateway',
  'via',
  'dev',
  'iif',
  'prefsrc',
  'metric',
  'metrics',
  'mtu',
  'nexthops',
  'pref',
  'expires',
  'mark',
  'uid',
  'nhid',
] as const satisfies readonly (keyof Route)[];

/** What a lazy route reads alone: family, and dst from dstLen and RTA_DST. */
const routeHeaderFamily = quickHeaderMember(rtnetlinkCodec, 'newroute', 'family');
const dstLen = quickHeaderMember(rtnetlinkCodec, 'newroute', 'dstLen');
const dstAttr = quickAttribute(rtnetlinkCodec, 'newroute', 'dst');

/** Routes of a dump, decoded on first read (codec/lazy-record.ts); family and dst read alone. */
const LAZY_ROUTE = lazyKind<Route>(
  ROUTE_FIELD_NAMES,
  { family: routeHeaderFamily, dst: (ctx, offset) => prefixText(dstAttr(ctx, offset), (dstLen(ctx, offset) as number) ?? 0) ?? 'default' },
  (route, ctx, offset) => {
    fillRoute(route, decodeRouteFields(ctx, offset));
  },
);

/** A lazy Route over the RTM_NEWROUTE at `offset` of ctx.bytes (a route dump's mapper checked its type). */
export function lazyRoute(ctx: DecodeCtx, offset: number): Route {
  return lazyRecord(RouteRecord, LAZY_ROUTE, ctx, offset);
}

/** Writes the fields of a decoded RTM_NEWROUTE into `route`. */
function fillRoute(route: Route, m: NetlinkMessage): Route {
  const { header: h = NO_HEADER, attrs: a = {} } = m as RtnlMessage<'newroute'>;
  route.family = h.family;
  route.dst = prefixText(a.dst, h.dstLen ?? 0) ?? 'default';
  route.table = a.table ?? h.table;
  route.protocol = h.protocol;
  route.scope = h.scope;
  route.type = h.type;
  route.tos = h.tos ?? 0;
  route.flags = h.flags ?? [];
  const src = prefixText(a.src, h.srcLen ?? 0);
  if (src !== undefined) route.src = src;
  if (a.gateway !== undefined) route.gateway = addrText(a.gateway);
  if (a.via !== undefined) route.via = decodeVia(a.via);
  if (a.oif !== undefined) route.dev = a.oif;
  if (a.iif !== undefined) route.iif = a.iif;
  if (a.prefsrc !== undefined) route.prefsrc = addrText(a.prefsrc);
  if (a.priority !== undefined) route.metric = a.priority;
  if (a.metrics !== undefined && typeof a.metrics === 'object') {
    const { unknown: _unknown, ...metrics } = a.metrics;
    route.metrics = metrics;
    if (metrics.mtu !== undefined) route.mtu = metrics.mtu;
  }
  if (Array.isArray(a.multipath)) route.nexthops = a.multipath.map(toNexthop);
  if (a.pref !== undefined) route.pref = a.pref;
  const expires = a.cacheinfo?.expires;
  if (typeof expires === 'number' && expires !== 0) route.expires = Math.trunc(expires / 100); // clock_t at USER_HZ 100
  if (a.mark !== undefined) route.mark = a.mark;
  if (a.uid !== undefined) route.uid = a.uid;
  if (a.nhId !== undefined) route.nhid = a.nhId;
  return route;
}

type DecodedHop = NonNullable<NonNullable<RtnlMessage<'newroute'>['attrs']>['multipath']>[number];

function toNexthop(n: DecodedHop): RouteNexthop {
  const na = n.attrs ?? {};
  const hop: RouteNexthop = { dev: n.ifindex!, weight: (n.hops ?? 0) + 1, flags: n.flags ?? [] };
  if (na.gateway !== undefined) hop.gateway = addrText(na.gateway);
  if (na.via !== undefined) hop.via = decodeVia(na.via);
  return hop;
}

/** '/0' to '/128': a prefix's text is one concatenation, no number formatting (10k of them per dump). */
const SLASH_LEN = Array.from({ length: 129 }, (_, i) => `/${i}`);

function prefixText(addr: unknown, len: number): string | undefined {
  if (addr === undefined) return len === 0 ? undefined : `unknown/${len}`;
  if (len === 0 && (addr === '0.0.0.0' || addr === '::')) return undefined;
  return addrText(addr) + (SLASH_LEN[len] ?? `/${len}`);
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
  const o = (v ?? {}) as { family?: RtRouteAddressFamily; addr?: unknown; address?: unknown };
  return { family: o.family!, address: addrText(o.addr ?? o.address) };
}
