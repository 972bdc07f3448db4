/**
 * The walk over netlink's length-prefixed frames, written once: messages (nlmsghdr) in a datagram,
 * attributes (nlattr) in a payload, and the records of a struct-array. Every reader of netlink
 * bytes steps through them here, so the length checks and their DecodeErrors (reason, byte offset,
 * path) are the same everywhere. The decoders fast-decode.ts generates inline the same loop for
 * speed and build their errors with attrFrameError; test/codec/walk.test.ts holds them to this one.
 *
 * Cursors rather than iterators: a walk is one small object whose fields each step overwrites, so
 * the per-attribute loop allocates nothing (a generator allocates a result per step, and its
 * resumption is not inlined), and a nested walk is simply another cursor.
 *
 *   for (const a = walkAttrs(view, start, end, set); a.next(); ) use(a.type, a.start, a.end);
 *   for (const m = walkMessages(datagram); m.next(); ) use(m.at, m.end);
 *
 * next() throws a DecodeError at a malformed length; nextValid() stops there instead, for readers
 * that show what they can of bytes they do not vouch for (error paths, templates, replay).
 */
import { NLMSG_HDRLEN } from '../../protocol/netlink.js';
import { DecodeError } from './errors.js';

export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
/** nla_type without its flag bits: the attribute's id. */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** NLA_ALIGN / NLMSG_ALIGN: every frame starts on a 4-byte boundary. */
export const align4 = (n: number): number => (n + 3) & ~3;

/** What names an attribute walk's errors: an attribute set (a CompiledSet is one). */
export interface AttrNames {
  readonly name: string;
  readonly byId: readonly ({ readonly key: string } | undefined)[];
}

/**
 * The DecodeError for the attribute header at `pos` of a container ending at `limit`: `raw` is its
 * nla_type, or -1 when fewer than 4 bytes are left. With names the path is the set (trailing
 * bytes) or the attribute (a bad nla_len); without, it is empty for the caller to extend.
 */
export function attrFrameError(pos: number, len: number, raw: number, limit: number, names?: AttrNames): DecodeError {
  if (raw < 0) return new DecodeError(`${limit - pos} trailing bytes are too short for an attribute header`, pos, names ? [names.name] : []);
  const id = raw & NLA_TYPE_MASK;
  const path = names ? [names.byId[id]?.key ?? `type ${id}`] : [];
  if (len < NLA_HDRLEN) return new DecodeError(`attribute length ${len} is shorter than its 4-byte header`, pos, path);
  return new DecodeError(`attribute length ${len} runs ${pos + len - limit} bytes past its container`, pos, path);
}

/** A walk over the attributes in [start, limit) of `view` (see the module comment). */
export class AttrWalk {
  /** Offset of the current attribute's header; -1 before the first. */
  at = -1;
  /** nla_len of the current attribute: header and payload, not the padding after it. */
  len = 0;
  /** nla_type as on the wire, NLA_F_NESTED and NLA_F_NET_BYTEORDER included. */
  type = 0;
  /** The attribute's id: nla_type without the flag bits. */
  id = 0;
  /** Its payload: [start, end), padding excluded. */
  start = 0;
  end = 0;
  /** Where the next attribute starts. */
  private pos: number;

  constructor(
    readonly view: DataView,
    start: number,
    readonly limit: number,
    private readonly names?: AttrNames,
  ) {
    this.pos = start;
  }

  /** Steps to the next attribute: false at the end; a DecodeError (attrFrameError) at a malformed length. */
  next(): boolean {
    const pos = this.pos;
    const limit = this.limit;
    if (pos >= limit) return false;
    if (limit - pos < NLA_HDRLEN) throw attrFrameError(pos, 0, -1, limit, this.names);
    const len = this.view.getUint16(pos, true);
    const type = this.view.getUint16(pos + 2, true);
    if (len < NLA_HDRLEN || pos + len > limit) throw attrFrameError(pos, len, type, limit, this.names);
    // Stored, not computed by getters: code not yet optimised (a first dump) reads them without a call.
    this.at = pos;
    this.len = len;
    this.type = type;
    this.id = type & NLA_TYPE_MASK;
    this.start = pos + NLA_HDRLEN;
    this.end = pos + len;
    this.pos = pos + ((len + 3) & ~3);
    return true;
  }
  /** As next(), but a malformed length ends the walk (false) instead of throwing. */
  nextValid(): boolean {
    const pos = this.pos;
    if (this.limit - pos < NLA_HDRLEN) return false;
    const len = this.view.getUint16(pos, true);
    if (len < NLA_HDRLEN || pos + len > this.limit) return false;
    const type = this.view.getUint16(pos + 2, true);
    this.at = pos;
    this.len = len;
    this.type = type;
    this.id = type & NLA_TYPE_MASK;
    this.start = pos + NLA_HDRLEN;
    this.end = pos + len;
    this.pos = pos + ((len + 3) & ~3);
    return true;
  }
}

