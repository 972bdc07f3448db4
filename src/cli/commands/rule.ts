/**
 * nlts rule { show | add | del | flush }: ip rule's grammar over client.rules.
 */
import type { RuleAction, RuleInput } from '../../api/rules.js';
import { Args, parseUnsigned } from '../args.js';
import { type CliContext, UsageError, matches } from '../context.js';
import { printRule, rulePriority, ruleTable } from '../format/rule.js';
import { attrsOf, headerOf } from '../format/values.js';
import { groupNumber, protocolNumber, tableNumber } from '../names.js';
import { flush, printerFor } from './common.js';
import { type Prefix, parseCliPrefix, prefixMatches } from './prefix.js';

export const RULE_USAGE = `Usage: nlts rule { add | del } SELECTOR ACTION
       nlts rule { flush | list }
SELECTOR := [ not ] [ from PREFIX ] [ to PREFIX ] [ tos TOS ]
            [ fwmark FWMARK[/MASK] ] [ iif STRING ] [ oif STRING ]
            [ pref NUMBER ] [ uidrange NUMBER-NUMBER ]
            [ ipproto PROTOCOL ] [ sport [ NUMBER | NUMBER-NUMBER ] ]
            [ dport [ NUMBER | NUMBER-NUMBER ] ]
ACTION := [ table TABLE_ID ] [ protocol PROTO ] [ nat ADDRESS ]
          [ goto NUMBER ] [ blackhole | prohibit | unreachable | nop ]
          [ suppress_prefixlength NUMBER ] [ suppress_ifgroup GROUP ]
TABLE_ID := [ local | main | default | NUMBER ]`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const sub = argv[0];
  const rest = new Args(argv.slice(1), RULE_USAGE);
  if (sub === undefined) return show(new Args([], RULE_USAGE), ctx);
  if (matches(sub, 'add')) return modify(rest, ctx, true);
  if (matches(sub, 'delete')) return modify(rest, ctx, false);
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return show(rest, ctx);
  if (matches(sub, 'flush')) return flushRules(ctx);
  if (matches(sub, 'help')) throw new UsageError('', RULE_USAGE);
  throw new UsageError(`Command "${sub}" is unknown, try "nlts rule help".`, RULE_USAGE);
}

async function show(args: Args, ctx: CliContext): Promise<undefined> {
  let pref: number | undefined;
  let table: number | undefined;
  let from: Prefix | undefined;
  let to: Prefix | undefined;
  let iif: string | undefined;
  let oif: string | undefined;
  while (!args.done) {
    if (args.accept('preference') || args.accept('priority') || args.acceptExact('order')) pref = args.u32('preference');
    else if (args.accept('table') || args.accept('lookup')) {
      const v = args.value('table');
      const t = tableNumber(v);
      if (t === undefined) throw args.invalid('table id value is invalid', v);
      table = t;
    } else if (args.acceptExact('from')) from = parseCliPrefix(args.value('from'), args);
    else if (args.acceptExact('to')) to = parseCliPrefix(args.value('to'), args);
    else if (args.acceptExact('iif', 'dev')) iif = args.value('iif');
    else if (args.acceptExact('oif')) oif = args.value('oif');
    else if (args.acceptExact('help')) throw new UsageError('', RULE_USAGE);
    else throw args.garbage(args.next()!);
  }
  const client = await ctx.client();
  const rules = (await client.rules.list({ family: ctx.options.family ?? 'inet' })).filter((r) => {
    const a = attrsOf(r.raw, 'newrule');
    if (pref !== undefined && rulePriority(r.raw) !== pref) return false;
    if (table !== undefined && ruleTable(r.raw) !== table) return false;
    if (iif !== undefined && a.iifname !== iif) return false;
    if (oif !== undefined && a.oifname !== oif) return false;
    const sel = (p: Prefix | undefined, v: unknown, len: number) =>
      !p || (p.bits === 0 ? true : typeof v === 'string' && len === p.bits && prefixMatches(p, v));
    const h = headerOf(r.raw, 'newrule');
    return sel(from, a.src, h.srcLen) && sel(to, a.dst, h.dstLen);
  });
  const p = printerFor(ctx);
  for (const r of rules) {
    printRule(p, r.raw, ctx.options.details);
    if (!p.json) ctx.out(p.take());
  }
  flush(ctx, p);
}

