/**
 * nf_tables expressions: what NFTA_EXPR_DATA holds for each NFTA_EXPR_NAME (the sub-message
 * `expr-ops`). nf-tables.ts spreads these into its spec; objects (nf-tables-objs.ts) share the
 * counter, quota, limit, connlimit and synproxy attributes.
 *
 * Sources: linux/netfilter/nf_tables.h (6.1 uapi, plus upstream's newer constants: bitwise and/or/
 * xor and sreg2, inner, the tunnel payload base, meta bri-broute), nf_tables_compat.h (the xt
 * `match`/`target` of iptables-nft), nf_nat.h, nf_log.h, nf_synproxy.h, checked against what a
 * 6.18 kernel sends. Every integer the kernel puts with nla_put_be32/be64 is big-endian; the few
 * u8/u16 attributes (ct direction, reject icmp code, log group...) are as the kernel puts them.
 * Their enums are in nf-tables-expr-enums.ts.
 *
 * NFTA_DATA_VALUE is plain bytes: its meaning (address, port, interface name...) depends on what
 * loaded the register, which only the rule as a whole says.
 */
import type { AttributeSetSpec } from './spec.js';

/** A big-endian u32 / u64 (NLA_BE32 / NLA_BE64): nearly every nf_tables integer. */
const U32 = { type: 'u32', byteOrder: 'big-endian' } as const;
const U64 = { type: 'u64', byteOrder: 'big-endian' } as const;
const U16 = { type: 'u16', byteOrder: 'big-endian' } as const;
/** A register number (NFTA_*_SREG / DREG). */
const REG = { type: 'u32', byteOrder: 'big-endian', enum: 'nft-registers' } as const;
/** A nest of nft_data_attributes: a value or a verdict. */
const DATA = { type: 'nest', nested: 'data-attrs', nestedFlag: 'user' } as const;

/** Counter attributes (enum nft_counter_attributes): expressions, objects and chain counters share them. */
export const COUNTER_ATTRS = [
  { name: 'bytes', value: 1, ...U64 },
  { name: 'packets', value: 2, ...U64 },
  { name: 'pad', value: 3, type: 'binary', doc: 'alignment for the u64s (NFTA_COUNTER_PAD); empty' },
] as const;

export const QUOTA_ATTRS = [
  { name: 'bytes', value: 1, ...U64, doc: 'the quota in bytes' },
  { name: 'flags', value: 2, ...U32, enum: 'quota-flags' },
  { name: 'pad', value: 3, type: 'binary' },
  { name: 'consumed', value: 4, ...U64, doc: 'bytes used so far' },
] as const;

export const LIMIT_ATTRS = [
  { name: 'rate', value: 1, ...U64, doc: 'packets (or bytes) per unit' },
  { name: 'unit', value: 2, ...U64, doc: 'seconds' },
  { name: 'burst', value: 3, ...U32 },
  { name: 'type', value: 4, ...U32, enum: 'limit-type' },
  { name: 'flags', value: 5, ...U32, enum: 'limit-flags' },
  { name: 'pad', value: 6, type: 'binary' },
] as const;

export const CONNLIMIT_ATTRS = [
  { name: 'count', value: 1, ...U32 },
  { name: 'flags', value: 2, ...U32, enum: 'connlimit-flags' },
] as const;

export const SYNPROXY_ATTRS = [
  { name: 'mss', value: 1, ...U16 },
  { name: 'wscale', value: 2, type: 'u8' },
  { name: 'flags', value: 3, ...U32, enum: 'synproxy-flags' },
] as const;

