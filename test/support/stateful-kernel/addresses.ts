/**
 * Addresses of the fake kernel: RTM_NEWADDR / DELADDR / GETADDR as devinet.c and addrconf.c answer
 * them (secondaries, EEXIST unless NLM_F_REPLACE, EADDRNOTAVAIL), and the routes the kernel makes
 * for them: IPv4's local route always, the subnet and broadcast routes while the link is up
 * (fib_add_ifaddr); IPv6's local route always, the prefix route while the link is up.
 */
import { NLM_F } from '../../../protocol/netlink.js';
import type { OutgoingMessage } from '../../../src/codec/message.js';
import {
  type Answer,
  E,
  type FakeAddr,
  type FakeLink,
  type FakeRoute,
  type Family,
  type Group,
  IFA_F,
  KernelError,
  type Net,
  PROTO,
  RTN,
  type Request,
  SCOPE,
  TABLE,
  bits,
  familyOf,
  inPrefix,
  ipBytes,
  masked,
  num,
  sameBytes,
  v6Scope,
} from './net.js';
import { addKernelRoute, removeRoutes, routeDevs } from './routes.js';

const FOREVER = 0xffffffff;
const addrGroup = (f: Family): Group => (f === 'inet' ? 'ipv4Ifaddr' : 'ipv6Ifaddr');
/** What a caller may set on an IPv6 address (inet6_rtm_newaddr masks the rest). */
const V6_SETTABLE = IFA_F.nodad! | IFA_F.homeaddress! | IFA_F.managetempaddr! | IFA_F.noprefixroute! | IFA_F.mcautojoin! | IFA_F.optimistic!;

export function addrMessage(net: Net, a: FakeAddr, kind = 'newaddr', flags = 0): OutgoingMessage {
  let f = a.flags;
  if (a.family === 'inet6' && !(f & IFA_F.nodad!) && !f6Ready(net, a)) f |= IFA_F.tentative!;
  const attrs: Record<string, unknown> = {};
  if (a.family === 'inet') {
    attrs.address = a.address;
    attrs.local = a.local;
    if (a.broadcast) attrs.broadcast = a.broadcast;
    attrs.label = a.label ?? net.links.get(a.index)?.name;
  } else {
    attrs.address = a.address;
    if (!sameBytes(a.address, a.local)) attrs.local = a.local;
  }
  if (a.anycast) attrs.anycast = a.anycast;
  attrs.flags = f;
  attrs.cacheinfo = { prefered: a.preferred, valid: a.valid, cstamp: a.cstamp, tstamp: a.tstamp };
  if (a.rtPriority) attrs.rtPriority = a.rtPriority;
  if (a.proto) attrs.proto = a.proto;
  return { kind, flags, header: { family: a.family, prefixlen: a.prefixlen, flags: f & 0xff, scope: a.scope, index: a.index }, attrs };
}

/** IPv6 duplicate address detection is over once the link is up with a carrier (at once, here). */
function f6Ready(net: Net, a: FakeAddr): boolean {
  const l = net.links.get(a.index);
  return l !== undefined && net.isUp(l) && net.carrier(l);
}

function kernelRoute(a: FakeAddr, fields: Partial<FakeRoute>): FakeRoute {
  const len = a.local.length;
  return {
    family: a.family,
    table: TABLE.main!,
    dst: new Uint8Array(len),
    dstLen: len * 8,
    srcLen: 0,
    tos: 0,
    protocol: PROTO.kernel!,
    scope: SCOPE.link!,
    type: RTN.unicast!,
    flags: 0,
    priority: 0,
    oif: a.index,
    origin: a,
    ...fields,
  };
}

/** The primary IPv4 address a secondary belongs to (same device, mask and subnet). */
function primaryOf(net: Net, a: FakeAddr): FakeAddr {
  if (!(a.flags & IFA_F.secondary!)) return a;
  return (
    net.addrs.find(
      (p) =>
        p.family === 'inet' &&
        p.index === a.index &&
        !(p.flags & IFA_F.secondary!) &&
        p.prefixlen === a.prefixlen &&
        inPrefix(a.address, p.address, p.prefixlen),
    ) ?? a
  );
}

