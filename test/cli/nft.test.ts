/**
 * `nlts nft` against nft 1.0.6 (the oracle) in throwaway namespaces: the same command line gives
 * the same stdout, stderr and exit status, for listings, the errors nft words for missing objects
 * and bad grammar, and the changes (each made in two namespaces of the same ruleset, one by nft, one
 * by nlts, then compared). -f takes JSON only and says so. Needs root; skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';
import { runNlts } from './support/run.js';

if (!privileged) console.warn(`[nlts nft] skipped: ${skipReason}`);

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'nftables');

interface Out {
  out: string;
  err: string;
  code: number;
}

function nft(ns: TestNetns, ...args: string[]): Out {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'nft', ...args], { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

async function nlts(ns: TestNetns, ...args: string[]): Promise<Out> {
  const r = await runNlts(['-n', ns.name, 'nft', ...args]);
  return { out: r.out, err: r.err, code: r.code };
}

/** The walk-through ruleset and the sets fixture (no timeouts: their remaining lifetime would differ). */
function load(ns: TestNetns): void {
  nft(ns, '-f', join(FIXTURES, 'walkthrough.nft'));
  nft(ns, 'add', 'table', 'inet', 's');
  nft(ns, 'add', 'set', 'inet', 's', 'allowed', '{ type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.20 }; }');
  nft(ns, 'add', 'map', 'inet', 's', 'verdicts', '{ type ipv4_addr : verdict; elements = { 10.0.0.1 : accept }; }');
}

describe.skipIf(!privileged)('nlts nft, as nft 1.0.6', () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
    load(ns);
  });
  afterAll(() => deleteNetns(ns));

  const READS = [
    'list ruleset',
    '-a list ruleset',
    '-j list ruleset',
    'list ruleset inet',
    '-j list ruleset ip',
    'list tables',
    '-j list tables',
    'list tables inet',
    'list chains',
    '-j list chains',
    'list table ip nat',
    'list table nat',
    '-a list table inet filter',
    '-j list table ip nat',
    'list chain ip nat postrouting',
    '-j -a list chain ip nat prerouting',
    'list set inet s allowed',
    '-j list set inet s allowed',
    'list map inet s verdicts',
    '-j list map inet s verdicts',
    // missing objects: nft's error, the command, the caret under what is missing
    'list table ip nope',
    'list table inet nat',
    '-j list table nope',
    'list chain ip nat nope',
    'list chain ip nope postrouting',
    'list set inet s verdicts',
    'list map inet s allowed',
    'list set inet nope allowed',
    // grammar
    'list table',
    'list chain ip nat',
    'list foo',
    'list ruleset foo',
    'list table inet nat x',
  ];
  for (const command of READS) {
    it(`nft ${command}`, async () => {
      const args = command.split(' ');
      expect(await nlts(ns, ...args)).toEqual(nft(ns, ...args));
    });
  }

  const CHANGES = [
    'flush ruleset',
    'flush ruleset inet',
    'delete table ip nat',
    'delete table nat',
    'delete table ip nope',
    'add table inet t2',
    'add table ip nat',
  ];
  for (const command of CHANGES) {
    it(`nft ${command}: the same answer and the same ruleset after`, async () => {
      const [theirs, mine] = [createNetns(), createNetns()];
      try {
        load(theirs);
        load(mine);
        const args = command.split(' ');
        expect(await nlts(mine, ...args)).toEqual(nft(theirs, ...args));
        expect(nft(mine, 'list', 'ruleset')).toEqual(nft(theirs, 'list', 'ruleset'));
      } finally {
        deleteNetns(theirs);
        deleteNetns(mine);
      }
    });
  }

  it('-j -f applies a JSON document whole, or nothing, naming the refused command; text and missing files are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlts-nft-cli-'));
    const target = createNetns();
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, nft(ns, '-j', 'list', 'ruleset').out);
      expect(await nlts(target, '-j', '-f', good)).toEqual({ out: '', err: '', code: 0 });
      expect(nft(target, 'list', 'ruleset').out).toBe(nft(ns, 'list', 'ruleset').out);

      const bad = join(dir, 'bad.json');
      const doc = [{ add: { table: { family: 'ip', name: 'x' } } }, { delete: { table: { family: 'ip', name: 'nope' } } }];
      writeFileSync(bad, JSON.stringify({ nftables: doc }));
      const before = nft(target, '-j', 'list', 'ruleset').out;
      const r = await nlts(target, '-j', '-f', bad);
      expect(r.code).toBe(nft(target, '-j', '-f', bad).code);
      expect(r.err.split('\n')[0]).toBe('internal:0:0-0: Error: Could not process rule: No such file or directory');
      expect(r.err).toContain('nftables[1] (delete table ip nope)');
      expect(nft(target, '-j', 'list', 'ruleset').out).toBe(before);

      const invalid = join(dir, 'invalid.json');
      writeFileSync(invalid, JSON.stringify({ nftables: [{ add: { table: { family: 'ipx', name: 'x' } } }] }));
      const path = /^internal:0:0-0: Error: nftables\[0\]\.add\.table\.family: /;
      expect(await nlts(target, '-j', '-f', invalid)).toMatchObject({ code: 1, err: expect.stringMatching(path) });

      const text = join(dir, 'rules.nft');
      writeFileSync(text, 'table ip t {\n}\n');
      const t = await nlts(target, '-j', '-f', text);
      expect(t.code).toBe(1);
      expect(t.err).toMatch(/is not JSON.*libnftables JSON documents only.*not nft's text language/);
      expect(nft(target, 'list', 'tables').out).not.toContain('table ip t\n');

      const missing = join(dir, 'missing.json');
      expect(await nlts(target, '-j', '-f', missing)).toEqual(nft(target, '-j', '-f', missing));
    } finally {
      deleteNetns(target);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
