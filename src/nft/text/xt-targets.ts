/**
 * Translations of the xtables targets iptables-nft writes (iptables 1.8.9's xlate functions, as nft
 * 1.0.6 prints them): NAT, LOG, REJECT, MARK, CONNMARK, TCPMSS, CT, DSCP, NFQUEUE.
 */
import { type Info, type Xlate, type XtContext, hex, inetAddr, ipv4 } from './xt-info.js';

const MAP_IPS = 1;
const PROTO_SPECIFIED = 2;
const RANDOM = 4;
const PERSISTENT = 8;
const RANDOM_FULLY = 16;

/** ` random,fully-random,persistent` as libxt_NAT.c writes the range flags. */
function natFlags(flags: number): string {
  const names: string[] = [];
  if (flags & RANDOM) names.push('random');
  if (flags & RANDOM_FULLY) names.push('fully-random');
  if (flags & PERSISTENT) names.push('persistent');
  return names.length > 0 ? ` ${names.join(',')}` : '';
}

function portRange(min: number, max: number): string {
  return min === max ? `${min}` : `${min}-${max}`;
}

/** nf_nat_ipv4_multi_range_compat (revision 0): `10.0.0.1-10.0.0.5:1000-2000`. */
function compatRange(i: Info): { flags: number; text: string } {
  const flags = i.u32(4);
  let text = '';
  if (flags & MAP_IPS) {
    const [min, max] = [ipv4(i.slice(8, 4)), ipv4(i.slice(12, 4))];
    text += min === max ? min : `${min}-${max}`;
  }
  if (flags & PROTO_SPECIFIED) text += `:${portRange(i.be16(16), i.be16(18))}`;
  return { flags, text };
}

/** nf_nat_range / nf_nat_range2 (revisions 1, 2). */
function range2(i: Info, ctx: XtContext): { flags: number; text: string } {
  const flags = i.u32(0);
  const v6 = ctx.family === 'ip6';
  let text = '';
  if (flags & MAP_IPS) {
    const [min, max] = [inetAddr(i, 4, v6), inetAddr(i, 20, v6)];
    text += min === max ? min : `${min}-${max}`;
  }
  if (flags & PROTO_SPECIFIED) text += `:${portRange(i.be16(36), i.be16(38))}`;
  return { flags, text };
}

/** SNAT/DNAT: `snat to ADDR[:PORT] [flags]`; ip6tables' NAT targets are not found by nft (it prints nothing). */
function nat(kind: 'snat' | 'dnat', rev: 0 | 2): Xlate {
  return (i, ctx) => {
    if (ctx.family === 'ip6') return '';
    const r = rev === 0 ? compatRange(i) : range2(i, ctx);
    return `${kind} to ${r.text}${natFlags(r.flags)}`;
  };
}

