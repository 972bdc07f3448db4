/**
 * One run of the namespace helper for a batch of jobs: it enters each job's namespace by setns()
 * and makes the job's sockets and files there, then sends the fds back over a socketpair
 * (SCM_RIGHTS, in groups under the kernel's SCM_MAX_FD). A HelperRun reads that reply, checks it
 * against the request, and gives each job its own fds or its own error.
 */
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import createDebug from '../deps/debug.js';
import * as system from '../transport/system.js';
import { NamespaceError, type NamespaceErrorCode, describeErrno } from './errors.js';
import { type EnterRequest, type EnterResult, type JobOutcome, type JobSpec, helperFailure, setnsFailure, splitReply } from './helper-reply.js';
import { spawnHelper } from './helper-spawn.js';
import type { ResolvedNetns } from './target.js';

const log = createDebug('netlink:netns');

/** At most this many fds travel in one reply datagram (the kernel's SCM_MAX_FD is 253; helper.cjs sends up to 250). */
const SCM_MAX_FD = 253;

/** A request waiting for (or served by) a helper. */
export interface Job {
  ns: ResolvedNetns;
  req: EnterRequest;
  settled: boolean;
  /** Already failed once as part of a batch whose helper failed as a whole: run alone now. */
  retried?: boolean;
  resolve(r: EnterResult): void;
  reject(err: Error): void;
  cleanup?: () => void;
}

/**
 * Runs one helper for `batch`; resolves when it is over (every job settled, or handed to `requeue`:
 * when the helper failed as a whole, no job is to blame and each runs alone once more).
 */
export function runHelper(batch: Job[], requeue: (jobs: Job[]) => void): Promise<void> {
  return new Promise<void>((done) => new HelperRun(batch, requeue, done).start());
}

export function closeResult(r: EnterResult): void {
  for (const fd of r.sockets) system.close(fd);
  for (const fd of r.files) if (typeof fd === 'number') system.close(fd);
}

class HelperRun {
  private readonly first: Job;
  private readonly label: string;
  private readonly t0 = performance.now();
  // The namespace of an fd target is entered through the child's copy of it (fd 4).
  private readonly jobs: JobSpec[];
  private mine = -1;
  private child: ChildProcess | undefined;
  private stderr = '';
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  /** The reply so far: entries and fds of every datagram received, in order. */
  private readonly entries: number[] = [];
  private readonly fds: number[] = [];

  constructor(
    private readonly batch: Job[],
    private readonly requeue: (jobs: Job[]) => void,
    private readonly done: () => void,
  ) {
    this.first = batch[0]!;
    this.label = batch.length === 1 ? this.first.ns.label : `${this.first.ns.label} (+${batch.length - 1} more)`;
    this.jobs = batch.map((j) => ({
      path: j.ns.fd !== undefined ? '/proc/self/fd/4' : j.ns.path,
      sockets: j.req.sockets ?? [],
      files: j.req.files ?? [],
    }));
  }

  start(): void {
    let theirs: number;
    try {
      [this.mine, theirs] = system.seqpacketPair();
    } catch (err) {
      for (const j of this.batch) j.reject(this.error(j.ns, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, err));
      return this.done();
    }
    try {
      this.child = spawnHelper(this.jobs, theirs, this.first.ns.fd);
    } catch (err) {
      system.close(theirs);
      return this.finish(this.error(this.first.ns, 'EHELPER', `cannot start the netns helper: ${(err as Error).message}`, err));
    }
    // The child has its copy (fd 3); ours must go, or the read end never sees the child's close.
    system.close(theirs);
    this.watch(this.child);
    const timeoutMs = Math.max(...this.batch.map((j) => j.req.timeoutMs ?? 10_000));
    const late = `the netns helper for ${this.label} did not answer within ${timeoutMs} ms`;
    this.timer = setTimeout(() => this.finish(this.error(this.first.ns, 'ETIMEDOUT', late)), timeoutMs);
    stopWhenAllAbort(this.batch, () => this.finish());
  }

  private watch(child: ChildProcess): void {
    child.stdout!.on('data', () => this.receive());
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (this.stderr.length < 4096) this.stderr += s;
    });
    child.on('error', (err) => {
      const message = `cannot start the netns helper (${process.execPath}) for network namespace ${this.first.ns.label}: ${err.message}`;
      this.finish(this.error(this.first.ns, 'EHELPER', message, err));
    });
    child.on('close', (code, signal) => {
      if (this.finished || this.receive()) return;
      this.finish(helperFailure(this.first.ns, this.stderr, code, signal));
    });
  }

  /** Reads every datagram there is; true once the reply is complete (or broken) and handled. */
  private receive(): boolean {
    for (;;) {
      if (this.finished) return true;
      let got: system.ReceivedFds;
      try {
        got = system.recvFds(this.mine, 64 * 1024, SCM_MAX_FD);
      } catch (err) {
        if ((err as { code?: string }).code === 'EAGAIN') return false;
        this.finish(this.error(this.first.ns, 'EHELPER', `netns helper reply: ${(err as Error).message}`, err));
        return true;
      }
      if (got.data.length === 0) return false; // the helper closed without (finishing its) reply
      this.fds.push(...got.fds);
      const part = replyPart(got);
      if (typeof part === 'string') {
        this.malformed(part);
        return true;
      }
      for (const e of part.r) this.entries.push(e);
      if (part.end) {
        this.settle();
        return true;
      }
    }
  }

  /** The whole reply is here: checked against the request, then each job gets its own fds or error. */
  private settle(): void {
    const outcomes = splitReply(this.jobs, this.entries, this.fds);
    if (typeof outcomes === 'string') return this.malformed(outcomes);
    const count = this.fds.length;
    this.fds.length = 0; // handed out below
    deliver(this.batch, outcomes);
    log('helper for %s: %d fds in %s ms', this.label, count, (performance.now() - this.t0).toFixed(1));
    this.finish();
  }

  private malformed(why: string): void {
    this.finish(this.error(this.first.ns, 'EHELPER', `netns helper sent a malformed reply: ${why}`));
  }

  private finish(err?: NamespaceError): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    system.close(this.mine);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (err) {
      for (const fd of this.fds) system.close(fd);
      if (this.batch.length > 1 && err.code !== 'ETIMEDOUT') this.requeue(this.batch.filter((j) => !j.settled));
      else for (const j of this.batch) j.reject(j === this.first ? err : new NamespaceError(j.ns.label, err.code, err.message, { cause: err }));
    }
    this.done();
  }

  private error(ns: ResolvedNetns, code: NamespaceErrorCode, message: string, cause?: unknown): NamespaceError {
    return new NamespaceError(ns.label, code, message, cause === undefined ? undefined : { cause });
  }
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
