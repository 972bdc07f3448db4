/**
 * Specialised encoders, generated per attribute set once the set has encoded ENCODE_TIER_UP times
 * (a set used for a request or two keeps the interpreter: generating costs more than it saves).
 *
 * The interpreter (encodeAttrsInterpreted) looks every key up in a Map, checks the attribute's kind
 * and calls its encode closure through one generic call site, all per attribute: a 10,000-rule
 * nftables transaction is ~650,000 attributes, and that was most of its encoding. Here each
 * attribute name is a `case` with its id and flag bits as constants, strings are written inline,
 * and each attribute's closure is called from a call site of its own, which V8 can inline.
 * Semantics are the interpreter's, errors included (a test encodes the same values both ways):
 * anything unusual (kept unknown attributes, a value that is not an object, depth) goes to it.
 *
 * The generated source holds only numbers and JSON-quoted spec names (num, quote).
 */
import { encodeAttrsInterpreted } from './attr-set-codec.js';
import type { ByteWriter } from './byte-writer.js';
import { EncodeError, SpecError } from './errors.js';
import { describe } from './scalars.js';
import { type CompiledAttr, type CompiledSet, MAX_NEST_DEPTH, type SetEncoder } from './types.js';

/** Encodes of a set through the interpreter before its encoder is generated. */
export const ENCODE_TIER_UP = 64;

/** An integer, as source text. */
function num(n: unknown, what: string): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new SpecError(`${what} is ${describe(n)}, not an integer: no encoder generated`, ['?']);
  return String(n);
}

/** A string constant, JSON-quoted. */
function quote(name: unknown, what: string): string {
  if (typeof name !== 'string') throw new SpecError(`${what} is ${describe(name)}: no encoder generated`, ['?']);
  return JSON.stringify(name);
}

/** The encoder a compiled set starts with: the interpreter, replaced by the generated one after ENCODE_TIER_UP encodes. */
export function tieredSetEncoder(set: CompiledSet): SetEncoder {
  let calls = 0;
  return (w, values, depth) => {
    if (++calls >= ENCODE_TIER_UP) set.encode = buildSetEncoder(set);
    encodeAttrsInterpreted(w, set, values, depth);
  };
}

interface Helpers {
  fn: (CompiledAttr | undefined)[];
  maxDepth: number;
  interpreted(w: ByteWriter, values: Record<string, unknown>, depth: number): void;
  wrap(err: unknown, key: string): unknown;
  notString(v: unknown): EncodeError;
  notAttribute(key: string): EncodeError;
}

/** The encoder of a set: one `case` per attribute name (attrCase) in the loop of setEncoderSource. */
export function buildSetEncoder(set: CompiledSet): SetEncoder {
  const fn: (CompiledAttr | undefined)[] = [];
  const cases: string[] = [];
  set.byId.forEach((a, id) => {
    // 'unknown' is where decoded values keep what the spec does not name: never an attribute's key.
    if (!a || a.key === 'unknown') return;
    fn[id] = a;
    cases.push(attrCase(set, a, id));
  });
  const H: Helpers = {
    fn,
    maxDepth: MAX_NEST_DEPTH,
    interpreted: (w, values, depth) => encodeAttrsInterpreted(w, set, values, depth),
    wrap: (err, key) => (err instanceof EncodeError ? err.withOuter(key) : err),
    notString: (v) => new EncodeError(`expected a string, got ${describe(v)}`),
    notAttribute: (key) => new EncodeError(`"${key}" is not an attribute of ${set.name} (known: ${[...set.byName.keys()].join(', ')})`),
  };
  return (new Function('H', setEncoderSource(cases, fn)) as (h: Helpers) => SetEncoder)(H);
}

/** One value of attribute `a` written whole (header, payload, length), errors named by the attribute as encodeOne does. */
function oneValue(a: CompiledAttr, id: number, value: string): string {
  const user = id | a.nlaFlags;
  const kernel = id | a.kernelNlaFlags;
  const type =
    user === kernel ? num(user, 'an attribute type') : `w.asKernel ? ${num(kernel, 'an attribute type')} : ${num(user, 'an attribute type')}`;
  const body =
    a.spec.type === 'string'
      ? `if (typeof ${value} !== "string") throw H.notString(${value}); w.cstring(${value});`
      : `f${id}.encode(w, ${value}, values, depth);`;
  return `{ const st = w.beginAttr(${type}); try { ${body} } catch (err) { throw H.wrap(err, key); } w.endAttr(st); }`;
}

/** The case of attribute `a`: a flag left out when false, a multi attribute once per item of an array. */
function attrCase(set: CompiledSet, a: CompiledAttr, id: number): string {
  const key = quote(a.key, `an attribute name of ${set.name}`);
  let body = oneValue(a, id, 'v');
  if (a.multi) body = `if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) { const x = v[i]; ${oneValue(a, id, 'x')} } } else ${body}`;
  if (a.spec.type === 'flag') body = `if (v === false) continue; ${body}`;
  return `case ${key}: ${body} continue;`;
}

function setEncoderSource(cases: string[], fn: (CompiledAttr | undefined)[]): string {
  const consts = fn.flatMap((f, id) => (f === undefined ? [] : [`f${id} = H.fn[${id}]`]));
  return `
${consts.length ? `const ${consts.join(', ')};` : ''}
return function encode_set(w, values, depth) {
  // What the interpreter alone handles: its errors for these, and unknown attributes put back in place.
  if (depth > H.maxDepth || typeof values !== "object" || values === null || Array.isArray(values) || values.unknown !== undefined) {
    return H.interpreted(w, values, depth);
  }
  for (const key in values) {
    const v = values[key];
    if (v === undefined) continue;
    switch (key) {
      ${cases.join('\n      ')}
    }
    throw H.notAttribute(key);
  }
};`;
}
