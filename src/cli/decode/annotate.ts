/**
 * Netlink bytes -> an annotated tree: every message header, family header member and attribute
 * with its byte offset, length, spec name (and kernel constant) and value, nests as children.
 * Malformed input is refused first by the codec (DecodeError: what and where); the walk then
 * only describes what the codec accepted.
 */
import { netlinkSpec, NLMSG, NLM_F } from '../../../protocol/netlink.js';
import { nlctrlSpec } from '../../../protocol/nlctrl.js';
import type { CompiledAttr, CompiledFamily, CompiledSet, CompiledStruct, DecodeCtx } from '../../codec/index.js';
import { compileFamily, decodeStruct, isDecodeError } from '../../codec/index.js';
import { formatNlmsgFlags } from '../../codec/format.js';
import { type ProtocolCodec, makeCtx } from '../../codec/message.js';
import type { Sender } from '../../codec/message-ids.js';
import { type AttrWalk, NLA_F_NESTED, NLA_F_NET_BYTEORDER, align4, recordEnd, walkAttrs, walkMessages } from '../../codec/walk.js';
import { errnoInfo } from '../../conn/errors.js';
import type { GenlNames } from './families.js';

export interface Node {
  /** Byte offset from the start of the datagram. */
  offset: number;
  /** Bytes covered, headers included. */
  length: number;
  /** Spec name ('ifname', 'linkinfo'...), struct member name, or 'type N' for unknown attributes. */
  name: string;
  /** Kernel constant (IFLA_IFNAME) when the spec names one. */
  constant?: string;
  /** nla_type (without flag bits) for attributes. */
  type?: number;
  /** NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
  nlaFlags?: string[];
  value?: unknown;
  children?: Node[];
  note?: string;
}

export interface AnnotatedMessage {
  offset: number;
  length: number;
  type: number;
  /** 'newlink', 'error', 'done'... or undefined for unknown types. */
  kind?: string;
  family?: string;
  flags: number;
  flagNames: string;
  seq: number;
  pid: number;
  /** Generic netlink: the family id (nlmsg_type), and the command and version of genlmsghdr. */
  genl?: { familyId: number; cmd: number; version: number };
  /** Family header (ifinfomsg...) members, then attributes; or the control payload. */
  header?: Node;
  attributes?: Node[];
  error?: { errno: number; code: string; text: string; request: ErrorRequest; ext?: Node[] };
  status?: number;
  payload?: string;
}

/** The request an NLMSG_ERROR answers; for a generic netlink family without a spec, its name (if known) and command. */
export interface ErrorRequest {
  type: number;
  kind?: string;
  family?: string;
  cmd?: number;
  flags: number;
  seq: number;
  pid: number;
  len: number;
}

export interface AnnotateOptions {
  /** Who sent the datagram (it picks request or reply in directional families); else each message's NLM_F_REQUEST. */
  sender?: Sender;
  /** For generic netlink datagrams: the family names known so far. */
  genl?: GenlNames;
}

const netlinkFamily = compileFamily(netlinkSpec);
const extackSet = netlinkFamily.sets.get('extack')!;

function hex(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('hex');
}

function structNode(ctx: DecodeCtx, st: CompiledStruct, start: number, end: number, name: string): Node {
  const value = decodeStruct(ctx, st, start, end);
  const children: Node[] = [];
  for (const m of st.members) {
    if (m.spec.type === 'pad' || !(m.spec.name in value)) continue;
    const size = m.rest ? Math.max(0, end - start - m.offset) : m.size;
    children.push({ offset: start + m.offset, length: size, name: m.spec.name, value: value[m.spec.name] });
  }
  return { offset: start, length: end - start, name, value, children };
}

/** An attribute's node: offset, length, id and flag bits of the walk's current attribute. */
function attrNode(w: AttrWalk, name: string | undefined): Node {
  const node: Node = { offset: w.at, length: w.len, name: name ?? `type ${w.id}`, type: w.id };
  if (w.type & (NLA_F_NESTED | NLA_F_NET_BYTEORDER)) {
    node.nlaFlags = [...(w.type & NLA_F_NESTED ? ['NESTED'] : []), ...(w.type & NLA_F_NET_BYTEORDER ? ['NET_BYTEORDER'] : [])];
  }
  return node;
}

