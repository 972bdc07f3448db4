/**
 * netlink-ts against the tools users would otherwise pick, in one run, interleaved round by round
 * (scenarios S1-S4 of /work/shared/reference/benchmarks.md; see docs/benchmarks.md).
 *
 *   npx tsx bench/run.ts [s1 s2 s3 s4 ...] [--rounds N] [--quick] [--tsx] [--cpu-prof] [--out FILE]
 *
 * The Node workers (netlink-ts and the `ip` + JSON.parse side alike) run as esbuild bundles with
 * plain `node`, as the package's compiled JS runs for its users; --tsx runs them from source
 * through tsx instead (its loader adds ~15 MiB RSS and keepNames wrappers). --cpu-prof adds one profiled
 * netlink-ts run per scenario (always bundled, so profiles have real line numbers) in
 * bench/results/prof/.
 *
 * Every scenario builds its state in a fresh namespace nlts-bench-<pid>-<n> (set up with
 * `ip -n NS -batch -`) and always removes it (finally, exit and signal handlers). Every measured
 * program runs inside that namespace the same way: `ip netns exec NS <worker>`; the workers are
 * bench/workers/{nlts.ts, ip.ts, pyroute2_worker.py, floor.py} and each prints one `RESULT {json}` line.
 * floor.py is the "kernel floor" peer of S1-S3: a raw AF_NETLINK socket in Python sending the same
 * requests and only walking the nlmsghdrs of the replies, i.e. what the kernel plus a minimal
 * client costs. It is not a baseline.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = '/usr/bin/python3';

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const opt = {
  scenarios: [] as string[],
  rounds: 0,
  quick: false,
  cpuProf: false,
  bundle: true,
  out: path.join(ROOT, 'bench/results/latest.md'),
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--rounds') opt.rounds = Number(argv[++i]);
  else if (a === '--quick') opt.quick = true;
  else if (a === '--cpu-prof') opt.cpuProf = true;
  else if (a === '--bundle') opt.bundle = true;
  else if (a === '--tsx') opt.bundle = false;
  else if (a === '--out') opt.out = path.resolve(argv[++i]!);
  else if (/^s[1-4]$/i.test(a)) opt.scenarios.push(a.toLowerCase());
  else {
    console.error(`usage: npx tsx bench/run.ts [s1 s2 s3 s4] [--rounds N] [--quick] [--tsx] [--cpu-prof] [--out FILE]\nunknown argument: ${a}`);
    process.exit(2);
  }
}
if (opt.scenarios.length === 0) opt.scenarios = ['s1', 's2', 's3', 's4'];
if (!opt.rounds) opt.rounds = opt.quick ? 2 : 7;
if (!(opt.rounds >= 1)) throw new Error('--rounds must be >= 1');

/** Sizes; --quick keeps the read scenarios whole and shrinks the slow parts. */
const cfg = {
  /** Later dumps per process: their median is "repeat" (the JIT has warmed up by the last ones). */
  repeats: opt.quick ? 2 : 5,
  s1Pairs: 1000,
  s2Sizes: [10_000, 100_000],
  /** pyroute2 takes seconds per 100k dump: fewer rounds and one repeat there. */
  py100kRounds: opt.quick ? 1 : Math.min(opt.rounds, 3),
  py100kRepeats: 1,
  s3Addrs: 1000,
  s3IpPerOp: opt.quick ? 20 : 100,
  s4Pairs: opt.quick ? 50 : 200,
  s4IpPerOp: opt.quick ? 5 : 20,
};

// ---------------------------------------------------------------------------------------------
// Namespaces: always removed

const NS_PREFIX = `nlts-bench-${process.pid}-`;
const liveNs = new Set<string>();
let nsCounter = 0;
let currentChild: ChildProcess | undefined;
const tmp = path.join(tmpdir(), `nlts-bench-${process.pid}`);

