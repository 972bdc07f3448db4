/**
 * The netlink envelope shared by every family: nlmsghdr, control message types, request flags and
 * the extended-ack attributes of NLMSG_ERROR / NLMSG_DONE (linux/netlink.h).
 */
import { defineFamily } from './spec.js';

export const NLMSG_HDRLEN = 16;

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4, MIN_TYPE: 0x10 } as const;

export const NLM_F = {
  REQUEST: 0x01,
  MULTI: 0x02,
  ACK: 0x04,
  ECHO: 0x08,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  // GET requests
  ROOT: 0x100,
  MATCH: 0x200,
  ATOMIC: 0x400,
  DUMP: 0x300,
  // NEW requests
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  // DELETE requests
  NONREC: 0x100,
  BULK: 0x200,
  // ACK messages
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

/** Netlink protocols by number (socket(AF_NETLINK, SOCK_RAW, N); a capture's pseudo-header carries it). */
export const NETLINK_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  0: 'NETLINK_ROUTE',
  1: 'NETLINK_UNUSED',
  2: 'NETLINK_USERSOCK',
  3: 'NETLINK_FIREWALL',
  4: 'NETLINK_SOCK_DIAG',
  5: 'NETLINK_NFLOG',
  6: 'NETLINK_XFRM',
  7: 'NETLINK_SELINUX',
  8: 'NETLINK_ISCSI',
  9: 'NETLINK_AUDIT',
  10: 'NETLINK_FIB_LOOKUP',
  11: 'NETLINK_CONNECTOR',
  12: 'NETLINK_NETFILTER',
  13: 'NETLINK_IP6_FW',
  14: 'NETLINK_DNRTMSG',
  15: 'NETLINK_KOBJECT_UEVENT',
  16: 'NETLINK_GENERIC',
  18: 'NETLINK_SCSITRANSPORT',
  19: 'NETLINK_ECRYPTFS',
  20: 'NETLINK_RDMA',
  21: 'NETLINK_CRYPTO',
  22: 'NETLINK_SMC',
};

/** SOL_NETLINK socket options. */
export const NETLINK_SOCKOPT = {
  ADD_MEMBERSHIP: 1,
  DROP_MEMBERSHIP: 2,
  PKTINFO: 3,
  BROADCAST_ERROR: 4,
  NO_ENOBUFS: 5,
  LISTEN_ALL_NSID: 8,
  LIST_MEMBERSHIPS: 9,
  CAP_ACK: 10,
  EXT_ACK: 11,
  GET_STRICT_CHK: 12,
} as const;

export const SOL_NETLINK = 270;

/** The extended-ack TLVs that follow an error or DONE when NLM_F_ACK_TLVS is set. */
export const netlinkSpec = defineFamily({
  name: 'netlink',
  protocol: -1,
  definitions: {
    nlmsghdr: {
      type: 'struct',
      members: [
        { name: 'len', type: 'u32' },
        { name: 'type', type: 'u16' },
        { name: 'flags', type: 'u16' },
        { name: 'seq', type: 'u32' },
        { name: 'pid', type: 'u32' },
      ],
    },
  },
  attributeSets: {
    extack: {
      prefix: 'NLMSGERR_ATTR_',
      attributes: [
        { name: 'msg', value: 1, type: 'string', doc: 'error message text' },
        { name: 'offs', value: 2, type: 'u32', doc: 'offset of the offending attribute in the request' },
        { name: 'cookie', value: 3, type: 'binary', display: 'hex' },
        { name: 'policy', value: 4, type: 'binary' },
        { name: 'missType', value: 5, type: 'u32', doc: 'type of a missing required attribute' },
        { name: 'missNest', value: 6, type: 'u32', doc: 'offset of the nest where an attribute is missing' },
      ],
    },
  },
  messages: {},
});
