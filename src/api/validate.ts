/**
 * Input checks shared by the API: everything a person can get wrong is refused here, with a
 * sentence saying why, before a request is built. IP parsing is ipaddr.js's (see docs/dependencies.md).
 */
import { addressFamilyEnum } from '../../protocol/rt-common.js';
import ipaddr from '../deps/ipaddr.js';
import { formatIPv4, formatIPv6, parseHwaddr, parseIPv4, utf8Length } from '../codec/values.js';
import { InvalidArgumentError } from './errors.js';

export type Family = 'inet' | 'inet6';

/** IFNAMSIZ is 16 including the NUL. */
export const IFNAME_MAX_BYTES = 15;
/** ALTIFNAMSIZ is 128 including the NUL. */
export const ALTIFNAME_MAX_BYTES = 127;

const utf8 = new TextEncoder();

/**
 * A new interface name as the kernel's dev_valid_name() accepts it: 1-15 bytes, not "." or "..", no
 * '/', ':' or whitespace byte. Its isspace() (lib/ctype.c) counts \t\n\v\f\r, space and 0xa0, a
 * byte of the UTF-8 of 'à', U+00A0 and others: such names are refused there, so here too.
 */
export function checkIfname(name: unknown, argument = 'interface name', maxBytes = IFNAME_MAX_BYTES): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(argument, name, 'must be a string');
  if (name.length === 0) throw new InvalidArgumentError(argument, name, 'must not be empty');
  const bytes = utf8Length(name);
  if (bytes > maxBytes) throw new InvalidArgumentError(argument, name, `is ${bytes} bytes long; the kernel allows at most ${maxBytes}`);
  if (name === '.' || name === '..') throw new InvalidArgumentError(argument, name, 'cannot be "." or ".."');
  if (name.includes('\0')) throw new InvalidArgumentError(argument, name, 'must not contain NUL');
  if (/[/:\t\n\v\f\r ]/.test(name)) throw new InvalidArgumentError(argument, name, "must not contain '/', ':' or whitespace");
  if (bytes !== name.length && utf8.encode(name).includes(0xa0)) {
    throw new InvalidArgumentError(argument, name, 'has a character whose UTF-8 holds byte 0xa0, which the kernel counts as whitespace');
  }
  return name;
}

/**
 * A name to find a link by (its name or one of its alternative names), or a new alternative name:
 * 1-127 bytes (ALTIFNAMSIZ), no '/', whitespace or NUL, as ip's check_altifname(). The kernel checks
 * only an altname's length, so "." or "a:b" can be one.
 */
export function checkLinkName(name: unknown, argument = 'interface name'): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(argument, name, 'must be a string');
  if (name.length === 0) throw new InvalidArgumentError(argument, name, 'must not be empty');
  const bytes = utf8Length(name);
  if (bytes > ALTIFNAME_MAX_BYTES) {
    throw new InvalidArgumentError(argument, name, `is ${bytes} bytes long; the kernel allows at most ${ALTIFNAME_MAX_BYTES}`);
  }
  if (name.includes('\0')) throw new InvalidArgumentError(argument, name, 'must not contain NUL');
  if (/[/\t\n\v\f\r ]/.test(name)) throw new InvalidArgumentError(argument, name, "must not contain '/' or whitespace");
  return name;
}

export function checkInt(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidArgumentError(argument, value, 'must be an integer');
  if (value < min || value > max) throw new InvalidArgumentError(argument, value, `must be between ${min} and ${max}`);
  return value;
}

export const checkU8 = (v: unknown, a: string) => checkInt(v, a, 0, 0xff);
export const checkU16 = (v: unknown, a: string) => checkInt(v, a, 0, 0xffff);
export const checkU32 = (v: unknown, a: string) => checkInt(v, a, 0, 0xffffffff);

export interface ParsedAddress {
  family: Family;
  address: string;
  bytes: Uint8Array;
}

export interface ParsedPrefix extends ParsedAddress {
  prefixlen: number;
}

export function familyOfBytes(b: Uint8Array): Family {
  return b.length === 4 ? 'inet' : 'inet6';
}

/** An IPv4 address in full dotted-quad form, or any IPv6 text form. */
export function parseAddress(text: unknown, argument = 'address'): ParsedAddress {
  if (typeof text !== 'string') throw new InvalidArgumentError(argument, text, 'must be a string');
  if (text.includes('%'))
    throw new InvalidArgumentError(argument, text, 'zone ids (%eth0) are not part of an address here; give the device separately');
  // Dotted quads without leading zeros (no octal ambiguity) parse by hand: bulk adds parse thousands.
  const v4 = text.includes(':') ? undefined : parseIPv4(text);
  if (v4) return { family: 'inet', address: text, bytes: v4 };
  if (!text.includes(':') || !ipaddr().IPv6.isValid(text)) {
    throw new InvalidArgumentError(argument, text, 'is not an IPv4 address (a.b.c.d) or an IPv6 address');
  }
  const bytes = Uint8Array.from(ipaddr().IPv6.parse(text).toByteArray());
  return { family: 'inet6', address: formatIPv6(bytes, 0), bytes };
}