function ip(args: string[], input?: string): string {
  return execFileSync('ip', args, { input, encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

function nsCreate(): string {
  const name = `${NS_PREFIX}${++nsCounter}`;
  liveNs.add(name);
  ip(['netns', 'add', name]);
  return name;
}

function nsBatch(ns: string, lines: string[]): void {
  ip(['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
}

function nsDelete(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  liveNs.delete(ns);
}

function cleanupAll(): void {
  if (currentChild && currentChild.exitCode === null) currentChild.kill('SIGKILL');
  for (const ns of [...liveNs]) nsDelete(ns);
  rmSync(tmp, { recursive: true, force: true });
}

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: removing ${[...liveNs].join(', ') || 'no namespaces'}`);
    cleanupAll();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

/** Namespaces left by an earlier bench run that was killed hard (its pid is gone). */
function removeStaleNamespaces(): void {
  let names: string[] = [];
  try {
    names = ip(['netns', 'list'])
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^nlts-bench-(\d+)-/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      console.error(`removing stale namespace ${n} (its bench run is gone)`);
      nsDelete(n);
    }
  }
}

async function withNs<T>(setup: string[], fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = nsCreate();
  try {
    if (setup.length) nsBatch(ns, setup);
    return await fn(ns);
  } finally {
    nsDelete(ns);
  }
}

// ---------------------------------------------------------------------------------------------
// Workers

type Peer = 'nlts' | 'nltsIdx' | 'ip' | 'ipbatch' | 'ipop' | 'py' | 'floor';
const PEER_LABEL: Record<Peer, string> = {
  nlts: 'netlink-ts',
  nltsIdx: 'netlink-ts, link by index',
  ip: '`ip -j` + JSON.parse',
  ipbatch: '`ip -batch`',
  ipop: '`ip` per op',
  py: 'pyroute2',
  floor: 'kernel floor (raw socket, no decoding)',
};

interface WorkerRun {
  result: any;
  wallMs: number;
}

let profDir: string | undefined;
const bundles = new Map<string, string>();

/** A worker as one ESM file (dependencies stay external, resolved from the repo's node_modules). */
async function buildBundle(worker: 'nlts' | 'ip'): Promise<void> {
  const { build } = await import('esbuild');
  const outfile = path.join(ROOT, `bench/.build/${worker}-worker.mjs`);
  await build({
    entryPoints: [path.join(ROOT, `bench/workers/${worker}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  bundles.set(worker, outfile);
}

function workerCommand(peer: Peer, args: object, profile?: string): string[] {
  const json = JSON.stringify(args);
  if (peer === 'py') return [PY, path.join(ROOT, 'bench/workers/pyroute2_worker.py'), json];
  if (peer === 'floor') return [PY, path.join(ROOT, 'bench/workers/floor.py'), json];
  const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${profile}.cpuprofile`] : [];
  const worker = peer === 'nlts' ? 'nlts' : 'ip';
  if (opt.bundle || profile) return [process.execPath, ...prof, bundles.get(worker)!, json];
  return [process.execPath, ...prof, '--import', 'tsx', path.join(ROOT, `bench/workers/${worker}.ts`), json];
}

function workerOf(peer: Peer): Peer {
  return peer === 'ipop' || peer === 'ipbatch' ? 'ip' : peer === 'nltsIdx' ? 'nlts' : peer;
}

function runWorker(ns: string, peer: Peer, args: object, profile?: string): Promise<WorkerRun> {
  const cmd = ['netns', 'exec', ns, ...workerCommand(peer, args, profile)];
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ip', cmd, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    currentChild = child;
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      currentChild = undefined;
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${PEER_LABEL[peer]} worker ${JSON.stringify(args)} failed (${signal ?? code}): ${(err || out).trim().slice(-800)}`));
        return;
      }
      resolve({ result: JSON.parse(line.slice(7)), wallMs });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Samples and statistics

/** One measure of one scenario: one value per round and peer. */
interface Metric {
  scenario: string;
  name: string;
  unit: 'ms' | 'µs/op' | 'ms/op' | 'MiB';
  baseline: Peer;
  values: Map<Peer, number[]>;
  /** Per-round ratio to the baseline measured in the same round. */
  ratios: Map<Peer, number[]>;
  roundValues: Map<number, Map<Peer, number>>;
  note?: string;
}
const metrics: Metric[] = [];
const errors: string[] = [];
const counts = new Map<string, Map<Peer, Set<number>>>();

function metric(scenario: string, name: string, unit: Metric['unit'], baseline: Peer, note?: string): Metric {
  let m = metrics.find((x) => x.scenario === scenario && x.name === name);
  if (!m) {
    m = { scenario, name, unit, baseline, values: new Map(), ratios: new Map(), roundValues: new Map(), ...(note && { note }) };
    metrics.push(m);
  }
  return m;
}

function record(m: Metric, round: number, peer: Peer, value: number): void {
  if (!Number.isFinite(value)) return;
  if (!m.values.has(peer)) m.values.set(peer, []);
  m.values.get(peer)!.push(value);
  if (!m.roundValues.has(round)) m.roundValues.set(round, new Map());
  m.roundValues.get(round)!.set(peer, value);
}

function finishRatios(): void {
  for (const m of metrics) {
    for (const row of m.roundValues.values()) {
      const base = row.get(m.baseline);
      if (base === undefined) continue;
      for (const [peer, v] of row) {
        if (!m.ratios.has(peer)) m.ratios.set(peer, []);
        m.ratios.get(peer)!.push(v / base);
      }
    }
  }
}

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
function median(a: number[]): number {
  const s = sorted(a);
  const n = s.length;
  return n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function noteCount(scenario: string, peer: Peer, n: number): void {
  if (!counts.has(scenario)) counts.set(scenario, new Map());
  const m = counts.get(scenario)!;
  if (!m.has(peer)) m.set(peer, new Set());
  m.get(peer)!.add(n);
}

function fmt(v: number, unit: Metric['unit']): string {
  if (unit === 'MiB') return v.toFixed(0);
  if (unit === 'ms' && v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const log = (s: string) => process.stderr.write(s + '\n');
let loadAtStart = '?';

// ---------------------------------------------------------------------------------------------
// Scenarios

/** Peers in a different order each round, so drift and warm caches spread evenly. */
function rotate<T>(list: T[], round: number): T[] {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const msg = `${what}: ${(err as Error).message}`;
    errors.push(msg);
    log(`  ERROR ${msg}`);
    return undefined;
  }
}

/** A read scenario: first dump in a fresh process, repeat dumps, process wall time, peak RSS. */
async function readScenario(
  key: string,
  ns: string,
  what: 'links' | 'routes',
  ipArgv: string[],
  opts: { rss?: boolean; pyRounds?: number; pyRepeats?: number } = {},
) {
  const first = metric(key, 'first dump', 'ms', 'ip');
  const repeat = metric(key, 'repeat dump', 'ms', 'ip');
  const proc = metric(
    key,
    'whole process, one dump',
    'ms',
    'ip',
    'spawn to exit of `ip netns exec NS <worker>` minus the repeat dumps; for `ip` the first-dump time (ip is the whole process)',
  );
  const rss = opts.rss ? metric(key, 'peak RSS (whole worker run)', 'MiB', 'ip', 'ip side = parsing Node process + ip itself') : undefined;
  for (let r = 0; r < opt.rounds; r++) {
    for (const peer of rotate<Peer>(['nlts', 'ip', 'py', 'floor'], r)) {
      if (peer === 'py' && opts.pyRounds !== undefined && r >= opts.pyRounds) continue;
      const repeats = peer === 'py' && opts.pyRepeats !== undefined ? opts.pyRepeats : cfg.repeats;
      const args = peer === 'ip' ? { mode: 'dump', argv: ipArgv, repeats, rss: opts.rss } : { mode: 'dump', what, repeats };
      const run = await attempt(`${key} round ${r + 1} ${PEER_LABEL[peer]}`, () => runWorker(ns, peer, args));
      if (!run) continue;
      const res = run.result;
      noteCount(key, peer, res.count);
      record(first, r, peer, res.first);
      if (res.repeat.length) record(repeat, r, peer, median(res.repeat));
      const repeatsTotal = res.repeat.reduce((a: number, b: number) => a + b, 0);
      record(proc, r, peer, peer === 'ip' ? res.first : run.wallMs - repeatsTotal);
      // The floor keeps no objects: its RSS (a bare Python and a 1 MiB buffer) says nothing about the kernel's cost.
      if (rss && peer !== 'floor') record(rss, r, peer, (res.maxRssKiB + (res.ipMaxRssKiB ?? 0)) / 1024);
      if (rss && peer !== 'floor')
        record(metric(key, 'peak RSS after the first dump only', 'MiB', 'ip'), r, peer, (res.maxRssFirstKiB + (res.ipMaxRssKiB ?? 0)) / 1024);
      if (rss && peer !== 'floor' && res.rssAtStartKiB)
        record(metric(key, 'RSS before the first dump (runtime + libraries)', 'MiB', 'ip'), r, peer, res.rssAtStartKiB / 1024);
      if (rss && peer === 'ip') {
        record(metric(key, 'peak RSS, parsing Node process only', 'MiB', 'ip'), r, 'ip', res.maxRssKiB / 1024);
        record(metric(key, 'peak RSS, ip process only', 'MiB', 'ip'), r, 'ip', (res.ipMaxRssKiB ?? NaN) / 1024);
      }
      const mem =
        res.maxRssKiB !== undefined
          ? `, maxrss ${(res.maxRssKiB / 1024).toFixed(0)} MiB${res.ipMaxRssKiB ? ` + ip ${(res.ipMaxRssKiB / 1024).toFixed(0)} MiB` : ''}`
          : '';
      // The floor also reports the time spent inside recv (the kernel building the datagrams), first dump included.
      const inRecv = res.recv
        ? ` (in recv: first ${res.recv[0].toFixed(1)} ms, repeat ${res.recv.length > 1 ? median(res.recv.slice(1)).toFixed(1) : '-'} ms)`
        : '';
      log(
        `  round ${r + 1} ${PEER_LABEL[peer].padEnd(22)} first ${res.first.toFixed(1)} ms, repeat ${res.repeat.length ? median(res.repeat).toFixed(1) : '-'} ms${inRecv}, wall ${run.wallMs.toFixed(0)} ms, ${res.count} objects${mem}`,
      );
    }
  }
  if (opt.cpuProf) {
    await attempt(`${key} profile`, () => runWorker(ns, 'nlts', { mode: 'dump', what, repeats: 5 }, key.replace(/\W+/g, '-').replace(/-+$/, '')));
  }
}

async function s1(): Promise<void> {
  const key = `S1 links (${cfg.s1Pairs * 2 + 1})`;
  log(`${key}: setting up ${cfg.s1Pairs} veth pairs`);
  const setup: string[] = [];
  for (let i = 0; i < cfg.s1Pairs; i++) setup.push(`link add v${i}a type veth peer name v${i}b`);
  await withNs(setup, (ns) => readScenario(key, ns, 'links', ['-d', '-s', '-j', 'link', 'show']));
}

async function s2(): Promise<void> {
  for (const n of cfg.s2Sizes) {
    const key = `S2 routes (${n / 1000}k)`;
    log(`${key}: setting up ${n} routes`);
    const setup = ['link add veth0 type veth peer name veth1', 'link set veth0 up', 'link set veth1 up', 'addr add 192.0.2.1/24 dev veth0'];
    for (let i = 0; i < n; i++) setup.push(`route add 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 192.0.2.2`);
    const big = n >= 100_000;
    await withNs(setup, (ns) =>
      readScenario(
        key,
        ns,
        'routes',
        ['-4', '-j', 'route', 'show', 'table', 'all'],
        big ? { rss: true, pyRounds: cfg.py100kRounds, pyRepeats: cfg.py100kRepeats } : {},
      ),
    );
  }
}

function addrs(n: number, base = 1): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = base + i;
    out.push(`10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`);
  }
  return out;
}

async function s3(): Promise<void> {
  const n = cfg.s3Addrs;
  const key = `S3 addresses (${n})`;
  log(`${key}`);
  const setup = ['link add veth0 type veth peer name veth1', 'link set veth0 up', 'link set veth1 up'];
  mkdirSync(tmp, { recursive: true });
  const ips = addrs(n);
  const addFile = path.join(tmp, 's3-add.batch');
  const delFile = path.join(tmp, 's3-del.batch');
  writeFileSync(addFile, ips.map((a) => `address add ${a}/32 dev veth0`).join('\n') + '\n');
  writeFileSync(delFile, ips.map((a) => `address del ${a}/32 dev veth0`).join('\n') + '\n');
  const opIps = ips.slice(0, cfg.s3IpPerOp);
  await withNs(setup, async (ns) => {
    const add = metric(key, 'add, one at a time', 'µs/op', 'ipbatch');
    const del = metric(key, 'delete, one at a time', 'µs/op', 'ipbatch');
    const badd = metric(key, 'add, pipelined batch', 'µs/op', 'ipbatch', '`ip -batch` is sequential: its row repeats the one-at-a-time numbers');
    const bdel = metric(key, 'delete, pipelined batch', 'µs/op', 'ipbatch');
    const wadd = metric(key, 'add, one at a time, 2nd pass in the same process', 'µs/op', 'ipbatch');
    const wdel = metric(key, 'delete, one at a time, 2nd pass in the same process', 'µs/op', 'ipbatch');
    for (let r = 0; r < opt.rounds; r++) {
      for (const peer of rotate<Peer>(['nlts', 'ipbatch', 'nltsIdx', 'py', 'ipop', 'floor'], r)) {
        const args =
          peer === 'ipbatch'
            ? { mode: 'batch', phases: { add: addFile, del: delFile } }
            : peer === 'ipop'
              ? {
                  mode: 'perop',
                  phases: {
                    add: opIps.map((a) => ['address', 'add', `${a}/32`, 'dev', 'veth0']),
                    del: opIps.map((a) => ['address', 'del', `${a}/32`, 'dev', 'veth0']),
                  },
                }
              : { mode: 'addr', n, dev: 'veth0', byIndex: peer === 'nltsIdx' };
        const run = await attempt(`${key} round ${r + 1} ${PEER_LABEL[peer]}`, () => runWorker(ns, workerOf(peer), args));
        // Whatever happened, start the next peer from an interface without addresses.
        ip(['-n', ns, 'address', 'flush', 'dev', 'veth0']);
        if (!run) continue;
        const res = run.result;
        const count = peer === 'ipop' ? opIps.length : n;
        const sub = peer === 'ipbatch' ? res.startup : 0;
        record(add, r, peer, ((res.add - sub) / count) * 1000);
        record(del, r, peer, ((res.del - sub) / count) * 1000);
        if (peer === 'nlts' || peer === 'nltsIdx' || peer === 'floor') {
          record(badd, r, peer, (res.batchAdd / n) * 1000);
          record(bdel, r, peer, (res.batchDel / n) * 1000);
        }
        if (peer === 'nlts' || peer === 'nltsIdx') {
          record(wadd, r, peer, (res.warmAdd / n) * 1000);
          record(wdel, r, peer, (res.warmDel / n) * 1000);
        }
        if (peer === 'ipbatch') {
          for (const m of [badd, wadd]) record(m, r, peer, ((res.add - sub) / count) * 1000);
          for (const m of [bdel, wdel]) record(m, r, peer, ((res.del - sub) / count) * 1000);
          record(metric(key, '`ip -batch` start-up + exit (subtracted above)', 'ms', 'ipbatch'), r, peer, res.startup);
        }
        log(
          `  round ${r + 1} ${PEER_LABEL[peer].padEnd(22)} add ${((res.add / count) * 1000).toFixed(1)} µs/op, del ${((res.del / count) * 1000).toFixed(1)} µs/op${res.batchAdd !== undefined ? `, batch add ${((res.batchAdd / n) * 1000).toFixed(1)} / del ${((res.batchDel / n) * 1000).toFixed(1)} µs/op` : ''}${sub ? ` (startup ${sub.toFixed(1)} ms)` : ''}`,
        );
      }
    }
    if (opt.cpuProf) {
      for (const byIndex of [false, true]) {
        await attempt(`${key} profile`, () =>
          runWorker(ns, 'nlts', { mode: 'addr', n, dev: 'veth0', byIndex }, `S3-addresses${byIndex ? '-by-index' : ''}`),
        );
        ip(['-n', ns, 'address', 'flush', 'dev', 'veth0']);
      }
    }
  });
}

async function s4(): Promise<void> {
  const n = cfg.s4Pairs;
  const key = `S4 veth churn (${n} pairs)`;
  log(`${key}`);
  mkdirSync(tmp, { recursive: true });
  const addFile = path.join(tmp, 's4-add.batch');
  const delFile = path.join(tmp, 's4-del.batch');
  const pfx = 'vc';
  writeFileSync(addFile, Array.from({ length: n }, (_, i) => `link add ${pfx}${i}a type veth peer name ${pfx}${i}b`).join('\n') + '\n');
  writeFileSync(delFile, Array.from({ length: n }, (_, i) => `link del ${pfx}${i}a`).join('\n') + '\n');
  const m = cfg.s4IpPerOp;
  let ns = nsCreate();
  try {
    const add = metric(key, 'create a veth pair', 'ms/op', 'ipbatch');
    const del = metric(key, 'delete a veth pair', 'ms/op', 'ipbatch');
    const tot = metric(key, 'create + delete', 'ms/op', 'ipbatch');
    for (let r = 0; r < opt.rounds; r++) {
      for (const peer of rotate<Peer>(['nlts', 'ipbatch', 'py', 'ipop'], r)) {
        const args =
          peer === 'ipbatch'
            ? { mode: 'batch', phases: { add: addFile, del: delFile } }
            : peer === 'ipop'
              ? {
                  mode: 'perop',
                  phases: {
                    add: Array.from({ length: m }, (_, i) => ['link', 'add', `${pfx}${i}a`, 'type', 'veth', 'peer', 'name', `${pfx}${i}b`]),
                    del: Array.from({ length: m }, (_, i) => ['link', 'del', `${pfx}${i}a`]),
                  },
                }
              : { mode: 'veth', n, prefix: pfx };
        const run = await attempt(`${key} round ${r + 1} ${PEER_LABEL[peer]}`, () => runWorker(ns, workerOf(peer), args));
        const left = JSON.parse(ip(['-n', ns, '-j', 'link', 'show'])).length;
        if (left !== 1) {
          // A failed peer left links behind: continue in a clean namespace.
          nsDelete(ns);
          ns = nsCreate();
        }
        if (!run) continue;
        const res = run.result;
        const count = peer === 'ipop' ? m : n;
        const sub = peer === 'ipbatch' ? res.startup : 0;
        record(add, r, peer, (res.add - sub) / count);
        record(del, r, peer, (res.del - sub) / count);
        record(tot, r, peer, (res.add + res.del - 2 * sub) / count);
        log(
          `  round ${r + 1} ${PEER_LABEL[peer].padEnd(22)} create ${(res.add / count).toFixed(2)} ms/op, delete ${(res.del / count).toFixed(2)} ms/op${res.addFirst ? ` (first create ${res.addFirst.toFixed(1)} ms)` : ''}`,
        );
      }
    }
    if (opt.cpuProf) await attempt(`${key} profile`, () => runWorker(ns, 'nlts', { mode: 'veth', n, prefix: pfx }, 'S4-veth'));
  } finally {
    nsDelete(ns);
  }
}

// ---------------------------------------------------------------------------------------------
// Targets and report

interface Target {
  name: string;
  scenario: string;
  metric: string;
  peer: Peer;
  /** The ratio of medians to the metric's baseline must be <= limit. */
  limit: number;
}

function targets(): Target[] {
  const t: Target[] = [];
  const s1k = `S1 links (${cfg.s1Pairs * 2 + 1})`;
  t.push({ name: 'S1 first dump <= 0.6x ip -j + JSON.parse', scenario: s1k, metric: 'first dump', peer: 'nlts', limit: 0.6 });
  t.push({ name: 'S1 repeat dump <= 0.3x ip -j + JSON.parse', scenario: s1k, metric: 'repeat dump', peer: 'nlts', limit: 0.3 });
  for (const n of cfg.s2Sizes) {
    const k = `S2 routes (${n / 1000}k)`;
    t.push({ name: `S2 ${n / 1000}k first dump <= 0.6x`, scenario: k, metric: 'first dump', peer: 'nlts', limit: 0.6 });
    t.push({ name: `S2 ${n / 1000}k repeat dump <= 0.3x`, scenario: k, metric: 'repeat dump', peer: 'nlts', limit: 0.3 });
  }
  t.push({
    name: 'S2 100k peak RSS below ip -j + JSON.parse (Node + ip)',
    scenario: 'S2 routes (100k)',
    metric: 'peak RSS (whole worker run)',
    peer: 'nlts',
    limit: 1,
  });
  const s3k = `S3 addresses (${cfg.s3Addrs})`;
  t.push({ name: 'S3 add one at a time no slower than ip -batch', scenario: s3k, metric: 'add, one at a time', peer: 'nlts', limit: 1 });
  t.push({ name: 'S3 delete one at a time no slower than ip -batch', scenario: s3k, metric: 'delete, one at a time', peer: 'nlts', limit: 1 });
  t.push({ name: 'S3 batch add >= 2x faster than ip -batch', scenario: s3k, metric: 'add, pipelined batch', peer: 'nlts', limit: 0.5 });
  t.push({ name: 'S3 batch delete >= 2x faster than ip -batch', scenario: s3k, metric: 'delete, pipelined batch', peer: 'nlts', limit: 0.5 });
  const s4k = `S4 veth churn (${cfg.s4Pairs} pairs)`;
  t.push({ name: 'S4 create + delete within 1.1x of ip -batch', scenario: s4k, metric: 'create + delete', peer: 'nlts', limit: 1.1 });
  t.push({ name: 'S4 (detail) create alone within 1.1x', scenario: s4k, metric: 'create a veth pair', peer: 'nlts', limit: 1.1 });
  t.push({ name: 'S4 (detail) delete alone within 1.1x', scenario: s4k, metric: 'delete a veth pair', peer: 'nlts', limit: 1.1 });
  return t;
}

function report(started: Date, elapsedS: number): string {
  const lines: string[] = [];
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return '?';
    }
  };
  const pyv = version('dpkg-query', ['-W', '-f', '$' + '{Version}', 'python3-pyroute2']);
  const rev = version('git', ['-C', ROOT, 'describe', '--always', '--dirty']);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  lines.push(
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} at ${rev}: kernel ${release()}, Node ${process.version}, ${version('ip', ['-V'])}, pyroute2 ${pyv} (${PY}), ${cpus().length} x ${cpus()[0]?.model ?? '?'}.`,
  );
  lines.push(
    `${opt.rounds} rounds${opt.quick ? ' (--quick)' : ''}, Node workers ${opt.bundle ? 'bundled by esbuild and run by plain node' : 'run through tsx'}; peers interleaved in a rotating order; ${cfg.repeats} repeat dumps per process (pyroute2 at 100k: ${cfg.py100kRounds} rounds, ${cfg.py100kRepeats} repeat). Took ${elapsedS.toFixed(0)} s; load average at the start ${loadAtStart}, at the end ${load} (other work on the machine shows here).`,
  );
  lines.push('');
  lines.push(
    "min / median / max over rounds (one value per round: a process's first dump, or the median of its repeat dumps). Ratio = median / median of the baseline (**bold**); in brackets the range of per-round ratios.",
  );
  if (metrics.some((m) => m.values.has('floor'))) {
    lines.push('');
    lines.push(
      `${PEER_LABEL.floor}: bench/workers/floor.py, a raw AF_NETLINK socket in ${PY} (standard library) that sends the same requests as netlink-ts (pre-packed; S3 with the link index) and only walks the nlmsghdrs of the replies: what the kernel plus a minimal client costs, Python's per-message loop included. A target ratio below this row's ratio asks for less than the kernel's own cost. Not a baseline; no RSS rows.`,
    );
  }
  lines.push('');
  lines.push('| scenario | measure | peer | min | median | max | ratio |');
  lines.push('|---|---|---|---:|---:|---:|---|');
  for (const m of metrics) {
    const peers = [...m.values.keys()].sort((a, b) => order(a) - order(b));
    const base = m.values.get(m.baseline);
    const baseMed = base ? median(base) : undefined;
    for (const p of peers) {
      const v = m.values.get(p)!;
      const med = median(v);
      const rr = m.ratios.get(p);
      let ratio = '';
      if (p === m.baseline) ratio = 'baseline';
      else if (baseMed)
        ratio = `${(med / baseMed).toFixed(2)}x` + (rr && rr.length > 1 ? ` [${Math.min(...rr).toFixed(2)}-${Math.max(...rr).toFixed(2)}]` : '');
      const label = p === m.baseline ? `**${PEER_LABEL[p]}**` : PEER_LABEL[p];
      lines.push(
        `| ${m.scenario} | ${m.name} (${m.unit}) | ${label} | ${fmt(Math.min(...v), m.unit)} | ${fmt(med, m.unit)} | ${fmt(Math.max(...v), m.unit)} | ${ratio} |`,
      );
    }
  }
  const notes = metrics.filter((m) => m.note);
  if (notes.length) {
    lines.push('');
    for (const m of notes) lines.push(`- ${m.scenario}, ${m.name}: ${m.note}.`);
  }
  lines.push('');
  lines.push('| target | netlink-ts / baseline (medians) | limit | result |');
  lines.push('|---|---:|---:|---|');
  for (const t of targets()) {
    const m = metrics.find((x) => x.scenario === t.scenario && x.name === t.metric);
    const v = m?.values.get(t.peer);
    const b = m?.values.get(m.baseline);
    if (!m || !v || !b) {
      if (opt.scenarios.includes(t.scenario.slice(0, 2).toLowerCase())) lines.push(`| ${t.name} | no data | ${t.limit} | FAIL (no data) |`);
      continue;
    }
    const ratio = median(v) / median(b);
    lines.push(`| ${t.name} | ${ratio.toFixed(2)}x | ${t.limit}x | ${ratio <= t.limit ? 'PASS' : '**FAIL**'} |`);
  }
  const mismatch: string[] = [];
  for (const [s, byPeer] of counts) {
    const all = [...byPeer.entries()].map(([p, set]) => `${PEER_LABEL[p]} ${[...set].join('/')}`);
    const distinct = new Set([...byPeer.values()].flatMap((x) => [...x]));
    lines.push('');
    lines.push(`${s}: objects per dump: ${all.join(', ')}${distinct.size > 1 ? ' (**counts differ**)' : ''}.`);
    if (distinct.size > 1) mismatch.push(s);
  }
  if (errors.length) {
    lines.push('');
    lines.push('Errors:');
    for (const e of errors) lines.push(`- ${e.replace(/\n/g, ' ').slice(0, 400)}`);
  }
  return lines.join('\n') + '\n';
}

