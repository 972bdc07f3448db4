/**
 * Routes of the fake kernel: tables per family, RTM_NEWROUTE (EXCL / REPLACE / APPEND / prepend as
 * fib_table_insert and fib6_add do), RTM_DELROUTE (fib_table_delete's matching), dumps with the
 * kernel's filters, and `route get` by longest prefix through the local, main and default tables.
 * Nexthops are checked as fib_check_nh / ip6_validate_gw do, with their words.
 */
import { NLM_F } from '../../../protocol/netlink.js';
import type { OutgoingMessage } from '../../../src/codec/message.js';
import { checkRoute, lookup, routeDevs } from './fib.js';
import {
  type Answer,
  type Attrs,
  E,
  type FakeHop,
  type FakeRoute,
  type Family,
  type Group,
  KernelError,
  type Net,
  PROTO,
  RTM_F,
  RTN,
  RTNH_F,
  type Request,
  SCOPE,
  TABLE,
  bits,
  compareBytes,
  familyOf,
  inPrefix,
  ipBytes,
  masked,
  num,
  sameBytes,
} from './net.js';

/** RTCF_LOCAL (net/route.h, no uapi name): the high rt_flags bits a route get copies into rtm_flags. */
const RTCF_LOCAL = 0x80000000;

export const routeGroup = (f: Family): Group => (f === 'inet' ? 'ipv4Route' : 'ipv6Route');

function addrLen(f: Family): number {
  return f === 'inet' ? 4 : 16;
}

/** rtm_flags / rtnh_flags as dumped: linkdown without carrier, dead through a down device. */
function liveFlags(net: Net, flags: number, dev: number | undefined, type: number): number {
  const l = dev === undefined ? undefined : net.links.get(dev);
  if (!l || type === RTN.local) return flags;
  let f = flags;
  if (!net.isUp(l)) f |= RTNH_F.dead! | RTNH_F.linkdown!;
  else if (!net.carrier(l)) f |= RTNH_F.linkdown!;
  return f;
}

/** RTM_NEWROUTE / RTM_DELROUTE for a route, as rt_fill_info / rt6_fill_node write it. */
export function routeMessage(net: Net, r: FakeRoute, kind = 'newroute', flags = 0, extra: Attrs = {}): OutgoingMessage {
  const header: Attrs = {
    family: r.family,
    dstLen: r.dstLen,
    srcLen: r.srcLen,
    tos: r.tos,
    table: r.table < 256 ? r.table : TABLE.compat,
    protocol: r.protocol,
    scope: r.family === 'inet6' ? SCOPE.universe : r.scope,
    type: r.type,
    flags: r.multipath ? r.flags : liveFlags(net, r.flags, r.oif, r.type),
  };
  const attrs: Attrs = { table: r.table };
  if (r.dstLen > 0) attrs.dst = r.dst;
  if (r.src !== undefined && r.srcLen > 0) attrs.src = r.src;
  if (r.family === 'inet6' || r.priority !== 0) attrs.priority = r.priority;
  if (r.prefsrc) attrs.prefsrc = r.prefsrc;
  if (r.metrics) attrs.metrics = r.metrics;
  if (r.oif !== undefined && !r.multipath) attrs.oif = r.oif;
  if (r.gateway) attrs.gateway = r.gateway;
  if (r.via !== undefined) attrs.via = r.via;
  if (r.multipath) {
    attrs.multipath = r.multipath.map((h) => {
      const a: Attrs = {};
      if (h.gateway) a.gateway = h.gateway;
      if (h.via !== undefined) a.via = h.via;
      return { flags: liveFlags(net, h.flags, h.ifindex, r.type), hops: h.hops, ifindex: h.ifindex, attrs: a };
    });
  }
  if (r.family === 'inet6') {
    attrs.pref = r.pref ?? 'medium';
    attrs.cacheinfo = { clntref: 0, lastuse: 0, expires: 0, error: 0, used: 0, id: 0, ts: 0, tsage: 0 };
  }
  return { kind, flags, header, attrs: { ...attrs, ...extra } };
}

function sameSlot(a: FakeRoute, b: FakeRoute): boolean {
  return (
    a.family === b.family &&
    a.table === b.table &&
    a.dstLen === b.dstLen &&
    sameBytes(a.dst, b.dst) &&
    a.tos === b.tos &&
    a.priority === b.priority &&
    a.srcLen === b.srcLen &&
    sameBytes(a.src, b.src)
  );
}