/** MASQUERADE and REDIRECT (revision 0): `masquerade to :1024-2048 random`. */
function portsOnly(kind: 'masquerade' | 'redirect'): Xlate {
  return (i, ctx) => {
    if (ctx.family === 'ip6') return '';
    const flags = i.u32(4);
    let out = kind;
    if (flags & PROTO_SPECIFIED) out += ` to :${portRange(i.be16(16), i.be16(18))}`;
    return out + natFlags(flags);
  };
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

/** xt_log_info: `log prefix "x" level info flags tcp sequence,options`. */
function log(i: Info): string {
  const [level, flags, prefix] = [i.u8(0), i.u8(1), i.str(2, 30)];
  let out = 'log';
  if (prefix !== '') out += ` prefix "${prefix}"`;
  if (level !== 4 && LOG_LEVELS[level] !== undefined) out += ` level ${LOG_LEVELS[level]}`;
  if ((flags & 0x2f) === 0x2f) return `${out} flags all`;
  if (flags & 3) out += ` flags tcp${flags & 1 ? ' sequence' : ''}${flags & 2 ? `${flags & 1 ? ',' : ' '}options` : ''}`;
  if (flags & 4) out += ' flags ip options';
  if (flags & 8) out += ' flags skuid';
  if (flags & 0x20) out += ' flags ether';
  return out;
}

const REJECT4 = ['net-unreachable', 'host-unreachable', 'prot-unreachable', 'port-unreachable', undefined, 'net-prohibited', 'host-prohibited'];
const REJECT6 = [
  'no-route',
  'admin-prohibited',
  undefined,
  'addr-unreachable',
  'port-unreachable',
  undefined,
  undefined,
  'policy-fail',
  'reject-route',
];

/** ipt_reject_info / ip6t_reject_info: the default (port unreachable) prints as plain `reject`. */
function reject(i: Info, ctx: XtContext): string | undefined {
  const v6 = ctx.family === 'ip6';
  const w = i.u32(0);
  if (w === (v6 ? 4 : 3)) return 'reject';
  if (w === (v6 ? 6 : 7)) return 'reject with tcp reset';
  if (!v6 && w === 8) return 'reject with icmp type admin-prohibited';
  const name = (v6 ? REJECT6 : REJECT4)[w];
  return name === undefined ? undefined : `reject with ${v6 ? 'icmpv6' : 'icmp'} type ${name}`;
}

/** xt_mark_tginfo2: `meta mark set 0x5`, or the and/or/xor forms of a masked set. */
function mark(i: Info): string {
  const [value, mask] = [i.u32(0), i.u32(4)];
  if (mask === 0xffffffff) return `meta mark set ${hex(value)}`;
  if (value === 0) return `meta mark set mark and ${hex(~mask)}`;
  if (value === mask) return `meta mark set mark or ${hex(value)}`;
  if (mask === 0) return `meta mark set mark xor ${hex(value)}`;
  return `meta mark set mark and ${hex(~mask)} xor ${hex(value)}`;
}

/** xt_connmark_tginfo1/2: save and restore of the whole mark, or setting the conntrack mark. */
function connmark(modeAt: number): Xlate {
  return (i) => {
    const [ctmark, ctmask, nfmask, mode] = [i.u32(0), i.u32(4), i.u32(8), i.u8(modeAt)];
    const shift = modeAt === 14 ? i.u8(13) : 0;
    if (shift !== 0) return undefined;
    if (mode === 0) {
      if (ctmask === 0xffffffff) return `ct mark set ${hex(ctmark)}`;
      if (ctmark === 0) return `ct mark set ct mark and ${hex(~ctmask)}`;
      if (ctmark === ctmask) return `ct mark set ct mark or ${hex(ctmark)}`;
      if (ctmask === 0) return `ct mark set ct mark xor ${hex(ctmark)}`;
      return `ct mark set ct mark xor ${hex(ctmark)} and ${hex(~ctmask)}`;
    }
    const full = nfmask === 0xffffffff && ctmask === 0xffffffff;
    if (!full && nfmask !== ctmask) return undefined;
    const masked = full ? '' : ` and ${hex(nfmask)}`;
    if (mode === 1) return `ct mark set mark${masked}`;
    if (mode === 2) return `meta mark set ct mark${masked}`;
    return undefined;
  };
}

function queue(i: Info, rev: number): string {
  const num = i.u16(0);
  const total = rev >= 1 ? i.u16(2) : 1;
  const flags = rev >= 3 ? i.u16(4) : rev === 2 ? i.u16(4) & 1 : 0;
  let out = `queue num ${total > 1 ? `${num}-${num + total - 1}` : num}`;
  const names = [flags & 1 ? 'bypass' : '', flags & 2 ? 'fanout' : ''].filter(Boolean);
  if (names.length > 0) out += ` ${names.join(',')}`;
  return out;
}

export const XT_TARGETS: Record<string, Xlate> = {
  'MASQUERADE/0': portsOnly('masquerade'),
  'REDIRECT/0': portsOnly('redirect'),
  'SNAT/0': nat('snat', 0),
  'DNAT/0': nat('dnat', 0),
  'SNAT/1': nat('snat', 2),
  'DNAT/1': nat('dnat', 2),
  'SNAT/2': nat('snat', 2),
  'DNAT/2': nat('dnat', 2),
  'LOG/0': log,
  'REJECT/0': reject,
  'MARK/2': mark,
  'CONNMARK/1': connmark(12),
  'CONNMARK/2': connmark(14),
  'TCPMSS/0': (i) => `tcp option maxseg size set ${i.u16(0) === 0xffff ? 'rt mtu' : i.u16(0)}`,
  CT: (i) => (i.u16(0) & 1 ? 'notrack' : undefined),
  'DSCP/0': (i, ctx) => (ctx.family === 'ip6' ? '' : `ip dscp set 0x${i.u8(0).toString(16).padStart(2, '0')}`),
  /** iptables 1.8.9 writes the ip6 keyword and the DSCP bits for TOS, whatever the family */
  'TOS/1': (i) => (i.u8(1) === 0xff ? `ip6 dscp set 0x${(i.u8(0) >> 2).toString(16).padStart(2, '0')}` : undefined),
  'NFQUEUE/0': (i) => queue(i, 0),
  'NFQUEUE/1': (i) => queue(i, 1),
  'NFQUEUE/2': (i) => queue(i, 2),
  'NFQUEUE/3': (i) => queue(i, 3),
};
