/**
 * What a plan compares a file with: per namespace, its links, addresses, routes and the sysctls
 * the file declares, as the API lists them (only the fields the plan reads, so tests can write
 * states by hand). readState reads them through one client per namespace.
 */
import type { Address } from '../api/address-fields.js';
import type { NetlinkClient } from '../api/client.js';
import type { Link } from '../api/link-fields.js';
import type { Route } from '../api/route-fields.js';
import { isNotFoundError } from '../errors/index.js';
import { sysctl } from '../netns/sysctl.js';
import { CURRENT_NETNS, type TopologyFile } from './types.js';

export type CurrentLink = Pick<Link, 'index' | 'name' | 'up'> &
  Partial<Pick<Link, 'kind' | 'mtu' | 'master' | 'address' | 'txqlen' | 'alias' | 'group' | 'link' | 'linkNetnsid' | 'data'>>;
export type CurrentAddress = Pick<Address, 'index' | 'cidr' | 'family' | 'scope'> &
  Partial<Pick<Address, 'proto' | 'label' | 'peer' | 'broadcast' | 'metric' | 'permanent'>>;
export type CurrentRoute = Pick<Route, 'family' | 'dst' | 'table' | 'protocol' | 'scope' | 'type' | 'tos'> &
  Partial<Pick<Route, 'gateway' | 'dev' | 'prefsrc' | 'src' | 'metric' | 'via' | 'nexthops' | 'mtu' | 'flags'>>;

export interface CurrentNamespace {
  /** False for a namespace the file names that does not exist yet (it then holds only a loopback that is down). */
  exists: boolean;
  links: CurrentLink[];
  addresses: CurrentAddress[];
  /** Every table's routes. */
  routes: CurrentRoute[];
  /** The declared sysctls' current values (dotted keys); a key missing here could not be read. */
  sysctl: Record<string, string>;
  /**
   * The nftables ruleset as `nl.nftables.list()` returns it ({ nftables: [metainfo, table, chain...] }),
   * read for namespaces whose `nftables` entry declares tables (or, with prune, has an entry); absent: no tables.
   */
  nftables?: unknown;
}

/** By the namespace's name in the file ('.' for the current one), plus host namespaces a veth's peer names. */
export type TopologyState = Map<string, CurrentNamespace>;

/** A namespace that does not exist yet, as it will be right after it is made. */
export function emptyNamespace(): CurrentNamespace {
  return { exists: false, links: [{ index: 1, name: 'lo', up: false, mtu: 65536 }], addresses: [], routes: [], sysctl: {} };
}

/** Namespaces a file touches: its own, then the host namespaces its veths' peers are in. */
export function touchedNamespaces(file: TopologyFile): string[] {
  const out = Object.keys(file.namespaces);
  for (const spec of Object.values(file.namespaces)) {
    for (const l of spec.links ?? []) if (l.peer?.netns !== undefined && !out.includes(l.peer.netns)) out.push(l.peer.netns);
  }
  return out;
}

/** The current values of the sysctls a namespace declares; keys that cannot be read (no such interface yet) are left out. */
async function readSysctls(keys: string[], ns: string, signal?: AbortSignal): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const options = ns === CURRENT_NETNS ? {} : { netns: ns, entry: 'setns' as const, signal };
  // One namespace entry for all keys; if one is missing, read the rest one by one.
  try {
    for (const e of await sysctl(keys, options)) out[e.key] = e.value;
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
    for (const k of keys) {
      try {
        out[k] = (await sysctl([k], options))[0]!.value;
      } catch (e) {
        if (!isNotFoundError(e)) throw e;
      }
    }
  }
  return out;
}

/** One namespace's state through its client; its nftables ruleset too when `nftables` says so. */
export async function readNamespace(
  client: NetlinkClient,
  ns: string,
  sysctlKeys: string[],
  signal?: AbortSignal,
  nftables = false,
): Promise<CurrentNamespace> {
  const o = signal ? { signal } : {};
  const [links, addresses, routes, sysctls, ruleset] = await Promise.all([
    client.links.list({ ...o, lazy: false }),
    client.addresses.list(o),
    client.routes.list({ ...o, table: 'all' }),
    sysctlKeys.length ? readSysctls(sysctlKeys, ns, signal) : {},
    nftables ? client.nftables.list(undefined, o) : undefined,
  ]);
  const state: CurrentNamespace = { exists: true, links, addresses, routes, sysctl: sysctls };
  if (ruleset !== undefined) state.nftables = ruleset;
  return state;
}
