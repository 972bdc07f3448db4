/**
 * Monitor events as text and JSON lines (pure: no I/O). The CLI prints links, addresses and routes
 * with the ip-compatible printers in src/cli/format; the rest is here.
 */
import { rtNeighSpec } from '../../protocol/rt-neigh.js';
import type { Neighbour } from '../api/neighbours.js';
import type { Rule } from '../api/rules.js';
import type { MonitorEvent, Nsid } from './events.js';

/** JSON.stringify replacer: no `raw` messages; bigint as a number when exact, else a string; bytes as hex. */
function replacer(key: string, v: unknown): unknown {
  if (key === 'raw') return undefined;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (v instanceof Error) return v.message;
  return v;
}

/**
 * One JSON object for an event, on one line: {"type":"new","kind":"address","netns":"ns1","object":{...}}.
 * Overrun, resync (with the full state of the kinds it covers), netns and error events keep their fields.
 */
export function eventJson(e: MonitorEvent): string {
  return JSON.stringify(e, replacer);
}

/** `ip monitor` labels (`ip monitor all` / `label`). */
export const KIND_LABELS: Readonly<Record<string, string>> = {
  link: '[LINK]',
  address: '[ADDR]',
  route: '[ROUTE]',
  neighbour: '[NEIGH]',
  rule: '[RULE]',
  nsid: '[NSID]',
};

/** ip lists NUD_* states in bit order. */
const NUD_BITS: Readonly<Record<string, number>> = rtNeighSpec.definitions['nud-state'].entries;

/** A neighbour as `ip monitor neigh` prints it (without the trailing newline). */
export function neighbourText(n: Neighbour, deleted: boolean, devName: (index: number) => string): string {
  const parts: string[] = [];
  if (deleted) parts.push('Deleted');
  if (n.proxy) parts.push('proxy');
  if (n.dst !== undefined) parts.push(String(n.dst));
  parts.push('dev', devName(n.index));
  if (n.master !== undefined) parts.push('master', devName(n.master));
  if (n.vlan !== undefined) parts.push('vlan', String(n.vlan));
  if (n.lladdr !== undefined) parts.push('lladdr', String(n.lladdr));
  if (n.router) parts.push('router');
  if (n.extLearned) parts.push('extern_learn');
  if (n.protocol !== undefined) parts.push('proto', String(n.protocol));
  const states = n.state.filter((s) => s !== 'none').sort((a, b) => (NUD_BITS[String(a)] ?? -1) - (NUD_BITS[String(b)] ?? -1));
  for (const s of states) parts.push(String(s).toUpperCase());
  // ip leaves a space after the state.
  return parts.join(' ') + (states.length ? ' ' : '');
}

/** A rule as `ip monitor rule` prints it. */
export function ruleText(r: Rule, deleted: boolean): string {
  const parts: string[] = [`${deleted ? 'Deleted ' : ''}${r.priority}:\t${r.invert ? 'not ' : ''}from ${r.src ?? 'all'}`];
  if (r.dst !== undefined) parts.push('to', r.dst);
  if (r.tos) parts.push('tos', '0x' + r.tos.toString(16));
  if (r.fwmark !== undefined)
    parts.push('fwmark', '0x' + r.fwmark.toString(16) + (r.fwmask !== undefined && r.fwmask !== 0xffffffff ? '/0x' + r.fwmask.toString(16) : ''));
  if (r.iifname !== undefined) parts.push('iif', r.iifname);
  if (r.oifname !== undefined) parts.push('oif', r.oifname);
  if (r.ipProto !== undefined) parts.push('ipproto', String(r.ipProto));
  if (r.sportRange)
    parts.push('sport', r.sportRange.start === r.sportRange.end ? String(r.sportRange.start) : `${r.sportRange.start}-${r.sportRange.end}`);
  if (r.dportRange)
    parts.push('dport', r.dportRange.start === r.dportRange.end ? String(r.dportRange.start) : `${r.dportRange.start}-${r.dportRange.end}`);
  if (r.uidRange) parts.push('uidrange', `${r.uidRange.start}-${r.uidRange.end}`);
  if (r.l3mdev) parts.push('lookup', '[l3mdev-table]');
  else if (r.action === 'lookup') parts.push('lookup', String(r.table ?? 'unspec'));
  else if (r.action === 'goto') parts.push('goto', String(r.goto ?? 'none'));
  else parts.push(String(r.action));
  if (r.suppressPrefixlen !== undefined) parts.push('suppress_prefixlength', String(r.suppressPrefixlen));
  if (r.protocol !== undefined && r.protocol !== 'unspec' && r.protocol !== 0) parts.push('proto', String(r.protocol));
  return parts.join(' ');
}

export function nsidText(n: Nsid, deleted: boolean, name?: string): string {
  return `${deleted ? 'Deleted ' : ''}nsid ${n.nsid}${name ? ` (iproute2 netns name: ${name})` : ''}`;
}

/** One-line summaries for overrun / resync / netns events. */
export function controlText(e: MonitorEvent): string | undefined {
  switch (e.type) {
    case 'overrun':
      return `Overrun: events were lost (${e.reason}${e.error ? `: ${e.error.message}` : ''}); resynchronising`;
    case 'resync': {
      const counts = [
        e.links && `${e.links.length} links`,
        e.addresses && `${e.addresses.length} addresses`,
        e.routes && `${e.routes.length} routes`,
        e.neighbours && `${e.neighbours.length} neighbours`,
        e.rules && `${e.rules.length} rules`,
        e.nsids && `${e.nsids.length} nsids`,
      ].filter(Boolean);
      return `Resync: ${counts.join(', ')}`;
    }
    case 'netns':
      return `netns ${e.action === 'add' ? 'add' : 'delete'} ${e.netns}`;
    default:
      return undefined;
  }
}
