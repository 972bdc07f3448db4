/**
 * The thin FFI shim: the handful of libc calls netlink needs, through ffi-rs. Called only to set a
 * socket up (and for fd passing): message I/O goes through libuv, never through FFI, because an
 * ffi-rs call costs microseconds and a blocking one would stall the event loop.
 */
import { DataType, load, open } from './ffi.js';
import { getSystemErrorName } from 'node:util';
import { NETLINK_SOCKOPT, SOL_NETLINK } from '../../protocol/netlink.js';
import { TransportError } from './errors.js';

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0x80000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const F_DUPFD_CLOEXEC = 1030;

let opened = false;
function lib(): string {
  if (!opened) {
    open({ library: 'libc', path: 'libc.so.6' });
    opened = true;
  }
  return 'libc';
}

type Ret = { value: number; errnoCode: number; errnoMessage: string };

function call(funcName: string, paramsType: DataType[], paramsValue: unknown[]): Ret {
  return load({ library: lib(), funcName, retType: DataType.I32, paramsType, paramsValue, errno: true }) as unknown as Ret;
}

function check(r: Ret, what: string): number {
  if (r.value < 0) {
    const code = safeName(r.errnoCode);
    throw new TransportError(`${what} failed: ${code} (${r.errnoMessage.replace(/ \(os error \d+\)$/, '')})`, what, r.errnoCode, code);
  }
  return r.value;
}

function safeName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

export function socket(domain: number, type: number, protocol: number): number {
  return check(call('socket', [DataType.I32, DataType.I32, DataType.I32], [domain, type, protocol]), 'socket');
}

/** struct sockaddr_nl { u16 nl_family; u16 nl_pad; u32 nl_pid; u32 nl_groups } (12 bytes). */
function sockaddrNl(pid: number, groups: number): Buffer {
  const sa = Buffer.alloc(12);
  sa.writeUInt16LE(AF_NETLINK, 0);
  sa.writeUInt32LE(pid, 4);
  sa.writeUInt32LE(groups, 8);
  return sa;
}

/** bind(fd, sockaddr_nl{pid, groups}). pid 0 lets the kernel pick the port id. */
export function bindNetlink(fd: number, pid = 0, groups = 0): void {
  check(call('bind', [DataType.I32, DataType.U8Array, DataType.I32], [fd, sockaddrNl(pid, groups), 12]), 'bind');
}

/**
 * connect(fd, sockaddr_nl{pid 0, groups 0}): the socket's peer is the kernel. From then on the
 * kernel refuses unicasts to it from any other socket (the sender gets ECONNREFUSED), so nothing
 * read from it as a reply can have been forged by another process. Multicast delivery and the
 * destination of write(2) (the kernel) are unchanged; an unbound socket is bound (autobind).
 */
export function connectNetlinkToKernel(fd: number): void {
  check(call('connect', [DataType.I32, DataType.U8Array, DataType.I32], [fd, sockaddrNl(0, 0), 12]), 'connect');
}

/** The port id the kernel assigned (sockaddr_nl.nl_pid). */
export function netlinkPortId(fd: number): number {
  const sa = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeInt32LE(12);
  check(call('getsockname', [DataType.I32, DataType.U8Array, DataType.U8Array], [fd, sa, len]), 'getsockname');
  return sa.readUInt32LE(4);
}

export function setsockoptInt(fd: number, level: number, name: number, value: number, label: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  check(
    call('setsockopt', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.I32], [fd, level, name, v, 4]),
    `setsockopt(${label})`,
  );
}

/** setsockopt that reports failure instead of throwing (for options that are only best effort). */
export function trySetsockoptInt(fd: number, level: number, name: number, value: number): number {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  const r = call('setsockopt', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.I32], [fd, level, name, v, 4]);
  return r.value < 0 ? r.errnoCode : 0;
}

export function getsockoptInt(fd: number, level: number, name: number, label: string): number {
  const v = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeInt32LE(4);
  check(
    call('getsockopt', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.U8Array], [fd, level, name, v, len]),
    `getsockopt(${label})`,
  );
  return v.readInt32LE(0);
}

