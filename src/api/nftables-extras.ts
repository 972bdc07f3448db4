/**
 * What nft's text listing shows and nft 1.0.6's JSON leaves out, put into a listing where later nft
 * versions print it and where the text formatter (src/nft/text) reads it: a table's and a chain's
 * `comment`, a base chain's devices (`dev`), a set's 'dynamic' flag and `auto-merge`, a
 * flowtable's `flags`. Only for the text: list() itself returns exactly what `nft -j` prints.
 */
import type { NftRuleset } from '../nft/ruleset-dump.js';
import { KernelEnum, NFPROTO_ENUM, SET_FLAGS, bytes, nest } from '../nft/json/attr-values.js';
import { family2str } from '../nft/json/expr-json.js';
import { hookDevices, userdataComment } from '../nft/json/objects-json.js';
import { parseUdata } from '../nft/json/sets.js';
import type { NftJsonDocument } from '../nft/json/types.js';

type Obj = Record<string, unknown>;
type Msg = { header?: unknown; attrs?: unknown };

const NFT_SET_EVAL = 0x20;
const UDATA_SET_MERGE_ELEMENTS = 2;
const FLOWTABLE_FLAGS = new KernelEnum({ 'hw-offload': 0x1, counter: 0x2 });

/** Adds the text-only properties to the listing's objects (in place), from the dump they came from. */
export function addTextExtras(doc: NftJsonDocument, ruleset: NftRuleset): NftJsonDocument {
  const byKey = new Map<string, Obj>();
  for (const item of doc.nftables as unknown as Obj[]) {
    const [kind, body] = Object.entries(item)[0] ?? [];
    if (kind === undefined || typeof body !== 'object' || body === null) continue;
    const b = body as Obj;
    byKey.set(key(kind === 'map' ? 'set' : kind, b.family, kind === 'table' ? b.name : b.table, kind === 'table' ? '' : b.name), b);
  }
  const find = (kind: string, m: Msg, table: boolean) => {
    const a = attrs(m);
    return byKey.get(key(kind, familyOf(m), table ? a.name : a.table, table ? '' : a.name));
  };
  for (const m of ruleset.tables) setComment(find('table', m, true), attrs(m));
  for (const m of ruleset.chains) chainExtras(find('chain', m, false), attrs(m));
  for (const m of ruleset.sets) setExtras(find('set', m, false), attrs(m));
  for (const m of ruleset.flowtables) flowtableFlags(find('flowtable', m, false), attrs(m));
  return doc;
}

function key(kind: string, family: unknown, table: unknown, name: unknown): string {
  return `${kind}\0${String(family)}\0${String(table)}\0${String(name)}`;
}

function attrs(m: Msg): Obj {
  return (m.attrs ?? {}) as Obj;
}

function familyOf(m: Msg): string {
  return family2str(NFPROTO_ENUM.num((m.header as { family?: unknown } | undefined)?.family) ?? 0);
}

function setComment(target: Obj | undefined, a: Obj): void {
  const c = userdataComment(a);
  if (target !== undefined && c !== undefined) target.comment = c;
}

function chainExtras(target: Obj | undefined, a: Obj): void {
  if (target === undefined) return;
  setComment(target, a);
  const devs = hookDevices(nest(a.hook));
  if (devs.length === 1) target.dev = devs[0];
  else if (devs.length > 1) target.dev = devs;
}

function setExtras(target: Obj | undefined, a: Obj): void {
  if (target === undefined) return;
  if (SET_FLAGS.flags(a.flags) & NFT_SET_EVAL) {
    const flags = target.flags === undefined ? [] : Array.isArray(target.flags) ? target.flags : [target.flags];
    if (!flags.includes('dynamic')) target.flags = ['dynamic', ...flags];
  }
  const merge = parseUdata(bytes(a.userdata)).get(UDATA_SET_MERGE_ELEMENTS);
  if (merge?.some((x) => x !== 0)) target['auto-merge'] = true;
}

function flowtableFlags(target: Obj | undefined, a: Obj): void {
  const f = FLOWTABLE_FLAGS.flags(a.flags);
  if (target === undefined || f === 0) return;
  const names = [...(f & 0x1 ? ['offload'] : []), ...(f & 0x2 ? ['counter'] : [])];
  target.flags = names.length === 1 ? names[0] : names;
}
