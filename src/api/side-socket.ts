/**
 * A client's sockets of other netlink protocols: NETLINK_GENERIC for nl.ethtool and nl.genl,
 * NETLINK_NETFILTER for nl.nftables. Each is a socket in the same network namespace as the
 * client's rtnetlink socket, made on first use, so a client that never touches ethtool or
 * nftables costs nothing more to open. How the socket is made follows how the client was opened:
 * here, by setns() into the namespace (open({ netns })), or by the netns helper
 * (connect({ netns })); a client over a ready-made transport must be given one.
 */
import { closeSync } from 'node:fs';
import { ConnectionClosedError } from '../conn/errors.js';
import type { ConnectionOptions } from '../conn/connection.js';
import type { NetnsEntry } from '../netns/enter.js';
import type { ResolvedNetns } from '../netns/target.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import type { Transport } from '../transport/types.js';
import { InvalidArgumentError } from './errors.js';

/** A transport of another protocol (generic netlink, netfilter), or a function making one (called once, on first use). */
export type GenericTransport = Transport | (() => Transport | Promise<Transport>);

type Opener = () => Promise<Transport>;

/** What a side is: its protocol, the client option that gives its transport, and its connection. */
export interface SideKind<C extends { close(): void }> {
  readonly protocol: number;
  /** 'NETLINK_GENERIC': for messages. */
  readonly protocolName: string;
  /** The ClientOptions key that gives the transport ('genericTransport'). */
  readonly option: string;
  /** What needs it, for messages ('generic netlink (ethtool)'). */
  readonly what: string;
  /** The family connection over a transport (its module loaded on first use). */
  connect(transport: Transport, options: ConnectionOptions): Promise<C>;
}

export class SideSocket<C extends { close(): void }> {
  private conn: Promise<C> | undefined;
  private closed = false;
  private readonly closers: (() => void)[] = [];
  /** How the socket is made; the client sets it once it knows where its own socket is. */
  opener: Opener;

  constructor(
    readonly kind: SideKind<C>,
    /** Timeouts and retries, as the client's own connection has them. */
    public options: ConnectionOptions = {},
  ) {
    this.opener = unknownNamespaceOpener(kind);
  }

  /** The connection, opened on first call. */
  connection(): Promise<C> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    if (this.conn === undefined) {
      const p = this.open();
      this.conn = p;
      p.catch(() => {
        if (this.conn === p) this.conn = undefined; // a failed open is tried again next time
      });
    }
    return this.conn;
  }

  /** One more socket of this protocol, the caller's to close (a monitor's). */
  openTransport(): Promise<Transport> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    return this.opener();
  }

  /** Runs `fn` when the client closes (a namespace socket lease). */
  onClose(fn: () => void): void {
    if (this.closed) {
      fn(); // a socket that arrived after close() (its caller closes it): nothing would run this later
      return;
    }
    this.closers.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const conn = this.conn;
    this.conn = undefined;
    void conn?.then(
      (c) => c.close(),
      () => undefined,
    );
    // The lease goes once the socket is closed (after the connection above, on a later turn).
    const closers = this.closers.splice(0);
    if (closers.length > 0) void (conn ?? Promise.resolve()).then(run(closers), run(closers));
  }

  private async open(): Promise<C> {
    const transport = await this.opener();
    if (this.closed) {
      transport.close();
      throw new ConnectionClosedError(`the client was closed while its ${this.kind.protocolName} socket was being opened`);
    }
    try {
      return await this.kind.connect(transport, this.options);
    } catch (err) {
      transport.close();
      throw err;
    }
  }
}

function run(fns: (() => void)[]): () => void {
  return () => {
    for (const fn of fns) fn();
  };
}

/**
 * How a client opened with these options makes a side's socket: the one given, else next to a
 * socket it made itself here; for a transport or an fd given from elsewhere, the caller must say.
 */
export function openerFor(
  kind: SideKind<{ close(): void }>,
  given: GenericTransport | undefined,
  o: { transport?: Transport; socket?: { fd?: number } },
): Opener {
  if (given !== undefined) return givenOpener(kind, given);
  if (o.transport !== undefined || o.socket?.fd !== undefined) return unknownNamespaceOpener(kind);
  return currentNamespaceOpener(kind);
}

/** A socket in this process's namespace. */
function currentNamespaceOpener(kind: SideKind<{ close(): void }>): Opener {
  return async () => new NetlinkSocket({ protocol: kind.protocol });
}

/** The given transport (or what the function gives), checked to be one of the side's protocol. */
function givenOpener(kind: SideKind<{ close(): void }>, t: GenericTransport): Opener {
  if (typeof t !== 'function' && (typeof t !== 'object' || t === null || typeof t.send !== 'function')) {
    throw new InvalidArgumentError(kind.option, t, 'must be a Transport or a function returning one');
  }
  let handedOut = false;
  return async () => {
    if (typeof t !== 'function' && handedOut) {
      throw new InvalidArgumentError(kind.option, t, 'is one transport, already in use: give a function making one to open more (a monitor)');
    }
    handedOut = true;
    const transport = typeof t === 'function' ? await t() : t;
    if (transport?.protocol !== kind.protocol) {
      throw new InvalidArgumentError(kind.option, transport?.protocol, `must be a ${kind.protocolName} (${kind.protocol}) transport`);
    }
    return transport;
  };
}

/** For a client whose socket came from elsewhere (a transport, an fd): its namespace is unknown here. */
function unknownNamespaceOpener(kind: SideKind<{ close(): void }>): Opener {
  const why = `is needed for ${kind.what} on a client opened over a given transport or fd: the namespace of that socket is not known`;
  return () => Promise.reject(new InvalidArgumentError(kind.option, undefined, why));
}

/** A socket made in `ns` by setns() on this thread, as open({ netns }) made the client's own. */
export function setnsOpener(kind: SideKind<{ close(): void }>, ns: ResolvedNetns): Opener {
  return async () => {
    const [{ enterBySetns }, { resolveNetns }] = await Promise.all([import('../netns/enter.js'), import('../netns/target.js')]);
    sameNamespace(ns, resolveNetns);
    const fd = enterBySetns(ns, { sockets: [kind.protocol] }).sockets[0]!;
    return socketFrom(kind.protocol, fd);
  };
}

/** A socket made in `ns` through the namespace socket cache (the helper by default), as connect({ netns }) made the client's own. */
export function helperOpener(side: SideSocket<{ close(): void }>, ns: ResolvedNetns, entry: NetnsEntry): Opener {
  return async () => {
    const [{ netnsSockets }, { resolveNetns }] = await Promise.all([import('../netns/sockets.js'), import('../netns/target.js')]);
    sameNamespace(ns, resolveNetns);
    const lease = await netnsSockets.socket(ns, { protocol: side.kind.protocol, entry });
    side.onClose(lease.release);
    return socketFrom(side.kind.protocol, lease.fd);
  };
}

function socketFrom(protocol: number, fd: number): NetlinkSocket {
  try {
    return new NetlinkSocket({ protocol, fd });
  } catch (err) {
    closeSync(fd); // NetlinkSocket closes only fds it made itself
    throw err;
  }
}

/**
 * The namespace named at open time is still the one its name or path leads to: a name re-pointed
 * since (ip netns del, add) must not give a socket in another namespace than the client's.
 */
function sameNamespace(ns: ResolvedNetns, resolve: (t: { path: string }) => ResolvedNetns): void {
  const now = resolve({ path: ns.path });
  if (now.key !== ns.key) {
    throw new InvalidArgumentError('netns', ns.label, 'now names another network namespace than the one this client was opened in');
  }
}
