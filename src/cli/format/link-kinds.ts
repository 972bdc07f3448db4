/**
 * `ip -d link`: linkinfo { info_kind, info_data, info_slave_kind, info_slave_data } with the
 * per-kind printers of iproute2 6.1 (iplink_bridge.c, iplink_bridge_slave.c, iplink_vxlan.c,
 * iplink_macvlan.c, iplink_vlan.c). Kinds ip has no printer for show only their kind.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type {
  RtLinkIflaBridgeId,
  RtLinkLinkinfoAttrs,
  RtLinkLinkinfoBridgeAttrs,
  RtLinkLinkinfoBridgePortAttrs,
  RtLinkLinkinfoMacvlanAttrs,
  RtLinkLinkinfoVlanAttrs,
  RtLinkLinkinfoVxlanAttrs,
  RtLinkVlanQosAttrs,
} from '../../generated/index.js';
import { type Printer, RawJson } from './printer.js';
import { type LinkNames, addrText, altHex, attrs, enumName, enumNum, flagsNum, llAddr } from './values.js';

/** A kind's printer, given its IFLA_INFO_DATA (or IFLA_INFO_SLAVE_DATA) as the codec decodes it. */
type KindPrinter<T> = (p: Printer, d: Partial<T>, names: LinkNames) => void;
/** Every decoded IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA the spec describes. */
type KindData = Exclude<RtLinkLinkinfoAttrs['data'] | RtLinkLinkinfoAttrs['slaveData'], Uint8Array | undefined>;
/** Printers by kind (a printer of any one kind's data is a KindPrinter<never>). */
type KindTable = Readonly<Record<string, KindPrinter<never>>>;

const D = rtLinkSpec.definitions;

export function printLinkKind(p: Printer, info: Partial<RtLinkLinkinfoAttrs>, names: LinkNames): void {
  p.openObject('linkinfo');
  if (info.kind !== undefined) {
    p.text('\n');
    p.any('info_kind', info.kind, `    ${info.kind} `);
    const printer = kindPrinter(KINDS, info.kind);
    if (printer) {
      p.openObject('info_data');
      if (info.data !== undefined && !(info.data instanceof Uint8Array)) printer(p, attrs(info.data), names);
      p.closeObject();
    }
  }
  if (info.slaveKind !== undefined) {
    p.text('\n');
    p.any('info_slave_kind', info.slaveKind, `    ${info.slaveKind}_slave `);
    const printer = kindPrinter(SLAVE_KINDS, info.slaveKind);
    if (printer) {
      p.openObject('info_slave_data');
      if (info.slaveData !== undefined && !(info.slaveData instanceof Uint8Array)) printer(p, attrs(info.slaveData), names);
      p.closeObject();
    }
  }
  p.closeObject();
}

function u(p: Printer, key: string, text: string, v: unknown): void {
  if (v === undefined) return;
  const n = typeof v === 'bigint' ? v : Number(v);
  p.any(key, n, `${text} ${n} `);
}

function onOff(p: Printer, key: string, text: string, v: unknown): void {
  if (v === undefined) return;
  p.any(key, !!v, `${text} ${v ? 'on' : 'off'} `);
}

function hex(p: Printer, key: string, text: string, v: unknown): void {
  if (v === undefined) return;
  const s = altHex(Number(v));
  p.any(key, s, `${text} ${s} `);
}

/** _bridge_print_timer: centiseconds as seconds with two decimals. */
function timer(p: Printer, key: string, v: unknown): void {
  if (v === undefined) return;
  const cs = typeof v === 'bigint' ? v : BigInt(Number(v));
  const sec = cs / 100n;
  const frac = (cs % 100n).toString().padStart(2, '0');
  if (p.json) p.jsonOnly(key, new RawJson(`${sec}.${frac}`));
  else p.text(`${key} ${sec.toString().padStart(4)}.${frac} `);
}

/** An STP bridge id as `key` in JSON and `label ID` in text, when present. */
function stpId(p: Printer, key: string, label: string, v: RtLinkIflaBridgeId | undefined): void {
  if (v === undefined) return;
  const s = bridgeId(v);
  p.any(key, s, `${label} ${s} `);
}

