/**
 * The client's sockets of other protocols, each opened on first use (side-socket.ts). A side's
 * family module is loaded only then, so a client that never uses it never loads it.
 */
import { NETLINK_GENERIC } from '../../protocol/genetlink.js';
import { NETLINK_NETFILTER } from '../../protocol/nfnetlink.js';
import type { GenlConnection } from '../genl/connection.js';
import type { NftConnection } from '../nft/connection.js';
import type { SideKind } from './side-socket.js';

/** NETLINK_GENERIC, for nl.ethtool and nl.genl. */
export const GENERIC_SIDE: SideKind<GenlConnection> = {
  protocol: NETLINK_GENERIC,
  protocolName: 'NETLINK_GENERIC',
  option: 'genericTransport',
  what: 'generic netlink (ethtool)',
  connect: async (transport, options) => new (await import('../genl/connection.js')).GenlConnection(transport, options),
};

/** NETLINK_NETFILTER, for nl.nftables. */
export const NETFILTER_SIDE: SideKind<NftConnection> = {
  protocol: NETLINK_NETFILTER,
  protocolName: 'NETLINK_NETFILTER',
  option: 'netfilterTransport',
  what: 'netfilter (nftables)',
  connect: async (transport, options) => new (await import('../nft/connection.js')).NftConnection(transport, options),
};
