/**
 * nftables (docs/benchmarks.md "nftables"), not in CI, root: 10,000 rules applied in one transaction
 * and a 10,000-rule ruleset listed, netlink-ts against nft 1.0.x, in one run, interleaved round by round.
 *
 *   npx tsx bench/nft.ts [--rounds N] [--rules N] [--quick] [--tsx] [--cpu-prof] [--out FILE]
 *
 * The ruleset: table inet bench, a filter input base chain, N rules `ip saddr 10.x.y.z tcp dport P
 * counter accept` (N = 10,000), written as nft text, as libnftables JSON, and applied to an empty ruleset.
 *
 *   apply   `nft -f TEXT` (the baseline) and `nft -j -f JSON`, each one process; netlink-ts in one
 *           process that reads the JSON, `NetlinkClient.open({ netns })`, `nl.nftables.apply(doc)`
 *           and exits (the user's view, start-up included), and warm: apply() in a long-lived process
 *           (its time inside apply()). The ruleset is flushed (untimed) before each.
 *   list    `nft -j list ruleset` (the baseline), `nlts nft -j list ruleset`, both one process;
 *           netlink-ts list() + JSON.stringify in one fresh process, and warm in a long-lived one.
 *   RSS     peak RSS (ru_maxrss, /usr/bin/time -f %M) of every process; the long-lived ones report their own.
 *   floor   the kernel's own time (not a baseline): bench/workers/nft_floor.py sends netlink-ts's
 *           transaction datagram on a raw socket and times sendmsg(), where the kernel runs it; and
 *           does a listing's dumps, walking only the nlmsghdrs.
 *
 * Every process runs in a throwaway namespace nlts-bench-nft-<pid> (nft and the CLI under
 * `nsenter --net`, the API workers entering it by open({ netns })), removed at the end, on exit and
 * on signals; namespaces of earlier runs whose pid is gone are removed at start. The Node workers run
 * as esbuild bundles with plain node (as compiled JS runs), or through tsx with --tsx. --cpu-prof
 * writes one profile each of a fresh apply, a fresh list and the warm processes to bench/results/prof/.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = '/usr/bin/python3';
const TIME = '/usr/bin/time';

const USAGE = 'usage: npx tsx bench/nft.ts [--rounds N] [--rules N] [--quick] [--tsx] [--cpu-prof] [--out FILE]';
const opt = { rounds: 7, rules: 10_000, bundle: true, cpuProf: false, out: path.join(ROOT, 'bench/results/nft.md') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--rounds') opt.rounds = Number(argv[++i]);
  else if (a === '--rules') opt.rules = Number(argv[++i]);
  else if (a === '--quick') opt.rounds = 2;
  else if (a === '--tsx') opt.bundle = false;
  else if (a === '--cpu-prof') opt.cpuProf = true;
  else if (a === '--out') opt.out = path.resolve(argv[++i]!);
  else {
    console.error(`${USAGE}\nunknown argument: ${a}`);
    process.exit(2);
  }
}
if (!(opt.rounds >= 1) || !(opt.rules >= 1 && opt.rules <= 65535 * 256)) {
  console.error(USAGE);
  process.exit(2);
}

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// The namespace and files, always removed

const NS = `nlts-bench-nft-${process.pid}`;
const NS_PATH = `/run/netns/${NS}`;
const DIR = mkdtempSync(path.join(tmpdir(), 'nlts-bench-nft-'));
const live: ChildProcessWithoutNullStreams[] = [];

function cleanup(): void {
  for (const c of live) c.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  rmSync(DIR, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));

/** Namespaces of earlier runs whose process is gone. */
function removeStale(): void {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = /^nlts-bench-nft-(\d+)\b/.exec(line);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      spawnSync('ip', ['netns', 'del', m[0]], { stdio: 'ignore' });
    }
  }
}

