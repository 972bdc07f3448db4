/**
 * A real AF_NETLINK socket. ffi-rs creates and configures it; then the fd is handed to libuv as a
 * pipe handle so reads and writes run on the event loop with no thread and no FFI per message
 * (see docs/architecture.md, "Why libuv and not FFI for I/O"). Each read returns one datagram.
 * The event loop's reader (a net.Socket over that handle) is made when the socket first needs the
 * loop: a one-shot request answered by the reads right after its send never loads node:net.
 */
import { readSync } from 'node:fs';
import type net from 'node:net';
import { getSystemErrorName } from 'node:util';
import createDebug from '../deps/debug.js';
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
  /**
   * The fd is already bound. No longer needed: the socket is connect()ed to the kernel, which binds
   * an unbound socket and keeps a bound one's port id, so both kinds work either way.
   */
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
  /**
   * Read the reply right after each send (default true). The kernel handles a netlink request
   * inside sendmsg, so its reply or ACK is already queued when the write returns: reading it then
   * saves an event-loop round trip (epoll and a libuv read callback) per request, which was a
   * third of the cost of a sequential acknowledged request. Data that is not there yet (EAGAIN)
   * simply arrives through the event loop as before. Applies only when the sink implements
   * awaitingReplies (a Connection does); other sinks see datagrams from the event loop only.
   */
  readAfterSend?: boolean;
  /**
   * Answer linkIndex(name) with an SIOCGIFINDEX ioctl on this socket (default true): a few
   * microseconds in the kernel instead of an RTM_GETLINK round trip whose reply carries the
   * whole link (a kilobyte and more). It looks in the socket's own namespace, so it is right
   * for sockets made in other namespaces too. False: every lookup goes over netlink.
   */
  ioctlLinkIndex?: boolean;
  /**
   * Batch reads while datagrams stream in (monitors: 1). Once two datagrams come less than this many
   * milliseconds apart, the socket stops waking the event loop for each one: a timer every paceMs
   * reads what queued meanwhile with read(2) until none is left, and the event loop watches the
   * socket again after a tick that found fewer than two. A datagram then waits up to about paceMs (2 ms
   * at most with Node's timers), and a consumer that keeps up is woken once per tick instead of
   * once per datagram (that wake-up was a third of a monitor's CPU per event). 0: off (default).
   */
  paceMs?: number;
}

interface WriteReq {
  handle: PipeHandle;
  oncomplete: (status: number) => void;
  async: boolean;
  buffer: Uint8Array | null;
}

interface PipeHandle {
  open(fd: number): number;
  close(onclose?: () => void): void;
  ref(): void;
  unref(): void;
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  readStart(): number;
  readStop(): number;
  /** net.Socket's flag for "readStart was called": kept in step so that its own read logic agrees. */
  reading: boolean;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

type Binding = (name: string) => unknown;
const binding = (process as unknown as { binding: Binding }).binding.bind(process);
let streamWrap: StreamWrapBinding | undefined;
/** node:net, loaded with the first stream: it brings Node's stream modules, ~2 ms of a one-shot CLI start. */
let netModule: typeof net | undefined;

/**
 * Depth of datagram deliveries in progress. Deliveries borrow the one shared read buffer, so a
 * send made while a datagram is being handled (a retried dump, a resync) must not read into it.
 */
let delivering = 0;

/**
 * One read buffer for every socket (net.Socket's `onread`): libuv reads each datagram straight into
 * it and the sink handles it before the next read, so there is no allocation per datagram (a 64 KiB
 * buffer each, shrunk afterwards: CPU and malloc fragmentation) and no stream machinery. Sinks copy
 * what they keep (TransportSink contract). 1 MiB: dump datagrams stay under 32 KiB, single replies
 * of devices with many VFs can be larger; untouched pages cost no memory.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_SIZE = 1 << 20;
/** Where discardQueued reads what a socket got before it was connected. */
let discardBuffer: Buffer | undefined;
/** Reads right after a send: a reply and its ACK, a batch window's errors; not a whole dump. */
const READS_AFTER_SEND = 8;
/** paceMs: datagrams read per timer tick at most, so that other I/O and timers still get their turn. */
const READS_PER_TICK = 1024;
/** readQueued's bound: a socket that never runs dry (a flood of events) is left to the event loop. */
const READ_QUEUED_MAX = 64;

/** libuv's pipe handle on `fd` (which it makes non-blocking): sends go through it; it reads once a stream wraps it. */
function openHandle(fd: number): PipeHandle {
  // libuv's pipe handle reads any stream-like fd with read(2): for a datagram socket each read is
  // one datagram. process.binding is a documentation-only deprecation (DEP0111); pipe_wrap and
  // stream_wrap are on Node's allow list.
  const pipeWrap = binding('pipe_wrap') as { Pipe: new (type: number) => PipeHandle; constants: { SOCKET: number } };
  const handle = new pipeWrap.Pipe(pipeWrap.constants.SOCKET);
  const rc = handle.open(fd);
  if (rc !== 0) throw new TransportError(`cannot attach netlink fd ${fd} to the event loop (uv error ${rc})`, 'uv_pipe_open', -rc);
  return handle;
}

/** The event loop's reader over `handle`: it starts reading at once, one datagram per callback. */
function wrapHandle(handle: PipeHandle, onDatagram: (d: Buffer) => void): net.Socket {
  const buffer = (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE));
  const onread = { buffer, callback: (n: number, buf: Buffer) => onDatagram(buf.subarray(0, n)) };
  netModule ??= process.getBuiltinModule('node:net');
  return new netModule.Socket({ handle, readable: true, writable: true, onread } as net.SocketConstructorOpts);
}

