/**
 * One request in flight: its deadline, the replies so far, how to settle it. A class with methods
 * rather than an object of closures: a sequential request's bookkeeping is a measurable part of its
 * cost (S3 in docs/benchmarks.md).
 */
// The module's binding, not the global: that one is a lazy accessor, a getter call on every use.
import { performance } from 'node:perf_hooks';
import type { NetlinkMessage, OutgoingMessage } from '../codec/message.js';
import type { AttrSelection } from '../codec/types.js';
import type { BatchWindow } from './batch.js';
import { asSent } from './refusal.js';

/**
 * Turns one dump reply into a result; `bytes` is a private copy of its datagram, `offset` where it
 * starts. In a 'frame' dump `msg` holds the nlmsghdr fields only, in an object reused for the next
 * reply: read it, do not keep it.
 */
export type DumpMapper<T> = (msg: NetlinkMessage, bytes: Uint8Array, offset: number) => T | undefined;

/**
 * What a dump decodes of each reply before `map` gets it: everything (true), the attributes of a
 * selection, or ('frame', lazy records) only the nlmsghdr fields, `map` reading the rest itself.
 */
export type DumpSelection = true | AttrSelection | 'frame';

/** Where a Pending is registered (InFlight): takes it off when it settles. */
export interface PendingOwner {
  /** False if it was not there (settled already). */
  forget(p: Pending): boolean;
}

export class Pending {
  deadline: number;
  attempts = 1;
  interrupted = false;
  /** batch(): the window this entry stands for (see BatchWindow), and what to call when it is settled. */
  win: BatchWindow | undefined = undefined;
  windowDone: (() => void) | undefined = undefined;
  /** Replies so far: decoded messages, or what `map` made of them. */
  messages: NetlinkMessage[] = [];
  /** Dumps only: turns each reply into its result as it arrives (undefined drops it). */
  map: DumpMapper<unknown> | undefined = undefined;
  /** What `map` threw; the dump is read to its end, then rejected with it. */
  mapError: Error | undefined = undefined;
  /** Which attributes of replies to decode: all, none (requestHeaders) or a selection (dumpMap). */
  attrs: boolean | AttrSelection | 'frame' = true;
  /** start(): the promise's functions and the abort listener, detached when settled. */
  ok: ((messages: NetlinkMessage[]) => void) | undefined = undefined;
  fail: ((err: Error) => void) | undefined = undefined;
  signal: AbortSignal | undefined = undefined;

  constructor(
    private readonly owner: PendingOwner,
    public seq: number,
    readonly timeoutMs: number,
    readonly operation: string,
    /** The caller's message, and the nlmsg flags it went out with (the request in errors). */
    readonly msg: OutgoingMessage,
    readonly flags: number,
    public bytes: Uint8Array,
    readonly dump: boolean,
  ) {
    this.deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
  }

  /** The request as sent, for errors: built only when one needs it. */
  get request(): OutgoingMessage {
    return asSent(this.msg, this.flags, this.seq);
  }

  resolve(messages: NetlinkMessage[]): void {
    if (this.owner.forget(this)) this.done(true, messages);
  }

  reject(err: Error): void {
    if (this.owner.forget(this)) this.done(false, err);
  }

  /** For AbortSignal listeners: `this` is the Pending. */
  handleEvent(): void {
    this.reject(this.signal!.reason ?? new Error('aborted'));
  }

  /** An interrupted dump starts over under a new sequence number, with a fresh deadline. */
  restart(seq: number): void {
    this.seq = seq;
    this.attempts++;
    this.interrupted = false;
    this.messages = [];
    if (this.timeoutMs > 0) this.deadline = performance.now() + this.timeoutMs;
  }

  private done(ok: boolean, value: NetlinkMessage[] | Error): void {
    if (this.win) {
      this.win.settleRest(ok ? (value as NetlinkMessage[]) : undefined, ok ? undefined : (value as Error));
      return this.windowDone!();
    }
    if (this.signal) this.signal.removeEventListener('abort', this);
    if (ok) this.ok!(value as NetlinkMessage[]);
    else this.fail!(value as Error);
  }
}
