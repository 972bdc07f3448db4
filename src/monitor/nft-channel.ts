/**
 * A monitor's nftables changes (group 'nftables'): a NETLINK_NETFILTER socket of the monitor's
 * namespace joined to NFNLGRP_NFTABLES, with the rtnetlink groups' guarantees. Every loss (ENOBUFS,
 * a truncated datagram, NLMSG_OVERRUN, an undecodable change, a consumer too far behind) is an
 * 'overrun'; the socket keeps working; what it still holds from before the loss is discarded up to
 * a drain marker (drain-fence.ts); then the ruleset is dumped (one generation: ruleset-dump.ts) and
 * emitted as a 'resync' (`ruleset`, `genid`) while changes are held, and the held ones follow.
 *
 * Changes become `nft -j monitor`'s JSON (src/nft/monitor-json.ts), which needs nft's cache of the
 * tables' sets: it comes from a dump when the channel starts (emitted as a resync only with
 * initialDump) and follows the changes. The generation makes a resync exact: every change carries
 * its transaction's generation in nfgenmsg's res_id (the low 16 bits; NEWGEN the whole id), so the
 * changes of generations the dump already holds are dropped (or, after a dump nobody was shown,
 * passed on without touching the cache) and the first newer one ends the sorting.
 */
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { NETLINK_NETFILTER, NFNLGRP_NFTABLES } from '../../protocol/nfnetlink.js';
import createDebug from '../deps/debug.js';
import type { NetlinkMessage } from '../codec/message.js';
import { MessageWalk } from '../codec/walk.js';
import { datagramCtx } from '../conn/fast-path.js';
import { nftablesCodec } from '../nft/codec.js';
import { NftConnection } from '../nft/connection.js';
import { rulesetToJson } from '../nft/json/to-json.js';
import { NftMonitorState } from '../nft/monitor-json.js';
import type { NftRuleset } from '../nft/ruleset-dump.js';
import { genOf } from '../nft/transaction.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import * as libc from '../transport/system.js';
import type { Transport } from '../transport/types.js';
import { DrainFence } from './drain-fence.js';
import type { MonitorEvent, OverrunReason } from './events.js';
import type { DumpLimiter } from './limiter.js';

const log = createDebug('netlink:monitor');

/** nlmsg_type >> 8 of nf_tables messages (NFNL_SUBSYS_NFTABLES). */
const SUBSYS_NFTABLES = 10;

/** What the channel needs of its monitor. */
export interface NftChannelHost {
  readonly netns: string | undefined;
  readonly stats: { datagrams: number; events: number; discarded: number; resyncs: number };
  emitEvent(e: MonitorEvent): void;
  /** Reports a loss on this socket as an 'overrun' event (the channel repairs it itself). */
  overrun(reason: OverrunReason, error?: Error): void;
  /** A transport error that lost nothing. */
  error(err: Error): void;
  /** The socket closed although the channel was not closed. */
  lost(): void;
}

export interface NftChannelOptions {
  /** Emit a 'resync' after an overrun (else the cache is dumped again, silently). */
  resync: boolean;
  /** Emit the first dump as a 'resync' (initial: true). */
  initialDump: boolean;
  keepAlive: boolean;
  /** The connection for the dumps, as the caller gives it; undefined: one opened here on first use. */
  requests?: NftConnection | (() => NftConnection | Promise<NftConnection>);
  retryDelayMs?: number;
  dumpLimiter?: DumpLimiter;
  maxQueued?: number;
}

/** The event socket of a channel: over `fd` (made in the monitor's namespace), or a new one here. */
export function nftEventSocket(fd: number | undefined, receiveBuffer: number): NetlinkSocket {
  return new NetlinkSocket({ ...(fd !== undefined && { fd }), protocol: NETLINK_NETFILTER, receiveBuffer, recoverOverrun: true });
}

/**
 * Is `m` of a later generation than `genid`? NEWGEN says its id; a change's nfgenmsg res_id is its
 * transaction's generation, low 16 bits (exact unless 32,768 commits come while one dump runs).
 */
function newer(m: NetlinkMessage, genid: number): boolean {
  if (m.kind === 'newgen') return (((genOf(m) ?? 0) - genid) | 0) > 0;
  const res = (m.header as { resId?: number } | undefined)?.resId ?? 0;
  return (((res - genid) & 0xffff) << 16) >> 16 > 0;
}

export class NftChannel {
  readonly fence: DrainFence;
  private readonly codec = nftablesCodec();
  /** nft's cache, from the latest dump and the changes since. */
  private state: NftMonitorState | undefined;
  private conn: Promise<NftConnection> | undefined;
  private provider: () => NftConnection | Promise<NftConnection>;
  /** The connection is the channel's to close (it made it). */
  private ownsRequests: boolean;
  /** A request fd made for this channel and not used yet (closed with it). */
  private spareFd: number | undefined;
  private closed = false;

