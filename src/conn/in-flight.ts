/**
 * The requests in flight on a connection, by sequence number: the numbers they get, their
 * deadlines (one timer for all), and the transport's hold on the event loop while any is pending.
 */
// The module's binding, not the global: that one is a lazy accessor, a getter call on every use.
import { performance } from 'node:perf_hooks';
import type { Transport } from '../transport/types.js';
import { NetlinkTimeoutError } from './errors.js';
import type { Pending, PendingOwner } from './pending.js';

export class InFlight implements PendingOwner {
  private readonly pending = new Map<number, Pending>();
  /** The batch windows among `pending`: their earlier messages' seqs are not keys there. */
  private readonly windows = new Set<Pending>();
  private seq = 0;
  /** One timer for all deadlines (a timer per request costs more than the request in big batches). */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** The earliest deadline tracked since the last send, under no timer yet (see sent()). */
  private unarmed = Infinity;
  /** Whether the transport is ref'ed (undefined until the first updateRef). */
  private refed: boolean | undefined;
  /** An unref is scheduled for the next loop turn. */
  private unrefSoon = false;
  private closed = false;

  constructor(private readonly transport: Transport) {}

  get size(): number {
    return this.pending.size;
  }

  /** The request under `seq` (a batch window under its last message's). */
  get(seq: number): Pending | undefined {
    return this.pending.get(seq);
  }

  /** The entry an answer with `seq` belongs to: its request, or the batch window holding it. */
  find(seq: number): Pending | undefined {
    return this.pending.get(seq) ?? (this.windows.size > 0 ? this.windowOf(seq) : undefined);
  }

  /** Everything pending, as a list (settling an entry takes it off the table). */
  all(): Pending[] {
    return [...this.pending.values()];
  }

  nextSeq(): number {
    do {
      this.seq = (this.seq + 1) >>> 0;
    } while (this.seq === 0 || (this.windows.size > 0 ? this.seqInUse(this.seq) : this.pending.has(this.seq)));
    return this.seq;
  }

  /** `n` consecutive sequence numbers, none of them 0 or in use (only a wrap-around can collide). */
  reserveSeqs(n: number): number {
    let start = (this.seq + 1) >>> 0;
    if (this.pending.size === 0 && start !== 0 && start + n - 1 <= 0xffffffff) {
      // Nothing in flight (windows are pending entries too): no number can be in use.
      this.seq = start + n - 1;
      return start;
    }
    for (let k = 0; k < n; k++) {
      const s = start + k;
      if (s === 0 || s > 0xffffffff || this.seqInUse(s)) {
        start = s > 0xffffffff ? 1 : s + 1;
        k = -1;
      }
    }
    this.seq = start + n - 1;
    return start;
  }

  /** A request about to be sent; its timer and the hold on the event loop wait for sent(). */
  track(p: Pending): void {
    if (p.deadline < this.unarmed) this.unarmed = p.deadline;
    this.pending.set(p.seq, p);
    if (p.win) this.windows.add(p);
  }

  /**
   * After a send: the timer and the hold on the event loop, for what is still pending then. A
   * request answered within its own send (its reply read right after it, docs/architecture.md)
   * needs neither, so none is armed or taken for it: a process's first setTimeout alone costs
   * ~0.3 ms, and sequential requests ref and unref nothing.
   */
  sent(): void {
    const at = this.unarmed;
    this.unarmed = Infinity;
    if (this.pending.size === 0 || this.closed) return;
    if (at < this.timerAt) this.armTimer(at);
    if (!this.refed) this.updateRef();
  }

  /** Takes a request off the table; false if it was not there (settled already). */
  forget(p: Pending): boolean {
    if (this.pending.get(p.seq) !== p) return false;
    this.pending.delete(p.seq);
    if (this.windows.size > 0) this.windows.delete(p);
    if (this.pending.size === 0) this.updateRef();
    return true;
  }

  /** An interrupted dump goes out again: under a new number, with a fresh deadline. */
  renumber(p: Pending): void {
    this.pending.delete(p.seq);
    p.restart(this.nextSeq());
    if (p.deadline < this.timerAt) this.armTimer(p.deadline);
    this.pending.set(p.seq, p);
  }

  /** The connection is closed: no timer, and the transport is not ref'ed again. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Keeps the event loop alive while anything is pending. Only on a change, and letting go one
   * loop turn late: sequential requests answered at once (read right after the send) would
   * otherwise ref and unref the transport once each.
   */
  updateRef(): void {
    if (this.pending.size > 0) {
      if (this.refed !== true) {
        this.refed = true;
        this.transport.ref?.();
      }
      return;
    }
    if (this.refed === undefined) {
      this.refed = false;
      this.transport.unref?.();
      return;
    }
    if (this.refed === false || this.unrefSoon) return;
    this.unrefSoon = true;
    setImmediate(() => {
      this.unrefSoon = false;
      if (this.pending.size > 0 || this.refed === false || this.closed) return;
      this.refed = false;
      this.transport.unref?.();
    });
  }

  private seqInUse(seq: number): boolean {
    if (this.pending.has(seq)) return true;
    if (this.windows.size > 0) for (const w of this.windows) if (w.win!.slotOf(seq) >= 0) return true;
    return false;
  }

  private windowOf(seq: number): Pending | undefined {
    for (const w of this.windows) if (w.win!.slotOf(seq) >= 0) return w;
    return undefined;
  }

  private armTimer(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - performance.now()) + 1);
    this.timer.unref();
  }

  /** Rejects requests past their deadline and re-arms for the next one. */
  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const p of this.all()) {
      if (p.deadline <= now) p.reject(new NetlinkTimeoutError(p.operation, p.timeoutMs));
      else if (p.deadline < next) next = p.deadline;
    }
    if (next < Infinity) this.armTimer(next);
  }
}
