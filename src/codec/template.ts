/**
 * Prepared messages: a request encoded once by the spec encoder, then stamped out many times with
 * a few fields changed. A thousand address adds differ in the address and little else; stamping
 * copies the bytes and writes those fields, instead of walking the spec for every message (most of
 * a bulk write's JavaScript before V8 has optimised it). What is sent is byte for byte what
 * encode() would send for the same values, which a test checks.
 *
 * Fields are found in the template's own bytes: header members by the spec's offsets, top-level
 * attributes by walking them, so the spec stays the one place that knows the layout. A caller
 * names the fields it will write with their sizes; a spec that disagrees fails at construction.
 */
import { NLMSG_HDRLEN } from '../../protocol/netlink.js';
import { type OutgoingMessage, type ProtocolCodec, makeCtx } from './message.js';
import { slabCopy } from './slab-copy.js';
import { align4, walkAttrs } from './walk.js';

export class MessageTemplate {
  /** The encoded message (seq 0): what stamp() copies. */
  readonly bytes: Uint8Array;
  /** Its kind, for the stamped messages. */
  readonly kind: string;
  private readonly fields = new Map<string, { offset: number; size: number }>();

  constructor(codec: ProtocolCodec, msg: OutgoingMessage & { kind: string }) {
    const found = codec.messageByName(msg.kind);
    if (!found) throw new Error(`unknown message "${msg.kind}"`);
    this.kind = msg.kind;
    this.bytes = codec.encode({ ...msg, seq: 0, pid: 0 }).slice();
    const { header, attributes } = found.message;
    for (const m of header.members) this.fields.set(`header.${m.spec.name}`, { offset: NLMSG_HDRLEN + m.offset, size: m.size });
    const ctx = makeCtx(this.bytes);
    for (const w = walkAttrs(ctx.view, NLMSG_HDRLEN + align4(header.size), ctx.view.getUint32(0, true)); w.nextValid(); ) {
      const a = attributes.byId[w.id];
      if (a && !this.fields.has(`attrs.${a.key}`)) this.fields.set(`attrs.${a.key}`, { offset: w.start, size: w.end - w.start });
    }
  }

  /** Offset of a field's value ('header.index', 'attrs.local') in a stamped message, checked to be `size` bytes. */
  field(name: string, size: number): number {
    const f = this.fields.get(name);
    if (!f) throw new Error(`message ${this.kind} as prepared has no field ${name} (has ${[...this.fields.keys()].join(', ')})`);
    if (f.size !== size) throw new Error(`field ${name} of ${this.kind} is ${f.size} bytes, not ${size}`);
    return f.offset;
  }

  /** A copy of the template for the caller to write its fields into (a view of a shared slab). */
  stamp(): Uint8Array {
    return slabCopy(this.bytes);
  }
}

/** Little-endian (host order here, as the codec writes host-order scalars) into a stamped message. */
export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}
