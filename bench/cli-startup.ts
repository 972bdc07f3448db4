/**
 * Start-up cost of the CLI: wall time of `nlts -j link show` (through tsx, and from the compiled
 * dist/ when built) against `ip -j link show`, runs interleaved round-robin so drift hits every
 * variant alike; medians reported. Read-only: it lists the links of the current namespace.
 *
 *   npx tsx bench/cli-startup.ts [--runs N] [--build] [--json]
 *
 * --build runs `npm run build` first so the dist/ variant is measured on fresh output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const runs = Math.max(15, Number(argv[argv.indexOf('--runs') + 1]) || 21);
const json = argv.includes('--json');

if (argv.includes('--build')) execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });

interface Variant {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  times: number[];
}

const bin = join(root, 'bin', 'nlts.js');
const variants: Variant[] = [
  { name: 'ip -j link show', cmd: 'ip', args: ['-j', 'link', 'show'], times: [] },
  {
    name: 'nlts -j link show (tsx, source)',
    cmd: process.execPath,
    args: [bin, '-j', 'link', 'show'],
    env: { ...process.env, NLTS_SOURCE: '1' },
    times: [],
  },
  { name: 'node -e 0 (floor)', cmd: process.execPath, args: ['-e', '0'], times: [] },
];
const distMain = join(root, 'dist', 'src', 'cli', 'main.js');
if (existsSync(distMain)) {
  variants.splice(2, 0, { name: 'nlts -j link show (dist ES modules)', cmd: process.execPath, args: [distMain, '-j', 'link', 'show'], times: [] });
}
// What bin/nlts.js runs from a fresh dist/: the bundle, from its code cache (scripts/build.mjs).
const bundle = join(root, 'dist', 'src', 'cli', 'nlts.cjs');
if (existsSync(bundle)) {
  const loaded = `require(${JSON.stringify(bin)}).runBundle(${JSON.stringify(bundle)})`;
  const run = `${loaded}.exports.main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
  const args = ['-e', run, '--', '-j', 'link', 'show'];
  variants.splice(2, 0, { name: 'nlts -j link show (dist bundle + code cache)', cmd: process.execPath, args, times: [] });
}

function once(v: Variant): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(v.cmd, v.args, { env: v.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${v.name} failed (${r.status}): ${r.stderr.toString().trim()}`);
  return ms;
}

// One warm-up each (page cache, tsx's transform cache), then interleaved runs.
for (const v of variants) once(v);
for (let i = 0; i < runs; i++) for (const v of variants) v.times.push(once(v));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

const rows = variants.map((v) => ({
  name: v.name,
  runs: v.times.length,
  median: quantile(v.times, 0.5),
  p10: quantile(v.times, 0.1),
  p90: quantile(v.times, 0.9),
  min: Math.min(...v.times),
}));
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`CLI start-up, ${runs} interleaved runs each (ms)\n`);
  console.log('| command | median | p10 | p90 | min |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p10.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.min.toFixed(1)} |`);
  if (!existsSync(distMain)) console.log('\n(no dist/: run with --build to measure the compiled CLI)');
}
