/**
 * Named network namespaces with `ip netns` semantics: add, del, list (with ids), identify, pids,
 * exec, set (nsid), list-id, attach. Names live in /run/netns as nsfs bind mounts, exactly as
 * iproute2 makes them, so `ip netns` and this module see the same namespaces.
 *
 * Processes spawned here are util-linux's (unshare, nsenter, mount, umount) and /bin/sh; never ip.
 */
import { type ChildProcess, type SpawnOptions, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { NetlinkClient } from '../api/client.js';
import { InvalidArgumentError } from '../api/errors.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import * as libc from '../transport/libc.js';
import { NamespaceError } from './errors.js';
import { dumpNsids, getNsid, netnsNames, nsidNames, setNsid } from './nsid.js';
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

export interface NsidOptions extends RequestOptions {
  /** Ask from this client's namespace (default: a client in the current namespace, opened for the call). */
  via?: NetlinkClient | Connection;
}

async function withConnection<T>(via: NetlinkClient | Connection | undefined, fn: (c: Connection) => Promise<T>): Promise<T> {
  if (via) return fn(via instanceof NetlinkClient ? via.connection : via);
  const client = NetlinkClient.open();
  try {
    return await fn(client.connection);
  } finally {
    client.close();
  }
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve();
    });
  });
}

function tool(name: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return name;
}

/** /run/netns as a shared mount point, so namespaces mounted there propagate to other mount namespaces (ip does the same). */
function prepareRunDir(): void {
  mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  let madeMountPoint = false;
  for (;;) {
    const errno = libc.tryMount('', NETNS_RUN_DIR, 'none', libc.MS_SHARED | libc.MS_REC);
    if (errno === 0) return;
    // EINVAL: not a mount point yet. Make it one (a bind mount onto itself), once.
    if (errno !== EINVAL || madeMountPoint) throw new NamespaceError(NETNS_RUN_DIR, 'EHELPER', `mount --make-shared ${NETNS_RUN_DIR} failed: errno ${errno}`);
    libc.mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', libc.MS_BIND | libc.MS_REC);
    madeMountPoint = true;
  }
}

/** Creates the empty mount point /run/netns/NAME; EEXIST as a NamespaceError. */
function createMountPoint(name: string): string {
  const path = netnsPath(name);
  prepareRunDir();
  try {
    closeSync(openSync(path, 'wx', 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new NamespaceError(name, 'EEXIST', `network namespace ${JSON.stringify(name)} already exists`, { cause: err });
    throw new NamespaceError(name, 'EHELPER', `cannot create namespace file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return path;
}

function removeMountPoint(path: string): void {
  libc.tryUmount(path, libc.MNT_DETACH);
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * `ip netns add NAME`: a new network namespace, persisted as /run/netns/NAME. A child process
 * (util-linux unshare) unshares it and bind-mounts its /proc/PID/ns/net there; this process stays where it is.
 */
export async function addNetns(name: string): Promise<void> {
  const path = createMountPoint(checkNetnsName(name));
  try {
    await run(tool('unshare'), [`--net=${path}`, '--', '/bin/true']);
    resolveNetns({ name }); // verify: an nsfs mount now
  } catch (err) {
    removeMountPoint(path);
    if (err instanceof NamespaceError) throw err;
    const e = err as { stderr?: string; message: string };
    throw new NamespaceError(name, 'EHELPER', `cannot create network namespace ${JSON.stringify(name)}: ${e.stderr || e.message}`, { cause: err });
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
  try {
    libc.mount(source, path, 'none', libc.MS_BIND);
  } catch (err) {
    removeMountPoint(path);
    throw new NamespaceError(name, 'EHELPER', `cannot attach the network namespace of pid ${pid} as ${JSON.stringify(name)}: ${(err as Error).message}`, { cause: err });
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
  removeMountPoint(path);
  if (existsSync(path)) throw new NamespaceError(name, 'EHELPER', `cannot remove namespace file ${path}`);
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

/**
 * Runs between unshare and the command: what `ip netns exec` does in its new mount namespace.
 * $1 = namespace name, $2 = "ro" when /sys is read-only here (used if it cannot be unmounted,
 * as ip does: a read-only sysfs cannot be shadowed by a read-write one); the command follows.
 */
const EXEC_SCRIPT = `
name=$1; ro=$2; shift 2
umount -l /sys 2>/dev/null && ro=rw
if [ "$ro" = ro ]; then mount -t sysfs -o ro "$name" /sys; else mount -t sysfs "$name" /sys; fi || { echo "mount of /sys failed" >&2; exit 1; }
if [ -d "/etc/netns/$name" ]; then
  for f in "/etc/netns/$name"/* "/etc/netns/$name"/.[!.]* "/etc/netns/$name"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    b=\${f##*/}
    mount --bind "$f" "/etc/$b" || echo "Bind $f -> /etc/$b failed" >&2
  done
fi
exec "$@"
`;

function sysIsReadOnly(): boolean {
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[4] === '/sys') return (f[5] ?? '').split(',').includes('ro');
    }
  } catch {
    // no /proc: assume read-write
  }
  return false;
}

/**
 * The argv that runs `command` as `ip netns exec NAME command...` would: in the namespace, in a new
 * mount namespace (mounts propagate in, not out) with /sys remounted for the namespace and each
 * /etc/netns/NAME/FILE bind-mounted over /etc/FILE (a per-namespace resolv.conf, hosts...).
 */
export function netnsExecArgv(name: string, command: string[]): string[] {
  const ns = resolveNetns({ name: checkNetnsName(name) });
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new InvalidArgumentError('command', command, 'must be a non-empty array of strings');
  }
  return [
    tool('nsenter'),
    `--net=${ns.path}`,
    '--',
    tool('unshare'),
    '--mount',
    '--propagation',
    'slave',
    '--',
    '/bin/sh',
    '-c',
    EXEC_SCRIPT,
    'nlts-netns-exec',
    name,
    sysIsReadOnly() ? 'ro' : 'rw',
    ...command,
  ];
}

/** `ip netns exec NAME CMD...` as a child process (spawn options as for child_process.spawn). */
export function execNetns(name: string, command: string[], options: SpawnOptions = {}): ChildProcess {
  const [file, ...args] = netnsExecArgv(name, command);
  return spawn(file!, args, options);
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** execNetns, collecting the output. */
export function runInNetns(name: string, command: string[], options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execNetns(name, command, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
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
