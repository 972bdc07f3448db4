/**
 * Multicast groups (RTNLGRP_*) by friendly name, from the specs' mcastGroups, and what a resync
 * has to dump for each.
 */
import { rtnetlinkSpecs } from '../../protocol/rtnetlink.js';
import { InvalidArgumentError } from '../api/errors.js';

/** Kinds of objects events carry. */
export type ObjectKind = 'link' | 'address' | 'route' | 'neighbour' | 'rule' | 'nsid';
export const OBJECT_KINDS: readonly ObjectKind[] = ['link', 'address', 'route', 'neighbour', 'rule', 'nsid'];

/** What events and resyncs carry: the rtnetlink kinds, and 'nftables' (the ruleset, on a NETLINK_NETFILTER socket). */
export type EventKind = ObjectKind | 'nftables';

/** The group of nftables changes (NFNLGRP_NFTABLES on its own NETLINK_NETFILTER socket): not an RTNLGRP, and not in 'all'. */
export const NFTABLES_GROUP = 'nftables';

/**
 * What a monitor can subscribe to. 'address', 'route' and 'rule' mean both IPv4 and IPv6;
 * 'all' is every group below. Spec group names (ipv4Ifaddr...) are accepted too.
 */
export type MonitorGroup =
  | 'all'
  | 'link'
  | 'address'
  | 'ipv4-address'
  | 'ipv6-address'
  | 'route'
  | 'ipv4-route'
  | 'ipv6-route'
  | 'neighbour'
  | 'neigh'
  | 'rule'
  | 'ipv4-rule'
  | 'ipv6-rule'
  | 'nsid'
  | 'nftables';

/** RTNLGRP_* numbers by spec name (link, ipv4Ifaddr, ipv6Ifaddr, ipv4Route, ...). */
export const RTNLGRP: Readonly<Record<string, number>> = Object.fromEntries(
  rtnetlinkSpecs.flatMap((s) => (s.mcastGroups ?? []).map((g) => [g.name, g.value] as const)),
);

const g = (name: string): number => {
  const v = RTNLGRP[name];
  if (v === undefined) throw new Error(`no multicast group "${name}" in the specs`);
  return v;
};

const ALIASES: Readonly<Record<string, readonly string[]>> = {
  all: ['link', 'ipv4Ifaddr', 'ipv6Ifaddr', 'ipv4Route', 'ipv6Route', 'neigh', 'ipv4Rule', 'ipv6Rule', 'nsid'],
  link: ['link'],
  address: ['ipv4Ifaddr', 'ipv6Ifaddr'],
  'ipv4-address': ['ipv4Ifaddr'],
  'ipv6-address': ['ipv6Ifaddr'],
  route: ['ipv4Route', 'ipv6Route'],
  'ipv4-route': ['ipv4Route'],
  'ipv6-route': ['ipv6Route'],
  neighbour: ['neigh'],
  neigh: ['neigh'],
  rule: ['ipv4Rule', 'ipv6Rule'],
  'ipv4-rule': ['ipv4Rule'],
  'ipv6-rule': ['ipv6Rule'],
  nsid: ['nsid'],
};

/** RTNLGRP numbers for friendly names (or spec names, or numbers), deduplicated, in order; 'nftables' is left out (its own socket). */
export function resolveGroups(groups: readonly (MonitorGroup | string | number)[]): number[] {
  if (!Array.isArray(groups)) throw new InvalidArgumentError('groups', groups, 'must be a group name or a list of them, like ["link", "address"]');
  const out = new Set<number>();
  for (const x of groups as unknown[]) {
    if (typeof x === 'number') {
      if (!Number.isInteger(x) || x < 1 || x > 0xffff) {
        throw new InvalidArgumentError('group', x, 'must be a group name or an RTNLGRP number from 1 to 65535');
      }
      out.add(x);
      continue;
    }
    const name = typeof x === 'string' ? x : '';
    if (name === NFTABLES_GROUP) continue; // its own socket (wantsNftables)
    const names = Object.hasOwn(ALIASES, name) ? ALIASES[name] : Object.hasOwn(RTNLGRP, name) ? [name] : undefined;
    if (!names) throw new InvalidArgumentError('group', x, `unknown monitor group (use ${[...Object.keys(ALIASES), NFTABLES_GROUP].join(', ')})`);
    for (const n of names) out.add(g(n));
  }
  return [...out];
}

/** Does the group list ask for nftables changes? */
export function wantsNftables(groups: readonly unknown[] | unknown): boolean {
  return groups === NFTABLES_GROUP || (Array.isArray(groups) && groups.includes(NFTABLES_GROUP));
}

/** What a resync dumps for a set of groups: the kinds, and the address/route/rule families. */
export interface DumpPlan {
  kinds: Set<ObjectKind>;
  addressFamilies: ('inet' | 'inet6')[];
  routeFamilies: ('inet' | 'inet6')[];
  ruleFamilies: ('inet' | 'inet6')[];
}

export function dumpPlan(groups: readonly number[]): DumpPlan {
  const has = (name: string) => groups.includes(g(name));
  const fam = (v4: string, v6: string) => [...(has(v4) ? (['inet'] as const) : []), ...(has(v6) ? (['inet6'] as const) : [])];
  const plan: DumpPlan = {
    kinds: new Set(),
    addressFamilies: fam('ipv4Ifaddr', 'ipv6Ifaddr'),
    routeFamilies: fam('ipv4Route', 'ipv6Route'),
    ruleFamilies: fam('ipv4Rule', 'ipv6Rule'),
  };
  if (has('link')) plan.kinds.add('link');
  if (plan.addressFamilies.length) plan.kinds.add('address');
  if (plan.routeFamilies.length) plan.kinds.add('route');
  if (has('neigh')) plan.kinds.add('neighbour');
  if (plan.ruleFamilies.length) plan.kinds.add('rule');
  if (has('nsid')) plan.kinds.add('nsid');
  return plan;
}
