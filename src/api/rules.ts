/**
 * Policy routing rules: list, add, delete (ip rule). Requests are built as `ip rule add/del`
 * builds them, so a rule added here is deleted by the same description, and the other way round.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { IP_PROTOCOL_NAMES } from '../../protocol/ip-protocols.js';
import { rtTableEnum } from '../../protocol/rt-common.js';
import type { NetlinkMessage } from '../codec/message.js';
import { RawRecord, recordKind } from '../codec/record.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import type { RtRuleAddressFamily, RtRuleFibRuleFlags, RtRuleFibRuleHdr, RtRuleFrAct, RtRuleRtProtocol, RtRuleRtTable } from '../generated/index.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import { InvalidArgumentError, notFoundOr } from './errors.js';
import { type Friendly, type RequestAttrs, type RequestHeader, type RtnlMessage, isKind, rtnlRequest } from './rtnl-messages.js';
import {
  type Family,
  type ParsedPrefix,
  checkFamily,
  checkIfname,
  checkInt,
  checkOneOf,
  checkRequestOptions,
  checkU32,
  checkU8,
  parsePrefix,
} from './validate.js';

/** What a rule does: FR_ACT_TO_TBL is 'lookup'. */
export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
export const RULE_ACTIONS: readonly RuleAction[] = ['lookup', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'];

/** Friendly action -> FR_ACT_* name in the spec. */
const FR_ACT: Record<RuleAction, RtRuleFrAct> = {
  lookup: 'to_tbl',
  goto: 'goto',
  nop: 'nop',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
};

/** Reserved table names (RT_TABLE_*, from the spec); other tables are numbers. */
const { default: RT_TABLE_DEFAULT, main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL } = rtTableEnum.entries;
const TABLE_IDS: Readonly<Record<string, number>> = { default: RT_TABLE_DEFAULT, main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL };

/** IP protocol names accepted for `ipproto`: /etc/protocols' (protocol/ip-protocols.ts), and icmpv6. */
const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.entries(IP_PROTOCOL_NAMES).map(([n, name]) => [name, Number(n)])),
  icmpv6: 58,
};

export interface PortRange {
  start: number;
  end: number;
}

/** A rule as the kernel reports it, with friendly names. */
export interface Rule {
  /** 'inet', 'inet6' (or 'ipmr', 'ip6mr'... when listing every family). */
  family: Friendly<RtRuleAddressFamily>;
  /** FRA_PRIORITY; the kernel omits it for priority 0. */
  priority: number;
  /** Table looked up: 'main', 'local', 'default' or a number (FRA_TABLE, else the header); absent when none (0). */
  table?: Friendly<RtRuleRtTable>;
  /** Friendly action: 'lookup' for FR_ACT_TO_TBL, otherwise the kernel name. */
  action: RuleAction | string | number;
  /** The kernel's FR_ACT_* name ('to_tbl', 'goto', 'blackhole'...). */
  type: Friendly<RtRuleFrAct>;
  /** Source / destination selector as a prefix ("10.1.0.0/16"); absent for "all". */
  src?: string;
  dst?: string;
  iifname?: string;
  oifname?: string;
  fwmark?: number;
  fwmask?: number;
  /** TOS / DS field to match (0: any). */
  tos: number;
  /** FIB_RULE_INVERT: the selector is negated (`not`). */
  invert: boolean;
  /** FIB_RULE_* names: 'invert', 'unresolved', 'iif_detached'... */
  flags: Friendly<RtRuleFibRuleFlags>;
  /** Who installed it ('kernel' for the default rules; 'unspec' when nobody said). */
  protocol?: Friendly<RtRuleRtProtocol>;
  sportRange?: PortRange;
  dportRange?: PortRange;
  uidRange?: PortRange;
  ipProto?: number;
  /** Target priority of a goto rule. */
  goto?: number;
  suppressPrefixlen?: number;
  suppressIfgroup?: number;
  l3mdev?: boolean;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

export interface RuleInput {
  /** 'inet' or 'inet6'; inferred from src/dst, else 'inet' (as ip). */
  family?: Family | 4 | 6;
  /** Preference: lower runs first. Chosen by the kernel on add when omitted. */
  priority?: number;
  /** Table to look up: a number or 'main', 'local', 'default'. Default 'main' for add with action lookup. */
  table?: string | number;
  /** Default 'lookup' on add (or 'goto' when `goto` is given); on delete, any action matches unless given. */
  action?: RuleAction;
  /** Source prefix ("10.1.0.0/16", a bare address for a host). */
  src?: string;
  dst?: string;
  /** Input interface name (it need not exist). */
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  /** Negate the selector (`ip rule add not ...`). */
  not?: boolean;
  /** FRA_PROTOCOL ('static', 'boot', a number...). Not sent unless given, as ip (the kernel then stores 'unspec'). */
  protocol?: string | number;
  /** Source / destination port, or [start, end] (1..65534). */
  sport?: number | readonly [number, number];
  dport?: number | readonly [number, number];
  /** IP protocol number or name ('tcp', 'udp', 'icmp'...). */
  ipproto?: number | string;
  /** [start, end] of socket owner uids. */
  uidrange?: readonly [number, number];
  /** Reject lookup results with a prefix length of this or less. */
  suppressPrefixlength?: number;
  /** Reject lookup results whose device is in this group. */
  suppressIfgroup?: number;
  /** Priority of the rule to continue with (action goto). */
  goto?: number;
  /** Look up the table of the L3 master device (VRF); excludes `table`. */
  l3mdev?: boolean;
}

export interface RuleListOptions extends RequestOptions {
  /** 'inet' (default, as `ip rule show`), 'inet6', or 'all' for every family the kernel has rules for. */
  family?: Family | 4 | 6 | 'all';
}

export class RuleApi {
  constructor(private readonly conn: Connection) {}

