/**
 * The speed tricks of the request and event paths, behind one seam, so that the Connection and the
 * Monitor read as plain logic: encode, send, match the answer, decode. Each function here has a
 * plain equivalent through the codec (encode, makeCtx + decodeFrame) and gives the same result for
 * what it accepts; it exists because that equivalent costs a measurable share of a sequential
 * request or of an event (S3 and the monitor numbers in docs/benchmarks.md, docs/monitoring.md).
 * Checked by test/conn and test/integration/transport.test.ts (ACKs read right after the send).
 */
import { NLMSG } from '../../protocol/netlink.js';
import type { ByteWriter } from '../codec/byte-writer.js';
import { type OutgoingMessage, type ProtocolCodec, checkEncoded, makeCtx } from '../codec/message.js';
import { slabCopy } from '../codec/slab-copy.js';
import { setU32 } from '../codec/template.js';
import type { DecodeCtx } from '../codec/types.js';
import { asSent } from './refusal.js';

/** An nlmsgerr: the nlmsghdr, then errno. */
const NLMSG_ERROR_MIN = 20;

/**
 * The sequence number of `d` when the datagram is one successful ACK and nothing else (a
 * sequential request's last step), else -1. Read in place, byte by byte: a decoding context (a
 * DataView and a view) is most of this path's cost when it is not inlined.
 */
export function soleAckSeq(d: Uint8Array): number {
  if (d.length < NLMSG_ERROR_MIN || d[4] !== NLMSG.ERROR || d[5] !== 0 || d[16] !== 0 || d[17] !== 0 || d[18] !== 0 || d[19] !== 0) return -1;
  const len = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
  return len === d.length ? (d[8]! | (d[9]! << 8) | (d[10]! << 16) | (d[11]! << 24)) >>> 0 : -1;
}

/** Whether the frame at [pos, end) is a successful ACK (errno 0): it has nothing to decode. */
export function isAckFrame(view: DataView, pos: number, end: number): boolean {
  return end - pos >= NLMSG_ERROR_MIN && view.getUint16(pos + 4, true) === NLMSG.ERROR && view.getInt32(pos + 16, true) === 0;
}

/**
 * The bytes of a request with these header fields, as encode() makes them, in a private copy
 * (a view into a shared slab: a fresh ArrayBuffer per request costs more than encoding it). A
 * prepared message (MessageTemplate stamps, already aligned) is checked, copied once and given the
 * header fields, with none of encode()'s steps; anything else is encoded into `scratch` first.
 */
export function requestBytes(codec: ProtocolCodec, msg: OutgoingMessage, flags: number, seq: number, scratch: ByteWriter): Uint8Array {
  const enc = msg.encoded;
  if (enc !== undefined && (enc.length & 3) === 0) {
    checkEncoded(enc);
    const bytes = slabCopy(enc);
    setHeaderFields(bytes, flags, seq, msg.pid ?? 0);
    return bytes;
  }
  scratch.pos = 0;
  return slabCopy(codec.encode(asSent(msg, flags, seq), scratch));
}

/** nlmsg_flags, nlmsg_seq and nlmsg_pid of an encoded message (host order, as the codec writes). */
function setHeaderFields(b: Uint8Array, flags: number, seq: number, pid: number): void {
  b[6] = flags;
  b[7] = flags >>> 8;
  setU32(b, 8, seq);
  setU32(b, 12, pid);
}

/**
 * Sockets read every datagram into one shared buffer (src/transport/netlink-socket.ts): a decode
 * context over all of it serves every datagram, instead of two views and an object per datagram.
 * Only for big buffers (a small one is a datagram's own copy, not worth keeping).
 */
const SHARED_BUFFER_MIN = 1 << 16;
let sharedCtx: DecodeCtx | undefined;

/**
 * A decode context in which `d` starts at `d.byteOffset - ctx.bytes.byteOffset`: the one over the
 * transport's shared receive buffer when `d` lies in it, else one over `d` alone.
 */
export function datagramCtx(d: Uint8Array): DecodeCtx {
  if (d.buffer === sharedCtx?.bytes.buffer) return sharedCtx;
  if (d.buffer.byteLength >= SHARED_BUFFER_MIN && d.byteOffset + d.length <= d.buffer.byteLength)
    return (sharedCtx = makeCtx(new Uint8Array(d.buffer)));
  return makeCtx(d);
}
