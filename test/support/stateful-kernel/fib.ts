/**
 * Route lookups and nexthop checks of the fake kernel: fib_lookup through the default rules (local,
 * main, default), and what fib_create_info / fib_check_nh (IPv4) and ip6_route_info_create /
 * ip6_validate_gw (IPv6) require of a new route's gateway and device, with their errnos and words.
 */
import { E, type FakeRoute, type Family, KernelError, type Net, RTN, RTNH_F, SCOPE, TABLE, inPrefix, sameBytes } from './net.js';

const LOCAL_TABLES = [TABLE.local!, TABLE.main!, TABLE.default!];
/** Route types that carry no nexthop (fib_props[].error). */
const REJECT_TYPES = new Set([RTN.blackhole, RTN.unreachable, RTN.prohibit, RTN.throw]);

/** The devices a route goes through. */
export function routeDevs(r: FakeRoute): number[] {
  return r.multipath ? r.multipath.map((h) => h.ifindex) : r.oif !== undefined ? [r.oif] : [];
}

/** Routes that cover `addr` in one table, best first: longest prefix, then lowest metric. */
function matching(net: Net, family: Family, table: number, addr: Uint8Array, oif?: number, minScope = 0): FakeRoute[] {
  return net.routes
    .filter((r) => r.family === family && r.table === table && r.scope >= minScope && inPrefix(addr, r.dst, r.dstLen))
    .filter((r) => oif === undefined || routeDevs(r).includes(oif) || r.type === RTN.local)
    .sort((x, y) => y.dstLen - x.dstLen || x.priority - y.priority);
}

/** fib_lookup through the default rules: local, main, default. A throw route goes on to the next table. */
export function lookup(net: Net, family: Family, addr: Uint8Array, oif?: number, minScope = 0): FakeRoute | undefined {
  for (const t of LOCAL_TABLES) {
    const r = matching(net, family, t, addr, oif, minScope)[0];
    if (r && r.type !== RTN.throw) return r;
  }
  return undefined;
}

/** fib_check_nh for an IPv4 nexthop: the device it ends up on. */
function checkNh4(net: Net, r: FakeRoute, gw: Uint8Array | undefined, oif: number | undefined, onlink: boolean): number {
  if (!gw) {
    const l = oif === undefined ? undefined : net.links.get(oif);
    if (!l) throw new KernelError(E.ENODEV);
    if (!net.isUp(l)) throw new KernelError(E.ENETDOWN, 'Device for nexthop is not up');
    return l.index;
  }
  if (onlink) {
    const l = oif === undefined ? undefined : net.links.get(oif);
    if (!l) throw new KernelError(E.ENODEV, 'Nexthop device required for onlink');
    if (r.scope >= SCOPE.link!) throw new KernelError(E.EINVAL, 'Nexthop has invalid scope');
    if (!net.isUp(l)) throw new KernelError(E.ENETDOWN, 'Nexthop device is not up');
    return l.index;
  }
  // The gateway must be on a connected subnet (a link- or host-scope route), on `oif` when given.
  const inTable = r.table !== TABLE.main ? matching(net, 'inet', r.table, gw, oif, SCOPE.link)[0] : undefined;
  const found = inTable ?? lookup(net, 'inet', gw, oif, SCOPE.link);
  if (!found) throw new KernelError(E.ENETUNREACH, 'Nexthop has invalid gateway');
  if (found.type !== RTN.unicast && found.type !== RTN.local) throw new KernelError(E.EINVAL, 'Nexthop has invalid gateway');
  const dev = found.type === RTN.local ? (oif ?? routeDevs(found)[0]) : routeDevs(found)[0];
  const l = dev === undefined ? undefined : net.links.get(dev);
  if (!l) throw new KernelError(E.EINVAL, 'No egress device for nexthop gateway');
  if (!net.isUp(l)) throw new KernelError(E.ENETDOWN);
  return l.index;
}

/** ip6_validate_gw and fib6_nh_init: the device an IPv6 nexthop ends up on. */
function checkNh6(net: Net, r: FakeRoute, gw: Uint8Array | undefined, oif: number | undefined, onlink: boolean): number {
  let l = oif === undefined ? undefined : net.links.get(oif);
  if (oif !== undefined && !l) throw new KernelError(E.ENODEV);
  if (onlink && !l) throw new KernelError(E.EINVAL, 'Nexthop device required for onlink');
  if (gw) {
    if (net.addrs.some((x) => x.family === 'inet6' && sameBytes(x.local, gw))) throw new KernelError(E.EINVAL, 'Gateway can not be a local address');
    const linkLocal = gw[0] === 0xfe && (gw[1]! & 0xc0) === 0x80;
    if (!linkLocal && !onlink) {
      const found = (r.table !== TABLE.main ? matching(net, 'inet6', r.table, gw)[0] : undefined) ?? lookup(net, 'inet6', gw);
      const dev = found === undefined ? undefined : routeDevs(found)[0];
      if (!found || found.gateway || dev === undefined || (l && dev !== l.index)) throw new KernelError(E.EHOSTUNREACH);
      l ??= net.links.get(dev);
    }
    if (!l) throw new KernelError(E.EINVAL, 'Egress device not specified');
  }
  if (!l) throw new KernelError(E.ENODEV);
  if (!net.isUp(l)) throw new KernelError(E.ENETDOWN, 'Nexthop device is not up');
  return l.index;
}

/** Checks a new route's nexthops as fib_create_info / ip6_route_info_create do; fills in devices. */
export function checkRoute(net: Net, r: FakeRoute): void {
  if (REJECT_TYPES.has(r.type)) {
    if (r.gateway || r.oif !== undefined || r.multipath) {
      throw new KernelError(E.EINVAL, 'Gateway, device and multipath can not be specified for this route type');
    }
    if (r.family === 'inet6') r.oif = 1; // IPv6 reject routes live on lo
    return;
  }
  if (r.family === 'inet' && r.scope > SCOPE.host!) throw new KernelError(E.EINVAL, 'Invalid scope');
  const check = r.family === 'inet' ? checkNh4 : checkNh6;
  const onlink = (r.flags & RTNH_F.onlink!) !== 0;
  if (r.family === 'inet' && r.scope === SCOPE.host && r.gateway) throw new KernelError(E.EINVAL, 'Route with host scope can not have a gateway');
  if (r.multipath) {
    for (const h of r.multipath) h.ifindex = check(net, r, h.gateway, h.ifindex || undefined, (h.flags & RTNH_F.onlink!) !== 0);
  } else if (r.family === 'inet' && r.scope === SCOPE.host) {
    if (r.oif === undefined || !net.links.has(r.oif)) throw new KernelError(E.ENODEV);
  } else r.oif = check(net, r, r.gateway, r.oif, onlink);
  if (r.family === 'inet' && r.prefsrc && !net.isLocal(r.prefsrc)) throw new KernelError(E.EINVAL, 'Invalid prefsrc address');
  if (r.family === 'inet6' && r.prefsrc && !net.isLocal(r.prefsrc)) throw new KernelError(E.EINVAL, 'Invalid source address');
}
