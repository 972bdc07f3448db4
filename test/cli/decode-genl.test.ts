/**
 * nlts decode on captures that mix netlink protocols packet by packet, as nlmon captures do: each
 * packet decoded by its own pseudo-header protocol, generic netlink families named from the nlctrl
 * replies found in the capture itself (from that packet on, as tshark does), families with a spec
 * (nlctrl, ethtool) decoded fully with the direction choosing request or reply, others shown as
 * `family NAME cmd N` with their genlmsghdr and raw attributes. Captures built here from datagrams
 * encoded by the codec; test/integration/decode-capture.test.ts records real ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ethtoolSpec } from '../../protocol/ethtool.js';
import { NETLINK_GENERIC } from '../../protocol/genetlink.js';
import { NLM_F } from '../../protocol/netlink.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { netlinkPseudoHeader, readPcap, writePcap } from '../../src/pcap/pcap.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';
import { runCli } from './support/run.js';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'nlts-decode-genl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NETLINK_ROUTE = 0;
const NETLINK_NETFILTER = 12;
/** What tcpdump on nlmon writes for every packet (the direction is then read from NLM_F_REQUEST). */
const PACKET_OUTGOING = 4;
const IPVS_ID = 0x25;
const ETHTOOL_ID = 0x15;

interface Packet {
  protocol: number;
  sent: boolean;
  bytes: Uint8Array;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A capture of `packets`; `pkttype` overrides the pseudo-header's packet type (PACKET_USER / PACKET_KERNEL). */
function capture(packets: Packet[], pkttype?: number): Uint8Array {
  return writePcap(
    packets.map((p, i) => {
      const h = netlinkPseudoHeader(p.sent, p.protocol);
      if (pkttype !== undefined) new DataView(h.buffer).setUint16(0, pkttype);
      return { timeUs: 1_700_000_000_000_000 + i, data: cat(h, p.bytes) };
    }),
  );
}

function file(name: string, bytes: Uint8Array): string {
  const f = join(tmp, name);
  writeFileSync(f, bytes);
  return f;
}

/** A netlink attribute (padded). */
function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + payload.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A netlink message with nlmsghdr. */
function message(type: number, flags: number, seq: number, pid: number, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, 16 + body.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, pid, true);
  return cat(h, body);
}

/** A generic netlink message of a family we have no spec for: genlmsghdr, then attributes. */
function genl(id: number, flags: number, seq: number, cmd: number, ...attrs: Uint8Array[]): Uint8Array {
  return message(id, flags, seq, 4242, cat(Uint8Array.from([cmd, 1, 0, 0]), ...attrs));
}

/** NLMSG_ERROR answering `request` (echoed whole). */
function nlError(errno: number, request: Uint8Array): Uint8Array {
  const v = new DataView(request.buffer, request.byteOffset);
  const b = cat(u32(-errno >>> 0), request);
  return message(2, 0, v.getUint32(8, true), v.getUint32(12, true), b);
}

/** A capped ACK: the request's header only. */
function ack(request: Uint8Array): Uint8Array {
  const v = new DataView(request.buffer, request.byteOffset);
  return message(2, 0x100, v.getUint32(8, true), v.getUint32(12, true), cat(u32(0), request.subarray(0, 16)));
}

const genlCodec = new ProtocolCodec([nlctrlSpec, ethtoolSpec]);
genlCodec.bindType('ethtool', ETHTOOL_ID);

function encode(kind: string, flags: number, seq: number, attrs: Record<string, unknown>, version = 1): Uint8Array {
  return genlCodec.encode({ kind, flags, seq, pid: 4242, header: { version }, attrs }).slice();
}

const familyReply = (name: string, id: number, seq = 1) =>
  encode(
    'newfamily',
    0,
    seq,
    { familyName: name, familyId: id, version: 1, hdrsize: 0, maxattr: 6, mcastGroups: [{ name: `${name.toLowerCase()}-events`, id: id + 100 }] },
    2,
  );
const linkShow = loadFixture(join(here, 'fixtures', 'd_link_show.json')).exchanges;

