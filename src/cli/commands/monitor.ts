/**
 * nlts monitor [ all | OBJECT... ] [ label ] [ -n NS | --all-namespaces ]: events as `ip monitor`
 * prints them, or with -j one JSON object per line per event. Its own socket per namespace (never
 * the client's); stops cleanly on SIGINT / SIGTERM.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { NetlinkMessage } from '../../codec/message.js';
import type { MonitorEvent } from '../../monitor/events.js';
import { KIND_LABELS, controlText, eventJson, neighbourText, nsidText, ruleText } from '../../monitor/format.js';
import type { MonitorGroup } from '../../monitor/groups.js';
import { MultiMonitor } from '../../monitor/multi.js';
import { type CliContext, UsageError, matches } from '../context.js';
import { printAddress } from '../format/address.js';
import { printLink } from '../format/link.js';
import { Printer } from '../format/printer.js';
import { NO_ROUTE_FILTERS, printRoute } from '../format/route.js';
import { LinkTable, attrsOf, flagsNum, headerOf } from '../format/values.js';

export const MONITOR_USAGE = `Usage: nlts monitor [ all | OBJECTS ] [ label ] [ -n NAME | --all-namespaces ] [ -j ]
OBJECTS :=  { link | address | route | neigh | rule | nsid }...
            (default: all of them; "all" also labels each event with its kind)
-n NAME            watch the named network namespace
--all-namespaces   watch every named namespace, following /run/netns (events show [netns NAME])`;

const OBJECTS: [string, MonitorGroup][] = [
  ['link', 'link'],
  ['address', 'address'],
  ['route', 'route'],
  ['neighbour', 'neighbour'],
  ['neighbor', 'neighbour'],
  ['neigh', 'neighbour'],
  ['rule', 'rule'],
  ['nsid', 'nsid'],
];

export interface MonitorArgs {
  groups: MonitorGroup[];
  label: boolean;
  netns?: string;
  allNamespaces: boolean;
  json: boolean;
}

export function parseMonitorArgs(argv: readonly string[], ctx: Pick<CliContext, 'options'>): MonitorArgs {
  const out: MonitorArgs = { groups: [], label: false, allNamespaces: false, json: ctx.options.json };
  if (ctx.options.netns !== undefined) out.netns = ctx.options.netns;
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n' || a === '-netns' || a === '--netns') {
      const v = argv[++i];
      if (!v) throw new UsageError(`option "${a}" needs a namespace name`, MONITOR_USAGE);
      out.netns = v;
    } else if (a === '--all-namespaces' || a === '-all-namespaces' || a === '-a' || a === 'all-nsid') out.allNamespaces = true;
    else if (a === '-j' || a === '-json' || a === '--json') out.json = true;
    else if (a === 'all') {
      all = true;
      out.label = true;
    } else if (a === 'label') out.label = true;
    else if (a === 'help' || a === '-h' || a === '--help') throw new UsageError('', MONITOR_USAGE);
    else {
      const hit = OBJECTS.find(([w]) => matches(a, w));
      if (!hit) throw new UsageError(`Argument "${a}" is unknown, try "nlts monitor help".`, MONITOR_USAGE);
      if (!out.groups.includes(hit[1])) out.groups.push(hit[1]);
    }
  }
  if (out.netns !== undefined && out.allNamespaces) throw new UsageError('-n and --all-namespaces exclude each other', MONITOR_USAGE);
  if (all || out.groups.length === 0) out.groups = ['link', 'address', 'route', 'neighbour', 'rule', 'nsid'];
  return out;
}

/** Formats events as ip monitor text, keeping a name table per namespace (ip's ll_map). */
export class MonitorPrinter {
  private readonly tables = new Map<string | undefined, LinkTable>();
  constructor(
    private readonly a: Pick<MonitorArgs, 'label' | 'json'>,
    private readonly prefixNetns: boolean,
    private readonly details = false,
  ) {}

  table(netns: string | undefined): LinkTable {
    let t = this.tables.get(netns);
    if (!t) this.tables.set(netns, (t = new LinkTable()));
    return t;
  }

  dropTable(netns: string | undefined): void {
    this.tables.delete(netns);
  }