  /** Rules in priority order (as the kernel keeps them), like `ip rule show` / `ip -6 rule show`. */
  async list(opts?: RuleListOptions): Promise<Rule[]> {
    const options = checkRequestOptions(opts);
    const family = options.family === undefined ? 'inet' : options.family === 'all' ? 'unspec' : checkFamily(options.family);
    // Strict checking refuses anything but the family in a rule dump request.
    const msgs = await this.conn.dump(rtnlRequest({ kind: 'getrule', header: { family } }), options);
    return msgs.filter((m) => isKind(m, 'newrule') && (family === 'unspec' || m.header?.family === family)).map((m) => toRule(m));
  }

  /** Adds a rule (NLM_F_CREATE | NLM_F_EXCL: EEXIST when an identical rule with the same priority exists). */
  async add(rule: RuleInput & RequestOptions): Promise<void> {
    const msg = buildRule(rule, true);
    checkRequestOptions(rule, 'rule');
    await this.conn.request(rtnlRequest({ kind: 'newrule', flags: NLM_F.CREATE | NLM_F.EXCL, ...msg }), rule);
  }

  /**
   * Deletes the first rule matching the description, as `ip rule del`: only what is given is
   * compared. NotFoundError when no rule matches.
   */
  async delete(rule: RuleInput & RequestOptions): Promise<void> {
    const msg = buildRule(rule, false);
    checkRequestOptions(rule, 'rule');
    try {
      await this.conn.request(rtnlRequest({ kind: 'delrule', ...msg }), rule);
    } catch (err) {
      throw notFoundOr(err, 'rule', describeRule(rule));
    }
  }
}

/** The rule as described (its checked fields only: other keys may hold anything). */
function describeRule(r: RuleInput): string {
  const parts: string[] = [];
  for (const k of ['family', ...SELECTORS] as const) {
    const v = r[k];
    if (v !== undefined) parts.push(`${k} ${Array.isArray(v) ? v.join('-') : String(v)}`);
  }
  return parts.join(' ');
}

function tableId(v: unknown): number {
  if (typeof v === 'string') {
    if (TABLE_IDS[v] !== undefined) return TABLE_IDS[v]!;
    if (/^\d+$/.test(v)) return tableId(Number(v));
    throw new InvalidArgumentError('table', v, "must be a number from 1 to 4294967295 or 'main', 'local', 'default'");
  }
  return checkInt(v, 'table', 1, 0xffffffff);
}

function portRange(v: unknown, argument: string): PortRange {
  const [start, end] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : [NaN, NaN];
  if (typeof start !== 'number' || typeof end !== 'number' || Number.isNaN(start)) {
    throw new InvalidArgumentError(argument, v, 'must be a port or a [start, end] pair');
  }
  // fib_rule_port_range_valid(): 0 and 65535 are refused.
  checkInt(start, `${argument} start`, 1, 0xfffe);
  checkInt(end, `${argument} end`, 1, 0xfffe);
  if (start > end) throw new InvalidArgumentError(argument, v, 'start must not be greater than end');
  return { start, end };
}

function ipProto(v: unknown): number {
  if (typeof v === 'string') {
    const n = IP_PROTOCOLS[v.toLowerCase()];
    if (n === undefined) {
      throw new InvalidArgumentError(
        'ipproto',
        v,
        'must be a number from 0 to 255 or a protocol name of /etc/protocols (tcp, udp, icmp, ipv6-icmp...)',
      );
    }
    return n;
  }
  return checkU8(v, 'ipproto');
}

/** FRA_PROTOCOL: a number, or a name (one the spec lacks is refused by the encoder, by name). */
function protocolOf(v: unknown): RtRuleRtProtocol {
  if (typeof v === 'number') return checkU8(v, 'protocol');
  if (typeof v === 'string' && /^[a-z0-9_]+$/.test(v)) return v as RtRuleRtProtocol;
  throw new InvalidArgumentError('protocol', v, "must be a protocol name like 'static' or a number from 0 to 255");
}

function checkBool(v: unknown, argument: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(argument, v, 'must be true or false');
}

const SELECTORS = [
  'priority',
  'table',
  'action',
  'src',
  'dst',
  'iif',
  'oif',
  'fwmark',
  'fwmask',
  'tos',
  'not',
  'protocol',
  'sport',
  'dport',
  'ipproto',
  'uidrange',
  'suppressPrefixlength',
  'suppressIfgroup',
  'goto',
  'l3mdev',
] as const;

/** Header and attributes of RTM_NEWRULE (add) or RTM_DELRULE, as iprule_modify() builds them. */
export function buildRule(r: RuleInput, add: boolean): { header: RequestHeader<'newrule'>; attrs: RequestAttrs<'newrule'> } {
  if (typeof r !== 'object' || r === null) throw new InvalidArgumentError('rule', r, 'must be an object');
  if (!add && !SELECTORS.some((k) => r[k] !== undefined)) {
    // An empty selector matches the first rule (priority 0, local): never what is meant.
    throw new InvalidArgumentError('rule', r, 'says nothing to match: give at least a priority or a selector');
  }
  const header: RequestHeader<'newrule'> = { family: 'inet', dstLen: 0, srcLen: 0, tos: 0, table: 0, action: 'unspec', flags: [] };
  const attrs: RequestAttrs<'newrule'> = {};

  let family: Family | undefined = r.family === undefined ? undefined : checkFamily(r.family);
  const prefix = (v: unknown, argument: 'src' | 'dst'): ParsedPrefix => {
    const p = parsePrefix(v, argument);
    if (family !== undefined && p.family !== family) {
      throw new InvalidArgumentError(argument, v, `is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} prefix (family ${family})`);
    }
    family = p.family;
    return p;
  };
  if (r.src !== undefined) {
    const p = prefix(r.src, 'src');
    header.srcLen = p.prefixlen;
    if (p.prefixlen > 0) attrs.src = p.bytes;
  }
  if (r.dst !== undefined) {
    const p = prefix(r.dst, 'dst');
    header.dstLen = p.prefixlen;
    if (p.prefixlen > 0) attrs.dst = p.bytes;
  }
  header.family = family ?? 'inet';

  if (r.priority !== undefined) attrs.priority = checkU32(r.priority, 'priority');
  checkBool(r.not, 'not');
  checkBool(r.l3mdev, 'l3mdev');
  if (r.not) header.flags = ['invert'];
  if (r.tos !== undefined) header.tos = checkU8(r.tos, 'tos');
  if (r.iif !== undefined) attrs.iifname = checkIfname(r.iif, 'iif');
  if (r.oif !== undefined) attrs.oifname = checkIfname(r.oif, 'oif');
  if (r.fwmark !== undefined) attrs.fwmark = checkU32(r.fwmark, 'fwmark');
  if (r.fwmask !== undefined) attrs.fwmask = checkU32(r.fwmask, 'fwmask');
  if (r.protocol !== undefined) attrs.protocol = protocolOf(r.protocol);
  if (r.sport !== undefined) attrs.sportRange = portRange(r.sport, 'sport');
  if (r.dport !== undefined) attrs.dportRange = portRange(r.dport, 'dport');
  if (r.ipproto !== undefined) attrs.ipProto = ipProto(r.ipproto);
  if (r.uidrange !== undefined) {
    const u = r.uidrange;
    if (!Array.isArray(u) || u.length !== 2) throw new InvalidArgumentError('uidrange', u, 'must be a [start, end] pair of uids');
    const start = checkU32(u[0], 'uidrange start');
    const end = checkU32(u[1], 'uidrange end');
    if (start > end) throw new InvalidArgumentError('uidrange', u, 'start must not be greater than end');
    if (start === 0 && end === 0xffffffff) throw new InvalidArgumentError('uidrange', u, 'covers every uid: leave it out instead');
    attrs.uidRange = { start, end };
  }
  if (r.suppressPrefixlength !== undefined) attrs.suppressPrefixlen = checkInt(r.suppressPrefixlength, 'suppressPrefixlength', 0, 0x7fffffff);
  if (r.suppressIfgroup !== undefined) attrs.suppressIfgroup = checkInt(r.suppressIfgroup, 'suppressIfgroup', 0, 0x7fffffff);

  let action: RuleAction | undefined = r.action === undefined ? undefined : checkOneOf(r.action, 'action', RULE_ACTIONS);
  if (r.goto !== undefined) {
    if (action !== undefined && action !== 'goto') throw new InvalidArgumentError('goto', r.goto, `is only for action goto, not ${action}`);
    action = 'goto';
    attrs.goto = checkU32(r.goto, 'goto');
  } else if (action === 'goto' && add) {
    throw new InvalidArgumentError('goto', undefined, 'is required with action goto: the priority of the rule to continue with');
  }
  if (action === undefined && add) action = 'lookup';
  if (action !== undefined) header.action = FR_ACT[action];

  if (r.l3mdev) {
    if (r.table !== undefined) {
      throw new InvalidArgumentError('table', r.table, 'cannot be combined with l3mdev (the table is the L3 master device’s)');
    }
    if (action !== undefined && action !== 'lookup') {
      throw new InvalidArgumentError('l3mdev', true, `is a lookup; it cannot be combined with action ${action}`);
    }
    attrs.l3mdev = 1;
  }
  let table: number | undefined;
  if (r.table !== undefined) {
    table = tableId(r.table);
    if (action !== undefined && action !== 'lookup') throw new InvalidArgumentError('table', r.table, `is only for action lookup, not ${action}`);
  } else if (add && action === 'lookup' && !r.l3mdev) {
    table = TABLE_IDS.main;
  }
  if (table !== undefined) {
    // As iproute2: ids above 255 do not fit the header's u8 (RT_TABLE_UNSPEC there); FRA_TABLE always carries the id.
    header.table = table < 256 ? table : 0;
    attrs.table = table;
  }
  return { header, attrs };
}

const UNSET = 0xffffffff;

/** A class of its own for each kind of record (codec/record.ts). */
const RuleRecord = recordKind<Rule>(class extends RawRecord {}, rtnetlinkCodec);
const NO_HEADER = {} as RtRuleFibRuleHdr;

/** Friendly view of a decoded RTM_NEWRULE. */
export function toRule(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Rule {
  const { header: h = NO_HEADER, attrs: a = {} } = m as RtnlMessage<'newrule'>;
  const flags = Array.isArray(h.flags) ? h.flags : [];
  const type = h.action;
  const rule = new RuleRecord(bytes ?? m, offset);
  rule.family = h.family;
  rule.priority = a.priority ?? 0;
  rule.action = type === 'to_tbl' ? 'lookup' : type;
  rule.type = type;
  rule.tos = h.tos ?? 0;
  rule.invert = flags.includes('invert');
  rule.flags = flags;
  const table = a.table ?? h.table;
  if (table !== undefined && table !== 0 && table !== 'unspec') rule.table = table;
  if (a.src !== undefined) rule.src = `${a.src}/${h.srcLen}`;
  if (a.dst !== undefined) rule.dst = `${a.dst}/${h.dstLen}`;
  if (a.iifname !== undefined) rule.iifname = a.iifname;
  if (a.oifname !== undefined) rule.oifname = a.oifname;
  if (a.fwmark !== undefined) rule.fwmark = a.fwmark;
  if (a.fwmask !== undefined) rule.fwmask = a.fwmask;
  if (a.protocol !== undefined) rule.protocol = a.protocol;
  if (a.sportRange !== undefined) rule.sportRange = { start: a.sportRange.start!, end: a.sportRange.end! };
  if (a.dportRange !== undefined) rule.dportRange = { start: a.dportRange.start!, end: a.dportRange.end! };
  if (a.uidRange !== undefined) rule.uidRange = { start: a.uidRange.start!, end: a.uidRange.end! };
  if (a.ipProto !== undefined) rule.ipProto = a.ipProto;
  if (a.goto !== undefined) rule.goto = a.goto;
  // The kernel always sends FRA_SUPPRESS_PREFIXLEN; (u32)-1 means unset (likewise for the ifgroup).
  if (a.suppressPrefixlen !== undefined && a.suppressPrefixlen !== UNSET) rule.suppressPrefixlen = a.suppressPrefixlen;
  if (a.suppressIfgroup !== undefined && a.suppressIfgroup !== UNSET) rule.suppressIfgroup = a.suppressIfgroup;
  if (a.l3mdev !== undefined) rule.l3mdev = a.l3mdev !== 0;
  return rule;
}
