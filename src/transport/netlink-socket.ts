/**
 * A real AF_NETLINK socket. ffi-rs creates and configures it; then the fd is handed to libuv as a
 * pipe handle so reads and writes run on the event loop with no thread and no FFI per message
 * (see docs/architecture.md, "Why libuv and not FFI for I/O"). Each read returns one datagram.
 */
import net from 'node:net';
import createDebug from 'debug';
import { NETLINK_SOCKOPT, SOL_NETLINK } from '../../protocol/netlink.js';
import { TransportError } from './errors.js';
import * as libc from './libc.js';
import type { Transport, TransportSink } from './types.js';

const log = createDebug('netlink:socket');

export interface NetlinkSocketOptions {
  /** Netlink protocol for socket(): NETLINK_ROUTE = 0 (default). */
  protocol?: number;
  /** Use this ready-made socket fd (e.g. created in another network namespace) instead of creating one. */
  fd?: number;
  /** The fd is already bound: do not bind again (a second bind fails with EINVAL). */
  bound?: boolean;
  /** Receive buffer in bytes. Above net.core.rmem_max it is forced (SO_RCVBUFFORCE) when permitted. */
  receiveBuffer?: number;
  sendBuffer?: number;
  /**
   * Survive a receive-buffer overrun: keep a spare F_DUPFD_CLOEXEC copy of the fd, and when a read
   * fails with ENOBUFS (libuv then destroys the stream and closes its fd) report the error and
   * re-wrap the copy, so the socket, its port id and its multicast memberships live on. Also makes
   * sure NETLINK_NO_ENOBUFS is off, so overruns are reported at all. Used by monitors.
   */
  recoverOverrun?: boolean;
  /** Ask for extended acks (default true) and strict request checking (default true). */
  extendedAck?: boolean;
  strictCheck?: boolean;
}

interface PipeHandle {
  open(fd: number): number;
}

function wrapFd(fd: number): net.Socket {
  // libuv's pipe handle reads any stream-like fd with read(2): for a datagram socket each read is
  // one datagram. process.binding is a documentation-only deprecation (DEP0111) and pipe_wrap is
  // on Node's allow list.
  const binding = (process as unknown as { binding(name: string): { Pipe: new (type: number) => PipeHandle; constants: { SOCKET: number } } }).binding(
    'pipe_wrap',
  );
  const handle = new binding.Pipe(binding.constants.SOCKET);
  const rc = handle.open(fd);
  if (rc !== 0) throw new TransportError(`cannot attach netlink fd ${fd} to the event loop (uv error ${rc})`, 'uv_pipe_open', -rc);
  return new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
}

/**
 * One receive buffer for every socket's synchronous reads: JS runs one read at a time, and the
 * datagram is decoded before the next. Rtnetlink dump datagrams stay under 32 KiB; 1 MiB leaves
 * room for single replies of devices with many VFs.
 */
let sharedRecvBuffer: Buffer | undefined;
const RECV_BUFFER_SIZE = 1 << 20;

export class NetlinkSocket implements Transport {
  readonly protocol: number;
  readonly portId: number;
  private fdNow: number;
  private stream: net.Socket;
  private sink: TransportSink | undefined;
  private closed = false;
  /** recoverOverrun: the spare copy of the fd, and whether the stream died of ENOBUFS. */
  private spare: number | undefined;
  private overrun = false;
  private refed = true;
  private recvNow: (() => number) | undefined;

