/**
 * nlts address { show | add | replace | change | del | flush }: ip address's grammar over
 * client.addresses (and client.links for the interface part of `show`).
 */
import { rtAddrSpec } from '../../../protocol/rt-addr.js';
import type { AddressAddOptions } from '../../api/addresses.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { Args } from '../args.js';
import { type CliContext, UsageError, matches } from '../context.js';
import { addressFamily, addressFlagBit, addressFlags, addressLocal, addressScope, printAddress } from '../format/address.js';
import { printLink } from '../format/link.js';
import { printLinkStats } from '../format/link-stats.js';
import { LinkTable, attrs, attrsOf, headerOf } from '../format/values.js';
import { protocolNumber, scopeNumber } from '../names.js';
import { addToTable, deviceIndex, loadNsidNames, dumpLinks, ensureNames, flush, linkRef, printerFor, shownDevice } from './common.js';
import { type Prefix, fnmatch, parseCliPrefix, prefixMatches } from './prefix.js';

const IFA_F = rtAddrSpec.definitions['ifa-flags'].entries;

export const ADDRESS_USAGE = `Usage: nlts address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]
                                                      [ CONFFLAG-LIST ]
       nlts address del IFADDR dev IFNAME
       nlts address flush [ dev IFNAME ] [ scope SCOPE-ID ] [ to PREFIX ] [ label LABEL ]
       nlts address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]
                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [ up ] ]
IFADDR := PREFIX | ADDR peer PREFIX
          [ broadcast ADDR ] [ anycast ADDR ]
          [ label IFNAME ] [ scope SCOPE-ID ] [ metric METRIC ] [ proto PROTO ]
SCOPE-ID := [ host | link | global | NUMBER ]
FLAG-LIST := [ FLAG-LIST ] FLAG
FLAG  := [ permanent | dynamic | secondary | primary |
           [-]tentative | [-]deprecated | [-]dadfailed | temporary |
           CONFFLAG-LIST ]
CONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG
CONFFLAG  := [ home | nodad | mngtmpaddr | noprefixroute | autojoin ]
LIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]
LFT := forever | SECONDS`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const sub = argv[0];
  const rest = new Args(argv.slice(1), ADDRESS_USAGE);
  if (sub === undefined) return show(new Args([], ADDRESS_USAGE), ctx);
  if (matches(sub, 'add')) return modify(rest, ctx, 'add');
  if (matches(sub, 'change') || sub === 'chg') return modify(rest, ctx, 'replace');
  if (matches(sub, 'replace')) return modify(rest, ctx, 'replace');
  if (matches(sub, 'delete')) return del(rest, ctx);
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return show(rest, ctx);
  if (matches(sub, 'flush')) return flushCmd(rest, ctx);
  if (matches(sub, 'help')) throw new UsageError('', ADDRESS_USAGE);
  throw new UsageError(`Command "${sub}" is unknown, try "nlts address help".`, ADDRESS_USAGE);
}

// ---------------------------------------------------------------------------------------------
// filters (ip's struct link_filter for addresses)

interface AddrFilter {
  dev?: string;
  scope: number;
  scopeMask: number;
  flags: number;
  flagMask: number;
  label?: string;
  pfx?: Prefix;
  up: boolean;
  master?: string;
  kind?: string;
}

function parseFilter(args: Args): AddrFilter {
  const f: AddrFilter = { scope: 0, scopeMask: 0, flags: 0, flagMask: 0, up: false };
  while (!args.done) {
    const w = args.peek()!;
    if (args.acceptExact('to')) f.pfx = parseCliPrefix(args.value('to'), args);
    else if (args.acceptExact('scope')) {
      const s = args.value('scope');
      if (s === 'all') {
        f.scope = 0;
        f.scopeMask = 0;
      } else {
        const n = scopeNumber(s);
        if (n === undefined) throw args.invalid('invalid "scope"', s);
        f.scope = n;
        f.scopeMask = 0xff;
      }
    } else if (args.acceptExact('up')) f.up = true;
    else if (args.acceptExact('label')) f.label = args.value('label');
    else if (args.acceptExact('master')) f.master = args.value('master');
    else if (args.acceptExact('type')) f.kind = args.value('type');
    else if (w === 'dynamic') {
      args.next();
      f.flags &= ~IFA_F.permanent;
      f.flagMask |= IFA_F.permanent;
    } else if (w === 'primary') {
      args.next();
      f.flags &= ~IFA_F.secondary;
      f.flagMask |= IFA_F.secondary;
    } else if (w.startsWith('-') && addressFlagBit(w.slice(1)) !== undefined) {
      args.next();
      const bit = addressFlagBit(w.slice(1))!;
      f.flags &= ~bit;
      f.flagMask |= bit;
    } else if (addressFlagBit(w) !== undefined) {
      args.next();
      const bit = addressFlagBit(w)!;
      f.flags |= bit;
      f.flagMask |= bit;
    } else if (args.acceptExact('help')) throw new UsageError('', ADDRESS_USAGE);
    else {
      args.acceptExact('dev');
      const d = args.value('dev');
      if (f.dev !== undefined) throw args.garbage(d, 'dev');
      f.dev = d;
    }
  }
  return f;
}

