/**
 * The generic netlink specs (nlctrl, ethtool) and the codec's messageIds support against real
 * kernel bytes: family ids bound at run time, messages named by genlmsghdr.cmd, directional ids,
 * indexed arrays, compact and verbose ethtool bit sets, extended-ack offsets named through nests.
 *
 * CAPTURED holds datagrams taken from a 6.18 kernel in a throwaway namespace (veth va/vb; the
 * ethtool family had id 0x15 there), through GenlConnection. Replies decode with no `unknown`
 * attribute and re-encode byte for byte; requests are compared with an independent byte builder.
 */
import { describe, expect, it } from 'vitest';
import { ethtoolSpec } from '../../protocol/ethtool.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import { compileFamily } from '../../src/codec/compile.js';
import { EncodeError, SpecError } from '../../src/codec/errors.js';
import { type NetlinkMessage, ProtocolCodec, makeCtx } from '../../src/codec/message.js';
import { Bytes, nlmsg } from '../support/bytes.js';

const ETHTOOL_ID = 0x15;
const REQUEST_ACK = 0x05;

const CAPTURED = {
  // CTRL_CMD_GETFAMILY name nlctrl
  getfamilyRequest: '20000000100005000100000000000000030200000b0002006e6c6374726c0000',
  // its reply: CTRL_CMD_NEWFAMILY nlctrl, id 0x10, version 2, ops 3 and 10, group notify
  nlctrlFamily:
    '88000000100000000100000063410000010200000b0002006e6c6374726c000006000100100000000800030002000000080004000000000008000500000000002c000600140001000800010003000000080002000e00000014000200080001000a000000080002000c0000001c0007001800010008000200100000000b0001006e6f746966790000',
  // ETHTOOL_MSG_FEATURES_GET_REPLY for va, compact bit sets (64 features)
  featuresReply:
    'a00000001500000003000000634100000b01000014000180080001000300000007000200766100002400028008000200400000000c000400e949dd4f2e63000a0c000500ffffffffffffffff1c0003800400010008000200400000000c000400e149dd4f2e6100001c0004800400010008000200400000000c000400e149c04f2c6100001c0005800400010008000200400000000c0004000004000000000000',
  // ETHTOOL_MSG_FEATURES_SET tx-checksum-ip-generic on, and its FEATURES_SET_REPLY (what changed)
  featuresSetRequest:
    '540000001500050005000000000000000c01000014000180070002007661000008000300010000002c00038028000380240001801b00020074782d636865636b73756d2d69702d67656e65726963000004000300',
  featuresSetReply:
    '700000001500000005000000634100000c01000014000180080001000300000007000200766100002400038008000200400000000c00040000000000000000000c00050000000000000000002400048008000200400000000c00040008001d00020000000c00050008001d0002000000',
  // ETHTOOL_MSG_CHANNELS_GET_REPLY for va: rx 2/1... (ethtool -L va rx 1 tx 2 before)
  channelsReply:
    '480000001500000006000000634100001201000014000180080001000300000007000200766100000800020002000000080006000100000008000300020000000800070002000000',
  // ETHTOOL_MSG_LINKMODES_GET_REPLY for va: verbose, no link modes (121 known), 10000 Mb/s full
  linkmodesReply:
    '580000001500000007000000634100000401000014000180080001000300000007000200766100000500020000000000100003800800020079000000040003800800050010270000050006000100000005000a0000000000',
  // ETHTOOL_MSG_STRSET_GET_REPLY: the wol-modes string set
  strsetReply:
    'ec00000015000000080000006341000001010000d8000280d4000180080001000b0000000800020008000000c000038014000180080001000000000008000200706879001800018008000100010000000a00020075636173740000001800018008000100020000000a0002006d636173740000001800018008000100030000000a000200626361737400000014000180080001000400000008000200617270001800018008000100050000000a0002006d616769630000001c0001800800010006000000100002006d61676963736563757265001800018008000100070000000b00020066696c7465720000',
  // ETHTOOL_MSG_CHANNELS_GET for a device that does not exist, and the kernel's refusal
  nodevRequest: '2400000015000500090000000000000011010000100001800a0002006e6f646576000000',
  nodevError:
    '5c000000020000020900000063410000edffffff2400000015000500090000000000000011010000100001800a0002006e6f6465760000001b0001006e6f20646576696365206d617463686573206e616d6500000800020018000000',
};

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function genlCodec(): ProtocolCodec {
  const codec = new ProtocolCodec([nlctrlSpec, ethtoolSpec]);
  codec.bindType('ethtool', ETHTOOL_ID);
  return codec;
}

