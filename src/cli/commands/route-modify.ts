/**
 * nlts route { add | del | change | replace | append }: ip route's ROUTE grammar (NODE_SPEC,
 * INFO_SPEC, NH, OPTIONS) read into a RouteInput for client.routes. Errors carry the usage text of
 * the Args they come from.
 */
import type { RouteInput, RouteNexthopInput } from '../../api/routes.js';
import { type Family, parseAddress } from '../../api/validate.js';
import { Args, parseUnsigned } from '../args.js';
import { CliError, type CliContext, UsageError, matches } from '../context.js';
import { protocolNumber, scopeNumber, tableNumber } from '../names.js';
import { deviceIndex, linkRef } from './common.js';
import { type Prefix, parseCliPrefix } from './prefix.js';

const TYPES = ['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast'];
const METRIC_WORDS: Record<string, string> = {
  window: 'window',
  cwnd: 'cwnd',
  initcwnd: 'initcwnd',
  initrwnd: 'initrwnd',
  reordering: 'reordering',
  ssthresh: 'ssthresh',
  quickack: 'quickack',
  fastopen_no_cookie: 'fastopenNoCookie',
};

function parseTime(args: Args, keyword: string): number {
  const v = args.value(keyword);
  const m = /^(\d+(?:\.\d+)?)(s|sec|secs|ms|msec|msecs)?$/.exec(v);
  if (!m) throw args.invalid(`"${keyword}" value is invalid`, v);
  const n = Number(m[1]);
  return m[2]?.startsWith('s') ? Math.round(n * 1000) : Math.round(n);
}

/** ip's `via [ inet | inet6 ] ADDRESS`: read in the family named, else in the route's when known (get_addr). */
function gatewayArg(args: Args, routeFam: Family | undefined): { address: string; family: Family } {
  let v = args.value('via');
  let fam = routeFam;
  if (v === 'inet' || v === 'inet6') {
    fam = v;
    v = args.value('via');
  }
  let parsed: Family | undefined;
  try {
    parsed = parseAddress(v).family;
  } catch {
    // reported below, in ip's words
  }
  if (parsed === undefined || (fam !== undefined && parsed !== fam)) {
    throw new UsageError(`Error: ${fam ?? 'any valid'} address is expected rather than "${v}".`, args.usage);
  }
  return { address: v, family: parsed };
}

/** The destination, read in the route's family when known (get_prefix); it sets the family otherwise. */
function routeFamilyOf(dst: string, routeFam: Family | undefined, args: Args): Family | undefined {
  if (dst === 'default') return routeFam;
  let p: Prefix | undefined;
  try {
    p = parseCliPrefix(dst, args);
  } catch {
    // reported below, in ip's words
  }
  if (p === undefined || (routeFam !== undefined && p.family !== undefined && p.family !== routeFam)) {
    throw new UsageError(`Error: ${routeFam ?? 'any valid'} prefix is expected rather than "${dst}".`, args.usage);
  }
  return p.family ?? routeFam;
}

function parseNexthops(args: Args, routeFam: Family | undefined): RouteNexthopInput[] {
  const hops: RouteNexthopInput[] = [];
  while (!args.done) {
    const w = args.next()!;
    if (w !== 'nexthop') throw new UsageError(`Error: "nexthop" or end of line is expected instead of "${w}"`, args.usage);
    if (args.done) throw new UsageError('Error: unexpected end of line after "nexthop"', args.usage);
    const h: RouteNexthopInput = {};
    while (!args.done && args.peek() !== 'nexthop') {
      if (args.acceptExact('via')) {
        const gw = gatewayArg(args, routeFam);
        if (gw.family === (routeFam ?? gw.family)) h.gateway = gw.address;
        else h.via = gw.address;
      } else if (args.acceptExact('dev')) h.dev = args.value('dev');
      else if (args.acceptExact('weight')) {
        const v = args.value('weight');
        const n = parseUnsigned(v);
        if (n === undefined || n === 0 || n > 256) throw args.invalid('"weight" is invalid', v);
        h.weight = n;
      } else if (args.acceptExact('onlink')) h.onlink = true;
      else throw new UsageError(`Error: "nexthop" or end of line is expected instead of "${args.peek()}"`, args.usage);
    }
    hops.push(h);
  }
  return hops;
}

type RouteArgs = Partial<RouteInput> & { metrics: NonNullable<RouteInput['metrics']> };