/**
 * "10.0.0.1/24", "2001:db8::1/64", or a bare address (a host prefix). Host bits may be set:
 * "10.0.0.1/24" names the address 10.0.0.1 on a /24, as `ip addr add` reads it.
 */
export function parsePrefix(text: unknown, argument = 'prefix'): ParsedPrefix {
  if (typeof text !== 'string') throw new InvalidArgumentError(argument, text, 'must be a string like 10.0.0.1/24');
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  let a: ParsedAddress;
  try {
    a = parseAddress(addrText, argument);
  } catch {
    throw new InvalidArgumentError(argument, text, `"${addrText}" is not an IPv4 or IPv6 address`);
  }
  const max = a.family === 'inet' ? 32 : 128;
  let prefixlen = max;
  if (slash >= 0) {
    prefixlen = prefixLength(text, slash + 1);
    if (prefixlen < 0 || prefixlen > max) throw new InvalidArgumentError(argument, text, `prefix length must be a number from 0 to ${max}`);
  }
  return { family: a.family, address: a.address, bytes: a.bytes, prefixlen };
}

/** One to three decimal digits from `at` to the end of `text`, or -1. */
function prefixLength(text: string, at: number): number {
  const n = text.length - at;
  if (n < 1 || n > 3) return -1;
  let v = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The network of a prefix with host bits cleared (routes are keyed by it). */
export function networkOf(p: ParsedPrefix): ParsedPrefix {
  const bytes = p.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, p.prefixlen - i * 8));
    bytes[i]! &= (0xff << (8 - bitsHere)) & 0xff;
  }
  const addr = bytes.length === 4 ? formatIPv4(bytes, 0) : formatIPv6(bytes, 0);
  return { family: p.family, address: addr, bytes, prefixlen: p.prefixlen };
}

export function parseMac(text: unknown, argument = 'hardware address'): string {
  if (typeof text !== 'string') throw new InvalidArgumentError(argument, text, 'must be a string like 02:00:00:00:00:01');
  const b = parseHwaddr(text);
  if (!b || b.length === 0 || b.length > 32)
    throw new InvalidArgumentError(argument, text, 'must be hex bytes separated by colons, like 02:00:00:00:00:01');
  return text.toLowerCase();
}

export function checkFamily(f: unknown, argument = 'family'): Family {
  if (f === 'inet' || f === 'inet6') return f;
  if (f === 4 || f === 'ipv4') return 'inet';
  if (f === 6 || f === 'ipv6') return 'inet6';
  throw new InvalidArgumentError(argument, f, "must be 'inet' (IPv4) or 'inet6' (IPv6)");
}

/** AF_* numbers, from the spec. */
export const AF = addressFamilyEnum.entries;

export function checkOneOf<T extends string>(value: unknown, argument: string, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidArgumentError(argument, value, `must be one of ${allowed.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Options objects: checked as a whole, so that null, a string or an array where options go is an
// InvalidArgumentError rather than a TypeError from deep inside.

const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/** An options argument: undefined (none) or a plain object, never null, an array or a primitive. */
export function checkOptions<T extends object>(o: T | undefined, argument = 'options'): T {
  if (o === undefined) return NO_OPTIONS as T;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidArgumentError(argument, o, 'must be an object');
  return o;
}

/** A required object argument (a link to add, a route, a rule...): present, and a plain object. */
export function checkObject<T extends object>(o: T, argument: string, hint = 'must be an object'): T {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidArgumentError(argument, o, hint);
  return o;
}

/** Longest timeout setTimeout honours (a longer one fires at once). */
const MAX_TIMEOUT_MS = 0x7fffffff;

/** `signal` and `timeoutMs` of any request's options, checked before anything is sent. */
export function checkRequestOptions<T extends { signal?: AbortSignal; timeoutMs?: number }>(o: T | undefined, argument = 'options'): T {
  const opts = checkOptions(o, argument);
  const { signal, timeoutMs } = opts;
  if (signal !== undefined) checkSignal(signal);
  if (timeoutMs !== undefined) checkTimeoutMs(timeoutMs);
  return opts;
}

export function checkSignal(signal: unknown, argument = 'signal'): AbortSignal {
  const s = signal as AbortSignal | null;
  if (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') {
    throw new InvalidArgumentError(argument, signal, 'must be an AbortSignal');
  }
  return s;
}

export function checkTimeoutMs(v: unknown, argument = 'timeoutMs'): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_TIMEOUT_MS)) {
    throw new InvalidArgumentError(argument, v, `must be a number of milliseconds from 0 (no timeout) to ${MAX_TIMEOUT_MS}`);
  }
  return v;
}

/** A pipelined batch's options: a request's, plus `window` (requests per datagram, 1 or more). */
export function checkBatchOptions<T extends { signal?: AbortSignal; timeoutMs?: number; window?: number }>(o: T | undefined): T {
  const opts = checkRequestOptions(o);
  if (opts.window !== undefined) checkInt(opts.window, 'window', 1, 0x7fffffff);
  return opts;
}

/** An optional flag: undefined, true or false (0, 'no' and the like would be read as truthy or falsy). */
export function checkBool(v: unknown, argument: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(argument, v, 'must be true or false');
  return v;
}
