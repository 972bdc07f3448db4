/**
 * S6 events (/work/shared/reference/benchmarks.md): one veth; subscribe to link + IPv4/IPv6
 * address events; an external `ip -batch` adds 5000 and deletes 5000 addresses. Per peer: events
 * received, lost, ENOBUFS, consumer CPU (from "subscribed" to the last event). Peers, interleaved
 * round by round, each in a fresh namespace and run inside it (`ip netns exec`):
 *   nlts       Monitor (link, address): decoded friendly objects
 *   ip         `ip monitor link address` (line-buffered, as on a terminal) read by Node, each event
 *              line parsed into an object; CPU = ip's + the reader's (the "ip monitor + parsing" bar)
 *   pyroute2   IPRoute().bind(groups) + get() (Debian python3-pyroute2 0.7.2, /usr/bin/python3)
 * Then S6-overrun (nlts only): a StateMirror whose event loop is stalled (busy loop) while the
 * batch runs; the overrun must be detected, resynced, and the mirror must end equal to a fresh dump.
 *
 *   npx tsx bench/monitor-s6.ts [--rounds N] [--events N] [--stall MS] [--tsx] [--out FILE]
 *
 * Workers run as an esbuild bundle with plain node (as compiled JS would), unless --tsx.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const PY = '/usr/bin/python3';
const argv = process.argv.slice(2);

// ---------------------------------------------------------------------------------------------
// Workers (run inside the namespace). Each prints READY once subscribed, then RESULT {json}.

const PY_WORKER = `
import json, sys, time, select, resource, errno
from pyroute2 import IPRoute
from pyroute2.netlink.rtnl import RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR
N = int(sys.argv[1])
ipr = IPRoute()
ipr.bind(groups=RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
print('READY', flush=True)
c0 = time.process_time()
n = 0; enobufs = 0
start = last = time.monotonic()
while n < N:
    r, _, _ = select.select([ipr.fileno()], [], [], 0.2)
    now = time.monotonic()
    if not r:
        if (n > 0 and now - last > 2) or now - start > 30: break
        continue
    try:
        msgs = ipr.get()
    except OSError as e:
        if e.errno == errno.ENOBUFS:
            enobufs += 1
            continue
        raise
    for m in msgs:
        if m.get('event') in ('RTM_NEWADDR', 'RTM_DELADDR') and (m.get_attr('IFA_ADDRESS') or '').startswith('10.'):
            n += 1
    last = time.monotonic()
cpu = (time.process_time() - c0) * 1000
print('RESULT ' + json.dumps({'received': n, 'enobufs': enobufs, 'cpuMs': cpu, 'rssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
`;

function cpuMs(c: NodeJS.CpuUsage): number {
  return (c.user + c.system) / 1000;
}

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/** Resolves when no event came for `idleMs` after the first one, or the count is reached. */
function counter(n: number, idleMs = 2000, maxMs = 30_000) {
  let count = 0;
  let last = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const start = Date.now();
  const timer = setInterval(() => {
    if ((count > 0 && Date.now() - last > idleMs) || Date.now() - start > maxMs) resolveDone();
  }, 100);
  return {
    hit() {
      count++;
      last = Date.now();
      if (count >= n) resolveDone();
    },
    get count() {
      return count;
    },
    done: done.then(() => clearInterval(timer)),
  };
}

async function workerNlts(n: number): Promise<void> {
  const { Monitor } = await import('../src/monitor/monitor.js');
  const m = new Monitor({ groups: ['link', 'address'] });
  let overruns = 0;
  const c = counter(n);
  m.on('event', (e) => {
    if ((e.type === 'new' || e.type === 'del') && e.kind === 'address') {
      // What a consumer would touch.
      if (e.object.cidr.startsWith('10.')) c.hit();
    } else if (e.type === 'overrun') overruns++;
  });
  const c0 = process.cpuUsage();
  console.log('READY');
  await c.done;
  const cpu = cpuMs(process.cpuUsage(c0));
  console.log('RESULT ' + JSON.stringify({ received: c.count, enobufs: overruns, cpuMs: cpu, rssMiB: rssMiB() }));
  m.close();
}

async function workerIp(n: number): Promise<void> {
  const child = spawn('stdbuf', ['-oL', 'ip', 'monitor', 'link', 'address'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const re = /^(Deleted )?(\d+): (\S+)\s+(inet6?) (\S+)/;
  const c = counter(n);
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith(' ')) continue;
      const mm = re.exec(l);
      if (!mm) continue;
      const ev = { deleted: !!mm[1], index: Number(mm[2]), dev: mm[3], family: mm[4], cidr: mm[5] };
      if (ev.cidr?.startsWith('10.')) c.hit();
    }
  });
  const stat = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ 100
  };
  await new Promise((r) => setTimeout(r, 300)); // ip subscribes within a few ms
  const ip0 = stat();
  const c0 = process.cpuUsage();
  console.log('READY');
  await c.done;
  const own = cpuMs(process.cpuUsage(c0));
  const ipCpu = stat() - ip0;
  child.kill('SIGKILL');
  console.log('RESULT ' + JSON.stringify({ received: c.count, enobufs: 0, cpuMs: own + ipCpu, ipCpuMs: ipCpu, parseCpuMs: own, rssMiB: rssMiB() }));
}

