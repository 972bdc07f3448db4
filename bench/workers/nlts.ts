/**
 * netlink-ts side of bench/run.ts. Runs inside the benchmark's namespace (under `ip netns exec`),
 * does one scenario, prints one line `RESULT {json}` on stdout. Times are ms (performance.now()).
 *
 *   dump   {what: 'links'|'routes', repeats}   first dump in this fresh process (from just before
 *          the client is opened to the decoded objects, each object's name or dst read), then
 *          `repeats` more on the same client, then `repeats` more reading every field of every object
 *          by name (repeatFields), then by enumerating them (repeatAll, as spread and JSON do).
 *   addr   {n, dev, byIndex}  n addresses added one at a time (each acknowledged), deleted one at
 *          a time (twice: the second pass shows the warm-JIT cost); then the same n with the
 *          pipelined batch API. The link is given by name (as `ip ... dev NAME`), or with
 *          byIndex by its index.
 *   veth   {n, prefix}      n veth pairs created one at a time, then deleted one at a time.
 *   linkevents {n}          a Monitor on link events while `ip -batch` makes n veth pairs and sets
 *          them up: events received and the process's CPU until they all arrived.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NetlinkClient } from '../../src/api/client.js';
import { type MonitorEvent, isObjectEvent } from '../../src/monitor/events.js';
import { Monitor } from '../../src/monitor/monitor.js';

// Imports are done before any clock starts, as in a long-running program; their cost shows in
// the whole-process wall time that run.ts reports.
const args = JSON.parse(process.argv[2] ?? '{}');
const rssAtStart = process.memoryUsage().rss;

function dumpOnce(c: NetlinkClient, what: string): Promise<unknown[]> {
  if (what === 'links') return c.links.list({ stats: true });
  return c.routes.list({ family: 'inet', table: 'all' });
}

/** What a caller reads of each object: the name (S1's count, as bench-peers' adapter) or every field. */
function readNames(res: unknown[], what: string): number {
  let n = 0;
  for (const o of res as Record<string, unknown>[]) if (typeof (what === 'links' ? o.name : o.dst) === 'string') n++;
  return n;
}

const LINK_KEYS = ['index', 'name', 'type', 'flags', 'up', 'lowerUp', 'altnames', 'mtu', 'minMtu', 'maxMtu', 'txqlen', 'operstate'];
LINK_KEYS.push('linkmode', 'group', 'qdisc', 'address', 'broadcast', 'link', 'promiscuity', 'numTxQueues', 'numRxQueues', 'carrier', 'kind', 'stats');
const ROUTE_KEYS = ['family', 'dst', 'table', 'protocol', 'scope', 'type', 'tos', 'flags', 'gateway', 'dev', 'prefsrc', 'metric'];

/** Every field a caller of this kind of object would name, read by name. */
function readFields(res: unknown[], what: string): number {
  const keys = what === 'links' ? LINK_KEYS : ROUTE_KEYS;
  let n = 0;
  for (const o of res as Record<string, unknown>[]) for (const k of keys) if (o[k] !== undefined) n++;
  return n;
}

/** Every own field, enumerated (as spread, JSON.stringify and deep equality do). */
function readAll(res: unknown[]): number {
  let n = 0;
  for (const o of res as Record<string, unknown>[]) for (const k of Object.keys(o)) if (o[k] !== undefined) n++;
  return n;
}

async function dump(): Promise<object> {
  const t0 = performance.now();
  const c = NetlinkClient.open();
  let res: unknown[] | undefined = await dumpOnce(c, args.what);
  readNames(res, args.what);
  const first = performance.now() - t0;
  const count = res.length;
  const rssFirst = process.resourceUsage().maxRSS;
  const repeat: number[] = [];
  for (let i = 0; i < (args.repeats ?? 3); i++) {
    res = undefined;
    const t = performance.now();
    res = await dumpOnce(c, args.what);
    readNames(res, args.what);
    repeat.push(performance.now() - t);
    if (res.length !== count) throw new Error(`repeat dump returned ${res.length} objects, first ${count}`);
  }
  // The same dumps with every field of every object read (lazy records decode it all then).
  const repeatAll: number[] = [];
  for (let i = 0; i < (args.repeats ?? 3); i++) {
    res = undefined;
    const t = performance.now();
    res = await dumpOnce(c, args.what);
    readAll(res);
    repeatAll.push(performance.now() - t);
  }
  const repeatFields: number[] = [];
  for (let i = 0; i < (args.repeats ?? 3); i++) {
    res = undefined;
    const t = performance.now();
    res = await dumpOnce(c, args.what);
    readFields(res, args.what);
    repeatFields.push(performance.now() - t);
  }
  c.close();
  return { first, repeat, repeatFields, repeatAll, count, maxRssFirstKiB: rssFirst, maxRssKiB: process.resourceUsage().maxRSS };
}

