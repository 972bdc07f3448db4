/**
 * Request/response over a transport: sequence numbers, acknowledgements with extended ack,
 * multipart dumps, NLM_F_DUMP_INTR retries, timeouts, AbortSignal, pipelined batches.
 * Everything it knows about bytes comes from the ProtocolCodec; everything about I/O from the
 * Transport.
 */
// The module's binding, not the global: that one is a lazy accessor, a getter call on every use.
import { performance } from 'node:perf_hooks';
import createDebug from '../deps/debug.js';
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { ByteWriter, align4 } from '../codec/byte-writer.js';
import { slabCopy } from '../codec/slab-copy.js';
import { setU32 } from '../codec/template.js';
import { DecodeError } from '../codec/errors.js';
import { formatMessage } from '../codec/format.js';
import { type ErrorPayload, type NetlinkMessage, type OutgoingMessage, type ProtocolCodec, checkEncoded, makeCtx } from '../codec/message.js';
import type { AttrSelection, DecodeCtx } from '../codec/types.js';
import type { Transport } from '../transport/types.js';
import { ConnectionClosedError, DumpInterruptedError, NetlinkError, NetlinkTimeoutError } from './errors.js';

const logSend = createDebug('netlink:send');
const logRecv = createDebug('netlink:recv');
const logConn = createDebug('netlink:conn');

export interface ConnectionOptions {
  /** Per-request timeout unless a request says otherwise (default 30 s). 0 disables. */
  timeoutMs?: number;
  /** How many times a dump interrupted by concurrent changes is retried (default 5). */
  dumpRetries?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface BatchOptions extends RequestOptions {
  /** Requests in flight at once (default 128): bounded so ACKs never overrun the receive buffer. */
  window?: number;
}

/** Turns one dump reply into a result; `bytes` is a private copy of its datagram, `offset` where it starts. */
export type DumpMapper<T> = (msg: NetlinkMessage, bytes: Uint8Array, offset: number) => T | undefined;

export type BatchResult = { ok: true; messages: NetlinkMessage[] } | { ok: false; error: Error };

/**
 * One datagram of a batch. It is pending as one entry, under the sequence number of its last
 * message (the only one asking for an ACK): the kernel handles the messages in order and answers a
 * failing one even unasked, so the ACK settles every message that got no error. Messages get
 * consecutive sequence numbers; slot k is `firstSeq + k`, results[first + k] in the batch.
 */
class BatchWindow {
  /** Replies (other than errors) to messages before the last, by slot; rare (NLM_F_ECHO). */
  replies: NetlinkMessage[][] | undefined = undefined;

  constructor(
    readonly firstSeq: number,
    readonly count: number,
    readonly first: number,
    readonly msgs: readonly OutgoingMessage[],
    readonly results: BatchResult[],
    /** Where each slot's message starts in `datagram`; -1 when it failed to encode (not sent). */
    readonly offsets: Int32Array,
    readonly datagram: Uint8Array,
  ) {}

  slotOf(seq: number): number {
    const k = (seq - this.firstSeq) >>> 0;
    return k < this.count && this.offsets[k]! >= 0 ? k : -1;
  }

  /** The request of slot k as sent (for errors): the caller's message with its flags and seq. */
  request(k: number): OutgoingMessage {
    const m = this.msgs[this.first + k]!;
    const at = this.offsets[k]!;
    const view = new DataView(this.datagram.buffer, this.datagram.byteOffset + at);
    return asSent(m, view.getUint16(6, true), this.firstSeq + k);
  }

  bytes(k: number): Uint8Array {
    const at = this.offsets[k]!;
    const len = new DataView(this.datagram.buffer, this.datagram.byteOffset + at).getUint32(0, true);
    return this.datagram.subarray(at, at + len);
  }

  reply(k: number, msg: NetlinkMessage): void {
    ((this.replies ??= [])[k] ??= []).push(msg);
  }

  /** Every slot without a result yet gets `ok` (with its replies) or `error`. */
  settleRest(lastMessages: NetlinkMessage[] | undefined, error?: Error): void {
    const last = this.count - 1;
    for (let k = 0; k < this.count; k++) {
      const i = this.first + k;
      if (this.results[i] !== undefined) continue;
      if (error) this.results[i] = { ok: false, error };
      else this.results[i] = { ok: true, messages: (k === last ? lastMessages : this.replies?.[k]) ?? [] };
    }
  }
}

/**
 * One request in flight. A class with methods rather than an object of closures: a sequential
 * request's bookkeeping is a measurable part of its cost (S3 in docs/benchmarks.md).
 */
class Pending {
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
  attrs: boolean | AttrSelection = true;
  /** start(): the promise's functions and the abort listener, detached when settled. */
  ok: ((messages: NetlinkMessage[]) => void) | undefined = undefined;
  fail: ((err: Error) => void) | undefined = undefined;
  signal: AbortSignal | undefined = undefined;

