/**
 * Specialised decoders, generated once per attribute set and struct from the compiled spec.
 *
 * The interpreter in compile.ts stores every attribute with a computed key (`out[a.key] = v`),
 * a megamorphic store V8 cannot optimise, and reads every scalar through a closure. Here each
 * attribute gets its own `case` with a constant property name and, for scalars, the DataView read
 * inline, so V8 sees monomorphic stores and inlines the reads. Semantics are the interpreter's
 * (a test decodes the same inputs both ways): anything unusual — unknown ids, flag bits the spec
 * would not write, odd sizes, deferred sub-messages — goes through the same helpers.
 *
 * The generated source only contains numbers and JSON-quoted spec names: compileFamily validates
 * the spec first (spec-check.ts), and every value taken from it passes num() or quote() here.
 */
import { redecodeSelected, reindexUnknown } from './attr-set-codec.js';
import { DecodeError, SpecError } from './errors.js';
import { describe, readS64LE, readU64LE } from './scalars.js';
import type { AttrSelection, AttrValues, CompiledAttr, CompiledSet, CompiledStruct, DecodeCtx, SetDecoder, StructDecoder } from './types.js';
import { decodeString, formatIPv4 } from './values.js';
import { NLA_HDRLEN, attrFrameError } from './walk.js';

// The decoder types are types.ts's; exported here too for the code that imports them from here.
export type { SetDecoder, StructDecoder } from './types.js';

const READ: Readonly<Record<string, [string, number, boolean]>> = {
  u8: ['getUint8', 1, false],
  s8: ['getInt8', 1, false],
  u16: ['getUint16', 2, true],
  s16: ['getInt16', 2, true],
  u32: ['getUint32', 4, true],
  s32: ['getInt32', 4, true],
  u64: ['getBigUint64', 8, true],
  s64: ['getBigInt64', 8, true],
};

/** READ's entry for a scalar type; undefined for anything else (including Object.prototype's names). */
function readOf(type: string): [string, number, boolean] | undefined {
  return Object.hasOwn(READ, type) ? READ[type] : undefined;
}

// Everything generated source holds from the spec goes through num() or quote(). compileFamily
// validated the spec, so these fail only if compiled tables were changed since; they keep even
// that from reaching new Function as code.

/** An integer, as source text. */
function num(n: unknown, what: string): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new SpecError(`${what} is ${describe(n)}, not an integer: no decoder generated`, ['?']);
  return String(n);
}

/** A property name, JSON-quoted (never __proto__, which an object literal would take as the prototype). */
function quote(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '__proto__') throw new SpecError(`${what} is ${describe(name)}: no decoder generated`, ['?']);
  return JSON.stringify(name);
}

interface Helpers {
  attrs: (CompiledAttr | undefined)[];
  /** Per attribute id: the part of its decoding the generated case calls directly. */
  fn: unknown[];
  u64: typeof readU64LE;
  s64: typeof readS64LE;
  ip4: typeof formatIPv4;
  setName: string;
  maxDepth: number;
  str: typeof decodeString;
  unknown(o: AttrValues, raw: number, bytes: Uint8Array, s: number, e: number, index: number): void;
  frameError(pos: number, len: number, raw: number, end: number): DecodeError;
  depthError(start: number): DecodeError;
  wrap(err: unknown, raw: number, pos: number): unknown;
  deferred(o: AttrValues, ctx: DecodeCtx, list: number[], depth: number): void;
  reindex(o: AttrValues, ctx: DecodeCtx, start: number, end: number): void;
  reselect(o: AttrValues, ctx: DecodeCtx, start: number, end: number, depth: number): void;
}

function scalarRead(type: string, bigEndian: boolean, at: string): string {
  // Little-endian 64-bit reads share small bigints (scalars.ts) instead of allocating one each.
  if (type === 'u64' && !bigEndian) return `u64(view, ${at})`;
  if (type === 's64' && !bigEndian) return `s64(view, ${at})`;
  const [fn, , hasEndian] = readOf(type)!;
  return hasEndian ? `view.${fn}(${at}, ${bigEndian ? 'false' : 'true'})` : `view.${fn}(${at})`;
}

