/**
 * Request/response over a transport: sequence numbers, acknowledgements with extended ack,
 * multipart dumps, NLM_F_DUMP_INTR retries, timeouts, AbortSignal, pipelined batches.
 * Everything it knows about bytes comes from the ProtocolCodec; everything about I/O from the
 * Transport. The rooms: in-flight.ts (sequence numbers, deadlines), pending.ts (one request),
 * batch.ts (pipelined windows), dump.ts (dumps taking turns, mapped replies), refusal.ts (kernel
 * errors), fast-path.ts (ACKs read without decoding, prepared requests).
 */
import createDebug from '../deps/debug.js';
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { ByteWriter, align4 } from '../codec/byte-writer.js';
import { DecodeError } from '../codec/errors.js';
import { formatMessage } from '../codec/format.js';
import { type ErrorPayload, type NetlinkMessage, type OutgoingMessage, type ProtocolCodec, makeCtx } from '../codec/message.js';
import type { Operations } from '../codec/operations.js';
import type { DecodeCtx } from '../codec/types.js';
import { TransportError, isTransportError } from '../transport/errors.js';
import type { Transport } from '../transport/types.js';
import { type BatchResult, type BatchWindow, packWindow } from './batch.js';
import { DumpQueue, frameHead, mapReply } from './dump.js';
import { ConnectionClosedError, DumpInterruptedError, type NetlinkError } from './errors.js';
import { isAckFrame, requestBytes, soleAckSeq } from './fast-path.js';
import { InFlight } from './in-flight.js';
import { type DumpMapper, type DumpSelection, Pending } from './pending.js';
import { operationOf, refusal } from './refusal.js';

export type { BatchResult } from './batch.js';
export type { DumpMapper, DumpSelection } from './pending.js';

const logSend = createDebug('netlink:send');
const logRecv = createDebug('netlink:recv');
const logConn = createDebug('netlink:conn');

export interface ConnectionOptions {
  /** Per-request timeout unless a request says otherwise (default 30 s). 0 disables. */
  timeoutMs?: number;
  /** How many times a dump interrupted by concurrent changes is retried (default 5). */
  dumpRetries?: number;
  /**
   * The operations of the connection's families (Operations.of(specs)): a request is checked
   * against its operation's request attributes before it is encoded, and one it may not carry
   * is an InvalidArgumentError naming it, nothing sent. Requests no operation starts (numeric
   * kinds, families without operations) are not checked. 20-55 ns a request.
   */
  operations?: Operations;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What Connection.fenced() got back. */
export interface FencedResult {
  /** False when a message failed to encode: nothing was sent, and its error is in `results`. */
  sent: boolean;
  /** One per message, then the fence's: its replies, or the error the kernel answered. */
  results: BatchResult[];
}

export interface BatchOptions extends RequestOptions {
  /** Requests in flight at once (default 128): bounded so ACKs never overrun the receive buffer. */
  window?: number;
}

export class Connection {
  readonly transport: Transport;
  readonly codec: ProtocolCodec;
  private readonly timeoutMs: number;
  private readonly dumpRetries: number;
  private readonly operations: Operations | undefined;
  /** The requests awaiting answers, by sequence number. */
  private readonly inflight: InFlight;
  private readonly dumps = new DumpQueue();
  private closedError: Error | undefined;
  /** Where single requests are encoded before their copy is taken. */
  private readonly scratch = new ByteWriter(1024);

