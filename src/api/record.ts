import { type NetlinkMessage, makeCtx } from '../codec/message.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';

/**
 * Base of the friendly objects (Link, Address, Route...): `raw`, the decoded message they were
 * made from, is a getter. Objects from a dump keep only the message's bytes (a share of one
 * copy per datagram) and decode them again on first access: keeping every decoded message of a
 * 100k-route dump alive doubled its memory and its garbage-collection time, for a field most
 * callers never read. Objects made from an already decoded message keep that message.
 *
 * `raw` is not an own enumerable property, so object spread, Object.keys and JSON.stringify
 * leave it out; read it directly (`route.raw`).
 */
export class RawRecord {
  #raw: NetlinkMessage | Uint8Array;
  #offset: number;

  constructor(raw: NetlinkMessage | Uint8Array, offset = 0) {
    this.#raw = raw;
    this.#offset = offset;
  }

  /** The decoded rtnetlink message this object was made from. */
  get raw(): NetlinkMessage {
    const r = this.#raw;
    if (!(r instanceof Uint8Array)) return r;
    const codec = rtnetlinkCodec();
    const ctx = makeCtx(r);
    const msg = codec.decodeFrame(ctx, this.#offset, codec.frameEnd(ctx, this.#offset));
    this.#raw = msg; // decoded once; the datagram copy is released when no other object shares it
    return msg;
  }
}

// One subclass per kind of object, so that V8 gives each its own object layout.
export class LinkRecord extends RawRecord {}
export class AddressRecord extends RawRecord {}
export class RouteRecord extends RawRecord {}
export class NeighbourRecord extends RawRecord {}
export class RuleRecord extends RawRecord {}
