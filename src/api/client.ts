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
import { rtnetlinkCodec, rtnetlinkOperations } from './rtnetlink-codec.js';
import { closeSync } from 'node:fs';
import { type NetnsEntry, enterBySetns } from '../netns/enter.js';
import { type NetnsTarget, resolveNetns } from '../netns/target.js';
import { InvalidArgumentError } from './errors.js';
import { checkBool, checkInt, checkOptions, checkTimeoutMs } from './validate.js';
import type { EthtoolApi } from './ethtool.js';
import { ethtoolApi, genlApi, nftablesApi } from './family-apis.js';
import type { GenlApi } from './genl.js';
import { type GenericTransport, SideSocket, helperOpener, openerFor, setnsOpener } from './side-socket.js';
import type { NftablesApi } from './nftables.js';
import { GENERIC_SIDE, NETFILTER_SIDE } from './sides.js';
import { LINK_EVENTS_SIDE, LinkNameCache } from './link-names.js';

export interface ClientOptions extends ConnectionOptions {
  /** Talk over this transport (a replay, a recorder...) instead of opening a socket. */
  transport?: Transport;
  /** Socket options when a socket is opened (receive buffer, a ready-made fd from another namespace...). */
  socket?: NetlinkSocketOptions;
  /**
   * Open the socket in this network namespace: a name (/run/netns/NAME), an absolute path, { pid }
   * or { fd }. A namespace that does not exist is a NamespaceError (never created). open() enters it
   * in-process (setns, synchronous); connect() by the helper unless netnsEntry says 'setns'.
   * Not with `transport` or `socket.fd` (the socket is made in the namespace).
   */
  netns?: NetnsTarget;
  /**
   * How to enter `netns`: 'helper' (connect()'s default: a short-lived process under nsenter) or
   * 'setns' (in-process; open() can only do this). See docs/namespaces.md.
   */
  netnsEntry?: NetnsEntry;
  /**
   * The NETLINK_GENERIC transport for nl.ethtool and nl.genl (or a function giving it), needed
   * only with `transport` or `socket.fd`. Otherwise the client makes one on first use, in its own
   * namespace: open() and connect() cost nothing more for clients that never use them.
   */
  genericTransport?: GenericTransport;
  /** The NETLINK_NETFILTER transport for nl.nftables (or a function giving it), needed as genericTransport is. */
  netfilterTransport?: GenericTransport;
  /**
   * Remember the indexes of links named in requests, kept right by link events on a second socket
   * opened at the first lookup by name (default true; not with `transport` or `socket.fd`). False:
   * every name is asked of the kernel when it is used. docs/api.md, "Links by name".
   */
  linkNameCache?: boolean;
}

/** The socket's options, checked here: libc would take a string fd or a negative buffer size its own way. */
function checkSocketOptions(socket: NetlinkSocketOptions): NetlinkSocketOptions {
  const s = checkOptions(socket, 'socket');
  if (s.protocol !== undefined && s.protocol !== 0) {
    throw new InvalidArgumentError('socket.protocol', s.protocol, 'a NetlinkClient speaks rtnetlink: NETLINK_ROUTE (0)');
  }
  if (s.fd !== undefined) checkInt(s.fd, 'socket.fd', 0, 0x7fffffff);
  if (s.receiveBuffer !== undefined) checkInt(s.receiveBuffer, 'socket.receiveBuffer', 1, 0x7fffffff);
  if (s.sendBuffer !== undefined) checkInt(s.sendBuffer, 'socket.sendBuffer', 1, 0x7fffffff);
  for (const k of ['bound', 'recoverOverrun', 'extendedAck', 'strictCheck', 'readAfterSend', 'ioctlLinkIndex'] as const) {
    checkBool(s[k], `socket.${k}`);
  }
  return s;
}

