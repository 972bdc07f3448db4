#!/usr/bin/env node
// Launcher: the compiled CLI (dist/, from `npm run build`) when it is there and no source is newer
// than the build, else the TypeScript source via tsx. NLTS_SOURCE=1 forces the source.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');

/** Newest .ts modification time under dir (about a millisecond for this tree). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function fresh() {
  if (!existsSync(built)) return false;
  if (!existsSync(join(root, 'src'))) return true;
  let stamp;
  try {
    stamp = statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
  return newest(join(root, 'src')) <= stamp && newest(join(root, 'protocol')) <= stamp;
}

if (!process.env.NLTS_SOURCE && fresh()) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
