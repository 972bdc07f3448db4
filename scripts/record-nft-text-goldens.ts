/**
 * Records the golden listings of the text formatter (test/nft/golden/NAME.json) from nft itself:
 *
 *   sudo npx tsx scripts/record-nft-text-goldens.ts [--dry-run]
 *
 * Each corpus file of test/nft/rulesets is loaded into a fresh throwaway namespace (nlts-t-<pid>-<n>,
 * always deleted), and what nft prints is kept: `nft -j list ruleset`, `nft list ruleset`,
 * `nft -a list ruleset`, and the xt match/target infos of the rules (a NETLINK_NETFILTER dump).
 * test/nft/text-golden.test.ts then checks the formatter against them without privileges.
 * Needs root, nft 1.0.6 and iptables-nft (Debian's nftables and iptables packages).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN, corpus } from '../test/nft/text-corpus.js';
import { capture, loadCorpus } from '../test/nft/text-oracle.js';
import { withNetns } from '../test/support/netns.js';

const dryRun = process.argv.includes('--dry-run');
const version = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim();

for (const file of corpus()) {
  const golden = await withNetns(async (ns) => {
    loadCorpus(ns, file);
    return { source: `test/nft/rulesets/${file}`, producer: version, ...(await capture(ns)) };
  });
  const path = join(GOLDEN, `${file.replace(/\.[^.]+$/, '')}.json`);
  if (dryRun) process.stdout.write(`would write ${path}\n`);
  else {
    // one line a key: the listings stay readable in a diff, the JSON document stays compact
    const lines = Object.entries(golden).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    writeFileSync(path, `{\n${lines.join(',\n')}\n}\n`);
    process.stdout.write(`wrote ${path}\n`);
  }
}
