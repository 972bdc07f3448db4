/**
 * nlts route { show | get | add | del | change | replace | append | flush }: ip route's grammar
 * over client.routes.
 */
import { rtRouteSpec } from '../../../protocol/rt-route.js';
import { toRoute } from '../../api/routes.js';
import { kernelRefusal } from '../errors.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { Args } from '../args.js';
import { CliError, type CliContext, UsageError, matches } from '../context.js';
import { NO_ROUTE_FILTERS, type RouteFormatOptions, printRoute, routeHeader } from '../format/route.js';
import { attrsOf } from '../format/values.js';
import { protocolNumber, routeTypeNumber, scopeNumber, tableNumber } from '../names.js';
import { allLinks, deviceIndex, flush, printerFor } from './common.js';
import { type Prefix, bitsEqual, parseCliPrefix, prefixMatches } from './prefix.js';

const D = rtRouteSpec.definitions;
const AF = D['address-family'].entries;
const TABLE = D['rt-table'].entries;
const RTN = D['rtm-type'].entries;
const RTM_F = D['rtm-flags'].entries;

export const ROUTE_USAGE = `Usage: nlts route { list | flush } SELECTOR
       nlts route get ADDRESS [ from ADDRESS iif STRING ] [ oif STRING ] [ mark NUMBER ] [ fibmatch ]
       nlts route { add | del | change | append | replace } ROUTE
SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]
            [ table TABLE_ID ] [ proto RTPROTO ] [ type TYPE ] [ scope SCOPE ]
            [ via ADDRESS ] [ src ADDRESS ] [ dev STRING ] [ metric METRIC ]
ROUTE := NODE_SPEC [ INFO_SPEC ]
NODE_SPEC := [ TYPE ] PREFIX [ tos TOS ] [ table TABLE_ID ] [ proto RTPROTO ]
             [ scope SCOPE ] [ metric METRIC ]
INFO_SPEC := { NH | nhid ID } OPTIONS FLAGS [ nexthop NH ]...
NH := [ via [ FAMILY ] ADDRESS ] [ dev STRING ] [ weight NUMBER ] NHFLAGS
OPTIONS := FLAGS [ mtu [ lock ] NUMBER ] [ advmss NUMBER ] [ hoplimit NUMBER ]
           [ window NUMBER ] [ cwnd NUMBER ] [ initcwnd NUMBER ] [ initrwnd NUMBER ]
           [ reordering NUMBER ] [ ssthresh NUMBER ] [ rtt TIME ] [ rttvar TIME ]
           [ features ecn ] [ quickack BOOL ] [ congctl NAME ] [ src ADDRESS ]
           [ pref PREF ] [ expires TIME ]
TYPE := { unicast | local | broadcast | multicast | throw |
          unreachable | prohibit | blackhole | nat }
TABLE_ID := [ local | main | default | all | NUMBER ]
SCOPE := [ host | link | global | NUMBER ]
NHFLAGS := [ onlink | pervasive ]
RTPROTO := [ kernel | boot | static | NUMBER ]
PREF := [ low | medium | high ]`;

/** add / change / delete: their grammar loads only for them (show and get are the one-shot common case). */
async function modify(args: Args, ctx: CliContext, op: 'add' | 'replace' | 'delete'): Promise<undefined> {
  return (await import('./route-modify.js')).modify(args, ctx, op);
}

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const sub = argv[0];
  const rest = new Args(argv.slice(1), ROUTE_USAGE);
  if (sub === undefined) return show(new Args([], ROUTE_USAGE), ctx, false);
  if (matches(sub, 'add')) return modify(rest, ctx, 'add');
  if (matches(sub, 'change') || sub === 'chg' || matches(sub, 'replace')) return modify(rest, ctx, 'replace');
  if (matches(sub, 'append') || matches(sub, 'prepend')) return modify(rest, ctx, 'add');
  if (matches(sub, 'delete')) return modify(rest, ctx, 'delete');
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return show(rest, ctx, false);
  if (matches(sub, 'get')) return get(rest, ctx);
  if (matches(sub, 'flush')) return show(rest, ctx, true);
  if (matches(sub, 'help')) throw new UsageError('', ROUTE_USAGE);
  throw new UsageError(`Command "${sub}" is unknown, try "nlts route help".`, ROUTE_USAGE);
}

