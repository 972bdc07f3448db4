/**
 * rtnetlink neighbours: RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH (ARP/NDP entries, proxy
 * entries, and bridge / VXLAN forwarding database entries with family bridge), and the neighbour
 * tables RTM_NEWNEIGHTBL / RTM_GETNEIGHTBL / RTM_SETNEIGHTBL (linux/neighbour.h).
 */
import { addressFamilyEnum, rtProtocolEnum, rtmTypeEnum } from './rt-common.js';
import { defineFamily } from './spec.js';

/** Every attribute an entry from the kernel may carry: neigh_fill_info(), the bridge's and vxlan's fdb fill. */
const NEIGH_ALL = [
  'dst',
  'lladdr',
  'cacheinfo',
  'probes',
  'vlan',
  'port',
  'vni',
  'ifindex',
  'master',
  'linkNetnsid',
  'srcVni',
  'protocol',
  'nhId',
  'flagsExt',
  'fdbExtAttrs',
] as const;

/** An entry as it is added: YNL's list, plus vxlan's srcVni. */
const NEIGH_NEW = [
  'dst',
  'lladdr',
  'probes',
  'vlan',
  'port',
  'vni',
  'ifindex',
  'master',
  'protocol',
  'nhId',
  'flagsExt',
  'fdbExtAttrs',
  'srcVni',
] as const;
const NEIGH_DEL = ['dst', 'ifindex', 'lladdr', 'vlan', 'port', 'vni', 'srcVni', 'nhId', 'ndmStateMask', 'ndmFlagsMask'] as const;
const NEIGHTBL_ALL = ['name', 'thresh1', 'thresh2', 'thresh3', 'config', 'parms', 'stats', 'gcInterval'] as const;

