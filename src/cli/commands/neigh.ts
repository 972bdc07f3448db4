/**
 * nlts neigh { show | add | del | change | replace | flush }: ip neigh's grammar over
 * client.neighbours.
 */
import type { NeighbourAddOptions, NudState } from '../../api/neighbours.js';
import { NUD_STATES } from '../../api/neighbours.js';
import { Args } from '../args.js';
import { type CliContext, UsageError, matches } from '../context.js';
import { printNeigh } from '../format/neigh.js';
import { protocolNumber } from '../names.js';
import { allLinks, deviceIndex, flush, printerFor } from './common.js';
import { type Prefix, parseCliPrefix, prefixMatches } from './prefix.js';

export const NEIGH_USAGE = `Usage: nlts neigh { add | del | change | replace }
                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }
                [ dev DEV ] [ router ] [ extern_learn ] [ protocol PROTO ]

       nlts neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]

STATE := { delay | failed | incomplete | noarp | none |
           permanent | probe | reachable | stale }`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const sub = argv[0];
  const rest = new Args(argv.slice(1), NEIGH_USAGE);
  if (sub === undefined) return show(new Args([], NEIGH_USAGE), ctx, false);
  if (matches(sub, 'add')) return modify(rest, ctx, 'add');
  if (matches(sub, 'change') || sub === 'chg' || matches(sub, 'replace')) return modify(rest, ctx, 'replace');
  if (matches(sub, 'delete')) return modify(rest, ctx, 'delete');
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return show(rest, ctx, false);
  if (matches(sub, 'flush')) return show(rest, ctx, true);
  if (matches(sub, 'help')) throw new UsageError('', NEIGH_USAGE);
  throw new UsageError(`Command "${sub}" is unknown, try "nlts neigh help".`, NEIGH_USAGE);
}

function nudState(args: Args, v: string): NudState | 'all' {
  if (v === 'all') return 'all';
  if ((NUD_STATES as readonly string[]).includes(v)) return v as NudState;
  throw args.invalid('nud state is bad', v);
}

async function show(args: Args, ctx: CliContext, flushing: boolean): Promise<undefined> {
  let dev: string | undefined;
  let proxy = false;
  let to: Prefix | undefined;
  const states: NudState[] = [];
  let all = false;
  while (!args.done) {
    if (args.acceptExact('dev')) dev = args.value('dev');
    else if (args.acceptExact('proxy')) proxy = true;
    else if (args.acceptExact('nud')) {
      const s = nudState(args, args.value('nud'));
      if (s === 'all') all = true;
      else states.push(s);
    } else if (args.acceptExact('help')) throw new UsageError('', NEIGH_USAGE);
    else if (args.acceptExact('nomaster', 'unused')) continue;
    else {
      args.acceptExact('to');
      to = parseCliPrefix(args.value('to'), args);
    }
  }
  if (flushing && !dev && !to && ctx.options.family === undefined && !proxy && !states.length && !all) {
    throw new UsageError('Flush requires arguments.', NEIGH_USAGE);
  }
  const client = await ctx.client();
  const family = ctx.options.family ?? to?.family;
  const filter = {
    ...(family && { family }),
    ...(dev !== undefined && { dev: await deviceIndex(client, dev) }),
    ...(proxy && { proxy: true }),
    ...(states.length && !all && { state: states }),
    ...(all && { all: true }),
  };
  if (flushing) {
    await client.neighbours.flush(filter);
    return;
  }
  const { table } = await allLinks(client);
  const list = (await client.neighbours.list(filter)).filter((n) => !to || to.bits === 0 || (n.dst !== undefined && prefixMatches(to, n.dst)));
  const p = printerFor(ctx);
  for (const n of list) {
    printNeigh(p, n.raw, table, { stats: ctx.options.stats, devFiltered: dev !== undefined });
    if (!p.json) ctx.out(p.take());
  }
  flush(ctx, p);
}

async function modify(args: Args, ctx: CliContext, op: 'add' | 'replace' | 'delete'): Promise<undefined> {
  let dst: string | undefined;
  let dev: string | undefined;
  const o: Partial<NeighbourAddOptions> = {};
  while (!args.done) {
    if (args.acceptExact('lladdr')) o.lladdr = args.value('lladdr');
    else if (args.acceptExact('nud')) {
      const s = nudState(args, args.value('nud'));
      if (s === 'all') throw args.invalid('nud state is bad', 'all');
      o.state = s;
    } else if (args.acceptExact('proxy')) {
      o.proxy = true;
      dst = args.value('proxy');
    } else if (args.acceptExact('dev')) dev = args.value('dev');
    else if (args.acceptExact('router')) o.router = true;
    else if (args.acceptExact('extern_learn')) o.extLearned = true;
    else if (args.accept('protocol')) {
      const v = args.value('protocol');
      const n = protocolNumber(v);
      if (n === undefined) throw args.invalid('"protocol" value is invalid', v);
      o.protocol = n;
    } else if (args.acceptExact('help')) throw new UsageError('', NEIGH_USAGE);
    else {
      args.acceptExact('to');
      const v = args.value('to');
      if (dst !== undefined) throw args.garbage(v, 'to');
      dst = v;
    }
  }
  if (!dev) throw new UsageError('Device and destination are required arguments.', NEIGH_USAGE);
  if (!dst) throw new UsageError('Device and destination are required arguments.', NEIGH_USAGE);
  parseCliPrefix(dst, args);
  const client = await ctx.client();
  await deviceIndex(client, dev);
  if (op === 'delete') {
    await client.neighbours.delete(dst, { dev, ...(o.proxy && { proxy: true }) });
    return;
  }
  const options: NeighbourAddOptions = { ...o, dev };
  if (op === 'add') await client.neighbours.add(dst, options);
  else await client.neighbours.replace(dst, options);
}
