/**
 * nft 1.0.6 as the oracle of the text listing (src/nft/text): a corpus file of test/nft/rulesets
 * (test/nft/text-corpus.ts) is loaded into a throwaway namespace, and nft's own
 * `nft -j list ruleset` and `nft list ruleset` are taken, plus the xt match/target infos that nft's
 * JSON leaves out (dumped over NETLINK_NETFILTER). Used by test/nft/text.test.ts (live) and
 * scripts/record-nft-text-goldens.ts (test/nft/golden).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '../../src/conn/connection.js';
import type { NftJsonDocument } from '../../src/nft/json/types.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import type { TestNetns } from '../support/netns.js';
import { socketInNetns } from '../support/netns.js';
import { nftCodec } from '../support/nft-ruleset.js';
import { RULESETS, type XtRecord, words } from './text-corpus.js';

const NETLINK_NETFILTER = 12;

/** What nft printed for a loaded corpus file. */
export interface Listing {
  json: NftJsonDocument;
  text: string;
  textHandles: string;
  xt: XtRecord[];
}

/** Loads a corpus file into the namespace (with veths d0/d1, up: netdev chains and fib need devices). */
export function loadCorpus(ns: TestNetns, file: string): void {
  ns.ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  ns.ip('link', 'set', 'd0', 'up');
  ns.ip('link', 'set', 'd1', 'up');
  const path = join(RULESETS, file);
  if (file.endsWith('.nft')) ns.exec('nft', '-f', path);
  else if (file.endsWith('.json')) ns.exec('nft', '-j', '-f', path);
  else {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const [cmd, ...args] = words(line);
      if (cmd !== 'iptables-nft' && cmd !== 'ip6tables-nft') throw new Error(`${file}: not an iptables-nft command: ${line}`);
      ns.exec(cmd, ...args);
    }
  }
}

/** `nft ARGS` in the namespace, stdout only (iptables-nft tables make nft warn on stderr). */
function nft(ns: TestNetns, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The xt infos of every rule, over NETLINK_NETFILTER inside the namespace. */
export async function dumpXt(ns: TestNetns): Promise<XtRecord[]> {
  const sock = new NetlinkSocket({ fd: socketInNetns(ns.path, NETLINK_NETFILTER), protocol: NETLINK_NETFILTER });
  const conn = new Connection(sock, nftCodec());
  const out: XtRecord[] = [];
  try {
    const rules = await conn.dump({ kind: 'getrule', header: { family: 'unspec', version: 0, resId: 0 }, attrs: {} });
    for (const r of rules) {
      const a = r.attrs as { table: string; chain: string; handle: bigint; expressions?: { elem: { name: string; data: any }[] } };
      let index = 0;
      for (const e of a.expressions?.elem ?? []) {
        if (e.name !== 'match' && e.name !== 'target') continue;
        const family = (r.header as { family: string }).family;
        const info = Buffer.from(e.data.info as Uint8Array).toString('hex');
        out.push({
          family: family === 'ipv4' ? 'ip' : family === 'ipv6' ? 'ip6' : family,
          table: a.table,
          chain: a.chain,
          handle: Number(a.handle),
          index: index++,
          rev: e.data.rev,
          info,
        });
      }
    }
  } finally {
    conn.close();
  }
  return out;
}

/** nft's JSON and text of the namespace's ruleset. */
export async function capture(ns: TestNetns): Promise<Listing> {
  return {
    json: JSON.parse(nft(ns, '-j', 'list', 'ruleset')) as NftJsonDocument,
    text: nft(ns, 'list', 'ruleset'),
    textHandles: nft(ns, '-a', 'list', 'ruleset'),
    xt: await dumpXt(ns),
  };
}