function order(p: Peer): number {
  return ['nlts', 'nltsIdx', 'ip', 'ipbatch', 'ipop', 'py', 'floor'].indexOf(p);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/run.ts needs root (it creates network namespaces)');
  removeStaleNamespaces();
  if (opt.cpuProf) {
    profDir = path.join(ROOT, 'bench/results/prof');
    mkdirSync(profDir, { recursive: true });
  }
  if (opt.cpuProf || opt.bundle) for (const w of ['nlts', 'ip'] as const) await buildBundle(w);
  const started = new Date();
  loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const t0 = performance.now();
  const all: Record<string, () => Promise<void>> = { s1, s2, s3, s4 };
  for (const s of opt.scenarios) await all[s]!();
  finishRatios();
  const md = report(started, (performance.now() - t0) / 1000);
  process.stdout.write('\n' + md);
  mkdirSync(path.dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, md);
  log(`\nwritten to ${path.relative(process.cwd(), opt.out)}`);
  if (opt.cpuProf)
    log(
      `CPU profiles in ${path.relative(process.cwd(), profDir!)}; summarise with: npx tsx bench/prof-summary.ts ${path.relative(process.cwd(), profDir!)}/*.cpuprofile`,
    );
}

try {
  await main();
} finally {
  cleanupAll();
}
