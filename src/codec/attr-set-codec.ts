/** Attribute sets: the reference (interpreted) decoder and the encoder. */
import type { ByteWriter } from './byte-writer.js';
import { DecodeError, EncodeError } from './errors.js';
import { describe } from './scalars.js';
import { type AttrValues, type CompiledAttr, type CompiledSet, type DecodeCtx, MAX_NEST_DEPTH, type UnknownAttr } from './types.js';
import { NLA_HDRLEN, walkAttrs } from './walk.js';

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
  const byId = set.byId;
  let deferred: [CompiledAttr, number][] | undefined;
  let again = false;
  const selectors = selectorsOf(set);
  for (let w = walkAttrs(ctx.view, start, end, set), index = 0; w.next(); index++) {
    const rawType = w.type;
    const a = byId[rawType & 0x3fff];
    if (a === undefined || !flagsFit(a, rawType) || (a.fixedSize !== undefined && w.len - NLA_HDRLEN !== a.fixedSize)) {
      // Unknown, or known but carrying flag bits the spec would not write: keep it raw for exactness.
      (out.unknown ??= []).push({ type: rawType, data: ctx.bytes.slice(w.start, w.end), index });
      continue;
    }
    // A selector seen again may choose another set for what the first chose (see redecodeSelected).
    if (selectors.has(a.key) && out[a.key] !== undefined) again = true;
    if (a.selector !== undefined && out[a.selector] === undefined) {
      // The kernel may put the selector after the data (RTA_ENCAP before RTA_ENCAP_TYPE).
      (deferred ??= []).push([a, w.at]);
      out[a.key] = undefined; // keeps the key's place in wire order
      continue;
    }
    let v: unknown;
    try {
      v = a.decode(ctx, w.start, w.end, depth, out);
    } catch (err) {
      if (err instanceof DecodeError) throw err.withOuter(a.key);
      throw new DecodeError(`cannot decode: ${(err as Error)?.message ?? String(err)}`, w.at, [a.key], { cause: err });
    }
    if (a.multi) {
      const list = out[a.key] as unknown[] | undefined;
      if (list) list.push(v);
      else out[a.key] = [v];
    } else {
      out[a.key] = v;
    }
  }
  if (out.unknown !== undefined) reindexUnknown(set, out, ctx, start, end);
  if (again) redecodeSelected(set, out, ctx, start, end, depth);
  else if (deferred) {
    for (const [a, at] of deferred) {
      const len = ctx.view.getUint16(at, true);
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

/** The flag bits of nla_type are as one side writes the attribute (see AttrSpec.nestedFlag). */
function flagsFit(a: CompiledAttr, rawType: number): boolean {
  const f = rawType & 0xc000;
  return f === a.nlaFlags || f === a.kernelNlaFlags;
}

function selectorsOf(set: CompiledSet): Set<string> {
  const out = new Set<string>();
  for (const a of set.byId) if (a?.selector !== undefined) out.add(a.selector);
  return out;
}

/**
 * After a selector came more than once: decodes every attribute chosen by a selector again, by
 * the selector's last value, as the kernel reads it (the last of each attribute), so what the
 * first value chose is not kept under the second (it could not be encoded by it). Rare: the
 * kernel sends a selector once.
 */
export function redecodeSelected(
  set: CompiledSet,
  out: AttrValues,
  ctx: DecodeCtx,
  start: number,
  end: number,
  depth: number,
  wanted?: Set<string>,
): void {
  for (const w = walkAttrs(ctx.view, start, end, set); w.next(); ) {
    const raw = w.type;
    const a = set.byId[raw & 0x3fff];
    if (a !== undefined && a.selector !== undefined && !a.multi && flagsFit(a, raw) && (wanted === undefined || wanted.has(a.key))) {
      try {
        out[a.key] = a.decode(ctx, w.start, w.end, depth, out);
      } catch (err) {
        if (err instanceof DecodeError) throw err.withOuter(a.key);
        throw new DecodeError(`cannot decode: ${(err as Error)?.message ?? String(err)}`, w.at, [a.key], { cause: err });
      }
    }
  }
}

/**
 * Sets each kept unknown attribute's index to its place among the attributes encodeAttrs will
 * write back. A single-valued attribute that repeats decodes to its last value, as the kernel
 * reads it, and is written back once, at its first place: later places count once fewer, or a
 * re-encoded message would put its unknown attributes elsewhere. Only sets that kept something
 * raw come here: walking the attributes again is off the common path.
 */
export function reindexUnknown(set: CompiledSet, out: AttrValues, ctx: DecodeCtx, start: number, end: number): void {
  const list = out.unknown!;
  let u = 0;
  let repeats = 0;
  let seen: Set<number> | undefined;
  for (let w = walkAttrs(ctx.view, start, end, set), i = 0; u < list.length && w.next(); i++) {
    if (list[u]!.index === i) list[u++]!.index = i - repeats;
    else {
      const a = set.byId[w.id];
      if (a !== undefined && !a.multi) {
        if ((seen ??= new Set()).has(a.id)) repeats++;
        else seen.add(a.id);
      }
    }
  }
}

/** Encodes `values`, attributes of `set`, at the writer's position: by the set's encoder (fast-encode.ts). */
export function encodeAttrs(w: ByteWriter, set: CompiledSet, values: Record<string, unknown>, depth = 0): void {
  set.encode(w, values, depth);
}

/** The reference attribute encoder: what the generated encoders (fast-encode.ts) must match, and use before they are built. */
export function encodeAttrsInterpreted(w: ByteWriter, set: CompiledSet, values: Record<string, unknown>, depth = 0): void {
  if (depth > MAX_NEST_DEPTH) throw new EncodeError(`attributes nested deeper than ${MAX_NEST_DEPTH} levels`);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new EncodeError(`expected an object of ${set.name} attributes, got ${describe(values)}`);
  }
  // Kept unknown attributes go back at their decoded positions (decode -> encode is byte-exact).
  // No closures or per-attribute arrays here: small requests are mostly this loop.
  const unknown = values.unknown as UnknownAttr[] | undefined;
  let u = 0;
  let index = 0;
  for (const key in values) {
    if (key === 'unknown') continue;
    const v = values[key];
    if (v === undefined) continue;
    const a = set.byName.get(key);
    if (!a) throw new EncodeError(`"${key}" is not an attribute of ${set.name} (known: ${[...set.byName.keys()].join(', ')})`);
    if (a.spec.type === 'flag' && v === false) continue;
    const many = a.multi && Array.isArray(v);
    const n = many ? (v as unknown[]).length : 1;
    for (let i = 0; i < n; i++) {
      if (unknown !== undefined) {
        while (u < unknown.length && unknown[u]!.index <= index) {
          w.attr(unknown[u]!.type, unknown[u]!.data);
          u++;
          index++;
        }
      }
      encodeOne(w, a, key, many ? (v as unknown[])[i] : v, values, depth);
      index++;
    }
  }
  if (unknown !== undefined) for (; u < unknown.length; u++) w.attr(unknown[u]!.type, unknown[u]!.data);
}

function encodeOne(w: ByteWriter, a: CompiledAttr, key: string, v: unknown, values: Record<string, unknown>, depth: number): void {
  const start = w.beginAttr(a.id | (w.asKernel ? a.kernelNlaFlags : a.nlaFlags));
  try {
    a.encode(w, v, values, depth);
  } catch (err) {
    if (err instanceof EncodeError) throw err.withOuter(key);
    throw err;
  }
  w.endAttr(start);
}
