/**
 * Records the fixture corpus (fixtures/*.json) from the running kernel.
 *
 *   sudo npx tsx scripts/record-fixtures.ts [--dry-run] [--print] [--out DIR] [SCENARIO...]
 *
 * Each scenario of test/fixtures/scenarios.ts runs in a fresh throwaway network namespace
 * (nlts-rec-<pid>-<n>, always deleted): its setup builds state with an unrecorded client, then a
 * NetlinkClient over RecordingTransport(NetlinkSocket({ fd })) makes the scenario's API calls and
 * every datagram is written with its provenance (producer, command, kernel, date) and one
 * formatMessage note per message. The scenario's summary of the live result must equal its
 * `expected` facts, the same facts test/fixtures/corpus.test.ts demands from the replay.
 *
 * --dry-run records and checks without writing; --print prints each summary (to update `expected`).
 * Needs root (CAP_SYS_ADMIN for namespaces, CAP_NET_ADMIN inside them). The root namespace is
 * never touched: sockets are created inside the throwaway namespace with setns on this thread.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { NetlinkClient } from '../src/api/client.js';
import { rtnetlinkCodec } from '../src/api/rtnetlink-codec.js';
import { formatMessage } from '../src/codec/format.js';
import { fromHex, parseFixture } from '../src/transport/fixture.js';
import * as libc from '../src/transport/libc.js';
import { NetlinkSocket } from '../src/transport/netlink-socket.js';
import { RecordingTransport } from '../src/transport/recording.js';
import { type LiveEnv, type Scenario, scenarios } from '../test/fixtures/scenarios.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const PRODUCER = `netlink-ts ${VERSION} scripts/record-fixtures.ts`;
/** Notes longer than this are cut (a link message formats to several KB; the hex is the fixture). */
const NOTE_MAX = 600;

// ---------------------------------------------------------------------------------------------
// Throwaway namespaces

const PREFIX = `nlts-rec-${process.pid}-`;
let counter = 0;
const live = new Set<string>();

function addNetns(): string {
  const name = `${PREFIX}${++counter}`;
  execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
  live.add(name);
  return name;
}

function delNetns(name: string): void {
  if (!live.delete(name)) return;
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
  } catch (err) {
    process.stderr.write(`warning: could not delete namespace ${name}: ${(err as Error).message.split('\n')[0]}\n`);
  }
}

function cleanupAll(): void {
  for (const name of [...live]) delNetns(name);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}
process.on('exit', cleanupAll);

/** A NETLINK_ROUTE socket created inside the namespace: setns this thread around socket(). */
function socketIn(name: string): number {
  const self = libc.openPath('/proc/thread-self/ns/net');
  const target = libc.openPath(`/run/netns/${name}`);
  try {
    libc.setns(target);
    try {
      return libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, 0);
    } finally {
      libc.setns(self);
    }
  } finally {
    libc.close(target);
    libc.close(self);
  }
}

// ---------------------------------------------------------------------------------------------

function annotate(d: Uint8Array): string[] {
  return rtnetlinkCodec()
    .decode(d)
    .map((m) => {
      const line = formatMessage(m);
      return line.length > NOTE_MAX ? `${line.slice(0, NOTE_MAX)}... (${line.length} chars)` : line;
    });
}

function typesIn(hex: string): number[] {
  const d = fromHex(hex);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: number[] = [];
  for (let p = 0; p + 16 <= d.length; ) {
    const len = v.getUint32(p, true);
    out.push(v.getUint16(p + 4, true));
    if (len < 16) break;
    p += (len + 3) & ~3;
  }
  return out;
}

interface Recorded {
  scenario: Scenario;
  summary: unknown;
  ok: boolean;
  exchanges: number;
  bytes: number;
}