/** Every `unknown` list anywhere in a decoded value. */
function unknowns(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => unknowns(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  return Object.entries(v).flatMap(([k, x]) => (k === 'unknown' ? [path] : unknowns(x, `${path}/${k}`)));
}

/** Decodes one message and re-encodes it with its own header fields: must give the same bytes. */
function roundTrip(codec: ProtocolCodec, bytes: Uint8Array, sender: 'user' | 'kernel' = 'kernel'): NetlinkMessage {
  const [m] = codec.decode(bytes, sender);
  expect(unknowns(m!.attrs)).toEqual([]);
  const again = codec.encode({ kind: m!.kind!, flags: m!.flags, seq: m!.seq, pid: m!.pid, header: m!.header, attrs: m!.attrs });
  expect(Buffer.from(again).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  return m!;
}

describe('generic netlink specs', () => {
  it('nlctrl and ethtool are valid specs and compile', () => {
    expect(compileFamily(nlctrlSpec).messages.size).toBe(10);
    expect(compileFamily(ethtoolSpec).messages.get('featuresGetReply')!.value).toBe(11);
  });

  it('nlctrl GETFAMILY: the request as genl builds it, and the reply with ops and groups as indexed arrays', () => {
    const codec = genlCodec();
    const req = codec.encode({ kind: 'getfamily', flags: REQUEST_ACK, seq: 1, header: { version: 2 }, attrs: { familyName: 'nlctrl' } });
    const golden = nlmsg(0x10, REQUEST_ACK, 1, 0, new Bytes().u8(3).u8(2).u16(0).attr(2, new Bytes().str('nlctrl')));
    expect(req).toEqual(golden);
    expect(Buffer.from(req).toString('hex')).toBe(CAPTURED.getfamilyRequest);

    const m = roundTrip(codec, hex(CAPTURED.nlctrlFamily));
    expect(m).toMatchObject({ type: 0x10, kind: 'newfamily', family: 'nlctrl', header: { cmd: 1, version: 2 } });
    expect(m.attrs).toEqual({
      familyName: 'nlctrl',
      familyId: 0x10,
      version: 2,
      hdrsize: 0,
      maxattr: 0,
      ops: [
        { id: 3, flags: ['cmd-cap-do', 'cmd-cap-dump', 'cmd-cap-haspol'] },
        { id: 10, flags: ['cmd-cap-dump', 'cmd-cap-haspol'] },
      ],
      mcastGroups: [{ id: 0x10, name: 'notify' }],
    });
  });

  it('ethtool FEATURES_GET_REPLY: compact bit sets (values, masks, sizes) under the family id bound at run time', () => {
    const m = roundTrip(genlCodec(), hex(CAPTURED.featuresReply));
    expect(m).toMatchObject({ type: ETHTOOL_ID, kind: 'featuresGetReply', family: 'ethtool', header: { cmd: 11, version: 1 } });
    const a = m.attrs as Record<string, any>;
    expect(a.header).toEqual({ devIndex: 3, devName: 'va' });
    expect(a.hw).toEqual({ size: 64, value: [0x4fdd49e9, 0x0a00632e], mask: [0xffffffff, 0xffffffff] });
    expect(a.active).toEqual({ nomask: true, size: 64, value: [0x4fc049e1, 0x612c] });
  });

  it('ethtool FEATURES_SET: verbose bits by name as ethtool builds them; the reply has value and mask', () => {
    const codec = genlCodec();
    const bit = new Bytes().attr(2, new Bytes().str('tx-checksum-ip-generic')).attr(3, []);
    const body = new Bytes()
      .u8(12)
      .u8(1)
      .u16(0)
      .attr(0x8001, new Bytes().attr(2, new Bytes().str('va')).attr(3, new Bytes().u32(1)))
      .attr(0x8003, new Bytes().attr(0x8003, new Bytes().attr(0x8001, bit)));
    const req = codec.encode({
      kind: 'featuresSet',
      flags: REQUEST_ACK,
      seq: 5,
      header: { version: 1 },
      attrs: { header: { devName: 'va', flags: ['compact-bitsets'] }, wanted: { bits: { bit: [{ name: 'tx-checksum-ip-generic', value: true }] } } },
    });
    expect(req).toEqual(nlmsg(ETHTOOL_ID, REQUEST_ACK, 5, 0, body));
    expect(Buffer.from(req).toString('hex')).toBe(CAPTURED.featuresSetRequest);
    const m = roundTrip(codec, hex(CAPTURED.featuresSetReply));
    expect(m.kind).toBe('featuresSetReply');
    expect((m.attrs as Record<string, any>).active).toEqual({ size: 64, value: [0x1d0008, 2], mask: [0x1d0008, 2] });
  });

  it('ethtool CHANNELS, LINKMODES (verbose, empty) and STRSET replies', () => {
    const codec = genlCodec();
    expect(roundTrip(codec, hex(CAPTURED.channelsReply)).attrs).toEqual({
      header: { devIndex: 3, devName: 'va' },
      rxMax: 2,
      txMax: 2,
      rxCount: 1,
      txCount: 2,
    });
    const lm = roundTrip(codec, hex(CAPTURED.linkmodesReply));
    expect(lm.attrs).toEqual({
      header: { devIndex: 3, devName: 'va' },
      autoneg: 0,
      ours: { size: 121, bits: {} },
      speed: 10000,
      duplex: 'full',
      rateMatching: 'none',
    });
    const s = roundTrip(codec, hex(CAPTURED.strsetReply));
    const set = (s.attrs as Record<string, any>).stringsets.stringset[0];
    expect(set).toMatchObject({ id: 'wol-modes', count: 8 });
    expect(set.strings[0].string.map((x: { value: string }) => x.value)).toEqual([
      'phy',
      'ucast',
      'mcast',
      'bcast',
      'arp',
      'magic',
      'magicsecure',
      'filter',
    ]);
  });

  it('directional ids: cmd 13 is FEATURES_NTF from the kernel and PRIVFLAGS_GET from a user', () => {
    const codec = genlCodec();
    const frame = nlmsg(ETHTOOL_ID, 0, 0, 0, new Bytes().u8(13).u8(1).u16(0));
    expect(codec.decode(frame)[0]!.kind).toBe('featuresNtf');
    expect(codec.decode(frame, 'user')[0]!.kind).toBe('privflagsGet');
    // The same command number in nlctrl (unified ids) reads the same either way.
    const ctrl = nlmsg(0x10, 0, 0, 0, new Bytes().u8(3).u8(2).u16(0));
    expect(codec.decode(ctrl, 'user')[0]!.kind).toBe('getfamily');
    expect(codec.decode(ctrl)[0]!.kind).toBe('getfamily');
  });

  it('an extended-ack offset into a request is named through its nests (header/devName)', () => {
    const codec = genlCodec();
    const [err] = codec.decode(hex(CAPTURED.nodevError));
    expect(err!.error).toMatchObject({ errno: 19, ext: { msg: 'no device matches name', offs: 24 } });
    expect(codec.attributePathAt(hex(CAPTURED.nodevRequest), 24)).toEqual(['header', 'devName']);
    expect(codec.attributeNameIn(hex(CAPTURED.nodevRequest), undefined, 1)).toBe('header');
  });

  it('a family whose id is not bound yet: decodes as raw payload, refuses to encode; binding again moves it', () => {
    const codec = new ProtocolCodec([nlctrlSpec, ethtoolSpec]);
    const [raw] = codec.decode(hex(CAPTURED.channelsReply));
    expect(raw!.kind).toBeUndefined();
    expect(raw!.payload).toBeInstanceOf(Uint8Array);
    expect(() => codec.encode({ kind: 'channelsGet', attrs: {} })).toThrow(EncodeError);
    expect(() => codec.encode({ kind: 'channelsGet', attrs: {} })).toThrow(/family ethtool has no message type yet/);
    codec.bindType('ethtool', 0x30);
    expect(codec.typeOf('ethtool')).toBe(0x30);
    const m = codec.encode({ kind: 'channelsGet', header: { version: 1 }, attrs: { header: { devIndex: 3 } } });
    expect(new DataView(m.buffer, m.byteOffset).getUint16(4, true)).toBe(0x30);
    expect(m[16]).toBe(17); // genlmsghdr.cmd written from the message's value
    codec.bindType('ethtool', undefined);
    expect(codec.messageAt(makeCtx(m), 0, m.length, 'user')).toBeUndefined();
  });

  it('a family added to a codec in use, and the checks that keep names and fixed families apart', () => {
    const codec = new ProtocolCodec([nlctrlSpec]);
    expect(() => codec.encode({ kind: 'featuresGet' })).toThrow(/unknown message/);
    codec.addFamily(ethtoolSpec);
    codec.addFamily(ethtoolSpec); // again: nothing happens
    expect(() => codec.bindType('nlctrl', 0x40)).not.toThrow(); // a fixed family can be moved too (tests), it is a plain binding
    expect(() => codec.addFamily({ ...nlctrlSpec })).toThrow(SpecError);
    const clash = { ...ethtoolSpec, name: 'ethtool2' };
    expect(() => codec.addFamily(clash)).toThrow(/message name strsetGet is already ethtool.strsetGet/);
    expect(() => codec.bindType('rt-link', 0x20)).toThrow(SpecError);
  });
});