export class NetlinkSocket implements Transport {
  readonly protocol: number;
  readonly portId: number;
  private fdNow: number;
  /** Made by attach() when the socket first needs the event loop; until then nothing reads but read(2) after a send. */
  private stream: net.Socket | undefined;
  private handle: PipeHandle;
  private readonly readAfterSend: boolean;
  private readonly ioctlLinkIndex: boolean;
  private sink: TransportSink | undefined;
  private closed = false;
  /** recoverOverrun: the spare copy of the fd. */
  private spare: number | undefined;
  private refed = true;
  /** Datagrams read before start() (copied). */
  private early: Buffer[] | undefined;
  /** A WriteWrap no write holds, for the next send. */
  private idleReq: WriteReq | undefined;
  /** paceMs: 0 when off; when the latest datagram came (performance.now()); the timer that reads in bursts. */
  private readonly paceMs: number;
  private lastAt = Number.NEGATIVE_INFINITY;
  private paceTimer: NodeJS.Timeout | undefined;
  private pacing = false;

  constructor(options: NetlinkSocketOptions = {}) {
    this.protocol = options.protocol ?? 0;
    this.readAfterSend = options.readAfterSend !== false;
    this.ioctlLinkIndex = options.ioctlLinkIndex !== false;
    this.paceMs = options.paceMs ?? 0;
    const fd = options.fd ?? libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, this.protocol);
    try {
      if (options.extendedAck !== false) libc.setsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.EXT_ACK, 1, 'NETLINK_EXT_ACK');
      if (options.strictCheck !== false) libc.trySetsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.GET_STRICT_CHK, 1);
      if (options.receiveBuffer) setBuffer(fd, libc.SO_RCVBUF, libc.SO_RCVBUFFORCE, options.receiveBuffer);
      if (options.sendBuffer) setBuffer(fd, libc.SO_SNDBUF, libc.SO_SNDBUFFORCE, options.sendBuffer);
      // Reads carry no sender: connected to the kernel, the socket gets no unicast from any other
      // socket (the kernel refuses them), so no one can forge a reply. Multicast still arrives.
      // connect() binds an unbound socket itself: a bind() first would leave it reachable and
      // unconnected between the two calls. What came before is discarded once it is wrapped.
      libc.connectNetlinkToKernel(fd);
      this.portId = libc.netlinkPortId(fd);
      if (options.recoverOverrun) {
        libc.trySetsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.NO_ENOBUFS, 0);
        this.spare = libc.dupCloexec(fd);
      }
      this.handle = openHandle(fd);
      discardQueued(fd);
      // A socket handed in may be in multicast groups already: their events need the loop from the start.
      if (options.fd !== undefined && libc.netlinkHasMemberships(fd)) this.attach();
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
    if (this.stream) this.listen(this.stream, sink);
    // A sink that does not say when it awaits replies (a monitor's, a user's own) reads on the
    // event loop from the start, as it always did (which also keeps the process alive until unref).
    else if (sink.awaitingReplies === undefined) this.attach();
    const early = this.early;
    this.early = undefined;
    if (early) for (const d of early) sink.datagram(d);
  }

  private deliver(d: Buffer): void {
    if (!this.sink) {
      (this.early ??= []).push(Buffer.from(d));
      return;
    }
    delivering++;
    try {
      this.sink.datagram(d);
    } finally {
      delivering--;
    }
  }

  /** A datagram libuv read (one wake-up of the event loop each, while the consumer keeps up). */
  private fromLoop(d: Buffer): void {
    this.deliver(d);
    if (this.paceMs === 0 || this.closed || !this.sink) return;
    const t = performance.now();
    if (t - this.lastAt < this.paceMs) this.startPacing();
    this.lastAt = t;
  }

  /**
   * Makes the event loop's reader. Its callers: start() with a sink that does not say when it awaits
   * replies, a send that leaves replies awaited (or comes before start()), a multicast group, a
   * socket handed in that is in one. A Connection's one-shot request never needs it.
   */
  private attach(): void {
    const stream = wrapHandle(this.handle, (d) => this.fromLoop(d));
    this.stream = stream;
    if (!this.refed) stream.unref();
    if (this.sink) this.listen(stream, this.sink);
    log('fd %d: reading on the event loop', this.fdNow);
  }

  /** Datagrams stream in: libuv stops reading (what is queued stays in the socket) and the timer takes over. */
  private startPacing(): void {
    this.pacing = true;
    this.handle.reading = false;
    this.handle.readStop();
    if (this.paceTimer) this.paceTimer.refresh();
    else {
      this.paceTimer = setTimeout(() => this.paceTick(), this.paceMs);
      if (!this.refed) this.paceTimer.unref();
    }
  }

  /** Reads what queued since the last tick; with (next to) nothing there, hands the socket back to the event loop. */
  private paceTick(): void {
    if (this.closed || !this.pacing) return;
    const n = this.readPaced();
    if (this.closed) return;
    // Two or more: batching saves wake-ups. Fewer: the stream has thinned out, and each tick's last
    // read(2) (EAGAIN, thrown: ~5 us) would cost more than the wake-ups it saves.
    if (n >= 2) {
      this.paceTimer!.refresh();
      return;
    }
    this.pacing = false;
    this.handle.reading = true;
    const err = this.handle.readStart();
    const code = err === 0 ? undefined : getSystemErrorName(err);
    if (code) this.sink?.error(new TransportError(`netlink socket read failed: ${code}`, 'read', -err, code));
  }

  /**
   * paceMs: non-blocking read(2)s until nothing is left (or READS_PER_TICK). ENOBUFS is reported
   * and reading goes on: read(2) leaves the socket usable (libuv's read path instead closes it).
   */
  private readPaced(): number {
    const buffer = (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE));
    let n = 0;
    while (n < READS_PER_TICK && !this.closed) {
      let got: number;
      try {
        got = readSync(this.fdNow, buffer, 0, buffer.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return n;
        if (code === 'EINTR') continue;
        this.sink?.error(readError(err as NodeJS.ErrnoException));
        if (code === 'ENOBUFS') {
          n++; // the loss counts as activity: keep draining
          continue;
        }
        return n;
      }
      if (got <= 0) return n;
      n++;
      this.deliver(buffer.subarray(0, got));
    }
    return n;
  }

  /** The socket's fd (with recoverOverrun, a new number after each overrun). */
  get fd(): number {
    return this.fdNow;
  }

  private listen(stream: net.Socket, sink: TransportSink): void {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EIO';
      // libuv destroyed the stream and closed its fd; the socket lives on in the spare copy. Wrap it
      // before reporting, so whoever handles the error can already send on the socket.
      if (code === 'ENOBUFS' && stream === this.stream && this.spare !== undefined && !this.closed && !this.rewrap(sink)) return;
      sink.error(
        new TransportError(`netlink socket ${err.syscall ?? 'read'} failed: ${code}`, err.syscall ?? 'read', err.errno, code, { cause: err }),
      );
    });
    stream.on('close', () => {
      if (stream !== this.stream) return; // an overrun's old stream
      this.closed = true;
      if (this.spare !== undefined) {
        libc.close(this.spare);
        this.spare = undefined;
      }
      sink.closed?.();
    });
  }

  /** recoverOverrun: wraps the spare fd in a new stream and keeps a new spare. False if that failed (closed). */
  private rewrap(sink: TransportSink): boolean {
    const fd = this.spare!;
    try {
      this.spare = libc.dupCloexec(fd);
      this.handle = openHandle(fd);
      this.stream = wrapHandle(this.handle, (d) => this.fromLoop(d));
    } catch (err) {
      libc.close(fd);
      this.spare = undefined;
      this.closed = true;
      sink.error(err as Error);
      sink.closed?.();
      return false;
    }
    this.fdNow = fd;
    if (!this.refed) this.stream.unref();
    log('recovered from ENOBUFS: now fd %d (spare %d)', fd, this.spare);
    this.listen(this.stream, sink);
    return true;
  }

  /**
   * Writes one datagram on the libuv handle directly (net.Socket's Writable machinery cost ~5 µs
   * a request). libuv tries write(2) at once: the kernel has processed the request when it returns.
   */
  send(datagram: Uint8Array): void {
    if (this.closed) throw new TransportError('netlink socket is closed', 'write', 9, 'EBADF');
    const sw = (streamWrap ??= binding('stream_wrap') as StreamWrapBinding);
    // libuv only takes hold of the request object when the write cannot complete at once (it
    // almost always does): until then one object serves every send.
    let req = this.idleReq;
    this.idleReq = undefined;
    if (req === undefined) {
      const r = new sw.WriteWrap();
      r.async = false;
      r.oncomplete = (status: number) => {
        r.buffer = null;
        if (status < 0) this.sink?.error(writeError(status));
      };
      req = r;
    }
    req.handle = this.handle;
    req.buffer = datagram; // kept alive until an asynchronous write completes
    const err = this.handle.writeBuffer(req, datagram);
    if (sw.streamBaseState[sw.kLastWriteWasAsync] === 0) {
      req.buffer = null;
      this.idleReq = req;
    }
    if (err !== 0) throw writeError(err);
    // Only for sinks that say when they await replies (a Connection): a monitor's sink gets its
    // datagrams from the event loop only, never from inside its own send().
    if (this.readAfterSend && delivering === 0 && this.sink?.awaitingReplies && sw.streamBaseState[sw.kLastWriteWasAsync] === 0) this.readNow();
    // What the reads after the send did not answer (or a sink that does not say) comes through the event loop.
    if (this.stream === undefined && !this.closed && this.sink?.awaitingReplies?.() !== false) this.attach();
  }

  /**
   * Non-blocking read(2)s outside the event loop while the sink awaits replies, at most
   * READS_AFTER_SEND of them: a long dump goes on through the event loop, which it must not
   * hold up. Nothing there (EAGAIN) is not an error.
   */
  private readNow(): void {
    const buffer = (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE));
    for (let i = 0; i < READS_AFTER_SEND && !this.closed; i++) {
      let n: number;
      try {
        n = readSync(this.fdNow, buffer, 0, buffer.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return;
        // E.g. ENOBUFS: reported once, to whoever reads first. The socket stays usable.
        this.sink?.error(readError(err as NodeJS.ErrnoException));
        return;
      }
      if (n <= 0) return;
      this.deliver(buffer.subarray(0, n));
      if (!this.sink?.awaitingReplies?.()) return;
    }
  }

  /** See Transport.readQueued: read(2)s until EAGAIN (at most READ_QUEUED_MAX), outside the event loop. */
  readQueued(): boolean {
    if (this.closed || delivering !== 0 || this.sink === undefined) return false;
    const buffer = (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE));
    for (let i = 0; i < READ_QUEUED_MAX && !this.closed; i++) {
      let n: number;
      try {
        n = readSync(this.fdNow, buffer, 0, buffer.length, null);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK') return true;
        if (e.code !== 'EINTR') this.sink.error(readError(e)); // ENOBUFS: the socket stays usable
        return false;
      }
      if (n <= 0) return true;
      this.deliver(buffer.subarray(0, n));
    }
    return false;
  }

  /** See Transport.linkIndex: undefined when the ioctl fails, so the caller asks over netlink and gets the kernel's own error. */
  linkIndex(name: string): number | undefined {
    if (!this.ioctlLinkIndex || this.closed) return undefined;
    const index = libc.ifnameToIndex(this.fdNow, name);
    if (log.enabled) log('fd %d: SIOCGIFINDEX %s -> %s', this.fdNow, name, index || 'failed (netlink lookup follows)');
    return index > 0 ? index : undefined;
  }

  addMembership(group: number): void {
    libc.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_SOCKOPT.ADD_MEMBERSHIP, group, 'NETLINK_ADD_MEMBERSHIP');
    if (this.stream === undefined && !this.closed) this.attach(); // events come unasked
  }

  dropMembership(group: number): void {
    libc.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_SOCKOPT.DROP_MEMBERSHIP, group, 'NETLINK_DROP_MEMBERSHIP');
  }

  ref(): void {
    this.refed = true;
    if (this.stream) this.stream.ref();
    else this.handle.ref();
    this.paceTimer?.ref();
  }

  unref(): void {
    this.refed = false;
    if (this.stream) this.stream.unref();
    else this.handle.unref();
    this.paceTimer?.unref();
  }

  /** See Transport.growBuffers. One getsockopt each; a setsockopt only for a buffer that is short. */
  growBuffers(send: number, receive: number): number {
    const fd = this.fd;
    let sndbuf = libc.getsockoptInt(fd, libc.SOL_SOCKET, libc.SO_SNDBUF, 'SO_SNDBUF');
    // netlink_sendmsg refuses (EMSGSIZE) a datagram longer than sk_sndbuf - 32.
    if (sndbuf - SNDBUF_OVERHEAD < send) {
      setBuffer(fd, libc.SO_SNDBUF, libc.SO_SNDBUFFORCE, Math.min(send + SNDBUF_OVERHEAD, BUFFER_MAX));
      sndbuf = libc.getsockoptInt(fd, libc.SOL_SOCKET, libc.SO_SNDBUF, 'SO_SNDBUF');
    }
    if (this.receiveBufferSize() < receive) setBuffer(fd, libc.SO_RCVBUF, libc.SO_RCVBUFFORCE, Math.min(receive, BUFFER_MAX));
    log('fd %d: send buffer %d, asked for %d / %d', fd, sndbuf, send, receive);
    return sndbuf - SNDBUF_OVERHEAD;
  }

  /** Current receive buffer as the kernel reports it (twice what was asked, for bookkeeping). */
  receiveBufferSize(): number {
    return libc.getsockoptInt(this.fd, libc.SOL_SOCKET, libc.SO_RCVBUF, 'SO_RCVBUF');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.paceTimer) clearTimeout(this.paceTimer);
    // Destroying the stream, or closing the handle, closes the fd through libuv; closed() follows
    // from libuv's close callback either way.
    if (this.stream) this.stream.destroy();
    else {
      const sink = this.sink;
      this.handle.close(() => sink?.closed?.());
    }
    if (this.spare !== undefined) {
      libc.close(this.spare);
      this.spare = undefined;
    }
    log('closed fd %d', this.fd);
  }
}

