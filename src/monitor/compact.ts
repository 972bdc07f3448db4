/**
 * Slim objects: what a mirror keeps of each link, address and route (and what a Monitor with
 * `objects: 'slim'` delivers in its object events). A plain-object copy of the API's object whose
 * `raw` (an own field, here) is only
 * the message envelope (type, flags, seq, pid, kind, family; for a link also its header's family),
 * without a link's counters, and made
 * cheap to hold: a mirror of 100 namespaces keeps thousands of them, and every one that is added
 * is also copied through V8's young generation on its way to the old one.
 *
 * - Strings built by concatenation (formatted addresses, prefixes, MAC addresses, map keys) are
 *   trees in V8: a ConsString of 32 bytes per `+` once the result has 13 characters or more
 *   ('10.0.0.117/32' from a template literal is three strings, a MAC address twelve). flat()
 *   returns the same text as one flat string (a flat string in V8's terms: one sequential copy).
 * - Flag lists with the same names share one frozen array (an address copies its own).
 */
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route, RouteNexthop } from '../api/routes.js';
import type { NetlinkMessage } from '../codec/message.js';

/** V8 keeps strings of 13 characters or more built by `+` as trees; shorter ones are copied flat. */
const CONS_MIN_LENGTH = 13;

/**
 * The same text as one flat string. For text without capitals, String.prototype.toLowerCase
 * flattens it and returns the flat string (the tree and its pieces become garbage); trim() would
 * flatten in place but return the tree's 32-byte head. Addresses, prefixes and MAC addresses have
 * no capitals; other text is left as it is.
 */
export function flat(s: string): string;
export function flat(s: string | undefined): string | undefined;
export function flat(s: string | undefined): string | undefined {
  if (s === undefined || s.length < CONS_MIN_LENGTH) return s;
  const t = s.toLowerCase();
  return t === s ? t : s;
}

/** Flag name lists, one frozen array per distinct list. */
const flagLists = new Map<string, readonly (string | number)[]>();
const NO_FLAGS: readonly (string | number)[] = Object.freeze([]);

export function internFlags(flags: readonly (string | number)[]): (string | number)[] {
  if (flags.length === 0) return NO_FLAGS as (string | number)[];
  // The codec shares frozen flag arrays across messages already; copies (an address's) are not.
  if (Object.isFrozen(flags)) return flags as (string | number)[];
  const key = flags.join(',');
  let f = flagLists.get(key);
  if (f === undefined) {
    // Bounded: flag combinations are few, but a misbehaving source must not grow this forever.
    if (flagLists.size >= 1024) return flags as (string | number)[];
    flagLists.set(key, (f = Object.freeze(flags.slice())));
  }
  return f as (string | number)[];
}

/** The envelope of a message: what a slim object's `raw` holds. */
export function envelope(m: NetlinkMessage): NetlinkMessage {
  // One literal when both optional fields are there (always, for decoded rtnetlink messages): the
  // object then holds its six fields inline rather than in a separate property array.
  if (m.kind !== undefined && m.family !== undefined) return { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid, kind: m.kind, family: m.family };
  const e: NetlinkMessage = { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid };
  if (m.kind !== undefined) e.kind = m.kind;
  if (m.family !== undefined) e.family = m.family;
  return e;
}

// Slim copies are plain objects made by one object literal per shape (the set of fields present,
// in the API's order), generated on first sight: every field is stored inline, where an object
// built field by field (the API's) keeps the fields past its first ones in a separate array.

type Shape = { keys: string[]; make: (o: Record<string, unknown>, raw: NetlinkMessage) => Record<string, unknown> };

/** Fields holding formatted text (addresses, prefixes): flattened. */
const TEXT_FIELDS = new Set(['address', 'cidr', 'peer', 'broadcast', 'anycast', 'multicast', 'dst', 'src', 'gateway', 'prefsrc', 'permAddress']);

class ShapeCache {
  private readonly ids = new Map<string, number>();
  private readonly shapes = new Map<number, Shape[]>();
  constructor(private readonly skip: string | undefined) {}

