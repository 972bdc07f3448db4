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
import { availableParallelism } from 'node:os';
import * as system from '../transport/system.js';
import type { EnterRequest, EnterResult } from './helper-reply.js';
import { type Job, closeResult, runHelper } from './helper-run.js';
import { NamespaceError } from './errors.js';
import { type NetnsTarget, type ResolvedNetns, resolveNetns } from './target.js';

export type { EnterOptions, EnterRequest, EnterResult, NetnsEntry } from './helper-reply.js';

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
    runHelper(batch, requeue).finally(() => {
      running--;
      if (queue.length) scheduleFlush();
    });
  }
}

/** A batch whose helper failed as a whole: its jobs go first in the queue, each to run alone. */
function requeue(jobs: Job[]): void {
  for (const j of jobs.slice().reverse()) {
    j.retried = true;
    queue.unshift(j);
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
