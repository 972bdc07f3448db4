/**
 * Golden bytes for each place where protocol/ disagreed with the kernel (found by comparing it
 * with the kernel's YNL specs and C headers, scripts/check-ynl.ts). Each test builds the bytes by
 * hand from the uapi struct or attribute type and compares the codec with them, both ways.
 */
import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { type NetlinkMessage, ProtocolCodec } from '../../src/codec/message.js';
import { Bytes, nlmsg } from '../support/bytes.js';

const codec = new ProtocolCodec(rtnetlinkSpecs);
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ACK = 0x01 | 0x04;

const le64 = (v: bigint): Bytes => new Bytes().u32(Number(v & 0xffffffffn)).u32(Number(v >> 32n));
const ifinfomsg = (index: number): Bytes => new Bytes().u8(0).u8(0).u16(0).s32(index).u32(0).u32(0);

function decodeOne(bytes: Uint8Array): NetlinkMessage<any, any> {
  const msgs = codec.decode(bytes);
  expect(msgs).toHaveLength(1);
  return msgs[0]! as NetlinkMessage<any, any>;
}

describe('IFLA_MAP: struct rtnl_link_ifmap is 32 bytes (28 of members, 4 of tail padding)', () => {
  // linux/if_link.h: __u64 mem_start, mem_end, base_addr; __u16 irq; __u8 dma, port; sizeof 32 on
  // 64-bit (the kernel's policy requires that length: a 28-byte IFLA_MAP is EINVAL).
  const map = { memStart: 0x1122334455667788n, memEnd: 0x99aabbccn, baseAddr: 0x300n, irq: 0x0102, dma: 3, port: 4 };
  const payload = new Bytes()
    .raw(le64(map.memStart).build())
    .raw(le64(map.memEnd).build())
    .raw(le64(map.baseAddr).build())
    .u16(map.irq)
    .u8(map.dma)
    .u8(map.port)
    .raw([0, 0, 0, 0]);

  it('setlink with IFLA_MAP encodes 32 bytes in the C layout', () => {
    expect(payload.length).toBe(32);
    const want = nlmsg(19, ACK, 3, 0, new Bytes().raw(ifinfomsg(5).build()).attr(14, payload));
    const got = codec.encode({ kind: 'setlink', flags: ACK, seq: 3, header: { family: 'unspec', index: 5 }, attrs: { map } });
    expect(toHex(got)).toBe(toHex(want));
  });

  it('a 32-byte IFLA_MAP decodes to the same values, with no _tail, and re-encodes unchanged', () => {
    const bytes = nlmsg(16, 0, 0, 0, new Bytes().raw(ifinfomsg(5).build()).attr(14, payload));
    const m = decodeOne(bytes);
    expect(m.attrs).toEqual({ map });
    const back = codec.encode({ kind: 'newlink', flags: 0, seq: 0, header: m.header, attrs: m.attrs });
    expect(toHex(back)).toBe(toHex(bytes));
  });
});

describe('IFLA_LINK is u32 (nla_put_u32, policy NLA_U32), as the kernel and YNL have it', () => {
  it('decodes all 32 bits unsigned and encodes values above 2^31', () => {
    const bytes = nlmsg(16, 0, 0, 0, new Bytes().raw(ifinfomsg(5).build()).attr(5, new Bytes().u32(0x80000001)));
    expect(decodeOne(bytes).attrs).toEqual({ link: 0x80000001 });
    const got = codec.encode({ kind: 'newlink', flags: 0, seq: 0, header: { family: 'unspec', index: 5 }, attrs: { link: 0x80000001 } });
    expect(toHex(got)).toBe(toHex(bytes));
  });
});
