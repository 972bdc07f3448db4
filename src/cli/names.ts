/**
 * iproute2's names for numbers (lib/rt_names.c, lib/ll_types.c): route protocols, tables, scopes,
 * types, realms, device groups, hardware types. Built-in tables as ip has them, overlaid (lazily,
 * once) by /etc/iproute2/{rt_protos,rt_tables,rt_scopes,rt_realms,group} and their .d directories.
 */
import { readFileSync, readdirSync } from 'node:fs';

const CONFDIR = process.env.NLTS_IPROUTE2_CONFDIR ?? '/etc/iproute2';

type Table = Map<number, string>;

const BUILTIN: Record<string, [number, string][]> = {
  rt_protos: [
    [0, 'unspec'],
    [1, 'redirect'],
    [2, 'kernel'],
    [3, 'boot'],
    [4, 'static'],
    [8, 'gated'],
    [9, 'ra'],
    [10, 'mrt'],
    [11, 'zebra'],
    [12, 'bird'],
    [13, 'dnrouted'],
    [14, 'xorp'],
    [15, 'ntk'],
    [16, 'dhcp'],
    [18, 'keepalived'],
    [42, 'babel'],
    [99, 'openr'],
    [186, 'bgp'],
    [187, 'isis'],
    [188, 'ospf'],
    [189, 'rip'],
    [192, 'eigrp'],
  ],
  rt_tables: [
    [0, 'unspec'],
    [253, 'default'],
    [254, 'main'],
    [255, 'local'],
  ],
  rt_scopes: [
    [0, 'global'],
    [200, 'site'],
    [253, 'link'],
    [254, 'host'],
    [255, 'nowhere'],
  ],
  rt_realms: [[0, 'unknown']],
  group: [[0, 'default']],
};

const cache = new Map<string, Table>();

function parseInto(t: Table, text: string): void {
  for (const line of text.split('\n')) {
    const m = /^\s*(0x[0-9a-fA-F]+|\d+)\s+([^\s#]+)/.exec(line);
    if (m) t.set(Number(m[1]), m[2]!);
  }
}

function table(name: string): Table {
  let t = cache.get(name);
  if (t) return t;
  t = new Map(BUILTIN[name] ?? []);
  try {
    parseInto(t, readFileSync(`${CONFDIR}/${name}`, 'utf8'));
  } catch {
    // no file: the built-in names
  }
  try {
    for (const f of readdirSync(`${CONFDIR}/${name}.d`).sort()) {
      if (f.endsWith('.conf')) parseInto(t, readFileSync(`${CONFDIR}/${name}.d/${f}`, 'utf8'));
    }
  } catch {
    // no directory
  }
  cache.set(name, t);
  return t;
}

let numeric = false;
/** -N / --numeric: print numbers, not names (as ip does for protocols, scopes, tables...). */
export function setNumeric(on: boolean): void {
  numeric = on;
}

function n2a(tab: string, n: number): string {
  if (numeric) return String(n);
  return table(tab).get(n) ?? String(n);
}

function a2n(tab: string, text: string, max: number): number | undefined {
  for (const [n, name] of table(tab)) if (name === text) return n;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const n = Number(text);
    if (n <= max) return n;
  }
  return undefined;
}

export const protocolName = (n: number) => n2a('rt_protos', n);
export const tableName = (n: number) => n2a('rt_tables', n);
export const scopeName = (n: number) => n2a('rt_scopes', n);
export const realmName = (n: number) => n2a('rt_realms', n);
export const groupName = (n: number) => n2a('group', n);

export const protocolNumber = (s: string) => a2n('rt_protos', s, 255);
export const tableNumber = (s: string) => (s === 'all' ? 0 : a2n('rt_tables', s, 0xffffffff));
export const scopeNumber = (s: string) => a2n('rt_scopes', s, 255);
export const groupNumber = (s: string) => a2n('group', s, 0xffffffff);

/** rtnl_rtntype_n2a. */
const RTN = ['none', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];
export function routeTypeName(n: number): string {
  return numeric ? String(n) : (RTN[n] ?? String(n));
}
export function routeTypeNumber(s: string): number | undefined {
  const i = RTN.indexOf(s);
  if (i > 0) return i;
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/** ll_type_n2a (lib/ll_types.c). */
const ARPHRD: Record<number, string> = {
  0: 'netrom',
  1: 'ether',
  2: 'eether',
  3: 'ax25',
  4: 'pronet',
  5: 'chaos',
  6: 'ieee802',
  7: 'arcnet',
  8: 'atalk',
  15: 'dlci',
  19: 'atm',
  23: 'metricom',
  24: 'ieee1394',
  32: 'infiniband',
  256: 'slip',
  257: 'cslip',
  258: 'slip6',
  259: 'cslip6',
  260: 'rsrvd',
  264: 'adapt',
  270: 'rose',
  271: 'x25',
  272: 'hwx25',
  280: 'can',
  512: 'ppp',
  513: 'hdlc',
  516: 'lapb',
  517: 'ddcmp',
  518: 'rawhdlc',
  519: 'rawip',
  768: 'ipip',
  769: 'tunnel6',
  770: 'frad',
  771: 'skip',
  772: 'loopback',
  773: 'ltalk',
  774: 'fddi',
  775: 'bif',
  776: 'sit',
  777: 'ip/ddp',
  778: 'gre',
  779: 'pimreg',
  780: 'hippi',
  781: 'ash',
  782: 'econet',
  783: 'irda',
  784: 'fcpp',
  785: 'fcal',
  786: 'fcpl',
  787: 'fcfb0',
  800: 'tr',
  801: 'ieee802.11',
  802: 'ieee802.11/prism',
  803: 'ieee802.11/radiotap',
  804: 'ieee802.15.4',
  805: 'ieee802.15.4/monitor',
  820: 'phonet',
  821: 'phonet_pipe',
  822: 'caif',
  823: 'gre6',
  824: 'netlink',
  825: '6lowpan',
  0xfffe: 'none',
  0xffff: 'void',
};
for (let i = 1; i <= 12; i++) ARPHRD[787 + i] = `fcfb${i}`;

export function linkTypeName(n: number): string {
  return ARPHRD[n] ?? `[${n}]`;
}
