/**
 * The published package as an npm user gets it: `npm pack` (in a copy of this tree, so the
 * checkout's own dist/ is not rebuilt under other tests), installed WITHOUT dev dependencies into
 * a scratch project, imported from ESM and CommonJS, type-checked under strict `module: nodenext`
 * and run as `npx nlts`. Skipped, with the reason printed, only when npm cannot reach the registry.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privileged, TEST_NS_PREFIX } from '../support/netns.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** What `npm pack` needs to build the package (the `files` of package.json and the build's inputs). */
const TREE = ['package.json', 'package-lock.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'docs', 'protocol', 'scripts', 'src'];
/** npm errors that mean "no registry here", the only reason to skip. */
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|offline|socket hang up/i;

let work = '';
let consumer = '';
let skipReason: string | undefined;
let packed: { filename: string; files: { path: string }[] };

/** The environment without the npm_* variables of an enclosing `npm test` (npm_config_local_prefix would point nested npm here). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'nlts-pack-'));
  const tree = path.join(work, 'tree');
  consumer = path.join(work, 'consumer');
  mkdirSync(tree);
  mkdirSync(consumer);
  for (const f of TREE) if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(tree, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));

  // `npm pack` runs the package's own build (prepare), as publishing does.
  const out = ok(run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], tree), 'npm pack');
  packed = (JSON.parse(out.slice(out.indexOf('['))) as (typeof packed)[])[0]!;

  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'nlts-consumer', version: '1.0.0', private: true }));
  const args = ['install', path.join(work, packed.filename), '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  const r = run('npm', args, consumer);
  if (r.status !== 0 && NETWORK.test(`${r.stderr}${r.error?.message ?? ''}`)) {
    skipReason = `npm cannot reach the registry: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
    console.warn(`test/package/pack.test.ts skipped: ${skipReason}`);
    return;
  }
  ok(r, 'npm install of the packed package');
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed without dev dependencies', () => {
  it('ships compiled code only: no TypeScript sources, the netns helper beside its module, tsx not a dependency', () => {
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['bin/nlts.js', 'dist/src/lib/index.js', 'dist/src/index.d.ts', 'dist/src/netns/helper.cjs']));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('esbuild');
    for (const target of Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))) {
      expect(files, `export target ${target}`).toContain(target.replace(/^\.\//, ''));
    }
  });

  it('installs no tsx, esbuild or typescript into the consumer', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest']) expect(existsSync(path.join(consumer, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(path.join(consumer, 'node_modules', 'netlink-ts', 'src'))).toBe(false);
  });

  it('imports from ESM (every export path) and lists links over a real socket', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    writeFileSync(
      path.join(consumer, 'esm.mjs'),
      [
        "import { NetlinkClient, NetlinkError, InvalidArgumentError } from 'netlink-ts';",
        "import { compileFamily } from 'netlink-ts/codec';",
        "import { rtLinkSpec } from 'netlink-ts/protocol';",
        "import { ReplayTransport } from 'netlink-ts/transport';",
        "import { Connection } from 'netlink-ts/conn';",
        'for (const x of [NetlinkError, InvalidArgumentError, compileFamily, ReplayTransport, Connection]) if (typeof x !== "function") throw new Error("missing export");',
        'if (rtLinkSpec.name !== "rt-link") throw new Error("protocol export");',
        'const nl = NetlinkClient.open();',
        'const links = await nl.links.list();',
        'nl.close();',
        'console.log(JSON.stringify(links.map((l) => l.name)));',
      ].join('\n'),
    );
    const r = run(process.execPath, ['esm.mjs'], consumer);
    expect(JSON.parse(ok(r, 'esm.mjs'))).toContain('lo');
  });

  it('imports the library as a few bundled files (scripts/lib-bundle.mjs), not one module per source file', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    // A module loader hook that reports every ES module Node loads from the package.
    const hook = [
      'export async function load(url, context, next) {',
      "  if (url.includes('/node_modules/netlink-ts/')) process.stderr.write('loaded ' + url + '\\n');",
      '  return next(url, context);',
      '}',
    ];
    writeFileSync(path.join(consumer, 'count-hooks.mjs'), `${hook.join('\n')}\n`);
    writeFileSync(path.join(consumer, 'count.mjs'), "import { register } from 'node:module';\nregister('./count-hooks.mjs', import.meta.url);\n");
    const r = run(process.execPath, ['--import', './count.mjs', '--input-type=module', '-e', "await import('netlink-ts')"], consumer);
    ok(r, "import('netlink-ts')");
    const loaded = [...r.stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!);
    // ~150 ES modules from tsc's output before; now index.js and core.js, all it imports (29 chunks
    // straight from esbuild's splitting: scripts/lib-bundle.mjs says why), in one directory.
    expect(loaded.length, loaded.join('\n')).toBeLessThanOrEqual(5);
    expect(loaded[0]).toMatch(/\/dist\/src\/lib\/index\.js$/);
    expect(loaded.every((u) => u.includes('/dist/src/lib/'))).toBe(true);
  });

  it('imports every exports subpath; what two subpaths both export is one object (one class, one instanceof)', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    writeFileSync(
      path.join(consumer, 'subpaths.mjs'),
      [
        "import { readFileSync } from 'node:fs';",
        "const pkg = JSON.parse(readFileSync('node_modules/netlink-ts/package.json', 'utf8'));",
        "const subs = Object.keys(pkg.exports).filter((s) => s !== './package.json').map((s) => 'netlink-ts' + s.slice(1));",
        'const mods = {};',
        'for (const s of subs) mods[s] = await import(s);',
        'const shared = [];',
        'for (const a of subs) for (const b of subs) if (a < b) for (const k of Object.keys(mods[a])) {',
        '  if (!(k in mods[b])) continue;',
        "  if (mods[a][k] !== mods[b][k]) throw new Error(k + ' from ' + a + ' is not the one from ' + b);",
        '  shared.push(k);',
        '}',
        "const { NetlinkClient, parseTopology } = mods['netlink-ts'];",
        "const { NetlinkError } = mods['netlink-ts/conn'];",
        'const nl = NetlinkClient.open();',
        "let caught = 'nothing';",
        // NotFoundError, its cause the kernel's refusal: a NetlinkError made in the shared conn/ chunk
        'try { await nl.links.delete(0x7ffffff0); } catch (err) { caught = err.cause instanceof NetlinkError ? err.cause.code : String(err); }',
        'nl.close();',
        // yaml, loaded on first use, from the bundle's directory
        "const topo = parseTopology('namespaces:\\n  a: {}\\n');",
        'console.log(JSON.stringify({ subs: subs.length, shared, caught, ns: Object.keys(topo.namespaces) }));',
      ].join('\n'),
    );
    const out = JSON.parse(ok(run(process.execPath, ['subpaths.mjs'], consumer), 'subpaths.mjs')) as Record<string, unknown>;
    expect(out).toEqual({ subs: 5, shared: expect.any(Array), caught: 'ENODEV', ns: ['a'] });
    expect(out.shared).toEqual(expect.arrayContaining(['NetlinkError', 'Connection', 'DecodeError', 'TransportError']));
  });

  it.skipIf(!privileged)('enters a namespace from the installed library: the helper is found from the bundle, lazy chunks load', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const name = `${TEST_NS_PREFIX}packlib`;
    writeFileSync(
      path.join(consumer, 'netns.mjs'),
      [
        "import { NetlinkClient, addNetns, deleteNetns, topologyGraph, renderSvg } from 'netlink-ts';",
        'const name = process.argv[2];',
        'await addNetns(name);',
        'try {',
        '  const nl = await NetlinkClient.connect({ netns: name });',
        '  const links = await nl.links.list();',
        '  nl.close();',
        '  const svg = await renderSvg(await topologyGraph([name]));',
        '  console.log(JSON.stringify({ links: links.map((l) => l.name), svg: svg.slice(0, 5) }));',
        '} finally {',
        '  deleteNetns(name);',
        '}',
      ].join('\n'),
    );
    try {
      expect(JSON.parse(ok(run(process.execPath, ['netns.mjs', name], consumer), 'netns.mjs'))).toEqual({ links: ['lo'], svg: '<svg ' });
    } finally {
      run('ip', ['netns', 'del', name], consumer);
    }
  });

  it('requires from CommonJS (require() of ESM: the module graph has no top-level await)', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    writeFileSync(
      path.join(consumer, 'cjs.cjs'),
      [
        "const { NetlinkClient, isNetlinkError } = require('netlink-ts');",
        "const { compileFamily } = require('netlink-ts/codec');",
        'console.log(typeof NetlinkClient.open, typeof isNetlinkError, typeof compileFamily);',
      ].join('\n'),
    );
    const r = run(process.execPath, ['cjs.cjs'], consumer);
    expect(ok(r, 'cjs.cjs')).toBe('function function function\n');
    expect(r.stderr).toBe('');
  });

  it('type-checks a consumer under strict module nodenext, from ESM and from CommonJS', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const body = [
      'export async function names(): Promise<string[]> {',
      '  const nl = NetlinkClient.open();',
      '  try {',
      '    const links: Link[] = await nl.links.list();',
      '    const mtu: number | undefined = links[0]?.mtu;',
      '    void mtu;',
      '    return links.map((l) => l.name);',
      '  } catch (err) {',
      '    if (err instanceof NetlinkError) throw new Error(err.code);',
      '    throw err;',
      '  } finally {',
      '    nl.close();',
      '  }',
      '}',
      'export const flags: number = NLM_F.REQUEST;',
      'export const family: CompiledFamily = compileFamily(rtLinkSpec);',
      'export const replay: typeof ReplayTransport = ReplayTransport;',
      'export function close(conn: Connection, err: unknown): NetlinkError | undefined {',
      '  conn.close();',
      '  return err instanceof ConnNetlinkError ? err : undefined;',
      '}',
    ].join('\n');
    const imports = [
      "import { NetlinkClient, NetlinkError, NLM_F, type Link } from 'netlink-ts';",
      "import { compileFamily, type CompiledFamily } from 'netlink-ts/codec';",
      "import { rtLinkSpec } from 'netlink-ts/protocol';",
      "import { ReplayTransport } from 'netlink-ts/transport';",
      "import { Connection, NetlinkError as ConnNetlinkError } from 'netlink-ts/conn';",
    ].join('\n');
    writeFileSync(path.join(consumer, 'consumer.mts'), `${imports}\n${body}\n`);
    writeFileSync(path.join(consumer, 'consumer.cts'), `${imports}\n${body}\n`);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        skipLibCheck: false,
        // A consumer's own @types/node: this repo's (the scratch project installed no dev dependencies).
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['consumer.mts', 'consumer.cts'],
    };
    writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
    const r = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);
    ok(r, 'tsc on the consumer');
  }, 60_000);

  it('runs `npx nlts` from the consumer: compiled code, no tsx, quick (NLTS_SOURCE is a developer switch)', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    expect(ok(run('npx', ['--no', '--', 'nlts', '--help'], consumer), 'npx nlts --help')).toMatch(/^Usage: nlts /);
    const shown = JSON.parse(ok(run('npx', ['--no', '--', 'nlts', '-j', 'link', 'show'], consumer), 'npx nlts -j link show')) as { ifname: string }[];
    expect(shown.map((l) => l.ifname)).toContain('lo');
    const bin = path.join(consumer, 'node_modules', '.bin', 'nlts');
    expect(JSON.parse(ok(run(process.execPath, [bin, '-j', 'link', 'show'], consumer, { NLTS_SOURCE: '1' }), 'NLTS_SOURCE=1 nlts'))).toEqual(shown);
    // Start-up cost beyond a bare `node -e 0`, in CPU time (steadier than wall time on a busy machine):
    // ~290 ms through tsx, ~95 ms from dist/'s ES modules, ~30 ms from the bundle and its code cache.
    // Each process reports its own process.cpuUsage() at exit.
    const probe = path.join(consumer, 'cpu-probe.cjs');
    const report = "process.stderr.write('cpu-ms ' + (u.user + u.system) / 1000 + '\\n');";
    writeFileSync(probe, `process.on('exit', () => { const u = process.cpuUsage(); ${report} });\n`);
    const cpu = (args: string[]): number => {
      const r = run(process.execPath, ['--require', probe, ...args], consumer);
      ok(r, args.join(' '));
      return Number(/cpu-ms ([\d.]+)/.exec(r.stderr)?.[1]);
    };
    const node: number[] = [];
    const nlts: number[] = [];
    for (let i = 0; i < 5; i++) {
      node.push(cpu(['-e', '0']));
      nlts.push(cpu([bin, '-j', 'link', 'show']));
    }
    expect(median(nlts) - median(node), `CPU ms: nlts ${nlts.map(Math.round)}, node -e 0 ${node.map(Math.round)}`).toBeLessThan(150);
  }, 60_000);

  it('runs the CLI as one bundled file with its code cache, printing what the checkout prints', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/package.json', 'dist/src/cli/nlts.cjs', 'dist/src/cli/nlts.cjs.cache']));
    // NODE_DEBUG=nlts: the launcher says what it loaded (the bundle, and whether V8 took the build's code cache).
    const loaded = /^NLTS \d+: (.+), code cache (\w+)$/m;
    const bin = path.join(consumer, 'node_modules', '.bin', 'nlts');
    const installed = run(process.execPath, [bin, '-j', 'link', 'show'], consumer, { NODE_DEBUG: 'nlts' });
    const shown = JSON.parse(ok(installed, 'installed nlts -j link show')) as unknown;
    const bundled = path.join(consumer, 'node_modules', 'netlink-ts', 'dist', 'src', 'cli', 'nlts.cjs');
    expect(loaded.exec(installed.stderr)?.slice(1)).toEqual([bundled, 'accepted']);
    // The tree npm packed is a checkout with a fresh dist/: its bin/nlts.js runs the same bundle.
    const tree = path.join(work, 'tree');
    const built = run(process.execPath, [path.join(tree, 'bin', 'nlts.js'), '-j', 'link', 'show'], tree, { NODE_DEBUG: 'nlts' });
    expect(JSON.parse(ok(built, 'checkout nlts -j link show'))).toEqual(shown);
    expect(loaded.exec(built.stderr)?.slice(1)).toEqual([path.join(tree, 'dist', 'src', 'cli', 'nlts.cjs'), 'accepted']);
    // And this checkout (through tsx when its dist/ is older than a source) prints the same.
    expect(JSON.parse(ok(run(process.execPath, [path.join(ROOT, 'bin', 'nlts.js'), '-j', 'link', 'show'], ROOT), 'nlts here'))).toEqual(shown);
  });

  it('starts `nlts -j link show` without loading what it does not use; DEBUG still traces', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const bin = path.join(consumer, 'node_modules', '.bin', 'nlts');
    const probe = path.join(consumer, 'loaded-probe.cjs');
    const report = "process.stderr.write('loaded ' + JSON.stringify([...Object.keys(require.cache), ...process.moduleLoadList]) + '\\n')";
    writeFileSync(probe, `process.on('exit', () => ${report});\n`);
    const r = run(process.execPath, ['--require', probe, bin, '-j', 'link', 'show'], consumer);
    ok(r, 'nlts -j link show');
    const loaded = JSON.parse(/^loaded (.*)$/m.exec(r.stderr)?.[1] ?? '[]') as string[];
    expect(loaded.some((m) => m.includes(`${path.sep}ffi-rs${path.sep}`))).toBe(true);
    // debug (only with DEBUG), ipaddr.js (only for IPv6 text), child_process (only to start the netns helper),
    // perf_hooks (the bundle's performance.now() is process.uptime(): scripts/cli-bundle.mjs)
    const unused = /[\\/]node_modules[\\/](debug|ms|ipaddr\.js|supports-color)[\\/]|^NativeModule (child_process|perf_hooks)$/;
    expect(loaded.filter((m) => unused.test(m))).toEqual([]);
    const traced = run(process.execPath, [bin, '-j', 'link', 'show'], consumer, { DEBUG: 'netlink:send' });
    ok(traced, 'DEBUG=netlink:send nlts -j link show');
    expect(traced.stderr).toMatch(/netlink:send getlink /);
  });

  it.skipIf(!privileged)('runs what the bundle initialises on first use: nl.nftables, nl.genl, --record', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const bin = path.join(consumer, 'node_modules', '.bin', 'nlts');
    const ruleset = JSON.parse(ok(run(process.execPath, [bin, '-j', 'nft', 'list', 'ruleset'], consumer), 'nlts -j nft list ruleset')) as {
      nftables: unknown[];
    };
    expect(ruleset.nftables[0]).toHaveProperty('metainfo');
    const genl = ok(run(process.execPath, [bin, '-j', 'genl', 'ctrl', 'list'], consumer), 'nlts -j genl ctrl list');
    const families = JSON.parse(genl) as { name: string }[];
    expect(families.map((f) => f.name)).toContain('nlctrl');
    const pcap = path.join(work, 'recorded.pcap');
    ok(run(process.execPath, [bin, '--record', pcap, 'link', 'show'], consumer), 'nlts --record');
    expect(readFileSync(pcap).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });

  it.skipIf(!privileged)('enters a namespace from the installed package: the nsenter helper ships beside its module', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const bin = path.join(consumer, 'node_modules', '.bin', 'nlts');
    const name = `${TEST_NS_PREFIX}pack`;
    try {
      ok(run(process.execPath, [bin, 'netns', 'add', name], consumer), 'nlts netns add');
      const shown = JSON.parse(ok(run(process.execPath, [bin, '-n', name, '-j', 'link', 'show'], consumer), 'nlts -n')) as { ifname: string }[];
      expect(shown.map((l) => l.ifname)).toEqual(['lo']);
      // dagre is loaded by a dynamic import(), which the bundle must still be able to make
      expect(ok(run(process.execPath, [bin, 'topology', '--format', 'svg', name], consumer), 'nlts topology --format svg')).toMatch(/^<svg /);
    } finally {
      run('ip', ['netns', 'del', name], consumer);
    }
  });

  it('the build fails, leaving no dist/ to run, when tsc reports an error', () => {
    // The same build script and tsconfigs over one broken module: a second of tsc, not the whole tree's.
    const mini = path.join(work, 'broken');
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'src/netns/helper.cjs']) {
      mkdirSync(path.dirname(path.join(mini, f)), { recursive: true });
      cpSync(path.join(ROOT, f), path.join(mini, f));
    }
    writeFileSync(path.join(mini, 'src', 'broken.ts'), "export const broken: number = 'not a number';\n");
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(mini, 'node_modules'));
    const r = run('npm', ['run', 'build', '--silent'], mini);
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/TS2322/);
    expect(existsSync(path.join(mini, 'dist', '.built'))).toBe(false);
    expect(existsSync(path.join(mini, 'dist', 'src', 'broken.js'))).toBe(false);
  }, 60_000);

  it('links in the shipped markdown, and files the README names, are in the package', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const md of [...files].filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(path.join(ROOT, md), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        expect(files, `${md} links to ${target}`).toContain(path.posix.normalize(path.posix.join(path.posix.dirname(md), target)));
      }
    }
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/(?<![\w./-])((?:[\w-]+\/)+[\w.-]+\.\w+)(?![\w/])/g)) {
      if (m[1]!.startsWith('node_modules/')) continue;
      expect(files, `README.md names ${m[1]}`).toContain(m[1]);
    }
  });
});