/**
 * The attribute id dispatch: a balanced tree of range tests over small switches. Ignition and
 * Sparkplug run a `switch` as a chain of comparisons, one per case before the match (~35 for an
 * rt-link attribute), so until TurboFan has optimised a set's decoder (most of a first dump) a
 * flat switch costs more than the attribute's decoding; here it is a few tests. Optimised code
 * is the same either way.
 */
function dispatch(cases: [number, string][]): string {
  if (cases.length <= 6) return `switch (raw) { ${cases.map((c) => c[1]).join(' ')} default: break keep; }`;
  const mid = cases.length >> 1;
  return `if (raw < ${num(cases[mid]![0], 'an attribute id')}) { ${dispatch(cases.slice(0, mid))} } else { ${dispatch(cases.slice(mid))} }`;
}

/** Distinct selections whose decoders a set keeps by content: programs use a few; past this the oldest goes. */
export const MAX_SELECTIONS = 64;

/**
 * The decoder of a selection of a set's attributes, built once per (set, selection content).
 * Attributes outside the selection, unknown ones included, are skipped unread; a selected nest
 * decodes what its own selection names. An attribute whose value depends on another (linkinfo's
 * data on kind) brings that one along.
 *
 * A selection object seen before is found by identity (a WeakMap: no reading of the selection per
 * message, and no entry outlives its object); a new object by its canonical text, in a map of at
 * most MAX_SELECTIONS entries, so fresh literals per dump neither build decoders nor pile up.
 */
export function selectedSetDecoder(set: CompiledSet, selection: AttrSelection, maxDepth: number): SetDecoder {
  // A dump asks with one selection for every message: the last one answers without a lookup.
  if (set.lastSelection === selection) return set.lastSelected!;
  const seen = (set.selected ??= new WeakMap());
  let d = seen.get(selection);
  if (d === undefined) {
    d = selectedByContent(set, selection, maxDepth);
    seen.set(selection, d);
  }
  set.lastSelection = selection;
  set.lastSelected = d;
  return d;
}

function selectedByContent(set: CompiledSet, selection: AttrSelection, maxDepth: number): SetDecoder {
  const key = canonicalSelection(selection, maxDepth);
  const byContent = (set.selectedByContent ??= new Map());
  let d = byContent.get(key);
  if (d === undefined) {
    d = buildSetDecoder(set, maxDepth, selection);
    if (byContent.size >= MAX_SELECTIONS) byContent.delete(byContent.keys().next().value!);
    byContent.set(key, d);
  }
  return d;
}

/** A selection as text with its keys sorted at every level; a value that is not a nested selection means the whole value. */
function canonicalSelection(sel: AttrSelection, depth: number): string {
  if (depth < 0) throw new Error('a selection nested deeper than attributes can be (a cycle?)');
  const parts = Object.keys(sel)
    .sort()
    .map((k) => {
      const v = sel[k];
      return `${JSON.stringify(k)}:${isSelection(v) ? canonicalSelection(v, depth - 1) : 'true'}`;
    });
  return `{${parts.join(',')}}`;
}

function isSelection(v: unknown): v is AttrSelection {
  return typeof v === 'object' && v !== null;
}

/**
 * The decoder of a set (or of a selection of it): the source is generated by the steps below, one
 * `case` per attribute (attrCase), the loop around them (setDecoderSource), and the helpers the
 * source calls for anything unusual (setHelpers).
 */
export function buildSetDecoder(set: CompiledSet, maxDepth: number, selection?: AttrSelection): SetDecoder {
  const attrs = set.byId;
  const cases: [number, string][] = [];
  const fn: unknown[] = [];
  const wanted = wantedKeys(set, selection);
  const selectors = selectorFlags(attrs);
  attrs.forEach((a, id) => {
    if (!a) return;
    if (wanted && !wanted.has(a.key)) return;
    cases.push(...attrCases(set, a, id, selection?.[a.key], fn, selectors, maxDepth));
  });
  // The result object comes from a constructor whose body (never run with init) assigns as many
  // properties as the set has attributes: V8 sizes the object for that many in-object fields from
  // the start and trims the unused ones after a few objects, where {} has room for 4 and grows an
  // out-of-object array as attributes are added (rt-link messages have ~40). With Object.prototype
  // as its prototype the result is a plain object like {}, by every observable measure.
  const fields = Math.min((wanted ? wanted.size : attrs.filter(Boolean).length) + 1, 128);
  const src = setDecoderSource(cases, fn, fields, [...selectors.values()], wanted !== undefined);
  return new Function('H', src)(setHelpers(set, maxDepth, fn, wanted)) as SetDecoder;
}