// ---------------------------------------------------------------------------------------------
// show / flush

interface RouteFilter {
  table?: number;
  protocol?: number;
  type?: number;
  scope?: number;
  dev?: string;
  iif?: string;
  metric?: number;
  rdst?: Prefix;
  mdst?: Prefix;
  rsrc?: Prefix;
  msrc?: Prefix;
  via?: Prefix;
  prefsrc?: Prefix;
  tos?: number;
}

function family(ctx: CliContext): 'inet' | 'inet6' | undefined {
  return ctx.options.family;
}

function parseFilter(args: Args): RouteFilter {
  const f: RouteFilter = { table: TABLE.main };
  while (!args.done) {
    const w = args.peek()!;
    if (args.accept('table')) {
      const v = args.value('table');
      const t = v === 'cache' ? undefined : tableNumber(v);
      if (t === undefined) throw args.invalid('table id value is invalid', v);
      f.table = t;
    } else if (args.accept('protocol')) {
      const v = args.value('protocol');
      const n = protocolNumber(v);
      if (n === undefined) throw args.invalid('invalid "protocol"', v);
      f.protocol = n;
    } else if (args.acceptExact('scope')) {
      const v = args.value('scope');
      const n = scopeNumber(v);
      if (n === undefined) throw args.invalid('invalid "scope"', v);
      f.scope = n;
    } else if (args.acceptExact('type')) {
      const v = args.value('type');
      const n = routeTypeNumber(v);
      if (n === undefined) throw args.invalid('node type value is invalid', v);
      f.type = n;
    } else if (args.acceptExact('dev', 'oif')) f.dev = args.value('dev');
    else if (args.acceptExact('iif')) f.iif = args.value('iif');
    else if (args.accept('metric') || args.accept('priority') || args.acceptExact('preference')) f.metric = args.u32('metric');
    else if (args.acceptExact('tos') || args.accept('dsfield')) f.tos = args.u32('tos', 255);
    else if (args.acceptExact('via')) f.via = parseCliPrefix(args.value('via'), args);
    else if (args.acceptExact('src')) f.prefsrc = parseCliPrefix(args.value('src'), args);
    else if (args.acceptExact('from')) {
      if (args.accept('root')) f.rsrc = parseCliPrefix(args.value('root'), args);
      else if (args.accept('match')) f.msrc = parseCliPrefix(args.value('match'), args);
      else {
        args.accept('exact');
        f.msrc = f.rsrc = parseCliPrefix(args.value('from'), args);
      }
    } else if (args.acceptExact('help')) throw new UsageError('', ROUTE_USAGE);
    else {
      args.acceptExact('to');
      if (args.accept('root')) f.rdst = parseCliPrefix(args.value('root'), args);
      else if (args.accept('match')) f.mdst = parseCliPrefix(args.value('match'), args);
      else {
        args.accept('exact');
        const v = args.value(w);
        // "all" / "any" select nothing; "default" is the zero-length prefix
        if (v !== 'all' && v !== 'any') f.mdst = f.rdst = parseCliPrefix(v, args);
      }
    }
  }
  return f;
}

function prefixFamily(p: Prefix | undefined): 'inet' | 'inet6' | undefined {
  return p?.family;
}

