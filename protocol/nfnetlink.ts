/**
 * What every netfilter netlink subsystem shares (linux/netfilter/nfnetlink.h): the nfgenmsg that
 * starts each message, the NETLINK_NETFILTER protocol, the subsystem ids (the high byte of
 * nlmsg_type: NFNL_SUBSYS_ID(type)), the multicast groups and the batch markers.
 *
 * A subsystem spec (nftables) spreads `nfnlDefinitions` into its definitions and names `nfgenmsg`
 * as its messages' header. Its message values are (subsystem << 8) | operation.
 *
 * The batch markers NFNL_MSG_BATCH_BEGIN / END (NLMSG_MIN_TYPE, +1) belong to no subsystem: they
 * are the small family 'nfnetlink' here. BEGIN carries the subsystem the batch is for in
 * nfgenmsg.resId (NFNL_SUBSYS_NFTABLES); the kernel runs everything between the two markers that
 * arrived in the same datagram as one transaction.
 */
import { defineFamily } from './spec.js';
import type { EnumSpec, StructSpec } from './spec.js';

/** socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER). */
export const NETLINK_NETFILTER = 12;

/** nfgenmsg.version: the only version there is (NFNETLINK_V0). */
export const NFNETLINK_V0 = 0;

/** Subsystem ids: nlmsg_type >> 8 (NFNL_SUBSYS_*). */
export const NFNL_SUBSYS = {
  NONE: 0,
  CTNETLINK: 1,
  CTNETLINK_EXP: 2,
  QUEUE: 3,
  ULOG: 4,
  OSF: 5,
  IPSET: 6,
  ACCT: 7,
  CTNETLINK_TIMEOUT: 8,
  CTHELPER: 9,
  NFTABLES: 10,
  NFT_COMPAT: 11,
  HOOK: 12,
} as const;

export const NFNL_SUBSYS_NONE = NFNL_SUBSYS.NONE;
export const NFNL_SUBSYS_NFTABLES = NFNL_SUBSYS.NFTABLES;
export const NFNL_SUBSYS_NFT_COMPAT = NFNL_SUBSYS.NFT_COMPAT;

/** Batch markers: NLMSG_MIN_TYPE and the next one (no subsystem byte). */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;

/** Multicast groups of NETLINK_NETFILTER (enum nfnetlink_groups). */
export const NFNLGRP = {
  NONE: 0,
  CONNTRACK_NEW: 1,
  CONNTRACK_UPDATE: 2,
  CONNTRACK_DESTROY: 3,
  CONNTRACK_EXP_NEW: 4,
  CONNTRACK_EXP_UPDATE: 5,
  CONNTRACK_EXP_DESTROY: 6,
  NFTABLES: 7,
  ACCT_QUOTA: 8,
  NFTRACE: 9,
} as const;

export const NFNLGRP_NFTABLES = NFNLGRP.NFTABLES;

/** The subsystem of a netfilter nlmsg_type (NFNL_SUBSYS_ID). */
export function nfnlSubsysId(type: number): number {
  return (type & 0xff00) >> 8;
}

/** The operation within its subsystem of a netfilter nlmsg_type (NFNL_MSG_TYPE). */
export function nfnlMsgType(type: number): number {
  return type & 0x00ff;
}

/** Netfilter protocol families (NFPROTO_*, linux/netfilter.h), nfgenmsg.family. */
export const nfprotoEnum = {
  type: 'enum',
  doc: 'netfilter protocol family (NFPROTO_*)',
  entries: { unspec: 0, inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 },
} as const satisfies EnumSpec;

export const nfgenmsg = {
  type: 'struct',
  doc: 'struct nfgenmsg: the family a netfilter message is about, and a resource id',
  members: [
    { name: 'family', type: 'u8', enum: 'nfproto', doc: 'NFPROTO_* (nftables: the table family)' },
    { name: 'version', type: 'u8', doc: 'NFNETLINK_V0' },
    {
      name: 'resId',
      type: 'u16',
      byteOrder: 'big-endian',
      doc: 'resource id: the subsystem on batch markers; the low 16 bits of the generation id in nftables replies',
    },
  ],
} as const satisfies StructSpec;

/** Definitions a netfilter subsystem spec spreads into its own (nfgenmsg and its family enum). */
export const nfnlDefinitions = { nfproto: nfprotoEnum, nfgenmsg } as const;

export const nfnetlinkSpec = defineFamily({
  name: 'nfnetlink',
  doc: 'The netfilter netlink batch markers (NFNL_MSG_BATCH_BEGIN / END) that frame a transaction',
  protocol: NETLINK_NETFILTER,
  definitions: nfnlDefinitions,
  attributeSets: {
    'batch-attrs': {
      prefix: 'NFNL_BATCH_',
      attributes: [
        {
          name: 'genid',
          value: 1,
          type: 'u32',
          byteOrder: 'big-endian',
          doc: 'on BATCH_BEGIN: refuse the batch (ERESTART) unless the ruleset generation is still this one',
        },
      ],
    },
  },
  messages: {
    batchBegin: { value: NFNL_MSG_BATCH_BEGIN, header: 'nfgenmsg', attributes: 'batch-attrs', sentBy: 'user', doc: 'resId: the subsystem' },
    batchEnd: { value: NFNL_MSG_BATCH_END, header: 'nfgenmsg', attributes: 'batch-attrs', sentBy: 'user', doc: 'resId: the subsystem' },
  },
  mcastGroups: [
    { name: 'conntrack-new', value: NFNLGRP.CONNTRACK_NEW },
    { name: 'conntrack-update', value: NFNLGRP.CONNTRACK_UPDATE },
    { name: 'conntrack-destroy', value: NFNLGRP.CONNTRACK_DESTROY },
    { name: 'conntrack-exp-new', value: NFNLGRP.CONNTRACK_EXP_NEW },
    { name: 'conntrack-exp-update', value: NFNLGRP.CONNTRACK_EXP_UPDATE },
    { name: 'conntrack-exp-destroy', value: NFNLGRP.CONNTRACK_EXP_DESTROY },
    { name: 'nftables', value: NFNLGRP.NFTABLES },
    { name: 'acct-quota', value: NFNLGRP.ACCT_QUOTA },
    { name: 'nftrace', value: NFNLGRP.NFTRACE },
  ],
});
