/**
 * Making sockets (and opening files such as /proc/sys/net/...) inside another network namespace.
 *
 * A netlink socket belongs for life to the namespace it was created in, and a /proc/sys/net file to
 * the namespace of the process that opened it. Two ways to be "in" the namespace at that moment:
 *
 * - 'helper' (the default): `nsenter --net=PATH -- node helper.cjs` (util-linux nsenter by absolute
 *   path, an empty environment, the request on stdin) creates them there and sends the fds back over a
 *   socketpair (SCM_RIGHTS, in groups under the kernel's SCM_MAX_FD), then exits. Nothing in this
 *   process changes namespace. ~20-30 ms per run on a 2-core VM, Node's start-up being nearly all of it.
 * - 'setns': this thread enters the namespace, creates them, and goes back, synchronously
 *   (~0.1 ms). Safe in Node because JS runs on one thread and nothing else can run on it in between;
 *   libuv's threadpool threads keep their namespace (docs/namespaces.md has the reasoning).
 *
 * Helpers in flight are bounded; requests that wait for one are batched: one helper serves several
 * namespaces, each after setns() inside the helper (a throwaway process, so that is safe there).
 * 20 namespaces opened at once then cost a few helper runs, not 20. Each helper has a timeout, is
 * killed when everyone waiting on it gave up, and dies with this process (PR_SET_PDEATHSIG, and a
 * getppid() check, in the helper).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import createDebug from '../deps/debug.js';
import * as system from '../transport/system.js';
import { type EnterResult, type JobOutcome, type JobSpec, helperFailure, setnsFailure, splitReply } from './helper-reply.js';
import { systemProgram } from './system-program.js';
import { NamespaceError, describeErrno } from './errors.js';
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

export type { EnterResult } from './helper-reply.js';

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
  /** Already failed once as part of a batch whose helper failed as a whole: run alone now. */
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
  for (const fd of r.sockets) system.close(fd);
  for (const fd of r.files) if (typeof fd === 'number') system.close(fd);
}

// ---------------------------------------------------------------------------------------------

/** Creates sockets / opens files inside the namespace and returns their fds (all close-on-exec). */
export async function enterNetns(target: NetnsTarget | ResolvedNetns, req: EnterRequest = {}): Promise<EnterResult> {
  const ns = isResolved(target) ? target : resolveNetns(target);
  req.signal?.throwIfAborted();
  if ((req.entry ?? 'helper') === 'setns') return enterBySetns(ns, req);
  if (req.entry !== undefined && req.entry !== 'helper')
    throw new NamespaceError(ns.label, 'EINVAL', `unknown namespace entry ${JSON.stringify(req.entry)}: 'helper' or 'setns'`);
  return enqueue(ns, req);
}

function isResolved(t: NetnsTarget | ResolvedNetns): t is ResolvedNetns {
  return typeof t === 'object' && t !== null && 'key' in t && 'path' in t;
}

