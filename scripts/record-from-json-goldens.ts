/**
 * Records what nft 1.0.6 sends for the linearizer's corpus (test/nft/from-json-cases.ts) into
 * fixtures/nftables/from-json-golden.json, for test/nft/from-json.test.ts to hold src/nft/json/from-json.ts to:
 *
 *   sudo npx tsx scripts/record-from-json-goldens.ts [--dry-run]
 *
 * Per case, in a throwaway namespace (nlts-t-<pid>-<n>, always deleted): the setup is loaded with
 * `nft -f`; its `nft -j list ruleset` is the listing the linearizer gets; a rule case is added with
 * `nft add rule` and listed, and that rule's JSON (an add command) is the document; then the setup
 * is loaded again and `nft -j -f DOCUMENT` runs under `strace -e write=3`, whose hex dump of the
 * batch is kept, message by message. Needs root, nft 1.0.6 and strace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCS, type Family, RECIPES, RULES, ruleSetup } from '../test/nft/from-json-cases.js';
import { type TestNetns, withNetns } from '../test/support/netns.js';

const OUT = join(import.meta.dirname, '../fixtures/nftables/from-json-golden.json');
const dryRun = process.argv.includes('--dry-run');
const dir = mkdtempSync(join(tmpdir(), 'nlts-from-json-'));

export interface GoldenCase {
  name: string;
  setup: string;
  /** `nft -j list ruleset` after the setup. */
  ruleset: unknown;
  doc: unknown;
  /** The nf_tables messages of nft's batch, hex (sequence numbers as nft gave them). */
  nft: string[];
}

function nft(ns: TestNetns, ...args: string[]): string {
  return ns.exec('nft', ...args);
}

function load(ns: TestNetns, setup: string): void {
  const file = join(dir, 'setup.nft');
  writeFileSync(file, setup);
  nft(ns, '-f', file);
}

/** The nftables messages (subsystem 10) of what `nft -j -f doc` writes to its netlink socket. */
function capture(ns: TestNetns, doc: unknown): string[] {
  const docFile = join(dir, 'doc.json');
  const trace = join(dir, 'strace.txt');
  writeFileSync(docFile, JSON.stringify(doc));
  ns.exec('strace', '-qq', '-e', 'trace=sendmsg', '-e', 'write=3', '-o', trace, 'nft', '-j', '-f', docFile);
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    const b = Buffer.from(bytes);
    for (let i = 0; i + 16 <= b.length; ) {
      const len = b.readUInt32LE(i);
      if (b.readUInt16LE(i + 4) >> 8 === 10) out.push(b.subarray(i, i + len).toString('hex'));
      i += (len + 3) & ~3;
    }
    bytes = [];
  };
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const m = /^\s*\|\s+[0-9a-f]{5}\s+((?:[0-9a-f]{2}\s+)+)/.exec(line);
    if (m)
      bytes.push(
        ...m[1]!
          .trim()
          .split(/\s+/)
          .map((h) => Number.parseInt(h, 16)),
      );
    else if (bytes.length) flush();
  }
  if (bytes.length) flush();
  return out;
}

function listing(ns: TestNetns): unknown {
  return JSON.parse(nft(ns, '-j', 'list', 'ruleset'));
}

async function ruleCase(family: Family, rule: string): Promise<GoldenCase> {
  return withNetns(async (ns) => {
    const setup = ruleSetup(family);
    load(ns, setup);
    const ruleset = listing(ns);
    const [chain, ...rest] = rule.split(' ');
    nft(ns, 'add', 'rule', family, 't', chain!, ...splitWords(rest.join(' ')));
    const items = (listing(ns) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
    const listed = items.find((i) => 'rule' in i)!.rule!;
    delete listed.handle;
    const doc = { nftables: [{ add: { rule: listed } }] };
    load(ns, setup);
    return { name: `${family}: ${rule}`, setup, ruleset, doc, nft: capture(ns, doc) };
  });
}

/** Words as a shell would split them: "x " stays one word. */
function splitWords(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? `"${m[1]}"` : m[2]!));
}

async function docCase(name: string, setup: string, doc: unknown): Promise<GoldenCase> {
  return withNetns(async (ns) => {
    ns.ip('link', 'set', 'lo', 'up');
    load(ns, setup);
    const ruleset = listing(ns);
    return { name, setup, ruleset, doc, nft: capture(ns, doc) };
  });
}

const cases: GoldenCase[] = [];
try {
  for (const [family, rules] of Object.entries(RULES) as [Family, readonly string[]][]) {
    for (const rule of rules) cases.push(await ruleCase(family, rule));
  }
  for (const c of [...DOCS, ...RECIPES]) cases.push(await docCase(c.name, c.setup, c.doc));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const version = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim();
const text = `{\n  "producer": ${JSON.stringify(version)},\n  "cases": [\n${cases.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]\n}\n`;
if (dryRun) process.stdout.write(`would write ${OUT}: ${cases.length} cases\n`);
else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${OUT}: ${cases.length} cases\n`);
}
