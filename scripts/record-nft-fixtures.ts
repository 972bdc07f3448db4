/**
 * Records the nf_tables fixtures (fixtures/nftables/*.json) from the running kernel and nft.
 *
 *   sudo npx tsx scripts/record-nft-fixtures.ts [--dry-run]
 *
 * In a fresh throwaway namespace (nlts-rec-<pid>-nft, always deleted):
 * - ruleset-dump.json: fixtures/nftables/ruleset.nft and the iptables-nft rules of
 *   test/support/nft-ruleset.ts are loaded, then getgen and the dumps of tables, chains, rules,
 *   sets, objects, flowtables and every set's elements go over a NETLINK_NETFILTER socket
 *   (RecordingTransport), as test/protocol/nf-tables-kernel.test.ts makes them live;
 * - nft-<name>.json: what `nft -f fixtures/nftables/<name>.nft` sends to an empty ruleset, captured with
 *   `strace -e write=all` (every datagram nft writes to its netlink socket, as `sent`), for the
 *   golden-bytes tests of test/protocol/nf-tables.test.ts. The kernel's answers are not captured.
 *
 * Needs root, nft and iptables-nft (Debian's nftables and iptables packages) and strace. The root
 * namespace is never touched.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMessage } from '../src/codec/format.js';
import { Connection } from '../src/conn/connection.js';
import { type Fixture, FIXTURE_FORMAT, FIXTURE_VERSION, newProvenance, saveFixture, toHex } from '../src/transport/fixture.js';
import { NetlinkSocket } from '../src/transport/netlink-socket.js';
import { RecordingTransport } from '../src/transport/recording.js';
import { socketInNetns } from '../test/support/netns.js';
import { DUMP_FIXTURE, IPTABLES_COMMANDS, dumpRuleset, loadRuleset, nftCodec } from '../test/support/nft-ruleset.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'fixtures/nftables');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PRODUCER = `netlink-ts ${VERSION} scripts/record-nft-fixtures.ts`;
const NETLINK_NETFILTER = 12;
/** The nft inputs whose sent bytes are recorded. */
export const GOLDEN = ['walkthrough', 'sets', 'absent'] as const;
const NOTE_MAX = 600;

const dryRun = process.argv.includes('--dry-run');
const NS = `nlts-rec-${process.pid}-nft`;
const codec = nftCodec();

function annotate(d: Uint8Array, sender: 'user' | 'kernel'): string[] {
  return codec.decode(d, sender).map((m) => {
    const line = formatMessage(m);
    return line.length > NOTE_MAX ? `${line.slice(0, NOTE_MAX)}... (${line.length} chars)` : line;
  });
}

function write(path: string, f: Fixture): void {
  if (dryRun) process.stdout.write(`would write ${path} (${f.exchanges.length} datagrams)\n`);
  else {
    saveFixture(path, f);
    process.stdout.write(`wrote ${path} (${f.exchanges.length} datagrams)\n`);
  }
}

async function recordDump(): Promise<void> {
  loadRuleset(NS);
  const rec = new RecordingTransport(new NetlinkSocket({ fd: socketInNetns(`/run/netns/${NS}`, NETLINK_NETFILTER), protocol: NETLINK_NETFILTER }), {
    producer: PRODUCER,
    command: `getgen; gettable, getchain, getrule, getset, getobj, getflowtable dumps; getsetelem of each set  # nft -f fixtures/nftables/ruleset.nft; ${IPTABLES_COMMANDS.map((c) => `iptables-nft ${c.join(' ')}`).join('; ')}`,
    description: 'the dumps that list a ruleset with every expression nft 1.0.6 writes, and iptables-nft rules (xt match/target)',
  });
  rec.annotate = (d) => annotate(d, 'kernel');
  const conn = new Connection(rec, codec);
  try {
    await dumpRuleset(conn);
  } finally {
    conn.close();
  }
  write(DUMP_FIXTURE, rec.fixture());
}

/** The datagrams of every sendto/sendmsg in `strace -e write=all` output, in order. */
export function straceDatagrams(text: string): Uint8Array[] {
  const out: number[][] = [];
  let cur: number[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\d+\s+send(to|msg)\(/.test(line)) out.push((cur = []));
    else if (/^\d+\s+/.test(line)) cur = undefined;
    const m = /^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2}){1,16})/.exec(line);
    if (m && cur) for (const h of m[1]!.trim().split(/\s+/)) cur.push(parseInt(h, 16));
  }
  return out.map((b) => Uint8Array.from(b));
}

function recordGolden(name: string): void {
  const input = join(DIR, `${name}.nft`);
  const trace = `/tmp/${NS}-${name}.strace`;
  execFileSync('ip', ['netns', 'exec', NS, 'nft', 'flush', 'ruleset'], { stdio: 'pipe' });
  try {
    execFileSync('ip', ['netns', 'exec', NS, 'strace', '-f', '-e', 'trace=sendto,sendmsg', '-e', 'write=all', '-o', trace, 'nft', '-f', input], {
      stdio: 'pipe',
    });
  } catch {
    // nft fails where the kernel lacks a feature (absent.nft): what it sent is still recorded
  }
  const text = readFileSync(trace, 'utf8');
  execFileSync('rm', ['-f', trace]);
  const exchanges = straceDatagrams(text).map((d) => ({ dir: 'sent' as const, hex: toHex(d), note: annotate(d, 'user') }));
  const nftVersion = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim();
  write(join(DIR, `nft-${name}.json`), {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    provenance: newProvenance({
      producer: `${PRODUCER} (strace of ${nftVersion})`,
      protocol: NETLINK_NETFILTER,
      portId: 0,
      command: `nft -f fixtures/nftables/${name}.nft`,
      description: 'the datagrams nft sends (the kernel answers are not recorded)',
    }),
    exchanges,
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  execFileSync('ip', ['netns', 'add', NS], { stdio: 'pipe' });
  try {
    await recordDump();
    for (const name of GOLDEN) recordGolden(name);
  } finally {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'pipe' });
  }
}

await main();
