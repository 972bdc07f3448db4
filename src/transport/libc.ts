/**
 * The thin FFI shim: the handful of libc calls netlink needs, through ffi-rs. Called only to set a
 * socket up (and for fd passing): message I/O goes through libuv, never through FFI, because an
 * ffi-rs call costs microseconds and a blocking one would stall the event loop.
 */
import { DataType, load, open } from 'ffi-rs';
import { getSystemErrorName } from 'node:util';
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

/** bind(fd, sockaddr_nl{pid, groups}). pid 0 lets the kernel pick the port id. */
export function bindNetlink(fd: number, pid = 0, groups = 0): void {
  const sa = Buffer.alloc(12);
  sa.writeUInt16LE(AF_NETLINK, 0);
  sa.writeUInt32LE(pid, 4);
  sa.writeUInt32LE(groups, 8);
  check(call('bind', [DataType.I32, DataType.U8Array, DataType.I32], [fd, sa, 12]), 'bind');
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
  check(call('setsockopt', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.I32], [fd, level, name, v, 4]), `setsockopt(${label})`);
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
  check(call('getsockopt', [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array, DataType.U8Array], [fd, level, name, v, len]), `getsockopt(${label})`);
  return v.readInt32LE(0);
}

export function dupCloexec(fd: number): number {
  return check(call('fcntl', [DataType.I32, DataType.I32, DataType.I32], [fd, F_DUPFD_CLOEXEC, 3]), 'fcntl(F_DUPFD_CLOEXEC)');
}

export function close(fd: number): void {
  call('close', [DataType.I32], [fd]);
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
