/**
 * The friendly facade: one connection, and per-object APIs with names instead of indexes, CIDR
 * strings and flags as names. Plain objects in and out.
 */
import { Connection, type ConnectionOptions } from '../conn/connection.js';
import { NetlinkSocket, type NetlinkSocketOptions } from '../transport/netlink-socket.js';
import type { Transport } from '../transport/types.js';
import { AddressApi } from './addresses.js';
import { LinkApi } from './links.js';
import { NeighbourApi } from './neighbours.js';
import { RouteApi } from './routes.js';
import { RuleApi } from './rules.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import { closeSync } from 'node:fs';
import type { NetnsEntry } from '../netns/enter.js';
import type { NetnsTarget } from '../netns/target.js';
import { InvalidArgumentError } from './errors.js';


export interface ClientOptions extends ConnectionOptions {
  /** Talk over this transport (a replay, a recorder...) instead of opening a socket. */
  transport?: Transport;
  /** Socket options when a socket is opened (receive buffer, a ready-made fd from another namespace...). */
  socket?: NetlinkSocketOptions;
  /**
   * connect() only: open the socket in this network namespace: a name (/run/netns/NAME), an absolute
   * path, { pid } or { fd }. A namespace that does not exist is a NamespaceError (never created).
   */
  netns?: NetnsTarget;
  /** How to enter `netns`: 'helper' (default: a short-lived process under nsenter) or 'setns' (in-process). See docs/namespaces.md. */
  netnsEntry?: NetnsEntry;
}

export class NetlinkClient {
  readonly connection: Connection;
  readonly links: LinkApi;
  readonly addresses: AddressApi;
  readonly routes: RouteApi;
  readonly neighbours: NeighbourApi;
  readonly rules: RuleApi;
  /** The namespace given to connect({ netns }), as named there; undefined for the current one. */
  netns?: string;
  private readonly closers: (() => void)[] = [];

  constructor(connection: Connection) {
    this.connection = connection;
    this.links = new LinkApi(connection);
    this.addresses = new AddressApi(connection, this.links);
    this.routes = new RouteApi(connection, this.links);
    this.neighbours = new NeighbourApi(connection, this.links);
    this.rules = new RuleApi(connection);
  }

  /** Opens a NETLINK_ROUTE socket in the current network namespace (or uses options.transport). */
  static open(options: ClientOptions = {}): NetlinkClient {
    const transport = options.transport ?? new NetlinkSocket({ receiveBuffer: 1 << 20, ...options.socket });
    return new NetlinkClient(new Connection(transport, rtnetlinkCodec(), options));
  }

  /**
   * Like open(); with `netns`, the socket is made in that network namespace (by a short-lived
   * helper under nsenter by default, or in-process with netnsEntry: 'setns'; sockets are cached per
   * namespace while in use). See docs/namespaces.md.
   */
  static async connect(options: ClientOptions = {}): Promise<NetlinkClient> {
    if (options.netns === undefined) return NetlinkClient.open(options);
    if (options.transport) throw new InvalidArgumentError('netns', options.netns, 'cannot be combined with a ready-made transport');
    // Loaded on demand: open() and the current namespace need none of it.
    const { netnsSockets } = await import('../netns/sockets.js');
    const pending = netnsSockets.socket(options.netns, { entry: options.netnsEntry ?? 'helper' });
    rtnetlinkCodec(); // compile the specs (~10 ms, once) while the helper runs in its own process
    const lease = await pending;
    let client: NetlinkClient;
    try {
      client = NetlinkClient.open({ ...options, socket: { ...options.socket, fd: lease.fd, bound: false } });
    } catch (err) {
      closeSync(lease.fd);
      lease.release();
      throw err;
    }
    client.netns = lease.netns.label;
    client.closers.push(lease.release);
    return client;
  }

  close(): void {
    this.connection.close();
    for (const fn of this.closers.splice(0)) fn();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
