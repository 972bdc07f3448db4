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
import { NLMSG, NLMSG_HDRLEN, NLM_F } from '../../protocol/netlink.js';
import { NetlinkClient } from '../api/client.js';
import { InvalidArgumentError } from '../api/errors.js';
import { checkBool, checkInt, checkOptions, checkSignal, checkTimeoutMs } from '../api/validate.js';
import { rtnetlinkCodec } from '../api/rtnetlink-codec.js';
import { align4 } from '../codec/byte-writer.js';
import { type NetlinkMessage, makeCtx } from '../codec/message.js';
import type { DecodeCtx } from '../codec/types.js';
import { Connection } from '../conn/connection.js';
import * as libc from '../transport/libc.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import type { Transport } from '../transport/types.js';
import type { Route, RouteType } from '../api/routes.js';
import { slimObject } from './compact.js';
import {
  EVENT_TYPES,
  type MonitorEvent,
  type ObjectEvent,
  type OverrunReason,
  type RefreshEvent,
  type ResyncEvent,
  type RouteScope,
  isObjectEvent,
  toNsid,
} from './events.js';
import { type DumpPlan, type MonitorGroup, type ObjectKind, OBJECT_KINDS, dumpPlan, resolveGroups } from './groups.js';
import { type IterateOptions, iterateEvents } from './iterate.js';
import type { DumpLimiter } from './limiter.js';
import { type NetnsSocketFactory, defaultNetnsSocketFactory } from './sockets.js';

const log = createDebug('netlink:monitor');

export const DEFAULT_RECEIVE_BUFFER = 1 << 20;

/**
 * Sockets read every datagram into one shared buffer (src/transport/netlink-socket.ts): a decode
 * context over all of it serves every datagram, instead of two views and an object per datagram.
 * Only for big buffers (a small one is a datagram's own copy, not worth keeping).
 */
const SHARED_BUFFER_MIN = 1 << 16;
let sharedCtx: DecodeCtx | undefined;

export interface MonitorOptions {
  /** What to watch (default ['link', 'address', 'route']). */
  groups?: readonly (MonitorGroup | number)[] | MonitorGroup;
  /** Watch this named namespace (a name under /run/netns or a path) instead of the current one. */
  netns?: string;
  /** Makes sockets inside `netns` (default: the namespace layer's, else setns). */
  sockets?: NetnsSocketFactory;
  /** Receive buffer in bytes of the sockets the monitor opens (default 1 MiB; forced past net.core.rmem_max when permitted). */
  receiveBuffer?: number;
  /** Closes the monitor when aborted; iterations then end. */
  signal?: AbortSignal;
  /** Dump and emit 'resync' after an overrun (default true). */
  resync?: boolean;
  /** Start with a 'resync' event (initial: true) carrying the current state (default false). */
  initialDump?: boolean;
  /** Events an iterator may hold for a slow consumer before it is overrun (default 100,000). */
  maxQueued?: number;
  /** Keep the process alive while the monitor is open, like a server (default true). */
  keepAlive?: boolean;
  /** Delay before retrying a failed resync dump, doubling up to 5 s (default 100 ms). */
  retryDelayMs?: number;
  /** Use this transport for events (tests, replay) instead of opening a socket. */
  transport?: Transport;
  /** Use this connection for resync dumps instead of opening a request socket. */
  requests?: Connection | (() => Connection | Promise<Connection>);
  /**
   * Object events: 'full' (default) carry links, addresses and routes as the API makes them;
   * 'slim' carry them as StateMirror keeps them: `raw` holds only the message envelope, links
   * carry no counters, strings and flag lists are compacted (src/monitor/compact.ts). For
   * consumers that keep many objects. Resync and refresh events carry the API's listed objects
   * either way (their `raw` is decoded on first access).
   */
  objects?: 'full' | 'slim';
  /** Bounds the resync / refresh dumps running at once across the monitors sharing it (MultiMonitor shares one). */
  dumpLimiter?: DumpLimiter;
}

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

export interface MonitorEvents {
  event: [MonitorEvent];
  link: [Extract<ObjectEvent, { kind: 'link' }>];
  address: [Extract<ObjectEvent, { kind: 'address' }>];
  route: [Extract<ObjectEvent, { kind: 'route' }>];
  neighbour: [Extract<ObjectEvent, { kind: 'neighbour' }>];
  rule: [Extract<ObjectEvent, { kind: 'rule' }>];
  nsid: [Extract<ObjectEvent, { kind: 'nsid' }>];
  overrun: [Extract<MonitorEvent, { type: 'overrun' }>];
  resync: [ResyncEvent];
  refresh: [RefreshEvent];
  netns: [Extract<MonitorEvent, { type: 'netns' }>];
  error: [Error];
  close: [];
}

