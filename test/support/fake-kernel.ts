/**
 * A fake kernel for API unit tests, over ScriptedTransport: it splits each datagram into messages,
 * records them decoded, and answers like rtnetlink does: a dump with its messages then DONE; other
 * requests with their replies, then an error if there is one, else an ACK when NLM_F_ACK asks.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage, ProtocolCodec } from '../../src/codec/message.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { concat, doneFor, errorFor } from './bytes.js';

export type Reply = { errno?: number; msg?: string; replies?: Record<string, unknown>[]; dump?: Record<string, unknown>[]; dumpFlags?: number };

export function fakeKernel(codec: ProtocolCodec, replyKind: string, answer: (m: NetlinkMessage, i: number) => Reply = () => ({})) {
  const received: NetlinkMessage[] = [];
  /** Messages per datagram sent. */
  const datagrams: number[] = [];
  const transport = new ScriptedTransport((sent, reply) => {
    const out: Uint8Array[] = [];
    let pos = 0;
    let count = 0;
    while (pos < sent.length) {
      const len = new DataView(sent.buffer, sent.byteOffset + pos).getUint32(0, true);
      const frame = sent.slice(pos, pos + len);
      pos += (len + 3) & ~3;
      const m = codec.decode(frame)[0]!;
      const r = answer(m, received.length);
      received.push(m);
      count++;
      const msg = (flags: number, d: Record<string, unknown>) => codec.encode({ kind: replyKind, flags, seq: m.seq, pid: 1234, ...d }).slice();
      if (r.dump) {
        for (const d of r.dump) out.push(msg(NLM_F.MULTI | (r.dumpFlags ?? 0), d));
        out.push(doneFor(frame));
        continue;
      }
      for (const d of r.replies ?? []) out.push(msg(0, d));
      if (r.errno) out.push(errorFor(frame, r.errno, r.msg ? { msg: r.msg } : undefined));
      else if (m.flags & NLM_F.ACK) out.push(errorFor(frame, 0));
    }
    datagrams.push(count);
    if (out.length > 0) reply(concat(...out));
  });
  return { transport, received, datagrams };
}
