/**
 * The state of one fake network namespace (links, addresses, routes, neighbours, rules) and the
 * vocabulary its handlers share: kernel errors, spec enums back to numbers, address arithmetic.
 * Numbers for flags and enums come from the specs (protocol/), never from tables written here.
 */
import { constants } from 'node:os';
import { rtAddrSpec } from '../../../protocol/rt-addr.js';
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import { rtRouteSpec } from '../../../protocol/rt-route.js';
import type { NetlinkMessage, OutgoingMessage } from '../../../src/codec/message.js';
import { formatIPv4, formatIPv6, parseIp } from '../../../src/codec/values.js';

export const E = constants.errno;
export type Attrs = Record<string, any>;
export type Family = 'inet' | 'inet6';

/** A refusal as the kernel words it: errno, extended-ack message, and the attribute it points at. */
export class KernelError extends Error {
  constructor(
    readonly errno: number,
    readonly kernelMessage?: string,
    /** Spec path of the offending attribute (NLMSGERR_ATTR_OFFS), e.g. ['linkinfo', 'kind']. */
    readonly attribute?: string[],
  ) {
    super(kernelMessage ?? `errno ${errno}`);
  }
}

export const IFF: Readonly<Record<string, number>> = rtLinkSpec.definitions.iff.entries;
export const IFA_F: Readonly<Record<string, number>> = rtAddrSpec.definitions['ifa-flags'].entries;
export const RTM_F: Readonly<Record<string, number>> = rtRouteSpec.definitions['rtm-flags'].entries;
export const RTNH_F: Readonly<Record<string, number>> = rtRouteSpec.definitions['rtnh-flags'].entries;
export const RTN: Readonly<Record<string, number>> = rtRouteSpec.definitions['rtm-type'].entries;
export const SCOPE: Readonly<Record<string, number>> = rtRouteSpec.definitions['rt-scope'].entries;
export const TABLE: Readonly<Record<string, number>> = rtRouteSpec.definitions['rt-table'].entries;
export const PROTO: Readonly<Record<string, number>> = rtRouteSpec.definitions['rt-protocol'].entries;
const AF: Readonly<Record<string, number>> = rtRouteSpec.definitions['address-family'].entries;

/** A decoded enum value (a name, or a number the spec does not name) as its number. */
export function num(v: unknown, entries: Readonly<Record<string, number>>): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(entries, v)) return entries[v]!;
  return 0;
}

/** Decoded flags (names, numbers, or a number) as one bit mask. */
export function bits(v: unknown, entries: Readonly<Record<string, number>>): number {
  if (typeof v === 'number') return v >>> 0;
  if (!Array.isArray(v)) return 0;
  let n = 0;
  for (const f of v) n |= typeof f === 'number' ? f : (entries[f as string] ?? 0);
  return n >>> 0;
}

export function familyOf(v: unknown): Family | undefined {
  const n = num(v, AF);
  return n === AF.inet ? 'inet' : n === AF.inet6 ? 'inet6' : undefined;
}

/** Address bytes from a decoded ipaddr value (text for 4 and 16 bytes, else bytes). */
export function ipBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  return typeof v === 'string' ? parseIp(v) : undefined;
}

