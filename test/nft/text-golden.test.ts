/**
 * The text listing against listings nft 1.0.6 printed (test/nft/golden, recorded by
 * scripts/record-nft-text-goldens.ts from the corpus of test/nft/rulesets): no privileges needed.
 * test/nft/text.test.ts checks the same corpus against a live nft.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NftJsonDocument } from '../../src/nft/json/types.js';
import { formatRuleset } from '../../src/nft/text/index.js';
import { GOLDEN, type XtRecord, corpus, prepare, withoutExpiry } from './text-corpus.js';

interface Golden {
  source: string;
  producer: string;
  json: NftJsonDocument;
  text: string;
  textHandles: string;
  xt: XtRecord[];
}

const goldenPath = (file: string) => join(GOLDEN, `${file.replace(/\.[^.]+$/, '')}.json`);

describe('nft list ruleset from recorded nft 1.0.6 listings', () => {
  for (const file of corpus()) {
    it(`${file}: as nft printed it, with and without handles`, () => {
      const g = JSON.parse(readFileSync(goldenPath(file), 'utf8')) as Golden;
      expect(g.producer).toMatch(/^nftables v1\.0\.6 /);
      const doc = prepare(file, g.json, g.xt);
      expect(withoutExpiry(formatRuleset(doc))).toBe(withoutExpiry(g.text));
      expect(withoutExpiry(formatRuleset(doc, { handles: true }))).toBe(withoutExpiry(g.textHandles));
    });
  }

  it('every corpus file has its recorded listing (run scripts/record-nft-text-goldens.ts after adding one)', () => {
    expect(corpus().filter((f) => !existsSync(goldenPath(f)))).toEqual([]);
  });

  it('without the xt infos nft cannot translate, an xt statement prints as nft prints an untranslatable one', () => {
    const g = JSON.parse(readFileSync(goldenPath('walkthrough.iptables'), 'utf8')) as Golden;
    const text = formatRuleset(prepare('walkthrough.iptables', g.json, []));
    expect(text).toContain('oifname != "vethc1" ip saddr 172.18.0.0/24 counter packets 0 bytes 0 xt target MASQUERADE\n');
    expect(text).toContain('\t\txt match conntrack counter packets 0 bytes 0 accept\n');
  });

  it('a mangled document gives text or an InvalidArgumentError naming the part, never another error', () => {
    const docs = corpus().map((f) => (JSON.parse(readFileSync(goldenPath(f), 'utf8')) as Golden).json);
    let seed = 15;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const junk = [null, 0, -1, 'x', true, [], {}, [null], { a: null }, 1e20];
    const mangle = (v: any): any => {
      if (rnd(20) === 0) return junk[rnd(junk.length)];
      if (Array.isArray(v)) return v.map(mangle);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mangle(x)]));
      return v;
    };
    for (let i = 0; i < 2000; i++) {
      try {
        expect(typeof formatRuleset(mangle(docs[i % docs.length]))).toBe('string');
      } catch (err) {
        expect((err as Error).name).toBe('InvalidArgumentError');
      }
    }
  });
});
