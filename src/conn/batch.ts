/**
 * Pipelined batches (Connection.batch): up to `window` requests go out in one datagram, and only
 * the last asks for an ACK. The kernel handles a datagram's messages in order and answers a failing
 * one even unasked, so that one ACK confirms every earlier message without an error.
 */
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { ByteWriter } from '../codec/byte-writer.js';
import type { NetlinkMessage, OutgoingMessage, ProtocolCodec } from '../codec/message.js';
import { asSent, operationOf, refusal } from './refusal.js';

export type BatchResult = { ok: true; messages: NetlinkMessage[] } | { ok: false; error: Error };

/**
 * One datagram of a batch. It is pending as one entry, under the sequence number of its last
 * message (the only one asking for an ACK). Messages get consecutive sequence numbers; slot k is
 * `firstSeq + k`, results[first + k] in the batch.
 */
export class BatchWindow {
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

  /** The nlmsg flags slot k went out with. */
  flags(k: number): number {
    return new DataView(this.datagram.buffer, this.datagram.byteOffset + this.offsets[k]!).getUint16(6, true);
  }

  /** The request of slot k as sent (for errors): the caller's message with its flags and seq. */
  request(k: number): OutgoingMessage {
    return asSent(this.msgs[this.first + k]!, this.flags(k), this.firstSeq + k);
  }

  bytes(k: number): Uint8Array {
    const at = this.offsets[k]!;
    const len = new DataView(this.datagram.buffer, this.datagram.byteOffset + at).getUint32(0, true);
    return this.datagram.subarray(at, at + len);
  }

  /** An answer to a message before the last: an error (asked for or not), or a reply. */
  answer(codec: ProtocolCodec, msg: NetlinkMessage): void {
    const k = this.slotOf(msg.seq);
    const i = this.first + k;
    if (k < 0 || this.results[i] !== undefined) return;
    if (msg.type === NLMSG.ERROR) {
      const e = msg.error!;
      if (e.errno === 0) this.results[i] = { ok: true, messages: this.replies?.[k] ?? [] };
      else this.results[i] = { ok: false, error: refusal(codec, operationOf(this.msgs[i]!), msg.seq, this.bytes(k), this.request(k), e) };
    } else if (msg.type >= NLMSG.MIN_TYPE) ((this.replies ??= [])[k] ??= []).push(msg);
  }

  /** The last message failed; the ones before it without an error succeeded (settleRest). */
  failLast(error: Error): void {
    this.results[this.first + this.count - 1] = { ok: false, error };
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
 * Encodes msgs[first, first + count) into one datagram under consecutive sequence numbers from
 * `firstSeq`, the last one encoded asking for the ACK. A message that fails to encode (bad input)
 * is left out of the datagram and gets its error in `results`; undefined when none encoded.
 * `size`: the datagram's expected size (a megabytes-long transaction grown from 8 KiB by doubling
 * was copied ten times over).
 */
export function packWindow(
  codec: ProtocolCodec,
  msgs: readonly OutgoingMessage[],
  first: number,
  count: number,
  firstSeq: number,
  results: BatchResult[],
  size = 8192,
): BatchWindow | undefined {
  const w = new ByteWriter(size);
  const offsets = new Int32Array(count);
  let lastK = -1;
  for (let k = 0; k < count; k++) {
    const m = msgs[first + k]!;
    const at = w.pos;
    try {
      codec.encode(
        {
          kind: m.kind,
          flags: (m.flags ?? 0) | NLM_F.REQUEST,
          seq: firstSeq + k,
          pid: m.pid ?? 0,
          header: m.header,
          attrs: m.attrs,
          payload: m.payload,
          encoded: m.encoded,
        },
        w,
      );
      offsets[k] = at;
      lastK = k;
    } catch (err) {
      w.pos = at; // drop what the failed encode wrote: bad input is never sent
      offsets[k] = -1;
      results[first + k] = { ok: false, error: err as Error };
    }
  }
  if (lastK < 0) return undefined;
  const lastAt = offsets[lastK]!;
  w.view.setUint16(lastAt + 6, w.view.getUint16(lastAt + 6, true) | NLM_F.ACK, true);
  return new BatchWindow(firstSeq, lastK + 1, first, msgs, results, offsets, w.finish());
}
