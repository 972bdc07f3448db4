/**
 * The system calls the layers above transport need: file descriptors, entering a network
 * namespace, the helper's fd-passing socket pair, and the mounts of `ip netns`. libc.ts (the only
 * FFI) stays private to src/transport; the rest of the package calls these by name.
 */
import * as libc from './libc.js';

export { type ReceivedFds, close, recvFds } from './libc.js';

/** open(2) read-only (or with `flags`), always close-on-exec; throws a TransportError. */
export function openPath(path: string, flags = libc.O_RDONLY): number {
  return libc.openPath(path, flags | libc.O_CLOEXEC);
}

/** Moves the calling thread into the network namespace of `fd` (setns(2), CLONE_NEWNET). */
export function enterNetnsFd(fd: number): void {
  libc.setns(fd, libc.CLONE_NEWNET);
}

/** A close-on-exec netlink socket of `protocol`, made in the calling thread's network namespace. */
export function netlinkSocketFd(protocol: number): number {
  return libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, protocol);
}

/** A connected close-on-exec AF_UNIX SOCK_SEQPACKET pair: datagrams carrying fds between processes. */
export function seqpacketPair(): [number, number] {
  return libc.socketpair(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_CLOEXEC);
}

/** `mount --make-rshared DIR`; 0 or the errno (EINVAL: DIR is not a mount point). */
export function makeSharedMount(dir: string): number {
  return libc.tryMount('', dir, 'none', libc.MS_SHARED | libc.MS_REC);
}

/** `mount --bind SOURCE TARGET` (`--rbind` when recursive); 0 or the errno. */
export function bindMount(source: string, target: string, recursive = false): number {
  return libc.tryMount(source, target, 'none', libc.MS_BIND | (recursive ? libc.MS_REC : 0));
}

/** `umount --lazy TARGET` (umount2 with MNT_DETACH); 0 or the errno. */
export function detachMount(target: string): number {
  return libc.tryUmount(target, libc.MNT_DETACH);
}
