/**
 * The operations part of scripts/check-ynl.ts: protocol/'s `operations` against YNL's
 * `operations.list`, operation by operation (paired by name: newlink-ntf is newlinkNtf). For each
 * do and dump form it compares the request and reply messages (type value, header struct and
 * attribute set, paired as the messages are) and the attribute lists, attributes matched by id;
 * for a notification (YNL `notify: getlink`, or `event`), its message and the attributes of the
 * reply it repeats. A family without `operations` is not compared here.
 *
 * Where YNL's lists are narrower or wider than the kernel's handlers, protocol/ follows the kernel
 * and CHECKED_YNL_OPERATIONS says where, with the kernel source that shows it: those findings are
 * `known-ynl`; a rule that no longer matches is `stale`, as for the README's entries.
 */
import type { FamilySpec, OperationMessageSpec, OperationSpec } from '../protocol/spec.js';
import { type FindingKind, type KnownYnlError, type YFamily, type YOp, type YOpMessage, camel } from './ynl-model.js';

/** What the operation comparison needs of check-ynl's Comparison. */
export interface OpsComparison {
  readonly ours: FamilySpec;
  readonly ynl: YFamily;
  readonly counts: { operations: number };
  add(kind: FindingKind, code: string, ours: string, ynl: string, message: string): void;
  /** Pairs and compares one of our attribute sets with one of YNL's (as message attribute sets are). */
  compareSets(ourSet: string, ynlSet: string): void;
  compareStructs(ourStruct: string, ynlStruct: string, from: string): void;
}

export function compareOperations(c: OpsComparison): void {
  const ours = c.ours.operations;
  if (ours === undefined) return;
  const met = new Set<string>();
  for (const y of c.ynl.ops) {
    const name = camel(y.name);
    const o = ours[name];
    if (!o) {
      c.add('only-ynl', 'operation', '', `operations.${y.name}`, `YNL operation ${y.name} is not here`);
      continue;
    }
    met.add(name);
    c.counts.operations++;
    if (y.notifies !== undefined || y.event !== undefined) compareEvent(c, name, o, y);
    for (const mode of ['do', 'dump'] as const) compareMode(c, name, o, y, mode);
    compareGroup(c, name, o, y);
  }
  for (const name of Object.keys(ours)) {
    if (!met.has(name)) c.add('only-ours', 'operation', `operations.${name}`, '', `operation ${name} is not in the YNL spec`);
  }
}

function compareMode(c: OpsComparison, name: string, o: OperationSpec, y: YOp, mode: 'do' | 'dump'): void {
  const om = o[mode];
  const ym = y[mode];
  const here = `operations.${name}.${mode}`;
  const there = `operations.${y.name}.${mode}`;
  if (!om && !ym) return;
  if (!om || !ym) {
    const [ourPath, side] = om ? [here, 'here, none in YNL'] : [`operations.${name}`, 'in YNL, none here'];
    c.add('error', 'op-mode', ourPath, `operations.${y.name}`, `${name} has a ${mode} form ${side}`);
    return;
  }
  for (const dir of ['request', 'reply'] as const) {
    const od = om[dir];
    const yd = ym[dir];
    if (!od && !yd) continue;
    if (!od || !yd) {
      const side = od ? 'here, none in YNL' : 'in YNL, none here';
      c.add('error', 'op-message', `${here}.${dir}`, `${there}.${dir}`, `${name} ${mode} has a ${dir} ${side}`);
      continue;
    }
    const value = yd.value ?? (dir === 'request' ? y.request : y.reply);
    const at = { label: `${name} ${mode} ${dir}`, here: `${here}.${dir}`, there: `${there}.${dir}` };
    compareMessage(c, at, od, value, y.set, y.header);
    compareLists(c, at, od, yd.attributes, y.set);
  }
}

