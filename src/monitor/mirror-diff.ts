/**
 * Comparing mirrored state: what a fresh dump must agree on (fingerprint, diffState: verify() and
 * the tests), and whether a listed object is the same as the one held (a resync or refresh keeps it).
 */
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import { type MirrorKind, addressKey, linkKey, routeKey } from './mirror-view.js';

/**
 * What the kernel changes without a notification, so that no mirror can follow it: not compared.
 * `raw` is a slim object's envelope; link counters are not kept; promiscuity and allmulti are
 * reference counts that a packet socket or a multicast listener changes silently; a qdisc is
 * replaced with qdisc messages, not link ones.
 */
const UNFOLLOWED: Record<MirrorKind, ReadonlySet<string>> = {
  link: new Set(['raw', 'stats', 'promiscuity', 'allmulti', 'qdisc']),
  address: new Set(['raw']),
  route: new Set(['raw']),
};

const FOREVER = 0xffffffff;

/**
 * A field as compared: lifetimes that count down as forever or not, a route's expiry by presence;
 * the rest as it is (nested timers aside: a bridge's and its ports' count down too).
 */
function fieldText(kind: MirrorKind, field: string, v: unknown): string {
  if (kind === 'address') {
    if (field === 'validLifetime' || field === 'preferredLifetime') return v === FOREVER ? 'forever' : 'finite';
    if (field === 'cacheinfo' && typeof v === 'object' && v !== null) {
      const c = v as Record<string, unknown>;
      return valueText({ ...c, valid: c.valid === FOREVER ? 'forever' : 'finite', prefered: c.prefered === FOREVER ? 'forever' : 'finite' });
    }
  }
  if (kind === 'route' && field === 'expires') return 'set';
  return valueText(v);
}

/** Canonical text of a decoded value: object keys sorted, bigints and bytes spelled out. */
function valueText(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? String(v);
  if (v instanceof Uint8Array) return `<${Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex')}>`;
  if (Array.isArray(v)) return `[${v.map(valueText).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined && !k.endsWith('Timer'))
    .sort();
  return `{${keys.map((k) => `${k}:${valueText(o[k])}`).join(',')}}`;
}

/** Every compared field of an object, as text, by name. */
function compared(kind: MirrorKind, o: Link | Address | Route): Map<string, string> {
  const skip = UNFOLLOWED[kind];
  const out = new Map<string, string>();
  const rec = o as unknown as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (v !== undefined && !skip.has(k)) out.set(k, fieldText(kind, k, v));
  }
  return out;
}

/**
 * Everything the mirror holds of an object that a fresh dump must agree on, as one string: every
 * field but `raw` and what the kernel changes without telling (UNFOLLOWED, lifetimes counting down).
 */
export function fingerprint(kind: MirrorKind, o: Link | Address | Route): string {
  return [...compared(kind, o)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, t]) => `${k}=${t}`)
    .join('|');
}

/** The fields in which two objects of a kind differ, one `field: a != b` each. */
function fieldDiffs(kind: MirrorKind, a: Link | Address | Route, b: Link | Address | Route): string[] {
  const fa = compared(kind, a);
  const fb = compared(kind, b);
  const out: string[] = [];
  for (const [k, t] of fa) if (fb.get(k) !== t) out.push(`${k}: ${t} != ${fb.get(k) ?? '(none)'}`);
  for (const [k, t] of fb) if (!fa.has(k)) out.push(`${k}: (none) != ${t}`);
  return out;
}

export interface StateTables {
  links: Iterable<Link>;
  addresses: Iterable<Address>;
  routes: Iterable<Route>;
}

/**
 * Differences between two states (e.g. a mirror and a fresh dump), one line per object; [] when
 * equal. Objects are matched by key and compared on every field fingerprint() covers.
 */
export function diffState(a: StateTables, b: StateTables): string[] {
  const out: string[] = [];
  const cmp = <T extends Link | Address | Route>(kind: MirrorKind, xs: Iterable<T>, ys: Iterable<T>, key: (o: T) => string) => {
    const mx = new Map<string, T>();
    for (const x of xs) mx.set(key(x), x);
    const my = new Map<string, T>();
    for (const y of ys) my.set(key(y), y);
    for (const [k, x] of mx) {
      const y = my.get(k);
      if (y === undefined) out.push(`${kind} ${k}: only in the first`);
      else if (fingerprint(kind, x) !== fingerprint(kind, y)) out.push(`${kind} ${k}: ${fieldDiffs(kind, x, y).join('; ')}`);
    }
    for (const k of my.keys()) if (!mx.has(k)) out.push(`${kind} ${k}: only in the second`);
  };
  cmp('link', a.links, b.links, linkKey);
  cmp('address', a.addresses, b.addresses, addressKey);
  cmp('route', a.routes, b.routes, routeKey);
  return out;
}

/**
 * Same content, `raw` aside (a dump's envelope differs from an event's). A refresh or resync keeps
 * the object it holds when the kernel's is the same: the new one then dies young, instead of being
 * promoted to replace an equal one.
 */
export function sameObject(a: object, b: object): boolean {
  let n = 0;
  for (const k in a) {
    if (k === 'raw') continue;
    n++;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const k in b) if (k !== 'raw') n--;
  return n === 0;
}

function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(b) || b instanceof Uint8Array) return false;
  let n = 0;
  for (const k in a) {
    n++;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  for (const _k in b) n--;
  return n === 0;
}
