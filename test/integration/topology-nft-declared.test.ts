/**
 * What "in force" rests on (src/topology/nft-declared.ts): the listing a table's commands declare,
 * made without a kernel, equals (normalised) what the kernel lists once the same commands are
 * applied. Over the nft corpus (test/nft/rulesets/*.nft and *.json, fixtures/nftables/*.nft): each
 * file is loaded by nft in one throwaway namespace, listed, turned into add commands per table
 * (as export writes them), and applied through nl.nftables in a second one. Commands the
 * linearizer refuses by design (xt, expressions and objects it does not write) are left out one by
 * one and counted, as test/integration/nft-from-json.test.ts does.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isInvalidArgumentError } from '../../src/errors/index.js';
import { rulesetCommands } from '../../src/topology/export-nftables.js';
import { declareTables } from '../../src/topology/nft-declared.js';
import { type DeclaredTable, normaliseTable, splitListing } from '../../src/topology/nft-tables.js';
import { RULESETS } from '../nft/text-corpus.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[topology nft-declared] skipped: ${skipReason}`);

const FIXTURES = join(RULESETS, '..', '..', '..', 'fixtures', 'nftables');
const FILES = [
  ...readdirSync(RULESETS)
    .filter((f) => /\.(nft|json)$/.test(f) && !f.endsWith('.extra.json'))
    .map((f) => join(RULESETS, f)),
  ...['ruleset.nft', 'sets.nft', 'walkthrough.nft'].map((f) => join(FIXTURES, f)),
];

/** Loads a corpus file with nft (veths d0/d1 up: netdev chains and fib need devices). */
function load(ns: TestNetns, path: string): void {
  ns.ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  ns.ip('link', 'set', 'd0', 'up');
  ns.ip('link', 'set', 'd1', 'up');
  ns.exec('nft', ...(path.endsWith('.json') ? ['-j'] : []), '-f', path);
}

/** The commands of each table of a listing, as export writes them. */
function byTable(listing: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const [key, items] of splitListing(listing)) out.set(key, rulesetCommands({ nftables: items }));
  return out;
}

/** The table declared by `commands`, less the commands the linearizer refuses (counted). */
function declared(commands: unknown[], refused: string[]): { commands: unknown[]; table: DeclaredTable } {
  let keep = commands;
  for (;;) {
    try {
      return { commands: keep, table: declareTables(keep, 'e')[0]! };
    } catch (err) {
      const at = isInvalidArgumentError(err) ? /^e\[(\d+)\]/.exec(err.argument) : null;
      if (!at || Number(at[1]) === 0) throw err;
      refused.push((err as Error).message);
      keep = keep.filter((_, i) => i !== Number(at[1]));
    }
  }
}

describe.skipIf(!privileged)('declared nftables tables against the kernel', () => {
  it('the listing made without a kernel is, normalised, the one the kernel gives for the same commands, table by table', async () => {
    const differ: string[] = [];
    const refused: string[] = [];
    let same = 0;
    for (const path of FILES) {
      await withNetns(async (a) => {
        load(a, path);
        await withNetns(async (b) => {
          const na = NetlinkClient.open({ netns: a.name, netnsEntry: 'setns' });
          const nb = NetlinkClient.open({ netns: b.name, netnsEntry: 'setns' });
          try {
            for (const [key, commands] of byTable(await na.nftables.list())) {
              const d = declared(commands, refused);
              await nb.nftables.apply(d.commands as never, { handles: false });
              const live = splitListing(await nb.nftables.list()).get(key) ?? [];
              if (normaliseTable(live) === normaliseTable(d.table.listing)) same++;
              else differ.push(`${path} ${key}`);
            }
          } finally {
            na.close();
            nb.close();
          }
        });
      });
    }
    expect(differ).toEqual([]);
    expect(same).toBeGreaterThanOrEqual(30);
    console.log(`[topology nft-declared] ${same} tables the same; ${refused.length} commands left out as the linearizer does not write them`);
  }, 120_000);
});