export const rtNeighSpec = defineFamily({
  name: 'rt-neigh',
  doc: 'Neighbours and forwarding database entries (RTM_*NEIGH), neighbour tables (RTM_*NEIGHTBL)',
  protocol: 0,
  definitions: {
    'address-family': addressFamilyEnum,
    'rt-protocol': rtProtocolEnum,
    'rtm-type': rtmTypeEnum,
    ndmsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'pad1', type: 'pad', len: 1 },
        { name: 'pad2', type: 'pad', len: 2 },
        { name: 'ifindex', type: 's32' },
        { name: 'state', type: 'u16', enum: 'nud-state' },
        { name: 'flags', type: 'u8', enum: 'ntf-flags' },
        { name: 'type', type: 'u8', enum: 'rtm-type' },
      ],
    },
    'nud-state': {
      type: 'flags',
      doc: 'NUD_*: neighbour unreachability detection state (none = 0: no bit set)',
      entries: {
        none: 0x00,
        incomplete: 0x01,
        reachable: 0x02,
        stale: 0x04,
        delay: 0x08,
        probe: 0x10,
        failed: 0x20,
        noarp: 0x40,
        permanent: 0x80,
      },
    },
    'ntf-flags': {
      type: 'flags',
      doc: 'NTF_*',
      entries: {
        use: 0x01,
        self: 0x02,
        master: 0x04,
        proxy: 0x08,
        ext_learned: 0x10,
        offloaded: 0x20,
        sticky: 0x40,
        router: 0x80,
      },
    },
    'ntf-ext-flags': {
      type: 'flags',
      doc: 'NTF_EXT_*: extended flags in NDA_FLAGS_EXT',
      entries: {
        managed: 1 << 0,
        locked: 1 << 1,
        ext_validated: 1 << 2,
      },
    },
    'nda-cacheinfo': {
      type: 'struct',
      doc: 'struct nda_cacheinfo: times are clock_t ticks ago',
      members: [
        { name: 'confirmed', type: 'u32' },
        { name: 'used', type: 'u32' },
        { name: 'updated', type: 'u32' },
        { name: 'refcnt', type: 'u32' },
      ],
    },
    'fdb-notify-flags': {
      type: 'flags',
      doc: 'FDB_NOTIFY_*: NFEA_ACTIVITY_NOTIFY bits',
      entries: {
        notify: 1,
        inactive: 2,
      },
    },
    ndtmsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'pad1', type: 'pad', len: 1 },
        { name: 'pad2', type: 'pad', len: 2 },
      ],
    },
    'ndt-config': {
      type: 'struct',
      doc: 'struct ndt_config',
      members: [
        { name: 'keyLen', type: 'u16' },
        { name: 'entrySize', type: 'u16' },
        { name: 'entries', type: 'u32' },
        { name: 'lastFlush', type: 'u32', doc: 'delta to now in msecs' },
        { name: 'lastRand', type: 'u32', doc: 'delta to now in msecs' },
        { name: 'hashRnd', type: 'u32' },
        { name: 'hashMask', type: 'u32' },
        { name: 'hashChainGc', type: 'u32' },
        { name: 'proxyQlen', type: 'u32' },
      ],
    },
    'ndt-stats': {
      type: 'struct',
      doc: 'struct ndt_stats',
      members: [
        { name: 'allocs', type: 'u64' },
        { name: 'destroys', type: 'u64' },
        { name: 'hashGrows', type: 'u64' },
        { name: 'resFailed', type: 'u64' },
        { name: 'lookups', type: 'u64' },
        { name: 'hits', type: 'u64' },
        { name: 'rcvProbesMcast', type: 'u64' },
        { name: 'rcvProbesUcast', type: 'u64' },
        { name: 'periodicGcRuns', type: 'u64' },
        { name: 'forcedGcRuns', type: 'u64' },
        { name: 'tableFulls', type: 'u64' },
      ],
    },
  },
  attributeSets: {
    neigh: {
      prefix: 'NDA_',
      attributes: [
        { name: 'dst', value: 1, type: 'binary', display: 'ipaddr', doc: 'protocol address (VXLAN fdb: remote IP)' },
        { name: 'lladdr', value: 2, type: 'binary', display: 'hwaddr' },
        { name: 'cacheinfo', value: 3, type: 'struct', struct: 'nda-cacheinfo' },
        { name: 'probes', value: 4, type: 'u32' },
        { name: 'vlan', value: 5, type: 'u16' },
        { name: 'port', value: 6, type: 'u16', byteOrder: 'big-endian', doc: 'VXLAN fdb: remote UDP port' },
        { name: 'vni', value: 7, type: 'u32' },
        { name: 'ifindex', value: 8, type: 'u32', doc: 'VXLAN fdb: outgoing interface of the remote' },
        { name: 'master', value: 9, type: 'u32', doc: 'bridge (or other master) interface index' },
        { name: 'linkNetnsid', value: 10, type: 's32' },
        { name: 'srcVni', value: 11, type: 'u32' },
        { name: 'protocol', value: 12, type: 'u8', enum: 'rt-protocol' },
        { name: 'nhId', value: 13, type: 'u32' },
        { name: 'fdbExtAttrs', value: 14, type: 'nest', nested: 'fdb-ext-attrs', nestedFlag: true },
        { name: 'flagsExt', value: 15, type: 'u32', enum: 'ntf-ext-flags' },
        { name: 'ndmStateMask', value: 16, type: 'u16', enum: 'nud-state', doc: 'dump filter: state bits to compare' },
        { name: 'ndmFlagsMask', value: 17, type: 'u8', enum: 'ntf-flags', doc: 'dump filter: flag bits to compare' },
      ],
    },
    'fdb-ext-attrs': {
      prefix: 'NFEA_',
      attributes: [
        { name: 'activityNotify', value: 1, type: 'u8', enum: 'fdb-notify-flags' },
        { name: 'dontRefresh', value: 2, type: 'flag' },
      ],
    },
    neightbl: {
      prefix: 'NDTA_',
      attributes: [
        { name: 'name', value: 1, type: 'string', doc: 'arp_cache, ndisc_cache...' },
        { name: 'thresh1', value: 2, type: 'u32' },
        { name: 'thresh2', value: 3, type: 'u32' },
        { name: 'thresh3', value: 4, type: 'u32' },
        { name: 'config', value: 5, type: 'struct', struct: 'ndt-config' },
        { name: 'parms', value: 6, type: 'nest', nested: 'ndtpa' },
        { name: 'stats', value: 7, type: 'struct', struct: 'ndt-stats' },
        { name: 'gcInterval', value: 8, type: 'u64', doc: 'msecs' },
        { name: 'pad', value: 9, type: 'binary' },
      ],
    },
    ndtpa: {
      prefix: 'NDTPA_',
      attributes: [
        { name: 'ifindex', value: 1, type: 'u32' },
        { name: 'refcnt', value: 2, type: 'u32' },
        { name: 'reachableTime', value: 3, type: 'u64', doc: 'msecs' },
        { name: 'baseReachableTime', value: 4, type: 'u64', doc: 'msecs' },
        { name: 'retransTime', value: 5, type: 'u64', doc: 'msecs' },
        { name: 'gcStaletime', value: 6, type: 'u64', doc: 'msecs' },
        { name: 'delayProbeTime', value: 7, type: 'u64', doc: 'msecs' },
        { name: 'queueLen', value: 8, type: 'u32' },
        { name: 'appProbes', value: 9, type: 'u32' },
        { name: 'ucastProbes', value: 10, type: 'u32' },
        { name: 'mcastProbes', value: 11, type: 'u32' },
        { name: 'anycastDelay', value: 12, type: 'u64', doc: 'msecs' },
        { name: 'proxyDelay', value: 13, type: 'u64', doc: 'msecs' },
        { name: 'proxyQlen', value: 14, type: 'u32' },
        { name: 'locktime', value: 15, type: 'u64', doc: 'msecs' },
        { name: 'queueLenbytes', value: 16, type: 'u32' },
        { name: 'mcastReprobes', value: 17, type: 'u32' },
        { name: 'pad', value: 18, type: 'binary' },
        { name: 'intervalProbeTimeMs', value: 19, type: 'u64', doc: 'msecs' },
      ],
    },
  },
  messages: {
    newneigh: { value: 28, header: 'ndmsg', attributes: 'neigh' },
    delneigh: { value: 29, header: 'ndmsg', attributes: 'neigh' },
    getneigh: { value: 30, header: 'ndmsg', attributes: 'neigh' },
    newneightbl: { value: 64, header: 'ndtmsg', attributes: 'neightbl' },
    getneightbl: { value: 66, header: 'ndtmsg', attributes: 'neightbl' },
    setneightbl: { value: 67, header: 'ndtmsg', attributes: 'neightbl' },
  },
  mcastGroups: [{ name: 'neigh', value: 3 }],
  // Request lists: neigh_add(), neigh_delete(), neigh_valid_get_req() and neigh_valid_dump_req()
  // (net/core/neighbour.c) for IP neighbours; for AF_BRIDGE the fdb handlers of net/core/rtnetlink.c
  // (valid_fdb_get_strict: lladdr, vlan, vni, master), the bridge's and vxlan's (vxlan_fdb_parse:
  // dst, port, vni, srcVni, ifindex, nhId) and their bulk deletes (state and flags masks).
  operations: {
    newneigh: { doc: 'add or change a neighbour (or fdb) entry', do: { request: { message: 'newneigh', attributes: NEIGH_NEW } } },
    newneighNtf: { doc: 'an entry was added or changed', event: { message: 'newneigh', attributes: NEIGH_ALL }, mcgrp: 'neigh' },
    delneigh: { doc: 'delete an entry (NLM_F_BULK: every entry the masks match)', do: { request: { message: 'delneigh', attributes: NEIGH_DEL } } },
    delneighNtf: { doc: 'an entry was deleted', event: { message: 'delneigh', attributes: NEIGH_ALL }, mcgrp: 'neigh' },
    getneigh: {
      doc: 'one entry, or a dump filtered by device and master',
      do: {
        request: { message: 'getneigh', attributes: ['dst', 'lladdr', 'vlan', 'vni', 'master'] },
        reply: { message: 'newneigh', attributes: NEIGH_ALL },
      },
      dump: { request: { message: 'getneigh', attributes: ['ifindex', 'master'] }, reply: { message: 'newneigh', attributes: NEIGH_ALL } },
    },
    getneightbl: {
      doc: 'the neighbour tables and their per-device parameters',
      dump: { request: { message: 'getneightbl', attributes: [] }, reply: { message: 'newneightbl', attributes: NEIGHTBL_ALL } },
    },
    setneightbl: {
      doc: "change a table (thresholds and interval: initial namespace only) or a device's parameters",
      do: { request: { message: 'setneightbl', attributes: ['name', 'thresh1', 'thresh2', 'thresh3', 'parms', 'gcInterval'] } },
    },
  },
});
