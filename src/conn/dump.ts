/**
 * Dump assembly: dumps on a socket take turns (the kernel runs one at a time per socket and
 * answers EBUSY otherwise), and a mapped dump turns each reply into its result as it arrives.
 * NLM_F_DUMP_INTR marks the dump for a retry once it is done (Connection.retryDump).
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { Pending } from './pending.js';

/** Starts each dump once the ones queued before it have settled. */
export class DumpQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(start: () => Promise<T>): Promise<T> {
    const p = this.tail.then(start, start);
    this.tail = p.then(settledQuietly, settledQuietly); // not p.catch(): that would keep the result alive
    return p;
  }
}

function settledQuietly(): void {}

/**
 * A reply of a mapped dump: `p.map` gets it with `copy`, a private copy of its datagram, and the
 * message's offset there; undefined drops it. What map throws rejects the dump at NLMSG_DONE,
 * not now: the kernel's dump runs on, and the next one on the socket would get EBUSY.
 */
export function mapReply(p: Pending, msg: NetlinkMessage, copy: Uint8Array, pos: number): void {
  if (msg.flags & NLM_F.DUMP_INTR) p.interrupted = true;
  if (p.mapError !== undefined) return;
  try {
    const v = p.map!(msg, copy, pos);
    if (v !== undefined) (p.messages as unknown[]).push(v);
  } catch (err) {
    p.mapError = err as Error;
  }
}

/** The one header a 'frame' dump hands its mapper (valid during the call: the mapper must not keep it). */
const HEAD: NetlinkMessage = { type: 0, flags: 0, seq: 0, pid: 0 };

/**
 * The nlmsghdr fields of the frame at `pos`, as a message with nothing decoded (a 'frame' dump),
 * written into one reused object: an object per reply was the dump's largest allocation left.
 */
export function frameHead(view: DataView, pos: number): NetlinkMessage {
  HEAD.type = view.getUint16(pos + 4, true);
  HEAD.flags = view.getUint16(pos + 6, true);
  HEAD.seq = view.getUint32(pos + 8, true);
  HEAD.pid = view.getUint32(pos + 12, true);
  return HEAD;
}