/** The local part of ip's filter_nlmsg (the kernel did table, protocol, type and oif). */
function routePasses(
  m: NetlinkMessage,
  f: RouteFilter,
  devIndex: number | undefined,
  iifIndex: number | undefined,
  sixMultiTables: { v: boolean },
): boolean {
  const r = routeHeader(m);
  const a = attrsOf(m, 'newroute');
  if (r.family === AF.inet6 && r.table !== TABLE.main) sixMultiTables.v = true;
  if (r.flags & RTM_F.cloned) return false;
  if (r.family === AF.inet6 && !sixMultiTables.v) {
    if (f.table) {
      if (f.table === TABLE.local) {
        if (r.type !== RTN.local) return false;
      } else if (f.table === TABLE.main) {
        if (r.type === RTN.local) return false;
      } else return false;
    }
  } else if (f.table && f.table !== r.table) return false;
  if (f.protocol !== undefined && f.protocol !== r.protocol) return false;
  if (f.type !== undefined && f.type !== r.type) return false;
  if (f.scope !== undefined && f.scope !== r.scope) return false;
  if (f.tos !== undefined && f.tos !== r.tos) return false;
  const bytes = (v: unknown, len: number) => {
    if (typeof v !== 'string') return new Uint8Array(len);
    const p = parseCliPrefix(v, new Args([], ''));
    return p.bytes;
  };
  const full = r.family === AF.inet6 ? 16 : 4;
  const fam = r.family === AF.inet6 ? 'inet6' : 'inet';
  const matchR = (p: Prefix | undefined, v: unknown, len: number) => {
    if (!p || p.bits === 0) return true;
    if (p.family && p.family !== fam) return false;
    if (p.bits > len) return false;
    return bitsEqual(bytes(v, full), p.bytes, p.bits);
  };
  const matchM = (p: Prefix | undefined, v: unknown, len: number) => {
    if (!p) return true;
    if (p.family && p.family !== fam) return false;
    if (p.bits < len) return false;
    return bitsEqual(bytes(v, full), p.bytes, len);
  };
  if (!matchR(f.rdst, a.dst, r.dstLen) || !matchM(f.mdst, a.dst, r.dstLen)) return false;
  if (!matchR(f.rsrc, a.src, r.srcLen) || !matchM(f.msrc, a.src, r.srcLen)) return false;
  if (f.via?.bits) {
    const gw = a.gateway;
    if (typeof gw !== 'string' || !prefixMatches(f.via, gw)) return false;
  }
  if (f.prefsrc?.bits) {
    if (typeof a.prefsrc !== 'string' || !prefixMatches(f.prefsrc, a.prefsrc)) return false;
  }
  if (devIndex !== undefined && (a.oif ?? 0) !== devIndex) return false;
  if (iifIndex !== undefined && (a.iif ?? 0) !== iifIndex) return false;
  if (f.metric !== undefined && (a.priority ?? 0) !== f.metric) return false;
  return true;
}

async function show(args: Args, ctx: CliContext, flushing: boolean): Promise<undefined> {
  let fam = family(ctx);
  const f = parseFilter(args);
  fam ??= prefixFamily(f.rdst ?? f.mdst ?? f.rsrc ?? f.msrc);
  // ip route show defaults to IPv4 unless a table "all" was asked for
  if (fam === undefined && f.table) fam = 'inet';
  const client = await ctx.client();
  const { table } = await allLinks(client);
  const devIndex = f.dev !== undefined ? await deviceIndex(client, f.dev) : undefined;
  const iifIndex = f.iif !== undefined ? await deviceIndex(client, f.iif) : undefined;
  // One dump per family, filtered by the kernel as ip asks (table, protocol, type, oif).
  const t = f.table ?? TABLE.main;
  const dumpAttrs: Record<string, unknown> = {};
  if (t) dumpAttrs.table = t;
  if (devIndex !== undefined) dumpAttrs.oif = devIndex;
  const header = { table: t && t < 256 ? t : 0, protocol: f.protocol ?? 0, type: f.type ?? 0 };
  const msgs: NetlinkMessage[] = [];
  for (const af of fam ? [fam] : (['inet', 'inet6'] as const)) {
    try {
      msgs.push(...(await client.connection.dump({ kind: 'getroute', header: { family: af, ...header }, attrs: dumpAttrs })));
    } catch (err) {
      if ((err as Error).name === 'NetlinkError') throw new CliError(`${kernelRefusal(err as Error)}\nDump terminated`, 2);
      throw err;
    }
  }
  const multi = { v: false };
  const routes = msgs.filter((m) => m.kind === 'newroute' && routePasses(m, f, devIndex, iifIndex, multi));
  if (flushing) {
    const results = await client.routes.deleteBatch(routes.map((m) => toRoute(m)));
    for (const res of results) if (!res.ok && res.error.name !== 'NotFoundError') throw res.error;
    return;
  }
  const o: RouteFormatOptions = {
    ...NO_ROUTE_FILTERS,
    details: ctx.options.details,
    stats: ctx.options.stats,
    tableChosen: !!f.table,
    protocolFiltered: f.protocol !== undefined,
    scopeFiltered: f.scope !== undefined,
    devFiltered: devIndex !== undefined,
    iifFiltered: iifIndex !== undefined,
    metricFiltered: f.metric !== undefined,
    tosFiltered: f.tos !== undefined,
    viaExact: !!f.via && f.via.bits === (f.via.family === 'inet6' ? 128 : 32),
    prefsrcExact: !!f.prefsrc && f.prefsrc.bits === (f.prefsrc.family === 'inet6' ? 128 : 32),
  };
  const p = printerFor(ctx);
  for (const m of routes) {
    printRoute(p, m, table, o);
    if (!p.json) ctx.out(p.take());
  }
  flush(ctx, p);
}

