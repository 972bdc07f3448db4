/**
 * The connection's fast paths (src/conn/fast-path.ts) against their plain equivalents: what they
 * accept gives the same answer as the codec, and what they decline is left to it.
 */
import { describe, expect, it } from 'vitest';
import { NLMSG } from '../../protocol/netlink.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import type { OutgoingMessage } from '../../src/codec/message.js';
import { datagramCtx, isAckFrame, requestBytes, soleAckSeq } from '../../src/conn/fast-path.js';
import { asSent } from '../../src/conn/refusal.js';
import { concat, errorFor, nlmsg } from '../support/bytes.js';

const codec = rtnetlinkCodec();

const addr: OutgoingMessage = {
  kind: 'newaddr',
  header: { family: 'inet', prefixlen: 24, flags: 0, scope: 0, index: 7 },
  attrs: { local: '192.0.2.1', address: '192.0.2.1', label: 'eth0' },
};

/** A request as the kernel sees it, for errorFor(). */
const request = (seq: number) => codec.encode({ ...addr, flags: 5, seq }).slice();

describe('requestBytes', () => {
  it('gives what encode() gives, for a message and for its prepared bytes', () => {
    const scratch = new ByteWriter(64);
    const prepared: OutgoingMessage = { kind: 'newaddr', encoded: codec.encode({ ...addr, seq: 0 }).slice() };
    for (const [flags, seq, pid] of [
      [0x605, 1, 0],
      [5, 0xfffffffe, 4321],
    ] as const) {
      const want = codec.encode(asSent({ ...addr, pid }, flags, seq)).slice();
      expect(requestBytes(codec, { ...addr, pid }, flags, seq, scratch)).toEqual(want);
      expect(requestBytes(codec, { ...prepared, pid }, flags, seq, scratch)).toEqual(want);
    }
  });

  it('returns a private copy (the scratch writer is reused) and refuses prepared bytes that are not one message', () => {
    const scratch = new ByteWriter(64);
    const a = requestBytes(codec, addr, 5, 1, scratch);
    const copy = a.slice();
    requestBytes(codec, { ...addr, attrs: { local: '198.51.100.1' } }, 5, 2, scratch);
    expect(a).toEqual(copy);
    expect(() => requestBytes(codec, { kind: 'newaddr', encoded: new Uint8Array(8) }, 5, 3, scratch)).toThrow(/one whole message/);
  });
});

describe('ACKs read without decoding', () => {
  it('soleAckSeq: the seq of a datagram that is one successful ACK, else -1', () => {
    expect(soleAckSeq(errorFor(request(7), 0))).toBe(7);
    expect(soleAckSeq(errorFor(request(0xfffffffe), 0))).toBe(0xfffffffe);
    expect(soleAckSeq(errorFor(request(7), 17))).toBe(-1); // EEXIST: decoded, for the error
    expect(soleAckSeq(concat(errorFor(request(7), 0), errorFor(request(8), 0)))).toBe(-1);
    expect(soleAckSeq(nlmsg(NLMSG.DONE, 2, 7, 0, new Uint8Array(4)))).toBe(-1);
    expect(soleAckSeq(errorFor(request(7), 0).subarray(0, 19))).toBe(-1);
  });

  it('isAckFrame agrees with the decoder on every frame of a datagram', () => {
    const d = concat(errorFor(request(1), 0), errorFor(request(2), 22), nlmsg(NLMSG.DONE, 2, 3, 0, new Uint8Array(4)), errorFor(request(4), 0));
    const ctx = datagramCtx(d);
    let pos = 0;
    const seen: boolean[] = [];
    while (pos < d.length) {
      const end = codec.frameEnd(ctx, pos);
      const m = codec.decodeFrame(ctx, pos, end);
      expect(isAckFrame(ctx.view, pos, end)).toBe(m.type === NLMSG.ERROR && m.error!.errno === 0);
      seen.push(isAckFrame(ctx.view, pos, end));
      pos = (end + 3) & ~3;
    }
    expect(seen).toEqual([true, false, false, true]);
  });
});

describe('datagramCtx', () => {
  it('serves every datagram in a big shared buffer with one context, positions offset by the datagram', () => {
    const shared = new Uint8Array(1 << 20);
    const ack = errorFor(request(9), 0);
    shared.set(ack, 4096);
    const d = shared.subarray(4096, 4096 + ack.length);
    const ctx = datagramCtx(d);
    expect(ctx.bytes.buffer).toBe(shared.buffer);
    expect(datagramCtx(shared.subarray(0, 20))).toBe(ctx);
    const base = d.byteOffset - ctx.bytes.byteOffset;
    expect(base).toBe(4096);
    expect(ctx.view.getUint32(base + 8, true)).toBe(9);
  });

  it('gives a datagram of its own (a small buffer) its own context, positions from 0', () => {
    const d = errorFor(request(11), 0);
    const ctx = datagramCtx(d);
    expect(d.byteOffset - ctx.bytes.byteOffset).toBe(0);
    expect(ctx.view.getUint32(8, true)).toBe(11);
  });
});