function sameNexthops(a: FakeRoute, b: FakeRoute): boolean {
  if (a.oif !== b.oif || !sameBytes(a.gateway, b.gateway) || (a.multipath === undefined) !== (b.multipath === undefined)) return false;
  const ha = a.multipath ?? [];
  const hb = b.multipath ?? [];
  return ha.length === hb.length && ha.every((h, i) => h.ifindex === hb[i]!.ifindex && sameBytes(h.gateway, hb[i]!.gateway));
}

/**
 * Dump order: tables by id (hashed on the low byte, as both FIBs are), then by prefix, the longer
 * one first on the same address (the trie's order); the same prefix in insertion order.
 */
function order(a: FakeRoute, b: FakeRoute): number {
  return (a.table & 0xff) - (b.table & 0xff) || a.table - b.table || compareBytes(a.dst, b.dst) || b.dstLen - a.dstLen;
}

function place(net: Net, r: FakeRoute, at?: number): void {
  if (at !== undefined) {
    net.routes.splice(at, 0, r);
    return;
  }
  let i = net.routes.length;
  while (i > 0 && order(net.routes[i - 1]!, r) > 0) i--;
  net.routes.splice(i, 0, r);
}

/** A route the kernel adds itself (address and link configuration): notified, never twice. */
export function addKernelRoute(net: Net, r: FakeRoute): void {
  if (net.routes.some((x) => sameSlot(x, r) && x.type === r.type && sameNexthops(x, r))) return;
  net.tables[r.family].add(r.table);
  place(net, r);
  net.notify(routeGroup(r.family), routeMessage(net, r, 'newroute', NLM_F.CREATE | NLM_F.APPEND));
}

/**
 * Removes routes; with `notify` each one is announced (fib_magic deletions), else silently (fib_flush).
 * `rank` orders the announcements (fib_del_ifaddr: the subnet route, then broadcasts, then the local one).
 */
export function removeRoutes(net: Net, which: (r: FakeRoute) => boolean, notify: boolean, rank: (r: FakeRoute) => number = () => 0): void {
  const gone = net.routes.filter(which);
  for (const r of gone) net.routes.splice(net.routes.indexOf(r), 1);
  if (notify) for (const r of gone.sort((a, b) => rank(a) - rank(b))) net.notify(routeGroup(r.family), routeMessage(net, r, 'delroute'));
}

// ---------------------------------------------------------------------------------------------
// Requests

function parseHops(a: Attrs): FakeHop[] | undefined {
  if (!Array.isArray(a.multipath)) return undefined;
  return (a.multipath as Attrs[]).map((h) => {
    const hop: FakeHop = { ifindex: h.ifindex ?? 0, flags: bits(h.flags, RTNH_F), hops: h.hops ?? 0 };
    const gw = ipBytes(h.attrs?.gateway);
    if (gw) hop.gateway = gw;
    if (h.attrs?.via !== undefined) hop.via = h.attrs.via;
    return hop;
  });
}

