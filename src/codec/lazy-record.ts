/**
 * Lazy records: the objects of a dump decoded on first read, as pyroute2 decodes attributes on
 * access. A dump of 2001 links spent 12 ms per dump decoding and converting while V8 was still
 * cold (the first few dumps of a process, which is what a short-lived tool sees) and 1.6 ms warm;
 * keeping each message's bytes and decoding them when a field is read costs ~0.2 ms
 * (docs/benchmarks.md, #17).
 *
 * A lazy record is a Proxy over a record of its kind (a RawRecord, so `raw` and instanceof work),
 * so that it still behaves as a plain object of data: spread, Object.keys, JSON.stringify,
 * deep equality and `in` see every field, because each of those first writes the fields into
 * the target ("fills" it, the same stores as the eager converter, in its order). Reading one
 * field fills it too, except for a kind's quick fields (a link's name and index, a route's
 * family and dst), read straight from the bytes each time: code that only looks for names does
 * not pay for the rest. Writes fill first, so nothing the caller sets is overwritten.
 *
 * What a Proxy cannot be: structuredClone and postMessage refuse it (DataCloneError); send
 * `{ ...record }` instead. Bytes the kernel sent malformed surface as the DecodeError of the
 * read that first fills the record, not of the dump.
 */
import { NLMSG_HDRLEN } from '../../protocol/netlink.js';
import { type ProtocolCodec, makeCtx } from './message.js';
import type { RawRecord, RecordClass } from './record.js';
import type { AttrValues, CompiledAttr, CompiledMember, CompiledMessage, DecodeCtx } from './types.js';
import { align4, walkAttrs } from './walk.js';

/** A field read straight from the message at `offset` of ctx.bytes, without filling the record. */
export type QuickRead = (ctx: DecodeCtx, offset: number) => unknown;

/** A kind of lazy record: its fields, the quick ones, and what writes them all. */
export interface LazyKind<T extends object> {
  readonly fieldSet: ReadonlySet<string>;
  readonly quick: Readonly<Record<string, QuickRead>>;
  /** Decodes the message at `offset` of ctx.bytes and writes every field of `target`, as the eager converter does. */
  fill(target: T, ctx: DecodeCtx, offset: number): void;
}

/** A LazyKind from its field names (every field of the record type, in any order), quick readers and filler. */
export function lazyKind<T extends object>(
  fields: readonly (keyof T & string)[],
  quick: Readonly<Partial<Record<keyof T & string, QuickRead>>>,
  fill: (target: T, ctx: DecodeCtx, offset: number) => void,
): LazyKind<T> {
  return { fieldSet: new Set(fields), quick: quick as Record<string, QuickRead>, fill };
}

/**
 * Each lazy record's handler: the traps (its prototype: TRAPS, then FILLED) and, until the record is
 * filled, where its fields come from. Kept here, not in the record: an eager record carries nothing
 * for laziness, and the handler is one object per lazy record anyway.
 */
interface LazyHandler extends ProxyHandler<RawRecord> {
  kind: LazyKind<object> | undefined;
  ctx: DecodeCtx | undefined;
  offset: number;
}

/** A record of `Kind` over the message at `offset` of ctx.bytes, decoded as `kind` says when first read. */
export function lazyRecord<T extends object>(Kind: RecordClass<T>, kind: LazyKind<T>, ctx: DecodeCtx, offset: number): T {
  const handler = Object.create(TRAPS) as LazyHandler;
  handler.kind = kind as unknown as LazyKind<object>;
  handler.ctx = ctx;
  handler.offset = offset;
  return new Proxy(new Kind(ctx.bytes, offset) as T & RawRecord, handler) as T;
}

/**
 * Writes the fields of a lazy record that has not been filled yet (a DecodeError leaves it
 * unfilled), then drops the record's other traps: its handler gets FILLED as prototype, and the
 * Proxy forwards the rest to the filled target without calling JavaScript. A trap called from V8's
 * C++ side (each key of a spread, of Object.keys, of JSON.stringify) costs about a microsecond;
 * with every trap kept, spreading a 2001-link dump took 15x as long as spreading eager records,
 * 7-10x without.
 */
function fill(t: RawRecord, h: LazyHandler): void {
  const kind = h.kind;
  if (kind !== undefined) {
    kind.fill(t, h.ctx!, h.offset);
    h.kind = undefined;
    h.ctx = undefined;
  }
  Object.setPrototypeOf(h, FILLED);
}

/**
 * The one trap a filled record keeps: a get with the target as receiver, for the record's own
 * getters (raw), which read private fields a Proxy does not have.
 */
const FILLED: ProxyHandler<RawRecord> = {
  get(t, key) {
    return Reflect.get(t, key);
  },
};

/** Whether reading `key` needs the fields: one of the kind's fields, not yet written. */
function isPendingField(h: LazyHandler, key: string | symbol): boolean {
  const kind = h.kind;
  return kind !== undefined && typeof key === 'string' && kind.fieldSet.has(key);
}

// The traps of every lazy record (the prototype of each record's handler, `this` in a trap).
// Reflect calls get the target as receiver: the record's own getters (raw) read its private
// fields, which a Proxy receiver does not have.
const TRAPS: ProxyHandler<RawRecord> & ThisType<LazyHandler> = {
  get(t, key) {
    const kind = this.kind;
    if (kind !== undefined && typeof key === 'string' && kind.fieldSet.has(key)) {
      const quick = kind.quick[key];
      if (quick !== undefined) return quick(this.ctx!, this.offset);
      fill(t, this);
    }
    return Reflect.get(t, key);
  },
  has(t, key) {
    if (isPendingField(this, key)) fill(t, this);
    return Reflect.has(t, key);
  },
  getOwnPropertyDescriptor(t, key) {
    if (isPendingField(this, key)) fill(t, this);
    return Reflect.getOwnPropertyDescriptor(t, key);
  },
  ownKeys(t) {
    fill(t, this);
    return Reflect.ownKeys(t);
  },
  set(t, key, value) {
    fill(t, this);
    return Reflect.set(t, key, value);
  },
  defineProperty(t, key, desc) {
    fill(t, this);
    return Reflect.defineProperty(t, key, desc);
  },
  deleteProperty(t, key) {
    fill(t, this);
    return Reflect.deleteProperty(t, key);
  },
  // Object.freeze / preventExtensions: the fields must be there before the target stops taking them.
  preventExtensions(t) {
    fill(t, this);
    return Reflect.preventExtensions(t);
  },
};

