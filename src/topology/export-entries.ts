/**
 * What was read (snapshots) -> a topology file's link and route entries, written as someone would
 * write them by hand: what the kernel makes by itself (loopback's addresses, IPv6 link-local,
 * connected routes, the local table) and values equal to the defaults are left out, so the file
 * says what was configured and applying it rebuilds the same state. Pure: no I/O.
 */
import type { Address } from '../api/address-fields.js';
import type { Link } from '../api/link-fields.js';
import type { Route } from '../api/route-fields.js';
import { isKernelAddress, isKernelRoute } from './graph-build.js';
import type { NamespaceSnapshot } from './graph-types.js';
import type { TopologyAddress, TopologyLink, TopologyPeer, TopologyRoute } from './types.js';
import { TOPOLOGY_KINDS } from './validate.js';

/** Kind data written out, with the kernel's defaults (a value equal to its default is left out; no default: always written). */
const KIND_DATA: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  bridge: { stpState: 0, vlanFiltering: 0, forwardDelay: 1500, helloTime: 200, maxAge: 2000, ageingTime: 30000, priority: 32768, mcastSnooping: 1 },
  vlan: { id: undefined },
  macvlan: { mode: undefined },
  macvtap: { mode: undefined },
  vxlan: { id: undefined, port: undefined, group: undefined, group6: undefined, local: undefined, local6: undefined, ttl: 0, learning: 1 },
};

/** A new link's MTU when none is given; kinds not listed take 1500, lower-device kinds their lower device's. */
const DEFAULT_MTU: Readonly<Record<string, number>> = { vxlan: 1450, loopback: 65536 };
/**
 * Devices the kernel makes when their module loads: fallback tunnels in every namespace, and in the
 * first one the ifb, dummy and bonding modules' default devices. Left out while down.
 */
const MODULE_DEVICES = new Set(
  ['tunl0', 'sit0', 'ip6tnl0', 'gre0', 'gretap0', 'erspan0', 'ip_vti0', 'ip6_vti0', 'ip6gre0', 'ip6gretap0'].concat([
    'ifb0',
    'ifb1',
    'dummy0',
    'bond0',
  ]),
);
/** IPv6 routes' metric when none is given (IP6_RT_PRIO_USER). */
const IPV6_DEFAULT_METRIC = 1024;

export type Skip = (message: string) => void;

/** Every snapshot, to find a veth's other end. */
interface Context {
  snaps: readonly NamespaceSnapshot[];
  byName: ReadonlyMap<string, NamespaceSnapshot>;
  skip: Skip;
}

function linksByIndex(s: NamespaceSnapshot): Map<number, Link> {
  return new Map(s.links.map((l) => [l.index, l]));
}

/** The addresses of a link someone configured: not the kernel's own, not dynamic (DHCP, SLAAC: a daemon's to renew). */
export function configuredAddresses(s: NamespaceSnapshot, link: Link): TopologyAddress[] {
  const tagged = s.addresses.some((a) => a.proto !== undefined);
  return s.addresses.filter((a) => a.index === link.index && a.permanent && !isKernelAddress(a, link, tagged)).map((a) => addressEntry(a, link));
}

function addressEntry(a: Address, link: Link): TopologyAddress {
  const extra: Record<string, unknown> = {};
  if (a.peer !== undefined) extra.peer = a.peer;
  if (a.label !== undefined && a.label !== link.name) extra.label = a.label;
  if (a.family === 'inet' && a.scope !== 'universe') extra.scope = a.scope;
  if (a.metric !== undefined && a.metric !== 0) extra.metric = a.metric;
  return Object.keys(extra).length === 0 ? a.cidr : ({ cidr: a.cidr, ...extra } as TopologyAddress);
}

