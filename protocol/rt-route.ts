/**
 * rtnetlink routes: RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE (linux/rtnetlink.h, lwtunnel.h,
 * icmpv6.h). RTM_GETROUTE without NLM_F_DUMP is `ip route get`: the kernel answers with one
 * RTM_NEWROUTE for the destination in RTA_DST (see RTM_F_LOOKUP_TABLE / RTM_F_FIB_MATCH).
 *
 * The same messages carry MPLS routes (family mpls): RTA_DST and RTA_NEWDST then hold MPLS label
 * stack entries (4 bytes each, big-endian), which the ipaddr display shows as dotted quads.
 */
import { addressFamilyEnum, rtProtocolEnum, rtScopeEnum, rtTableEnum, rtmTypeEnum } from './rt-common.js';
import { defineFamily } from './spec.js';

/** Every attribute a route message from the kernel may carry (YNL's all-route-attrs). */
const ROUTE_ALL = [
  'dst',
  'src',
  'iif',
  'oif',
  'gateway',
  'priority',
  'prefsrc',
  'metrics',
  'multipath',
  'flow',
  'cacheinfo',
  'table',
  'mark',
  'mfcStats',
  'via',
  'newdst',
  'pref',
  'encapType',
  'encap',
  'expires',
  'pad',
  'uid',
  'ttlPropagate',
  'ipProto',
  'sport',
  'dport',
  'nhId',
  'flowlabel',
] as const;

/**
 * What a route add or delete is made of, across the families' handlers: rtm_to_fib_config()
 * (IPv4), rtm_to_fib6_config() (IPv6), rtm_to_route_config() (MPLS: newdst, via, ttlPropagate),
 * rtm_to_ipmr_mfcc() (multicast: iif): every route attribute but those the kernel only reports
 * (YNL lists the read-only ones for new and del too).
 */
const ROUTE_READ_ONLY: readonly string[] = ['cacheinfo', 'mark', 'mfcStats', 'pad', 'uid', 'ipProto', 'sport', 'dport', 'flowlabel'];
const ROUTE_CHANGE = ROUTE_ALL.filter((a) => !ROUTE_READ_ONLY.includes(a));

