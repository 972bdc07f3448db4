/**
 * The topology graph: namespaces with their links (addresses, master, veth peer) and routes, as
 * plain objects for programs, and the edges the pictures draw (veth pairs across namespaces, bridge
 * ports to their bridge). Read with the library's API only: one NetlinkClient per namespace.
 *
 * A veth end in namespace A reports its peer as IFLA_LINK (an index) in the namespace A calls
 * IFLA_LINK_NETNSID. nsids are per observer, so each (A, nsid) is resolved by asking A which id it
 * gives each namespace read (RTM_GETNSID), starting with the namespaces that hold a link whose index
 * and IFLA_LINK mirror this one's: usually one request per peer namespace.
 */
import { NetlinkClient } from '../api/client.js';
import type { Link } from '../api/link-fields.js';
import { InvalidArgumentError, isInvalidArgumentError } from '../errors/index.js';
import type { NetnsEntry } from '../netns/enter.js';
import { NamespaceError } from '../netns/errors.js';
import { getNsid, netnsNames } from '../netns/nsid.js';
import { type NetnsTarget, checkNetnsName, resolveNetns } from '../netns/target.js';
import { buildGraph } from './graph-build.js';
import type { GraphPeer, NamespaceSnapshot, TopologyGraph } from './graph-types.js';
import { CURRENT_NETNS } from './types.js';

export interface TopologyReadOptions {
  /** How to enter named namespaces (NetlinkClient.connect's netnsEntry; default 'helper'). */
  netnsEntry?: NetnsEntry;
  signal?: AbortSignal;
}

interface Opened {
  name: string;
  target: NetnsTarget;
  key: string;
  client: NetlinkClient;
}

/** The current namespace's identity, as the nsfs file of this process. */
const SELF: NetnsTarget = { pid: process.pid };

/** The namespaces to read, checked: '.' and names of /run/netns. Default: '.' then every name, sorted. */
function namespaceList(namespaces: readonly string[] | undefined): { names: string[]; explicit: boolean } {
  if (namespaces === undefined) return { names: [CURRENT_NETNS, ...netnsNames().sort()], explicit: false };
  if (!Array.isArray(namespaces))
    throw new InvalidArgumentError('namespaces', namespaces, "must be an array of namespace names ('.' for the current one)");
  for (const n of namespaces) if (n !== CURRENT_NETNS) checkNetnsName(n);
  return { names: [...namespaces], explicit: true };
}

async function openOne(name: string, options: TopologyReadOptions): Promise<Opened> {
  const target: NetnsTarget = name === CURRENT_NETNS ? SELF : { name };
  const { key } = resolveNetns(target);
  const client = name === CURRENT_NETNS ? NetlinkClient.open() : await NetlinkClient.connect({ netns: name, netnsEntry: options.netnsEntry });
  return { name, target, key, client };
}

/** Opens a client in each namespace; one namespace reached under two names is read once. */
async function openAll(namespaces: readonly string[] | undefined, options: TopologyReadOptions): Promise<Opened[]> {
  const { names, explicit } = namespaceList(namespaces);
  const settled = await Promise.allSettled(names.map((n) => openOne(n, options)));
  const opened: Opened[] = [];
  const seen = new Set<string>();
  let failure: unknown;
  settled.forEach((s) => {
    if (s.status === 'rejected') {
      // Listed by default but gone meanwhile, a stale /run/netns entry or a name no namespace can have: left out.
      // Named by the caller: an error.
      if (explicit || !(s.reason instanceof NamespaceError || isInvalidArgumentError(s.reason))) failure ??= s.reason;
    } else if (seen.has(s.value.key)) s.value.client.close();
    else {
      seen.add(s.value.key);
      opened.push(s.value);
    }
  });
  if (failure !== undefined) {
    for (const o of opened) o.client.close();
    throw failure;
  }
  return opened;
}

async function readOne(o: Opened, options: TopologyReadOptions): Promise<NamespaceSnapshot> {
  const req = options.signal ? { signal: options.signal } : {};
  const [links, addresses, routes] = await Promise.all([
    o.client.links.list({ ...req, lazy: false }),
    o.client.addresses.list(req),
    o.client.routes.list({ ...req, table: 'all' }),
  ]);
  links.sort((x, y) => x.index - y.index);
  const kept = routes.filter((r) => r.table !== 'local');
  return { name: o.name, links, addresses, routes: kept, nsids: new Map(), outside: new Map() };
}

