/**
 * The spec interpreter: turns a FamilySpec into lookup tables of small decode/encode functions,
 * once per family. Decoding a message is then an array lookup per attribute and one call, with no
 * per-message closure allocation; errors build their path only while unwinding.
 */
import type {
  AttrSpec,
  AttributeSetSpec,
  DisplayHint,
  EnumSpec,
  FamilySpec,
  ScalarType,
  StructMemberSpec,
  StructSpec,
} from '../../protocol/spec.js';
import { ByteWriter, NLA_F_NESTED, NLA_HDRLEN, align4 } from './byte-writer.js';
import { DecodeError, EncodeError } from './errors.js';
import { type SetDecoder, type StructDecoder, buildSetDecoder, buildStructDecoder } from './fast-decode.js';
import {
  decodeString,
  encodeString,
  formatHex,
  formatHwaddr,
  formatIPv4,
  formatIPv6,
  parseHex,
  parseHwaddr,
  parseIp,
} from './values.js';

/** Nests deeper than this are refused: real rtnetlink messages stay under 8. */
export const MAX_NEST_DEPTH = 32;

/** An attribute the spec does not name, kept with its position so re-encoding is byte-exact. */
export interface UnknownAttr {
  /** nla_type including flag bits. */
  type: number;
  data: Uint8Array;
  /** Position among the attributes of its set (0-based), where re-encoding puts it back. */
  index: number;
}

export type AttrValues = Record<string, unknown> & { unknown?: UnknownAttr[] };

/** Decoding state for one buffer; `depth` counts nesting. */
export interface DecodeCtx {
  bytes: Uint8Array;
  view: DataView;
}

type Decoder = (ctx: DecodeCtx, start: number, end: number, depth: number, siblings: AttrValues) => unknown;
type Encoder = (w: ByteWriter, value: unknown, siblings: Record<string, unknown>, depth: number) => void;

export interface CompiledAttr {
  readonly spec: AttrSpec;
  readonly key: string;
  readonly id: number;
  /** Kernel-style constant, e.g. IFLA_IFNAME: for messages people search for. */
  readonly constant: string;
  readonly multi: boolean;
  readonly nlaFlags: number;
  /** Exact payload size for scalars: other sizes are kept raw (as unknown) for exactness. */
  readonly fixedSize?: number;
  /** Sibling whose value selects a sub-message's set: decoding waits until the set is read. */
  readonly selector?: string;
  decode: Decoder;
  encode: Encoder;
  /** Attribute set of nests (for offset lookup and docs); undefined for leaves. */
  nestedSet?: CompiledSet;
}

export interface CompiledSet {
  readonly name: string;
  readonly byId: (CompiledAttr | undefined)[];
  readonly byName: Map<string, CompiledAttr>;
  /** Specialised decoder (fast-decode.ts), built once all sets are compiled. */
  decode: SetDecoder;
}

export interface CompiledMember {
  readonly spec: StructMemberSpec;
  readonly offset: number;
  readonly size: number;
  /** Variable-length last member: reads to the end of the payload. */
  readonly rest?: boolean;
  read(view: DataView, bytes: Uint8Array, at: number, end: number): unknown;
  write(w: ByteWriter, value: unknown): void;
}

export interface CompiledStruct {
  readonly name: string;
  readonly size: number;
  readonly members: CompiledMember[];
  decode: StructDecoder;
}

export interface CompiledEnum {
  readonly name: string;
  readonly spec: EnumSpec;
  readonly byValue: Map<number, string>;
  readonly byName: Map<string, number>;
  /** flags only: [mask, name] pairs in spec order. */
  readonly bits: [number, string][];
}

export interface CompiledMessage {
  readonly name: string;
  readonly value: number;
  readonly header: CompiledStruct;
  readonly attributes: CompiledSet;
}

export interface CompiledFamily {
  readonly spec: FamilySpec;
  readonly name: string;
  readonly sets: Map<string, CompiledSet>;
  readonly structs: Map<string, CompiledStruct>;
  readonly enums: Map<string, CompiledEnum>;
  readonly messages: Map<string, CompiledMessage>;
  readonly messagesByType: Map<number, CompiledMessage>;
}

const SCALAR_SIZE: Record<ScalarType, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };

export function kernelConstant(prefix: string | undefined, name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2');
  return (prefix ?? '') + words.replace(/-/g, '_').toUpperCase();
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Scalars, enums and flags

function readScalar(type: ScalarType, bigEndian: boolean): (view: DataView, at: number) => number | bigint {
  const le = !bigEndian;
  switch (type) {
    case 'u8':
      return (v, at) => v.getUint8(at);
    case 's8':
      return (v, at) => v.getInt8(at);
    case 'u16':
      return (v, at) => v.getUint16(at, le);
    case 's16':
      return (v, at) => v.getInt16(at, le);
    case 'u32':
      return (v, at) => v.getUint32(at, le);
    case 's32':
      return (v, at) => v.getInt32(at, le);
    case 'u64':
      return (v, at) => v.getBigUint64(at, le);
    case 's64':
      return (v, at) => v.getBigInt64(at, le);
  }
}

function scalarRange(type: ScalarType): [bigint, bigint] {
  const bits = BigInt(SCALAR_SIZE[type] * 8);
  return type.startsWith('u') ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

function writeScalar(type: ScalarType, bigEndian: boolean): (w: ByteWriter, n: number | bigint) => void {
  const [min, max] = scalarRange(type);
  const size = SCALAR_SIZE[type];
  return (w, n) => {
    if (typeof n === 'number') {
      if (!Number.isInteger(n)) throw new EncodeError(`${n} is not an integer`);
      if (size < 8 && (n < Number(min) || n > Number(max))) throw new EncodeError(`${n} is out of range for ${type} (${min}..${max})`);
    }
    const big = typeof n === 'bigint' ? n : BigInt(n);
    if (size === 8 && (big < min || big > max)) throw new EncodeError(`${n} is out of range for ${type} (${min}..${max})`);
    w.ensure(size);
    const le = !bigEndian;
    switch (type) {
      case 'u8':
      case 's8':
        w.view.setUint8(w.pos, Number(big) & 0xff);
        break;
      case 'u16':
      case 's16':
        w.view.setUint16(w.pos, Number(big) & 0xffff, le);
        break;
      case 'u32':
      case 's32':
        w.view.setUint32(w.pos, Number(big) >>> 0, le);
        break;
      case 'u64':
      case 's64':
        w.view.setBigUint64(w.pos, BigInt.asUintN(64, big), le);
        break;
    }
    w.pos += size;
  };
}

function compileEnum(name: string, spec: EnumSpec): CompiledEnum {
  const byValue = new Map<number, string>();
  const byName = new Map<string, number>();
  const bits: [number, string][] = [];
  for (const [k, v] of Object.entries(spec.entries)) {
    if (!byValue.has(v)) byValue.set(v, k);
    byName.set(k, v);
    if (spec.type === 'flags') bits.push([v, k]);
  }
  return { name, spec, byValue, byName, bits };
}

/** Integer -> enum name (or the number when the enum does not know it) / flag names. */
function enumView(e: CompiledEnum | undefined): ((n: number | bigint) => unknown) | undefined {
  if (!e) return undefined;
  if (e.spec.type === 'enum') return (n) => e.byValue.get(Number(n)) ?? n;
  // Flag sets repeat across messages (every link is [up, broadcast, ...]): decode each distinct
  // value once and share the frozen array, which saves an allocation per message in big dumps.
  const seen = new Map<number, readonly (string | number)[]>();
  const bits = e.bits;
  return (n) => {
    const key = Number(n) >>> 0;
    const hit = seen.get(key);
    if (hit) return hit;
    const names = decodeFlags(key);
    if (seen.size < 1024) seen.set(key, Object.freeze(names));
    return names;
  };
  function decodeFlags(value: number): (string | number)[] {
    let rest = value;
    const names: (string | number)[] = [];
    for (const [mask, name] of bits) {
      if (mask !== 0 && ((rest & mask) >>> 0) === mask >>> 0) {
        names.push(name);
        rest = (rest & ~mask) >>> 0;
      }
    }
    if (rest !== 0) names.push(rest); // bits the spec does not name survive as a number
    return names;
  }
}

function enumEncode(e: CompiledEnum | undefined): (v: unknown) => number | bigint {
  return (v) => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    if (!e) throw new EncodeError(`expected a number, got ${describe(v)}`);
    if (e.spec.type === 'enum') {
      if (typeof v === 'string') {
        const n = e.byName.get(v);
        if (n === undefined) throw new EncodeError(`unknown ${e.name} value ${describe(v)} (known: ${[...e.byName.keys()].join(', ')})`);
        return n;
      }
      throw new EncodeError(`expected one of ${e.name} (${[...e.byName.keys()].join(', ')}) or a number, got ${describe(v)}`);
    }
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list)) throw new EncodeError(`expected a list of ${e.name} flags or a number, got ${describe(v)}`);
    let n = 0;
    for (const f of list) {
      if (typeof f === 'number') n |= f;
      else {
        const bit = e.byName.get(String(f));
        if (bit === undefined) throw new EncodeError(`unknown ${e.name} flag ${describe(f)} (known: ${[...e.byName.keys()].join(', ')})`);
        n |= bit;
      }
    }
    return n >>> 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Binary presentation

function binaryDecoder(display: DisplayHint | undefined): (bytes: Uint8Array, s: number, e: number) => unknown {
  switch (display) {
    case 'hwaddr':
      return formatHwaddr;
    case 'hex':
      return formatHex;
    case 'ipaddr':
      return (b, s, e) => (e - s === 4 ? formatIPv4(b, s) : e - s === 16 ? formatIPv6(b, s) : b.slice(s, e));
    default:
      return (b, s, e) => b.slice(s, e);
  }
}

function binaryEncoder(display: DisplayHint | undefined): (v: unknown) => Uint8Array {
  return (v) => {
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') {
      const parsed = display === 'hwaddr' ? parseHwaddr(v) : display === 'ipaddr' ? parseIp(v) : display === 'hex' ? parseHex(v) : undefined;
      if (parsed) return parsed;
      const what = display === 'hwaddr' ? 'a hardware address like 02:00:00:00:00:01' : display === 'ipaddr' ? 'an IPv4 or IPv6 address' : 'hex bytes';
      throw new EncodeError(`${describe(v)} is not ${what}`);
    }
    throw new EncodeError(`expected bytes${display ? ' or text' : ''}, got ${describe(v)}`);
  };
}