/** fib_add_ifaddr: the local route always; while the link is up the broadcast and subnet routes. */
export function addV4Routes(net: Net, a: FakeAddr): void {
  const link = net.links.get(a.index)!;
  const prim = primaryOf(net, a);
  const src = prim.local;
  addKernelRoute(net, kernelRoute(a, { table: TABLE.local!, type: RTN.local!, scope: SCOPE.host!, dst: a.local, prefsrc: src }));
  if (!net.isUp(link)) return;
  const bcast = (dst: Uint8Array) => kernelRoute(a, { table: TABLE.local!, type: RTN.broadcast!, dst, prefsrc: src });
  if (a.broadcast && !a.broadcast.every((b) => b === 0xff)) addKernelRoute(net, bcast(a.broadcast));
  const prefix = masked(a.address, a.prefixlen);
  if (a.flags & IFA_F.secondary! || prefix.every((b) => b === 0) || (sameBytes(prefix, a.local) && a.prefixlen === 32)) return;
  if (!(a.flags & IFA_F.noprefixroute!)) {
    const loopback = link.kind === undefined;
    addKernelRoute(
      net,
      kernelRoute(a, {
        table: loopback ? TABLE.local! : TABLE.main!,
        type: loopback ? RTN.local! : RTN.unicast!,
        scope: loopback ? SCOPE.host! : SCOPE.link!,
        dst: prefix,
        dstLen: a.prefixlen,
        prefsrc: src,
        priority: a.rtPriority ?? 0,
      }),
    );
  }
  if (a.prefixlen < 31) addKernelRoute(net, bcast(masked(a.address, a.prefixlen, true)));
}

/** IPv6: the prefix route while the link is up (inet6_addr_add adds it before announcing the address). */
function addV6Prefix(net: Net, a: FakeAddr): void {
  const link = net.links.get(a.index)!;
  if (!net.isUp(link) || link.kind === undefined) return;
  addKernelRoute(net, v6DevRoute(link, [0xff], 8, TABLE.local!, RTN.multicast!)); // addrconf_add_dev
  if (a.flags & IFA_F.noprefixroute!) return;
  addKernelRoute(net, kernelRoute(a, { dst: masked(a.address, a.prefixlen), dstLen: a.prefixlen, scope: 0, priority: a.rtPriority || 256 }));
}

/** IPv6: the local route, always (inserted once the address is announced). */
function addV6Local(net: Net, a: FakeAddr): void {
  addKernelRoute(net, kernelRoute(a, { table: TABLE.local!, type: RTN.local!, dst: a.local, scope: 0 }));
}

/** Inserts an address where the kernel's list would have it, announces it, and adds its routes. */
export function insertAddr(net: Net, a: FakeAddr): void {
  const same = net.addrs.filter((x) => x.family === a.family && x.index === a.index);
  let at: number;
  if (a.family === 'inet') {
    // Primaries after the last primary, secondaries at the end (of the device's list).
    const last = a.flags & IFA_F.secondary! ? same.at(-1) : same.filter((x) => !(x.flags & IFA_F.secondary!)).at(-1);
    at = last ? net.addrs.indexOf(last) + 1 : net.addrs.findIndex((x) => x.family === a.family && x.index > a.index);
  } else {
    // Sorted by scope, the newest first among equals.
    const before = same.find((x) => a.scope <= x.scope);
    at = before ? net.addrs.indexOf(before) : net.addrs.findIndex((x) => x.family === a.family && x.index > a.index);
  }
  net.addrs.splice(at < 0 ? net.addrs.length : at, 0, a);
  if (a.family === 'inet6') addV6Prefix(net, a);
  net.notify(addrGroup(a.family), addrMessage(net, a, 'newaddr', NLM_F.CREATE | NLM_F.EXCL));
  if (a.family === 'inet') addV4Routes(net, a);
  else addV6Local(net, a);
}

/**
 * The order the kernel announces an address's routes going: IPv4 the subnet route, the broadcasts,
 * then the local route (fib_del_ifaddr); IPv6 the local route, then the prefix route.
 */
function removalRank(r: FakeRoute): number {
  if (r.family === 'inet6') return r.type === RTN.local && r.dstLen === 128 ? 0 : 1;
  return r.type === RTN.broadcast ? 1 : r.dstLen === 32 && r.type === RTN.local ? 2 : 0;
}

