/**
 * Enums shared by several rtnetlink families (rt-addr, rt-route, rt-neigh, rt-rule, rt-nsid).
 * Each family lists the ones it uses in its `definitions`; the tables live only here.
 * Sources: linux/socket.h (AF_*), linux/rtnetlink.h (RT_SCOPE_*, RT_TABLE_*, RTPROT_*, RTN_*).
 */
import type { EnumSpec } from './spec.js';

/** sa_family_t values found in rtnetlink headers (AF_*, plus RTNL_FAMILY_IPMR/IP6MR). */
export const addressFamilyEnum = {
  type: 'enum',
  doc: 'AF_* address family (u8 in message headers, u16 in struct rtvia)',
  entries: {
    unspec: 0,
    unix: 1,
    inet: 2,
    bridge: 7,
    inet6: 10,
    decnet: 12,
    netlink: 16,
    packet: 17,
    mpls: 28,
    can: 29,
    ipmr: 128, // RTNL_FAMILY_IPMR: IPv4 multicast routing tables
    ip6mr: 129, // RTNL_FAMILY_IP6MR
  },
} as const satisfies EnumSpec;

/** enum rt_scope_t: distance to the destination. */
export const rtScopeEnum = {
  type: 'enum',
  doc: 'RT_SCOPE_*: other values between universe and link are user-defined',
  entries: {
    universe: 0,
    site: 200,
    link: 253,
    host: 254,
    nowhere: 255,
  },
} as const satisfies EnumSpec;

/** enum rt_class_t: reserved routing table ids (any other u32 is a user table). */
export const rtTableEnum = {
  type: 'enum',
  doc: 'RT_TABLE_*: reserved table ids; 1..251 and >255 are user tables (numbers)',
  entries: {
    unspec: 0,
    compat: 252,
    default: 253,
    main: 254,
    local: 255,
  },
} as const satisfies EnumSpec;

/** RTPROT_*: who installed a route (also used by rules, neighbours and nexthops). */
export const rtProtocolEnum = {
  type: 'enum',
  doc: 'RTPROT_*: values >= static are not interpreted by the kernel, only stored',
  entries: {
    unspec: 0,
    redirect: 1,
    kernel: 2,
    boot: 3,
    static: 4,
    gated: 8,
    ra: 9,
    mrt: 10,
    zebra: 11,
    bird: 12,
    dnrouted: 13,
    xorp: 14,
    ntk: 15,
    dhcp: 16,
    mrouted: 17,
    keepalived: 18,
    babel: 42,
    ovn: 84,
    openr: 99,
    bgp: 186,
    isis: 187,
    ospf: 188,
    rip: 189,
    eigrp: 192,
  },
} as const satisfies EnumSpec;

/** RTN_*: route type (rtm_type, also ndm_type). */
export const rtmTypeEnum = {
  type: 'enum',
  doc: 'RTN_*: route type',
  entries: {
    unspec: 0,
    unicast: 1,
    local: 2,
    broadcast: 3,
    anycast: 4,
    multicast: 5,
    blackhole: 6,
    unreachable: 7,
    prohibit: 8,
    throw: 9,
    nat: 10,
    xresolve: 11,
  },
} as const satisfies EnumSpec;
