/**
 * nf_tables over NETLINK_NETFILTER (linux/netfilter/nf_tables.h): tables, chains, rules, sets and
 * their elements, stateful objects, flowtables, the ruleset generation, and trace events. The
 * expressions rules are made of are in nf-tables-exprs.ts (their enums in nf-tables-expr-enums.ts),
 * the data of stateful objects in nf-tables-objs.ts.
 *
 * Facts from the 6.1 uapi header and upstream's newer messages and attributes (destroy*, the
 * reset gets, NFTA_SET_TYPE / COUNT), checked against the kernel's YNL spec (nftables.yaml) and
 * against what a 6.18 kernel sends (test/protocol/nf-tables-kernel.test.ts decodes whole dumps
 * with nothing left unknown and re-encodes them byte for byte). Where YNL's file is wrong about
 * the wire, the kernel wins: NFTA_SET_ELEM_FLAGS is a be32 (YNL: binary), counters, timeouts,
 * ids and intervals are big-endian (YNL: host order), NFTA_SET_EXPR and NFTA_SET_DESC_CONCAT are
 * single nests (YNL: multi-attr), and NFTA_HOOK_PRIORITY is signed.
 *
 * Every message starts with nfgenmsg (family: the table's NFPROTO_*, resId: in replies the low
 * 16 bits of the generation). nlmsg_type is (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*. Changes go
 * in batches (nfnetlink.ts: batchBegin ... batchEnd in one datagram); gets and dumps go alone.
 */
import { NETLINK_NETFILTER, NFNL_SUBSYS_NFTABLES, NFNLGRP, nfnlDefinitions } from './nfnetlink.js';
import { nftExprDefinitions } from './nf-tables-expr-enums.js';
import { nftDataAttributeSets, nftExprAttributeSets, nftExprOps } from './nf-tables-exprs.js';
import { nftCtTimeoutData, nftObjAttributeSets, nftObjData } from './nf-tables-objs.js';
import { defineFamily } from './spec.js';
import type { AttributeSetSpec, DefinitionSpec, OperationSpec } from './spec.js';

/** nlmsg_type of NFT_MSG_* n. */
const msg = <N extends number>(n: N) => ((NFNL_SUBSYS_NFTABLES << 8) | n) as number;

const U32 = { type: 'u32', byteOrder: 'big-endian' } as const;
const U64 = { type: 'u64', byteOrder: 'big-endian' } as const;
const S32 = { type: 's32', byteOrder: 'big-endian' } as const;

const nftDefinitions = {
  'table-flags': {
    type: 'flags',
    doc: 'enum nft_table_flags',
    entries: { dormant: 0x1, owner: 0x2, persist: 0x4 },
  },
  'chain-flags': {
    type: 'flags',
    doc: 'enum nft_chain_flags',
    entries: { base: 1 << 0, 'hw-offload': 1 << 1, binding: 1 << 2 },
  },
  'rule-compat-flags': { type: 'flags', doc: 'enum nft_rule_compat_flags', entries: { unused: 1 << 0, inv: 1 << 1 } },
  'set-flags': {
    type: 'flags',
    doc: 'enum nft_set_flags',
    entries: {
      anonymous: 0x1,
      constant: 0x2,
      interval: 0x4,
      map: 0x8,
      timeout: 0x10,
      eval: 0x20,
      object: 0x40,
      concat: 0x80,
      expr: 0x100,
    },
  },
  'set-policy': { type: 'enum', doc: 'enum nft_set_policies', entries: { performance: 0, memory: 1 } },
  'set-elem-flags': { type: 'flags', doc: 'enum nft_set_elem_flags', entries: { 'interval-end': 0x1, catchall: 0x2 } },
  'object-type': {
    type: 'enum',
    doc: 'NFT_OBJECT_*',
    entries: {
      unspec: 0,
      counter: 1,
      quota: 2,
      'ct-helper': 3,
      limit: 4,
      connlimit: 5,
      tunnel: 6,
      'ct-timeout': 7,
      secmark: 8,
      'ct-expect': 9,
      synproxy: 10,
    },
  },
  'flowtable-flags': { type: 'flags', doc: 'enum nft_flowtable_flags', entries: { 'hw-offload': 0x1, counter: 0x2 } },
  'trace-types': { type: 'enum', doc: 'enum nft_trace_types', entries: { unspec: 0, policy: 1, return: 2, rule: 3 } },
} as const satisfies Record<string, DefinitionSpec>;

