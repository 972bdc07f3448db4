/**
 * xtables compat statements (iptables-nft's `match`/`target` expressions). nft 1.0.6 prints them
 * through libxtables' translations (iptables 1.8.9: the text `iptables-translate` gives, quotes not
 * escaped); for an extension without one it prints `xt match NAME`. The document carries what the
 * translation needs under NFT_XT_INFO (to-json puts the extension's revision and info struct there);
 * without it only the fallback can be printed.
 */
import { ECN_SYMBOLS, FIB_ADDRTYPE_SYMBOLS, ICMPV6_TYPE_SYMBOLS, ICMP_TYPE_SYMBOLS, type SymbolTable, namesByValue } from '../json/symbol-tables.js';
import { NFT_XT_INFO, type NftXtInfo } from '../json/types.js';
import { IP_PROTOCOLS, Info, type Xlate, type XtContext, hex, inetAddr, maskSuffix } from './xt-info.js';
import { XT_TARGETS } from './xt-targets.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

export type { Xlate, XtContext } from './xt-info.js';

/** The text nft prints for an xt statement. */
export function xtText(b: Obj, ctx: XtContext): string {
  const raw = (b as { [NFT_XT_INFO]?: NftXtInfo })[NFT_XT_INFO];
  const fallback = `xt ${b.type} ${b.name}`;
  if (raw === undefined) return fallback;
  const table = b.type === 'target' ? XT_TARGETS : XT_MATCHES;
  const xlate = table[`${b.name}/${raw.rev}`] ?? table[b.name];
  if (xlate === undefined) return fallback;
  const text = xlate(new Info(raw.info), ctx);
  return text ?? fallback;
}

const v6 = (ctx: XtContext): boolean => ctx.family === 'ip6';

// ---------------------------------------------------------------------------------------------------------------
// conntrack (rev 3) and its state alias

const CT_STATES: [number, string][] = [
  [1 << 0, 'invalid'],
  [1 << 3, 'new'],
  [1 << 2, 'related'],
  [1 << 1, 'established'],
  [1 << 8, 'untracked'],
];
const CT_SNAT = 1 << 6;
const CT_DNAT = 1 << 7;
const CT_STATUS: [number, string][] = [
  [1 << 0, 'expected'],
  [1 << 1, 'seen-reply'],
  [1 << 2, 'assured'],
  [1 << 3, 'confirmed'],
];

function flagList(mask: number, names: [number, string][], inverted: boolean): string {
  return (
    (inverted ? '! ' : '') +
    names
      .filter(([bit]) => mask & bit)
      .map(([, n]) => n)
      .join(',')
  );
}

