/**
 * A synthetic S1 link dump without privileges: the recorded RTM_NEWLINK of a veth with stats
 * (fixtures/notifications.json: IFLA_STATS64, IFLA_AF_SPEC inet conf, inet6 conf/stats/icmp6stats)
 * re-encoded 2001 times with its own name and index, packed like a kernel dump (NLM_F_MULTI,
 * datagrams of up to 32 KiB) and closed by NLMSG_DONE. Likewise an S2-like route dump: the
 * recorded IPv4 route with a gateway (fixtures/route-dump.json) as 10k /32 routes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NLM_F } from '../protocol/netlink.js';
import { rtnetlinkSpecs } from '../protocol/index.js';
import { ProtocolCodec } from '../src/codec/message.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The recorded veth RTM_NEWLINK that carries inet6 stats (the shape of a `links.list({ stats: true })` reply). */
export function templateLink(): Uint8Array {
  const fx = JSON.parse(readFileSync(path.join(ROOT, 'fixtures/notifications.json'), 'utf8')) as { exchanges: { dir: string; hex: string }[] };
  const codec = new ProtocolCodec(rtnetlinkSpecs);
  for (const ex of fx.exchanges) {
    if (ex.dir !== 'received') continue;
    const bytes = new Uint8Array(Buffer.from(ex.hex, 'hex'));
    const [m] = codec.decode(bytes);
    const a = m?.attrs as Record<string, any> | undefined;
    if (m?.kind === 'newlink' && a?.linkinfo?.kind === 'veth' && a.stats64 && a.afSpec?.inet6?.stats)
      return bytes.slice(0, new DataView(bytes.buffer).getUint32(0, true));
  }
  throw new Error('no veth RTM_NEWLINK with inet6 stats in fixtures/notifications.json');
}

/** Datagrams of a dump of `n` links (a0, b0, a1, b1, ... then vz), as the kernel would send them. */
export function syntheticLinkDump(n = 2001, datagramSize = 32768): Uint8Array[] {
  const codec = new ProtocolCodec(rtnetlinkSpecs);
  const [tpl] = codec.decode(templateLink());
  const seq = 1;
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const name = i === n - 1 ? 'vz' : `${i % 2 ? 'b' : 'a'}${i >> 1}`;
    const header = { ...(tpl!.header as object), index: i + 2 };
    const attrs = { ...(tpl!.attrs as object), ifname: name, link: i % 2 ? i + 1 : i + 3 };
    msgs.push(codec.encode({ kind: 'newlink', flags: NLM_F.MULTI, seq, pid: 1234, header, attrs }));
  }
  return packDump(msgs, seq, datagramSize);
}

/** Datagrams of a dump of `n` IPv4 /32 routes via a gateway (as `ip route add 198.18.x.y/32 via ...`). */
export function syntheticRouteDump(n = 10000, datagramSize = 32768): Uint8Array[] {
  const codec = new ProtocolCodec(rtnetlinkSpecs);
  const fx = JSON.parse(readFileSync(path.join(ROOT, 'fixtures/route-dump.json'), 'utf8')) as { exchanges: { dir: string; hex: string }[] };
  let tpl: { header: Record<string, unknown>; attrs: Record<string, unknown> } | undefined;
  for (const ex of fx.exchanges) {
    if (ex.dir !== 'received' || tpl) continue;
    for (const m of codec.decode(new Uint8Array(Buffer.from(ex.hex, 'hex')))) {
      const a = m.attrs as Record<string, unknown> | undefined;
      if (m.kind === 'newroute' && a?.gateway && a.oif !== undefined && (m.header as { family: string }).family === 'inet') {
        tpl = { header: m.header as Record<string, unknown>, attrs: a };
        break;
      }
    }
  }
  if (!tpl) throw new Error('no IPv4 route with a gateway in fixtures/route-dump.json');
  const seq = 2;
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const { priority: _p, ...attrs } = tpl.attrs;
    msgs.push(
      codec.encode({
        kind: 'newroute',
        flags: NLM_F.MULTI,
        seq,
        pid: 1234,
        header: { ...tpl.header, dstLen: 32, flags: [] },
        attrs: { ...attrs, dst: `198.18.${i >> 8}.${i & 255}`, gateway: '192.0.2.2' },
      }),
    );
  }
  return packDump(msgs, seq, datagramSize);
}

/** Messages packed into datagrams of up to `datagramSize` bytes, closed by NLMSG_DONE. */
function packDump(msgs: Uint8Array[], seq: number, datagramSize: number): Uint8Array[] {
  const done = new Uint8Array(20);
  const dv = new DataView(done.buffer);
  dv.setUint32(0, 20, true);
  dv.setUint16(4, 3, true); // NLMSG_DONE
  dv.setUint16(6, NLM_F.MULTI, true);
  dv.setUint32(8, seq, true);
  dv.setUint32(12, 1234, true);
  msgs = [...msgs, done];
  const out: Uint8Array[] = [];
  let cur: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    const d = new Uint8Array(size);
    let p = 0;
    for (const m of cur) {
      d.set(m, p);
      p += (m.length + 3) & ~3;
    }
    out.push(d);
    cur = [];
    size = 0;
  };
  for (const m of msgs) {
    const padded = (m.length + 3) & ~3;
    if (size + padded > datagramSize && cur.length) flush();
    cur.push(m);
    size += padded;
  }
  if (cur.length) flush();
  return out;
}

/** Datagrams as one file: u32 count, then per datagram u32 length + bytes. */
export function packDatagrams(ds: Uint8Array[]): Uint8Array {
  const total = 4 + ds.reduce((s, d) => s + 4 + d.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ds.length, true);
  let p = 4;
  for (const d of ds) {
    dv.setUint32(p, d.length, true);
    out.set(d, p + 4);
    p += 4 + d.length;
  }
  return out;
}

export function unpackDatagrams(b: Uint8Array): Uint8Array[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = dv.getUint32(0, true);
  const out: Uint8Array[] = [];
  let p = 4;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(p, true);
    out.push(b.slice(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return out;
}