/** Options that cannot be honoured are refused, never ignored: each one is read or rejected. */
function checkClientOptions(options: ClientOptions | undefined): ClientOptions {
  const o = checkOptions(options);
  const { transport, socket, netns, netnsEntry, timeoutMs, dumpRetries } = o;
  if (transport !== undefined) {
    const t = transport as Partial<Transport> | null;
    if (typeof t !== 'object' || t === null || typeof t.send !== 'function' || typeof t.start !== 'function' || typeof t.close !== 'function') {
      throw new InvalidArgumentError('transport', transport, 'must be a Transport (start, send, close)');
    }
    if (socket !== undefined) throw new InvalidArgumentError('socket', socket, 'socket options cannot be combined with a ready-made transport');
    if (netns !== undefined) {
      throw new InvalidArgumentError('netns', netns, 'cannot be combined with a ready-made transport (its socket is where it was made)');
    }
  }
  if (socket !== undefined && checkSocketOptions(socket).fd !== undefined && netns !== undefined) {
    throw new InvalidArgumentError('socket.fd', socket.fd, 'cannot be combined with netns: the socket is made in the namespace');
  }
  if (netnsEntry !== undefined && netnsEntry !== 'helper' && netnsEntry !== 'setns') {
    throw new InvalidArgumentError('netnsEntry', netnsEntry, "must be 'helper' or 'setns'");
  }
  if (netnsEntry !== undefined && netns === undefined) {
    throw new InvalidArgumentError('netnsEntry', netnsEntry, 'says how to enter the namespace given as netns, and none is given');
  }
  if (timeoutMs !== undefined) checkTimeoutMs(timeoutMs);
  if (dumpRetries !== undefined) checkInt(dumpRetries, 'dumpRetries', 0, 1000);
  checkBool(o.linkNameCache, 'linkNameCache');
  return o;
}

export class NetlinkClient {
  readonly connection: Connection;
  readonly links: LinkApi;
  readonly addresses: AddressApi;
  readonly routes: RouteApi;
  readonly neighbours: NeighbourApi;
  readonly rules: RuleApi;
  /** The namespace given to open/connect({ netns }), as named there; undefined for the current one. */
  netns?: string;
  private readonly closers: (() => void)[] = [];
  /** @internal The generic netlink side (ethtool, genl): its socket is made on first use. */
  readonly generic = new SideSocket(GENERIC_SIDE);
  /** @internal The netfilter side (nftables): its socket is made on first use. */
  readonly netfilter = new SideSocket(NETFILTER_SIDE);
  /** @internal The link name cache's event socket (link-names.ts): made at the first lookup by name. */
  readonly linkEvents = new SideSocket(LINK_EVENTS_SIDE);
  private ethtoolApi: EthtoolApi | undefined;
  private genlApi: GenlApi | undefined;
  private nftablesApi: NftablesApi | undefined;

  constructor(connection: Connection) {
    this.connection = connection;
    this.links = new LinkApi(connection);
    this.addresses = new AddressApi(connection, this.links);
    this.routes = new RouteApi(connection, this.links);
    this.neighbours = new NeighbourApi(connection, this.links);
    this.rules = new RuleApi(connection);
  }

  /** Device settings as ethtool has them: features, link modes, channels, rings (generic netlink, opened on first use). */
  get ethtool(): EthtoolApi {
    return (this.ethtoolApi ??= new (ethtoolApi())(
      () => this.generic.connection(),
      () => this.generic.openTransport(),
    ));
  }

  /** Generic netlink families (nlctrl), over the same lazily opened socket. */
  get genl(): GenlApi {
    return (this.genlApi ??= new (genlApi())(() => this.generic.connection()));
  }

  /** nftables: list and apply rulesets in libnftables' JSON, NAT helpers (NETLINK_NETFILTER, opened on first use). */
  get nftables(): NftablesApi {
    return (this.nftablesApi ??= new (nftablesApi())(() => this.netfilter.connection(), this.links));
  }

