/**
 * A/B: the netlink-ts bench worker (bench/workers/nlts.ts) at two revisions, alternated in fresh
 * processes on one throwaway namespace, medians side by side. For "did this change help?" on a
 * VM whose speed drifts by the minute: both sides see the same minutes. Needs root.
 *
 *   npx tsx bench/ab.ts BASE [REV...] [--scenario links|routes|addr|addrname|veth|linkevents] [--runs 10] [--same-worker]
 *
 * More revisions than two (up to 8) are measured side by side in the same alternation, each
 * against BASE: a bisection in one run.
 *
 * --same-worker runs this checkout's bench/workers/nlts.ts on both sides (each over its own
 * revision's library), so measures added since BASE (CPU times) exist on both; the worker must
 * still compile against BASE's API.
 *
 * BASE and HEAD are git revisions; HEAD defaults to the working tree. Each side is bundled with
 * esbuild from a `git worktree` of its revision (the working tree as it is), so a comparison
 * includes uncommitted changes only on the working-tree side. BASE may also be a directory: a copy
 * of a tree (e.g. the working tree before a change, when others' uncommitted work shares it).
 *
 *   links   1000 veth pairs (S1): first dump, median of repeat dumps, names read (as S1 reads them),
 *           and of as many more with every field of every object read by name, then enumerated (ms)
 *   routes  10k /32 routes (S2): the same
 *   addr    1000 addresses one at a time by index, both passes, and batched (µs/op, S3)
 *   addrname  the same with the link given by name
 *   veth    200 veth pairs created then deleted (ms/op, S4)
 *   linkevents  a Monitor's CPU for the 900 link events of 300 veth pairs made and set up
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const revs: string[] = [];
let scenario = 'links';
let runs = 10;
let sameWorker = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--scenario') scenario = argv[++i]!;
  else if (a === '--runs') runs = Number(argv[++i]);
  else if (a === '--same-worker') sameWorker = true;
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else revs.push(a);
}
if (revs.length < 1 || revs.length > 8 || !['links', 'routes', 'addr', 'addrname', 'veth', 'linkevents'].includes(scenario) || !(runs > 0)) usage('');
if (process.getuid?.() !== 0) usage('needs root (it creates a network namespace)');

function usage(why: string): never {
  console.error(
    `${why ? why + '\n' : ''}usage: npx tsx bench/ab.ts BASE [REV...] [--scenario links|routes|addr|addrname|veth|linkevents] [--runs N] [--same-worker]`,
  );
  process.exit(2);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nlts-ab-'));
const ns = `nlts-ab-${process.pid}`;
const worktrees: string[] = [];
const bundles: string[] = [];

function cleanup(): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // not made yet, or gone
  }
  for (const w of worktrees.splice(0)) {
    try {
      execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', w], { stdio: 'ignore' });
    } catch {
      // already removed
    }
  }
  for (const b of bundles.splice(0)) rmSync(b, { force: true });
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));

/** The worker of one revision as one ESM file; dependencies resolve from this checkout's node_modules. */
async function bundle(rev: string | undefined, label: string): Promise<string> {
  let src = ROOT;
  if (rev !== undefined && existsSync(path.join(rev, 'bench/workers/nlts.ts'))) {
    src = path.resolve(rev);
    if (sameWorker) copyFileSync(path.join(ROOT, 'bench/workers/nlts.ts'), path.join(src, 'bench/workers/nlts.ts'));
  } else if (rev !== undefined) {
    src = path.join(tmp, `tree-${label}`);
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', src, rev], { stdio: 'ignore' });
    worktrees.push(src);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
    // The same measurements on both sides: this checkout's worker over that revision's library.
    if (sameWorker) copyFileSync(path.join(ROOT, 'bench/workers/nlts.ts'), path.join(src, 'bench/workers/nlts.ts'));
  }
  const outfile = path.join(ROOT, 'node_modules', '.cache', 'nlts-ab', `${process.pid}-${label}.mjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  bundles.push(outfile);
  await build({
    entryPoints: [path.join(src, 'bench/workers/nlts.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

function setup(): { args: object; read: (r: any) => Record<string, number> } {
  const lines: string[] = [];
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  if (scenario === 'links') {
    for (let i = 0; i < 1000; i++) lines.push(`link add v${i}a type veth peer name v${i}b`);
  } else if (scenario !== 'veth') {
    lines.push('link add veth0 type veth peer name veth1', 'link set veth0 up', 'link set veth1 up');
    if (scenario === 'routes') {
      lines.push('addr add 192.0.2.1/24 dev veth0');
      for (let i = 0; i < 10000; i++) lines.push(`route add 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 192.0.2.2`);
    }
  }
  execFileSync('ip', ['netns', 'add', ns]);
  if (lines.length) execFileSync('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (scenario === 'links' || scenario === 'routes') {
    return {
      args: { mode: 'dump', what: scenario, repeats: 15 },
      read: (r) => ({
        'first (ms)': r.first,
        'repeat (ms)': median(r.repeat),
        ...(r.repeatAll
          ? { 'repeat, every field read by name (ms)': median(r.repeatFields), 'repeat, every field enumerated (ms)': median(r.repeatAll) }
          : {}),
      }),
    };
  }
  if (scenario === 'addr' || scenario === 'addrname') {
    const us = (ms: number, n: number) => (ms / n) * 1000;
    return {
      args: { mode: 'addr', n: 1000, dev: 'veth0', byIndex: scenario === 'addr' },
      read: (r) => ({
        'add (µs)': us(r.add, r.n),
        'delete (µs)': us(r.del, r.n),
        'add 2nd pass (µs)': us(r.warmAdd, r.n),
        'delete 2nd pass (µs)': us(r.warmDel, r.n),
        'batch add (µs)': us(r.batchAdd, r.n),
        'batch delete (µs)': us(r.batchDel, r.n),
        // Workers before this measure gave no CPU times (--same-worker gives every side this one).
        ...(r.addCpu === undefined
          ? {}
          : {
              'add CPU (µs)': us(r.addCpu, r.n),
              'delete CPU (µs)': us(r.delCpu, r.n),
              'add 2nd pass CPU (µs)': us(r.warmAddCpu, r.n),
              'delete 2nd pass CPU (µs)': us(r.warmDelCpu, r.n),
            }),
      }),
    };
  }
  if (scenario === 'linkevents') {
    return {
      args: { mode: 'linkevents', n: 300 },
      read: (r) => {
        if (r.events < 3 * r.n) throw new Error(`${r.events} link events of ${3 * r.n}`);
        return { 'monitor CPU (ms)': r.cpuMs };
      },
    };
  }
  return { args: { mode: 'veth', n: 200, prefix: 'ab' }, read: (r) => ({ 'create (ms)': r.add / r.n, 'delete (ms)': r.del / r.n }) };
}

function run(file: string, args: object): any {
  const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, file, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line from ${file}: ${out.slice(0, 200)}`);
  return JSON.parse(line.slice(7));
}