/** Attributes of `set` in [start, end). `family` resolves sub-messages, nest headers and struct arrays. */
function walkSet(ctx: DecodeCtx, family: CompiledFamily, set: CompiledSet, start: number, end: number, depth: number): Node[] {
  // First pass: selector values (a sub-message may come before its selector: RTA_ENCAP).
  // The codec has refused malformed lengths already: nextValid() only stops where it did.
  const siblings: Record<string, unknown> = {};
  for (const w = walkAttrs(ctx.view, start, end); w.nextValid(); ) {
    const a = set.byId[w.id];
    if (a && a.spec.type !== 'sub-message' && a.spec.type !== 'nest' && a.spec.type !== 'struct-array') {
      try {
        siblings[a.key] = a.decode(ctx, w.start, w.end, depth, siblings);
      } catch {
        // shown as raw below
      }
    }
  }
  const out: Node[] = [];
  for (const w = walkAttrs(ctx.view, start, end); w.nextValid(); ) {
    const a = set.byId[w.id];
    const node = attrNode(w, a?.key);
    if (a) node.constant = a.constant;
    describeAttr(ctx, family, a, node, w.start, w.end, depth, siblings);
    out.push(node);
  }
  return out;
}

function describeAttr(
  ctx: DecodeCtx,
  family: CompiledFamily,
  a: CompiledAttr | undefined,
  node: Node,
  s: number,
  e: number,
  depth: number,
  siblings: Record<string, unknown>,
): void {
  if (!a) {
    node.value = hex(ctx.bytes, s, e);
    node.note = 'not in the spec';
    return;
  }
  const spec = a.spec;
  if (a.fixedSize !== undefined && e - s !== a.fixedSize) {
    node.value = hex(ctx.bytes, s, e);
    node.note = `${e - s} bytes where ${spec.type} has ${a.fixedSize}`;
    return;
  }
  switch (spec.type) {
    case 'nest': {
      const set = family.sets.get(spec.nested!)!;
      if (spec.header) {
        const st = family.structs.get(spec.header)!;
        const hdrEnd = Math.min(e, s + st.size);
        node.children = [structNode(ctx, st, s, hdrEnd, spec.header), ...walkSet(ctx, family, set, Math.min(e, s + align4(st.size)), e, depth + 1)];
      } else node.children = walkSet(ctx, family, set, s, e, depth + 1);
      return;
    }
    case 'sub-message': {
      const sel = siblings[spec.selector!];
      const setName = typeof sel === 'string' ? family.spec.subMessages?.[spec.subMessage!]?.[sel] : undefined;
      const set = setName ? family.sets.get(setName) : undefined;
      if (!set) {
        node.value = hex(ctx.bytes, s, e);
        node.note = `no attribute set for ${spec.selector} ${JSON.stringify(sel)}`;
        return;
      }
      node.note = `${spec.selector} ${String(sel)}: ${set.name}`;
      node.children = walkSet(ctx, family, set, s, e, depth + 1);
      return;
    }
    case 'struct-array': {
      const st = family.structs.get(spec.struct!)!;
      const set = family.sets.get(spec.nested!)!;
      const lenMember = st.members.find((m) => m.spec.name === spec.lengthMember)!;
      const recs: Node[] = [];
      for (let p = s, end = 0; p < e; p = align4(end)) {
        try {
          end = recordEnd(ctx.view, p, e, lenMember.offset, st.size, st.name);
        } catch {
          break; // refused by the codec already
        }
        const rec = structNode(ctx, st, p, p + st.size, `[${recs.length}] ${st.name}`);
        rec.length = end - p;
        rec.children = [...(rec.children ?? []), ...walkSet(ctx, family, set, p + align4(st.size), end, depth + 1)];
        delete rec.value;
        recs.push(rec);
      }
      node.children = recs;
      return;
    }
    default:
      try {
        node.value = a.decode(ctx, s, e, depth, siblings as never);
      } catch (err) {
        node.value = hex(ctx.bytes, s, e);
        node.note = (err as Error).message;
      }
  }
}

