/**
 * The walk-through helpers of nl.nftables (masquerade, snat, dnat, allowEstablished) made
 * idempotent: the recipe (src/nft/json/recipes.ts) says what nft would add, table, base chain and
 * rule; here whatever of it the ruleset already has is left out. A chain that exists is never
 * added again (re-adding a base chain would reset its policy), and a rule is left out when the
 * chain already has one that linearizes to the same expressions, so a second call changes nothing.
 */
import type { LinearizeOptions, LinearizedDocument } from '../nft/json/from-json.js';
import type { AllowEstablishedOptions, DnatOptions, MasqueradeOptions, SnatOptions } from '../nft/json/recipes.js';
import type { NftJsonDocument, NftJsonItem } from '../nft/json/types.js';

export type NftRecipeName = 'masquerade' | 'snat' | 'dnat' | 'allowEstablished';
export type NftMasqueradeOptions = MasqueradeOptions;
export type NftSnatOptions = SnatOptions;
export type NftDnatOptions = DnatOptions;
export type NftAllowEstablishedOptions = AllowEstablishedOptions;
interface RecipeOptions {
  masquerade: MasqueradeOptions;
  snat: SnatOptions;
  dnat: DnatOptions;
  allowEstablished: AllowEstablishedOptions | undefined;
}
export type NftRecipeOptions<N extends NftRecipeName> = RecipeOptions[N];

type Linearize = (doc: unknown, options?: LinearizeOptions) => LinearizedDocument;
type Body = Record<string, unknown>;

/** The recipe's items the listing does not have yet, in order (the same item objects). */
export function idempotentRecipe(doc: NftJsonDocument, listing: NftJsonDocument, linearize: Linearize): NftJsonDocument {
  return { nftables: doc.nftables.filter((item) => !present(item, listing, linearize)) };
}

function present(item: NftJsonItem, listing: NftJsonDocument, linearize: Linearize): boolean {
  const added = addedObject(item);
  if (added === undefined) return false;
  const [kind, b] = added;
  const same = (k: string, match: (o: Body) => boolean) => listing.nftables.some((i) => isBody(entry(i, k)) && match(entry(i, k) as Body));
  switch (kind) {
    case 'table':
      return same('table', (t) => t.family === b.family && t.name === b.name);
    case 'chain':
      return same('chain', (c) => c.family === b.family && c.table === b.table && c.name === b.name);
    case 'rule':
      return ruleExists(b, listing, linearize);
    default:
      return false;
  }
}

/** Whether the rule's chain already has a rule with the same expressions (and comment). */
function ruleExists(rule: Body, listing: NftJsonDocument, linearize: Linearize): boolean {
  const existing = listing.nftables
    .map((i) => entry(i, 'rule'))
    .filter((r): r is Body => isBody(r) && r.family === rule.family && r.table === rule.table && r.chain === rule.chain);
  if (existing.length === 0) return false;
  const text = JSON.stringify(rule.expr);
  if (existing.some((r) => JSON.stringify(r.expr) === text && r.comment === rule.comment)) return true;
  const mine = ruleAttrs(rule, listing, linearize);
  return mine !== undefined && existing.some((r) => sameValue(ruleAttrs(r, listing, linearize), mine));
}

/** The newrule's expressions and userdata as the rule linearizes against the listing; undefined when it does not. */
function ruleAttrs(rule: Body, listing: NftJsonDocument, linearize: Linearize): unknown {
  const { handle: _h, index: _i, ...body } = rule;
  try {
    const { messages } = linearize({ nftables: [{ add: { rule: body } }] }, { ruleset: listing });
    const m = messages.find((x) => x.kind === 'newrule');
    return m === undefined ? undefined : { expressions: m.attrs.expressions, userdata: m.attrs.userdata };
  } catch {
    return undefined; // not something from-json writes (an xt statement): not the recipe's rule
  }
}

/** [kind, body] of what an item adds: { add: { rule } }, { create: { chain } }, or a bare { table }. */
function addedObject(item: NftJsonItem): [string, Body] | undefined {
  const [k, v] = Object.entries(item as unknown as Body)[0] ?? [];
  if (k === 'add' || k === 'create') {
    const [kind, b] = Object.entries((v ?? {}) as Body)[0] ?? [];
    return kind !== undefined && isBody(b) ? [kind, b] : undefined;
  }
  return k !== undefined && isBody(v) && ['table', 'chain', 'rule'].includes(k) ? [k, v] : undefined;
}

function entry(item: NftJsonItem, kind: string): unknown {
  return (item as unknown as Body)[kind];
}

function isBody(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of linearized attributes: objects, arrays, bytes, bigints. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (!isBody(a) || !isBody(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
}
