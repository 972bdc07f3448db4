/**
 * Per-namespace sysctls (net.ipv4.ip_forward, net.ipv4.conf.IFACE.forwarding...).
 *
 * A /proc/sys/net file belongs to the network namespace of the process (thread) that opened it. So
 * for another namespace the files are opened there, through the same helper (or setns) that makes
 * sockets, and read or written here through the fds it hands back: the values touched are that
 * namespace's, never this process's own namespace's. Only net.* keys are accepted: every other
 * sysctl is machine-wide, and writing one "in a namespace" would change it for the whole host.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { errnoInfo } from '../conn/errors.js';
import { TransportError } from '../transport/errors.js';
import { type EnterOptions, enterNetns } from './enter.js';
import { describeErrno } from './errors.js';
import type { NetnsTarget } from './target.js';

export interface SysctlOptions extends EnterOptions {
  /** The namespace (default: the current one). */
  netns?: NetnsTarget;
}

export interface SysctlEntry {
  /** The key in dotted form, as sysctl(8) prints it. */
  key: string;
  value: string;
}

const O_RDONLY = 0;
const O_WRONLY = 1;

/**
 * 'net.ipv4.conf.eth0.forwarding' or 'net/ipv4/conf/eth0/forwarding' -> path components. In the
 * dotted form a '/' stands for a '.' inside a component (an interface named eth0.100 is written
 * net.ipv4.conf.eth0/100.forwarding), as sysctl(8) reads it.
 */
export function sysctlPath(key: unknown): { key: string; path: string } {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidArgumentError('sysctl key', key, 'must be a non-empty string like net.ipv4.ip_forward');
  const slashed = key.startsWith('net/') || key.startsWith('/proc/sys/');
  const raw = key.replace(/^\/proc\/sys\//, '');
  const parts = slashed ? raw.split('/') : raw.split('.').map((p) => p.replace(/\//g, '.'));
  if (parts[0] !== 'net')
    throw new InvalidArgumentError(
      'sysctl key',
      key,
      'only net.* keys are per network namespace; other sysctls are machine-wide and not handled here',
    );
  if (parts.length < 2 || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw new InvalidArgumentError('sysctl key', key, 'has an empty, "." or ".." component');
  }
  return { key: parts.map((p) => p.replace(/\./g, '/')).join('.'), path: `/proc/sys/${parts.join('/')}` };
}

/** A failed syscall on a sysctl file, as a TransportError that names its errno: "EACCES (Permission denied)". */
function sysctlError(what: string, syscall: string, errno: number, cause?: unknown): TransportError {
  return new TransportError(`${what}: ${describeErrno(errno)}`, syscall, errno, errnoInfo(errno).code, cause === undefined ? undefined : { cause });
}

/** The positive errno of a failed node:fs call. */
function fsErrno(err: unknown): number {
  return Math.abs((err as NodeJS.ErrnoException).errno ?? 5);
}

function readAll(op: Op, fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(4096);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      throw sysctlError(`reading sysctl ${op.key} failed`, 'read', fsErrno(err), err);
    }
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
}

/** The kernel's "no" to a value (EINVAL; ERANGE from a few handlers) is about the value: bad input. */
const VALUE_REFUSED = new Set([22, 34]);

interface Op {
  key: string;
  path: string;
  value?: string;
}

/** Opens every file in one go (one helper run for another namespace), then runs fn on each fd. */
async function withFiles<T>(ops: Op[], options: SysctlOptions, fn: (op: Op, fd: number) => T): Promise<T[]> {
  const flags = ops.map((op) => (op.value === undefined ? O_RDONLY : O_WRONLY));
  let fds: (number | { errno: number })[];
  if (options.netns === undefined) {
    fds = ops.map((op, i) => {
      try {
        return openSync(op.path, flags[i]!);
      } catch (err) {
        return { errno: fsErrno(err) };
      }
    });
  } else {
    fds = (await enterNetns(options.netns, { ...options, files: ops.map((op, i) => [op.path, flags[i]!] as [string, number]) })).files;
  }
  try {
    return ops.map((op, i) => {
      const fd = fds[i]!;
      if (typeof fd !== 'number') {
        if (fd.errno === 2 || fd.errno === 20) throw new NotFoundError('sysctl', op.key);
        throw sysctlError(`cannot open sysctl ${op.key}`, 'open', fd.errno);
      }
      return fn(op, fd);
    });
  } finally {
    for (const fd of fds) if (typeof fd === 'number') closeSync(fd);
  }
}

/**
 * Reads and writes several sysctls in one namespace entry: 'key' reads, ['key', value] writes.
 * Returns each key with the value read, or the value written. Items are handled in order. A key
 * that is not a net.* path is an InvalidArgumentError before anything is opened; a value the
 * kernel refuses (EINVAL, ERANGE) an InvalidArgumentError; a missing key a NotFoundError; any other
 * failure a TransportError with errno and code.
 */
export async function sysctl(items: (string | [string, string | number | boolean])[], options: SysctlOptions = {}): Promise<SysctlEntry[]> {
  if (!Array.isArray(items)) throw new InvalidArgumentError('sysctl items', items, 'must be an array of keys and [key, value] pairs');
  const ops: Op[] = items.map((it) => {
    if (typeof it === 'string') return sysctlPath(it);
    if (!Array.isArray(it) || it.length !== 2) throw new InvalidArgumentError('sysctl', it, 'must be a key or [key, value]');
    const v = typeof it[1] === 'boolean' ? (it[1] ? '1' : '0') : String(it[1]);
    if (v.includes('\0')) throw new InvalidArgumentError('sysctl value', v, 'must not contain NUL');
    return { ...sysctlPath(it[0]), value: v };
  });
  return withFiles(ops, options, (op, fd) => {
    if (op.value === undefined) return { key: op.key, value: readAll(op, fd) };
    try {
      writeSync(fd, op.value);
    } catch (err) {
      const errno = fsErrno(err);
      if (VALUE_REFUSED.has(errno)) {
        throw new InvalidArgumentError('sysctl value', op.value, `the kernel refused it for ${op.key}: ${describeErrno(errno)}`);
      }
      throw sysctlError(`setting sysctl ${op.key} to ${JSON.stringify(op.value)} failed`, 'write', errno, err);
    }
    return { key: op.key, value: op.value };
  });
}

/** The value of one net.* sysctl, in the namespace given (default: the current one). */
export async function readSysctl(key: string, options: SysctlOptions = {}): Promise<string> {
  return (await sysctl([key], options))[0]!.value;
}

/** Sets one net.* sysctl in the namespace given (default: the current one). */
export async function writeSysctl(key: string, value: string | number | boolean, options: SysctlOptions = {}): Promise<void> {
  await sysctl([[key, value]], options);
}