// ---------------------------------------------------------------------------------------------
// get

async function get(args: Args, ctx: CliContext): Promise<undefined> {
  let dst: string | undefined;
  const o: { from?: string; iif?: string; oif?: string; mark?: number; fibMatch?: boolean } = {};
  while (!args.done) {
    if (args.acceptExact('from')) o.from = args.value('from');
    else if (args.acceptExact('iif')) o.iif = args.value('iif');
    else if (args.acceptExact('oif', 'dev')) o.oif = args.value('oif');
    else if (args.acceptExact('mark')) o.mark = args.u32('mark');
    else if (args.acceptExact('fibmatch')) o.fibMatch = true;
    else if (args.acceptExact('help')) throw new UsageError('', ROUTE_USAGE);
    else {
      args.acceptExact('to');
      const v = args.value('to');
      if (dst !== undefined) throw args.garbage(v);
      dst = v;
    }
  }
  if (!dst) throw new UsageError('need at least a destination address', ROUTE_USAGE);
  checkAddress(dst);
  const d = parseCliPrefix(dst, args);
  const client = await ctx.client();
  // As ip: RTM_F_LOOKUP_TABLE (IPv4; IPv6 refuses it), so the reply names the table the lookup ended in.
  const header: Record<string, unknown> = {
    family: d.family,
    dstLen: d.bits,
    srcLen: 0,
    flags: o.fibMatch ? ['fib_match'] : d.family === 'inet' ? ['lookup_table'] : [],
  };
  const attrs: Record<string, unknown> = { dst: d.bytes };
  if (o.from !== undefined) {
    const s = parseCliPrefix(o.from, args);
    header.srcLen = s.bits;
    attrs.src = s.bytes;
  }
  if (o.iif !== undefined) attrs.iif = await deviceIndex(client, o.iif);
  if (o.oif !== undefined) attrs.oif = await deviceIndex(client, o.oif);
  if (o.mark !== undefined) attrs.mark = o.mark;
  const reply = await client.connection.request({ kind: 'getroute', header, attrs });
  const found = reply.find((m) => m.kind === 'newroute');
  if (!found) throw new CliError('RTNETLINK answers: No route to host', 2);
  const { table } = await allLinks(client);
  const p = printerFor(ctx);
  printRoute(p, found, table, { ...NO_ROUTE_FILTERS, details: ctx.options.details, stats: ctx.options.stats });
  flush(ctx, p);
}

function checkAddress(text: string): void {
  try {
    parseCliPrefix(text, new Args([], ROUTE_USAGE));
  } catch {
    throw new UsageError(`Error: any valid prefix is expected rather than "${text}".`, ROUTE_USAGE);
  }
}
