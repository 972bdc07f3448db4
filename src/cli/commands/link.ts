/**
 * nlts link { show | add | set | delete }: ip link's grammar over client.links.
 */
import type { NetlinkClient } from '../../api/client.js';
import type { LinkAddOptions, LinkSetOptions } from '../../api/links.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { type NetnsTarget, resolveNetns } from '../../netns/target.js';
import { Args } from '../args.js';
import { CliError, type CliContext, UsageError, matches } from '../context.js';
import { printLink } from '../format/link.js';
import { groupNumber } from '../names.js';
import { addToTable, altname, devName, deviceIndex, ensureNames, flush, loadNsidNames, newIfname, printerFor, shownDevice } from './common.js';
import { parseKindArgs } from './link-kind-args.js';
import { LinkTable, attrs, attrsOf, headerOf } from '../format/values.js';

export const LINK_USAGE = `Usage: nlts link add [link DEV | parent DEV] [ name ] NAME
                      [ txqueuelen PACKETS ] [ address LLADDR ] [ broadcast LLADDR ]
                      [ mtu MTU ] [ numtxqueues QUEUE_COUNT ] [ numrxqueues QUEUE_COUNT ]
                      [ master DEVICE ] [ alias NAME ] [ group GROUP ] [ up ]
                      type TYPE [ ARGS ]

       nlts link delete { DEVICE | dev DEVICE } [ type TYPE ]

       nlts link set { DEVICE | dev DEVICE }
                      [ { up | down } ] [ arp { on | off } ] [ multicast { on | off } ]
                      [ allmulticast { on | off } ] [ promisc { on | off } ]
                      [ txqueuelen PACKETS ] [ name NEWNAME ] [ address LLADDR ]
                      [ broadcast LLADDR ] [ mtu MTU ] [ netns { PID | NAME } ]
                      [ alias NAME ] [ group GROUP ] [ master DEVICE ] [ nomaster ]
                      [ type TYPE ARGS ]

       nlts link show [ DEVICE | group GROUP ] [ up ] [ master DEV ] [ type ETYPE ]

       nlts link property add dev DEVICE [ altname NAME .. ]
       nlts link property del dev DEVICE [ altname NAME .. ]

TYPE := { veth | bridge | vxlan | macvlan | macvtap | vlan | dummy | ... }
Kind options are ip's (stp_state 0, id 42 dstport 4789 remote ADDR dev DEV, mode bridge...).`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const sub = argv[0];
  const rest = new Args(argv.slice(1), LINK_USAGE);
  if (sub === undefined) return show(new Args([], LINK_USAGE), ctx);
  if (matches(sub, 'add')) return add(rest, ctx);
  if (matches(sub, 'set') || matches(sub, 'change')) return set(rest, ctx);
  if (matches(sub, 'delete')) return del(rest, ctx);
  if (matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) return show(rest, ctx);
  if (matches(sub, 'property')) return property(rest, ctx);
  if (matches(sub, 'help')) throw new UsageError('', LINK_USAGE);
  throw rest.unknownCommand(sub, 'link');
}

// ---------------------------------------------------------------------------------------------
// show

