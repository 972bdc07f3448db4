/**
 * A fake kernel that keeps state, for tests without privileges (pyroute2's IPEngine is the model):
 * one network namespace's links, addresses, routes, neighbours and rules, held in memory and
 * answered over the transport seam. Each socket() is a Transport like a NETLINK_ROUTE socket with
 * NETLINK_EXT_ACK and strict checking: requests are decoded and replies encoded by the project's
 * own codec from the specs; do requests get their replies, then an ACK when NLM_F_ACK asks, or an
 * NLMSG_ERROR with the kernel's extended-ack message; dumps come as NLM_F_MULTI datagrams ending
 * in NLMSG_DONE; changes are announced to the sockets in their multicast groups. Replies arrive
 * on the event loop (setImmediate), in order, like datagrams queued on a socket.
 *
 *   const kernel = new StatefulKernel();
 *   const nl = kernel.client();                 // a NetlinkClient over it
 *   await nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
 *   const monitor = kernel.monitor();           // events of later changes
 *
 * What it models and what it does not: docs in test/support/stateful-kernel/README.md.
 */
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { NLMSG, NLM_F, netlinkSpec } from '../../protocol/netlink.js';
import { NetlinkClient, type ClientOptions } from '../../src/api/client.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { ByteWriter, compileFamily, encodeAttrs, encodeStruct } from '../../src/codec/index.js';
import { type NetlinkMessage, type OutgoingMessage, makeCtx } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { StateMirror, type MirrorOptions } from '../../src/monitor/mirror.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';
import { defineFamily } from '../../protocol/spec.js';
import { delAddr, dumpAddrs, newAddr } from './stateful-kernel/addresses.js';
import { DEFAULT_KINDS, delLink, getLink, linkProp, loopback, newLink } from './stateful-kernel/links.js';
import { type Answer, E, type Group, KernelError, Net, type Request } from './stateful-kernel/net.js';
import { defaultRules, delNeigh, delRule, dumpNeighs, dumpRules, newNeigh, newRule } from './stateful-kernel/objects.js';
import { delRoute, getRoute, newRoute } from './stateful-kernel/routes.js';

export { KernelError } from './stateful-kernel/net.js';
export type { FakeAddr, FakeLink, FakeRoute, Net } from './stateful-kernel/net.js';

/** RTNLGRP_* numbers by spec name (link, ipv4Ifaddr...): the specs' mcastGroups. */
const GROUPS: ReadonlyMap<string, number> = new Map(rtnetlinkSpecs.flatMap((s) => (s.mcastGroups ?? []).map((g) => [g.name, g.value] as const)));

/** The control payloads the fake sends: struct nlmsgerr (errno, then the request's header) and NLMSG_DONE's status. */
const controlSpec = defineFamily({
  name: 'fake-kernel-control',
  protocol: -1,
  definitions: {
    nlmsgerr: { type: 'struct', members: [{ name: 'error', type: 's32' }, ...netlinkSpec.definitions.nlmsghdr.members] },
    done: { type: 'struct', members: [{ name: 'status', type: 's32' }] },
  },
  attributeSets: { extack: netlinkSpec.attributeSets.extack },
  messages: {},
});
const control = compileFamily(controlSpec);

type Handler = (net: Net, req: Request, kernel: StatefulKernel) => Answer;

