/**
 * What several commands share: the interface table (ip's ll_map), device lookups with ip's
 * "Cannot find device" wording, and writing a Printer's output.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { NetlinkClient } from '../../api/client.js';
import { isInvalidArgumentError, isNotFoundError } from '../../api/errors.js';
import type { Link } from '../../api/links.js';
import { IFNAME_MAX_BYTES, checkIfname, checkLinkName } from '../../api/validate.js';
import { utf8Length } from '../../codec/values.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { CliError, type CliContext } from '../context.js';
import { Printer } from '../format/printer.js';
import { LinkTable, attrsOf, flagsNum, headerOf } from '../format/values.js';

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
  const h = headerOf(m, 'newlink');
  const a = attrsOf(m, 'newlink');
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
export async function dumpLinks(client: NetlinkClient, family: 'inet' | 'inet6' | undefined, stats: boolean): Promise<NetlinkMessage[]> {
  if (family !== 'inet6') return client.links.messages({ stats });
  const msgs = (await client.connection.dump({ kind: 'getlink', header: { family: 'inet6' } })).filter((m) => m.kind === 'newlink');
  // ip fills in a missing IFLA_TXQLEN with ioctl(SIOCGIFTXQLEN); the AF_UNSPEC dump has it
  const full = new Map((await client.links.list()).map((l) => [l.index, l.txqlen]));
  for (const m of msgs) {
    const a = attrsOf(m, 'newlink');
    const q = full.get(headerOf(m, 'newlink').index ?? 0);
    if (a.txqlen === undefined && q !== undefined) a.txqlen = q;
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
  if (!links.some((m) => attrsOf(m, 'newlink').linkNetnsid !== undefined)) return;
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
      const answer = reply.find((m) => m.kind === 'newnsid');
      const id = answer && attrsOf(answer, 'newnsid').nsid;
      if (typeof id === 'number' && id >= 0 && !table.nsids.has(id)) table.nsids.set(id, name);
    } catch {
      // not ours to see: keep the number
    } finally {
      closeSync(fd);
    }
  }
}

/** ll_name_to_index, failing as ip does: a link by its name or an altname, else "Cannot find device". */
export async function deviceIndex(client: NetlinkClient, name: string): Promise<number> {
  const l = await client.links.find(name).catch((err: unknown) => {
    if (isInvalidArgumentError(err)) return undefined; // a name no link can have is not found either
    throw err;
  });
  if (!l) throw new CliError(`Cannot find device "${name}"`, 1);
  return l.index;
}

/** `link show DEV`, `addr show dev DEV`: the link, or ip's "Device "X" does not exist.". */
export async function shownDevice(client: NetlinkClient, name: string, stats: boolean): Promise<Link> {
  return client.links.get(name, { stats }).catch((err: Error) => {
    if (isNotFoundError(err) || isInvalidArgumentError(err)) throw new CliError(`Device "${name}" does not exist.`, 1);
    throw err;
  });
}

/**
 * A device by name where the API takes interface names only (addresses, routes: IFNAMSIZ): a
 * longer altname goes as the index, after deviceIndex has found it.
 */
export function linkRef(name: string, index: number): string | number {
  return utf8Length(name) > IFNAME_MAX_BYTES ? index : name;
}

/** ip's invarg for a name, from the API's InvalidArgumentError, with the API's reason on a second line. */
function invalidName(name: string, what: string, err: unknown): Error {
  if (!isInvalidArgumentError(err)) return err as Error;
  return new CliError(`Error: argument "${name}" is wrong: ${what}\n${err.message.replace(/^i/, 'I')}`, 1);
}

/** A new interface name (link add, set name, peer name): checked as the kernel will (dev_valid_name). */
export function newIfname(name: string, keyword: 'dev' | 'name'): string {
  try {
    return checkIfname(name);
  } catch (err) {
    throw invalidName(name, `"${keyword}" not a valid ifname`, err);
  }
}

/** A device ip checks before looking it up (link set / del / property dev): a name or an altname. */
export function devName(name: string): string {
  try {
    return checkLinkName(name);
  } catch (err) {
    throw invalidName(name, '"dev" not a valid ifname', err);
  }
}

/** A new alternative name (link property add ... altname NAME). */
export function altname(name: string): string {
  try {
    return checkLinkName(name, 'altname');
  } catch (err) {
    throw invalidName(name, 'not a valid altname', err);
  }
}

/** -4 / -6 / -0 as an address family filter. */
export function familyOption(ctx: CliContext): 'inet' | 'inet6' | undefined {
  return ctx.options.family;
}
