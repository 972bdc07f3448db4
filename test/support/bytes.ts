/**
 * An independent byte builder for golden tests: writes netlink framing by hand, without the codec,
 * so tests compare the codec against something it did not produce.
 */
export class Bytes {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u16be(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  s32(v: number): this {
    return this.u32(v >>> 0);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]!);
    return this;
  }
  str(s: string): this {
    return this.raw(Buffer.from(s + '\0'));
  }
  pad(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  /** An attribute: header + payload + padding. */
  attr(type: number, payload: Bytes | ArrayLike<number>): this {
    const p = payload instanceof Bytes ? payload.build() : Uint8Array.from(payload);
    this.u16(4 + p.length)
      .u16(type)
      .raw(p);
    return this.pad();
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A whole netlink message: nlmsghdr + payload. */
export function nlmsg(type: number, flags: number, seq: number, pid: number, payload: Bytes | Uint8Array = new Uint8Array()): Uint8Array {
  const p = payload instanceof Bytes ? payload.build() : payload;
  const b = new Bytes()
    .u32(16 + p.length)
    .u16(type)
    .u16(flags)
    .u32(seq)
    .u32(pid)
    .raw(p)
    .pad();
  return b.build();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** NLMSG_ERROR answering `request` (errno 0 = ACK), with optional extended-ack TLVs. */
export function errorFor(request: Uint8Array, errno: number, ext?: { msg?: string; offs?: number }): Uint8Array {
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  const seq = view.getUint32(8, true);
  const capped = errno === 0;
  const b = new Bytes().s32(-errno);
  b.raw(capped ? request.subarray(0, 16) : request.subarray(0, view.getUint32(0, true)));
  b.pad();
  let flags = capped ? 0x100 : 0;
  if (ext) {
    flags |= 0x200;
    if (ext.msg !== undefined) b.attr(1, new Bytes().str(ext.msg));
    if (ext.offs !== undefined) b.attr(2, new Bytes().u32(ext.offs));
  }
  return nlmsg(2, flags, seq, view.getUint32(12, true), b);
}

export function doneFor(request: Uint8Array, status = 0, flags = 2): Uint8Array {
  const seq = new DataView(request.buffer, request.byteOffset).getUint32(8, true);
  return nlmsg(3, flags, seq, 0, new Bytes().s32(status));
}

export function seqOf(msg: Uint8Array, offset = 0): number {
  return new DataView(msg.buffer, msg.byteOffset).getUint32(offset + 8, true);
}
