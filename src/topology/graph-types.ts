/**
 * The topology graph's types: namespaces with their links and routes, and the edges the pictures
 * draw. Plain data (JSON-safe): renders take a graph from anywhere, a file included.
 */
import type { Address } from '../api/address-fields.js';
import type { Link } from '../api/link-fields.js';
import type { Route } from '../api/route-fields.js';
export interface GraphAddress {
  family: 'inet' | 'inet6';
  /** 'address/prefixlen'. */
  cidr: string;
  /** The other end of a point-to-point address. */
  peer?: string;
  /** 'universe' (global), 'link', 'host'... or a number. */
  scope: string | number;
  /** Made by the kernel (IPv6 link-local, loopback's own), not by whoever built the lab. */
  kernel: boolean;
}

export interface GraphPeer {
  /** Its namespace as the graph names it ('.', a /run/netns name); undefined when it has no name here. */
  netns?: string;
  /** Its name, when it could be read. */
  name?: string;
  /** Its index in its own namespace. */
  index: number;
  /** The graph id of the peer link when its namespace was read. */
  id?: string;
}

export interface GraphLink {
  /** 'NETNS/NAME': unique in the graph (neither a link name nor a namespace name contains '/'). */
  id: string;
  netns: string;
  index: number;
  name: string;
  /** 'veth', 'bridge', 'vxlan'...; undefined for devices without one (physical NICs, lo). */
  kind?: string;
  /** Hardware type: 'ether', 'loopback', 'none'... */
  type: string;
  /** Operational state as the kernel reports it: 'up', 'down', 'unknown', 'lowerlayerdown'... */
  state: string;
  /** Administratively up. */
  up: boolean;
  mtu?: number;
  mac?: string;
  addresses: GraphAddress[];
  /** Name of the bridge (bond, vrf...) this link is a port of, in the same namespace. */
  master?: string;
  /** veth: the other end. */
  peer?: GraphPeer;
  /** The lower device in the same namespace (vlan, macvlan parent), by name. */
  parent?: string;
}

export interface GraphNexthop {
  gateway?: string;
  dev?: string;
  weight?: number;
}

export interface GraphRoute {
  family: string;
  /** 'default' or 'prefix/len'. */
  dst: string;
  gateway?: string;
  /** Output link by name. */
  dev?: string;
  prefsrc?: string;
  metric?: number;
  table: string | number;
  protocol: string | number;
  scope: string | number;
  type: string | number;
  nexthops?: GraphNexthop[];
  /** Made by the kernel (proto kernel, router advertisements): follows from addresses and links. */
  kernel: boolean;
}

export interface GraphNamespace {
  /** '.' for the current namespace, else its /run/netns name. */
  name: string;
  /** Links by index. */
  links: GraphLink[];
  /** Routes of every table but `local` (the kernel's own per-address routes). */
  routes: GraphRoute[];
}

/**
 * An edge of the pictures. 'veth': a pair, listed once, `a` in the namespace read first. 'port':
 * `a` is a port of the bridge (or other master) `b`. Ends are GraphLink ids.
 */
export interface GraphEdge {
  kind: 'veth' | 'port';
  a: string;
  b: string;
}

export interface TopologyGraph {
  namespaces: GraphNamespace[];
  edges: GraphEdge[];
}

/**
 * What was read of one namespace, as the API returns it (export needs the links' kind data, which
 * the graph leaves out).
 * @internal
 */
export interface NamespaceSnapshot {
  name: string;
  links: Link[];
  addresses: Address[];
  routes: Route[];
  /** nsid (as this namespace numbers them) -> namespace name, for the ids its links carry. */
  nsids: Map<number, string>;
  /** Peers in namespaces outside the read set, by this namespace's link index. */
  outside: Map<number, GraphPeer>;
}