/** setns on this thread around socket()/open(); back to where we were whatever happens. */
export function enterBySetns(ns: ResolvedNetns, req: EnterRequest): EnterResult {
  const self = system.openPath('/proc/thread-self/ns/net');
  let target: number;
  try {
    target = ns.fd ?? system.openPath(ns.path);
  } catch (err) {
    system.close(self);
    throw new NamespaceError(ns.label, 'ENOENT', `cannot open network namespace ${ns.label}: ${(err as Error).message}`, { cause: err });
  }
  const out: EnterResult = { sockets: [], files: [] };
  try {
    try {
      system.enterNetnsFd(target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new NamespaceError(
        ns.label,
        code === 'EPERM' ? 'EPERM' : 'EINVAL',
        `cannot enter network namespace ${ns.label}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      for (const protocol of req.sockets ?? []) out.sockets.push(system.netlinkSocketFd(protocol));
      for (const [p, flags] of req.files ?? []) {
        try {
          out.files.push(system.openPath(p, flags));
        } catch (err) {
          out.files.push({ errno: (err as { errno?: number }).errno ?? 5 });
        }
      }
    } finally {
      // Going back cannot fail short of a kernel bug: we hold an fd of our own namespace. If it
      // did, this thread would be stranded in the other namespace: fail loudly rather than go on.
      try {
        system.enterNetnsFd(self);
      } catch (err) {
        process.emitWarning(`netlink-ts: could not return from network namespace ${ns.label}: ${(err as Error).message}`);
        // biome-ignore lint/correctness/noUnsafeFinally: a thread stranded in another namespace must not go on.
        throw err;
      }
    }
  } catch (err) {
    for (const fd of out.sockets) system.close(fd);
    for (const fd of out.files) if (typeof fd === 'number') system.close(fd);
    throw err;
  } finally {
    if (ns.fd === undefined) system.close(target);
    system.close(self);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The helper

let helperPath: string | undefined;
/** helper.cjs: next to this module (source tree), or in src/netns when running a compiled copy from dist/. */
export function helperScript(): string {
  if (helperPath) return helperPath;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'helper.cjs'), path.join(here, '..', '..', '..', 'src', 'netns', 'helper.cjs')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new NamespaceError('', 'EHELPER', `netns helper script not found (looked in ${candidates.join(', ')})`);
  return (helperPath = found);
}

let ffiPath: string | null | undefined;
/** The ffi-rs this process loads, by absolute path: the helper has no NODE_PATH to find another one. */
export function helperFfiModule(): string | undefined {
  if (ffiPath === undefined) {
    try {
      ffiPath = createRequire(import.meta.url).resolve('ffi-rs');
    } catch {
      ffiPath = null; // the helper looks next to itself
    }
  }
  return ffiPath ?? undefined;
}

/**
 * The helpers' environment: none. Node reads NODE_OPTIONS (--require: code run as root), NODE_PATH,
 * NODE_EXTRA_CA_CERTS (~60 ms of start-up) and more from it, and the dynamic linker LD_PRELOAD;
 * the helper needs nothing from it (the ffi-rs path travels in the request).
 */
export function helperEnv(): NodeJS.ProcessEnv {
  return {};
}

/** At most this many fds travel in one reply datagram (the kernel's SCM_MAX_FD is 253; helper.cjs sends up to 250). */
const SCM_MAX_FD = 253;

/** One helper for a batch of jobs: it enters each job's namespace by setns() and makes its fds there. */
function runHelper(batch: Job[]): Promise<void> {
  const first = batch[0]!;
  const timeoutMs = Math.max(...batch.map((j) => j.req.timeoutMs ?? 10_000));
  const label = batch.length === 1 ? first.ns.label : `${first.ns.label} (+${batch.length - 1} more)`;
  const t0 = performance.now();
  let mine: number;
  let theirs: number;
  try {
    [mine, theirs] = system.seqpacketPair();
  } catch (err) {
    for (const j of batch)
      j.reject(new NamespaceError(j.ns.label, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, { cause: err }));
    return Promise.resolve();
  }
  return new Promise<void>((done) => {
    let child: ChildProcess | undefined;
    let stderr = '';
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    /** The reply so far: entries and fds of every datagram received, in order. */
    const entries: number[] = [];
    const fds: number[] = [];
    const finish = (err?: NamespaceError) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      system.close(mine);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) {
        for (const fd of fds) system.close(fd);
        if (batch.length > 1 && err.code !== 'ETIMEDOUT') {
          // The helper failed as a whole, not one job's namespace: no job is to blame, each runs alone once more.
          for (const j of batch.slice().reverse()) {
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
    const jobs: JobSpec[] = batch.map((j) => ({
      path: j.ns.fd !== undefined ? '/proc/self/fd/4' : j.ns.path,
      sockets: j.req.sockets ?? [],
      files: j.req.files ?? [],
    }));
    try {
      // Under util-linux nsenter (absolute path): the helper starts in the first job's namespace, and
      // enters the others (and this one again, harmlessly) with setns() itself.
      child = spawnHelper(jobs, theirs, first.ns.fd);
    } catch (err) {
      system.close(theirs);
      finish(new NamespaceError(first.ns.label, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, { cause: err }));
      return;
    }
    // The child has its copy (fd 3); ours must go, or the read end never sees the child's close.
    system.close(theirs);
    const malformed = (why: string, err?: unknown) => {
      const message = `netns helper sent a malformed reply: ${why}`;
      finish(new NamespaceError(first.ns.label, 'EHELPER', message, err === undefined ? undefined : { cause: err }));
    };
    /** Reads every datagram there is; true once the reply is complete (or broken) and handled. */
    const receive = (): boolean => {
      for (;;) {
        if (finished) return true;
        let got: system.ReceivedFds;
        try {
          got = system.recvFds(mine, 64 * 1024, SCM_MAX_FD);
        } catch (err) {
          if ((err as { code?: string }).code === 'EAGAIN') return false;
          finish(new NamespaceError(first.ns.label, 'EHELPER', `netns helper reply: ${(err as Error).message}`, { cause: err }));
          return true;
        }
        if (got.data.length === 0) return false; // the helper closed without (finishing its) reply
        fds.push(...got.fds);
        const part = replyPart(got);
        if (typeof part === 'string') {
          malformed(part);
          return true;
        }
        for (const e of part.r) entries.push(e);
        if (part.end) {
          settle();
          return true;
        }
      }
    };
    /** The whole reply is here: checked against the request, then each job gets its own fds or error. */
    const settle = () => {
      const outcomes = splitReply(jobs, entries, fds);
      if (typeof outcomes === 'string') return malformed(outcomes);
      const count = fds.length;
      fds.length = 0; // handed out below
      deliver(batch, outcomes);
      log('helper for %s: %d fds in %s ms', label, count, (performance.now() - t0).toFixed(1));
      finish();
    };
    child.stdout!.on('data', () => receive());
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    child.on('error', (err) => {
      const message = `cannot start the netns helper (${process.execPath}) for network namespace ${first.ns.label}: ${err.message}`;
      finish(new NamespaceError(first.ns.label, 'EHELPER', message, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (finished || receive()) return;
      finish(helperFailure(first.ns, stderr, code, signal));
    });
    timer = setTimeout(
      () => finish(new NamespaceError(first.ns.label, 'ETIMEDOUT', `the netns helper for ${label} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    stopWhenAllAbort(batch, () => finish());
  });
}

/** One reply datagram: its entries (and whether it is the last), or why it is malformed. */
function replyPart(got: system.ReceivedFds): { r: number[]; end?: boolean } | string {
  let part: { r: number[]; end?: boolean };
  try {
    part = JSON.parse(got.data.toString('utf8')) as { r: number[]; end?: boolean };
    if (!Array.isArray(part.r) || !part.r.every(Number.isInteger)) return 'no entries';
  } catch (err) {
    return (err as Error).message;
  }
  const oks = part.r.reduce((n, e) => n + (e === 0 ? 1 : 0), 0);
  if (got.truncated || oks !== got.fds.length) return `expected ${oks} fds, got ${got.fds.length}${got.truncated ? ' (truncated)' : ''}`;
  return part;
}

/** nsenter into the first job's namespace, then node helper.cjs with the request on stdin; `fd` (an fd target) as its fd 4. */
function spawnHelper(jobs: JobSpec[], theirs: number, fd: number | undefined): ChildProcess {
  // Under util-linux nsenter (absolute path): the helper starts in the first job's namespace, and
  // enters the others (and this one again, harmlessly) with setns() itself.
  const child = spawn(systemProgram('nsenter', 'util-linux'), [`--net=${jobs[0]!.path}`, '--', process.execPath, helperScript()], {
    stdio: ['pipe', 'pipe', 'pipe', theirs, ...(fd !== undefined ? [fd] : [])],
    env: helperEnv(),
  });
  // The request goes on stdin: argv is world-readable (/proc/PID/cmdline) and limited to 128 KiB.
  child.stdin!.on('error', () => undefined); // a helper that died early is reported on 'close'
  child.stdin!.end(JSON.stringify({ ppid: process.pid, ffi: helperFfiModule(), jobs }));
  return child;
}

/** Everyone in the batch gave up (aborted): no reason to keep the helper. */
function stopWhenAllAbort(batch: Job[], stop: () => void): void {
  if (!batch.every((j) => j.req.signal)) return;
  for (const j of batch) {
    j.req.signal!.addEventListener(
      'abort',
      () => {
        if (batch.every((b) => b.settled)) stop();
      },
      { once: true },
    );
  }
}

/** Each job its own fds, or its own error (a socket that failed closes the job's other fds). */
function deliver(batch: Job[], outcomes: JobOutcome[]): void {
  outcomes.forEach((r, k) => {
    const job = batch[k]!;
    if ('setnsErrno' in r) job.reject(setnsFailure(job.ns, r.setnsErrno));
    else if ('socketErrno' in r) {
      closeResult(r.result);
      const message = `socket() in network namespace ${job.ns.label} failed: ${describeErrno(r.socketErrno)}`;
      job.reject(new NamespaceError(job.ns.label, 'EHELPER', message));
    } else job.resolve(r);
  });
}
