/**
 * `ip rule show`: one rule as iproute2 6.1 print_rule writes it.
 */
import { IP_PROTOCOL_NAMES } from '../../../protocol/ip-protocols.js';
import { rtRuleSpec } from '../../../protocol/rt-rule.js';
import type { NetlinkMessage } from '../../codec/message.js';
import type { RtRuleFibRuleHdr, RtRuleFibRulePortRange, RtRuleRuleAttrs } from '../../generated/index.js';
import { groupName, protocolName, realmName, routeTypeName, tableName } from '../names.js';
import type { Printer } from './printer.js';
import { altHex, attrs, attrsOf, enumNum, flagsNum, headerOf } from './values.js';

const D = rtRuleSpec.definitions;
const FIB_RULE = D['fib-rule-flags'].entries;
const FR_ACT = D['fr-act'].entries;

type Header = RtRuleFibRuleHdr;
type Attrs = RtRuleRuleAttrs;

/** inet_proto_n2a: the /etc/protocols name (protocol/ip-protocols.ts), "ipproto-N" otherwise. */
export function ipProtoName(n: number): string {
  return IP_PROTOCOL_NAMES[n] ?? `ipproto-${n}`;
}

export function ruleTable(m: NetlinkMessage): number {
  const a = attrsOf(m, 'newrule');
  const h = headerOf(m, 'newrule');
  return enumNum(D['rt-table'], a.table ?? h.table);
}

export function rulePriority(m: NetlinkMessage): number {
  return attrsOf(m, 'newrule').priority ?? 0;
}

export function printRule(p: Printer, m: NetlinkMessage, details: boolean): void {
  const h = headerOf(m, 'newrule');
  const a = attrsOf(m, 'newrule');
  const flags = flagsNum(D['fib-rule-flags'], h.flags);
  p.openObject();
  if (m.kind === 'delrule') p.any('deleted', true, 'Deleted ');
  const prio = rulePriority(m);
  p.any('priority', prio, `${prio}:\t`);
  if (flags & FIB_RULE.invert) p.any('not', null, 'not ');
  printSelector(p, h, a, flags);
  const table = ruleTable(m);
  if (table) printLookup(p, table, a);
  if (a.flow !== undefined) {
    const to = a.flow & 0xffff;
    const from = a.flow >>> 16;
    if (from) {
      p.text(' realms ');
      p.any('flow_from', realmName(from), `${realmName(from)}/`);
    } else p.text(' realms ');
    p.any('flow_to', realmName(to), realmName(to));
  }
  printAction(p, enumNum(D['fr-act'], h.action), a, flags);
  if (a.protocol !== undefined) {
    const proto = enumNum(D['rt-protocol'], a.protocol);
    if ((proto && proto !== D['rt-protocol'].entries.kernel) || details) {
      const s = protocolName(proto);
      p.any('protocol', s, ` proto ${s}`);
    }
  }
  p.text('\n');
  p.closeObject();
}

/** What the rule matches: "from PREFIX to PREFIX tos fwmark iif oif uidrange ipproto sport dport". */
function printSelector(p: Printer, h: Header, a: Attrs, flags: number): void {
  const hostLen = h.family === 'inet6' ? 128 : 32;
  if (a.src !== undefined) {
    p.text('from ');
    p.any('src', String(a.src), String(a.src));
    if (h.srcLen !== hostLen) p.any('srclen', h.srcLen, `/${h.srcLen}`);
  } else if (h.srcLen) {
    p.any('src', '0', 'from 0');
    p.any('srclen', h.srcLen, `/${h.srcLen}`);
  } else p.any('src', 'all', 'from all');
  if (a.dst !== undefined) {
    p.text(' to ');
    p.any('dst', String(a.dst), String(a.dst));
    if (h.dstLen !== hostLen) p.any('dstlen', h.dstLen, `/${h.dstLen}`);
  } else if (h.dstLen) {
    p.any('dst', '0', ' to 0');
    p.any('dstlen', h.dstLen, `/${h.dstLen}`);
  }
  if (h.tos) {
    const t = '0x' + Number(h.tos).toString(16).padStart(2, '0');
    p.any('tos', t, ` tos ${t}`);
  }
  if (a.fwmark !== undefined || a.fwmask !== undefined) {
    const mark = Number(a.fwmark ?? 0) >>> 0;
    const mask = a.fwmask !== undefined ? Number(a.fwmask) >>> 0 : 0;
    p.any('fwmark', altHex(mark), ` fwmark ${altHex(mark)}`);
    if (a.fwmask !== undefined && mask !== 0xffffffff) p.any('fwmask', altHex(mask), `/${altHex(mask)}`);
  }
  if (a.iifname !== undefined) {
    p.text(' iif ');
    p.any('iif', a.iifname, a.iifname);
    if (flags & FIB_RULE.iif_detached) p.any('iif_detached', null, ' [detached]');
  }
  if (a.oifname !== undefined) {
    p.text(' oif ');
    p.any('oif', a.oifname, a.oifname);
    if (flags & FIB_RULE.oif_detached) p.any('oif_detached', null, ' [detached]');
  }
  if (a.l3mdev) p.any('l3mdev', null, ' lookup [l3mdev-table]');
  if (a.uidRange !== undefined) {
    const { start = 0, end = 0 } = attrs(a.uidRange);
    p.any('uid_start', start, ` uidrange ${start}`);
    p.any('uid_end', end, `-${end}`);
  }
  if (a.ipProto !== undefined) {
    const s = ipProtoName(a.ipProto);
    p.any('ipproto', s, ` ipproto ${s}`);
  }
  printPortRange(p, 'sport', a.sportRange);
  printPortRange(p, 'dport', a.dportRange);
}

function printPortRange(p: Printer, word: string, v: RtRuleFibRulePortRange | undefined): void {
  if (v === undefined) return;
  const { start = 0, end = 0 } = attrs(v);
  if (start === end) p.any(word, start, ` ${word} ${start}`);
  else {
    p.any(`${word}_start`, start, ` ${word} ${start}`);
    p.any(`${word}_end`, end, `-${end}`);
  }
}

/** " lookup TABLE" and what it suppresses. */
function printLookup(p: Printer, table: number, a: Attrs): void {
  const t = tableName(table);
  p.any('table', t, ` lookup ${t}`);
  if (a.suppressPrefixlen !== undefined && (a.suppressPrefixlen | 0) !== -1) {
    p.any('suppress_prefixlen', a.suppressPrefixlen | 0, ` suppress_prefixlength ${a.suppressPrefixlen | 0}`);
  }
  if (a.suppressIfgroup !== undefined && (a.suppressIfgroup | 0) !== -1) {
    const g = groupName(a.suppressIfgroup);
    p.any('suppress_ifgroup', g, ` suppress_ifgroup ${g}`);
  }
}

/** goto / nop / the route type of a blackhole, unreachable or prohibit rule (a lookup printed its table). */
function printAction(p: Printer, action: number, a: Attrs, flags: number): void {
  if (action === FR_ACT.goto) {
    if (a.goto !== undefined) p.any('goto', a.goto, ` goto ${a.goto}`);
    else p.any('goto', 'none', ' goto none');
    if (flags & FIB_RULE.unresolved) p.any('unresolved', null, ' [unresolved]');
  } else if (action === FR_ACT.nop) p.any('nop', null, ' nop');
  else if (action !== FR_ACT.to_tbl) {
    // ip prints FR_ACT_* with rtnl_rtntype_n2a: FR_ACT_BLACKHOLE.. share RTN_BLACKHOLE..'s numbers
    const s = routeTypeName(action);
    p.any('action', s, ` ${s}`);
  }
}
