/**
 * RTM_NEWROUTE / RTM_DELROUTE of a route as `ip route add/replace/del` builds it: every check
 * before anything is sent; devices given by name are left pending, resolved by the caller.
 * Defaults follow iproute2: table main, protocol boot, type unicast, scope link for unicast routes
 * without a gateway.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { InvalidArgumentError } from './errors.js';
import {
  NEEDS_NEXTHOP_TYPES,
  NO_NEXTHOP_TYPES,
  PROTOCOLS,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  SCOPES,
  TYPES,
  type ParsedDst,
  buildMetrics,
  checkType,
  encodeVia,
  ipv,
  parseAddr,
  parseDst,
  parseSrc,
  parseVia,
  protocolNumber,
  scopeNumber,
  tableId,
} from './route-input.js';
import type { DevRef, RouteInput, RouteType } from './route-types.js';
import type { RequestAttrs, RequestHeader, RtnlRequest } from './rtnl-messages.js';
import { type Family, type ParsedAddress, type ParsedPrefix, checkFamily, checkInt, checkLinkName, checkU32 } from './validate.js';

export type Op = 'add' | 'replace' | 'delete';

type RouteAttrs = RequestAttrs<'newroute'>;
type Hop = NonNullable<RouteAttrs['multipath']>[number];

/** A device given by name: its index goes into `target[key]` once known. */
export type Pending = { name: string } & ({ target: RouteAttrs; key: 'oif' } | { target: Hop; key: 'ifindex' });

export interface Built {
  msg: RtnlRequest<'newroute' | 'delroute'>;
  pending: Pending[];
  /** The destination as errors name it. */
  dst: string;
}

/** The addresses of a route, parsed (families not yet compared). */
interface Ends {
  dst: ParsedDst;
  gw?: ParsedAddress;
  via?: ParsedAddress;
  prefsrc?: ParsedAddress;
  src?: ParsedPrefix;
  /** multipath: each nexthop's gateway or via. */
  hops: { gw?: ParsedAddress; via?: ParsedAddress }[];
}

/**
 * Validates a route and builds its RTM_NEWROUTE / RTM_DELROUTE. Device names are left pending
 * (resolved by the caller), so every check happens before anything is sent.
 */
export function buildRouteMessage(r: RouteInput, op: Op, prefix = ''): Built {
  const arg = (name: string) => prefix + name;
  if (typeof r !== 'object' || r === null) {
    throw new InvalidArgumentError(prefix ? prefix.slice(0, -1) : 'route', r, 'must be an object like { dst: "10.0.0.0/8", gateway: "192.0.2.1" }');
  }
  const ends = parseEnds(r, arg);
  const family = routeFamily(r, ends, arg);
  const type = r.type === undefined ? (op === 'delete' ? undefined : 'unicast') : checkType(r.type, arg('type'));
  checkNexthops(r, ends, type, op, arg);
  const { header, table } = routeHeader(r, ends, family, type, op, arg);
  const pending: Pending[] = [];
  const attrs = routeAttrs(r, ends, family, table, arg, pending);
  const flags = op === 'add' ? NLM_F.CREATE | NLM_F.EXCL : op === 'replace' ? NLM_F.CREATE | NLM_F.REPLACE : 0;
  const msg: Built['msg'] = { kind: op === 'delete' ? 'delroute' : 'newroute', flags, header, attrs };
  const dstText = ends.dst.bytes ? `${ends.dst.address}/${ends.dst.prefixlen}` : 'default';
  return { msg, pending, dst: dstText };
}

function parseEnds(r: RouteInput, arg: (n: string) => string): Ends {
  const dst = parseDst(r.dst, arg('dst'));
  const gw = r.gateway === undefined ? undefined : parseAddr(r.gateway, arg('gateway'));
  const via = r.via === undefined ? undefined : parseVia(r.via, arg('via'));
  const prefsrc = r.prefsrc === undefined ? undefined : parseAddr(r.prefsrc, arg('prefsrc'));
  const src = r.src === undefined ? undefined : parseSrc(r.src, arg('src'));
  const hops = r.multipath;
  if (hops !== undefined && (!Array.isArray(hops) || hops.length === 0)) {
    throw new InvalidArgumentError(arg('multipath'), hops, 'must be a non-empty array of nexthops like [{ gateway: "192.0.2.1", weight: 2 }]');
  }
  const hopEnds = (hops ?? []).map((h, i) => {
    if (typeof h !== 'object' || h === null) {
      throw new InvalidArgumentError(arg(`multipath[${i}]`), h, 'must be an object like { gateway: "192.0.2.1" }');
    }
    return {
      gw: h.gateway === undefined ? undefined : parseAddr(h.gateway, arg(`multipath[${i}].gateway`)),
      via: h.via === undefined ? undefined : parseVia(h.via, arg(`multipath[${i}].via`)),
    };
  });
  return { dst, gw, via, prefsrc, src, hops: hopEnds };
}