// BASE, then each further revision (or the working tree when only BASE is given).
const named = revs.length === 1 ? [revs[0], undefined] : revs;
const sides: { name: string; file: string }[] = [];
for (const [i, rev] of named.entries()) sides.push({ name: rev ?? 'working tree', file: await bundle(rev, `side${i}`) });
const { args, read } = setup();
const values = sides.map(() => new Map<string, number[]>());
for (let i = 0; i < runs; i++) {
  // Alternate which side goes first, so neither always runs right after the namespace's last change.
  const order = sides.map((_, k) => k);
  if (i % 2 === 1) order.reverse();
  for (const s of order) {
    for (const [k, v] of Object.entries(read(run(sides[s]!.file, args)))) {
      const list = values[s]!.get(k) ?? [];
      list.push(v);
      values[s]!.set(k, list);
    }
  }
  process.stderr.write(`\rrun ${i + 1}/${runs}`);
}
process.stderr.write('\n');

const stats = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return { min: s[0]!, med: s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2, max: s[s.length - 1]! };
};
const f = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
console.log(`${scenario}, ${runs} alternating runs per side, fresh process each (min / median / max)\n`);
const rest = sides.slice(1);
console.log(`| measure | ${sides.map((s) => s.name).join(' | ')} | ${rest.map((s) => `${s.name} ÷ ${sides[0]!.name}`).join(' | ')} |`);
console.log(`|---|${sides.map(() => '---:|').join('')}${rest.map(() => '---:|').join('')}`);
for (const k of values[0]!.keys()) {
  const st = values.map((v) => stats(v.get(k)!));
  const cells = st.map((a) => `${f(a.min)} / **${f(a.med)}** / ${f(a.max)}`);
  const ratios = st.slice(1).map((b) => (b.med / st[0]!.med).toFixed(2));
  console.log(`| ${k} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
}