const nftAttributeSets = {
  'table-attrs': {
    prefix: 'NFTA_TABLE_',
    attributes: [
      { name: 'name', value: 1, type: 'string' },
      { name: 'flags', value: 2, ...U32, enum: 'table-flags' },
      { name: 'use', value: 3, ...U32, doc: 'number of chains in the table' },
      { name: 'handle', value: 4, ...U64 },
      { name: 'pad', value: 5, type: 'binary' },
      { name: 'userdata', value: 6, type: 'binary', doc: 'nft TLVs (comment)' },
      { name: 'owner', value: 7, ...U32, doc: 'netlink port id of the owning socket (flags owner)' },
    ],
  },
  'chain-attrs': {
    prefix: 'NFTA_CHAIN_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'handle', value: 2, ...U64 },
      { name: 'name', value: 3, type: 'string' },
      { name: 'hook', value: 4, type: 'nest', nested: 'nft-hook-attrs', nestedFlag: 'user', doc: 'base chains: where they hook in' },
      { name: 'policy', value: 5, ...U32, enum: 'verdict-code', doc: 'base chains: accept or drop' },
      { name: 'use', value: 6, ...U32, doc: 'number of references to the chain (rules, jumps)' },
      { name: 'type', value: 7, type: 'string', doc: 'base chains: filter, nat or route' },
      { name: 'counters', value: 8, type: 'nest', nested: 'nft-counter-attrs', nestedFlag: 'user' },
      { name: 'pad', value: 9, type: 'binary' },
      { name: 'flags', value: 10, ...U32, enum: 'chain-flags' },
      { name: 'id', value: 11, ...U32, doc: 'names the chain within a transaction' },
      { name: 'userdata', value: 12, type: 'binary', doc: 'nft TLVs (comment)' },
    ],
  },
  'nft-hook-attrs': {
    prefix: 'NFTA_HOOK_',
    attributes: [
      { name: 'hooknum', value: 1, ...U32, doc: 'NF_INET_* (prerouting 0 ... postrouting 4, ingress 5) or NF_NETDEV_* by the family' },
      { name: 'priority', value: 2, ...S32 },
      { name: 'dev', value: 3, type: 'string', doc: 'netdev family: the one device' },
      { name: 'devs', value: 4, type: 'nest', nested: 'hook-dev-attrs', nestedFlag: 'user', doc: 'netdev family: several devices' },
    ],
  },
  'hook-dev-attrs': {
    prefix: 'NFTA_DEVICE_',
    attributes: [{ name: 'name', value: 1, type: 'string', multi: true }],
  },
  'nft-counter-attrs': {
    prefix: 'NFTA_COUNTER_',
    attributes: [
      { name: 'bytes', value: 1, ...U64 },
      { name: 'packets', value: 2, ...U64 },
      { name: 'pad', value: 3, type: 'binary' },
    ],
  },
  'rule-attrs': {
    prefix: 'NFTA_RULE_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'chain', value: 2, type: 'string' },
      { name: 'handle', value: 3, ...U64 },
      { name: 'expressions', value: 4, type: 'nest', nested: 'expr-list-attrs', nestedFlag: 'user' },
      { name: 'compat', value: 5, type: 'nest', nested: 'rule-compat-attrs', nestedFlag: 'user', doc: 'xt compat: the protocol of its matches' },
      { name: 'position', value: 6, ...U64, doc: 'the handle of the rule this one goes after (or before, on insert)' },
      { name: 'userdata', value: 7, type: 'binary', doc: 'nft TLVs (comment); iptables-nft: its own' },
      { name: 'pad', value: 8, type: 'binary' },
      { name: 'id', value: 9, ...U32, doc: 'names the rule within a transaction' },
      { name: 'positionId', value: 10, ...U32, doc: 'position by the id of a rule of the same transaction' },
      { name: 'chainId', value: 11, ...U32, doc: 'the chain by its id within the transaction' },
    ],
  },
  'rule-compat-attrs': {
    prefix: 'NFTA_RULE_COMPAT_',
    attributes: [
      { name: 'proto', value: 1, ...U32, doc: 'IPPROTO_*' },
      { name: 'flags', value: 2, ...U32, enum: 'rule-compat-flags' },
    ],
  },
  'set-attrs': {
    prefix: 'NFTA_SET_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'name', value: 2, type: 'string' },
      { name: 'flags', value: 3, ...U32, enum: 'set-flags' },
      { name: 'keyType', value: 4, ...U32, doc: "nft's datatype id (informational; concatenations pack 6 bits per field)" },
      { name: 'keyLen', value: 5, ...U32, doc: 'bytes' },
      { name: 'dataType', value: 6, ...U32, doc: "maps: nft's datatype id, 0xffffff00 for verdicts" },
      { name: 'dataLen', value: 7, ...U32 },
      { name: 'policy', value: 8, ...U32, enum: 'set-policy' },
      { name: 'desc', value: 9, type: 'nest', nested: 'set-desc-attrs', nestedFlag: 'user' },
      { name: 'id', value: 10, ...U32, doc: 'names the set within a transaction' },
      { name: 'timeout', value: 11, ...U64, doc: 'default element timeout, milliseconds' },
      { name: 'gcInterval', value: 12, ...U32, doc: 'milliseconds' },
      { name: 'userdata', value: 13, type: 'binary', doc: 'nft TLVs (key byte order, comment...)' },
      { name: 'pad', value: 14, type: 'binary' },
      { name: 'objType', value: 15, ...U32, enum: 'object-type', doc: 'object maps: the type of the objects' },
      { name: 'handle', value: 16, ...U64 },
      { name: 'expr', value: 17, type: 'nest', nested: 'expr-attrs', nestedFlag: 'user', doc: 'one expression for every element' },
      { name: 'expressions', value: 18, type: 'nest', nested: 'expr-list-attrs', nestedFlag: 'user' },
      { name: 'type', value: 19, type: 'string', doc: 'the backend (hash, rbtree...)' },
      { name: 'count', value: 20, ...U32, doc: 'number of elements' },
    ],
  },
  'set-desc-attrs': {
    prefix: 'NFTA_SET_DESC_',
    attributes: [
      { name: 'size', value: 1, ...U32 },
      { name: 'concat', value: 2, type: 'nest', nested: 'set-desc-concat-attrs', nestedFlag: 'user', doc: 'the fields of a concatenated key' },
    ],
  },
  'set-desc-concat-attrs': {
    prefix: 'NFTA_LIST_',
    attributes: [{ name: 'elem', value: 1, type: 'nest', nested: 'set-field-attrs', nestedFlag: 'user', multi: true }],
  },
  'set-field-attrs': {
    prefix: 'NFTA_SET_FIELD_',
    attributes: [{ name: 'len', value: 1, ...U32, doc: 'bytes' }],
  },
  'setelem-list-attrs': {
    prefix: 'NFTA_SET_ELEM_LIST_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'set', value: 2, type: 'string' },
      { name: 'elements', value: 3, type: 'nest', nested: 'setelem-list-elem-attrs', nestedFlag: 'user' },
      { name: 'setId', value: 4, ...U32, doc: 'the set by its id within the transaction' },
    ],
  },
  'setelem-list-elem-attrs': {
    prefix: 'NFTA_LIST_',
    attributes: [{ name: 'elem', value: 1, type: 'nest', nested: 'setelem-attrs', nestedFlag: 'user', multi: true }],
  },
  'setelem-attrs': {
    prefix: 'NFTA_SET_ELEM_',
    attributes: [
      { name: 'key', value: 1, type: 'nest', nested: 'data-attrs', nestedFlag: 'user' },
      { name: 'data', value: 2, type: 'nest', nested: 'data-attrs', nestedFlag: 'user', doc: 'maps: the value (or verdict)' },
      { name: 'flags', value: 3, ...U32, enum: 'set-elem-flags' },
      { name: 'timeout', value: 4, ...U64, doc: 'milliseconds' },
      { name: 'expiration', value: 5, ...U64, doc: 'milliseconds left' },
      { name: 'userdata', value: 6, type: 'binary', doc: 'nft TLVs (comment, interval-end flag)' },
      { name: 'expr', value: 7, type: 'nest', nested: 'expr-attrs', nestedFlag: 'user' },
      { name: 'pad', value: 8, type: 'binary' },
      { name: 'objref', value: 9, type: 'string', doc: 'object maps: the object' },
      { name: 'keyEnd', value: 10, type: 'nest', nested: 'data-attrs', nestedFlag: 'user', doc: 'intervals of concatenations: the last key' },
      { name: 'expressions', value: 11, type: 'nest', nested: 'expr-list-attrs', nestedFlag: 'user' },
    ],
  },
  'gen-attrs': {
    prefix: 'NFTA_GEN_',
    attributes: [
      { name: 'id', value: 1, ...U32, doc: 'the ruleset generation' },
      { name: 'procPid', value: 2, ...U32, doc: 'the process that made the change' },
      { name: 'procName', value: 3, type: 'string' },
    ],
  },
  'obj-attrs': {
    prefix: 'NFTA_OBJ_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'name', value: 2, type: 'string' },
      { name: 'type', value: 3, ...U32, enum: 'object-type' },
      { name: 'data', value: 4, type: 'sub-message', subMessage: 'obj-data', selector: 'type', nestedFlag: 'user' },
      { name: 'use', value: 5, ...U32 },
      { name: 'handle', value: 6, ...U64 },
      { name: 'pad', value: 7, type: 'binary' },
      { name: 'userdata', value: 8, type: 'binary', doc: 'nft TLVs (comment)' },
    ],
  },
  'flowtable-attrs': {
    prefix: 'NFTA_FLOWTABLE_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'name', value: 2, type: 'string' },
      { name: 'hook', value: 3, type: 'nest', nested: 'flowtable-hook-attrs', nestedFlag: 'user' },
      { name: 'use', value: 4, ...U32 },
      { name: 'handle', value: 5, ...U64 },
      { name: 'pad', value: 6, type: 'binary' },
      { name: 'flags', value: 7, ...U32, enum: 'flowtable-flags' },
    ],
  },
  'flowtable-hook-attrs': {
    prefix: 'NFTA_FLOWTABLE_HOOK_',
    attributes: [
      { name: 'num', value: 1, ...U32, doc: 'NF_NETDEV_INGRESS' },
      { name: 'priority', value: 2, ...S32 },
      { name: 'devs', value: 3, type: 'nest', nested: 'hook-dev-attrs', nestedFlag: 'user' },
    ],
  },
  'trace-attrs': {
    prefix: 'NFTA_TRACE_',
    attributes: [
      { name: 'table', value: 1, type: 'string' },
      { name: 'chain', value: 2, type: 'string' },
      { name: 'ruleHandle', value: 3, ...U64 },
      { name: 'type', value: 4, ...U32, enum: 'trace-types' },
      { name: 'verdict', value: 5, type: 'nest', nested: 'verdict-attrs', nestedFlag: 'user' },
      { name: 'id', value: 6, ...U32 },
      { name: 'llHeader', value: 7, type: 'binary' },
      { name: 'networkHeader', value: 8, type: 'binary' },
      { name: 'transportHeader', value: 9, type: 'binary' },
      { name: 'iif', value: 10, ...U32 },
      { name: 'iiftype', value: 11, type: 'u16', byteOrder: 'big-endian' },
      { name: 'oif', value: 12, ...U32 },
      { name: 'oiftype', value: 13, type: 'u16', byteOrder: 'big-endian' },
      { name: 'mark', value: 14, ...U32 },
      { name: 'nfproto', value: 15, ...U32, enum: 'nfproto' },
      { name: 'policy', value: 16, ...U32, enum: 'verdict-code' },
      { name: 'pad', value: 17, type: 'binary' },
    ],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// What the kernel puts in its messages (nf_tables_fill_*_info, 6.18), and what its handlers read.
const TABLE_ALL = ['name', 'flags', 'use', 'handle', 'userdata', 'owner'] as const;
const CHAIN_ALL = ['table', 'handle', 'name', 'hook', 'policy', 'use', 'type', 'counters', 'flags', 'userdata'] as const;
const CHAIN_NEW = ['table', 'handle', 'name', 'hook', 'policy', 'type', 'counters', 'flags', 'id', 'userdata'] as const;
const RULE_ALL = ['table', 'chain', 'handle', 'position', 'expressions', 'userdata'] as const;
const RULE_NEW = ['table', 'chain', 'chainId', 'handle', 'position', 'positionId', 'expressions', 'compat', 'userdata', 'id'] as const;
const SET_ALL = [
  'table',
  'name',
  'handle',
  'flags',
  'keyType',
  'keyLen',
  'dataType',
  'dataLen',
  'objType',
  'timeout',
  'gcInterval',
  'policy',
  'userdata',
  'desc',
  'expr',
  'expressions',
  'type',
  'count',
] as const;
const SET_NEW = [
  'table',
  'name',
  'flags',
  'keyType',
  'keyLen',
  'dataType',
  'dataLen',
  'policy',
  'desc',
  'id',
  'timeout',
  'gcInterval',
  'userdata',
  'objType',
  'expr',
  'expressions',
] as const;
const SETELEM_ALL = ['table', 'set', 'elements'] as const;
const TABLE_SET = ['table', 'set'] as const;
const TABLE_CHAIN = ['table', 'chain'] as const;
const RULE_ONE = ['table', 'chain', 'handle'] as const;
const RULE_DEL = ['table', 'chain', 'chainId', 'handle', 'id'] as const;
const CHAIN_DEL = ['table', 'handle', 'name', 'hook'] as const;
const SETELEM_NEW = ['table', 'set', 'elements', 'setId'] as const;
const GEN_ALL = ['id', 'procPid', 'procName'] as const;
const OBJ_ALL = ['table', 'name', 'type', 'handle', 'data', 'use', 'userdata'] as const;
const FLOWTABLE_ALL = ['table', 'name', 'handle', 'use', 'flags', 'hook'] as const;
const FLOWTABLE_DEL = ['table', 'name', 'handle', 'hook'] as const;
const TRACE_ALL = [
  'table',
  'chain',
  'ruleHandle',
  'type',
  'verdict',
  'id',
  'llHeader',
  'networkHeader',
  'transportHeader',
  'iif',
  'iiftype',
  'oif',
  'oiftype',
  'mark',
  'nfproto',
  'policy',
] as const;

/** A get with its do (one object) and dump (all, or those of one table) forms. */
function getOp<M extends string, R extends string>(
  doc: string,
  message: M,
  reply: R,
  one: readonly string[],
  all: readonly string[],
  attrs: readonly string[],
) {
  return {
    doc,
    do: { request: { message, attributes: one }, reply: { message: reply, attributes: attrs } },
    dump: { request: { message, attributes: all }, reply: { message: reply, attributes: attrs } },
  } as const satisfies OperationSpec;
}

/** A change (sent in a batch) and the notification it causes. */
function changeOp<M extends string, E extends string>(doc: string, message: M, request: readonly string[], event: E, eventAttrs: readonly string[]) {
  return {
    doc,
    do: { request: { message, attributes: request } },
    event: { message: event, attributes: eventAttrs },
    mcgrp: 'nftables',
  } as const satisfies OperationSpec;
}

/** A change whose notification is another operation's (destroy* notifies as del*). */
function doOp<M extends string>(doc: string, message: M, request: readonly string[]) {
  return { doc, do: { request: { message, attributes: request } } } as const satisfies OperationSpec;
}

export const nftablesSpec = defineFamily({
  name: 'nftables',
  doc: 'nf_tables: tables, chains, rules, sets, objects and flowtables (NFT_MSG_*, NETLINK_NETFILTER subsystem 10)',
  protocol: NETLINK_NETFILTER,
  definitions: { ...nfnlDefinitions, ...nftExprDefinitions, ...nftDefinitions },
  attributeSets: { ...nftAttributeSets, ...nftDataAttributeSets, ...nftExprAttributeSets, ...nftObjAttributeSets },
  subMessages: { 'expr-ops': nftExprOps, 'obj-data': nftObjData, 'ct-timeout-data': nftCtTimeoutData },
  messages: {
    newtable: { value: msg(0), header: 'nfgenmsg', attributes: 'table-attrs' },
    gettable: { value: msg(1), header: 'nfgenmsg', attributes: 'table-attrs' },
    deltable: { value: msg(2), header: 'nfgenmsg', attributes: 'table-attrs' },
    newchain: { value: msg(3), header: 'nfgenmsg', attributes: 'chain-attrs' },
    getchain: { value: msg(4), header: 'nfgenmsg', attributes: 'chain-attrs' },
    delchain: { value: msg(5), header: 'nfgenmsg', attributes: 'chain-attrs' },
    newrule: { value: msg(6), header: 'nfgenmsg', attributes: 'rule-attrs' },
    getrule: { value: msg(7), header: 'nfgenmsg', attributes: 'rule-attrs' },
    delrule: { value: msg(8), header: 'nfgenmsg', attributes: 'rule-attrs' },
    newset: { value: msg(9), header: 'nfgenmsg', attributes: 'set-attrs' },
    getset: { value: msg(10), header: 'nfgenmsg', attributes: 'set-attrs' },
    delset: { value: msg(11), header: 'nfgenmsg', attributes: 'set-attrs' },
    newsetelem: { value: msg(12), header: 'nfgenmsg', attributes: 'setelem-list-attrs' },
    getsetelem: { value: msg(13), header: 'nfgenmsg', attributes: 'setelem-list-attrs' },
    delsetelem: { value: msg(14), header: 'nfgenmsg', attributes: 'setelem-list-attrs' },
    newgen: { value: msg(15), header: 'nfgenmsg', attributes: 'gen-attrs', doc: 'the generation: reply to getgen, and after every commit' },
    getgen: { value: msg(16), header: 'nfgenmsg', attributes: 'gen-attrs' },
    trace: { value: msg(17), header: 'nfgenmsg', attributes: 'trace-attrs', doc: 'nftrace events (group nftrace)' },
    newobj: { value: msg(18), header: 'nfgenmsg', attributes: 'obj-attrs' },
    getobj: { value: msg(19), header: 'nfgenmsg', attributes: 'obj-attrs' },
    delobj: { value: msg(20), header: 'nfgenmsg', attributes: 'obj-attrs' },
    getobjReset: { value: msg(21), header: 'nfgenmsg', attributes: 'obj-attrs', doc: 'get and reset counters and quotas' },
    newflowtable: { value: msg(22), header: 'nfgenmsg', attributes: 'flowtable-attrs' },
    getflowtable: { value: msg(23), header: 'nfgenmsg', attributes: 'flowtable-attrs' },
    delflowtable: { value: msg(24), header: 'nfgenmsg', attributes: 'flowtable-attrs' },
    getruleReset: { value: msg(25), header: 'nfgenmsg', attributes: 'rule-attrs', doc: 'get rules and reset their stateful expressions' },
    destroytable: { value: msg(26), header: 'nfgenmsg', attributes: 'table-attrs', doc: 'delete, and no error when absent' },
    destroychain: { value: msg(27), header: 'nfgenmsg', attributes: 'chain-attrs' },
    destroyrule: { value: msg(28), header: 'nfgenmsg', attributes: 'rule-attrs' },
    destroyset: { value: msg(29), header: 'nfgenmsg', attributes: 'set-attrs' },
    destroysetelem: { value: msg(30), header: 'nfgenmsg', attributes: 'setelem-list-attrs' },
    destroyobj: { value: msg(31), header: 'nfgenmsg', attributes: 'obj-attrs' },
    destroyflowtable: { value: msg(32), header: 'nfgenmsg', attributes: 'flowtable-attrs' },
    getsetelemReset: { value: msg(33), header: 'nfgenmsg', attributes: 'setelem-list-attrs', doc: 'get elements and reset their expressions' },
  },
  mcastGroups: [
    { name: 'nftables', value: NFNLGRP.NFTABLES },
    { name: 'nftrace', value: NFNLGRP.NFTRACE },
  ],
  operations: {
    gettable: getOp('one table by name, or every table (of a family unless unspec)', 'gettable', 'newtable', ['name'], [], TABLE_ALL),
    getchain: getOp('one chain, or every chain (of a table)', 'getchain', 'newchain', ['table', 'name'], ['table'], CHAIN_ALL),
    getrule: getOp('one rule by handle, or every rule (of a table, of a chain)', 'getrule', 'newrule', RULE_ONE, TABLE_CHAIN, RULE_ALL),
    getruleReset: getOp('rules, their counters and quotas reset', 'getruleReset', 'newrule', RULE_ONE, TABLE_CHAIN, RULE_ALL),
    getset: getOp('one set, or every set (of a table)', 'getset', 'newset', ['table', 'name'], ['table'], SET_ALL),
    getsetelem: getOp('elements of one set', 'getsetelem', 'newsetelem', SETELEM_ALL, TABLE_SET, SETELEM_ALL),
    getsetelemReset: getOp('elements, their expressions reset', 'getsetelemReset', 'newsetelem', SETELEM_ALL, TABLE_SET, SETELEM_ALL),
    getobj: getOp('one object, or every object (of a table, of a type)', 'getobj', 'newobj', ['table', 'name', 'type'], ['table', 'type'], OBJ_ALL),
    getobjReset: getOp('objects, reset', 'getobjReset', 'newobj', ['table', 'name', 'type'], ['table', 'type'], OBJ_ALL),
    getflowtable: getOp('one flowtable, or all (of a table)', 'getflowtable', 'newflowtable', ['table', 'name'], ['table'], FLOWTABLE_ALL),
    getgen: {
      doc: 'the ruleset generation',
      do: { request: { message: 'getgen', attributes: [] }, reply: { message: 'newgen', attributes: GEN_ALL } },
    },
    newgen: { doc: 'a transaction was committed', event: { message: 'newgen', attributes: GEN_ALL }, mcgrp: 'nftables' },
    newtable: changeOp('add (or update the flags of) a table', 'newtable', ['name', 'flags', 'userdata'], 'newtable', TABLE_ALL),
    deltable: changeOp('delete a table and all it holds', 'deltable', ['name', 'handle'], 'deltable', TABLE_ALL),
    destroytable: doOp('delete a table if it exists', 'destroytable', ['name', 'handle']),
    newchain: changeOp('add (or update) a chain', 'newchain', CHAIN_NEW, 'newchain', CHAIN_ALL),
    delchain: changeOp('delete an empty chain (or devices of a netdev base chain)', 'delchain', CHAIN_DEL, 'delchain', CHAIN_ALL),
    destroychain: doOp('delete a chain if it exists', 'destroychain', CHAIN_DEL),
    newrule: changeOp('add, insert or replace a rule', 'newrule', RULE_NEW, 'newrule', RULE_ALL),
    delrule: changeOp('delete a rule, or every rule of a chain or table', 'delrule', RULE_DEL, 'delrule', RULE_ALL),
    destroyrule: doOp('delete a rule if it exists', 'destroyrule', RULE_DEL),
    newset: changeOp('add a set or map', 'newset', SET_NEW, 'newset', SET_ALL),
    delset: changeOp('delete a set', 'delset', ['table', 'name', 'handle'], 'delset', SET_ALL),
    destroyset: doOp('delete a set if it exists', 'destroyset', ['table', 'name', 'handle']),
    newsetelem: changeOp('add elements', 'newsetelem', SETELEM_NEW, 'newsetelem', SETELEM_ALL),
    delsetelem: changeOp('delete elements (all, without elements)', 'delsetelem', SETELEM_NEW, 'delsetelem', SETELEM_ALL),
    destroysetelem: doOp('delete elements that exist', 'destroysetelem', SETELEM_NEW),
    newobj: changeOp('add (or update) a stateful object', 'newobj', ['table', 'name', 'type', 'data', 'userdata'], 'newobj', OBJ_ALL),
    delobj: changeOp('delete a stateful object', 'delobj', ['table', 'name', 'type', 'handle'], 'delobj', OBJ_ALL),
    destroyobj: doOp('delete a stateful object if it exists', 'destroyobj', ['table', 'name', 'type', 'handle']),
    newflowtable: changeOp('add (or add devices to) a flowtable', 'newflowtable', ['table', 'name', 'hook', 'flags'], 'newflowtable', FLOWTABLE_ALL),
    delflowtable: changeOp('delete a flowtable (or devices of it)', 'delflowtable', FLOWTABLE_DEL, 'delflowtable', FLOWTABLE_ALL),
    destroyflowtable: doOp('delete a flowtable if it exists', 'destroyflowtable', FLOWTABLE_DEL),
    trace: {
      doc: 'a traced packet passed a rule, chain policy or return',
      event: {
        message: 'trace',
        attributes: TRACE_ALL,
      },
      mcgrp: 'nftrace',
    },
  },
});