async function show(args: Args, ctx: CliContext): Promise<undefined> {
  let dev: string | undefined;
  let up = false;
  let master: string | undefined;
  let kind: string | undefined;
  let group: number | undefined;
  while (!args.done) {
    if (args.acceptExact('up')) up = true;
    else if (args.acceptExact('master')) master = args.value('master');
    else if (args.acceptExact('type')) kind = args.value('type');
    else if (args.acceptExact('group')) {
      const g = args.value('group');
      group = groupNumber(g);
      if (group === undefined) throw args.invalid('Invalid "group" value', g);
    } else if (args.acceptExact('help')) throw new UsageError('', LINK_USAGE);
    else {
      args.acceptExact('dev');
      const name = args.value('dev');
      if (dev !== undefined) throw args.garbage(name, 'dev');
      dev = name;
    }
  }
  const client = await ctx.client();
  const stats = ctx.options.stats > 0;
  let table: LinkTable;
  let links: NetlinkMessage[];
  if (dev !== undefined) {
    const l = await shownDevice(client, dev, stats);
    table = new LinkTable();
    addToTable(table, l.raw);
    links = [l.raw];
  } else {
    const masterIndex = master !== undefined ? await deviceIndex(client, master) : undefined;
    // ip link ignores -4 / -6 (it lists AF_PACKET)
    links = await client.links.messages({ stats, ...(masterIndex !== undefined && { master: masterIndex }), ...(kind !== undefined && { kind }) });
    table = new LinkTable();
    for (const m of links) addToTable(table, m);
    if (masterIndex !== undefined) links = links.filter((m) => attrsOf(m, 'newlink').master === masterIndex);
    if (kind !== undefined) links = links.filter((m) => attrs(attrsOf(m, 'newlink').linkinfo).kind === kind);
  }
  if (group !== undefined) links = links.filter((m) => attrsOf(m, 'newlink').group === group);
  await ensureNames(
    client,
    table,
    links.flatMap((m) => {
      const a = attrsOf(m, 'newlink');
      const d = attrs(attrs(a.linkinfo).data);
      const lower = 'link' in d ? d.link : undefined; // a vxlan's IFLA_VXLAN_LINK
      return a.linkNetnsid === undefined ? [a.link, a.master, lower, attrs(attrs(a.linkinfo).slaveData).backupPort] : [a.master, lower];
    }),
  );
  if (!ctx.options.json) await loadNsidNames(client, table, links);
  const p = printerFor(ctx);
  const o = { details: ctx.options.details, stats: ctx.options.stats, doLink: true };
  for (const m of links) {
    p.openObject();
    // ip opens the object before print_linkinfo filters on "up": a down link leaves {}
    if (!up || (headerOf(m, 'newlink').flags ?? []).includes('up')) printLink(p, m, table, o);
    p.closeObject();
    if (!p.json) ctx.out(p.take());
  }
  flush(ctx, p);
}

// ---------------------------------------------------------------------------------------------
// add / set / delete

interface Common {
  dev?: string;
  name?: string;
  up?: boolean;
  mtu?: number;
  address?: string;
  broadcast?: string;
  txqlen?: number;
  master?: string | null;
  alias?: string;
  group?: number;
  arp?: boolean;
  multicast?: boolean;
  allmulticast?: boolean;
  promisc?: boolean;
  link?: string;
  numTxQueues?: number;
  numRxQueues?: number;
  netns?: string;
  kind?: string;
  kindArgs?: ReturnType<typeof parseKindArgs>;
}

function onOff(args: Args, keyword: string): boolean {
  const v = args.value(keyword);
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw args.invalid(`"${keyword}" value is invalid`, v);
}

function mac(args: Args, keyword: string): string {
  const v = args.value(keyword);
  if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2})*$/i.test(v)) throw new UsageError(`"${v}" is invalid lladdr.`, args.usage);
  return v.toLowerCase();
}

/** iplink_parse: the words add and set share. */
function parseCommon(args: Args, forAdd: boolean): Common {
  const c: Common = {};
  while (!args.done) {
    if (args.acceptExact('up')) c.up = true;
    else if (args.acceptExact('down')) c.up = false;
    else if (args.acceptExact('name')) c.name = newIfname(args.value('name'), 'name');
    else if (args.accept('mtu')) c.mtu = args.u32('mtu');
    else if (args.acceptExact('address')) c.address = mac(args, 'address');
    else if (args.accept('broadcast') || args.acceptExact('brd')) c.broadcast = mac(args, 'broadcast');
    else if (args.accept('txqueuelen') || args.acceptExact('qlen', 'txqlen')) c.txqlen = args.u32('txqueuelen');
    else if (args.acceptExact('master')) c.master = args.value('master');
    else if (args.acceptExact('nomaster')) c.master = null;
    else if (args.acceptExact('alias')) c.alias = args.value('alias');
    else if (args.acceptExact('group')) {
      const g = args.value('group');
      const n = groupNumber(g);
      if (n === undefined) throw args.invalid('Invalid "group" value', g);
      c.group = n;
    } else if (args.acceptExact('arp')) c.arp = onOff(args, 'arp');
    else if (args.acceptExact('multicast')) c.multicast = onOff(args, 'multicast');
    else if (args.acceptExact('allmulticast')) c.allmulticast = onOff(args, 'allmulticast');
    else if (args.acceptExact('promisc')) c.promisc = onOff(args, 'promisc');
    else if (args.acceptExact('link', 'parent')) c.link = args.value('link');
    else if (args.acceptExact('numtxqueues')) c.numTxQueues = args.u32('numtxqueues');
    else if (args.acceptExact('numrxqueues')) c.numRxQueues = args.u32('numrxqueues');
    else if (args.acceptExact('netns')) c.netns = args.value('netns');
    else if (args.acceptExact('type')) {
      c.kind = args.value('type');
      c.kindArgs = parseKindArgs(c.kind, args);
    } else if (args.acceptExact('help')) throw new UsageError('', args.usage);
    else {
      args.acceptExact('dev');
      const d = args.value('dev');
      if (c.dev !== undefined) throw args.garbage(d, 'dev');
      c.dev = devName(d); // ip checks names where it reads them
    }
  }
  if (!forAdd && c.link !== undefined) throw new UsageError('"link" is only for nlts link add', args.usage);
  return c;
}