/** The compiled message `name` of a codec, found on first use (specs compile when first used). */
function messageOf(codec: () => ProtocolCodec, name: string): () => CompiledMessage {
  let m: CompiledMessage | undefined;
  return () => {
    if (m !== undefined) return m;
    const found = codec().messageByName(name);
    if (!found) throw new Error(`no message "${name}" in the codec`);
    return (m = found.message);
  };
}

/**
 * Member `member` of message `message`'s fixed header: the compiled member (found on first use) and
 * where it sits in the message at `offset`, -1 when the message is too short to hold the header.
 */
function headerMember(codec: () => ProtocolCodec, message: string, member: string) {
  const msg = messageOf(codec, message);
  let mem: CompiledMember | undefined;
  let headerSize = 0;
  const get = (): CompiledMember => {
    if (mem !== undefined) return mem;
    const header = msg().header;
    const found = header.members.find((x) => x.spec.name === member);
    if (found === undefined) throw new Error(`no member "${member}" in ${header.name}`);
    headerSize = header.size;
    return (mem = found);
  };
  const at = (ctx: DecodeCtx, offset: number): number => {
    const m = get();
    return ctx.view.getUint32(offset, true) >= NLMSG_HDRLEN + headerSize ? offset + NLMSG_HDRLEN + m.offset : -1;
  };
  return { get, at };
}

/**
 * A quick read of member `member` of the fixed header of message `message`, as the codec decodes
 * it (names for enums and flags); undefined when the message is too short to hold the header.
 */
export function quickHeaderMember(codec: () => ProtocolCodec, message: string, member: string): QuickRead {
  const { get, at } = headerMember(codec, message, member);
  return (ctx, offset) => {
    const pos = at(ctx, offset);
    if (pos < 0) return undefined;
    const m = get();
    return m.read(ctx.view, ctx.bytes, pos, pos + m.size);
  };
}

/**
 * The same member as a number, for filters that compare it with the spec's values without the
 * names (a lookup each); undefined when the message is too short. Integer members of 1, 2 or 4 bytes.
 */
export function quickHeaderNumber(
  codec: () => ProtocolCodec,
  message: string,
  member: string,
): (ctx: DecodeCtx, offset: number) => number | undefined {
  const { get, at } = headerMember(codec, message, member);
  return (ctx, offset) => {
    const pos = at(ctx, offset);
    if (pos < 0) return undefined;
    const m = get();
    const little = m.spec.byteOrder !== 'big-endian';
    if (m.size === 1) return ctx.view.getUint8(pos);
    if (m.size === 2) return ctx.view.getUint16(pos, little);
    if (m.size === 4) return ctx.view.getUint32(pos, little);
    throw new Error(`header member "${member}" is ${m.size} bytes, not an integer of 1, 2 or 4`);
  };
}

const NO_SIBLINGS: AttrValues = {};

/**
 * A quick read of top-level attribute `attr` of message `message`: its value as the codec decodes
 * it, or undefined when the message has none. Walks the attribute headers up to it.
 */
export function quickAttribute(codec: () => ProtocolCodec, message: string, attr: string): QuickRead {
  const msg = messageOf(codec, message);
  let a: CompiledAttr | undefined;
  const find = (): CompiledAttr => {
    const found = msg().attributes.byName.get(attr);
    if (found === undefined) throw new Error(`no attribute "${attr}" in ${msg().attributes.name}`);
    return found;
  };
  return (ctx, offset) => {
    a ??= find();
    const m = msg();
    const end = offset + ctx.view.getUint32(offset, true);
    const start = offset + NLMSG_HDRLEN + align4(m.header.size);
    for (const w = walkAttrs(ctx.view, start, end, m.attributes); w.next(); ) {
      if (w.id === a.id) return a.decode(ctx, w.start, w.end, 0, NO_SIBLINGS);
    }
    return undefined;
  };
}

/**
 * A dump's mapper ('frame' replies, conn/Connection.dumpMap) making lazy records of `Kind` from the
 * messages of type `message`; others are dropped. One decode context per datagram copy.
 */
export function lazyMapper<T extends object>(
  Kind: RecordClass<T>,
  kind: LazyKind<T>,
  codec: () => ProtocolCodec,
  message: string,
): (m: { readonly type: number }, bytes: Uint8Array, offset: number) => T | undefined {
  const type = messageType(codec, message);
  const ctxOf = datagramCtxs();
  return (m, bytes, offset) => (m.type === type ? lazyRecord(Kind, kind, ctxOf(bytes), offset) : undefined);
}

/** nlmsg_type of message `message` of a codec. */
export function messageType(codec: () => ProtocolCodec, message: string): number {
  return messageOf(codec, message)().value;
}

/** A decode context per datagram copy of one dump: the replies of a datagram share one. */
export function datagramCtxs(): (bytes: Uint8Array) => DecodeCtx {
  let lastBytes: Uint8Array | undefined;
  let ctx: DecodeCtx | undefined;
  return (bytes) => {
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      ctx = makeCtx(bytes);
    }
    return ctx!;
  };
}
