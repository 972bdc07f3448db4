/**
 * Naming a network namespace: by name (/run/netns/NAME, as `ip netns` creates them), by path (any
 * nsfs file, e.g. a bind mount made elsewhere), by process (/proc/PID/ns/net) or by an open fd.
 * Resolution checks that the namespace exists and is one: nothing is ever created here.
 */
import { statSync } from 'node:fs';
import { InvalidArgumentError } from '../errors/index.js';
import { NamespaceError } from './errors.js';

export const NETNS_RUN_DIR = '/run/netns';
/** NAME_MAX, as ip's netns name check. */
const NETNS_NAME_MAX = 255;

export type NetnsTarget = string | { name: string } | { path: string } | { pid: number } | { fd: number };

export interface ResolvedNetns {
  /** How the caller named it, for messages: NAME, a path, "pid 1234" or "fd 7". */
  label: string;
  /** The namespace file to enter (/run/netns/NAME, /proc/PID/ns/net, the path, or /proc/self/fd/N). */
  path: string;
  name?: string;
  pid?: number;
  fd?: number;
  /** Identity of the namespace (nsfs device and inode): equal for every way of naming it. */
  dev: number;
  ino: number;
  key: string;
}

/** ip's rule for namespace names: not empty, at most NAME_MAX bytes, no '/', not '.' or '..'. */
export function checkNetnsName(name: unknown, argument = 'namespace name'): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(argument, name, 'must be a string');
  if (name.length === 0) throw new InvalidArgumentError(argument, name, 'must not be empty');
  if (Buffer.byteLength(name) > NETNS_NAME_MAX) throw new InvalidArgumentError(argument, name, `is longer than ${NETNS_NAME_MAX} bytes`);
  if (name.includes('/')) throw new InvalidArgumentError(argument, name, "must not contain '/'");
  if (name === '.' || name === '..') throw new InvalidArgumentError(argument, name, 'cannot be "." or ".."');
  if (name.includes('\0')) throw new InvalidArgumentError(argument, name, 'must not contain NUL');
  return name;
}

export function netnsPath(name: string): string {
  return `${NETNS_RUN_DIR}/${checkNetnsName(name)}`;
}

let nsfsDev: number | undefined;
/** The nsfs device: every namespace file (/proc/PID/ns/*, their bind mounts) lives on it. */
export function nsfsDevice(): number {
  return (nsfsDev ??= statSync('/proc/self/ns/net').dev);
}

/** stat of a namespace file, or a NamespaceError saying why it is not one. */
export function statNetns(path: string, label: string): { dev: number; ino: number } {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ESRCH') {
      throw new NamespaceError(label, 'ENOENT', `network namespace ${describe(label)} does not exist`, { cause: err });
    }
    if (code === 'EACCES' || code === 'EPERM')
      throw new NamespaceError(label, 'EPERM', `cannot reach network namespace ${describe(label)}: ${code}`, { cause: err });
    throw new NamespaceError(label, 'EINVAL', `cannot reach network namespace ${describe(label)}: ${(err as Error).message}`, { cause: err });
  }
  if (st.dev !== nsfsDevice()) {
    throw new NamespaceError(
      label,
      'EINVAL',
      `${path} is not a network namespace (not an nsfs mount${path.startsWith(NETNS_RUN_DIR) ? '; a stale entry left by a failed add?' : ''})`,
    );
  }
  return { dev: st.dev, ino: st.ino };
}

function describe(label: string): string {
  return /^(pid|fd) \d+$/.test(label) || label.startsWith('/') ? label : JSON.stringify(label);
}

export function resolveNetns(target: NetnsTarget): ResolvedNetns {
  let r: Omit<ResolvedNetns, 'dev' | 'ino' | 'key'>;
  if (typeof target === 'string') {
    // "NAME" or an absolute path, as `nsenter --net=` and `ip netns` users write them.
    r = target.startsWith('/') ? { label: target, path: target } : { label: target, path: netnsPath(target), name: target };
  } else if (target && typeof target === 'object' && 'name' in target) {
    r = { label: target.name, path: netnsPath(target.name), name: target.name };
  } else if (target && typeof target === 'object' && 'path' in target) {
    if (typeof target.path !== 'string' || !target.path) throw new InvalidArgumentError('namespace path', target.path, 'must be a non-empty string');
    r = { label: target.path, path: target.path };
  } else if (target && typeof target === 'object' && 'pid' in target) {
    if (!Number.isInteger(target.pid) || target.pid <= 0) throw new InvalidArgumentError('pid', target.pid, 'must be a positive integer');
    r = { label: `pid ${target.pid}`, path: `/proc/${target.pid}/ns/net`, pid: target.pid };
  } else if (target && typeof target === 'object' && 'fd' in target) {
    if (!Number.isInteger(target.fd) || target.fd < 0) throw new InvalidArgumentError('namespace fd', target.fd, 'must be an open file descriptor');
    r = { label: `fd ${target.fd}`, path: `/proc/self/fd/${target.fd}`, fd: target.fd };
  } else {
    throw new InvalidArgumentError('namespace', target, 'must be a name, { name }, { path }, { pid } or { fd }');
  }
  const { dev, ino } = statNetns(r.path, r.label);
  return { ...r, dev, ino, key: `${dev}:${ino}` };
}
