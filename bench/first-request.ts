/**
 * The first request in a fresh process, broken down: Node's start, the library's import, the
 * socket (NetlinkClient.open(), ffi-rs), the first request, the second; for adds also the rest of
 * the first thousand (the cold JIT). Each run is a fresh `node` process on an esbuild bundle of
 * bench/first-request-child.ts (as the package's compiled JS runs: no tsx), inside one throwaway
 * namespace (veth0/veth1 up). Variants alternate run by run; medians (and min-max) reported.
 * Needs root.
 *
 *   npx tsx bench/first-request.ts [--runs 20] [--what add,list,get] [--split] [--base DIR] [--head DIR]
 *                                  [--json] [--cpu-prof]
 *
 * --split adds, per scenario, runs that do the first request's one-time parts one by one first
 * (spec compile, stamp or decoder generation), each timed. --base DIR also measures the checkout
 * in DIR (a copy of the tree before a change; this child is copied into it), alternating with
 * this one; --head DIR measures that copy instead of this checkout (e.g. the base plus only some
 * change, when others' work shares the tree). --cpu-prof adds one run per variant under
 * `node --cpu-prof` (50 µs sampling) into bench/results/prof/first-request/ (summarise with
 * bench/prof-summary.ts --from main).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const runs = Number(opt('--runs', '20'));
const whats = opt('--what', 'add,list,get').split(',');
const split = argv.includes('--split');
const base = argv.includes('--base') ? path.resolve(opt('--base', '')) : undefined;
const head = argv.includes('--head') ? path.resolve(opt('--head', '')) : ROOT;
if (process.getuid?.() !== 0) throw new Error('needs root (it creates a network namespace)');

const dir = path.join(ROOT, 'node_modules', '.cache', 'nlts-first-request', String(process.pid));
const ns = `nlts-first-${process.pid}`;
function cleanup(): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // not made yet, or gone
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));
mkdirSync(dir, { recursive: true });
// Bundled code resolves its packages (ffi-rs...) from the checkout's node_modules.
writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');

/** The child of one tree as a bundle, and an entry that times the import of it from Node's start. */
async function bundle(tree: string, label: string): Promise<string> {
  const child = path.join(tree, 'bench/first-request-child.ts');
  if (tree !== ROOT) copyFileSync(path.join(ROOT, 'bench/first-request-child.ts'), child);
  const work = path.join(dir, `work-${label}.mjs`);
  await build({
    entryPoints: [child],
    outfile: work,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  const entry = path.join(dir, `entry-${label}.mjs`);
  const load = `const t0 = performance.now();\nconst m = await import(${JSON.stringify(work)});\n`;
  writeFileSync(entry, `${load}await m.main(t0, performance.now(), JSON.parse(process.argv[2]));\n`);
  return entry;
}

const trees = [...(base ? [{ label: 'base', entry: await bundle(base, 'base') }] : []), { label: 'head', entry: await bundle(head, 'head') }];

execFileSync('ip', ['netns', 'add', ns]);
execFileSync('ip', ['-n', ns, '-batch', '-'], { input: 'link add veth0 type veth peer name veth1\nlink set veth0 up\nlink set veth1 up\n' });
const index = Number(execFileSync('ip', ['netns', 'exec', ns, 'cat', '/sys/class/net/veth0/ifindex'], { encoding: 'utf8' }));

interface Variant {
  tree: (typeof trees)[number];
  what: string;
  split: boolean;
  values: Map<string, number[]>;
}
const variants: Variant[] = whats.flatMap((what) =>
  (split ? [false, true] : [false]).flatMap((s) => trees.map((tree) => ({ tree, what, split: s, values: new Map<string, number[]>() }))),
);
const args = (v: Variant) => JSON.stringify({ what: v.what, split: v.split, index });
for (let i = 0; i < runs; i++) {
  for (const v of i % 2 ? [...variants].reverse() : variants) {
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, v.tree.entry, args(v)], { encoding: 'utf8', cwd: ROOT });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no RESULT line: ${out.slice(0, 300)}`);
    for (const [k, x] of Object.entries(JSON.parse(line.slice(7)) as Record<string, number>)) v.values.set(k, [...(v.values.get(k) ?? []), x]);
  }
  process.stderr.write(`\rrun ${i + 1}/${runs}`);
}
process.stderr.write('\n');
if (argv.includes('--cpu-prof')) {
  const profDir = path.join(ROOT, 'bench/results/prof/first-request');
  mkdirSync(profDir, { recursive: true });
  for (const v of variants) {
    const name = `${v.tree.label}-${v.what}${v.split ? '-split' : ''}.cpuprofile`;
    const flags = ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profDir, '--cpu-prof-name', name];
    execFileSync('ip', ['netns', 'exec', ns, process.execPath, ...flags, v.tree.entry, args(v)], { cwd: ROOT });
    process.stderr.write(`profile: ${path.join(profDir, name)}\n`);
  }
}

const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
if (argv.includes('--json')) {
  console.log(JSON.stringify(variants.map((v) => ({ tree: v.tree.label, what: v.what, split: v.split, values: Object.fromEntries(v.values) }))));
} else {
  console.log(`${runs} fresh processes per variant, alternating; ms unless marked: median (min-max)\n`);
  for (const what of whats) {
    for (const s of split ? [false, true] : [false]) {
      const vs = variants.filter((v) => v.what === what && v.split === s);
      console.log(`**${what}${s ? ', one-time parts first' : ''}**\n`);
      console.log(`| step | ${vs.map((v) => v.tree.label).join(' | ')} |\n|---|${vs.map(() => '---:').join('|')}|`);
      const keys = [...new Set(vs.flatMap((v) => [...v.values.keys()]))];
      for (const k of keys) {
        const cells = vs.map((v) => {
          const a = v.values.get(k);
          return a ? `${f(med(a))} (${f(Math.min(...a))}-${f(Math.max(...a))})` : '-';
        });
        console.log(`| ${k} | ${cells.join(' | ')} |`);
      }
      console.log('');
    }
  }
}
