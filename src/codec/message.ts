/**
 * Message framing for one netlink protocol (all families that share a socket type, e.g. the
 * rtnetlink families on NETLINK_ROUTE): datagram -> messages, message -> bytes. Pure: bytes in,
 * plain objects out.
 */
import type { FamilySpec } from '../../protocol/spec.js';
import { NLMSG, NLMSG_HDRLEN, NLM_F, netlinkSpec } from '../../protocol/netlink.js';
import { ByteWriter, align4 } from './byte-writer.js';
import {
  type AttrValues,
  type CompiledFamily,
  type CompiledMessage,
  type CompiledSet,
  type DecodeCtx,
  compileFamily,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  encodeStruct,
} from './compile.js';
import { DecodeError, EncodeError, SpecError } from './errors.js';
import { selectedSetDecoder } from './fast-decode.js';
import { KeyedMessages, type Sender } from './message-ids.js';
import { type AttrSelection, MAX_NEST_DEPTH } from './types.js';
import { MessageWalk, messageEnd, walkAttrs } from './walk.js';

export interface NlMsgHeader {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** The kernel's extended acknowledgement (NLMSGERR_ATTR_*). */
export interface ExtAck {
  msg?: string;
  /** Offset of the offending attribute from the start of the request message. */
  offs?: number;
  cookie?: string;
  policy?: Uint8Array;
  missType?: number;
  missNest?: number;
  unknown?: unknown;
}

export interface ErrorPayload {
  /** 0 for an ACK, otherwise a positive errno. */
  errno: number;
  /** Header of the request this answers. */
  request: NlMsgHeader;
  /** The request's payload when the kernel echoed it (not NLM_F_CAPPED). */
  requestPayload?: Uint8Array;
  ext?: ExtAck;
}

/** A decoded message: the envelope plus either a family message or a control payload. */
export interface NetlinkMessage<H = Record<string, unknown>, A = AttrValues> {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Family message name ('newlink'...) or control name ('error', 'done', 'noop', 'overrun'). */
  kind?: string;
  /** Spec family name for family messages ('rt-link'...). */
  family?: string;
  header?: H;
  attrs?: A;
  /** NLMSG_ERROR (and NLMSG_DONE's status in dumps). */
  error?: ErrorPayload;
  /** NLMSG_DONE status: 0, or a negative errno the dump ended with. */
  status?: number;
  /** Payload of a message type no spec describes. */
  payload?: Uint8Array;
}

export interface OutgoingMessage {
  /** Message name known to the protocol ('getlink') or a raw nlmsg_type. */
  kind: string | number;
  flags?: number;
  seq?: number;
  pid?: number;
  header?: Record<string, unknown>;
  attrs?: Record<string, unknown>;
  /** For message types without a spec: raw payload after the nlmsghdr. */
  payload?: Uint8Array;
  /**
   * The whole message already encoded, nlmsghdr included (MessageTemplate.stamp): sent as it is,
   * with this message's flags, seq and pid written into its header. Instead of header/attrs.
   */
  encoded?: Uint8Array;
}

const CONTROL_NAMES: Record<number, string> = { [NLMSG.NOOP]: 'noop', [NLMSG.ERROR]: 'error', [NLMSG.DONE]: 'done', [NLMSG.OVERRUN]: 'overrun' };

const netlinkCompiled = compileFamily(netlinkSpec);
const extackSet = netlinkCompiled.sets.get('extack')!;

interface MessageEntry {
  readonly spec: FamilySpec;
  readonly name: string;
  resolved?: { family: CompiledFamily; message: CompiledMessage };
}

export class ProtocolCodec {
  private specs: readonly FamilySpec[];
  private readonly compiled = new Map<string, CompiledFamily>();
  private readonly byType = new Map<number, MessageEntry>();
  private readonly byName = new Map<string, MessageEntry>();
  /** Families whose messages a header member names (generic netlink); none in rtnetlink codecs. */
  private readonly keyed = new KeyedMessages<MessageEntry>();
  private keyedFamilies = 0;