/** Attribute sets of the data and verdicts every expression and set element uses. */
export const nftDataAttributeSets = {
  'data-attrs': {
    prefix: 'NFTA_DATA_',
    attributes: [
      { name: 'value', value: 1, type: 'binary', doc: 'up to 64 bytes, in the byte order of what loaded the register' },
      { name: 'verdict', value: 2, type: 'nest', nested: 'verdict-attrs', nestedFlag: 'user' },
    ],
  },
  'verdict-attrs': {
    prefix: 'NFTA_VERDICT_',
    attributes: [
      { name: 'code', value: 1, type: 's32', byteOrder: 'big-endian', enum: 'verdict-code' },
      { name: 'chain', value: 2, type: 'string', doc: 'jump / goto target' },
      { name: 'chainId', value: 3, ...U32, doc: 'jump / goto target added in the same transaction' },
    ],
  },
  'expr-list-attrs': {
    prefix: 'NFTA_LIST_',
    attributes: [{ name: 'elem', value: 1, type: 'nest', nested: 'expr-attrs', nestedFlag: 'user', multi: true }],
  },
  'expr-attrs': {
    prefix: 'NFTA_EXPR_',
    attributes: [
      { name: 'name', value: 1, type: 'string', doc: 'the expression type: payload, cmp, meta...' },
      {
        name: 'data',
        value: 2,
        type: 'sub-message',
        subMessage: 'expr-ops',
        selector: 'name',
        nestedFlag: 'user',
        doc: 'its attributes (none for notrack)',
      },
    ],
  },
} as const satisfies Record<string, AttributeSetSpec>;