/**
 * Whether netlink socket `fd` is in any multicast group (NETLINK_LIST_MEMBERSHIPS: a bitmap of
 * them, optlen set to its full size). True when unsure: a bitmap longer than asked, a kernel
 * without the option.
 */
export function netlinkHasMemberships(fd: number): boolean {
  const bits = Buffer.alloc(64);
  const len = Buffer.alloc(4);
  len.writeInt32LE(bits.length);
  const r = call(
    'getsockopt',
    [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.U8Array],
    [fd, SOL_NETLINK, NETLINK_SOCKOPT.LIST_MEMBERSHIPS, bits, len],
  );
  if (r.value < 0 || len.readInt32LE(0) > bits.length) return true;
  return bits.some((b) => b !== 0);
}

export function dupCloexec(fd: number): number {
  return check(call('fcntl', [DataType.I32, DataType.I32, DataType.I32], [fd, F_DUPFD_CLOEXEC, 3]), 'fcntl(F_DUPFD_CLOEXEC)');
}

export function close(fd: number): void {
  call('close', [DataType.I32], [fd]);
}

/** SIOCGIFINDEX (linux/sockios.h): struct ifreq in, ifr_ifindex (at 16) out. */
const SIOCGIFINDEX = 0x8933;
/**
 * One struct ifreq for every lookup, passed by address: converting a Buffer argument costs ffi-rs
 * 2-3 µs a call. Its own ArrayBuffer, so the memory is off V8's heap and never moves (a small
 * Buffer.alloc may live on the heap, where the GC can move it).
 */
let ifreq: { bytes: Uint8Array; call: Parameters<typeof load>[0] & { paramsValue: unknown[] } } | undefined;
const utf8 = new TextEncoder();

/**
 * The index of the interface `name` in the network namespace of socket `fd`, or 0 if the ioctl
 * fails (no such device, or a name that does not fit in IFNAMSIZ). Socket ioctls the socket's own
 * family does not handle (netlink handles none) go to the device layer of the socket's namespace,
 * so on a socket made in another namespace this looks the name up there. It is what
 * if_nametoindex(3) does, on the socket at hand instead of a new one. The name is NUL-terminated
 * UTF-8 of at most 15 bytes (the caller checks). Plain byte loops, no Buffer methods: their
 * argument checks cost more than the copy of 16 bytes.
 */
export function ifnameToIndex(fd: number, name: string): number {
  if (ifreq === undefined) {
    const buf = Buffer.from(new ArrayBuffer(40));
    const params: unknown[] = [0, SIOCGIFINDEX, bufferAddress(buf)];
    ifreq = {
      bytes: new Uint8Array(buf.buffer),
      call: {
        library: lib(),
        funcName: 'ioctl',
        retType: DataType.I32,
        paramsType: [DataType.I32, DataType.I64, DataType.BigInt],
        paramsValue: params,
      },
    };
  }
  const { bytes, call } = ifreq;
  let n = name.length;
  if (n > 15) return 0;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    bytes[i] = c;
  }
  if (!ascii) {
    const r = utf8.encodeInto(name, bytes.subarray(0, 16));
    if (r.read !== name.length || r.written > 15) return 0;
    n = r.written;
  }
  for (let i = n; i < 20; i++) bytes[i] = 0;
  call.paramsValue[0] = fd;
  if ((load(call) as unknown as number) !== 0) return 0;
  return bytes[16]! | (bytes[17]! << 8) | (bytes[18]! << 16) | (bytes[19]! << 24);
}

export const O_RDONLY = 0;
export const O_CLOEXEC = 0x80000;
export const CLONE_NEWNET = 0x40000000;

export function openPath(path: string, flags = O_RDONLY | O_CLOEXEC): number {
  return check(call('open', [DataType.String, DataType.I32], [path, flags]), `open(${path})`);
}

/** Moves the calling thread into the namespace of `fd` (nstype 0 = any). */
export function setns(fd: number, nstype = CLONE_NEWNET): void {
  check(call('setns', [DataType.I32, DataType.I32], [fd, nstype]), 'setns');
}

