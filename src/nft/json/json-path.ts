/**
 * Where in a JSON document a value is (`nftables[3].add.rule.expr[1].match.right`), and the
 * InvalidArgumentError that names it. Paths are built only on the way to a value that is checked,
 * so a valid document costs a few small objects per statement.
 */
import { InvalidArgumentError, describeValue } from '../../errors/index.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Steps of the keys seen so far: the same few dozen property names come back in every rule. */
const STEPS = new Map<string, string>();

export class JsonPath {
  private constructor(
    private readonly parent: JsonPath | undefined,
    private readonly step: string,
  ) {}

  static root(name = 'nftables'): JsonPath {
    return new JsonPath(undefined, name);
  }

  /** An object's property: `.chain`, or `["ct helper"]` when the key is not a plain word. */
  key(k: string): JsonPath {
    let step = STEPS.get(k);
    if (step === undefined) {
      step = IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
      if (STEPS.size < 1024) STEPS.set(k, step);
    }
    return new JsonPath(this, step);
  }

  /** An array item: `[3]`. */
  at(i: number): JsonPath {
    return new JsonPath(this, `[${i}]`);
  }

  toString(): string {
    let s = this.step;
    for (let p = this.parent; p !== undefined; p = p.parent) s = p.step + s;
    return s;
  }
}

/** A value as an error shows it: JSON for objects and lists (cut short), else describeValue's text. */
function show(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    try {
      const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
      if (text !== undefined) return text.length > 120 ? `${text.slice(0, 120)}...` : text;
    } catch {
      // a cycle or a throwing getter: the plain description below
    }
  }
  return describeValue(value);
}

/** Refuses `value` at `path`: "<path>: <value> <reason>" ("nftables[0].add.table.family: "ipx" is not a family..."). */
export function fail(path: JsonPath, value: unknown, reason: string): never {
  const where = path.toString();
  const err = new InvalidArgumentError(where, value, reason);
  err.message = `${where}: ${show(value)} ${reason}`;
  throw err;
}

/** Refuses what is at `path` with a sentence of its own ("<path>: <message>"): missing keys, conflicts. */
export function failAt(path: JsonPath, message: string, value?: unknown): never {
  const where = path.toString();
  const err = new InvalidArgumentError(where, value, message);
  err.message = `${where}: ${message}`;
  throw err;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The one key of a `{ kind: body }` object (statements, expressions, commands). */
export function singleKey(v: unknown, path: JsonPath, what: string): [string, unknown] {
  if (!isObject(v)) return fail(path, v, `is not ${what} (an object with one key, like ${example(what)})`);
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    return failAt(
      path,
      keys.length === 0 ? `an empty object is not ${what}` : `${what} has exactly one key, this has ${keys.length}: ${keys.join(', ')}`,
    );
  }
  return [keys[0]!, v[keys[0]!]];
}

function example(what: string): string {
  if (what.includes('statement')) return '{ "accept": null }';
  if (what.includes('command')) return '{ "add": { "table": {...} } }';
  return '{ "payload": {...} }';
}

/** A required string property. */
export function reqString(obj: JsonObject, key: string, path: JsonPath, what: string): string {
  const v = obj[key];
  if (v === undefined) return failAt(path, `"${key}" is missing (${what})`);
  if (typeof v !== 'string' || v.length === 0) return fail(path.key(key), v, `must be a non-empty string (${what})`);
  return v;
}

export function optString(obj: JsonObject, key: string, path: JsonPath): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return fail(path.key(key), v, 'must be a string');
  return v;
}

/** An optional non-negative integer (handles, sizes, counters). */
export function optUint(obj: JsonObject, key: string, path: JsonPath, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(path.key(key), v, 'must be a non-negative integer');
  if (v > max) return fail(path.key(key), v, `must be at most ${max}`);
  return v;
}

export function optInt(obj: JsonObject, key: string, path: JsonPath, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) return fail(path.key(key), v, 'must be an integer');
  if (v < min || v > max) return fail(path.key(key), v, `must be between ${min} and ${max}`);
  return v;
}

export function optBool(obj: JsonObject, key: string, path: JsonPath): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') return fail(path.key(key), v, 'must be true or false');
  return v;
}

/** Refuses keys the object kind does not have (a typo would otherwise be silently ignored). */
export function onlyKeys(obj: JsonObject, keys: readonly string[], path: JsonPath, what: string): void {
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) failAt(path.key(k), `${what} has no property "${k}" (it has: ${keys.join(', ')})`);
  }
}

/** A name from a fixed list, refused with the list. */
export function oneOf<T extends string>(v: unknown, names: readonly T[], path: JsonPath, what: string): T {
  if (typeof v === 'string' && (names as readonly string[]).includes(v)) return v as T;
  return fail(path, v, `is not ${what} (one of: ${names.join(', ')})`);
}

/** A flag or list of flags, each from a fixed table, OR'd. */
export function flagBits(v: unknown, table: Readonly<Record<string, number>>, path: JsonPath, what: string): number {
  const list = Array.isArray(v) ? v : [v];
  let n = 0;
  list.forEach((f, i) => {
    const p = Array.isArray(v) ? path.at(i) : path;
    if (typeof f !== 'string' || !Object.hasOwn(table, f)) fail(p, f, `is not ${what} (one of: ${Object.keys(table).join(', ')})`);
    n |= table[f]!;
  });
  return n >>> 0;
}
