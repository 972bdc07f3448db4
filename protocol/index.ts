/**
 * The protocol specs, one constant per family, plus the spec vocabulary.
 * scripts/gen-types.ts generates src/generated/ from every spec exported here.
 */
import { rtAddrSpec } from './rt-addr.js';
import { rtLinkSpec } from './rt-link.js';
import { rtNeighSpec } from './rt-neigh.js';
import { rtNsidSpec } from './rt-nsid.js';
import { rtRouteSpec } from './rt-route.js';
import { rtRuleSpec } from './rt-rule.js';

export type * from './spec.js';
export { defineFamily } from './spec.js';
export { netlinkSpec } from './netlink.js';
export { rtAddrSpec } from './rt-addr.js';
export { rtLinkSpec } from './rt-link.js';
export { rtNeighSpec } from './rt-neigh.js';
export { rtNsidSpec } from './rt-nsid.js';
export { rtRouteSpec } from './rt-route.js';
export { rtRuleSpec } from './rt-rule.js';

/** The families spoken on NETLINK_ROUTE sockets. */
export const rtnetlinkSpecs = [rtLinkSpec, rtAddrSpec, rtRouteSpec, rtNeighSpec, rtRuleSpec, rtNsidSpec] as const;