/** A notification: our event against the reply of the operation YNL's `notify` names (or its `event`). */
function compareEvent(c: OpsComparison, name: string, o: OperationSpec, y: YOp): void {
  const at = { label: `${name} event`, here: `operations.${name}.event`, there: `operations.${y.name}.${y.event ? 'event' : 'notify'}` };
  if (!o.event) {
    c.add('error', 'op-mode', `operations.${name}`, at.there, `${name} is a notification in YNL, not here`);
    return;
  }
  const target = y.notifies === undefined ? undefined : c.ynl.ops.find((x) => x.name === y.notifies);
  const reply: YOpMessage | undefined = target?.do?.reply ?? target?.dump?.reply;
  const set = y.set ?? target?.set;
  compareMessage(c, at, o.event, y.notify, set, y.header ?? target?.header);
  compareLists(c, at, o.event, y.event ?? reply?.attributes ?? [], set);
}

interface Where {
  label: string;
  here: string;
  there: string;
}

/** The message's type value, and its header and attribute set paired with the operation's. */
function compareMessage(c: OpsComparison, at: Where, od: OperationMessageSpec, value: number | undefined, set?: string, header?: string): void {
  const msg = c.ours.messages[od.message];
  if (!msg) return; // spec-check refuses such a spec
  if (value !== undefined && msg.value !== value) {
    c.add('error', 'op-message', at.here, at.there, `${at.label} is ${od.message} (${msg.value}) here, ${value} in YNL`);
  }
  if (set) c.compareSets(msg.attributes, set);
  if (header) c.compareStructs(msg.header, header, at.here);
}

/** The attribute lists, YNL's names turned into ours through the attribute ids of the two sets. */
function compareLists(c: OpsComparison, at: Where, od: OperationMessageSpec, ynlNames: readonly string[], set: string | undefined): void {
  const ourSet = c.ours.attributeSets[c.ours.messages[od.message]?.attributes ?? ''];
  const ynlSet = set === undefined ? undefined : c.ynl.sets.get(set);
  if (!ourSet) return;
  const theirs = new Set<string>();
  for (const n of ynlNames) {
    const id = ynlSet?.attrs.find((a) => a.name === n)?.value;
    const mine = ourSet.attributes.find((a) => (id === undefined ? a.name === camel(n) : a.value === id))?.name;
    if (mine === undefined) c.add('only-ynl', 'op-attribute', at.here, at.there, `${at.label}: ${n} is not an attribute here`);
    else theirs.add(mine);
  }
  const listed = new Set(od.attributes);
  for (const n of theirs) if (!listed.has(n)) c.add('error', 'op-attribute', at.here, at.there, `${at.label}: ${n} is in YNL's list, not here`);
  for (const n of listed) if (!theirs.has(n)) c.add('error', 'op-attribute', at.here, at.there, `${at.label}: ${n} is listed here, not in YNL's`);
}

function compareGroup(c: OpsComparison, name: string, o: OperationSpec, y: YOp): void {
  if (o.mcgrp === undefined || y.mcgrp === undefined) return;
  const ours = c.ours.mcastGroups?.find((g) => g.name === o.mcgrp)?.value;
  const theirs = c.ynl.mcast.find((g) => g.name === y.mcgrp)?.value;
  if (ours === theirs) return;
  c.add('error', 'op-group', `operations.${name}.mcgrp`, `operations.${y.name}.mcgrp`, `${name} notifies ${o.mcgrp} here, ${y.mcgrp} in YNL`);
}

// ---------------------------------------------------------------------------------------------
// Where YNL's operation lists are not the kernel's (checked against the 6.18 sources and kernel)

const RTNL = 'net/core/rtnetlink.c';
const PROBE = 'test/protocol/rt-operations.test.ts (the kernel asked attribute by attribute)';
/** A message pattern for findings about these attributes, in one direction. */
const only = (side: 'wider' | 'narrower', ...names: string[]): RegExp =>
  new RegExp(`: (${names.join('|')}) ${side === 'wider' ? 'is listed here' : "is in YNL's list"}`);

