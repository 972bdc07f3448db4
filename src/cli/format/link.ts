/**
 * `ip link show` / the link part of `ip address show` (iproute2 6.1 print_linkinfo), for text and
 * JSON through one Printer. Input: a decoded RTM_NEWLINK / RTM_DELLINK.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { groupName, linkTypeName } from '../names.js';
import { printLinkKind } from './link-kinds.js';
import { printLinkStats } from './link-stats.js';
import type { Printer } from './printer.js';
import { type LinkNames, attrs, enumNum, flagsNum, llAddr } from './values.js';

const D = rtLinkSpec.definitions;

export interface LinkFormatOptions {
  details: boolean;
  stats: number;
  /** `ip link` (true) or `ip address` (false): mode, addrgenmode, alias and stats only with link. */
  doLink: boolean;
  /** -4 / -6 given to `ip address`: the link/ether line is then left out (unless -d). */
  family?: 'inet' | 'inet6';
}

const IFF = D.iff.entries;
/** print_link_flags order. */
const FLAG_ORDER: [number, string][] = [
  [IFF.loopback, 'LOOPBACK'],
  [IFF.broadcast, 'BROADCAST'],
  [IFF.pointopoint, 'POINTOPOINT'],
  [IFF.multicast, 'MULTICAST'],
  [IFF.noarp, 'NOARP'],
  [IFF.allmulti, 'ALLMULTI'],
  [IFF.promisc, 'PROMISC'],
  [IFF.master, 'MASTER'],
  [IFF.slave, 'SLAVE'],
  [IFF.debug, 'DEBUG'],
  [IFF.dynamic, 'DYNAMIC'],
  [IFF.automedia, 'AUTOMEDIA'],
  [IFF.portsel, 'PORTSEL'],
  [IFF.notrailers, 'NOTRAILERS'],
  [IFF.up, 'UP'],
  [IFF.lower_up, 'LOWER_UP'],
  [IFF.dormant, 'DORMANT'],
  [IFF.echo, 'ECHO'],
];

const OPER_STATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
const LINK_MODES = ['DEFAULT', 'DORMANT', 'TESTING'];
const ADDR_GEN_MODES = ['eui64', 'none', 'stable_secret', 'random'];
const EVENTS = ['NONE', 'REBOOT', 'FEATURE CHANGE', 'BONDING FAILOVER', 'NOTIFY PEERS', 'RESEND IGMP', 'BONDING OPTION'];

export function printLinkFlags(p: Printer, flagsIn: number, mdown: boolean): void {
  let flags = flagsIn >>> 0;
  p.openArray('flags', '<');
  if (flags & IFF.up && !(flags & IFF.running)) p.any(null, 'NO-CARRIER', flags ? 'NO-CARRIER,' : 'NO-CARRIER');
  flags &= ~IFF.running;
  for (const [bit, name] of FLAG_ORDER) {
    if (flags & bit) {
      flags = (flags & ~bit) >>> 0;
      p.any(null, name, flags ? `${name},` : name);
    }
  }
  if (flags) p.any(null, flags.toString(16), flags.toString(16));
  if (mdown) p.any(null, 'M-DOWN', ',M-DOWN');
  p.closeArray('> ');
}

/** print_name_and_link: "veth0@veth1" / "@if5" / "@NONE", and whether the lower device is down. */
function printNameAndLink(p: Printer, name: string, a: Record<string, any>, names: LinkNames): boolean {
  let shown = name;
  let mdown = false;
  if (a.link !== undefined) {
    const iflink = a.link as number;
    if (iflink) {
      if (a.linkNetnsid !== undefined) {
        if (p.json) p.jsonOnly('link_index', iflink);
        else shown = `${name}@if${iflink}`;
      } else {
        const link = names.name(iflink);
        if (p.json) p.jsonOnly('link', link);
        else shown = `${name}@${link}`;
        const f = names.flags(iflink) ?? 0;
        mdown = !(f & IFF.up);
      }
    } else if (p.json) p.jsonOnly('link', null);
    else shown = `${name}@NONE`;
  }
  p.any('ifname', name, `${shown}: `);
  return mdown;
}

