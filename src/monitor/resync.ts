/**
 * A monitor's resyncs and refreshes: subscribe, then dump, holding events. Object events that
 * arrive while a dump runs are held and emitted after the 'resync' (or 'refresh') event, so a
 * consumer that replaces its state on it and applies what follows is never stale. An overrun
 * during a dump discards it and dumps again; a failed dump is reported ('error') and retried with
 * backoff. Dumps wait for the drain of an overrun (drain-fence.ts) and take turns in a DumpLimiter.
 */
import type { NetlinkClient } from '../api/client.js';
import createDebug from '../deps/debug.js';
import type { MonitorEvent, ObjectEvent, RefreshEvent, ResyncEvent, RouteScope } from './events.js';
import { sameScope } from './fan-out.js';
import { type DumpPlan, type ObjectKind, OBJECT_KINDS } from './groups.js';
import type { DumpLimiter } from './limiter.js';
import { dumpKinds, dumpRoutes } from './snapshot.js';

const log = createDebug('netlink:monitor');

/** What a resync needs of its monitor. */
export interface ResyncHost {
  readonly netns: string | undefined;
  client(): Promise<NetlinkClient>;
  /** Emits a snapshot, a refresh, a held event or an error, to every consumer. */
  emitEvent(e: MonitorEvent): void;
}

export interface ResyncOptions {
  retryDelayMs?: number;
  dumpLimiter?: DumpLimiter;
  /** Events held during one dump before it counts as an overrun (default 100,000). */
  maxQueued?: number;
}

/** The drain a dump must wait for. */
interface Drain {
  readonly draining: boolean;
  wait(): Promise<void>;
}

export class Resync {
  /** Object events are held back: a dump is pending or running. */
  holding = false;
  /** Kinds waiting to be dumped; the loop runs while this or pendingRefresh is non-empty. */
  private pendingKinds = new Set<ObjectKind>();
  /** Route scopes waiting for a narrow re-dump (refresh). */
  private pendingRefresh: RouteScope[] = [];
  private looping = false;
  /** The first resync of every kind is the initial one (initialDump). */
  private pendingInitial = false;
  /** Incremented on every overrun: a dump that started before one is stale. */
  private overrunGen = 0;
  /** Object events held back while a dump runs. */
  private held: ObjectEvent[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly host: ResyncHost,
    private readonly plan: DumpPlan,
    private readonly stats: { resyncs: number; refreshes: number },
    private readonly drain: Drain,
    private readonly options: ResyncOptions,
  ) {}

  /** True while the loop runs (object events are held back until it ends). */
  get running(): boolean {
    return this.looping;
  }

  /** Holds an object event until the dump ends; false when too many are held (an overrun). */
  hold(e: ObjectEvent): boolean {
    this.held.push(e);
    return this.held.length <= (this.options.maxQueued ?? 100_000);
  }

  /** Events were lost: the held ones predate the dump that will now run, which covers them. */
  overrun(): void {
    this.overrunGen++;
    this.held = [];
  }

  /** Dumps `kinds` (those the monitor watches), then emits them as one 'resync' event. */
  request(kinds: Iterable<ObjectKind>, initial = false): void {
    if (this.closed) return;
    if (initial) this.pendingInitial = true;
    for (const k of kinds) if (this.plan.kinds.has(k)) this.pendingKinds.add(k);
    if (this.pendingKinds.size === 0) return;
    this.start();
  }

  /** Re-dumps the routes in `scope` (a route resync pending covers it), then emits a 'refresh' event. */
  refresh(scope: RouteScope): void {
    if (!this.pendingKinds.has('route') && !this.pendingRefresh.some((s) => sameScope(s, scope))) this.pendingRefresh.push(scope);
    this.start();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.held = [];
    this.pendingKinds.clear();
  }

  private start(): void {
    this.holding = true;
    if (!this.looping) {
      this.looping = true;
      void this.loop();
    }
  }

  private wanted(): boolean {
    return this.pendingKinds.size > 0 || this.pendingRefresh.length > 0;
  }

