#!/usr/bin/env node
// `npm run build` (also run by `prepare`, so by `npm ci` and `npm pack`): dist/ from src/ and protocol/.
// Exits non-zero and leaves no dist/ when tsc reports an error (tsconfig.build.json: noEmitOnError).
// dist/.built carries the build's START time, so a source saved while tsc ran still reads as newer
// (bin/nlts.js compares them in a checkout).
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const started = new Date();

// A clean dist/: files of deleted or renamed modules must not be published.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  console.error(`build failed: tsc ${r.error ? r.error.message : `exited ${r.status ?? r.signal}`}`);
  process.exit(1);
}
// The namespace helper is plain CommonJS run by path (src/netns/enter.ts looks beside the module).
copyFileSync(join(root, 'src', 'netns', 'helper.cjs'), join(dist, 'src', 'netns', 'helper.cjs'));
const stamp = join(dist, '.built');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
