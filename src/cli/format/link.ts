/**
 * `ip link show` / the link part of `ip address show` (iproute2 6.1 print_linkinfo), for text and
 * JSON through one Printer. Input: a decoded RTM_NEWLINK / RTM_DELLINK.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { NetlinkMessage } from '../../codec/message.js';
import type { RtLinkIfinfomsg, RtLinkLinkAttrs, RtLinkXdpAttrs } from '../../generated/index.js';
import { groupName, linkTypeName } from '../names.js';
import { printLinkKind } from './link-kinds.js';
import { printLinkStats } from './link-stats.js';
import type { Printer } from './printer.js';
import { type LinkNames, altHex, attrs, attrsOf, enumName, enumNum, flagsNum, headerOf, llAddr } from './values.js';

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
/**
 * Presentation (iproute2 6.1 print_link_flags): the order ip lists IFF_* flags in, by the spec's
 * names, which ip prints in upper case. NO-CARRIER and M-DOWN are ip's own words.
 */
const FLAG_ORDER: readonly (keyof typeof IFF)[] = [
  'loopback',
  'broadcast',
  'pointopoint',
  'multicast',
  'noarp',
  'allmulti',
  'promisc',
  'master',
  'slave',
  'debug',
  'dynamic',
  'automedia',
  'portsel',
  'notrailers',
  'up',
  'lower_up',
  'dormant',
  'echo',
];
const FLAG_WORDS = FLAG_ORDER.map((name) => [IFF[name], name.toUpperCase()] as const);

/** Presentation: ip's words for IFLA_EVENT_* (the spec's names are the kernel's). */
const EVENT_WORDS: Readonly<Record<string, string>> = {
  reboot: 'REBOOT',
  features: 'FEATURE CHANGE',
  bonding_failover: 'BONDING FAILOVER',
  notify_peers: 'NOTIFY PEERS',
  igmp_resend: 'RESEND IGMP',
  bonding_options: 'BONDING OPTION',
};
/** Presentation: ip calls IN6_ADDR_GEN_MODE_STABLE_PRIVACY "stable_secret" (the sysctl's name). */
const ADDR_GEN_WORDS: Readonly<Record<string, string>> = { stable_privacy: 'stable_secret' };

