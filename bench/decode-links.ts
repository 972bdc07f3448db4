/**
 * S1 decode without privileges: a synthetic 2001-link dump (bench/synthetic-links.ts: the recorded
 * veth RTM_NEWLINK with stats and af_spec, re-encoded per link) decoded the way
 * `links.list({ stats: true })` does it (Connection: a copy per datagram, decodeFrame per message,
 * toLink), with no socket.
 *
 *   npx tsx bench/decode-links.ts [--procs N] [--warm N] [--base DIR]
 *
 * Each of --procs (default 15) fresh processes (`node` on an esbuild bundle of
 * bench/decode-links-child.ts, as bench/run.ts runs its workers) reports:
 *   cold: the first decode of the dump in that process (families compile on first use, decoders
 *         are generated, nothing is optimised yet), and the second;
 *   warm: the median of the last half of --warm (default 300) further decodes.
 * Printed: the median over processes of each, and of decode-only (codec.decode of every datagram,
 * no Link objects) warm. --base DIR also bundles the child from another checkout (e.g. an older
 * commit: `git archive C | tar -x -C DIR`, plus bench/decode-links-child.ts and
 * bench/synthetic-links.ts copied in) and runs both, alternating process by process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packDatagrams, syntheticLinkDump } from './synthetic-links.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const procs = arg('--procs', 15);
const warm = arg('--warm', 300);
const baseIdx = argv.indexOf('--base');
const baseDir = baseIdx >= 0 ? path.resolve(argv[baseIdx + 1]!) : undefined;

const dgrams = syntheticLinkDump();
const dataFile = path.join(ROOT, `bench/.build/s1-links-${process.pid}.bin`);
mkdirSync(path.dirname(dataFile), { recursive: true });
writeFileSync(dataFile, packDatagrams(dgrams));

const { build } = await import('esbuild');
async function bundle(root: string, name: string): Promise<string> {
  const outfile = path.join(ROOT, `bench/.build/${name}.mjs`);
  await build({
    entryPoints: [path.join(root, 'bench/decode-links-child.ts')],
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
const trees: { name: string; bundle: string }[] = [];
if (baseDir) trees.push({ name: `base (${baseDir})`, bundle: await bundle(baseDir, 'decode-links-child-base') });
trees.push({ name: 'this tree', bundle: await bundle(ROOT, 'decode-links-child') });

type Run = { cold: number; second: number; warm: number; warmDecodeOnly: number; links: number; bytes: number };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const runs = trees.map(() => [] as Run[]);
for (let i = 0; i < procs; i++) {
  for (let k = 0; k < trees.length; k++) {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const out = execFileSync(process.execPath, [trees[k]!.bundle, dataFile, String(warm)], { env, encoding: 'utf8' });
    runs[k]!.push(JSON.parse(out.trim().split('\n').pop()!));
  }
}
rmSync(dataFile);
const r0 = runs[0]![0]!;
console.log(
  `${r0.links} links in ${dgrams.length} datagrams (${(r0.bytes / 1024).toFixed(0)} KiB); ${procs} processes per tree, ${warm} warm decodes each; medians (min-max) over processes, ms\n`,
);
console.log('| tree | cold (1st decode) | 2nd decode | warm | warm, decode only |\n|---|---:|---:|---:|---:|');
trees.forEach((t, k) => {
  const show = (key: 'cold' | 'second' | 'warm' | 'warmDecodeOnly') => {
    const v = runs[k]!.map((r) => r[key]);
    return `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)})`;
  };
  console.log(`| ${t.name} | ${show('cold')} | ${show('second')} | ${show('warm')} | ${show('warmDecodeOnly')} |`);
});