/** Attributes the kernel puts in a link message that YNL's link-all-attrs does not list (rtnl_fill_ifinfo). */
const NEW_LINK_ATTRS = ['dpllPin', 'maxPacingOffloadHorizon', 'netnsImmutable', 'headroom', 'tailroom'];
/** Read-only link attributes YNL's setlink list has (it is its getlink reply): do_setlink() reads none of them. */
const LINK_READ_ONLY = [
  'link',
  'qdisc',
  'stats',
  'cost',
  'priority',
  'wireless',
  'weight',
  'linkinfo',
  'numVf',
  'stats64',
  'extMask',
  'promiscuity',
  'numTxQueues',
  'numRxQueues',
  'physPortId',
  'carrierChanges',
  'physSwitchId',
  'linkNetnsid',
  'physPortName',
  'pad',
  'event',
  'newNetnsid',
  'carrierUpCount',
  'carrierDownCount',
  'minMtu',
  'maxMtu',
  'propList',
  'permAddress',
  'parentDevName',
  'parentDevBusName',
  'tsoMaxSize',
  'tsoMaxSegs',
  'allmulti',
  'devlinkPort',
];
/** Route attributes only the kernel writes, or only a route get reads: YNL lists them for new and del. */
const ROUTE_READ_ONLY = ['cacheinfo', 'mark', 'mfcStats', 'pad', 'uid', 'ipProto', 'sport', 'dport', 'flowlabel'];
const NEIGH_REPLY = ['cacheinfo', 'linkNetnsid', 'srcVni'];
/** What RTM_NEWLINK reads beyond YNL's list: do_setlink()'s attributes, the master of a new link, a kind's lower link. */
const LINK_CHANGED_BY_NEWLINK = [
  'altIfname',
  'newIfindex',
  'map',
  'ifalias',
  'master',
  'carrier',
  'vfinfoList',
  'vfPorts',
  'portSelf',
  'protoDown',
  'protoDownReason',
  'xdp',
  'link',
];

