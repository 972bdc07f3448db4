/**
 * bin/nlts.js runs the CLI bundle through vm.Script with the code cache the build wrote beside it
 * (docs/cli.md "Start-up"), and the bundle's `debug` loads the package only when DEBUG is set.
 * The packed package's run of the real bundle is in test/package/pack.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { debugWhenSet } from '../../src/deps/debug-when-set.js';

interface Loaded {
  script: Script;
  exports: Record<string, unknown>;
  cache: 'accepted' | 'rejected' | 'absent';
}
const LAUNCHER = fileURLToPath(new URL('../../bin/nlts.js', import.meta.url));
const { runBundle } = createRequire(import.meta.url)(LAUNCHER) as {
  runBundle: (file: string, cache?: string | null) => Loaded;
};

const dir = mkdtempSync(path.join(tmpdir(), 'nlts-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, code: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, code);
  return file;
}

describe('bin/nlts.js runBundle', () => {
  it('runs a bundle as a CommonJS module: its own file name, a require that resolves packages', () => {
    const code = "module.exports = { file: __filename, dir: __dirname, url: require('node:url').pathToFileURL(__filename).href };";
    const file = bundle('plain.cjs', code);
    const { exports, cache } = runBundle(file);
    expect(exports).toEqual({ file, dir, url: `file://${file}` });
    expect(cache).toBe('absent');
  });

  it('compiles from the code cache beside the bundle, and from source when V8 refuses the cache', () => {
    const file = bundle('cached.cjs', 'let n = 0; function count() { return ++n; } module.exports = { count: count() };');
    writeFileSync(`${file}.cache`, runBundle(file).script.createCachedData());
    // In fresh processes: this one's V8 would reuse what it compiled for the same text, cache or not.
    const fresh = () => {
      const probe = `const r = require(${JSON.stringify(LAUNCHER)}).runBundle(${JSON.stringify(file)}); console.log(r.cache, r.exports.count);`;
      const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(fresh()).toBe('accepted 1');
    writeFileSync(`${file}.cache`, Buffer.alloc(256, 7));
    expect(fresh()).toBe('rejected 1');
  });
});

describe("the CLI bundle's debug", () => {
  const never = () => {
    throw new Error('debug was loaded');
  };

  it('is off, without loading the package, when DEBUG is unset or empty', () => {
    for (const env of [{}, { DEBUG: '' }]) {
      const log = debugWhenSet(env, never)('netlink:socket');
      expect(log.enabled).toBe(false);
      expect(log('ignored %s', 'args')).toBeUndefined();
      expect(log.extend('sub').enabled).toBe(false);
      expect(log.extend('sub').namespace).toBe('netlink:socket:sub');
    }
  });

  it('is the package when DEBUG is set', () => {
    const real = createRequire(import.meta.url)('debug');
    expect(debugWhenSet({ DEBUG: 'netlink:*' }, () => real)).toBe(real);
  });
});
