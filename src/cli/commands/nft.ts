/**
 * nlts [-n NAME] nft [-j] [-a] { list ... | flush ruleset | delete table | add table | -f FILE }:
 * nftables as nft 1.0.6 lists it, over client.nftables. The text is C's formatter (src/nft/text),
 * -j the libnftables JSON (src/nft/json/to-json) printed as nft prints it; -f applies a JSON
 * document as one transaction. Errors look like nft's ("Error: No such file or directory" and the
 * command with a caret under the name), exit 1.
 */
import { readFileSync } from 'node:fs';
import type { NftApplyResult, NftListFilter, NftTableFamily } from '../../api/nftables.js';
import type { NftJsonDocument } from '../../nft/json/types.js';
import { type CliContext, CliError, UsageError } from '../context.js';
import { nftJsonText } from '../format/nft-json.js';

export const NFT_USAGE = `Usage: nlts [ -n NAME ] nft [ -j ] [ -a ] COMMAND
       nlts [ -n NAME ] nft -j -f { FILE | - }
COMMAND := { list ruleset [ FAMILY ] | list tables [ FAMILY ] | list chains [ FAMILY ] |
             list table [ FAMILY ] NAME | list chain [ FAMILY ] TABLE NAME |
             list set [ FAMILY ] TABLE NAME | list map [ FAMILY ] TABLE NAME |
             flush ruleset [ FAMILY ] | add table [ FAMILY ] NAME | delete table [ FAMILY ] NAME }
FAMILY := { ip | ip6 | inet | arp | bridge | netdev } (ip when left out)
-f applies a libnftables JSON document (nft -j's schema) atomically; nft's text language is not read.`;

/** nft exits 1 on every failure. */
const FAILED = 1;
const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

interface Flags {
  json: boolean;
  handles: boolean;
  file?: string;
}

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const flags: Flags = { json: ctx.options.json, handles: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-j' || a === '--json') flags.json = true;
    else if (a === '-a' || a === '--handle') flags.handles = true;
    else if (a === '-f' || a === '--file') {
      const f = argv[++i];
      if (f === undefined) throw new UsageError('Error: option "-f" needs a file name (or - for stdin)', NFT_USAGE);
      flags.file = f;
    } else if (a === '-h' || a === '--help') throw new UsageError('', NFT_USAGE);
    else throw new UsageError(`Error: option "${a}" is not supported by nlts nft`, NFT_USAGE);
  }
  const words = argv.slice(i);
  if (flags.file !== undefined) {
    if (words.length > 0) throw new UsageError(`Error: -f takes no command, got "${words.join(' ')}"`, NFT_USAGE);
    return applyFile(flags.file, ctx);
  }
  if (words.length === 0 || words[0] === 'help') throw new UsageError('', NFT_USAGE);
  const [verb, what] = words;
  if (verb === 'monitor') return (await import('./nft-monitor.js')).run(words.slice(1), flags.json, ctx);
  if (verb === 'list') return list(words, flags, ctx);
  if (verb === 'flush' && what === 'ruleset') return change(words, ctx, (nft, w) => nft.flush(family(w, 2, 0) as NftTableFamily | undefined));
  if ((verb === 'delete' || verb === 'add') && what === 'table') {
    return change(words, ctx, (nft, w) => {
      const [fam, name] = named(w, 2, 1);
      return verb === 'add' ? nft.apply([{ add: { table: { family: fam, name } } }]) : nft.deleteTable(fam, name);
    });
  }
  throw syntaxError(words, 0, 'unexpected string');
}