/** br_dump_bridge_id: "8000.1a:12:8:2c:df:ac" (ether_ntoa leaves out leading zeros). */
function bridgeId(v: RtLinkIflaBridgeId): string {
  const id = attrs(v);
  const prio = Number(id.prio ?? 0);
  const mac = String(id.addr ?? '')
    .split(':')
    .map((x) => parseInt(x, 16).toString(16))
    .join(':');
  return `${prio.toString(16).padStart(4, '0')}.${mac}`;
}

/** Presentation: ip's words for the 802.1Q tag protocols, by the spec's names. */
const VLAN_PROTO_WORDS: Readonly<Record<string, string>> = { '8021q': '802.1Q', '8021ad': '802.1ad' };
function vlanProto(v: unknown): string {
  return VLAN_PROTO_WORDS[enumName(D['vlan-protocols'], v) ?? ''] ?? `[${enumNum(D['vlan-protocols'], v)}]`;
}

const BOOLOPT = D['br-boolopt'].entries;
const BOOLOPT_WORDS = [
  [BOOLOPT.no_ll_learn, 'no_linklocal_learn'],
  [BOOLOPT.mcast_vlan_snooping, 'mcast_vlan_snooping'],
] as const;

const bridge: KindPrinter<RtLinkLinkinfoBridgeAttrs> = (p, d) => {
  u(p, 'forward_delay', 'forward_delay', d.forwardDelay);
  u(p, 'hello_time', 'hello_time', d.helloTime);
  u(p, 'max_age', 'max_age', d.maxAge);
  u(p, 'ageing_time', 'ageing_time', d.ageingTime);
  u(p, 'stp_state', 'stp_state', d.stpState);
  u(p, 'priority', 'priority', d.priority);
  u(p, 'vlan_filtering', 'vlan_filtering', d.vlanFiltering);
  if (d.vlanProtocol !== undefined) {
    const s = vlanProto(d.vlanProtocol);
    p.any('vlan_protocol', s, `vlan_protocol ${s} `);
  }
  stpId(p, 'bridge_id', 'bridge_id', d.bridgeId);
  stpId(p, 'root_id', 'designated_root', d.rootId);
  u(p, 'root_port', 'root_port', d.rootPort);
  u(p, 'root_path_cost', 'root_path_cost', d.rootPathCost);
  u(p, 'topology_change', 'topology_change', d.topologyChange);
  u(p, 'topology_change_detected', 'topology_change_detected', d.topologyChangeDetected);
  timer(p, 'hello_timer', d.helloTimer);
  timer(p, 'tcn_timer', d.tcnTimer);
  timer(p, 'topology_change_timer', d.topologyChangeTimer);
  timer(p, 'gc_timer', d.gcTimer);
  u(p, 'vlan_default_pvid', 'vlan_default_pvid', d.vlanDefaultPvid);
  u(p, 'vlan_stats_enabled', 'vlan_stats_enabled', d.vlanStatsEnabled);
  u(p, 'vlan_stats_per_port', 'vlan_stats_per_port', d.vlanStatsPerPort);
  hex(p, 'group_fwd_mask', 'group_fwd_mask', d.groupFwdMask);
  if (d.groupAddr !== undefined) {
    const s = llAddr(d.groupAddr, 'ether');
    p.any('group_addr', s, `group_address ${s} `);
  }
  u(p, 'mcast_snooping', 'mcast_snooping', d.mcastSnooping);
  if (d.multiBoolopt !== undefined) {
    const bo = attrs(d.multiBoolopt);
    const val = flagsNum(D['br-boolopt'], bo.optval);
    const mask = flagsNum(D['br-boolopt'], bo.optmask);
    // ip 6.1 prints these two options, the first as no_linklocal_learn
    for (const [bit, word] of BOOLOPT_WORDS) if (mask & bit) u(p, word, word, val & bit ? 1 : 0);
  }
  if (d.mcastRouter !== undefined) u(p, 'mcast_router', 'mcast_router', enumNum(D['mdb-rtr-type'], d.mcastRouter));
  u(p, 'mcast_query_use_ifaddr', 'mcast_query_use_ifaddr', d.mcastQueryUseIfaddr);
  u(p, 'mcast_querier', 'mcast_querier', d.mcastQuerier);
  u(p, 'mcast_hash_elasticity', 'mcast_hash_elasticity', d.mcastHashElasticity);
  u(p, 'mcast_hash_max', 'mcast_hash_max', d.mcastHashMax);
  u(p, 'mcast_last_member_cnt', 'mcast_last_member_count', d.mcastLastMemberCnt);
  u(p, 'mcast_startup_query_cnt', 'mcast_startup_query_count', d.mcastStartupQueryCnt);
  u(p, 'mcast_last_member_intvl', 'mcast_last_member_interval', d.mcastLastMemberIntvl);
  u(p, 'mcast_membership_intvl', 'mcast_membership_interval', d.mcastMembershipIntvl);
  u(p, 'mcast_querier_intvl', 'mcast_querier_interval', d.mcastQuerierIntvl);
  u(p, 'mcast_query_intvl', 'mcast_query_interval', d.mcastQueryIntvl);
  u(p, 'mcast_query_response_intvl', 'mcast_query_response_interval', d.mcastQueryResponseIntvl);
  u(p, 'mcast_startup_query_intvl', 'mcast_startup_query_interval', d.mcastStartupQueryIntvl);
  u(p, 'mcast_stats_enabled', 'mcast_stats_enabled', d.mcastStatsEnabled);
  u(p, 'mcast_igmp_version', 'mcast_igmp_version', d.mcastIgmpVersion);
  u(p, 'mcast_mld_version', 'mcast_mld_version', d.mcastMldVersion);
  u(p, 'nf_call_iptables', 'nf_call_iptables', d.nfCallIptables);
  u(p, 'nf_call_ip6tables', 'nf_call_ip6tables', d.nfCallIp6tables);
  u(p, 'nf_call_arptables', 'nf_call_arptables', d.nfCallArptables);
};

