/**
 * iproute2's names for numbers (lib/rt_names.c, lib/ll_types.c): route protocols, tables, scopes,
 * types, realms, device groups, hardware types. Built-in tables as ip has them, overlaid (lazily,
 * once) by /etc/iproute2/{rt_protos,rt_tables,rt_scopes,rt_realms,group} and their .d directories.
 * The numbers and the kernel's names come from the specs; what is here is ip's presentation: the
 * words ip spells otherwise, and the names ip 6.1 does not build in.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { rtProtocolEnum, rtScopeEnum, rtTableEnum, rtmTypeEnum } from '../../protocol/rt-common.js';
import { rtLinkSpec } from '../../protocol/rt-link.js';
import type { EnumSpec } from '../../protocol/spec.js';
import { enumName, enumNum } from './format/values.js';

const CONFDIR = process.env.NLTS_IPROUTE2_CONFDIR ?? '/etc/iproute2';

type Table = Map<number, string>;

/** A spec enum as ip's built-in table: its names, respelled by `words` (null: a name ip does not build in). */
function builtin(def: EnumSpec, words: Readonly<Record<string, string | null>> = {}): [number, string][] {
  const out: [number, string][] = [];
  for (const [name, n] of Object.entries(def.entries)) {
    const word = Object.hasOwn(words, name) ? words[name] : name;
    if (word !== null && word !== undefined) out.push([n, word]);
  }
  return out;
}

/** Built when a table is first used (most commands use one or two). */
const BUILTIN: Record<string, () => [number, string][]> = {
  // rtnl_rtprot_tab: RTPROT_MROUTED and RTPROT_OVN are newer than ip 6.1's table
  rt_protos: () => builtin(rtProtocolEnum, { mrouted: null, ovn: null }),
  // RT_TABLE_COMPAT has no built-in name
  rt_tables: () => builtin(rtTableEnum, { compat: null }),
  // RT_SCOPE_UNIVERSE is "global"
  rt_scopes: () => builtin(rtScopeEnum, { universe: 'global' }),
  rt_realms: () => [[0, 'unknown']],
  group: () => [[0, 'default']],
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
  t = new Map(BUILTIN[name]?.() ?? []);
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

let rtn: string[] | undefined;
/** rtnl_rtntype_n2a's table: the RTN_* names, RTN_UNSPEC as "none". */
function routeTypes(): readonly string[] {
  if (rtn) return rtn;
  rtn = [];
  for (const [n, name] of builtin(rtmTypeEnum, { unspec: 'none' })) rtn[n] = name;
  return rtn;
}
export function routeTypeName(n: number): string {
  return numeric ? String(n) : (routeTypes()[n] ?? String(n));
}
export function routeTypeNumber(s: string): number | undefined {
  const i = routeTypes().indexOf(s);
  if (i > 0) return i;
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * ll_type_n2a (lib/ll_types.c) spells these ARPHRD_* otherwise than the spec (the uapi names), and
 * has no name for those mapped to null.
 */
const LINK_TYPE_WORDS: Readonly<Record<string, string | null>> = {
  appletlk: 'atalk',
  eui64: null,
  mctp: null,
  cisco: 'hdlc', // ARPHRD_HDLC == ARPHRD_CISCO: ip uses the HDLC name
  tunnel: 'ipip',
  localtlk: 'ltalk',
  ipddp: 'ip/ddp',
  ipgre: 'gre',
  fcfabric: 'fcfb0',
  ieee802_tr: 'tr',
  ieee80211: 'ieee802.11',
  ieee80211_prism: 'ieee802.11/prism',
  ieee80211_radiotap: 'ieee802.11/radiotap',
  ieee802154: 'ieee802.15.4',
  ieee802154_monitor: 'ieee802.15.4/monitor',
  ip6gre: 'gre6',
  vsockmon: null,
};
const ARPHRD = rtLinkSpec.definitions.arphrd;
const FCFABRIC = ARPHRD.entries.fcfabric;

/** ll_type_n2a of a decoded ifi_type (a spec name or a number): "ether", "loopback", "[N]"... */
export function linkTypeName(type: unknown): string {
  const name = enumName(ARPHRD, type);
  const word = name === undefined ? undefined : Object.hasOwn(LINK_TYPE_WORDS, name) ? LINK_TYPE_WORDS[name] : name;
  if (word) return word;
  const n = enumNum(ARPHRD, type);
  // ip names the 12 types after ARPHRD_FCFABRIC that linux/if_arp.h reserves for Fibre Channel
  if (n > FCFABRIC && n <= FCFABRIC + 12) return `fcfb${n - FCFABRIC}`;
  return `[${n}]`;
}