  /**
   * Opens a NETLINK_ROUTE socket in the current network namespace (or uses options.transport).
   * With `netns`, the socket is made in that namespace by setns() on this thread (synchronous,
   * ~0.1 ms, CAP_SYS_ADMIN); netnsEntry: 'helper' needs connect().
   */
  static open(options?: ClientOptions): NetlinkClient {
    const o = checkClientOptions(options);
    if (o.netns !== undefined) return NetlinkClient.openInNetns(o);
    const generic = openerFor(GENERIC_SIDE, o.genericTransport, o); // checked before a socket is made
    const netfilter = openerFor(NETFILTER_SIDE, o.netfilterTransport, o);
    const transport = o.transport ?? new NetlinkSocket({ receiveBuffer: 1 << 20, ...o.socket });
    const client = new NetlinkClient(new Connection(transport, rtnetlinkCodec(), { ...o, operations: rtnetlinkOperations() }));
    client.generic.opener = generic;
    client.generic.options = { timeoutMs: o.timeoutMs, dumpRetries: o.dumpRetries };
    client.netfilter.opener = netfilter;
    client.netfilter.options = { timeoutMs: o.timeoutMs, dumpRetries: o.dumpRetries };
    if (o.transport === undefined && o.socket?.fd === undefined) client.cacheLinkNames(o, openerFor(LINK_EVENTS_SIDE, undefined, o));
    return client;
  }

  /** open({ netns }): the socket is created inside the namespace (setns there and back), then used from here. */
  private static openInNetns(o: ClientOptions): NetlinkClient {
    if (o.netnsEntry === 'helper') {
      throw new InvalidArgumentError(
        'netnsEntry',
        o.netnsEntry,
        "open() is synchronous and cannot wait for the helper: use await NetlinkClient.connect() with it, or netnsEntry 'setns'",
      );
    }
    const ns = resolveNetns(o.netns!); // NamespaceError when there is no such namespace
    const fd = enterBySetns(ns, { sockets: [0] }).sockets[0]!;
    let client: NetlinkClient;
    try {
      client = NetlinkClient.open({ ...o, netns: undefined, netnsEntry: undefined, socket: { ...o.socket, fd, bound: false } });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    client.netns = ns.label;
    if (o.genericTransport === undefined) client.generic.opener = setnsOpener(GENERIC_SIDE, ns);
    if (o.netfilterTransport === undefined) client.netfilter.opener = setnsOpener(NETFILTER_SIDE, ns);
    client.cacheLinkNames(o, setnsOpener(LINK_EVENTS_SIDE, ns));
    return client;
  }

  /**
   * Like open(); with `netns`, the socket is made in that network namespace (by a short-lived
   * helper under nsenter by default, or in-process with netnsEntry: 'setns'; sockets are cached per
   * namespace while in use). See docs/namespaces.md.
   */
  static async connect(opts?: ClientOptions): Promise<NetlinkClient> {
    const options = checkClientOptions(opts);
    if (options.netns === undefined) return NetlinkClient.open(options);
    // Loaded on demand: open() and the current namespace need none of it.
    const { netnsSockets } = await import('../netns/sockets.js');
    const pending = netnsSockets.socket(options.netns, { entry: options.netnsEntry ?? 'helper' });
    rtnetlinkCodec(); // compile the specs (~10 ms, once) while the helper runs in its own process
    const lease = await pending;
    let client: NetlinkClient;
    try {
      client = NetlinkClient.open({ ...options, netns: undefined, netnsEntry: undefined, socket: { ...options.socket, fd: lease.fd, bound: false } });
    } catch (err) {
      closeSync(lease.fd);
      lease.release();
      throw err;
    }
    client.netns = lease.netns.label;
    client.closers.push(lease.release);
    if (options.genericTransport === undefined) client.generic.opener = helperOpener(client.generic, lease.netns, options.netnsEntry ?? 'helper');
    if (options.netfilterTransport === undefined) {
      client.netfilter.opener = helperOpener(client.netfilter, lease.netns, options.netnsEntry ?? 'helper');
    }
    client.cacheLinkNames(options, helperOpener(client.linkEvents, lease.netns, options.netnsEntry ?? 'helper'));
    return client;
  }

  /** Link names are cached (unless linkNameCache: false), with their event socket made by `opener` in the client's namespace. */
  private cacheLinkNames(o: ClientOptions, opener: () => Promise<Transport>): void {
    if (o.linkNameCache === false || o.socket?.ioctlLinkIndex === false) return; // the latter: every name over netlink, as asked
    this.linkEvents.opener = opener;
    this.links.names = new LinkNameCache(this.linkEvents);
  }

  close(): void {
    this.connection.close();
    this.links.names?.close();
    this.linkEvents.close();
    this.generic.close();
    this.netfilter.close();
    for (const fn of this.closers.splice(0)) fn();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
