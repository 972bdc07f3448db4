'use strict';
/*
 * The namespace helper of netlink-ts. Kept tiny on purpose: plain CommonJS (loads faster than ESM),
 * no tsx, nothing but ffi-rs. Node's start-up is nearly the whole cost of entering a namespace this
 * way (docs/namespaces.md). It is started with an empty environment (so NODE_OPTIONS, NODE_PATH,
 * LD_PRELOAD... of the caller never reach it) and takes its request on a pipe, never in argv (argv
 * is world-readable in /proc/PID/cmdline and limited to 128 KiB).
 *
 * `node helper.cjs` (src/netns/enter.ts): REQUEST (JSON on stdin) is
 *   { ppid, ffi?, jobs: [{ path, sockets: [protocol...], files: [[path, flags]...] }] }
 * Each job is done after setns() into its namespace file (this process is throwaway: nothing else
 * here cares). The reply goes over the inherited socketpair end (fd 3) as SEQPACKET datagrams
 * { r: [...], end?: true }, each carrying at most FDS_PER_MESSAGE fds (SCM_RIGHTS; the kernel's
 * SCM_MAX_FD is 253), followed each by one byte on stdout ("look now"). Read together, r holds
 * for each job a header, -1 (entered) or -1 - errno (setns failed: nothing follows), then one
 * entry per item, sockets first, then files: 0 (ok: the next fd) or the errno.
 *
 * `node helper.cjs exec FD` (src/netns/manage.ts): REQUEST (JSON on fd FD) is
 *   { ffi?, path, name, file, argv: [...], env: ['KEY=VALUE'...] }
 * It does what `ip netns exec` does in its own process: setns, unshare(CLONE_NEWNS), makes / a
 * slave mount, remounts /sys for the namespace, bind-mounts /etc/netns/NAME/* over /etc, then
 * execve()s the command (found through the command's own PATH) with its environment. No shell and
 * no mount(8): nothing is looked up through the caller's PATH but the command itself.
 */
const fs = require('node:fs');

const exec = process.argv[2] === 'exec';
const channel = exec ? Number(process.argv[3]) : 0;
const req = JSON.parse(fs.readFileSync(channel, 'utf8') || '{}');
if (exec) fs.closeSync(channel);

// ffi-rs's loader asks process.report.getReport() whether libc is musl: a full diagnostic report,
// ~4 ms of this helper's life. netlink-ts opens libc.so.6 (glibc) anyway, so answer that directly.
// The parent names the ffi-rs it loaded itself (no NODE_PATH here to find another one).
const { open, load, DataType } = (() => {
  const report = process.report;
  const getReport = report?.getReport;
  if (report) report.getReport = () => ({ header: { glibcVersionRuntime: 'libc.so.6' } });
  try {
    return require(typeof req.ffi === 'string' && req.ffi.startsWith('/') ? req.ffi : 'ffi-rs');
  } finally {
    if (report) report.getReport = getReport;
  }
})();

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const O_RDONLY = 0;
const O_CLOEXEC = 0x80000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWNS = 0x00020000;
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const CHANNEL_FD = 3;
/** fds per reply datagram (SCM_MAX_FD is 253), and entries per datagram. */
const FDS_PER_MESSAGE = 250;
const ENTRIES_PER_MESSAGE = 1024;
const MS_RDONLY = 1;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SLAVE = 1 << 19;
const MNT_DETACH = 2;
const ENOENT = 2;
const ENOTDIR = 20;
const EACCES = 13;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

open({ library: 'libc', path: 'libc.so.6' });
const call = (funcName, retType, paramsType, paramsValue) => load({ library: 'libc', funcName, retType, paramsType, paramsValue, errno: true });
const I32 = DataType.I32;
const STR = DataType.String;
const PTR = DataType.BigInt;

/** strerror text of a failed call ("Operation not permitted"), without ffi-rs's "(os error N)". */
const why = (r) => String(r.errnoMessage).replace(/ \(os error \d+\)$/, '');

function fail(message, status = 1) {
  fs.writeSync(2, `${exec ? '' : 'netlink-ts netns helper: '}${message}\n`);
  process.exit(status);
}

/** Address of a Buffer's memory (memmove(buf, buf, 0) returns it), for structs that point into it. */
const MEMMOVE_TYPES = [DataType.U8Array, DataType.U8Array, DataType.I64];
const addressOf = (buf) => load({ library: 'libc', funcName: 'memmove', retType: PTR, paramsType: MEMMOVE_TYPES, paramsValue: [buf, buf, 0] });

