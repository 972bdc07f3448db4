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
 * - IPv4 routes over a link that goes down, loses its carrier or its last IPv4 address, and routes
 *   whose preferred source address was deleted, are flushed without RTM_DELROUTE: such events
 *   schedule a route-only resync of that namespace (coalesced, default 50 ms later).
 * Known limits: IPv4 routes added with `ip route append/prepend` (same destination, table, tos
 * and metric) share one entry until the next resync.
 */
import { EventEmitter } from 'node:events';
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { MonitorEvent, ResyncEvent } from './events.js';
import type { ObjectKind } from './groups.js';
import { Monitor, type MonitorOptions } from './monitor.js';
import { MultiMonitor, type MultiMonitorOptions } from './multi.js';

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
  /** What caused it: a kernel event, a resync diff, or a link removal taking its objects along. */
  cause: 'event' | 'resync' | 'cascade';
}

export interface MirrorOptions extends Omit<MultiMonitorOptions, 'groups' | 'initialDump' | 'namespaces'> {
  /**
   * Which namespaces: undefined (default) the current one; a name; a list of names; or 'all' for
   * every named namespace, followed as they come and go (add includeCurrent for the current one too).
   */
  netns?: string | readonly string[] | 'all';
  /** Delay before the route resync that follows a silent kernel flush (default 50 ms). */
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

/** The kernel's identity of an address: family, interface, local address, prefix and peer. */
export function addressKey(a: Address): string {
  return `${a.family}|${a.index}|${a.address}/${a.prefixlen}|${a.peer ?? ''}`;
}

/** The kernel's identity of a route: family, table, type, destination, source, tos and metric. */
export function routeKey(r: Route): string {
  return `${r.family}|${r.table}|${r.type}|${r.dst}|${r.src ?? ''}|${r.tos}|${r.metric ?? 0}`;
}

/** The fields a view compares: what a fresh dump must agree on. */
export function fingerprint(kind: MirrorKind, o: Link | Address | Route): string {
  if (kind === 'link') {
    const l = o as Link;
    return [l.name, l.flags.filter((f) => f !== 'running' && f !== 'lower_up').join(','), l.up, l.mtu, l.master ?? '', l.address ?? '', l.kind ?? '', l.group ?? ''].join('|');
  }
  if (kind === 'address') {
    const a = o as Address;
    return [a.scope, a.flags.filter((f) => f !== 'tentative' && f !== 'dadfailed').join(','), a.label ?? '', a.broadcast ?? '', a.metric ?? ''].join('|');
  }
  const r = o as Route;
  const hops = (r.nexthops ?? []).map((h) => `${h.dev}/${h.gateway ?? ''}/${h.weight}`).join(';');
  return [r.dev ?? '', r.gateway ?? '', r.protocol, r.scope, r.prefsrc ?? '', hops, r.nhid ?? ''].join('|');
}

export interface StateTables {
  links: Iterable<Link>;
  addresses: Iterable<Address>;
  routes: Iterable<Route>;
}

/** Differences between two states (e.g. a mirror and a fresh dump), one line each; [] when equal. */
export function diffState(a: StateTables, b: StateTables): string[] {
  const out: string[] = [];
  const cmp = <T extends Link | Address | Route>(kind: MirrorKind, xs: Iterable<T>, ys: Iterable<T>, key: (o: T) => string) => {
    const mx = new Map<string, string>();
    for (const x of xs) mx.set(key(x), fingerprint(kind, x));
    const my = new Map<string, string>();
    for (const y of ys) my.set(key(y), fingerprint(kind, y));
    for (const [k, f] of mx) {
      const g = my.get(k);
      if (g === undefined) out.push(`${kind} ${k}: only in the first`);
      else if (g !== f) out.push(`${kind} ${k}: ${f} != ${g}`);
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

/** What a slim object's `raw` holds: the envelope of the message it came from. */
function envelope(m: NetlinkMessage): NetlinkMessage {
  const e: NetlinkMessage = { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid };
  if (m.kind !== undefined) e.kind = m.kind;
  if (m.family !== undefined) e.family = m.family;
  return e;
}

function slim<T extends Link | Address | Route>(o: T): T {
  if ('stats' in o) {
    const { stats: _stats, raw, ...rest } = o as Link;
    return { ...rest, raw: envelope(raw) } as T;
  }
  return { ...o, raw: envelope(o.raw) };
}

function isMirroredRoute(r: Route): boolean {
  return (r.family === 'inet' || r.family === 'inet6') && !r.flags.includes('cloned');
}

// ---------------------------------------------------------------------------------------------

interface RouteCheck {
  timer: NodeJS.Timeout | undefined;
  force: boolean;
  /** IPv4 addresses deleted since the last check: [index, address]. */
  deleted: [number, string][];
}

export class StateMirror extends EventEmitter<MirrorEvents> {
  readonly source: MultiMonitor;
  /** Resolves when every namespace present at open time has its initial view. */
  readonly ready: Promise<void>;
  private readonly views = new Map<string | undefined, NamespaceView>();
  private readonly checks = new Map<string | undefined, RouteCheck>();
  private readonly delay: number;
  private readonly keep: <T extends Link | Address | Route>(o: T) => T;
  private isClosed = false;

  private constructor(source: MultiMonitor, delay: number, keepRaw: boolean, ready: Promise<void>) {
    super();
    this.source = source;
    this.delay = delay;
    this.keep = keepRaw ? (o) => o : slim;
    this.ready = ready;
    source.on('event', (e) => this.onEvent(e));
    source.once('close', () => this.close());
  }

  /** Opens the monitors, dumps, and resolves once every namespace's initial view is built. */
  static async open(options: MirrorOptions = {}): Promise<StateMirror> {
    const { netns, routeCheckDelayMs, keepRaw, ...rest } = options;
    const multi: MultiMonitorOptions = {
      ...rest,
      groups: ['link', 'address', 'route'],
      initialDump: true,
      ...(netns === undefined
        ? { namespaces: [], includeCurrent: true }
        : netns === 'all'
          ? { namespaces: 'all' }
          : { namespaces: typeof netns === 'string' ? [netns] : netns }),
    };
    // Views are created as initial resyncs arrive; wait for one per namespace opened.
    let mirror: StateMirror | undefined;
    const early: MonitorEvent[] = [];
    const source = await MultiMonitor.open({
      ...multi,
      openMonitor: async (o: MonitorOptions) => {
        const m = await (multi.openMonitor ?? Monitor.open)(o);
        // Catch events emitted before the mirror is listening (the initial resync can be quick).
        if (!mirror) m.on('event', (e) => (mirror ? undefined : early.push(e)));
        return m;
      },
    });
    const ready = waitInitial(source, source.namespaces(), early);
    mirror = new StateMirror(source, routeCheckDelayMs ?? 50, keepRaw === true, ready);
    for (const e of early) mirror.onEvent(e);
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
    for (const c of this.checks.values()) if (c.timer) clearTimeout(c.timer);
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

  private change(c: MirrorChange): void {
    if (this.listenerCount('change') > 0) this.emit('change', c);
  }

  private onEvent(e: MonitorEvent): void {
    if (this.isClosed) return;
    switch (e.type) {
      case 'resync':
        return this.applyResync(e);
      case 'overrun': {
        const v = this.views.get(e.netns);
        if (v) v.consistent = false;
        this.emit('overrun', e);
        return;
      }
      case 'netns':
        if (e.action === 'del') {
          this.views.delete(e.netns);
          const c = this.checks.get(e.netns);
          if (c?.timer) clearTimeout(c.timer);
          this.checks.delete(e.netns);
        }
        this.emit('netns', e);
        return;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', e.error);
        return;
      case 'new':
      case 'del': {
        const v = this.views.get(e.netns);
        if (!v?.ready) return; // before the initial view the monitor holds events; none arrive here
        if (e.kind === 'link') this.applyLink(v, e.type, e.object);
        else if (e.kind === 'address') this.applyAddress(v, e.type, e.object);
        else if (e.kind === 'route') this.applyRoute(v, e.type, e.object);
        return;
      }
    }
  }

  private applyResync(e: ResyncEvent): void {
    const v = this.viewOf(e.netns);
    const replace = <T extends Link | Address | Route>(kind: MirrorKind, map: Map<any, T>, list: T[], key: (o: T) => string, mapKey: (o: T) => any) => {
      const next = new Map<any, T>();
      for (const o of list) next.set(mapKey(o), this.keep(o));
      for (const [k, old] of map) {
        const now = next.get(k);
        if (now === undefined) this.change({ op: 'remove', kind, netns: e.netns, key: key(old), object: old, cause: 'resync' });
        else if (fingerprint(kind, now) !== fingerprint(kind, old)) this.change({ op: 'update', kind, netns: e.netns, key: key(now), object: now, previous: old, cause: 'resync' });
      }
      for (const [k, now] of next) if (!map.has(k)) this.change({ op: 'add', kind, netns: e.netns, key: key(now), object: now, cause: 'resync' });
      map.clear();
      for (const [k, o] of next) map.set(k, o);
    };
    if (e.links) replace('link', v.links, e.links.filter(isLinkMessage), linkKey, (l) => l.index);
    if (e.addresses) replace('address', v.addresses, e.addresses, addressKey, addressKey);
    if (e.routes) replace('route', v.routes, e.routes.filter(isMirroredRoute), routeKey, routeKey);
    if (e.kinds.includes('link') && e.kinds.includes('address') && e.kinds.includes('route')) {
      v.ready = true;
      v.consistent = true;
    }
    this.emit('resync', { ...(e.netns !== undefined && { netns: e.netns }), initial: e.initial, kinds: e.kinds });
  }

  private applyLink(v: NamespaceView, type: 'new' | 'del', full: Link): void {
    if (!isLinkMessage(full)) return;
    const l = this.keep(full);
    const prev = v.links.get(l.index);
    const key = linkKey(l);
    if (type === 'new') {
      v.links.set(l.index, l);
      this.change(prev ? { op: 'update', kind: 'link', netns: v.netns, key, object: l, previous: prev, cause: 'event' } : { op: 'add', kind: 'link', netns: v.netns, key, object: l, cause: 'event' });
      // Down or carrier lost: IPv4 routes over it are flushed (or marked linkdown) silently.
      if (prev && (prev.up !== l.up || prev.lowerUp !== l.lowerUp)) this.scheduleRouteCheck(v, true);
      return;
    }
    if (!prev) return;
    v.links.delete(l.index);
    this.change({ op: 'remove', kind: 'link', netns: v.netns, key, object: prev, cause: 'event' });
    for (const [k, a] of v.addresses) {
      if (a.index !== l.index) continue;
      v.addresses.delete(k);
      this.change({ op: 'remove', kind: 'address', netns: v.netns, key: k, object: a, cause: 'cascade' });
    }
    for (const [k, r] of v.routes) {
      const devs = r.nexthops?.length ? r.nexthops.map((h) => h.dev) : [r.dev];
      if (!devs.every((d) => d === l.index)) continue;
      v.routes.delete(k);
      this.change({ op: 'remove', kind: 'route', netns: v.netns, key: k, object: r, cause: 'cascade' });
    }
    this.scheduleRouteCheck(v, true);
  }

  private applyAddress(v: NamespaceView, type: 'new' | 'del', full: Address): void {
    const a = this.keep(full);
    const key = addressKey(a);
    const prev = v.addresses.get(key);
    if (type === 'new') {
      v.addresses.set(key, a);
      this.change(prev ? { op: 'update', kind: 'address', netns: v.netns, key, object: a, previous: prev, cause: 'event' } : { op: 'add', kind: 'address', netns: v.netns, key, object: a, cause: 'event' });
      return;
    }
    if (prev) {
      v.addresses.delete(key);
      this.change({ op: 'remove', kind: 'address', netns: v.netns, key, object: prev, cause: 'event' });
    }
    if (a.family === 'inet') {
      const c = this.scheduleRouteCheck(v, false);
      c.deleted.push([a.index, a.address]);
    }
  }

  private applyRoute(v: NamespaceView, type: 'new' | 'del', full: Route): void {
    if (!isMirroredRoute(full)) return;
    const r = this.keep(full);
    const key = routeKey(r);
    const prev = v.routes.get(key);
    if (type === 'new') {
      v.routes.set(key, r);
      this.change(prev ? { op: 'update', kind: 'route', netns: v.netns, key, object: r, previous: prev, cause: 'event' } : { op: 'add', kind: 'route', netns: v.netns, key, object: r, cause: 'event' });
    } else if (prev) {
      v.routes.delete(key);
      this.change({ op: 'remove', kind: 'route', netns: v.netns, key, object: prev, cause: 'event' });
    }
  }

  private scheduleRouteCheck(v: NamespaceView, force: boolean): RouteCheck {
    let c = this.checks.get(v.netns);
    if (!c) this.checks.set(v.netns, (c = { timer: undefined, force: false, deleted: [] }));
    c.force ||= force;
    if (!c.timer) {
      const check = c;
      c.timer = setTimeout(() => this.runRouteCheck(v, check), this.delay);
      c.timer.unref();
    }
    return c;
  }

  /** Resyncs routes if the kernel may have flushed some without telling. */
  private runRouteCheck(v: NamespaceView, c: RouteCheck): void {
    c.timer = undefined;
    const force = c.force;
    const deleted = c.deleted;
    c.force = false;
    c.deleted = [];
    if (this.isClosed || this.views.get(v.netns) !== v) return;
    let needed = force;
    if (!needed && deleted.length > 0) {
      const gone = new Set(deleted.map(([, addr]) => addr));
      const emptied = new Set<number>();
      for (const [index] of deleted) {
        let any = false;
        for (const a of v.addresses.values()) if (a.index === index && a.family === 'inet') any = true;
        if (!any) emptied.add(index);
      }
      for (const r of v.routes.values()) {
        if (r.family !== 'inet') continue;
        if ((r.prefsrc !== undefined && gone.has(r.prefsrc)) || (r.dev !== undefined && emptied.has(r.dev))) {
          needed = true;
          break;
        }
      }
    }
    if (needed) void this.source.resync(v.netns, ['route']);
  }
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
