/**
 * What several commands share: the interface table (ip's ll_map), device lookups with ip's
 * "Cannot find device" wording, and writing a Printer's output.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { NetlinkClient } from '../../api/client.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { CliError, type CliContext } from '../context.js';
import { Printer } from '../format/printer.js';
import { LinkTable, attrs, flagsNum } from '../format/values.js';

export function printerFor(ctx: CliContext): Printer {
  const p = new Printer(ctx.options.json, ctx.options.pretty);
  p.start();
  return p;
}

export function flush(ctx: CliContext, p: Printer): void {
  const s = p.finish();
  if (s) ctx.out(s);
}

export function addToTable(t: LinkTable, m: NetlinkMessage): void {
  const h = attrs(m.header);
  const a = attrs(m.attrs);
  if (typeof h.index === 'number' && typeof a.ifname === 'string') t.add(h.index, a.ifname, flagsNum(rtLinkSpec.definitions.iff, h.flags));
}

/** Every link (one dump): the name table and the messages. */
export async function allLinks(client: NetlinkClient, stats = false): Promise<{ table: LinkTable; links: NetlinkMessage[] }> {
  const list = await client.links.list({ stats });
  const table = new LinkTable();
  const links = list.map((l) => l.raw);
  for (const m of links) addToTable(table, m);
  return { table, links };
}

/**
 * Every link as ip dumps them: with -6 the request goes to AF_INET6, whose kernel handler answers
 * with fewer attributes (no qdisc, group...), and ip prints what it gets.
 */
export async function dumpLinks(client: NetlinkClient, family: "inet" | "inet6" | undefined, stats: boolean): Promise<NetlinkMessage[]> {
  if (family !== 'inet6') return client.links.messages({ stats });
  const msgs = (await client.connection.dump({ kind: 'getlink', header: { family: 'inet6' } })).filter((m) => m.kind === 'newlink');
  // ip fills in a missing IFLA_TXQLEN with ioctl(SIOCGIFTXQLEN); the AF_UNSPEC dump has it
  const full = new Map((await client.links.list()).map((l) => [l.index, l.txqlen]));
  for (const m of msgs) {
    const a = attrs(m.attrs);
    const q = full.get(attrs(m.header).index);
    if (a.txqlen === undefined && q !== undefined) (m.attrs as Record<string, unknown>).txqlen = q;
  }
  return msgs;
}

/** Looks up the links behind indexes the table does not know yet (ip's ll_link_get). */
export async function ensureNames(client: NetlinkClient, table: LinkTable, indexes: Iterable<number | undefined>): Promise<void> {
  for (const i of indexes) {
    if (!i || table.has(i)) continue;
    const l = await client.links.find(i);
    if (l) addToTable(table, l.raw);
  }
}

/**
 * ip's netns map: the nsid of each /run/netns namespace (RTM_GETNSID with its fd), so text output
 * can say "link-netns NAME". Only asked when a link lives across namespaces.
 */
export async function loadNsidNames(client: NetlinkClient, table: LinkTable, links: NetlinkMessage[]): Promise<void> {
  if (!links.some((m) => attrs(m.attrs).linkNetnsid !== undefined)) return;
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const name of names) {
    let fd: number;
    try {
      fd = openSync(`/run/netns/${name}`, 'r');
    } catch {
      continue;
    }
    try {
      const reply = await client.connection.request({ kind: 'getnsid', header: { family: 'unspec' }, attrs: { fd } });
      const id = attrs(reply.find((m) => m.kind === 'newnsid')?.attrs).nsid;
      if (typeof id === 'number' && id >= 0 && !table.nsids.has(id)) table.nsids.set(id, name);
    } catch {
      // not ours to see: keep the number
    } finally {
      closeSync(fd);
    }
  }
}

/** ll_name_to_index, failing as ip does. */
export async function deviceIndex(client: NetlinkClient, name: string): Promise<number> {
  const l = await client.links.find(deviceName(name));
  if (!l) throw new CliError(`Cannot find device "${name}"`, 1);
  return l.index;
}

/** A device name as ip accepts it (a bad one is simply not found). */
export function deviceName(name: string): string {
  if (name.length === 0 || Buffer.byteLength(name) > 15 || /[/:\s]/.test(name)) throw new CliError(`Cannot find device "${name}"`, 1);
  return name;
}

/** -4 / -6 / -0 as an address family filter. */
export function familyOption(ctx: CliContext): 'inet' | 'inet6' | undefined {
  return ctx.options.family;
}