/** open + setns(CLONE_NEWNET); the failed call's result, or undefined. Never this namespace by default. */
function enter(path) {
  if (typeof path !== 'string' || !path) return { value: -1, errnoCode: 22, errnoMessage: 'Invalid argument' };
  const nsfd = call('open', I32, [STR, I32], [path, O_RDONLY | O_CLOEXEC]);
  if (nsfd.value < 0) return nsfd;
  const r = call('setns', I32, [I32, I32], [nsfd.value, CLONE_NEWNET]);
  call('close', I32, [I32], [nsfd.value]);
  return r.value < 0 ? r : undefined;
}

if (exec) runExec();
else runEnter();

// ---------------------------------------------------------------------------------------------
// enter: sockets and files made in each job's namespace, fds back in bounded groups

function runEnter() {
  // Die with the parent. PDEATHSIG is set now; if the parent already went away, getppid() changed.
  call('prctl', I32, [I32, DataType.U64, DataType.U64, DataType.U64, DataType.U64], [PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0]);
  if (req.ppid && call('getppid', I32, [], []).value !== req.ppid) fail('parent is gone');
  let entries = [];
  let fds = [];
  const flush = (end) => {
    send(entries, fds, end);
    for (const fd of fds) call('close', I32, [I32], [fd]); // the kernel holds them in flight
    entries = [];
    fds = [];
  };
  const add = (r) => {
    if (r.value < 0) entries.push(r.errnoCode || 5);
    else {
      entries.push(0);
      fds.push(r.value);
    }
    if (fds.length === FDS_PER_MESSAGE || entries.length === ENTRIES_PER_MESSAGE) flush(false);
  };
  for (const job of req.jobs || []) {
    const failed = enter(job.path);
    entries.push(failed ? -1 - (failed.errnoCode || 5) : -1);
    if (failed) continue;
    for (const protocol of job.sockets || []) add(call('socket', I32, [I32, I32, I32], [AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol]));
    for (const [path, flags] of job.files || []) add(call('open', I32, [STR, I32], [path, flags | O_CLOEXEC]));
  }
  flush(true);
  process.exit(0);
}

/** One reply datagram: { r, end } with the fds as SCM_RIGHTS, then one byte on stdout. */
function send(entries, fds, end) {
  // One buffer holds msghdr (0), iovec (56), cmsg (72) and the payload (after the cmsg), so a single
  // address lookup serves every pointer. x86_64 / aarch64 LP64 layouts.
  const payload = Buffer.from(JSON.stringify(end ? { r: entries, end: true } : { r: entries }));
  const cmsgLen = 16 + 4 * fds.length;
  const cmsgSpace = fds.length ? (cmsgLen + 7) & ~7 : 0;
  const buf = Buffer.alloc(72 + cmsgSpace + payload.length + 64);
  const base = addressOf(buf);
  const payloadAt = 72 + cmsgSpace;
  payload.copy(buf, payloadAt);
  buf.writeBigUInt64LE(base + 56n, 16); // msg_iov
  buf.writeBigUInt64LE(1n, 24); // msg_iovlen
  if (fds.length) {
    buf.writeBigUInt64LE(base + 72n, 32); // msg_control
    buf.writeBigUInt64LE(BigInt(cmsgSpace), 40); // msg_controllen
    buf.writeBigUInt64LE(BigInt(cmsgLen), 72);
    buf.writeInt32LE(SOL_SOCKET, 80);
    buf.writeInt32LE(SCM_RIGHTS, 84);
    fds.forEach((fd, i) => {
      buf.writeInt32LE(fd, 88 + 4 * i);
    });
  }
  buf.writeBigUInt64LE(base + BigInt(payloadAt), 56); // iov_base
  buf.writeBigUInt64LE(BigInt(payload.length), 64); // iov_len
  const sent = call('sendmsg', I32, [I32, PTR, I32], [CHANNEL_FD, base, 0]);
  if (sent.value < 0) fail(`sendmsg failed: ${why(sent)}`);
  // The parent reads as soon as this byte arrives (a full socket blocks sendmsg until it has).
  fs.writeSync(1, '.');
}

// ---------------------------------------------------------------------------------------------
// exec: ip netns exec, in this process, then execve

function runExec() {
  const name = String(req.name);
  const failed = enter(req.path);
  if (failed) fail(`Cannot enter network namespace "${name}": ${why(failed)}`, 255);
  const unshared = call('unshare', I32, [I32], [CLONE_NEWNS]);
  if (unshared.value < 0) fail(`unshare failed: ${why(unshared)}`, 255);
  // Mounts made here must not propagate out, and ones from outside still come in.
  const slave = mount('', '/', 'none', MS_SLAVE | MS_REC);
  if (slave) fail(`"mount --make-rslave /" failed: ${why(slave)}`, 255);
  // A /sys for this namespace. A read-only sysfs that cannot be unmounted cannot be shadowed by a
  // read-write one (ip's rule).
  const flags = call('umount2', I32, [STR, I32], ['/sys', MNT_DETACH]).value < 0 && sysIsReadOnly() ? MS_RDONLY : 0;
  const sys = mount(name, '/sys', 'sysfs', flags);
  if (sys) fail(`mount of /sys failed: ${why(sys)}`, 255);
  bindEtc(name);
  resetSignals();
  inheritStdio();
  execCommand(String(req.file), req.argv, req.env);
}

