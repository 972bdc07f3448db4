/**
 * Making sockets (and opening files such as /proc/sys/net/...) inside another network namespace.
 *
 * A netlink socket belongs for life to the namespace it was created in, and a /proc/sys/net file to
 * the namespace of the process that opened it. Two ways to be "in" the namespace at that moment:
 *
 * - 'helper' (the default): `nsenter --net=PATH node helper.cjs` creates them there and sends the
 *   fds back over a socketpair (SCM_RIGHTS), then exits. Nothing in this process changes
 *   namespace. ~35-40 ms per run on a 2-core VM, Node's start-up being nearly all of it.
 * - 'setns': this thread enters the namespace, creates them, and goes back, synchronously
 *   (~0.1 ms). Safe in Node because JS runs on one thread and nothing else can run on it in between;
 *   libuv's threadpool threads keep their namespace (docs/namespaces.md has the reasoning).
 *
 * Helpers in flight are bounded; requests that wait for one are batched: a helper started under
 * nsenter for the first namespace serves the others too, each after setns() inside the helper (a
 * throwaway process, so that is safe there). 20 namespaces opened at once then cost a few helper
 * runs, not 20. Each helper has a timeout, is killed when everyone waiting on it gave up, and dies
 * with this process (PR_SET_PDEATHSIG, and a getppid() check, in the helper).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import createDebug from '../deps/debug.js';
import * as libc from '../transport/libc.js';
import { NamespaceError } from './errors.js';
import { type NetnsTarget, type ResolvedNetns, resolveNetns } from './target.js';

const log = createDebug('netlink:netns');

export type NetnsEntry = 'helper' | 'setns';

export interface EnterOptions {
  /** 'helper' (default) or 'setns'. */
  entry?: NetnsEntry;
  /** Helper time limit, ms (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface EnterRequest extends EnterOptions {
  /** One socket per entry: its netlink protocol (NETLINK_ROUTE = 0). Created unbound. */
  sockets?: number[];
  /** Files to open there: [path, open flags]. */
  files?: [string, number][];
}

/** fds in request order; a file that could not be opened is an errno (a positive number) instead. */
export interface EnterResult {
  sockets: number[];
  files: (number | { errno: number })[];
}

export const O_RDWR = 2;

// ---------------------------------------------------------------------------------------------
// Helpers in flight: bounded, with requests that wait batched into one helper run

/**
 * Helpers at once: one per CPU, 2 to 4. Node's start-up is CPU-bound, and requests that wait are
 * batched into the next helper, so more helpers than CPUs only compete (bench/netns.ts: 20
 * namespaces on 2 CPUs cost 6.7 ms each with 2 helpers, 10.3 with 4, 10.3 with 8).
 */
let maxHelpers = Math.max(2, Math.min(4, availableParallelism()));
/** Namespaces one helper may serve when requests wait (each further one by setns inside the helper). */
const MAX_BATCH = 16;
let running = 0;
let flushScheduled = false;

interface Job {
  ns: ResolvedNetns;
  req: EnterRequest;
  settled: boolean;
  /** Already failed once as part of a batch whose nsenter target failed: run alone now. */
  retried?: boolean;
  resolve(r: EnterResult): void;
  reject(err: Error): void;
  cleanup?: () => void;
}
const queue: Job[] = [];

/** How many helpers may run at once (default: CPUs, 2 to 4; see docs/namespaces.md). */
export function setMaxHelpers(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('maxHelpers must be a positive integer');
  maxHelpers = n;
  scheduleFlush();
}

/** Helpers running now and requests waiting for one (diagnostics, tests). */
export function helperLoad(): { running: number; waiting: number; max: number } {
  return { running, waiting: queue.length, max: maxHelpers };
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  // One turn of the loop lets requests made together (Promise.all over namespaces) share helpers.
  setImmediate(flush);
}