/** Bits of a group_fwd_mask as ip lists them ("0x0" when none). */
function fwdMaskText(mask: number): string {
  const bits: number[] = [];
  for (let i = 0; i < 16; i++) if (mask & (1 << i)) bits.push(i);
  return bits.length ? bits.join(',') : '0x0';
}

const bridgeSlave: KindPrinter<RtLinkLinkinfoBridgePortAttrs> = (p, d, names) => {
  if (d.state !== undefined) {
    // ip's words for BR_STATE_* are the spec's names
    const s = enumName(D['br-state'], d.state);
    if (s !== undefined) p.any('state', s, `state ${s} `);
    else p.any('state_index', enumNum(D['br-state'], d.state), `state (${enumNum(D['br-state'], d.state)}) `);
  }
  u(p, 'priority', 'priority', d.priority);
  u(p, 'cost', 'cost', d.cost);
  onOff(p, 'hairpin', 'hairpin', d.mode);
  onOff(p, 'guard', 'guard', d.guard);
  onOff(p, 'root_block', 'root_block', d.protect);
  onOff(p, 'fastleave', 'fastleave', d.fastLeave);
  onOff(p, 'learning', 'learning', d.learning);
  onOff(p, 'flood', 'flood', d.unicastFlood);
  hex(p, 'id', 'port_id', d.id);
  hex(p, 'no', 'port_no', d.no);
  u(p, 'designated_port', 'designated_port', d.designatedPort);
  u(p, 'designated_cost', 'designated_cost', d.designatedCost);
  stpId(p, 'bridge_id', 'designated_bridge', d.bridgeId);
  stpId(p, 'root_id', 'designated_root', d.rootId);
  timer(p, 'hold_timer', d.holdTimer);
  timer(p, 'message_age_timer', d.messageAgeTimer);
  timer(p, 'forward_delay_timer', d.forwardDelayTimer);
  u(p, 'topology_change_ack', 'topology_change_ack', d.topologyChangeAck);
  u(p, 'config_pending', 'config_pending', d.configPending);
  onOff(p, 'proxy_arp', 'proxy_arp', d.proxyarp);
  onOff(p, 'proxy_arp_wifi', 'proxy_arp_wifi', d.proxyarpWifi);
  if (d.multicastRouter !== undefined) u(p, 'multicast_router', 'mcast_router', enumNum(D['mdb-rtr-type'], d.multicastRouter));
  if (d.fastLeave !== undefined) p.text(`mcast_fast_leave ${d.fastLeave ? 'on' : 'off'} `);
  onOff(p, 'mcast_flood', 'mcast_flood', d.mcastFlood);
  onOff(p, 'bcast_flood', 'bcast_flood', d.bcastFlood);
  onOff(p, 'mcast_to_unicast', 'mcast_to_unicast', d.mcastToUcast);
  onOff(p, 'neigh_suppress', 'neigh_suppress', d.neighSuppress);
  if (d.groupFwdMask !== undefined) {
    hex(p, 'group_fwd_mask', 'group_fwd_mask', d.groupFwdMask);
    const s = fwdMaskText(Number(d.groupFwdMask));
    p.any('group_fwd_mask_str', s, `group_fwd_mask_str ${s} `);
  }
  onOff(p, 'vlan_tunnel', 'vlan_tunnel', d.vlanTunnel);
  onOff(p, 'isolated', 'isolated', d.isolated);
  onOff(p, 'locked', 'locked', d.locked);
  if (d.backupPort !== undefined) {
    const s = names.name(d.backupPort);
    p.any('backup_port', s, `backup_port ${s} `);
  }
};

