/**
 * The documentation's TypeScript examples run, as a reader would run them: every ```ts block of the
 * documents below, in order, each in a child process
 *  - whose network namespace is a fresh throwaway one (nsenter --net), shared by the document's blocks
 *    in order, so one block may use what an earlier one made;
 *  - whose /run/netns is a private tmpfs in a private mount namespace holding 'pod1' and 'red', so
 *    examples that name, add or delete namespaces touch none of the host's (all vanish with the child);
 *  - with 'netlink-ts' (and its subpaths) imported from src through tsx, in a scratch directory.
 * A block that uses `nl` without making it gets `const nl = NetlinkClient.open()` (the client of the
 * examples) and `nl.close()` after it. Blocks tagged ```ts ignore (signatures, shapes of results, alternatives)
 * are not run. A block fails the test when it throws, rejects or runs for more than 60 seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = ['README.md', 'docs/api.md', 'docs/errors.md', 'docs/namespaces.md'];

/** package.json `exports` subpaths, as sources. */
const ENTRY: Record<string, string> = {
  'netlink-ts': 'src/index.ts',
  'netlink-ts/transport': 'src/transport/index.ts',
  'netlink-ts/codec': 'src/codec/index.ts',
  'netlink-ts/protocol': 'protocol/index.ts',
  'netlink-ts/conn': 'src/conn/index.ts',
};

interface Block {
  line: number;
  tag: string;
  code: string;
}

/** The ```ts blocks of a Markdown text, with the line of their opening fence and the words after `ts`. */
function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts(?:\s+(.*))?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i] !== '```') body.push(lines[i]!);
    blocks.push({ line: start + 1, tag: (open[1] ?? '').trim(), code: body.join('\n') });
  }
  return blocks;
}

/** The block as a module: imports pointed at the sources, and the examples' client when it needs one. */
function moduleOf(code: string): string {
  const url = (spec: string) => pathToFileURL(join(root, ENTRY[spec]!)).href;
  let body = code.replace(/from '(netlink-ts(?:\/\w+)?)'/g, (m, spec: string) => (ENTRY[spec] ? `from '${url(spec)}'` : m));
  const head: string[] = [];
  const usesNl = /\bnl\./.test(body) && !/\b(?:const|let|var|using)\s+nl\b/.test(body);
  if (usesNl && !/\bimport\s*{[^}]*\bNetlinkClient\b/.test(body)) head.push(`import { NetlinkClient } from '${url('netlink-ts')}';`);
  if (usesNl) {
    head.push('const nl = NetlinkClient.open();');
    body += '\nnl.close();';
  }
  return `${head.join('\n')}\n${body}\n`;
}

// A private /run/netns with the namespaces the examples name; then the example, under tsx.
const SETUP = 'mount -t tmpfs nlts-docs /run/netns && ip netns add pod1 && ip netns add red && exec "$@"';
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

function runBlock(ns: TestNetns, dir: string, file: string, source: string): { status: number | null; out: string } {
  const path = join(dir, file);
  writeFileSync(path, source);
  const command = [process.execPath, '--import', tsxLoader, path];
  const r = spawnSync(
    'nsenter',
    [`--net=${ns.path}`, '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', SETUP, 'sh', ...command],
    { cwd: dir, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

if (!privileged) console.warn(`[docs examples] skipped: ${skipReason}`);

describe('extracting examples', () => {
  it('finds blocks, their lines and tags; points imports at the sources; adds the client only when used', () => {
    const md = 'x\n```ts\nawait nl.links.list();\n```\n\n```ts ignore\nnl.links.get(ref): Link\n```\n```sh\nip link\n```\n';
    expect(tsBlocks(md)).toEqual([
      { line: 2, tag: '', code: 'await nl.links.list();' },
      { line: 6, tag: 'ignore', code: 'nl.links.get(ref): Link' },
    ]);
    const m = moduleOf("import { Monitor } from 'netlink-ts';\nawait nl.links.list();");
    expect(m).toMatch(/^import { NetlinkClient } from 'file:\/\/.*\/src\/index\.ts';\nconst nl = NetlinkClient\.open\(\);\n/);
    expect(m).toMatch(/\nimport { Monitor } from 'file:/);
    expect(m).toMatch(/nl\.close\(\);\n$/);
    expect(moduleOf('const nl = NetlinkClient.open();\nnl.close();')).not.toMatch(/import/);
    expect(moduleOf("import { rtLinkSpec } from 'netlink-ts/protocol';")).toContain(`${pathToFileURL(join(root, 'protocol/index.ts')).href}'`);
  });
});

for (const doc of DOCS) {
  describe.skipIf(!privileged)(`the examples of ${doc} run`, () => {
    let ns: TestNetns;
    let dir: string;
    beforeAll(() => {
      ns = createNetns();
      dir = mkdtempSync(join(tmpdir(), 'nlts-docs-'));
    });
    afterAll(() => {
      if (ns) deleteNetns(ns);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const blocks = tsBlocks(readFileSync(join(root, doc), 'utf8'));
    it('has examples', () => expect(blocks.filter((b) => b.tag === '').length).toBeGreaterThan(0));
    for (const b of blocks) {
      if (b.tag === 'ignore') continue;
      it(`${doc}:${b.line}`, () => {
        expect(b.tag, 'a ```ts block is an example, or tagged ignore').toBe('');
        const r = runBlock(ns, dir, `line-${b.line}.mts`, moduleOf(b.code));
        expect(r.status, `${doc}:${b.line} failed:\n${r.out}`).toBe(0);
      });
    }
  });
}
