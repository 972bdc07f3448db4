/**
 * Named network namespaces with `ip netns` semantics: add, del, list (with ids), identify, pids,
 * exec, set (nsid), list-id, attach. Names live in /run/netns as nsfs bind mounts, exactly as
 * iproute2 makes them, so `ip netns` and this module see the same namespaces.
 *
 * Processes spawned here: util-linux's unshare (add), found in the system directories only, and
 * the namespace helper (exec: Node itself running helper.cjs, which execs the command); never ip,
 * never a shell, never anything through the caller's PATH but the command given to exec. Both run
 * with an environment of our choosing (none), not the caller's.
 */
import { type ChildProcess, type SpawnOptions, type StdioOptions, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Connection, type RequestOptions } from '../conn/connection.js';
import { InvalidArgumentError } from '../errors/index.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import * as system from '../transport/system.js';
import { helperEnv, helperFfiModule, helperScript } from './helper-spawn.js';
import { NamespaceError, describeErrno, permissionCode } from './errors.js';
import { systemProgram } from './system-program.js';
import { dumpNsids, getNsid, netnsNames, nsidCodec, nsidNames, setNsid } from './nsid.js';
import { netnsSockets } from './sockets.js';
import { NETNS_RUN_DIR, type NetnsTarget, checkNetnsName, netnsPath, resolveNetns } from './target.js';

const EINVAL = 22;

export interface NetnsInfo {
  name: string;
  /** The id the current namespace (or `via`'s) gives it, when one is assigned. */
  id?: number;
}

export interface NsidInfo {
  nsid: number;
  /** The /run/netns name of that namespace, when it has one. */
  name?: string;
}

/** What can ask for ids: a NETLINK_ROUTE Connection, or anything holding one (a NetlinkClient). */
export type NsidVia = Connection | { readonly connection: Connection };

export interface NsidOptions extends RequestOptions {
  /** Ask from this client's (or connection's) namespace (default: a socket in the current namespace, opened for the call). */
  via?: NsidVia;
}

/** Runs fn on `via`'s connection, or on a NETLINK_ROUTE connection of its own, closed after. */
async function withConnection<T>(via: NsidVia | undefined, fn: (c: Connection) => Promise<T>): Promise<T> {
  if (via) return fn('connection' in via ? via.connection : via);
  const conn = new Connection(new NetlinkSocket(), nsidCodec());
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // No environment: nothing of the caller's (LD_PRELOAD...) reaches a program run as root, and C-locale messages.
    execFile(file, args, { encoding: 'utf8', timeout: 10_000, env: helperEnv() }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve();
    });
  });
}

/** The positive errno of a failed node:fs call. */
function fsErrno(err: unknown): number {
  return Math.abs((err as NodeJS.ErrnoException).errno ?? 5);
}

/** /run/netns as a shared mount point, so namespaces mounted there propagate to other mount namespaces (ip does the same). */
function prepareRunDir(name: string): void {
  try {
    mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  } catch (err) {
    const errno = fsErrno(err);
    throw new NamespaceError(name, permissionCode(errno, 'EHELPER'), `cannot create ${NETNS_RUN_DIR}: ${describeErrno(errno)}`, { cause: err });
  }
  let madeMountPoint = false;
  for (;;) {
    const errno = system.makeSharedMount(NETNS_RUN_DIR);
    if (errno === 0) return;
    // EINVAL: not a mount point yet. Make it one (a bind mount onto itself), once.
    if (errno !== EINVAL || madeMountPoint) {
      throw new NamespaceError(name, permissionCode(errno, 'EHELPER'), `mount --make-shared ${NETNS_RUN_DIR} failed: ${describeErrno(errno)}`);
    }
    const bound = system.bindMount(NETNS_RUN_DIR, NETNS_RUN_DIR, true);
    if (bound) {
      const message = `mount --rbind ${NETNS_RUN_DIR} ${NETNS_RUN_DIR} failed: ${describeErrno(bound)}`;
      throw new NamespaceError(name, permissionCode(bound, 'EHELPER'), message);
    }
    madeMountPoint = true;
  }
}

