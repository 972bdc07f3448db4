/**
 * StateMirror: an always-current in-memory view of links, addresses and routes per namespace
 * (like libnl's cache manager or pyroute2's NDB), with change notifications.
 *
 * Built the consistent way: subscribe first, then dump, holding events that arrive during the
 * dump and applying them after it (the Monitor's resync does exactly that, and again after every
 * overrun; a dump interrupted by changes, NLM_F_DUMP_INTR, is redone). Each resync replaces the
 * view of the kinds it covers and emits the differences as changes, so listeners never keep
 * stale state either.
 *
 * The kernel removes some state without telling anyone, and the mirror compensates:
 * - a deleted link takes its addresses and routes along (removed here at once);
 * - IPv4 routes over a link that goes down, and routes whose preferred source address or whose
 *   device's last IPv4 address was deleted, are flushed without RTM_DELROUTE; routes over a link
 *   that goes up or down or changes carrier change their flags (linkdown, dead) silently; IPv6
 *   routes lose a deleted `src` and follow an MTU change (route-checks.ts has the whole list). Such
 *   events schedule a narrow route refresh (Monitor.refresh: only the routes through that link, or
 *   only IPv4 routes; the kernel filters the dump), coalesced per namespace (default 50 ms later),
 *   at most a few namespaces at a time (MultiMonitor's dumpConcurrency). A refresh (and a resync)
 *   keeps the objects it already holds when the kernel's are the same, so an unchanged route costs
 *   nothing to hold again.
 * Known limits: IPv4 routes added with `ip route append/prepend` (same destination, table, tos
 * and metric) share one entry until the next resync.
 */
import { EventEmitter } from 'node:events';
import { NLM_F } from '../../protocol/netlink.js';
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import type { NetlinkMessage } from '../codec/message.js';
import { isSlim, slimAddress, slimLink, slimRoute } from './compact.js';
import { type MonitorEvent, type RefreshEvent, type ResyncEvent, type RouteScope, inRouteScope } from './events.js';
import type { ObjectKind } from './groups.js';
import { Monitor, type MonitorOptions } from './monitor.js';
import { MultiMonitor, type MultiMonitorOptions } from './multi.js';
import { type RouteCheck, RouteCheckQueue, linkChangesRoutes, refreshScopes } from './route-checks.js';

export type MirrorKind = 'link' | 'address' | 'route';

export interface MirrorChange {
  op: 'add' | 'update' | 'remove';
  kind: MirrorKind;
  netns?: string;
  key: string;
  /** The object now (for 'remove': the object removed). */
  object: Link | Address | Route;
  /** The object before an 'update'. */
  previous?: Link | Address | Route;
  /** What caused it: a kernel event, a resync diff, a refresh diff (routes re-dumped), or a link removal taking its objects along. */
  cause: 'event' | 'resync' | 'refresh' | 'cascade';
}

export interface MirrorOptions extends Omit<MultiMonitorOptions, 'groups' | 'initialDump' | 'namespaces'> {
  /**
   * Which namespaces: undefined (default) the current one; a name; a list of names; or 'all' for
   * every named namespace, followed as they come and go (add includeCurrent for the current one too).
   */
  netns?: string | readonly string[] | 'all';
  /** Delay before the route refresh that follows a silent kernel flush (default 50 ms). */
  routeCheckDelayMs?: number;
  /**
   * Keep each object's full decoded message in `raw`, and links' counters (default false: `raw`
   * then holds only the message envelope, which halves the mirror's memory; counters in a mirror
   * go stale anyway, as the kernel sends no event when they change).
   */
  keepRaw?: boolean;
}

export interface MirrorEvents {
  change: [MirrorChange];
  /** A namespace's view was replaced from a dump (initial or after an overrun). */
  resync: [{ netns?: string; initial: boolean; kinds: ObjectKind[] }];
  /** A namespace's routes in `scope` were re-dumped after a silent kernel change (not a resync). */
  refresh: [{ netns?: string; kind: 'route'; scope: RouteScope; routes: number }];
  /** Events were lost in a namespace; its view is inconsistent until the resync that follows. */
  overrun: [Extract<MonitorEvent, { type: 'overrun' }>];
  netns: [Extract<MonitorEvent, { type: 'netns' }>];
  error: [Error];
  close: [];
}

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

