/**
 * Snapshots (what the API returned in each namespace) -> the topology graph. Pure: no I/O, so
 * tests build graphs from hand-made snapshots.
 */
import type { Address } from '../api/address-fields.js';
import type { Link } from '../api/link-fields.js';
import type { Route } from '../api/route-fields.js';
import type {
  GraphAddress,
  GraphEdge,
  GraphLink,
  GraphNamespace,
  GraphNexthop,
  GraphPeer,
  GraphRoute,
  NamespaceSnapshot,
  TopologyGraph,
} from './graph-types.js';

const KERNEL_ADDRESS_PROTOS = new Set(['kernel_lo', 'kernel_ra', 'kernel_ll']);
/** RTPROT_KERNEL (connected routes) and RTPROT_RA (router advertisements), by name or number. */
const KERNEL_ROUTE_PROTOS = new Set<string | number>(['kernel', 'ra', 2, 9]);
const LOOPBACK_OWN = new Set(['127.0.0.1/8', '::1/128']);

/**
 * Made by the kernel rather than configured: IFA_PROTO kernel_* (Linux 5.18+), loopback's own
 * 127.0.0.1/8 and ::1, and, on kernels that tag no address (`tagged` false), IPv6 link-local ones.
 */
export function isKernelAddress(a: Address, link: Pick<Link, 'type'> | undefined, tagged: boolean): boolean {
  if (typeof a.proto === 'string' && KERNEL_ADDRESS_PROTOS.has(a.proto)) return true;
  if (link?.type === 'loopback' && LOOPBACK_OWN.has(a.cidr)) return true;
  return !tagged && a.family === 'inet6' && a.scope === 'link' && /^fe[89ab]/i.test(a.address);
}

/** Made by the kernel: connected routes (proto kernel), router advertisements, and the local table. */
export function isKernelRoute(r: Pick<Route, 'protocol' | 'table'>): boolean {
  return KERNEL_ROUTE_PROTOS.has(r.protocol) || r.table === 'local';
}

function graphAddress(a: Address, link: Link | undefined, tagged: boolean): GraphAddress {
  const out: GraphAddress = { family: a.family, cidr: a.cidr, scope: a.scope, kernel: isKernelAddress(a, link, tagged) };
  if (a.peer !== undefined) out.peer = a.peer;
  return out;
}

/** A veth's other end: same namespace (no nsid), a namespace read (nsid resolved), or one outside. */
function peerOf(l: Link, s: NamespaceSnapshot, byName: ReadonlyMap<string, NamespaceSnapshot>): GraphPeer | undefined {
  if (l.link === undefined || l.link === 0) return undefined;
  let ns: string | undefined;
  if (l.linkNetnsid === undefined || l.linkNetnsid < 0) ns = s.name;
  else ns = s.nsids.get(l.linkNetnsid);
  const there = ns === undefined ? undefined : byName.get(ns);
  if (there === undefined) return s.outside.get(l.index) ?? { index: l.link };
  const peer: GraphPeer = { netns: there.name, index: l.link };
  const other = there.links.find((x) => x.index === l.link);
  if (other !== undefined) {
    peer.name = other.name;
    peer.id = `${there.name}/${other.name}`;
  }
  return peer;
}

function graphLink(l: Link, s: NamespaceSnapshot, names: ReadonlyMap<number, string>, byName: ReadonlyMap<string, NamespaceSnapshot>): GraphLink {
  const out: GraphLink = {
    id: `${s.name}/${l.name}`,
    netns: s.name,
    index: l.index,
    name: l.name,
    type: String(l.type),
    state: l.operstate === undefined ? 'unknown' : String(l.operstate),
    up: l.up,
    addresses: [],
  };
  if (l.kind !== undefined) out.kind = l.kind;
  if (l.mtu !== undefined) out.mtu = l.mtu;
  if (typeof l.address === 'string') out.mac = l.address;
  if (l.master !== undefined && names.has(l.master)) out.master = names.get(l.master)!;
  if (l.kind === 'veth') {
    const peer = peerOf(l, s, byName);
    if (peer !== undefined) out.peer = peer;
  } else if (l.link !== undefined && l.link !== l.index && l.linkNetnsid === undefined && names.has(l.link)) {
    out.parent = names.get(l.link)!;
  }
  return out;
}

function graphRoute(r: Route, names: ReadonlyMap<number, string>): GraphRoute {
  const out: GraphRoute = {
    family: String(r.family),
    dst: r.dst,
    table: r.table,
    protocol: r.protocol,
    scope: r.scope,
    type: r.type,
    kernel: isKernelRoute(r),
  };
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.dev !== undefined) out.dev = names.get(r.dev) ?? String(r.dev);
  if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.nexthops !== undefined) {
    out.nexthops = r.nexthops.map((n) => {
      const hop: GraphNexthop = { dev: names.get(n.dev) ?? String(n.dev), weight: n.weight };
      if (n.gateway !== undefined) hop.gateway = n.gateway;
      return hop;
    });
  }
  return out;
}

function namespaceNode(s: NamespaceSnapshot, byName: ReadonlyMap<string, NamespaceSnapshot>): GraphNamespace {
  const names = new Map(s.links.map((l) => [l.index, l.name]));
  const tagged = s.addresses.some((a) => a.proto !== undefined);
  const links = s.links.map((l) => graphLink(l, s, names, byName));
  const byIndex = new Map(links.map((g) => [g.index, g]));
  const rawByIndex = new Map(s.links.map((l) => [l.index, l]));
  for (const a of s.addresses) byIndex.get(a.index)?.addresses.push(graphAddress(a, rawByIndex.get(a.index), tagged));
  return { name: s.name, links, routes: s.routes.map((r) => graphRoute(r, names)) };
}

/** veth pairs once each (from the end read first) and port -> master edges. */
function graphEdges(namespaces: readonly GraphNamespace[]): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const ids = new Set(namespaces.flatMap((n) => n.links.map((l) => l.id)));
  const paired = new Set<string>();
  for (const ns of namespaces) {
    for (const l of ns.links) {
      if (l.peer?.id !== undefined && ids.has(l.peer.id) && !paired.has(l.id)) {
        paired.add(l.id);
        paired.add(l.peer.id);
        edges.push({ kind: 'veth', a: l.id, b: l.peer.id });
      }
      const master = l.master === undefined ? undefined : `${ns.name}/${l.master}`;
      if (master !== undefined && ids.has(master)) edges.push({ kind: 'port', a: l.id, b: master });
    }
  }
  return edges;
}

/** The graph of what was read, namespaces in the order read. */
export function buildGraph(snaps: readonly NamespaceSnapshot[]): TopologyGraph {
  const byName = new Map(snaps.map((s) => [s.name, s]));
  const namespaces = snaps.map((s) => namespaceNode(s, byName));
  return { namespaces, edges: graphEdges(namespaces) };
}