/** The keys a selection decodes, with the selectors its sub-messages need; undefined for the whole set. */
function wantedKeys(set: CompiledSet, selection: AttrSelection | undefined): Set<string> | undefined {
  const wanted = selection && new Set(Object.keys(selection));
  if (wanted) {
    for (const key of [...wanted]) {
      const a = set.byName.get(key);
      if (!a) throw new Error(`selection names "${key}", which attribute set ${set.name} does not have`);
      if (a.selector !== undefined) wanted.add(a.selector);
    }
  }
  return wanted;
}

/** Selector attributes (linkinfo's kind), each with the name of a local that says it was read. */
function selectorFlags(attrs: readonly (CompiledAttr | undefined)[]): Map<string, string> {
  const selectors = new Map<string, string>();
  for (const a of attrs) if (a?.selector !== undefined && !selectors.has(a.selector)) selectors.set(a.selector, `sel${selectors.size}`);
  return selectors;
}

/** A case's read of an attribute's value, and the nla_len it requires ('' for any). */
type ValueSource = { value: string; sizeCheck: string };

/**
 * How a case reads attribute `a`'s value (an expression over s, e, view, bytes), and the nla_len
 * it requires ('' for any); what it calls is put in fn[id], a constant of the generated closure.
 */
function valueSource(set: CompiledSet, a: CompiledAttr, id: number, sub: unknown, fn: unknown[], maxDepth: number): ValueSource {
  const t = a.spec.type;
  const scalar = readOf(t);
  if (scalar && a.spec.display === undefined && (!a.spec.enum || a.present)) {
    // A scalar: read inline; an enum or flags name comes from the compiled view.
    const read = scalarRead(t, a.spec.byteOrder === 'big-endian', 's');
    if (a.spec.enum) fn[id] = a.present;
    return { value: a.spec.enum ? `f${id}(${read})` : read, sizeCheck: num(NLA_HDRLEN + scalar[1], 'a scalar size') };
  }
  if ((t === 'u32' || t === 's32') && a.spec.display === 'ipaddr' && !a.spec.enum) {
    return { value: 'ip4(bytes, s)', sizeCheck: num(NLA_HDRLEN + 4, 'an address size') };
  }
  if (t === 'string') return { value: 'str(bytes, s, e)', sizeCheck: '' };
  if (t === 'flag') return { value: 'true', sizeCheck: '' };
  if (a.readArray) {
    fn[id] = a.readArray;
    return { value: `f${id}(view, s, e)`, sizeCheck: '' };
  }
  if (a.showBytes) {
    fn[id] = a.showBytes;
    return { value: `f${id}(bytes, s, e)`, sizeCheck: '' };
  }
  if (t === 'nest' && !a.header && a.nestedSet) {
    fn[id] = isSelection(sub) ? { decode: selectedSetDecoder(a.nestedSet, sub, maxDepth) } : a.nestedSet;
    return { value: `f${id}.decode(ctx, s, e, depth + 1)`, sizeCheck: '' };
  }
  if (t === 'struct' && a.struct) {
    fn[id] = a.struct;
    return { value: `f${id}.decode(ctx, s, e)`, sizeCheck: '' };
  }
  fn[id] = a;
  const sizeCheck = a.fixedSize !== undefined ? num(NLA_HDRLEN + a.fixedSize, `the size of ${set.name}.${String(a.key)}`) : '';
  return { value: `f${id}.decode(ctx, s, e, depth, o)`, sizeCheck };
}

/**
 * The `case` of attribute `a` (id `id`) in the dispatch, keyed by its nla_type with the spec's flag
 * bits; two when userspace and the kernel write the flags differently (nestedFlag: 'user').
 */
