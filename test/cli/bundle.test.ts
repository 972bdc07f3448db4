/**
 * What the CLI bundle (scripts/cli-bundle.mjs, written by scripts/build.mjs) runs for
 * `nlts link show`: the modules it initialises, read from esbuild's metafile of the bundle.
 * bin/nlts.js's loading of the bundle is test/cli/launcher.test.ts; the packed package's run of
 * the real bundle is test/package/pack.test.ts.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Metafile, build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface CliBundle {
  cliBundleOptions(root: string): Parameters<typeof build>[0];
}
let cli: CliBundle;
let meta: Metafile;

beforeAll(async () => {
  // A plain ES module of the build (no types): imported by URL.
  cli = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'cli-bundle.mjs')).href)) as CliBundle;
  const out = path.join(ROOT, 'dist', 'bundle-test-not-written.cjs');
  meta = (await build({ ...cli.cliBundleOptions(ROOT), outfile: out, write: false, metafile: true, logLevel: 'silent' })).metafile;
}, 60_000);

/**
 * The modules that run when `roots` run: in esbuild's bundle a module runs its static imports
 * first, and a module reached by import() or require() only when that call is made.
 */
function eager(roots: string[]): { modules: Set<string>; builtins: Set<string> } {
  const modules = new Set<string>();
  const builtins = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (modules.has(file)) continue;
    const input = meta.inputs[file];
    if (!input) throw new Error(`${file} is not in the bundle`);
    modules.add(file);
    for (const i of input.imports) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) builtins.add(i.path);
      else todo.push(i.path);
    }
  }
  return { modules, builtins };
}

describe('the CLI bundle', () => {
  it('`nlts link show` initialises no nftables, ethtool, genl, topology or pcap module, and not perf_hooks', () => {
    // main, the command, and the client it opens (src/cli/client.ts, imported on first use).
    const { modules, builtins } = eager(['src/cli/main.ts', 'src/cli/commands/link.ts', 'src/cli/client.ts']);
    expect(modules).toContain('src/api/client.ts');
    const rare = /^src\/(nft|topology|pcap|genl)\/|^src\/api\/(nftables|ethtool|genl)[.-]|^protocol\/(nf-tables|ethtool|nlctrl)/;
    expect([...modules].filter((m) => rare.test(m))).toEqual([]);
    expect([...builtins].filter((b) => /perf_hooks/.test(b))).toEqual([]);
  });

  it('`nlts link show` loads neither node:net nor node:stream (the socket makes its stream on first need)', () => {
    const { builtins } = eager(['src/cli/main.ts', 'src/cli/commands/link.ts', 'src/cli/client.ts']);
    expect([...builtins].filter((b) => /^(node:)?(net|stream|tty)(\/|$)/.test(b))).toEqual([]);
  });

  it('still holds the families, initialised on first use of nl.nftables, nl.ethtool, nl.genl', () => {
    const lazy = meta.inputs['src/api/family-apis-lazy.ts']?.imports ?? [];
    expect(lazy.filter((i) => i.kind === 'require-call').map((i) => i.path)).toEqual(
      expect.arrayContaining(['src/api/nftables.ts', 'src/api/ethtool.ts', 'src/api/genl.ts']),
    );
    expect(Object.keys(meta.inputs)).not.toContain('src/api/family-apis.ts');
  });
});
