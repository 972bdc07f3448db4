import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { Bytes, nlmsg } from '../support/bytes.js';

const codec = new ProtocolCodec(rtnetlinkSpecs);

describe('decoded bytes are copies', () => {
  it('a Node Buffer datagram (whose slice() is a view) is not aliased nor pinned by decoded values', () => {
    // IFLA type 999 is unknown: kept raw. The receive buffer is then reused (overwritten).
    const datagram = Buffer.from(nlmsg(16, 0, 1, 0, new Bytes().raw(new Uint8Array(16)).attr(999, [1, 2, 3])));
    const [msg] = codec.decode(datagram);
    const raw = (msg!.attrs as { unknown: { data: Uint8Array }[] }).unknown[0]!.data;
    datagram.fill(0);
    expect(Array.from(raw)).toEqual([1, 2, 3]);
    expect(raw.buffer.byteLength).toBe(3);
  });
});