/** `list ...`: the listing as text (C's formatter) or as nft's JSON. */
async function list(words: string[], flags: Flags, ctx: CliContext): Promise<undefined> {
  const what = words[1];
  const text = await import('../../nft/text/index.js');
  const nft = (await ctx.client()).nftables;
  const opts = { handles: flags.handles };
  let doc: NftJsonDocument;
  let print: (d: NftJsonDocument) => string;
  if (what === 'ruleset' || what === 'tables' || what === 'chains') {
    const fam = family(words, 2, 0) as NftTableFamily | undefined;
    doc = await (flags.json ? nft.list(fam === undefined ? {} : { family: fam }) : nft.listForText(fam === undefined ? {} : { family: fam }));
    // -j prints only those objects; the text of `list chains` also has the tables without chains (`table inet t {}`).
    const keep = what === 'tables' ? ['table'] : flags.json ? ['chain'] : ['table', 'chain'];
    if (what !== 'ruleset') doc = { nftables: doc.nftables.filter((x) => 'metainfo' in x || keep.some((k) => k in x)) };
    print =
      what === 'ruleset' ? (d) => text.formatRuleset(d, opts) : what === 'tables' ? (d) => text.formatTables(d) : (d) => text.formatChains(d, opts);
  } else if (what === 'table') {
    const [fam, name] = named(words, 2, 1);
    doc = await listing(words, { family: fam, table: name }, flags.json, ctx);
    print = (d) => text.formatTable(d, fam, name, opts);
  } else if (what === 'chain' || what === 'set' || what === 'map') {
    const [fam, table, name] = named(words, 2, 2);
    doc = await listing(words, { family: fam, table, [what]: name }, flags.json, ctx);
    print = what === 'chain' ? (d) => text.formatChain(d, fam, table, name, opts) : (d) => text.formatSet(d, fam, table, name, opts);
  } else throw syntaxError(words, 1, what === undefined ? 'unexpected newline' : 'unexpected string');
  if (flags.json) ctx.out(nftJsonText(doc));
  else if (what === 'tables' || what === 'chains') ctx.out(print(doc));
  else {
    // nft warns (on stderr) before each table iptables-nft wrote: table by table for the ruleset.
    const xt = xtTables(doc);
    const { tableText } = await import('../../nft/text/objects.js');
    const parts: [string, () => string][] =
      what === 'ruleset' ? text.rulesetModel(doc).map((t) => [`${t.table.family} ${t.table.name}`, () => tableText(t, opts)]) : [];
    if (what !== 'ruleset') parts.push([xt.values().next().value ?? '', () => print(doc)]);
    for (const [table, part] of parts) {
      if (xt.has(table)) process.stderr.write(`# Warning: table ${table} is managed by iptables-nft, do not touch!\n`);
      ctx.out(part());
    }
  }
  return undefined;
}

/** 'FAMILY NAME' of the listed tables with rules iptables-nft wrote (xt statements). */
function xtTables(doc: NftJsonDocument): Set<string> {
  const tables = new Set<string>();
  for (const item of doc.nftables) {
    const r = (item as { rule?: { family: string; table: string; expr?: object[] } }).rule;
    if (r?.expr?.some((s) => 'xt' in s)) tables.add(`${r.family} ${r.table}`);
  }
  return tables;
}

/** list() of a table or an object in it; what is missing is reported as nft does, the caret under its name. */
async function listing(words: string[], filter: NftListFilter, json: boolean, ctx: CliContext): Promise<NftJsonDocument> {
  try {
    const nft = (await ctx.client()).nftables;
    return await (json ? nft.list(filter) : nft.listForText(filter));
  } catch (err) {
    const e = err as { name?: string; what?: string };
    if (e?.name !== 'NotFoundError') throw err;
    // The table's word when the table is missing, else the object's (the last word).
    const at = e.what === 'table' && words[1] !== 'table' ? words.length - 2 : words.length - 1;
    throw nftError('No such file or directory', words, at);
  }
}

type Nft = Awaited<ReturnType<CliContext['client']>>['nftables'];

/** A change (flush, add, delete): nothing printed; a refusal as nft words it. */
async function change(words: string[], ctx: CliContext, fn: (nft: Nft, w: string[]) => Promise<NftApplyResult>): Promise<undefined> {
  const nft = (await ctx.client()).nftables;
  try {
    await fn(nft, words);
  } catch (err) {
    const e = err as { name?: string; failures?: { error: { message: string } }[] };
    if (e?.name !== 'NftTransactionError') throw err;
    throw nftError(`Could not process rule: ${strerror(e.failures?.[0]?.error.message ?? '')}`, words, words.length - 1);
  }
  return undefined;
}

