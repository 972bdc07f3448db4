/** Routes as the plan compares them: the kernel's identity of a route, and whether one listed is the one declared. */
import { buildRouteMessage } from '../api/route-message.js';
import { PROTOCOLS, SCOPES, TABLE_NAMES, TYPES } from '../api/route-input.js';
import { parseAddress } from '../api/validate.js';
import type { CurrentRoute } from './state.js';
import type { TopologyRoute } from './types.js';
import { canonicalCidr } from './validate.js';

export const tableNumber = (t: CurrentRoute['table']): number => (typeof t === 'number' ? t : (TABLE_NAMES[t as string] ?? Number(t)));

/** What identifies a route in the kernel's FIB: family, table, destination, (v6) source, tos, metric. */
function routeKey(family: string, table: number, dst: string, src: string | undefined, tos: number, metric: number): string {
  return `${family} ${table} ${dst} ${src ?? ''} ${tos} ${metric}`;
}

export function stateKey(r: CurrentRoute): string {
  const metric = r.metric ?? 0;
  return routeKey(String(r.family), tableNumber(r.table), r.dst, r.src, r.tos ?? 0, metric);
}

export interface DeclaredRoute {
  key: string;
  name: string;
  family: string;
  type: number;
  scope?: number;
  protocol?: number;
}

export function declaredRoute(r: TopologyRoute, path: string): DeclaredRoute {
  const built = buildRouteMessage(r, 'add', `${path}.`);
  const h = built.msg.header!;
  const a = built.msg.attrs!;
  const family = String(h.family);
  const table = tableNumber(a.table ?? 254); // buildRouteMessage always sets RTA_TABLE (a number)
  const metric = a.priority ?? (family === 'inet6' ? 1024 : 0);
  const dst = built.dst;
  const src = r.src === undefined ? undefined : canonicalCidr(r.src, `${path}.src`);
  let name = family === 'inet6' && dst === 'default' ? '::/0' : dst;
  if (table !== 254) name += ` table ${table}`;
  if (a.priority !== undefined) name += ` metric ${a.priority}`;
  const out: DeclaredRoute = { key: routeKey(family, table, dst, src, Number(h.tos ?? 0), metric), name, family, type: Number(h.type) };
  if (r.scope !== undefined) out.scope = Number(h.scope);
  if (r.protocol !== undefined) out.protocol = Number(h.protocol);
  return out;
}

const num = (table: Readonly<Record<string, number>>, v: unknown): number => (typeof v === 'number' ? v : (table[String(v)] ?? -1));
const addr = (text: string | undefined): string | undefined => (text === undefined ? undefined : parseAddress(text).address);

/** Whether a route that exists with the declared key is the declared route (the fields the file gives). */
export function routeMatches(
  r: TopologyRoute,
  d: DeclaredRoute,
  cur: CurrentRoute,
  devName: (index: number | undefined) => string | undefined,
): boolean {
  if (num(TYPES, cur.type) !== d.type) return false;
  if (d.scope !== undefined && num(SCOPES, cur.scope) !== d.scope) return false;
  if (d.protocol !== undefined && num(PROTOCOLS, cur.protocol) !== d.protocol) return false;
  if (addr(r.gateway) !== cur.gateway) return false;
  if (r.prefsrc !== undefined && addr(r.prefsrc) !== cur.prefsrc) return false;
  if (r.dev !== undefined && devName(cur.dev) !== r.dev) return false;
  if (r.via !== undefined) {
    const via = typeof r.via === 'string' ? r.via : r.via.address;
    if (addr(via) !== cur.via?.address) return false;
  }
  if (r.mtu !== undefined && cur.mtu !== r.mtu) return false;
  if (r.multipath !== undefined) {
    const want = r.multipath.map((h) => `${addr(h.gateway) ?? ''}/${h.dev ?? ''}/${h.weight ?? 1}`).sort();
    const have = (cur.nexthops ?? []).map((h) => `${h.gateway ?? ''}/${h.dev === undefined ? '' : (devName(h.dev) ?? '')}/${h.weight}`).sort();
    if (want.join(',') !== have.join(',')) return false;
  }
  return true;
}

/**
 * Made by the kernel, never pruned: prefix and loopback routes (proto kernel), router
 * advertisements' (proto ra), the local table, link-local and multicast IPv6.
 */
export function kernelRoute(r: CurrentRoute): boolean {
  if (r.protocol === 'kernel' || r.protocol === 'ra' || r.protocol === 2 || r.protocol === 9) return true;
  if (tableNumber(r.table) === 255) return true;
  return r.family === 'inet6' && (r.dst.startsWith('fe80:') || r.dst.startsWith('ff00:') || r.type === 'multicast');
}

export function routeName(r: CurrentRoute): string {
  const table = tableNumber(r.table);
  let name = r.family === 'inet6' && r.dst === 'default' ? '::/0' : r.dst;
  if (table !== 254) name += ` table ${table}`;
  if (r.metric !== undefined && r.metric !== (r.family === 'inet6' ? 1024 : 0)) name += ` metric ${r.metric}`;
  return name;
}
