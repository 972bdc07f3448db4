/**
 * The state tables of one mirrored namespace, and the identity of what they hold: which objects
 * the kernel treats as one (the keys), and which of its messages are mirrored at all.
 */
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';

export type MirrorKind = 'link' | 'address' | 'route';

/** The mirrored state of one namespace. Treat the maps as read-only. */
export class NamespaceView {
  readonly netns: string | undefined;
  readonly links = new Map<number, Link>();
  readonly addresses = new Map<string, Address>();
  readonly routes = new Map<string, Route>();
  /** IPv4 addresses per interface index, kept with `addresses`: the kernel flushes a device's IPv4 routes with its last one. */
  readonly ipv4Count = new Map<number, number>();
  /** The initial dump has been applied. */
  ready = false;
  /** False between an overrun and the resync that repairs it. */
  consistent = false;
  constructor(netns: string | undefined) {
    this.netns = netns;
  }
}

export function linkKey(l: Link): string {
  return String(l.index);
}

// Keys are built with join(), which makes one flat string: a template literal of this length is a
// tree of concatenations (32 bytes a node), and a mirror holds one key per object. One parts array
// serves every key (join copies; nothing runs in between).
const ADDRESS_PARTS: unknown[] = new Array(4).fill('');
const ROUTE_PARTS: unknown[] = new Array(8).fill('');

/** The kernel's identity of an address: family, interface, local address, prefix and peer. */
export function addressKey(a: Address): string {
  const p = ADDRESS_PARTS;
  p[0] = a.family;
  p[1] = a.index;
  p[2] = `${a.address}/${a.prefixlen}`;
  p[3] = a.peer ?? '';
  return p.join('|');
}

/**
 * The kernel's identity of a route: family, table, type, destination, source, tos, metric, and
 * the device of a single-nexthop route. The same prefix and metric can be routed through several
 * devices at once: IPv6 has fe80::/64 and ff00::/8 on every interface, IPv4 a prefix route per
 * interface when two share a subnet (the kernel appends them).
 */
export function routeKey(r: Route): string {
  const p = ROUTE_PARTS;
  p[0] = r.family;
  p[1] = r.table;
  p[2] = r.type;
  p[3] = r.dst;
  p[4] = r.src ?? '';
  p[5] = r.tos;
  p[6] = r.metric ?? 0;
  p[7] = r.nexthops?.length ? '' : (r.dev ?? '');
  return p.join('|');
}

/** routeKey without its device: what a route replacement (NLM_F_REPLACE) replaces. */
export function routeSlot(key: string): string {
  return key.slice(0, key.lastIndexOf('|'));
}

/** Links of the ordinary (AF_UNSPEC) kind: a bridge's per-port AF_BRIDGE messages are not links. */
export function isLinkMessage(l: Link): boolean {
  const f = (l.raw.header as Record<string, unknown> | undefined)?.family;
  return f === undefined || f === 'unspec' || f === 0;
}

/** IPv4 and IPv6 routes of every table, cloned ones (caches) aside. */
export function isMirroredRoute(r: Route): boolean {
  return (r.family === 'inet' || r.family === 'inet6') && !r.flags.includes('cloned');
}