/**
 * Reads and drops what reached a new socket before it was connected (a bound fd handed in, or the
 * instant inside connect() between autobind and the state change). Nothing was sent on it yet, so
 * none of it is a reply of ours, and it may be forged. The fd is non-blocking once libuv has it,
 * and libuv has not read yet (that happens on the event loop). A small buffer of its own: the
 * shared one may hold a datagram being delivered, and a datagram read short is dropped whole.
 * Bounded, in case a pre-bound fd is in multicast groups and events keep coming.
 */
function discardQueued(fd: number): void {
  const buffer = (discardBuffer ??= Buffer.alloc(64));
  let dropped = 0;
  try {
    while (dropped < 65536 && readSync(fd, buffer, 0, buffer.length, null) > 0) dropped++;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') log('fd %d: read before use failed: %s', fd, code);
  }
  if (dropped > 0) log('fd %d: dropped %d datagram(s) queued before the socket was connected', fd, dropped);
}

/** What netlink_sendmsg keeps of sk_sndbuf for itself: a datagram may be sk_sndbuf - 32 bytes. */
const SNDBUF_OVERHEAD = 32;
/** setsockopt takes an int; the kernel doubles what it is given. */
const BUFFER_MAX = 0x3fffffff;

/** Sets a buffer size, forcing past the sysctl limit when privileged (as iproute2 does). */
function setBuffer(fd: number, opt: number, forceOpt: number, bytes: number): void {
  if (libc.trySetsockoptInt(fd, libc.SOL_SOCKET, forceOpt, bytes) === 0) return;
  libc.setsockoptInt(fd, libc.SOL_SOCKET, opt, bytes, opt === libc.SO_RCVBUF ? 'SO_RCVBUF' : 'SO_SNDBUF');
}

function readError(err: NodeJS.ErrnoException): TransportError {
  const code = err.code ?? 'EIO';
  return new TransportError(`netlink socket read failed: ${code}`, 'read', Math.abs(err.errno ?? 0), code, { cause: err });
}

function writeError(status: number): TransportError {
  const code = getSystemErrorName(status);
  return new TransportError(`netlink socket write failed: ${code}`, 'write', -status, code);
}
