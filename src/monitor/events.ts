/**
 * What monitors deliver: decoded object events (new / del with the friendly object), and the
 * events that keep a consumer honest: overrun (something was lost), resync (here is the whole
 * current state; replace yours), netns (a namespace appeared or went away), error.
 */
import type { Address } from '../api/addresses.js';
import { toAddress } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import { LINK_FIELDS, toLink } from '../api/links.js';
import type { AttrSelection } from '../codec/types.js';
import type { Neighbour } from '../api/neighbours.js';
import { toNeighbour } from '../api/neighbours.js';
import type { Route } from '../api/routes.js';
import { toRoute } from '../api/routes.js';
import type { Rule } from '../api/rules.js';
import { toRule } from '../api/rules.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { RtNsidNsidAttrs } from '../generated/index.js';
import type { NftJsonDocument } from '../nft/json/types.js';
import type { NftMonitorItem } from '../nft/monitor-json.js';
import type { EventKind, ObjectKind } from './groups.js';

/** A peer namespace id (RTM_NEWNSID / RTM_DELNSID). */
export interface Nsid {
  /** The id; -1 when none is assigned. */
  nsid: number;
  /** Set in replies to requests that named a namespace by pid or fd. */
  pid?: number;
  fd?: number;
  raw: NetlinkMessage;
}

export function toNsid(m: NetlinkMessage): Nsid {
  const a = (m.attrs ?? {}) as RtNsidNsidAttrs; // RTM_NEWNSID / RTM_DELNSID as the codec decodes them
  const out: Nsid = { nsid: a.nsid ?? -1, raw: m };
  if (a.pid !== undefined) out.pid = a.pid;
  if (a.fd !== undefined) out.fd = a.fd;
  return out;
}

export interface ObjectTypes {
  link: Link;
  address: Address;
  route: Route;
  neighbour: Neighbour;
  rule: Rule;
  nsid: Nsid;
}

/**
 * An object was added or changed ('new': RTM_NEW*, which the kernel also sends for changes) or
 * removed ('del'). `netns` is the namespace's name; undefined for the namespace this process is in.
 */
export type ObjectEvent =
  | {
      [K in ObjectKind]: { type: 'new' | 'del'; kind: K; netns?: string; object: ObjectTypes[K] };
    }[ObjectKind]
  | NftChangeEvent;

/**
 * An nftables change (group 'nftables'), as `nft -j monitor` prints it: `{ add: { rule: {...} } }`,
 * `{ insert: ... }`, `{ create: ... }` ('new') or `{ delete: ... }` ('del'). What nft does not print
 * (anonymous sets and their elements: rules show them inline; the first half of a range) is no event.
 */
export interface NftChangeEvent {
  type: 'new' | 'del';
  kind: 'nftables';
  netns?: string;
  object: NftMonitorItem;
  /** The kernel's message, decoded: its flags, and what the JSON leaves out (a rule's `position`). */
  raw: NetlinkMessage;
}

/**
 * An nftables transaction was committed (NFT_MSG_NEWGEN, after its changes): the 'nftables' events
 * since the previous one are its changes, and the ruleset is now at generation `genid`.
 */
export interface NftGenerationEvent {
  type: 'generation';
  netns?: string;
  genid: number;
  /** The process that committed it, as the kernel names it (`nft monitor`: "by process PID (NAME)"). */
  pid?: number;
  process?: string;
}

export type OverrunReason =
  /** The kernel dropped events: the socket's receive buffer was full (ENOBUFS). */
  | 'enobufs'
  /** A datagram was cut short (nlmsg_len past its end). */
  | 'truncated'
  /** The kernel sent NLMSG_OVERRUN. */
  | 'overrun'
  /** An event could not be decoded. */
  | 'decode'
  /** An iterator's consumer fell more than maxQueued events behind; its queue was dropped. */
  | 'consumer';

/** Events were lost. A 'resync' event for the same namespace follows (unless resync is off). */
export interface OverrunEvent {
  type: 'overrun';
  netns?: string;
  reason: OverrunReason;
  /** The kinds whose events were lost: the rtnetlink ones, or 'nftables' (its own socket). */
  kinds?: EventKind[];
  error?: Error;
}

/** The current state of the dumped kinds, consistent with the events that follow it: replace what you hold. */
export interface ResyncEvent {
  type: 'resync';
  netns?: string;
  /** True for the first dump asked for with `initialDump`. */
  initial: boolean;
  /** The kinds this resync covers (only these arrays are set). */
  kinds: EventKind[];
  links?: Link[];
  addresses?: Address[];
  routes?: Route[];
  neighbours?: Neighbour[];
  rules?: Rule[];
  nsids?: Nsid[];
  /** 'nftables': the whole ruleset as `nft -j list ruleset` prints it. */
  ruleset?: NftJsonDocument;
  /** 'nftables': the generation of `ruleset`; the nftables events that follow are of later ones. */
  genid?: number;
}

