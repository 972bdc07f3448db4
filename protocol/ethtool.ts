/**
 * ethtool over generic netlink (linux/ethtool_netlink.h, ethtool.h): device features (offloads),
 * link settings and state, channels, rings, private flags, wake-on-LAN and debug levels, string
 * sets, and the `monitor` notification group.
 *
 * Facts from the 6.1 uapi headers, extended with what a 6.18 kernel sends (checked against the
 * kernel's YNL spec ethtool.yaml). Message ids are directional: requests count ETHTOOL_MSG_*
 * user-to-kernel, replies and notifications count ETHTOOL_MSG_*_REPLY / _NTF kernel-to-user, so
 * FEATURES_GET (11) and FEATURES_GET_REPLY (11) share a number, as do PRIVFLAGS_GET and
 * FEATURES_NTF (13): `sentBy` tells them apart.
 *
 * Every request starts with a header nest (ETHTOOL_A_*_HEADER, attribute 1 of each set): the
 * device by index or name, and flags. Bit sets (features, link modes...) come compact (a u32
 * array of values, one of masks, and the size; names from the string sets) with
 * ETHTOOL_FLAG_COMPACT_BITSETS, else verbose (one nest per bit with its index and name).
 */
import { linkModeBitEnum } from './ethtool-link-modes.js';
import { NETLINK_GENERIC, genlDefinitions, genlMessageIds } from './genetlink.js';
import { type AttrSpec, defineFamily } from './spec.js';

/** Attribute 1 of every message set: which device, and how to answer (ETHTOOL_A_*_HEADER). */
const HEADER = { name: 'header', value: 1, type: 'nest', nested: 'header', nestedFlag: true } as const satisfies AttrSpec;

/** A bit set attribute (ETHTOOL_A_BITSET_* nest). */
function bitset<N extends string, V extends number>(name: N, value: V, doc: string) {
  return { name, value, type: 'nest', nested: 'bitset', nestedFlag: true, doc } as const;
}

const FEATURE_ATTRS = ['header', 'hw', 'wanted', 'active', 'nochange'] as const;
const LINKINFO_ATTRS = ['header', 'port', 'phyaddr', 'tpMdix', 'tpMdixCtrl', 'transceiver'] as const;
const LINKMODES_ATTRS = [
  'header',
  'autoneg',
  'ours',
  'peer',
  'speed',
  'duplex',
  'masterSlaveCfg',
  'masterSlaveState',
  'lanes',
  'rateMatching',
] as const;
const RINGS_ATTRS = [
  'header',
  'rxMax',
  'rxMiniMax',
  'rxJumboMax',
  'txMax',
  'rx',
  'rxMini',
  'rxJumbo',
  'tx',
  'rxBufLen',
  'tcpDataSplit',
  'cqeSize',
  'txPush',
  'rxPush',
  'txPushBufLen',
  'txPushBufLenMax',
  'hdsThresh',
  'hdsThreshMax',
] as const;
const RINGS_SET_ATTRS = [
  'header',
  'rx',
  'rxMini',
  'rxJumbo',
  'tx',
  'rxBufLen',
  'tcpDataSplit',
  'cqeSize',
  'txPush',
  'rxPush',
  'txPushBufLen',
  'hdsThresh',
] as const;
const CHANNELS_ATTRS = ['header', 'rxMax', 'txMax', 'otherMax', 'combinedMax', 'rxCount', 'txCount', 'otherCount', 'combinedCount'] as const;
const CHANNELS_SET_ATTRS = ['header', 'rxCount', 'txCount', 'otherCount', 'combinedCount'] as const;

/** A get operation (do and dump alike: the request is the header) and its reply message. */
function getOp<R extends string, A extends readonly string[]>(request: string, reply: R, attributes: A, doc: string) {
  const mode = { request: { message: request, attributes: ['header'] }, reply: { message: reply, attributes } } as const;
  return { doc, do: mode, dump: mode } as const;
}

/** A notification of the `monitor` group. */
function ntf<M extends string, A extends readonly string[]>(message: M, attributes: A) {
  return { event: { message, attributes }, mcgrp: 'monitor' } as const;
}

