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