  learn(netns: string | undefined, m: NetlinkMessage): void {
    const h = headerOf(m, 'newlink');
    const a = attrsOf(m, 'newlink');
    if (typeof h.index === 'number' && typeof a.ifname === 'string')
      this.table(netns).add(h.index, a.ifname, flagsNum(rtLinkSpec.definitions.iff, h.flags));
  }

  /** The text (or JSON line) for an event; undefined when there is nothing to print. */
  format(e: MonitorEvent, wanted: ReadonlySet<string>): string | undefined {
    if ((e.type === 'new' || e.type === 'del') && e.kind === 'link') this.learn(e.netns, e.object.raw);
    if (e.type === 'resync' && e.links) for (const l of e.links) this.learn(e.netns, l.raw);
    if ((e.type === 'new' || e.type === 'del') && !wanted.has(e.kind)) return undefined;
    if (this.a.json) return eventJson(e);
    const prefix = this.prefixNetns && e.netns !== undefined ? `[netns ${e.netns}]` : '';
    if (e.type !== 'new' && e.type !== 'del') {
      const t = controlText(e);
      return t === undefined ? undefined : prefix + t;
    }
    const names = this.table(e.netns);
    let body: string;
    switch (e.kind) {
      case 'link': {
        const p = new Printer(false);
        // ip monitor prints links as ip address does, but without the queue length (no showqueue).
        const { txqlen: _q, ...rest } = attrsOf(e.object.raw, 'newlink');
        printLink(p, { ...e.object.raw, attrs: rest }, names, { details: this.details, stats: 0, doLink: false });
        body = p.take();
        break;
      }
      case 'address': {
        const p = new Printer(false);
        const raw = e.object.raw;
        // ip monitor: "Deleted 3: eth0    inet ..." (printAddress itself would print Deleted after the index).
        p.text(`${e.type === 'del' ? 'Deleted ' : ''}${e.object.index}: ${names.name(e.object.index)}`);
        printAddress(p, e.type === 'del' ? { ...raw, kind: 'newaddr' } : raw);
        body = p.take();
        break;
      }
      case 'route': {
        const p = new Printer(false);
        printRoute(p, e.object.raw, names, NO_ROUTE_FILTERS);
        body = p.take();
        break;
      }
      case 'neighbour':
        body = neighbourText(e.object, e.type === 'del', (i) => names.name(i));
        break;
      case 'rule':
        body = ruleText(e.object, e.type === 'del');
        break;
      case 'nsid':
        body = nsidText(e.object, e.type === 'del');
        break;
      case 'nftables': // never wanted here: `nlts nft monitor` prints those
        return undefined;
    }
    const label = this.a.label ? KIND_LABELS[e.kind]! : '';
    return prefix + label + body.replace(/\n$/, '');
  }
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseMonitorArgs(argv, ctx);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let mm: MultiMonitor | undefined;
  try {
    mm = await MultiMonitor.open({
      groups: args.groups.includes('link') ? args.groups : [...args.groups, 'link'], // names for dev fields
      signal: ac.signal,
      ...(args.allNamespaces
        ? { namespaces: 'all' as const }
        : args.netns !== undefined
          ? { namespaces: [args.netns] }
          : { namespaces: [], includeCurrent: true }),
    });
    if (args.netns !== undefined && mm.namespaces().length === 0) throw new Error(`cannot open network namespace "${args.netns}"`);
    const printer = new MonitorPrinter(args, args.allNamespaces, ctx.options.details);
    const wanted = new Set<string>(args.groups);
    const fill = async (netns: string | undefined) => {
      try {
        const c = await mm!.monitor(netns)?.client();
        if (c) for (const l of await c.links.list()) printer.learn(netns, l.raw);
      } catch {
        // names only: events still print with ifN
      }
    };
    await Promise.all(mm.namespaces().map(fill));
    for await (const e of mm.events({ signal: ac.signal })) {
      if (e.type === 'netns') {
        if (e.action === 'add') await fill(e.netns);
        else printer.dropTable(e.netns);
        if (!args.json && !args.allNamespaces) continue;
      }
      if (e.type === 'error') {
        process.stderr.write(`nlts: monitor${e.netns ? ` (netns ${e.netns})` : ''}: ${e.error.message}\n`);
        if (!args.json) continue;
      }
      const text = printer.format(e, wanted);
      if (text !== undefined) ctx.out(text);
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    mm?.close();
  }
}
