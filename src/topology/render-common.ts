/**
 * What the text, dot and svg renders share: how a link and a route read, which links a picture
 * shows, and making host-supplied names safe to print. Names come from the host (any byte but '/'
 * and NUL in a namespace name; control characters in a link name), so every render passes them
 * through printable() before its own escaping.
 */
import type { GraphEdge, GraphLink, GraphNamespace, GraphRoute } from './graph-types.js';

/**
 * Control characters (C0, DEL, C1), bidirectional overrides, zero-width and line/paragraph
 * separators, noncharacters and lone surrogates: shown as \xHH or \u{HHHH}, never sent to a
 * terminal or a document as they are. A backslash is doubled, so the escapes stay unambiguous.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it exists to catch
const UNSAFE = /[\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff]|\p{Surrogate}/gu;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** 'ns/name' as people read a link's place: the namespace, then the link. */
export function linkRef(netns: string | undefined, name: string | undefined, index?: number): string {
  const n = name ?? (index === undefined ? '?' : `if${index}`);
  return netns === undefined ? `?/${n}` : `${netns}/${n}`;
}

/** Addresses a person configured (the kernel's link-local and loopback ones left out). */
export function shownAddresses(l: GraphLink): string[] {
  return l.addresses.filter((a) => !a.kernel).map((a) => (a.peer === undefined ? a.cidr : `${a.cidr} peer ${a.peer}`));
}

/** 'veth up mtu 1500': kind (or hardware type), operational state and MTU. */
export function linkFacts(l: GraphLink): string {
  // lo and other devices without a carrier notion report 'unknown' while up
  const parts = [l.kind ?? l.type, l.state === 'unknown' && l.up ? 'up' : l.state];
  if (l.mtu !== undefined) parts.push(`mtu ${l.mtu}`);
  return parts.join(' ');
}

/** The peer of a veth, as 'ns/name'. */
export function peerText(l: GraphLink): string | undefined {
  return l.peer === undefined ? undefined : linkRef(l.peer.netns, l.peer.name, l.peer.index);
}

/** A route as ip prints it, in short: `default via 172.18.0.1 dev eth0 src 172.18.0.2`. */
export function routeText(r: GraphRoute): string {
  const parts: string[] = [];
  if (r.type !== 'unicast') parts.push(String(r.type));
  parts.push(r.dst);
  if (r.gateway !== undefined) parts.push('via', r.gateway);
  if (r.dev !== undefined) parts.push('dev', r.dev);
  for (const h of r.nexthops ?? []) {
    parts.push('nexthop');
    if (h.gateway !== undefined) parts.push('via', h.gateway);
    if (h.dev !== undefined) parts.push('dev', h.dev);
    if (h.weight !== undefined && h.weight !== 1) parts.push('weight', String(h.weight));
  }
  if (r.prefsrc !== undefined) parts.push('src', r.prefsrc);
  if (r.table !== 'main') parts.push('table', String(r.table));
  if (r.metric !== undefined && r.metric !== 0) parts.push('metric', String(r.metric));
  return parts.join(' ');
}

/** Routes a person configured (connected and RA routes follow from addresses and links). */
export function shownRoutes(ns: GraphNamespace): GraphRoute[] {
  return ns.routes.filter((r) => !r.kernel);
}

/** Links a picture draws: all but a loopback with nothing configured on it (every namespace has one). */
export function pictureLinks(ns: GraphNamespace): GraphLink[] {
  return ns.links.filter((l) => l.type !== 'loopback' || shownAddresses(l).length > 0);
}

/** The lines of a link's box in a picture: name, facts, addresses. */
export function linkLines(l: GraphLink): string[] {
  return [l.name, linkFacts(l), ...shownAddresses(l)].map(printable);
}

/**
 * Which way an edge points, so that a bridge, its ports and their peers go left to right: a port
 * edge from the bridge; a veth pair from the end that is a bridge port, else from the namespace
 * with more links drawn (the host's side of a container's pair), else from the namespace read first.
 */
export function orientEdge(e: GraphEdge, a: GraphLink, b: GraphLink, size: ReadonlyMap<string, number>): [GraphLink, GraphLink] {
  if (e.kind === 'port') return [b, a];
  if ((a.master === undefined) !== (b.master === undefined)) return a.master !== undefined ? [a, b] : [b, a];
  const sa = size.get(a.netns) ?? 0;
  const sb = size.get(b.netns) ?? 0;
  return sb > sa ? [b, a] : [a, b];
}