/** OPTIONS' metrics (mtu [lock] N, rtt TIME, congctl NAME...): whether the next word was one. */
function parseMetric(args: Args, w: string, r: RouteArgs, lock: string[]): boolean {
  const metric = (key: keyof NonNullable<RouteInput['metrics']>, word: string, read: () => number) => {
    if (args.acceptExact('lock')) lock.push(word);
    (r.metrics as Record<string, unknown>)[key] = read();
  };
  if (args.acceptExact('mtu')) metric('mtu', 'mtu', () => args.u32('mtu'));
  else if (args.acceptExact('hoplimit')) metric('hoplimit', 'hoplimit', () => args.u32('hoplimit', 255));
  else if (args.acceptExact('advmss')) metric('advmss', 'advmss', () => args.u32('advmss'));
  else if (args.acceptExact('rtt')) metric('rtt', 'rtt', () => parseTime(args, 'rtt') * 8);
  else if (args.accept('rttvar')) metric('rttvar', 'rttvar', () => parseTime(args, 'rttvar') * 4);
  else if (args.acceptExact('rto_min')) {
    lock.push('rto_min');
    r.metrics.rtoMin = parseTime(args, 'rto_min');
  } else if (METRIC_WORDS[w] !== undefined || Object.keys(METRIC_WORDS).some((k) => matches(w, k) && w.length > 2)) {
    const key = Object.keys(METRIC_WORDS).find((k) => k === w) ?? Object.keys(METRIC_WORDS).find((k) => matches(w, k))!;
    args.next();
    metric(METRIC_WORDS[key] as never, key, () => args.u32(key));
  } else if (args.accept('features')) {
    const v = args.value('features');
    if (v !== 'ecn') throw args.invalid('"features" value not valid', v);
    r.metrics.features = ['ecn'];
  } else if (args.accept('congctl')) {
    if (args.acceptExact('lock')) lock.push('cc_algo');
    r.metrics.ccAlgo = args.value('congctl');
  } else return false;
  return true;
}

export async function modify(args: Args, ctx: CliContext, op: 'add' | 'replace' | 'delete'): Promise<undefined> {
  const r: RouteArgs = { metrics: {} };
  const lock: string[] = [];
  let dst: string | undefined;
  const fam = ctx.options.family;
  // as ip: -4/-6, else the family of the first of dst and via, which the other must then be
  let routeFam = fam;
  while (!args.done) {
    const w = args.peek()!;
    if (args.acceptExact('src')) r.prefsrc = args.value('src');
    else if (args.acceptExact('via')) {
      if (r.gateway !== undefined || r.via !== undefined) throw args.invalid('use nexthop syntax to specify multiple via', 'via');
      const gw = gatewayArg(args, routeFam);
      routeFam ??= gw.family;
      if (gw.family === routeFam) r.gateway = gw.address;
      else r.via = gw.address;
    } else if (args.acceptExact('from')) r.src = args.value('from');
    else if (args.acceptExact('tos') || args.accept('dsfield')) r.tos = args.u32('tos', 255);
    else if (args.acceptExact('expires')) r.expires = args.u32('expires');
    else if (args.accept('metric') || args.accept('priority') || args.acceptExact('preference')) r.metric = args.u32('metric');
    else if (args.acceptExact('scope')) {
      const v = args.value('scope');
      const n = scopeNumber(v);
      if (n === undefined) throw args.invalid('invalid "scope" value', v);
      r.scope = n;
    } else if (parseMetric(args, w, r, lock)) continue;
    else if (args.acceptExact('onlink')) r.onlink = true;
    else if (args.acceptExact('nexthop')) {
      r.multipath = parseNexthops(new Args(['nexthop', ...args.rest()], args.usage), routeFam);
    } else if (args.accept('protocol')) {
      const v = args.value('protocol');
      const n = protocolNumber(v);
      if (n === undefined) throw args.invalid('"protocol" value is invalid', v);
      r.protocol = n;
    } else if (args.accept('table')) {
      const v = args.value('table');
      const n = tableNumber(v);
      if (n === undefined || n === 0) throw args.invalid('"table" value is invalid', v);
      r.table = n;
    } else if (args.acceptExact('dev', 'oif')) r.dev = args.value('dev');
    else if (args.accept('pref')) {
      const v = args.value('pref');
      if (v !== 'low' && v !== 'medium' && v !== 'high') throw args.invalid('"pref" value is invalid', v);
      r.pref = v;
    } else if (args.acceptExact('help')) throw new UsageError('', args.usage);
    else if (TYPES.includes(w)) {
      args.next();
      r.type = w as RouteInput['type'];
    } else {
      args.acceptExact('to');
      const v = args.value('to');
      if (dst !== undefined) throw args.garbage(v, 'to');
      dst = v;
      routeFam = routeFamilyOf(v, routeFam, args);
    }
  }
  if (!dst) throw new UsageError('Error: destination prefix is required', args.usage);
  // ip sends these and the kernel refuses them in these words; the API refuses them first (naming `gateway`)
  if (routeFam === 'inet6' && (r.via !== undefined || r.multipath?.some((h) => h.via !== undefined))) {
    throw new CliError('Error: IPv6 does not support RTA_VIA attribute.', 2);
  }
  if (lock.length) r.metrics.lock = lock;
  const input: RouteInput = { ...(r as RouteInput), dst };
  if (Object.keys(r.metrics).length === 0) delete (input as Partial<RouteInput>).metrics;
  if (fam) input.family = fam;
  await execute(ctx, op, input);
}

async function execute(ctx: CliContext, op: 'add' | 'replace' | 'delete', input: RouteInput): Promise<void> {
  const client = await ctx.client();
  // ip looks each device up first; an altname longer than an interface name then goes by index
  const dev = async (d: string | number) => (typeof d === 'string' ? linkRef(d, await deviceIndex(client, d)) : d);
  if (input.dev !== undefined) input.dev = await dev(input.dev);
  for (const h of input.multipath ?? []) if (h.dev !== undefined) h.dev = await dev(h.dev);
  if (op === 'add') await client.routes.add(input);
  else if (op === 'replace') await client.routes.replace(input);
  else await client.routes.delete(input);
}