/** Creates the empty mount point /run/netns/NAME; EEXIST as a NamespaceError. */
function createMountPoint(name: string): string {
  const path = netnsPath(name);
  prepareRunDir(name);
  try {
    closeSync(openSync(path, 'wx', 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new NamespaceError(name, 'EEXIST', `network namespace ${JSON.stringify(name)} already exists`, { cause: err });
    const errno = fsErrno(err);
    throw new NamespaceError(name, permissionCode(errno, 'EHELPER'), `cannot create namespace file ${path}: ${describeErrno(errno)}`, { cause: err });
  }
  return path;
}

/** Unmounts and removes /run/netns/NAME; the errno of the unlink when that failed (0: gone). */
function removeMountPoint(path: string): number {
  system.detachMount(path);
  try {
    unlinkSync(path);
    return 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 0 : fsErrno(err);
  }
}

/**
 * `ip netns add NAME`: a new network namespace, persisted as /run/netns/NAME. A child process
 * (util-linux unshare) unshares it and bind-mounts its /proc/PID/ns/net there; this process stays where it is.
 */
export async function addNetns(name: string): Promise<void> {
  const path = createMountPoint(checkNetnsName(name));
  try {
    await run(systemProgram('unshare', 'util-linux'), [`--net=${path}`, '--', '/bin/true']);
    resolveNetns({ name }); // verify: an nsfs mount now
  } catch (err) {
    removeMountPoint(path);
    if (err instanceof NamespaceError) throw err;
    const e = err as { stderr?: string; message: string };
    const text = e.stderr || e.message;
    const code = /Operation not permitted|Permission denied/.test(text) ? 'EPERM' : 'EHELPER';
    throw new NamespaceError(name, code, `cannot create network namespace ${JSON.stringify(name)}: ${text}`, { cause: err });
  }
}

/**
 * `ip netns attach NAME PID`: names the network namespace of process PID (bind-mounts /proc/PID/ns/net
 * onto /run/netns/NAME).
 */
export function attachNetns(name: string, pid: number): void {
  checkNetnsName(name);
  if (!Number.isInteger(pid) || pid <= 0) throw new InvalidArgumentError('pid', pid, 'must be a positive integer');
  const source = resolveNetns({ pid }).path;
  const path = createMountPoint(name);
  const errno = system.bindMount(source, path);
  if (errno) {
    removeMountPoint(path);
    const message = `cannot attach the network namespace of pid ${pid} as ${JSON.stringify(name)}: mount --bind failed: ${describeErrno(errno)}`;
    throw new NamespaceError(name, permissionCode(errno, 'EHELPER'), message);
  }
}

/**
 * `ip netns del NAME`: removes the name. The namespace itself goes when nothing else holds it (no
 * process in it, no open socket or fd); this process's cached spare sockets for it are closed first.
 */
export function deleteNetns(name: string): void {
  const path = netnsPath(name);
  if (!existsSync(path)) throw new NamespaceError(name, 'ENOENT', `network namespace ${JSON.stringify(name)} does not exist`);
  netnsSockets.evict({ path });
  const errno = removeMountPoint(path);
  if (errno) throw new NamespaceError(name, permissionCode(errno, 'EHELPER'), `cannot remove namespace file ${path}: ${describeErrno(errno)}`);
}

/** `ip netns list`: names under /run/netns with the id the current namespace (or `via`'s) gives each. */
export async function listNetns(options: NsidOptions = {}): Promise<NetnsInfo[]> {
  const names = netnsNames();
  if (names.length === 0) return [];
  return withConnection(options.via, async (conn) =>
    Promise.all(
      names.map(async (name): Promise<NetnsInfo> => {
        try {
          const id = await getNsid(conn, { name }, options);
          return id === undefined ? { name } : { name, id };
        } catch {
          return { name }; // a stale entry: listed, as ip does
        }
      }),
    ),
  );
}

/** `ip netns identify [PID]`: the names of the network namespace of PID (default: this process). */
export function identifyNetns(pid: number = process.pid): string[] {
  const me = resolveNetns({ pid });
  const out: string[] = [];
  for (const name of netnsNames()) {
    try {
      const st = statSync(`${NETNS_RUN_DIR}/${name}`);
      if (st.dev === me.dev && st.ino === me.ino) out.push(name);
    } catch {
      // vanished meanwhile
    }
  }
  return out;
}

/** `ip netns pids NAME`: the processes whose network namespace is NAME's. */
export function netnsPids(target: NetnsTarget): number[] {
  const ns = resolveNetns(target);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const st = statSync(`/proc/${entry}/ns/net`);
      if (st.dev === ns.dev && st.ino === ns.ino) pids.push(Number(entry));
    } catch {
      // exited, or a kernel thread we may not look at
    }
  }
  return pids.sort((a, b) => a - b);
}

