/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`, e.g. `bench/run.ts --cpu-prof`):
 * self and inclusive time per function and self time per file, as markdown.
 *
 *   npx tsx bench/prof-summary.ts [--top N] [--from FUNCTION] FILE.cpuprofile...
 *
 * --from restricts the totals to samples under a function (e.g. --from dump to leave start-up out).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
let top = 25;
let from: string | undefined;
const files: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--top') top = Number(argv[++i]);
  else if (argv[i] === '--from') from = argv[++i];
  else files.push(argv[i]!);
}
if (files.length === 0) {
  console.error('usage: npx tsx bench/prof-summary.ts [--top N] [--from FUNCTION] FILE.cpuprofile...');
  process.exit(2);
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** For an esbuild bundle: the `// src/file.ts` comments that start each module, by line. */
const bundleModules = new Map<string, { line: number; file: string }[]>();
function moduleAt(file: string, line: number): string | undefined {
  if (!file.endsWith('.mjs') || !file.includes('/.build/')) return undefined;
  let mods = bundleModules.get(file);
  if (!mods) {
    mods = [];
    try {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((l, i) => {
          const m = /^\/\/ (\S+\.ts)$/.exec(l);
          if (m) mods!.push({ line: i, file: m[1]! });
        });
    } catch {
      // not readable: plain positions
    }
    bundleModules.set(file, mods);
  }
  let found: string | undefined;
  for (const m of mods) if (m.line <= line) found = m.file;
  return found;
}
function where(cf: Node['callFrame']): string {
  let u = cf.url.replace(/^file:\/\//, '');
  const mod = moduleAt(u, cf.lineNumber);
  if (u.startsWith(root)) u = u.slice(root.length + 1);
  u = u.replace(/^.*node_modules\//, '');
  if (mod) return `${mod} (bundle:${cf.lineNumber + 1})`;
  if (u) return `${u}:${cf.lineNumber + 1}`;
  // No script: a native function, or code compiled at run time (new Function).
  return /^[a-z_$][\w$]*$/i.test(cf.functionName) && cf.lineNumber >= 0 ? '(no script: native or new Function)' : '(native)';
}
function fileOf(cf: Node['callFrame']): string {
  const w = where(cf);
  return w.startsWith('(') ? `(${cf.functionName || 'native'})` : w.replace(/ \(bundle:\d+\)$/, '').replace(/:\d+$/, '');
}

for (const file of files) {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame)}`;

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000; // ms
    let n = byId.get(prof.samples[i]!)!;
    const leaf = n;
    // the stack, leaf first
    const stack: Node[] = [];
    for (let cur: Node | undefined = n; cur; cur = byId.get(parent.get(cur.id) ?? -1)) stack.push(cur);
    if (from && !stack.some((s) => s.callFrame.functionName === from)) continue;
    const name = leaf.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      self.set(name, (self.get(name) ?? 0) + dt);
      total += dt;
      continue;
    }
    total += dt;
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt);
    perFile.set(fileOf(leaf.callFrame), (perFile.get(fileOf(leaf.callFrame)) ?? 0) + dt);
    const seen = new Set<string>();
    for (const s of stack) {
      const k = key(s);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
    n = leaf;
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `| ${v.toFixed(1)} | ${((100 * v) / total).toFixed(1)}% | ${k.replace(/\|/g, '\\|')} |`);
  console.log(`\n## ${path.basename(file)}: ${total.toFixed(0)} ms sampled${from ? ` under ${from}()` : ''}\n`);
  console.log('Self time by function:\n\n| ms | % | function |\n|---:|---:|---|');
  console.log(rows(self, top).join('\n'));
  console.log('\nSelf time by file:\n\n| ms | % | file |\n|---:|---:|---|');
  console.log(rows(perFile, Math.min(top, 15)).join('\n'));
  console.log('\nInclusive time by function:\n\n| ms | % | function |\n|---:|---:|---|');
  console.log(rows(new Map([...incl.entries()].filter(([k]) => !k.startsWith('(root)'))), top).join('\n'));
}