/** Request handlers by message name; a get kind without a dump handler refuses dumps. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  newlink: (n, r, k) => newLink(n, r, k.kinds),
  setlink: (n, r, k) => newLink(n, { ...r, flags: r.flags & ~(NLM_F.CREATE | NLM_F.EXCL | NLM_F.REPLACE) }, k.kinds),
  dellink: delLink,
  getlink: getLink,
  newlinkprop: (n, r) => linkProp(n, r, true),
  dellinkprop: (n, r) => linkProp(n, r, false),
  newaddr: newAddr,
  deladdr: delAddr,
  getaddr: (n, r) => (isDump(r) ? dumpAddrs(n, r) : refuse()),
  newroute: newRoute,
  delroute: delRoute,
  getroute: getRoute,
  newneigh: newNeigh,
  delneigh: delNeigh,
  getneigh: (n, r) => (isDump(r) ? dumpNeighs(n, r) : refuse()),
  newrule: newRule,
  delrule: delRule,
  getrule: (n, r) => (isDump(r) ? dumpRules(n, r) : refuse()),
  getnsid: (_n, r) => (isDump(r) ? { dump: [] } : refuse()),
};

function isDump(r: Request): boolean {
  return (r.flags & NLM_F.DUMP) === NLM_F.DUMP;
}

function refuse(): never {
  throw new KernelError(E.EOPNOTSUPP);
}

export interface StatefulKernelOptions {
  /** Link kinds it can create (default: veth, bridge, dummy, vxlan, macvlan, macvtap, vlan). */
  kinds?: readonly string[];
  /** Bring lo up at the start (127.0.0.1/8 and ::1 with their routes), as a container runtime would. */
  loopbackUp?: boolean;
}

export class StatefulKernel {
  readonly codec = rtnetlinkCodec();
  readonly net: Net;
  readonly kinds: readonly string[];
  /** Every request received, decoded (for tests that check what was asked). */
  readonly requests: NetlinkMessage[] = [];
  private readonly sockets = new Set<FakeSocket>();
  private nextPort = 4000;
  /** Datagrams on their way to sockets, delivered in order on the next turn of the event loop. */
  private queue: [FakeSocket, Uint8Array][] = [];
  private flushing = false;
  /** The request being handled: notifications carry its seq and port, as rtnetlink's do. */
  private current: { seq: number; pid: number } | undefined;

  constructor(options: StatefulKernelOptions = {}) {
    this.kinds = options.kinds ?? DEFAULT_KINDS;
    this.net = new Net((group, m) => this.broadcast(group, m));
    loopback(this.net);
    defaultRules(this.net);
    if (options.loopbackUp) this.handle({ kind: 'newlink', flags: NLM_F.REQUEST, header: { index: 1, flags: 1, change: 1 } });
  }

  /** A new NETLINK_ROUTE socket on this kernel. */
  socket(options: { linkIndex?: boolean } = {}): FakeSocket {
    const s = new FakeSocket(this, this.nextPort++, options.linkIndex !== false);
    this.sockets.add(s);
    return s;
  }

  /** A NetlinkClient on a socket of its own. */
  client(options: Omit<ClientOptions, 'transport'> & { linkIndex?: boolean } = {}): NetlinkClient {
    const { linkIndex, ...rest } = options;
    return NetlinkClient.open({ timeoutMs: 2000, ...rest, transport: this.socket({ linkIndex }) });
  }

  /** A Monitor whose event and request sockets are on this kernel. */
  monitor(options: Omit<MonitorOptions, 'transport' | 'requests'> = {}): Monitor {
    return new Monitor({ keepAlive: false, ...options, transport: this.socket(), requests: () => new Connection(this.socket(), this.codec) });
  }

  /** A StateMirror of this kernel (its one namespace, as the current one). */
  mirror(options: Omit<MirrorOptions, 'openMonitor' | 'netns'> = {}): Promise<StateMirror> {
    return StateMirror.open({ routeCheckDelayMs: 1, ...options, openMonitor: async (o: MonitorOptions) => this.monitor(o) } as MirrorOptions);
  }

  /** Applies a request directly (set-up in tests), throwing KernelError when the kernel would refuse it. */
  handle(m: OutgoingMessage): Answer {
    const bytes = this.codec.encode({ ...m, flags: (m.flags ?? 0) | NLM_F.REQUEST }).slice();
    const msg = this.codec.decode(bytes, 'user')[0]!;
    return this.dispatch(msg);
  }

  // -------------------------------------------------------------------------------------------

