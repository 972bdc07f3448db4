/**
 * S5, namespace entry: netlink-ts against `ip -n` (spawned per operation, + JSON.parse) and
 * pyroute2's NetNS, interleaved round by round. The process runs in the root namespace; every
 * namespace (nlts-bench-ns-<pid>-<n>, 10 veth pairs each, set up with `ip -batch`) is removed at the end.
 *
 *   npx tsx bench/netns.ts [--rounds N] [--quick] [--out FILE]
 *
 * Measured (medians over rounds, min / median / max shown):
 *   first   connect to NS and get its first link dump, in a fresh process (for ip: one spawn)
 *   repeat  a further dump on the same handle (for ip: one more spawn)
 *   many    20 namespaces opened at once, one dump each: total / 20
 * netlink-ts runs twice: entry 'helper' (the default) and 'setns' (the in-process option).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = '/usr/bin/python3';
const argv = process.argv.slice(2);
const opt = { rounds: 5, quick: false, out: path.join(ROOT, 'bench/results/netns.md') };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--rounds') opt.rounds = Number(argv[++i]);
  else if (a === '--quick') opt.quick = true;
  else if (a === '--out') opt.out = path.resolve(argv[++i]!);
  else {
    console.error(`usage: npx tsx bench/netns.ts [--rounds N] [--quick] [--out FILE]\nunknown argument: ${a}`);
    process.exit(2);
  }
}
if (opt.quick) opt.rounds = 2;
const MANY = 20;
const PAIRS = 10;
const REPEATS = opt.quick ? 5 : 20;

// ---------------------------------------------------------------------------------------------
// Namespaces, always removed

const PREFIX = `nlts-bench-ns-${process.pid}-`;
const live = new Set<string>();
function ip(args: string[], input?: string): string {
  return execFileSync('ip', args, { input, encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}
function cleanup(): void {
  for (const n of [...live]) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      // gone
    }
    live.delete(n);
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function makeNamespaces(): string[] {
  const names: string[] = [];
  for (let i = 1; i <= MANY; i++) {
    const n = `${PREFIX}${i}`;
    live.add(n);
    ip(['netns', 'add', n]);
    const lines: string[] = [];
    for (let p = 0; p < PAIRS; p++) lines.push(`link add va${p} type veth peer name vb${p}`);
    ip(['-n', n, '-batch', '-'], lines.join('\n') + '\n');
    names.push(n);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Runners

function runWorker(file: string, args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || !m) reject(new Error(`${path.basename(args[args.length - 2] ?? file)} failed (${code}): ${out.slice(-500)}`));
      else resolve(JSON.parse(m[1]!));
    });
  });
}

const nlts = (req: object) => runWorker(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/netns-worker.ts'), JSON.stringify(req)]);
const py = (req: object) => runWorker(PY, [path.join(ROOT, 'bench/netns-pyroute2.py'), JSON.stringify(req)]);

function ipOnce(ns: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('ip', ['-n', ns, '-j', 'link', 'show'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ip -n ${ns} failed`));
      const links = JSON.parse(out) as unknown[];
      if (links.length !== 2 * PAIRS + 1) return reject(new Error(`ip saw ${links.length} links`));
      resolve(performance.now() - t);
    });
  });
}

async function ipFirst(ns: string): Promise<any> {
  const first = await ipOnce(ns);
  const repeat: number[] = [];
  for (let i = 0; i < REPEATS; i++) repeat.push(await ipOnce(ns));
  return { first, repeat };
}

async function ipMany(names: string[]): Promise<any> {
  const t0 = performance.now();
  await Promise.all(names.map((n) => ipOnce(n)));
  const total = performance.now() - t0;
  return { total, perNs: total / names.length };
}

// ---------------------------------------------------------------------------------------------

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const stat = (v: number[]) => `${fmt(Math.min(...v))} / **${fmt(median(v))}** / ${fmt(Math.max(...v))}`;

type Peer = { label: string; first?: (ns: string) => Promise<any>; many?: (names: string[]) => Promise<any> };
const PEERS: Peer[] = [
  {
    label: `netlink-ts, helper (default: ${Math.max(2, Math.min(4, availableParallelism()))} at a time)`,
    first: (ns) => nlts({ mode: 'first', names: [ns], entry: 'helper', repeats: REPEATS }),
    many: (names) => nlts({ mode: 'many', names, entry: 'helper' }),
  },
  {
    label: 'netlink-ts, setns option',
    first: (ns) => nlts({ mode: 'first', names: [ns], entry: 'setns', repeats: REPEATS }),
    many: (names) => nlts({ mode: 'many', names, entry: 'setns' }),
  },
  { label: 'netlink-ts, helper, 4 at a time', many: (names) => nlts({ mode: 'many', names, entry: 'helper', maxHelpers: 4 }) },
  { label: 'netlink-ts, helper, 8 at a time', many: (names) => nlts({ mode: 'many', names, entry: 'helper', maxHelpers: 8 }) },
  { label: '`ip -n NS -j link` spawned + JSON.parse', first: ipFirst, many: ipMany },
  { label: 'pyroute2 NetNS', first: (ns) => py({ mode: 'first', names: [ns], repeats: REPEATS }), many: (names) => py({ mode: 'many', names }) },
];

/** What a helper run is made of: spawn + nsenter, Node's start-up (with and without the CA bundle), ffi-rs. */
async function anatomy(ns: string): Promise<string[]> {
  const helper = path.join(ROOT, 'src/netns/helper.cjs');
  const req = JSON.stringify({ jobs: [{ sockets: [0] }] });
  const minimal = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const withCa = { ...minimal, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt' };
  const cases: [string, string, string[], NodeJS.ProcessEnv][] = [
    ['`nsenter --net=NS /bin/true`', 'nsenter', [`--net=/run/netns/${ns}`, '/bin/true'], minimal],
    ['`node -e 0`, minimal environment', process.execPath, ['-e', '0'], minimal],
    ['`node -e 0` with NODE_EXTRA_CA_CERTS set', process.execPath, ['-e', '0'], withCa],
    [
      'helper under nsenter (what enter runs), minimal environment',
      'nsenter',
      [`--net=/run/netns/${ns}`, '--', process.execPath, helper, req],
      minimal,
    ],
    ['the same helper with NODE_EXTRA_CA_CERTS set', 'nsenter', [`--net=/run/netns/${ns}`, '--', process.execPath, helper, req], withCa],
  ];
  const times = new Map<string, number[]>();
  for (let r = 0; r < (opt.quick ? 5 : 15); r++) {
    for (const [label, file, args, env] of cases) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) => {
        // fd 3 as the helper expects: any socket works (libuv pipes are socketpairs).
        const c = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
        c.on('error', reject);
        c.on('close', () => resolve());
      });
      (times.get(label) ?? times.set(label, []).get(label)!).push(performance.now() - t);
    }
  }
  const loop = await nlts({ mode: 'setns-loop', names: [ns], repeats: 1000 });
  return [
    '| step (spawned from Node, wall time) | ms, min / **median** / max |',
    '|---|---|',
    ...cases.map(([label]) => `| ${label} | ${stat(times.get(label)!)} |`),
    `| setns entry in-process (setns in, socket(), setns back), per entry | ${(loop.perEntryUs / 1000).toFixed(3)} |`,
  ];
}