export function ipText(b: Uint8Array): string {
  return b.length === 4 ? formatIPv4(b, 0) : formatIPv6(b, 0);
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `addr` with the bits past `len` cleared (or set, for a broadcast address). */
export function masked(addr: Uint8Array, len: number, set = false): Uint8Array {
  const out = addr.slice();
  for (let bit = len; bit < out.length * 8; bit++) {
    const m = 0x80 >> (bit % 8);
    if (set) out[bit >> 3]! |= m;
    else out[bit >> 3]! &= ~m;
  }
  return out;
}

export function inPrefix(addr: Uint8Array, net: Uint8Array, len: number): boolean {
  return addr.length === net.length && sameBytes(masked(addr, len), masked(net, len));
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export interface FakeLink {
  index: number;
  name: string;
  /** IFLA_INFO_KIND; undefined for lo. */
  kind?: string;
  /** ARPHRD_* name. */
  type: string;
  /** IFF_* the user sets (up, noarp, multicast, promisc...): running / lower_up are derived. */
  flags: number;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  mtuSetByUser: boolean;
  txqlen: number;
  address: string;
  broadcast: string;
  /** A bridge's own address was set (else it follows its ports). */
  addressSetByUser: boolean;
  group: number;
  alias?: string;
  altnames: string[];
  master?: number;
  /** veth: the other end. */
  peer?: number;
  /** IFLA_LINK of other kinds (the lower device). */
  lower?: number;
  /** IFLA_INFO_DATA as given (echoed back in dumps, except for veth). */
  data?: Attrs | Uint8Array;
  /** Bridge port options set (IFLA_INFO_SLAVE_DATA). */
  slaveData?: Attrs;
  /** IPv6 is configured: up with a carrier since it last went up (fe80::/64 and ff00::/8 routes). */
  v6Ready?: boolean;
  /** Was up once: a qdisc is attached (noqueue) instead of noop. */
  everUp?: boolean;
  /** The bridge had a port once: its operstate then follows its carrier (before, it reports unknown). */
  hadPorts?: boolean;
  carrierChanges: number;
  numTxQueues: number;
  numRxQueues: number;
}

export interface FakeAddr {
  family: Family;
  index: number;
  prefixlen: number;
  /** IFA_LOCAL: the interface's own address. */
  local: Uint8Array;
  /** IFA_ADDRESS: the peer (equal to local without one). */
  address: Uint8Array;
  label?: string;
  broadcast?: Uint8Array;
  anycast?: Uint8Array;
  /** All IFA_F_* bits. */
  flags: number;
  scope: number;
  valid: number;
  preferred: number;
  rtPriority?: number;
  proto?: number;
  cstamp: number;
  tstamp: number;
}

export interface FakeHop {
  ifindex: number;
  flags: number;
  hops: number;
  gateway?: Uint8Array;
  via?: unknown;
}

export interface FakeRoute {
  family: Family;
  table: number;
  /** The network, all zeros for a default route. */
  dst: Uint8Array;
  dstLen: number;
  src?: Uint8Array;
  srcLen: number;
  tos: number;
  protocol: number;
  scope: number;
  type: number;
  /** RTNH_F_* bits given (onlink...); linkdown and dead are derived from the devices. */
  flags: number;
  priority: number;
  prefsrc?: Uint8Array;
  gateway?: Uint8Array;
  via?: unknown;
  oif?: number;
  multipath?: FakeHop[];
  metrics?: Attrs;
  pref?: unknown;
  /** The address whose configuration made this route (kernel routes), removed with it. */
  origin?: FakeAddr;
}

/** A request as a handler sees it. */
export interface Request {
  msg: NetlinkMessage & { header: Attrs; attrs: Attrs };
  /** nlmsg_flags. */
  flags: number;
}

/** What a handler answers: unicast replies before the ACK, or the messages of a dump. */
export interface Answer {
  replies?: OutgoingMessage[];
  dump?: OutgoingMessage[];
  /** NLM_F_DUMP_FILTERED when the kernel applied the request's filters. */
  filtered?: boolean;
}

/** RTNLGRP_* of the specs' mcastGroups, by name. */
export type Group = 'link' | 'ipv4Ifaddr' | 'ipv6Ifaddr' | 'ipv4Route' | 'ipv6Route' | 'neigh' | 'ipv4Rule' | 'ipv6Rule';

export class Net {
  readonly links = new Map<number, FakeLink>();
  readonly addrs: FakeAddr[] = [];
  readonly routes: FakeRoute[] = [];
  /** Route tables that exist per family (dumping another one is ENOENT). */
  readonly tables = { inet: new Set<number>([TABLE.main!]), inet6: new Set<number>([TABLE.main!, TABLE.local!]) };
  /** Neighbours and rules: kept as the messages that describe them (see objects.ts). */
  readonly neighbours: OutgoingMessage[] = [];
  readonly rules: OutgoingMessage[] = [];
  private nextIndex = 1;
  /** MACs handed out so far. */
  macs = 0;
  /** 1/100 s "since boot": advances by one per request, so stamps are deterministic. */
  clock = 100;

  constructor(
    /** Sends a notification to a multicast group (the kernel wires it to its sockets). */
    readonly notify: (group: Group, m: OutgoingMessage) => void,
  ) {}

  allocIndex(wanted?: number): number {
    if (wanted !== undefined && wanted > 0) {
      if (this.links.has(wanted)) throw new KernelError(E.EBUSY);
      this.nextIndex = Math.max(this.nextIndex, wanted + 1);
      return wanted;
    }
    while (this.links.has(this.nextIndex)) this.nextIndex++;
    return this.nextIndex++;
  }

  /** A link by name or altname. */
  byName(name: string): FakeLink | undefined {
    for (const l of this.links.values()) if (l.name === name || l.altnames.includes(name)) return l;
    return undefined;
  }

  nameTaken(name: string, except?: FakeLink): boolean {
    const l = this.byName(name);
    return l !== undefined && l !== except;
  }

  isUp(l: FakeLink | undefined): boolean {
    return l !== undefined && (l.flags & IFF.up!) !== 0;
  }

  /** netif_carrier_ok: veths need both ends up; a bridge that had ports a forwarding one. */
  carrier(l: FakeLink): boolean {
    if (l.kind === 'veth') return this.isUp(l) && this.isUp(this.links.get(l.peer!));
    // A new bridge has a carrier; once it had ports, only while one of them forwards (br_port_state_selection).
    if (l.kind === 'bridge') return !l.hadPorts || (this.isUp(l) && this.portsOf(l).some((p) => this.isUp(p) && this.carrier(p)));
    return true;
  }

  /** IF_OPER_* name as the link reports it. */
  operstate(l: FakeLink): string {
    if (!this.isUp(l)) return 'down';
    if (l.kind === undefined || (l.kind !== 'veth' && l.kind !== 'bridge')) return 'unknown';
    if (l.kind === 'bridge' && !l.hadPorts) return 'unknown';
    // rfc2863_policy: without a carrier, a device stacked on another (veth: iflink is the peer) is lowerlayerdown.
    return this.carrier(l) ? 'up' : l.kind === 'veth' ? 'lowerlayerdown' : 'down';
  }

  portsOf(l: FakeLink): FakeLink[] {
    return [...this.links.values()].filter((p) => p.master === l.index);
  }

  addrsOf(index: number, family?: Family): FakeAddr[] {
    return this.addrs.filter((a) => a.index === index && (family === undefined || a.family === family));
  }

  /** Our own address (any link), for prefsrc checks and local lookups. */
  isLocal(b: Uint8Array): boolean {
    return this.addrs.some((a) => sameBytes(a.local, b));
  }

  tick(): number {
    return ++this.clock;
  }
}

/** IPv6 address scope from the address itself (the kernel ignores the one in requests). */
export function v6Scope(b: Uint8Array): number {
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return SCOPE.link!;
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return SCOPE.host!;
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return SCOPE.site!;
  return SCOPE.universe!;
}