export const CHECKED_YNL_OPERATIONS: readonly KnownYnlError[] = [
  {
    key: 'RTM_NEWLINK also changes an existing link, as RTM_SETLINK does',
    family: 'rt-link',
    ynl: /^operations\.newlink\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', ...LINK_CHANGED_BY_NEWLINK),
    evidence: `${RTNL} __rtnl_newlink() -> rtnl_changelink() -> do_setlink(); rtnl_newlink_create() sets master; kinds read IFLA_LINK`,
  },
  {
    key: 'RTM_SETLINK reads what do_setlink() reads',
    family: 'rt-link',
    ynl: /^operations\.setlink\.do\.request$/,
    codes: ['op-attribute'],
    message: only('narrower', ...LINK_READ_ONLY),
    evidence: `${RTNL} do_setlink(): YNL's setlink list is its getlink reply list`,
  },
  {
    key: 'RTM_SETLINK finds a link by altIfname too',
    family: 'rt-link',
    ynl: /^operations\.setlink\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'altIfname'),
    evidence: `${RTNL} rtnl_setlink() -> rtnl_dev_get()`,
  },
  {
    key: 'RTM_DELLINK finds links by altIfname or group, in a target namespace',
    family: 'rt-link',
    ynl: /^operations\.dellink\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'altIfname', 'targetNetnsid', 'group', 'afSpec'),
    evidence: `${RTNL} rtnl_dellink(), rtnl_group_dellink(); AF_BRIDGE: rtnl_bridge_dellink() (afSpec)`,
  },
  {
    key: "link messages carry the attributes newer than YNL's list",
    family: 'rt-link',
    ynl: /^operations\.(getlink\.(do|dump)\.reply|newlink-ntf\.notify)$/,
    codes: ['op-attribute'],
    message: only('wider', ...NEW_LINK_ATTRS),
    evidence: `${RTNL} rtnl_fill_ifinfo(), rtnl_fill_dpll_pin()`,
  },
  {
    key: 'RTM_NEWADDR reads broadcast, flags, rtPriority and proto',
    family: 'rt-addr',
    ynl: /^operations\.newaddr\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'broadcast', 'flags', 'rtPriority', 'proto', 'anycast'),
    evidence: "net/ipv4/devinet.c inet_rtm_to_ifa(), net/ipv6/addrconf.c inet6_rtm_newaddr(); anycast: no longer read, the API's anycast option",
  },
  {
    key: 'RTM_DELADDR matches the label (IPv4) and takes IFA_FLAGS (IPv6)',
    family: 'rt-addr',
    ynl: /^operations\.deladdr\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'label', 'flags'),
    evidence: 'net/ipv4/devinet.c inet_rtm_deladdr(), net/ipv6/addrconf.c inet6_rtm_deladdr()',
  },
  {
    key: 'RTM_GETADDR has a do form for IPv6',
    family: 'rt-addr',
    ynl: /^operations\.getaddr$/,
    codes: ['op-mode'],
    message: /getaddr has a do form here/,
    evidence: `net/ipv6/addrconf.c inet6_rtm_getaddr(); ${PROBE}`,
  },
  {
    key: 'an address dump takes a target namespace',
    family: 'rt-addr',
    ynl: /^operations\.getaddr\.dump\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'targetNetnsid'),
    evidence: `inet_valid_dump_ifaddr_req(), inet6_valid_dump_ifaddr_req(); ${PROBE}`,
  },
  {
    key: 'address messages carry broadcast, flags, rtPriority, proto, targetNetnsid',
    family: 'rt-addr',
    ynl: /^operations\.getaddr\.dump\.reply$/,
    codes: ['op-attribute'],
    message: only('wider', 'broadcast', 'anycast', 'flags', 'rtPriority', 'targetNetnsid', 'proto'),
    evidence: 'net/ipv4/devinet.c inet_fill_ifaddr(), net/ipv6/addrconf.c inet6_fill_ifaddr()',
  },
  {
    key: 'a route get takes MPLS newdst',
    family: 'rt-route',
    ynl: /^operations\.getroute\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'newdst'),
    evidence: 'net/mpls/af_mpls.c mpls_valid_getroute_req(): RTA_DST, RTA_NEWDST',
  },
  {
    key: 'a route dump filters by table and oif',
    family: 'rt-route',
    ynl: /^operations\.getroute\.dump\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'table', 'oif'),
    evidence: `net/ipv4/fib_frontend.c ip_valid_fib_dump_req(); ${PROBE}`,
  },
  {
    key: 'a route add or delete does not read the read-only route attributes',
    family: 'rt-route',
    ynl: /^operations\.(new|del)route\.do\.request$/,
    codes: ['op-attribute'],
    message: only('narrower', ...ROUTE_READ_ONLY),
    evidence: 'rtm_to_fib_config() (net/ipv4/fib_frontend.c), rtm_to_fib6_config() (net/ipv6/route.c), rtm_to_route_config() (MPLS)',
  },
  {
    key: 'vxlan fdb entries take a source VNI',
    family: 'rt-neigh',
    ynl: /^operations\.newneigh\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'srcVni'),
    evidence: 'drivers/net/vxlan/vxlan_core.c vxlan_fdb_parse()',
  },
  {
    key: 'RTM_DELNEIGH of fdb entries and bulk deletes',
    family: 'rt-neigh',
    ynl: /^operations\.delneigh\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'lladdr', 'vlan', 'port', 'vni', 'srcVni', 'nhId', 'ndmStateMask', 'ndmFlagsMask'),
    evidence: `${RTNL} rtnl_fdb_del() (lladdr, vlan); vxlan_fdb_parse(); the bridge's and vxlan's NLM_F_BULK policies`,
  },
  {
    key: 'an fdb get takes lladdr, vlan, vni and master',
    family: 'rt-neigh',
    ynl: /^operations\.getneigh\.do\.request$/,
    codes: ['op-attribute'],
    message: only('wider', 'lladdr', 'vlan', 'vni', 'master'),
    evidence: `${RTNL} valid_fdb_get_strict(); ${PROBE}`,
  },
  {
    key: 'neighbour messages carry cacheinfo, linkNetnsid and srcVni',
    family: 'rt-neigh',
    ynl: /^operations\.(getneigh\.(do|dump)\.reply|(new|del)neigh-ntf\.notify)$/,
    codes: ['op-attribute'],
    message: only('wider', ...NEIGH_REPLY),
    evidence: 'net/core/neighbour.c __neigh_fill_info() (cacheinfo); vxlan_fdb_info() (linkNetnsid, srcVni)',
  },
  {
    key: 'rules have source and destination prefixes',
    family: 'rt-rule',
    ynl: /^operations\.((new|del)rule\.do\.request|getrule\.dump\.reply|(new|del)rule-ntf\.notify)$/,
    codes: ['op-attribute'],
    message: only('wider', 'src', 'dst'),
    evidence: 'net/ipv4/fib_rules.c fib4_rule_configure(), fib4_rule_fill(); net/ipv6/fib6_rules.c',
  },
];
