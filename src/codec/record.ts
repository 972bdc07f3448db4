/**
 * Records: the friendly objects a family module makes from decoded messages (a Link, a Route...).
 * Two mechanisms that dumps of thousands of objects need, kept here so the modules only say what
 * goes where:
 *
 * - RawRecord: `raw`, the decoded message a record was made from, is a getter. A record from a
 *   dump keeps only the message's bytes (a share of one copy per datagram) and decodes them again
 *   on first access: keeping every decoded message of a 100k-route dump alive doubled its memory
 *   and its garbage-collection time, for a field most callers never read. `raw` is not an own
 *   enumerable property, so spread, Object.keys and JSON.stringify leave it out.
 * - Each kind of record has a class of its own, so that V8 gives each its own object layout and
 *   its stores stay monomorphic: recordKind(class extends RawRecord {}, codec), the class written
 *   at the call, once per kind, directly below RawRecord. Classes made by one class expression in
 *   a function share V8's feedback (one literal, many closures), and a shared intermediate class
 *   cost as much: with either, toLink ran 1.2-2x slower once other records were made in the same
 *   process. The codec is looked up by class, only when `raw` is decoded.
 * - A FieldTable (record field <- attribute name) says which attributes a record copies: the
 *   record's type (CopiedFields) and the decoder selection (tableSelection) follow from it. The
 *   converter writes the copies out, one named store per field right after the allocation, and a
 *   test holds them to the table: a loop writing out[to] = attrs[from] was a megamorphic hot spot,
 *   and the same stores in a generated function cost 12% of a cold first link dump (its own
 *   tier-up) and up to 2x warm whenever V8 did not inline it.
 */
import { type NetlinkMessage, type ProtocolCodec, makeCtx } from './message.js';

/** Base of every record: `raw` decoded on first access. */
export class RawRecord {
  #raw: NetlinkMessage | Uint8Array;
  #offset: number;

  constructor(raw: NetlinkMessage | Uint8Array, offset = 0) {
    this.#raw = raw;
    this.#offset = offset;
  }

  /** The decoded message this object was made from. */
  get raw(): NetlinkMessage {
    const r = this.#raw;
    if (!(r instanceof Uint8Array)) return r;
    const msg = this.decodeRaw(r, this.#offset);
    this.#raw = msg; // decoded once; the datagram copy is released when no other object shares it
    return msg;
  }

  /** The message at `offset` of `bytes`, decoded by the codec of this kind of record. */
  private decodeRaw(bytes: Uint8Array, offset: number): NetlinkMessage {
    const codec = CODECS.get(this.constructor);
    if (!codec) throw new Error(`${this.constructor.name || 'this record'} has no codec: make its class with recordKind()`);
    const c = codec();
    const ctx = makeCtx(bytes);
    return c.decodeFrame(ctx, offset, c.frameEnd(ctx, offset));
  }

  /**
   * What console.log and util.inspect show: the fields. Node inspects a Proxy's target without its
   * traps, which for a lazy record not yet read would be nothing; this runs with the Proxy as `this`.
   */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return inspect({ ...this }, options);
  }
}

/** The codec of each kind of record (recordKind), read when a record decodes `raw`. */
const CODECS = new WeakMap<object, () => ProtocolCodec>();

/** A kind of record: `new Kind(messageOrBytes, offset)`, whose fields the caller then sets. */
export type RecordClass<T> = new (raw: NetlinkMessage | Uint8Array, offset?: number) => T;

/**
 * `cls` (a class literal of its own extending RawRecord, see above) as the class of records of
 * type T, whose `raw` the codec `codec()` decodes (called on first access only).
 */
export function recordKind<T extends { readonly raw: NetlinkMessage }>(
  cls: new (raw: NetlinkMessage | Uint8Array, offset?: number) => RawRecord,
  codec: () => ProtocolCodec,
): RecordClass<T> {
  CODECS.set(cls, codec);
  return cls as unknown as RecordClass<T>;
}

/**
 * Record field <- the attribute it copies when present. `{ attr, is }`: the field is whether the
 * attribute equals `is` (IFLA_CARRIER 1 -> carrier: true).
 */
export type FieldTable = Readonly<Record<string, string | { readonly attr: string; readonly is: number | string }>>;

/** The fields a table fills, typed from the attributes `A` they come from (doc comments follow the table's). */
export type CopiedFields<T extends FieldTable, A> = {
  -readonly [F in keyof T]?: T[F] extends keyof A ? NonNullable<A[T[F]]> : boolean;
};

/** The attributes a table reads, as a decoder selection (each `true`). */
export function tableSelection(table: FieldTable): Record<string, true> {
  const out: Record<string, true> = {};
  for (const from of Object.values(table)) out[typeof from === 'string' ? from : from.attr] = true;
  return out;
}