/** rtnetlink dump, nlctrl resolving IPVS (an id used before and after), ethtool, netfilter. */
function mixed(): Packet[] {
  const ipvsGet = genl(IPVS_ID, NLM_F.REQUEST | NLM_F.ACK, 7, 5, attr(1, u32(2)));
  return [
    ...linkShow.map((e) => ({ protocol: NETLINK_ROUTE, sent: e.dir === 'sent', bytes: fromHex(e.hex) })),
    { protocol: NETLINK_GENERIC, sent: true, bytes: genl(IPVS_ID, NLM_F.REQUEST | NLM_F.DUMP, 2, 4) },
    { protocol: NETLINK_GENERIC, sent: true, bytes: encode('getfamily', NLM_F.REQUEST, 3, { familyName: 'IPVS' }) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('IPVS', IPVS_ID, 3) },
    { protocol: NETLINK_GENERIC, sent: true, bytes: genl(IPVS_ID, NLM_F.REQUEST | NLM_F.DUMP, 4, 4) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: genl(IPVS_ID, NLM_F.MULTI, 4, 1, attr(1, cat(attr(1, u32(6)), attr(2, u32(80))))) },
    { protocol: NETLINK_GENERIC, sent: true, bytes: ipvsGet },
    { protocol: NETLINK_GENERIC, sent: false, bytes: nlError(22, ipvsGet) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('ethtool', ETHTOOL_ID, 5) },
    { protocol: NETLINK_GENERIC, sent: true, bytes: encode('featuresGet', NLM_F.REQUEST, 6, { header: { devName: 'veth0' } }) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: encode('featuresGetReply', 0, 6, { header: { devIndex: 3, devName: 'veth0' } }) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: encode('featuresNtf', 0, 0, { header: { devIndex: 3, devName: 'veth0' } }) },
    { protocol: NETLINK_GENERIC, sent: true, bytes: encode('privflagsGet', NLM_F.REQUEST, 8, { header: { devName: 'veth0' } }) },
    { protocol: NETLINK_NETFILTER, sent: true, bytes: message(0x0101, NLM_F.REQUEST | NLM_F.DUMP, 9, 0, Uint8Array.from([2, 0, 0, 0])) },
    { protocol: NETLINK_ROUTE, sent: true, bytes: fromHex(linkShow[0]!.hex) },
    { protocol: NETLINK_GENERIC, sent: false, bytes: ack(encode('featuresGet', NLM_F.REQUEST | NLM_F.ACK, 6, { header: { devName: 'veth0' } })) },
  ];
}

