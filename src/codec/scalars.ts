/** Integers, enums, flags and binary presentation: the leaf codecs every attribute type builds on. */
import type { DisplayHint, EnumSpec, ScalarType } from '../../protocol/spec.js';
import type { ByteWriter } from './byte-writer.js';
import { DecodeError, EncodeError } from './errors.js';
import type { CompiledEnum } from './types.js';
import { formatHex, formatHwaddr, formatIPv4, formatIPv6, parseHex, parseHwaddr, parseIp } from './values.js';

export const SCALAR_SIZE: Record<ScalarType, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    try {
      return String(v);
    } catch {
      return Array.isArray(v) ? '[array]' : '[object]'; // no prototype, or a toString that throws
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scalars, enums and flags

export function readScalar(type: ScalarType, bigEndian: boolean): (view: DataView, at: number) => number | bigint {
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
      return le ? readU64LE : (v, at) => v.getBigUint64(at, false);
    case 's64':
      return le ? readS64LE : (v, at) => v.getBigInt64(at, false);
  }
}

/**
 * Shared bigints for 0..255: most 64-bit counters in a dump are small (error and drop counters,
 * inet6 stats of an idle link), and a bigint read from a DataView is a fresh heap object each
 * time. A bigint is a primitive compared by value, so sharing one is invisible to callers.
 */
const SMALL_BIGINT: bigint[] = [];
for (let i = 0; i < 256; i++) SMALL_BIGINT.push(BigInt(i));

export function readU64LE(v: DataView, at: number): bigint {
  if (v.getUint32(at + 4, true) === 0) {
    const lo = v.getUint32(at, true);
    if (lo < 256) return SMALL_BIGINT[lo]!;
  }
  return v.getBigUint64(at, true);
}
export function readS64LE(v: DataView, at: number): bigint {
  if (v.getUint32(at + 4, true) === 0) {
    const lo = v.getUint32(at, true);
    if (lo < 256) return SMALL_BIGINT[lo]!;
  }
  return v.getBigInt64(at, true);
}

/**
 * Reads a whole array of one integer type (binary attributes with `subType`: IFLA_INET_CONF,
 * IFLA_INET6_CONF, IFLA_INET6_STATS...) in one tight loop per type, with the DataView read inline
 * instead of a call per element. A payload that is not a multiple of the element size is a DecodeError.
 */
export function readScalarArray(type: ScalarType, bigEndian: boolean): (view: DataView, s: number, e: number) => (number | bigint)[] {
  const le = !bigEndian;
  const size = SCALAR_SIZE[type];
  const check = (s: number, e: number): number => {
    if ((e - s) % size !== 0) throw new DecodeError(`array of ${type} has ${e - s} bytes, not a multiple of ${size}`, s);
    return (e - s) / size;
  };
  switch (type) {
    case 'u8':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = v.getUint8(s + i);
        return out;
      };
    case 's8':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = v.getInt8(s + i);
        return out;
      };
    case 'u16':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 2) out[i] = v.getUint16(p, le);
        return out;
      };
    case 's16':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 2) out[i] = v.getInt16(p, le);
        return out;
      };
    case 'u32':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 4) out[i] = v.getUint32(p, le);
        return out;
      };
    case 's32':
      return (v, s, e) => {
        const n = check(s, e);
        const out: number[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 4) out[i] = v.getInt32(p, le);
        return out;
      };
    case 'u64':
      if (le) {
        return (v, s, e) => {
          const n = check(s, e);
          const out: bigint[] = new Array(n);
          for (let i = 0, p = s; i < n; i++, p += 8) {
            const lo = v.getUint32(p, true);
            out[i] = lo < 256 && v.getUint32(p + 4, true) === 0 ? SMALL_BIGINT[lo]! : v.getBigUint64(p, true);
          }
          return out;
        };
      }
      return (v, s, e) => {
        const n = check(s, e);
        const out: bigint[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 8) out[i] = v.getBigUint64(p, false);
        return out;
      };
    case 's64':
      if (le) {
        return (v, s, e) => {
          const n = check(s, e);
          const out: bigint[] = new Array(n);
          for (let i = 0, p = s; i < n; i++, p += 8) {
            const lo = v.getUint32(p, true);
            out[i] = lo < 256 && v.getUint32(p + 4, true) === 0 ? SMALL_BIGINT[lo]! : v.getBigInt64(p, true);
          }
          return out;
        };
      }
      return (v, s, e) => {
        const n = check(s, e);
        const out: bigint[] = new Array(n);
        for (let i = 0, p = s; i < n; i++, p += 8) out[i] = v.getBigInt64(p, false);
        return out;
      };
  }
}

