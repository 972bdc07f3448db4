/**
 * nlctrl, the generic netlink controller (linux/genetlink.h): the family every other generic
 * netlink family is found through. CTRL_CMD_GETFAMILY by name (or id) answers with the family's
 * id, version, operations and multicast groups; a dump lists every family; the `notify` group
 * announces families and groups as they come and go.
 *
 * Facts from the uapi header, checked against the kernel's YNL spec (nlctrl.yaml). Its message
 * ids are unified (a command has one number both ways); nlmsg_type is always GENL_ID_CTRL.
 * Policies (CTRL_ATTR_POLICY, CTRL_ATTR_OP_POLICY: nests keyed by policy and attribute ids) are
 * not described: a getpolicy dump keeps them raw.
 */
import { GENL_ID_CTRL, NETLINK_GENERIC, genlDefinitions } from './genetlink.js';
import { defineFamily } from './spec.js';

/** Everything a family reply carries (CTRL_CMD_NEWFAMILY). */
const FAMILY_ATTRS = ['familyId', 'familyName', 'version', 'hdrsize', 'maxattr', 'ops', 'mcastGroups'] as const;

export const nlctrlSpec = defineFamily({
  name: 'nlctrl',
  doc: 'The generic netlink controller: families, their operations and multicast groups (CTRL_CMD_*)',
  protocol: NETLINK_GENERIC,
  messageIds: { member: 'cmd', type: GENL_ID_CTRL },
  definitions: {
    ...genlDefinitions,
    'op-flags': {
      type: 'flags',
      doc: 'GENL_* capability bits of an operation (CTRL_ATTR_OP_FLAGS)',
      entries: { 'admin-perm': 1 << 0, 'cmd-cap-do': 1 << 1, 'cmd-cap-dump': 1 << 2, 'cmd-cap-haspol': 1 << 3, 'uns-admin-perm': 1 << 4 },
    },
  },
  attributeSets: {
    'ctrl-attrs': {
      prefix: 'CTRL_ATTR_',
      attributes: [
        { name: 'familyId', value: 1, type: 'u16', doc: 'the nlmsg_type of the messages of the family' },
        { name: 'familyName', value: 2, type: 'string', doc: 'at most 15 bytes (GENL_NAMSIZ with its NUL)' },
        { name: 'version', value: 3, type: 'u32', doc: 'interface version, sent in genlmsghdr.version' },
        { name: 'hdrsize', value: 4, type: 'u32', doc: 'size of the family header after genlmsghdr' },
        { name: 'maxattr', value: 5, type: 'u32', doc: 'highest attribute type of the family (0: per-operation policies)' },
        { name: 'ops', value: 6, type: 'indexed-array', nested: 'op-attrs', doc: 'the commands the family handles' },
        { name: 'mcastGroups', value: 7, type: 'indexed-array', nested: 'mcast-group-attrs', doc: 'multicast groups by name and id' },
        { name: 'op', value: 10, type: 'u32', doc: 'getpolicy request: the policy of this command only' },
      ],
    },
    'op-attrs': {
      prefix: 'CTRL_ATTR_OP_',
      attributes: [
        { name: 'id', value: 1, type: 'u32', doc: 'the command (genlmsghdr.cmd)' },
        { name: 'flags', value: 2, type: 'u32', enum: 'op-flags' },
      ],
    },
    'mcast-group-attrs': {
      prefix: 'CTRL_ATTR_MCAST_GRP_',
      attributes: [
        { name: 'name', value: 1, type: 'string' },
        { name: 'id', value: 2, type: 'u32', doc: 'the group number to join (NETLINK_ADD_MEMBERSHIP)' },
      ],
    },
  },
  messages: {
    newfamily: { value: 1, header: 'genlmsghdr', attributes: 'ctrl-attrs', doc: 'a family: reply to getfamily, or a new family (notify)' },
    delfamily: { value: 2, header: 'genlmsghdr', attributes: 'ctrl-attrs', doc: 'a family went away (notify)' },
    getfamily: { value: 3, header: 'genlmsghdr', attributes: 'ctrl-attrs' },
    newops: { value: 4, header: 'genlmsghdr', attributes: 'ctrl-attrs' },
    delops: { value: 5, header: 'genlmsghdr', attributes: 'ctrl-attrs' },
    getops: { value: 6, header: 'genlmsghdr', attributes: 'ctrl-attrs' },
    newmcastGrp: { value: 7, header: 'genlmsghdr', attributes: 'ctrl-attrs', doc: 'a multicast group was added (notify)' },
    delmcastGrp: { value: 8, header: 'genlmsghdr', attributes: 'ctrl-attrs', doc: 'a multicast group was removed (notify)' },
    getmcastGrp: { value: 9, header: 'genlmsghdr', attributes: 'ctrl-attrs', doc: 'unused by the kernel' },
    getpolicy: { value: 10, header: 'genlmsghdr', attributes: 'ctrl-attrs' },
  },
  mcastGroups: [{ name: 'notify', value: GENL_ID_CTRL }],
  operations: {
    getfamily: {
      doc: 'one family by name or id, or a dump of all',
      do: { request: { message: 'getfamily', attributes: ['familyId', 'familyName'] }, reply: { message: 'newfamily', attributes: FAMILY_ATTRS } },
      dump: { request: { message: 'getfamily', attributes: [] }, reply: { message: 'newfamily', attributes: FAMILY_ATTRS } },
    },
    getpolicy: {
      doc: 'the attribute policies of a family (kept raw here)',
      dump: {
        request: { message: 'getpolicy', attributes: ['familyName', 'familyId', 'op'] },
        reply: { message: 'getpolicy', attributes: ['familyId'] },
      },
    },
    newfamily: { event: { message: 'newfamily', attributes: FAMILY_ATTRS }, mcgrp: 'notify' },
    delfamily: { event: { message: 'delfamily', attributes: ['familyId', 'familyName'] }, mcgrp: 'notify' },
    newmcastGrp: { event: { message: 'newmcastGrp', attributes: ['familyId', 'familyName', 'mcastGroups'] }, mcgrp: 'notify' },
    delmcastGrp: { event: { message: 'delmcastGrp', attributes: ['familyId', 'familyName', 'mcastGroups'] }, mcgrp: 'notify' },
  },
});
