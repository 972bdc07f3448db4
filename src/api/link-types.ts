/** What the links API takes: options of list, add, set, and the veth peer; kind data by spec attribute name. */
import type { RequestOptions } from '../conn/connection.js';
import type { RtLinkLinkinfoAttrs } from '../generated/index.js';
import type { NetnsTarget } from '../netns/target.js';
import type { RequestAttrs } from './rtnl-messages.js';

export type LinkRef = string | number;

/** IFLA_* attributes by spec name, as a request takes them. */
export type LinkAttrsInput = RequestAttrs<'newlink'>;
/** A kind's IFLA_INFO_DATA by spec attribute name (e.g. { stpState: 0 } for a bridge), or raw bytes. */
export type LinkKindDataInput = NonNullable<RtLinkLinkinfoAttrs<'request'>['data']>;
/** A port's IFLA_INFO_SLAVE_DATA by spec attribute name (e.g. bridge port { cost: 10 }). */
export type LinkSlaveDataInput = Exclude<NonNullable<RtLinkLinkinfoAttrs<'request'>['slaveData']>, Uint8Array>;

export interface LinkListOptions extends RequestOptions {
  /** Only links of this kind (filtered by the kernel). */
  kind?: string;
  /** Only ports of this master (filtered by the kernel). */
  master?: LinkRef;
  /**
   * Include per-family and VF statistics (IFLA_AF_SPEC inet6 stats, VF stats). The kernel always
   * sends the interface's own stats64, so `stats` on a Link is there either way. Default false.
   */
  stats?: boolean;
  /**
   * Decode each Link when one of its fields is first read (default true; name and index are read
   * alone): docs/api.md "Lazy records". false: every Link decoded at once, a plain class instance,
   * for callers that spread, serialise or structuredClone every object.
   */
  lazy?: boolean;
}

export interface VethPeer {
  name: string;
  address?: string;
  mtu?: number;
  txqlen?: number;
  /** Create this end in another network namespace (ip link add ... peer name N netns NS). */
  netns?: NetnsTarget;
  /** Other attributes of the peer by spec name. */
  attrs?: LinkAttrsInput;
}

/** The other end of a veth (or the lower device, IFLA_LINK), possibly in another namespace. */
export interface LinkPeer {
  /** Its index, in its own namespace. */
  index: number;
  /** The id this namespace gives the peer's namespace (IFLA_LINK_NETNSID); undefined when both are here. */
  netnsid?: number;
  /** The /run/netns name of the peer's namespace, when one has that id. */
  netns?: string;
  /** The peer's name, looked up there through IFLA_TARGET_NETNSID (undefined if not permitted). */
  name?: string;
}

export interface LinkAddOptions extends RequestOptions {
  name: string;
  /** Link kind: 'veth', 'bridge', 'vxlan', 'macvlan', 'macvtap'... */
  kind: string;
  /** Kind-specific data by spec attribute name, e.g. { stpState: 0 } for a bridge, { id: 42, port: 4789 } for vxlan. */
  data?: LinkKindDataInput;
  /** veth only: the other end. */
  peer?: VethPeer;
  /** Lower device (macvlan/macvtap parent, vxlan underlay) as IFLA_LINK. */
  link?: LinkRef;
  mtu?: number;
  address?: string;
  txqlen?: number;
  master?: LinkRef;
  alias?: string;
  group?: number;
  up?: boolean;
  /** Create the link in this network namespace (ip link add NAME netns NS): a name, { path }, { pid } or { fd }. */
  netns?: NetnsTarget;
  /** More IFLA_* attributes by spec name. */
  attrs?: LinkAttrsInput;
}

export interface LinkSetOptions extends RequestOptions {
  up?: boolean;
  mtu?: number;
  /** New name. */
  name?: string;
  address?: string;
  broadcast?: string;
  /** Enslave to this master; null (or 0) to release (`nomaster`). */
  master?: LinkRef | null;
  txqlen?: number;
  /** Interface alias; '' removes it. */
  alias?: string;
  group?: number;
  promisc?: boolean;
  allmulticast?: boolean;
  multicast?: boolean;
  arp?: boolean;
  /** Kind data changes (e.g. { stpState: 0 } on a bridge). The kind is looked up unless given. */
  data?: Exclude<LinkKindDataInput, Uint8Array>;
  kind?: string;
  /** Port options as the master sees them (e.g. bridge port { cost: 10 }). */
  slaveData?: LinkSlaveDataInput;
  slaveKind?: string;
  /**
   * Move the link to this network namespace (ip link set DEV netns NS): a name, { path }, { pid } or
   * { fd }. With `name`, it is renamed on the way (the kernel applies the name in the target).
   */
  netns?: NetnsTarget;
  /** More IFLA_* attributes by spec name. */
  attrs?: LinkAttrsInput;
}