function attrCases(
  set: CompiledSet,
  a: CompiledAttr,
  id: number,
  sub: unknown,
  fn: unknown[],
  selectors: Map<string, string>,
  maxDepth: number,
): [number, string][] {
  const raw = id | a.nlaFlags;
  const key = quote(a.key, `an attribute name of ${set.name}`);
  const { value, sizeCheck } = valueSource(set, a, id, sub, fn, maxDepth);
  let body: string;
  if (a.multi) body = `{ const v = ${value}; const l = o[${key}]; if (l === undefined) o[${key}] = [v]; else l.push(v); }`;
  else if (a.selector !== undefined) {
    body = `if (o[${quote(a.selector, `the selector of ${set.name}.${String(a.key)}`)}] === undefined) { (deferred ??= []).push(s - 4); o[${key}] = undefined; } else o[${key}] = ${value};`;
  } else body = `o[${key}] = ${value};`;
  // A selector seen again may choose another set for what was decoded by the first (see reselect).
  const flag = selectors.get(a.key);
  if (flag !== undefined) body = `if (${flag}) again = true; ${flag} = true; ${body}`;
  // A payload of another size is kept raw, as unknown (see below).
  if (sizeCheck) body = `if (len !== ${sizeCheck}) break keep; ${body}`;
  const out: [number, string][] = [[raw, `case ${num(raw, 'an attribute id')}: ${body} break;`]];
  const kernel = id | a.kernelNlaFlags;
  if (kernel !== raw) out.push([kernel, `case ${num(kernel, 'an attribute id')}: ${body} break;`]);
  return out;
}

/**
 * The source of a set decoder: walk.ts's attribute walk inlined (the same checks; a malformed
 * length throws attrFrameError's DecodeError through H.frameError), the dispatch over `cases`,
 * and the rare paths through the helpers. `fields` sizes the result object; `selectors` are the
 * locals of selectorFlags; a `selective` decoder skips what it does not know instead of keeping it.
 */
function setDecoderSource(cases: [number, string][], fn: unknown[], fields: number, selectors: string[], selective: boolean): string {
  // Helpers and per-attribute functions are constants of the closure (f<id>), not loads from H:
  // less bytecode per case, so the decoder is smaller to interpret and is optimised sooner
  // (V8 asks a function for more ticks before optimising it the longer its bytecode is).
  const consts = fn.flatMap((f, id) => (f === undefined ? [] : [`f${id} = H.fn[${id}]`]));
  const init = Array.from({ length: fields }, (_, i) => `this.p${i} = 0;`).join(' ');
  return `
const str = H.str, ip4 = H.ip4, u64 = H.u64, s64 = H.s64, unknown = H.unknown${consts.length ? ', ' + consts.join(', ') : ''};
function Attrs(init) { if (init) { ${init} } }
Attrs.prototype = Object.prototype;
return function decode_set(ctx, start, end, depth) {
  if (depth > H.maxDepth) throw H.depthError(start);
  const view = ctx.view, bytes = ctx.bytes;
  const o = new Attrs();
  let pos = start, index = 0, deferred, kept = false, again = false${selectors.map((v) => `, ${v} = false`).join('')};
  while (pos < end) {
    if (end - pos < 4) throw H.frameError(pos, 0, -1, end);
    const len = view.getUint16(pos, true);
    const raw = view.getUint16(pos + 2, true);
    if (len < 4 || pos + len > end) throw H.frameError(pos, len, raw, end);
    const s = pos + 4, e = pos + len;
    pos += (len + 3) & ~3;
    keep: {
      try {
        ${dispatch(cases.sort((x, y) => x[0] - y[0]))}
      } catch (err) {
        throw H.wrap(err, raw, s - 4);
      }
      index++;
      continue;
    }
    ${
      selective
        ? '// Not selected (or not as the spec has it): skipped.'
        : `// Not in the spec, flag bits the spec would not write, or a scalar of another size: kept raw.
    unknown(o, raw, bytes, s, e, index);
    kept = true;`
    }
    index++;
  }
  if (kept) H.reindex(o, ctx, start, end);
  if (again) H.reselect(o, ctx, start, end, depth);
  else if (deferred !== undefined) H.deferred(o, ctx, deferred, depth);
  return o;
};`;
}

