/**
 * iproute2 side of bench/run.ts, run inside the benchmark's namespace like the other workers.
 * Prints one line `RESULT {json}`. Times are ms, measured here in Node:
 *
 *   dump   {argv, repeats, rss}  `ip -j ...` spawned, stdout collected, JSON.parse'd: from spawn to
 *          the parsed array. First in this fresh process, then `repeats` more. With rss, one extra
 *          untimed run under GNU time reports ip's own peak RSS (ru_maxrss).
 *   batch  {phases: {name: file}}  `ip -batch FILE` from spawn to exit per phase, plus
 *          `ip -batch /dev/null` (ip's start-up and exit, subtracted by run.ts for per-op numbers).
 *   perop  {phases: {name: argv[]}}  one `ip` process per operation, run one after another.
 */
import { spawn } from 'node:child_process';

const args = JSON.parse(process.argv[2] ?? '{}');
const rssAtStartKiB = Math.round(process.memoryUsage().rss / 1024);

function run(argv: string[], opts: { stdout?: boolean; cmd?: string } = {}): Promise<{ out: Buffer; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.cmd ?? 'ip', argv, { stdio: ['ignore', opts.stdout === false ? 'ignore' : 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => chunks.push(b));
    child.stderr!.on('data', (b: Buffer) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${opts.cmd ?? 'ip'} ${argv.join(' ').slice(0, 200)} exited ${code}: ${err.slice(0, 500)}`));
      else resolve({ out: Buffer.concat(chunks), err });
    });
  });
}

async function parsedDump(argv: string[]): Promise<unknown[]> {
  const { out } = await run(argv);
  return JSON.parse(out.toString('utf8')) as unknown[];
}

async function dump(): Promise<object> {
  const t0 = performance.now();
  let res: unknown[] | undefined = await parsedDump(args.argv);
  const first = performance.now() - t0;
  const count = res.length;
  const rssFirst = process.resourceUsage().maxRSS;
  const repeat: number[] = [];
  for (let i = 0; i < (args.repeats ?? 3); i++) {
    res = undefined;
    const t = performance.now();
    res = await parsedDump(args.argv);
    repeat.push(performance.now() - t);
    if (res.length !== count) throw new Error(`repeat dump returned ${res.length} objects, first ${count}`);
  }
  const maxRssKiB = process.resourceUsage().maxRSS;
  let ipMaxRssKiB: number | undefined;
  if (args.rss) {
    res = undefined;
    const { err } = await run(['-f', 'IPMAXRSS %M', 'ip', ...args.argv], { cmd: '/usr/bin/time', stdout: false });
    const m = /IPMAXRSS (\d+)/.exec(err);
    if (m) ipMaxRssKiB = Number(m[1]);
  }
  return { first, repeat, count, maxRssFirstKiB: rssFirst, maxRssKiB, ipMaxRssKiB, rssAtStartKiB };
}

async function timePhases(phases: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, fn] of Object.entries(phases)) {
    const t = performance.now();
    await fn();
    out[name] = performance.now() - t;
  }
  return out;
}

async function batch(): Promise<object> {
  // ip's own start-up and exit, measured around the phases (median of 3).
  const empties: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await run(['-batch', '/dev/null']);
    empties.push(performance.now() - t);
  }
  const phases: Record<string, () => Promise<unknown>> = {};
  for (const [name, file] of Object.entries(args.phases as Record<string, string>)) phases[name] = () => run(['-batch', file]);
  const times = await timePhases(phases);
  empties.sort((a, b) => a - b);
  return { ...times, startup: empties[1] };
}

async function perop(): Promise<object> {
  const phases: Record<string, () => Promise<unknown>> = {};
  for (const [name, cmds] of Object.entries(args.phases as Record<string, string[][]>)) {
    phases[name] = async () => {
      for (const argv of cmds) await run(argv);
    };
  }
  return timePhases(phases);
}

const modes: Record<string, () => Promise<object>> = { dump, batch, perop };
const fn = modes[args.mode];
if (!fn) throw new Error(`unknown mode ${args.mode}`);
process.stdout.write(`RESULT ${JSON.stringify(await fn())}\n`);
