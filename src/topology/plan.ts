/**
 * The plan: what a file declares against what exists (state.ts), as changes in dependency order:
 * namespaces, links (a veth pair made once, from its entry's namespace, with the peer's netns
 * given), masters and link state, addresses, routes, sysctls, nftables; then, with prune, the
 * deletions of what the declared namespaces hold and the file does not (routes, addresses, links).
 * Pure: it reads a TopologyState and returns steps; apply.ts runs them. Conflicts it cannot resolve
 * (a link of another kind in the way) are InvalidArgumentErrors naming the entry, before anything changes.
 */
import { topologyFileError } from './errors.js';
import { type DeclaredTable, type TableItems, normaliseTable, splitListing } from './nft-tables.js';
import { type CurrentAddress, type CurrentLink, type CurrentNamespace, type CurrentRoute, type TopologyState, emptyNamespace } from './state.js';
import { CURRENT_NETNS, type Change, type TopologyAddress, type TopologyFile, type TopologyLink, type TopologyRoute } from './types.js';
import { declaredLinks, keyPath, nsPath } from './validate.js';
import { declaredRoute, kernelRoute, routeMatches, routeName, stateKey, tableNumber } from './plan-routes.js';

/** What one step does; apply.ts's runner for each knows how to undo it. */
export type Action =
  | { do: 'netns-add' }
  | { do: 'link-add'; link: TopologyLink }
  | { do: 'link-set'; name: string; set: LinkChanges; old: LinkChanges }
  /** With what goes with the link (to restore it on undo): its master's name, addresses and routes. */
  | { do: 'link-delete'; link: CurrentLink; master?: string; addresses: CurrentAddress[]; routes: CurrentRoute[] }
  | { do: 'address-add'; link: string; address: Exclude<TopologyAddress, string> }
  | { do: 'address-delete'; link: string; address: CurrentAddress }
  | { do: 'route-add'; route: TopologyRoute }
  | { do: 'route-replace'; route: TopologyRoute; old: CurrentRoute }
  | { do: 'route-delete'; route: CurrentRoute }
  | { do: 'sysctl-set'; key: string; value: string }
  /** One transaction: the table deleted when it exists (`old`, its listing, what undo restores) and its commands added. */
  | { do: 'nftables-table'; family: string; table: string; commands: unknown[]; at: number[]; old?: TableItems }
  | { do: 'nftables-delete'; family: string; table: string; old: TableItems };

/** Link settings a link-set changes; master null releases the link. */
export interface LinkChanges {
  master?: string | null;
  up?: boolean;
  mtu?: number;
  address?: string;
  txqlen?: number;
  alias?: string;
  group?: number;
  data?: Record<string, unknown>;
}

export interface Step {
  change: Change;
  action: Action;
}

export interface PlanOptions {
  prune?: boolean;
  /**
   * The tables each namespace's `nftables` entry declares, as the kernel would list them
   * (nft-declared.ts: declareNftables(file)); needed when the file has nftables commands.
   */
  nftables?: ReadonlyMap<string, readonly DeclaredTable[]>;
}

/** A declared end of a link: a link entry, or a veth's peer, in its namespace. */
interface End {
  ns: string;
  name: string;
  path: string;
  master?: string;
  up?: boolean;
  mtu?: number;
  address?: string;
  txqlen?: number;
  alias?: string;
  group?: number;
  data?: Record<string, unknown>;
  addresses?: TopologyAddress[];
  /** The entry creates it (it has a kind, or is a peer). */
  created: boolean;
}

/** The namespace's view: state and names, with the links this plan will create added as it goes. */
class NsView {
  readonly byName = new Map<string, CurrentLink>();
  readonly byIndex = new Map<number, CurrentLink>();
  /** Links this plan creates here. */
  readonly creating = new Set<string>();
  constructor(
    readonly name: string,
    readonly state: CurrentNamespace,
  ) {
    for (const l of state.links) {
      this.byName.set(l.name, l);
      this.byIndex.set(l.index, l);
    }
  }
  has(name: string): boolean {
    return this.byName.has(name) || this.creating.has(name);
  }
}

