/**
 * The protocol specs, one constant per family, plus the spec vocabulary.
 * scripts/gen-types.ts generates src/generated/ from every spec exported here.
 */
export type * from './spec.js';
export { defineFamily } from './spec.js';
export { netlinkSpec } from './netlink.js';
export { rtAddrSpec } from './rt-addr.js';
export { rtLinkSpec } from './rt-link.js';
export { rtNeighSpec } from './rt-neigh.js';
export { rtNsidSpec } from './rt-nsid.js';
export { rtRouteSpec } from './rt-route.js';
export { rtRuleSpec } from './rt-rule.js';
export { nlctrlSpec } from './nlctrl.js';
export { ethtoolSpec } from './ethtool.js';
export { rtnetlinkSpecs } from './rtnetlink.js';
export {
  NETLINK_NETFILTER,
  NFNETLINK_V0,
  NFNL_MSG_BATCH_BEGIN,
  NFNL_MSG_BATCH_END,
  NFNL_SUBSYS,
  NFNL_SUBSYS_NFTABLES,
  NFNLGRP,
  NFNLGRP_NFTABLES,
  nfgenmsg,
  nfnetlinkSpec,
  nfnlDefinitions,
  nfprotoEnum,
} from './nfnetlink.js';
export { nftablesSpec } from './nf-tables.js';