/** One link; the caller opens and closes its JSON object (address show adds addr_info inside). */
export function printLink(p: Printer, m: NetlinkMessage, names: LinkNames, o: LinkFormatOptions, closeLine = true): void {
  const h = attrs(m.header);
  const a = attrs(m.attrs);
  const type = enumNum(D.arphrd, h.type);
  const flags = flagsNum(D.iff, h.flags);
  if (m.kind === 'dellink') p.any('deleted', true, 'Deleted ');
  p.any('ifindex', h.index, `${h.index}: `);
  let mdown = false;
  if (a.ifname !== undefined) mdown = printNameAndLink(p, a.ifname, a, names);
  else {
    p.jsonOnly('ifname', null);
    p.text('<nil>: ');
  }
  printLinkFlags(p, flags, mdown);

  if (a.mtu !== undefined) p.any('mtu', a.mtu, `mtu ${a.mtu} `);
  if (a.xdp !== undefined) printXdp(p, attrs(a.xdp), o.doLink, false);
  if (a.qdisc !== undefined) p.any('qdisc', a.qdisc, `qdisc ${a.qdisc} `);
  if (a.master !== undefined) {
    const master = names.name(a.master);
    p.any('master', master, `master ${master} `);
  }
  if (a.operstate !== undefined) {
    const s = enumNum(D.operstate, a.operstate);
    if (s < OPER_STATES.length) {
      p.jsonOnly('operstate', OPER_STATES[s]!);
      p.text(`state ${OPER_STATES[s]} `);
    } else {
      p.jsonOnly('operstate_index', s);
      p.text(`state ${s === 0 ? '0' : '0x' + s.toString(16)} `);
    }
  }
  if (o.doLink && a.linkmode !== undefined) {
    const mode = enumNum(D.linkmode, a.linkmode);
    if (mode < LINK_MODES.length) p.any('linkmode', LINK_MODES[mode]!, `mode ${LINK_MODES[mode]} `);
    else p.any('linkmode_index', mode, `mode ${mode} `);
  }
  if (a.group !== undefined) {
    const g = groupName(a.group);
    p.any('group', g, `group ${g} `);
  }
  if (a.txqlen) p.any('txqlen', a.txqlen, `qlen ${a.txqlen}`);
  if (a.event !== undefined) {
    const ev = enumNum(D['ifla-event'], a.event);
    if (ev >= EVENTS.length) p.any('event', ev, `event ${ev} `);
    else if (ev) p.any('event', EVENTS[ev]!, `event ${EVENTS[ev]} `);
  }

  if (!o.family || o.details) {
    p.text('\n');
    const lt = linkTypeName(type);
    p.any('link_type', lt, `    link/${lt} `);
    if (a.address !== undefined) {
      const s = llAddr(a.address, type);
      p.any('address', s, s);
    }
    if (a.broadcast !== undefined) {
      if (flags & IFF.pointopoint) {
        p.text(' peer ');
        p.jsonOnly('link_pointtopoint', true);
      } else p.text(' brd ');
      const s = llAddr(a.broadcast, type);
      p.any('broadcast', s, s);
    }
    if (a.permAddress !== undefined && a.permAddress !== a.address) {
      const s = llAddr(a.permAddress, type);
      p.any('permaddr', s, ` permaddr ${s} `);
    }
  }

  if (a.linkNetnsid !== undefined) {
    const id = a.linkNetnsid as number;
    if (p.json) p.jsonOnly('link_netnsid', id);
    else if (id < 0) p.text(' link-netnsid unknown');
    else {
      const ns = names.nsName?.(id);
      p.text(ns !== undefined ? ` link-netns ${ns}` : ` link-netnsid ${id}`);
    }
  }
  if (a.protoDown) p.any('proto_down', true, ' protodown on ');
  if (a.protoDownReason !== undefined && a.protoDown) {
    const r = attrs(a.protoDownReason);
    if (r.value) {
      p.openArray('proto_down_reason', ' protodown_reason <');
      for (let bit = 0; bit < 32; bit++) if ((r.value >>> bit) & 1) p.any(null, String(bit), String(bit));
      p.closeArray('>');
    }
  }

  if (o.details) {
    if (a.promiscuity !== undefined) p.any('promiscuity', a.promiscuity, ` promiscuity ${a.promiscuity} `);
    if (a.allmulti !== undefined) p.any('allmulti', a.allmulti, ` allmulti ${a.allmulti} `);
    if (a.minMtu !== undefined) p.any('min_mtu', a.minMtu, `minmtu ${a.minMtu} `);
    if (a.maxMtu !== undefined) p.any('max_mtu', a.maxMtu, `maxmtu ${a.maxMtu} `);
    if (a.linkinfo !== undefined) printLinkKind(p, attrs(a.linkinfo), names);
    if (o.doLink && a.afSpec !== undefined) {
      const inet6 = attrs(attrs(a.afSpec).inet6);
      if (inet6.addrGenMode !== undefined) {
        const mode = enumNum(D['in6-addr-gen-mode'], inet6.addrGenMode);
        const s = ADDR_GEN_MODES[mode] ?? '0x' + mode.toString(16).padStart(2, '0');
        p.any('inet6_addr_gen_mode', s, `addrgenmode ${s} `);
      }
    }
    const num = (key: string, text: string, v: unknown) => {
      if (v !== undefined) p.any(key, v as number, `${text} ${v} `);
    };
    num('num_tx_queues', 'numtxqueues', a.numTxQueues);
    num('num_rx_queues', 'numrxqueues', a.numRxQueues);
    num('gso_max_size', 'gso_max_size', a.gsoMaxSize);
    num('gso_max_segs', 'gso_max_segs', a.gsoMaxSegs);
    num('tso_max_size', 'tso_max_size', a.tsoMaxSize);
    num('tso_max_segs', 'tso_max_segs', a.tsoMaxSegs);
    num('gro_max_size', 'gro_max_size', a.groMaxSize);
    if (a.physPortName !== undefined) p.any('phys_port_name', a.physPortName, `portname ${a.physPortName} `);
    if (a.physPortId !== undefined) p.any('phys_port_id', a.physPortId, `portid ${a.physPortId} `);
    if (a.physSwitchId !== undefined) p.any('phys_switch_id', a.physSwitchId, `switchid ${a.physSwitchId} `);
    if (a.parentDevBusName !== undefined) p.any('parentbus', a.parentDevBusName, `parentbus ${a.parentDevBusName} `);
    if (a.parentDevName !== undefined) p.any('parentdev', a.parentDevName, `parentdev ${a.parentDevName} `);
  }

  if ((o.doLink || o.details) && a.ifalias !== undefined) {
    p.text('\n    ');
    p.any('ifalias', a.ifalias, `alias ${a.ifalias}`);
  }
  if ((o.doLink || o.details) && a.xdp !== undefined) printXdp(p, attrs(a.xdp), true, true);
  if (o.doLink && o.stats) {
    p.text('\n');
    printLinkStats(p, a, o.stats);
  }
  const alt = attrs(a.propList).altIfname as string[] | undefined;
  if (a.propList !== undefined) {
    p.openArray('altnames');
    for (const n of alt ?? []) {
      p.text('\n    altname ');
      p.any(null, n, n);
    }
    p.closeArray();
  }
  if (closeLine) p.text('\n');
}

const XDP_MODES: Record<number, string> = { 1: 'xdp', 2: 'xdpgeneric', 3: 'xdpoffload', 4: 'xdpmulti' };

/** xdp_dump: nothing unless a program is attached. */
function printXdp(p: Printer, x: Record<string, any>, link: boolean, details: boolean): void {
  if (x.attached === undefined) return;
  const mode = enumNum(D['xdp-attached'], x.attached);
  if (mode === 0) return;
  if (!details && link) {
    // "xdp" / "xdpgeneric"... on the first line, with the program id
    if (p.json) return;
    p.text(`${XDP_MODES[mode] ?? 'xdp'}${x.progId !== undefined ? `/id:${x.progId}` : ''} `);
    return;
  }
  if (!details) return;
  p.openObject('xdp');
  p.jsonOnly('mode', mode);
  if (x.progId !== undefined) {
    p.openObject('prog');
    p.jsonOnly('id', x.progId);
    p.closeObject();
  }
  p.closeObject();
  if (!p.json) p.text(`\n    prog/${XDP_MODES[mode] ?? 'xdp'} id ${x.progId ?? 0} `);
}