// ---------------------------------------------------------------------------------------------
// Identity and comparison

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
function routeSlot(key: string): string {
  return key.slice(0, key.lastIndexOf('|'));
}

/**
 * What the kernel changes without a notification, so that no mirror can follow it: not compared.
 * `raw` is a slim object's envelope; link counters are not kept; promiscuity and allmulti are
 * reference counts that a packet socket or a multicast listener changes silently; a qdisc is
 * replaced with qdisc messages, not link ones.
 */
const UNFOLLOWED: Record<MirrorKind, ReadonlySet<string>> = {
  link: new Set(['raw', 'stats', 'promiscuity', 'allmulti', 'qdisc']),
  address: new Set(['raw']),
  route: new Set(['raw']),
};

const FOREVER = 0xffffffff;

/**
 * A field as compared: lifetimes that count down as forever or not, a route's expiry by presence;
 * the rest as it is (nested timers aside: a bridge's and its ports' count down too).
 */
function fieldText(kind: MirrorKind, field: string, v: unknown): string {
  if (kind === 'address') {
    if (field === 'validLifetime' || field === 'preferredLifetime') return v === FOREVER ? 'forever' : 'finite';
    if (field === 'cacheinfo' && typeof v === 'object' && v !== null) {
      const c = v as Record<string, unknown>;
      return valueText({ ...c, valid: c.valid === FOREVER ? 'forever' : 'finite', prefered: c.prefered === FOREVER ? 'forever' : 'finite' });
    }
  }
  if (kind === 'route' && field === 'expires') return 'set';
  return valueText(v);
}

