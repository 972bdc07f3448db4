/**
 * Capture files: classic pcap (written and read, either byte order, micro- or nanosecond
 * timestamps) and pcapng (read: SHB, IDB, EPB, SPB blocks). Netlink traffic uses link type 253,
 * LINKTYPE_NETLINK: each packet starts with a 16-byte Linux "cooked" pseudo-header (packet type,
 * ARPHRD_NETLINK, address length, address, netlink protocol; big-endian, as nlmon captures have
 * it) followed by the netlink messages in host byte order.
 */

export const LINKTYPE_NETLINK = 253;
export const ARPHRD_NETLINK = 824;
/** sll_pkttype values nlmon uses: sent by user space / by the kernel. */
export const PACKET_USER = 6;
export const PACKET_KERNEL = 7;
export const NETLINK_PSEUDO_HEADER = 16;

export class PcapError extends Error {
  override readonly name = 'PcapError' as const;
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(`${reason} (offset ${offset})`);
    this.offset = offset;
  }
}

export interface PcapPacket {
  /** Capture time, microseconds since the epoch. */
  timeUs: number;
  data: Uint8Array;
  /** Length on the wire (data may be shorter when the capture was truncated). */
  origLen: number;
  /** Byte offset of the packet data in the file. */
  offset: number;
}

export interface PcapFile {
  linktype: number;
  packets: PcapPacket[];
  format: 'pcap' | 'pcapng';
}

/** The 16-byte pseudo-header of a LINKTYPE_NETLINK packet. */
export function netlinkPseudoHeader(sent: boolean, protocol: number): Uint8Array {
  const h = new Uint8Array(NETLINK_PSEUDO_HEADER);
  const v = new DataView(h.buffer);
  v.setUint16(0, sent ? PACKET_USER : PACKET_KERNEL);
  v.setUint16(2, ARPHRD_NETLINK);
  v.setUint16(4, 0); // no link-layer address
  v.setUint16(14, protocol);
  return h;
}

export function writePcap(packets: { timeUs: number; data: Uint8Array }[], linktype = LINKTYPE_NETLINK, snaplen = 262144): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  let pos = 24;
  for (const p of packets) {
    const t = Math.max(0, Math.round(p.timeUs));
    v.setUint32(pos, Math.floor(t / 1e6), true);
    v.setUint32(pos + 4, t % 1e6, true);
    v.setUint32(pos + 8, p.data.length, true);
    v.setUint32(pos + 12, p.data.length, true);
    out.set(p.data, pos + 16);
    pos += 16 + p.data.length;
  }
  return out;
}

export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const m = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a;
}

export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 4) throw new PcapError(`${bytes.length} bytes are too short for a capture file header`, 0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) === 0x0a0d0d0a) return readPcapng(bytes, v);
  const magic = v.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new PcapError(`magic 0x${magic.toString(16)} is not a pcap or pcapng file`, 0);
  const nano = le ? magic === 0xa1b23c4d : magic === 0x4d3cb2a1;
  if (bytes.length < 24) throw new PcapError(`${bytes.length} bytes are too short for the 24-byte pcap header`, 0);
  const linktype = v.getUint32(20, le) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  let pos = 24;
  while (pos < bytes.length) {
    if (bytes.length - pos < 16) throw new PcapError(`${bytes.length - pos} trailing bytes are too short for a 16-byte packet record header`, pos);
    const sec = v.getUint32(pos, le);
    const frac = v.getUint32(pos + 4, le);
    const incl = v.getUint32(pos + 8, le);
    const orig = v.getUint32(pos + 12, le);
    if (pos + 16 + incl > bytes.length) throw new PcapError(`packet record length ${incl} runs ${pos + 16 + incl - bytes.length} bytes past the end of the file`, pos);
    packets.push({ timeUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac), data: bytes.subarray(pos + 16, pos + 16 + incl), origLen: orig, offset: pos + 16 });
    pos += 16 + incl;
  }
  return { linktype, packets, format: 'pcap' };
}

function readPcapng(bytes: Uint8Array, v: DataView): PcapFile {
  let le = true;
  const interfaces: { linktype: number; tsresol: number }[] = [];
  const packets: PcapPacket[] = [];
  let linktype = -1;
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) throw new PcapError(`${bytes.length - pos} trailing bytes are too short for a pcapng block`, pos);
    const type = v.getUint32(pos, le);
    if (type === 0x0a0d0d0a) {
      if (bytes.length - pos < 16) throw new PcapError('section header block is truncated', pos);
      const bom = v.getUint32(pos + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new PcapError(`byte-order magic 0x${bom.toString(16)} is not pcapng's`, pos + 8);
      interfaces.length = 0;
    }
    const len = v.getUint32(pos + 4, le);
    if (len < 12 || len % 4 !== 0) throw new PcapError(`block length ${len} is not a multiple of 4 of at least 12`, pos + 4);
    if (pos + len > bytes.length) throw new PcapError(`block length ${len} runs ${pos + len - bytes.length} bytes past the end of the file`, pos + 4);
    const body = pos + 8;
    if (type === 1) {
      // Interface Description Block: link type, snaplen, options (if_tsresol)
      const lt = v.getUint16(body, le);
      let tsresol = 6;
      let o = body + 8;
      while (o + 4 <= pos + len - 4) {
        const code = v.getUint16(o, le);
        const olen = v.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) tsresol = bytes[o + 4]!;
        o += 4 + ((olen + 3) & ~3);
      }
      interfaces.push({ linktype: lt, tsresol });
      if (linktype < 0) linktype = lt;
    } else if (type === 6 || type === 3) {
      let ifc = 0;
      let data: number;
      let cap: number;
      let orig: number;
      let t = 0;
      if (type === 6) {
        ifc = v.getUint32(body, le);
        const hi = v.getUint32(body + 4, le);
        const lo = v.getUint32(body + 8, le);
        cap = v.getUint32(body + 12, le);
        orig = v.getUint32(body + 16, le);
        data = body + 20;
        const iface = interfaces[ifc];
        if (!iface) throw new PcapError(`packet refers to interface ${ifc}, which was not described`, body);
        const ticks = hi * 2 ** 32 + lo;
        const r = iface.tsresol;
        const perSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        t = (ticks / perSec) * 1e6;
      } else {
        orig = v.getUint32(body, le);
        data = body + 4;
        cap = Math.min(orig, len - 16);
      }
      if (data + cap > pos + len - 4) throw new PcapError(`captured length ${cap} does not fit its block`, body);
      const lt = interfaces[ifc]?.linktype ?? linktype;
      if (lt !== linktype) throw new PcapError(`packets of several link types (${linktype}, ${lt}) are not supported`, pos);
      packets.push({ timeUs: t, data: bytes.subarray(data, data + cap), origLen: orig, offset: data });
    }
    pos += len;
  }
  return { linktype, packets, format: 'pcapng' };
}