/** Removes an address and the routes it brought (announced), as __inet_del_ifa / ipv6_del_addr do. */
export function removeAddr(net: Net, a: FakeAddr): void {
  const i = net.addrs.indexOf(a);
  if (i < 0) return;
  net.addrs.splice(i, 1);
  net.notify(addrGroup(a.family), addrMessage(net, a, 'deladdr'));
  // Its routes, unless another address makes the same one (two addresses with one broadcast).
  removeRoutes(net, (r) => r.origin === a, true, removalRank);
  if (a.family === 'inet6') {
    for (const r of net.routes) if (r.family === 'inet6' && r.prefsrc && sameBytes(r.prefsrc, a.local)) r.prefsrc = undefined; // rt6_remove_prefsrc
    return;
  }
  for (const o of net.addrs.filter((x) => x.family === 'inet' && x.index === a.index)) addV4Routes(net, o);
  // fib_sync_down_addr: routes preferring this address as source go, silently.
  if (!net.isLocal(a.local)) removeRoutes(net, (r) => r.family === 'inet' && r.prefsrc !== undefined && sameBytes(r.prefsrc, a.local), false);
  // fib_disable_ip: the device's last IPv4 address takes every IPv4 route through it along.
  if (net.addrsOf(a.index, 'inet').length > 0) return;
  removeRoutes(net, (r) => r.family === 'inet' && routeDevs(r).includes(a.index) && !r.multipath, false);
}

const noDevice = (f: Family) => (f === 'inet' ? 'ipv4: Device not found' : 'ipv6: Unable to find the interface');

function parseCommon(net: Net, req: Request): { family: Family; link: FakeLink; local: Uint8Array; peer: Uint8Array } {
  const h = req.msg.header;
  const at = req.msg.attrs;
  const family = familyOf(h.family);
  if (!family) throw new KernelError(E.EOPNOTSUPP);
  const max = family === 'inet' ? 32 : 128;
  if ((h.prefixlen ?? 0) > max) throw new KernelError(E.EINVAL);
  const link = net.links.get(h.index);
  const address = ipBytes(at.address);
  const localGiven = ipBytes(at.local);
  const local = localGiven ?? (family === 'inet6' ? address : undefined);
  if (!local) throw new KernelError(E.EINVAL, family === 'inet' ? 'ipv4: Local address is not supplied' : undefined);
  if (!link) throw new KernelError(E.ENODEV, noDevice(family));
  return { family, link, local, peer: address ?? local };
}