/** Canonical text of a decoded value: object keys sorted, bigints and bytes spelled out. */
function valueText(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? String(v);
  if (v instanceof Uint8Array) return `<${Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex')}>`;
  if (Array.isArray(v)) return `[${v.map(valueText).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined && !k.endsWith('Timer')).sort();
  return `{${keys.map((k) => `${k}:${valueText(o[k])}`).join(',')}}`;
}

/** Every compared field of an object, as text, by name. */
function compared(kind: MirrorKind, o: Link | Address | Route): Map<string, string> {
  const skip = UNFOLLOWED[kind];
  const out = new Map<string, string>();
  const rec = o as unknown as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (v !== undefined && !skip.has(k)) out.set(k, fieldText(kind, k, v));
  }
  return out;
}

/**
 * Everything the mirror holds of an object that a fresh dump must agree on, as one string: every
 * field but `raw` and what the kernel changes without telling (UNFOLLOWED, lifetimes counting down).
 */
export function fingerprint(kind: MirrorKind, o: Link | Address | Route): string {
  return [...compared(kind, o)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, t]) => `${k}=${t}`).join('|');
}

/** The fields in which two objects of a kind differ, one `field: a != b` each. */
function fieldDiffs(kind: MirrorKind, a: Link | Address | Route, b: Link | Address | Route): string[] {
  const fa = compared(kind, a);
  const fb = compared(kind, b);
  const out: string[] = [];
  for (const [k, t] of fa) if (fb.get(k) !== t) out.push(`${k}: ${t} != ${fb.get(k) ?? '(none)'}`);
  for (const [k, t] of fb) if (!fa.has(k)) out.push(`${k}: (none) != ${t}`);
  return out;
}

export interface StateTables {
  links: Iterable<Link>;
  addresses: Iterable<Address>;
  routes: Iterable<Route>;
}

/**
 * Differences between two states (e.g. a mirror and a fresh dump), one line per object; [] when
 * equal. Objects are matched by key and compared on every field fingerprint() covers.
 */
export function diffState(a: StateTables, b: StateTables): string[] {
  const out: string[] = [];
  const cmp = <T extends Link | Address | Route>(kind: MirrorKind, xs: Iterable<T>, ys: Iterable<T>, key: (o: T) => string) => {
    const mx = new Map<string, T>();
    for (const x of xs) mx.set(key(x), x);
    const my = new Map<string, T>();
    for (const y of ys) my.set(key(y), y);
    for (const [k, x] of mx) {
      const y = my.get(k);
      if (y === undefined) out.push(`${kind} ${k}: only in the first`);
      else if (fingerprint(kind, x) !== fingerprint(kind, y)) out.push(`${kind} ${k}: ${fieldDiffs(kind, x, y).join('; ')}`);
    }
    for (const k of my.keys()) if (!mx.has(k)) out.push(`${kind} ${k}: only in the second`);
  };
  cmp('link', a.links, b.links, linkKey);
  cmp('address', a.addresses, b.addresses, addressKey);
  cmp('route', a.routes, b.routes, routeKey);
  return out;
}

/** Links of the ordinary (AF_UNSPEC) kind: a bridge's per-port AF_BRIDGE messages are not links. */
function isLinkMessage(l: Link): boolean {
  const f = (l.raw.header as Record<string, unknown> | undefined)?.family;
  return f === undefined || f === 'unspec' || f === 0;
}

/** The slim copy (compact.ts) of a link, address or route, by the mirror's kind names. */
function slimCopy<T extends Link | Address | Route>(kind: MirrorKind, o: T): T {
  return (kind === 'link' ? slimLink(o as Link) : kind === 'address' ? slimAddress(o as Address) : slimRoute(o as Route)) as T;
}

/**
 * Same content, `raw` aside (a dump's envelope differs from an event's). A refresh or resync keeps
 * the object it holds when the kernel's is the same: the new one then dies young, instead of being
 * promoted to replace an equal one.
 */
function sameObject(a: object, b: object): boolean {
  let n = 0;
  for (const k in a) {
    if (k === 'raw') continue;
    n++;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const k in b) if (k !== 'raw') n--;
  return n === 0;
}

function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(b) || b instanceof Uint8Array) return false;
  let n = 0;
  for (const k in a) {
    n++;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const _k in b) n--;
  return n === 0;
}

function isMirroredRoute(r: Route): boolean {
  return (r.family === 'inet' || r.family === 'inet6') && !r.flags.includes('cloned');
}

// ---------------------------------------------------------------------------------------------

export class StateMirror extends EventEmitter<MirrorEvents> {
  readonly source: MultiMonitor;
  /** Resolves when every namespace present at open time has its initial view. */
  readonly ready: Promise<void>;
  private readonly views = new Map<string | undefined, NamespaceView>();
  /** Route refreshes that follow silent kernel changes (route-checks.ts). */
  private readonly checks: RouteCheckQueue<NamespaceView>;
  /** Listed objects (resync, refresh) are kept as they are, or as slim copies. */
  private readonly keepListed: <T extends Link | Address | Route>(kind: MirrorKind, o: T) => T;
  /** What the mirror holds of an object: a slim copy, or the object itself with keepRaw. */
  private readonly keep: <T extends Link | Address | Route>(kind: MirrorKind, o: T) => T;
  private isClosed = false;

  private constructor(source: MultiMonitor, delay: number, keepRaw: boolean, ready: Promise<void>) {
    super();
    this.source = source;
    this.checks = new RouteCheckQueue(delay, (c) => this.runRouteCheck(c));
    // Object events come slim already (objects: 'slim'), unless a custom openMonitor ignored that.
    this.keep = keepRaw ? (_k, o) => o : (k, o) => (isSlim(o) ? o : slimCopy(k, o));
    this.keepListed = keepRaw ? (_k, o) => o : slimCopy;
    this.ready = ready;
    source.setForward((e) => this.onEvent(e));
    source.once('close', () => this.close());
  }

  /** Opens the monitors, dumps, and resolves once every namespace's initial view is built. */
  static async open(options: MirrorOptions = {}): Promise<StateMirror> {
    const { netns, routeCheckDelayMs, keepRaw, ...rest } = options;
    const multi: MultiMonitorOptions = {
      ...rest,
      groups: ['link', 'address', 'route'],
      initialDump: true,
      // The monitors hand over objects in the form the mirror keeps (no copy per event).
      objects: keepRaw === true ? 'full' : 'slim',
      ...(netns === undefined
        ? { namespaces: [], includeCurrent: true }
        : netns === 'all'
          ? { namespaces: 'all' }
          : { namespaces: typeof netns === 'string' ? [netns] : netns }),
    };
    // Views are created as initial resyncs arrive; wait for one per namespace opened.
    let mirror: StateMirror | undefined;
    let early: MonitorEvent[] | undefined = [];
    // Monitors opened before the mirror listens, with the listener that catches their early events.
    const catching: [Monitor, (e: MonitorEvent) => void][] = [];
    const source = await MultiMonitor.open({
      ...multi,
      openMonitor: async (o: MonitorOptions) => {
        const m = await (multi.openMonitor ?? Monitor.open)(o);
        // Catch events emitted before the mirror is listening (the initial resync can be quick).
        if (early) {
          const on = (e: MonitorEvent) => early?.push(e);
          m.on('event', on);
          catching.push([m, on]);
        }
        return m;
      },
    });
    const caught = early;
    const ready = waitInitial(source, source.namespaces(), caught);
    mirror = new StateMirror(source, routeCheckDelayMs ?? 50, keepRaw === true, ready);
    // From here on the mirror listens itself: stop catching, and let go of what was caught (this
    // closure lives as long as the source, which keeps it to open namespaces that appear later).
    early = undefined;
    for (const [m, on] of catching.splice(0)) m.off('event', on);
    for (const e of caught.splice(0)) mirror.onEvent(e);
    await mirror.ready;
    return mirror;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  namespaces(): (string | undefined)[] {
    return [...this.views.keys()];
  }

  view(netns?: string): NamespaceView | undefined {
    return this.views.get(netns);
  }

  links(netns?: string): Link[] {
    return [...(this.views.get(netns)?.links.values() ?? [])];
  }

  addresses(netns?: string): Address[] {
    return [...(this.views.get(netns)?.addresses.values() ?? [])];
  }

  routes(netns?: string): Route[] {
    return [...(this.views.get(netns)?.routes.values() ?? [])];
  }

  /** Dumps the namespace afresh and returns how the mirror differs from it ([] when equal). */
  async verify(netns?: string): Promise<string[]> {
    const m = this.source.monitor(netns);
    if (!m) throw new Error(`namespace ${netns ?? '(current)'} is not mirrored`);
    const c = await m.client();
    const fresh = {
      links: (await c.links.list()).filter(isLinkMessage),
      addresses: await c.addresses.list(),
      routes: (await c.routes.list({ table: 'all' })).filter(isMirroredRoute),
    };
    const v = this.views.get(netns)!;
    return diffState({ links: v.links.values(), addresses: v.addresses.values(), routes: v.routes.values() }, fresh);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.checks.clear();
    this.source.close();
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------

  private viewOf(netns: string | undefined): NamespaceView {
    let v = this.views.get(netns);
    if (!v) this.views.set(netns, (v = new NamespaceView(netns)));
    return v;
  }

  /** Emits a change, built only when someone listens. */
  private change(
    op: MirrorChange['op'],
    kind: MirrorKind,
    netns: string | undefined,
    key: string,
    object: Link | Address | Route,
    cause: MirrorChange['cause'],
    previous?: Link | Address | Route,
  ): void {
    if (this.listenerCount('change') === 0) return;
    this.emit('change', previous === undefined ? { op, kind, netns, key, object, cause } : { op, kind, netns, key, object, previous, cause });
  }

  private onEvent(e: MonitorEvent): void {
    if (this.isClosed) return;
    switch (e.type) {
      case 'new':
      case 'del': {
        const v = this.views.get(e.netns);
        if (!v?.ready) return; // before the initial view the monitor holds events; none arrive here
        if (e.kind === 'link') this.applyLink(v, e.type, e.object);
        else if (e.kind === 'address') this.applyAddress(v, e.type, e.object);
        else if (e.kind === 'route') this.applyRoute(v, e.type, e.object);
        return;
      }
      case 'resync':
        return this.applyResync(e);
      case 'refresh':
        return this.applyRefresh(e);
      case 'overrun': {
        const v = this.views.get(e.netns);
        if (v) v.consistent = false;
        this.emit('overrun', e);
        return;
      }
      case 'netns':
        if (e.action === 'del') {
          this.views.delete(e.netns);
          this.checks.delete(e.netns);
        }
        this.emit('netns', e);
        return;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', e.error);
        return;
    }
  }

  /**
   * Replaces the objects of `map` that `inScope` accepts (all of them for a resync) with `list`,
   * notifying the differences. An object equal to the one held (raw aside) keeps the one held.
   */
  private replace<T extends Link | Address | Route>(
    v: NamespaceView,
    kind: MirrorKind,
    map: Map<any, T>,
    list: readonly T[],
    mapKey: (o: T) => any,
    key: (o: T) => string,
    cause: 'resync' | 'refresh',
    inScope?: (o: T) => boolean,
  ): void {
    const next = new Map<any, T>();
    for (const o of list) next.set(mapKey(o), o);
    for (const [k, old] of map) {
      const now = next.get(k);
      if (now === undefined) {
        if (inScope && !inScope(old)) continue;
        map.delete(k);
        this.change('remove', kind, v.netns, key(old), old, cause);
      } else if (!sameObject(old, now)) {
        // Only what is kept is copied (a listed object decodes its message to give its envelope).
        const kept = this.keepListed(kind, now);
        map.set(k, kept);
        if (fingerprint(kind, kept) !== fingerprint(kind, old)) this.change('update', kind, v.netns, key(kept), kept, cause, old);
      }
    }
    for (const [k, now] of next) {
      if (map.has(k)) continue;
      const kept = this.keepListed(kind, now);
      map.set(k, kept);
      this.change('add', kind, v.netns, key(kept), kept, cause);
    }
  }

  private applyResync(e: ResyncEvent): void {
    const v = this.viewOf(e.netns);
    if (e.links) this.replace(v, 'link', v.links, e.links.filter(isLinkMessage), (l) => l.index, linkKey, 'resync');
    if (e.addresses) {
      this.replace(v, 'address', v.addresses, e.addresses, addressKey, addressKey, 'resync');
      v.ipv4Count.clear();
      for (const a of v.addresses.values()) if (a.family === 'inet') v.ipv4Count.set(a.index, (v.ipv4Count.get(a.index) ?? 0) + 1);
    }
    if (e.routes) this.replace(v, 'route', v.routes, e.routes.filter(isMirroredRoute), routeKey, routeKey, 'resync');
    if (e.kinds.includes('link') && e.kinds.includes('address') && e.kinds.includes('route')) {
      v.ready = true;
      v.consistent = true;
    }
    this.emit('resync', { ...(e.netns !== undefined && { netns: e.netns }), initial: e.initial, kinds: e.kinds });
  }

  private applyRefresh(e: RefreshEvent): void {
    const v = this.views.get(e.netns);
    if (!v?.ready) return; // the initial resync covers it
    const scope = e.scope;
    this.replace(v, 'route', v.routes, e.routes.filter(isMirroredRoute), routeKey, routeKey, 'refresh', (r) => inRouteScope(r, scope));
    if (this.listenerCount('refresh') > 0) this.emit('refresh', { ...(e.netns !== undefined && { netns: e.netns }), kind: 'route', scope, routes: e.routes.length });
  }

  private applyLink(v: NamespaceView, type: 'new' | 'del', full: Link): void {
    if (!isLinkMessage(full)) return;
    const l = this.keep('link', full);
    const prev = v.links.get(l.index);
    if (type === 'new') {
      v.links.set(l.index, l);
      if (prev) this.change('update', 'link', v.netns, linkKey(l), l, 'event', prev);
      else this.change('add', 'link', v.netns, linkKey(l), l, 'event');
      // Down: its IPv4 routes are flushed silently. Up, down, carrier (seen by lowerUp, then by the
      // operstate linkwatch sets when it flags the routes): route flags change silently.
      if (prev && linkChangesRoutes(prev, l)) this.scheduleRouteCheck(v).devs.add(l.index);
      // IPv6 routes with an mtu metric follow the device's MTU silently.
      if (prev && prev.mtu !== l.mtu) this.scheduleRouteCheck(v).mtu.add(l.index);
      return;
    }
    if (!prev) return;
    v.links.delete(l.index);
    v.ipv4Count.delete(l.index);
    this.change('remove', 'link', v.netns, linkKey(prev), prev, 'event');
    for (const [k, a] of v.addresses) {
      if (a.index !== l.index) continue;
      v.addresses.delete(k);
      this.change('remove', 'address', v.netns, k, a, 'cascade');
    }
    for (const [k, r] of v.routes) {
      const devs = r.nexthops?.length ? r.nexthops.map((h) => h.dev) : [r.dev];
      if (!devs.every((d) => d === l.index)) continue;
      v.routes.delete(k);
      this.change('remove', 'route', v.netns, k, r, 'cascade');
    }
    // Multipath routes that kept a hop, routes of other tables... the link is gone, so the kernel
    // cannot filter by it: every route.
    this.scheduleRouteCheck(v).all = true;
  }

  private applyAddress(v: NamespaceView, type: 'new' | 'del', full: Address): void {
    const a = this.keep('address', full);
    const key = addressKey(a);
    const prev = v.addresses.get(key);
    const inet = a.family === 'inet';
    if (type === 'new') {
      v.addresses.set(key, a);
      if (prev) return this.change('update', 'address', v.netns, key, a, 'event', prev);
      this.change('add', 'address', v.netns, key, a, 'event');
      if (!inet) return;
      const n = v.ipv4Count.get(a.index) ?? 0;
      v.ipv4Count.set(a.index, n + 1);
      // Its first: multipath hops through the device that died with its last one revive silently.
      if (n === 0) this.scheduleRouteCheck(v).added4.add(a.index);
      return;
    }
    if (prev) {
      v.addresses.delete(key);
      if (inet) countDown(v.ipv4Count, a.index);
      this.change('remove', 'address', v.netns, key, prev, 'event');
    }
    if (inet) {
      // Decided now, by the addresses held now: one added before the check runs does not bring back
      // the routes the kernel flushed with the last one.
      const c = this.scheduleRouteCheck(v);
      c.gone4.push(a.address);
      if (!v.ipv4Count.has(a.index)) c.emptied.add(a.index);
    } else if (a.family === 'inet6') {
      this.scheduleRouteCheck(v).gone6.push(a.address);
    }
  }

  private applyRoute(v: NamespaceView, type: 'new' | 'del', full: Route): void {
    if (!isMirroredRoute(full)) return;
    const r = this.keep('route', full);
    const key = routeKey(r);
    const prev = v.routes.get(key);
    if (type === 'new') {
      // `ip route replace` / `change`: one notification for the new route; the one it replaced (through
      // another device, maybe) goes without a word.
      if (r.raw.flags & NLM_F.REPLACE) {
        const slot = routeSlot(key);
        const others: string[] = [];
        for (const k of v.routes.keys()) if (k !== key && routeSlot(k) === slot) others.push(k);
        if (others.length === 1) {
          const o = v.routes.get(others[0]!)!;
          v.routes.delete(others[0]!);
          this.change('remove', 'route', v.netns, others[0]!, o, 'event');
        } else if (others.length > 1 && (r.family === 'inet' || r.family === 'inet6')) {
          // Which of the appended routes it replaced, the notification does not say.
          this.scheduleRouteCheck(v).families.add(r.family);
        }
      }
      v.routes.set(key, r);
      if (prev) this.change('update', 'route', v.netns, key, r, 'event', prev);
      else this.change('add', 'route', v.netns, key, r, 'event');
    } else if (prev) {
      v.routes.delete(key);
      this.change('remove', 'route', v.netns, key, prev, 'event');
    }
  }

  private scheduleRouteCheck(v: NamespaceView): RouteCheck<NamespaceView> {
    return this.checks.schedule(v);
  }

  /** Refreshes the routes the kernel may have changed without telling. */
  private runRouteCheck(c: RouteCheck<NamespaceView>): void {
    const v = c.view;
    if (this.isClosed || this.views.get(v.netns) !== v) return;
    for (const scope of refreshScopes(v.routes.values(), c)) this.source.scheduleRefresh(v.netns, scope);
  }
}

function countDown(counts: Map<number, number>, index: number): void {
  const n = (counts.get(index) ?? 0) - 1;
  if (n > 0) counts.set(index, n);
  else counts.delete(index);
}

/** Resolves once each of `names` had its first complete resync (or went away); `seen` holds events already emitted. */
function waitInitial(source: MultiMonitor, names: (string | undefined)[], seen: MonitorEvent[]): Promise<void> {
  const pending = new Set(names);
  const full = (e: MonitorEvent) => e.type === 'resync' && ['link', 'address', 'route'].every((k) => e.kinds.includes(k as ObjectKind));
  const take = (e: MonitorEvent) => {
    if (full(e) || (e.type === 'netns' && e.action === 'del')) pending.delete(e.netns);
  };
  seen.forEach(take);
  if (pending.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (e: MonitorEvent) => {
      take(e);
      if (pending.size === 0) done();
    };
    const done = () => {
      source.off('event', on);
      source.off('close', done);
      resolve();
    };
    source.on('event', on);
    source.once('close', done);
  });
}
