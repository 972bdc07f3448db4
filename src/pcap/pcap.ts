/**
 * Capture files: classic pcap (written and read, either byte order, micro- or nanosecond
 * timestamps) and pcapng (read: SHB, IDB, EPB, SPB blocks). Netlink traffic uses link type 253,
 * LINKTYPE_NETLINK: each packet starts with a 16-byte Linux "cooked" pseudo-header (packet type,
 * ARPHRD_NETLINK, address length, address, netlink protocol; big-endian, as nlmon captures have
 * it) followed by the netlink messages in host byte order.
 */

import { NetlinkTsError } from '../errors/base.js';

export const LINKTYPE_NETLINK = 253;
export const ARPHRD_NETLINK = 824;
/** sll_pkttype values nlmon uses: sent by user space / by the kernel. */
export const PACKET_USER = 6;
export const PACKET_KERNEL = 7;
export const NETLINK_PSEUDO_HEADER = 16;

export class PcapError extends NetlinkTsError {
  override readonly name = 'PcapError' as const;
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(`${reason} (offset ${offset})`);
    this.offset = offset;
  }
}

export function isPcapError(e: unknown): e is PcapError {
  return e instanceof Error && e.name === 'PcapError';
}

export interface PcapPacket {
  /** Capture time, microseconds since the epoch; absent when the file gives none (pcapng SPB) or `timeError`. */
  timeUs?: number;
  /** Why `timeUs` is absent: pcapng's 64-bit timestamp is outside the range of a Date. The packet is still read. */
  timeError?: PcapError;
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
  const reader = new PcapReader(memorySource(bytes));
  const packets = [...reader];
  return { linktype: reader.linktype, packets, format: reader.format };
}

/**
 * Where a PcapReader reads: the file's size, and its bytes [pos, pos + n) (fewer at its end),
 * valid until the next read. A reader asks for each header and block once, in file order.
 */
export interface ByteSource {
  readonly size: number;
  read(pos: number, n: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (pos, n) => bytes.subarray(pos, pos + n) };
}

/** A Date holds ±8.64e15 ms; pcapng's 64-bit ticks reach far past that. */
const MAX_TIME_US = 8_640_000_000_000_000_000n;
const PCAPNG_SHB = 0x0a0d0d0a;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Packets one at a time, so a capture of any size is decoded in the memory of its largest packet
 * (with a FileSource). Any bytes give packets or a PcapError: every length is checked against the
 * file before it is read, and each step moves forward. Packet data from a FileSource is valid until
 * the next `next()`: copy what you keep.
 */
export class PcapReader implements Iterable<PcapPacket> {
  readonly format: 'pcap' | 'pcapng';
  /** The packets' link type: the pcap header's, or pcapng's first interface's (-1 until one is described). */
  linktype = -1;
  private pos: number;
  private le = true;
  private nano = false;
  private readonly interfaces: { linktype: number; tsresol: number }[] = [];

  constructor(private readonly src: ByteSource) {
    const head = src.read(0, 24);
    if (head.length < 4) throw new PcapError(`${head.length} bytes are too short for a capture file header`, 0);
    const v = view(head);
    const magic = v.getUint32(0, true);
    if (magic === PCAPNG_SHB) {
      this.format = 'pcapng';
      this.pos = 0;
      return;
    }
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.le = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.le = false;
    else throw new PcapError(`magic 0x${magic.toString(16)} is not a pcap or pcapng file`, 0);
    this.format = 'pcap';
    this.nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    if (head.length < 24) throw new PcapError(`${head.length} bytes are too short for the 24-byte pcap header`, 0);
    this.linktype = v.getUint32(20, this.le) & 0x0fffffff;
    this.pos = 24;
  }

  /** The next packet, or undefined at the end of the file. */
  next(): PcapPacket | undefined {
    return this.format === 'pcap' ? this.nextRecord() : this.nextBlock();
  }

  *[Symbol.iterator](): Iterator<PcapPacket> {
    for (let p = this.next(); p; p = this.next()) yield p;
  }

  private nextRecord(): PcapPacket | undefined {
    const { pos, src } = this;
    if (pos >= src.size) return undefined;
    const h = src.read(pos, 16);
    if (h.length < 16) throw new PcapError(`${h.length} trailing bytes are too short for a 16-byte packet record header`, pos);
    const v = view(h);
    const sec = v.getUint32(0, this.le);
    const frac = v.getUint32(4, this.le);
    const incl = v.getUint32(8, this.le);
    const orig = v.getUint32(12, this.le);
    const data = src.read(pos + 16, incl);
    if (data.length < incl) throw new PcapError(`packet record length ${incl} runs ${incl - data.length} bytes past the end of the file`, pos);
    this.pos = pos + 16 + incl;
    return { timeUs: sec * 1e6 + (this.nano ? Math.floor(frac / 1000) : frac), data, origLen: orig, offset: pos + 16 };
  }