/** The route a RTM_NEWROUTE / RTM_DELROUTE describes (rtm_to_fib_config / rtm_to_fib6_config). */
function parseRoute(req: Request): FakeRoute {
  const h = req.msg.header;
  const a = req.msg.attrs;
  const family = familyOf(h.family);
  if (!family) throw new KernelError(E.EOPNOTSUPP);
  const len = addrLen(family);
  const dstLen = h.dstLen ?? 0;
  if (dstLen > len * 8 || (h.srcLen ?? 0) > len * 8) throw new KernelError(E.EINVAL, 'Invalid prefix length');
  // nla_get_in_addr reads the first 4 bytes whatever the length (IPv4 has no policy on RTA_DST).
  const raw = ipBytes(a.dst) ?? (a.dst instanceof Uint8Array ? a.dst : new Uint8Array(len));
  if (raw.length < len) throw new KernelError(E.EINVAL, 'Invalid dst address', ['dst']);
  const given = raw.subarray(0, len);
  if (family === 'inet' && !sameBytes(masked(given, dstLen), given)) throw new KernelError(E.EINVAL, 'Invalid prefix for given prefix length');
  const table = num(a.table ?? h.table, TABLE) || TABLE.main!;
  const r: FakeRoute = {
    family,
    table,
    dst: masked(given, dstLen),
    dstLen,
    srcLen: h.srcLen ?? 0,
    tos: h.tos ?? 0,
    protocol: num(h.protocol, PROTO),
    scope: num(h.scope, SCOPE),
    type: num(h.type, RTN),
    flags: bits(h.flags, RTM_F) & (RTNH_F.onlink! | RTNH_F.pervasive!),
    priority: a.priority ?? 0,
  };
  const src = ipBytes(a.src);
  if (src) r.src = src;
  const prefsrc = ipBytes(a.prefsrc);
  if (prefsrc) r.prefsrc = prefsrc;
  const gw = ipBytes(a.gateway);
  if (gw) r.gateway = gw;
  if (a.via !== undefined) r.via = a.via;
  if (a.oif !== undefined && a.oif !== 0) r.oif = a.oif;
  const hops = parseHops(a);
  if (hops) r.multipath = hops;
  if (a.metrics !== undefined) {
    const { unknown: _u, ...metrics } = a.metrics as Attrs;
    if (Object.keys(metrics).length > 0) r.metrics = metrics;
  }
  if (a.pref !== undefined) r.pref = a.pref;
  return r;
}

export function newRoute(net: Net, req: Request): Answer {
  const r = parseRoute(req);
  if (r.family === 'inet6') {
    if (r.priority === 0) r.priority = 1024; // IP6_RT_PRIO_USER
    if (r.type === 0) r.type = RTN.unicast!;
  }
  checkRoute(net, r);
  const f = req.flags;
  const same = net.routes.filter((x) => sameSlot(x, r));
  let at: number | undefined;
  let nl = NLM_F.CREATE | NLM_F.EXCL;
  if (same.length > 0) {
    if (f & NLM_F.EXCL) throw new KernelError(E.EEXIST);
    if (f & NLM_F.REPLACE) {
      // One notification, for the new route; the one it replaces goes without a word.
      net.routes[net.routes.indexOf(same[0]!)] = r;
      net.notify(routeGroup(r.family), routeMessage(net, r, 'newroute', NLM_F.CREATE | NLM_F.REPLACE));
      return {};
    }
    if (same.some((x) => x.type === r.type && sameNexthops(x, r))) throw new KernelError(E.EEXIST);
    if (!(f & NLM_F.CREATE)) throw new KernelError(E.ENOENT, 'Route not found');
    at = f & NLM_F.APPEND ? net.routes.indexOf(same.at(-1)!) + 1 : net.routes.indexOf(same[0]!);
    nl = NLM_F.CREATE | (f & NLM_F.APPEND);
  } else if (!(f & NLM_F.CREATE)) {
    throw new KernelError(E.ENOENT, 'Route not found');
  }
  net.tables[r.family].add(r.table);
  place(net, r, at);
  net.notify(routeGroup(r.family), routeMessage(net, r, 'newroute', nl));
  return {};
}

export function delRoute(net: Net, req: Request): Answer {
  const want = parseRoute(req);
  if (!net.tables[want.family].has(want.table)) throw new KernelError(E.ESRCH, 'FIB table does not exist');
  const a = req.msg.attrs;
  const r = net.routes.find(
    (x) =>
      x.family === want.family &&
      x.table === want.table &&
      x.dstLen === want.dstLen &&
      sameBytes(x.dst, want.dst) &&
      x.tos === want.tos &&
      (want.srcLen === 0 || (x.srcLen === want.srcLen && sameBytes(x.src, want.src))) &&
      (want.type === 0 || x.type === want.type) &&
      (want.family === 'inet6' || want.scope === SCOPE.nowhere || x.scope === want.scope) &&
      (want.protocol === 0 || x.protocol === want.protocol) &&
      (a.priority === undefined || a.priority === 0 || x.priority === want.priority) &&
      (!want.prefsrc || sameBytes(x.prefsrc, want.prefsrc)) &&
      (want.oif === undefined || routeDevs(x).includes(want.oif)) &&
      (!want.gateway || sameBytes(x.gateway, want.gateway) || (x.multipath ?? []).some((h) => sameBytes(h.gateway, want.gateway))),
  );
  if (!r) throw new KernelError(E.ESRCH);
  net.routes.splice(net.routes.indexOf(r), 1);
  net.notify(routeGroup(r.family), routeMessage(net, r, 'delroute'));
  return {};
}

