/**
 * The nf_tables ruleset of the nftables spec tests and fixtures: fixtures/nftables/ruleset.nft
 * (every expression nft 1.0.6 can write) plus rules written by iptables-nft (the walk-through's
 * MASQUERADE, conntrack and --dport rules, and xt matches and targets), loaded into a throwaway
 * namespace; and the dumps that list it all over NETLINK_NETFILTER. Used by
 * test/protocol/nf-tables-kernel.test.ts and scripts/record-nft-fixtures.ts.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nfnetlinkSpec } from '../../protocol/nfnetlink.js';
import { nftablesSpec } from '../../protocol/nf-tables.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import type { Connection } from '../../src/conn/connection.js';
import { toHex } from '../../src/transport/fixture.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RULESET_FILE = join(ROOT, 'fixtures/nftables/ruleset.nft');
export const DUMP_FIXTURE = join(ROOT, 'fixtures/nftables/ruleset-dump.json');

/** iptables-nft commands run after the nft file (argv after `iptables-nft`). */
export const IPTABLES_COMMANDS: readonly (readonly string[])[] = [
  ['-t', 'nat', '-A', 'POSTROUTING', '-s', '172.18.0.0/24', '!', '-o', 'vethc1', '-j', 'MASQUERADE'],
  ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
  ['-A', 'FORWARD', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'],
  ['-A', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '1000,2000', '-m', 'comment', '--comment', 'xt match', '-j', 'ACCEPT'],
  ['-t', 'mangle', '-A', 'FORWARD', '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu'],
];

/** Runs a command inside the namespace NAME (`ip netns exec`); throws with its stderr. */
function nsExec(name: string, cmd: string, args: readonly string[]): string {
  return execFileSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Builds the ruleset in the namespace NAME (which must be a throwaway one). */
export function loadRuleset(name: string): void {
  execFileSync('ip', ['-n', name, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1'], { stdio: 'pipe' });
  execFileSync('ip', ['-n', name, 'link', 'set', 'd0', 'up'], { stdio: 'pipe' });
  execFileSync('ip', ['-n', name, 'link', 'set', 'd1', 'up'], { stdio: 'pipe' });
  nsExec(name, 'nft', ['-f', RULESET_FILE]);
  for (const args of IPTABLES_COMMANDS) nsExec(name, 'iptables-nft', args);
}

/** The codec of a NETLINK_NETFILTER socket speaking nf_tables. */
export function nftCodec(): ProtocolCodec {
  return new ProtocolCodec([nfnetlinkSpec, nftablesSpec]);
}

/** The dumps that list a whole ruleset, in nft's order; set elements per set, by the sets dumped. */
export async function dumpRuleset(conn: Connection): Promise<NetlinkMessage[]> {
  const all = (kind: string) => conn.dump({ kind, header: { family: 'unspec', version: 0, resId: 0 }, attrs: {} });
  const out: NetlinkMessage[] = [];
  out.push(...(await conn.request({ kind: 'getgen', header: { family: 'unspec', version: 0, resId: 0 }, attrs: {} })));
  for (const kind of ['gettable', 'getchain', 'getrule', 'getset', 'getobj', 'getflowtable']) out.push(...(await all(kind)));
  const sets = out.filter((m) => m.kind === 'newset');
  for (const s of sets) {
    const a = s.attrs as { table: string; name: string };
    const header = { family: (s.header as { family: string }).family, version: 0, resId: 0 };
    out.push(...(await conn.dump({ kind: 'getsetelem', header, attrs: { table: a.table, set: a.name } })));
  }
  return out;
}

/** Paths of what a decoded message left undecoded: `unknown` attributes, struct `_tail`s, expressions or objects kept raw. */
export function undecoded(v: unknown, path = '', out: string[] = []): string[] {
  if (v === null || typeof v !== 'object') return out;
  if (v instanceof Uint8Array) {
    if (/(^|\.)data$/.test(path) && /elem\[\d+\]\.data$|expr\.data$|^attrs\.data$/.test(path)) out.push(`${path} (raw sub-message)`);
    return out;
  }
  for (const [k, x] of Object.entries(v)) {
    const p = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (k === 'unknown' && !Array.isArray(v))
      out.push(`${p} ${JSON.stringify((x as { type: number; data: Uint8Array }[]).map((u) => [u.type, toHex(u.data)]))}`);
    else if (k === '_tail') out.push(p);
    else undecoded(x, p, out);
  }
  return out;
}