  copy(o: object, raw: NetlinkMessage): Record<string, unknown> {
    const src = o as Record<string, unknown>;
    // A hash of the field sequence (no allocation), then a check against the shape's own list.
    let h = 0;
    let n = 0;
    for (const k in src) {
      let id = this.ids.get(k);
      if (id === undefined) this.ids.set(k, (id = this.ids.size + 1));
      h = (Math.imul(h, 31) + id) | 0;
      n++;
    }
    let list = this.shapes.get(h);
    let shape: Shape | undefined;
    if (list) for (const s of list) if (s.keys.length === n && sameKeys(src, s.keys)) shape = s;
    if (!shape) {
      const keys = Object.keys(src);
      if (list === undefined) this.shapes.set(h, (list = []));
      // Bounded: shapes are few (which optional fields an object has); past that, no new ones.
      if (this.ids.size > 256 || list.length > 16) return genericCopy(src, raw, this.skip);
      list.push((shape = { keys, make: makeShape(keys.filter((k) => k !== this.skip)) }));
    }
    return shape.make(src, raw);
  }
}

function sameKeys(o: Record<string, unknown>, keys: string[]): boolean {
  let i = 0;
  for (const k in o) if (keys[i++] !== k) return false;
  return true;
}

function makeShape(keys: string[]): Shape['make'] {
  const fields = keys.map((k) => {
    const q = JSON.stringify(k);
    const v = `o[${q}]`;
    if (k === 'flags') return `${q}: intern(${v})`;
    if (k === 'nexthops') return `${q}: hops(${v})`;
    if (TEXT_FIELDS.has(k)) return `${q}: flat(${v})`;
    return `${q}: ${v}`;
  });
  // The source holds only field names (JSON-quoted) and these helpers.
  const body = `return function slimShape(o, raw) { return { ${[...fields, 'raw: raw'].join(', ')} }; };`;
  return new Function('flat', 'intern', 'hops', body)(flat, internFlags, copyHops) as Shape['make'];
}

function genericCopy(o: Record<string, unknown>, raw: NetlinkMessage, skip: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    if (k === skip) continue;
    const v = o[k];
    out[k] =
      k === 'flags' && Array.isArray(v) ? internFlags(v) : k === 'nexthops' ? copyHops(v) : typeof v === 'string' && TEXT_FIELDS.has(k) ? flat(v) : v;
  }
  out.raw = raw;
  return out;
}

function copyHops(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return (v as RouteNexthop[]).map((h) => (h.gateway === undefined ? h : ({ ...h, gateway: flat(h.gateway) } as RouteNexthop)));
}

const addressShapes = new ShapeCache(undefined);
const routeShapes = new ShapeCache(undefined);
const linkShapes = new ShapeCache('stats');

/** A slim copy of an address: a plain object, with the message envelope as `raw`. */
export function slimAddress(a: Address): Address {
  return addressShapes.copy(a, envelope(a.raw)) as unknown as Address;
}

/** A slim copy of a route. */
export function slimRoute(r: Route): Route {
  return routeShapes.copy(r, envelope(r.raw)) as unknown as Route;
}

/**
 * A slim copy of a link: without its counters. Its envelope keeps the header's family too: a
 * bridge's per-port messages (AF_BRIDGE) on the link group are not links, and only that tells.
 */
export function slimLink(l: Link): Link {
  const raw = l.raw;
  const env = envelope(raw);
  const family = (raw.header as { family?: unknown } | undefined)?.family;
  if (family !== undefined) env.header = { family };
  return linkShapes.copy(l, env) as unknown as Link;
}

/** The slim copy of a link, address or route, by event kind; other objects as they are. */
export function slimObject(kind: string, o: unknown): unknown {
  if (kind === 'address') return slimAddress(o as Address);
  if (kind === 'route') return slimRoute(o as Route);
  if (kind === 'link') return slimLink(o as Link);
  return o;
}

/** Is this a slim object already (its `raw` an envelope)? Reading `raw` of a listed object decodes it. */
export function isSlim(o: { raw: NetlinkMessage }): boolean {
  return o.raw.attrs === undefined;
}
