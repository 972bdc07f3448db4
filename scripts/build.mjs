#!/usr/bin/env node
// `npm run build` (also run by `prepare`, so by `npm ci` and `npm pack`): dist/ from src/ and protocol/:
// tsc's declaration files, the library as ES module bundles (bundleLib below) and the CLI bundled
// into one file with its V8 code cache (bundleCli below).
// Exits non-zero and leaves no dist/ when tsc reports an error (tsconfig.build.json: noEmitOnError).
// dist/.built carries the build's START time, so a source saved while tsc ran still reads as newer
// (bin/nlts.js compares them in a checkout).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const started = new Date();

// A clean dist/: files of deleted or renamed modules must not be published.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
// Declarations only: the JavaScript that runs is esbuild's (bundleLib, bundleCli); tsc type-checks.
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly'], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  console.error(`build failed: tsc ${r.error ? r.error.message : `exited ${r.status ?? r.signal}`}`);
  process.exit(1);
}
// The namespace helper is plain CommonJS run by path (src/netns/helper-spawn.ts looks beside the module).
copyFileSync(join(root, 'src', 'netns', 'helper.cjs'), join(dist, 'src', 'netns', 'helper.cjs'));
for (const [what, bundle] of [
  ['the library', bundleLib],
  ['the CLI', bundleCli],
]) {
  try {
    await bundle();
  } catch (err) {
    rmSync(dist, { recursive: true, force: true });
    console.error(`build failed: bundling ${what}: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
const stamp = join(dist, '.built');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);

/**
 * The library as ES modules bundled by esbuild into dist/src/lib/: an entry file per subpath of
 * package.json `exports` (its `default`), core.js with the code index.js imports, and chunks for
 * the rest and for each module the library loads on first use. `import 'netlink-ts'` reads two
 * files instead of ~150 ES modules (docs/benchmarks.md). scripts/lib-bundle.mjs has the steps.
 */
async function bundleLib() {
  const { bundleLib: bundle } = await import('./lib-bundle.mjs');
  await bundle(root, await import('esbuild'));
}

/**
 * The CLI as one CommonJS file, dist/src/cli/nlts.cjs, which bin/nlts.js runs, and V8's code cache
 * for it beside it: a CLI process reads one file instead of resolving and compiling ~110 ES modules
 * (docs/cli.md "Start-up"). esbuild is a dev
 * dependency: a build runs in a checkout, never from the installed package. The options are in
 * scripts/cli-bundle.mjs, which test/cli/bundle.test.ts reads too.
 */
async function bundleCli() {
  const { build } = await import('esbuild');
  const { cliBundleOptions } = await import('./cli-bundle.mjs');
  const outfile = join(dist, 'src', 'cli', 'nlts.cjs');
  await build({ ...cliBundleOptions(root), outfile });
  if (readFileSync(outfile).some((b) => b > 0x7f)) throw new Error(`${outfile} is not ASCII (bin/nlts.js reads it as latin1)`);
  await writeCodeCache(outfile);
}

/**
 * V8's code cache for the bundle, made in this process after running the common reads (link,
 * address and route show, in JSON and as text) with their output dropped, so that it holds the
 * functions such commands compile, not only the top level (the larger cache costs `link show`
 * nothing measurable). V8 takes it only under the same V8 version and flags (bin/nlts.js compiles
 * from source otherwise). Without a netlink socket here the commands fail and the cache holds
 * less; the build goes on.
 */
async function writeCodeCache(bundle) {
  const { runBundle } = createRequire(import.meta.url)('../bin/nlts.js');
  const { script, exports } = runBundle(bundle, null);
  for (const argv of ['link show', 'address show', 'route show'].flatMap((c) => [['-j', ...c.split(' ')], c.split(' ')])) {
    const code = await exports.main(argv, { out: () => undefined });
    if (code !== 0) console.warn(`build: \`nlts ${argv.join(' ')}\` failed while making the code cache (exit ${code})`);
  }
  writeFileSync(`${bundle}.cache`, script.createCachedData());
}