/** -f FILE|-: a JSON document applied as one transaction. */
async function applyFile(file: string, ctx: CliContext): Promise<undefined> {
  let source: string;
  try {
    source = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const m = /^E\w+: ([^,]+)/.exec((err as Error).message); // Node's 'ENOENT: no such file or directory, open ...'
    const why = m ? m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1) : (err as Error).message;
    throw new CliError(`internal:0:0-0: Error: Could not open file "${file}": ${why}\n\n`, FAILED);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch (err) {
    const where = file === '-' ? 'standard input' : `"${file}"`;
    const what = /^\s*[[{]/.test(source) ? `is not valid JSON (${(err as Error).message})` : "is not JSON (nft's text language?)";
    const only = 'nlts nft -f takes libnftables JSON documents only ({"nftables": [...]}, as nft -j prints them), not nft\'s text language';
    throw new CliError(`Error: ${where} ${what}: ${only}`, FAILED);
  }
  const nft = (await ctx.client()).nftables;
  try {
    await nft.apply(doc as NftJsonDocument);
  } catch (err) {
    throw fileError(err);
  }
  return undefined;
}

/** nft's report of a JSON input that failed: `internal:0:0-0: Error: ...`, a blank line; then what nlts knows more. */
function fileError(err: unknown): unknown {
  const e = err as {
    name?: string;
    message: string;
    failures?: { index?: number; label?: string; error: { message: string; kernelMessage?: string } }[];
  };
  if (e?.name === 'InvalidArgumentError') return new CliError(`internal:0:0-0: Error: ${e.message}\n`, FAILED);
  if (e?.name !== 'NftTransactionError' || e.failures === undefined) return err;
  const lines = e.failures.map((f) => {
    const where = f.index === undefined ? 'the batch' : `nftables[${f.index}]${f.label === undefined ? '' : ` (${f.label})`}`;
    const kernel = f.error.kernelMessage === undefined ? '' : `: ${f.error.kernelMessage}`;
    return `internal:0:0-0: Error: Could not process rule: ${strerror(f.error.message)}\n  ${where}${kernel}\n`;
  });
  return new CliError(lines.join('\n'), FAILED);
}

/** 'newrule: ENOENT (No such file or directory): ...' -> 'No such file or directory'. */
function strerror(message: string): string {
  return /\(([^)]+)\)/.exec(message)?.[1] ?? message;
}

/**
 * An optional FAMILY word at `at` (family names are keywords to nft, never table names), then
 * `count` more words and nothing after them, as nft's grammar takes them.
 */
function family(words: string[], at: number, count: number): string | undefined {
  const f = FAMILIES.includes(words[at] ?? '') ? words[at] : undefined;
  const end = at + (f === undefined ? 0 : 1) + count;
  if (words.length < end) throw syntaxError(words, words.length, 'unexpected newline, expecting string');
  if (words.length > end) throw syntaxError(words, end, 'unexpected string, expecting end of file or newline or semicolon');
  return f;
}

/** [FAMILY] then `count` names from `at`: the family (ip when left out) and the names. */
function named(words: string[], at: number, count: number): [NftTableFamily, string, string] {
  const fam = (family(words, at, count) ?? 'ip') as NftTableFamily;
  const names = words.slice(words.length - count);
  return [fam, names[0]!, names[1] ?? ''];
}

/** nft's three lines: the error, the command, a caret line under word `at` (at the end when past it). */
function nftError(message: string, words: string[], at: number): CliError {
  const line = words.join(' ');
  const start = words.slice(0, at).reduce((n, w) => n + w.length + 1, 0);
  const width = Math.max(1, words[at]?.length ?? 1);
  return new CliError(`Error: ${message}\n${line}\n${' '.repeat(Math.min(start, line.length))}${'^'.repeat(width)}`, FAILED);
}

function syntaxError(words: string[], at: number, what: string): CliError {
  return nftError(`syntax error, ${what}`, words, at);
}