export function getRoute(net: Net, req: Request): Answer {
  if ((req.flags & NLM_F.DUMP) === NLM_F.DUMP) return dumpRoutes(net, req);
  return { replies: [resolve(net, req)] };
}

/** inet_dump_fib / inet6_dump_fib with strict checking: the header's and RTA_TABLE / RTA_OIF filters. */
function dumpRoutes(net: Net, req: Request): Answer {
  const h = req.msg.header;
  const a = req.msg.attrs;
  const family = familyOf(h.family);
  const table = num(a.table ?? h.table, TABLE);
  const protocol = num(h.protocol, PROTO);
  const type = num(h.type, RTN);
  const families: Family[] = family ? [family] : ['inet', 'inet6'];
  if (family && table !== 0 && !net.tables[family].has(table)) {
    throw new KernelError(E.ENOENT, `${family === 'inet' ? 'ipv4' : 'ipv6'}: FIB table does not exist`);
  }
  if (bits(h.flags, RTM_F) & RTM_F.cloned!) return { dump: [], filtered: true }; // the route cache: none here
  const dump = net.routes
    .filter((r) => families.includes(r.family))
    .filter((r) => (table === 0 || r.table === table) && (protocol === 0 || r.protocol === protocol) && (type === 0 || r.type === type))
    .filter((r) => a.oif === undefined || routeDevs(r).includes(a.oif))
    .map((r) => routeMessage(net, r, 'newroute', NLM_F.MULTI));
  return { dump, filtered: table !== 0 || protocol !== 0 || type !== 0 || a.oif !== undefined };
}

/** `ip route get`: the route the lookup finds, resolved as the kernel reports it. */
function resolve(net: Net, req: Request): OutgoingMessage {
  const h = req.msg.header;
  const a = req.msg.attrs;
  const family = familyOf(h.family);
  const dst = ipBytes(a.dst);
  if (!family || !dst || dst.length !== addrLen(family)) throw new KernelError(E.EINVAL, 'Invalid dst address');
  const r = lookup(net, family, dst, a.oif);
  if (!r) throw new KernelError(E.ENETUNREACH);
  if (r.type === RTN.blackhole) throw new KernelError(E.EINVAL);
  if (r.type === RTN.unreachable) throw new KernelError(E.EHOSTUNREACH);
  if (r.type === RTN.prohibit) throw new KernelError(E.EACCES);
  if (bits(h.flags, RTM_F) & RTM_F.fib_match!) return routeMessage(net, r, 'newroute', 0, {});
  const local = r.type === RTN.local;
  const dev = local ? 1 : routeDevs(r)[0];
  const out: FakeRoute = {
    ...r,
    dst,
    dstLen: dst.length * 8,
    // While no rule was added, the local table shares the main one's trie: the kernel says main.
    table: family === 'inet' ? TABLE.main! : r.table,
    protocol: family === 'inet' ? 0 : r.protocol,
    scope: 0,
    flags: family === 'inet' ? (RTM_F.cloned! | (local ? RTCF_LOCAL : 0)) >>> 0 : 0,
    oif: dev,
    multipath: undefined,
    gateway: r.gateway ?? r.multipath?.[0]?.gateway,
    prefsrc: r.prefsrc ?? (local ? dst : sourceFor(net, family, dev, r.gateway ?? dst)),
    priority: family === 'inet' ? 0 : r.priority,
  };
  return routeMessage(net, out, 'newroute', 0, family === 'inet' ? { uid: 0 } : {});
}

/** inet_select_addr / ipv6_dev_get_saddr, simply: an address of the device in the nexthop's subnet, else its first. */
function sourceFor(net: Net, family: Family, dev: number | undefined, toward: Uint8Array): Uint8Array | undefined {
  const own = net.addrs.filter((x) => x.family === family && x.index === dev && !(x.flags & 0x01) && x.scope !== SCOPE.link);
  return (own.find((x) => inPrefix(toward, x.address, x.prefixlen)) ?? own[0])?.local;
}

export { routeDevs };
