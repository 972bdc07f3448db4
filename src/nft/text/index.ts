/**
 * The nft 1.0.6 text of a libnftables JSON document: what `nft list ruleset`, `nft list table`,
 * `nft list chain`, `nft list set`/`map` and `nft list tables` print for the ruleset the document
 * describes (`-a`: `{ handles: true }`). Pure: the document is the only input.
 *
 * The document is what `nft -j list ...` prints. nft 1.0.6's JSON leaves out a few things its text
 * shows; a document carrying them in the places later nft versions print them is printed with them:
 * a table's `comment` (and `flags`, which crash nft 1.0.6's JSON output), a chain's `comment`, `dev`
 * and 'offload' flag, a set's `typeof` type (`{ typeof: expr }`, for `map` too), `auto-merge` and
 * 'dynamic' flag, a flowtable's `flags` ('offload', 'counter'), an element's expiry to the millisecond
 * (a fraction of its seconds), and the info of xt statements (NFT_XT_INFO, translated as nft does).
 * Without them the text is what nft prints less those details. A document that is not one, or holds
 * something nft would not list, is refused with an InvalidArgumentError naming the part.
 */
import { InvalidArgumentError, NotFoundError } from '../../errors/index.js';
import type { NftChainBody, NftJsonDocument as NftDocument, NftFlowtableBody, NftRuleBody, NftSetBody } from '../json/types.js';
import { type PrintOptions, type TableModel, chainDeclaration, chainText, setText, tableText } from './objects.js';

export type { PrintOptions } from './objects.js';
export { prioText } from './objects.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

type ChainEntry = TableModel['chains'][number];

const OBJECT_KINDS = new Set(['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark']);

/** Groups the document's objects by table, keeping their order (tables as they first appear). */
export function rulesetModel(doc: NftDocument): TableModel[] {
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as Obj).nftables)) {
    throw new InvalidArgumentError('document', doc, 'not a libnftables JSON document ({ nftables: [...] })');
  }
  const tables = new Map<string, TableModel>();
  const tableOf = (family: string, name: string): TableModel => {
    const key = `${family}\0${name}`;
    let t = tables.get(key);
    if (t === undefined) {
      t = { table: { family: family as never, name }, objects: [], sets: [], flowtables: [], chains: [] };
      tables.set(key, t);
    }
    return t;
  };
  const chains = new Map<string, ChainEntry>();
  const sets = new Map<string, NftSetBody>();
  for (const item of (doc as Obj).nftables as Obj[]) addItem(item, tableOf, chains, sets);
  return [...tables.values()];
}

function addItem(
  item: Obj,
  tableOf: (family: string, name: string) => TableModel,
  chains: Map<string, ChainEntry>,
  sets: Map<string, NftSetBody>,
): void {
  if (item === null || typeof item !== 'object') return;
  const kind = Object.keys(item)[0];
  if (kind === undefined) return;
  const b = item[kind] as Obj;
  if (kind === 'metainfo' || b === null || typeof b !== 'object') return;
  if (kind === 'table') {
    Object.assign(tableOf(b.family, b.name).table, b);
    return;
  }
  const t = tableOf(b.family, b.table);
  const path = `${b.family}\0${b.table}\0${b.name ?? b.chain}`;
  if (kind === 'chain') {
    const known = chains.get(path);
    if (known !== undefined) {
      // rules came first (a `list chain` document, or rules listed before their chain)
      known.chain = { ...known.chain, ...(b as NftChainBody) };
      return;
    }
    const entry: ChainEntry = { chain: b as NftChainBody, rules: [] };
    t.chains.push(entry);
    chains.set(path, entry);
  } else if (kind === 'rule') {
    let entry = chains.get(path);
    if (entry === undefined) {
      const implicit: ChainEntry = { chain: { family: b.family, table: b.table, name: b.chain }, rules: [] };
      t.chains.push(implicit);
      chains.set(path, (entry = implicit));
    }
    entry.rules.push(b as NftRuleBody);
  } else if (kind === 'set' || kind === 'map') {
    const copy = { ...b } as NftSetBody;
    t.sets.push({ kind, body: copy });
    sets.set(path, copy);
  } else if (kind === 'element') {
    const s = sets.get(path);
    if (s !== undefined) s.elem = [...[s.elem ?? []].flat(), ...[b.elem].flat()] as never;
  } else if (kind === 'flowtable') {
    t.flowtables.push(b as NftFlowtableBody);
  } else if (OBJECT_KINDS.has(kind)) {
    t.objects.push({ kind, body: b });
  }
}

function findTable(model: TableModel[], family: string, name: string): TableModel {
  const t = model.find((m) => m.table.family === family && m.table.name === name);
  if (t === undefined) throw new NotFoundError('table', `${family} ${name}`);
  return t;
}

/** `nft list ruleset`: every table in full. */
export function formatRuleset(doc: NftDocument, opts: PrintOptions = {}): string {
  return rulesetModel(doc)
    .map((t) => tableText(t, opts))
    .join('');
}

/** `nft list tables`: one `table FAMILY NAME` line a table (nft prints no handles here, even with -a). */
export function formatTables(doc: NftDocument): string {
  return rulesetModel(doc)
    .map((t) => `table ${t.table.family} ${t.table.name}\n`)
    .join('');
}

/** `nft list table FAMILY NAME`. */
export function formatTable(doc: NftDocument, family: string, name: string, opts: PrintOptions = {}): string {
  return tableText(findTable(rulesetModel(doc), family, name), opts);
}

/** `nft list chain FAMILY TABLE NAME`: the chain inside its table's header. */
export function formatChain(doc: NftDocument, family: string, table: string, name: string, opts: PrintOptions = {}): string {
  const t = findTable(rulesetModel(doc), family, table);
  const c = t.chains.find((x) => x.chain.name === name);
  if (c === undefined) throw new NotFoundError('chain', `${family} ${table} ${name}`);
  return `table ${family} ${table} {\n${chainText(c.chain, c.rules, opts)}}\n`;
}

/** `nft list chains`: every chain's declaration, without rules. */
export function formatChains(doc: NftDocument, opts: PrintOptions = {}): string {
  return rulesetModel(doc)
    .map((t) => `table ${t.table.family} ${t.table.name} {\n${t.chains.map((c) => `${chainDeclaration(c.chain, opts)}\t}\n`).join('')}}\n`)
    .join('');
}

/** `nft list set FAMILY TABLE NAME` (and `list map`): the set with its elements inside its table's header. */
export function formatSet(doc: NftDocument, family: string, table: string, name: string, opts: PrintOptions = {}): string {
  const t = findTable(rulesetModel(doc), family, table);
  const s = t.sets.find((x) => x.body.name === name);
  if (s === undefined) throw new NotFoundError('set', `${family} ${table} ${name}`);
  return `table ${family} ${table} {\n${setText(s.kind, s.body, family, opts)}}\n`;
}