/** Cross-namespace links of a snapshot: nsid -> those links. */
function crossLinks(s: NamespaceSnapshot): Map<number, Link[]> {
  const by = new Map<number, Link[]>();
  for (const l of s.links) {
    if (l.linkNetnsid === undefined || l.linkNetnsid < 0 || l.link === undefined) continue;
    const list = by.get(l.linkNetnsid);
    if (list) list.push(l);
    else by.set(l.linkNetnsid, [l]);
  }
  return by;
}

/** Namespaces ordered by how likely they hold the other ends of `links`: mirrored index/IFLA_LINK first. */
function candidates(links: Link[], self: number, snaps: NamespaceSnapshot[]): number[] {
  const mirrors = (s: NamespaceSnapshot): boolean =>
    links.some((l) => s.links.some((m) => m.index === l.link && m.link === l.index && m.linkNetnsid !== undefined));
  const others = snaps.map((_, i) => i).filter((i) => i !== self);
  return [...others.filter((i) => mirrors(snaps[i]!)), ...others.filter((i) => !mirrors(snaps[i]!))];
}

/** Fills each snapshot's nsid -> name map for the ids its links carry, asking its own namespace. */
async function resolveNsids(opened: Opened[], snaps: NamespaceSnapshot[], options: TopologyReadOptions): Promise<void> {
  const req = options.signal ? { signal: options.signal } : {};
  await Promise.all(
    snaps.map(async (s, i) => {
      const asked = new Set<number>();
      for (const [nsid, links] of crossLinks(s)) {
        for (const j of candidates(links, i, snaps)) {
          if (s.nsids.has(nsid)) break;
          if (asked.has(j)) continue;
          asked.add(j);
          const id = await getNsid(opened[i]!.client.connection, opened[j]!.target, req);
          if (id !== undefined) s.nsids.set(id, snaps[j]!.name);
        }
      }
    }),
  );
}

/**
 * Peers in namespaces that were not read: their own name and their namespace's /run/netns name,
 * asked from this end (links.peer), or '.' when the id is the one this end gives the current namespace.
 */
async function resolveOutside(opened: Opened[], snaps: NamespaceSnapshot[], options: TopologyReadOptions): Promise<void> {
  const req = options.signal ? { signal: options.signal } : {};
  const one = async (s: NamespaceSnapshot, client: NetlinkClient): Promise<void> => {
    const unresolved = [...crossLinks(s)].filter(([nsid]) => !s.nsids.has(nsid));
    if (unresolved.length === 0) return;
    const self = await getNsid(client.connection, SELF, req);
    const jobs = unresolved.flatMap(([nsid, links]) =>
      links.map(async (l) => {
        const p = await client.links.peer(l.index, req);
        if (p === undefined) return;
        const peer: GraphPeer = { index: p.index };
        if (p.netns !== undefined) peer.netns = p.netns;
        else if (self !== undefined && nsid === self) peer.netns = CURRENT_NETNS;
        if (p.name !== undefined) peer.name = p.name;
        s.outside.set(l.index, peer);
      }),
    );
    await Promise.all(jobs);
  };
  await Promise.all(snaps.map((s, i) => one(s, opened[i]!.client)));
}

/**
 * Reads each namespace (default: the current one and every /run/netns name) with one client each;
 * `also` reads more through the same client meanwhile (export: the nftables ruleset).
 * @internal export.ts builds its file from these.
 */
export async function readSnapshots(
  namespaces?: readonly string[],
  options: TopologyReadOptions = {},
  also?: (netns: string, client: NetlinkClient) => Promise<void>,
): Promise<NamespaceSnapshot[]> {
  const opened = await openAll(namespaces, options);
  try {
    const read = (o: Opened) => Promise.all([readOne(o, options), also?.(o.name, o.client)]).then(([snap]) => snap);
    const snaps = await Promise.all(opened.map(read));
    await resolveNsids(opened, snaps, options);
    await resolveOutside(opened, snaps, options);
    return snaps;
  } finally {
    for (const o of opened) o.client.close();
  }
}

/** The topology of the given namespaces (default: the current one and every /run/netns name). */
export async function topologyGraph(namespaces?: readonly string[], options: TopologyReadOptions = {}): Promise<TopologyGraph> {
  return buildGraph(await readSnapshots(namespaces, options));
}

export { buildGraph, isKernelAddress, isKernelRoute } from './graph-build.js';
export type * from './graph-types.js';
