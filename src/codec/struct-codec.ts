/** Fixed C structs: compiled members, decoding (exact, shorter or longer payloads) and encoding. */
import type { StructSpec } from '../../protocol/spec.js';
import type { ByteWriter } from './byte-writer.js';
import { EncodeError, SpecError } from './errors.js';
import { buildStructDecoder } from './fast-decode.js';
import { SCALAR_SIZE, binaryDecoder, binaryEncoder, describe, enumEncode, enumView, readScalar, writeScalar } from './scalars.js';
import type { CompiledEnum, CompiledMember, CompiledStruct, DecodeCtx } from './types.js';
import { formatIPv4, parseIp } from './values.js';

export function compileStruct(name: string, def: StructSpec, enumOf: (n: string | undefined) => CompiledEnum | undefined): CompiledStruct {
  let offset = 0;
  const members: CompiledMember[] = [];
  for (const m of def.members) {
    if (m.type === 'binary' && m.len === undefined) {
      // A last member without a length takes the rest of the payload (struct rtvia's address).
      if (m !== def.members[def.members.length - 1])
        throw new SpecError('only the last member may omit len', ['?', 'definitions', name, m.name, 'len']);
      const show = binaryDecoder(m.display);
      const parse = binaryEncoder(m.display);
      members.push({
        spec: m,
        offset,
        size: 0,
        rest: true,
        read: (_v, b, at, end) => show(b, at, end),
        write: (w, value) => {
          if (value !== undefined) w.bytes(parse(value));
        },
      });
      continue;
    }
    if (m.type === 'pad' || m.type === 'binary') {
      const len = m.len ?? 0;
      if (!Number.isSafeInteger(len) || len <= 0)
        throw new SpecError(`a ${m.type} member needs a positive len`, ['?', 'definitions', name, m.name, 'len']);
      const start = offset;
      const show = binaryDecoder(m.display);
      const parse = binaryEncoder(m.display);
      members.push({
        spec: m,
        offset: start,
        size: len,
        read: (_v, b, at) => show(b, at, at + len),
        write: (w, value) => {
          if (m.type === 'pad' || value === undefined) return w.zeros(len);
          const bytes = parse(value);
          if (bytes.length > len) throw new EncodeError(`${describe(value)} is longer than ${len} bytes`, [m.name]);
          w.bytes(bytes);
          w.zeros(len - bytes.length);
        },
      });
      offset += len;
      continue;
    }
    const size = SCALAR_SIZE[m.type];
    const rd = readScalar(m.type, m.byteOrder === 'big-endian');
    const wr = writeScalar(m.type, m.byteOrder === 'big-endian');
    const e = enumOf(m.enum);
    const view = enumView(e);
    const toNum = enumEncode(e);
    const showIp = m.display === 'ipaddr' && size === 4;
    members.push({
      spec: m,
      offset,
      size,
      read: view ? (v, _b, at) => view(rd(v, at)) : showIp ? (_v, b, at) => formatIPv4(b, at) : (v, _b, at) => rd(v, at),
      write: (w, value) => {
        if (value === undefined) return w.zeros(size);
        try {
          if (showIp && typeof value === 'string') {
            const ip = parseIp(value);
            if (ip?.length !== 4) throw new EncodeError(`${describe(value)} is not an IPv4 address`);
            return w.bytes(ip);
          }
          wr(w, toNum(value) as number | bigint);
        } catch (err) {
          if (err instanceof EncodeError) throw err.withOuter(m.name);
          throw err;
        }
      },
    });
    offset += size;
  }
  const st: CompiledStruct = { name, size: offset, members, decode: (ctx, start, end) => decodeStructGeneric(ctx, st, start, end) };
  const generic = st.decode;
  st.decode = (ctx, start, end) => (st.decode = buildStructDecoder(st, generic))(ctx, start, end);
  return st;
}

export function decodeStruct(ctx: DecodeCtx, st: CompiledStruct, start: number, end: number): Record<string, unknown> {
  return st.decode(ctx, start, end);
}

/** The reference struct decoder: partial structs, trailing bytes, variable-length last member. */
export function decodeStructGeneric(ctx: DecodeCtx, st: CompiledStruct, start: number, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const avail = end - start;
  let rest = false;
  for (const m of st.members) {
    if (m.offset + m.size > avail) break; // shorter than this kernel's struct: later members absent
    if (m.rest) {
      rest = true;
      out[m.spec.name] = m.read(ctx.view, ctx.bytes, start + m.offset, end);
    } else if (m.spec.type !== 'pad') out[m.spec.name] = m.read(ctx.view, ctx.bytes, start + m.offset, end);
  }
  if (!rest && avail > st.size) out._tail = ctx.bytes.slice(start + st.size, end); // longer: keep what a newer kernel added
  return out;
}

/**
 * Writes a struct. Fixed headers (`full`) are always written whole; struct attributes stop after
 * the last member given, so a short struct decoded from an older kernel re-encodes unchanged, and
 * one without any member (what a payload too short for the first decodes to) is empty.
 */
export function encodeStruct(w: ByteWriter, st: CompiledStruct, value: Record<string, unknown> | undefined, full: boolean): void {
  const v = value ?? {};
  if (typeof v !== 'object' || v === null) throw new EncodeError(`expected an object for struct ${st.name}, got ${describe(value)}`);
  let last = st.members.length - 1;
  if (!full) {
    while (last >= 0 && (st.members[last]!.spec.type === 'pad' || v[st.members[last]!.spec.name] === undefined)) last--;
    // Trailing padding belongs to the struct: the kernel checks the full size.
    if (last >= 0) while (last + 1 < st.members.length && st.members[last + 1]!.spec.type === 'pad') last++;
  }
  for (let i = 0; i <= last; i++) {
    const m = st.members[i]!;
    m.write(w, v[m.spec.name]);
  }
  if (v._tail instanceof Uint8Array) w.bytes(v._tail);
}
