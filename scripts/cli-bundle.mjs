// esbuild's options for the CLI bundle, dist/src/cli/nlts.cjs (scripts/build.mjs writes it and its
// code cache; test/cli/bundle.test.ts checks what `link show` initialises from them).
import { join } from 'node:path';

/** The CLI bundle's `debug` loads the package only when DEBUG is set (src/deps/debug-when-set.ts says why). */
function debugWhenSet(root) {
  const path = join(root, 'src', 'deps', 'debug-when-set.ts');
  return { name: 'debug-when-set', setup: (build) => build.onResolve({ filter: /[\\/]deps[\\/]debug\.js$/ }, () => ({ path })) };
}

/** nl.ethtool, nl.genl and nl.nftables initialise their modules on first use (src/api/family-apis-lazy.ts). */
function lazyFamilyApis(root) {
  const path = join(root, 'src', 'api', 'family-apis-lazy.ts');
  return { name: 'lazy-family-apis', setup: (build) => build.onResolve({ filter: /[\\/]family-apis\.js$/ }, () => ({ path })) };
}

/**
 * `node:perf_hooks` for the bundle: the library reads only performance.now() (request deadlines),
 * and loading Node's perf_hooks module costs a one-shot command ~0.45 ms. process.uptime() is the
 * same monotonic clock (uv_hrtime), in seconds. Another import from it fails the build.
 */
function perfHooksNow() {
  const contents = 'export const performance = { now: () => process.uptime() * 1000 };\n';
  return {
    name: 'perf-hooks-now',
    setup(build) {
      build.onResolve({ filter: /^(node:)?perf_hooks$/ }, () => ({ path: 'perf_hooks', namespace: 'nlts-perf-hooks' }));
      build.onLoad({ filter: /.*/, namespace: 'nlts-perf-hooks' }, () => ({ contents, loader: 'js' }));
    },
  };
}

/** Everything but where the output goes. */
export function cliBundleOptions(root) {
  return {
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The dependencies stay packages (ffi-rs is native; yaml and dagre load on first use), and
    // import() of one becomes a require(): a vm.Script (bin/nlts.js) has no module loader to import with.
    packages: 'external',
    supported: { 'dynamic-import': false },
    // Every module's import.meta.url is the bundle's: createRequire() resolves from it, and the
    // netns helper is found from it (src/netns/helper-spawn.ts).
    define: { 'import.meta.url': '__nlts_bundle_url' },
    banner: { js: 'var __nlts_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [debugWhenSet(root), lazyFamilyApis(root), perfHooksNow()],
    // Whitespace only (names stay readable in stack traces): a third less to read, and no comments,
    // so that with charset ascii the file is ASCII.
    minifyWhitespace: true,
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'warning',
  };
}