/** Every message of one datagram, annotated. The codec has validated the bytes first. */
export function annotateDatagram(codec: ProtocolCodec, bytes: Uint8Array): AnnotatedMessage[] {
  return annotateRange(codec, bytes, [0, bytes.length]);
}

/**
 * A datagram cut at message boundaries into ranges of about `size` bytes, so a huge one (a raw
 * file, a hostile capture) is decoded a range at a time; `count` is the number of messages. A
 * malformed header ends the walk: the last range runs to the end, for the codec to refuse.
 */
export function messageRanges(bytes: Uint8Array, size: number): { ranges: [number, number][]; count: number } {
  const ranges: [number, number][] = [];
  let start = 0;
  let count = 0;
  for (const w = walkMessages(bytes); w.nextValid(); count++) {
    const pos = Math.min(align4(w.end), bytes.length);
    if (pos - start >= size) {
      ranges.push([start, pos]);
      start = pos;
    }
  }
  if (start < bytes.length || ranges.length === 0) ranges.push([start, bytes.length]);
  return { ranges, count };
}

/**
 * The messages of one range of a datagram (from messageRanges), validated by the codec first, then
 * annotated; offsets are from the start of the datagram.
 */
export function annotateRange(
  codec: ProtocolCodec,
  bytes: Uint8Array,
  [start, stop]: [number, number],
  opts: AnnotateOptions = {},
): AnnotatedMessage[] {
  const ctx = makeCtx(bytes);
  for (let pos = start; pos < stop; ) {
    const end = codec.frameEnd(ctx, pos); // throws DecodeError (reason, path, offset) on malformed input
    codec.decodeFrame(ctx, pos, end, true, senderOf(ctx, pos, opts));
    pos = align4(end);
  }
  const v = ctx.view;
  const out: AnnotatedMessage[] = [];
  for (const w = walkMessages(bytes, start, stop); w.nextValid(); ) {
    const { at: pos, type, flags, body, end } = w;
    const m: AnnotatedMessage = { offset: pos, length: w.len, type, flags, flagNames: '', seq: w.seq, pid: w.pid };
    if (type < NLMSG.MIN_TYPE) {
      m.kind = ({ [NLMSG.NOOP]: 'noop', [NLMSG.ERROR]: 'error', [NLMSG.DONE]: 'done', [NLMSG.OVERRUN]: 'overrun' } as Record<number, string>)[type];
      if (type === NLMSG.ERROR && end - body >= 20) m.error = errorPayload(codec, ctx, m, end, opts);
      else if (type === NLMSG.DONE) {
        if (end - body >= 4) m.status = v.getInt32(body, true);
        if (flags & NLM_F.ACK_TLVS && end - body > 4) m.attributes = walkSet(ctx, netlinkFamily, extackSet, body + 4, end, 0);
      } else if (end > body) m.payload = hex(bytes, body, end);
    } else {
      const found = codec.messageAt(ctx, pos, end, senderOf(ctx, pos, opts));
      if (opts.genl && end - body >= GENLMSGHDR) m.genl = { familyId: type, cmd: v.getUint8(body), version: v.getUint8(body + 1) };
      if (found) {
        const { family, message } = found;
        m.kind = message.name;
        m.family = family.name;
        const hdrEnd = Math.min(end, body + message.header.size);
        m.header = structNode(ctx, message.header, body, hdrEnd, message.header.name);
        m.attributes = walkSet(ctx, family, message.attributes, Math.min(end, body + align4(message.header.size)), end, 0);
      } else if (m.genl) genlRaw(ctx, m, opts.genl!);
      else m.payload = hex(bytes, body, end);
    }
    m.flagNames = formatNlmsgFlags(flags, m.kind);
    out.push(m);
  }
  return out;
}

const GENLMSGHDR = 4;
let genlHeader: CompiledStruct | undefined;

