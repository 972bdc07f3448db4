'use strict';
/*
 * The namespace helper of netlink-ts (src/netns/enter.ts starts it as
 * `nsenter --net=PATH node helper.cjs REQUEST`). It runs inside the target network namespace,
 * creates the sockets and opens the files the request names there, hands every fd back to the parent
 * over the inherited socketpair end (fd 3) in one SCM_RIGHTS message, and exits.
 *
 * Kept tiny on purpose: plain CommonJS (loads faster than ESM), no tsx, nothing but ffi-rs. Node's
 * start-up is nearly the whole cost of entering a namespace this way (docs/namespaces.md).
 *
 * REQUEST (argv[2], JSON): { ppid, jobs: [{ path?, sockets: [protocol...], files: [[path, flags]...] }] }
 * The first job is for the namespace nsenter put us in. When requests for several namespaces were
 * waiting at once, the parent batches them into one helper: each further job names its namespace
 * file (`path`) and is done after setns() into it (this process is throwaway: nothing else here cares).
 * Reply (one SEQPACKET datagram): JSON { jobs: [{ errno } | { items: [{ ok: true } | { errno }] }] },
 * items in request order (sockets first, then files), with the fds of the ok items, in the same
 * order, as SCM_RIGHTS.
 */
// ffi-rs's loader asks process.report.getReport() whether libc is musl: a full diagnostic report,
// ~4 ms of this helper's life. netlink-ts opens libc.so.6 (glibc) anyway, so answer that directly.
const { open, load, DataType } = (() => {
  const report = process.report;
  const getReport = report && report.getReport;
  if (report) report.getReport = () => ({ header: { glibcVersionRuntime: 'libc.so.6' } });
  try {
    return require('ffi-rs');
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
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const CHANNEL_FD = 3;

open({ library: 'libc', path: 'libc.so.6' });
const call = (funcName, retType, paramsType, paramsValue) => load({ library: 'libc', funcName, retType, paramsType, paramsValue, errno: true });
const I32 = DataType.I32;

function fail(message) {
  process.stderr.write(`netlink-ts netns helper: ${message}\n`);
  process.exit(1);
}

const req = JSON.parse(process.argv[2] || '{}');

// Die with the parent. PDEATHSIG is set now; if the parent already went away, getppid() changed.
call('prctl', I32, [I32, DataType.U64, DataType.U64, DataType.U64, DataType.U64], [PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0]);
if (req.ppid && call('getppid', I32, [], []).value !== req.ppid) fail('parent is gone');

const replies = [];
const fds = [];
for (const job of req.jobs || []) {
  if (job.path) {
    const nsfd = call('open', I32, [DataType.String, I32], [job.path, O_RDONLY | O_CLOEXEC]);
    if (nsfd.value < 0) {
      replies.push({ errno: nsfd.errnoCode });
      continue;
    }
    const r = call('setns', I32, [I32, I32], [nsfd.value, CLONE_NEWNET]);
    call('close', I32, [I32], [nsfd.value]);
    if (r.value < 0) {
      replies.push({ errno: r.errnoCode });
      continue;
    }
  }
  const items = [];
  for (const protocol of job.sockets || []) {
    const r = call('socket', I32, [I32, I32, I32], [AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol]);
    if (r.value < 0) items.push({ errno: r.errnoCode });
    else {
      items.push({ ok: true });
      fds.push(r.value);
    }
  }
  for (const [path, flags] of job.files || []) {
    const r = call('open', I32, [DataType.String, I32], [path, flags | O_CLOEXEC]);
    if (r.value < 0) items.push({ errno: r.errnoCode });
    else {
      items.push({ ok: true });
      fds.push(r.value);
    }
  }
  replies.push({ items });
}

// One buffer holds msghdr (0), iovec (56), cmsg (72) and the payload (after the cmsg), so a single
// address lookup serves every pointer. x86_64 / aarch64 LP64 layouts.
const payload = Buffer.from(JSON.stringify({ jobs: replies }));
const cmsgLen = 16 + 4 * fds.length;
const cmsgSpace = fds.length ? (cmsgLen + 7) & ~7 : 0;
const buf = Buffer.alloc(72 + cmsgSpace + payload.length + 64);
const base = load({ library: 'libc', funcName: 'memmove', retType: DataType.BigInt, paramsType: [DataType.U8Array, DataType.U8Array, DataType.I64], paramsValue: [buf, buf, 0] });
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
  fds.forEach((fd, i) => buf.writeInt32LE(fd, 88 + 4 * i));
}
buf.writeBigUInt64LE(base + BigInt(payloadAt), 56); // iov_base
buf.writeBigUInt64LE(BigInt(payload.length), 64); // iov_len
const sent = call('sendmsg', I32, [I32, DataType.BigInt, I32], [CHANNEL_FD, base, 0]);
if (sent.value < 0) fail(`sendmsg failed: errno ${sent.errnoCode}`);
// The parent reads the reply as soon as this byte arrives (it does not wait for the exit).
require('node:fs').writeSync(1, '.');
process.exit(0);
