/**
 * Neighbours and rules of the fake kernel, kept as the messages that describe them (no ARP, no
 * policy lookups): RTM_NEWNEIGH / DELNEIGH / GETNEIGH keyed by family, device, address and proxy
 * flag; RTM_NEWRULE / DELRULE / GETRULE with the default rules, priorities picked as
 * fib_default_rule_pref does, and deletion by the fields a request gives (fib_nl_delrule).
 */
import { NLM_F } from '../../../protocol/netlink.js';
import { rtNeighSpec } from '../../../protocol/rt-neigh.js';
import { rtRuleSpec } from '../../../protocol/rt-rule.js';
import type { OutgoingMessage } from '../../../src/codec/message.js';
import {
  type Answer,
  type Attrs,
  E,
  type Family,
  type Group,
  KernelError,
  type Net,
  PROTO,
  type Request,
  TABLE,
  bits,
  familyOf,
  ipBytes,
  num,
  sameBytes,
} from './net.js';

const NTF: Readonly<Record<string, number>> = rtNeighSpec.definitions['ntf-flags'].entries;
const NUD: Readonly<Record<string, number>> = rtNeighSpec.definitions['nud-state'].entries;
const FR_ACT: Readonly<Record<string, number>> = rtRuleSpec.definitions['fr-act'].entries;
const ruleGroup = (f: Family): Group => (f === 'inet' ? 'ipv4Rule' : 'ipv6Rule');

// ---------------------------------------------------------------------------------------------
// Neighbours

function neighKey(h: Attrs, a: Attrs): string {
  const dst = ipBytes(a.dst);
  return `${familyOf(h.family)}|${h.ifindex}|${dst ? Array.from(dst).join('.') : ''}|${bits(h.flags, NTF) & NTF.proxy!}`;
}

/** As neigh_fill_info / pneigh_fill_info write it: proxy entries have no state, lladdr or cache info. */
function neighMessage(m: OutgoingMessage, flags: number, kind = 'newneigh'): OutgoingMessage {
  if (bits(m.header!.flags, NTF) & NTF.proxy!) return { kind, flags, header: { ...m.header, state: 0 }, attrs: { dst: m.attrs!.dst } };
  return { kind, flags, header: m.header, attrs: { ...m.attrs, cacheinfo: { confirmed: 0, used: 0, updated: 0, refcnt: 0 }, probes: 0 } };
}

export function newNeigh(net: Net, req: Request): Answer {
  const h = req.msg.header;
  const a = req.msg.attrs;
  const family = familyOf(h.family);
  if (!family) throw new KernelError(E.EINVAL);
  if (!net.links.has(h.ifindex)) throw new KernelError(E.ENODEV);
  const dst = ipBytes(a.dst);
  if (!dst || dst.length !== (family === 'inet' ? 4 : 16)) throw new KernelError(E.EINVAL, 'Invalid network address in neighbor request');
  const key = neighKey(h, a);
  const at = net.neighbours.findIndex((m) => neighKey(m.header!, m.attrs!) === key);
  if (at >= 0 && req.flags & NLM_F.EXCL) throw new KernelError(E.EEXIST);
  if (at < 0 && !(req.flags & NLM_F.CREATE)) throw new KernelError(E.ENOENT);
  const attrs: Attrs = { dst };
  if (a.lladdr !== undefined) attrs.lladdr = a.lladdr;
  if (a.protocol !== undefined) attrs.protocol = a.protocol;
  const flags = bits(h.flags, NTF);
  const m: OutgoingMessage = { kind: 'newneigh', header: { family, ifindex: h.ifindex, state: bits(h.state, NUD), flags, type: 'unicast' }, attrs };
  if (at >= 0 && !(req.flags & NLM_F.REPLACE)) return {};
  if (at >= 0) net.neighbours[at] = m;
  else net.neighbours.push(m);
  net.notify('neigh', neighMessage(m, 0));
  return {};
}

export function delNeigh(net: Net, req: Request): Answer {
  const h = req.msg.header;
  if (!net.links.has(h.ifindex)) throw new KernelError(E.ENODEV);
  const key = neighKey(h, req.msg.attrs);
  const at = net.neighbours.findIndex((m) => neighKey(m.header!, m.attrs!) === key);
  if (at < 0) throw new KernelError(E.ENOENT);
  const [m] = net.neighbours.splice(at, 1);
  // neigh_delete: the entry is first updated to NUD_FAILED (announced), then removed.
  const failed: OutgoingMessage = { ...m!, header: { ...m!.header, state: NUD.failed } };
  if (!(bits(m!.header!.flags, NTF) & NTF.proxy!)) net.notify('neigh', neighMessage(failed, 0));
  net.notify('neigh', neighMessage(failed, 0, 'delneigh'));
  return {};
}

export function dumpNeighs(net: Net, req: Request): Answer {
  const h = req.msg.header;
  const a = req.msg.attrs;
  const family = familyOf(h.family);
  const proxy = bits(h.flags, NTF) & NTF.proxy!;
  const master = a.master as number | undefined;
  const dump = net.neighbours
    .filter((m) => (family === undefined || familyOf(m.header!.family) === family) && (bits(m.header!.flags, NTF) & NTF.proxy!) === proxy)
    .filter((m) => a.ifindex === undefined || m.header!.ifindex === a.ifindex)
    .filter((m) => master === undefined || net.links.get(m.header!.ifindex as number)?.master === master)
    .map((m) => neighMessage(m, NLM_F.MULTI));
  return { dump, filtered: a.ifindex !== undefined || master !== undefined };
}

