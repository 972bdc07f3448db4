/**
 * Monitor soak: one process mirrors every namespace named nlts-soak-<pid>-* (StateMirror with
 * netns: 'all', sockets made by the namespace layer's helper), while external `ip -batch`
 * processes churn addresses (and now and then a link) in all of them, and namespaces are added and
 * removed while it runs. Reports the mirror process's RSS and CPU over time, then its idle CPU,
 * and checks sampled mirrors against fresh dumps at the end.
 *
 *   npx tsx bench/monitor-soak.ts [--namespaces 100] [--duration 60s|10m] [--rate 500] [--idle 10] [--tsx] [--out FILE]
 *
 * --rate is churn operations per second over all namespaces; --duration (or --seconds N) is how
 * long the churn runs; a run of more than 2 minutes also gets a summary of RSS per minute.
 * --node-flags "..." are given to the mirror process's node (e.g. "--max-semi-space-size=1");
 * --dump-concurrency N sets the mirror's MultiMonitor dumpConcurrency; --worker-log FILE keeps the
 * mirror process's other output (e.g. with --node-flags --trace-gc-nvp). The mirror process runs
 * as an esbuild bundle with plain node (as compiled JS would), unless --tsx.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const argv = process.argv.slice(2);

// ---------------------------------------------------------------------------------------------
// The measured process

async function worker(prefix: string, dumpConcurrency?: number): Promise<void> {
  const { StateMirror } = await import('../src/monitor/mirror.js');
  const t0 = performance.now();
  const mirror = await StateMirror.open({ netns: 'all', filter: (n) => n.startsWith(prefix), ...(dumpConcurrency && { dumpConcurrency }) });
  let changes = 0;
  let overruns = 0;
  let resyncs = 0;
  let refreshes = 0;
  let netnsEvents = 0;
  let errors = 0;
  mirror.on('change', () => changes++);
  mirror.on('overrun', () => overruns++);
  mirror.on('resync', () => resyncs++);
  mirror.on('refresh', () => refreshes++);
  mirror.on('netns', () => netnsEvents++);
  mirror.on('error', () => errors++);
  const say = (tag: string, o: object) => process.stdout.write(`${tag} ${JSON.stringify(o)}\n`);
  const failures = [...mirror.source.failed.values()].slice(0, 3).map((e) => `${e.message}${e.cause ? ` (${(e.cause as Error).message})` : ''}`);
  say('READY', { openMs: performance.now() - t0, namespaces: mirror.namespaces().length, failed: mirror.source.failed.size, failures });
  let c0 = process.cpuUsage();
  let w0 = performance.now();
  let ch0 = 0;
  const stat = () => {
    const c = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    // With --expose-gc (diagnosis only): live heap after a full collection.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const mem = process.memoryUsage();
    let objects = 0;
    for (const ns of mirror.namespaces()) {
      const v = mirror.view(ns)!;
      objects += v.links.size + v.addresses.size + v.routes.size;
    }
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.physical_space_size / 2 ** 20]));
    // Where the RSS is: file-backed pages (node's code and data, libraries), anonymous memory, and
    // of that the V8 heap (all spaces, as committed); the rest of the anonymous memory is malloc.
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
    const v8MiB = Object.values(spaces).reduce((a, b) => a + b, 0);
    // malloc: the main arena ([heap]) and the arenas of other threads (64 MiB-aligned mappings).
    let brkKiB = 0;
    let arenaKiB = 0;
    let kind = '';
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (m) {
        kind = m[2] === '[heap]' ? 'brk' : m[2] === '' && BigInt(`0x${m[1]}`) % (64n << 20n) === 0n ? 'arena' : '';
        continue;
      }
      const r = /^Rss:\s+(\d+)/.exec(line);
      if (r && kind === 'brk') brkKiB += Number(r[1]);
      else if (r && kind === 'arena') arenaKiB += Number(r[1]);
    }
    say('STAT', {
      rssMiB: mem.rss / 2 ** 20,
      heapMiB: mem.heapUsed / 2 ** 20,
      heapTotalMiB: mem.heapTotal / 2 ** 20,
      newSpaceMiB: spaces.new_space ?? 0,
      oldSpaceMiB: spaces.old_space ?? 0,
      externalMiB: mem.external / 2 ** 20,
      fileMiB: kb('RssFile'),
      anonMiB: kb('RssAnon'),
      v8MiB,
      brkMiB: brkKiB / 1024,
      arenaMiB: arenaKiB / 1024,
      cpuPct: ((c.user + c.system) / 1000 / wall) * 100,
      changesPerS: ((changes - ch0) * 1000) / wall,
      namespaces: mirror.namespaces().length,
      objects,
      overruns,
      resyncs,
      refreshes,
      netnsEvents,
      errors,
      failed: mirror.source.failed.size,
    });
    c0 = process.cpuUsage();
    w0 = performance.now();
    ch0 = changes;
  };
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdin.on('data', async (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const cmd = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (cmd === 'stat') stat();
      else if (cmd.startsWith('verify ')) {
        const names = cmd.slice(7).split(' ').filter(Boolean);
        const out: Record<string, number> = {};
        const details: Record<string, string[]> = {};
        for (const n of names) {
          const d = await mirror.verify(n).catch((e: Error) => [e.message]);
          out[n] = d.length;
          if (d.length) details[n] = d.slice(0, 5);
        }
        say('VERIFY', out);
        if (Object.keys(details).length) process.stderr.write(`mirror differences: ${JSON.stringify(details, null, 1)}\n`);
      } else if (cmd === 'quit') {
        mirror.close();
        process.exit(0);
      }
    }
  });
}

if (argv[0] === '--worker') {
  worker(argv[1]!, argv[2] ? Number(argv[2]) : undefined).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opt = {
    namespaces: 100,
    seconds: 60,
    rate: 500,
    idle: 10,
    tsx: false,
    nodeFlags: [] as string[],
    out: path.join(ROOT, 'bench/results/monitor-soak.md'),
    workerLog: undefined as string | undefined,
    dumpConcurrency: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--namespaces') opt.namespaces = Number(argv[++i]);
    else if (a === '--seconds') opt.seconds = Number(argv[++i]);
    else if (a === '--duration') {
      const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--duration takes e.g. 60s, 10m, 1h');
      opt.seconds = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    } else if (a === '--rate') opt.rate = Number(argv[++i]);
    else if (a === '--idle') opt.idle = Number(argv[++i]);
    else if (a === '--tsx') opt.tsx = true;
    else if (a === '--node-flags') opt.nodeFlags = argv[++i]!.split(' ').filter(Boolean);
    else if (a === '--out') opt.out = path.resolve(argv[++i]!);
    else if (a === '--worker-log') opt.workerLog = path.resolve(argv[++i]!);
    else if (a === '--dump-concurrency') opt.dumpConcurrency = argv[++i]!;
    else throw new Error(`unknown argument ${a}`);
  }
  const prefix = `nlts-soak-${process.pid}-`;
  const live = new Set<string>();
  const churners = new Map<string, ChildProcess>();
  let mon: ChildProcess | undefined;
  const cleanup = () => {
    if (mon && mon.exitCode === null) mon.kill('SIGKILL');
    for (const c of churners.values()) if (c.exitCode === null) c.kill('SIGKILL');
    churners.clear();
    if (live.size) {
      try {
        execFileSync('ip', ['-batch', '-'], { input: [...live].map((n) => `netns del ${n}`).join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
      } catch {
        for (const n of live) {
          try {
            execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
          } catch {
            // gone
          }
        }
      }
      live.clear();
    }
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });

  let nsN = 0;
  const addNs = (): string => {
    const ns = `${prefix}${++nsN}`;
    execFileSync('ip', ['netns', 'add', ns]);
    live.add(ns);
    execFileSync('ip', ['-n', ns, '-batch', '-'], {
      input: 'link add va type veth peer name vb\nlink set va up\nlink set vb up\naddress add 192.0.2.1/24 dev va\n',
    });
    const c = spawn('ip', ['-n', ns, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    c.stdin!.on('error', () => undefined);
    churners.set(ns, c);
    return ns;
  };
  const delNs = (ns: string) => {
    const c = churners.get(ns);
    churners.delete(ns);
    c?.stdin?.end();
    c?.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', ns]);
    live.delete(ns);
  };
  const tSetup = performance.now();
  for (let i = 0; i < opt.namespaces; i++) addNs();
  console.error(`${opt.namespaces} namespaces ready in ${(performance.now() - tSetup).toFixed(0)} ms`);

  let cmd: string[];
  if (opt.tsx) cmd = [process.execPath, ...opt.nodeFlags, '--import', 'tsx', SELF];
  else {
    const { build } = await import('esbuild');
    const outfile = path.join(ROOT, 'bench/.build/monitor-soak.mjs');
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
    cmd = [process.execPath, ...opt.nodeFlags, outfile];
  }
  if (opt.workerLog) writeFileSync(opt.workerLog, '');
  const tWorker = performance.now();
  mon = spawn(cmd[0]!, [...cmd.slice(1), '--worker', prefix, ...(opt.dumpConcurrency ? [opt.dumpConcurrency] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let partial = '';
  mon.stdout!.setEncoding('utf8');
  mon.stdout!.on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      // Protocol lines; anything else (e.g. --node-flags --trace-gc-nvp) goes to --worker-log.
      if (/^[A-Z]+ /.test(l)) lines.push(l);
      else if (opt.workerLog) appendFileSync(opt.workerLog, `${((performance.now() - tWorker) / 1000).toFixed(3)} ${l}\n`);
    }
  });
  const next = async (tag: string, timeoutMs = 120_000): Promise<any> => {
    const start = Date.now();
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(tag + ' '));
      if (i >= 0) return JSON.parse(lines.splice(i, 1)[0]!.slice(tag.length + 1));
      if (mon!.exitCode !== null) throw new Error(`mirror process exited (${mon!.exitCode})`);
      if (Date.now() - start > timeoutMs) throw new Error(`no ${tag} from the mirror process`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const ready = await next('READY');
  console.error(`mirror open: ${JSON.stringify(ready)}`);
  const procRss = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${mon!.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  const samples: { t: number; phase: string; s: any; rss: number }[] = [];
  const sample = async (t: number, phase: string) => {
    mon!.stdin!.write('stat\n');
    const s = await next('STAT');
    samples.push({ t, phase, s, rss: procRss() });
    console.error(
      `${phase} t=${t.toFixed(0)}s rss=${s.rssMiB.toFixed(1)} MiB heap=${s.heapMiB.toFixed(1)}/${s.heapTotalMiB.toFixed(1)} new=${s.newSpaceMiB.toFixed(1)} old=${s.oldSpaceMiB.toFixed(1)} v8=${s.v8MiB.toFixed(1)} file=${s.fileMiB.toFixed(1)} anon=${s.anonMiB.toFixed(1)} brk=${s.brkMiB.toFixed(1)} arenas=${s.arenaMiB.toFixed(1)} ext=${s.externalMiB.toFixed(1)} cpu=${s.cpuPct.toFixed(1)}% changes/s=${s.changesPerS.toFixed(0)} ns=${s.namespaces} objects=${s.objects} overruns=${s.overruns} resyncs=${s.resyncs} refreshes=${s.refreshes} errors=${s.errors} failed=${s.failed}`,
    );
  };
  await sample(0, 'start');

  // Churn: round-robin over the namespaces, each op an address add or delete (a few link flaps).
  const counters = new Map<string, number>();
  let ops = 0;
  const start = performance.now();
  const interval = 20; // ms per tick
  const perTick = Math.max(1, Math.round((opt.rate * interval) / 1000));
  let rr = 0;
  let lastSample = 0;
  let lastNsChurn = 0;
  let nsAdded = 0;
  let nsRemoved = 0;
  while (performance.now() - start < opt.seconds * 1000) {
    const names = [...churners.keys()];
    for (let k = 0; k < perTick; k++) {
      const ns = names[rr++ % names.length]!;
      const n = counters.get(ns) ?? 0;
      counters.set(ns, n + 1);
      const i = n % 64;
      const add = Math.floor(n / 64) % 2 === 0;
      let line = `address ${add ? 'add' : 'del'} 10.${i >> 8}.${(i >> 2) & 255}.${i & 255}/32 dev va`;
      if (n % 97 === 96) line = `link set vb ${Math.floor(n / 97) % 2 ? 'up' : 'down'}`;
      churners.get(ns)!.stdin!.write(line + '\n');
      ops++;
    }
    const el = (performance.now() - start) / 1000;
    if (el - lastNsChurn >= 10) {
      // Namespaces come and go while the mirror runs.
      lastNsChurn = el;
      delNs(names[Math.floor(Math.random() * names.length)]!);
      nsRemoved++;
      addNs();
      nsAdded++;
    }
    if (el - lastSample >= 5) {
      lastSample = el;
      await sample(el, 'churn');
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  const churnSeconds = (performance.now() - start) / 1000;
  // Let the ip batches finish what they were given, then measure idle.
  await new Promise((r) => setTimeout(r, 2000));
  await sample(churnSeconds + 2, 'settle');
  const idleStart = performance.now();
  const idleSamples: number[] = [];
  while (performance.now() - idleStart < opt.idle * 1000) {
    await new Promise((r) => setTimeout(r, 5000));
    await sample(churnSeconds + 2 + (performance.now() - idleStart) / 1000, 'idle');
    idleSamples.push(samples[samples.length - 1]!.s.cpuPct);
  }
  const check = [...churners.keys()].sort(() => Math.random() - 0.5).slice(0, 10);
  mon.stdin!.write(`verify ${check.join(' ')}\n`);
  const verify = await next('VERIFY');
  mon.stdin!.write('quit\n');
  await new Promise((r) => mon!.once('exit', r));
  cleanup();

  const churnRows = samples.filter((s) => s.phase !== 'idle');
  const rssVals = samples.map((s) => s.rss);
  const firstChurn = samples.find((s) => s.phase === 'churn') ?? samples[0]!;
  const last = samples.filter((s) => s.phase !== 'idle').at(-1)!;
  const long = churnSeconds > 120;
  const pct = (xs: number[], p: number) => {
    const v = [...xs].sort((a, b) => a - b);
    return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]!;
  };
  const where = (x: (typeof samples)[number]) =>
    `${x.rss.toFixed(1)} MiB at ${x.t.toFixed(0)} s = files mapped (node's code and data, libraries) ${x.s.fileMiB.toFixed(1)} + V8 heap ${x.s.v8MiB.toFixed(1)} (young ${x.s.newSpaceMiB.toFixed(1)}, old ${x.s.oldSpaceMiB.toFixed(1)}) + malloc ${(x.s.brkMiB + x.s.arenaMiB).toFixed(1)} + other ${(x.s.anonMiB - x.s.v8MiB - x.s.brkMiB - x.s.arenaMiB).toFixed(1)}`;
  const md = `# Monitor soak

${new Date().toISOString()} · Node ${process.version} · kernel ${release()} · ${cpus().length} × ${cpus()[0]?.model ?? '?'}

Mirror process: \`node ${opt.nodeFlags.join(' ')}${opt.nodeFlags.length ? ' ' : ''}<bundle>\`. One process mirrors (StateMirror, netns: 'all', filtered to this run's namespaces) ${opt.namespaces} namespaces, each with a veth pair, sockets made by the namespace layer's helper; mirror opened in ${ready.openMs.toFixed(0)} ms. ${opt.namespaces} \`ip -n NS -force -batch -\` processes churn at ${opt.rate} ops/s in total (${ops} ops in ${churnSeconds.toFixed(0)} s: /32 address add/delete, a link flap every 97th op), and every 10 s a namespace is removed and a new one added (${nsRemoved} removed, ${nsAdded} added while running). Then ${opt.idle} s idle.

${long ? longSummary() : sampleTable()}

- RSS: ${Math.min(...rssVals).toFixed(1)} to ${Math.max(...rssVals).toFixed(1)} MiB (first churn sample ${firstChurn.rss.toFixed(1)}, last ${last.rss.toFixed(1)}, median ${pct(rssVals, 50).toFixed(1)}); target <= 80 MiB.
- Where the RSS is at its highest sample: ${where(samples.reduce((a, b) => (b.rss > a.rss ? b : a)))}; at its lowest: ${where(samples.reduce((a, b) => (b.rss < a.rss ? b : a)))}.
- Resyncs (full dumps: the initial ones of namespaces added while running, and after overruns) ${last.s.resyncs}; route refreshes (narrow re-dumps after silent kernel route changes: link up/down/carrier, address deletions) ${last.s.refreshes}.
- Idle CPU: ${idleSamples.map((x) => x.toFixed(2)).join(', ')} % over ${opt.idle} s.
- Mirrors checked against fresh dumps after the churn (differences per namespace): ${JSON.stringify(verify)}.
`;
  void churnRows;
  function sampleTable(): string {
    return `| t (s) | phase | RSS MiB | heap MiB | CPU % | mirror changes/s | namespaces | objects | overruns | resyncs | refreshes | errors |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${samples.map((x) => `| ${x.t.toFixed(0)} | ${x.phase} | ${x.rss.toFixed(1)} | ${x.s.heapMiB.toFixed(1)} | ${x.s.cpuPct.toFixed(1)} | ${x.s.changesPerS.toFixed(0)} | ${x.s.namespaces} | ${x.s.objects} | ${x.s.overruns} | ${x.s.resyncs} | ${x.s.refreshes} | ${x.s.errors} |`).join('\n')}`;
  }
  function longSummary(): string {
    // Per minute of churn: RSS min / median / max over its samples, with the V8 young and old
    // generations at the highest sample, objects mirrored, CPU, resyncs and refreshes at its end.
    const rows: string[] = [];
    const minutes = Math.ceil(churnSeconds / 60);
    for (let m = 0; m < minutes; m++) {
      const xs = samples.filter((x) => x.phase === 'churn' && x.t >= m * 60 && x.t < (m + 1) * 60);
      if (xs.length === 0) continue;
      const r = xs.map((x) => x.rss);
      const top = xs.reduce((a, b) => (b.rss > a.rss ? b : a));
      const cpu = xs.map((x) => x.s.cpuPct);
      rows.push(
        `| ${m}-${m + 1} | ${xs.length} | ${Math.min(...r).toFixed(1)} | ${pct(r, 50).toFixed(1)} | ${Math.max(...r).toFixed(1)} | ${top.s.newSpaceMiB.toFixed(1)} / ${top.s.oldSpaceMiB.toFixed(1)} | ${Math.min(...xs.map((x) => x.s.objects))}-${Math.max(...xs.map((x) => x.s.objects))} | ${pct(cpu, 50).toFixed(1)} | ${xs.at(-1)!.s.resyncs} | ${xs.at(-1)!.s.refreshes} | ${xs.at(-1)!.s.overruns} | ${xs.at(-1)!.s.errors} |`,
      );
    }
    const rest = samples.filter((x) => x.phase !== 'churn');
    return `RSS over time, per minute of churn (samples every 5 s, each printed by the bench as it runs):

| minute | samples | RSS min | RSS median | RSS max | new / old space at max (MiB) | objects | CPU % (median) | resyncs | refreshes | overruns | errors |
|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

After the churn:

| t (s) | phase | RSS MiB | heap MiB | CPU % | objects |
|---:|---|---:|---:|---:|---:|
${rest.map((x) => `| ${x.t.toFixed(0)} | ${x.phase} | ${x.rss.toFixed(1)} | ${x.s.heapMiB.toFixed(1)} | ${x.s.cpuPct.toFixed(1)} | ${x.s.objects} |`).join('\n')}`;
  }
  mkdirSync(path.dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, md);
  console.log(md);
}