  /** Changes are held: a dump is pending or running. */
  private holding = true;
  private held: NetlinkMessage[] = [];
  private wanted = false;
  /** The pending dump is shown as a 'resync' (else it only renews the cache). */
  private show = false;
  private initial: boolean;
  private looping = false;
  /** Incremented on every overrun: a dump that started before one is stale. */
  private overrunGen = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  /** After a dump at this generation, until a newer change: changes are sorted by generation. */
  private after: number | undefined;
  /** That dump was shown: changes it holds are dropped (else passed on, cache untouched). */
  private afterShown = false;

  constructor(
    private readonly transport: Transport,
    private readonly host: NftChannelHost,
    private readonly options: NftChannelOptions,
  ) {
    const marker = (seq: number) => transport.send(this.codec.encode({ kind: NLMSG.NOOP, flags: NLM_F.REQUEST | NLM_F.ACK, seq }));
    this.fence = new DrainFence(marker, `${host.netns ?? '(current)'} nftables`);
    this.initial = options.initialDump;
    const given = options.requests;
    this.ownsRequests = given === undefined;
    this.provider = given === undefined ? () => NftConnection.open() : typeof given === 'function' ? given : () => given;
  }

  /** The dumps go over `fd`, a NETLINK_NETFILTER socket made for this channel: it is the channel's to close, used or not. */
  own(fd: number): void {
    this.ownsRequests = true;
    this.spareFd = fd;
    this.provider = () => new NftConnection(new NetlinkSocket({ fd, protocol: NETLINK_NETFILTER, receiveBuffer: 1 << 20 }));
  }

  /** Joins NFNLGRP_NFTABLES (closes the transport when that fails), then dumps the cache. */
  open(): void {
    this.transport.start({
      datagram: (d) => this.onDatagram(d),
      error: (e) => this.onError(e),
      closed: () => {
        if (!this.closed) this.host.lost();
      },
    });
    try {
      if (!this.transport.addMembership) throw new Error('this transport cannot join multicast groups');
      this.transport.addMembership(NFNLGRP_NFTABLES);
    } catch (err) {
      this.transport.close();
      throw err;
    }
    if (this.options.keepAlive) this.transport.ref?.();
    else this.transport.unref?.();
    this.request(this.options.initialDump);
  }

  /** True while a dump runs (changes are held back until it ends). */
  get resyncing(): boolean {
    return this.looping;
  }

  /** Dumps the ruleset and emits it as a 'resync' event. */
  resync(): void {
    this.request(true);
  }

  /** Events were lost (here, or by a consumer): discard what predates it, then dump again. */
  repair(reason: OverrunReason): void {
    if (this.closed) return;
    this.overrunGen++;
    this.held = [];
    this.after = undefined;
    if (reason === 'enobufs' || reason === 'overrun') this.fence.start();
    this.request(this.options.resync);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.held = [];
    this.fence.close();
    this.transport.close();
    if (this.spareFd !== undefined) libc.close(this.spareFd);
    this.spareFd = undefined;
    if (this.ownsRequests)
      this.conn?.then(
        (c) => c.close(),
        () => undefined,
      );
  }

  // -------------------------------------------------------------------------------------------
  // The socket

  private onDatagram(d: Uint8Array): void {
    if (this.closed) return;
    this.host.stats.datagrams++;
    const ctx = datagramCtx(d);
    const base = d.byteOffset - ctx.bytes.byteOffset;
    const m = new MessageWalk(ctx.view, base, base + d.length);
    for (;;) {
      try {
        if (!m.next()) return;
      } catch (err) {
        // read() cannot report MSG_TRUNC: a message running past its datagram was cut short.
        this.overrun('truncated', new Error(`truncated datagram of ${d.length} bytes: ${(err as Error).message}`));
        return;
      }
      const type = m.type;
      const change = type >> 8 === SUBSYS_NFTABLES;
      if (this.fence.draining) {
        if (change) this.host.stats.discarded++;
        else if (type === NLMSG.ERROR) this.fence.answered(m.seq);
      } else if (change) {
        let msg: NetlinkMessage;
        try {
          msg = this.codec.decodeFrame(ctx, m.at, m.end, true);
        } catch (err) {
          this.overrun('decode', err as Error);
          continue;
        }
        if (msg.kind === undefined || msg.kind === 'trace') continue; // a message type nft does not print
        this.receive(msg);
      } else if (type === NLMSG.OVERRUN) {
        this.overrun('overrun');
      }
    }
  }

  private onError(err: Error & { code?: string }): void {
    if (this.closed) return;
    if (err.code === 'ENOBUFS') this.overrun('enobufs', err);
    else this.host.error(err);
  }

  private overrun(reason: OverrunReason, error?: Error): void {
    if (this.closed) return;
    this.host.overrun(reason, error);
    this.repair(reason);
  }

  // -------------------------------------------------------------------------------------------
  // Changes: held during a dump, grouped by transaction after one, then converted and emitted

