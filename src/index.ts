/**
 * netlink-ts: links, addresses, routes, neighbours and rules over rtnetlink, without spawning ip.
 *
 *   import { NetlinkClient } from 'netlink-ts';
 *   const nl = NetlinkClient.open();
 *   console.log(await nl.links.list());
 *   nl.close();
 */
export { NetlinkClient, type ClientOptions } from './api/client.js';
export { rtnetlinkCodec } from './api/rtnetlink-codec.js';
export { NetlinkTsError, isNetlinkTsError } from './errors/index.js';
export * from './api/errors.js';
export * from './api/links.js';
export * from './api/addresses.js';
export * from './api/routes.js';
export * from './api/neighbours.js';
export * from './api/rules.js';
export * from './api/ethtool.js';
export * from './api/genl.js';
export * from './api/not-supported.js';
export {
  NftablesApi,
  type NftApplyOptions,
  type NftApplyResult,
  type NftListFilter,
  type NftTableFamily,
  type NftMasqueradeOptions,
  type NftSnatOptions,
  type NftDnatOptions,
  type NftAllowEstablishedOptions,
} from './api/nftables.js';
export { NftTransactionError, isNftTransactionError, type NftCommandFailure } from './nft/errors.js';
export type * from './nft/json/types.js';
export type { GenericTransport } from './api/side-socket.js';
export type { GenlConnection, GenlConnectionOptions, GenlAttrs } from './genl/connection.js';
export * from './netns/index.js';
export * from './monitor/index.js';
export * from './topology/index.js';
export * from './conn/index.js';
export { DecodeError, EncodeError, isDecodeError, isEncodeError } from './codec/errors.js';
export { TransportError, isTransportError } from './transport/errors.js';
export type { NetlinkMessage, OutgoingMessage } from './codec/message.js';
export { NLM_F, NLMSG } from '../protocol/netlink.js';
export type * from './generated/index.js';