function addrList(n: number, base: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = base + i;
    out.push(`10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`);
  }
  return out;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function addr(): Promise<object> {
  const c = NetlinkClient.open();
  const ips = addrList(args.n, args.base ?? 1);
  // `dev NAME` as a user writes it, or the index read beforehand (/sys is the namespace's own under ip netns exec).
  const link: string | number = args.byIndex ? Number(readFileSync(`/sys/class/net/${args.dev}/ifindex`, 'utf8')) : args.dev;
  const checkBatch = (r: { ok: boolean; error?: Error }[]) => {
    const bad = r.find((x) => x && x.ok === false);
    if (bad) throw bad.error;
  };
  // Pass 1 is the scenario (a fresh process); pass 2 repeats it with a warm JIT, for comparison.
  // CPU time (user + system: the kernel handles a request inside sendmsg) beside wall time: on a
  // busy machine it moves far less than wall time does.
  const passes: { add: number; del: number; addCpu: number; delCpu: number }[] = [];
  let t = 0;
  for (let pass = 0; pass < 2; pass++) {
    t = performance.now();
    let cpu = process.cpuUsage();
    for (const ip of ips) await c.addresses.add(`${ip}/32`, { link });
    const add = performance.now() - t;
    const addCpu = cpuMs(process.cpuUsage(cpu));
    t = performance.now();
    cpu = process.cpuUsage();
    for (const ip of ips) await c.addresses.delete(`${ip}/32`, { link });
    passes.push({ add, del: performance.now() - t, addCpu, delCpu: cpuMs(process.cpuUsage(cpu)) });
  }
  const { add, del, addCpu, delCpu } = passes[0]!;
  t = performance.now();
  checkBatch(await c.addresses.addBatch(ips.map((ip) => ({ cidr: `${ip}/32`, link }))));
  const batchAdd = performance.now() - t;
  t = performance.now();
  checkBatch(await c.addresses.deleteBatch(ips.map((ip) => ({ cidr: `${ip}/32`, link }))));
  const batchDel = performance.now() - t;
  c.close();
  const warm = passes[1]!;
  return {
    n: ips.length,
    add,
    del,
    batchAdd,
    batchDel,
    warmAdd: warm.add,
    warmDel: warm.del,
    addCpu,
    delCpu,
    warmAddCpu: warm.addCpu,
    warmDelCpu: warm.delCpu,
  };
}

async function veth(): Promise<object> {
  const c = NetlinkClient.open();
  const n = args.n as number;
  const p = args.prefix as string;
  let t = performance.now();
  let addFirst = 0;
  for (let i = 0; i < n; i++) {
    await c.links.add({ name: `${p}${i}a`, kind: 'veth', peer: { name: `${p}${i}b` } });
    if (i === 0) addFirst = performance.now() - t;
  }
  const add = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < n; i++) await c.links.delete(`${p}${i}a`);
  const del = performance.now() - t;
  c.close();
  return { n, add, del, addFirst };
}

/** A Monitor on link events while `ip -batch` creates n veth pairs and sets them up; its CPU until all have arrived. */
async function linkevents(): Promise<object> {
  const n = args.n as number;
  const m = await Monitor.open({ groups: ['link'] });
  let events = 0;
  m.on('event', (e: MonitorEvent) => {
    if (isObjectEvent(e) && e.kind === 'link') events++;
  });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`link add le${i}a type veth peer name le${i}b`);
  for (let i = 0; i < n; i++) lines.push(`link set le${i}a up`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Spawned asynchronously, so the monitor reads while ip writes (its buffer need not hold them all).
  const ip = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  ip.stdin.end(lines.join('\n') + '\n');
  await new Promise((resolve) => ip.on('exit', resolve));
  // Each pair announces both ends, then the up end again.
  while (events < 3 * n && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const stats = { ...m.stats };
  m.close();
  execFileSync('ip', ['-batch', '-'], { input: Array.from({ length: n }, (_, i) => `link del le${i}a`).join('\n') + '\n' });
  return { n, events, cpuMs: (cpu.user + cpu.system) / 1000, overruns: stats.overruns };
}

const modes: Record<string, () => Promise<object>> = { dump, addr, veth, linkevents };
const run = modes[args.mode];
if (!run) throw new Error(`unknown mode ${args.mode}`);
const out = await run();
process.stdout.write(`RESULT ${JSON.stringify({ ...out, rssAtStartKiB: Math.round(rssAtStart / 1024) })}\n`);
