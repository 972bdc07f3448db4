/**
 * Connection.fenced(): many messages in ONE datagram, each with its own flags (no ACK added), then
 * a fence request with NLM_F_ACK in a datagram of its own; answers are matched to messages by
 * sequence number, and everything is settled when the fence is answered.
 */
import { describe, expect, it } from 'vitest';
import { defineFamily } from '../../protocol/spec.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { TransportError, isTransportError } from '../../src/transport/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { Bytes, concat, errorFor, nlmsg } from '../support/bytes.js';

const spec = defineFamily({
  name: 'test-fenced',
  protocol: 0,
  definitions: {
    hdr: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8' },
        { name: 'pad', type: 'pad', len: 3 },
      ],
    },
  },
  attributeSets: { obj: { attributes: [{ name: 'name', value: 1, type: 'string' }] } },
  messages: {
    newobj: { value: 20, header: 'hdr', attributes: 'obj' },
    getgen: { value: 21, header: 'hdr', attributes: 'obj' },
  },
});
const codec = new ProtocolCodec([spec]);

function frames(d: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  for (let p = 0; p < d.length; p += (v.getUint32(p, true) + 3) & ~3) out.push(d.subarray(p, p + v.getUint32(p, true)));
  return out;
}
const flagsOf = (f: Uint8Array) => f[6]! | (f[7]! << 8);
const seqOf = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(8, true);
const obj = (name: string, flags = 0) => ({ kind: 'newobj', flags, header: { family: 0 }, attrs: { name } });
const fence = { kind: 'getgen', header: { family: 0 }, attrs: {} };

describe('Connection.fenced', () => {
  it('sends the messages as one datagram without ACKs, then the fence with one, and maps answers by seq', async () => {
    const t = new ScriptedTransport((sent, reply) => {
      const fs = frames(sent);
      if (fs.length === 1) return reply(concat(nlmsg(21, 0, seqOf(fs[0]!), 0, new Bytes().u32(0)), errorFor(fs[0]!, 0)));
      reply(errorFor(fs[1]!, 17, { msg: 'exists' })); // the second refused, unasked
      reply(nlmsg(20, 0, seqOf(fs[2]!), 0, new Bytes().u32(0).attr(1, new Bytes().str('echo')))); // the third echoed
    });
    const conn = new Connection(t, codec);
    const r = await conn.fenced([obj('a'), obj('b'), obj('c', 8)], fence);
    expect(t.sent).toHaveLength(2);
    const batch = frames(t.sent[0]!);
    expect(batch.map(flagsOf)).toEqual([1, 1, 9]);
    expect(frames(t.sent[1]!).map(flagsOf)).toEqual([5]);
    expect(batch.map(seqOf)).toEqual([seqOf(batch[0]!), seqOf(batch[0]!) + 1, seqOf(batch[0]!) + 2]);
    expect(seqOf(t.sent[1]!)).toBe(seqOf(batch[0]!) + 3);
    expect(r.sent).toBe(true);
    expect(r.results.map((x) => x.ok)).toEqual([true, false, true, true]);
    const e = (r.results[1] as { error: Error }).error;
    expect(isNetlinkError(e) && e.kernelMessage === 'exists' && e.operation === 'newobj').toBe(true);
    expect((r.results[2] as { messages: { attrs?: { name?: string } }[] }).messages.map((m) => m.attrs?.name)).toEqual(['echo']);
    expect((r.results[3] as { messages: { kind?: string }[] }).messages.map((m) => m.kind)).toEqual(['getgen']);
  });

  it('sends nothing when a message does not encode', async () => {
    const t = new ScriptedTransport(() => undefined);
    const conn = new Connection(t, codec);
    const r = await conn.fenced([obj('a'), { kind: 'newobj', header: { family: 0 }, attrs: { name: 5 } }], fence);
    expect(r.sent).toBe(false);
    expect(r.results[1]?.ok).toBe(false);
    expect(t.sent).toHaveLength(0);
  });

  it('rejects when the datagram cannot be sent, saying why for EMSGSIZE', async () => {
    const t = new ScriptedTransport(() => {
      throw new TransportError('netlink socket write failed: EMSGSIZE', 'write', 90, 'EMSGSIZE');
    });
    const conn = new Connection(t, codec);
    const err = await conn.fenced([obj('a')], fence).catch((x: unknown) => x);
    expect(isTransportError(err) && err.code === 'EMSGSIZE').toBe(true);
    expect((err as Error).message).toMatch(/which must go whole, does not fit the socket's send buffer/);
  });
});
