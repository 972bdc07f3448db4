/**
 * Network namespace ids: RTM_NEWNSID / RTM_DELNSID / RTM_GETNSID (linux/net_namespace.h).
 *
 * The header is struct rtgenmsg (one byte); the kernel reserves NLMSG_ALIGN(1) = 4 bytes
 * (nlmsg_put zeroes the padding) and the attributes follow at offset 4, so it is modelled as a
 * family byte and three pad bytes.
 */
import { addressFamilyEnum } from './rt-common.js';
import { defineFamily } from './spec.js';

export const rtNsidSpec = defineFamily({
  name: 'rt-nsid',
  doc: 'Ids of peer network namespaces (RTM_*NSID)',
  protocol: 0,
  definitions: {
    'address-family': addressFamilyEnum,
    rtgenmsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'pad', type: 'pad', len: 3 },
      ],
    },
  },
  attributeSets: {
    nsid: {
      prefix: 'NETNSA_',
      attributes: [
        { name: 'nsid', value: 1, type: 's32', doc: 'id of the namespace; -1 (NETNSA_NSID_NOT_ASSIGNED) when none' },
        { name: 'pid', value: 2, type: 'u32', doc: 'request: namespace of this process' },
        { name: 'fd', value: 3, type: 'u32', doc: 'request: namespace of this file descriptor' },
        { name: 'targetNsid', value: 4, type: 's32', doc: 'request: act in the namespace with this nsid' },
        {
          name: 'currentNsid',
          value: 5,
          type: 's32',
          doc: 'reply to a targetNsid request: id of the same peer namespace as the caller namespace sees it',
        },
      ],
    },
  },
  messages: {
    newnsid: { value: 88, header: 'rtgenmsg', attributes: 'nsid' },
    delnsid: { value: 89, header: 'rtgenmsg', attributes: 'nsid' },
    getnsid: { value: 90, header: 'rtgenmsg', attributes: 'nsid' },
  },
  mcastGroups: [{ name: 'nsid', value: 28 }],
  // net/core/net_namespace.c: rtnl_net_newid(), rtnl_net_valid_getid_req(), rtnl_valid_dump_net_req().
  operations: {
    newnsid: { doc: 'give the namespace of a pid or fd an id', do: { request: { message: 'newnsid', attributes: ['nsid', 'pid', 'fd'] } } },
    getnsid: {
      doc: 'the id of the namespace of a pid, fd or nsid (seen from targetNsid), or a dump of all',
      do: {
        request: { message: 'getnsid', attributes: ['pid', 'fd', 'nsid', 'targetNsid'] },
        reply: { message: 'newnsid', attributes: ['nsid', 'currentNsid'] },
      },
      dump: { request: { message: 'getnsid', attributes: ['targetNsid'] }, reply: { message: 'newnsid', attributes: ['nsid', 'currentNsid'] } },
    },
    newnsidNtf: { doc: 'an id was given', event: { message: 'newnsid', attributes: ['nsid'] }, mcgrp: 'nsid' },
    delnsidNtf: { doc: 'an id was removed', event: { message: 'delnsid', attributes: ['nsid'] }, mcgrp: 'nsid' },
  },
});