export function newAddr(net: Net, req: Request): Answer {
  const { family, link, local, peer } = parseCommon(net, req);
  const h = req.msg.header;
  const at = req.msg.attrs;
  const ci = at.cacheinfo as { valid?: number; prefered?: number } | undefined;
  const valid = ci?.valid ?? FOREVER;
  const preferred = ci?.prefered ?? FOREVER;
  if (valid === 0 || preferred > valid) throw new KernelError(E.EINVAL, `${family === 'inet' ? 'ipv4' : 'ipv6'}: address lifetime invalid`);
  let flags = at.flags !== undefined ? bits(at.flags, IFA_F) : bits(h.flags, IFA_F);
  flags = family === 'inet' ? flags & ~(IFA_F.secondary! | IFA_F.permanent!) : flags & V6_SETTABLE;
  if (valid === FOREVER) flags |= IFA_F.permanent!;
  const prefixlen: number = h.prefixlen ?? 0;
  const existing = net.addrs.find(
    (x) =>
      x.family === family &&
      x.index === link.index &&
      sameBytes(x.local, local) &&
      (family === 'inet6' || (x.prefixlen === prefixlen && inPrefix(peer, x.address, prefixlen))),
  );
  if (existing) {
    if (req.flags & NLM_F.EXCL || !(req.flags & NLM_F.REPLACE)) {
      throw new KernelError(E.EEXIST, family === 'inet' ? 'ipv4: Address already assigned' : 'ipv6: address already assigned');
    }
    existing.valid = valid;
    existing.preferred = preferred;
    existing.flags = (existing.flags & IFA_F.secondary!) | flags;
    existing.tstamp = net.tick();
    if (at.rtPriority !== undefined) existing.rtPriority = at.rtPriority;
    if (at.proto !== undefined) existing.proto = num(at.proto, {});
    net.notify(addrGroup(family), addrMessage(net, existing, 'newaddr', NLM_F.REPLACE));
    return {};
  }
  if (!(req.flags & NLM_F.CREATE)) throw new KernelError(E.ENOENT);
  const stamp = net.tick();
  const a: FakeAddr = {
    family,
    index: link.index,
    prefixlen,
    local,
    address: peer,
    flags,
    scope: family === 'inet6' ? v6Scope(local) : num(h.scope, SCOPE),
    valid,
    preferred,
    cstamp: stamp,
    tstamp: stamp,
  };
  if (at.label !== undefined) a.label = at.label;
  const bcast = ipBytes(at.broadcast);
  if (bcast && family === 'inet') a.broadcast = bcast;
  const anycast = ipBytes(at.anycast);
  if (anycast) a.anycast = anycast;
  if (at.rtPriority !== undefined) a.rtPriority = at.rtPriority;
  if (at.proto !== undefined) a.proto = num(at.proto, { kernel_lo: 1, kernel_ra: 2, kernel_ll: 3 });
  if (family === 'inet') {
    // __inet_insert_ifa: another address of the subnet makes this one a secondary.
    for (const o of net.addrsOf(link.index, 'inet')) {
      if (o.prefixlen !== prefixlen || !inPrefix(peer, o.address, prefixlen)) continue;
      if (sameBytes(o.local, local)) throw new KernelError(E.EEXIST);
      if (o.scope !== a.scope) throw new KernelError(E.EINVAL);
      a.flags |= IFA_F.secondary!;
    }
  }
  insertAddr(net, a);
  return {};
}

export function delAddr(net: Net, req: Request): Answer {
  const h = req.msg.header;
  const at = req.msg.attrs;
  const family = familyOf(h.family);
  if (!family) throw new KernelError(E.EOPNOTSUPP);
  if (!net.links.has(h.index)) throw new KernelError(E.ENODEV, noDevice(family));
  const local = ipBytes(at.local);
  const address = ipBytes(at.address);
  const found = net.addrsOf(h.index, family).find((x) => {
    if (family === 'inet6') return x.prefixlen === h.prefixlen && sameBytes(x.local, local ?? address);
    if (local && !sameBytes(x.local, local)) return false;
    if (at.label !== undefined && at.label !== (x.label ?? net.links.get(x.index)?.name)) return false;
    return !address || (x.prefixlen === h.prefixlen && inPrefix(address, x.address, x.prefixlen));
  });
  if (!found) throw new KernelError(E.EADDRNOTAVAIL, family === 'inet' ? 'ipv4: Address not found' : 'ipv6: address not found');
  if (family === 'inet' && !(found.flags & IFA_F.secondary!)) {
    // promote_secondaries is off: the primary takes its secondaries along, and they go first.
    const secondaries = net.addrsOf(h.index, 'inet').filter((x) => x.flags & IFA_F.secondary! && primaryOf(net, x) === found);
    for (const s of secondaries) removeAddr(net, s);
  }
  removeAddr(net, found);
  return {};
}

/** inet_dump_ifaddr / inet6_dump_addr: every address of the family (or both), of one link with ifa_index. */
export function dumpAddrs(net: Net, req: Request): Answer {
  const h = req.msg.header;
  const family = familyOf(h.family);
  const index: number = h.index ?? 0;
  if (index !== 0 && !net.links.has(index)) throw new KernelError(E.ENODEV);
  const dump = (['inet', 'inet6'] as const)
    .filter((f) => family === undefined || f === family)
    .flatMap((f) => net.addrs.filter((a) => a.family === f && (index === 0 || a.index === index)))
    .map((a) => addrMessage(net, a, 'newaddr', NLM_F.MULTI));
  return { dump, filtered: index !== 0 };
}

// ---------------------------------------------------------------------------------------------
// What links going up, down or away do to addresses