export function printLinkFlags(p: Printer, flagsIn: number, mdown: boolean): void {
  let flags = flagsIn >>> 0;
  p.openArray('flags', '<');
  if (flags & IFF.up && !(flags & IFF.running)) p.any(null, 'NO-CARRIER', flags ? 'NO-CARRIER,' : 'NO-CARRIER');
  flags &= ~IFF.running;
  for (const [bit, name] of FLAG_WORDS) {
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
function printNameAndLink(p: Printer, name: string, a: Attrs, names: LinkNames): boolean {
  let shown = name;
  let mdown = false;
  if (a.link !== undefined) {
    const iflink = a.link;
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

type Header = RtLinkIfinfomsg;
type Attrs = RtLinkLinkAttrs;

/** One link; the caller opens and closes its JSON object (address show adds addr_info inside). */
export function printLink(p: Printer, m: NetlinkMessage, names: LinkNames, o: LinkFormatOptions, closeLine = true): void {
  const h = headerOf(m, 'newlink');
  const a = attrsOf(m, 'newlink');
  if (m.kind === 'dellink') p.any('deleted', true, 'Deleted ');
  printFirstLine(p, h, a, names, o);
  if (!o.family || o.details) printLinkLayer(p, h, a);
  printLinkNetns(p, a, names);
  printProtoDown(p, a);
  if (o.details) printDetails(p, a, names, o);
  if ((o.doLink || o.details) && a.ifalias !== undefined) {
    p.text('\n    ');
    p.any('ifalias', a.ifalias, `alias ${a.ifalias}`);
  }
  if ((o.doLink || o.details) && a.xdp !== undefined) printXdp(p, attrs(a.xdp), true, true);
  if (o.doLink && o.stats) {
    p.text('\n');
    printLinkStats(p, a, o.stats);
  }
  if (a.propList !== undefined) printAltnames(p, attrs(a.propList).altIfname);
  if (closeLine) p.text('\n');
}

/** "3: veth0@veth1: <FLAGS> mtu 1500 qdisc noqueue master br0 state UP mode DEFAULT group default qlen 1000". */
function printFirstLine(p: Printer, h: Header, a: Attrs, names: LinkNames, o: LinkFormatOptions): void {
  const index = h.index ?? 0; // optional only where ifinfomsg is nested (a veth peer); a message's header has it
  p.any('ifindex', index, `${index}: `);
  let mdown = false;
  if (a.ifname !== undefined) mdown = printNameAndLink(p, a.ifname, a, names);
  else {
    p.jsonOnly('ifname', null);
    p.text('<nil>: ');
  }
  printLinkFlags(p, flagsNum(D.iff, h.flags), mdown);
  if (a.mtu !== undefined) p.any('mtu', a.mtu, `mtu ${a.mtu} `);
  if (a.xdp !== undefined) printXdp(p, attrs(a.xdp), o.doLink, false);
  if (a.qdisc !== undefined) p.any('qdisc', a.qdisc, `qdisc ${a.qdisc} `);
  if (a.master !== undefined) {
    const master = names.name(a.master);
    p.any('master', master, `master ${master} `);
  }
  if (a.operstate !== undefined) printOperstate(p, a.operstate);
  if (o.doLink && a.linkmode !== undefined) {
    const mode = enumName(D.linkmode, a.linkmode)?.toUpperCase();
    if (mode !== undefined) p.any('linkmode', mode, `mode ${mode} `);
    else p.any('linkmode_index', enumNum(D.linkmode, a.linkmode), `mode ${enumNum(D.linkmode, a.linkmode)} `);
  }
  if (a.group !== undefined) {
    const g = groupName(a.group);
    p.any('group', g, `group ${g} `);
  }
  if (a.txqlen) p.any('txqlen', a.txqlen, `qlen ${a.txqlen}`);
  if (a.event !== undefined) printEvent(p, a.event);
}

/** "state UP": the spec's operstate names in upper case; a value it does not name in hex. */
function printOperstate(p: Printer, v: unknown): void {
  const state = enumName(D.operstate, v)?.toUpperCase();
  if (state !== undefined) {
    p.jsonOnly('operstate', state);
    p.text(`state ${state} `);
  } else {
    p.jsonOnly('operstate_index', enumNum(D.operstate, v));
    p.text(`state ${altHex(enumNum(D.operstate, v))} `);
  }
}

/** IFLA_EVENT: nothing for none, ip's words for the events it knows, else the number. */
function printEvent(p: Printer, v: unknown): void {
  const name = enumName(D['ifla-event'], v);
  const word = name !== undefined ? EVENT_WORDS[name] : undefined;
  if (word !== undefined) p.any('event', word, `event ${word} `);
  else if (name !== 'none') p.any('event', enumNum(D['ifla-event'], v), `event ${enumNum(D['ifla-event'], v)} `);
}

/** "    link/ether aa:bb:.. brd ff:ff:.. permaddr ..". */
function printLinkLayer(p: Printer, h: Header, a: Attrs): void {
  p.text('\n');
  const lt = linkTypeName(h.type);
  p.any('link_type', lt, `    link/${lt} `);
  if (a.address !== undefined) {
    const s = llAddr(a.address, h.type);
    p.any('address', s, s);
  }
  if (a.broadcast !== undefined) {
    if (flagsNum(D.iff, h.flags) & IFF.pointopoint) {
      p.text(' peer ');
      p.jsonOnly('link_pointtopoint', true);
    } else p.text(' brd ');
    const s = llAddr(a.broadcast, h.type);
    p.any('broadcast', s, s);
  }
  if (a.permAddress !== undefined && a.permAddress !== a.address) {
    const s = llAddr(a.permAddress, h.type);
    p.any('permaddr', s, ` permaddr ${s} `);
  }
}

/** " link-netns NAME" / " link-netnsid N" of a link whose peer lives in another namespace. */
function printLinkNetns(p: Printer, a: Attrs, names: LinkNames): void {
  if (a.linkNetnsid === undefined) return;
  const id = a.linkNetnsid;
  if (p.json) p.jsonOnly('link_netnsid', id);
  else if (id < 0) p.text(' link-netnsid unknown');
  else {
    const ns = names.nsName?.(id);
    p.text(ns !== undefined ? ` link-netns ${ns}` : ` link-netnsid ${id}`);
  }
}

function printProtoDown(p: Printer, a: Attrs): void {
  if (a.protoDown) p.any('proto_down', true, ' protodown on ');
  if (a.protoDownReason === undefined || !a.protoDown) return;
  const r = attrs(a.protoDownReason);
  if (!r.value) return;
  p.openArray('proto_down_reason', ' protodown_reason <');
  for (let bit = 0; bit < 32; bit++) if ((r.value >>> bit) & 1) p.any(null, String(bit), String(bit));
  p.closeArray('>');
}

/** -d: promiscuity, MTU limits, the kind's data, addrgenmode, queues and offload sizes, port ids. */
function printDetails(p: Printer, a: Attrs, names: LinkNames, o: LinkFormatOptions): void {
  const num = (key: string, text: string, v: unknown) => {
    if (v !== undefined) p.any(key, v as number, `${text} ${v} `);
  };
  if (a.promiscuity !== undefined) p.any('promiscuity', a.promiscuity, ` promiscuity ${a.promiscuity} `);
  if (a.allmulti !== undefined) p.any('allmulti', a.allmulti, ` allmulti ${a.allmulti} `);
  num('min_mtu', 'minmtu', a.minMtu);
  num('max_mtu', 'maxmtu', a.maxMtu);
  if (a.linkinfo !== undefined) printLinkKind(p, attrs(a.linkinfo), names);
  if (o.doLink && a.afSpec !== undefined) printAddrGenMode(p, attrs(attrs(a.afSpec).inet6).addrGenMode);
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

function printAddrGenMode(p: Printer, v: unknown): void {
  if (v === undefined) return;
  const name = enumName(D['in6-addr-gen-mode'], v);
  const s = name !== undefined ? (ADDR_GEN_WORDS[name] ?? name) : '0x' + enumNum(D['in6-addr-gen-mode'], v).toString(16).padStart(2, '0');
  p.any('inet6_addr_gen_mode', s, `addrgenmode ${s} `);
}

function printAltnames(p: Printer, alt: string[] | undefined): void {
  p.openArray('altnames');
  for (const n of alt ?? []) {
    p.text('\n    altname ');
    p.any(null, n, n);
  }
  p.closeArray();
}

/** Presentation: ip's words for the XDP_ATTACHED_* modes, by the spec's names. */
const XDP_WORDS: Readonly<Record<string, string>> = { drv: 'xdp', skb: 'xdpgeneric', hw: 'xdpoffload', multi: 'xdpmulti' };

/** xdp_dump: nothing unless a program is attached. */
function printXdp(p: Printer, x: Partial<RtLinkXdpAttrs>, link: boolean, details: boolean): void {
  if (x.attached === undefined) return;
  const mode = enumNum(D['xdp-attached'], x.attached);
  if (mode === 0) return;
  const word = XDP_WORDS[enumName(D['xdp-attached'], x.attached) ?? ''] ?? 'xdp';
  if (!details && link) {
    // "xdp" / "xdpgeneric"... on the first line, with the program id
    if (p.json) return;
    p.text(`${word}${x.progId !== undefined ? `/id:${x.progId}` : ''} `);
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
  if (!p.json) p.text(`\n    prog/${word} id ${x.progId ?? 0} `);
}