async function record(s: Scenario, outDir: string | undefined): Promise<Recorded> {
  const ns = addNetns();
  const peers: { name: string; fd: number }[] = [];
  let recorder: RecordingTransport | undefined;
  const env: LiveEnv = {
    peerNamespace() {
      const name = addNetns();
      const peer = { name, fd: libc.openPath(`/run/netns/${name}`) };
      peers.push(peer);
      return peer;
    },
    deletePeerNamespaces() {
      for (const p of peers.splice(0)) {
        libc.close(p.fd);
        delNetns(p.name);
      }
    },
    async waitForReceived(type, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!recorder!.exchanges.some((e) => e.dir === 'received' && typesIn(e.hex).includes(type))) {
        if (Date.now() > until) throw new Error(`${s.name}: no message of type ${type} arrived within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  let setupClient: NetlinkClient | undefined;
  let nl: NetlinkClient | undefined;
  try {
    if (s.setup) {
      setupClient = NetlinkClient.open({ transport: new NetlinkSocket({ fd: socketIn(ns) }) });
      await s.setup(setupClient, env);
    }
    recorder = new RecordingTransport(new NetlinkSocket({ fd: socketIn(ns) }), {
      producer: PRODUCER,
      command: s.command,
      description: s.description,
    });
    recorder.annotate = annotate;
    for (const g of s.groups ?? []) recorder.addMembership(g);
    nl = NetlinkClient.open({ transport: recorder });
    const result = await s.run(nl);
    await s.after?.(env);
    const summary = s.summary(result);
    nl.close();
    nl = undefined;
    const fixture = recorder.fixture({ kernel: release(), recordedAt: new Date().toISOString() });
    const text = JSON.stringify(fixture, null, 1) + '\n';
    if (outDir) writeFileSync(join(outDir, `${s.name}.json`), text);
    return { scenario: s, summary, ok: isDeepStrictEqual(summary, s.expected), exchanges: fixture.exchanges.length, bytes: text.length };
  } finally {
    nl?.close();
    setupClient?.close();
    env.deletePeerNamespaces();
    delNetns(ns);
  }
}

/** fixtures/README.md: one row per scenario fixture present in outDir. */
function writeIndex(outDir: string): void {
  const present = new Set(readdirSync(outDir));
  const kernels = new Set<string>();
  const rows = scenarios
    .filter((s) => present.has(`${s.name}.json`))
    .map((s) => {
      const text = readFileSync(join(outDir, `${s.name}.json`), 'utf8');
      const f = parseFixture(text, s.name);
      kernels.add(f.provenance.kernel);
      return `| [${s.name}](${s.name}.json) | ${s.description} | ${f.exchanges.length} | ${(text.length / 1024).toFixed(1)} KB |`;
    });
  const text = [
    '# Fixture corpus',
    '',
    `Recorded from Linux ${[...kernels].join(', ')} by \`sudo npx tsx scripts/record-fixtures.ts\` (generated file: do not edit).`,
    'The API calls of each scenario are in test/fixtures/scenarios.ts; test/fixtures/corpus.test.ts replays them.',
    'Format, recording and replaying: docs/fixtures.md.',
    '',
    '| fixture | what it shows | datagrams | size |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'README.md'), text);
}

async function main(argv: string[]): Promise<number> {
  let dryRun = false;
  let print = false;
  let outDir = join(ROOT, 'fixtures');
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dry-run') dryRun = true;
    else if (a === '--print') print = true;
    else if (a === '--out') outDir = resolve(argv[++i] ?? '.');
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: npx tsx scripts/record-fixtures.ts [--dry-run] [--print] [--out DIR] [SCENARIO...]\n');
      process.stdout.write(`scenarios: ${scenarios.map((s) => s.name).join(' ')}\n`);
      return 0;
    } else names.push(a);
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('record-fixtures: needs root (network namespaces are created and configured)\n');
    return 1;
  }
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`record-fixtures: no scenario ${unknown.join(', ')} (have ${scenarios.map((s) => s.name).join(', ')})\n`);
    return 1;
  }
  const chosen = names.length > 0 ? scenarios.filter((s) => names.includes(s.name)) : scenarios;
  let failed = 0;
  for (const s of chosen) {
    let r: Recorded;
    try {
      r = await record(s, dryRun ? undefined : outDir);
    } catch (err) {
      failed++;
      process.stderr.write(`FAIL ${s.name}: ${(err as Error).stack ?? String(err)}\n`);
      continue;
    }
    process.stdout.write(`${r.ok ? 'ok  ' : 'DIFF'} ${s.name}: ${r.exchanges} datagrams, ${(r.bytes / 1024).toFixed(1)} KB\n`);
    if (!r.ok) failed++;
    if (print || !r.ok) process.stdout.write(`  summary: ${JSON.stringify(r.summary)}\n`);
    if (!r.ok) process.stdout.write(`  expected: ${JSON.stringify(s.expected)}\n`);
  }
  if (!dryRun) writeIndex(outDir);
  if (!dryRun && names.length === 0) {
    const known = new Set(scenarios.map((s) => `${s.name}.json`));
    const stale = readdirSync(outDir).filter((f) => f.endsWith('.json') && !known.has(f));
    for (const f of stale) process.stdout.write(`note: ${f} belongs to no scenario (delete it if a scenario was renamed)\n`);
  }
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