// ---------------------------------------------------------------------------------------------
// Compilation

export function compileFamily(spec: FamilySpec): CompiledFamily {
  const enums = new Map<string, CompiledEnum>();
  const structs = new Map<string, CompiledStruct>();
  const sets = new Map<string, CompiledSet>();

  for (const [name, def] of Object.entries(spec.definitions)) {
    if (def.type !== 'struct') enums.set(name, compileEnum(name, def));
  }
  const enumOf = (n: string | undefined, where: string): CompiledEnum | undefined => {
    if (n === undefined) return undefined;
    const e = enums.get(n);
    if (!e) throw new Error(`spec ${spec.name}: ${where} refers to unknown enum "${n}"`);
    return e;
  };
  for (const [name, def] of Object.entries(spec.definitions)) {
    if (def.type === 'struct') structs.set(name, compileStruct(name, def, (n) => enumOf(n, `struct ${name}`)));
  }
  const structOf = (n: string | undefined, where: string): CompiledStruct => {
    const s = n === undefined ? undefined : structs.get(n);
    if (!s) throw new Error(`spec ${spec.name}: ${where} refers to unknown struct "${n}"`);
    return s;
  };

  // Sets are created empty first so nests may refer to sets defined later (and to themselves).
  for (const name of Object.keys(spec.attributeSets)) {
    const set: CompiledSet = { name, byId: [], byName: new Map(), decode: (ctx, start, end, depth) => decodeAttrsInterpreted(ctx, set, start, end, depth) };
    sets.set(name, set);
  }
  const setOf = (n: string | undefined, where: string): CompiledSet => {
    const s = n === undefined ? undefined : sets.get(n);
    if (!s) throw new Error(`spec ${spec.name}: ${where} refers to unknown attribute set "${n}"`);
    return s;
  };

  for (const [setName, setSpec] of Object.entries(spec.attributeSets)) {
    const set = sets.get(setName)!;
    for (const a of setSpec.attributes) {
      const where = `${setName}.${a.name}`;
      if (set.byId[a.value]) throw new Error(`spec ${spec.name}: ${where} reuses id ${a.value}`);
      if (set.byName.has(a.name)) throw new Error(`spec ${spec.name}: ${where} is defined twice`);
      const compiled = compileAttr(spec, setSpec, a, where, { enumOf, structOf, setOf });
      set.byId[a.value] = compiled;
      set.byName.set(a.name, compiled);
    }
  }

  // Built on first use: most processes touch a few of the ~80 sets, and start-up matters for a CLI.
  for (const set of sets.values()) set.decode = (ctx, start, end, depth) => (set.decode = buildSetDecoder(set, MAX_NEST_DEPTH))(ctx, start, end, depth);

  const messages = new Map<string, CompiledMessage>();
  const messagesByType = new Map<number, CompiledMessage>();
  for (const [name, m] of Object.entries(spec.messages)) {
    const cm: CompiledMessage = {
      name,
      value: m.value,
      header: structOf(m.header, `message ${name}`),
      attributes: setOf(m.attributes, `message ${name}`),
    };
    messages.set(name, cm);
    messagesByType.set(m.value, cm);
  }
  return { spec, name: spec.name, sets, structs, enums, messages, messagesByType };
}

