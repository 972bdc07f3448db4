/**
 * Overrun fencing. After a kernel overrun the event socket still holds events queued before the
 * loss; they must not be applied after the resync dump (their successors are lost). A marker
 * request (NLMSG_NOOP with NLM_F_ACK) on the event socket queues its ACK behind them: everything
 * read until that ACK is discarded, and the dump starts after it. While the socket is congested
 * the kernel drops that ACK too (without a new ENOBUFS), so markers are re-sent every 20 ms until
 * one comes back; any marker sent since the latest overrun will do.
 */
import createDebug from '../deps/debug.js';

const log = createDebug('netlink:monitor');

export class DrainFence {
  /** Events read now were queued before the loss: discard them (a field: read for every event). */
  draining = false;
  /** The latest marker sent; undefined when not draining. */
  private seq: number | undefined;
  /** The first marker sent after the latest overrun. */
  private from = 0;
  private tries = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private markerSeq = 0x6e6c0000;
  private closed = false;

  /** `send` sends the marker with this sequence number (throwing when it cannot); `label` names the monitor in logs. */
  constructor(
    private readonly send: (seq: number) => void,
    private readonly label: string,
  ) {}

  /** After an overrun: discard what is queued, up to a marker's ACK. */
  start(): void {
    this.tries = 0;
    this.from = (this.markerSeq + 1) >>> 0 || 1;
    this.sendMarker();
  }

  /** An NLMSG_ERROR read while draining: the drain is over when it answers a marker. */
  answered(seq: number): void {
    if (this.isMarker(seq)) this.finish();
  }

  /** Resolves when the drain is over (or the fence closed). */
  wait(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.finish();
  }

  private sendMarker(): void {
    if (this.closed) return;
    if (++this.tries > 250) {
      log('monitor %s: no answer to the drain marker; resyncing without it', this.label);
      return this.finish();
    }
    const seq = (this.markerSeq = (this.markerSeq + 1) >>> 0 || 1);
    try {
      this.send(seq);
    } catch (err) {
      log('monitor %s: cannot send the drain marker: %s', this.label, (err as Error).message);
      return this.finish();
    }
    this.seq = seq;
    this.draining = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.seq === seq) this.sendMarker();
    }, 20);
    this.timer.unref?.();
  }

  /** A marker sent since the latest overrun (sequence numbers wrap). */
  private isMarker(seq: number): boolean {
    return this.seq !== undefined && (seq - this.from) >>> 0 <= (this.seq - this.from) >>> 0;
  }

  private finish(): void {
    this.seq = undefined;
    this.draining = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