/** The route's family: explicit, or from the first address that says; every address must agree. */
function routeFamily(r: RouteInput, e: Ends, arg: (n: string) => string): Family {
  const family: Family =
    (r.family !== undefined ? checkFamily(r.family, arg('family')) : undefined) ??
    e.dst.family ??
    e.gw?.family ??
    (e.via ? 'inet' : undefined) ??
    e.prefsrc?.family ??
    e.hops.find((h) => h.gw)?.gw?.family ??
    (e.hops.some((h) => h.via) ? 'inet' : undefined) ??
    e.src?.family ??
    'inet';
  const sameFamily = (p: ParsedAddress | undefined, name: string, value: unknown, isGateway = false) => {
    if (!p || p.family === family) return;
    const hint = isGateway && family === 'inet' ? '; an IPv6 nexthop of an IPv4 route goes in via' : '';
    throw new InvalidArgumentError(arg(name), value, `is ${ipv(p.family)} but the route is ${ipv(family)}${hint}`);
  };
  if (e.dst.family !== undefined && e.dst.family !== family) {
    throw new InvalidArgumentError(arg('dst'), r.dst, `is ${ipv(e.dst.family)} but family is ${family}`);
  }
  sameFamily(e.gw, 'gateway', r.gateway, true);
  sameFamily(e.prefsrc, 'prefsrc', r.prefsrc);
  sameFamily(e.src, 'src', r.src);
  if (e.src && family === 'inet') {
    // IPv4 FIBs have no source routing: the kernel drops RTA_SRC without a word (ip's `from`).
    throw new InvalidArgumentError(
      arg('src'),
      r.src,
      "IPv4 routes have no source prefix (the kernel ignores it); for the preferred source address (ip's `src`) use prefsrc",
    );
  }
  for (const [i, h] of e.hops.entries()) sameFamily(h.gw, `multipath[${i}].gateway`, r.multipath![i]!.gateway, true);
  if (family === 'inet6' && e.via) throw new InvalidArgumentError(arg('via'), r.via, 'IPv6 routes do not support via (RTA_VIA); use gateway');
  if (family === 'inet6' && e.hops.some((h) => h.via)) {
    throw new InvalidArgumentError(arg('multipath'), r.multipath, 'IPv6 routes do not support via (RTA_VIA); use gateway');
  }
  if (e.gw && e.via) throw new InvalidArgumentError(arg('via'), r.via, 'give either gateway or via, not both');
  return family;
}

/** What a route of this type may and must have: a nexthop or none, onlink only with a gateway and dev. */
function checkNexthops(r: RouteInput, e: Ends, type: RouteType | undefined, op: Op, arg: (n: string) => string): void {
  const hops = r.multipath;
  if (hops && (r.gateway !== undefined || r.via !== undefined || r.dev !== undefined || r.onlink)) {
    throw new InvalidArgumentError(arg('multipath'), hops, 'gateway, via, dev and onlink go into each nexthop of a multipath route');
  }
  if (type !== undefined && NO_NEXTHOP_TYPES.has(type) && (e.gw || e.via || r.dev !== undefined || hops)) {
    throw new InvalidArgumentError(arg('type'), type, 'routes of this type take no gateway, device or multipath');
  }
  if (op !== 'delete' && type !== undefined && NEEDS_NEXTHOP_TYPES.has(type) && !e.gw && !e.via && r.dev === undefined && !hops) {
    throw new InvalidArgumentError(arg('dev'), r.dev, `a ${type} route needs a gateway, via, dev or multipath`);
  }
  if (r.onlink !== undefined && typeof r.onlink !== 'boolean') throw new InvalidArgumentError(arg('onlink'), r.onlink, 'must be true or false');
  if (r.onlink && (!(e.gw || e.via) || r.dev === undefined)) {
    throw new InvalidArgumentError(arg('onlink'), r.onlink, 'needs a gateway (or via) and a dev');
  }
}

