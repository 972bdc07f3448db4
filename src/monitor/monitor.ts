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
import { NETLINK_NETFILTER } from '../../protocol/nfnetlink.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import { EventSocket } from './event-socket.js';
import type { MonitorEvent, MonitorEvents, ObjectEvent, OverrunReason, RouteScope } from './events.js';
import { fanOut, fanOutObject, sameScope, untilEvent } from './fan-out.js';
import { type DumpPlan, type EventKind, type MonitorGroup, type ObjectKind, OBJECT_KINDS, dumpPlan, wantsNftables } from './groups.js';
import type { NftChannel } from './nft-channel.js';
import { type IterateOptions, iterateEvents } from './iterate.js';
import { DEFAULT_RECEIVE_BUFFER, EVENT_PACE_MS, type MonitorOptions, checkMonitorOptions, normalizeGroups } from './options.js';
import { MonitorRequests, closeFd } from './requests.js';
import { Resync } from './resync.js';
import { defaultNetnsSocketFactory } from './sockets.js';

export { DEFAULT_RECEIVE_BUFFER, type MonitorOptions, checkMonitorOptions } from './options.js';
export type { MonitorEvents } from './events.js';

const log = createDebug('netlink:monitor');

/** The nftables channel's module (with nf_tables' specs and nft's JSON), loaded by open() for 'nftables' only. */
type NftModule = typeof import('./nft-channel.js');
let nftModule: NftModule | undefined;
async function loadNft(): Promise<NftModule> {
  return (nftModule ??= await import('./nft-channel.js'));
}
/** How open() hands the loaded module to the constructor (not an option anyone else can pass). */
const NFT_MODULE = Symbol('nftModule');

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
  /** Group 'nftables': its own socket, cache and resyncs. */
  private readonly nft: NftChannel | undefined;
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
    const nftModuleNow = wantsNftables(options.groups) ? (options as { [NFT_MODULE]?: NftModule })[NFT_MODULE] : undefined;
    if (wantsNftables(options.groups) && nftModuleNow === undefined) {
      throw new InvalidArgumentError('groups', 'nftables', 'new Monitor() cannot load the nftables decoder: use await Monitor.open()');
    }
    this.options = options;
    this.netns = options.netns;
    this.groups = normalizeGroups(options.groups);
    this.plan = dumpPlan(this.groups);
    const codec = rtnetlinkCodec();
    const transport =
      options.transport ??
      new NetlinkSocket({ receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER, recoverOverrun: true, paceMs: EVENT_PACE_MS });
    this.requests = new MonitorRequests(options.requests, codec);
    this.socket = new EventSocket(transport, codec, this.netns, options.objects === 'slim', this.stats, {
      event: (e) => {
        if (!this.resyncs.holding) return this.emitObject(e);
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
    this.socket.prepare(this.plan.kinds);
    this.socket.open(this.groups, options.keepAlive !== false);
    this.nft = nftModuleNow && this.openNft(nftModuleNow, options);
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(() => this.close());
      else options.signal.addEventListener('abort', this.abortHandler, { once: true });
    }
    if (options.initialDump) this.resyncs.request(this.plan.kinds, true);
    log('monitor %s: groups %o', this.netns ?? '(current)', this.groups);
  }

  /**
   * Opens a monitor, in a named namespace when options.netns is set: its sockets are created there
   * by options.sockets (one call for the event and the request socket, and for 'nftables' its two
   * NETLINK_NETFILTER sockets).
   */
  static async open(opts?: MonitorOptions): Promise<Monitor> {
    const checked = checkMonitorOptions(opts); // before the namespace's sockets are made
    const nft = wantsNftables(checked.groups) ? await loadNft() : undefined;
    const options = (nft ? { ...checked, [NFT_MODULE]: nft } : checked) as MonitorOptions;
    if (options.netns === undefined || options.transport) return new Monitor(options);
    const factory = options.sockets ?? (await defaultNetnsSocketFactory());
    const wantRequests = options.requests === undefined;
    const nftEvents = nft !== undefined && options.nftTransport === undefined;
    const nftRequests = nft !== undefined && options.nftRequests === undefined;
    const more = [...(nftEvents ? [NETLINK_NETFILTER] : []), ...(nftRequests ? [NETLINK_NETFILTER] : [])];
    const fds = await factory(options.netns, wantRequests ? 2 : 1, more);
    // Each fd is closed on failure, or its transport once it has one.
    const release: (() => void)[] = fds.map((fd) => () => closeFd(fd));
    try {
      const asked = (wantRequests ? 2 : 1) + more.length;
      if (fds.length !== asked) {
        throw new Error(`the socket factory gave ${fds.length} sockets where ${asked} were asked for (NETLINK_NETFILTER ones for 'nftables')`);
      }
      const transport = new NetlinkSocket({
        fd: fds[0]!,
        receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER,
        recoverOverrun: true,
        paceMs: EVENT_PACE_MS,
      });
      release[0] = () => transport.close();
      const requestFd = fds[1];
      const requests = wantRequests
        ? () => new Connection(new NetlinkSocket({ fd: requestFd!, receiveBuffer: DEFAULT_RECEIVE_BUFFER }), rtnetlinkCodec())
        : options.requests;
      let at = wantRequests ? 2 : 1;
      let nftTransport = options.nftTransport;
      if (nftEvents) {
        const t = nft.nftEventSocket(fds[at]!, options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER);
        release[at++] = () => t.close();
        nftTransport = t;
      }
      const m = new Monitor({ ...options, transport, ...(requests && { requests }), ...(nftTransport && { nftTransport }) });
      if (wantRequests) m.requests.own(requestFd!);
      if (nftRequests) m.nft!.own(fds[at]!);
      return m;
    } catch (err) {
      for (const r of release) r();
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The kinds a resync dumps for this monitor's groups. */
  get kinds(): EventKind[] {
    const kinds: EventKind[] = OBJECT_KINDS.filter((k) => this.plan.kinds.has(k));
    if (this.nft) kinds.push('nftables');
    return kinds;
  }

  /** True while a resync dump runs (object events are held back until it ends). */
  get resyncing(): boolean {
    return this.resyncs.running || this.nft?.resyncing === true;
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
  resync(kinds: readonly EventKind[] = this.kinds): Promise<void> {
    const wanted = kinds.filter((k): k is ObjectKind => k !== 'nftables' && this.plan.kinds.has(k));
    const nft = this.nft;
    if (this.isClosed) return Promise.resolve();
    const waits: Promise<void>[] = [];
    if (wanted.length > 0) {
      const covers = (e: MonitorEvent) => e.type === 'resync' && wanted.every((k) => e.kinds.includes(k));
      waits.push(untilEvent(this, covers, () => this.resyncs.request(wanted)));
    }
    if (nft && kinds.includes('nftables')) {
      const covers = (e: MonitorEvent) => e.type === 'resync' && e.kinds.includes('nftables');
      waits.push(untilEvent(this, covers, () => nft.resync()));
    }
    return Promise.all(waits).then(() => undefined);
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
    this.overrun('consumer', undefined, 'all');
  }

  /** Leaves the groups and closes both sockets. Iterations end. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.options.signal?.removeEventListener('abort', this.abortHandler);
    this.resyncs.close();
    this.socket.close();
    this.nft?.close();
    this.requests.close();
    log('monitor %s closed', this.netns ?? '(current)');
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------

  /** Events were lost on the rtnetlink socket, the nftables one (which repairs itself), or by a consumer of all. */
  private overrun(reason: OverrunReason, error?: Error, on: 'rtnetlink' | 'nftables' | 'all' = 'rtnetlink'): void {
    if (this.isClosed) return;
    this.stats.overruns++;
    const kinds: EventKind[] = on === 'nftables' ? ['nftables'] : on === 'all' ? this.kinds : OBJECT_KINDS.filter((k) => this.plan.kinds.has(k));
    log('monitor %s: overrun (%s) of %o', this.netns ?? '(current)', reason, kinds);
    if (on !== 'nftables') this.resyncs.overrun();
    this.emitEvent({ type: 'overrun', netns: this.netns, reason, kinds, ...(error && { error }) });
    if (on === 'nftables') return;
    // Lost in the kernel: what the socket still holds predates the loss.
    if (reason === 'enobufs' || reason === 'overrun') this.socket.fence.start();
    if (this.options.resync !== false) this.resyncs.request(this.plan.kinds);
    if (on === 'all') this.nft?.repair(reason);
  }

  /** Group 'nftables': its socket (given, or made here) joins; its first dump (nft's cache) starts. */
  private openNft(mod: NftModule, options: MonitorOptions): NftChannel {
    const transport = options.nftTransport ?? mod.nftEventSocket(undefined, options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER);
    const host = {
      netns: this.netns,
      stats: this.stats,
      emitEvent: (e: MonitorEvent) => this.emitEvent(e),
      overrun: (reason: OverrunReason, error?: Error) => this.overrun(reason, error, 'nftables'),
      error: (error: Error) => this.emitEvent({ type: 'error', netns: this.netns, error }),
      lost: () => {
        this.emitEvent({ type: 'error', netns: this.netns, error: new Error('nftables monitor socket closed unexpectedly') });
        this.close();
      },
    };
    const { retryDelayMs, dumpLimiter, maxQueued, nftRequests } = options;
    const channel = new mod.NftChannel(transport, host, {
      resync: options.resync !== false,
      initialDump: options.initialDump === true,
      keepAlive: options.keepAlive !== false,
      ...(nftRequests !== undefined && { requests: nftRequests }),
      ...(retryDelayMs !== undefined && { retryDelayMs }),
      ...(dumpLimiter !== undefined && { dumpLimiter }),
      ...(maxQueued !== undefined && { maxQueued }),
    });
    try {
      channel.open();
    } catch (err) {
      this.socket.close();
      throw err;
    }
    return channel;
  }

  private emitEvent(e: MonitorEvent): void {
    this.forward?.(e);
    fanOut(this, e);
  }

  /** emitEvent for an object event from the socket (fan-out.ts says why apart). */
  private emitObject(e: ObjectEvent): void {
    this.forward?.(e);
    fanOutObject(this, e);
  }
}

/** Opens a monitor: `for await (const e of await monitor(['link', 'address'])) ...`. */
export function monitor(groups: readonly (MonitorGroup | number)[] | MonitorGroup, options: Omit<MonitorOptions, 'groups'> = {}): Promise<Monitor> {
  return Monitor.open({ ...options, groups });
}