export const AF_UNIX = 1;
export const SOCK_SEQPACKET = 5;
export const MSG_DONTWAIT = 0x40;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const MSG_CTRUNC = 8;
export const SCM_RIGHTS = 1;

/** socketpair(2): returns both ends. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const sv = Buffer.alloc(64);
  check(call('socketpair', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array], [domain, type, protocol, sv]), 'socketpair');
  return [sv.readInt32LE(0), sv.readInt32LE(4)];
}

/** Address of a Buffer's memory (memmove(buf, buf, 0) returns it), to build structs that point into it. */
export function bufferAddress(buf: Buffer): bigint {
  return load({
    library: lib(),
    funcName: 'memmove',
    retType: DataType.BigInt,
    paramsType: [DataType.U8Array, DataType.U8Array, DataType.I64],
    paramsValue: [buf, buf, 0],
  }) as unknown as bigint;
}

export interface ReceivedFds {
  data: Buffer;
  fds: number[];
  /** The control data did not fit: some fds were lost (closed by the kernel). */
  truncated: boolean;
}

/**
 * recvmsg(2) with room for SCM_RIGHTS file descriptors. One Buffer holds the msghdr (56 bytes),
 * the iovec (16), the control space and the data; it stays referenced across the synchronous call.
 */
export function recvFds(fd: number, maxData = 4096, maxFds = 64, flags = MSG_DONTWAIT): ReceivedFds {
  const controlSpace = 16 + ((4 * maxFds + 7) & ~7);
  const buf = Buffer.alloc(72 + controlSpace + maxData);
  const base = bufferAddress(buf);
  const dataAt = 72 + controlSpace;
  // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags } then struct iovec.
  buf.writeBigUInt64LE(base + 56n, 16); // msg_iov -> the iovec at 56
  buf.writeBigUInt64LE(1n, 24); // msg_iovlen
  buf.writeBigUInt64LE(base + 72n, 32); // msg_control
  buf.writeBigUInt64LE(BigInt(controlSpace), 40); // msg_controllen
  buf.writeBigUInt64LE(base + BigInt(dataAt), 56); // iov_base
  buf.writeBigUInt64LE(BigInt(maxData), 64); // iov_len
  const n = check(call('recvmsg', [DataType.I32, DataType.BigInt, DataType.I32], [fd, base, flags | MSG_CMSG_CLOEXEC]), 'recvmsg');
  const fds: number[] = [];
  const controlLen = Number(buf.readBigUInt64LE(40));
  // struct cmsghdr { u64 cmsg_len; s32 cmsg_level; s32 cmsg_type; } then the data; each one 8-aligned.
  for (let at = 72; at + 16 <= 72 + controlLen; ) {
    const len = Number(buf.readBigUInt64LE(at));
    if (len < 16) break;
    if (buf.readInt32LE(at + 8) === SOL_SOCKET && buf.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let p = at + 16; p + 4 <= at + len; p += 4) fds.push(buf.readInt32LE(p));
    }
    at += (len + 7) & ~7;
  }
  return { data: Buffer.from(buf.subarray(dataAt, dataAt + n)), fds, truncated: (buf.readInt32LE(48) & MSG_CTRUNC) !== 0 };
}

export const MS_RDONLY = 1;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;

/** mount(2); returns 0 or the errno. */
export function tryMount(source: string, target: string, fstype: string, flags: number): number {
  const r = call('mount', [DataType.String, DataType.String, DataType.String, DataType.U64, DataType.U64], [source, target, fstype, flags, 0]);
  return r.value < 0 ? r.errnoCode : 0;
}

export function mount(source: string, target: string, fstype: string, flags: number): void {
  const errno = tryMount(source, target, fstype, flags);
  if (errno) {
    const code = safeName(errno);
    throw new TransportError(`mount ${source} on ${target} failed: ${code}`, 'mount', errno, code);
  }
}

/** umount2(2); returns 0 or the errno. */
export function tryUmount(target: string, flags = 0): number {
  const r = call('umount2', [DataType.String, DataType.I32], [target, flags]);
  return r.value < 0 ? r.errnoCode : 0;
}
