/**
 * nftables in topology files, the light part (no JSON linearizer or listing code: nft-declared.ts
 * has those, loaded only when a file has nftables): a namespace's `nftables` entry defines whole
 * tables, every table it adds; the tables of a listing, one by one; and the normal form "in force"
 * compares, where what the kernel counts or numbers by itself (handles, counters, quota usage,
 * element expiry, anonymous set names) does not count.
 */
import { parseDocument } from '../nft/json/validate.js';
import { isInvalidArgumentError } from '../errors/index.js';
import { topologyFileError } from './errors.js';

/** The listing's objects of one table, as `nl.nftables.list()` prints them (`{ table: {...} }`, `{ chain: {...} }`...). */
export type TableItems = Record<string, unknown>[];

/** A table a namespace's entry defines: its commands (entry order) and where it is added. */
export interface EntryTable {
  family: string;
  name: string;
  /** 'FAMILY NAME', as a change names it: 'ip nat'. */
  key: string;
  /** The entry's command that adds the table: namespaces.host.nftables[0]. */
  path: string;
  commands: unknown[];
  /** Where each command is in the entry (its index in the namespace's `nftables` list). */
  at: number[];
}

/** A table an entry declares, with the listing the kernel would print for it once applied (nft-declared.ts). */
export interface DeclaredTable extends EntryTable {
  /** Its objects as `nl.nftables.list()` would list them (no metainfo). */
  listing: TableItems;
}

/** Commands an entry may hold: it declares tables, it does not edit what is there (delete, flush, replace). */
const DECLARING = new Set(['add', 'create', 'insert']);

export function tableKey(family: string, name: string): string {
  return `${family} ${name}`;
}

/** A JSON-path error of the nft validator (`nftables[3].add.rule`) as the entry's (`namespaces.host.nftables[3].add.rule`). */
export function entryError(err: unknown, entryPath: string): unknown {
  if (!isInvalidArgumentError(err) || !err.argument.startsWith('nftables')) return err;
  const at = `${entryPath}${err.argument.slice('nftables'.length)}`;
  const colon = err.message.indexOf(': ');
  return topologyFileError(at, err.value, colon >= 0 ? err.message.slice(colon + 2) : err.message);
}

/**
 * The tables an entry defines (every table it adds), each with its commands. Checks the commands'
 * shape (the nft validator's) and that each acts on a table the entry adds with add, create or
 * insert; anything else is an InvalidArgumentError naming the command (namespaces.host.nftables[2]).
 */
export function entryTables(commands: readonly unknown[], entryPath: string): EntryTable[] {
  let parsed: ReturnType<typeof parseDocument>;
  try {
    parsed = parseDocument({ nftables: commands });
  } catch (err) {
    throw entryError(err, entryPath);
  }
  const tables = new Map<string, EntryTable>();
  for (const c of parsed) {
    if (c.kind !== 'table' || (c.command !== 'add' && c.command !== 'create')) continue;
    const key = tableKey(c.family, c.body.name as string);
    if (!tables.has(key))
      tables.set(key, { family: c.family, name: c.body.name as string, key, path: `${entryPath}[${c.index}]`, commands: [], at: [] });
  }
  for (const c of parsed) {
    const at = `${entryPath}[${c.index}]`;
    if (!DECLARING.has(c.command)) {
      throw topologyFileError(
        at,
        commands[c.index],
        `an nftables entry declares whole tables: "${c.command}" is not taken (add, create and insert are)`,
      );
    }
    const name = (c.kind === 'table' ? c.body.name : c.body.table) as string;
    const t = tables.get(tableKey(c.family, name));
    if (!t) {
      throw topologyFileError(
        at,
        commands[c.index],
        `table ${tableKey(c.family, name)} is not one this entry adds: an entry's commands define whole tables ` +
          `(add { table: { family: ${c.family}, name: ${name} } } in it)`,
      );
    }
    t.commands.push(commands[c.index]);
    t.at.push(c.index);
  }
  return [...tables.values()];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The objects of a listing (`{ nftables: [metainfo, ...] }` or its list) by table ('ip nat'), in listing order. */
export function splitListing(listing: unknown): Map<string, TableItems> {
  const items = isObject(listing) && Array.isArray(listing.nftables) ? listing.nftables : Array.isArray(listing) ? listing : [];
  const out = new Map<string, TableItems>();
  for (const item of items) {
    if (!isObject(item)) continue;
    const [kind, body] = Object.entries(item)[0] ?? [];
    if (kind === undefined || kind === 'metainfo' || !isObject(body)) continue;
    const name = kind === 'table' ? body.name : body.table;
    if (typeof body.family !== 'string' || typeof name !== 'string') continue;
    const key = tableKey(body.family, name);
    const list = out.get(key) ?? [];
    out.set(key, list);
    list.push(item);
  }
  return out;
}

/** Anonymous sets as the kernel numbers them (`__set0`, `@__map3`): numbered again by first appearance. */
const ANONYMOUS = /^(@?)__(set|map)\d+$/;

/** Sets the packet path fills (a rule's `set` statement adds to or updates them): their elements are state, not configuration. */
function dynamicSets(items: TableItems): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    const stmt = v.set;
    if (isObject(stmt) && typeof stmt.op === 'string' && typeof stmt.set === 'string') out.add(stmt.set.replace(/^@/, ''));
    for (const x of Object.values(v)) walk(x);
  };
  for (const item of items) if ('rule' in item) walk(item.rule);
  return out;
}

/**
 * A table's listing with what the kernel keeps by itself taken out: handles dropped, counters and
 * quota usage at zero, element expiry dropped (an element left with its value only is that value),
 * the elements of sets rules fill (dynamicSets) dropped, anonymous set names numbered in order of
 * appearance, keys sorted. Two listings of one configuration normalise to the same JSON text.
 */
export function normaliseTable(items: TableItems): string {
  const anonymous = new Map<string, string>();
  const dynamic = dynamicSets(items);
  const walk = (v: unknown, key: string | undefined, depth: number): unknown => {
    if (typeof v === 'string') {
      const m = ANONYMOUS.exec(v);
      if (!m) return v;
      const name = v.slice(m[1]!.length);
      let n = anonymous.get(name);
      if (n === undefined) anonymous.set(name, (n = `__${m[2]}#${anonymous.size}`));
      return `${m[1]}${n}`;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined, depth + 1));
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    // Keys in one order: a listing written by hand compares as the kernel's would.
    for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (depth === 1 && k === 'handle') continue; // an object's own handle (items are depth 0, their bodies 1)
      if (depth === 1 && k === 'elem' && (key === 'set' || key === 'map') && dynamic.has(v.name as string)) continue;
      if (k === 'expires') continue;
      if (key === 'counter' && (k === 'packets' || k === 'bytes')) out[k] = 0;
      else if (key === 'quota' && (k === 'used' || k === 'used_unit')) continue;
      else out[k] = walk(x, k, depth + 1);
    }
    // An element listed with its expiry only ({ elem: { val, expires } }) is the bare value once that is dropped.
    const inner = out.elem;
    if (Object.keys(out).length === 1 && isObject(inner) && Object.keys(inner).length === 1 && 'val' in inner) return inner.val;
    return out;
  };
  return JSON.stringify(items.map((i) => walk(i, undefined, 0)));
}
