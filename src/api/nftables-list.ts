/**
 * What nl.nftables.list() selects from a listing, as nft's list commands do: `list ruleset [FAMILY]`,
 * `list table`, `list chain` (the chain and its rules, no table), `list set` / `list map` (that one
 * object with its elements). The dump is already narrowed to the family and table; this keeps what
 * the command prints and says what is missing.
 */
import type { NftJsonDocument, NftJsonItem } from '../nft/json/types.js';
import { InvalidArgumentError, NotFoundError } from './errors.js';
import { checkOptions } from './validate.js';

/** nft's table families. */
export type NftTableFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export const NFT_FAMILIES: readonly NftTableFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** What to list: the ruleset (of one family), a table, a chain, a set or a map. */
export interface NftListFilter {
  /** Only this family's tables; with `table` and without a family, 'ip' (as nft takes `list table NAME`). */
  family?: NftTableFamily;
  table?: string;
  /** One chain of `table`, with its rules (`nft list chain`). */
  chain?: string;
  /** One set of `table`, with its elements (`nft list set`); not a map. */
  set?: string;
  /** One map of `table`, with its elements (`nft list map`). */
  map?: string;
}

/** The filter checked, with nft's default family when a table is named. */
export function checkListFilter(filter: NftListFilter | undefined): NftListFilter {
  const f = checkOptions(filter, 'filter');
  for (const k of Object.keys(f)) {
    if (!['family', 'table', 'chain', 'set', 'map'].includes(k)) {
      throw new InvalidArgumentError(`filter.${k}`, (f as Record<string, unknown>)[k], 'is not a filter of list() (family, table, chain, set, map)');
    }
  }
  if (f.family !== undefined && !NFT_FAMILIES.includes(f.family)) {
    throw new InvalidArgumentError('filter.family', f.family, `must be one of ${NFT_FAMILIES.join(', ')}`);
  }
  for (const k of ['table', 'chain', 'set', 'map'] as const) {
    const v = f[k];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 255)) {
      throw new InvalidArgumentError(`filter.${k}`, v, 'must be a name (1 to 255 characters)');
    }
  }
  const inner = (['chain', 'set', 'map'] as const).filter((k) => f[k] !== undefined);
  if (inner.length > 1) throw new InvalidArgumentError(`filter.${inner[1]}`, f[inner[1]!], `cannot be combined with ${inner[0]}: list one object`);
  if (inner.length === 1 && f.table === undefined) {
    throw new InvalidArgumentError('filter.table', undefined, `is needed with ${inner[0]}: a ${inner[0]} is listed by its table`);
  }
  return f.table !== undefined && f.family === undefined ? { ...f, family: 'ip' } : f;
}

const body = (item: NftJsonItem, kind: string): Record<string, unknown> | undefined =>
  (item as unknown as Record<string, Record<string, unknown> | undefined>)[kind];

/** The items `nft -j list ...` prints for the filter; NotFoundError naming the missing table or object. */
export function selectListing(doc: NftJsonDocument, f: NftListFilter): NftJsonDocument {
  if (f.table === undefined) return doc;
  const items = doc.nftables;
  const ownTable = items.some((i) => body(i, 'table')?.name === f.table && body(i, 'table')?.family === f.family);
  if (!ownTable) throw new NotFoundError('table', `${f.family} ${f.table}`);
  const head = items.filter((i) => 'metainfo' in i);
  const inTable = (b: Record<string, unknown> | undefined) => b !== undefined && b.table === f.table && b.family === f.family;
  if (f.chain !== undefined) {
    const chain = items.filter((i) => inTable(body(i, 'chain')) && body(i, 'chain')!.name === f.chain);
    if (chain.length === 0) throw new NotFoundError('chain', `${f.family} ${f.table} ${f.chain}`);
    const rules = items.filter((i) => inTable(body(i, 'rule')) && body(i, 'rule')!.chain === f.chain);
    return { nftables: [...head, ...chain, ...rules] };
  }
  const kind = f.set !== undefined ? 'set' : f.map !== undefined ? 'map' : undefined;
  if (kind !== undefined) {
    const name = f[kind];
    const found = items.filter((i) => inTable(body(i, kind)) && body(i, kind)!.name === name);
    if (found.length === 0) throw new NotFoundError(kind, `${f.family} ${f.table} ${name}`);
    return { nftables: [...head, ...found] };
  }
  return doc;
}