function ends(file: TopologyFile): End[] {
  const out: End[] = [];
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    spec.links?.forEach((l, i) => {
      const path = `${nsPath(ns)}.links[${i}]`;
      const { name, master, up, mtu, address, txqlen, alias, group, addresses } = l;
      const data = l.data instanceof Uint8Array ? undefined : (l.data as Record<string, unknown> | undefined);
      out.push({ ns, name, path, master, up, mtu, address, txqlen, alias, group, data, addresses, created: l.kind !== undefined });
      if (l.peer) {
        const p = l.peer;
        const at = `${path}.peer`;
        out.push({
          ns: p.netns ?? ns,
          name: p.name,
          path: at,
          master: p.master,
          up: p.up,
          mtu: p.mtu,
          address: p.address,
          txqlen: p.txqlen,
          addresses: p.addresses,
          created: true,
        });
      }
    });
  }
  return out;
}

const nsLabel = (ns: string) => (ns === CURRENT_NETNS ? 'the current namespace' : ns);

function change(op: Change['op'], kind: Change['kind'], netns: string, name: string, path?: string, detail?: Record<string, unknown>): Change {
  const c: Change = { op, kind, netns, name };
  if (kind === 'sysctl') c.key = name;
  if (path !== undefined) c.path = path;
  if (detail !== undefined) c.detail = detail;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Links

/** Link entries to create, masters and lower links first (across namespaces: a peer's master may be elsewhere). */
function linkAdds(file: TopologyFile, views: Map<string, NsView>): { ns: string; link: TopologyLink; path: string }[] {
  const todo: { ns: string; link: TopologyLink; path: string; key: string }[] = [];
  const byKey = new Map<string, (typeof todo)[number]>();
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    spec.links?.forEach((link, i) => {
      if (link.kind === undefined) return;
      const path = `${nsPath(ns)}.links[${i}]`;
      if (!checkExisting(ns, link, path, views)) return;
      const item = { ns, link, path, key: `${ns}\0${link.name}` };
      todo.push(item);
      byKey.set(item.key, item);
      views.get(ns)!.creating.add(link.name);
      if (link.peer) views.get(link.peer.netns ?? ns)!.creating.add(link.peer.name);
    });
  }
  const deps = (t: (typeof todo)[number]) => {
    const out = [t.link.master, t.link.link].filter((n) => n !== undefined).map((n) => `${t.ns}\0${n}`);
    if (t.link.peer?.master) out.push(`${t.link.peer.netns ?? t.ns}\0${t.link.peer.master}`);
    return out.filter((k) => byKey.has(k));
  };
  const sorted: typeof todo = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: (typeof todo)[number]) => {
    const s = state.get(t.key);
    if (s === 'done') return;
    if (s === 'visiting') throw topologyFileError(t.path, t.link.name, 'is part of a loop of masters and lower links');
    state.set(t.key, 'visiting');
    for (const d of deps(t)) visit(byKey.get(d)!);
    state.set(t.key, 'done');
    sorted.push(t);
  };
  for (const t of todo) visit(t);
  return sorted;
}

/** False when the link (and, for a veth, its peer) already exists as declared; an InvalidArgumentError when something else is in the way. */
function checkExisting(ns: string, link: TopologyLink, path: string, views: Map<string, NsView>): boolean {
  const view = views.get(ns)!;
  const cur = view.byName.get(link.name);
  const peer = link.peer;
  const peerView = peer ? views.get(peer.netns ?? ns)! : undefined;
  if (cur) {
    if (cur.kind !== link.kind) {
      throw topologyFileError(
        path,
        link.name,
        `a link ${link.name} of kind ${cur.kind ?? 'none'} exists in ${nsLabel(ns)}; the file declares a ${link.kind}`,
      );
    }
    if (peer && peerView) {
      const other = peerView.byName.get(peer.name);
      const paired = other !== undefined && other.kind === 'veth' && cur.link === other.index && other.link === cur.index;
      const sameNs = (peer.netns ?? ns) === ns;
      if (!paired || (cur.linkNetnsid === undefined) !== sameNs) {
        throw topologyFileError(
          path,
          link.name,
          `a veth ${link.name} exists in ${nsLabel(ns)} but its peer is not ${peer.name} in ${nsLabel(peer.netns ?? ns)}`,
        );
      }
    }
    return false;
  }
  if (peer && peerView?.byName.has(peer.name)) {
    throw topologyFileError(`${path}.peer.name`, peer.name, `a link ${peer.name} already exists in ${nsLabel(peer.netns ?? ns)}`);
  }
  return true;
}

/** A link a reference names must be declared or exist in that namespace. */
function checkRef(view: NsView, name: string | undefined, path: string): void {
  if (name !== undefined && !view.has(name)) {
    throw topologyFileError(path, name, `no link ${name} in ${nsLabel(view.name)} (in the file or on the host)`);
  }
}