/** neigh_ifdown: a link going down (or away) forgets its entries, permanent ones too (proxies stay). */
export function neighsLinkDown(net: Net, index: number): void {
  for (let i = net.neighbours.length - 1; i >= 0; i--) {
    const m = net.neighbours[i]!;
    if (m.header!.ifindex !== index || bits(m.header!.flags, NTF) & NTF.proxy!) continue;
    net.neighbours.splice(i, 1);
    net.notify('neigh', neighMessage(m, 0, 'delneigh'));
  }
}

// ---------------------------------------------------------------------------------------------
// Rules

function rule(family: Family, priority: number, table: number): OutgoingMessage {
  return {
    kind: 'newrule',
    header: { family, dstLen: 0, srcLen: 0, tos: 0, table, action: FR_ACT.to_tbl, flags: 0 },
    attrs: { table, priority, protocol: PROTO.kernel },
  };
}

/** fib_nl_fill_rule: FRA_PRIORITY only when not 0. */
function ruleMessage(r: OutgoingMessage, flags: number, kind = 'newrule'): OutgoingMessage {
  const { priority, ...attrs } = r.attrs!;
  return { kind, flags, header: r.header, attrs: priority ? { ...attrs, priority } : attrs };
}

/** fib4_rules_init / fib6_rules_net_init: local, main (and default for IPv4). */
export function defaultRules(net: Net): void {
  net.rules.push(rule('inet', 0, TABLE.local!), rule('inet', 32766, TABLE.main!), rule('inet', 32767, TABLE.default!));
  net.rules.push(rule('inet6', 0, TABLE.local!), rule('inet6', 32766, TABLE.main!));
}

/** The rule a request describes, normalised to numbers (so that equal rules compare equal). */
function ruleOf(req: Request, family: Family): OutgoingMessage {
  const h = req.msg.header;
  const { unknown: _u, ...attrs } = req.msg.attrs;
  const table = num(attrs.table ?? h.table, TABLE);
  if (table) attrs.table = table;
  else delete attrs.table;
  for (const k of ['dst', 'src'] as const) if (attrs[k] !== undefined) attrs[k] = ipBytes(attrs[k]);
  if (attrs.protocol !== undefined) attrs.protocol = num(attrs.protocol, PROTO);
  const header = {
    family,
    dstLen: h.dstLen ?? 0,
    srcLen: h.srcLen ?? 0,
    tos: h.tos ?? 0,
    table: table < 256 ? table : 0,
    action: num(h.action, FR_ACT),
    flags: bits(h.flags, {}),
  };
  return { kind: 'newrule', header, attrs };
}

const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x instanceof Uint8Array ? Array.from(x) : x));
const same = (a: unknown, b: unknown): boolean => (a instanceof Uint8Array && b instanceof Uint8Array ? sameBytes(a, b) : text(a) === text(b));

export function newRule(net: Net, req: Request): Answer {
  const family = familyOf(req.msg.header.family);
  if (!family) throw new KernelError(E.EAFNOSUPPORT);
  const r = ruleOf(req, family);
  r.attrs!.protocol ??= 0;
  if (r.attrs!.fwmark !== undefined) r.attrs!.fwmask ??= 0xffffffff;
  const h = r.header!;
  if (h.action === FR_ACT.to_tbl && r.attrs!.table === undefined) throw new KernelError(E.EINVAL, 'Invalid table');
  const mine = net.rules.filter((x) => x.header!.family === family);
  if (r.attrs!.priority === undefined) {
    // fib_default_rule_pref: just before the first rule after the one at priority 0.
    const second = mine.find((x) => (x.attrs!.priority as number) > 0);
    r.attrs!.priority = second ? (second.attrs!.priority as number) - 1 : 0;
  }
  if (req.flags & NLM_F.EXCL && mine.some((x) => same(x.header, h) && same(x.attrs, r.attrs))) throw new KernelError(E.EEXIST);
  const after = mine.filter((x) => (x.attrs!.priority as number) <= (r.attrs!.priority as number)).at(-1);
  net.rules.splice(after ? net.rules.indexOf(after) + 1 : net.rules.indexOf(mine[0]!), 0, r);
  net.notify(ruleGroup(family), ruleMessage(r, 0));
  return {};
}

export function delRule(net: Net, req: Request): Answer {
  const family = familyOf(req.msg.header.family);
  if (!family) throw new KernelError(E.EAFNOSUPPORT);
  const want = ruleOf(req, family);
  const given = Object.entries(want.header!).filter(([k, v]) => k !== 'family' && v !== 0);
  const found = net.rules.find(
    (x) =>
      x.header!.family === family &&
      given.every(([k, v]) => same(x.header![k], v)) &&
      Object.entries(want.attrs!).every(([k, v]) => same(x.attrs![k], v)),
  );
  if (!found) throw new KernelError(E.ENOENT);
  net.rules.splice(net.rules.indexOf(found), 1);
  net.notify(ruleGroup(family), ruleMessage(found, 0, 'delrule'));
  return {};
}

export function dumpRules(net: Net, req: Request): Answer {
  const family = familyOf(req.msg.header.family);
  const dump = (['inet', 'inet6'] as const)
    .filter((f) => family === undefined || f === family)
    .flatMap((f) => net.rules.filter((r) => r.header!.family === f))
    .map((r) => ruleMessage(r, NLM_F.MULTI));
  return { dump };
}