  constructor(transport: Transport, codec: ProtocolCodec, options: ConnectionOptions = {}) {
    this.transport = transport;
    this.codec = codec;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dumpRetries = options.dumpRetries ?? 5;
    this.operations = options.operations;
    const inflight = (this.inflight = new InFlight(transport));
    transport.start({
      datagram: (d) => this.onDatagram(d),
      error: (e) => this.failAll(e),
      closed: () => this.failAll(new ConnectionClosedError('netlink socket closed')),
      awaitingReplies: () => inflight.size > 0,
    });
    inflight.updateRef();
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
   * `map` gets messages with only the attributes selected (the rest are skipped unread); with
   * 'frame', replies of the protocol's own types are not decoded at all: `map` gets their nlmsghdr
   * fields only (type, flags, seq, pid) and decodes what it needs from the bytes (lazy records).
   */
  dumpMap<T>(msg: OutgoingMessage, map: DumpMapper<T>, options: RequestOptions = {}, select: DumpSelection = true): Promise<T[]> {
    return this.queueDump(msg, options, map, select) as Promise<unknown[]> as Promise<T[]>;
  }

  /** Starts a dump once the ones before it on this socket have ended. */
  private queueDump(
    msg: OutgoingMessage,
    options: RequestOptions,
    map?: DumpMapper<unknown>,
    select: DumpSelection = true,
  ): Promise<NetlinkMessage[]> {
    return this.dumps.run(() => this.start(msg, (msg.flags ?? 0) | NLM_F.REQUEST | NLM_F.DUMP, true, options, map, select));
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
    for (const m of msgs) this.checkOperation(m, false); // every message before any is sent
    const results: BatchResult[] = new Array(msgs.length);
    for (let first = 0; first < msgs.length; first += window) {
      if (this.closedError) throw this.closedError;
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const count = Math.min(msgs.length, first + window) - first;
      const win = packWindow(this.codec, msgs, first, count, this.inflight.reserveSeqs(count), results);
      if (win !== undefined) await this.sendWindow(win, options);
    }
    return results;
  }

  /**
   * Sends one window of a batch, pending as one entry under its last message's sequence number;
   * resolves once every message of it has a result. One promise per window, not per request: a
   * big batch is mostly this bookkeeping otherwise.
   */
  private sendWindow(win: BatchWindow, options: BatchOptions): Promise<void> {
    const k = win.count - 1;
    const m = win.msgs[win.first + k]!;
    const p = new Pending(this.inflight, win.firstSeq + k, options.timeoutMs ?? this.timeoutMs, operationOf(m), m, win.flags(k), win.bytes(k), false);
    p.win = win;
    const signal = options.signal;
    return new Promise<void>((windowDone) => {
      const onAbort = () => p.reject(signal!.reason ?? new Error('aborted'));
      p.windowDone = () => {
        signal?.removeEventListener('abort', onAbort);
        windowDone();
      };
      this.inflight.track(p);
      if (logSend.enabled) for (const msg of this.codec.decode(win.datagram, 'user')) logSend('%s', formatMessage(msg));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sendBytes(win.datagram, p);
    });
  }

  /**
   * Sends `msgs` as ONE datagram, each with its own flags (no NLM_F_ACK added: the kernel answers
   * failures unasked), then `fence`, with NLM_F_ACK, as a datagram of its own. The kernel handles a
   * socket's datagrams in order, inside sendmsg, so the fence's ACK comes after every answer to the
   * first datagram: each message then has its result, its replies (NLM_F_ECHO...) or its error, and
   * the last result is the fence's. For protocols that take a datagram as one unit (an nfnetlink
   * batch is all-or-nothing, and whatever follows its end in the datagram is ignored, hence the
   * fence's own datagram). A message that fails to encode stops it all, nothing sent
   * (`sent: false`, its error in `results`); a failed send rejects.
   */
  async fenced(msgs: readonly OutgoingMessage[], fence: OutgoingMessage, options: RequestOptions = {}): Promise<FencedResult> {
    if (this.closedError) throw this.closedError;
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    const all = [...msgs, fence];
    for (const m of all) this.checkOperation(m, false);
    const results: BatchResult[] = new Array(all.length);
    const win = packWindow(this.codec, all, 0, all.length, this.inflight.reserveSeqs(all.length), results, fencedSize(all));
    if (win === undefined || win.count !== all.length || win.offsets.includes(-1)) return { sent: false, results };
    const fenceAt = win.offsets[msgs.length]!;
    // The datagram must go whole: room for it, and for an answer to every message (an error
    // holds its request, and each is a socket buffer of its own: ~1 KiB however small).
    const max = this.transport.growBuffers?.(fenceAt, 2 * win.datagram.length + all.length * 1024);
    if (max !== undefined && max < fenceAt) throw datagramTooLarge(fenceAt, max);
    const sendError = await this.sendFenced(win, fenceAt, options);
    if (sendError !== undefined)
      throw isTransportError(sendError) && sendError.code === 'EMSGSIZE' ? datagramTooLarge(fenceAt, undefined, sendError) : sendError;
    return { sent: true, results };
  }

  /** fenced(): the window goes out as two datagrams, split before the fence; resolves with a send's error. */
  private sendFenced(win: BatchWindow, fenceAt: number, options: RequestOptions): Promise<Error | undefined> {
    const k = win.count - 1;
    const m = win.msgs[k]!;
    const p = new Pending(this.inflight, win.firstSeq + k, options.timeoutMs ?? this.timeoutMs, operationOf(m), m, win.flags(k), win.bytes(k), false);
    p.win = win;
    const signal = options.signal;
    return new Promise<Error | undefined>((settled) => {
      let sendError: Error | undefined;
      const onAbort = () => p.reject(signal!.reason ?? new Error('aborted'));
      p.windowDone = () => {
        signal?.removeEventListener('abort', onAbort);
        settled(sendError);
      };
      this.inflight.track(p);
      if (logSend.enabled) for (const msg of this.codec.decode(win.datagram, 'user')) logSend('%s', formatMessage(msg));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.transport.send(win.datagram.subarray(0, fenceAt));
        this.transport.send(win.datagram.subarray(fenceAt));
      } catch (err) {
        sendError = err as Error;
        p.reject(sendError);
      } finally {
        this.inflight.sent();
      }
    });
  }

