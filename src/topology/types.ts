/**
 * The declarative topology file (docs/topology.md) and the changes applying it makes. A file's
 * entries are the API's own options (links.add, routes.add), grouped by network namespace; the
 * namespace the program runs in is written '.'.
 */
import type { AddressAddOptions } from '../api/address-types.js';
import type { LinkAddOptions } from '../api/link-types.js';
import type { RouteInput } from '../api/route-types.js';

/** The name the current namespace (the one the command runs in) has in a file. */
export const CURRENT_NETNS = '.';

/** An address of a link: 'CIDR', or the CIDR with addresses.add's options (everything but `link`). */
export type TopologyAddress = string | (Omit<AddressAddOptions, 'link' | 'signal' | 'timeoutMs' | 'replace'> & { cidr: string });

/** Per-end options a link and a veth's peer share. */
export interface TopologyLinkEnd {
  /** Name of a bridge/bond/vrf in the same namespace as this end. */
  master?: string;
  up?: boolean;
  mtu?: number;
  addresses?: TopologyAddress[];
}

/** The other end of a veth: its name, its namespace (a key of `namespaces`, '.', or a namespace on the host). */
export interface TopologyPeer extends TopologyLinkEnd {
  name: string;
  /** Default: the namespace of the link entry. */
  netns?: string;
  /** MAC address of the peer. */
  address?: string;
  txqlen?: number;
}

/** A link entry: what links.add takes (name, kind, data, mtu, address, master, up, ...) plus addresses and a veth peer. */
export interface TopologyLink extends Omit<LinkAddOptions, 'peer' | 'netns' | 'master' | 'link' | 'signal' | 'timeoutMs'>, TopologyLinkEnd {
  /** veth only. */
  peer?: TopologyPeer;
  /** Lower device by name in the same namespace (macvlan parent, vxlan underlay). */
  link?: string;
}

/** A route entry: what routes.add takes. `dev` and nexthop devs name links of the same namespace. */
export type TopologyRoute = Omit<RouteInput, 'dev'> & { dev?: string };

/** One namespace of the file. Every part is optional. */
export interface TopologyNamespace {
  /** Keys under net.* (dotted or slashed, as `sysctl` takes them) -> value. Checked to stay under /proc/sys/net. */
  sysctl?: Record<string, string | number | boolean>;
  links?: TopologyLink[];
  routes?: TopologyRoute[];
  /**
   * libnftables JSON commands (add, create, insert) that define whole tables: every table they add,
   * replaced as a whole when its listing differs (docs/topology.md).
   */
  nftables?: unknown[];
}

/** A parsed and validated topology file. Key order of `namespaces` is the order they are created in. */
export interface TopologyFile {
  namespaces: Record<string, TopologyNamespace>;
}

export type ChangeOp = 'add' | 'change' | 'delete';
export type ChangeKind = 'netns' | 'link' | 'address' | 'route' | 'sysctl' | 'nftables';

/**
 * One change apply made (or, in a dry run, would make). `name` identifies the object within its
 * namespace and kind: the namespace's own name (netns), the link's name (link), 'CIDR dev LINK'
 * (address), 'DST [table T] [metric M] [via GW] [dev D]' (route), the dotted key (sysctl), the
 * table (nftables, 'FAMILY NAME': 'ip nat'). `key` repeats it for kinds people call keys (sysctl).
 */
export interface Change {
  op: ChangeOp;
  kind: ChangeKind;
  /** The namespace as the file names it ('.' for the current one). */
  netns: string;
  name: string;
  key?: string;
  /** The entry's path in the file (namespaces.c1.links[0]); absent for prune deletions of undeclared objects. */
  path?: string;
  /** What changes: for 'change' the fields with { from, to }; for 'add' the declared options; for 'delete' what existed. */
  detail?: Record<string, unknown>;
}

/** Options of applyTopology. */
export interface ApplyOptions {
  /** Compute and return the plan; change nothing. */
  dryRun?: boolean;
  /**
   * Also remove undeclared links (never lo), addresses and routes (never kernel-made) in the declared
   * namespaces, and undeclared nftables tables where the namespace has an `nftables` entry ('.' never).
   */
  prune?: boolean;
  signal?: AbortSignal;
}