/** What a set decoder's source calls: value readers, and the rare paths (errors, unknown, deferred, reselected). */
function setHelpers(set: CompiledSet, maxDepth: number, fn: unknown[], wanted: Set<string> | undefined): Helpers {
  const attrs = set.byId;
  const H: Helpers = {
    attrs,
    fn,
    u64: readU64LE,
    s64: readS64LE,
    ip4: formatIPv4,
    setName: set.name,
    maxDepth,
    str: decodeString,
    unknown(o, raw, bytes, s, e, index) {
      (o.unknown ??= []).push({ type: raw, data: bytes.slice(s, e), index });
    },
    frameError(pos, len, raw, end) {
      return attrFrameError(pos, len, raw, end, set);
    },
    depthError(start) {
      return new DecodeError(`attributes nested deeper than ${maxDepth} levels`, start);
    },
    wrap(err, raw, pos) {
      const name = attrs[raw & 0x3fff]?.key ?? `type ${raw & 0x3fff}`;
      if (err instanceof DecodeError) return err.withOuter(name);
      return new DecodeError(`cannot decode: ${(err as Error)?.message ?? String(err)}`, pos, [name], { cause: err });
    },
    reindex(o, ctx, start, end) {
      reindexUnknown(set, o, ctx, start, end);
    },
    reselect(o, ctx, start, end, depth) {
      redecodeSelected(set, o, ctx, start, end, depth, wanted);
    },
    deferred(o, ctx, list, depth) {
      for (const at of list) {
        const len = ctx.view.getUint16(at, true);
        const raw = ctx.view.getUint16(at + 2, true);
        const a = attrs[raw & 0x3fff]!;
        try {
          o[a.key] = a.decode(ctx, at + NLA_HDRLEN, at + len, depth, o);
        } catch (err) {
          throw H.wrap(err, raw, at);
        }
      }
    },
  };
  return H;
}

/**
 * A struct decoder: one object literal when the payload has exactly the struct's size (the usual
 * case). A shorter or longer payload gets a decoder of its own length, generated on first sight
 * (a kernel sends one size per struct: IFLA_STATS is shorter than the spec's struct, a newer
 * kernel's rtnl_link_stats64 longer), with the members that fit and, when longer, `_tail`; after
 * a few lengths, or with a variable-length last member, `generic` does it.
 */
export function buildStructDecoder(st: CompiledStruct, generic: StructDecoder): StructDecoder {
  if (st.members.some((m) => m.rest)) return generic;
  const H = { u64: readU64LE, s64: readS64LE, M: st.members, ofLength: generic };
  const other = new Map<number, StructDecoder>();
  H.ofLength = (ctx, start, end) => {
    const avail = end - start;
    let d = other.get(avail);
    if (d === undefined) {
      if (other.size >= 4) return generic(ctx, start, end);
      d = new Function('H', `const u64 = H.u64, s64 = H.s64;\nreturn ${structSource(st, avail, `decode_struct_${num(avail, 'a length')}`)}`)(
        H,
      ) as StructDecoder;
      other.set(avail, d);
    }
    return d(ctx, start, end);
  };
  const size = num(st.size, `the size of struct ${st.name}`);
  return new Function(
    'H',
    `const u64 = H.u64, s64 = H.s64;\nreturn ${structSource(st, st.size, 'decode_struct', `if (end - start !== ${size}) return H.ofLength(ctx, start, end);`)}`,
  )(H) as StructDecoder;
}

/** Source of a decoder for payloads of `avail` bytes: the members that fit, plus `_tail` past the struct's size (decodeStructGeneric's rules). */
function structSource(st: CompiledStruct, avail: number, name: string, guard = ''): string {
  const fields: string[] = [];
  st.members.forEach((m, i) => {
    const offset = num(m.offset, `the offset of ${st.name}.${String(m.spec.name)}`);
    num(m.size, `the size of ${st.name}.${String(m.spec.name)}`);
    if (m.offset + m.size > avail || m.spec.type === 'pad') return;
    const at = `start + ${offset}`;
    const plain = readOf(m.spec.type) && !m.spec.enum && m.spec.display === undefined;
    const value = plain ? scalarRead(m.spec.type, m.spec.byteOrder === 'big-endian', at) : `H.M[${i}].read(view, bytes, ${at}, end)`;
    fields.push(`${quote(m.spec.name, `a member name of ${st.name}`)}: ${value}`);
  });
  if (avail > st.size) fields.push(`_tail: bytes.slice(start + ${num(st.size, `the size of struct ${st.name}`)}, end)`);
  return `function ${name}(ctx, start, end) {
  ${guard}
  const view = ctx.view, bytes = ctx.bytes;
  return { ${fields.join(', ')} };
}`;
}