/** `nft ARGS` in the namespace, untimed (setup, flush, checks). */
function nft(...args: string[]): string {
  return execFileSync('nsenter', [`--net=${NS_PATH}`, 'nft', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

// ---------------------------------------------------------------------------------------------
// The ruleset, as text and as JSON

function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function writeRuleset(n: number): { text: string; json: string } {
  const items: object[] = [
    { add: { table: { family: 'inet', name: 'bench' } } },
    { add: { chain: { family: 'inet', table: 'bench', name: 'input', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } },
  ];
  const lines = ['table inet bench {', '\tchain input {', '\t\ttype filter hook input priority filter; policy accept;'];
  for (let i = 0; i < n; i++) {
    const [a, p] = [address(i), 1024 + (i % 60000)];
    const expr = [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: a } },
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: p } },
      { counter: { packets: 0, bytes: 0 } },
      { accept: null },
    ];
    items.push({ add: { rule: { family: 'inet', table: 'bench', chain: 'input', expr } } });
    lines.push(`\t\tip saddr ${a} tcp dport ${p} counter packets 0 bytes 0 accept`);
  }
  lines.push('\t}', '}', '');
  const text = path.join(DIR, 'rules.nft');
  const json = path.join(DIR, 'rules.json');
  writeFileSync(text, lines.join('\n'));
  writeFileSync(json, JSON.stringify({ nftables: items }));
  return { text, json };
}

// ---------------------------------------------------------------------------------------------
// Processes

const bundles = { worker: '', cli: '' };

async function buildBundles(): Promise<void> {
  const { build } = await import('esbuild');
  const base = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' } as const;
  bundles.worker = path.join(ROOT, 'bench/.build/nft-worker.mjs');
  bundles.cli = path.join(ROOT, 'bench/.build/cli/main.js'); // main.ts runs itself when argv[1] is a main.js
  await build({ ...base, entryPoints: [path.join(ROOT, 'bench/workers/nft.ts')], outfile: bundles.worker });
  await build({ ...base, entryPoints: [path.join(ROOT, 'src/cli/main.ts')], outfile: bundles.cli });
}

/** node running a worker or the CLI: the bundle, or the source through tsx. */
function nodeArgs(what: 'worker' | 'cli', prof?: string): string[] {
  const p = prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench/results/prof')}`, `--cpu-prof-name=${prof}.cpuprofile`] : [];
  if (opt.bundle || prof) return [process.execPath, ...p, bundles[what]];
  const src = what === 'worker' ? 'bench/workers/nft.ts' : 'src/cli/main.ts';
  return [process.execPath, ...p, '--import', 'tsx', path.join(ROOT, src)];
}

const nodeEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
};

interface Run {
  wallMs: number;
  rssKiB: number;
  stdout: string;
  result: Record<string, number> | undefined;
}

