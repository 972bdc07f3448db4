/**
 * The client's generic netlink side (nl.ethtool, nl.genl): a NETLINK_GENERIC socket in the same
 * network namespace as the client's rtnetlink socket, made on first use, so a client that never
 * touches ethtool costs nothing more to open. How the socket is made follows how the client was
 * opened: here, by setns() into the namespace (open({ netns })), or by the netns helper
 * (connect({ netns })); a client over a ready-made transport must be given one.
 */
import { closeSync } from 'node:fs';
import { NETLINK_GENERIC } from '../../protocol/genetlink.js';
import { ConnectionClosedError } from '../conn/errors.js';
import type { GenlConnection } from '../genl/connection.js';
import type { ConnectionOptions } from '../conn/connection.js';
import type { NetnsEntry } from '../netns/enter.js';
import type { ResolvedNetns } from '../netns/target.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import type { Transport } from '../transport/types.js';
import { InvalidArgumentError } from './errors.js';

/** A transport for generic netlink, or a function making one (called once, on first use). */
export type GenericTransport = Transport | (() => Transport | Promise<Transport>);

type Opener = () => Promise<Transport>;

export class GenericSocket {
  private conn: Promise<GenlConnection> | undefined;
  private closed = false;
  private readonly closers: (() => void)[] = [];

  constructor(
    /** How the socket is made; the client sets it once it knows where its own socket is. */
    public opener: Opener,
    /** Timeouts and retries, as the client's own connection has them. */
    public options: ConnectionOptions = {},
  ) {}

  /** The generic netlink connection, opened on first call. */
  connection(): Promise<GenlConnection> {
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

  /** One more generic netlink socket, the caller's to close (a monitor's). */
  openTransport(): Promise<Transport> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    return this.opener();
  }

  /** Runs `fn` when the client closes (a namespace socket lease). */
  onClose(fn: () => void): void {
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

  private async open(): Promise<GenlConnection> {
    // Loaded here: a client that never uses generic netlink never loads it.
    const [{ GenlConnection }, transport] = await Promise.all([import('../genl/connection.js'), this.opener()]);
    if (this.closed) {
      transport.close();
      throw new ConnectionClosedError('the client was closed while its generic netlink socket was being opened');
    }
    try {
      return new GenlConnection(transport, this.options);
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
 * How a client opened with these options makes its generic socket: the one given, else next to a
 * socket it made itself here; for a transport or an fd given from elsewhere, the caller must say.
 */
export function genericOpenerFor(o: { genericTransport?: GenericTransport; transport?: Transport; socket?: { fd?: number } }): Opener {
  if (o.genericTransport !== undefined) return givenOpener(o.genericTransport);
  if (o.transport !== undefined || o.socket?.fd !== undefined) return unknownNamespaceOpener();
  return currentNamespaceOpener();
}

/** A socket in this process's namespace. */
export function currentNamespaceOpener(): Opener {
  return async () => new NetlinkSocket({ protocol: NETLINK_GENERIC });
}

/** The given transport (or what the function gives), checked to be a NETLINK_GENERIC one. */
export function givenOpener(t: GenericTransport): Opener {
  if (typeof t !== 'function' && (typeof t !== 'object' || t === null || typeof t.send !== 'function')) {
    throw new InvalidArgumentError('genericTransport', t, 'must be a Transport or a function returning one');
  }
  let handedOut = false;
  return async () => {
    if (typeof t !== 'function' && handedOut) {
      throw new InvalidArgumentError('genericTransport', t, 'is one transport, already in use: give a function making one to open more (a monitor)');
    }
    handedOut = true;
    const transport = typeof t === 'function' ? await t() : t;
    if (transport?.protocol !== NETLINK_GENERIC) {
      throw new InvalidArgumentError('genericTransport', transport?.protocol, `must be a NETLINK_GENERIC (${NETLINK_GENERIC}) transport`);
    }
    return transport;
  };
}

/** For a client whose socket came from elsewhere (a transport, an fd): its namespace is unknown here. */
export function unknownNamespaceOpener(): Opener {
  return () =>
    Promise.reject(
      new InvalidArgumentError(
        'genericTransport',
        undefined,
        'is needed for generic netlink (ethtool) on a client opened over a given transport or fd: the namespace of that socket is not known',
      ),
    );
}

/** A socket made in `ns` by setns() on this thread, as open({ netns }) made the client's own. */
export function setnsOpener(ns: ResolvedNetns): Opener {
  return async () => {
    const [{ enterBySetns }, { resolveNetns }] = await Promise.all([import('../netns/enter.js'), import('../netns/target.js')]);
    sameNamespace(ns, resolveNetns);
    const fd = enterBySetns(ns, { sockets: [NETLINK_GENERIC] }).sockets[0]!;
    return socketFrom(fd);
  };
}

/** A socket made in `ns` through the namespace socket cache (the helper by default), as connect({ netns }) made the client's own. */
export function helperOpener(ns: ResolvedNetns, entry: NetnsEntry, side: GenericSocket): Opener {
  return async () => {
    const [{ netnsSockets }, { resolveNetns }] = await Promise.all([import('../netns/sockets.js'), import('../netns/target.js')]);
    sameNamespace(ns, resolveNetns);
    const lease = await netnsSockets.socket(ns, { protocol: NETLINK_GENERIC, entry });
    side.onClose(lease.release);
    return socketFrom(lease.fd);
  };
}

function socketFrom(fd: number): NetlinkSocket {
  try {
    return new NetlinkSocket({ protocol: NETLINK_GENERIC, fd });
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
