// The library's ES module bundle, dist/src/lib/: esbuild's options and the relinking step after it
// (bundleLib, which scripts/build.mjs runs; test/package/pack.test.ts checks what the installed
// package loads from it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';

/** Where the bundle goes: beside dist/src/netns, where src/netns/helper-spawn.ts looks for helper.cjs. */
export const LIB_DIR = 'dist/src/lib';

/**
 * package.json's entry points, read from its `exports`: each subpath's source (from its `types`,
 * tsc's declaration file: ./dist/src/conn/index.d.ts -> src/conn/index.ts) and its bundle file
 * (its `default`, a file directly in LIB_DIR). The build writes exactly what package.json names.
 */
export function libEntryPoints(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = [];
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const types = /^\.\/dist\/(.+)\.d\.ts$/.exec(target.types ?? '');
    const out = posix.relative(LIB_DIR, posix.normalize(target.default ?? ''));
    if (!types || out.includes('/') || !out.endsWith('.js')) {
      throw new Error(`package.json exports["${sub}"]: expected types ./dist/<source>.d.ts and default ./${LIB_DIR}/<name>.js`);
    }
    entries.push({ in: join(root, `${types[1]}.ts`), out: out.slice(0, -'.js'.length) });
  }
  return entries;
}

/** Everything but where the output goes. */
export function libBundleOptions(root) {
  return {
    entryPoints: libEntryPoints(root),
    bundle: true,
    // All entry points at once, code they share in shared chunks: a class has one identity whichever
    // subpath it came through. A module loaded by `await import()` stays in a chunk of its own, loaded then.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The dependencies stay packages; createRequire(import.meta.url) resolves them from any chunk.
    packages: 'external',
    // One directory: every module's import.meta.url is a file in dist/src/lib (src/netns/helper-spawn.ts).
    chunkNames: 'chunk-[hash]',
    // Names and line breaks kept (stack traces read as the source), comments dropped.
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/**
 * esbuild splits shared code into a chunk per set of entry points that reach it, lazy import()
 * targets included: `import 'netlink-ts'` would read ~30 files. So two steps. First the split build
 * (in memory). Then the chunks index.js imports statically, all loaded with it anyway, become one
 * file, core.js, evaluated in the order index.js evaluated them, and every other file (the other
 * entry points, the chunks of lazy modules) is relinked by esbuild to import them from core.js.
 * A chunk's export names are its own (two chunks may both export an `openPath`), so core.js exports
 * each under its chunk's prefix (c3_openPath) and the relinked files import it back under its name.
 * Each module is still one instance (one class identity); lazy modules still load on first use.
 * Returns the files written, by name.
 */
export async function bundleLib(root, esbuild) {
  const outdir = join(root, LIB_DIR);
  const split = await esbuild.build({ ...libBundleOptions(root), outdir, absWorkingDir: root, write: false, metafile: true });
  const text = new Map(split.outputFiles.map((f) => [basename(f.path), f.text]));
  const outputs = new Map(Object.entries(split.metafile.outputs).map(([k, o]) => [basename(k), o]));
  const core = new Map(coreChunks(outputs).map((name, i) => [name, { prefix: `c${i}_`, exports: outputs.get(name).exports }]));
  const relink = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', write: false, logLevel: 'warning' };
  const out = new Map();
  const whole = await esbuild.build({ ...relink, entryPoints: ['./core.js'], outfile: 'core.js', plugins: [relinker(root, text, core, true)] });
  out.set('core.js', whole.outputFiles[0].text);
  for (const name of [...text.keys()].filter((n) => !core.has(n))) {
    const r = await esbuild.build({ ...relink, entryPoints: [`./${name}`], outfile: name, plugins: [relinker(root, text, core, false)] });
    out.set(name, r.outputFiles[0].text);
  }
  mkdirSync(outdir, { recursive: true });
  for (const [name, code] of out) writeFileSync(join(outdir, name), code);
  return out;
}

/** The chunks index.js imports statically, in the order they are evaluated (dependencies first). */
function coreChunks(outputs) {
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const i of outputs.get(name)?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(basename(i.path));
    order.push(name);
  };
  visit('index.js');
  return order.filter((n) => n !== 'index.js');
}

/**
 * Resolves the split build's files from memory. For core.js (`inCore`), a core chunk is its own
 * text; elsewhere it is a re-export of its names from core.js. Other chunks stay files (external).
 */
function relinker(root, text, core, inCore) {
  const mem = (path, contents) => ({ path, namespace: 'nlts-lib', pluginData: contents });
  const names = (c, exported) => c.exports.map((e) => (exported ? `${e} as ${c.prefix}${e}` : `${c.prefix}${e} as ${e}`)).join(', ');
  const coreSource = [...core].map(([name, c]) => `export { ${names(c, true)} } from './${name}';\n`).join('');
  return {
    name: 'nlts-lib-relink',
    setup(b) {
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (a) => {
        const name = a.path.slice(2);
        const c = core.get(name);
        if (a.kind === 'entry-point') return mem(name, name === 'core.js' ? coreSource : text.get(name));
        if (!c || name === 'core.js') return { path: a.path, external: true };
        if (a.kind === 'dynamic-import') throw new Error(`${a.importer} imports the static chunk ${name} on demand`);
        return inCore ? mem(name, text.get(name)) : mem(`re-export of ${name}`, `export { ${names(c, false)} } from './core.js';\n`);
      });
      // (packages: 'external' keeps the dependencies as they are, from the package's root)
      b.onLoad({ filter: /.*/, namespace: 'nlts-lib' }, (a) => ({ contents: a.pluginData, loader: 'js', resolveDir: root }));
    },
  };
}
