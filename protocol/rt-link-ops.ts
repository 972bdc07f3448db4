/**
 * The operations of rt-link (YNL's `operations` of rt-link.yaml), with the request lists of the
 * kernel's handlers in net/core/rtnetlink.c (6.18), where YNL's lists are narrower or wider:
 * - getlink: rtnl_valid_getlink_req() and rtnl_dump_ifinfo() take exactly these (strict checking);
 *   an AF_BRIDGE dump (rtnl_bridge_getlink) takes only extMask;
 * - setlink: what do_setlink() reads, plus altIfname (rtnl_dev_get), protinfo (AF_BRIDGE:
 *   ndo_bridge_setlink) and newIfindex (a namespace move). YNL lists the getlink reply, whose
 *   read-only attributes (stats, qdisc...) the kernel parses and ignores;
 * - newlink: setlink's, plus the creation attributes (linkinfo, link, linkNetnsid, queue counts):
 *   rtnl_newlink(), rtnl_create_link(), and do_setlink() when the link exists;
 * - dellink: rtnl_dellink() finds the link by ifname, altIfname or group, in targetNetnsid; an
 *   AF_BRIDGE one (rtnl_bridge_dellink) takes afSpec.
 * Replies and notifications: everything rtnl_fill_ifinfo() puts (YNL's list lacks the newest).
 */
import type { OperationSpec } from './spec.js';

/** Every attribute a link message from the kernel may carry (rtnl_fill_ifinfo, and YNL's list). */
const LINK_ALL = [
  'address',
  'broadcast',
  'ifname',
  'mtu',
  'link',
  'qdisc',
  'stats',
  'cost',
  'priority',
  'master',
  'wireless',
  'protinfo',
  'txqlen',
  'map',
  'weight',
  'operstate',
  'linkmode',
  'linkinfo',
  'netNsPid',
  'ifalias',
  'numVf',
  'vfinfoList',
  'stats64',
  'vfPorts',
  'portSelf',
  'afSpec',
  'group',
  'netNsFd',
  'extMask',
  'promiscuity',
  'numTxQueues',
  'numRxQueues',
  'carrier',
  'physPortId',
  'carrierChanges',
  'physSwitchId',
  'linkNetnsid',
  'physPortName',
  'protoDown',
  'gsoMaxSegs',
  'gsoMaxSize',
  'pad',
  'xdp',
  'event',
  'newNetnsid',
  'targetNetnsid',
  'carrierUpCount',
  'carrierDownCount',
  'newIfindex',
  'minMtu',
  'maxMtu',
  'propList',
  'permAddress',
  'protoDownReason',
  'parentDevName',
  'parentDevBusName',
  'groMaxSize',
  'tsoMaxSize',
  'tsoMaxSegs',
  'allmulti',
  'devlinkPort',
  'gsoIpv4MaxSize',
  'groIpv4MaxSize',
  'dpllPin',
  'maxPacingOffloadHorizon',
  'netnsImmutable',
  'headroom',
  'tailroom',
] as const;

/** What do_setlink() changes, and how the link and its namespace are named. */
const LINK_CHANGES = [
  'ifname',
  'altIfname',
  'netNsPid',
  'netNsFd',
  'targetNetnsid',
  'newIfindex',
  'map',
  'address',
  'broadcast',
  'mtu',
  'group',
  'ifalias',
  'master',
  'carrier',
  'txqlen',
  'gsoMaxSize',
  'gsoMaxSegs',
  'groMaxSize',
  'gsoIpv4MaxSize',
  'groIpv4MaxSize',
  'operstate',
  'linkmode',
  'vfinfoList',
  'vfPorts',
  'portSelf',
  'afSpec',
  'protoDown',
  'protoDownReason',
  'xdp',
] as const;

const LINK_NEW = [...LINK_CHANGES, 'linkinfo', 'link', 'linkNetnsid', 'numTxQueues', 'numRxQueues'] as const;
const LINK_PROP = ['ifname', 'altIfname', 'propList'] as const;
const reply = { message: 'newlink', attributes: LINK_ALL } as const;

export const rtLinkOperations = {
  newlink: {
    doc: 'create a link (NLM_F_CREATE), or change one found by index or name',
    do: { request: { message: 'newlink', attributes: LINK_NEW } },
  },
  newlinkNtf: { doc: 'a link appeared or changed', event: reply, mcgrp: 'link' },
  dellink: { doc: 'delete a link', do: { request: { message: 'dellink', attributes: ['ifname', 'altIfname', 'targetNetnsid', 'group', 'afSpec'] } } },
  dellinkNtf: { doc: 'a link went away', event: { message: 'dellink', attributes: LINK_ALL }, mcgrp: 'link' },
  getlink: {
    doc: 'one link by index or name, or a dump filtered by master or kind',
    do: { request: { message: 'getlink', attributes: ['ifname', 'altIfname', 'extMask', 'targetNetnsid'] }, reply },
    dump: { request: { message: 'getlink', attributes: ['targetNetnsid', 'extMask', 'master', 'linkinfo'] }, reply },
  },
  setlink: { doc: 'change a link (AF_BRIDGE: a bridge port)', do: { request: { message: 'setlink', attributes: [...LINK_CHANGES, 'protinfo'] } } },
  newlinkprop: { doc: 'add alternative names', do: { request: { message: 'newlinkprop', attributes: LINK_PROP } } },
  dellinkprop: { doc: 'remove alternative names', do: { request: { message: 'dellinkprop', attributes: LINK_PROP } } },
} as const satisfies Record<string, OperationSpec>;
