/**
 * nftables events: a Monitor of group 'nftables' (its JSON: what `nft -j monitor` prints) beside
 * nft 1.0.6's own `nft -j monitor`, in a fresh namespace, while `nft -f` adds N rules in one
 * transaction. Per round: CPU of this process from the start of `nft -f` to the last rule event,
 * and nft monitor's CPU (/proc/PID/stat) until it printed as many lines. Rules are `simple` (one
 * message each: `ip saddr A tcp dport 22 counter accept`) or `sets` (two anonymous sets each, about
 * ten messages: `ip saddr { A, 10.200.0.0/16 } tcp dport { 22, 80 } counter accept`).
 *
 *   npx tsx bench/monitor-nft.ts [--rules N] [--kind simple|sets] [--rounds N]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Monitor } from '../src/monitor/monitor.js';
import { setnsSocketFactory } from '../src/monitor/sockets.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const N = Number(opt('rules', '5000'));
const KIND = opt('kind', 'simple');
const ROUNDS = Number(opt('rounds', '3'));

function rule(i: number): string {
  const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return KIND === 'sets'
    ? `add rule ip b c ip saddr { ${a}, 10.200.0.0/16 } tcp dport { 22, 80 } counter accept`
    : `add rule ip b c ip saddr ${a} tcp dport 22 counter accept`;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function round(n: number): Promise<{ ours: number; nft: number }> {
  const ns = `nlts-bench-nftmon-${process.pid}-${n}`;
  const file = path.join(tmpdir(), `${ns}.nft`);
  writeFileSync(file, Array.from({ length: N }, (_, i) => rule(i)).join('\n'));
  execFileSync('ip', ['netns', 'add', ns]);
  let oracle: ChildProcess | undefined;
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'add table ip b; add chain ip b c']);
    const m = await Monitor.open({ netns: ns, sockets: setnsSocketFactory, groups: ['nftables'], receiveBuffer: 64 << 20 });
    let events = 0;
    const ours = new Promise<void>((res) => m.on('nftables', () => ++events === N && res()));
    oracle = spawn('ip', ['netns', 'exec', ns, 'nft', '-j', 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    const count = (d: Buffer) => (lines += d.toString().split('\n').length - 1);
    const theirs = new Promise<void>((res) => oracle!.stdout!.on('data', (d: Buffer) => count(d) >= N && res()));
    await new Promise((r) => setTimeout(r, 500)); // nft monitor subscribed
    const nft0 = cpuMs(oracle.pid!);
    const cpu0 = process.cpuUsage();
    spawn('ip', ['netns', 'exec', ns, 'nft', '-f', file], { stdio: 'ignore' });
    await ours;
    const c = process.cpuUsage(cpu0);
    await theirs;
    const nft = cpuMs(oracle.pid!) - nft0;
    m.close();
    return { ours: (c.user + c.system) / 1000, nft };
  } finally {
    if (oracle?.pid) process.kill(oracle.pid);
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(file, { force: true });
  }
}

for (let r = 1; r <= ROUNDS; r++) {
  const { ours, nft } = await round(r);
  const per = ((ours * 1000) / N).toFixed(1);
  const ratio = (ours / nft).toFixed(2);
  console.log(`${N} ${KIND} rules: nlts Monitor ${ours.toFixed(0)} ms CPU (${per} µs/rule), nft -j monitor ${nft} ms CPU, ratio ${ratio}`);
}