export const ethtoolSpec = defineFamily({
  name: 'ethtool',
  doc: 'Device settings through ethtool netlink (ETHTOOL_MSG_*)',
  protocol: NETLINK_GENERIC,
  messageIds: genlMessageIds,
  definitions: {
    ...genlDefinitions,
    'header-flags': {
      type: 'flags',
      doc: 'ETHTOOL_FLAG_*: how the kernel answers',
      entries: { 'compact-bitsets': 1 << 0, 'omit-reply': 1 << 1, stats: 1 << 2 },
    },
    stringset: {
      type: 'enum',
      doc: 'ETH_SS_* string set ids (enum ethtool_stringset)',
      entries: {
        test: 0,
        stats: 1,
        'priv-flags': 2,
        'ntuple-filters': 3,
        features: 4,
        'rss-hash-funcs': 5,
        tunables: 6,
        'phy-stats': 7,
        'phy-tunables': 8,
        'link-modes': 9,
        'msg-classes': 10,
        'wol-modes': 11,
        'sof-timestamping': 12,
        'ts-tx-types': 13,
        'ts-rx-filters': 14,
        'udp-tunnel-types': 15,
        'stats-std': 16,
        'stats-eth-phy': 17,
        'stats-eth-mac': 18,
        'stats-eth-ctrl': 19,
        'stats-rmon': 20,
      },
    },
    port: {
      type: 'enum',
      doc: 'PORT_*: the connector (ETHTOOL_A_LINKINFO_PORT)',
      entries: { tp: 0x00, aui: 0x01, mii: 0x02, fibre: 0x03, bnc: 0x04, da: 0x05, none: 0xef, other: 0xff },
    },
    transceiver: { type: 'enum', doc: 'XCVR_*', entries: { internal: 0, external: 1 } },
    'tp-mdi': {
      type: 'enum',
      doc: 'ETH_TP_MDI_*: MDI(-X) status, and control (auto is control only)',
      entries: { invalid: 0, mdi: 1, 'mdi-x': 2, auto: 3 },
    },
    duplex: { type: 'enum', doc: 'DUPLEX_*', entries: { half: 0x00, full: 0x01, unknown: 0xff } },
    'master-slave-cfg': {
      type: 'enum',
      doc: 'MASTER_SLAVE_CFG_*',
      entries: { unsupported: 0, unknown: 1, 'master-preferred': 2, 'slave-preferred': 3, 'master-force': 4, 'slave-force': 5 },
    },
    'master-slave-state': {
      type: 'enum',
      doc: 'MASTER_SLAVE_STATE_*',
      entries: { unsupported: 0, unknown: 1, master: 2, slave: 3, err: 4 },
    },
    'rate-matching': { type: 'enum', doc: 'RATE_MATCH_*', entries: { none: 0, pause: 1, crs: 2, 'open-loop': 3 } },
    'tcp-data-split': { type: 'enum', doc: 'ETHTOOL_TCP_DATA_SPLIT_*', entries: { unknown: 0, disabled: 1, enabled: 2 } },
    'link-ext-state': {
      type: 'enum',
      doc: 'ETHTOOL_LINK_EXT_STATE_*: why the link is down',
      entries: {
        autoneg: 0,
        'link-training-failure': 1,
        'link-logical-mismatch': 2,
        'bad-signal-integrity': 3,
        'no-cable': 4,
        'cable-issue': 5,
        'eeprom-issue': 6,
        'calibration-failure': 7,
        'power-budget-exceeded': 8,
        overheat: 9,
        module: 10,
      },
    },
    'link-mode-bit': linkModeBitEnum,
  },
  attributeSets: {
    header: {
      prefix: 'ETHTOOL_A_HEADER_',
      attributes: [
        { name: 'devIndex', value: 1, type: 'u32', doc: 'the device by index' },
        { name: 'devName', value: 2, type: 'string', doc: 'the device by name (or altname)' },
        { name: 'flags', value: 3, type: 'u32', enum: 'header-flags' },
        { name: 'phyIndex', value: 4, type: 'u32', doc: 'a PHY of the device (6.12+)' },
      ],
    },
    'bitset-bit': {
      prefix: 'ETHTOOL_A_BITSET_BIT_',
      attributes: [
        { name: 'index', value: 1, type: 'u32' },
        { name: 'name', value: 2, type: 'string' },
        { name: 'value', value: 3, type: 'flag', doc: 'the bit is set (listed bits without it are in the mask only)' },
      ],
    },
    'bitset-bits': {
      prefix: 'ETHTOOL_A_BITSET_BITS_',
      attributes: [{ name: 'bit', value: 1, type: 'nest', nested: 'bitset-bit', multi: true, nestedFlag: true }],
    },
    bitset: {
      prefix: 'ETHTOOL_A_BITSET_',
      attributes: [
        { name: 'nomask', value: 1, type: 'flag', doc: 'a list (the set bits), not a value with a mask' },
        { name: 'size', value: 2, type: 'u32', doc: 'number of bits (compact form)' },
        { name: 'bits', value: 3, type: 'nest', nested: 'bitset-bits', nestedFlag: true, doc: 'verbose form: one nest per bit' },
        { name: 'value', value: 4, type: 'binary', subType: 'u32', doc: 'compact form: the bits, 32 to a word' },
        { name: 'mask', value: 5, type: 'binary', subType: 'u32', doc: 'compact form: which bits `value` speaks for' },
      ],
    },
    string: {
      prefix: 'ETHTOOL_A_STRING_',
      attributes: [
        { name: 'index', value: 1, type: 'u32' },
        { name: 'value', value: 2, type: 'string' },
      ],
    },
    strings: {
      prefix: 'ETHTOOL_A_STRINGS_',
      attributes: [{ name: 'string', value: 1, type: 'nest', nested: 'string', multi: true, nestedFlag: true }],
    },
    stringset: {
      prefix: 'ETHTOOL_A_STRINGSET_',
      attributes: [
        { name: 'id', value: 1, type: 'u32', enum: 'stringset' },
        { name: 'count', value: 2, type: 'u32' },
        { name: 'strings', value: 3, type: 'nest', nested: 'strings', multi: true, nestedFlag: true },
      ],
    },
    stringsets: {
      prefix: 'ETHTOOL_A_STRINGSETS_',
      attributes: [{ name: 'stringset', value: 1, type: 'nest', nested: 'stringset', multi: true, nestedFlag: true }],
    },
    strset: {
      prefix: 'ETHTOOL_A_STRSET_',
      attributes: [
        HEADER,
        { name: 'stringsets', value: 2, type: 'nest', nested: 'stringsets', nestedFlag: true },
        { name: 'countsOnly', value: 3, type: 'flag' },
      ],
    },
    linkinfo: {
      prefix: 'ETHTOOL_A_LINKINFO_',
      attributes: [
        HEADER,
        { name: 'port', value: 2, type: 'u8', enum: 'port' },
        { name: 'phyaddr', value: 3, type: 'u8' },
        { name: 'tpMdix', value: 4, type: 'u8', enum: 'tp-mdi' },
        { name: 'tpMdixCtrl', value: 5, type: 'u8', enum: 'tp-mdi' },
        { name: 'transceiver', value: 6, type: 'u8', enum: 'transceiver' },
      ],
    },
    linkmodes: {
      prefix: 'ETHTOOL_A_LINKMODES_',
      attributes: [
        HEADER,
        { name: 'autoneg', value: 2, type: 'u8', doc: 'AUTONEG_DISABLE 0, AUTONEG_ENABLE 1' },
        bitset('ours', 3, 'link modes: the mask is what the device supports, the value what it advertises'),
        bitset('peer', 4, 'link modes the link partner advertises'),
        { name: 'speed', value: 5, type: 'u32', doc: 'Mb/s; 0xffffffff (SPEED_UNKNOWN) when unknown' },
        { name: 'duplex', value: 6, type: 'u8', enum: 'duplex' },
        { name: 'masterSlaveCfg', value: 7, type: 'u8', enum: 'master-slave-cfg' },
        { name: 'masterSlaveState', value: 8, type: 'u8', enum: 'master-slave-state' },
        { name: 'lanes', value: 9, type: 'u32' },
        { name: 'rateMatching', value: 10, type: 'u8', enum: 'rate-matching' },
      ],
    },
    linkstate: {
      prefix: 'ETHTOOL_A_LINKSTATE_',
      attributes: [
        HEADER,
        { name: 'link', value: 2, type: 'u8', doc: 'carrier: 1 up' },
        { name: 'sqi', value: 3, type: 'u32', doc: 'signal quality index' },
        { name: 'sqiMax', value: 4, type: 'u32' },
        { name: 'extState', value: 5, type: 'u8', enum: 'link-ext-state' },
        { name: 'extSubstate', value: 6, type: 'u8' },
        { name: 'extDownCnt', value: 7, type: 'u32', doc: 'times the link went down' },
      ],
    },
    debug: {
      prefix: 'ETHTOOL_A_DEBUG_',
      attributes: [HEADER, bitset('msgmask', 2, 'driver message classes (NETIF_MSG_*)')],
    },
    wol: {
      prefix: 'ETHTOOL_A_WOL_',
      attributes: [
        HEADER,
        bitset('modes', 2, 'wake-on-LAN modes: mask supported, value enabled'),
        { name: 'sopass', value: 3, type: 'binary', display: 'hwaddr', doc: 'SecureOn password, 6 bytes' },
      ],
    },
    features: {
      prefix: 'ETHTOOL_A_FEATURES_',
      attributes: [
        HEADER,
        bitset('hw', 2, 'features the user may change'),
        bitset('wanted', 3, 'features the user asked for; in a set reply, where the result differs from the request'),
        bitset('active', 4, 'features in effect; in a set reply, the ones that changed'),
        bitset('nochange', 5, 'features that can never change'),
      ],
    },
    privflags: {
      prefix: 'ETHTOOL_A_PRIVFLAGS_',
      attributes: [HEADER, bitset('flags', 2, 'driver private flags (names in the device string set priv-flags)')],
    },
    rings: {
      prefix: 'ETHTOOL_A_RINGS_',
      attributes: [
        HEADER,
        { name: 'rxMax', value: 2, type: 'u32' },
        { name: 'rxMiniMax', value: 3, type: 'u32' },
        { name: 'rxJumboMax', value: 4, type: 'u32' },
        { name: 'txMax', value: 5, type: 'u32' },
        { name: 'rx', value: 6, type: 'u32' },
        { name: 'rxMini', value: 7, type: 'u32' },
        { name: 'rxJumbo', value: 8, type: 'u32' },
        { name: 'tx', value: 9, type: 'u32' },
        { name: 'rxBufLen', value: 10, type: 'u32' },
        { name: 'tcpDataSplit', value: 11, type: 'u8', enum: 'tcp-data-split' },
        { name: 'cqeSize', value: 12, type: 'u32' },
        { name: 'txPush', value: 13, type: 'u8' },
        { name: 'rxPush', value: 14, type: 'u8', doc: '6.3+' },
        { name: 'txPushBufLen', value: 15, type: 'u32', doc: '6.5+' },
        { name: 'txPushBufLenMax', value: 16, type: 'u32', doc: '6.5+' },
        { name: 'hdsThresh', value: 17, type: 'u32', doc: 'header-data split threshold (6.14+)' },
        { name: 'hdsThreshMax', value: 18, type: 'u32', doc: '6.14+' },
      ],
    },
    channels: {
      prefix: 'ETHTOOL_A_CHANNELS_',
      attributes: [
        HEADER,
        { name: 'rxMax', value: 2, type: 'u32' },
        { name: 'txMax', value: 3, type: 'u32' },
        { name: 'otherMax', value: 4, type: 'u32' },
        { name: 'combinedMax', value: 5, type: 'u32' },
        { name: 'rxCount', value: 6, type: 'u32' },
        { name: 'txCount', value: 7, type: 'u32' },
        { name: 'otherCount', value: 8, type: 'u32' },
        { name: 'combinedCount', value: 9, type: 'u32' },
      ],
    },
  },
  messages: {
    // user to kernel (ETHTOOL_MSG_*)
    strsetGet: { value: 1, header: 'genlmsghdr', attributes: 'strset', sentBy: 'user' },
    linkinfoGet: { value: 2, header: 'genlmsghdr', attributes: 'linkinfo', sentBy: 'user' },
    linkinfoSet: { value: 3, header: 'genlmsghdr', attributes: 'linkinfo', sentBy: 'user' },
    linkmodesGet: { value: 4, header: 'genlmsghdr', attributes: 'linkmodes', sentBy: 'user' },
    linkmodesSet: { value: 5, header: 'genlmsghdr', attributes: 'linkmodes', sentBy: 'user' },
    linkstateGet: { value: 6, header: 'genlmsghdr', attributes: 'linkstate', sentBy: 'user' },
    debugGet: { value: 7, header: 'genlmsghdr', attributes: 'debug', sentBy: 'user' },
    debugSet: { value: 8, header: 'genlmsghdr', attributes: 'debug', sentBy: 'user' },
    wolGet: { value: 9, header: 'genlmsghdr', attributes: 'wol', sentBy: 'user' },
    wolSet: { value: 10, header: 'genlmsghdr', attributes: 'wol', sentBy: 'user' },
    featuresGet: { value: 11, header: 'genlmsghdr', attributes: 'features', sentBy: 'user' },
    featuresSet: { value: 12, header: 'genlmsghdr', attributes: 'features', sentBy: 'user' },
    privflagsGet: { value: 13, header: 'genlmsghdr', attributes: 'privflags', sentBy: 'user' },
    privflagsSet: { value: 14, header: 'genlmsghdr', attributes: 'privflags', sentBy: 'user' },
    ringsGet: { value: 15, header: 'genlmsghdr', attributes: 'rings', sentBy: 'user' },
    ringsSet: { value: 16, header: 'genlmsghdr', attributes: 'rings', sentBy: 'user' },
    channelsGet: { value: 17, header: 'genlmsghdr', attributes: 'channels', sentBy: 'user' },
    channelsSet: { value: 18, header: 'genlmsghdr', attributes: 'channels', sentBy: 'user' },
    // kernel to user (ETHTOOL_MSG_*_REPLY, *_NTF)
    strsetGetReply: { value: 1, header: 'genlmsghdr', attributes: 'strset', sentBy: 'kernel' },
    linkinfoGetReply: { value: 2, header: 'genlmsghdr', attributes: 'linkinfo', sentBy: 'kernel' },
    linkinfoNtf: { value: 3, header: 'genlmsghdr', attributes: 'linkinfo', sentBy: 'kernel' },
    linkmodesGetReply: { value: 4, header: 'genlmsghdr', attributes: 'linkmodes', sentBy: 'kernel' },
    linkmodesNtf: { value: 5, header: 'genlmsghdr', attributes: 'linkmodes', sentBy: 'kernel' },
    linkstateGetReply: { value: 6, header: 'genlmsghdr', attributes: 'linkstate', sentBy: 'kernel' },
    debugGetReply: { value: 7, header: 'genlmsghdr', attributes: 'debug', sentBy: 'kernel' },
    debugNtf: { value: 8, header: 'genlmsghdr', attributes: 'debug', sentBy: 'kernel' },
    wolGetReply: { value: 9, header: 'genlmsghdr', attributes: 'wol', sentBy: 'kernel' },
    wolNtf: { value: 10, header: 'genlmsghdr', attributes: 'wol', sentBy: 'kernel' },
    featuresGetReply: { value: 11, header: 'genlmsghdr', attributes: 'features', sentBy: 'kernel' },
    featuresSetReply: { value: 12, header: 'genlmsghdr', attributes: 'features', sentBy: 'kernel' },
    featuresNtf: { value: 13, header: 'genlmsghdr', attributes: 'features', sentBy: 'kernel' },
    privflagsGetReply: { value: 14, header: 'genlmsghdr', attributes: 'privflags', sentBy: 'kernel' },
    privflagsNtf: { value: 15, header: 'genlmsghdr', attributes: 'privflags', sentBy: 'kernel' },
    ringsGetReply: { value: 16, header: 'genlmsghdr', attributes: 'rings', sentBy: 'kernel' },
    ringsNtf: { value: 17, header: 'genlmsghdr', attributes: 'rings', sentBy: 'kernel' },
    channelsGetReply: { value: 18, header: 'genlmsghdr', attributes: 'channels', sentBy: 'kernel' },
    channelsNtf: { value: 19, header: 'genlmsghdr', attributes: 'channels', sentBy: 'kernel' },
  },
  mcastGroups: [{ name: 'monitor' }],
  operations: {
    strsetGet: {
      doc: 'string sets: feature names, link mode names... (global ones without a device)',
      do: {
        request: { message: 'strsetGet', attributes: ['header', 'stringsets', 'countsOnly'] },
        reply: { message: 'strsetGetReply', attributes: ['header', 'stringsets'] },
      },
      dump: {
        request: { message: 'strsetGet', attributes: ['header', 'stringsets', 'countsOnly'] },
        reply: { message: 'strsetGetReply', attributes: ['header', 'stringsets'] },
      },
    },
    linkinfoGet: getOp('linkinfoGet', 'linkinfoGetReply', LINKINFO_ATTRS, 'port, PHY address, MDI-X, transceiver'),
    linkinfoSet: { do: { request: { message: 'linkinfoSet', attributes: LINKINFO_ATTRS } } },
    linkinfoNtf: ntf('linkinfoNtf', LINKINFO_ATTRS),
    linkmodesGet: getOp('linkmodesGet', 'linkmodesGetReply', LINKMODES_ATTRS, 'speed, duplex, autonegotiation and link modes'),
    linkmodesSet: { do: { request: { message: 'linkmodesSet', attributes: LINKMODES_ATTRS } } },
    linkmodesNtf: ntf('linkmodesNtf', LINKMODES_ATTRS),
    linkstateGet: getOp('linkstateGet', 'linkstateGetReply', ['header', 'link', 'sqi', 'sqiMax', 'extState', 'extSubstate', 'extDownCnt'], 'carrier'),
    debugGet: getOp('debugGet', 'debugGetReply', ['header', 'msgmask'], 'driver message level'),
    debugSet: { do: { request: { message: 'debugSet', attributes: ['header', 'msgmask'] } } },
    debugNtf: ntf('debugNtf', ['header', 'msgmask']),
    wolGet: getOp('wolGet', 'wolGetReply', ['header', 'modes', 'sopass'], 'wake-on-LAN'),
    wolSet: { do: { request: { message: 'wolSet', attributes: ['header', 'modes', 'sopass'] } } },
    wolNtf: ntf('wolNtf', ['header', 'modes', 'sopass']),
    featuresGet: getOp('featuresGet', 'featuresGetReply', FEATURE_ATTRS, 'offloads and other netdev features'),
    featuresSet: {
      doc: 'asks for features (wanted); the reply says what came out differently',
      do: {
        request: { message: 'featuresSet', attributes: ['header', 'wanted'] },
        reply: { message: 'featuresSetReply', attributes: FEATURE_ATTRS },
      },
    },
    featuresNtf: ntf('featuresNtf', FEATURE_ATTRS),
    privflagsGet: getOp('privflagsGet', 'privflagsGetReply', ['header', 'flags'], 'driver private flags'),
    privflagsSet: { do: { request: { message: 'privflagsSet', attributes: ['header', 'flags'] } } },
    privflagsNtf: ntf('privflagsNtf', ['header', 'flags']),
    ringsGet: getOp('ringsGet', 'ringsGetReply', RINGS_ATTRS, 'ring sizes'),
    ringsSet: { do: { request: { message: 'ringsSet', attributes: RINGS_SET_ATTRS } } },
    ringsNtf: ntf('ringsNtf', RINGS_ATTRS),
    channelsGet: getOp('channelsGet', 'channelsGetReply', CHANNELS_ATTRS, 'queue (channel) counts'),
    channelsSet: { do: { request: { message: 'channelsSet', attributes: CHANNELS_SET_ATTRS } } },
    channelsNtf: ntf('channelsNtf', CHANNELS_ATTRS),
  },
});