  private nextBlock(): PcapPacket | undefined {
    for (;;) {
      const { pos, src } = this;
      if (pos >= src.size) return undefined;
      const h = src.read(pos, 16);
      if (h.length < 12) throw new PcapError(`${h.length} trailing bytes are too short for a pcapng block`, pos);
      const v = view(h);
      const type = v.getUint32(0, this.le);
      if (type === PCAPNG_SHB) this.sectionHeader(v, pos);
      const len = v.getUint32(4, this.le);
      if (len < 12 || len % 4 !== 0) throw new PcapError(`block length ${len} is not a multiple of 4 of at least 12`, pos + 4);
      if (len > src.size - pos) throw new PcapError(`block length ${len} runs ${pos + len - src.size} bytes past the end of the file`, pos + 4);
      this.pos = pos + len;
      if (type === PCAPNG_SHB) tooShort('section header', 16, len, pos);
      else if (type === 1) this.describeInterface(this.block(pos, len, 'interface description', 8));
      else if (type === 6) return this.packet(type, pos, this.block(pos, len, 'enhanced packet', 20));
      else if (type === 3) return this.packet(type, pos, this.block(pos, len, 'simple packet', 4));
      // any other block (name resolution, statistics, custom...) holds no packet: skipped unread
    }
  }

  private sectionHeader(v: DataView, pos: number): void {
    if (v.byteLength < 16) throw new PcapError('section header block is truncated', pos);
    const bom = v.getUint32(8, true);
    if (bom === 0x1a2b3c4d) this.le = true;
    else if (bom === 0x4d3c2b1a) this.le = false;
    else throw new PcapError(`byte-order magic 0x${bom.toString(16)} is not pcapng's`, pos + 8);
    this.interfaces.length = 0;
  }

  /** A whole block, at least its fixed header long. */
  private block(pos: number, len: number, what: string, header: number): { v: DataView; b: Uint8Array; pos: number } {
    tooShort(what, header, len, pos);
    const b = this.src.read(pos, len);
    if (b.length < len) throw new PcapError(`block length ${len} runs ${len - b.length} bytes past the end of the file`, pos + 4);
    return { v: view(b), b, pos };
  }

  /** Interface Description Block: link type, snaplen, options (if_tsresol). */
  private describeInterface({ v, b }: { v: DataView; b: Uint8Array }): void {
    const lt = v.getUint16(8, this.le);
    const end = b.length - 4;
    let tsresol = 6;
    for (let o = 16; o + 4 <= end; ) {
      const code = v.getUint16(o, this.le);
      const olen = v.getUint16(o + 2, this.le);
      if (code === 0) break;
      if (code === 9 && olen >= 1 && o + 5 <= end) tsresol = b[o + 4]!;
      o += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push({ linktype: lt, tsresol });
    if (this.linktype < 0) this.linktype = lt;
  }

  /** Enhanced (6) or Simple (3) Packet Block. */
  private packet(type: number, pos: number, { v, b }: { v: DataView; b: Uint8Array }): PcapPacket {
    const ifc = type === 6 ? v.getUint32(8, this.le) : 0;
    const iface = this.interfaces[ifc];
    if (!iface) {
      const why = type === 6 ? `packet refers to interface ${ifc}, which was not described` : 'simple packet block before any interface description';
      throw new PcapError(why, pos + 8);
    }
    const data = type === 6 ? 28 : 12;
    const orig = v.getUint32(type === 6 ? 24 : 8, this.le);
    const cap = type === 6 ? v.getUint32(20, this.le) : Math.min(orig, b.length - 16);
    if (cap > b.length - 4 - data) throw new PcapError(`captured length ${cap} does not fit its block`, pos + 8);
    if (iface.linktype !== this.linktype) {
      throw new PcapError(`packets of several link types (${this.linktype}, ${iface.linktype}) are not supported`, pos);
    }
    const p: PcapPacket = { data: b.subarray(data, data + cap), origLen: orig, offset: pos + data };
    if (type === 6) stamp(p, v.getUint32(12, this.le), v.getUint32(16, this.le), iface.tsresol, pos + 12);
    return p;
  }
}

function tooShort(what: string, header: number, len: number, pos: number): void {
  if (len < 12 + header) throw new PcapError(`${what} block length ${len} is too short for its ${header}-byte header`, pos + 4);
}

/** An EPB's time: 64-bit ticks of 10^-r s (or 2^-r s when the top bit of if_tsresol is set). */
function stamp(p: PcapPacket, hi: number, lo: number, tsresol: number, offset: number): void {
  // microseconds below 2^53: the usual case, exact as a double
  if (tsresol === 6 && hi < 0x200000) {
    p.timeUs = hi * 2 ** 32 + lo;
    return;
  }
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const r = BigInt(tsresol & 0x7f);
  const us = (ticks * 1_000_000n) / (tsresol & 0x80 ? 1n << r : 10n ** r);
  if (us <= MAX_TIME_US) p.timeUs = Number(us);
  else p.timeError = new PcapError(`timestamp ${ticks} (units of ${tsresol & 0x80 ? 2 : 10}^-${r} s) is outside the range of a date`, offset);
}