  /** @internal FakeSocket.send */
  receive(sock: FakeSocket, datagram: Uint8Array): void {
    const ctx = makeCtx(datagram);
    let pos = 0;
    while (pos < datagram.length) {
      let end: number;
      try {
        end = this.codec.frameEnd(ctx, pos);
      } catch {
        return; // netlink_rcv_skb stops at a frame that does not fit, silently
      }
      const frame = datagram.subarray(pos, end);
      pos = (end + 3) & ~3;
      this.one(sock, frame, ctx, end - frame.length);
    }
  }

  private one(sock: FakeSocket, frame: Uint8Array, ctx: ReturnType<typeof makeCtx>, at: number): void {
    let msg: NetlinkMessage;
    try {
      msg = this.codec.decodeFrame(ctx, at, at + frame.length, true, 'user');
    } catch {
      const head = this.codec.decodeFrame(makeCtx(frame.subarray(0, 16)), 0, 16, false, 'user');
      return this.send(sock, this.errorFor(head, frame, new KernelError(E.EINVAL)));
    }
    this.requests.push(msg);
    if (msg.type < NLMSG.MIN_TYPE) {
      if (msg.flags & NLM_F.ACK) this.send(sock, this.errorFor(msg, frame));
      return;
    }
    this.current = { seq: msg.seq, pid: sock.portId };
    let answer: Answer;
    try {
      answer = this.dispatch(msg);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      if (isDump({ msg, flags: msg.flags } as Request) && msg.kind?.startsWith('get')) return this.send(sock, this.doneFor(msg, err));
      return this.send(sock, this.errorFor(msg, frame, err));
    } finally {
      this.current = undefined;
    }
    const reply = (m: OutgoingMessage, flags: number) => this.codec.encode({ ...m, flags, seq: msg.seq, pid: sock.portId }).slice();
    if (answer.dump) {
      const flags = NLM_F.MULTI | (answer.filtered ? NLM_F.DUMP_FILTERED : 0);
      this.sendDump(
        sock,
        answer.dump.map((m) => reply(m, flags)),
        this.doneFor(msg),
      );
      return;
    }
    for (const m of answer.replies ?? []) this.send(sock, reply(m, m.flags ?? 0));
    if (msg.flags & NLM_F.ACK) this.send(sock, this.errorFor(msg, frame));
  }

  private dispatch(msg: NetlinkMessage): Answer {
    this.net.tick();
    const handler = msg.kind === undefined ? undefined : HANDLERS[msg.kind];
    if (!handler) throw new KernelError(E.EOPNOTSUPP);
    const req = { msg: { ...msg, header: msg.header ?? {}, attrs: msg.attrs ?? {} }, flags: msg.flags } as Request;
    return handler(this.net, req, this);
  }

  /** NLMSG_ERROR: an ACK (errno 0, the request's header only), or a refusal echoing the request with extended ack. */
  private errorFor(msg: NetlinkMessage, frame: Uint8Array, err?: KernelError): Uint8Array {
    const w = new ByteWriter(64 + frame.length);
    const header = { len: frame.length, type: msg.type, flags: msg.flags, seq: msg.seq, pid: msg.pid };
    encodeStruct(w, control.structs.get('nlmsgerr')!, { error: -(err?.errno ?? 0), ...header }, true);
    let flags: number = NLM_F.CAPPED;
    if (err) {
      flags = 0;
      w.bytes(frame.subarray(16));
      w.align();
      const ext = this.extack(frame, err);
      if (ext) {
        encodeAttrs(w, control.sets.get('extack')!, ext);
        flags |= NLM_F.ACK_TLVS;
      }
    }
    return this.codec.encode({ kind: NLMSG.ERROR, flags, seq: msg.seq, pid: msg.pid, payload: w.finish() }).slice();
  }

  /** NLMSG_DONE ending a dump: status 0, or the dump's error with its extended ack. */
  private doneFor(msg: NetlinkMessage, err?: KernelError): Uint8Array {
    const w = new ByteWriter(64);
    encodeStruct(w, control.structs.get('done')!, { status: -(err?.errno ?? 0) }, true);
    let flags: number = NLM_F.MULTI;
    if (err?.kernelMessage !== undefined) {
      encodeAttrs(w, control.sets.get('extack')!, { msg: err.kernelMessage });
      flags |= NLM_F.ACK_TLVS;
    }
    return this.codec.encode({ kind: NLMSG.DONE, flags, seq: msg.seq, pid: msg.pid, payload: w.finish() }).slice();
  }

