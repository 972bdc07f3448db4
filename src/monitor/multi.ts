/**
 * Many namespaces at once: one Monitor per namespace (its sockets made inside it by a
 * NetnsSocketFactory), every event tagged with its namespace, merged into one stream. With
 * namespaces: 'all' the set follows /run/netns (NetnsWatcher): a namespace added while running is
 * opened and announced with a 'netns' add event; a removed one is closed (so our sockets do not
 * keep it alive) and announced with a 'netns' del event.
 */
import { EventEmitter } from 'node:events';
import createDebug from '../deps/debug.js';
import type { MonitorEvent, RouteScope } from './events.js';
import type { ObjectKind } from './groups.js';
import { type IterateOptions, iterateEvents } from './iterate.js';
import { DumpLimiter } from './limiter.js';
import { Monitor, type MonitorEvents, type MonitorOptions, checkMonitorOptions } from './monitor.js';
import { InvalidArgumentError } from '../api/errors.js';
import { checkBool, checkInt } from '../api/validate.js';
import { NetnsWatcher } from './netns-watch.js';

const log = createDebug('netlink:monitor');

export interface MultiMonitorOptions extends Omit<MonitorOptions, 'netns' | 'transport' | 'requests' | 'nftTransport' | 'nftRequests'> {
  /** 'all' (default): every named namespace, followed as they come and go; or a fixed list of names. */
  namespaces?: 'all' | readonly string[];
  /** Also watch the namespace this process is in (events without a netns). Default false. */
  includeCurrent?: boolean;
  /** With 'all': only names this accepts. */
  filter?: (name: string) => boolean;
  /** Directory of named namespaces (default /run/netns). */
  dir?: string;
  /** Namespaces being opened at once (default 8). */
  concurrency?: number;
  /**
   * Resync / refresh dumps running at once over all the namespaces (default 2): when many
   * namespaces need one in the same moment (a link flap everywhere, the initial dumps), they take
   * turns instead of all holding their replies at once. Ignored when dumpLimiter is given.
   */
  dumpConcurrency?: number;
  /** How a monitor is opened (tests); default Monitor.open. */
  openMonitor?: (options: MonitorOptions) => Promise<Monitor>;
  /** A watcher to follow instead of /run/netns (tests). */
  watcher?: NetnsWatcher;
}

type Key = string | undefined;

function checkMultiOptions(opts: MultiMonitorOptions | undefined): MultiMonitorOptions {
  const o = checkMonitorOptions(opts);
  const { namespaces, filter, dir, concurrency, dumpConcurrency, openMonitor, watcher } = o;
  const names = (n: unknown) => Array.isArray(n) && n.every((x) => typeof x === 'string' && x.length > 0);
  if (namespaces !== undefined && namespaces !== 'all' && !names(namespaces)) {
    throw new InvalidArgumentError('namespaces', namespaces, "must be 'all' or a list of namespace names");
  }
  checkBool(o.includeCurrent, 'includeCurrent');
  if (filter !== undefined && typeof filter !== 'function') throw new InvalidArgumentError('filter', filter, 'must be a function (name) => boolean');
  if (dir !== undefined && (typeof dir !== 'string' || dir.length === 0)) throw new InvalidArgumentError('dir', dir, 'must be a directory path');
  if (concurrency !== undefined) checkInt(concurrency, 'concurrency', 1, 0xffff);
  if (dumpConcurrency !== undefined) checkInt(dumpConcurrency, 'dumpConcurrency', 1, 0xffff);
  if (openMonitor !== undefined && typeof openMonitor !== 'function') {
    throw new InvalidArgumentError('openMonitor', openMonitor, 'must be a function (options) => Promise<Monitor>');
  }
  if (watcher !== undefined && (typeof watcher !== 'object' || watcher === null)) {
    throw new InvalidArgumentError('watcher', watcher, 'must be a NetnsWatcher');
  }
  return o;
}

export class MultiMonitor extends EventEmitter<MonitorEvents> implements AsyncIterable<MonitorEvent> {
  private readonly monitors = new Map<Key, Monitor>();
  /** Namespaces wanted (opening or open). */
  private readonly wanted = new Set<Key>();
  private readonly opening = new Map<Key, Promise<void>>();
  /** Namespaces that could not be watched, and why (cleared when one goes away or opens later). */
  readonly failed = new Map<Key, Error>();
  /** Error events emitted while open() runs (nobody can listen yet): emitted again once it has resolved. */
  private startupErrors: MonitorEvent[] | undefined = [];
  private readonly options: MultiMonitorOptions;
  private watcher: NetnsWatcher | undefined;
  private isClosed = false;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly abortHandler = () => this.close();
  private readonly forward = (e: MonitorEvent) => this.emitEvent(e);
  /** Gets every event before the listeners, by a plain call (StateMirror). */
  private sink: ((e: MonitorEvent) => void) | undefined;
  /** Shared by every namespace's monitor: bounds their resync and refresh dumps together. */
  readonly dumpLimiter: DumpLimiter;

  private constructor(options: MultiMonitorOptions) {
    super();
    this.options = options;
    this.dumpLimiter = options.dumpLimiter ?? new DumpLimiter(options.dumpConcurrency ?? 2);
  }