  constructor(options: NetlinkSocketOptions = {}) {
    this.protocol = options.protocol ?? 0;
    const fd = options.fd ?? libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, this.protocol);
    try {
      if (options.extendedAck !== false) libc.setsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.EXT_ACK, 1, 'NETLINK_EXT_ACK');
      if (options.strictCheck !== false) libc.trySetsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.GET_STRICT_CHK, 1);
      if (options.receiveBuffer) setBuffer(fd, libc.SO_RCVBUF, libc.SO_RCVBUFFORCE, options.receiveBuffer);
      if (options.sendBuffer) setBuffer(fd, libc.SO_SNDBUF, libc.SO_SNDBUFFORCE, options.sendBuffer);
      if (!options.bound) libc.bindNetlink(fd);
      this.portId = libc.netlinkPortId(fd);
      if (options.recoverOverrun) {
        libc.trySetsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.NO_ENOBUFS, 0);
        this.spare = libc.dupCloexec(fd);
      }
      this.stream = wrapFd(fd);
    } catch (err) {
      if (this.spare !== undefined) libc.close(this.spare);
      if (options.fd === undefined) libc.close(fd);
      throw err;
    }
    this.fdNow = fd;
    log('opened fd %d protocol %d port %d', fd, this.protocol, this.portId);
  }

  start(sink: TransportSink): void {
    if (this.sink) throw new Error('transport already started');
    this.sink = sink;
    this.listen(this.stream, sink);
  }

  /** The socket's fd (with recoverOverrun, a new number after each overrun). */
  get fd(): number {
    return this.fdNow;
  }

  private listen(stream: net.Socket, sink: TransportSink): void {
    stream.on('data', (chunk: Buffer) => sink.datagram(chunk));
    stream.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EIO';
      if (code === 'ENOBUFS' && this.spare !== undefined && !this.closed) this.overrun = true;
      sink.error(new TransportError(`netlink socket ${err.syscall ?? 'read'} failed: ${code}`, err.syscall ?? 'read', err.errno, code, { cause: err }));
    });
    stream.on('close', () => {
      if (stream !== this.stream) return;
      if (this.overrun && !this.closed && this.spare !== undefined) {
        // libuv closed the old fd; the socket lives on in the spare copy: wrap it, keep a new spare.
        this.overrun = false;
        const fd = this.spare;
        try {
          this.spare = libc.dupCloexec(fd);
          this.stream = wrapFd(fd);
        } catch (err) {
          libc.close(fd);
          this.spare = undefined;
          this.closed = true;
          sink.error(err as Error);
          sink.closed?.();
          return;
        }
        this.fdNow = fd;
        this.recvNow = undefined;
        if (!this.refed) this.stream.unref();
        log('fd %d: recovered from ENOBUFS on fd %d', fd, this.spare);
        this.listen(this.stream, sink);
        return;
      }
      this.closed = true;
      if (this.spare !== undefined) {
        libc.close(this.spare);
        this.spare = undefined;
      }
      sink.closed?.();
    });
  }

  send(datagram: Uint8Array): void {
    if (this.closed) throw new TransportError('netlink socket is closed', 'write', 9, 'EBADF');
    // libuv tries the write(2) at once: the kernel has processed the request when this returns.
    this.stream.write(datagram);
  }

  poll(): boolean {
    if (this.closed || !this.sink) return false;
    const buf = (sharedRecvBuffer ??= Buffer.allocUnsafe(RECV_BUFFER_SIZE));
    this.recvNow ??= libc.makeRecvNow(this.fd, buf);
    const n = this.recvNow();
    if (n < 0) return false; // nothing queued (or an error libuv's read will report)
    if (n > buf.length) {
      this.sink.error(new TransportError(`a ${n}-byte datagram did not fit the ${buf.length}-byte receive buffer and was truncated`, 'recv', 90, 'EMSGSIZE'));
      return true;
    }
    this.sink.datagram(buf.subarray(0, n));
    return true;
  }

  addMembership(group: number): void {
    libc.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_SOCKOPT.ADD_MEMBERSHIP, group, 'NETLINK_ADD_MEMBERSHIP');
  }

  dropMembership(group: number): void {
    libc.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_SOCKOPT.DROP_MEMBERSHIP, group, 'NETLINK_DROP_MEMBERSHIP');
  }

  ref(): void {
    this.refed = true;
    this.stream.ref();
  }

  unref(): void {
    this.refed = false;
    this.stream.unref();
  }

  /** Current receive buffer as the kernel reports it (twice what was asked, for bookkeeping). */
  receiveBufferSize(): number {
    return libc.getsockoptInt(this.fd, libc.SOL_SOCKET, libc.SO_RCVBUF, 'SO_RCVBUF');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Destroying the stream closes the fd through libuv.
    this.stream.destroy();
    if (this.spare !== undefined) {
      libc.close(this.spare);
      this.spare = undefined;
    }
    log('closed fd %d', this.fd);
  }
}

/** Sets a buffer size, forcing past the sysctl limit when privileged (as iproute2 does). */
function setBuffer(fd: number, opt: number, forceOpt: number, bytes: number): void {
  if (libc.trySetsockoptInt(fd, libc.SOL_SOCKET, forceOpt, bytes) === 0) return;
  libc.setsockoptInt(fd, libc.SOL_SOCKET, opt, bytes, opt === libc.SO_RCVBUF ? 'SO_RCVBUF' : 'SO_SNDBUF');
}