  private async loop(): Promise<void> {
    let delay = this.options.retryDelayMs ?? 100;
    const limiter = this.options.dumpLimiter;
    try {
      while (this.wanted() && !this.closed) {
        if (this.drain.draining) await this.drain.wait();
        if (this.closed) return;
        const round = () => this.round();
        const r = await (limiter ? limiter.run(round) : round());
        if (this.closed) return;
        if (r === 'again') continue;
        if (r instanceof Error) {
          await this.backOff(r, delay);
          delay = Math.min(delay * 2, 5000);
          continue;
        }
        delay = this.options.retryDelayMs ?? 100;
        this.release(r);
      }
    } finally {
      this.looping = false;
      if (!this.wanted() || this.closed) this.holding = false;
    }
  }

  /** A round's events, then the events held during it: they follow the state they apply to. */
  private release(out: MonitorEvent[]): void {
    const held = this.held;
    this.held = [];
    if (!this.wanted()) this.holding = false;
    for (const e of out) this.host.emitEvent(e);
    for (const e of held) this.host.emitEvent(e);
  }

  /** Reports a failed dump and waits `delay` before the next try. */
  private async backOff(err: Error, delay: number): Promise<void> {
    log('monitor %s: resync failed: %s (retry in %d ms)', this.host.netns ?? '(current)', err.message, delay);
    this.host.emitEvent({ type: 'error', netns: this.host.netns, error: err } as MonitorEvent);
    await new Promise<void>((res) => {
      this.retryTimer = setTimeout(res, delay);
      this.retryTimer.unref?.();
    });
    this.retryTimer = undefined;
  }

  /**
   * One round of the loop, in a dump slot: dumps the kinds and route scopes pending now. The
   * events to emit; 'again' when the round must be redone (an overrun came first or during it);
   * an Error when a resync dump failed (retried after a delay).
   */
  private async round(): Promise<MonitorEvent[] | 'again' | Error> {
    // While this waited for its slot, an overrun may have started a drain: wait for it first.
    if (this.closed || this.drain.draining) return 'again';
    const kinds = OBJECT_KINDS.filter((k) => this.pendingKinds.has(k));
    this.pendingKinds.clear();
    // A route resync covers every refresh asked for before it started.
    const scopes = kinds.includes('route') ? [] : this.pendingRefresh;
    this.pendingRefresh = [];
    if (kinds.length === 0 && scopes.length === 0) return [];
    const gen = this.overrunGen;
    const out: MonitorEvent[] = [];
    let snapshot: ResyncEvent | undefined;
    try {
      if (kinds.length > 0) snapshot = await this.snapshot(kinds);
    } catch (err) {
      for (const k of kinds) this.pendingKinds.add(k);
      if (scopes.length > 0) this.pendingRefresh.push(...scopes);
      return err as Error;
    }
    if (snapshot) out.push(snapshot);
    await this.refreshes(scopes, out);
    if (this.closed) return [];
    if (gen !== this.overrunGen) {
      // Events were lost during the dump: it may miss them. Dump again (the overrun asked for a
      // resync of every kind, unless resync is off: then redo what this round did).
      for (const k of kinds) this.pendingKinds.add(k);
      if (!this.pendingKinds.has('route'))
        for (const sc of scopes) if (!this.pendingRefresh.some((x) => sameScope(x, sc))) this.pendingRefresh.push(sc);
      return 'again';
    }
    // A refresh failed: its route resync follows; the refreshes of this round are superseded.
    if (this.pendingKinds.has('route')) return snapshot ? [snapshot] : [];
    if (snapshot) {
      this.stats.resyncs++;
      if (this.pendingInitial && kinds.length === this.plan.kinds.size) {
        snapshot.initial = true;
        this.pendingInitial = false;
      }
    }
    this.stats.refreshes += out.length - (snapshot ? 1 : 0);
    return out;
  }

  private async snapshot(kinds: ObjectKind[]): Promise<ResyncEvent> {
    return dumpKinds(await this.host.client(), this.plan, this.host.netns, kinds);
  }

  /** Dumps each scope into `out`; the first that fails asks for a route resync instead. */
  private async refreshes(scopes: RouteScope[], out: MonitorEvent[]): Promise<void> {
    for (const scope of scopes) {
      let refresh: RefreshEvent;
      try {
        refresh = await dumpRoutes(await this.host.client(), this.plan, this.host.netns, scope);
      } catch (err) {
        // Most likely the interface went away (ENODEV): what it took along is settled by dumping
        // every route instead.
        log('monitor %s: route refresh %o failed: %s; resyncing routes', this.host.netns ?? '(current)', scope, (err as Error).message);
        this.pendingKinds.add('route');
        return;
      }
      out.push(refresh);
    }
  }
}
