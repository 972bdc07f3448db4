/**
 * Monitor: multicast events of one network namespace, decoded into friendly objects, on a socket
 * of its own (request/response traffic never shares it).
 *
 * No silent loss: the receive buffer is 1 MiB by default (SO_RCVBUFFORCE past rmem_max when
 * permitted); an overrun (ENOBUFS, a truncated datagram, an undecodable event, a consumer too far
 * behind) becomes an explicit 'overrun' event, the socket keeps working (the transport re-wraps
 * a spare copy of its fd), and a resync follows: the subscribed kinds are dumped on a separate
 * request socket while new events are held back, then a 'resync' event carries the complete
 * state and the held events follow it. A consumer that replaces its state on 'resync' and applies
 * events after it never keeps stale state.
 */
import { EventEmitter } from 'node:events';
import createDebug from '../deps/debug.js';
import type { NetlinkClient } from '../api/client.js';
import { checkInt, checkOptions, checkSignal } from '../api/validate.js';
import { rtnetlinkCodec } from '../api/rtnetlink-codec.js';
import { Connection } from '../conn/connection.js';
import { InvalidArgumentError } from '../errors/index.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import { EventSocket } from './event-socket.js';
import type { MonitorEvent, MonitorEvents, OverrunReason, RouteScope } from './events.js';
import { fanOut, sameScope, untilEvent } from './fan-out.js';
import { type DumpPlan, type MonitorGroup, type ObjectKind, OBJECT_KINDS, dumpPlan } from './groups.js';
import { type IterateOptions, iterateEvents } from './iterate.js';
import { DEFAULT_RECEIVE_BUFFER, type MonitorOptions, checkMonitorOptions, normalizeGroups } from './options.js';
import { MonitorRequests, closeFd } from './requests.js';
import { Resync } from './resync.js';
import { defaultNetnsSocketFactory } from './sockets.js';

export { DEFAULT_RECEIVE_BUFFER, type MonitorOptions, checkMonitorOptions } from './options.js';
export type { MonitorEvents } from './events.js';

const log = createDebug('netlink:monitor');

export interface MonitorStats {
  datagrams: number;
  /** Object events decoded. */
  events: number;
  overruns: number;
  resyncs: number;
  /** Narrow route re-dumps (refresh()), each emitted as a 'refresh' event. */
  refreshes: number;
  /** Events read after an overrun but queued before it: superseded by the resync dump. */
  discarded: number;
}

/**
 * The rooms: event-socket.ts (decoding, overruns) with drain-fence.ts (events queued before a
 * loss), resync.ts (dumps, held events) with snapshot.ts, requests.ts (the request socket),
 * fan-out.ts (listeners, the layer above) with iterate.ts, options.ts.
 */
export class Monitor extends EventEmitter<MonitorEvents> implements AsyncIterable<MonitorEvent> {
  /** Namespace name (undefined: the namespace this process is in). */
  readonly netns: string | undefined;
  /** RTNLGRP_* numbers joined. */
  readonly groups: readonly number[];
  readonly stats: MonitorStats = { datagrams: 0, events: 0, overruns: 0, resyncs: 0, refreshes: 0, discarded: 0 };
  private readonly plan: DumpPlan;
  private readonly options: MonitorOptions;
  private readonly socket: EventSocket;
  private readonly requests: MonitorRequests;
  private readonly resyncs: Resync;
  /** The MultiMonitor this monitor belongs to: gets every event first, without an emit. */
  private forward: ((e: MonitorEvent) => void) | undefined;
  private isClosed = false;
  private readonly abortHandler = () => this.close();