/** `ip netns set NAME NSID|auto`: assigns the id the current namespace (or `via`'s) gives NAME. */
export async function setNetnsId(name: string, nsid: number | 'auto', options: NsidOptions = {}): Promise<void> {
  const target = { name: checkNetnsName(name) };
  resolveNetns(target);
  if (nsid !== 'auto' && (!Number.isInteger(nsid) || nsid < 0 || nsid >= 0x7fffffff)) {
    throw new InvalidArgumentError('nsid', nsid, `must be "auto" or an integer from 0 to ${0x7fffffff - 1}`);
  }
  await withConnection(options.via, (conn) => setNsid(conn, target, nsid, options));
}

/** The id the current namespace (or `via`'s) gives a namespace; undefined when none is assigned. */
export async function getNetnsId(target: NetnsTarget, options: NsidOptions = {}): Promise<number | undefined> {
  return withConnection(options.via, (conn) => getNsid(conn, target, options));
}

/** `ip netns list-id`: every id assigned in the current namespace (or `via`'s), with the /run/netns name where known. */
export async function listNetnsIds(options: NsidOptions = {}): Promise<NsidInfo[]> {
  return withConnection(options.via, async (conn) => {
    const [ids, names] = await Promise.all([dumpNsids(conn, options), nsidNames(conn, options)]);
    return ids.sort((a, b) => a - b).map((nsid) => (names.has(nsid) ? { nsid, name: names.get(nsid)! } : { nsid }));
  });
}

// ---------------------------------------------------------------------------------------------
// exec

function checkCommand(command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new InvalidArgumentError('command', command, 'must be a non-empty array of strings without NUL');
  }
  if (command[0] === '') throw new InvalidArgumentError('command', command, 'must name a program');
  return command as string[];
}

/** The command's environment as KEY=VALUE strings (what spawn would give it). */
function commandEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k.includes('\0') || k.includes('=') || String(v).includes('\0')) {
      throw new InvalidArgumentError('env', k, 'names and values must not contain NUL (or "=" in a name)');
    }
    out.push(`${k}=${v}`);
  }
  return out;
}

/** The caller's stdio as an array of at least 3 (spawn's defaults), so one more entry can be added after it. */
function stdioArray(stdio: StdioOptions | undefined): unknown[] {
  const arr: unknown[] = stdio === undefined ? [] : typeof stdio === 'string' ? [stdio, stdio, stdio] : [...stdio];
  while (arr.length < 3) arr.push(undefined);
  if (arr.includes('ipc')) throw new InvalidArgumentError('stdio', 'ipc', 'is not available for a command run in a namespace');
  return arr;
}

/**
 * `ip netns exec NAME CMD...` as a child process (spawn options as for child_process.spawn; `env`
 * and `argv0` are the command's). What ip does in its own process is done by the namespace helper
 * (Node, with an empty environment, running helper.cjs): setns, unshare(CLONE_NEWNS), / made a
 * slave mount, /sys remounted for the namespace, each /etc/netns/NAME/FILE bind-mounted over
 * /etc/FILE (a per-namespace resolv.conf, hosts...), then execve of the command, found through
 * its own PATH. The request travels on a pipe after the caller's stdio entries, closed before the
 * exec; the child's pid is the command's.
 */
export function execNetns(name: string, command: string[], options: SpawnOptions = {}): ChildProcess {
  const ns = resolveNetns({ name: checkNetnsName(name) });
  const argv = [...checkCommand(command)];
  const env = commandEnv(options.env ?? process.env);
  const stdio = stdioArray(options.stdio);
  const channel = stdio.length;
  const file = argv[0]!;
  if (options.argv0 !== undefined) argv[0] = String(options.argv0);
  const request = JSON.stringify({ ffi: helperFfiModule(), path: ns.path, name, file, argv, env });
  const child = spawn(process.execPath, [helperScript(), 'exec', String(channel)], {
    ...options,
    stdio: [...stdio, 'pipe'] as StdioOptions,
    env: helperEnv(),
    shell: false,
    argv0: process.execPath,
  });
  const pipe = child.stdio[channel] as Writable | null;
  if (pipe) {
    pipe.on('error', () => undefined); // a helper that died early shows in its exit status
    pipe.end(request);
  }
  return child;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** execNetns, collecting the output. */
export function runInNetns(
  name: string,
  command: string[],
  options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execNetns(name, command, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** The management calls as one object: netns.add('blue'), netns.list()... */
export const netns = {
  add: addNetns,
  del: deleteNetns,
  delete: deleteNetns,
  attach: attachNetns,
  list: listNetns,
  identify: identifyNetns,
  pids: netnsPids,
  exec: execNetns,
  run: runInNetns,
  set: setNetnsId,
  getId: getNetnsId,
  listId: listNetnsIds,
} as const;