  /** NLMSGERR_ATTR_MSG and NLMSGERR_ATTR_OFFS (the offending attribute found by its spec path). */
  private extack(frame: Uint8Array, err: KernelError): Record<string, unknown> | undefined {
    const ext: Record<string, unknown> = {};
    if (err.kernelMessage !== undefined) ext.msg = err.kernelMessage;
    if (err.attribute) {
      const want = err.attribute.join('/');
      for (let off = 16; off < frame.length; off += 4) {
        if (this.codec.attributePathAt(frame, off)?.join('/') === want) {
          ext.offs = off;
          break;
        }
      }
    }
    return Object.keys(ext).length > 0 ? ext : undefined;
  }

  private broadcast(group: Group, m: OutgoingMessage): void {
    const n = GROUPS.get(group)!;
    const cur = group === 'link' ? undefined : this.current;
    const bytes = this.codec.encode({ ...m, flags: m.flags ?? 0, seq: cur?.seq ?? 0, pid: cur?.pid ?? 0 }).slice();
    for (const s of this.sockets) if (s.groups.has(n)) this.send(s, bytes);
  }

  /** Dump replies packed into datagrams of up to 16 KiB, NLMSG_DONE in the last. */
  private sendDump(sock: FakeSocket, msgs: Uint8Array[], done: Uint8Array): void {
    let parts: Uint8Array[] = [];
    let size = 0;
    for (const m of [...msgs, done]) {
      if (size + m.length > 16384 && parts.length > 0) {
        this.send(sock, concat(parts));
        parts = [];
        size = 0;
      }
      parts.push(m);
      size += m.length;
    }
    this.send(sock, concat(parts));
  }

  private send(sock: FakeSocket, datagram: Uint8Array): void {
    this.queue.push([sock, datagram]);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const q = this.queue;
      this.queue = [];
      for (const [s, d] of q) s.deliver(d);
    });
  }

  /** @internal FakeSocket.readQueued: the socket's datagrams on their way, delivered now. */
  deliverNow(sock: FakeSocket): void {
    const mine = this.queue.filter(([s]) => s === sock);
    this.queue = this.queue.filter(([s]) => s !== sock);
    for (const [, d] of mine) sock.deliver(d);
  }

  /** @internal FakeSocket.close */
  forget(sock: FakeSocket): void {
    this.sockets.delete(sock);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A NETLINK_ROUTE socket on a StatefulKernel. */
export class FakeSocket implements Transport {
  readonly protocol = 0;
  readonly groups = new Set<number>();
  closed = false;
  private sink: TransportSink | undefined;

  constructor(
    private readonly kernel: StatefulKernel,
    readonly portId: number,
    private readonly ioctl: boolean,
  ) {}

  start(sink: TransportSink): void {
    this.sink = sink;
  }

  send(datagram: Uint8Array): void {
    if (this.closed) throw new Error('socket closed');
    this.kernel.receive(this, datagram.slice());
  }

  addMembership(group: number): void {
    this.groups.add(group);
  }

  dropMembership(group: number): void {
    this.groups.delete(group);
  }

  /** SIOCGIFINDEX: names (and altnames) up to IFNAMSIZ - 1 bytes, in this namespace. */
  linkIndex(name: string): number | undefined {
    if (!this.ioctl || Buffer.byteLength(name) > 15) return undefined;
    return this.kernel.net.byName(name)?.index;
  }

  /** Transport.readQueued: what the kernel has queued for this socket, delivered now. */
  readQueued(): boolean {
    if (this.closed) return false;
    this.kernel.deliverNow(this);
    return true;
  }

  /** @internal the kernel's delivery */
  deliver(d: Uint8Array): void {
    if (!this.closed) this.sink?.datagram(d);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.kernel.forget(this);
  }
}