export function scalarRange(type: ScalarType): [bigint, bigint] {
  const bits = BigInt(SCALAR_SIZE[type] * 8);
  return type.startsWith('u') ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

/** One writer per type and byte order, shared by every attribute and member of that type (compiling rt-link made ~400). */
const writers = new Map<string, (w: ByteWriter, n: number | bigint) => void>();

export function writeScalar(type: ScalarType, bigEndian: boolean): (w: ByteWriter, n: number | bigint) => void {
  const key = bigEndian ? type + 'be' : type;
  let wr = writers.get(key);
  if (wr === undefined) writers.set(key, (wr = makeWriter(type, bigEndian)));
  return wr;
}

function makeWriter(type: ScalarType, bigEndian: boolean): (w: ByteWriter, n: number | bigint) => void {
  const [min, max] = scalarRange(type);
  const size = SCALAR_SIZE[type];
  const le = !bigEndian;
  const outOfRange = (n: number | bigint) => new EncodeError(`${n} is out of range for ${type} (${min}..${max})`);
  if (size === 8) {
    return (w, n) => {
      if (typeof n === 'number' && !Number.isInteger(n)) throw new EncodeError(`${n} is not an integer`);
      const big = typeof n === 'bigint' ? n : BigInt(n);
      if (big < min || big > max) throw outOfRange(n);
      w.ensure(8);
      w.view.setBigUint64(w.pos, BigInt.asUintN(64, big), le);
      w.pos += 8;
    };
  }
  // Up to 32 bits: plain numbers all the way (a BigInt per field was most of a small request's encoding).
  const lo = Number(min);
  const hi = Number(max);
  return (w, value) => {
    const n = typeof value === 'bigint' ? Number(value) : value;
    if (!Number.isInteger(n)) throw new EncodeError(`${value} is not an integer`);
    if (n < lo || n > hi) throw outOfRange(value);
    w.ensure(size);
    if (size === 1) w.view.setUint8(w.pos, n & 0xff);
    else if (size === 2) w.view.setUint16(w.pos, n & 0xffff, le);
    else w.view.setUint32(w.pos, n >>> 0, le);
    w.pos += size;
  };
}

export function compileEnum(name: string, spec: EnumSpec): CompiledEnum {
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
export function enumView(e: CompiledEnum | undefined): ((n: number | bigint) => unknown) | undefined {
  if (!e) return undefined;
  if (e.spec.type === 'enum') {
    // Small non-negative values (operstate, arphrd, address families...): an array, not a Map lookup.
    const values = [...e.byValue.keys()];
    if (values.every((v) => Number.isInteger(v) && v >= 0 && v < 1024)) {
      const names: (string | undefined)[] = new Array(Math.max(0, ...values) + 1).fill(undefined);
      for (const [v, name] of e.byValue) names[v] = name;
      const top = names.length;
      return (n) => {
        const v = Number(n);
        return (v >= 0 && v < top ? names[v] : undefined) ?? n;
      };
    }
    return (n) => e.byValue.get(Number(n)) ?? n;
  }
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
      if (mask !== 0 && (rest & mask) >>> 0 === mask >>> 0) {
        names.push(name);
        rest = (rest & ~mask) >>> 0;
      }
    }
    if (rest !== 0) names.push(rest); // bits the spec does not name survive as a number
    return names;
  }
}

export function enumEncode(e: CompiledEnum | undefined): (v: unknown) => number | bigint {
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
        const bit = typeof f === 'string' ? e.byName.get(f) : undefined;
        if (bit === undefined) throw new EncodeError(`unknown ${e.name} flag ${describe(f)} (known: ${[...e.byName.keys()].join(', ')})`);
        n |= bit;
      }
    }
    return n >>> 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Binary presentation

export function binaryDecoder(display: DisplayHint | undefined): (bytes: Uint8Array, s: number, e: number) => unknown {
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

export function binaryEncoder(display: DisplayHint | undefined): (v: unknown) => Uint8Array {
  return (v) => {
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') {
      const parsed = display === 'hwaddr' ? parseHwaddr(v) : display === 'ipaddr' ? parseIp(v) : display === 'hex' ? parseHex(v) : undefined;
      if (parsed) return parsed;
      const what =
        display === 'hwaddr' ? 'a hardware address like 02:00:00:00:00:01' : display === 'ipaddr' ? 'an IPv4 or IPv6 address' : 'hex bytes';
      throw new EncodeError(`${describe(v)} is not ${what}`);
    }
    throw new EncodeError(`expected bytes${display ? ' or text' : ''}, got ${describe(v)}`);
  };
}