export const nftExprAttributeSets = {
  'expr-immediate-attrs': {
    prefix: 'NFTA_IMMEDIATE_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'data', value: 2, ...DATA },
    ],
  },
  'expr-payload-attrs': {
    prefix: 'NFTA_PAYLOAD_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'base', value: 2, ...U32, enum: 'payload-bases' },
      { name: 'offset', value: 3, ...U32, doc: 'bytes from the base' },
      { name: 'len', value: 4, ...U32 },
      { name: 'sreg', value: 5, ...REG, doc: 'payload write (mangle): the value to write' },
      { name: 'csumType', value: 6, ...U32, enum: 'payload-csum-types' },
      { name: 'csumOffset', value: 7, ...U32 },
      { name: 'csumFlags', value: 8, ...U32, enum: 'payload-csum-flags' },
    ],
  },
  'expr-meta-attrs': {
    prefix: 'NFTA_META_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'key', value: 2, ...U32, enum: 'meta-keys' },
      { name: 'sreg', value: 3, ...REG, doc: 'meta set' },
    ],
  },
  'expr-cmp-attrs': {
    prefix: 'NFTA_CMP_',
    attributes: [
      { name: 'sreg', value: 1, ...REG },
      { name: 'op', value: 2, ...U32, enum: 'cmp-ops' },
      { name: 'data', value: 3, ...DATA },
    ],
  },
  'expr-bitwise-attrs': {
    prefix: 'NFTA_BITWISE_',
    attributes: [
      { name: 'sreg', value: 1, ...REG },
      { name: 'dreg', value: 2, ...REG },
      { name: 'len', value: 3, ...U32 },
      { name: 'mask', value: 4, ...DATA },
      { name: 'xor', value: 5, ...DATA },
      { name: 'op', value: 6, ...U32, enum: 'bitwise-ops' },
      { name: 'data', value: 7, ...DATA, doc: 'shift amount' },
      { name: 'sreg2', value: 8, ...REG },
    ],
  },
  'expr-byteorder-attrs': {
    prefix: 'NFTA_BYTEORDER_',
    attributes: [
      { name: 'sreg', value: 1, ...REG },
      { name: 'dreg', value: 2, ...REG },
      { name: 'op', value: 3, ...U32, enum: 'byteorder-ops' },
      { name: 'len', value: 4, ...U32 },
      { name: 'size', value: 5, ...U32, doc: '2 or 4' },
    ],
  },
  'expr-lookup-attrs': {
    prefix: 'NFTA_LOOKUP_',
    attributes: [
      { name: 'set', value: 1, type: 'string' },
      { name: 'sreg', value: 2, ...REG },
      { name: 'dreg', value: 3, ...REG, doc: 'maps: where the mapped data goes' },
      { name: 'setId', value: 4, ...U32, doc: 'a set added in the same transaction' },
      { name: 'flags', value: 5, ...U32, enum: 'lookup-flags' },
    ],
  },
  'expr-range-attrs': {
    prefix: 'NFTA_RANGE_',
    attributes: [
      { name: 'sreg', value: 1, ...REG },
      { name: 'op', value: 2, ...U32, enum: 'range-ops' },
      { name: 'fromData', value: 3, ...DATA },
      { name: 'toData', value: 4, ...DATA },
    ],
  },
  'expr-counter-attrs': { prefix: 'NFTA_COUNTER_', attributes: COUNTER_ATTRS },
  'expr-ct-attrs': {
    prefix: 'NFTA_CT_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'key', value: 2, ...U32, enum: 'ct-keys' },
      { name: 'direction', value: 3, type: 'u8', enum: 'ct-direction' },
      { name: 'sreg', value: 4, ...REG, doc: 'ct set' },
    ],
  },
  'expr-nat-attrs': {
    prefix: 'NFTA_NAT_',
    attributes: [
      { name: 'type', value: 1, ...U32, enum: 'nat-types' },
      { name: 'family', value: 2, ...U32, enum: 'nfproto' },
      { name: 'regAddrMin', value: 3, ...REG },
      { name: 'regAddrMax', value: 4, ...REG },
      { name: 'regProtoMin', value: 5, ...REG },
      { name: 'regProtoMax', value: 6, ...REG },
      { name: 'flags', value: 7, ...U32, enum: 'nat-range-flags' },
    ],
  },
  'expr-masq-attrs': {
    prefix: 'NFTA_MASQ_',
    attributes: [
      { name: 'flags', value: 1, ...U32, enum: 'nat-range-flags' },
      { name: 'regProtoMin', value: 2, ...REG },
      { name: 'regProtoMax', value: 3, ...REG },
    ],
  },
  'expr-redir-attrs': {
    prefix: 'NFTA_REDIR_',
    attributes: [
      { name: 'regProtoMin', value: 1, ...REG },
      { name: 'regProtoMax', value: 2, ...REG },
      { name: 'flags', value: 3, ...U32, enum: 'nat-range-flags' },
    ],
  },
  'expr-reject-attrs': {
    prefix: 'NFTA_REJECT_',
    attributes: [
      { name: 'type', value: 1, ...U32, enum: 'reject-types' },
      { name: 'icmpCode', value: 2, type: 'u8', doc: 'an ICMP / ICMPv6 code, or NFT_REJECT_ICMPX_* for icmpx-unreach' },
    ],
  },
  'expr-log-attrs': {
    prefix: 'NFTA_LOG_',
    attributes: [
      { name: 'group', value: 1, ...U16, doc: 'nflog group' },
      { name: 'prefix', value: 2, type: 'string' },
      { name: 'snaplen', value: 3, ...U32 },
      { name: 'qthreshold', value: 4, ...U16 },
      { name: 'level', value: 5, ...U32, enum: 'log-level' },
      { name: 'flags', value: 6, ...U32, enum: 'log-flags' },
    ],
  },
  'expr-limit-attrs': { prefix: 'NFTA_LIMIT_', attributes: LIMIT_ATTRS },
  'expr-notrack-attrs': { prefix: 'NFTA_NOTRACK_', attributes: [] },
  'expr-fib-attrs': {
    prefix: 'NFTA_FIB_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'result', value: 2, ...U32, enum: 'fib-result' },
      { name: 'flags', value: 3, ...U32, enum: 'fib-flags' },
    ],
  },
  'expr-match-attrs': {
    prefix: 'NFTA_MATCH_',
    attributes: [
      { name: 'name', value: 1, type: 'string', doc: 'the xtables match (conntrack, tcp, comment...)' },
      { name: 'rev', value: 2, ...U32 },
      { name: 'info', value: 3, type: 'binary', doc: "the match's struct (xt_conntrack_mtinfo3...), in host order" },
    ],
  },
  'expr-target-attrs': {
    prefix: 'NFTA_TARGET_',
    attributes: [
      { name: 'name', value: 1, type: 'string', doc: 'the xtables target' },
      { name: 'rev', value: 2, ...U32 },
      { name: 'info', value: 3, type: 'binary', doc: "the target's struct, in host order" },
    ],
  },
  'expr-dynset-attrs': {
    prefix: 'NFTA_DYNSET_',
    attributes: [
      { name: 'setName', value: 1, type: 'string' },
      { name: 'setId', value: 2, ...U32 },
      { name: 'op', value: 3, ...U32, enum: 'dynset-ops' },
      { name: 'sregKey', value: 4, ...REG },
      { name: 'sregData', value: 5, ...REG },
      { name: 'timeout', value: 6, ...U64, doc: 'milliseconds' },
      { name: 'expr', value: 7, type: 'nest', nested: 'expr-attrs', nestedFlag: 'user', doc: 'one stateful expression for the element' },
      { name: 'pad', value: 8, type: 'binary' },
      { name: 'flags', value: 9, ...U32, enum: 'dynset-flags' },
      { name: 'expressions', value: 10, type: 'nest', nested: 'expr-list-attrs', nestedFlag: 'user' },
    ],
  },
  'expr-objref-attrs': {
    prefix: 'NFTA_OBJREF_',
    attributes: [
      { name: 'immType', value: 1, ...U32, enum: 'object-type' },
      { name: 'immName', value: 2, type: 'string' },
      { name: 'setSreg', value: 3, ...REG },
      { name: 'setName', value: 4, type: 'string' },
      { name: 'setId', value: 5, ...U32 },
    ],
  },
  'expr-quota-attrs': { prefix: 'NFTA_QUOTA_', attributes: QUOTA_ATTRS },
  'expr-connlimit-attrs': { prefix: 'NFTA_CONNLIMIT_', attributes: CONNLIMIT_ATTRS },
  'expr-socket-attrs': {
    prefix: 'NFTA_SOCKET_',
    attributes: [
      { name: 'key', value: 1, ...U32, enum: 'socket-keys' },
      { name: 'dreg', value: 2, ...REG },
      { name: 'level', value: 3, ...U32, doc: 'cgroupv2 ancestor level' },
    ],
  },
  'expr-tproxy-attrs': {
    prefix: 'NFTA_TPROXY_',
    attributes: [
      { name: 'family', value: 1, ...U32, enum: 'nfproto' },
      { name: 'regAddr', value: 2, ...REG },
      { name: 'regPort', value: 3, ...REG },
    ],
  },
  'expr-exthdr-attrs': {
    prefix: 'NFTA_EXTHDR_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'type', value: 2, type: 'u8', doc: 'header / option / chunk type' },
      { name: 'offset', value: 3, ...U32 },
      { name: 'len', value: 4, ...U32 },
      { name: 'flags', value: 5, ...U32, enum: 'exthdr-flags' },
      { name: 'op', value: 6, ...U32, enum: 'exthdr-op' },
      { name: 'sreg', value: 7, ...REG },
    ],
  },
  'expr-hash-attrs': {
    prefix: 'NFTA_HASH_',
    attributes: [
      { name: 'sreg', value: 1, ...REG },
      { name: 'dreg', value: 2, ...REG },
      { name: 'len', value: 3, ...U32 },
      { name: 'modulus', value: 4, ...U32 },
      { name: 'seed', value: 5, ...U32 },
      { name: 'offset', value: 6, ...U32 },
      { name: 'type', value: 7, ...U32, enum: 'hash-types' },
      { name: 'setName', value: 8, type: 'string', doc: 'deprecated' },
      { name: 'setId', value: 9, ...U32, doc: 'deprecated' },
    ],
  },
  'expr-numgen-attrs': {
    prefix: 'NFTA_NG_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'modulus', value: 2, ...U32 },
      { name: 'type', value: 3, ...U32, enum: 'ng-types' },
      { name: 'offset', value: 4, ...U32 },
      { name: 'setName', value: 5, type: 'string', doc: 'deprecated' },
      { name: 'setId', value: 6, ...U32, doc: 'deprecated' },
    ],
  },
  'expr-queue-attrs': {
    prefix: 'NFTA_QUEUE_',
    attributes: [
      { name: 'num', value: 1, ...U16 },
      { name: 'total', value: 2, ...U16 },
      { name: 'flags', value: 3, ...U16, enum: 'queue-flags' },
      { name: 'sregQnum', value: 4, ...REG },
    ],
  },
  'expr-dup-attrs': {
    prefix: 'NFTA_DUP_',
    attributes: [
      { name: 'sregAddr', value: 1, ...REG },
      { name: 'sregDev', value: 2, ...REG },
    ],
  },
  'expr-fwd-attrs': {
    prefix: 'NFTA_FWD_',
    attributes: [
      { name: 'sregDev', value: 1, ...REG },
      { name: 'sregAddr', value: 2, ...REG },
      { name: 'nfproto', value: 3, ...U32, enum: 'nfproto' },
    ],
  },
  'expr-osf-attrs': {
    prefix: 'NFTA_OSF_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'ttl', value: 2, type: 'u8' },
      { name: 'flags', value: 3, ...U32, enum: 'osf-flags' },
    ],
  },
  'expr-synproxy-attrs': { prefix: 'NFTA_SYNPROXY_', attributes: SYNPROXY_ATTRS },
  'expr-last-attrs': {
    prefix: 'NFTA_LAST_',
    attributes: [
      { name: 'set', value: 1, ...U32, doc: '1 once the rule was hit; 0 means never' },
      { name: 'msecs', value: 2, ...U64, doc: 'milliseconds since the last hit' },
      { name: 'pad', value: 3, type: 'binary' },
    ],
  },
  'expr-inner-attrs': {
    prefix: 'NFTA_INNER_',
    attributes: [
      { name: 'num', value: 1, ...U32 },
      { name: 'type', value: 2, ...U32, enum: 'inner-type' },
      { name: 'flags', value: 3, ...U32, enum: 'inner-flags' },
      { name: 'hdrsize', value: 4, ...U32 },
      { name: 'expr', value: 5, type: 'nest', nested: 'expr-attrs', nestedFlag: 'user', doc: 'payload or meta on the inner header' },
    ],
  },
  'expr-rt-attrs': {
    prefix: 'NFTA_RT_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'key', value: 2, ...U32, enum: 'rt-keys' },
    ],
  },
  'expr-xfrm-attrs': {
    prefix: 'NFTA_XFRM_',
    attributes: [
      { name: 'dreg', value: 1, ...REG },
      { name: 'key', value: 2, ...U32, enum: 'xfrm-keys' },
      { name: 'dir', value: 3, type: 'u8', doc: 'XFRM_POLICY_IN / OUT' },
      { name: 'spnum', value: 4, ...U32 },
    ],
  },
  'expr-flow-offload-attrs': {
    prefix: 'NFTA_FLOW_',
    attributes: [{ name: 'tableName', value: 1, type: 'string', doc: 'the flowtable' }],
  },
  'expr-tunnel-attrs': {
    prefix: 'NFTA_TUNNEL_',
    attributes: [
      { name: 'key', value: 1, ...U32, enum: 'tunnel-keys' },
      { name: 'dreg', value: 2, ...REG },
      { name: 'mode', value: 3, ...U32, enum: 'tunnel-mode' },
    ],
  },
} as const satisfies Record<string, AttributeSetSpec>;

