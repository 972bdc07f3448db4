/**
 * Stamps: bulk requests of one shape made from a prepared message (template.ts). A family module
 * gives the message with placeholder values and names the fields it will change ('header.index',
 * 'attrs.local'); it gets back one function that copies the template and writes those fields,
 * values by position, each as the spec lays it out (its size and byte order; bytes of the length
 * the template holds). What it makes is byte for byte what the encoder makes of the same values
 * (test/codec/stamper.test.ts). The library's own shapes are generated at build time from the
 * same plan (stampPlan; scripts/gen-stamps.ts: the template's bytes and the offsets as constants,
 * a stamp one copy and a few stores); messageStamper is the reference they are held to, and
 * serves shapes made at run time.
 */
import type { ScalarType } from '../../protocol/spec.js';
import type { OutgoingMessage, ProtocolCodec } from './message.js';
import { MessageTemplate } from './template.js';

export type StampValue = number | Uint8Array;
/** Makes one message: the values of the fields named to messageStamper(), in that order. */
export type Stamp = (...values: StampValue[]) => Uint8Array;
/** A field to stamp: 'header.index', or [name, length] for bytes ('attrs.local', 4). */
export type StampField = string | readonly [name: string, bytes: number];

const SIZES: Partial<Record<ScalarType, number>> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4 };

/** How one field is written: an integer of `size` bytes, or bytes of `size`, at `offset` of the message. */
export interface FieldWrite {
  name: string;
  kind: 'int' | 'bytes';
  size: number;
  bigEndian: boolean;
  offset: number;
}

/** A shape: the template (the message encoded with placeholders) and where each field goes. */
export interface StampPlan {
  readonly template: MessageTemplate;
  readonly writes: readonly FieldWrite[];
}

function fieldWrite(codec: ProtocolCodec, kind: string, field: StampField): Omit<FieldWrite, 'offset'> {
  const [name, length] = typeof field === 'string' ? [field, undefined] : field;
  const message = codec.messageByName(kind)!.message;
  const [part, key] = name.split('.') as [string, string];
  const spec =
    part === 'header'
      ? message.header.members.find((m) => m.spec.name === key)?.spec
      : part === 'attrs'
        ? message.attributes.byName.get(key)?.spec
        : undefined;
  if (!spec) throw new Error(`message ${kind} has no field ${name}`);
  const bigEndian = 'byteOrder' in spec && spec.byteOrder === 'big-endian';
  if (spec.type === 'binary') {
    if (length === undefined) throw new Error(`field ${name} of ${kind} holds bytes: give their length, [name, length]`);
    return { name, kind: 'bytes', size: length, bigEndian };
  }
  const size = SIZES[spec.type as ScalarType];
  if (size === undefined) throw new Error(`field ${name} of ${kind} is a ${spec.type}: only integers up to 32 bits and bytes are stamped`);
  return { name, kind: 'int', size, bigEndian };
}

/**
 * The plan of the stamp for messages like `msg` (placeholders where the fields go) with `fields`
 * changed. Throws when the spec lays a field out otherwise (not in the message, a type not stamped).
 */
export function stampPlan(codec: ProtocolCodec, msg: OutgoingMessage & { kind: string }, fields: readonly StampField[]): StampPlan {
  const template = new MessageTemplate(codec, msg);
  const writes = fields.map((f) => {
    const w = fieldWrite(codec, msg.kind, f);
    return { ...w, offset: template.field(w.name, w.size) };
  });
  return { template, writes };
}

/** The stamp for messages like `msg` with `fields` changed (see stampPlan): values by position. */
export function messageStamper(codec: ProtocolCodec, msg: OutgoingMessage & { kind: string }, fields: readonly StampField[]): Stamp {
  const { template, writes } = stampPlan(codec, msg, fields);
  return (...values) => {
    const b = template.stamp();
    for (let i = 0; i < writes.length; i++) writeField(b, writes[i]!, values[i], msg.kind);
    return b;
  };
}

/** Writes one field's value into a stamped message: an integer in its byte order (low bits kept), or bytes of the template's length. */
function writeField(b: Uint8Array, w: FieldWrite, v: StampValue | undefined, kind: string): void {
  if (w.kind === 'bytes') {
    if (!(v instanceof Uint8Array) || v.length !== w.size) throw new Error(`stamp of ${kind}: ${w.name} must be ${w.size} bytes, got ${String(v)}`);
    b.set(v, w.offset);
    return;
  }
  const n = v as number;
  for (let k = 0; k < w.size; k++) b[w.offset + k] = n >>> (8 * (w.bigEndian ? w.size - 1 - k : k));
}