/** netns NAME|PID: the API sends IFLA_NET_NS_PID, or IFLA_NET_NS_FD of /run/netns/NAME (checked here first). */
function netnsTarget(v: string): NetnsTarget {
  const t: NetnsTarget = /^\d+$/.test(v) ? { pid: Number(v) } : v;
  try {
    resolveNetns(t);
  } catch (err) {
    throw new CliError(`Cannot open network namespace "${v}": ${(err as Error).message}`, 1);
  }
  return t;
}

async function resolveKindDevices(client: NetlinkClient, c: Common): Promise<void> {
  if (!c.kindArgs) return;
  for (const [attr, name] of Object.entries(c.kindArgs.devices)) c.kindArgs.data[attr] = await deviceIndex(client, name);
}

async function add(args: Args, ctx: CliContext): Promise<undefined> {
  const c = parseCommon(args, true);
  const name = c.name ?? c.dev;
  if (!name) throw new UsageError('Not enough information: "dev" argument is required.', LINK_USAGE);
  if (!c.kind) throw new UsageError('Not enough information: "type" argument is required', LINK_USAGE);
  const client = await ctx.client();
  await resolveKindDevices(client, c);
  const o: LinkAddOptions = { name: newIfname(name, c.name !== undefined ? 'name' : 'dev'), kind: c.kind };
  if (c.kindArgs && Object.keys(c.kindArgs.data).length > 0) o.data = c.kindArgs.data;
  if (c.kindArgs?.peer) {
    const peerArgs = new Args(c.kindArgs.peer, LINK_USAGE);
    const pc = parseCommon(peerArgs, true);
    const peerName = pc.name ?? pc.dev;
    if (!peerName) throw new UsageError('Not enough information: the peer needs a name ("peer name NAME").', LINK_USAGE);
    o.peer = { name: newIfname(peerName, pc.name !== undefined ? 'name' : 'dev') };
    if (pc.address !== undefined) o.peer.address = pc.address;
    if (pc.mtu !== undefined) o.peer.mtu = pc.mtu;
    if (pc.txqlen !== undefined) o.peer.txqlen = pc.txqlen;
    const pattrs: Record<string, unknown> = {};
    if (pc.netns !== undefined) o.peer.netns = netnsTarget(pc.netns);
    if (pc.alias !== undefined) pattrs.ifalias = pc.alias;
    if (Object.keys(pattrs).length) o.peer.attrs = pattrs;
  }
  if (c.link !== undefined) o.link = await deviceIndex(client, c.link);
  if (typeof c.master === 'string') o.master = await deviceIndex(client, c.master);
  if (c.mtu !== undefined) o.mtu = c.mtu;
  if (c.address !== undefined) o.address = c.address;
  if (c.txqlen !== undefined) o.txqlen = c.txqlen;
  if (c.alias !== undefined) o.alias = c.alias;
  if (c.group !== undefined) o.group = c.group;
  if (c.up) o.up = true;
  const extra: Record<string, unknown> = {};
  if (c.broadcast !== undefined) extra.broadcast = c.broadcast;
  if (c.numTxQueues !== undefined) extra.numTxQueues = c.numTxQueues;
  if (c.numRxQueues !== undefined) extra.numRxQueues = c.numRxQueues;
  if (c.netns !== undefined) o.netns = netnsTarget(c.netns);
  if (Object.keys(extra).length) o.attrs = extra;
  await client.links.add(o);
}