export const rtRouteSpec = defineFamily({
  name: 'rt-route',
  doc: 'Routes (RTM_*ROUTE)',
  protocol: 0,
  definitions: {
    'address-family': addressFamilyEnum,
    'rt-scope': rtScopeEnum,
    'rt-table': rtTableEnum,
    'rt-protocol': rtProtocolEnum,
    'rtm-type': rtmTypeEnum,
    rtmsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'dstLen', type: 'u8', doc: 'prefix length of RTA_DST' },
        { name: 'srcLen', type: 'u8', doc: 'prefix length of RTA_SRC' },
        { name: 'tos', type: 'u8' },
        { name: 'table', type: 'u8', enum: 'rt-table', doc: 'table id if < 256 (RTA_TABLE holds the full id; 252 = compat when larger)' },
        { name: 'protocol', type: 'u8', enum: 'rt-protocol' },
        { name: 'scope', type: 'u8', enum: 'rt-scope' },
        { name: 'type', type: 'u8', enum: 'rtm-type' },
        { name: 'flags', type: 'u32', enum: 'rtm-flags' },
      ],
    },
    'rtm-flags': {
      type: 'flags',
      doc:
        'rtm_flags: RTM_F_* plus the RTNH_F_* nexthop flags the kernel copies into single-path routes. ' +
        'RTNH_F_OFFLOAD and RTNH_F_TRAP are named rtnh_offload / rtnh_trap here: offload / trap are RTM_F_*.',
      entries: {
        dead: 0x1, // RTNH_F_DEAD
        pervasive: 0x2, // RTNH_F_PERVASIVE
        onlink: 0x4, // RTNH_F_ONLINK
        rtnh_offload: 0x8, // RTNH_F_OFFLOAD
        linkdown: 0x10, // RTNH_F_LINKDOWN
        unresolved: 0x20, // RTNH_F_UNRESOLVED
        rtnh_trap: 0x40, // RTNH_F_TRAP
        notify: 0x100,
        cloned: 0x200,
        equalize: 0x400,
        prefix: 0x800,
        lookup_table: 0x1000,
        fib_match: 0x2000,
        offload: 0x4000,
        trap: 0x8000,
        offload_failed: 0x20000000,
      },
    },
    'rtnh-flags': {
      type: 'flags',
      doc: 'RTNH_F_*: flags of one nexthop',
      entries: {
        dead: 1,
        pervasive: 2,
        onlink: 4,
        offload: 8,
        linkdown: 16,
        unresolved: 32,
        trap: 64,
      },
    },
    rtcf: {
      type: 'flags',
      // RTCF_DEAD, RTCF_ONLINK and RTCF_NOPMTUDISC repeat low rtm_flags bits and are left out.
      doc: 'RTCF_* (linux/in_route.h): route cache flags, the high 16 bits of rtm_flags of a cloned IPv4 route',
      entries: {
        notify: 0x10000,
        directdst: 0x20000,
        redirected: 0x40000,
        tproxy: 0x80000,
        fast: 0x200000,
        masq: 0x400000,
        snat: 0x800000,
        doredirect: 0x1000000,
        directsrc: 0x4000000,
        dnat: 0x8000000,
        broadcast: 0x10000000,
        multicast: 0x20000000,
        reject: 0x40000000,
        local: 1 << 31,
      },
    },
    rtnexthop: {
      type: 'struct',
      doc: 'one RTA_MULTIPATH record, followed by its own RTA_* attributes (gateway, via, flow, encap)',
      members: [
        { name: 'len', type: 'u16', doc: 'record length including the attributes' },
        { name: 'flags', type: 'u8', enum: 'rtnh-flags' },
        { name: 'hops', type: 'u8', doc: 'weight - 1' },
        { name: 'ifindex', type: 's32' },
      ],
    },
    'rta-cacheinfo': {
      type: 'struct',
      members: [
        { name: 'clntref', type: 'u32' },
        { name: 'lastuse', type: 'u32', doc: 'clock_t' },
        { name: 'expires', type: 's32', doc: 'clock_t, 0 = never' },
        { name: 'error', type: 'u32' },
        { name: 'used', type: 'u32' },
        { name: 'id', type: 'u32' },
        { name: 'ts', type: 'u32' },
        { name: 'tsage', type: 'u32' },
      ],
    },
    'rta-mfc-stats': {
      type: 'struct',
      doc: 'multicast forwarding cache counters (ipmr / ip6mr routes)',
      members: [
        { name: 'packets', type: 'u64' },
        { name: 'bytes', type: 'u64' },
        { name: 'wrongIf', type: 'u64' },
      ],
    },
    'rtax-lock': {
      type: 'flags',
      doc: 'RTAX_LOCK: bit (1 << RTAX_x) locks metric x against updates from path MTU discovery etc.',
      entries: {
        mtu: 1 << 2,
        window: 1 << 3,
        rtt: 1 << 4,
        rttvar: 1 << 5,
        ssthresh: 1 << 6,
        cwnd: 1 << 7,
        advmss: 1 << 8,
        reordering: 1 << 9,
        hoplimit: 1 << 10,
        initcwnd: 1 << 11,
        features: 1 << 12,
        rto_min: 1 << 13,
        initrwnd: 1 << 14,
        quickack: 1 << 15,
        cc_algo: 1 << 16,
        fastopen_no_cookie: 1 << 17,
      },
    },
    'rtax-features': {
      type: 'flags',
      doc: 'RTAX_FEATURE_*',
      entries: {
        ecn: 1,
        sack: 2,
        timestamp: 4,
        allfrag: 8,
      },
    },
    'rt-pref': {
      type: 'enum',
      doc: 'ICMPV6_ROUTER_PREF_*: IPv6 route preference (RFC 4191)',
      entries: {
        medium: 0,
        high: 1,
        invalid: 2,
        low: 3,
      },
    },
    rtvia: {
      type: 'struct',
      doc: 'struct rtvia: address family, then the address (4 bytes inet, 16 inet6)',
      members: [
        { name: 'family', type: 'u16', enum: 'address-family' },
        { name: 'addr', type: 'binary', display: 'ipaddr' },
      ],
    },
    'lwtunnel-encap-type': {
      type: 'enum',
      doc: 'LWTUNNEL_ENCAP_*',
      entries: {
        none: 0,
        mpls: 1,
        ip: 2,
        ila: 3,
        ip6: 4,
        seg6: 5,
        bpf: 6,
        seg6_local: 7,
        rpl: 8,
        ioam6: 9,
        xfrm: 10,
      },
    },
  },
  subMessages: {
    'lwtunnel-encap': { ip: 'lwtunnel-ip', ip6: 'lwtunnel-ip6' },
  },
  attributeSets: {
    'lwtunnel-ip': {
      prefix: 'LWTUNNEL_IP_',
      attributes: [
        { name: 'id', value: 1, type: 'u64', byteOrder: 'big-endian', doc: 'tunnel id (VNI/key)' },
        { name: 'dst', value: 2, type: 'u32', display: 'ipaddr' },
        { name: 'src', value: 3, type: 'u32', display: 'ipaddr' },
        { name: 'ttl', value: 4, type: 'u8' },
        { name: 'tos', value: 5, type: 'u8' },
        { name: 'flags', value: 6, type: 'u16', byteOrder: 'big-endian', doc: 'TUNNEL_* flags (key, csum, seq...)' },
        { name: 'pad', value: 7, type: 'binary' },
        { name: 'opts', value: 8, type: 'binary', doc: 'geneve/vxlan/erspan options (LWTUNNEL_IP_OPTS_*)' },
      ],
    },
    'lwtunnel-ip6': {
      prefix: 'LWTUNNEL_IP6_',
      attributes: [
        { name: 'id', value: 1, type: 'u64', byteOrder: 'big-endian' },
        { name: 'dst', value: 2, type: 'binary', display: 'ipaddr' },
        { name: 'src', value: 3, type: 'binary', display: 'ipaddr' },
        { name: 'hoplimit', value: 4, type: 'u8' },
        { name: 'tc', value: 5, type: 'u8' },
        { name: 'flags', value: 6, type: 'u16', byteOrder: 'big-endian' },
        { name: 'pad', value: 7, type: 'binary' },
        { name: 'opts', value: 8, type: 'binary' },
      ],
    },
    route: {
      prefix: 'RTA_',
      attributes: [
        { name: 'dst', value: 1, type: 'binary', display: 'ipaddr' },
        { name: 'src', value: 2, type: 'binary', display: 'ipaddr', doc: 'source prefix (rtm_src_len); not the preferred source' },
        { name: 'iif', value: 3, type: 'u32', doc: 'input interface index' },
        { name: 'oif', value: 4, type: 'u32', doc: 'output interface index' },
        { name: 'gateway', value: 5, type: 'binary', display: 'ipaddr' },
        { name: 'priority', value: 6, type: 'u32', doc: 'metric' },
        { name: 'prefsrc', value: 7, type: 'binary', display: 'ipaddr', doc: 'preferred source address' },
        { name: 'metrics', value: 8, type: 'nest', nested: 'metrics' },
        {
          name: 'multipath',
          value: 9,
          type: 'struct-array',
          struct: 'rtnexthop',
          lengthMember: 'len',
          nested: 'route',
          doc: 'ECMP nexthops (for ipmr routes: the output interfaces)',
        },
        { name: 'protoinfo', value: 10, type: 'binary', doc: 'no longer used' },
        { name: 'flow', value: 11, type: 'u32', doc: 'realms: (from << 16) | to' },
        { name: 'cacheinfo', value: 12, type: 'struct', struct: 'rta-cacheinfo' },
        { name: 'session', value: 13, type: 'binary', doc: 'no longer used' },
        { name: 'mpAlgo', value: 14, type: 'binary', doc: 'no longer used' },
        { name: 'table', value: 15, type: 'u32', enum: 'rt-table' },
        { name: 'mark', value: 16, type: 'u32', doc: 'fwmark (route get)' },
        { name: 'mfcStats', value: 17, type: 'struct', struct: 'rta-mfc-stats' },
        {
          name: 'via',
          value: 18,
          type: 'struct',
          struct: 'rtvia',
          doc: 'gateway of another family: IPv4 routes use it for an IPv6 gateway, MPLS routes for every nexthop',
        },
        { name: 'newdst', value: 19, type: 'binary', doc: 'MPLS label stack to push/swap (4 bytes per entry, big-endian)' },
        { name: 'pref', value: 20, type: 'u8', enum: 'rt-pref' },
        { name: 'encapType', value: 21, type: 'u16', enum: 'lwtunnel-encap-type' },
        {
          name: 'encap',
          value: 22,
          type: 'sub-message',
          subMessage: 'lwtunnel-encap',
          selector: 'encapType',
          doc: 'lightweight tunnel attributes of the type in RTA_ENCAP_TYPE (which the kernel sends after this nest)',
        },
        { name: 'expires', value: 23, type: 'u32', doc: 'IPv6 route lifetime in seconds (requests)' },
        { name: 'pad', value: 24, type: 'binary', doc: 'alignment padding for 64-bit attributes' },
        { name: 'uid', value: 25, type: 'u32', doc: 'uid for the lookup (route get)' },
        { name: 'ttlPropagate', value: 26, type: 'u8', doc: 'MPLS: propagate TTL' },
        { name: 'ipProto', value: 27, type: 'u8', doc: 'IP protocol for the lookup (route get)' },
        { name: 'sport', value: 28, type: 'u16', byteOrder: 'big-endian' },
        { name: 'dport', value: 29, type: 'u16', byteOrder: 'big-endian' },
        { name: 'nhId', value: 30, type: 'u32', doc: 'nexthop object id' },
        { name: 'flowlabel', value: 31, type: 'u32', byteOrder: 'big-endian', doc: 'IPv6 flow label for the lookup (route get)' },
      ],
    },
    metrics: {
      prefix: 'RTAX_',
      attributes: [
        { name: 'lock', value: 1, type: 'u32', enum: 'rtax-lock' },
        { name: 'mtu', value: 2, type: 'u32' },
        { name: 'window', value: 3, type: 'u32' },
        { name: 'rtt', value: 4, type: 'u32', doc: 'milliseconds << 3' },
        { name: 'rttvar', value: 5, type: 'u32', doc: 'milliseconds << 2' },
        { name: 'ssthresh', value: 6, type: 'u32' },
        { name: 'cwnd', value: 7, type: 'u32' },
        { name: 'advmss', value: 8, type: 'u32' },
        { name: 'reordering', value: 9, type: 'u32' },
        { name: 'hoplimit', value: 10, type: 'u32' },
        { name: 'initcwnd', value: 11, type: 'u32' },
        { name: 'features', value: 12, type: 'u32', enum: 'rtax-features' },
        { name: 'rtoMin', value: 13, type: 'u32', doc: 'milliseconds' },
        { name: 'initrwnd', value: 14, type: 'u32' },
        { name: 'quickack', value: 15, type: 'u32' },
        { name: 'ccAlgo', value: 16, type: 'string', doc: 'congestion control algorithm name' },
        { name: 'fastopenNoCookie', value: 17, type: 'u32' },
      ],
    },
  },
  messages: {
    newroute: { value: 24, header: 'rtmsg', attributes: 'route' },
    delroute: { value: 25, header: 'rtmsg', attributes: 'route' },
    getroute: { value: 26, header: 'rtmsg', attributes: 'route' },
  },
  mcastGroups: [
    { name: 'ipv4Route', value: 7 },
    { name: 'ipv6Route', value: 11 },
  ],
  operations: {
    getroute: {
      doc: 'the route a packet would take (strict: inet_rtm_valid_getroute_req, MPLS newdst), or a dump filtered by table and oif',
      do: {
        request: {
          message: 'getroute',
          attributes: ['src', 'dst', 'iif', 'oif', 'ipProto', 'sport', 'dport', 'mark', 'uid', 'flowlabel', 'newdst'],
        },
        reply: { message: 'newroute', attributes: ROUTE_ALL },
      },
      // ip_valid_fib_dump_req(): RTA_TABLE and RTA_OIF, nothing else.
      dump: { request: { message: 'getroute', attributes: ['table', 'oif'] }, reply: { message: 'newroute', attributes: ROUTE_ALL } },
    },
    newroute: { doc: 'add a route (NLM_F_REPLACE: replace one)', do: { request: { message: 'newroute', attributes: ROUTE_CHANGE } } },
    delroute: { doc: 'delete a route', do: { request: { message: 'delroute', attributes: ROUTE_CHANGE } } },
    // The group is the address family's: ipv4Route or ipv6Route.
    newrouteNtf: { doc: 'a route was added or replaced', event: { message: 'newroute', attributes: ROUTE_ALL } },
    delrouteNtf: { doc: 'a route was deleted', event: { message: 'delroute', attributes: ROUTE_ALL } },
  },
});
