/**
 * nf_tables stateful objects: what NFTA_OBJ_DATA holds for each NFTA_OBJ_TYPE (the sub-message
 * `obj-data`), and the conntrack timeout policies of ct timeout objects (CTA_TIMEOUT_<PROTO>_*,
 * linux/netfilter/nfnetlink_cttimeout.h: seconds per connection state, chosen by the layer 4
 * protocol). Counters, quotas, limits, connlimits and synproxies have the attributes of their
 * expressions. Tunnel objects are not described: their data stays bytes.
 */
import { CONNLIMIT_ATTRS, COUNTER_ATTRS, LIMIT_ATTRS, QUOTA_ATTRS, SYNPROXY_ATTRS } from './nf-tables-exprs.js';
import type { AttributeSetSpec } from './spec.js';

const U32 = { type: 'u32', byteOrder: 'big-endian' } as const;
const U16 = { type: 'u16', byteOrder: 'big-endian' } as const;

/** Timeouts of one protocol's states, in seconds, from value 1 on. */
function timeouts<const N extends readonly string[]>(prefix: string, names: N) {
  return { prefix, attributes: names.map((name, i) => ({ name, value: i + 1, ...U32 })) } as {
    prefix: string;
    attributes: { [K in keyof N]: { name: N[K]; value: number; type: 'u32'; byteOrder: 'big-endian' } };
  };
}

const ctTimeoutSets = {
  'ct-timeout-tcp-attrs': timeouts('CTA_TIMEOUT_TCP_', [
    'synSent',
    'synRecv',
    'established',
    'finWait',
    'closeWait',
    'lastAck',
    'timeWait',
    'close',
    'synSent2',
    'retrans',
    'unack',
  ] as const),
  'ct-timeout-udp-attrs': timeouts('CTA_TIMEOUT_UDP_', ['unreplied', 'replied'] as const),
  'ct-timeout-udplite-attrs': timeouts('CTA_TIMEOUT_UDPLITE_', ['unreplied', 'replied'] as const),
  'ct-timeout-icmp-attrs': timeouts('CTA_TIMEOUT_ICMP_', ['timeout'] as const),
  'ct-timeout-icmpv6-attrs': timeouts('CTA_TIMEOUT_ICMPV6_', ['timeout'] as const),
  'ct-timeout-gre-attrs': timeouts('CTA_TIMEOUT_GRE_', ['unreplied', 'replied'] as const),
  'ct-timeout-dccp-attrs': timeouts('CTA_TIMEOUT_DCCP_', ['request', 'respond', 'partopen', 'open', 'closereq', 'closing', 'timewait'] as const),
  'ct-timeout-sctp-attrs': timeouts('CTA_TIMEOUT_SCTP_', [
    'closed',
    'cookieWait',
    'cookieEchoed',
    'established',
    'shutdownSent',
    'shutdownRecd',
    'shutdownAckSent',
    'heartbeatSent',
    'heartbeatAcked',
  ] as const),
} satisfies Record<string, AttributeSetSpec>;

/** NFTA_CT_TIMEOUT_L4PROTO (by its ip-proto name) -> the timeouts in NFTA_CT_TIMEOUT_DATA. */
export const nftCtTimeoutData = {
  tcp: 'ct-timeout-tcp-attrs',
  udp: 'ct-timeout-udp-attrs',
  udplite: 'ct-timeout-udplite-attrs',
  icmp: 'ct-timeout-icmp-attrs',
  icmpv6: 'ct-timeout-icmpv6-attrs',
  gre: 'ct-timeout-gre-attrs',
  dccp: 'ct-timeout-dccp-attrs',
  sctp: 'ct-timeout-sctp-attrs',
} as const;

/** Stateful object data (NFTA_OBJ_DATA) by object type: the same attributes as the expressions. */
export const nftObjAttributeSets = {
  ...ctTimeoutSets,
  'counter-attrs': { prefix: 'NFTA_COUNTER_', attributes: COUNTER_ATTRS },
  'quota-attrs': { prefix: 'NFTA_QUOTA_', attributes: QUOTA_ATTRS },
  'limit-attrs': { prefix: 'NFTA_LIMIT_', attributes: LIMIT_ATTRS },
  'connlimit-attrs': { prefix: 'NFTA_CONNLIMIT_', attributes: CONNLIMIT_ATTRS },
  'synproxy-attrs': { prefix: 'NFTA_SYNPROXY_', attributes: SYNPROXY_ATTRS },
  'ct-helper-attrs': {
    prefix: 'NFTA_CT_HELPER_',
    attributes: [
      { name: 'name', value: 1, type: 'string', doc: 'the conntrack helper (ftp, sip...)' },
      { name: 'l3proto', value: 2, ...U16, enum: 'nfproto' },
      { name: 'l4proto', value: 3, type: 'u8', enum: 'ip-proto' },
    ],
  },
  'ct-timeout-attrs': {
    prefix: 'NFTA_CT_TIMEOUT_',
    attributes: [
      { name: 'l3proto', value: 1, ...U16, enum: 'nfproto' },
      { name: 'l4proto', value: 2, type: 'u8', enum: 'ip-proto' },
      { name: 'data', value: 3, type: 'sub-message', subMessage: 'ct-timeout-data', selector: 'l4proto', nestedFlag: true },
    ],
  },
  'ct-expect-attrs': {
    prefix: 'NFTA_CT_EXPECT_',
    attributes: [
      { name: 'l3proto', value: 1, ...U16, enum: 'nfproto' },
      { name: 'l4proto', value: 2, type: 'u8', enum: 'ip-proto' },
      { name: 'dport', value: 3, ...U16 },
      { name: 'timeout', value: 4, type: 'u32', doc: 'milliseconds, in host order (nft_ct_expect_obj_dump: nla_put_u32)' },
      { name: 'size', value: 5, type: 'u8' },
    ],
  },
  'secmark-attrs': {
    prefix: 'NFTA_SECMARK_',
    attributes: [{ name: 'ctx', value: 1, type: 'string', doc: 'security context' }],
  },
} as const satisfies Record<string, AttributeSetSpec>;

/** NFTA_OBJ_TYPE (by its object-type name) -> attribute set of NFTA_OBJ_DATA; tunnel objects stay bytes. */
export const nftObjData = {
  counter: 'counter-attrs',
  quota: 'quota-attrs',
  'ct-helper': 'ct-helper-attrs',
  limit: 'limit-attrs',
  connlimit: 'connlimit-attrs',
  'ct-timeout': 'ct-timeout-attrs',
  secmark: 'secmark-attrs',
  'ct-expect': 'ct-expect-attrs',
  synproxy: 'synproxy-attrs',
} as const;
