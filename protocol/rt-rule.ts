/**
 * Policy routing rules: RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE (linux/fib_rules.h).
 * FRA_DSCP and later attributes are newer than the 6.1 headers (kernel 6.10-6.16).
 */
import { addressFamilyEnum, rtProtocolEnum, rtTableEnum } from './rt-common.js';
import { defineFamily } from './spec.js';

/**
 * A rule's attributes, as fib_nl2rule() and the families' configure and fill read and write them
 * (net/core/fib_rules.c, net/ipv4/fib_rules.c, net/ipv6/fib6_rules.c): YNL's list plus src and dst.
 */
const RULE_ALL = [
  'iifname',
  'oifname',
  'priority',
  'fwmark',
  'flow',
  'tunId',
  'fwmask',
  'table',
  'suppressPrefixlen',
  'suppressIfgroup',
  'goto',
  'l3mdev',
  'uidRange',
  'protocol',
  'ipProto',
  'sportRange',
  'dportRange',
  'dscp',
  'flowlabel',
  'flowlabelMask',
  'sportMask',
  'dportMask',
  'dscpMask',
  'src',
  'dst',
] as const;

export const rtRuleSpec = defineFamily({
  name: 'rt-rule',
  doc: 'Policy routing rules (RTM_*RULE)',
  protocol: 0,
  definitions: {
    'address-family': addressFamilyEnum,
    'rt-table': rtTableEnum,
    'rt-protocol': rtProtocolEnum,
    'fib-rule-hdr': {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'dstLen', type: 'u8' },
        { name: 'srcLen', type: 'u8' },
        { name: 'tos', type: 'u8' },
        { name: 'table', type: 'u8', enum: 'rt-table', doc: 'table id if < 256 (FRA_TABLE holds the full id)' },
        { name: 'res1', type: 'pad', len: 1 },
        { name: 'res2', type: 'pad', len: 1 },
        { name: 'action', type: 'u8', enum: 'fr-act' },
        { name: 'flags', type: 'u32', enum: 'fib-rule-flags' },
      ],
    },
    'fr-act': {
      type: 'enum',
      doc: 'FR_ACT_*',
      entries: {
        unspec: 0,
        to_tbl: 1,
        goto: 2,
        nop: 3,
        res3: 4,
        res4: 5,
        blackhole: 6,
        unreachable: 7,
        prohibit: 8,
      },
    },
    'fib-rule-flags': {
      type: 'flags',
      doc: 'FIB_RULE_* (dev_detached is the older name of iif_detached)',
      entries: {
        permanent: 0x1,
        invert: 0x2,
        unresolved: 0x4,
        iif_detached: 0x8,
        oif_detached: 0x10,
        find_saddr: 0x10000,
      },
    },
    'fib-rule-port-range': {
      type: 'struct',
      members: [
        { name: 'start', type: 'u16' },
        { name: 'end', type: 'u16' },
      ],
    },
    'fib-rule-uid-range': {
      type: 'struct',
      members: [
        { name: 'start', type: 'u32' },
        { name: 'end', type: 'u32' },
      ],
    },
  },
  attributeSets: {
    rule: {
      prefix: 'FRA_',
      attributes: [
        { name: 'dst', value: 1, type: 'binary', display: 'ipaddr' },
        { name: 'src', value: 2, type: 'binary', display: 'ipaddr' },
        { name: 'iifname', value: 3, type: 'string' },
        { name: 'goto', value: 4, type: 'u32', doc: 'priority of the rule to jump to (action goto)' },
        { name: 'priority', value: 6, type: 'u32' },
        { name: 'fwmark', value: 10, type: 'u32' },
        { name: 'flow', value: 11, type: 'u32', doc: 'realms: (from << 16) | to' },
        { name: 'tunId', value: 12, type: 'u64', byteOrder: 'big-endian' },
        { name: 'suppressIfgroup', value: 13, type: 'u32' },
        { name: 'suppressPrefixlen', value: 14, type: 'u32' },
        { name: 'table', value: 15, type: 'u32', enum: 'rt-table' },
        { name: 'fwmask', value: 16, type: 'u32' },
        { name: 'oifname', value: 17, type: 'string' },
        { name: 'pad', value: 18, type: 'binary' },
        { name: 'l3mdev', value: 19, type: 'u8' },
        { name: 'uidRange', value: 20, type: 'struct', struct: 'fib-rule-uid-range' },
        { name: 'protocol', value: 21, type: 'u8', enum: 'rt-protocol' },
        { name: 'ipProto', value: 22, type: 'u8' },
        { name: 'sportRange', value: 23, type: 'struct', struct: 'fib-rule-port-range' },
        { name: 'dportRange', value: 24, type: 'struct', struct: 'fib-rule-port-range' },
        { name: 'dscp', value: 25, type: 'u8', doc: 'DSCP value (0..63), kernel 6.10' },
        { name: 'flowlabel', value: 26, type: 'u32', byteOrder: 'big-endian', doc: 'IPv6 flow label, kernel 6.14' },
        { name: 'flowlabelMask', value: 27, type: 'u32', byteOrder: 'big-endian' },
        { name: 'sportMask', value: 28, type: 'u16', doc: 'kernel 6.15' },
        { name: 'dportMask', value: 29, type: 'u16' },
        { name: 'dscpMask', value: 30, type: 'u8', doc: 'kernel 6.15' },
      ],
    },
  },
  messages: {
    newrule: { value: 32, header: 'fib-rule-hdr', attributes: 'rule' },
    delrule: { value: 33, header: 'fib-rule-hdr', attributes: 'rule' },
    getrule: { value: 34, header: 'fib-rule-hdr', attributes: 'rule' },
  },
  mcastGroups: [
    { name: 'ipv4Rule', value: 8 },
    { name: 'ipv6Rule', value: 19 },
  ],
  operations: {
    newrule: { doc: 'add a rule', do: { request: { message: 'newrule', attributes: RULE_ALL } } },
    delrule: { doc: 'delete the rule that matches', do: { request: { message: 'delrule', attributes: RULE_ALL } } },
    // fib_valid_dumprule_req(): nothing after the header. There is no do form (EOPNOTSUPP).
    getrule: {
      doc: 'dump the rules',
      dump: { request: { message: 'getrule', attributes: [] }, reply: { message: 'newrule', attributes: RULE_ALL } },
    },
    // The group is the address family's: ipv4Rule or ipv6Rule.
    newruleNtf: { doc: 'a rule was added', event: { message: 'newrule', attributes: RULE_ALL } },
    delruleNtf: { doc: 'a rule was deleted', event: { message: 'delrule', attributes: RULE_ALL } },
  },
});