  constructor(
    private readonly conn: Connection,
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
    if (this.conn.forget(this)) this.done(true, messages);
  }

  reject(err: Error): void {
    if (this.conn.forget(this)) this.done(false, err);
  }

  /** For AbortSignal listeners: `this` is the Pending. */
  handleEvent(): void {
    this.reject(this.signal!.reason ?? new Error('aborted'));
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

export class Connection {
  readonly transport: Transport;
  readonly codec: ProtocolCodec;
  private readonly timeoutMs: number;
  private readonly dumpRetries: number;
  private readonly pending = new Map<number, Pending>();
  /** The batch windows among `pending`: their earlier messages' seqs are not keys there. */
  private readonly windows = new Set<Pending>();
  private seq = 0;
  private dumpTail: Promise<unknown> = Promise.resolve();
  /** One timer for all deadlines (a timer per request costs more than the request in big batches). */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closedError: Error | undefined;
  /** Whether the transport is ref'ed (undefined until the first updateRef). */
  private refed: boolean | undefined;
  /** An unref is scheduled for the next loop turn. */
  private unrefSoon = false;
  /** Where single requests are encoded before their copy is taken. */
  private readonly scratch = new ByteWriter(1024);

  constructor(transport: Transport, codec: ProtocolCodec, options: ConnectionOptions = {}) {
    this.transport = transport;
    this.codec = codec;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dumpRetries = options.dumpRetries ?? 5;
    transport.start({
      datagram: (d) => this.onDatagram(d),
      error: (e) => this.failAll(e),
      closed: () => this.failAll(new ConnectionClosedError('netlink socket closed')),
      awaitingReplies: () => this.pending.size > 0,
    });
    this.updateRef();
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a request with NLM_F_ACK; resolves with the replies that preceded the ACK. */
  request(msg: OutgoingMessage, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.start(msg, (msg.flags ?? 0) | NLM_F.REQUEST | NLM_F.ACK, false, options);
  }

  /**
   * Like request(), but replies are decoded up to their fixed header only (no attributes): for
   * lookups that need no more, such as a link's index by name.
   */
  requestHeaders(msg: OutgoingMessage, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.start(msg, (msg.flags ?? 0) | NLM_F.REQUEST | NLM_F.ACK, false, options, undefined, false);
  }

  /**
   * Sends a dump request; resolves with every message of the (consistent) dump. The kernel runs
   * one dump per socket at a time (EBUSY otherwise), so dumps on a connection queue up.
   */
  dump(msg: OutgoingMessage, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.queueDump(msg, options);
  }

  /**
   * A dump whose replies are turned into results as each datagram arrives, so that only the
   * results live until the dump ends: the decoded messages of a 100k-route dump die young instead
   * of being kept (and promoted by the GC) until the last datagram. `map` gets the message and
   * a private copy of the datagram holding it with the message's offset there, for results that
   * decode the message again on demand. Returning undefined drops the message. With `select`,
   * `map` gets messages with only the attributes selected (the rest are skipped unread).
   */
  dumpMap<T>(msg: OutgoingMessage, map: DumpMapper<T>, options: RequestOptions = {}, select: true | AttrSelection = true): Promise<T[]> {
    return this.queueDump(msg, options, map, select) as Promise<unknown[]> as Promise<T[]>;
  }

  /** Starts a dump once the ones before it on this socket have ended. */
  private queueDump(msg: OutgoingMessage, options: RequestOptions, map?: DumpMapper<unknown>, select: true | AttrSelection = true): Promise<NetlinkMessage[]> {
    const run = () => this.start(msg, (msg.flags ?? 0) | NLM_F.REQUEST | NLM_F.DUMP, true, options, map, select);
    const p = this.dumpTail.then(run, run);
    this.dumpTail = p.then(settledQuietly, settledQuietly); // not p.catch(): that would keep the result alive
    return p;
  }

  /**
   * Pipelines many requests: up to `window` go out in one datagram. Only the last of each window
   * asks for an ACK; the kernel handles a datagram's messages in order and answers failures even
   * unasked, so that one ACK confirms every earlier message without an error. This saves the
   * kernel an ACK per message and us a read per ACK. Results come back in request order;
   * failures do not stop the rest.
   */
  async batch(msgs: readonly OutgoingMessage[], options: BatchOptions = {}): Promise<BatchResult[]> {
    const window = Math.max(1, options.window ?? 256);
    const results: BatchResult[] = new Array(msgs.length);
    const signal = options.signal;
    for (let first = 0; first < msgs.length; first += window) {
      if (this.closedError) throw this.closedError;
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const last = Math.min(msgs.length, first + window) - 1;
      const count = last - first + 1;
      const w = new ByteWriter(8192);
      const offsets = new Int32Array(count);
      const firstSeq = this.reserveSeqs(count);
      let lastK = -1;
      for (let k = 0; k < count; k++) {
        const m = msgs[first + k]!;
        const at = w.pos;
        try {
          this.codec.encode({ kind: m.kind, flags: (m.flags ?? 0) | NLM_F.REQUEST, seq: firstSeq + k, pid: m.pid ?? 0, header: m.header, attrs: m.attrs, payload: m.payload, encoded: m.encoded }, w);
          offsets[k] = at;
          lastK = k;
        } catch (err) {
          w.pos = at; // drop what the failed encode wrote: bad input is never sent
          offsets[k] = -1;
          results[first + k] = { ok: false, error: err as Error };
        }
      }
      if (lastK < 0) continue;
      // The last message that made it into the datagram asks for the window's ACK.
      const lastAt = offsets[lastK]!;
      const lastFlags = w.view.getUint16(lastAt + 6, true) | NLM_F.ACK;
      w.view.setUint16(lastAt + 6, lastFlags, true);
      const datagram = w.finish();
      const win = new BatchWindow(firstSeq, lastK + 1, first, msgs, results, offsets, datagram);
      const m = msgs[first + lastK]!;
      const p = new Pending(this, firstSeq + lastK, options.timeoutMs ?? this.timeoutMs, operationOf(m), m, lastFlags, win.bytes(lastK), false);
      p.win = win;
      // One promise per window, not per request: a big batch is mostly this bookkeeping otherwise.
      await new Promise<void>((windowDone) => {
        const onAbort = () => p.reject(signal!.reason ?? new Error('aborted'));
        p.windowDone = () => {
          signal?.removeEventListener('abort', onAbort);
          windowDone();
        };
        this.track(p);
        if (logSend.enabled) for (const msg of this.codec.decode(datagram, 'user')) logSend('%s', formatMessage(msg));
        signal?.addEventListener('abort', onAbort, { once: true });
        this.sendBytes(datagram, p);
      });
    }
    return results;
  }

  /** Rejects everything pending and closes the transport. */
  close(): void {
    if (this.closedError) return;
    this.failAll(new ConnectionClosedError());
    this.transport.close();
  }

  // -------------------------------------------------------------------------------------------

  private nextSeq(): number {
    do {
      this.seq = (this.seq + 1) >>> 0;
    } while (this.seq === 0 || (this.windows.size > 0 ? this.seqInUse(this.seq) : this.pending.has(this.seq)));
    return this.seq;
  }

  /** Registers a pending request and sends it. */
  private start(msg: OutgoingMessage, flags: number, dump: boolean, options: RequestOptions, map?: DumpMapper<unknown>, attrs: boolean | AttrSelection = true): Promise<NetlinkMessage[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    let p: Pending;
    try {
      // Encoding errors (bad input) surface before anything is sent. The request is encoded in the
      // shared scratch writer and kept as a copy (error reports point into it).
      const w = this.scratch;
      w.pos = 0;
      p = this.register(msg, flags, dump, options, w);
    } catch (err) {
      return Promise.reject(err);
    }
    if (map) p.map = map;
    if (attrs !== true) p.attrs = attrs;
    const promise = new Promise<NetlinkMessage[]>((resolve, reject) => {
      p.ok = resolve;
      p.fail = reject;
    });
    if (signal) {
      p.signal = signal;
      signal.addEventListener('abort', p, { once: true });
    }
    this.sendBytes(p.bytes, p);
    return promise;
  }

  /**
   * Encodes a request into `w` and registers it as pending, without sending. Throws EncodeError
   * for bad input (nothing registered). `bytes` is a copy of what was written.
   */
  private register(msg: OutgoingMessage, flags: number, dump: boolean, options: RequestOptions, w: ByteWriter): Pending {
    const seq = this.nextSeq();
    const enc = msg.encoded;
    let bytes: Uint8Array;
    if (enc !== undefined && (enc.length & 3) === 0) {
      // Prepared bytes (already aligned): checked, copied once and given this request's header
      // fields, with none of encode()'s steps. What is sent is what encode() would have made.
      checkEncoded(enc);
      bytes = slabCopy(enc);
      setHeaderFields(bytes, flags, seq, msg.pid ?? 0);
    } else bytes = slabCopy(this.codec.encode(asSent(msg, flags, seq), w));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const operation = operationOf(msg);
    const p = new Pending(this, seq, timeoutMs, operation, msg, flags, bytes, dump);
    this.track(p);
    if (logSend.enabled) logSend('%s', formatMessage(this.codec.decode(bytes, 'user')[0]!));
    return p;
  }

  private track(p: Pending): void {
    if (p.deadline < this.timerAt) this.armTimer(p.deadline);
    this.pending.set(p.seq, p);
    if (p.win) this.windows.add(p);
    if (!this.refed) this.updateRef();
  }

  /** `n` consecutive sequence numbers, none of them 0 or in use (only a wrap-around can collide). */
  private reserveSeqs(n: number): number {
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

  private seqInUse(seq: number): boolean {
    if (this.pending.has(seq)) return true;
    if (this.windows.size > 0) for (const w of this.windows) if (w.win!.slotOf(seq) >= 0) return true;
    return false;
  }

  /**
   * Takes a request off the pending list; false if it was not there (settled already).
   * @internal for Pending
   */
  forget(p: { seq: number }): boolean {
    if (this.pending.get(p.seq) !== p) return false;
    this.pending.delete(p.seq);
    if (this.windows.size > 0) this.windows.delete(p as Pending);
    if (this.pending.size === 0) this.updateRef();
    return true;
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
    for (const p of [...this.pending.values()]) {
      if (p.deadline <= now) p.reject(new NetlinkTimeoutError(p.operation, p.timeoutMs));
      else if (p.deadline < next) next = p.deadline;
    }
    if (next < Infinity) this.armTimer(next);
  }

  /** Sends; a failure rejects `p` (or everything waiting when no single request is named). */
  private sendBytes(bytes: Uint8Array, p?: Pending): boolean {
    try {
      this.transport.send(bytes);
      return true;
    } catch (err) {
      if (p) p.reject(err as Error);
      else this.failAll(err as Error);
      return false;
    }
  }

  /**
   * Keeps the event loop alive while anything is pending. Only on a change, and letting go one
   * loop turn late: sequential requests answered at once (read right after the send) would
   * otherwise ref and unref the transport once each.
   */
  private updateRef(): void {
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
      if (this.pending.size > 0 || this.refed === false || this.closedError) return;
      this.refed = false;
      this.transport.unref?.();
    });
  }

  private onDatagram(d: Uint8Array): void {
    // A datagram that is one successful ACK (a sequential request's last step): read in place,
    // without the decoding context (a DataView and a view: most of this path's cost uninlined).
    if (d.length >= NLMSG_ERROR_MIN && d[4] === NLMSG.ERROR && d[5] === 0 && d[16] === 0 && d[17] === 0 && d[18] === 0 && d[19] === 0 && !logRecv.enabled) {
      const len = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
      const p = len === d.length ? this.pending.get((d[8]! | (d[9]! << 8) | (d[10]! << 16) | (d[11]! << 24)) >>> 0) : undefined;
      if (p !== undefined && p.win === undefined) {
        p.resolve(p.messages);
        return;
      }
    }
    const ctx = makeCtx(d);
    // d is the transport's shared receive buffer: a mapped dump gets one private copy per datagram.
    let copy: Uint8Array | undefined;
    let pos = 0;
    while (pos < d.length) {
      const seq = d.length - pos >= 12 ? ctx.view.getUint32(pos + 8, true) : undefined;
      let end: number;
      try {
        end = this.codec.frameEnd(ctx, pos);
      } catch (err) {
        // A frame that does not fit its datagram: a truncated read. Fail whoever it was for.
        const p = seq === undefined ? undefined : (this.pending.get(seq) ?? (this.windows.size > 0 ? this.windowOf(seq) : undefined));
        const e = err instanceof DecodeError ? err : new DecodeError(String(err), pos);
        if (p) p.reject(e);
        else logConn('dropping malformed datagram: %s', e.message);
        return;
      }
      const p = this.pending.get(seq!) ?? (this.windows.size > 0 ? this.windowOf(seq!) : undefined);
      if (!p) {
        if (logRecv.enabled) logRecv('unsolicited seq %d type %d (ignored)', seq, ctx.view.getUint16(pos + 4, true));
        pos = align4(end);
        continue;
      }
      if (end - pos >= NLMSG_ERROR_MIN && ctx.view.getUint16(pos + 4, true) === NLMSG.ERROR && ctx.view.getInt32(pos + 16, true) === 0 && seq === p.seq && !logRecv.enabled) {
        // The ACK a request waits for: nothing in it to decode (a sequential request's last step).
        p.resolve(p.messages);
        pos = align4(end);
        continue;
      }
      let msg: NetlinkMessage;
      try {
        msg = this.codec.decodeFrame(ctx, pos, end, p.attrs);
      } catch (err) {
        p.reject(err as Error);
        pos = align4(end);
        continue;
      }
      if (logRecv.enabled) logRecv('%s', formatMessage(p.attrs === true ? msg : this.wholeForLog(ctx, pos, end, msg)));
      if (p.map !== undefined && msg.type >= NLMSG.MIN_TYPE) {
        if (msg.flags & NLM_F.DUMP_INTR) p.interrupted = true;
        if (p.mapError === undefined) {
          copy ??= new Uint8Array(d);
          try {
            const v = p.map(msg, copy, pos);
            if (v !== undefined) (p.messages as unknown[]).push(v);
          } catch (err) {
            // Rejected at NLMSG_DONE: the kernel's dump runs on, and the next one would get EBUSY.
            p.mapError = err as Error;
          }
        }
      } else this.handle(p, msg);
      pos = align4(end);
    }
  }

  /** A message decoded with a selection, decoded whole for the log (which is for debugging). */
  private wholeForLog(ctx: DecodeCtx, pos: number, end: number, selected: NetlinkMessage): NetlinkMessage {
    try {
      return this.codec.decodeFrame(ctx, pos, end);
    } catch {
      return selected; // malformed where the selection did not look
    }
  }

  private handle(p: Pending, msg: NetlinkMessage): void {
    if (p.win !== undefined && msg.seq !== p.seq) return this.handleInWindow(p, p.win, msg);
    if (msg.flags & NLM_F.DUMP_INTR) p.interrupted = true;
    switch (msg.type) {
      case NLMSG.ERROR: {
        const e = msg.error!;
        if (e.errno === 0) p.resolve(p.messages);
        else if (p.win === undefined) p.reject(this.kernelError(p, e));
        else {
          // The window's last message failed; the ones before it without an error succeeded.
          const win = p.win;
          win.results[win.first + win.count - 1] = { ok: false, error: this.kernelError(p, e) };
          p.resolve(p.messages);
        }
        return;
      }
      case NLMSG.DONE: {
        const status = msg.status ?? 0;
        if (status < 0) {
          p.reject(this.kernelError(p, { ...(msg.error ?? { request: { len: 0, type: 0, flags: 0, seq: p.seq, pid: 0 } }), errno: -status }));
          return;
        }
        if (p.mapError) return p.reject(p.mapError);
        if (p.interrupted) return this.retryDump(p);
        p.resolve(p.messages);
        return;
      }
      case NLMSG.NOOP:
      case NLMSG.OVERRUN:
        return;
      default:
        p.messages.push(msg);
    }
  }

  /** An answer to a batch message before the window's last: an error (asked for or not), or a reply. */
  private handleInWindow(p: Pending, win: BatchWindow, msg: NetlinkMessage): void {
    const k = win.slotOf(msg.seq);
    const i = win.first + k;
    if (k < 0 || win.results[i] !== undefined) return;
    if (msg.type === NLMSG.ERROR) {
      const e = msg.error!;
      if (e.errno === 0) win.results[i] = { ok: true, messages: win.replies?.[k] ?? [] };
      else {
        const m = win.msgs[i]!;
        win.results[i] = { ok: false, error: this.netlinkError(operationOf(m), msg.seq, win.bytes(k), win.request(k), e) };
      }
    } else if (msg.type >= NLMSG.MIN_TYPE) win.reply(k, msg);
  }

  /** The batch window whose messages include `seq`. */
  private windowOf(seq: number): Pending | undefined {
    for (const w of this.windows) if (w.win!.slotOf(seq) >= 0) return w;
    return undefined;
  }

  private retryDump(p: Pending): void {
    if (p.attempts > this.dumpRetries) {
      p.reject(new DumpInterruptedError(p.operation, p.attempts, p.messages));
      return;
    }
    logConn('%s: dump interrupted (attempt %d), retrying', p.operation, p.attempts);
    this.pending.delete(p.seq);
    const seq = this.nextSeq();
    p.seq = seq;
    p.attempts++;
    p.interrupted = false;
    p.messages = [];
    if (p.timeoutMs > 0) p.deadline = performance.now() + p.timeoutMs;
    if (p.deadline < this.timerAt) this.armTimer(p.deadline);
    p.bytes = this.codec.encode(p.request).slice();
    this.pending.set(seq, p);
    this.sendBytes(p.bytes, p);
  }

  private kernelError(p: Pending, e: ErrorPayload): NetlinkError {
    return this.netlinkError(p.operation, p.seq, p.bytes, p.request, e);
  }

  /** A kernel refusal of the request `bytes` (as sent), with the attribute the extended ACK points at. */
  private netlinkError(operation: string, seq: number, bytes: Uint8Array, request: OutgoingMessage, e: ErrorPayload): NetlinkError {
    const ext = e.ext ?? {};
    // A prepared message is shown as what it decodes to: its header and attributes by name.
    if (request.encoded !== undefined && request.header === undefined) request = this.readable(request, bytes);
    let attribute: string | undefined;
    if (ext.offs !== undefined) attribute = this.codec.attributePathAt(bytes, ext.offs)?.join('/');
    let missingAttribute: string | undefined;
    if (ext.missType !== undefined) missingAttribute = this.codec.attributeNameIn(bytes, ext.missNest, ext.missType);
    return new NetlinkError({
      errno: e.errno,
      operation,
      seq,
      ...(ext.msg !== undefined && { kernelMessage: ext.msg }),
      ...(ext.offs !== undefined && { offset: ext.offs }),
      ...(attribute !== undefined && { attribute }),
      ...(missingAttribute !== undefined && { missingAttribute }),
      request,
    });
  }

  private readable(request: OutgoingMessage, bytes: Uint8Array): OutgoingMessage {
    try {
      const ctx = makeCtx(bytes);
      const m = this.codec.decodeFrame(ctx, 0, this.codec.frameEnd(ctx, 0), true, 'user');
      const r: OutgoingMessage = { kind: request.kind, flags: request.flags ?? m.flags, seq: request.seq ?? m.seq, pid: request.pid ?? m.pid };
      if (m.header !== undefined) r.header = m.header;
      if (m.attrs !== undefined) r.attrs = m.attrs;
      return r;
    } catch {
      return request; // not decodable: the bytes as given
    }
  }

  private failAll(err: Error): void {
    // A transport error (e.g. ENOBUFS) fails what is pending; only a close makes the connection unusable.
    if (err instanceof ConnectionClosedError) {
      this.closedError = err;
      if (this.timer) clearTimeout(this.timer);
    }
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}

function settledQuietly(): void {}

/** An nlmsgerr: the nlmsghdr, then errno. */
const NLMSG_ERROR_MIN = 20;

/** A request's name in errors: its message name, or its raw type. */
function operationOf(m: OutgoingMessage): string {
  return typeof m.kind === 'string' ? m.kind : `type ${m.kind}`;
}

/** nlmsg_flags, nlmsg_seq and nlmsg_pid of an encoded message (host order, as the codec writes). */
function setHeaderFields(b: Uint8Array, flags: number, seq: number, pid: number): void {
  b[6] = flags;
  b[7] = flags >>> 8;
  setU32(b, 8, seq);
  setU32(b, 12, pid);
}

/** A caller's message as it went out (kept for errors): its own fields plus the flags and seq used. */
function asSent(m: OutgoingMessage, flags: number, seq: number): OutgoingMessage {
  const r: OutgoingMessage = { kind: m.kind, flags, seq, pid: m.pid ?? 0 };
  if (m.header !== undefined) r.header = m.header;
  if (m.attrs !== undefined) r.attrs = m.attrs;
  if (m.payload !== undefined) r.payload = m.payload;
  if (m.encoded !== undefined) r.encoded = m.encoded;
  return r;
}
