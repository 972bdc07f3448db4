/**
 * Stamps: bulk requests of one shape made from a prepared message (template.ts). A family module
 * gives the message with placeholder values and names the fields it will change ('header.index',
 * 'attrs.local'); it gets back one function that copies the template and writes those fields,
 * values by position, each as the spec lays it out (its size and byte order; bytes of the length
 * the template holds). The function is generated once per shape with the offsets as constants:
 * a stamp is one copy and a few stores, with no lookup per message. What it makes is byte for byte
 * what the encoder makes of the same values (test/api/address-stamps.test.ts).
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

/** How one field is written: an integer of `size` bytes, or bytes of `size`. */
interface FieldWrite {
  name: string;
  kind: 'int' | 'bytes';
  size: number;
  bigEndian: boolean;
}

function fieldWrite(codec: ProtocolCodec, kind: string, field: StampField): FieldWrite {
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

/** Statements writing value `v` at `at` (little- or big-endian integer, or checked bytes). */
function writeLines(f: FieldWrite, v: string, at: number, i: number): string[] {
  if (f.kind === 'bytes') {
    return [`  if (!(${v} instanceof Uint8Array) || ${v}.length !== ${f.size}) throw bad(${i}, ${v});`, `  b.set(${v}, ${at});`];
  }
  const out: string[] = [];
  for (let k = 0; k < f.size; k++) {
    const shift = 8 * (f.bigEndian ? f.size - 1 - k : k);
    out.push(`  b[${at + k}] = ${shift === 0 ? v : `${v} >>> ${shift}`};`);
  }
  return out;
}

/**
 * The stamp for messages like `msg` (placeholders where the fields go) with `fields` changed.
 * Throws when the spec lays a field out otherwise (not in the message, a type not stamped).
 */
export function messageStamper(codec: ProtocolCodec, msg: OutgoingMessage & { kind: string }, fields: readonly StampField[]): Stamp {
  const t = new MessageTemplate(codec, msg);
  const writes = fields.map((f) => fieldWrite(codec, msg.kind, f));
  const params = writes.map((_, i) => `v${i}`);
  const lines = ['"use strict";', `return function stamp(${params.join(', ')}) {`, '  const b = t.stamp();'];
  for (const [i, w] of writes.entries()) lines.push(...writeLines(w, params[i]!, t.field(w.name, w.size), i));
  lines.push('  return b;', '};');
  const bad = (i: number, v: unknown): Error =>
    new Error(`stamp of ${msg.kind}: ${writes[i]!.name} must be ${writes[i]!.size} bytes, got ${String(v)}`);
  return new Function('t', 'bad', lines.join('\n'))(t, bad) as Stamp;
}
