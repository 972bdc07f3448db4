/**
 * A monitor's event socket: joins the multicast groups, decodes each event into the API's object
 * (or its slim form), and turns every way of losing events into an overrun for the Monitor to
 * repair: ENOBUFS, a truncated datagram, NLMSG_OVERRUN, an undecodable event. After a kernel
 * overrun, the events still queued are discarded up to a drain marker's ACK (drain-fence.ts).
 */
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import type { ProtocolCodec } from '../codec/message.js';
import { MessageWalk } from '../codec/walk.js';
import { datagramCtx } from '../conn/fast-path.js';
import type { Transport } from '../transport/types.js';
import { slimObject } from './compact.js';
import { DrainFence } from './drain-fence.js';
import { EVENT_TYPES, type ObjectEvent, type OverrunReason } from './events.js';
import type { ObjectKind } from './groups.js';

/** Where the socket's events and troubles go (the Monitor). */
export interface EventSocketSink {
  event(e: ObjectEvent): void;
  overrun(reason: OverrunReason, error?: Error): void;
  /** A transport error that lost nothing (anything but ENOBUFS). */
  error(err: Error): void;
  /** The transport closed although the socket was not closed. */
  lost(): void;
}

/** What the socket counts (MonitorStats). */
export interface EventSocketStats {
  datagrams: number;
  events: number;
  discarded: number;
}

export class EventSocket {
  readonly fence: DrainFence;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly codec: ProtocolCodec,
    private readonly netns: string | undefined,
    /** Objects in the slim form (compact.ts) instead of the API's. */
    private readonly slim: boolean,
    private readonly stats: EventSocketStats,
    private readonly sink: EventSocketSink,
  ) {
    const marker = (seq: number) => transport.send(codec.encode({ kind: NLMSG.NOOP, flags: NLM_F.REQUEST | NLM_F.ACK, seq }));
    this.fence = new DrainFence(marker, netns ?? '(current)');
  }

  /** Starts reading and joins `groups`; closes the transport when joining fails. */
  open(groups: readonly number[], keepAlive: boolean): void {
    this.transport.start({
      datagram: (d) => this.onDatagram(d),
      error: (e) => this.onError(e),
      closed: () => {
        if (!this.closed) this.sink.lost();
      },
    });
    try {
      for (const grp of groups) this.transport.addMembership?.(grp);
    } catch (err) {
      this.transport.close();
      throw err;
    }
    if (keepAlive) this.transport.ref?.();
    else this.transport.unref?.();
  }

  /**
   * Resolves the codec's entries for the event types of `kinds` now. Resolved on first use instead,
   * the first event of a second type (the first delete after a run of adds) reached decodeFrame's
   * optimised code without feedback for that path, which V8 then threw away and compiled again.
   */
  prepare(kinds: ReadonlySet<ObjectKind>): void {
    for (const [type, entry] of EVENT_TYPES) if (kinds.has(entry.kind)) this.codec.messageByType(type);
  }

  close(): void {
    this.closed = true;
    this.fence.close();
    this.transport.close();
  }

  private onDatagram(d: Uint8Array): void {
    if (this.closed) return;
    this.stats.datagrams++;
    const ctx = datagramCtx(d);
    // Positions in ctx are base + positions in d.
    const base = d.byteOffset - ctx.bytes.byteOffset;
    const view = ctx.view;
    const m = new MessageWalk(view, base, base + d.length);
    for (;;) {
      try {
        if (!m.next()) return;
      } catch (err) {
        // read() cannot report MSG_TRUNC: a message running past its datagram was cut short.
        this.sink.overrun('truncated', new Error(`truncated datagram of ${d.length} bytes: ${(err as Error).message}`));
        return;
      }
      const type = m.type;
      const entry = EVENT_TYPES.get(type);
      if (this.fence.draining) {
        if (entry) this.stats.discarded++;
        else if (type === NLMSG.ERROR) this.fence.answered(m.seq);
      } else if (entry) {
        const at = m.at;
        const end = m.end;
        let object: unknown;
        try {
          const msg = this.codec.decodeFrame(ctx, at, end, entry.select ?? true);
          // A selected message is only part of it: a full object keeps the bytes for `raw` (the
          // datagram is a shared buffer), a slim one only the envelope, which the header holds.
          object = entry.select === undefined || this.slim ? entry.convert(msg) : entry.convert(msg, ctx.bytes.slice(at, end), 0);
          if (this.slim) object = slimObject(entry.kind, object);
        } catch (err) {
          this.sink.overrun('decode', err as Error);
          continue;
        }
        this.stats.events++;
        this.sink.event({ type: entry.type, kind: entry.kind, netns: this.netns, object } as ObjectEvent);
      } else if (type === NLMSG.OVERRUN) {
        this.sink.overrun('overrun');
      }
    }
  }

  private onError(err: Error & { code?: string }): void {
    if (this.closed) return;
    if (err.code === 'ENOBUFS') this.sink.overrun('enobufs', err);
    else this.sink.error(err);
  }
}