async function main(): Promise<void> {
  const names = makeNamespaces();
  const res = new Map<string, { first: number[]; connect: number[]; repeat: number[]; proc: number[]; many: number[] }>();
  for (const p of PEERS) res.set(p.label, { first: [], connect: [], repeat: [], proc: [], many: [] });
  for (let round = 0; round < opt.rounds; round++) {
    // Rotate the order each round so no peer always runs first (or right after another's load).
    const order = PEERS.map((_, i) => PEERS[(i + round) % PEERS.length]!);
    for (const p of order) {
      const r = res.get(p.label)!;
      const ns = names[round % names.length]!;
      if (p.first) {
        const x = await p.first(ns);
        r.first.push(x.first);
        r.repeat.push(median(x.repeat));
        if (x.connect !== undefined) r.connect.push(x.connect);
        if (x.processToFirst !== undefined) r.proc.push(x.processToFirst);
      }
      if (p.many) r.many.push((await p.many(names)).perNs);
    }
    process.stderr.write(`round ${round + 1}/${opt.rounds} done\n`);
  }

  const ipRow = res.get(PEERS[4]!.label)!;
  const ipRepeat = median(ipRow.repeat);
  const ipMany = median(ipRow.many);
  const lines: string[] = [];
  lines.push(`# S5 namespace entry (bench/netns.ts)`, '');
  lines.push(
    `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, kernel ${release()}, ${cpus().length} CPUs, ${opt.rounds} interleaved rounds; ` +
      `each namespace holds ${PAIRS} veth pairs (${2 * PAIRS + 1} links). ms as min / **median** / max over rounds; a round's repeat is the median of ${REPEATS} dumps.`,
    '',
  );
  lines.push(
    '| peer | first result (connect + dump) | of which connect | process start to first result | repeat dump, same handle | repeat vs `ip -n` | 20 namespaces at once, per namespace | vs `ip -n` |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const p of PEERS) {
    const r = res.get(p.label)!;
    lines.push(
      `| ${p.label} | ${r.first.length ? stat(r.first) : ''} | ${r.connect.length ? stat(r.connect) : ''} | ${r.proc.length ? stat(r.proc) : ''} | ` +
        `${r.repeat.length ? stat(r.repeat) : ''} | ${r.repeat.length ? (median(r.repeat) / ipRepeat).toFixed(2) + 'x' : ''} | ` +
        `${r.many.length ? stat(r.many) : ''} | ${r.many.length ? (median(r.many) / ipMany).toFixed(2) + 'x' : ''} |`,
    );
  }
  const def = res.get(PEERS[0]!.label)!;
  lines.push('');
  lines.push(
    `Targets (default entry): repeat <= 0.5x \`ip -n\`: **${(median(def.repeat) / ipRepeat).toFixed(2)}x**; first result <= 120 ms: **${fmt(median(def.first))} ms**; ` +
      `20 namespaces <= 50 ms each: **${fmt(median(def.many))} ms**.`,
  );
  lines.push('', '## Anatomy of an entry', '');
  lines.push(...(await anatomy(names[0]!)));
  const text = lines.join('\n') + '\n';
  cleanup();
  process.stdout.write(text);
  writeFileSync(opt.out, text);
}

main().catch((err) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