/** NFTA_EXPR_NAME -> attribute set of NFTA_EXPR_DATA. An expression not named here keeps its data as bytes. */
export const nftExprOps = {
  immediate: 'expr-immediate-attrs',
  payload: 'expr-payload-attrs',
  meta: 'expr-meta-attrs',
  cmp: 'expr-cmp-attrs',
  bitwise: 'expr-bitwise-attrs',
  byteorder: 'expr-byteorder-attrs',
  lookup: 'expr-lookup-attrs',
  range: 'expr-range-attrs',
  counter: 'expr-counter-attrs',
  ct: 'expr-ct-attrs',
  nat: 'expr-nat-attrs',
  masq: 'expr-masq-attrs',
  redir: 'expr-redir-attrs',
  reject: 'expr-reject-attrs',
  log: 'expr-log-attrs',
  limit: 'expr-limit-attrs',
  notrack: 'expr-notrack-attrs',
  fib: 'expr-fib-attrs',
  match: 'expr-match-attrs',
  target: 'expr-target-attrs',
  dynset: 'expr-dynset-attrs',
  objref: 'expr-objref-attrs',
  quota: 'expr-quota-attrs',
  connlimit: 'expr-connlimit-attrs',
  socket: 'expr-socket-attrs',
  tproxy: 'expr-tproxy-attrs',
  exthdr: 'expr-exthdr-attrs',
  hash: 'expr-hash-attrs',
  numgen: 'expr-numgen-attrs',
  queue: 'expr-queue-attrs',
  dup: 'expr-dup-attrs',
  fwd: 'expr-fwd-attrs',
  osf: 'expr-osf-attrs',
  synproxy: 'expr-synproxy-attrs',
  last: 'expr-last-attrs',
  inner: 'expr-inner-attrs',
  rt: 'expr-rt-attrs',
  xfrm: 'expr-xfrm-attrs',
  flow_offload: 'expr-flow-offload-attrs',
  tunnel: 'expr-tunnel-attrs',
} as const;
