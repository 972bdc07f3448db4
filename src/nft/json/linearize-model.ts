/**
 * What exists while a document is linearized: the caller's current ruleset (a listing, as to-json
 * gives it) plus what the document adds and deletes, command by command. Rules refer to chains and
 * sets through it, elements take their set's key type from it, and `index` positions become handles.
 */
import type { NftFamily } from './types.js';
import { isObject } from './json-path.js';
import { JsonPath } from './json-path.js';
import { type DataKind, type SetKey, keyOfTypes } from './linearize-sets.js';

export interface SetModel {
  name: string;
  /** Undefined when the listing's type could not be read (typeof sets): elements cannot be encoded then. */
  key?: SetKey;
  data?: DataKind;
  flags: number;
  /** The set's id in the transaction (nft gives every set of its cache one; the kernel finds new sets by it). */
  id?: number;
  hasElements: boolean;
  map: boolean;
  autoMerge: boolean;
}

export interface ChainModel {
  name: string;
  /** Rule handles in order (from the listing; rules the document adds have none yet). */
  rules: (number | undefined)[];
}

export interface TableModel {
  family: NftFamily;
  name: string;
  chains: Map<string, ChainModel>;
  sets: Map<string, SetModel>;
  objects: Set<string>;
  flowtables: Set<string>;
}

export const SET_FLAG_BITS: Readonly<Record<string, number>> = { constant: 0x2, interval: 0x4, timeout: 0x10, dynamic: 0x20, eval: 0x20 };
export const SET_FLAG = { anonymous: 0x1, constant: 0x2, interval: 0x4, map: 0x8, timeout: 0x10, concat: 0x80 } as const;

const tableKey = (family: string, name: string) => `${family}\0${name}`;

export class RulesetModel {
  private readonly tables = new Map<string, TableModel>();
  /** Sets of the listing: nft numbers the sets of its cache 1, 2... and the new ones after them. */
  setCount = 0;

  table(family: string, name: string): TableModel | undefined {
    return this.tables.get(tableKey(family, name));
  }

  addTable(family: NftFamily, name: string): TableModel {
    let t = this.table(family, name);
    if (!t) {
      t = { family, name, chains: new Map(), sets: new Map(), objects: new Set(), flowtables: new Set() };
      this.tables.set(tableKey(family, name), t);
    }
    return t;
  }

  deleteTable(family: string, name: string): void {
    this.tables.delete(tableKey(family, name));
  }

  /** Everything of one family (or all), as `flush ruleset` empties it. */
  clear(family?: string): void {
    for (const [k, t] of this.tables) if (family === undefined || family === 'unspec' || t.family === family) this.tables.delete(k);
  }

  /** A listing (`{ nftables: [...] }` or its list) -> the model. Unknown or partial objects are skipped. */
  static fromRuleset(ruleset: unknown): RulesetModel {
    const m = new RulesetModel();
    const list = isObject(ruleset) && Array.isArray(ruleset.nftables) ? ruleset.nftables : Array.isArray(ruleset) ? ruleset : [];
    for (const item of list) {
      if (!isObject(item)) continue;
      const [kind, body] = Object.entries(item)[0] ?? [];
      if (!isObject(body) || typeof body.family !== 'string') continue;
      m.importObject(kind!, body as Record<string, unknown>);
    }
    return m;
  }

  private importObject(kind: string, b: Record<string, unknown>): void {
    const fam = b.family as NftFamily;
    if (kind === 'table' && typeof b.name === 'string') {
      this.addTable(fam, b.name);
      return;
    }
    if (typeof b.table !== 'string') return;
    const t = this.addTable(fam, b.table);
    if (kind === 'chain' && typeof b.name === 'string') t.chains.set(b.name, t.chains.get(b.name) ?? { name: b.name, rules: [] });
    else if (kind === 'rule' && typeof b.chain === 'string') {
      const c = t.chains.get(b.chain) ?? { name: b.chain, rules: [] };
      t.chains.set(b.chain, c);
      c.rules.push(typeof b.handle === 'number' ? b.handle : undefined);
    } else if ((kind === 'set' || kind === 'map') && typeof b.name === 'string') t.sets.set(b.name, setFromListing(kind, b, ++this.setCount));
    else if ((kind === 'counter' || kind === 'quota' || kind === 'limit') && typeof b.name === 'string') t.objects.add(`${kind}\0${b.name}`);
    else if (kind === 'flowtable' && typeof b.name === 'string') t.flowtables.add(b.name);
  }
}

/** A listed set's key and flags, when its type is a plain datatype (or list of them). */
function setFromListing(kind: string, b: Record<string, unknown>, id: number): SetModel {
  const flagList = Array.isArray(b.flags) ? b.flags : b.flags === undefined ? [] : [b.flags];
  let flags = 0;
  for (const f of flagList) if (typeof f === 'string' && SET_FLAG_BITS[f]) flags |= SET_FLAG_BITS[f]!;
  const map = kind === 'map';
  const probe = JsonPath.root('ruleset');
  const tryKey = (v: unknown): SetKey | undefined => {
    try {
      return keyOfTypes(v, probe);
    } catch {
      return undefined;
    }
  };
  const key = tryKey(b.type);
  let data: DataKind | undefined;
  if (map) {
    if (b.map === 'verdict') data = { verdict: true };
    else {
      const declared = typeof b.map === 'string' && b.map.startsWith('interval ');
      const dk = tryKey(declared ? (b.map as string).slice(9) : b.map);
      if (dk) data = { key: dk, interval: declared };
    }
  }
  const elem = b.elem;
  return {
    name: b.name as string,
    ...(key && { key }),
    ...(data && { data }),
    flags: flags | (map ? SET_FLAG.map : 0),
    id,
    hasElements: Array.isArray(elem) ? elem.length > 0 : elem !== undefined,
    map,
    autoMerge: b['auto-merge'] === true,
  };
}