function flush(): void {
  flushScheduled = false;
  while (running < maxHelpers && queue.length) {
    const per = Math.min(MAX_BATCH, Math.ceil(queue.length / (maxHelpers - running)));
    const batch = [queue.shift()!];
    // An fd target is entered through the child's copy of the fd, and a retried job runs alone.
    if (batch[0]!.ns.fd === undefined && !batch[0]!.retried) {
      for (let i = 0; i < queue.length && batch.length < per; ) {
        if (queue[i]!.ns.fd === undefined && !queue[i]!.retried) batch.push(queue.splice(i, 1)[0]!);
        else i++;
      }
    }
    running++;
    runHelper(batch).finally(() => {
      running--;
      if (queue.length) scheduleFlush();
    });
  }
}

function enqueue(ns: ResolvedNetns, req: EnterRequest): Promise<EnterResult> {
  return new Promise<EnterResult>((resolve, reject) => {
    const job: Job = {
      ns,
      req,
      settled: false,
      resolve: (r) => {
        if (job.settled) return closeResult(r);
        job.settled = true;
        job.cleanup?.();
        resolve(r);
      },
      reject: (err) => {
        if (job.settled) return;
        job.settled = true;
        job.cleanup?.();
        reject(err);
      },
    };
    if (req.signal) {
      const signal = req.signal;
      const onAbort = () => {
        const i = queue.indexOf(job);
        if (i >= 0) queue.splice(i, 1);
        job.reject(new NamespaceError(ns.label, 'ABORT_ERR', `entering network namespace ${ns.label} was aborted`, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      job.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    queue.push(job);
    scheduleFlush();
  });
}

function closeResult(r: EnterResult): void {
  for (const fd of r.sockets) libc.close(fd);
  for (const fd of r.files) if (typeof fd === 'number') libc.close(fd);
}

// ---------------------------------------------------------------------------------------------

/** Creates sockets / opens files inside the namespace and returns their fds (all close-on-exec). */
export async function enterNetns(target: NetnsTarget | ResolvedNetns, req: EnterRequest = {}): Promise<EnterResult> {
  const ns = isResolved(target) ? target : resolveNetns(target);
  req.signal?.throwIfAborted();
  if ((req.entry ?? 'helper') === 'setns') return enterBySetns(ns, req);
  if (req.entry !== undefined && req.entry !== 'helper') throw new NamespaceError(ns.label, 'EINVAL', `unknown namespace entry ${JSON.stringify(req.entry)}: 'helper' or 'setns'`);
  return enqueue(ns, req);
}

function isResolved(t: NetnsTarget | ResolvedNetns): t is ResolvedNetns {
  return typeof t === 'object' && t !== null && 'key' in t && 'path' in t;
}

/** setns on this thread around socket()/open(); back to where we were whatever happens. */
export function enterBySetns(ns: ResolvedNetns, req: EnterRequest): EnterResult {
  const self = libc.openPath('/proc/thread-self/ns/net');
  let target: number;
  try {
    target = ns.fd ?? libc.openPath(ns.path);
  } catch (err) {
    libc.close(self);
    throw new NamespaceError(ns.label, 'ENOENT', `cannot open network namespace ${ns.label}: ${(err as Error).message}`, { cause: err });
  }
  const out: EnterResult = { sockets: [], files: [] };
  try {
    try {
      libc.setns(target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new NamespaceError(ns.label, code === 'EPERM' ? 'EPERM' : 'EINVAL', `cannot enter network namespace ${ns.label}: ${(err as Error).message}`, { cause: err });
    }
    try {
      for (const protocol of req.sockets ?? []) out.sockets.push(libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, protocol));
      for (const [p, flags] of req.files ?? []) {
        try {
          out.files.push(libc.openPath(p, flags | libc.O_CLOEXEC));
        } catch (err) {
          out.files.push({ errno: (err as { errno?: number }).errno ?? 5 });
        }
      }
    } finally {
      // Going back cannot fail short of a kernel bug: we hold an fd of our own namespace. If it
      // did, this thread would be stranded in the other namespace: fail loudly rather than go on.
      try {
        libc.setns(self);
      } catch (err) {
        process.emitWarning(`netlink-ts: could not return from network namespace ${ns.label}: ${(err as Error).message}`);
        throw err;
      }
    }
  } catch (err) {
    for (const fd of out.sockets) libc.close(fd);
    for (const fd of out.files) if (typeof fd === 'number') libc.close(fd);
    throw err;
  } finally {
    if (ns.fd === undefined) libc.close(target);
    libc.close(self);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The helper

let helperPath: string | undefined;
function helperScript(): string {
  if (helperPath) return helperPath;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Next to this module (source tree), or in src/netns when running a compiled copy from dist/.
  const candidates = [path.join(here, 'helper.cjs'), path.join(here, '..', '..', '..', 'src', 'netns', 'helper.cjs')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new NamespaceError('', 'EHELPER', `netns helper script not found (looked in ${candidates.join(', ')})`);
  return (helperPath = found);
}

let nsenterPath: string | undefined;
function nsenter(): string {
  if (nsenterPath) return nsenterPath;
  for (const p of ['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter', '/sbin/nsenter']) if (existsSync(p)) return (nsenterPath = p);
  return 'nsenter';
}

/** The helper's environment: only what Node needs. NODE_EXTRA_CA_CERTS alone costs ~60 ms of start-up. */
function helperEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.NODE_PATH) env.NODE_PATH = process.env.NODE_PATH;
  return env;
}

interface HelperReply {
  jobs: ({ errno: number } | { items: ({ ok: true } | { errno: number })[] })[];
}

/** One helper for a batch of jobs: nsenter puts it in the first job's namespace, setns in the others'. */
function runHelper(batch: Job[]): Promise<void> {
  const first = batch[0]!;
  const timeoutMs = Math.max(...batch.map((j) => j.req.timeoutMs ?? 10_000));
  const label = batch.length === 1 ? first.ns.label : `${first.ns.label} (+${batch.length - 1} more)`;
  const t0 = performance.now();
  let mine: number;
  let theirs: number;
  try {
    [mine, theirs] = libc.socketpair(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_CLOEXEC);
  } catch (err) {
    for (const j of batch) j.reject(new NamespaceError(j.ns.label, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, { cause: err }));
    return Promise.resolve();
  }
  return new Promise<void>((done) => {
    let child: ChildProcess | undefined;
    let stderr = '';
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: NamespaceError) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      libc.close(mine);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) {
        if (batch.length > 1 && err.code !== 'ETIMEDOUT') {
          // nsenter could not enter the first job's namespace: that job fails, the others try again.
          first.reject(err);
          for (const j of batch.slice(1).reverse()) {
            if (!j.settled) {
              j.retried = true;
              queue.unshift(j);
            }
          }
        } else {
          for (const j of batch) j.reject(j === first ? err : new NamespaceError(j.ns.label, err.code, err.message, { cause: err }));
        }
      }
      done();
    };
    // The namespace of an fd target is entered through the child's copy of it (fd 4).
    const nsArg = first.ns.fd !== undefined ? '/proc/self/fd/4' : first.ns.path;
    const jobs = batch.map((j, i) => ({ ...(i > 0 ? { path: j.ns.path } : {}), sockets: j.req.sockets ?? [], files: j.req.files ?? [] }));
    const request = JSON.stringify({ ppid: process.pid, jobs });
    try {
      child = spawn(nsenter(), [`--net=${nsArg}`, '--', process.execPath, helperScript(), request], {
        stdio: ['ignore', 'pipe', 'pipe', theirs, ...(first.ns.fd !== undefined ? [first.ns.fd] : [])],
        env: helperEnv(),
      });
    } catch (err) {
      libc.close(theirs);
      finish(new NamespaceError(first.ns.label, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, { cause: err }));
      return;
    }
    // The child has its copy (fd 3); ours must go, or the read end never sees the child's close.
    libc.close(theirs);
    const expected = jobs.reduce((n, j) => n + j.sockets.length + j.files.length, 0);
    const receive = (): boolean => {
      let got: libc.ReceivedFds;
      try {
        got = libc.recvFds(mine, 256 * 1024, expected + 1);
      } catch (err) {
        if ((err as { code?: string }).code === 'EAGAIN') return false;
        finish(new NamespaceError(first.ns.label, 'EHELPER', `netns helper reply: ${(err as Error).message}`, { cause: err }));
        return true;
      }
      if (got.data.length === 0) return false; // the helper closed without replying
      let reply: HelperReply;
      try {
        reply = JSON.parse(got.data.toString('utf8')) as HelperReply;
        const ok = reply.jobs.reduce((n, j) => n + ('items' in j ? j.items.filter((i) => 'ok' in i).length : 0), 0);
        if (got.truncated || ok !== got.fds.length || reply.jobs.length !== jobs.length) throw new Error(`expected ${ok} fds, got ${got.fds.length}`);
      } catch (err) {
        for (const fd of got.fds) libc.close(fd);
        finish(new NamespaceError(first.ns.label, 'EHELPER', `netns helper sent a malformed reply: ${(err as Error).message}`, { cause: err }));
        return true;
      }
      let next = 0;
      reply.jobs.forEach((r, k) => {
        const job = batch[k]!;
        if (!('items' in r)) {
          job.reject(setnsFailure(job.ns, r.errno));
          return;
        }
        const result: EnterResult = { sockets: [], files: [] };
        let failed: number | undefined;
        const nSockets = jobs[k]!.sockets.length;
        r.items.forEach((item, i) => {
          const value = 'ok' in item ? got.fds[next++]! : { errno: item.errno };
          if (i < nSockets) {
            if (typeof value === 'number') result.sockets.push(value);
            else failed ??= value.errno;
          } else result.files.push(value);
        });
        if (failed !== undefined) {
          closeResult(result);
          job.reject(new NamespaceError(job.ns.label, 'EHELPER', `socket() in network namespace ${job.ns.label} failed: errno ${failed}`));
        } else job.resolve(result);
      });
      log('helper for %s: %d fds in %s ms', label, got.fds.length, (performance.now() - t0).toFixed(1));
      finish();
      return true;
    };
    child.stdout!.on('data', () => receive());
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    child.on('error', (err) =>
      finish(new NamespaceError(first.ns.label, 'EHELPER', `cannot start ${nsenter()} for network namespace ${first.ns.label}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (finished || receive()) return;
      finish(helperFailure(first.ns, stderr, code, signal));
    });
    timer = setTimeout(() => finish(new NamespaceError(first.ns.label, 'ETIMEDOUT', `the netns helper for ${label} did not answer within ${timeoutMs} ms`)), timeoutMs);
    // Everyone in the batch gave up (aborted): no reason to keep the helper.
    if (batch.every((j) => j.req.signal)) {
      for (const j of batch) {
        j.req.signal!.addEventListener(
          'abort',
          () => {
            if (batch.every((b) => b.settled)) finish();
          },
          { once: true },
        );
      }
    }
  });
}

function setnsFailure(ns: ResolvedNetns, errno: number): NamespaceError {
  if (errno === 2) return new NamespaceError(ns.label, 'ENOENT', `network namespace ${ns.label} does not exist`);
  if (errno === 1 || errno === 13) return new NamespaceError(ns.label, 'EPERM', `not permitted to enter network namespace ${ns.label}`);
  return new NamespaceError(ns.label, 'EINVAL', `${ns.path} is not a network namespace (setns: errno ${errno})`);
}

/** What nsenter or the helper said, as a NamespaceError with the right code. */
function helperFailure(ns: ResolvedNetns, stderr: string, code: number | null, signal: NodeJS.Signals | null): NamespaceError {
  const text = stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit status ${code}`);
  if (/No such file|No such process/i.test(text)) return new NamespaceError(ns.label, 'ENOENT', `network namespace ${ns.label} does not exist (${text})`);
  if (/Invalid argument/i.test(text)) return new NamespaceError(ns.label, 'EINVAL', `${ns.path} is not a network namespace (${text})`);
  if (/Operation not permitted|Permission denied/i.test(text)) return new NamespaceError(ns.label, 'EPERM', `not permitted to enter network namespace ${ns.label} (${text})`);
  return new NamespaceError(ns.label, 'EHELPER', `the netns helper for ${ns.label} failed: ${text}`);
}