  private receive(m: NetlinkMessage): void {
    if (!this.holding) return this.process(m);
    this.held.push(m);
    // A dump that cannot keep up is itself an overrun (bounded memory).
    if (this.held.length > (this.options.maxQueued ?? 100_000)) this.overrun('consumer');
  }

  private process(m: NetlinkMessage): void {
    if (this.after !== undefined) {
      if (!newer(m, this.after)) {
        // Of a generation the dump holds.
        if (this.afterShown) this.host.stats.discarded++;
        else this.emitChange(m, false);
        return;
      }
      this.after = undefined; // what follows is newer still
    }
    this.emitChange(m, true);
  }

  /** `apply` false: a change of the dumped generation, passed on as it is. */
  private emitChange(m: NetlinkMessage, apply: boolean): void {
    const netns = this.host.netns;
    if (m.kind === 'newgen') {
      const a = (m.attrs ?? {}) as { procPid?: number; procName?: string };
      const genid = genOf(m) ?? 0;
      const by = { ...(a.procPid !== undefined && { pid: a.procPid }), ...(a.procName !== undefined && { process: a.procName }) };
      this.host.emitEvent({ type: 'generation', netns, genid, ...by });
      return;
    }
    let object: ReturnType<NftMonitorState['event']>;
    try {
      object = this.state!.event(m, apply);
    } catch (err) {
      this.overrun('decode', err as Error);
      return;
    }
    if (object === undefined) return;
    this.host.stats.events++;
    this.host.emitEvent({ type: 'delete' in object ? 'del' : 'new', kind: 'nftables', netns, object, raw: m });
  }

  // -------------------------------------------------------------------------------------------
  // Dumps

  private request(show: boolean): void {
    if (this.closed) return;
    this.wanted = true;
    this.show ||= show;
    this.holding = true;
    if (!this.looping) {
      this.looping = true;
      void this.loop();
    }
  }

  private async loop(): Promise<void> {
    let delay = this.options.retryDelayMs ?? 100;
    try {
      while (this.wanted && !this.closed) {
        if (this.fence.draining) await this.fence.wait();
        if (this.closed) return;
        const gen = this.overrunGen;
        const show = this.show;
        this.wanted = false;
        this.show = false;
        let ruleset: NftRuleset;
        try {
          const limiter = this.options.dumpLimiter;
          ruleset = await (limiter ? limiter.run(() => this.dump()) : this.dump());
        } catch (err) {
          if (this.closed) return;
          this.wanted = true;
          this.show ||= show;
          await this.backOff(err as Error, delay);
          delay = Math.min(delay * 2, 5000);
          continue;
        }
        if (this.closed) return;
        delay = this.options.retryDelayMs ?? 100;
        if (gen !== this.overrunGen || this.fence.draining) {
          // Events were lost during the dump: it may miss them. Dump again.
          this.wanted = true;
          this.show ||= show;
          continue;
        }
        this.release(ruleset, show);
      }
    } finally {
      this.looping = false;
    }
  }

  private async dump(): Promise<NftRuleset> {
    if (this.closed) throw new Error('closed');
    return (await this.connection()).ruleset();
  }

  /** The dump becomes the cache (and a 'resync' when shown); the held changes follow, through the generation filter. */
  private release(ruleset: NftRuleset, show: boolean): void {
    this.state = new NftMonitorState(ruleset);
    this.after = ruleset.genid;
    this.afterShown = show;
    const held = this.held;
    this.held = [];
    if (!this.wanted) this.holding = false;
    if (show) {
      this.host.stats.resyncs++;
      const initial = this.initial;
      this.initial = false;
      log('monitor %s: nftables resync at generation %d', this.host.netns ?? '(current)', ruleset.genid);
      const doc = rulesetToJson(ruleset);
      this.host.emitEvent({ type: 'resync', netns: this.host.netns, initial, kinds: ['nftables'], ruleset: doc, genid: ruleset.genid });
    }
    const gen = this.overrunGen;
    for (const m of held) {
      if (gen !== this.overrunGen || this.closed) return; // an overrun meanwhile: its resync covers the rest
      if (this.holding) this.held.push(m);
      else this.process(m);
    }
  }

  private connection(): Promise<NftConnection> {
    if (!this.conn) {
      // On a later turn: own() may still come, right after the constructor.
      const p = Promise.resolve().then(() => {
        this.spareFd = undefined; // the provider uses it
        return this.provider();
      });
      this.conn = p;
      p.catch(() => {
        if (this.conn === p) this.conn = undefined;
      });
    }
    return this.conn;
  }

  private async backOff(err: Error, delay: number): Promise<void> {
    log('monitor %s: nftables resync failed: %s (retry in %d ms)', this.host.netns ?? '(current)', err.message, delay);
    this.host.emitEvent({ type: 'error', netns: this.host.netns, error: err });
    await new Promise<void>((res) => {
      this.retryTimer = setTimeout(res, delay);
      this.retryTimer.unref?.();
    });
    this.retryTimer = undefined;
  }
}