async function set(args: Args, ctx: CliContext): Promise<undefined> {
  const c = parseCommon(args, false);
  if (!c.dev) throw new UsageError('Not enough information: "dev" argument is required.', LINK_USAGE);
  const client = await ctx.client();
  const dev = c.dev;
  // ip looks the device up first: "Cannot find device" rather than a kernel error.
  await deviceIndex(client, dev);
  await resolveKindDevices(client, c);
  const o: LinkSetOptions = {};
  if (c.up !== undefined) o.up = c.up;
  if (c.mtu !== undefined) o.mtu = c.mtu;
  if (c.name !== undefined) o.name = c.name;
  if (c.address !== undefined) o.address = c.address;
  if (c.broadcast !== undefined) o.broadcast = c.broadcast;
  if (c.txqlen !== undefined) o.txqlen = c.txqlen;
  if (c.master === null) o.master = null;
  else if (c.master !== undefined) o.master = await deviceIndex(client, c.master);
  if (c.alias !== undefined) o.alias = c.alias;
  if (c.group !== undefined) o.group = c.group;
  if (c.arp !== undefined) o.arp = c.arp;
  if (c.multicast !== undefined) o.multicast = c.multicast;
  if (c.allmulticast !== undefined) o.allmulticast = c.allmulticast;
  if (c.promisc !== undefined) o.promisc = c.promisc;
  if (c.kind !== undefined) {
    const data = c.kindArgs?.data ?? {};
    if (c.kind.endsWith('_slave')) {
      o.slaveKind = c.kind.slice(0, -'_slave'.length);
      o.slaveData = data;
    } else {
      o.kind = c.kind;
      o.data = data;
    }
  }
  if (c.netns !== undefined) o.netns = netnsTarget(c.netns);
  await client.links.set(dev, o);
}

async function del(args: Args, ctx: CliContext): Promise<undefined> {
  let dev: string | undefined;
  while (!args.done) {
    if (args.acceptExact('type')) {
      args.value('type');
      continue;
    }
    if (args.acceptExact('help')) throw new UsageError('', LINK_USAGE);
    args.acceptExact('dev');
    const d = args.value('dev');
    if (dev !== undefined) throw args.garbage(d, 'dev');
    dev = d;
  }
  if (!dev) throw new UsageError('Not enough information: "dev" argument is required.', LINK_USAGE);
  const client = await ctx.client();
  const name = devName(dev);
  await deviceIndex(client, name);
  await client.links.delete(name);
}

// ---------------------------------------------------------------------------------------------
// property

/** iplink_prop: `property { add | del } [dev] DEVICE [altname NAME]...`, ip's words and checks. */
async function property(args: Args, ctx: CliContext): Promise<undefined> {
  const op = args.next();
  if (op === undefined) throw new UsageError(LINK_USAGE);
  const add = matches(op, 'add');
  if (!add && !matches(op, 'delete')) {
    if (matches(op, 'help')) throw new UsageError('', LINK_USAGE);
    throw new UsageError('Operator required', LINK_USAGE);
  }
  let dev: string | undefined;
  const names: string[] = [];
  while (!args.done) {
    if (args.accept('altname')) names.push(altname(args.value('altname')));
    else if (args.accept('help')) throw new UsageError('', LINK_USAGE);
    else {
      args.acceptExact('dev');
      const d = args.value('dev');
      if (dev !== undefined) throw args.garbage(d, 'dev');
      dev = devName(d);
    }
  }
  if (dev === undefined) throw new UsageError('Not enough of information: "dev" argument is required.', LINK_USAGE);
  const client = await ctx.client();
  await deviceIndex(client, dev);
  if (names.length === 0) return; // ip sends an empty list, which changes nothing
  if (add) await client.links.addAltnames(dev, names);
  else await client.links.deleteAltnames(dev, names);
}