/** One process, timed from spawn to exit, under /usr/bin/time for its peak RSS. */
function run(cmd: string[], what: string): Run {
  const rssFile = path.join(DIR, 'rss');
  const t0 = performance.now();
  const r = spawnSync(TIME, ['-f', '%M', '-o', rssFile, ...cmd], { cwd: ROOT, env: nodeEnv(), maxBuffer: 1 << 28, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${what} failed (${r.signal ?? r.status}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return {
    wallMs,
    rssKiB: Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()),
    stdout: r.stdout,
    result: line && JSON.parse(line.slice(7)),
  };
}

const inNs = (...cmd: string[]) => ['nsenter', `--net=${NS_PATH}`, ...cmd];

/** A long-lived worker: one command a line, one RESULT line back. */
class Server {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor(args: object, prof?: string) {
    const [node, ...rest] = nodeArgs('worker', prof);
    this.child = spawn(node!, [...rest, JSON.stringify({ mode: 'serve', ...args })], { cwd: ROOT, env: nodeEnv() });
    live.push(this.child);
    this.child.stderr.on('data', (b) => process.stderr.write(b));
    this.child.stdout.on('data', (b: Buffer) => this.onData(b.toString()));
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`a warm worker exited (${signal ?? code})`);
      this.waiting?.reject(this.exited);
    });
  }

  private onData(s: string): void {
    this.buffered += s;
    let i: number;
    while ((i = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, i);
      this.buffered = this.buffered.slice(i + 1);
      if (!line.startsWith('RESULT ')) continue;
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w.resolve(line);
      else this.lines.push(line);
    }
  }

  /** Sends `cmd` (none: only waits) and resolves with the next RESULT. */
  async ask(cmd: string): Promise<Record<string, number>> {
    if (cmd) this.child.stdin.write(`${cmd}\n`);
    const line =
      this.lines.shift() ??
      (await new Promise<string>((resolve, reject) => {
        if (this.exited) reject(this.exited);
        else this.waiting = { resolve, reject };
      }));
    return JSON.parse(line.slice(7));
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask('exit');
    this.child.stdin.end();
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Samples: one value per round and peer; ratios of medians, and per-round ratios

type Unit = 'ms' | 'MiB';
interface Metric {
  name: string;
  unit: Unit;
  baseline: string;
  rows: Map<string, Map<number, number>>;
  note?: string;
}
const metrics: Metric[] = [];

function metric(name: string, unit: Unit, baseline: string, note?: string): Metric {
  let m = metrics.find((x) => x.name === name);
  if (!m) metrics.push((m = { name, unit, baseline, rows: new Map(), ...(note !== undefined && { note }) }));
  return m;
}

function record(m: Metric, round: number, peer: string, v: number): void {
  if (!m.rows.has(peer)) m.rows.set(peer, new Map());
  m.rows.get(peer)!.set(round, v);
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

const fmt = (v: number, unit: Unit) => (unit === 'MiB' || v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function ratioOf(m: Metric, peer: string): number | undefined {
  const base = m.rows.get(m.baseline);
  const mine = m.rows.get(peer);
  return base && mine ? median([...mine.values()]) / median([...base.values()]) : undefined;
}

function table(): string[] {
  const out = ['| measure | peer | min | median | max | ratio |', '|---|---|---:|---:|---:|---|'];
  for (const m of metrics) {
    const base = m.rows.get(m.baseline);
    for (const [peer, byRound] of m.rows) {
      const v = [...byRound.values()];
      let ratio = 'baseline';
      if (peer !== m.baseline && base) {
        const per = [...byRound].filter(([r]) => base.has(r)).map(([r, x]) => x / base.get(r)!);
        ratio = `${ratioOf(m, peer)!.toFixed(2)}x` + (per.length > 1 ? ` [${Math.min(...per).toFixed(2)}-${Math.max(...per).toFixed(2)}]` : '');
      }
      const label = peer === m.baseline ? `**${peer}**` : peer;
      const [lo, mid, hi] = [Math.min(...v), median(v), Math.max(...v)].map((x) => fmt(x, m.unit));
      out.push(`| ${m.name} (${m.unit}) | ${label} | ${lo} | ${mid} | ${hi} | ${ratio} |`);
    }
  }
  return out;
}

/** Peers in a different order each round, so drift and warm caches spread evenly. */
function rotate<T>(list: T[], round: number): T[] {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------
// The run

const P = {
  nftText: '`nft -f` (text)',
  nftJson: '`nft -j -f` (JSON)',
  nltsProc: 'netlink-ts apply(), one process',
  nltsProcInner: '(that process: the time inside apply())',
  nltsWarm: 'netlink-ts apply(), warm (in-process)',
  floor: 'kernel floor (the transaction inside sendmsg)',
  startup: 'node + netlink-ts loaded, nothing done (one process)',
  nftList: '`nft -j list ruleset`',
  cliList: '`nlts nft -j list ruleset`',
  nltsListProc: 'netlink-ts list() + JSON.stringify, one process',
  nltsListProcInner: '(that process: the time inside list() + stringify)',
  nltsListWarm: 'netlink-ts list() + JSON.stringify, warm (in-process)',
  floorList: 'kernel floor (the dumps, headers walked)',
} as const;

function countRules(): number {
  return (JSON.parse(nft('-j', 'list', 'ruleset')).nftables as object[]).filter((x) => 'rule' in x).length;
}

const apply = metric('apply', 'ms', P.nftText);
const applyRss = metric('apply, peak RSS', 'MiB', P.nftText);
const list = metric('list', 'ms', P.nftList);
const listRss = metric('list, peak RSS', 'MiB', P.nftList);

/** What the rounds share: the files, the long-lived workers, the captured transaction. */
interface Bench {
  files: { text: string; json: string };
  datagram: string;
  applier: Server;
  lister: Server;
  /** `nft -j list ruleset` of the first round, to hold the CLI's output to. */
  nftListing?: unknown;
}

/** A worker process's command: its mode and arguments (JSON), in the benchmark's namespace. */
function worker(args: object, prof?: string): string[] {
  return [...nodeArgs('worker', prof), JSON.stringify({ netns: NS, ...args })];
}

const FLOOR = path.join(ROOT, 'bench/workers/nft_floor.py');

/** Every apply peer once, each on an empty ruleset (flushed, untimed); the last one's ruleset stays for the listings. */
async function applyRound(b: Bench, round: number): Promise<void> {
  for (const peer of rotate([P.nftText, P.nftJson, P.nltsProc, P.nltsWarm, P.floor, P.startup], round)) {
    log(`  ${peer}`);
    if (peer === P.startup) {
      record(apply, round, peer, run(worker({ mode: 'noop' }), peer).wallMs);
      continue;
    }
    nft('flush', 'ruleset');
    if (peer === P.nltsWarm) record(apply, round, peer, (await b.applier.ask('apply')).ms!);
    else if (peer === P.floor) record(apply, round, peer, run(inNs(PY, FLOOR, 'apply', b.datagram), peer).result!.ms!);
    else {
      const cmd =
        peer === P.nftText
          ? inNs('nft', '-f', b.files.text)
          : peer === P.nftJson
            ? inNs('nft', '-j', '-f', b.files.json)
            : worker({ mode: 'apply', file: b.files.json });
      const r = run(cmd, peer);
      record(apply, round, peer, r.wallMs);
      record(applyRss, round, peer, r.rssKiB / 1024);
      if (r.result) record(apply, round, P.nltsProcInner, r.result.ms!);
    }
    if (round === 0 && countRules() !== opt.rules) throw new Error(`${peer} did not apply ${opt.rules} rules`);
  }
}

/** Every list peer once; in the first round the outputs are checked (whole, and nlts's the same as nft's). */
async function listRound(b: Bench, round: number): Promise<void> {
  for (const peer of rotate([P.nftList, P.cliList, P.nltsListProc, P.nltsListWarm, P.floorList], round)) {
    log(`  ${peer}`);
    if (peer === P.nltsListWarm) {
      const r = await b.lister.ask('list');
      if (r.rules !== opt.rules) throw new Error(`warm list(): ${r.rules} rules`);
      record(list, round, peer, r.ms!);
      continue;
    }
    if (peer === P.floorList) {
      record(list, round, peer, run(inNs(PY, FLOOR, 'list'), peer).result!.ms!);
      continue;
    }
    const cmd =
      peer === P.nftList
        ? inNs('nft', '-j', 'list', 'ruleset')
        : peer === P.cliList
          ? inNs(...nodeArgs('cli'), 'nft', '-j', 'list', 'ruleset')
          : worker({ mode: 'list' });
    const r = run(cmd, peer);
    record(list, round, peer, r.wallMs);
    record(listRss, round, peer, r.rssKiB / 1024);
    if (r.result) record(list, round, P.nltsListProcInner, r.result.ms!);
    if (round === 0 && peer === P.nftList) {
      b.nftListing = JSON.parse(r.stdout);
      const rules = (b.nftListing as { nftables: object[] }).nftables.filter((x) => 'rule' in x).length;
      if (rules !== opt.rules) throw new Error(`nft listed ${rules} rules`);
    }
    if (round === 0 && peer === P.cliList) {
      const same = isDeepStrictEqual(JSON.parse(r.stdout), b.nftListing ?? JSON.parse(nft('-j', 'list', 'ruleset')));
      if (!same) throw new Error('nlts nft -j list ruleset differs from nft -j list ruleset');
    }
  }
}

/** The long-lived workers, the transaction captured for the floor, two warm-up applies and lists. */
async function setup(files: Bench['files']): Promise<Bench & { datagramBytes: number }> {
  log(`capturing the transaction datagram; warm workers starting (${opt.rules} rules)`);
  const applier = new Server({ netns: NS, file: files.json }, opt.cpuProf ? 'nft-warm-apply' : undefined);
  const lister = new Server({ netns: NS }, opt.cpuProf ? 'nft-warm-list' : undefined);
  await Promise.all([applier.ask(''), lister.ask('')]);
  const datagram = path.join(DIR, 'batch.bin');
  nft('flush', 'ruleset');
  const cap = await applier.ask(`capture ${datagram}`);
  if (countRules() !== opt.rules) throw new Error('the captured transaction did not apply every rule');
  for (let i = 0; i < 2; i++) {
    nft('flush', 'ruleset');
    await applier.ask('apply');
    await lister.ask('list');
  }
  return { files, datagram, applier, lister, datagramBytes: cap.bytes! };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The markdown: how it ran, the table, the goals. */
function report(started: number, loadAtStart: string, datagramBytes: number): string {
  const command = `npx tsx bench/nft.ts${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const host = `kernel ${release()}, Node ${process.version}, ${nft('--version').trim()}, ${cpus().length} x ${cpus()[0]?.model.trim()}`;
  const workers = opt.bundle ? 'bundled by esbuild, run by plain node' : 'through tsx';
  const took = ((Date.now() - started) / 1000).toFixed(0);
  const lines = [
    `nftables, ${opt.rules} rules (\`${command}\`): ${new Date(started).toISOString()}, ${host}.`,
    `${opt.rounds} rounds, peers in a rotating order; Node workers ${workers}. The transaction is ${(datagramBytes / 2 ** 20).toFixed(1)} MiB.`,
    `Took ${took} s; load average at the start ${loadAtStart}, at the end ${loadavg()}.`,
    '',
    'min / median / max over rounds; ratio = median / median of the baseline (**bold**), in brackets the per-round ratios.',
    'One process = spawn to exit (the warm rows: the time inside the call). Peak RSS of the warm rows: the long-lived process after all its rounds.',
    '',
    ...table(),
    '',
    '| goal | ratio | limit | |',
    '|---|---:|---:|---|',
  ];
  const goals: [string, Metric, string, number][] = [
    ['apply, one process, <= nft -f', apply, P.nltsProc, 1],
    ['apply, warm, <= nft -f', apply, P.nltsWarm, 1],
    ['list, warm list() + stringify, <= 0.5x nft -j list ruleset', list, P.nltsListWarm, 0.5],
    ['list, one process, <= 0.5x', list, P.nltsListProc, 0.5],
    ['list, `nlts nft -j list ruleset`, <= 0.5x', list, P.cliList, 0.5],
  ];
  for (const [name, m, peer, limit] of goals) {
    const r = ratioOf(m, peer);
    if (r !== undefined) lines.push(`| ${name} | ${r.toFixed(2)}x | ${limit}x | ${r <= limit ? 'met' : '**not met**'} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg();
  removeStale();
  execFileSync('ip', ['netns', 'add', NS]);
  const files = writeRuleset(opt.rules);
  if (opt.bundle || opt.cpuProf) await buildBundles();
  if (opt.cpuProf) mkdirSync(path.join(ROOT, 'bench/results/prof'), { recursive: true });
  const b = await setup(files);
  for (let round = 0; round < opt.rounds; round++) {
    log(`round ${round + 1}/${opt.rounds}`);
    await applyRound(b, round);
    await listRound(b, round); // on the ruleset the last apply left
  }
  const [a, l] = await Promise.all([b.applier.ask('rss'), b.lister.ask('rss')]);
  record(applyRss, 0, P.nltsWarm, a.maxRssKiB! / 1024);
  record(listRss, 0, P.nltsListWarm, l.maxRssKiB! / 1024);
  await Promise.all([b.applier.close(), b.lister.close()]);
  if (opt.cpuProf) {
    nft('flush', 'ruleset');
    run(worker({ mode: 'apply', file: files.json }, 'nft-apply'), 'profiled apply');
    run(worker({ mode: 'list' }, 'nft-list'), 'profiled list');
    log(`profiles in ${path.join(ROOT, 'bench/results/prof')}`);
  }
  const text = report(started, loadAtStart, b.datagramBytes);
  process.stdout.write(text);
  mkdirSync(path.dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, text);
  log(`written to ${opt.out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