  /**
   * Families compile on first use (rt-link alone takes ~5 ms cold): a process that only dumps
   * routes never pays for the link specs.
   */
  constructor(specs: readonly FamilySpec[]) {
    this.specs = specs;
    const seen = new Set<string>();
    for (const spec of specs) {
      // The messages are read here, before the spec is compiled (and validated whole) on first use.
      if (typeof spec !== 'object' || spec === null || typeof spec.messages !== 'object' || spec.messages === null) {
        throw new SpecError('expected a family spec with messages', [String((spec as { name?: unknown } | null)?.name ?? '(family)')]);
      }
      if (seen.has(spec.name)) throw new SpecError('the family is given twice', [spec.name]);
      seen.add(spec.name);
      if (spec.messageIds !== undefined) {
        this.addKeyed(spec);
        continue;
      }
      for (const [name, m] of Object.entries(spec.messages)) {
        const clash = this.byType.get(m?.value);
        if (clash) throw new SpecError(`message type ${m.value} is already ${clash.spec.name}.${clash.name}`, [spec.name, 'messages', name, 'value']);
        const entry: MessageEntry = { spec, name };
        this.byType.set(m.value, entry);
        this.byName.set(name, entry);
      }
    }
  }

  /** Every family, compiled. */
  get families(): ReadonlyMap<string, CompiledFamily> {
    for (const spec of this.specs) this.compiledFamily(spec);
    return this.compiled;
  }

  family(name: string): CompiledFamily {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new Error(`no protocol family "${name}" (have ${this.specs.map((s) => s.name).join(', ')})`);
    return this.compiledFamily(spec);
  }

  messageByType(type: number): { family: CompiledFamily; message: CompiledMessage } | undefined {
    const e = this.byType.get(type);
    return e && (e.resolved ?? this.resolve(e));
  }

  messageByName(name: string): { family: CompiledFamily; message: CompiledMessage } | undefined {
    const e = this.byName.get(name);
    return e && (e.resolved ?? this.resolve(e));
  }

  /**
   * Generic netlink: the nlmsg_type the kernel assigned to `family` (a spec with messageIds and no
   * fixed type), found through nlctrl; undefined when it is not known (any more).
   */
  bindType(family: string, type: number | undefined): void {
    this.keyed.bind(family, type);
  }

  /** The nlmsg_type bound to a family with messageIds (see bindType). */
  typeOf(family: string): number | undefined {
    return this.keyed.typeOf(family);
  }

  /**
   * The message of the frame [pos, end): by its nlmsg_type, or for a family with messageIds by its
   * header member as sent by `sender` (requests are the user's, replies and events the kernel's).
   */
  messageAt(ctx: DecodeCtx, pos: number, end: number, sender: Sender = 'kernel'): { family: CompiledFamily; message: CompiledMessage } | undefined {
    const type = ctx.view.getUint16(pos + 4, true);
    return this.messageByType(type) ?? this.keyedAt(ctx, type, pos + NLMSG_HDRLEN, end, sender);
  }

  private keyedAt(
    ctx: DecodeCtx,
    type: number,
    body: number,
    end: number,
    sender: Sender,
  ): { family: CompiledFamily; message: CompiledMessage } | undefined {
    if (this.keyed.bound === 0) return undefined;
    const e = this.keyed.find(type, ctx.view, body, end, sender, (spec) => this.compiledFamily(spec));
    return e && (e.resolved ?? this.resolve(e));
  }

  /**
   * Adds a family whose messages a header member names (generic netlink) to a codec in use: a
   * family module brings its spec on first use. The same spec again is a no-op.
   */
  addFamily(spec: FamilySpec): void {
    if (this.specs.includes(spec)) return;
    if (spec.messageIds === undefined) throw new SpecError('only a family with messageIds can join a codec in use', [spec.name]);
    if (this.specs.some((s) => s.name === spec.name)) throw new SpecError('the family is given twice', [spec.name]);
    this.addKeyed(spec);
    this.specs = [...this.specs, spec];
  }