/** A mirror stalled by a busy loop while the batch runs; then it must end equal to a fresh dump. */
async function workerOverrun(n: number, stallMs: number): Promise<void> {
  const { StateMirror } = await import('../src/monitor/mirror.js');
  const mirror = await StateMirror.open({});
  const reasons: string[] = [];
  let resyncs = 0;
  let firstOverrunAt = 0;
  mirror.on('overrun', (e) => {
    reasons.push(e.reason);
    firstOverrunAt ||= performance.now();
  });
  mirror.on('resync', () => resyncs++);
  const lines: string[] = [];
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  console.log('READY');
  await new Promise((r) => setTimeout(r, 30));
  const t = performance.now();
  while (performance.now() - t < stallMs); // the stall: nothing is read meanwhile
  const stallEnd = performance.now();
  // Wait for the batch to finish, then for a consistent view equal to a fresh dump.
  while (!lines.includes('done')) await new Promise((r) => setTimeout(r, 5));
  const batchDone = performance.now();
  let diff: string[] = ['not checked'];
  let consistentAt = 0;
  for (let i = 0; i < 200; i++) {
    if (mirror.view()!.consistent) {
      diff = await mirror.verify();
      if (diff.length === 0) {
        consistentAt = performance.now();
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const v4 = mirror.addresses().filter((a) => a.family === 'inet' && a.address.startsWith('10.')).length;
  console.log(
    'RESULT ' +
      JSON.stringify({
        overruns: reasons.length,
        reasons: [...new Set(reasons)],
        resyncs,
        detectedAfterStallMs: firstOverrunAt ? firstOverrunAt - stallEnd : -1,
        equalAfterMs: consistentAt ? consistentAt - Math.max(batchDone, stallEnd) : -1,
        diff: diff.length,
        diffSample: diff.slice(0, 3),
        v4Left: v4,
        rssMiB: rssMiB(),
      }),
  );
  mirror.close();
  void n;
}

if (argv[0] === '--worker') {
  const [, kind, n, stall] = argv;
  const run = kind === 'nlts' ? workerNlts(Number(n)) : kind === 'ip' ? workerIp(Number(n)) : workerOverrun(Number(n), Number(stall));
  run.then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------
// Runner

async function main(): Promise<void> {
  const opt = { rounds: 5, events: 10_000, stall: 1500, tsx: false, out: path.join(ROOT, 'bench/results/monitor-s6.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') opt.rounds = Number(argv[++i]);
    else if (a === '--events') opt.events = Number(argv[++i]);
    else if (a === '--stall') opt.stall = Number(argv[++i]);
    else if (a === '--tsx') opt.tsx = true;
    else if (a === '--out') opt.out = path.resolve(argv[++i]!);
    else throw new Error(`unknown argument ${a}`);
  }
  const half = Math.floor(opt.events / 2);
  const NS_PREFIX = `nlts-bench-mon-${process.pid}-`;
  const live = new Set<string>();
  let nsN = 0;
  const tmp = path.join(tmpdir(), `nlts-bench-mon-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  let current: ChildProcess | undefined;
  const cleanup = () => {
    if (current && current.exitCode === null) current.kill('SIGKILL');
    for (const ns of live) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone
      }
    }
    live.clear();
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });

  // The batch: 5000 adds then 5000 deletes of /32 addresses on one veth.
  const batch = path.join(tmp, 'batch');
  const lines: string[] = [];
  const addr = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
  for (let i = 0; i < half; i++) lines.push(`address add ${addr(i)} dev va`);
  for (let i = 0; i < half; i++) lines.push(`address del ${addr(i)} dev va`);
  writeFileSync(batch, lines.join('\n') + '\n');

  let workerCmd: string[];
  if (opt.tsx) workerCmd = [process.execPath, '--import', 'tsx', SELF];
  else {
    const { build } = await import('esbuild');
    const outfile = path.join(ROOT, 'bench/.build/monitor-s6.mjs');
    await build({
      entryPoints: [SELF],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    // The namespace layer finds its helper script next to the code.
    copyFileSync(path.join(ROOT, 'src/netns/helper.cjs'), path.join(path.dirname(outfile), 'helper.cjs'));
    workerCmd = [process.execPath, outfile];
  }

  const makeNs = () => {
    const ns = `${NS_PREFIX}${++nsN}`;
    execFileSync('ip', ['netns', 'add', ns]);
    live.add(ns);
    execFileSync('ip', ['-n', ns, '-batch', '-'], { input: 'link add va type veth peer name vb\nlink set va up\nlink set vb up\n' });
    return ns;
  };
  const dropNs = (ns: string) => {
    execFileSync('ip', ['netns', 'del', ns]);
    live.delete(ns);
  };

  /** Runs one worker in a fresh namespace; starts the batch when it is READY. */
  const runOne = (cmd: string[], stdinDone = false): Promise<{ result: any; batchMs: number }> => {
    const ns = makeNs();
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['pipe', 'pipe', 'inherit'] });
      current = child;
      let out = '';
      let batchMs = 0;
      let batchDone: Promise<void> = Promise.resolve();
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        const before = out;
        out += d;
        if (!before.includes('READY') && out.includes('READY')) {
          const t = performance.now();
          const b = spawn('ip', ['-n', ns, '-batch', batch], { stdio: 'ignore' });
          batchDone = new Promise((r) =>
            b.on('exit', () => {
              batchMs = performance.now() - t;
              if (stdinDone) child.stdin!.write('done\n');
              r();
            }),
          );
        }
      });
      child.on('exit', async (code) => {
        current = undefined;
        await batchDone;
        dropNs(ns);
        const m = /RESULT (.*)/.exec(out);
        if (!m) reject(new Error(`worker ${cmd.join(' ')} exited ${code} without a result:\n${out}`));
        else resolve({ result: JSON.parse(m[1]!), batchMs });
      });
    });
  };

  const peers: Record<string, string[]> = {
    nlts: [...workerCmd, '--worker', 'nlts', String(opt.events)],
    'ip monitor': [...workerCmd, '--worker', 'ip', String(opt.events)],
    pyroute2: [PY, '-c', PY_WORKER, String(opt.events)],
  };
  const names = Object.keys(peers);
  const results = new Map<string, { received: number[]; enobufs: number[]; cpu: number[]; rss: number[]; extra: string[] }>();
  for (const n of names) results.set(n, { received: [], enobufs: [], cpu: [], rss: [], extra: [] });
  const ratios: number[] = [];
  const batchTimes: number[] = [];
  for (let round = 0; round < opt.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    const cpuThisRound: Record<string, number> = {};
    for (const name of order) {
      const { result, batchMs } = await runOne(peers[name]!);
      const r = results.get(name)!;
      r.received.push(result.received);
      r.enobufs.push(result.enobufs);
      r.cpu.push(result.cpuMs);
      r.rss.push(result.rssMiB);
      if (result.ipCpuMs !== undefined) r.extra.push(`ip ${result.ipCpuMs.toFixed(0)} + parse ${result.parseCpuMs.toFixed(0)}`);
      cpuThisRound[name] = result.cpuMs;
      batchTimes.push(batchMs);
      console.error(`round ${round + 1} ${name}: ${JSON.stringify(result)} (batch ${batchMs.toFixed(0)} ms)`);
    }
    ratios.push(cpuThisRound.nlts! / cpuThisRound['ip monitor']!);
  }

  const overrunRuns: any[] = [];
  for (let round = 0; round < Math.max(2, Math.ceil(opt.rounds / 2)); round++) {
    const { result } = await runOne([...workerCmd, '--worker', 'overrun', String(opt.events), String(opt.stall)], true);
    overrunRuns.push(result);
    console.error(`overrun run ${round + 1}: ${JSON.stringify(result)}`);
  }

  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0]!, med: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
  };
  const f = (xs: number[], d = 0) => {
    const s = stat(xs);
    return `${s.min.toFixed(d)} / ${s.med.toFixed(d)} / ${s.max.toFixed(d)}`;
  };
  const rows = names.map((n) => {
    const r = results.get(n)!;
    const lost = r.received.map((x) => opt.events - x);
    return `| ${n} | ${f(r.received)} | ${f(lost)} | ${f(r.enobufs)} | ${f(r.cpu)} | ${f(r.rss, 1)} |${r.extra.length ? ' ' + r.extra.join('; ') : ''}`;
  });
  const md = `# S6 events: monitor benchmark

${new Date().toISOString()} · Node ${process.version} · kernel ${release()} · ${cpus().length} × ${cpus()[0]?.model ?? '?'} · ${opt.rounds} rounds, ${opt.events} address events per run (ip -batch: ${half} adds, ${half} deletes of /32 on a veth; batch ${f(batchTimes)} ms min / median / max)

Consumer CPU is measured from "subscribed" to the last event (nlts: process.cpuUsage; ip: /proc stat of ip + the Node reader's own CPU; pyroute2: time.process_time). min / median / max over rounds; peers interleaved round by round, each in a fresh namespace.

| peer | received | lost | ENOBUFS | consumer CPU ms | RSS MiB |
|---|---|---|---|---|---|
${rows.join('\n')}

nlts CPU / (ip monitor + parsing) CPU, same round: ${f(ratios, 2)}

## S6-overrun: StateMirror with the event loop stalled ${opt.stall} ms during the batch (1 MiB receive buffer)

| run | overruns | reasons | resyncs | overrun reported, ms after the stall | mirror equal to a fresh dump, ms after the batch and stall | differences left | 10.x addresses left |
|---|---|---|---|---|---|---|---|
${overrunRuns.map((r, i) => `| ${i + 1} | ${r.overruns} | ${r.reasons.join(', ')} | ${r.resyncs} | ${r.detectedAfterStallMs.toFixed(1)} | ${r.equalAfterMs.toFixed(0)} | ${r.diff} | ${r.v4Left} |`).join('\n')}
`;
  mkdirSync(path.dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, md);
  console.log(md);
}