function normalizeGroups(g: MonitorOptions['groups']): number[] {
  const list = g === undefined ? ['link', 'address', 'route'] : typeof g === 'string' ? [g] : g;
  const groups = resolveGroups(list);
  if (groups.length === 0) throw new InvalidArgumentError('groups', g, 'a monitor needs at least one group');
  return groups;
}

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods = (v: unknown, ...names: string[]): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

/**
 * Every option (groups too) is checked before a socket is opened: bad values are
 * InvalidArgumentErrors, never ignored. MultiMonitor checks its options with it too.
 */
export function checkMonitorOptions<T extends MonitorOptions>(options: T | undefined): T {
  const o = checkOptions(options);
  normalizeGroups(o.groups);
  const { netns, sockets, receiveBuffer, signal, maxQueued, retryDelayMs, transport, requests, objects, dumpLimiter } = o;
  if (netns !== undefined && (typeof netns !== 'string' || netns.length === 0)) {
    throw new InvalidArgumentError('netns', netns, 'must be a namespace name or a path');
  }
  if (sockets !== undefined && !isFunction(sockets)) throw new InvalidArgumentError('sockets', sockets, 'must be a function (netns, count) => fds');
  if (receiveBuffer !== undefined) checkInt(receiveBuffer, 'receiveBuffer', 1, 0x7fffffff);
  if (signal !== undefined) checkSignal(signal);
  for (const k of ['resync', 'initialDump', 'keepAlive'] as const) checkBool(o[k], k);
  if (maxQueued !== undefined) checkInt(maxQueued, 'maxQueued', 1, 0x7fffffff);
  if (retryDelayMs !== undefined) checkTimeoutMs(retryDelayMs, 'retryDelayMs');
  if (transport !== undefined && !hasMethods(transport, 'start', 'send', 'close')) {
    throw new InvalidArgumentError('transport', transport, 'must be a Transport (start, send, close)');
  }
  if (requests !== undefined && !(requests instanceof Connection) && !isFunction(requests)) {
    throw new InvalidArgumentError('requests', requests, 'must be a Connection or a function that returns one');
  }
  if (objects !== undefined && objects !== 'full' && objects !== 'slim') {
    throw new InvalidArgumentError('objects', objects, "must be 'full' or 'slim'");
  }
  if (dumpLimiter !== undefined && !hasMethods(dumpLimiter, 'run')) {
    throw new InvalidArgumentError('dumpLimiter', dumpLimiter, 'must be a DumpLimiter');
  }
  return o;
}

