/**
 * An NftConnection in this network namespace or in another one, made as the client makes its own
 * sockets (src/api/client.ts): in-process by setns() (openNft, synchronous), or by the netns helper
 * (connectNft's default, sockets cached per namespace: docs/namespaces.md). src/nft cannot enter
 * namespaces itself (it sits beside src/netns), so this is where a namespace's fd becomes one.
 */
import { closeSync } from 'node:fs';
import { NETLINK_NETFILTER } from '../../protocol/nfnetlink.js';
import { type NetnsEntry, enterBySetns } from '../netns/enter.js';
import { type NetnsTarget, resolveNetns } from '../netns/target.js';
import { NftConnection, type NftOpenOptions } from '../nft/connection.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import { InvalidArgumentError } from './errors.js';

export interface NftSocketOptions extends NftOpenOptions {
  /** Open the socket in this network namespace (a name, a path, { pid } or { fd }); not with socket.fd. */
  netns?: NetnsTarget;
  /** How to enter it: 'setns' (openNft's only way) or 'helper' (connectNft's default). */
  netnsEntry?: NetnsEntry;
}

function check(o: NftSocketOptions): void {
  if (o.netns !== undefined && o.socket?.fd !== undefined) {
    throw new InvalidArgumentError('socket.fd', o.socket.fd, 'cannot be combined with netns: the socket is made in the namespace');
  }
  if (o.netnsEntry !== undefined && o.netnsEntry !== 'helper' && o.netnsEntry !== 'setns') {
    throw new InvalidArgumentError('netnsEntry', o.netnsEntry, "must be 'helper' or 'setns'");
  }
}

/** A NETLINK_NETFILTER connection here, or in `netns` by setns() on this thread (CAP_SYS_ADMIN). */
export function openNft(options: NftSocketOptions = {}): NftConnection {
  check(options);
  const { netns, netnsEntry, ...rest } = options;
  if (netns === undefined) return NftConnection.open(rest);
  if (netnsEntry === 'helper') {
    throw new InvalidArgumentError('netnsEntry', netnsEntry, "openNft() is synchronous and cannot wait for the helper: use connectNft(), or 'setns'");
  }
  const fd = enterBySetns(resolveNetns(netns), { sockets: [NETLINK_NETFILTER] }).sockets[0]!;
  return fromFd(fd, rest);
}

/** Like openNft(); with `netns`, the socket comes from the netns helper unless netnsEntry is 'setns'. */
export async function connectNft(options: NftSocketOptions = {}): Promise<NftConnection> {
  check(options);
  const { netns, netnsEntry, ...rest } = options;
  if (netns === undefined) return NftConnection.open(rest);
  const { netnsSockets } = await import('../netns/sockets.js');
  const lease = await netnsSockets.socket(netns, { protocol: NETLINK_NETFILTER, entry: netnsEntry ?? 'helper' });
  let nft: NftConnection;
  try {
    nft = fromFd(lease.fd, rest);
  } catch (err) {
    lease.release();
    throw err;
  }
  nft.onClose(lease.release);
  return nft;
}

function fromFd(fd: number, options: NftOpenOptions): NftConnection {
  const { socket, ...connectionOptions } = options;
  let transport: NetlinkSocket;
  try {
    transport = new NetlinkSocket({ receiveBuffer: 1 << 20, ...socket, fd, protocol: NETLINK_NETFILTER });
  } catch (err) {
    closeSync(fd); // a socket made for us: NetlinkSocket closes only the fds it made itself
    throw err;
  }
  try {
    return new NftConnection(transport, connectionOptions);
  } catch (err) {
    transport.close();
    throw err;
  }
}
