/**
 * The namespace helper's reply, read: split per job and checked against the request, and what
 * nsenter or the helper said when it failed, as NamespaceErrors with the right code. Pure.
 */
import { NamespaceError, describeErrno } from './errors.js';
import type { ResolvedNetns } from './target.js';

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

export interface JobSpec {
  path: string;
  sockets: number[];
  files: [string, number][];
}

export type JobOutcome = EnterResult | { setnsErrno: number } | { socketErrno: number; result: EnterResult };

/**
 * The reply's entries split per job: each job starts with its header, -1 (entered) or -1 - errno
 * (setns failed, nothing follows), then one entry per socket and file, 0 for an fd (the next of
 * `fds`) or an errno. A string saying why when the reply does not match the request.
 */
export function splitReply(jobs: JobSpec[], entries: number[], fds: number[]): JobOutcome[] | string {
  let e = 0;
  let f = 0;
  const results: JobOutcome[] = [];
  for (const spec of jobs) {
    const header = entries[e++];
    if (header === undefined || header >= 0) return `no header for job ${results.length}`;
    if (header < -1) {
      results.push({ setnsErrno: -1 - header });
      continue;
    }
    const result: EnterResult = { sockets: [], files: [] };
    let socketErrno: number | undefined;
    for (let i = 0; i < spec.sockets.length + spec.files.length; i++) {
      const entry = entries[e++];
      if (entry === undefined) return `${entries.length} entries for ${jobs.length} jobs`;
      const value = entry === 0 ? fds[f++]! : { errno: entry };
      if (i >= spec.sockets.length) result.files.push(value);
      else if (typeof value === 'number') result.sockets.push(value);
      else socketErrno ??= value.errno;
    }
    results.push(socketErrno === undefined ? result : { socketErrno, result });
  }
  if (e !== entries.length || f !== fds.length) return `${entries.length} entries and ${fds.length} fds for ${jobs.length} jobs`;
  return results;
}

export function setnsFailure(ns: ResolvedNetns, errno: number): NamespaceError {
  if (errno === 2) return new NamespaceError(ns.label, 'ENOENT', `network namespace ${ns.label} does not exist`);
  if (errno === 1 || errno === 13) {
    return new NamespaceError(ns.label, 'EPERM', `not permitted to enter network namespace ${ns.label}: ${describeErrno(errno)}`);
  }
  return new NamespaceError(ns.label, 'EINVAL', `${ns.path} is not a network namespace (setns: ${describeErrno(errno)})`);
}

/** What the helper (or Node starting it) said, as a NamespaceError with the right code. */
export function helperFailure(ns: ResolvedNetns, stderr: string, code: number | null, signal: NodeJS.Signals | null): NamespaceError {
  const text = stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit status ${code}`);
  // nsenter could not enter: the same words as a failed setns() inside the helper.
  if (/No such file|No such process/i.test(text)) return setnsFailure(ns, 2);
  if (/Operation not permitted/i.test(text)) return setnsFailure(ns, 1);
  if (/Permission denied/i.test(text)) return setnsFailure(ns, 13);
  if (/Invalid argument/i.test(text)) return setnsFailure(ns, 22);
  return new NamespaceError(ns.label, 'EHELPER', `the netns helper for ${ns.label} failed: ${text}`);
}