/** The rtmsg, with iproute2's defaults for table, scope and protocol; and the full table id (RTA_TABLE). */
function routeHeader(r: RouteInput, e: Ends, family: Family, type: RouteType | undefined, op: Op, arg: (n: string) => string) {
  let table: number;
  if (r.table !== undefined) table = tableId(r.table, arg('table'));
  else table = type === 'local' || type === 'broadcast' || type === 'nat' || type === 'anycast' ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
  let scope: number;
  if (r.scope !== undefined) scope = scopeNumber(r.scope, arg('scope'));
  else if (family === 'inet6') scope = SCOPES.universe!;
  else if (type === 'local' || type === 'nat') scope = SCOPES.host!;
  else if (type === 'broadcast' || type === 'multicast' || type === 'anycast') scope = SCOPES.link!;
  else if (op === 'delete')
    scope = SCOPES.nowhere!; // matches any scope
  else if (type === 'unicast' && !e.gw && !e.via && !r.multipath) scope = SCOPES.link!;
  else scope = SCOPES.universe!;
  const protocol = r.protocol !== undefined ? protocolNumber(r.protocol, arg('protocol')) : op === 'delete' ? 0 : PROTOCOLS.boot!;
  const tos = r.tos === undefined ? 0 : checkInt(r.tos, arg('tos'), 0, 255);
  if (tos && family === 'inet6') throw new InvalidArgumentError(arg('tos'), r.tos, 'IPv6 routes have no tos');
  const header: RequestHeader<'newroute'> = {
    family,
    dstLen: e.dst.prefixlen,
    srcLen: e.src?.prefixlen ?? 0,
    tos,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol,
    scope,
    type: type === undefined ? 0 : TYPES[type]!,
    flags: r.onlink ? ['onlink'] : [],
  };
  return { header, table };
}

/** The route's attributes, in iproute2's order. */
function routeAttrs(r: RouteInput, e: Ends, family: Family, table: number, arg: (n: string) => string, pending: Pending[]): RouteAttrs {
  const attrs: RouteAttrs = {};
  if (e.dst.bytes) attrs.dst = e.dst.bytes;
  if (e.src) attrs.src = e.src.bytes;
  if (e.gw) attrs.gateway = e.gw.bytes;
  if (e.via) attrs.via = encodeVia(e.via);
  if (r.dev !== undefined) {
    attrs.oif = 0;
    const name = devIndex(r.dev, arg('dev'));
    if (typeof name === 'number') attrs.oif = name;
    else pending.push({ target: attrs, key: 'oif', name });
  }
  if (e.prefsrc) attrs.prefsrc = e.prefsrc.bytes;
  if (r.metric !== undefined) attrs.priority = checkU32(r.metric, arg('metric'));
  attrs.table = table;
  const metrics = buildMetrics(r, arg);
  if (metrics) attrs.metrics = metrics;
  if (r.multipath) attrs.multipath = multipathAttr(r, e, arg, pending);
  if (r.pref !== undefined) {
    if (family !== 'inet6') throw new InvalidArgumentError(arg('pref'), r.pref, 'is for IPv6 routes only');
    if (r.pref !== 'low' && r.pref !== 'medium' && r.pref !== 'high') {
      throw new InvalidArgumentError(arg('pref'), r.pref, "must be 'low', 'medium' or 'high'");
    }
    attrs.pref = r.pref;
  }
  if (r.expires !== undefined) {
    if (family !== 'inet6') throw new InvalidArgumentError(arg('expires'), r.expires, 'is for IPv6 routes only');
    attrs.expires = checkInt(r.expires, arg('expires'), 0, 0x7fffffff);
  }
  return attrs;
}

/** RTA_MULTIPATH: one rtnexthop per hop, with its gateway or via. */
function multipathAttr(r: RouteInput, e: Ends, arg: (n: string) => string, pending: Pending[]): Hop[] {
  return r.multipath!.map((h, i) => {
    const a = (n: string) => arg(`multipath[${i}].${n}`);
    const { gw, via } = e.hops[i]!;
    if (gw && via) throw new InvalidArgumentError(a('via'), h.via, 'give either gateway or via, not both');
    if (!gw && !via && h.dev === undefined) throw new InvalidArgumentError(arg(`multipath[${i}]`), h, 'a nexthop needs a gateway, via or dev');
    if (h.onlink !== undefined && typeof h.onlink !== 'boolean') throw new InvalidArgumentError(a('onlink'), h.onlink, 'must be true or false');
    if (h.onlink && (!(gw || via) || h.dev === undefined)) {
      throw new InvalidArgumentError(a('onlink'), h.onlink, 'needs a gateway (or via) and a dev');
    }
    const weight = h.weight === undefined ? 1 : checkInt(h.weight, a('weight'), 1, 256);
    const hop: Hop = { flags: h.onlink ? ['onlink'] : [], hops: weight - 1, ifindex: 0, attrs: {} };
    if (gw) hop.attrs.gateway = gw.bytes;
    if (via) hop.attrs.via = encodeVia(via);
    if (h.dev !== undefined) {
      const name = devIndex(h.dev, a('dev'));
      if (typeof name === 'number') hop.ifindex = name;
      else pending.push({ target: hop, key: 'ifindex', name });
    }
    return hop;
  });
}

/** A device: its index when given as a number (checked), else its name (checked), to be resolved. */
function devIndex(ref: DevRef, argument: string): number | string {
  return typeof ref === 'number' ? checkInt(ref, argument, 1, 0x7fffffff) : checkLinkName(ref, argument);
}