  private addKeyed(spec: FamilySpec): void {
    // Names are checked first: a refused spec leaves the codec as it was.
    for (const name of Object.keys(spec.messages)) {
      const clash = this.byName.get(name);
      if (clash) throw new SpecError(`message name ${name} is already ${clash.spec.name}.${clash.name}`, [spec.name, 'messages', name]);
    }
    this.keyedFamilies++;
    for (const e of this.keyed.add(spec, (name) => ({ spec, name }))) this.byName.set(e.name, e);
  }

  private resolve(e: MessageEntry): { family: CompiledFamily; message: CompiledMessage } {
    const family = this.compiledFamily(e.spec);
    return (e.resolved = { family, message: family.messages.get(e.name)! });
  }

  private compiledFamily(spec: FamilySpec): CompiledFamily {
    let f = this.compiled.get(spec.name);
    if (!f) this.compiled.set(spec.name, (f = compileFamily(spec)));
    return f;
  }

  /**
   * Every message in a datagram. Throws DecodeError (with offset into `bytes`) on malformed input.
   * `sender` matters only to directional families (MessageSpec.sentBy): 'user' for requests.
   */
  decode(bytes: Uint8Array, sender: Sender = 'kernel'): NetlinkMessage[] {
    const out: NetlinkMessage[] = [];
    const ctx = makeCtx(bytes);
    for (const m = new MessageWalk(ctx.view, 0, bytes.length); m.next(); ) out.push(this.decodeFrame(ctx, m.at, m.end, true, sender));
    return out;
  }

  /** Validates one nlmsghdr at `pos` and returns the end of its message. */
  frameEnd(ctx: DecodeCtx, pos: number): number {
    return messageEnd(ctx.view, pos, ctx.bytes.length);
  }

  /**
   * One message spanning [pos, end) of ctx.bytes. With `attrs` false a known message is decoded
   * up to its fixed header only (a lookup that needs no more skips the attributes' cost); with
   * a selection, only the attributes it names (see AttrSelection).
   */
  decodeFrame(ctx: DecodeCtx, pos: number, end: number, attrs: boolean | AttrSelection = true, sender: Sender = 'kernel'): NetlinkMessage {
    const v = ctx.view;
    const type = v.getUint16(pos + 4, true);
    const msg: NetlinkMessage = {
      type,
      flags: v.getUint16(pos + 6, true),
      seq: v.getUint32(pos + 8, true),
      pid: v.getUint32(pos + 12, true),
    };
    const body = pos + NLMSG_HDRLEN;
    if (type < NLMSG.MIN_TYPE) {
      msg.kind = CONTROL_NAMES[type];
      if (type === NLMSG.ERROR) msg.error = decodeErrorPayload(ctx, body, end, msg.flags);
      else if (type === NLMSG.DONE) {
        if (end - body >= 4) msg.status = v.getInt32(body, true);
        if (msg.flags & NLM_F.ACK_TLVS && end - body > 4) {
          msg.error = {
            errno: -(msg.status ?? 0),
            request: { len: 0, type: 0, flags: 0, seq: msg.seq, pid: 0 },
            ext: decodeExtAck(ctx, body + 4, end),
          };
        }
      } else if (end > body) msg.payload = ctx.bytes.slice(body, end);
      return msg;
    }
    const found = this.messageByType(type) ?? this.keyedAt(ctx, type, body, end, sender);
    if (!found) {
      msg.payload = ctx.bytes.slice(body, end);
      return msg;
    }
    const { family, message } = found;
    msg.kind = message.name;
    msg.family = family.name;
    try {
      const hdrEnd = Math.min(end, body + message.header.size);
      msg.header = decodeStruct(ctx, message.header, body, hdrEnd);
      if (attrs !== false) {
        const start = Math.min(end, body + align4(message.header.size));
        msg.attrs =
          attrs === true
            ? decodeAttrs(ctx, message.attributes, start, end, 0)
            : selectedSetDecoder(message.attributes, attrs, MAX_NEST_DEPTH)(ctx, start, end, 0);
      }
    } catch (err) {
      if (err instanceof DecodeError) throw err.withOuter(`${family.name}:${message.name}`);
      throw err;
    }
    return msg;
  }

