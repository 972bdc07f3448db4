/**
 * The corpus of the text listing's tests (test/nft/rulesets) and what goes with nft's listings of it:
 * the extras nft's JSON leaves out, the xt infos, the expiry times that differ between listings.
 * No I/O beyond reading the files: the golden test runs without privileges. The live side (loading
 * into a namespace, asking nft) is test/nft/text-oracle.ts.
 *
 * Corpus files: NAME.nft (`nft -f`), NAME.json (`nft -j -f`), NAME.iptables (one iptables-nft or
 * ip6tables-nft command a line). NAME.extra.json adds to nft's JSON what nft 1.0.6 -j leaves out and
 * its text shows (chain devices and comments, typeof, auto-merge, the dynamic flag): a list of
 * `{ "<chain|set|map|table>": { family, table, name }, "add": { ...properties } }`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NFT_XT_INFO, type NftJsonDocument } from '../../src/nft/json/types.js';

export const RULESETS = join(dirname(fileURLToPath(import.meta.url)), 'rulesets');
export const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/** The corpus files, by name. */
export function corpus(): string[] {
  return readdirSync(RULESETS)
    .filter((f) => /\.(nft|json|iptables)$/.test(f) && !f.endsWith('.extra.json'))
    .sort();
}

/** One xt match/target of a rule, as the kernel keeps it. */
export interface XtRecord {
  family: string;
  table: string;
  chain: string;
  handle: number;
  /** position among the rule's xt expressions */
  index: number;
  rev: number;
  /** the info struct, hex */
  info: string;
}

/** Words of an iptables command line; double quotes group, as a shell would. */
export function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

type Obj = Record<string, any>;

/** The document with a corpus file's extras added (a deep copy) and its xt infos attached. */
export function prepare(files: string | string[], json: NftJsonDocument, xt: XtRecord[]): NftJsonDocument {
  const doc = JSON.parse(JSON.stringify(json)) as NftJsonDocument;
  for (const file of [files].flat()) addExtras(file, doc);
  attachXt(doc, xt);
  return doc;
}

function addExtras(file: string, doc: NftJsonDocument): void {
  const extraPath = join(RULESETS, `${basename(file).replace(/\.[^.]+$/, '')}.extra.json`);
  const extras: Obj[] = existsSync(extraPath) ? JSON.parse(readFileSync(extraPath, 'utf8')) : [];
  for (const extra of extras) {
    const kind = Object.keys(extra).find((k) => k !== 'add')!;
    const sel = extra[kind] as Obj;
    const target = doc.nftables.map((i) => (i as Obj)[kind] as Obj | undefined).find((b) => b && Object.entries(sel).every(([k, v]) => b[k] === v));
    if (target === undefined) throw new Error(`${file}: extra for a ${kind} that is not there: ${JSON.stringify(sel)}`);
    Object.assign(target, extra.add);
  }
}

/** Puts each rule's xt infos on its xt statements, in order, as to-json does (NFT_XT_INFO). */
export function attachXt(doc: NftJsonDocument, xt: XtRecord[]): void {
  for (const item of doc.nftables) {
    const r = (item as Obj).rule as Obj | undefined;
    if (r === undefined) continue;
    const mine = xt.filter((x) => x.family === r.family && x.table === r.table && x.chain === r.chain && x.handle === r.handle);
    let k = 0;
    for (const s of (r.expr ?? []) as Obj[]) {
      if (s.xt === undefined) continue;
      const x = mine[k++];
      if (x !== undefined) Object.defineProperty(s.xt, NFT_XT_INFO, { value: { rev: x.rev, info: Uint8Array.from(Buffer.from(x.info, 'hex')) } });
    }
  }
}

/**
 * A set element's remaining lifetime differs between two listings, and nft -j keeps only its seconds:
 * `expires 59m59s996ms` compares as `expires ?`.
 */
export function withoutExpiry(text: string): string {
  return text.replace(/ expires [0-9dhms]+/g, ' expires ?');
}
