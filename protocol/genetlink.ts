/**
 * What every generic netlink family shares (linux/genetlink.h): the genlmsghdr that starts each
 * message, and the numbers of the NETLINK_GENERIC protocol. A family spec spreads `genlDefinitions`
 * into its definitions and names `genlmsghdr` as its messages' header; `genlMessageIds` says that
 * genlmsghdr.cmd, not nlmsg_type, names the message (nlmsg_type is the family id).
 */
import type { MessageIdsSpec, StructSpec } from './spec.js';

/** socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC). */
export const NETLINK_GENERIC = 16;

/** nlctrl's fixed family id (GENL_ID_CTRL = NLMSG_MIN_TYPE). */
export const GENL_ID_CTRL = 0x10;

/** Longest family name, NUL included (GENL_NAMSIZ). */
export const GENL_NAMSIZ = 16;

export const genlmsghdr = {
  type: 'struct',
  doc: 'struct genlmsghdr: the command and the family interface version',
  members: [
    { name: 'cmd', type: 'u8', doc: 'command; names the message within its family' },
    { name: 'version', type: 'u8', doc: "the family's interface version (CTRL_ATTR_VERSION)" },
    { name: 'reserved', type: 'u16' },
  ],
} as const satisfies StructSpec;

export const genlDefinitions = { genlmsghdr } as const;

/** Messages are genlmsghdr.cmd values; nlmsg_type is the family id, learned at run time. */
export const genlMessageIds = { member: 'cmd' } as const satisfies MessageIdsSpec;