/** Which routes a 'refresh' covers: those of a family, and / or those using an interface (any nexthop). */
export interface RouteScope {
  family?: 'inet' | 'inet6';
  /** Interface index. */
  dev?: number;
  /** Only routes of these types ('unicast', 'broadcast'...): one kernel-filtered dump each. */
  types?: readonly string[];
}

/** Does `r` fall in `scope` (as the kernel's dump filter decides: any nexthop through `dev`)? */
export function inRouteScope(r: Route, scope: RouteScope): boolean {
  if (scope.family !== undefined && r.family !== scope.family) return false;
  if (scope.types !== undefined && !scope.types.includes(r.type as string)) return false;
  if (scope.dev === undefined) return true;
  if (r.dev === scope.dev) return true;
  const hops = r.nexthops;
  if (hops) for (const h of hops) if (h.dev === scope.dev) return true;
  return false;
}

/**
 * A narrow re-dump (Monitor.refresh): the current routes in `scope`, consistent with the events that
 * follow, as for a resync; replace the routes you hold that fall in the scope (inRouteScope), keep
 * the others. Used where the kernel changes routes without telling (docs/monitoring.md).
 */
export interface RefreshEvent {
  type: 'refresh';
  netns?: string;
  kind: 'route';
  scope: RouteScope;
  routes: Route[];
}

/** A named namespace appeared in (or vanished from) /run/netns; its events start (stop) here. */
export interface NetnsEvent {
  type: 'netns';
  action: 'add' | 'del';
  netns: string;
}

/** Something failed that the monitor retries or works around (a resync dump, opening a namespace). */
export interface ErrorEvent {
  type: 'error';
  netns?: string;
  error: Error;
}

export type MonitorEvent = ObjectEvent | NftGenerationEvent | OverrunEvent | ResyncEvent | RefreshEvent | NetnsEvent | ErrorEvent;

/**
 * nlmsg_type -> event for the rtnetlink messages monitors understand. `select`: the attributes
 * `convert` reads, for messages most of whose bytes it does not (a link's af_spec and counters);
 * the object's `raw` then decodes the message's bytes on first access.
 */
export const EVENT_TYPES: ReadonlyMap<
  number,
  {
    type: 'new' | 'del';
    kind: ObjectKind;
    select?: AttrSelection;
    convert(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): ObjectTypes[ObjectKind];
  }
> = new Map([
  [16, { type: 'new', kind: 'link', select: LINK_FIELDS, convert: toLink }],
  [17, { type: 'del', kind: 'link', select: LINK_FIELDS, convert: toLink }],
  [20, { type: 'new', kind: 'address', convert: toAddress }],
  [21, { type: 'del', kind: 'address', convert: toAddress }],
  [24, { type: 'new', kind: 'route', convert: toRoute }],
  [25, { type: 'del', kind: 'route', convert: toRoute }],
  [28, { type: 'new', kind: 'neighbour', convert: toNeighbour }],
  [29, { type: 'del', kind: 'neighbour', convert: toNeighbour }],
  [32, { type: 'new', kind: 'rule', convert: toRule }],
  [33, { type: 'del', kind: 'rule', convert: toRule }],
  [88, { type: 'new', kind: 'nsid', convert: toNsid }],
  [89, { type: 'del', kind: 'nsid', convert: toNsid }],
] as const);

export function isObjectEvent(e: MonitorEvent): e is ObjectEvent {
  return e.type === 'new' || e.type === 'del';
}

/** The events of a Monitor or MultiMonitor as an EventEmitter emits them: every one as 'event', then by kind or type. */
export interface MonitorEvents {
  event: [MonitorEvent];
  link: [Extract<ObjectEvent, { kind: 'link' }>];
  address: [Extract<ObjectEvent, { kind: 'address' }>];
  route: [Extract<ObjectEvent, { kind: 'route' }>];
  neighbour: [Extract<ObjectEvent, { kind: 'neighbour' }>];
  rule: [Extract<ObjectEvent, { kind: 'rule' }>];
  nsid: [Extract<ObjectEvent, { kind: 'nsid' }>];
  nftables: [NftChangeEvent];
  generation: [NftGenerationEvent];
  overrun: [Extract<MonitorEvent, { type: 'overrun' }>];
  resync: [ResyncEvent];
  refresh: [RefreshEvent];
  netns: [Extract<MonitorEvent, { type: 'netns' }>];
  error: [Error];
  close: [];
}
