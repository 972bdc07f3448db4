/**
 * The text listing against nft 1.0.6 itself: each corpus file of test/nft/rulesets is loaded into a
 * throwaway namespace, and formatRuleset of nft's own `nft -j list ruleset` (plus what nft's JSON
 * leaves out: the corpus' extras, the xt infos from a NETLINK_NETFILTER dump) must be, byte for
 * byte, what `nft list ruleset` prints. `list table/chain/set/map/tables` and `-a` too.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatChain, formatChains, formatRuleset, formatSet, formatTable, formatTables } from '../../src/nft/text/index.js';
import { privileged, skipReason, withNetns } from '../support/netns.js';
import { RULESETS, corpus, prepare, withoutExpiry } from './text-corpus.js';
import { capture, loadCorpus } from './text-oracle.js';

const FILES = corpus();

describe.skipIf(!privileged)(`nft list ruleset, as nft 1.0.6 prints it${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  for (const file of FILES) {
    it(`${file}: formatRuleset(nft -j list ruleset) is nft list ruleset, with and without handles`, async () => {
      await withNetns(async (ns) => {
        loadCorpus(ns, file);
        const got = await capture(ns);
        const doc = prepare(file, got.json, got.xt);
        expect(withoutExpiry(formatRuleset(doc))).toBe(withoutExpiry(got.text));
        expect(withoutExpiry(formatRuleset(doc, { handles: true }))).toBe(withoutExpiry(got.textHandles));
      });
    });
  }

  it('list table, list chain, list set, list map and list tables print what nft prints', async () => {
    await withNetns(async (ns) => {
      loadCorpus(ns, 'sets.nft');
      ns.exec('nft', '-f', join(RULESETS, 'statements.nft'));
      const got = await capture(ns);
      const doc = prepare(['sets.nft', 'statements.nft'], got.json, got.xt);
      const nft = (...args: string[]) => ns.exec('nft', ...args);
      expect(formatTables(doc)).toBe(nft('-a', 'list', 'tables'));
      expect(formatChains(doc)).toBe(nft('list', 'chains'));
      expect(formatChains(doc, { handles: true })).toBe(nft('-a', 'list', 'chains'));
      expect(formatTable(doc, 'ip', 's4')).toBe(nft('list', 'table', 'ip', 's4'));
      expect(formatChain(doc, 'ip', 's4', 'filt')).toBe(nft('list', 'chain', 'ip', 's4', 'filt'));
      expect(formatChain(doc, 'inet', 's', 'c', { handles: true })).toBe(nft('-a', 'list', 'chain', 'inet', 's', 'c'));
      expect(formatSet(doc, 'inet', 's', 'conci')).toBe(nft('list', 'set', 'inet', 's', 'conci'));
      expect(formatSet(doc, 'inet', 's', 'm4')).toBe(nft('list', 'map', 'inet', 's', 'm4'));
      expect(withoutExpiry(formatSet(doc, 'inet', 's', 'tmo', { handles: true }))).toBe(withoutExpiry(nft('-a', 'list', 'set', 'inet', 's', 'tmo')));
    });
  });
});
