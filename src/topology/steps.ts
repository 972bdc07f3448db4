/**
 * Running a plan's steps: each runner makes its change through the API of the namespace's client
 * and returns how to undo it, so that a failure part-way can put everything back in reverse order.
 */
import { NetlinkClient } from '../api/client.js';
import type { AddressAddOptions } from '../api/address-types.js';
import type { LinkAddOptions, VethPeer } from '../api/link-types.js';
import type { RouteInput, RouteType } from '../api/route-types.js';
import { isNotFoundError } from '../errors/index.js';
import { addNetns, deleteNetns } from '../netns/manage.js';
import { sysctl } from '../netns/sysctl.js';
import type { NetnsTarget } from '../netns/target.js';
import { NftTransactionError, isNftTransactionError } from '../nft/errors.js';
import { rulesetCommands } from './export-nftables.js';
import type { Action, LinkChanges, Step } from './plan.js';
import { sysctlText } from './plan.js';
import type { CurrentAddress, CurrentRoute } from './state.js';
import { CURRENT_NETNS, type TopologyAddress, type TopologyLink } from './types.js';

export type Undo = () => Promise<void>;

/** One client per namespace, opened on first use (in-process setns: ~0.1 ms) and closed together. */
export class Clients {
  private readonly open = new Map<string, NetlinkClient>();

  get(ns: string): NetlinkClient {
    let c = this.open.get(ns);
    if (!c) {
      c = ns === CURRENT_NETNS ? NetlinkClient.open() : NetlinkClient.open({ netns: ns, netnsEntry: 'setns' });
      this.open.set(ns, c);
    }
    return c;
  }

  /** Closes the namespace's client: a namespace is deleted only when nothing holds it. */
  drop(ns: string): void {
    this.open.get(ns)?.close();
    this.open.delete(ns);
  }

  close(): void {
    for (const c of this.open.values()) c.close();
    this.open.clear();
  }
}

export interface RunContext {
  clients: Clients;
  signal?: AbortSignal;
}

/** A namespace as links.add's peer takes it: undefined for the link's own, { pid } for the current one. */
function peerTarget(own: string, peer: string): NetnsTarget | undefined {
  if (peer === own) return undefined;
  return peer === CURRENT_NETNS ? { pid: process.pid } : peer;
}

/** Ignores "it is already gone" (a veth deleted with its pair, a route deleted with its link). */
async function gone(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isNotFoundError(err) && (err as { code?: string }).code !== 'ESRCH' && (err as { code?: string }).code !== 'EADDRNOTAVAIL') throw err;
  }
}

async function linkAdd(ns: string, link: TopologyLink, ctx: RunContext): Promise<Undo> {
  const c = ctx.clients.get(ns);
  const { peer, addresses: _a, ...rest } = link;
  const options = { ...rest, signal: ctx.signal } as LinkAddOptions;
  if (peer) {
    const p: VethPeer = { name: peer.name };
    const target = peerTarget(ns, peer.netns ?? ns);
    if (target !== undefined) p.netns = target;
    if (peer.mtu !== undefined) p.mtu = peer.mtu;
    if (peer.address !== undefined) p.address = peer.address;
    if (peer.txqlen !== undefined) p.txqlen = peer.txqlen;
    options.peer = p;
  }
  await c.links.add(options);
  const undo = () => gone(() => c.links.delete(link.name));
  if (peer && (peer.master !== undefined || peer.up)) {
    try {
      await ctx.clients.get(peer.netns ?? ns).links.set(peer.name, { master: peer.master, up: peer.up, signal: ctx.signal });
    } catch (err) {
      await undo();
      throw err;
    }
  }
  return undo;
}

async function linkSet(ns: string, name: string, set: LinkChanges, old: LinkChanges, ctx: RunContext): Promise<Undo> {
  const c = ctx.clients.get(ns);
  const apply = async (v: LinkChanges) => {
    const { data, ...rest } = v;
    await c.links.set(name, { ...rest, ...(data ? { data: data as never } : {}), signal: ctx.signal });
  };
  await apply(set);
  return () => apply(old);
}

/** A listed route as routes.add / delete take it. */
export function routeInput(r: CurrentRoute): RouteInput {
  const out: RouteInput = { dst: r.dst, family: r.family as RouteInput['family'], table: r.table as RouteInput['table'] };
  out.protocol = r.protocol as RouteInput['protocol'];
  out.type = r.type as RouteType;
  if (r.family !== 'inet6') out.scope = r.scope as RouteInput['scope'];
  if (r.tos) out.tos = r.tos;
  if (r.src !== undefined) out.src = r.src;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.via !== undefined) out.via = { address: r.via.address };
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
  if (r.mtu !== undefined) out.mtu = r.mtu;
  if (r.flags?.includes('onlink')) out.onlink = true;
  if (r.nexthops?.length) {
    out.multipath = r.nexthops.map((h) => ({ dev: h.dev, weight: h.weight, ...(h.gateway !== undefined ? { gateway: h.gateway } : {}) }));
    delete out.dev;
    delete out.gateway;
  }
  return out;
}

/** Adds a declared address (addresses.add's options as the file gives them) or one listed before (its own fields). */
function addressAdd(ns: string, link: string | number, a: CurrentAddress | Exclude<TopologyAddress, string>, ctx: RunContext): Promise<void> {
  let options: AddressAddOptions;
  if ('index' in a) {
    options = { link };
    for (const k of ['label', 'peer', 'broadcast', 'metric'] as const)
      if (a[k] !== undefined) (options as unknown as Record<string, unknown>)[k] = a[k];
    if (a.scope !== undefined) options.scope = a.scope as AddressAddOptions['scope'];
  } else {
    const { cidr: _c, ...rest } = a;
    options = { ...rest, link } as AddressAddOptions;
  }
  return ctx.clients.get(ns).addresses.add(a.cidr, { ...options, signal: ctx.signal });
}