  /** Rejects everything pending and closes the transport. */
  close(): void {
    if (this.closedError) return;
    this.failAll(new ConnectionClosedError());
    this.transport.close();
  }

  // -------------------------------------------------------------------------------------------

  /** Registers a pending request and sends it. */
  private start(
    msg: OutgoingMessage,
    flags: number,
    dump: boolean,
    options: RequestOptions,
    map?: DumpMapper<unknown>,
    attrs: DumpSelection | false = true,
  ): Promise<NetlinkMessage[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    let p: Pending;
    try {
      // Encoding errors (bad input) surface before anything is sent.
      p = this.register(msg, flags, dump, options);
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
   * Encodes a request and registers it as pending, without sending. Throws EncodeError for bad
   * input (nothing registered). `bytes` is a private copy (error reports point into it).
   */
  private register(msg: OutgoingMessage, flags: number, dump: boolean, options: RequestOptions): Pending {
    this.checkOperation(msg, dump);
    const seq = this.inflight.nextSeq();
    const bytes = requestBytes(this.codec, msg, flags, seq, this.scratch);
    const p = new Pending(this.inflight, seq, options.timeoutMs ?? this.timeoutMs, operationOf(msg), msg, flags, bytes, dump);
    this.inflight.track(p);
    if (logSend.enabled) logSend('%s', formatMessage(this.codec.decode(bytes, 'user')[0]!));
    return p;
  }

  /** InvalidArgumentError when the request carries an attribute its operation does not take. */
  private checkOperation(msg: OutgoingMessage, dump: boolean): void {
    if (this.operations !== undefined && typeof msg.kind === 'string') this.operations.find(msg.kind, dump)?.check(msg.attrs);
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
    } finally {
      this.inflight.sent();
    }
  }

  private onDatagram(d: Uint8Array): void {
    // One successful ACK alone (a sequential request's last step): settled without decoding.
    const ackSeq = soleAckSeq(d);
    if (ackSeq >= 0 && !logRecv.enabled) {
      const p = this.inflight.get(ackSeq);
      if (p !== undefined && p.win === undefined) return p.resolve(p.messages);
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
        const p = seq === undefined ? undefined : this.inflight.find(seq);
        const e = err instanceof DecodeError ? err : new DecodeError(String(err), pos);
        if (p) p.reject(e);
        else logConn('dropping malformed datagram: %s', e.message);
        return;
      }
      const p = this.inflight.find(seq!);
      if (p === undefined) {
        if (logRecv.enabled) logRecv('unsolicited seq %d type %d (ignored)', seq, ctx.view.getUint16(pos + 4, true));
      } else if (seq === p.seq && isAckFrame(ctx.view, pos, end) && !logRecv.enabled) {
        p.resolve(p.messages); // the ACK the request waits for: nothing in it to decode
      } else if (p.attrs === 'frame' && p.map !== undefined && ctx.view.getUint16(pos + 4, true) >= NLMSG.MIN_TYPE) {
        if (logRecv.enabled) logRecv('%s', formatMessage(this.wholeForLog(ctx, pos, end, frameHead(ctx.view, pos))));
        mapReply(p, frameHead(ctx.view, pos), (copy ??= new Uint8Array(d)), pos);
      } else {
        const msg = this.decode(p, ctx, pos, end);
        if (msg !== undefined && p.map !== undefined && msg.type >= NLMSG.MIN_TYPE) mapReply(p, msg, (copy ??= new Uint8Array(d)), pos);
        else if (msg !== undefined) this.handle(p, msg);
      }
      pos = align4(end);
    }
  }