function compileStruct(name: string, def: StructSpec, enumOf: (n: string | undefined) => CompiledEnum | undefined): CompiledStruct {
  let offset = 0;
  const members: CompiledMember[] = [];
  for (const m of def.members) {
    if (m.type === 'binary' && m.len === undefined) {
      // A last member without a length takes the rest of the payload (struct rtvia's address).
      if (m !== def.members[def.members.length - 1]) throw new Error(`struct ${name}.${m.name}: only the last member may omit len`);
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
      if (len <= 0) throw new Error(`struct ${name}.${m.name}: ${m.type} member needs a positive len`);
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
            if (!ip || ip.length !== 4) throw new EncodeError(`${describe(value)} is not an IPv4 address`);
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
 * the last member given, so a short struct decoded from an older kernel re-encodes unchanged.
 */
export function encodeStruct(w: ByteWriter, st: CompiledStruct, value: Record<string, unknown> | undefined, full: boolean): void {
  const v = value ?? {};
  if (typeof v !== 'object' || v === null) throw new EncodeError(`expected an object for struct ${st.name}, got ${describe(value)}`);
  let last = st.members.length - 1;
  if (!full) {
    while (last >= 0 && (st.members[last]!.spec.type === 'pad' || v[st.members[last]!.spec.name] === undefined)) last--;
    if (last < 0 && v._tail === undefined) last = st.members.length - 1;
    // Trailing padding belongs to the struct: the kernel checks the full size.
    while (last + 1 < st.members.length && st.members[last + 1]!.spec.type === 'pad') last++;
  }
  for (let i = 0; i <= last; i++) {
    const m = st.members[i]!;
    m.write(w, v[m.spec.name]);
  }
  if (v._tail instanceof Uint8Array) w.bytes(v._tail);
}

interface Lookups {
  enumOf(n: string | undefined, where: string): CompiledEnum | undefined;
  structOf(n: string | undefined, where: string): CompiledStruct;
  setOf(n: string | undefined, where: string): CompiledSet;
}

function compileAttr(family: FamilySpec, setSpec: AttributeSetSpec, a: AttrSpec, where: string, L: Lookups): CompiledAttr {
  const base = {
    spec: a,
    key: a.name,
    id: a.value,
    constant: kernelConstant(setSpec.prefix, a.name),
    multi: a.multi === true,
    nlaFlags: a.nestedFlag ? NLA_F_NESTED : 0,
  };
  const bigEndian = a.byteOrder === 'big-endian';

  switch (a.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
    case 's8':
    case 's16':
    case 's32':
    case 's64': {
      const size = SCALAR_SIZE[a.type];
      const rd = readScalar(a.type, bigEndian);
      const wr = writeScalar(a.type, bigEndian);
      const e = L.enumOf(a.enum, where);
      const view = enumView(e);
      const toNum = enumEncode(e);
      const showIp = a.display === 'ipaddr' && size === 4;
      return {
        ...base,
        fixedSize: size,
        decode: (ctx, s, end) => {
          if (end - s < size) throw new DecodeError(`${a.type} attribute has ${end - s} bytes, needs ${size}`, s);
          if (showIp) return formatIPv4(ctx.bytes, s);
          const n = rd(ctx.view, s);
          return view ? view(n) : n;
        },
        encode: (w, v) => {
          if (showIp && typeof v === 'string') {
            const ip = parseIp(v);
            if (!ip || ip.length !== 4) throw new EncodeError(`${describe(v)} is not an IPv4 address`);
            return w.bytes(ip);
          }
          wr(w, toNum(v));
        },
      };
    }
    case 'string':
      return {
        ...base,
        decode: (ctx, s, end) => decodeString(ctx.bytes, s, end),
        encode: (w, v) => {
          if (typeof v !== 'string') throw new EncodeError(`expected a string, got ${describe(v)}`);
          w.bytes(encodeString(v));
        },
      };
    case 'flag':
      return {
        ...base,
        decode: () => true,
        encode: (_w, v) => {
          if (v !== true) throw new EncodeError(`a flag attribute takes true (or is left out), got ${describe(v)}`);
        },
      };
    case 'binary': {
      if (a.subType) {
        const size = SCALAR_SIZE[a.subType];
        const rd = readScalar(a.subType, bigEndian);
        const wr = writeScalar(a.subType, bigEndian);
        return {
          ...base,
          decode: (ctx, s, end) => {
            if ((end - s) % size !== 0) throw new DecodeError(`array of ${a.subType} has ${end - s} bytes, not a multiple of ${size}`, s);
            const out: (number | bigint)[] = new Array((end - s) / size);
            for (let i = 0, p = s; p < end; i++, p += size) out[i] = rd(ctx.view, p);
            return out;
          },
          encode: (w, v) => {
            if (v instanceof Uint8Array) return w.bytes(v);
            if (!Array.isArray(v)) throw new EncodeError(`expected an array of ${a.subType}, got ${describe(v)}`);
            v.forEach((n, i) => {
              try {
                wr(w, n as number);
              } catch (err) {
                throw err instanceof EncodeError ? err.withOuter(`[${i}]`) : err;
              }
            });
          },
        };
      }
      const show = binaryDecoder(a.display);
      const parse = binaryEncoder(a.display);
      return {
        ...base,
        decode: (ctx, s, end) => show(ctx.bytes, s, end),
        encode: (w, v) => w.bytes(parse(v)),
      };
    }
    case 'struct': {
      const st = L.structOf(a.struct, where);
      return {
        ...base,
        decode: (ctx, s, end) => decodeStruct(ctx, st, s, end),
        encode: (w, v) => {
          if (v instanceof Uint8Array) return w.bytes(v);
          encodeStruct(w, st, v as Record<string, unknown>, false);
        },
      };
    }
    case 'nest': {
      const set = L.setOf(a.nested, where);
      const header = a.header ? L.structOf(a.header, where) : undefined;
      const compiled: CompiledAttr = {
        ...base,
        nestedSet: set,
        decode: header
          ? (ctx, s, end, depth) => {
              const hdrEnd = Math.min(end, s + align4(header.size));
              const hdr = decodeStruct(ctx, header, s, Math.min(end, s + header.size));
              const attrs = decodeAttrs(ctx, set, hdrEnd, end, depth + 1);
              return { header: hdr, attrs };
            }
          : (ctx, s, end, depth) => decodeAttrs(ctx, set, s, end, depth + 1),
        encode: header
          ? (w, v, _sib, depth) => {
              const nv = (v ?? {}) as { header?: Record<string, unknown>; attrs?: Record<string, unknown> };
              encodeStruct(w, header, nv.header, true);
              w.align();
              encodeAttrs(w, set, nv.attrs ?? {}, depth + 1);
            }
          : (w, v, _sib, depth) => encodeAttrs(w, set, v as Record<string, unknown>, depth + 1),
      };
      return compiled;
    }
    case 'sub-message': {
      const table = a.subMessage ? family.subMessages?.[a.subMessage] : undefined;
      if (!table) throw new Error(`spec ${family.name}: ${where} refers to unknown sub-message "${a.subMessage}"`);
      if (!a.selector) throw new Error(`spec ${family.name}: ${where} needs a selector`);
      const selector = a.selector;
      const choices = new Map<string, CompiledSet>();
      for (const [k, setName] of Object.entries(table)) choices.set(k, L.setOf(setName, `${where}[${k}]`));
      return {
        ...base,
        selector,
        decode: (ctx, s, end, depth, siblings) => {
          const sel = siblings[selector];
          const set = typeof sel === 'string' ? choices.get(sel) : undefined;
          if (!set) return ctx.bytes.slice(s, end); // unknown kind: kept raw, re-encoded unchanged
          try {
            return decodeAttrs(ctx, set, s, end, depth + 1);
          } catch (err) {
            throw err instanceof DecodeError ? err.withOuter(`(${sel})`) : err;
          }
        },
        encode: (w, v, siblings, depth) => {
          if (v instanceof Uint8Array) return w.bytes(v);
          const sel = siblings[selector];
          const set = typeof sel === 'string' ? choices.get(sel) : undefined;
          if (!set) {
            throw new EncodeError(
              `cannot encode structured data for ${selector} ${describe(sel)}: known are ${[...choices.keys()].join(', ')} (pass raw bytes for others)`,
            );
          }
          encodeAttrs(w, set, v as Record<string, unknown>, depth + 1);
        },
      };
    }
    case 'struct-array': {
      const st = L.structOf(a.struct, where);
      const set = L.setOf(a.nested, where);
      const lenMember = st.members.find((m) => m.spec.name === a.lengthMember);
      if (!lenMember || lenMember.spec.type !== 'u16') throw new Error(`spec ${family.name}: ${where} needs a u16 lengthMember`);
      const lenOff = lenMember.offset;
      return {
        ...base,
        nestedSet: set,
        decode: (ctx, s, end, depth) => {
          const out: Record<string, unknown>[] = [];
          let p = s;
          while (p < end) {
            if (end - p < st.size) throw new DecodeError(`${end - p} bytes left, too short for a ${st.name} (${st.size} bytes)`, p);
            const len = ctx.view.getUint16(p + lenOff, true);
            if (len < st.size) throw new DecodeError(`${st.name} length ${len} is shorter than its ${st.size}-byte header`, p);
            if (p + len > end) throw new DecodeError(`${st.name} length ${len} runs ${p + len - end} bytes past its container`, p);
            const rec = decodeStruct(ctx, st, p, p + st.size);
            delete rec[lenMember.spec.name];
            try {
              rec.attrs = decodeAttrs(ctx, set, p + align4(st.size), p + len, depth + 1);
            } catch (err) {
              throw err instanceof DecodeError ? err.withOuter(`[${out.length}]`) : err;
            }
            out.push(rec);
            p += align4(len);
          }
          return out;
        },
        encode: (w, v, _sib, depth) => {
          if (!Array.isArray(v)) throw new EncodeError(`expected an array of ${st.name} records, got ${describe(v)}`);
          v.forEach((rec: Record<string, unknown>, i) => {
            const start = w.pos;
            try {
              encodeStruct(w, st, { ...rec, [lenMember.spec.name]: 0 }, true);
              w.align();
              encodeAttrs(w, set, (rec.attrs ?? {}) as Record<string, unknown>, depth + 1);
            } catch (err) {
              throw err instanceof EncodeError ? err.withOuter(`[${i}]`) : err;
            }
            w.view.setUint16(start + lenOff, w.pos - start, true);
            w.align();
          });
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Attribute sets

export function decodeAttrs(ctx: DecodeCtx, set: CompiledSet, start: number, end: number, depth: number): AttrValues {
  return set.decode(ctx, start, end, depth);
}

/**
 * The reference attribute decoder: what the generated decoders (fast-decode.ts) must match.
 * Used by tests to cross-check them, and before they are built.
 */
export function decodeAttrsInterpreted(ctx: DecodeCtx, set: CompiledSet, start: number, end: number, depth: number): AttrValues {
  if (depth > MAX_NEST_DEPTH) throw new DecodeError(`attributes nested deeper than ${MAX_NEST_DEPTH} levels`, start);
  const out: AttrValues = {};
  const view = ctx.view;
  const byId = set.byId;
  let pos = start;
  let index = 0;
  let deferred: [CompiledAttr, number][] | undefined;
  while (pos < end) {
    if (end - pos < NLA_HDRLEN) throw new DecodeError(`${end - pos} trailing bytes are too short for an attribute header`, pos, [set.name]);
    const len = view.getUint16(pos, true);
    const rawType = view.getUint16(pos + 2, true);
    const a = byId[rawType & 0x3fff];
    if (len < NLA_HDRLEN) {
      throw new DecodeError(`attribute length ${len} is shorter than its 4-byte header`, pos, [a ? a.key : `type ${rawType & 0x3fff}`]);
    }
    if (pos + len > end) {
      throw new DecodeError(`attribute length ${len} runs ${pos + len - end} bytes past its container`, pos, [a ? a.key : `type ${rawType & 0x3fff}`]);
    }
    if (a === undefined || (rawType & 0xc000) !== a.nlaFlags || (a.fixedSize !== undefined && len - NLA_HDRLEN !== a.fixedSize)) {
      // Unknown, or known but carrying flag bits the spec would not write: keep it raw for exactness.
      (out.unknown ??= []).push({ type: rawType, data: ctx.bytes.slice(pos + NLA_HDRLEN, pos + len), index });
    } else {
      if (a.selector !== undefined && out[a.selector] === undefined) {
        // The kernel may put the selector after the data (RTA_ENCAP before RTA_ENCAP_TYPE).
        (deferred ??= []).push([a, pos]);
        out[a.key] = undefined; // keeps the key's place in wire order
        pos += align4(len);
        index++;
        continue;
      }
      let v: unknown;
      try {
        v = a.decode(ctx, pos + NLA_HDRLEN, pos + len, depth, out);
      } catch (err) {
        if (err instanceof DecodeError) throw err.withOuter(a.key);
        throw new DecodeError(`cannot decode: ${(err as Error)?.message ?? String(err)}`, pos, [a.key], { cause: err });
      }
      if (a.multi) {
        const list = out[a.key] as unknown[] | undefined;
        if (list) list.push(v);
        else out[a.key] = [v];
      } else {
        out[a.key] = v;
      }
    }
    pos += align4(len);
    index++;
  }
  if (deferred) {
    for (const [a, at] of deferred) {
      const len = view.getUint16(at, true);
      try {
        out[a.key] = a.decode(ctx, at + NLA_HDRLEN, at + len, depth, out);
      } catch (err) {
        if (err instanceof DecodeError) throw err.withOuter(a.key);
        throw err;
      }
    }
  }
  return out;
}

export function encodeAttrs(w: ByteWriter, set: CompiledSet, values: Record<string, unknown>, depth = 0): void {
  if (depth > MAX_NEST_DEPTH) throw new EncodeError(`attributes nested deeper than ${MAX_NEST_DEPTH} levels`);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new EncodeError(`expected an object of ${set.name} attributes, got ${describe(values)}`);
  }
  const unknown = (values.unknown as UnknownAttr[] | undefined) ?? [];
  let u = 0;
  let index = 0;
  const flushUnknown = () => {
    while (u < unknown.length && unknown[u]!.index <= index) {
      w.attr(unknown[u]!.type, unknown[u]!.data);
      u++;
      index++;
    }
  };
  for (const key in values) {
    if (key === 'unknown') continue;
    const v = values[key];
    if (v === undefined) continue;
    const a = set.byName.get(key);
    if (!a) throw new EncodeError(`"${key}" is not an attribute of ${set.name} (known: ${[...set.byName.keys()].join(', ')})`);
    if (a.spec.type === 'flag' && v === false) continue;
    const items = a.multi ? (Array.isArray(v) ? v : [v]) : [v];
    for (const item of items) {
      flushUnknown();
      const start = w.beginAttr(a.id | a.nlaFlags);
      try {
        a.encode(w, item, values, depth);
      } catch (err) {
        if (err instanceof EncodeError) throw err.withOuter(key);
        throw err;
      }
      w.endAttr(start);
      index++;
    }
  }
  index = Number.MAX_SAFE_INTEGER;
  flushUnknown();
}