async function linkDelete(ns: string, a: Extract<Action, { do: 'link-delete' }>, ctx: RunContext): Promise<Undo | undefined> {
  const c = ctx.clients.get(ns);
  const l = a.link;
  const peer = l.kind === 'veth' ? await c.links.peer(l.name).catch(() => undefined) : undefined;
  try {
    await c.links.delete(l.name, { signal: ctx.signal });
  } catch (err) {
    if (isNotFoundError(err)) return undefined; // gone with its veth peer, deleted just before
    throw err;
  }
  return async () => {
    const o: LinkAddOptions = { name: l.name, kind: l.kind ?? 'dummy' };
    if (l.mtu !== undefined) o.mtu = l.mtu;
    if (l.address !== undefined && l.kind !== 'veth') o.address = l.address;
    if (peer?.name !== undefined) o.peer = { name: peer.name, ...(peer.netnsid !== undefined && peer.netns ? { netns: peer.netns } : {}) };
    if (a.master !== undefined) o.master = a.master;
    o.up = l.up;
    await c.links.add(o);
    for (const addr of a.addresses) await addressAdd(ns, l.name, addr, ctx).catch(ignoreExists);
    for (const r of a.routes) await c.routes.add({ ...routeInput(r), dev: l.name }).catch(ignoreExists);
  };
}

function ignoreExists(err: unknown): void {
  if ((err as { code?: string }).code !== 'EEXIST') throw err;
}

async function sysctlSet(ns: string, key: string, value: string, ctx: RunContext): Promise<Undo | undefined> {
  const options = ns === CURRENT_NETNS ? {} : { netns: ns, entry: 'setns' as const, signal: ctx.signal };
  const before = (await sysctl([key], options))[0]!.value;
  if (sysctlText(before) === value) return undefined;
  await sysctl([[key, value]], options);
  return async () => void (await sysctl([[key, before]], options));
}

/** A kernel refusal with each refused command numbered by its place in the namespace's `nftables` entry (`at`). */
function entryNumbered(err: unknown, at: (docIndex: number) => number | undefined): unknown {
  if (!isNftTransactionError(err)) return err;
  return new NftTransactionError(err.failures.map((f) => ({ ...f, index: f.index === undefined ? undefined : at(f.index) })));
}

/**
 * A table made as declared, in one transaction (one nl.nftables.apply document): deleted when it
 * exists, then the entry's commands. Undo is the same with the listing from before (`old`, as add
 * commands, counters kept), or the delete alone for a table that was not there.
 */
async function nftablesTable(ns: string, a: Extract<Action, { do: 'nftables-table' }>, ctx: RunContext): Promise<Undo> {
  const nft = ctx.clients.get(ns).nftables;
  const del = { delete: { table: { family: a.family, name: a.table } } };
  const head = a.old ? [del] : [];
  try {
    await nft.apply([...head, ...a.commands] as never, { handles: false, signal: ctx.signal });
  } catch (err) {
    throw entryNumbered(err, (i) => a.at[i - head.length]);
  }
  const back = a.old ? rulesetCommands(a.old, { keepState: true }) : [];
  return async () => void (await nft.apply([del, ...back] as never, { handles: false }));
}

/** An undeclared table deleted (prune); undo adds its listing back, counters kept. */
async function nftablesDelete(ns: string, a: Extract<Action, { do: 'nftables-delete' }>, ctx: RunContext): Promise<Undo> {
  const nft = ctx.clients.get(ns).nftables;
  await nft.deleteTable(a.family as never, a.table, { handles: false, signal: ctx.signal });
  return async () => void (await nft.apply(rulesetCommands(a.old, { keepState: true }) as never, { handles: false }));
}

/** Runs one step; resolves to its undo (undefined when nothing needed doing after all). */
export async function runStep(step: Step, ctx: RunContext): Promise<Undo | undefined> {
  const ns = step.change.netns;
  const a = step.action;
  const c = () => ctx.clients.get(ns);
  const o = { signal: ctx.signal };
  switch (a.do) {
    case 'netns-add':
      await addNetns(ns);
      return async () => {
        ctx.clients.drop(ns);
        deleteNetns(ns);
      };
    case 'link-add':
      return linkAdd(ns, a.link, ctx);
    case 'link-set':
      return linkSet(ns, a.name, a.set, a.old, ctx);
    case 'link-delete':
      return linkDelete(ns, a, ctx);
    case 'address-add':
      await addressAdd(ns, a.link, a.address, ctx);
      return () => gone(() => c().addresses.delete(a.address.cidr, { link: a.link, ...(a.address.peer ? { peer: a.address.peer } : {}) }));
    case 'address-delete':
      await c().addresses.delete(a.address.cidr, { link: a.link, ...(a.address.peer ? { peer: a.address.peer } : {}), ...o });
      return () => addressAdd(ns, a.link, a.address, ctx);
    case 'route-add':
      await c().routes.add(a.route, o);
      return () => gone(() => c().routes.delete(a.route));
    case 'route-replace':
      await c().routes.replace(a.route, o);
      return () => c().routes.replace(routeInput(a.old));
    case 'route-delete':
      await c().routes.delete(routeInput(a.route), o);
      return () => c().routes.add(routeInput(a.route));
    case 'sysctl-set':
      return sysctlSet(ns, a.key, a.value, ctx);
    case 'nftables-table':
      return nftablesTable(ns, a, ctx);
    case 'nftables-delete':
      return nftablesDelete(ns, a, ctx);
  }
}