/** libxt_conntrack.c _conntrack3_mt_xlate: one `ct ...` match per option, in its order. */
function conntrack3(i: Info, ctx: XtContext): string | undefined {
  if (!i.fits(162)) return undefined;
  const flags = i.u16(146);
  const inv = i.u16(148);
  const state = i.u16(150);
  const neg = (bit: number): string => (inv & bit ? '!= ' : '');
  const parts: string[] = [];
  if (flags & (1 << 12)) parts.push(`ct direction ${inv & (1 << 12) ? 'reply' : 'original'}`);
  if (flags & (1 << 1)) parts.push(`ct ${inv & (1 << 12) ? 'reply' : 'original'} protocol ${neg(1 << 1)}${i.u16(136)}`);
  if (flags & 1) {
    if (state & (CT_SNAT | CT_DNAT)) parts.push(`ct status ${neg(1)}${state & CT_SNAT ? 'snat' : 'dnat'}`);
    else if (state) parts.push(`ct state ${flagList(state, CT_STATES, (inv & 1) !== 0)}`);
  }
  if (flags & (1 << 6)) parts.push(`ct status ${flagList(i.u16(152), CT_STATUS, (inv & (1 << 6)) !== 0)}`);
  if (flags & (1 << 7)) {
    const [min, max] = [i.u32(128), i.u32(132)];
    parts.push(`ct expiration ${neg(1 << 7)}${min === max ? min : `${min}-${max}`}`);
  }
  const addrs: [number, string, number][] = [
    [1 << 2, 'original saddr', 0],
    [1 << 3, 'original daddr', 32],
    [1 << 4, 'reply saddr', 64],
    [1 << 5, 'reply daddr', 96],
  ];
  for (const [bit, what, off] of addrs) {
    if (!(flags & bit)) continue;
    const mask = i.slice(off + 16, v6(ctx) ? 16 : 4);
    parts.push(`ct ${what} ${neg(bit)}${inetAddr(i, off, v6(ctx))}${maskSuffix(mask, v6(ctx))}`);
  }
  const ports: [number, string, number, number][] = [
    [1 << 8, 'original proto-src', 138, 154],
    [1 << 9, 'original proto-dst', 140, 156],
    [1 << 10, 'reply proto-src', 142, 158],
    [1 << 11, 'reply proto-dst', 144, 160],
  ];
  for (const [bit, what, lo, hi] of ports) {
    if (!(flags & bit)) continue;
    const [min, max] = [i.u16(lo), i.u16(hi)];
    parts.push(`ct ${what} ${neg(bit)}${min === max ? min : `${min}-${max}`}`);
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Other matches

/** libxt_multiport.c: the ports of the rule's protocol, as a set when there are several. */
function multiport(i: Info, ctx: XtContext, v1: boolean): string | undefined {
  const proto = ctx.l4proto === undefined ? '(null)' : (IP_PROTOCOLS[ctx.l4proto] ?? String(ctx.l4proto));
  const flags = i.u8(0);
  const count = i.u8(1);
  const port = (n: number): number => i.u16(2 + 2 * n);
  if (flags === 2) {
    const items = Array.from({ length: count }, (_, n) => `0-65535 . ${port(n)}, ${port(n)} . 0-65535`);
    return `${proto} sport . ${proto} dport { ${items.join(', ')} }`;
  }
  let out = `${proto} ${flags === 0 ? 'sport' : 'dport'} `;
  const pflag = (n: number): number => (v1 ? i.u8(32 + n) : 0);
  if (v1 && i.u8(47)) out += '!= ';
  const braces = count > 2 || (count > 1 && !pflag(0));
  const items: string[] = [];
  for (let n = 0; n < count; n++) items.push(pflag(n) ? `${port(n)}-${port(++n)}` : `${port(n)}`);
  return braces ? `${out}{ ${items.join(', ')} }` : out + items.join(', ');
}

/** The nft names of the types libxt_icmp.h translates whole (others print as xt match icmp/icmp6). */
function xtIcmpNames(table: SymbolTable, types: readonly number[]): Readonly<Record<number, string>> {
  const names = namesByValue(table);
  return Object.fromEntries(types.map((t) => [t, names[t]!]));
}
const ICMP_TYPES = xtIcmpNames(ICMP_TYPE_SYMBOLS, [0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 17, 18]);
const ICMPV6_TYPES = xtIcmpNames(ICMPV6_TYPE_SYMBOLS, [1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137]);

/** ipt_icmp / ip6t_icmp: a whole type (all codes) translates to its name. */
function icmp(i: Info, names: Readonly<Record<number, string>>, keyword: string): string | undefined {
  const type = i.u8(0);
  const name = names[type];
  if (type === 0xff) return keyword === 'icmp' ? 'ip protocol icmp' : 'ip6 nexthdr ipv6-icmp';
  if (name === undefined || i.u8(1) !== 0 || i.u8(2) !== 0xff) return undefined;
  return `${keyword} type${i.u8(3) & 1 ? ' !=' : ''} ${name}`;
}

/** RTN_* by number: bit n of libxt_addrtype's masks. */
const ADDRTYPES = Object.values(namesByValue(FIB_ADDRTYPE_SYMBOLS));

function addrtype(i: Info): string | undefined {
  const [src, dst, flags] = [i.u16(0), i.u16(2), i.u32(4)];
  const dir = src ? 'saddr' : 'daddr';
  const types = ADDRTYPES.filter((_, n) => (src || dst) & (1 << n));
  if (types.length === 0) return undefined;
  let out = `fib ${dir} `;
  if (flags & 4) out += '. iif ';
  else if (flags & 8) out += '. oif ';
  out += 'type ';
  if (flags & (src ? 1 : 2)) out += '!= ';
  return out + (types.length > 1 ? `{ ${types.join(', ')} }` : types[0]);
}

function iprange(i: Info, ctx: XtContext): string {
  const flags = i.u8(64);
  const ip = v6(ctx) ? 'ip6' : 'ip';
  const parts: string[] = [];
  if (flags & 1) parts.push(`${ip} saddr${flags & 0x10 ? ' !=' : ''} ${inetAddr(i, 0, v6(ctx))}-${inetAddr(i, 16, v6(ctx))}`);
  if (flags & 2) parts.push(`${ip} daddr${flags & 0x20 ? ' !=' : ''} ${inetAddr(i, 32, v6(ctx))}-${inetAddr(i, 48, v6(ctx))}`);
  return parts.join(' ');
}

const PKTTYPES = ['unicast', 'broadcast', 'multicast', 'otherhost'];
const TTL_OPS = ['', '!= ', 'lt ', 'gt '];
function clock(s: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}

/** Seconds since the epoch as libxt_time prints dates (UTC). */
function date(s: number): string {
  const d = new Date(s * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${clock(s % 86400)}`;
}

/** libxt_time.c: dates, hours and week days (month days have no nft equivalent). */
function time(i: Info): string | undefined {
  const [dateStart, dateStop, dayStart, dayStop, monthdays] = [i.u32(0), i.u32(4), i.u32(8), i.u32(12), i.u32(16)];
  const weekdays = i.u8(20);
  if (monthdays !== 0xfffffffe) return undefined;
  let out = '';
  if (dateStart !== 0 || dateStop !== 0x7fffffff) out += `meta time "${date(dateStart)}"-"${date(dateStop)}"`;
  if (dayStart !== 0 || dayStop !== 86399) out += ` meta hour "${clock(dayStart)}"-"${clock(dayStop)}"`;
  if (weekdays !== 0xfe) {
    const days = [1, 2, 3, 4, 5, 6, 7].filter((d) => weekdays & (1 << d)).map((d) => d % 7);
    out += ` meta day ${days.length > 1 ? `{ ${days.join(', ')} }` : days[0]}`;
  }
  return out;
}

const ECN_IP = namesByValue(ECN_SYMBOLS);

/** libxt_ecn.c: the ECE and CWR tcp flags, the ip ECN field. */
function ecn(i: Info): string {
  const [op, invert, ipEct] = [i.u8(0), i.u8(1), i.u8(2)];
  const neg = invert ? '!= ' : '';
  const parts: string[] = [];
  if (op & 0x10) parts.push(`tcp flags ${neg}ecn`);
  if (op & 0x20) parts.push(`tcp flags ${neg}cwr`);
  if (op & 0x01) parts.push(`ip ecn ${neg}${ECN_IP[ipEct] ?? ipEct}`);
  return parts.join(' ');
}

/** A [min, max] range as iptables' xlates print it: `5` or `5-6`. */
const span = (min: number, max: number): string => (min === max ? `${min}` : `${min}-${max}`);

/** xt_owner_match_info: the socket's uid and gid; the socket and supplementary-group checks do not translate. */
function owner(i: Info): string | undefined {
  const [match, invert] = [i.u8(16), i.u8(17)];
  if (match & ~3) return undefined;
  const parts: string[] = [];
  if (match & 1) parts.push(`skuid ${invert & 1 ? '!= ' : ''}${span(i.u32(0), i.u32(4))}`);
  if (match & 2) parts.push(`skgid ${invert & 2 ? '!= ' : ''}${span(i.u32(8), i.u32(12))}`);
  return parts.join(' ');
}

const XT_MATCHES: Record<string, Xlate> = {
  'conntrack/3': conntrack3,
  comment: () => '',
  'multiport/0': (i, ctx) => multiport(i, ctx, false),
  'multiport/1': (i, ctx) => multiport(i, ctx, true),
  icmp: (i) => icmp(i, ICMP_TYPES, 'icmp'),
  icmp6: (i) => icmp(i, ICMPV6_TYPES, 'icmpv6'),
  'addrtype/1': addrtype,
  'iprange/1': iprange,
  pkttype: (i) => `pkttype${i.i32(4) ? ' !=' : ''} ${PKTTYPES[i.i32(0)] ?? i.i32(0)}`,
  length: (i) => {
    const [min, max] = [i.u16(0), i.u16(2)];
    return `meta length ${i.u8(4) ? '!= ' : ''}${min === max ? min : `${min}-${max}`}`;
  },
  ttl: (i) => (i.u8(0) < 4 ? `ip ttl ${TTL_OPS[i.u8(0)]}${i.u8(1)}` : undefined),
  hl: (i) => (i.u8(0) < 4 ? `ip6 hoplimit ${TTL_OPS[i.u8(0)]}${i.u8(1)}` : undefined),
  mac: (i) => `ether saddr ${i.i32(8) ? '!= ' : ''}${[...i.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
  dscp: (i, ctx) => `${v6(ctx) ? 'ip6' : 'ip'} dscp ${i.u8(1) ? '!= ' : ''}0x${i.u8(0).toString(16).padStart(2, '0')}`,
  helper: (i) => `ct helper ${i.i32(0) ? '!= ' : ''}"${i.str(4, 30)}"`,
  cpu: (i) => `cpu ${i.u32(4) ? '!= ' : ''}${i.u32(0)}`,
  devgroup: (i) => devgroup(i),
  'connmark/1': (i) => {
    const [mark, mask, invert] = [i.u32(0), i.u32(4), i.u8(8)];
    if (mask !== 0xffffffff) return `ct mark and ${hex(mask)} ${invert ? '!=' : '=='} ${hex(mark)}`;
    return `ct mark ${invert ? '!= ' : ''}${hex(mark)}`;
  },
  quota: (i) => `quota ${i.u32(0) & 1 ? 'over ' : ''}${i.u64(8)} bytes`,
  'statistic/0': (i) => (i.u16(0) === 0 ? `meta random & 2147483647 ${i.u16(2) & 1 ? '>=' : '<'} ${i.u32(4)}` : undefined),
  'time/0': time,
  ecn,
  'owner/1': owner,
  realm: (i) => {
    const [id, mask, invert] = [i.u32(0), i.u32(4), i.u8(8)];
    if (mask !== 0xffffffff) return `rtclassid and ${hex(mask)} ${invert ? '!=' : '=='} ${hex(id)}`;
    return `rtclassid ${invert ? '!= ' : ''}${hex(id)}`;
  },
  tcpmss: (i) => `tcp option maxseg size ${i.u8(4) ? '!= ' : ''}${span(i.u16(0), i.u16(2))}`,
  esp: (i) => `esp spi ${i.u8(8) & 1 ? '!= ' : ''}${span(i.u32(0), i.u32(4))}`,
  ah: (i) => `ah spi ${i.u8(8) & 1 ? '!= ' : ''}${span(i.u32(0), i.u32(4))}`,
};

function devgroup(i: Info): string | undefined {
  const [flags, srcGroup, srcMask, dstGroup, dstMask] = [i.u32(0), i.u32(4), i.u32(8), i.u32(12), i.u32(16)];
  const parts: string[] = [];
  const group = (g: number, m: number, inv: number) =>
    m === 0xffffffff ? `${inv ? '!= ' : ''}${hex(g)}` : `and ${hex(m)} ${inv ? '!=' : '=='} ${hex(g)}`;
  if (flags & 1) parts.push(`iifgroup ${group(srcGroup, srcMask, flags & 2)}`);
  if (flags & 4) parts.push(`oifgroup ${group(dstGroup, dstMask, flags & 8)}`);
  return parts.join(' ');
}