export class Monitor extends EventEmitter<MonitorEvents> implements AsyncIterable<MonitorEvent> {
  /** Namespace name (undefined: the namespace this process is in). */
  readonly netns: string | undefined;
  /** RTNLGRP_* numbers joined. */
  readonly groups: readonly number[];
  readonly stats: MonitorStats = { datagrams: 0, events: 0, overruns: 0, resyncs: 0, refreshes: 0, discarded: 0 };
  private readonly transport: Transport;
  private readonly codec = rtnetlinkCodec();
  private readonly plan: DumpPlan;
  private readonly options: MonitorOptions;
  private requestsProvider: (() => Connection | Promise<Connection>) | undefined;
  private requests: Promise<NetlinkClient> | undefined;
  private ownsRequests: boolean;
  private isClosed = false;
  /** Kinds waiting to be dumped; the resync loop runs while this or pendingRefresh is non-empty. */
  private pendingKinds = new Set<ObjectKind>();
  /** Route scopes waiting for a narrow re-dump (refresh). */
  private pendingRefresh: RouteScope[] = [];
  private readonly slim: boolean;
  /** The MultiMonitor this monitor belongs to: gets every event first, without an emit. */
  private forward: ((e: MonitorEvent) => void) | undefined;
  private resyncRunning = false;
  private pendingInitial = false;
  /** Incremented on every overrun: a dump that started before one is stale. */
  private overrunGen = 0;
  /** Object events held back while a resync dump runs. */
  private held: ObjectEvent[] = [];
  private holding = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * After a kernel overrun the socket still holds events queued before the loss; they must not be
   * applied after the resync dump (their successors are lost). A marker request (NLMSG_NOOP with
   * NLM_F_ACK) on the event socket queues its ACK behind them: everything read until that ACK is
   * discarded, and the dump starts after it. While the socket is congested the kernel drops that
   * ACK too (without a new ENOBUFS), so markers are re-sent every 20 ms until one comes back; any
   * marker sent since the latest overrun will do.
   */
  private drainSeq: number | undefined;
  /** The first marker sent after the latest overrun. */
  private drainFrom = 0;
  private drainTries = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];
  private markerSeq = 0x6e6c0000;
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
    this.slim = options.objects === 'slim';
    this.transport = options.transport ?? new NetlinkSocket({ receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER, recoverOverrun: true });
    const req = options.requests;
    this.ownsRequests = req === undefined;
    this.requestsProvider =
      req === undefined
        ? () => new Connection(new NetlinkSocket({ receiveBuffer: DEFAULT_RECEIVE_BUFFER }), this.codec)
        : req instanceof Connection
          ? () => req
          : req;
    this.transport.start({
      datagram: (d) => this.onDatagram(d),
      error: (e) => this.onTransportError(e),
      closed: () => {
        if (!this.isClosed) {
          this.emitEvent({ type: 'error', netns: this.netns, error: new Error('monitor socket closed unexpectedly') } as MonitorEvent);
          this.close();
        }
      },
    });
    try {
      for (const grp of this.groups) this.transport.addMembership?.(grp);
    } catch (err) {
      this.transport.close();
      throw err;
    }
    if (options.keepAlive === false) this.transport.unref?.();
    else this.transport.ref?.();
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(() => this.close());
      else options.signal.addEventListener('abort', this.abortHandler, { once: true });
    }
    if (options.initialDump) {
      this.pendingInitial = true;
      this.requestResync([...this.plan.kinds]);
    }
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
      const requests = wantRequests ? () => new Connection(new NetlinkSocket({ fd: requestFd!, receiveBuffer: DEFAULT_RECEIVE_BUFFER }), rtnetlinkCodec()) : options.requests;
      const m = new Monitor({ ...options, transport, ...(requests && { requests }) });
      m.ownsRequests = wantRequests;
      if (wantRequests) m.spareRequestFd = requestFd;
      return m;
    } catch (err) {
      if (transport) transport.close();
      else closeFd(fds[0]);
      if (wantRequests) closeFd(fds[1]);
      throw err;
    }
  }

  /** A request fd made with the event socket and not used yet (closed with the monitor). */
  private spareRequestFd: number | undefined;

  get closed(): boolean {
    return this.isClosed;
  }

  /** The kinds a resync dumps for this monitor's groups. */
  get kinds(): ObjectKind[] {
    return OBJECT_KINDS.filter((k) => this.plan.kinds.has(k));
  }

  /** True while a resync dump runs (object events are held back until it ends). */
  get resyncing(): boolean {
    return this.resyncRunning;
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
    if (!this.requests) {
      const provider = this.requestsProvider!;
      this.spareRequestFd = undefined;
      this.requests = Promise.resolve()
        .then(provider)
        .then((c) => new NetlinkClient(c));
      this.requests.catch(() => (this.requests = undefined));
    }
    return this.requests;
  }

  /**
   * Dumps `kinds` (default: every subscribed kind) and emits a 'resync' event, holding object
   * events back meanwhile. Resolves when that resync event has been emitted.
   */
  resync(kinds: readonly ObjectKind[] = this.kinds): Promise<void> {
    const wanted = kinds.filter((k) => this.plan.kinds.has(k));
    if (wanted.length === 0 || this.isClosed) return Promise.resolve();
    return this.untilEvent(
      (e) => e.type === 'resync' && wanted.every((k) => e.kinds.includes(k)),
      () => this.requestResync(wanted),
    );
  }

  /** Runs `start`, then resolves at the first event that `covers` says answers it, or at close. */
  private untilEvent(covers: (e: MonitorEvent) => boolean, start: () => void): Promise<void> {
    return new Promise((resolve) => {
      const check = (e: MonitorEvent) => {
        if (covers(e)) done();
      };
      const done = () => {
        this.off('event', check);
        this.off('close', done);
        resolve();
      };
      this.on('event', check);
      this.once('close', done);
      start();
    });
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
    return this.untilEvent(
      (e) => (e.type === 'resync' && e.kinds.includes('route')) || (e.type === 'refresh' && sameScope(e.scope, want)),
      () => this.scheduleRefresh(want),
    );
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.finishDrain();
    this.held = [];
    this.pendingKinds.clear();
    this.transport.close();
    if (this.spareRequestFd !== undefined) closeFd(this.spareRequestFd);
    this.spareRequestFd = undefined;
    if (this.ownsRequests) this.requests?.then((c) => c.close(), () => undefined);
    log('monitor %s closed', this.netns ?? '(current)');
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------

  private onDatagram(d: Uint8Array): void {
    if (this.isClosed) return;
    this.stats.datagrams++;
    // Positions in ctx are base + positions in d.
    let ctx: DecodeCtx;
    let base = 0;
    if (d.buffer === sharedCtx?.bytes.buffer) {
      ctx = sharedCtx;
      base = d.byteOffset;
    } else if (d.buffer.byteLength >= SHARED_BUFFER_MIN && d.byteOffset + d.length <= d.buffer.byteLength) {
      ctx = sharedCtx = makeCtx(new Uint8Array(d.buffer));
      base = d.byteOffset;
    } else ctx = makeCtx(d);
    const view = ctx.view;
    let pos = 0;
    while (pos < d.length) {
      const left = d.length - pos;
      const len = left >= NLMSG_HDRLEN ? view.getUint32(base + pos, true) : 0;
      if (len < NLMSG_HDRLEN || len > left) {
        // read() cannot report MSG_TRUNC: a message running past its datagram was cut short.
        this.overrun('truncated', new Error(`truncated datagram: nlmsg_len ${len} with ${left} bytes left (datagram of ${d.length} bytes)`));
        return;
      }
      const type = view.getUint16(base + pos + 4, true);
      const entry = EVENT_TYPES.get(type);
      if (this.drainSeq !== undefined) {
        if (entry) this.stats.discarded++;
        else if (type === NLMSG.ERROR && this.isMarker(view.getUint32(base + pos + 8, true))) this.finishDrain();
      } else if (entry) {
        let msg: NetlinkMessage;
        let object: unknown;
        try {
          const at = base + pos;
          msg = this.codec.decodeFrame(ctx, at, at + len, entry.select ?? true);
          // A selected message is only part of it: a full object keeps the bytes for `raw` (the
          // datagram is a shared buffer), a slim one only the envelope, which the header holds.
          object = entry.select === undefined || this.slim ? entry.convert(msg) : entry.convert(msg, ctx.bytes.slice(at, at + len), 0);
          if (this.slim) object = slimObject(entry.kind, object);
        } catch (err) {
          this.overrun('decode', err as Error);
          pos = align4(pos + len);
          continue;
        }
        this.stats.events++;
        this.deliver({ type: entry.type, kind: entry.kind, netns: this.netns, object } as ObjectEvent);
      } else if (type === NLMSG.OVERRUN) {
        this.overrun('overrun');
      }
      pos = align4(pos + len);
    }
  }

  private onTransportError(err: Error & { code?: string }): void {
    if (this.isClosed) return;
    if (err.code === 'ENOBUFS') this.overrun('enobufs', err);
    else this.emitEvent({ type: 'error', netns: this.netns, error: err } as MonitorEvent);
  }

  private overrun(reason: OverrunReason, error?: Error): void {
    if (this.isClosed) return;
    this.stats.overruns++;
    this.overrunGen++;
    // Held events predate the dump that will now run: it covers them.
    this.held = [];
    log('monitor %s: overrun (%s)', this.netns ?? '(current)', reason);
    this.emitEvent({ type: 'overrun', netns: this.netns, reason, ...(error && { error }) } as MonitorEvent);
    if (reason === 'enobufs' || reason === 'overrun') {
      this.drainTries = 0;
      this.drainFrom = ((this.markerSeq + 1) >>> 0) || 1;
      this.startDrain();
    }
    if (this.options.resync !== false) this.requestResync([...this.plan.kinds]);
  }

  private startDrain(): void {
    if (this.isClosed) return;
    if (++this.drainTries > 250) {
      log('monitor %s: no answer to the drain marker; resyncing without it', this.netns ?? '(current)');
      return this.finishDrain();
    }
    const seq = (this.markerSeq = ((this.markerSeq + 1) >>> 0) || 1);
    try {
      this.transport.send(this.codec.encode({ kind: NLMSG.NOOP, flags: NLM_F.REQUEST | NLM_F.ACK, seq }));
    } catch (err) {
      log('monitor %s: cannot send the drain marker: %s', this.netns ?? '(current)', (err as Error).message);
      return this.finishDrain();
    }
    this.drainSeq = seq;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.drainSeq === seq) this.startDrain();
    }, 20);
    this.drainTimer.unref?.();
  }

  /** A marker sent since the latest overrun (sequence numbers wrap). */
  private isMarker(seq: number): boolean {
    return this.drainSeq !== undefined && ((seq - this.drainFrom) >>> 0) <= ((this.drainSeq - this.drainFrom) >>> 0);
  }

  private finishDrain(): void {
    this.drainSeq = undefined;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  private deliver(e: ObjectEvent): void {
    if (this.holding) {
      this.held.push(e);
      // A resync that cannot keep up is itself an overrun (bounded memory).
      if (this.held.length > (this.options.maxQueued ?? 100_000)) this.overrun('consumer');
      return;
    }
    this.emitEvent(e);
  }

  private emitEvent(e: MonitorEvent): void {
    this.forward?.(e);
    // emit() allocates its arguments even when nobody listens: ask first.
    if (this.listenerCount('event') > 0) this.emit('event', e);
    const name = isObjectEvent(e) ? e.kind : e.type;
    if (this.listenerCount(name) === 0) return;
    if (e.type === 'error') this.emit('error', e.error);
    else (this.emit as (n: string, e: MonitorEvent) => boolean)(name, e);
  }

  /** refresh() without waiting for it (nothing to resolve, no listener meanwhile). */
  scheduleRefresh(scope: RouteScope): void {
    if (this.isClosed || !this.plan.kinds.has('route')) return;
    if (scope.family !== undefined && !this.plan.routeFamilies.includes(scope.family)) return;
    if (!this.pendingKinds.has('route') && !this.pendingRefresh.some((s) => sameScope(s, scope))) this.pendingRefresh.push(scope);
    this.holding = true;
    if (!this.resyncRunning) {
      this.resyncRunning = true;
      void this.resyncLoop();
    }
  }

  private requestResync(kinds: ObjectKind[]): void {
    if (this.isClosed) return;
    for (const k of kinds) if (this.plan.kinds.has(k)) this.pendingKinds.add(k);
    if (this.pendingKinds.size === 0) return;
    this.holding = true;
    if (!this.resyncRunning) {
      this.resyncRunning = true;
      void this.resyncLoop();
    }
  }

  private async resyncLoop(): Promise<void> {
    let delay = this.options.retryDelayMs ?? 100;
    const limiter = this.options.dumpLimiter;
    try {
      while ((this.pendingKinds.size > 0 || this.pendingRefresh.length > 0) && !this.isClosed) {
        if (this.drainSeq !== undefined) await new Promise<void>((r) => this.drainWaiters.push(r));
        if (this.isClosed) return;
        const round = () => this.dumpRound();
        const r = await (limiter ? limiter.run(round) : round());
        if (this.isClosed) return;
        if (r === 'again') continue;
        if (r instanceof Error) {
          log('monitor %s: resync failed: %s (retry in %d ms)', this.netns ?? '(current)', r.message, delay);
          this.emitEvent({ type: 'error', netns: this.netns, error: r } as MonitorEvent);
          await new Promise<void>((res) => {
            this.retryTimer = setTimeout(res, delay);
            this.retryTimer.unref?.();
          });
          this.retryTimer = undefined;
          delay = Math.min(delay * 2, 5000);
          continue;
        }
        delay = this.options.retryDelayMs ?? 100;
        const more = this.pendingKinds.size > 0 || this.pendingRefresh.length > 0;
        // The events held during the dump follow the state they apply to.
        const held = this.held;
        this.held = [];
        if (!more) this.holding = false;
        for (const e of r) this.emitEvent(e);
        for (const e of held) this.emitEvent(e);
      }
    } finally {
      this.resyncRunning = false;
      if ((this.pendingKinds.size === 0 && this.pendingRefresh.length === 0) || this.isClosed) this.holding = false;
    }
  }

  /**
   * One round of the resync loop, in a dump slot: dumps the kinds and route scopes pending now.
   * The snapshot events to emit; 'again' when the round must be redone (an overrun came first or
   * during it); an Error when a resync dump failed (retried after a delay).
   */
  private async dumpRound(): Promise<MonitorEvent[] | 'again' | Error> {
    // While this waited for its slot, an overrun may have started a drain: wait for it first.
    if (this.isClosed || this.drainSeq !== undefined) return 'again';
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
      if (kinds.length > 0) snapshot = await this.dump(kinds);
    } catch (err) {
      for (const k of kinds) this.pendingKinds.add(k);
      if (scopes.length > 0) this.pendingRefresh.push(...scopes);
      return err as Error;
    }
    if (snapshot) out.push(snapshot);
    for (let i = 0; i < scopes.length; i++) {
      const scope = scopes[i]!;
      try {
        out.push(await this.dumpRoutes(scope));
      } catch (err) {
        // Most likely the interface went away (ENODEV): what it took along is settled by dumping
        // every route instead.
        log('monitor %s: route refresh %o failed: %s; resyncing routes', this.netns ?? '(current)', scope, (err as Error).message);
        this.pendingKinds.add('route');
        break;
      }
    }
    if (this.isClosed) return [];
    if (gen !== this.overrunGen) {
      // Events were lost during the dump: it may miss them. Dump again (the overrun asked for a
      // resync of every kind, unless resync is off: then redo what this round did).
      for (const k of kinds) this.pendingKinds.add(k);
      if (!this.pendingKinds.has('route')) for (const sc of scopes) if (!this.pendingRefresh.some((x) => sameScope(x, sc))) this.pendingRefresh.push(sc);
      return 'again';
    }
    if (this.pendingKinds.has('route')) {
      // A refresh failed: its route resync follows; the refreshes of this round are superseded.
      return snapshot ? [snapshot] : [];
    }
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

  private async dumpRoutes(scope: RouteScope): Promise<RefreshEvent> {
    const client = await this.client();
    const families = scope.family !== undefined ? [scope.family] : this.plan.routeFamilies;
    const base = { table: 'all' as const, ...(scope.dev !== undefined && { dev: scope.dev }) };
    const routes: Route[] = [];
    for (const type of scope.types ?? [undefined]) {
      const options = { ...base, ...(type !== undefined && { type: type as RouteType }) };
      if (families.length === 2) routes.push(...(await client.routes.list(options)));
      else if (families.length === 1) routes.push(...(await client.routes.list({ ...options, family: families[0] })));
    }
    return { type: 'refresh', netns: this.netns, kind: 'route', scope, routes };
  }

  private async dump(kinds: ObjectKind[]): Promise<ResyncEvent> {
    const client = await this.client();
    const p = this.plan;
    const out: ResyncEvent = { type: 'resync', netns: this.netns, initial: false, kinds };
    const one = <T>(families: ('inet' | 'inet6')[], list: (f: 'inet' | 'inet6' | undefined) => Promise<T[]>) =>
      families.length === 2 ? list(undefined) : list(families[0]);
    for (const k of kinds) {
      switch (k) {
        case 'link':
          out.links = await client.links.list();
          break;
        case 'address':
          out.addresses = await one(p.addressFamilies, (family) => client.addresses.list(family ? { family } : {}));
          break;
        case 'route':
          out.routes = await one(p.routeFamilies, (family) => client.routes.list({ table: 'all', ...(family && { family }) }));
          break;
        case 'neighbour':
          out.neighbours = [...(await client.neighbours.list({ all: true })), ...(await client.neighbours.list({ proxy: true }))];
          break;
        case 'rule':
          out.rules = [];
          for (const family of p.ruleFamilies) out.rules.push(...(await client.rules.list({ family })));
          break;
        case 'nsid': {
          const msgs = await client.connection.dump({ kind: 'getnsid', header: { family: 'unspec' } });
          out.nsids = msgs.filter((m) => m.kind === 'newnsid').map(toNsid);
          break;
        }
      }
    }
    return out;
  }
}

function sameScope(a: RouteScope, b: RouteScope): boolean {
  return a.family === b.family && a.dev === b.dev && (a.types ?? []).join() === (b.types ?? []).join();
}

function closeFd(fd: number | undefined): void {
  if (fd !== undefined) libc.close(fd);
}

/** Opens a monitor: `for await (const e of await monitor(['link', 'address'])) ...`. */
export function monitor(groups: readonly (MonitorGroup | number)[] | MonitorGroup, options: Omit<MonitorOptions, 'groups'> = {}): Promise<Monitor> {
  return Monitor.open({ ...options, groups });
}