function loopbackAddr(net: Net, link: FakeLink, family: Family): FakeAddr {
  const stamp = net.tick();
  const local = family === 'inet' ? Uint8Array.of(127, 0, 0, 1) : Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
  return {
    family,
    index: link.index,
    prefixlen: family === 'inet' ? 8 : 128,
    local,
    address: local,
    flags: IFA_F.permanent!,
    scope: SCOPE.host!,
    valid: FOREVER,
    preferred: FOREVER,
    cstamp: stamp,
    tstamp: stamp,
    ...(family === 'inet' ? { label: link.name } : { proto: 1 }), // IFAPROT_KERNEL_LO
  };
}

/** NETDEV_UP: lo gets 127.0.0.1/8 and ::1; every link its addresses' routes and fe80::/64, ff00::/8. */
export function addrsLinkUp(net: Net, link: FakeLink): void {
  if (link.kind === undefined) {
    if (!net.addrsOf(link.index, 'inet').some((a) => a.local[0] === 127)) insertAddr(net, loopbackAddr(net, link, 'inet'));
    else for (const a of net.addrsOf(link.index, 'inet')) addV4Routes(net, a);
    if (net.addrsOf(link.index, 'inet6').length === 0) insertAddr(net, loopbackAddr(net, link, 'inet6'));
    return;
  }
  for (const a of net.addrsOf(link.index, 'inet')) addV4Routes(net, a);
  // addrconf_permanent_addr restores the prefix routes at once; the rest waits for a carrier (v6LinkReady).
  for (const a of net.addrsOf(link.index, 'inet6')) {
    addV6Prefix(net, a);
    addV6Local(net, a);
  }
}

function v6DevRoute(link: FakeLink, dst: number[], dstLen: number, table: number, type: number): FakeRoute {
  const bytes = Uint8Array.from([...dst, ...new Array(16 - dst.length).fill(0)]);
  const oif = link.index;
  return { family: 'inet6', table, dst: bytes, dstLen, srcLen: 0, tos: 0, protocol: PROTO.kernel!, scope: 0, type, flags: 0, priority: 256, oif };
}

/**
 * addrconf_dev_config, once a link is up with a carrier (addrconf_link_ready): ff00::/8 and fe80::/64
 * (the link-local address itself, made with DAD from the MAC, is not modelled).
 */
export function v6LinkReady(net: Net, link: FakeLink): void {
  if (link.v6Ready || link.kind === undefined || !net.isUp(link) || !net.carrier(link)) return;
  link.v6Ready = true;
  addKernelRoute(net, v6DevRoute(link, [0xff], 8, TABLE.local!, RTN.multicast!));
  addKernelRoute(net, v6DevRoute(link, [0xfe, 0x80], 64, TABLE.main!, RTN.unicast!));
}

/**
 * NETDEV_DOWN: IPv4 routes through the link are flushed silently, local ones excepted (fib_sync_down_dev,
 * fib_flush); a multipath route goes when all its hops are dead. IPv6 addresses are removed (keep_addr_on_down
 * is 0) and so are the IPv6 routes through the link.
 */
export function addrsLinkDown(net: Net, link: FakeLink): void {
  const dead = (r: FakeRoute) => routeDevs(r).every((d) => !net.isUp(net.links.get(d)));
  removeRoutes(net, (r) => r.family === 'inet' && r.type !== RTN.local && routeDevs(r).includes(link.index) && dead(r), false);
  for (const a of net.addrsOf(link.index, 'inet6')) removeAddr(net, a);
  link.v6Ready = false;
  removeRoutes(net, (r) => r.family === 'inet6' && routeDevs(r).includes(link.index) && dead(r), true);
}

/** NETDEV_UNREGISTER: addresses go (announced), routes through the link silently. */
export function addrsLinkGone(net: Net, link: FakeLink): void {
  for (const a of net.addrsOf(link.index)) {
    net.addrs.splice(net.addrs.indexOf(a), 1);
    net.notify(addrGroup(a.family), addrMessage(net, a, 'deladdr'));
  }
  removeRoutes(net, (r) => routeDevs(r).includes(link.index) && (!r.multipath || r.multipath.every((h) => h.ifindex === link.index)), false);
  for (const r of net.routes) if (r.multipath) r.multipath = r.multipath.filter((h) => h.ifindex !== link.index);
}
