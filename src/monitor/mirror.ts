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
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import type { MonitorEvent, RouteScope } from './events.js';
import type { ObjectKind } from './groups.js';
import { type MirrorChange, MirrorUpdater } from './mirror-apply.js';
import { diffState } from './mirror-diff.js';
import { NamespaceView, isLinkMessage, isMirroredRoute } from './mirror-view.js';
import { Monitor, type MonitorOptions } from './monitor.js';
import { MultiMonitor, type MultiMonitorOptions } from './multi.js';
import { type RouteCheck, RouteCheckQueue, refreshScopes } from './route-checks.js';

export { type MirrorKind, NamespaceView, addressKey, linkKey, routeKey } from './mirror-view.js';
export { type StateTables, diffState, fingerprint } from './mirror-diff.js';
export type { MirrorChange } from './mirror-apply.js';

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

/**
 * The rooms: mirror-view.ts (a namespace's tables, object identity), mirror-apply.ts (events,
 * resyncs and refreshes applied, with changes), mirror-diff.ts (comparison, verify), route-checks.ts.
 */
export class StateMirror extends EventEmitter<MirrorEvents> {
  readonly source: MultiMonitor;
  /** Resolves when every namespace present at open time has its initial view. */
  readonly ready: Promise<void>;
  private readonly views = new Map<string | undefined, NamespaceView>();
  /** Route refreshes that follow silent kernel changes (route-checks.ts). */
  private readonly checks: RouteCheckQueue<NamespaceView>;
  private readonly updater: MirrorUpdater;
  private isClosed = false;

  private constructor(source: MultiMonitor, delay: number, keepRaw: boolean, ready: Promise<void>) {
    super();
    this.source = source;
    this.checks = new RouteCheckQueue(delay, (c) => this.runRouteCheck(c));
    this.updater = new MirrorUpdater(this, this.checks, keepRaw);
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
      links: (await c.links.list({ lazy: false })).filter(isLinkMessage),
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

  private onEvent(e: MonitorEvent): void {
    if (this.isClosed) return;
    switch (e.type) {
      case 'new':
      case 'del': {
        const v = this.views.get(e.netns);
        if (!v?.ready) return; // before the initial view the monitor holds events; none arrive here
        if (e.kind === 'link') this.updater.link(v, e.type, e.object);
        else if (e.kind === 'address') this.updater.address(v, e.type, e.object);
        else if (e.kind === 'route') this.updater.route(v, e.type, e.object);
        return;
      }
      case 'resync':
        this.updater.resync(this.viewOf(e.netns), e);
        // Its monitors watch rtnetlink groups only.
        this.emit('resync', { ...(e.netns !== undefined && { netns: e.netns }), initial: e.initial, kinds: e.kinds as ObjectKind[] });
        return;
      case 'refresh': {
        const v = this.views.get(e.netns);
        if (!v?.ready) return; // the initial resync covers it
        this.updater.refresh(v, e);
        if (this.listenerCount('refresh') > 0)
          this.emit('refresh', { ...(e.netns !== undefined && { netns: e.netns }), kind: 'route', scope: e.scope, routes: e.routes.length });
        return;
      }
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

  /** Refreshes the routes the kernel may have changed without telling. */
  private runRouteCheck(c: RouteCheck<NamespaceView>): void {
    const v = c.view;
    if (this.isClosed || this.views.get(v.netns) !== v) return;
    for (const scope of refreshScopes(v.routes.values(), c)) this.source.scheduleRefresh(v.netns, scope);
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