function linkAddChange(ns: string, link: TopologyLink, path: string): Step {
  const detail: Record<string, unknown> = { kind: link.kind };
  for (const k of ['master', 'up', 'mtu', 'address', 'link'] as const) if (link[k] !== undefined) detail[k] = link[k];
  if (link.peer) detail.peer = { name: link.peer.name, netns: link.peer.netns ?? ns, ...pick(link.peer, ['master', 'up', 'mtu']) };
  return { change: change('add', 'link', ns, link.name, path, detail), action: { do: 'link-add', link } };
}

function pick<T extends object>(o: T, keys: (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** String forms compare: decoded kind data may be numbers where the file wrote numbers as text, and the reverse. */
function same(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b));
}

/** What differs on a link that exists (or, for links this plan creates, nothing: created as declared). */
function linkSet(end: End, view: NsView): Step | undefined {
  const cur = view.byName.get(end.name);
  if (!cur) return undefined;
  const set: LinkChanges = {};
  const old: LinkChanges = {};
  const curMaster = cur.master ? (view.byIndex.get(cur.master)?.name ?? String(cur.master)) : null;
  if (end.master !== undefined && curMaster !== end.master) [set.master, old.master] = [end.master, curMaster];
  if (end.mtu !== undefined && cur.mtu !== end.mtu) [set.mtu, old.mtu] = [end.mtu, cur.mtu];
  if (end.address !== undefined && cur.address?.toLowerCase() !== end.address) [set.address, old.address] = [end.address, cur.address];
  if (end.txqlen !== undefined && cur.txqlen !== end.txqlen) [set.txqlen, old.txqlen] = [end.txqlen, cur.txqlen];
  if (end.alias !== undefined && (cur.alias ?? '') !== end.alias) [set.alias, old.alias] = [end.alias, cur.alias ?? ''];
  if (end.group !== undefined && (cur.group ?? 0) !== end.group) [set.group, old.group] = [end.group, cur.group ?? 0];
  const curData = cur.data instanceof Uint8Array ? undefined : (cur.data as Record<string, unknown> | undefined);
  for (const [k, v] of Object.entries(end.data ?? {})) {
    // Only what the kernel reports can be compared; nested values are set at creation only.
    if (curData?.[k] === undefined || typeof v === 'object' || same(curData[k], v)) continue;
    (set.data ??= {})[k] = v;
    (old.data ??= {})[k] = curData[k];
  }
  if (end.up !== undefined && cur.up !== end.up) [set.up, old.up] = [end.up, cur.up];
  if (Object.keys(set).length === 0) return undefined;
  const detail = Object.fromEntries(Object.keys(set).map((k) => [k, { from: old[k as keyof LinkChanges], to: set[k as keyof LinkChanges] }]));
  return { change: change('change', 'link', view.name, end.name, end.path, detail), action: { do: 'link-set', name: end.name, set, old } };
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** Made by the kernel, never pruned: loopback's and link-local addresses, SLAAC and other non-permanent ones. */
function kernelAddress(a: CurrentAddress): boolean {
  if (a.proto === 'kernel_lo' || a.proto === 'kernel_ll' || a.proto === 'kernel_ra') return true;
  if (a.family === 'inet6' && /^fe[89ab][0-9a-f]:/i.test(a.cidr)) return true;
  if (a.scope === 'host' || a.permanent === false) return true;
  return false;
}

function addressSteps(end: End, view: NsView): Step[] {
  const cur = view.byName.get(end.name);
  const have = new Set(cur ? view.state.addresses.filter((a) => a.index === cur.index).map((a) => a.cidr) : []);
  const out: Step[] = [];
  (end.addresses ?? []).forEach((a, i) => {
    const address = typeof a === 'string' ? { cidr: a } : a;
    if (have.has(address.cidr)) return;
    const name = `${address.cidr} dev ${end.name}`;
    const c = change('add', 'address', view.name, name, `${end.path}.addresses[${i}]`);
    out.push({ change: c, action: { do: 'address-add', link: end.name, address } });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Routes

function routeSteps(ns: string, routes: TopologyRoute[], view: NsView, claimed: Set<CurrentRoute>): Step[] {
  const byKey = new Map<string, CurrentRoute>();
  for (const r of view.state.routes) if (tableNumber(r.table) !== 255) byKey.set(stateKey(r), r);
  const out: Step[] = [];
  const seen = new Map<string, string>();
  routes.forEach((r, i) => {
    const path = `${nsPath(ns)}.routes[${i}]`;
    checkRef(view, r.dev, `${path}.dev`);
    for (const [j, h] of (r.multipath ?? []).entries()) checkRef(view, typeof h.dev === 'string' ? h.dev : undefined, `${path}.multipath[${j}].dev`);
    const d = declaredRoute(r, path);
    const twice = seen.get(d.key);
    if (twice) throw topologyFileError(path, r.dst, `declares the same route as ${twice} (same destination, table, metric)`);
    seen.set(d.key, path);
    const cur = byKey.get(d.key);
    if (cur) claimed.add(cur);
    if (cur && routeMatches(r, d, cur, (i) => (i === undefined ? undefined : view.byIndex.get(i)?.name))) return;
    const detail = { ...r } as Record<string, unknown>;
    if (cur) out.push({ change: change('change', 'route', ns, d.name, path, detail), action: { do: 'route-replace', route: r, old: cur } });
    else out.push({ change: change('add', 'route', ns, d.name, path, detail), action: { do: 'route-add', route: r } });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sysctls

/** The value as /proc/sys reads it back: booleans as 1/0, runs of blanks as one tab (multi-value keys). */
export function sysctlText(v: string | number | boolean): string {
  return typeof v === 'boolean' ? (v ? '1' : '0') : String(v).trim().split(/\s+/).join('\t');
}

function sysctlSteps(ns: string, declared: Record<string, string | number | boolean>, state: CurrentNamespace): Step[] {
  const out: Step[] = [];
  for (const [key, v] of Object.entries(declared)) {
    const value = sysctlText(v);
    const cur = state.sysctl[key];
    if (cur !== undefined && sysctlText(cur) === value) continue;
    const c = change('change', 'sysctl', ns, key, `${nsPath(ns)}.sysctl${keyPath(key)}`, { from: cur, to: value });
    out.push({ change: c, action: { do: 'sysctl-set', key, value } });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nftables

/** A declared table is in force when its listing, normalised, is the declared one's: else it is made again (one transaction). */
function nftablesSteps(ns: string, declared: readonly DeclaredTable[], state: CurrentNamespace): Step[] {
  const live = splitListing(state.nftables);
  const out: Step[] = [];
  for (const t of declared) {
    const cur = live.get(t.key);
    if (cur && normaliseTable(cur) === normaliseTable(t.listing)) continue;
    const c = change(cur ? 'change' : 'add', 'nftables', ns, t.key, t.path, { commands: t.commands.length });
    const action: Action = { do: 'nftables-table', family: t.family, table: t.name, commands: t.commands, at: t.at };
    if (cur) action.old = cur;
    out.push({ change: c, action });
  }
  return out;
}

/** Tables of a namespace with an `nftables` entry that the entry does not declare. */
function nftablesPrune(ns: string, declared: readonly DeclaredTable[], state: CurrentNamespace): Step[] {
  const keep = new Set(declared.map((t) => t.key));
  const out: Step[] = [];
  for (const [key, items] of splitListing(state.nftables)) {
    if (keep.has(key)) continue;
    const t = items[0]?.table as { family: string; name: string } | undefined;
    if (!t) continue; // objects without their table: not a listing the kernel makes
    out.push({ change: change('delete', 'nftables', ns, key), action: { do: 'nftables-delete', family: t.family, table: t.name, old: items } });
  }
  return out;
}

/** The declared tables of a namespace's entry; a file with commands needs them computed (declareNftables). */
function declaredTables(ns: string, commands: unknown[], options: PlanOptions): readonly DeclaredTable[] {
  const d = options.nftables?.get(ns);
  if (d) return d;
  if (commands.length === 0) return [];
  throw topologyFileError(
    `${nsPath(ns)}.nftables`,
    commands,
    'planning nftables commands needs the declared tables (options.nftables: declareNftables(file))',
  );
}

// ---------------------------------------------------------------------------------------------
// Prune

function pruneSteps(ns: string, view: NsView, declared: Map<string, unknown> | undefined, ends: End[], claimed: Set<CurrentRoute>): Step[] {
  const steps: Step[] = [];
  const gone = new Set<number>();
  const links: Step[] = [];
  for (const l of view.state.links) {
    if (l.name === 'lo' || declared?.has(l.name)) continue;
    gone.add(l.index);
    const action: Action = {
      do: 'link-delete',
      link: l,
      addresses: view.state.addresses.filter((a) => a.index === l.index && !kernelAddress(a)),
      routes: view.state.routes.filter((r) => r.dev === l.index && !kernelRoute(r)),
    };
    if (l.master) action.master = view.byIndex.get(l.master)?.name;
    links.push({ change: change('delete', 'link', ns, l.name, undefined, { kind: l.kind }), action });
  }
  for (const r of view.state.routes) {
    if (claimed.has(r) || kernelRoute(r) || (r.dev !== undefined && gone.has(r.dev))) continue;
    steps.push({ change: change('delete', 'route', ns, routeName(r)), action: { do: 'route-delete', route: r } });
  }
  const wanted = new Set<string>();
  for (const e of ends) {
    if (e.ns !== ns) continue;
    const cur = view.byName.get(e.name);
    for (const a of e.addresses ?? []) if (cur) wanted.add(`${cur.index} ${typeof a === 'string' ? a : a.cidr}`);
  }
  for (const a of view.state.addresses) {
    if (gone.has(a.index) || kernelAddress(a) || wanted.has(`${a.index} ${a.cidr}`)) continue;
    const link = view.byIndex.get(a.index)?.name ?? String(a.index);
    steps.push({ change: change('delete', 'address', ns, `${a.cidr} dev ${link}`), action: { do: 'address-delete', link, address: a } });
  }
  return [...steps, ...links];
}

// ---------------------------------------------------------------------------------------------

/**
 * The steps that make `state` what `file` declares. `state` has an entry for each namespace of
 * touchedNamespaces(file) that exists; a missing one is created (file namespaces) or is an error.
 */
export function planTopology(file: TopologyFile, state: TopologyState, options: PlanOptions = {}): Step[] {
  const views = new Map<string, NsView>();
  const steps: Step[] = [];
  for (const ns of Object.keys(file.namespaces)) {
    const s = state.get(ns);
    if (ns !== CURRENT_NETNS && !s?.exists) steps.push({ change: change('add', 'netns', ns, ns, nsPath(ns)), action: { do: 'netns-add' } });
    views.set(ns, new NsView(ns, s?.exists ? s : emptyNamespace()));
  }
  for (const spec of Object.values(file.namespaces)) {
    for (const l of spec.links ?? []) {
      const p = l.peer?.netns;
      if (p !== undefined && !views.has(p)) {
        const s = state.get(p);
        if (!s?.exists) throw topologyFileError('', p, `namespace ${p} (a veth peer's) does not exist`);
        views.set(p, new NsView(p, s));
      }
    }
  }
  for (const { ns, link, path } of linkAdds(file, views)) steps.push(linkAddChange(ns, link, path));
  const all = ends(file);
  for (const e of all) {
    const view = views.get(e.ns)!;
    if (!e.created && !view.byName.has(e.name)) {
      throw topologyFileError(e.path, e.name, `no link ${e.name} in ${nsLabel(e.ns)} to configure (give a kind to create it)`);
    }
    checkRef(view, e.master, `${e.path}.master`);
  }
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    for (const [i, l] of (spec.links ?? []).entries()) checkRef(views.get(ns)!, l.link, `${nsPath(ns)}.links[${i}].link`);
  }
  for (const e of all) {
    const s = linkSet(e, views.get(e.ns)!);
    if (s) steps.push(s);
  }
  for (const e of all) steps.push(...addressSteps(e, views.get(e.ns)!));
  const claimed = new Set<CurrentRoute>();
  for (const [ns, spec] of Object.entries(file.namespaces)) steps.push(...routeSteps(ns, spec.routes ?? [], views.get(ns)!, claimed));
  for (const [ns, spec] of Object.entries(file.namespaces)) steps.push(...sysctlSteps(ns, spec.sysctl ?? {}, views.get(ns)!.state));
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    if (spec.nftables) steps.push(...nftablesSteps(ns, declaredTables(ns, spec.nftables, options), views.get(ns)!.state));
  }
  if (options.prune) {
    const declared = declaredLinks(file);
    for (const [ns, spec] of Object.entries(file.namespaces)) {
      // The current namespace holds the host's own network (its NICs, addresses, default route, firewall): never pruned.
      if (ns === CURRENT_NETNS || !state.get(ns)?.exists) continue;
      // Tables only where the file has an nftables entry (an empty one too: it declares no tables).
      if (spec.nftables) steps.push(...nftablesPrune(ns, declaredTables(ns, spec.nftables, options), views.get(ns)!.state));
      steps.push(...pruneSteps(ns, views.get(ns)!, declared.get(ns), all, claimed));
    }
  }
  return steps;
}