  /**
   * Opens a monitor in the current namespace (synchronous), or with options.transport. For a
   * named namespace use Monitor.open().
   */
  constructor(opts?: MonitorOptions) {
    super();
    const options = checkMonitorOptions(opts);
    if (options.netns !== undefined && !options.transport) {
      throw new InvalidArgumentError(
        'netns',
        options.netns,
        'new Monitor() makes its socket here: use await Monitor.open({ netns }) to watch that namespace',
      );
    }
    this.options = options;
    this.netns = options.netns;
    this.groups = normalizeGroups(options.groups);
    this.plan = dumpPlan(this.groups);
    const codec = rtnetlinkCodec();
    const transport =
      options.transport ?? new NetlinkSocket({ receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER, recoverOverrun: true });
    this.requests = new MonitorRequests(options.requests, codec);
    this.socket = new EventSocket(transport, codec, this.netns, options.objects === 'slim', this.stats, {
      event: (e) => {
        if (!this.resyncs.holding) return this.emitEvent(e);
        // A resync that cannot keep up is itself an overrun (bounded memory).
        if (!this.resyncs.hold(e)) this.overrun('consumer');
      },
      overrun: (reason, error) => this.overrun(reason, error),
      error: (error) => this.emitEvent({ type: 'error', netns: this.netns, error }),
      lost: () => {
        this.emitEvent({ type: 'error', netns: this.netns, error: new Error('monitor socket closed unexpectedly') });
        this.close();
      },
    });
    const host = { netns: this.netns, client: () => this.client(), emitEvent: (e: MonitorEvent) => this.emitEvent(e) };
    this.resyncs = new Resync(host, this.plan, this.stats, this.socket.fence, options);
    this.socket.open(this.groups, options.keepAlive !== false);
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(() => this.close());
      else options.signal.addEventListener('abort', this.abortHandler, { once: true });
    }
    if (options.initialDump) this.resyncs.request(this.plan.kinds, true);
    log('monitor %s: groups %o', this.netns ?? '(current)', this.groups);
  }

  /**
   * Opens a monitor, in a named namespace when options.netns is set: its sockets are created there
   * by options.sockets (one call for the event and the request socket).
   */
  static async open(opts?: MonitorOptions): Promise<Monitor> {
    const options = checkMonitorOptions(opts); // before the namespace's sockets are made
    if (options.netns === undefined || options.transport) return new Monitor(options);
    const factory = options.sockets ?? (await defaultNetnsSocketFactory());
    const wantRequests = options.requests === undefined;
    const fds = await factory(options.netns, wantRequests ? 2 : 1);
    let transport: NetlinkSocket | undefined;
    try {
      transport = new NetlinkSocket({ fd: fds[0]!, receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER, recoverOverrun: true });
      const requestFd = fds[1];
      const requests = wantRequests
        ? () => new Connection(new NetlinkSocket({ fd: requestFd!, receiveBuffer: DEFAULT_RECEIVE_BUFFER }), rtnetlinkCodec())
        : options.requests;
      const m = new Monitor({ ...options, transport, ...(requests && { requests }) });
      if (wantRequests) m.requests.own(requestFd!);
      return m;
    } catch (err) {
      if (transport) transport.close();
      else closeFd(fds[0]);
      if (wantRequests) closeFd(fds[1]);
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The kinds a resync dumps for this monitor's groups. */
  get kinds(): ObjectKind[] {
    return OBJECT_KINDS.filter((k) => this.plan.kinds.has(k));
  }

  /** True while a resync dump runs (object events are held back until it ends). */
  get resyncing(): boolean {
    return this.resyncs.running;
  }

  /** Events as an async iterator; see IterateOptions. */
  events(opts?: IterateOptions): AsyncIterableIterator<MonitorEvent> {
    const options = checkOptions(opts);
    if (options.signal !== undefined) checkSignal(options.signal);
    if (options.maxQueued !== undefined) checkInt(options.maxQueued, 'maxQueued', 1, 0x7fffffff);
    return iterateEvents(this, { maxQueued: this.options.maxQueued, ...options });
  }

  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent> {
    return this.events();
  }

  /** The client on this monitor's request socket (same namespace), opened on first use. */
  client(): Promise<NetlinkClient> {
    return this.requests.client();
  }

  /**
   * Dumps `kinds` (default: every subscribed kind) and emits a 'resync' event, holding object
   * events back meanwhile. Resolves when that resync event has been emitted.
   */
  resync(kinds: readonly ObjectKind[] = this.kinds): Promise<void> {
    const wanted = kinds.filter((k) => this.plan.kinds.has(k));
    if (wanted.length === 0 || this.isClosed) return Promise.resolve();
    return untilEvent(
      this,
      (e) => e.type === 'resync' && wanted.every((k) => e.kinds.includes(k)),
      () => this.resyncs.request(wanted),
    );
  }

  /**
   * Re-dumps only the routes in `scope` (a family and / or those through an interface; the kernel
   * filters the dump) and emits a 'refresh' event with them, holding object events back meanwhile
   * as a resync does. For state the kernel changes without telling (a link going down flushes its
   * IPv4 routes silently). Requests wait together: the same scope is dumped once, and a route resync
   * covers them all. A refresh that fails (the interface is gone) becomes a route resync. Resolves
   * once a refresh or resync covering it has been emitted.
   */
  refresh(kind: 'route', scope: RouteScope = {}): Promise<void> {
    if (kind !== 'route') throw new InvalidArgumentError('kind', kind, "refresh covers routes only: 'route'");
    if (!this.plan.kinds.has('route') || this.isClosed) return Promise.resolve();
    if (scope.family !== undefined && !this.plan.routeFamilies.includes(scope.family)) return Promise.resolve();
    const want: RouteScope = {};
    if (scope.family !== undefined) want.family = scope.family;
    if (scope.dev !== undefined) want.dev = scope.dev;
    if (scope.types !== undefined) want.types = scope.types;
    return untilEvent(
      this,
      (e) => (e.type === 'resync' && e.kinds.includes('route')) || (e.type === 'refresh' && sameScope(e.scope, want)),
      () => this.scheduleRefresh(want),
    );
  }

  /** refresh() without waiting for it (nothing to resolve, no listener meanwhile). */
  scheduleRefresh(scope: RouteScope): void {
    if (this.isClosed || !this.plan.kinds.has('route')) return;
    if (scope.family !== undefined && !this.plan.routeFamilies.includes(scope.family)) return;
    this.resyncs.refresh(scope);
  }

  /**
   * The MultiMonitor this monitor feeds: it gets every event before this monitor's own listeners,
   * by a plain call (an emit per event and layer allocates its arguments). Internal.
   */
  setForward(fn: ((e: MonitorEvent) => void) | undefined): void {
    this.forward = fn;
  }

  /** Called by an iterator whose consumer fell behind: report and resync. */
  consumerOverrun(): void {
    this.overrun('consumer');
  }

  /** Leaves the groups and closes both sockets. Iterations end. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.options.signal?.removeEventListener('abort', this.abortHandler);
    this.resyncs.close();
    this.socket.close();
    this.requests.close();
    log('monitor %s closed', this.netns ?? '(current)');
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------

  private overrun(reason: OverrunReason, error?: Error): void {
    if (this.isClosed) return;
    this.stats.overruns++;
    this.resyncs.overrun();
    log('monitor %s: overrun (%s)', this.netns ?? '(current)', reason);
    this.emitEvent({ type: 'overrun', netns: this.netns, reason, ...(error && { error }) });
    // Lost in the kernel: what the socket still holds predates the loss.
    if (reason === 'enobufs' || reason === 'overrun') this.socket.fence.start();
    if (this.options.resync !== false) this.resyncs.request(this.plan.kinds);
  }

  private emitEvent(e: MonitorEvent): void {
    this.forward?.(e);
    fanOut(this, e);
  }
}

/** Opens a monitor: `for await (const e of await monitor(['link', 'address'])) ...`. */
export function monitor(groups: readonly (MonitorGroup | number)[] | MonitorGroup, options: Omit<MonitorOptions, 'groups'> = {}): Promise<Monitor> {
  return Monitor.open({ ...options, groups });
}