function addressPasses(m: NetlinkMessage, f: AddrFilter, names: LinkTable): boolean {
  if ((f.scope ^ addressScope(m)) & f.scopeMask) return false;
  if ((f.flags ^ addressFlags(m)) & f.flagMask) return false;
  if (f.label !== undefined) {
    const label = attrsOf(m, 'newaddr').label ?? names.name(headerOf(m, 'newaddr').index);
    if (!fnmatch(f.label, label)) return false;
  }
  if (f.pfx) {
    const local = addressLocal(m);
    if (local !== undefined && !prefixMatches(f.pfx, local)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// show

async function show(args: Args, ctx: CliContext): Promise<undefined> {
  const f = parseFilter(args);
  // "to PREFIX" narrows the family as -4/-6 would
  const family = ctx.options.family ?? f.pfx?.family;
  const client = await ctx.client();
  const table = new LinkTable();
  let links: NetlinkMessage[];
  let index = 0;
  const stats = ctx.options.stats > 0;
  if (f.dev !== undefined) {
    const l = await shownDevice(client, f.dev, stats);
    addToTable(table, l.raw);
    links = [l.raw];
    index = l.index;
  } else {
    links = await dumpLinks(client, family, stats);
    for (const m of links) addToTable(table, m);
  }
  const masterIndex = f.master !== undefined ? await deviceIndex(client, f.master) : undefined;
  const addrs = (await client.addresses.list({ ...(family && { family }), ...(index && { link: index }) })).map((a) => a.raw);

  // ipaddr_filter: with any filter, links none of whose addresses pass are left out
  links = links.filter((l) => {
    const li = headerOf(l, 'newlink').index;
    let missing = true;
    for (const a of addrs) {
      if (headerOf(a, 'newaddr').index !== li) continue;
      missing = false;
      if (family && addressFamily(a) !== family) continue;
      if (addressPasses(a, f, table)) return true;
    }
    return missing && !family;
  });
  await ensureNames(
    client,
    table,
    links.flatMap((m) => {
      const a = attrsOf(m, 'newlink');
      return a.linkNetnsid === undefined ? [a.link, a.master] : [a.master];
    }),
  );

  if (!ctx.options.json) await loadNsidNames(client, table, links);
  const p = printerFor(ctx);
  const o = { details: ctx.options.details, stats: ctx.options.stats, doLink: false, ...(family && { family }) };
  for (const l of links) {
    const h = headerOf(l, 'newlink');
    const a = attrsOf(l, 'newlink');
    const isUp = (h.flags ?? []).includes('up');
    p.openObject();
    // print_linkinfo's own filters: 0 = not printed but addresses still are, -1 = skipped
    let res = 1;
    if (f.up && !isUp) res = 0;
    else if (f.label !== undefined && !family && !fnmatch(f.label, a.ifname ?? '')) res = 0;
    else if (masterIndex !== undefined && a.master !== masterIndex) res = -1;
    else if (f.kind !== undefined && attrs(a.linkinfo).kind !== f.kind) res = -1;
    if (res > 0) printLink(p, l, table, o);
    if (res >= 0) {
      p.openArray('addr_info');
      for (const ad of addrs) {
        if (headerOf(ad, 'newaddr').index !== h.index) continue;
        if (family && addressFamily(ad) !== family) continue;
        if (f.up && !isUp) continue;
        p.openObject();
        if (addressPasses(ad, f, table)) printAddress(p, ad);
        p.closeObject();
      }
      p.closeArray();
    }
    if (res > 0 && stats) {
      printLinkStats(p, a, ctx.options.stats);
      p.text('\n');
    }
    p.closeObject();
    if (!p.json) ctx.out(p.take());
  }
  flush(ctx, p);
}

// ---------------------------------------------------------------------------------------------
// add / replace / del / flush

const CONF_FLAGS = new Set(['home', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'optimistic']);

function lifetime(args: Args, keyword: string): number | 'forever' {
  const v = args.value(keyword);
  if (v === 'forever') return 'forever';
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw args.invalid(`${keyword} value`, v);
  return Number(v);
}

async function modify(args: Args, ctx: CliContext, op: 'add' | 'replace'): Promise<undefined> {
  let local: string | undefined;
  let dev: string | undefined;
  const o: Partial<AddressAddOptions> & { flags: NonNullable<AddressAddOptions['flags']> } = { flags: [] };
  while (!args.done) {
    if (args.acceptExact('peer', 'remote')) o.peer = args.value('peer');
    else if (args.accept('broadcast') || args.acceptExact('brd')) o.broadcast = args.value('broadcast');
    else if (args.accept('anycast')) o.anycast = args.value('anycast');
    else if (args.acceptExact('scope')) {
      const s = args.value('scope');
      const n = scopeNumber(s);
      if (n === undefined) throw args.invalid('invalid scope value.', s);
      o.scope = n;
    } else if (args.acceptExact('dev')) dev = args.value('dev');
    else if (args.acceptExact('label')) o.label = args.value('label');
    else if (args.acceptExact('valid_lft')) o.validLifetime = lifetime(args, 'valid_lft');
    else if (args.acceptExact('preferred_lft')) o.preferredLifetime = lifetime(args, 'preferred_lft');
    else if (args.accept('metric') || args.accept('priority')) o.metric = args.u32('metric');
    else if (args.acceptExact('proto')) {
      const v = args.value('proto');
      const n = /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n === 'number' && n > 255) throw args.invalid('invalid proto', v);
      o.proto = n;
    } else if (CONF_FLAGS.has(args.peek()!)) o.flags.push(args.next() as never);
    else if (args.acceptExact('help')) throw new UsageError('', ADDRESS_USAGE);
    else {
      args.acceptExact('local');
      const v = args.value('local');
      if (local !== undefined) throw args.garbage(v, 'local');
      local = v;
    }
  }
  if (!dev) throw new UsageError('Not enough information: "dev" argument is required.', ADDRESS_USAGE);
  if (!local) throw new UsageError('Not enough information: the address is required.', ADDRESS_USAGE);
  checkPrefix(local, args);
  const client = await ctx.client();
  const options: AddressAddOptions = { ...o, link: linkRef(dev, await deviceIndex(client, dev)) } as AddressAddOptions;
  if (o.flags.length === 0) delete (options as Partial<AddressAddOptions>).flags;
  if (
    typeof options.proto === 'string' &&
    protocolNumber(options.proto) !== undefined &&
    !['unspec', 'kernel_lo', 'kernel_ra', 'kernel_ll'].includes(options.proto)
  ) {
    throw args.invalid('invalid proto', options.proto);
  }
  if (op === 'add') await client.addresses.add(local, options);
  else await client.addresses.replace(local, options);
}

/** ip's message for an address it cannot read: "any valid prefix is expected rather than". */
function checkPrefix(text: string, args: Args): void {
  try {
    parseCliPrefix(text, args);
  } catch {
    throw new UsageError(`Error: any valid prefix is expected rather than "${text}".`, ADDRESS_USAGE);
  }
}

async function del(args: Args, ctx: CliContext): Promise<undefined> {
  let local: string | undefined;
  let dev: string | undefined;
  let peer: string | undefined;
  while (!args.done) {
    if (args.acceptExact('dev')) dev = args.value('dev');
    else if (args.acceptExact('peer', 'remote')) peer = args.value('peer');
    else if (args.acceptExact('label', 'scope', 'broadcast', 'brd', 'anycast', 'metric', 'proto', 'valid_lft', 'preferred_lft')) args.value('option');
    else if (CONF_FLAGS.has(args.peek()!)) args.next();
    else {
      args.acceptExact('local');
      const v = args.value('local');
      if (local !== undefined) throw args.garbage(v, 'local');
      local = v;
    }
  }
  if (!dev) throw new UsageError('Not enough information: "dev" argument is required.', ADDRESS_USAGE);
  if (!local) {
    // `ip addr del dev X` without an address deletes the first one; refuse, as it is rarely meant.
    throw new UsageError('Not enough information: the address to delete is required.', ADDRESS_USAGE);
  }
  checkPrefix(local, args);
  const client = await ctx.client();
  const link = linkRef(dev, await deviceIndex(client, dev));
  await client.addresses.delete(local, { link, ...(peer !== undefined && { peer }) });
}

async function flushCmd(args: Args, ctx: CliContext): Promise<undefined> {
  if (args.done) throw new UsageError('Flush requires arguments.', ADDRESS_USAGE);
  const f = parseFilter(args);
  const client = await ctx.client();
  const family = ctx.options.family;
  const table = new LinkTable();
  let index: number | undefined;
  if (f.dev !== undefined) {
    index = await deviceIndex(client, f.dev);
  }
  const list = await client.addresses.list({ ...(family && { family }), ...(index !== undefined && { link: index }) });
  if (f.label !== undefined || f.flagMask) {
    for (const l of await client.links.messages()) addToTable(table, l);
  }
  const victims = list.filter((a) => addressPasses(a.raw, f, table));
  // Secondaries first, so deleting a primary neither takes them along nor promotes them.
  victims.sort((a, b) => Number(b.secondary) - Number(a.secondary));
  const results = await client.addresses.deleteBatch(
    victims.map((a) => ({ cidr: `${a.address}/${a.prefixlen}`, link: a.index, ...(a.peer !== undefined && { peer: a.peer }) })),
  );
  for (const r of results) {
    if (!r.ok && (r.error as { code?: string }).code !== 'EADDRNOTAVAIL') throw r.error;
  }
}