  /**
   * Encodes one message; seq/pid default to 0 and flags to NLM_F_REQUEST. `sender` 'kernel' writes
   * it as the kernel would (fake kernels, byte-exact re-encoding of what the kernel sent).
   */
  encode(m: OutgoingMessage, w = new ByteWriter(256), sender: Sender = 'user'): Uint8Array {
    const start = w.pos;
    w.asKernel = sender === 'kernel';
    if (m.encoded !== undefined) return this.encodePrepared(m, m.encoded, w);
    let type: number;
    let found: { family: CompiledFamily; message: CompiledMessage } | undefined;
    if (typeof m.kind === 'number') {
      type = m.kind;
      found = this.messageByType(type);
    } else {
      found = this.messageByName(m.kind);
      if (!found) throw new EncodeError(`unknown message "${m.kind}"`);
      type = found.message.value;
    }
    // A family with messageIds: nlmsg_type is the family's, the message goes in a header member.
    const member = found !== undefined && this.keyedFamilies > 0 ? this.keyed.memberOf(found.family.name) : undefined;
    if (member !== undefined) type = this.keyed.encodeType(found!.family.name);
    w.ensure(NLMSG_HDRLEN);
    w.view.setUint16(start + 4, type, true);
    w.view.setUint16(start + 6, m.flags ?? NLM_F.REQUEST, true);
    w.view.setUint32(start + 8, m.seq ?? 0, true);
    w.view.setUint32(start + 12, m.pid ?? 0, true);
    w.pos += NLMSG_HDRLEN;
    if (m.payload) w.bytes(m.payload);
    else if (found) {
      try {
        encodeStruct(w, found.message.header, member === undefined ? m.header : { ...m.header, [member]: found.message.value }, true);
        w.align();
        encodeAttrs(w, found.message.attributes, m.attrs ?? {});
      } catch (err) {
        if (err instanceof EncodeError) throw err.withOuter(`${found.family.name}:${found.message.name}`);
        throw err;
      }
    } else if (m.header || m.attrs) {
      throw new EncodeError(`message type ${type} has no spec: pass a raw payload`);
    }
    w.view.setUint32(start, w.pos - start, true);
    w.align();
    return w.buf.subarray(start, w.pos);
  }

  private encodePrepared(m: OutgoingMessage, encoded: Uint8Array, w: ByteWriter): Uint8Array {
    checkEncoded(encoded);
    const start = w.pos;
    w.bytes(encoded);
    w.align();
    const v = w.view;
    v.setUint16(start + 6, m.flags ?? NLM_F.REQUEST, true);
    v.setUint32(start + 8, m.seq ?? 0, true);
    v.setUint32(start + 12, m.pid ?? 0, true);
    return w.buf.subarray(start, w.pos);
  }

  /** Attribute path (e.g. ['linkinfo', 'data', 'peer']) at a byte offset of an encoded message. */
  attributePathAt(message: Uint8Array, offset: number): string[] | undefined {
    if (message.length < NLMSG_HDRLEN) return undefined;
    const ctx = makeCtx(message);
    const found = this.messageAt(ctx, 0, message.length, 'user');
    if (!found) return undefined;
    const start = NLMSG_HDRLEN + align4(found.message.header.size);
    return pathAt(ctx, found.message.attributes, start, Math.min(message.length, ctx.view.getUint32(0, true)), offset, 0);
  }

