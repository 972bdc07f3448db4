#!/usr/bin/env node
// Launcher. The published package holds no TypeScript (only dist/), so an installed nlts always runs
// the compiled CLI: nothing in it depends on file times, which extraction does not keep in order.
// In a checkout (src/cli/main.ts present), the source runs through tsx, a dev dependency, when dist/
// is missing or older than a source (`npm run build` refreshes it), or when NLTS_SOURCE=1.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
const source = join(root, 'src', 'cli', 'main.ts');

/** Newest .ts/.cjs modification time under dir (about a millisecond for this tree). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|cjs)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function fresh() {
  if (!existsSync(built)) return false;
  let stamp;
  try {
    stamp = statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
  return newest(join(root, 'src')) <= stamp && newest(join(root, 'protocol')) <= stamp;
}

/** tsx's register(), or undefined when it is not installed (a checkout installed with --omit=dev). */
async function tsx() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) && (process.env.NLTS_SOURCE || !fresh()) ? await tsx() : undefined;
if (register) {
  register();
  await import(pathToFileURL(source).href);
} else {
  if (existsSync(source) && !existsSync(built)) {
    process.stderr.write('nlts: no compiled CLI in dist/ and tsx is not installed: run `npm ci` (or `npm run build`)\n');
    process.exit(1);
  }
  await import(pathToFileURL(built).href);
}
