/**
 * The families spoken on NETLINK_ROUTE sockets. Apart from protocol/index.ts so that a program
 * speaking rtnetlink loads only its specs (index.ts re-exports every family, generic netlink ones too).
 */
import { rtAddrSpec } from './rt-addr.js';
import { rtLinkSpec } from './rt-link.js';
import { rtNeighSpec } from './rt-neigh.js';
import { rtNsidSpec } from './rt-nsid.js';
import { rtRouteSpec } from './rt-route.js';
import { rtRuleSpec } from './rt-rule.js';

/** The families spoken on NETLINK_ROUTE sockets. */
export const rtnetlinkSpecs = [rtLinkSpec, rtAddrSpec, rtRouteSpec, rtNeighSpec, rtRuleSpec, rtNsidSpec] as const;
