/**
 * Netlink bytes -> an annotated tree: every message header, family header member and attribute
 * with its byte offset, length, spec name (and kernel constant) and value, nests as children.
 * Malformed input is refused first by the codec (DecodeError: what and where); the walk then
 * only describes what the codec accepted.
 */
import { netlinkSpec, NLMSG, NLM_F } from '../../../protocol/netlink.js';
import type { CompiledAttr, CompiledFamily, CompiledSet, CompiledStruct, DecodeCtx } from '../../codec/index.js';
import { compileFamily, decodeStruct } from '../../codec/index.js';
import { formatNlmsgFlags } from '../../codec/format.js';
import { type ProtocolCodec, makeCtx } from '../../codec/message.js';
import { errnoInfo } from '../../conn/errors.js';

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
  /** Family header (ifinfomsg...) members, then attributes; or the control payload. */
  header?: Node;
  attributes?: Node[];
  error?: { errno: number; code: string; text: string; request: { type: number; kind?: string; flags: number; seq: number; pid: number; len: number }; ext?: Node[] };
  status?: number;
  payload?: string;
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

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Attributes of `set` in [start, end). `family` resolves sub-messages, nest headers and struct arrays. */
function walkSet(ctx: DecodeCtx, family: CompiledFamily, set: CompiledSet, start: number, end: number, depth: number): Node[] {
  const v = ctx.view;
  // First pass: selector values (a sub-message may come before its selector: RTA_ENCAP).
  const siblings: Record<string, unknown> = {};
  for (let p = start; p + 4 <= end; ) {
    const len = v.getUint16(p, true);
    if (len < 4 || p + len > end) break;
    const a = set.byId[v.getUint16(p + 2, true) & 0x3fff];
    if (a && a.spec.type !== 'sub-message' && a.spec.type !== 'nest' && a.spec.type !== 'struct-array') {
      try {
        siblings[a.key] = a.decode(ctx, p + 4, p + len, depth, siblings);
      } catch {
        // shown as raw below
      }
    }
    p += align4(len);
  }
  const out: Node[] = [];
  for (let p = start; p + 4 <= end; ) {
    const len = v.getUint16(p, true);
    const rawType = v.getUint16(p + 2, true);
    const type = rawType & 0x3fff;
    const a = set.byId[type];
    const node: Node = { offset: p, length: len, name: a ? a.key : `type ${type}`, type };
    if (a) node.constant = a.constant;
    const flags: string[] = [];
    if (rawType & 0x8000) flags.push('NESTED');
    if (rawType & 0x4000) flags.push('NET_BYTEORDER');
    if (flags.length) node.nlaFlags = flags;
    if (len < 4 || p + len > end) break; // refused by the codec already
    describeAttr(ctx, family, a, node, p + 4, p + len, depth, siblings);
    out.push(node);
    p += align4(len);
  }
  return out;
}

function describeAttr(ctx: DecodeCtx, family: CompiledFamily, a: CompiledAttr | undefined, node: Node, s: number, e: number, depth: number, siblings: Record<string, unknown>): void {
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
      for (let p = s; p + st.size <= e; ) {
        const len = ctx.view.getUint16(p + lenMember.offset, true);
        if (len < st.size || p + len > e) break;
        const rec = structNode(ctx, st, p, p + st.size, `[${recs.length}] ${st.name}`);
        rec.length = len;
        rec.children = [...(rec.children ?? []), ...walkSet(ctx, family, set, p + align4(st.size), p + len, depth + 1)];
        delete rec.value;
        recs.push(rec);
        p += align4(len);
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
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ranges: [number, number][] = [];
  let start = 0;
  let count = 0;
  for (let pos = 0; bytes.length - pos >= 16; count++) {
    const len = v.getUint32(pos, true);
    if (len < 16 || len > bytes.length - pos) break;
    pos = Math.min(align4(pos + len), bytes.length);
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
export function annotateRange(codec: ProtocolCodec, bytes: Uint8Array, [start, stop]: [number, number]): AnnotatedMessage[] {
  const ctx = makeCtx(bytes);
  for (let pos = start; pos < stop; ) {
    const end = codec.frameEnd(ctx, pos); // throws DecodeError (reason, path, offset) on malformed input
    codec.decodeFrame(ctx, pos, end);
    pos = align4(end);
  }
  const v = ctx.view;
  const out: AnnotatedMessage[] = [];
  for (let pos = start; pos + 16 <= stop; ) {
    const len = v.getUint32(pos, true);
    const type = v.getUint16(pos + 4, true);
    const flags = v.getUint16(pos + 6, true);
    const m: AnnotatedMessage = { offset: pos, length: len, type, flags, flagNames: '', seq: v.getUint32(pos + 8, true), pid: v.getUint32(pos + 12, true) };
    const body = pos + 16;
    const end = pos + len;
    if (type < NLMSG.MIN_TYPE) {
      m.kind = ({ [NLMSG.NOOP]: 'noop', [NLMSG.ERROR]: 'error', [NLMSG.DONE]: 'done', [NLMSG.OVERRUN]: 'overrun' } as Record<number, string>)[type];
      if (type === NLMSG.ERROR && end - body >= 20) {
        const errno = -v.getInt32(body, true);
        const r = body + 4;
        const reqType = v.getUint16(r + 4, true);
        const info = errnoInfo(errno);
        m.error = {
          errno,
          code: errno === 0 ? 'ACK' : info.code,
          text: errno === 0 ? 'success' : info.description,
          request: { len: v.getUint32(r, true), type: reqType, flags: v.getUint16(r + 6, true), seq: v.getUint32(r + 8, true), pid: v.getUint32(r + 12, true) },
        };
        const kind = codec.messageByType(reqType)?.message.name;
        if (kind) m.error.request.kind = kind;
        let tlv = r + 16;
        if (!(flags & NLM_F.CAPPED) && errno !== 0) tlv = align4(r + m.error.request.len);
        if (flags & NLM_F.ACK_TLVS && tlv < end) m.error.ext = walkSet(ctx, netlinkFamily, extackSet, tlv, end, 0);
      } else if (type === NLMSG.DONE) {
        if (end - body >= 4) m.status = v.getInt32(body, true);
        if (flags & NLM_F.ACK_TLVS && end - body > 4) m.attributes = walkSet(ctx, netlinkFamily, extackSet, body + 4, end, 0);
      } else if (end > body) m.payload = hex(bytes, body, end);
    } else {
      const found = codec.messageByType(type);
      if (!found) m.payload = hex(bytes, body, end);
      else {
        const { family, message } = found;
        m.kind = message.name;
        m.family = family.name;
        const hdrEnd = Math.min(end, body + message.header.size);
        m.header = structNode(ctx, message.header, body, hdrEnd, message.header.name);
        m.attributes = walkSet(ctx, family, message.attributes, Math.min(end, body + align4(message.header.size)), end, 0);
      }
    }
    m.flagNames = formatNlmsgFlags(flags, m.kind);
    out.push(m);
    pos = align4(end);
  }
  return out;
}