  /** Name of attribute `type` in the set of the nest at `nestOffset` (or the message's own set). */
  attributeNameIn(message: Uint8Array, nestOffset: number | undefined, type: number): string {
    if (message.length < NLMSG_HDRLEN) return `type ${type}`;
    const found = this.messageAt(makeCtx(message), 0, message.length, 'user');
    if (!found) return `type ${type}`;
    let set: CompiledSet | undefined = found.message.attributes;
    let prefix = '';
    if (nestOffset !== undefined) {
      const path = this.attributePathAt(message, nestOffset);
      if (!path) return `type ${type}`;
      for (const seg of path) set = set?.byName.get(seg)?.nestedSet;
      prefix = path.join('/') + '/';
    }
    return prefix + (set?.byId[type]?.key ?? `type ${type}`);
  }
}

/** Throws EncodeError unless `encoded` is one whole message (what OutgoingMessage.encoded must be). */
export function checkEncoded(encoded: Uint8Array): void {
  const len = encoded.length < NLMSG_HDRLEN ? -1 : encoded[0]! | (encoded[1]! << 8) | (encoded[2]! << 16) | (encoded[3]! << 24);
  if (len < NLMSG_HDRLEN || len > encoded.length || encoded.length - len > 3) {
    throw new EncodeError(`an encoded message must be one whole message (nlmsg_len ${len}, ${encoded.length} bytes)`);
  }
}

export function makeCtx(input: Uint8Array): DecodeCtx {
  // A plain Uint8Array view: Buffer#slice returns a view, and decoded byte values must be copies
  // (they must not pin a 64 KiB datagram, nor alias a receive buffer that is reused).
  const bytes = Object.getPrototypeOf(input) === Uint8Array.prototype ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

function decodeErrorPayload(ctx: DecodeCtx, body: number, end: number, flags: number): ErrorPayload {
  if (end - body < 4 + NLMSG_HDRLEN)
    throw new DecodeError(`error message payload of ${end - body} bytes is too short for an nlmsgerr`, body, ['nlmsgerr']);
  const v = ctx.view;
  const errno = -v.getInt32(body, true);
  const r = body + 4;
  const request: NlMsgHeader = {
    len: v.getUint32(r, true),
    type: v.getUint16(r + 4, true),
    flags: v.getUint16(r + 6, true),
    seq: v.getUint32(r + 8, true),
    pid: v.getUint32(r + 12, true),
  };
  const out: ErrorPayload = { errno, request };
  let tlv = r + NLMSG_HDRLEN;
  if (!(flags & NLM_F.CAPPED) && errno !== 0) {
    const reqEnd = r + request.len;
    if (request.len < NLMSG_HDRLEN || reqEnd > end) {
      throw new DecodeError(`echoed request length ${request.len} does not fit the error message`, r, ['nlmsgerr']);
    }
    out.requestPayload = ctx.bytes.slice(r + NLMSG_HDRLEN, reqEnd);
    tlv = align4(reqEnd);
  }
  if (flags & NLM_F.ACK_TLVS && tlv < end) out.ext = decodeExtAck(ctx, tlv, end);
  return out;
}

function decodeExtAck(ctx: DecodeCtx, start: number, end: number): ExtAck {
  try {
    return decodeAttrs(ctx, extackSet, start, end, 0) as ExtAck;
  } catch (err) {
    if (err instanceof DecodeError) throw err.withOuter('extack');
    throw err;
  }
}

/** The path to `target` through the attributes in [start, end) of `set`; shows what it can of malformed bytes. */
function pathAt(ctx: DecodeCtx, set: CompiledSet, start: number, end: number, target: number, depth: number): string[] | undefined {
  if (depth >= 32) return undefined;
  let siblings: Record<string, unknown> | undefined;
  for (const w = walkAttrs(ctx.view, start, end); w.nextValid(); ) {
    const pos = w.at;
    const type = w.id;
    const a = set.byId[type];
    const name = a ? a.key : `type ${type}`;
    if (target === pos) return [name];
    if (target > pos && target < w.end) {
      let inner: CompiledSet | undefined;
      let innerStart = w.start;
      if (a?.spec.type === 'nest') {
        inner = a.nestedSet;
        if (a.header) innerStart += align4(a.header.size);
      } else if (a?.subSets && a.selector) {
        // The set depends on a sibling (linkinfo kind): read this level once to learn it.
        try {
          siblings ??= set.decode(ctx, start, end, depth);
        } catch {
          return [name];
        }
        const sel = siblings[a.selector];
        inner = typeof sel === 'string' ? a.subSets.get(sel) : undefined;
      }
      if (inner && target >= innerStart) {
        const rest = pathAt(ctx, inner, innerStart, w.end, target, depth + 1);
        return rest ? [name, ...rest] : [name];
      }
      return [name];
    }
  }
  return undefined;
}