/** The peer of a veth: its namespace's name and its link, when both are known. */
function peerOf(s: NamespaceSnapshot, l: Link, ctx: Context): { ns: string; link?: Link; name?: string } | undefined {
  if (l.link === undefined || l.link === 0) return undefined;
  const nsid = l.linkNetnsid;
  const ns = nsid === undefined || nsid < 0 ? s.name : s.nsids.get(nsid);
  const there = ns === undefined ? undefined : ctx.byName.get(ns);
  if (there !== undefined) {
    const link = there.links.find((x) => x.index === l.link);
    return link === undefined ? undefined : { ns: there.name, link };
  }
  const outside = s.outside.get(l.index);
  if (outside?.netns === undefined || outside.name === undefined) return undefined;
  return { ns: outside.netns, name: outside.name };
}

/**
 * Which end of a pair carries the entry: the end that is no bridge port (its peer gets `master`, as
 * a container's eth0 names the host end enslaved to the bridge), else the end in the namespace with
 * fewer links (the container's), else the one read first.
 */
function writesPair(s: NamespaceSnapshot, l: Link, peerNs: NamespaceSnapshot, peer: Link, ctx: Context): boolean {
  if ((l.master === undefined) !== (peer.master === undefined)) return l.master === undefined;
  if (s.links.length !== peerNs.links.length) return s.links.length < peerNs.links.length;
  const order = (ns: NamespaceSnapshot, link: Link) => ctx.snaps.indexOf(ns) * 1e9 + link.index;
  return order(s, l) < order(peerNs, peer);
}

function mtuDefault(l: Link, s: NamespaceSnapshot): number | undefined {
  if (l.type === 'loopback') return DEFAULT_MTU.loopback;
  if (l.kind === 'vlan' || l.kind === 'macvlan' || l.kind === 'macvtap') {
    return l.link === undefined ? undefined : linksByIndex(s).get(l.link)?.mtu;
  }
  return DEFAULT_MTU[l.kind ?? ''] ?? 1500;
}

/** master, up, mtu, addresses: what both ends of a veth (and every link) carry. */
function endOptions(s: NamespaceSnapshot, l: Link): Partial<TopologyPeer> {
  const out: Partial<TopologyPeer> = {};
  if (l.master !== undefined) {
    const master = linksByIndex(s).get(l.master);
    if (master !== undefined) out.master = master.name;
  }
  if (l.up) out.up = true;
  if (l.mtu !== undefined && l.mtu !== mtuDefault(l, s)) out.mtu = l.mtu;
  const addresses = configuredAddresses(s, l);
  if (addresses.length > 0) out.addresses = addresses;
  return out;
}