function range(args: Args, keyword: string): number | [number, number] {
  const v = args.value(keyword);
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw args.invalid(`invalid ${keyword}`, v);
  return m[2] !== undefined ? [Number(m[1]), Number(m[2])] : Number(m[1]);
}

async function modify(args: Args, ctx: CliContext, add: boolean): Promise<undefined> {
  const r: RuleInput = {};
  if (ctx.options.family) r.family = ctx.options.family;
  while (!args.done) {
    const w = args.peek()!;
    if (args.acceptExact('not')) r.not = true;
    else if (args.acceptExact('from')) {
      const v = args.value('from');
      if (v !== 'all') r.src = v;
    } else if (args.acceptExact('to')) {
      const v = args.value('to');
      if (v !== 'all') r.dst = v;
    } else if (args.accept('preference') || args.accept('priority') || args.acceptExact('order')) r.priority = args.u32('preference');
    else if (args.acceptExact('tos') || args.accept('dsfield')) r.tos = args.u32('tos', 255);
    else if (args.accept('fwmark')) {
      const v = args.value('fwmark');
      const [mark, mask] = v.split('/');
      const n = parseUnsigned(mark!);
      if (n === undefined) throw args.invalid('fwmark value is invalid', v);
      r.fwmark = n;
      if (mask !== undefined) {
        const m = parseUnsigned(mask);
        if (m === undefined) throw args.invalid('fwmask value is invalid', v);
        r.fwmask = m;
      }
    } else if (args.accept('realms')) throw new UsageError('realms are not supported by nlts', RULE_USAGE);
    else if (args.accept('table') || args.accept('lookup')) {
      const v = args.value('table');
      const t = tableNumber(v);
      if (t === undefined || t === 0) throw args.invalid('invalid table ID', v);
      r.table = t;
    } else if (args.accept('suppress_prefixlength')) r.suppressPrefixlength = args.int('suppress_prefixlength', -1, 0x7fffffff);
    else if (args.accept('suppress_ifgroup')) {
      const v = args.value('suppress_ifgroup');
      const g = groupNumber(v);
      if (g === undefined) throw args.invalid('Invalid "suppress_ifgroup" value', v);
      r.suppressIfgroup = g;
    } else if (args.acceptExact('dev', 'iif')) r.iif = args.value('iif');
    else if (args.acceptExact('oif')) r.oif = args.value('oif');
    else if (args.acceptExact('l3mdev')) r.l3mdev = true;
    else if (args.acceptExact('uidrange')) {
      const v = range(args, 'uidrange');
      r.uidrange = typeof v === 'number' ? [v, v] : v;
    } else if (args.acceptExact('ipproto')) {
      const v = args.value('ipproto');
      r.ipproto = /^\d+$/.test(v) ? Number(v) : v;
    } else if (args.acceptExact('sport')) r.sport = range(args, 'sport');
    else if (args.acceptExact('dport')) r.dport = range(args, 'dport');
    else if (args.accept('protocol')) {
      const v = args.value('protocol');
      const n = protocolNumber(v);
      if (n === undefined) throw args.invalid('"protocol" value is invalid', v);
      r.protocol = n;
    } else if (args.acceptExact('goto')) r.goto = args.u32('goto');
    else if (['blackhole', 'prohibit', 'unreachable', 'nop'].includes(w)) {
      args.next();
      r.action = w as RuleAction;
    } else if (matches(w, 'type') && w.length > 1) {
      args.next();
      const v = args.value('type');
      if (!['blackhole', 'prohibit', 'unreachable', 'nop', 'unicast'].includes(v)) throw args.invalid('Failed to parse rule type', v);
      if (v !== 'unicast') r.action = v as RuleAction;
    } else if (args.acceptExact('help')) throw new UsageError('', RULE_USAGE);
    else throw args.garbage(args.next()!);
  }
  const client = await ctx.client();
  if (add) await client.rules.add(r);
  else await client.rules.delete(r);
}

async function flushRules(ctx: CliContext): Promise<undefined> {
  const client = await ctx.client();
  for (const rule of await client.rules.list({ family: ctx.options.family ?? 'inet' })) {
    // as ip: every rule that has a priority attribute goes (the priority-0 local rule stays;
    // main and default go too, as with `ip rule flush`)
    if (rulePriority(rule.raw) === 0) continue;
    await client.rules.delete({ family: rule.family as 'inet' | 'inet6', priority: rule.priority });
  }
}