/** The attributes in [start, end) of `view`; `names` (an attribute set) names the path of its errors. */
export function walkAttrs(view: DataView, start: number, end: number, names?: AttrNames): AttrWalk {
  return new AttrWalk(view, start, end, names);
}

/** End of the message at `pos` (pos + nlmsg_len) of bytes ending at `limit`; a DecodeError if it does not fit. */
export function messageEnd(view: DataView, pos: number, limit: number): number {
  const left = limit - pos;
  if (left < NLMSG_HDRLEN) throw new DecodeError(`${left} bytes left, too short for a 16-byte nlmsghdr`, pos, ['nlmsghdr']);
  const len = view.getUint32(pos, true);
  if (len < NLMSG_HDRLEN) throw new DecodeError(`nlmsg_len ${len} is shorter than the 16-byte header`, pos, ['nlmsghdr']);
  if (len > left) throw new DecodeError(`nlmsg_len ${len} runs ${len - left} bytes past the end of the data (truncated?)`, pos, ['nlmsghdr']);
  return pos + len;
}

/** A walk over the messages in [start, limit) of `view` (see the module comment). */
export class MessageWalk {
  /** Offset of the current message's nlmsghdr; -1 before the first. */
  at = -1;
  /** nlmsg_len of the current message, header included. */
  len = 0;
  /** End of the current message. */
  end = 0;
  /** Start of its payload, after the nlmsghdr. */
  body = 0;
  private pos: number;

  constructor(
    readonly view: DataView,
    start: number,
    readonly limit: number,
  ) {
    this.pos = start;
  }

  get type(): number {
    return this.view.getUint16(this.at + 4, true);
  }
  get flags(): number {
    return this.view.getUint16(this.at + 6, true);
  }
  get seq(): number {
    return this.view.getUint32(this.at + 8, true);
  }
  get pid(): number {
    return this.view.getUint32(this.at + 12, true);
  }
  /** Steps to the next message: false at the end; a DecodeError (messageEnd) when one does not fit. */
  next(): boolean {
    const pos = this.pos;
    if (pos >= this.limit) return false;
    const end = messageEnd(this.view, pos, this.limit);
    this.at = pos;
    this.len = end - pos;
    this.end = end;
    this.body = pos + NLMSG_HDRLEN;
    this.pos = pos + align4(end - pos);
    return true;
  }
  /** As next(), but a message that does not fit ends the walk (false) instead of throwing. */
  nextValid(): boolean {
    const pos = this.pos;
    if (this.limit - pos < NLMSG_HDRLEN) return false;
    const len = this.view.getUint32(pos, true);
    if (len < NLMSG_HDRLEN || len > this.limit - pos) return false;
    this.at = pos;
    this.len = len;
    this.end = pos + len;
    this.body = pos + NLMSG_HDRLEN;
    this.pos = pos + align4(len);
    return true;
  }
}

/** The messages of `bytes` (a datagram), or of [start, end) of it. */
export function walkMessages(bytes: Uint8Array, start = 0, end = bytes.length): MessageWalk {
  return new MessageWalk(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, end);
}

/**
 * End of the struct-array record at `pos` of a container ending at `limit`: a struct `name` of
 * `size` bytes whose u16 member at `lenAt` counts the whole record (rtnexthop), attributes after
 * it. A DecodeError if the record does not fit.
 */
export function recordEnd(view: DataView, pos: number, limit: number, lenAt: number, size: number, name: string): number {
  if (limit - pos < size) throw new DecodeError(`${limit - pos} bytes left, too short for a ${name} (${size} bytes)`, pos);
  const len = view.getUint16(pos + lenAt, true);
  if (len < size) throw new DecodeError(`${name} length ${len} is shorter than its ${size}-byte header`, pos);
  if (pos + len > limit) throw new DecodeError(`${name} length ${len} runs ${pos + len - limit} bytes past its container`, pos);
  return pos + len;
}