/** The datagram's sender, or a message's own: requests carry NLM_F_REQUEST, the kernel never sets it. */
function senderOf(ctx: DecodeCtx, pos: number, opts: AnnotateOptions): Sender {
  if (opts.sender) return opts.sender;
  return ctx.view.getUint16(pos + 6, true) & NLM_F.REQUEST ? 'user' : 'kernel';
}

/** NLMSG_ERROR: the errno, the request it answers (named as it was sent), the extended ack. */
type ErrorNode = NonNullable<AnnotatedMessage['error']>;

function errorPayload(codec: ProtocolCodec, ctx: DecodeCtx, m: AnnotatedMessage, end: number, opts: AnnotateOptions): ErrorNode {
  const v = ctx.view;
  const body = m.offset + 16;
  const errno = -v.getInt32(body, true);
  const r = body + 4;
  const info = errnoInfo(errno);
  const request: ErrorRequest = {
    len: v.getUint32(r, true),
    type: v.getUint16(r + 4, true),
    flags: v.getUint16(r + 6, true),
    seq: v.getUint32(r + 8, true),
    pid: v.getUint32(r + 12, true),
  };
  // The request's payload is echoed unless the ack is capped (always for errno 0).
  const echoed = !(m.flags & NLM_F.CAPPED) && errno !== 0;
  const reqEnd = echoed ? Math.min(end, r + Math.max(16, request.len)) : r + 16;
  const kind = request.type >= NLMSG.MIN_TYPE ? codec.messageAt(ctx, r, reqEnd, 'user')?.message.name : undefined;
  if (kind) request.kind = kind;
  else if (opts.genl && request.type >= NLMSG.MIN_TYPE) {
    const name = opts.genl.family(request.type)?.name;
    if (name !== undefined) request.family = name;
    if (reqEnd - r >= 16 + GENLMSGHDR) request.cmd = v.getUint8(r + 16); // not in a capped ack
  }
  const e: ErrorNode = { errno, code: errno === 0 ? 'ACK' : info.code, text: errno === 0 ? 'success' : info.description, request };
  const tlv = echoed ? align4(r + request.len) : r + 16;
  if (m.flags & NLM_F.ACK_TLVS && tlv < end) e.ext = walkSet(ctx, netlinkFamily, extackSet, tlv, end, 0);
  return e;
}

/**
 * A generic netlink message no spec describes (a family without one, or not named yet): its
 * genlmsghdr, the family's own header (hdrsize, from nlctrl), and its attributes raw.
 */
function genlRaw(ctx: DecodeCtx, m: AnnotatedMessage, names: GenlNames): void {
  const body = m.offset + 16;
  const end = m.offset + m.length;
  const named = names.family(m.type);
  if (named) m.family = named.name;
  genlHeader ??= compileFamily(nlctrlSpec).structs.get('genlmsghdr')!;
  m.header = structNode(ctx, genlHeader, body, body + GENLMSGHDR, genlHeader.name);
  m.attributes = [];
  let start = body + GENLMSGHDR;
  if (named && named.hdrsize > 0) {
    const size = Math.min(named.hdrsize, end - start);
    m.attributes.push({ offset: start, length: size, name: 'family header', value: ctx.bytes.subarray(start, start + size) });
    start = Math.min(end, start + align4(size));
  }
  const attrs = rawAttributes(ctx, start, end);
  if (typeof attrs !== 'string') m.attributes.push(...attrs);
  else {
    const value = ctx.bytes.subarray(start, end);
    m.attributes.push({ offset: start, length: end - start, name: 'attributes', value, note: `malformed: ${attrs}` });
  }
}

/** Attributes of [start, end) as type, flags and bytes (printed as hex); or why they do not tile the range. */
function rawAttributes(ctx: DecodeCtx, start: number, end: number): Node[] | string {
  const out: Node[] = [];
  try {
    for (const w = walkAttrs(ctx.view, start, end); w.next(); ) {
      const node = attrNode(w, undefined);
      node.value = ctx.bytes.subarray(w.start, w.end);
      out.push(node);
    }
  } catch (err) {
    if (!isDecodeError(err)) throw err;
    return `${err.reason} (offset ${err.offset})`;
  }
  return out;
}
