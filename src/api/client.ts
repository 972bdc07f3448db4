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


export interface ClientOptions extends ConnectionOptions {
  /** Talk over this transport (a replay, a recorder...) instead of opening a socket. */
  transport?: Transport;
  /** Socket options when a socket is opened (receive buffer, a ready-made fd from another namespace...). */
  socket?: NetlinkSocketOptions;
}

export class NetlinkClient {
  readonly connection: Connection;
  readonly links: LinkApi;
  readonly addresses: AddressApi;
  readonly routes: RouteApi;
  readonly neighbours: NeighbourApi;
  readonly rules: RuleApi;

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
   * Like open(), and the place where asynchronous ways in (a network namespace entered through a
   * helper process) plug in.
   */
  static async connect(options: ClientOptions = {}): Promise<NetlinkClient> {
    return NetlinkClient.open(options);
  }

  close(): void {
    this.connection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
