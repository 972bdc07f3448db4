/**
 * Per-kind link attributes: what IFLA_INFO_DATA (and IFLA_INFO_SLAVE_DATA for ports) holds for
 * each IFLA_INFO_KIND. One section per kind; adding a kind is one attribute set plus one entry in
 * `linkKinds` (and any enums or structs only it uses). rt-link.ts spreads these into its spec.
 *
 * Sources: linux/if_link.h, veth.h, if_bridge.h, if_vlan.h (6.1) and upstream if_link.h for the
 * attributes newer kernels send, checked against a 6.18 kernel.
 *
 * Bridge times are in centiseconds (USER_HZ clock_t): 1500 = 15 s.
 */
import type { AttributeSetSpec, DefinitionSpec } from './spec.js';

// ---------------------------------------------------------------------------------------------
// veth (linux/veth.h): only the peer, and only in requests: dumps carry no IFLA_INFO_DATA.

const vethSets = {
  'linkinfo-veth': {
    prefix: 'VETH_INFO_',
    attributes: [{ name: 'peer', value: 1, type: 'nest', header: 'ifinfomsg', nested: 'link', doc: 'the other end: ifinfomsg + IFLA_* attributes' }],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// ---------------------------------------------------------------------------------------------
// bridge: the device (IFLA_BR_*) and its ports (IFLA_BRPORT_*, also in IFLA_PROTINFO of AF_BRIDGE
// messages).

const bridgeDefinitions = {
  'ifla-bridge-id': {
    type: 'struct',
    doc: 'struct ifla_bridge_id: STP bridge identifier',
    members: [
      { name: 'prio', type: 'u16', byteOrder: 'big-endian', doc: 'bridge priority (prio[2], network order)' },
      { name: 'addr', type: 'binary', len: 6, display: 'hwaddr' },
    ],
  },
  'br-state': {
    type: 'enum',
    doc: 'BR_STATE_*: STP port state',
    entries: { disabled: 0, listening: 1, learning: 2, forwarding: 3, blocking: 4 },
  },
  'mdb-rtr-type': {
    type: 'enum',
    doc: 'MDB_RTR_TYPE_*: multicast router port mode',
    entries: { disabled: 0, temp_query: 1, perm: 2, temp: 3 },
  },
  'br-boolopt': {
    type: 'flags',
    doc: 'bits of enum br_boolopt_id (BR_BOOLOPT_*)',
    entries: {
      no_ll_learn: 1 << 0,
      mcast_vlan_snooping: 1 << 1,
      mst_enable: 1 << 2,
      mdb_offload_fail_notification: 1 << 3,
      fdb_local_vlan_0: 1 << 4,
    },
  },
  'br-boolopt-multi': {
    type: 'struct',
    doc: 'struct br_boolopt_multi',
    members: [
      { name: 'optval', type: 'u32', enum: 'br-boolopt', doc: 'option values' },
      { name: 'optmask', type: 'u32', enum: 'br-boolopt', doc: 'options to change (dumps: options known)' },
    ],
  },
} as const satisfies Record<string, DefinitionSpec>;

const bridgeSets = {
  'linkinfo-bridge': {
    prefix: 'IFLA_BR_',
    attributes: [
      { name: 'forwardDelay', value: 1, type: 'u32', doc: 'centiseconds' },
      { name: 'helloTime', value: 2, type: 'u32', doc: 'centiseconds' },
      { name: 'maxAge', value: 3, type: 'u32', doc: 'centiseconds' },
      { name: 'ageingTime', value: 4, type: 'u32', doc: 'FDB entry lifetime, centiseconds' },
      { name: 'stpState', value: 5, type: 'u32', doc: '0: STP off, 1: kernel STP, 2: user-space STP' },
      { name: 'priority', value: 6, type: 'u16' },
      { name: 'vlanFiltering', value: 7, type: 'u8' },
      { name: 'vlanProtocol', value: 8, type: 'u16', byteOrder: 'big-endian', enum: 'vlan-protocols' },
      { name: 'groupFwdMask', value: 9, type: 'u16', doc: 'link-local groups 01:80:c2:00:00:0X forwarded (bit X)' },
      { name: 'rootId', value: 10, type: 'struct', struct: 'ifla-bridge-id' },
      { name: 'bridgeId', value: 11, type: 'struct', struct: 'ifla-bridge-id' },
      { name: 'rootPort', value: 12, type: 'u16' },
      { name: 'rootPathCost', value: 13, type: 'u32' },
      { name: 'topologyChange', value: 14, type: 'u8' },
      { name: 'topologyChangeDetected', value: 15, type: 'u8' },
      { name: 'helloTimer', value: 16, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'tcnTimer', value: 17, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'topologyChangeTimer', value: 18, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'gcTimer', value: 19, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'groupAddr', value: 20, type: 'binary', display: 'hwaddr', doc: 'STP group address' },
      { name: 'fdbFlush', value: 21, type: 'flag', doc: 'request: flush dynamic FDB entries' },
      { name: 'mcastRouter', value: 22, type: 'u8', enum: 'mdb-rtr-type' },
      { name: 'mcastSnooping', value: 23, type: 'u8' },
      { name: 'mcastQueryUseIfaddr', value: 24, type: 'u8' },
      { name: 'mcastQuerier', value: 25, type: 'u8' },
      { name: 'mcastHashElasticity', value: 26, type: 'u32' },
      { name: 'mcastHashMax', value: 27, type: 'u32' },
      { name: 'mcastLastMemberCnt', value: 28, type: 'u32' },
      { name: 'mcastStartupQueryCnt', value: 29, type: 'u32' },
      { name: 'mcastLastMemberIntvl', value: 30, type: 'u64', doc: 'centiseconds' },
      { name: 'mcastMembershipIntvl', value: 31, type: 'u64', doc: 'centiseconds' },
      { name: 'mcastQuerierIntvl', value: 32, type: 'u64', doc: 'centiseconds' },
      { name: 'mcastQueryIntvl', value: 33, type: 'u64', doc: 'centiseconds' },
      { name: 'mcastQueryResponseIntvl', value: 34, type: 'u64', doc: 'centiseconds' },
      { name: 'mcastStartupQueryIntvl', value: 35, type: 'u64', doc: 'centiseconds' },
      { name: 'nfCallIptables', value: 36, type: 'u8' },
      { name: 'nfCallIp6tables', value: 37, type: 'u8' },
      { name: 'nfCallArptables', value: 38, type: 'u8' },
      { name: 'vlanDefaultPvid', value: 39, type: 'u16' },
      { name: 'pad', value: 40, type: 'binary', doc: 'alignment padding' },
      { name: 'vlanStatsEnabled', value: 41, type: 'u8' },
      { name: 'mcastStatsEnabled', value: 42, type: 'u8' },
      { name: 'mcastIgmpVersion', value: 43, type: 'u8' },
      { name: 'mcastMldVersion', value: 44, type: 'u8' },
      { name: 'vlanStatsPerPort', value: 45, type: 'u8' },
      { name: 'multiBoolopt', value: 46, type: 'struct', struct: 'br-boolopt-multi' },
      { name: 'mcastQuerierState', value: 47, type: 'nest', nested: 'bridge-querier-state', nestedFlag: true },
      { name: 'fdbNLearned', value: 48, type: 'u32', doc: 'learned FDB entries' },
      { name: 'fdbMaxLearned', value: 49, type: 'u32', doc: 'limit of learned FDB entries (0: none)' },
    ],
  },
  'bridge-querier-state': {
    prefix: 'BRIDGE_QUERIER_',
    attributes: [
      { name: 'ipAddress', value: 1, type: 'binary', display: 'ipaddr', doc: 'elected IGMP querier' },
      { name: 'ipPort', value: 2, type: 'u32', doc: 'ifindex of the port the querier is behind' },
      { name: 'ipOtherTimer', value: 3, type: 'u64', doc: 'other-querier-present timer, centiseconds' },
      { name: 'pad', value: 4, type: 'binary', doc: 'alignment padding' },
      { name: 'ipv6Address', value: 5, type: 'binary', display: 'ipaddr', doc: 'elected MLD querier' },
      { name: 'ipv6Port', value: 6, type: 'u32' },
      { name: 'ipv6OtherTimer', value: 7, type: 'u64', doc: 'centiseconds' },
    ],
  },
  'linkinfo-bridge-port': {
    prefix: 'IFLA_BRPORT_',
    // On/off settings are u8 0/1 both ways (dumps and the kernel's policy), not flags.
    attributes: [
      { name: 'state', value: 1, type: 'u8', enum: 'br-state' },
      { name: 'priority', value: 2, type: 'u16' },
      { name: 'cost', value: 3, type: 'u32', doc: 'STP path cost' },
      { name: 'mode', value: 4, type: 'u8', doc: '1: hairpin (reflect frames back out of the port)' },
      { name: 'guard', value: 5, type: 'u8', doc: 'BPDU guard' },
      { name: 'protect', value: 6, type: 'u8', doc: 'root port protection (root_block)' },
      { name: 'fastLeave', value: 7, type: 'u8', doc: 'multicast fast leave' },
      { name: 'learning', value: 8, type: 'u8' },
      { name: 'unicastFlood', value: 9, type: 'u8' },
      { name: 'proxyarp', value: 10, type: 'u8' },
      { name: 'learningSync', value: 11, type: 'u8' },
      { name: 'proxyarpWifi', value: 12, type: 'u8' },
      { name: 'rootId', value: 13, type: 'struct', struct: 'ifla-bridge-id', doc: 'designated root' },
      { name: 'bridgeId', value: 14, type: 'struct', struct: 'ifla-bridge-id', doc: 'designated bridge' },
      { name: 'designatedPort', value: 15, type: 'u16' },
      { name: 'designatedCost', value: 16, type: 'u16' },
      { name: 'id', value: 17, type: 'u16', doc: 'STP port id (priority << 8 | number)' },
      { name: 'no', value: 18, type: 'u16', doc: 'port number' },
      { name: 'topologyChangeAck', value: 19, type: 'u8' },
      { name: 'configPending', value: 20, type: 'u8' },
      { name: 'messageAgeTimer', value: 21, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'forwardDelayTimer', value: 22, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'holdTimer', value: 23, type: 'u64', doc: 'time left, centiseconds' },
      { name: 'flush', value: 24, type: 'flag', doc: 'request: flush the port FDB entries' },
      { name: 'multicastRouter', value: 25, type: 'u8', enum: 'mdb-rtr-type' },
      { name: 'pad', value: 26, type: 'binary', doc: 'alignment padding' },
      { name: 'mcastFlood', value: 27, type: 'u8' },
      { name: 'mcastToUcast', value: 28, type: 'u8' },
      { name: 'vlanTunnel', value: 29, type: 'u8' },
      { name: 'bcastFlood', value: 30, type: 'u8' },
      { name: 'groupFwdMask', value: 31, type: 'u16' },
      { name: 'neighSuppress', value: 32, type: 'u8' },
      { name: 'isolated', value: 33, type: 'u8' },
      { name: 'backupPort', value: 34, type: 'u32', doc: 'ifindex' },
      { name: 'mrpRingOpen', value: 35, type: 'u8' },
      { name: 'mrpInOpen', value: 36, type: 'u8' },
      { name: 'mcastEhtHostsLimit', value: 37, type: 'u32' },
      { name: 'mcastEhtHostsCnt', value: 38, type: 'u32' },
      { name: 'locked', value: 39, type: 'u8', doc: '802.1X: only authenticated (FDB) hosts pass' },
      { name: 'mab', value: 40, type: 'u8', doc: 'MAC authentication bypass' },
      { name: 'mcastNGroups', value: 41, type: 'u32' },
      { name: 'mcastMaxGroups', value: 42, type: 'u32' },
      { name: 'neighVlanSuppress', value: 43, type: 'u8' },
      { name: 'backupNhid', value: 44, type: 'u32', doc: 'nexthop id used with backupPort' },
    ],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// ---------------------------------------------------------------------------------------------
// vxlan. Note the byte orders: the VNI (id) and ageing are host order, the port and label network.

const vxlanDefinitions = {
  'ifla-vxlan-port-range': {
    type: 'struct',
    doc: 'struct ifla_vxlan_port_range: UDP source ports',
    members: [
      { name: 'low', type: 'u16', byteOrder: 'big-endian' },
      { name: 'high', type: 'u16', byteOrder: 'big-endian' },
    ],
  },
  'vxlan-df': {
    type: 'enum',
    doc: 'enum ifla_vxlan_df (VXLAN_DF_*): outer IPv4 DF bit',
    entries: { unset: 0, set: 1, inherit: 2 },
  },
  'vxlan-label-policy': {
    type: 'enum',
    doc: 'enum ifla_vxlan_label_policy (VXLAN_LABEL_*)',
    entries: { fixed: 0, inherit: 1 },
  },
} as const satisfies Record<string, DefinitionSpec>;

const vxlanSets = {
  'linkinfo-vxlan': {
    prefix: 'IFLA_VXLAN_',
    attributes: [
      { name: 'id', value: 1, type: 'u32', doc: 'VNI' },
      { name: 'group', value: 2, type: 'binary', display: 'ipaddr', doc: 'IPv4 remote or multicast group (4 bytes)' },
      { name: 'link', value: 3, type: 'u32', doc: 'ifindex of the underlay device' },
      { name: 'local', value: 4, type: 'binary', display: 'ipaddr', doc: 'IPv4 source address (4 bytes)' },
      { name: 'ttl', value: 5, type: 'u8', doc: '0: use the route default' },
      { name: 'tos', value: 6, type: 'u8', doc: '1: inherit from the inner packet' },
      { name: 'learning', value: 7, type: 'u8' },
      { name: 'ageing', value: 8, type: 'u32', doc: 'FDB entry lifetime, seconds' },
      { name: 'limit', value: 9, type: 'u32', doc: 'max FDB entries (0: none)' },
      { name: 'portRange', value: 10, type: 'struct', struct: 'ifla-vxlan-port-range' },
      { name: 'proxy', value: 11, type: 'u8', doc: 'ARP/ND proxy' },
      { name: 'rsc', value: 12, type: 'u8', doc: 'route short circuit' },
      { name: 'l2miss', value: 13, type: 'u8' },
      { name: 'l3miss', value: 14, type: 'u8' },
      { name: 'port', value: 15, type: 'u16', byteOrder: 'big-endian', doc: 'UDP destination port' },
      { name: 'group6', value: 16, type: 'binary', display: 'ipaddr', doc: 'IPv6 remote or multicast group' },
      { name: 'local6', value: 17, type: 'binary', display: 'ipaddr', doc: 'IPv6 source address' },
      { name: 'udpCsum', value: 18, type: 'u8' },
      { name: 'udpZeroCsum6Tx', value: 19, type: 'u8' },
      { name: 'udpZeroCsum6Rx', value: 20, type: 'u8' },
      { name: 'remcsumTx', value: 21, type: 'u8' },
      { name: 'remcsumRx', value: 22, type: 'u8' },
      { name: 'gbp', value: 23, type: 'flag', doc: 'group based policy extension' },
      { name: 'remcsumNopartial', value: 24, type: 'flag' },
      { name: 'collectMetadata', value: 25, type: 'u8', doc: 'external (flow-based) mode' },
      { name: 'label', value: 26, type: 'u32', byteOrder: 'big-endian', doc: 'IPv6 flow label' },
      { name: 'gpe', value: 27, type: 'flag', doc: 'generic protocol extension' },
      {
        name: 'ttlInherit',
        value: 28,
        type: 'u8',
        doc: 'dumps carry a u8 0/1, but requests must send it empty (NLA_FLAG in the kernel policy): put { type: 28, data: new Uint8Array(), index: 0 } in `unknown`',
      },
      { name: 'df', value: 29, type: 'u8', enum: 'vxlan-df' },
      { name: 'vnifilter', value: 30, type: 'u8', doc: 'per-VNI filtering (with collectMetadata)' },
      { name: 'localbypass', value: 31, type: 'u8', doc: 'deliver to a local VXLAN device directly' },
      { name: 'labelPolicy', value: 32, type: 'u32', enum: 'vxlan-label-policy' },
      { name: 'reservedBits', value: 33, type: 'binary', display: 'hex', doc: 'header bits accepted on receive (struct vxlanhdr)' },
      { name: 'mcRoute', value: 34, type: 'u8', doc: 'route locally generated multicast' },
    ],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// ---------------------------------------------------------------------------------------------
// macvlan and macvtap (same attributes).

const macvlanDefinitions = {
  'macvlan-mode': {
    type: 'enum',
    doc: 'enum macvlan_mode (MACVLAN_MODE_*)',
    entries: { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 },
  },
  'macvlan-flags': {
    type: 'flags',
    doc: 'MACVLAN_FLAG_*',
    entries: { nopromisc: 1, nodst: 2 },
  },
  'macvlan-macaddr-mode': {
    type: 'enum',
    doc: 'enum macvlan_macaddr_mode: what a request does with IFLA_MACVLAN_MACADDR(_DATA)',
    entries: { add: 0, del: 1, flush: 2, set: 3 },
  },
} as const satisfies Record<string, DefinitionSpec>;

const macvlanSets = {
  'linkinfo-macvlan': {
    prefix: 'IFLA_MACVLAN_',
    attributes: [
      { name: 'mode', value: 1, type: 'u32', enum: 'macvlan-mode' },
      { name: 'flags', value: 2, type: 'u16', enum: 'macvlan-flags' },
      { name: 'macaddrMode', value: 3, type: 'u32', enum: 'macvlan-macaddr-mode' },
      { name: 'macaddr', value: 4, type: 'binary', display: 'hwaddr', doc: 'one source address (mode source)' },
      { name: 'macaddrData', value: 5, type: 'nest', nested: 'macvlan-macaddr-data', doc: 'source addresses (mode source)' },
      { name: 'macaddrCount', value: 6, type: 'u32' },
      { name: 'bcQueueLen', value: 7, type: 'u32', doc: 'broadcast/multicast receive queue, packets' },
      { name: 'bcQueueLenUsed', value: 8, type: 'u32' },
      { name: 'bcCutoff', value: 9, type: 's32', doc: 'above this many macvlans, broadcast is delivered by the lower device (-1: never)' },
    ],
  },
  'macvlan-macaddr-data': {
    prefix: 'IFLA_MACVLAN_',
    attributes: [{ name: 'macaddr', value: 4, type: 'binary', display: 'hwaddr', multi: true }],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// ---------------------------------------------------------------------------------------------
// vlan (802.1Q): linux/if_link.h, if_vlan.h.

const vlanDefinitions = {
  'vlan-flags': {
    type: 'flags',
    doc: 'VLAN_FLAG_* (linux/if_vlan.h)',
    entries: { reorder_hdr: 1, gvrp: 2, loose_binding: 4, mvrp: 8, bridge_binding: 16 },
  },
  'ifla-vlan-flags': {
    type: 'struct',
    members: [
      { name: 'flags', type: 'u32', enum: 'vlan-flags' },
      { name: 'mask', type: 'u32', enum: 'vlan-flags', doc: 'flags a request changes' },
    ],
  },
  'ifla-vlan-qos-mapping': {
    type: 'struct',
    members: [
      { name: 'from', type: 'u32' },
      { name: 'to', type: 'u32' },
    ],
  },
} as const satisfies Record<string, DefinitionSpec>;

const vlanSets = {
  'linkinfo-vlan': {
    prefix: 'IFLA_VLAN_',
    attributes: [
      { name: 'id', value: 1, type: 'u16' },
      { name: 'flags', value: 2, type: 'struct', struct: 'ifla-vlan-flags' },
      { name: 'egressQos', value: 3, type: 'nest', nested: 'vlan-qos', doc: 'skb priority -> 802.1p' },
      { name: 'ingressQos', value: 4, type: 'nest', nested: 'vlan-qos', doc: '802.1p -> skb priority' },
      { name: 'protocol', value: 5, type: 'u16', byteOrder: 'big-endian', enum: 'vlan-protocols' },
    ],
  },
  'vlan-qos': {
    prefix: 'IFLA_VLAN_QOS_',
    attributes: [{ name: 'mapping', value: 1, type: 'struct', struct: 'ifla-vlan-qos-mapping', multi: true }],
  },
} as const satisfies Record<string, AttributeSetSpec>;

// ---------------------------------------------------------------------------------------------

export const linkKindDefinitions = {
  ...bridgeDefinitions,
  ...vxlanDefinitions,
  ...macvlanDefinitions,
  ...vlanDefinitions,
} as const;

export const linkKindAttributeSets = {
  ...vethSets,
  ...bridgeSets,
  ...vxlanSets,
  ...macvlanSets,
  ...vlanSets,
} as const;

/** IFLA_INFO_KIND -> attribute set of IFLA_INFO_DATA. */
export const linkKinds = {
  veth: 'linkinfo-veth',
  bridge: 'linkinfo-bridge',
  vxlan: 'linkinfo-vxlan',
  macvlan: 'linkinfo-macvlan',
  macvtap: 'linkinfo-macvlan',
  vlan: 'linkinfo-vlan',
} as const;

/** IFLA_INFO_SLAVE_KIND (the master's kind) -> attribute set of IFLA_INFO_SLAVE_DATA. */
export const linkKindSlaveData = {
  bridge: 'linkinfo-bridge-port',
} as const;