/** mount(2) with no data; the failed call's result, or undefined. */
function mount(source, target, fstype, flags) {
  const r = call('mount', I32, [STR, STR, STR, DataType.U64, DataType.U64], [source, target, fstype, flags, 0]);
  return r.value < 0 ? r : undefined;
}

function sysIsReadOnly() {
  let ro = false;
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[4] === '/sys') ro = (f[5] || '').split(',').includes('ro'); // the last one is on top
    }
  } catch {
    // no /proc: assume read-write
  }
  return ro;
}

/** Each /etc/netns/NAME/FILE over /etc/FILE (a per-namespace resolv.conf, hosts...). */
function bindEtc(name) {
  const dir = `/etc/netns/${name}`;
  let entries;
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const r = mount(`${dir}/${e}`, `/etc/${e}`, 'none', MS_BIND);
    if (r) fs.writeSync(2, `Bind ${dir}/${e} -> /etc/${e} failed: ${why(r)}\n`);
  }
}

/** Node ignores SIGPIPE and SIGXFSZ, and ignored signals survive execve: back to defaults, none blocked. */
function resetSignals() {
  for (let sig = 1; sig < 32; sig++) if (sig !== 9 && sig !== 19) call('signal', PTR, [I32, PTR], [sig, 0n]);
  call('sigprocmask', I32, [I32, DataType.U8Array, PTR], [2 /* SIG_SETMASK */, Buffer.alloc(128), 0n]);
}

/**
 * Node marks its stdio (and the caller's extra fds below the request's) close-on-exec, and may
 * have made them non-blocking: the command gets them as a spawned child would, inherited and
 * blocking for 0-2.
 */
function inheritStdio() {
  for (let fd = 0; fd < channel; fd++) {
    call('fcntl', I32, [I32, I32, I32], [fd, F_SETFD, 0]);
    if (fd > 2) continue;
    const fl = call('fcntl', I32, [I32, I32, I32], [fd, F_GETFL, 0]).value;
    if (fl >= 0 && fl & O_NONBLOCK) call('fcntl', I32, [I32, I32, I32], [fd, F_SETFL, fl & ~O_NONBLOCK]);
  }
}

/** execve of file, searched in the command's own PATH as execvp(3) does; returns only on failure. */
function execCommand(file, argv, env) {
  const { block, base, argvAt, envAt } = pointerBlock(argv, env);
  const pathVar = env.find((e) => e.startsWith('PATH='));
  const dirs = (pathVar === undefined ? '/bin:/usr/bin' : pathVar.slice(5)).split(':');
  const candidates = file.includes('/') ? [file] : dirs.map((d) => `${d || '.'}/${file}`);
  let error;
  for (const c of candidates) {
    const r = call('execve', I32, [STR, PTR, PTR], [c, base + BigInt(argvAt), base + BigInt(envAt)]);
    // As execvp: a candidate that is missing moves on to the next, and EACCES is the answer if none runs.
    if (r.errnoCode === EACCES) error = r;
    else if (r.errnoCode === ENOENT || r.errnoCode === ENOTDIR) error ??= r;
    else {
      error = r;
      break;
    }
  }
  block.fill(0); // keeps the block alive (and referenced) until every execve above has returned
  fail(`exec of "${file}" failed: ${why(error)}`, error.errnoCode === ENOENT ? 127 : 126);
}

/** One buffer with argv[] and envp[] (NULL-terminated pointer arrays) and the strings they point to. */
function pointerBlock(argv, env) {
  const strings = [...argv, ...env].map((s) => Buffer.from(`${s}\0`));
  const argvAt = 0;
  const envAt = 8 * (argv.length + 1);
  const stringsAt = envAt + 8 * (env.length + 1);
  const block = Buffer.alloc(Math.max(128, stringsAt + strings.reduce((n, b) => n + b.length, 0)));
  const base = addressOf(block);
  let at = stringsAt;
  strings.forEach((b, i) => {
    block.writeBigUInt64LE(base + BigInt(at), i < argv.length ? argvAt + 8 * i : envAt + 8 * (i - argv.length));
    b.copy(block, at);
    at += b.length;
  });
  return { block, base, argvAt, envAt };
}