function kindData(l: Link): Record<string, unknown> | undefined {
  const table = KIND_DATA[l.kind ?? ''];
  const data = l.data;
  if (table === undefined || data === undefined || data instanceof Uint8Array) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, dflt] of Object.entries(table)) {
    const v = (data as Record<string, unknown>)[key];
    if (v !== undefined && v !== dflt && typeof v !== 'bigint' && !(v instanceof Uint8Array)) out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A link the file creates: kind, kind data, lower device, and the end options. */
function createdLink(s: NamespaceSnapshot, l: Link): TopologyLink {
  const entry = { name: l.name, kind: l.kind } as TopologyLink;
  const data = kindData(l);
  if (data !== undefined) entry.data = data as TopologyLink['data'];
  if (l.link !== undefined && l.kind !== 'veth' && l.linkNetnsid === undefined) {
    const lower = linksByIndex(s).get(l.link);
    if (lower !== undefined && lower.index !== l.index) entry.link = lower.name;
  }
  if (typeof l.alias === 'string' && l.alias !== '') entry.alias = l.alias;
  return Object.assign(entry, endOptions(s, l));
}

function vethEntry(s: NamespaceSnapshot, l: Link, ctx: Context): TopologyLink | undefined {
  const peer = peerOf(s, l, ctx);
  const where = `${s.name}/${l.name}`;
  if (peer === undefined) {
    ctx.skip(`${where}: a veth whose peer's namespace has no name here (or whose peer is gone) cannot be written`);
    return undefined;
  }
  const peerNs = ctx.byName.get(peer.ns);
  if (peer.link !== undefined && peerNs !== undefined && !writesPair(s, l, peerNs, peer.link, ctx)) return undefined;
  const entry = createdLink(s, l);
  const p: TopologyPeer = { name: peer.link?.name ?? peer.name!, netns: peer.ns };
  if (peer.link !== undefined && peerNs !== undefined) Object.assign(p, endOptions(peerNs, peer.link));
  entry.peer = p;
  return entry;
}

/** An entry for a link that exists without being created (lo, a NIC): only when something is configured on it. */
function existingLink(s: NamespaceSnapshot, l: Link): TopologyLink | undefined {
  const options = endOptions(s, l);
  if (Object.keys(options).length === 0) return undefined;
  return { name: l.name, ...options } as TopologyLink;
}

function linkEntry(s: NamespaceSnapshot, l: Link, ctx: Context): TopologyLink | undefined {
  if (l.kind === undefined) return existingLink(s, l);
  if (MODULE_DEVICES.has(l.name) && !l.up) return undefined;
  if (l.kind === 'veth') return vethEntry(s, l, ctx);
  if (TOPOLOGY_KINDS.includes(l.kind)) return createdLink(s, l);
  ctx.skip(`${s.name}/${l.name}: links of kind ${l.kind} are not created by apply; left out`);
  return undefined;
}

/** The link entries of one namespace (veth pairs once, from one end), by index. */
export function linkEntries(s: NamespaceSnapshot, snaps: readonly NamespaceSnapshot[], skip: Skip): TopologyLink[] {
  const ctx: Context = { snaps, byName: new Map(snaps.map((x) => [x.name, x])), skip };
  return s.links.flatMap((l) => linkEntry(s, l, ctx) ?? []);
}

/** The scope routes.add gives a route without one (route-message.ts): written only when it differs. */
function defaultScope(r: Route): string {
  if (r.family === 'inet6') return 'universe';
  if (r.type === 'local' || r.type === 'nat') return 'host';
  if (r.type === 'broadcast' || r.type === 'multicast' || r.type === 'anycast') return 'link';
  return r.type === 'unicast' && r.gateway === undefined && r.via === undefined && r.nexthops === undefined ? 'link' : 'universe';
}

function routeEntry(r: Route, names: ReadonlyMap<number, string>): TopologyRoute {
  const out: TopologyRoute = { dst: r.dst };
  if (r.dst === 'default' && r.gateway === undefined) out.family = r.family as 'inet' | 'inet6';
  if (r.type !== 'unicast') out.type = r.type as TopologyRoute['type'];
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.dev !== undefined && names.has(r.dev)) out.dev = names.get(r.dev)!;
  if (r.src !== undefined) out.src = r.src;
  if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
  if (r.metric !== undefined && r.metric !== (r.family === 'inet6' ? IPV6_DEFAULT_METRIC : 0)) out.metric = r.metric;
  if (r.table !== 'main') out.table = r.table;
  if (r.protocol !== 'boot') out.protocol = r.protocol;
  if (r.scope !== defaultScope(r)) out.scope = r.scope;
  if (r.tos !== 0) out.tos = r.tos;
  if (r.mtu !== undefined) out.mtu = r.mtu;
  if (r.flags.includes('onlink')) out.onlink = true;
  if (r.pref !== undefined && r.pref !== 'medium') out.pref = r.pref as TopologyRoute['pref'];
  if (r.nexthops !== undefined) {
    out.multipath = r.nexthops.map((h) => {
      const hop: NonNullable<TopologyRoute['multipath']>[number] = {};
      if (h.gateway !== undefined) hop.gateway = h.gateway;
      if (names.has(h.dev)) hop.dev = names.get(h.dev)!;
      if (h.weight !== 1) hop.weight = h.weight;
      if (h.flags.includes('onlink')) hop.onlink = true;
      return hop;
    });
  }
  return out;
}

/** The routes of one namespace someone configured: not the kernel's, not expiring ones (RA, redirects). */
export function routeEntries(s: NamespaceSnapshot): TopologyRoute[] {
  const names = new Map(s.links.map((l) => [l.index, l.name]));
  return s.routes.filter((r) => !isKernelRoute(r) && r.expires === undefined && !r.flags.includes('cloned')).map((r) => routeEntry(r, names));
}