  /** Opens monitors for the initial namespaces; resolves once each is open (or has failed with an error event). */
  static async open(opts?: MultiMonitorOptions): Promise<MultiMonitor> {
    // Checked here, once: a bad option would otherwise fail every namespace's monitor, as events.
    const options = checkMultiOptions(opts);
    const mm = new MultiMonitor(options);
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(() => mm.close());
      else options.signal.addEventListener('abort', mm.abortHandler, { once: true });
    }
    const initial: Promise<void>[] = [];
    if (options.includeCurrent) initial.push(mm.add(undefined, false));
    const ns = options.namespaces ?? 'all';
    if (ns === 'all') {
      const w = options.watcher ?? new NetnsWatcher({ ...(options.dir && { dir: options.dir }), ...(options.filter && { filter: options.filter }) });
      mm.watcher = w;
      let starting = true;
      w.on('add', (name) => {
        const p = mm.add(name, !starting);
        if (starting) initial.push(p);
      });
      w.on('del', (name) => mm.remove(name));
      w.on('error', (error) => mm.emitEvent({ type: 'error', error }));
      await w.start();
      starting = false;
    } else {
      for (const name of ns) initial.push(mm.add(name, false));
    }
    await Promise.all(initial);
    const early = mm.startupErrors!;
    mm.startupErrors = undefined;
    if (early.length)
      setImmediate(() => {
        for (const e of early) mm.emitEvent(e);
      });
    return mm;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Namespaces with an open monitor (undefined: the current one). */
  namespaces(): Key[] {
    return [...this.monitors.keys()];
  }

  monitor(netns?: string): Monitor | undefined {
    return this.monitors.get(netns);
  }

  /** Resyncs one namespace. */
  async resync(netns: Key, kinds?: readonly ObjectKind[]): Promise<void> {
    await this.monitors.get(netns)?.resync(kinds);
  }

  /** Re-dumps the routes in `scope` of one namespace (Monitor.refresh). */
  async refresh(netns: Key, kind: 'route', scope?: RouteScope): Promise<void> {
    await this.monitors.get(netns)?.refresh(kind, scope);
  }

  /** refresh() without waiting for it. */
  scheduleRefresh(netns: Key, scope: RouteScope): void {
    this.monitors.get(netns)?.scheduleRefresh(scope);
  }

  events(options: IterateOptions = {}): AsyncIterableIterator<MonitorEvent> {
    return iterateEvents(this, { maxQueued: this.options.maxQueued, ...options });
  }

  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent> {
    return this.events();
  }

  /** The consumer that gets every event first, without an emit (StateMirror). Internal. */
  setForward(fn: ((e: MonitorEvent) => void) | undefined): void {
    this.sink = fn;
  }

  consumerOverrun(): void {
    for (const m of this.monitors.values()) m.consumerOverrun();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.options.signal?.removeEventListener('abort', this.abortHandler);
    this.watcher?.close();
    for (const m of this.monitors.values()) m.close();
    this.monitors.clear();
    this.wanted.clear();
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------

  private emitEvent(e: MonitorEvent): void {
    if (e.type === 'error') this.startupErrors?.push(e);
    this.sink?.(e);
    // emit() allocates its arguments even when nobody listens: ask first.
    if (this.listenerCount('event') > 0) this.emit('event', e);
    const name = e.type === 'new' || e.type === 'del' ? e.kind : e.type;
    if (this.listenerCount(name) === 0) return;
    if (e.type === 'error') this.emit('error', e.error);
    else (this.emit as (n: string, e: MonitorEvent) => boolean)(name, e);
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    const limit = Math.max(1, this.options.concurrency ?? 8);
    if (this.active >= limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private add(netns: Key, announce: boolean): Promise<void> {
    if (this.isClosed || this.wanted.has(netns)) return this.opening.get(netns) ?? Promise.resolve();
    this.wanted.add(netns);
    const {
      namespaces: _n,
      includeCurrent: _i,
      filter: _f,
      dir: _d,
      concurrency: _c,
      dumpConcurrency: _dc,
      openMonitor,
      watcher: _w,
      signal: _s,
      ...rest
    } = this.options;
    const open = openMonitor ?? Monitor.open;
    const p = this.slot(async () => {
      let lastErr: Error | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (!this.wanted.has(netns) || this.isClosed) return;
        try {
          const m = await open({ ...rest, dumpLimiter: this.dumpLimiter, ...(netns !== undefined && { netns }) });
          if (!this.wanted.has(netns) || this.isClosed) {
            m.close();
            return;
          }
          this.monitors.set(netns, m);
          this.failed.delete(netns);
          m.setForward(this.forward);
          log('watching %s', netns ?? '(current)');
          if (announce && netns !== undefined) this.emitEvent({ type: 'netns', action: 'add', netns });
          return;
        } catch (err) {
          lastErr = err as Error;
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
        }
      }
      this.wanted.delete(netns);
      const error = new Error(`cannot watch namespace ${netns ?? '(current)'}: ${lastErr?.message}`, { cause: lastErr });
      this.failed.set(netns, error);
      this.emitEvent({ type: 'error', ...(netns !== undefined && { netns }), error });
    }).finally(() => this.opening.delete(netns));
    this.opening.set(netns, p);
    return p;
  }

  private remove(netns: string): void {
    this.wanted.delete(netns);
    this.failed.delete(netns);
    const m = this.monitors.get(netns);
    if (!m) return;
    this.monitors.delete(netns);
    m.close();
    log('stopped watching %s', netns);
    this.emitEvent({ type: 'netns', action: 'del', netns });
  }
}