/** The text of each datagram, by packet number. */
function packets(out: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const block of out.split(/^(?=# packet )/m)) {
    const n = /^# packet (\d+)/.exec(block);
    if (n) m.set(Number(n[1]), block);
  }
  return m;
}

describe('decode: captures mixing netlink protocols', () => {
  const first = linkShow.length + 1;

  it('each packet by its own protocol: rtnetlink dumps, nlctrl and ethtool named, other protocols raw with their header', async () => {
    const r = await runCli(['decode', file('mixed.pcap', capture(mixed()))]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const p = packets(r.out);
    // the rtnetlink dump before and after generic netlink packets
    expect(p.get(1)).toMatch(/^@0 +getlink \(nlmsghdr: len 40, type 18, flags REQUEST,DUMP.*\[rt-link\]$/m);
    expect(p.get(3)).toMatch(/IFLA_INFO_KIND kind \(type 1, \d+ bytes\): "bridge"/);
    expect(p.get(first + 13)).toMatch(/^@0 +getlink .*\[rt-link\]$/m);
    // nlctrl, by its fixed id
    expect(p.get(first + 1)).toMatch(/^# packet \d+ sent \(NETLINK_GENERIC\): /);
    expect(p.get(first + 1)).toMatch(/^@0 +getfamily \(nlmsghdr: len \d+, type 16, flags REQUEST, seq 3, pid 4242\) \[nlctrl\]$/m);
    expect(p.get(first + 1)).toMatch(/CTRL_ATTR_FAMILY_NAME familyName \(type 2, 9 bytes\): "IPVS"/);
    expect(p.get(first + 2)).toMatch(/^@0 +newfamily .*\[nlctrl\]$/m);
    expect(p.get(first + 2)).toMatch(/CTRL_ATTR_FAMILY_ID familyId \(type 1, 6 bytes\): 37/);
    // other protocols: the header, the payload raw
    expect(p.get(first + 12)).toMatch(/^# packet \d+ sent \(NETLINK_NETFILTER\): 20 bytes/);
    expect(p.get(first + 12)).toMatch(/^@0 +type 257 \(nlmsghdr: len 20, type 257, flags REQUEST,0x300, seq 9, pid 0\)\n@16 +payload: 02000000$/m);
  });

  it('names a generic netlink family from the nlctrl reply on: before it unnamed, after it `family NAME cmd N` with raw attributes', async () => {
    const p = packets((await runCli(['decode', file('mixed.pcap', capture(mixed()))])).out);
    expect(p.get(first)).toMatch(
      /^@0 +family 37 cmd 4 \(nlmsghdr: len 20, type 37, flags REQUEST,0x300, seq 2, pid 4242\) \[not named by an nlctrl reply before it\]$/m,
    );
    expect(p.get(first + 3)).toMatch(/^@0 +family IPVS cmd 4 \(nlmsghdr: len 20, type 37, flags REQUEST,0x300, seq 4, pid 4242\)$/m);
    expect(p.get(first + 3)).toMatch(/^@16 +genlmsghdr \(4 bytes\)\n@16 +cmd \(1 bytes\): 4\n@17 +version \(1 bytes\): 1$/m);
    // attributes raw, one line each with type, flags and length
    expect(p.get(first + 4)).toMatch(/^@20 +type 1 \(type 1, 20 bytes\): 08000100060000000800020050000000$/m);
    // the error names the request's family and command
    expect(p.get(first + 6)).toMatch(/error 22 EINVAL \(Invalid argument\) for family IPVS cmd 5 seq 7/);
    // a capped ack has the request's header only: its family, no command
    expect(p.get(first + 14)).toMatch(/^@16 +ACK for family ethtool seq 6$/m);
  });

  for (const [what, pkttype] of [
    ['the pseudo-header', undefined],
    ['NLM_F_REQUEST (nlmon captures: PACKET_OUTGOING on every packet)', PACKET_OUTGOING],
  ] as const) {
    it(`decodes ethtool fully, the direction from ${what} choosing request or reply of one command number`, async () => {
      const r = await runCli(['decode', file(`dir-${pkttype}.pcap`, capture(mixed(), pkttype))]);
      const p = packets(r.out);
      expect(p.get(first + 7)).toMatch(/^@0 +newfamily .*\[nlctrl\]$/m);
      expect(p.get(first + 8)).toMatch(/^# packet \d+ sent /);
      expect(p.get(first + 8)).toMatch(/^@0 +featuresGet \(nlmsghdr: len \d+, type 21, flags REQUEST, seq 6, pid 4242\) \[ethtool\]$/m);
      expect(p.get(first + 8)).toMatch(/ETHTOOL_A_HEADER_DEV_NAME devName \(type 2, 10 bytes\): "veth0"/);
      expect(p.get(first + 9)).toMatch(/^# packet \d+ received /);
      expect(p.get(first + 9)).toMatch(/^@0 +featuresGetReply \(nlmsghdr: .*type 21, flags 0, seq 6, pid 4242\) \[ethtool\]$/m);
      // 13: FEATURES_NTF from the kernel, PRIVFLAGS_GET from a user
      expect(p.get(first + 10)).toMatch(/^@0 +featuresNtf \(nlmsghdr: .*\) \[ethtool\]$/m);
      expect(p.get(first + 11)).toMatch(/^@0 +privflagsGet \(nlmsghdr: .*\) \[ethtool\]$/m);
    });
  }

  it('JSON: the protocol of each datagram, the family and command of each generic netlink message', async () => {
    const r = await runCli(['-j', 'decode', file('mixed.pcap', capture(mixed()))]);
    const d = JSON.parse(r.out) as { protocol: number; protocolName: string; messages: Record<string, unknown>[] }[];
    expect(d[0]).toMatchObject({ protocol: 0, protocolName: 'NETLINK_ROUTE' });
    expect(d[first - 1]).toMatchObject({ protocol: 16, protocolName: 'NETLINK_GENERIC' });
    expect(d[first - 1]!.messages[0]).toMatchObject({ type: 37, genl: { familyId: 37, cmd: 4, version: 1 } });
    expect(d[first - 1]!.messages[0]!.family).toBeUndefined();
    expect(d[first + 2]!.messages[0]).toMatchObject({ family: 'IPVS', genl: { familyId: 37, cmd: 4, version: 1 } });
    expect(d[first + 7]!.messages[0]).toMatchObject({ kind: 'featuresGet', family: 'ethtool', genl: { familyId: 21, cmd: 11, version: 1 } });
    expect(d[first + 11]).toMatchObject({ protocol: 12, protocolName: 'NETLINK_NETFILTER' });
  });

  it('a family that goes away is unnamed after it; an id given to another family takes its name', async () => {
    const gone = encode('delfamily', 0, 0, { familyName: 'IPVS', familyId: IPVS_ID }, 2);
    const p = packets(
      (
        await runCli([
          'decode',
          file(
            'gone.pcap',
            capture([
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('IPVS', IPVS_ID) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: gone },
              { protocol: NETLINK_GENERIC, sent: true, bytes: genl(IPVS_ID, NLM_F.REQUEST, 1, 4) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('ethtool', IPVS_ID) },
              {
                protocol: NETLINK_GENERIC,
                sent: true,
                bytes: encode('featuresGet', NLM_F.REQUEST, 6, { header: { devName: 'veth0' } }).fill(IPVS_ID, 4, 5),
              },
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('nl80211', IPVS_ID) },
              { protocol: NETLINK_GENERIC, sent: true, bytes: genl(IPVS_ID, NLM_F.REQUEST, 1, 11) },
            ]),
          ),
        ])
      ).out,
    );
    expect(p.get(2)).toMatch(/^@0 +delfamily .*\[nlctrl\]$/m);
    expect(p.get(3)).toMatch(/^@0 +family 37 cmd 4 /m);
    expect(p.get(5)).toMatch(/^@0 +featuresGet .*\[ethtool\]$/m);
    expect(p.get(7)).toMatch(/^@0 +family nl80211 cmd 11 /m);
  });

  it('hostile nlctrl replies bind nothing: ids below 17, nlctrl itself, names too long, no id', async () => {
    const p = packets(
      (
        await runCli([
          'decode',
          file(
            'hostile.pcap',
            capture([
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('ethtool', 0x10) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('nlctrl', IPVS_ID) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('x'.repeat(40), ETHTOOL_ID) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: encode('newfamily', 0, 1, { familyName: 'IPVS' }, 2) },
              { protocol: NETLINK_GENERIC, sent: false, bytes: familyReply('ethtool', 3) },
              { protocol: NETLINK_GENERIC, sent: true, bytes: encode('getfamily', NLM_F.REQUEST, 3, { familyName: 'IPVS' }) },
              { protocol: NETLINK_GENERIC, sent: true, bytes: genl(IPVS_ID, NLM_F.REQUEST, 1, 4) },
              { protocol: NETLINK_GENERIC, sent: true, bytes: genl(ETHTOOL_ID, NLM_F.REQUEST, 1, 4) },
            ]),
          ),
        ])
      ).out,
    );
    expect(p.get(6)).toMatch(/^@0 +getfamily .*\[nlctrl\]$/m);
    expect(p.get(7)).toMatch(/^@0 +family 37 cmd 4 /m);
    expect(p.get(8)).toMatch(/^@0 +family 21 cmd 4 /m);
  });

  it('a family header size from nlctrl beyond the message (2^31: found by the property below) shows what is there', async () => {
    const reply = encode('newfamily', 0, 1, { familyName: 'IPVS', familyId: IPVS_ID, hdrsize: 2 ** 31 }, 2);
    const big = encode('newfamily', 0, 1, { familyName: 'big', familyId: ETHTOOL_ID, hdrsize: 6 }, 2);
    const list = [reply, genl(IPVS_ID, NLM_F.REQUEST, 1, 4, attr(1, u32(2))), big, genl(ETHTOOL_ID, NLM_F.REQUEST, 1, 4, attr(1, u32(2)))];
    const r = await runCli(['decode', file('hdrsize.pcap', capture(list.map((bytes) => ({ protocol: NETLINK_GENERIC, sent: true, bytes }))))]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const p = packets(r.out);
    expect(p.get(2)).toMatch(/^@20 +type 1 \(type 1, 8 bytes\): 02000000$/m);
    // hdrsize 6: the family header, then attributes from the next 4-byte boundary
    expect(p.get(4)).toMatch(/^@20 +family header \(6 bytes\): 080001000200$/m);
  });

  it('attributes that do not tile the message are shown as the payload, raw', async () => {
    const bad = genl(IPVS_ID, NLM_F.REQUEST, 1, 4, Uint8Array.from([9, 0, 1, 0, 1, 2]));
    const short = message(IPVS_ID, NLM_F.REQUEST, 1, 1, Uint8Array.from([4, 1]));
    const r = await runCli([
      'decode',
      file('bad-attrs.pcap', capture([bad, short].map((bytes) => ({ protocol: NETLINK_GENERIC, sent: true, bytes })))),
    ]);
    expect(r.code).toBe(0);
    const p = packets(r.out);
    expect(p.get(1)).toMatch(/^@20 +attributes \(6 bytes\) \[malformed: .*\]: 090001000102$/m);
    expect(p.get(2)).toMatch(/^@0 +type 37 \(nlmsghdr: len 18, .*\n@16 +payload: 0401$/m);
  });

  it('-o OUT.pcap keeps each packet its protocol; a fixture keeps it per exchange', async () => {
    const src = file('mixed.pcap', capture(mixed()));
    const pcap = join(tmp, 'out.pcap');
    expect((await runCli(['decode', src, '-o', pcap])).code).toBe(0);
    const protocols = (b: Uint8Array) => readPcap(b).packets.map((q) => new DataView(q.data.buffer, q.data.byteOffset).getUint16(14));
    expect(protocols(new Uint8Array(readFileSync(pcap)))).toEqual(mixed().map((q) => q.protocol));
    const json = join(tmp, 'out.json');
    expect((await runCli(['decode', src, '-o', json])).code).toBe(0);
    const f = loadFixture(json);
    expect(f.provenance.protocol).toBe(0);
    expect(f.exchanges.map((e) => e.protocol ?? f.provenance.protocol)).toEqual(mixed().map((q) => q.protocol));
    expect(f.exchanges[first + 8]!.note).toEqual([expect.stringMatching(/featuresGetReply/)]);
    const back = join(tmp, 'back.pcap');
    expect((await runCli(['decode', json, '-o', back])).code).toBe(0);
    const data = (f: string) => readPcap(new Uint8Array(readFileSync(f))).packets.map((q) => Buffer.from(q.data).toString('hex'));
    expect(data(back)).toEqual(data(pcap));
    const a = (await runCli(['decode', src])).out.split('\n').filter((l) => !l.startsWith('#'));
    const b = (await runCli(['decode', json])).out.split('\n').filter((l) => !l.startsWith('#'));
    expect(b).toEqual(a);
  });

  it('random corruption of mixed captures: exit 0, or 1 with one line; never a crash', async () => {
    const datagrams = mixed().filter((q) => q.protocol === NETLINK_GENERIC);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(datagrams.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (edits) => {
          const ds = datagrams.map((q) => ({ ...q, bytes: q.bytes.slice() }));
          for (const [i, at, v] of edits) ds[i]!.bytes[at % ds[i]!.bytes.length] = v;
          const r = await runCli(['decode', file('fuzz.pcap', capture(ds))]);
          expect([0, 1]).toContain(r.code);
          if (r.code === 1) expect(r.err.trim().split('\n')).toHaveLength(1);
          expect(r.err).not.toMatch(/\n\s+at /);
        },
      ),
      { numRuns: 200 },
    );
  });
});
