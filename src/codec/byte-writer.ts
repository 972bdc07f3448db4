/**
 * A growable little-endian byte writer with netlink attribute helpers. Public: families that have
 * no spec yet can still build messages by hand with it.
 */
import { EncodeError } from './errors.js';
import { NLA_HDRLEN, align4, walkAttrs } from './walk.js';

// The framing constants live with the walk that reads them; exported here too, as they always were.
export { NLA_HDRLEN, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, align4 } from './walk.js';

const utf8 = new TextEncoder();

export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** Write attributes as the kernel does (no NLA_F_NESTED on `nestedFlag: 'user'` nests); ProtocolCodec.encode sets it. */
  asKernel = false;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number, bigEndian = false): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, !bigEndian);
    this.pos += 2;
  }
  u32(v: number, bigEndian = false): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, !bigEndian);
    this.pos += 4;
  }
  u64(v: bigint, bigEndian = false): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, !bigEndian);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  /**
   * A string attribute's payload: `s` in UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes
   * them) and the NUL the kernel expects, written in place: names come in every message of a big
   * batch (a rule's table, chain and each expression's name), and a copy per string was most of it.
   */
  cstring(s: string): void {
    const n = s.length;
    this.ensure(3 * n + 1);
    const buf = this.buf;
    let p = this.pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i < n) p += utf8.encodeInto(i === 0 ? s : s.slice(i), buf.subarray(p)).written;
    buf[p++] = 0;
    this.pos = p;
  }

  /** Pad with zeros to the next 4-byte boundary (NLA_ALIGN / NLMSG_ALIGN). */
  align(): void {
    let p = this.pos;
    const end = align4(p);
    if (end === p) return;
    // Up to 3 bytes, after nearly every attribute: a loop, not zeros()' fill() (a builtin call per pad).
    this.ensure(end - p);
    const buf = this.buf;
    while (p < end) buf[p++] = 0;
    this.pos = end;
  }

  /** Start an attribute; returns the offset to hand to endAttr. */
  beginAttr(type: number): number {
    const start = this.pos;
    this.ensure(NLA_HDRLEN);
    this.view.setUint16(start + 2, type, true);
    this.pos += NLA_HDRLEN;
    return start;
  }
  endAttr(start: number): void {
    const len = this.pos - start;
    if (len > 0xffff) throw new EncodeError(`attribute of ${len} bytes exceeds the 65535-byte nla_len limit`);
    this.view.setUint16(start, len, true);
    this.align();
  }
  /** A whole attribute from a ready payload. */
  attr(type: number, payload: Uint8Array): void {
    const start = this.beginAttr(type);
    this.bytes(payload);
    this.endAttr(start);
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export interface RawAttr {
  /** nla_type as on the wire, including the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits. */
  type: number;
  data: Uint8Array;
}

/**
 * Low-level attribute iteration over a byte range, for families not modelled by a spec: the
 * attributes of walk.ts's walkAttrs as objects (data is a view). Throws DecodeError on malformed
 * lengths, as the spec decoder does. Convenient, not fast: the codec walks with walkAttrs itself.
 */
export function* iterateAttrs(bytes: Uint8Array, start = 0, end = bytes.length): Generator<RawAttr & { offset: number }> {
  const a = walkAttrs(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, end);
  while (a.next()) yield { type: a.type, data: bytes.subarray(a.start, a.end), offset: a.at };
}