  /** The frame at [pos, end) decoded as `p` asks (logged when enabled); undefined when it failed (p rejected). */
  private decode(p: Pending, ctx: DecodeCtx, pos: number, end: number): NetlinkMessage | undefined {
    let msg: NetlinkMessage;
    try {
      msg = this.codec.decodeFrame(ctx, pos, end, p.attrs === 'frame' ? true : p.attrs);
    } catch (err) {
      p.reject(err as Error);
      return undefined;
    }
    if (logRecv.enabled) logRecv('%s', formatMessage(p.attrs === true ? msg : this.wholeForLog(ctx, pos, end, msg)));
    return msg;
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
    if (p.win !== undefined && msg.seq !== p.seq) return p.win.answer(this.codec, msg);
    if (msg.flags & NLM_F.DUMP_INTR) p.interrupted = true;
    switch (msg.type) {
      case NLMSG.ERROR: {
        const e = msg.error!;
        if (e.errno === 0) p.resolve(p.messages);
        else if (p.win === undefined) p.reject(this.kernelError(p, e));
        else {
          // The window's last message failed; the ones before it without an error succeeded.
          p.win.failLast(this.kernelError(p, e));
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

  /** A dump that saw NLM_F_DUMP_INTR is done: run it again from the start, or give up. */
  private retryDump(p: Pending): void {
    if (p.attempts > this.dumpRetries) {
      p.reject(new DumpInterruptedError(p.operation, p.attempts, p.messages));
      return;
    }
    logConn('%s: dump interrupted (attempt %d), retrying', p.operation, p.attempts);
    this.inflight.renumber(p);
    p.bytes = this.codec.encode(p.request).slice();
    this.sendBytes(p.bytes, p);
  }

  private kernelError(p: Pending, e: ErrorPayload): NetlinkError {
    return refusal(this.codec, p.operation, p.seq, p.bytes, p.request, e);
  }

  private failAll(err: Error): void {
    // A transport error (e.g. ENOBUFS) fails what is pending; only a close makes the connection unusable.
    if (err instanceof ConnectionClosedError) {
      this.closedError = err;
      this.inflight.close();
    }
    for (const p of this.inflight.all()) p.reject(err);
  }
}

/** fenced(): the datagram is longer than the socket's send buffer takes. */
function datagramTooLarge(bytes: number, max: number | undefined, cause?: Error): TransportError {
  const limit = max === undefined ? "the socket's send buffer" : `the socket's send buffer (${max} bytes)`;
  return new TransportError(
    `a datagram of ${bytes} bytes, which must go whole, does not fit ${limit}: raising it past net.core.wmem_max needs CAP_NET_ADMIN (SO_SNDBUFFORCE)`,
    'write',
    90,
    'EMSGSIZE',
    { cause },
  );
}

/** fenced(): the size its datagram will have, near enough (prepared messages exactly, others ~256 bytes). */
function fencedSize(msgs: readonly OutgoingMessage[]): number {
  let n = 0;
  for (const m of msgs) n += m.encoded === undefined ? 256 : m.encoded.length + 3;
  return Math.max(8192, n);
}
