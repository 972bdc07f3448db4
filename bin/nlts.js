#!/usr/bin/env node
// Launcher, CommonJS (bin/package.json): a CommonJS entry point spares Node its ES module loader.
// The published package holds no TypeScript (only dist/), so an installed nlts always runs the
// compiled CLI: one bundled file (dist/src/cli/nlts.cjs, made by scripts/build.mjs) compiled from
// the V8 code cache the build wrote beside it (docs/cli.md "Start-up"; docs/security.md says why
// nothing else is cached). Nothing in that depends on file times, which extraction does not keep in order.
// In a checkout (src/cli/main.ts present), the source runs through tsx, a dev dependency, when dist/
// is missing or older than a source (`npm run build` refreshes it), or when NLTS_SOURCE=1.
// NODE_DEBUG=nlts prints what ran.
'use strict';
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'src', 'cli', 'nlts.cjs');
const source = join(root, 'src', 'cli', 'main.ts');

/**
 * The CommonJS wrapper the bundle is compiled in. The build made the code cache for exactly this
 * text: V8 checks the source's length (not its content) before using a cache, so the cache is
 * only ever written together with its bundle (scripts/build.mjs) and read from beside it.
 */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

function trace(text) {
  if (/\bnlts\b/i.test(process.env.NODE_DEBUG || '')) process.stderr.write(`NLTS ${process.pid}: ${text}\n`);
}

/**
 * Compiles and runs the bundle as a CommonJS module, from `cache` (null: none) when V8 accepts it
 * (same V8 version and flags as the build's). Returns the vm.Script (the build makes the cache from
 * it), the module's exports, and what became of the cache: 'accepted', 'rejected' or 'absent'.
 */
function runBundle(file = built, cache = `${file}.cache`) {
  const { Script } = require('node:vm');
  const { createRequire } = require('node:module');
  // The build checks the bundle is ASCII, so latin1 reads it exactly, and skips UTF-8 decoding.
  const code = readFileSync(file, 'latin1');
  let cachedData;
  try {
    if (cache) cachedData = readFileSync(cache);
  } catch {
    // no cache: compile from source
  }
  const script = new Script(WRAPPER[0] + code + WRAPPER[1], { filename: file, cachedData });
  const status = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  trace(`${file}, code cache ${status}`);
  const module = { exports: {}, filename: file, id: file };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports, cache: status };
}

/**
 * Whether a .ts/.cjs under dir was modified after `stamp`: a stat of each, about 2 ms for this tree
 * (paths joined as strings: path.join's normalising doubled that).
 */
function newerThan(dir, stamp) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory() ? newerThan(p, stamp) : (e.name.endsWith('.ts') || e.name.endsWith('.cjs')) && statSync(p).mtimeMs > stamp) return true;
  }
  return false;
}

function fresh() {
  if (!existsSync(built)) return false;
  let stamp;
  try {
    stamp = statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
  return !newerThan(join(root, 'src'), stamp) && !newerThan(join(root, 'protocol'), stamp);
}

/** tsx's register(), or undefined when it is not installed (a checkout installed with --omit=dev). */
async function tsx() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

/** The bundle runs main() itself (src/cli/main.ts: its argv[1] is this file). */
async function start() {
  const register = existsSync(source) && (process.env.NLTS_SOURCE || !fresh()) ? await tsx() : undefined;
  if (register) {
    trace(`${source} through tsx`);
    register();
    await import(require('node:url').pathToFileURL(source).href);
  } else {
    if (existsSync(source) && !existsSync(built)) {
      process.stderr.write('nlts: no compiled CLI in dist/ and tsx is not installed: run `npm ci` (or `npm run build`)\n');
      process.exit(1);
    }
    runBundle();
  }
}

module.exports = { runBundle };
if (require.main === module) {
  // The installed package has no checkout to look at and nothing to wait for. A failure of start()
  // is an unhandled rejection: printed, exit code 1.
  if (!existsSync(source)) runBundle();
  else void start();
}