function isMulticast4(s: string): boolean {
  const first = Number(s.split('.')[0]);
  return first >= 224 && first <= 239;
}

const vxlan: KindPrinter<RtLinkLinkinfoVxlanAttrs> = (p, d, names) => {
  if (d.collectMetadata) p.any('external', true, 'external ');
  if (d.id === undefined) return;
  u(p, 'id', 'id', d.id);
  if (d.group !== undefined) {
    const g = String(d.group);
    if (g !== '0.0.0.0') {
      if (isMulticast4(g)) p.any('group', g, `group ${g} `);
      else p.any('remote', g, `remote ${g} `);
    }
  } else if (d.group6 !== undefined) {
    const g = addrText(d.group6);
    if (g !== '::') {
      if (g.toLowerCase().startsWith('ff')) p.any('group6', g, `group ${g} `);
      else p.any('remote6', g, `remote ${g} `);
    }
  }
  if (d.local !== undefined) {
    const l = String(d.local);
    if (l !== '0.0.0.0') p.any('local', l, `local ${l} `);
  } else if (d.local6 !== undefined) {
    const l = addrText(d.local6);
    if (l !== '::') p.any('local6', l, `local ${l} `);
  }
  if (d.link) {
    const s = names.name(d.link);
    p.any('link', s, `dev ${s} `);
  }
  if (d.portRange !== undefined) {
    const r = attrs(d.portRange);
    if (p.json) {
      p.openObject('port_range');
      p.jsonOnly('low', r.low ?? 0);
      p.jsonOnly('high', r.high ?? 0);
      p.closeObject();
    } else p.text(`srcport ${r.low} ${r.high} `);
  }
  u(p, 'port', 'dstport', d.port);
  if (d.learning !== undefined) {
    p.jsonOnly('learning', !!d.learning);
    if (!d.learning) p.text('nolearning ');
  }
  if (d.proxy) p.any('proxy', true, 'proxy ');
  if (d.rsc) p.any('rsc', true, 'rsc ');
  if (d.l2miss) p.any('l2miss', true, 'l2miss ');
  if (d.l3miss) p.any('l3miss', true, 'l3miss ');
  const tos = Number(d.tos ?? 0);
  if (tos) {
    if (p.json || tos !== 1) hex(p, 'tos', 'tos', tos);
    else p.text('tos inherit ');
  }
  if (d.ttlInherit) p.text('ttl inherit ');
  else if (d.ttl !== undefined) {
    if (p.json || d.ttl) u(p, 'ttl', 'ttl', d.ttl);
    else p.text('ttl auto ');
  }
  if (d.df !== undefined) {
    // ip's words for VXLAN_DF_* are the spec's names
    const df = enumName(D['vxlan-df'], d.df);
    if (df === 'unset') p.jsonOnly('df', df);
    else if (df !== undefined) p.any('df', df, `df ${df} `);
  }
  if (d.label) hex(p, 'label', 'flowlabel', d.label);
  if (d.ageing !== undefined) {
    if (d.ageing === 0) p.any('ageing', 0, 'ageing none ');
    else u(p, 'ageing', 'ageing', d.ageing);
  }
  if (d.limit) u(p, 'limit', 'maxaddr', d.limit);
  const csum = (key: string, word: string, v: unknown) => {
    if (v === undefined) return;
    if (p.json) p.jsonOnly(key, !!v);
    else p.text(`${v ? '' : 'no'}${word} `);
  };
  csum('udp_csum', 'udpcsum', d.udpCsum);
  csum('udp_zero_csum6_tx', 'udp6zerocsumtx', d.udpZeroCsum6Tx);
  csum('udp_zero_csum6_rx', 'udp6zerocsumrx', d.udpZeroCsum6Rx);
  if (d.remcsumTx) p.any('remcsum_tx', true, 'remcsumtx ');
  if (d.remcsumRx) p.any('remcsum_rx', true, 'remcsumrx ');
  if (d.gbp) p.any('gbp', true, 'gbp ');
  if (d.gpe) p.any('gpe', true, 'gpe ');
};

const MACVLAN_FLAGS = D['macvlan-flags'].entries;

const macvlan: KindPrinter<RtLinkLinkinfoMacvlanAttrs> = (p, d) => {
  if (d.mode === undefined) return;
  // ip's words for MACVLAN_MODE_* and MACVLAN_FLAG_* are the spec's names
  const m = enumName(D['macvlan-mode'], d.mode) ?? 'unknown';
  p.any('mode', m, `mode ${m} `);
  if (d.flags !== undefined) {
    const f = flagsNum(D['macvlan-flags'], d.flags);
    if (f & MACVLAN_FLAGS.nopromisc) p.any('nopromisc', true, 'nopromisc ');
    if (f & MACVLAN_FLAGS.nodst) p.any('nodst', true, 'nodst ');
  }
  u(p, 'bcqueuelen', 'bcqueuelen', d.bcQueueLen);
  u(p, 'usedbcqueuelen', 'usedbcqueuelen', d.bcQueueLenUsed);
  if (m !== 'source' || d.macaddrCount === undefined) return;
  p.any('macaddr_count', d.macaddrCount, `remotes (${d.macaddrCount}) `);
  if (d.macaddrData === undefined) return;
  p.openArray('macaddr_data');
  for (const mac of attrs(d.macaddrData).macaddr ?? []) p.any(null, mac, `${mac} `);
  p.closeArray();
};

/** VLAN_FLAG_* in the spec's order (ip's), printed as the spec's names in upper case. */
const VLAN_FLAGS = Object.entries(D['vlan-flags'].entries).map(([name, bit]) => [bit, name.toUpperCase()] as const);

const vlan: KindPrinter<RtLinkLinkinfoVlanAttrs> = (p, d) => {
  if (d.protocol !== undefined) {
    const s = vlanProto(d.protocol);
    p.any('protocol', s, `protocol ${s} `);
  }
  u(p, 'id', 'id', d.id);
  if (d.flags !== undefined) {
    let f = flagsNum(D['vlan-flags'], attrs(d.flags).flags);
    p.openArray('flags', '<');
    for (const [bit, name] of VLAN_FLAGS) {
      if (f & bit) {
        f &= ~bit;
        p.any(null, name, f ? `${name},` : name);
      }
    }
    if (f) p.any(null, f.toString(16), f.toString(16));
    p.closeArray('> ');
  }
  const map = (jsonKey: string, textKey: string, v: RtLinkVlanQosAttrs | undefined) => {
    if (v === undefined) return;
    p.openArray(jsonKey);
    p.text(`\n      ${textKey} { `);
    for (const m of attrs(v).mapping ?? []) {
      if (p.json) {
        p.openObject();
        p.jsonOnly('from', m.from ?? 0);
        p.jsonOnly('to', m.to ?? 0);
        p.closeObject();
      } else p.text(`${m.from}:${m.to} `);
    }
    p.closeArray();
    p.text('} ');
  };
  map('ingress_qos', 'ingress-qos-map', d.ingressQos);
  map('egress_qos', 'egress-qos-map', d.egressQos);
};

/** The kinds ip prints, by IFLA_INFO_KIND: each the type the spec's linkinfo-data sub-message decodes for it. */
const KINDS: KindTable = { bridge, vxlan, macvlan, macvtap: macvlan, vlan };
/** By IFLA_INFO_SLAVE_KIND (the master's kind): linkinfo-slave-data. */
const SLAVE_KINDS: KindTable = { bridge: bridgeSlave };

/**
 * The printer of a kind, if ip has one. The codec picks the data's attribute set by the same kind
 * (the spec's sub-message), so the printer gets the type it was written for.
 */
function kindPrinter(table: KindTable, kind: string | undefined): KindPrinter<KindData> | undefined {
  return kind !== undefined && Object.hasOwn(table, kind) ? (table[kind] as KindPrinter<KindData>) : undefined;
}
