/**
 * Address requests: input checked before anything is sent, and the RTM_NEWADDR / RTM_DELADDR each
 * call sends, built once the link's index is known (stamped for the common shapes).
 *
 * Requests follow iproute2: for IPv4 IFA_LOCAL is the address and IFA_ADDRESS the peer (or the
 * address again); for IPv6 IFA_ADDRESS is the address, and a peer is sent as IFA_LOCAL = address,
 * IFA_ADDRESS = peer. All IFA_F_* flags go in IFA_FLAGS (the header keeps their low 8 bits).
 */
import { NLM_F } from '../../protocol/netlink.js';
import { rtAddrSpec } from '../../protocol/rt-addr.js';
import { rtScopeEnum } from '../../protocol/rt-common.js';
import type { OutgoingMessage } from '../codec/message.js';
import { utf8Length } from '../codec/values.js';
import type { AddressStamps } from './address-stamps.js';
import type { Address } from './address-fields.js';
import type { AddressAddOptions, AddressFlag } from './address-types.js';
import { InvalidArgumentError } from './errors.js';
import type { LinkRef } from './link-types.js';
import { type RequestAttrs, rtnlRequest } from './rtnl-messages.js';
import {
  type Family,
  type ParsedPrefix,
  IFNAME_MAX_BYTES,
  checkBool,
  checkInt,
  checkLinkName,
  checkU32,
  parseAddress,
  parsePrefix,
} from './validate.js';

type AddrAttrs = RequestAttrs<'newaddr'>;

/** ifa_cacheinfo / IFA_CACHEINFO lifetime meaning "forever" (INFINITY_LIFE_TIME). */
export const FOREVER = 0xffffffff;

/** IFA_F_* bits, from the rt-addr spec (the one table of them). */
const IFA_F: Readonly<Record<string, number>> = rtAddrSpec.definitions['ifa-flags'].entries;

const SETTABLE_FLAGS: readonly AddressFlag[] = ['nodad', 'optimistic', 'noprefixroute', 'homeaddress', 'managetempaddr', 'mcautojoin'];
/** iproute2's spellings of the same flags. */
const FLAG_ALIASES: Record<string, AddressFlag> = { home: 'homeaddress', mngtmpaddr: 'managetempaddr', autojoin: 'mcautojoin' };

/** IFAPROT_* by spec name. */
const IFA_PROTO: Readonly<Record<string, number>> = rtAddrSpec.definitions['ifa-proto'].entries;

/** RT_SCOPE_* by spec name, plus iproute2's 'global' for universe. */
const SCOPES: Record<string, number> = { ...rtScopeEnum.entries, global: 0 };

export function scopeValue(v: unknown, argument = 'scope'): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && Object.hasOwn(SCOPES, v)) return SCOPES[v]!;
  throw new InvalidArgumentError(argument, v, `must be one of ${Object.keys(SCOPES).join(', ')} or a number from 0 to 255`);
}

export function scopeNumberOf(decoded: unknown): number | undefined {
  if (typeof decoded === 'number') return decoded;
  if (typeof decoded === 'string') return SCOPES[decoded];
  return undefined;
}

function protoValue(v: unknown): number {
  if (typeof v === 'number') return checkInt(v, 'proto', 0, 255);
  if (typeof v === 'string' && Object.hasOwn(IFA_PROTO, v)) return IFA_PROTO[v]!;
  throw new InvalidArgumentError('proto', v, `must be one of ${Object.keys(IFA_PROTO).join(', ')} or a number from 0 to 255`);
}

function lifetime(v: unknown, argument: string): number {
  if (v === 'forever') return FOREVER;
  return checkU32(v, argument);
}

function flagBits(flags: unknown): number {
  if (flags === undefined) return 0;
  if (!Array.isArray(flags)) throw new InvalidArgumentError('flags', flags, `must be a list of flag names (${SETTABLE_FLAGS.join(', ')})`);
  let n = 0;
  for (const f of flags) {
    const name = typeof f === 'string' ? (FLAG_ALIASES[f] ?? f) : f;
    if (typeof name !== 'string' || !(SETTABLE_FLAGS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError('flag', f, `must be one of ${SETTABLE_FLAGS.join(', ')}`);
    }
    n |= IFA_F[name]!;
  }
  return n;
}

export function labelMatcher(pattern: unknown): (label: string | undefined) => boolean {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new InvalidArgumentError('label', pattern, 'must be a non-empty string');
  if (!/[*?]/.test(pattern)) return (l) => l === pattern;
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    's',
  );
  return (l) => l !== undefined && re.test(l);
}

function checkLabelText(label: unknown): string {
  if (typeof label !== 'string' || label.length === 0) throw new InvalidArgumentError('label', label, 'must be a non-empty string');
  const bytes = utf8Length(label);
  if (bytes > IFNAME_MAX_BYTES) {
    throw new InvalidArgumentError('label', label, `is ${bytes} bytes long; the kernel allows at most ${IFNAME_MAX_BYTES}`);
  }
  if (label.includes('\0')) throw new InvalidArgumentError('label', label, 'must not contain NUL');
  return label;
}

/**
 * The label must be the device name or the name followed by ':' (as `ip address add` insists; the
 * kernel itself stores any label, but the ioctl/alias interfaces look addresses up by it).
 */
export function checkLabelFor(label: string, ifname: string): void {
  if (label === ifname || label.startsWith(ifname + ':')) return;
  throw new InvalidArgumentError('label', label, `must be the interface name "${ifname}" or start with "${ifname}:" (e.g. "${ifname}:1")`);
}

/** IPv4 broadcast of a prefix: host bits set ('+') or cleared ('-'). */
function broadcastOf(p: ParsedPrefix, set: boolean): string {
  const b = p.bytes.slice();
  for (let bit = p.prefixlen; bit < 32; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (set) b[bit >> 3]! |= mask;
    else b[bit >> 3]! &= ~mask;
  }
  return Array.from(b).join('.');
}

export function checkLinkRef(ref: unknown): LinkRef {
  if (ref === undefined || ref === null) throw new InvalidArgumentError('link', ref, 'is required (an interface name or index)');
  if (typeof ref !== 'string' && typeof ref !== 'number') throw new InvalidArgumentError('link', ref, 'must be an interface name or index');
  return ref;
}

/** signal and timeoutMs belong to the whole batch (its options): in an item they would be ignored. */
export function checkNoRequestOptions(it: { signal?: unknown; timeoutMs?: unknown }, i: number): void {
  if (it.signal !== undefined || it.timeoutMs !== undefined) {
    throw new InvalidArgumentError(`item ${i}`, it, 'signal and timeoutMs apply to the whole batch: give them in the batch options');
  }
}

/** The last link that passed checkLink: a batch names the same one a thousand times. */
let lastGoodLink: LinkRef | undefined;

/** A link by name (a valid interface name) or index (1..2^31-1). */
function checkLink(ref: unknown, argument: string): LinkRef {
  if (lastGoodLink !== undefined && ref === lastGoodLink) return lastGoodLink;
  const link = checkLinkRef(ref);
  if (typeof link === 'number') checkInt(link, argument, 1, 0x7fffffff);
  else checkLinkName(link, argument);
  lastGoodLink = link;
  return link;
}

/** What an add/replace needs once validated, before the link is resolved. */
export interface PreparedAdd {
  link: LinkRef;
  label?: string;
  build(index: number): OutgoingMessage;
}

export interface PreparedDelete {
  link: LinkRef;
  family: Family;
  /** IPv6 without a prefix length: looked up, since the kernel matches prefixlen exactly. */
  needsPrefixlen: boolean;
  address: string;
  build(index: number, prefixlen?: number): OutgoingMessage;
}

/** An add with nothing but the address, its flags and scope: the shape address-stamps.ts stamps. */
function commonShape(o: AddressAddOptions): boolean {
  return (
    o.peer === undefined &&
    o.label === undefined &&
    o.broadcast === undefined &&
    o.anycast === undefined &&
    o.validLifetime === undefined &&
    o.preferredLifetime === undefined &&
    o.metric === undefined &&
    o.proto === undefined
  );
}

/** Validates everything an add needs no kernel for, and returns its message builder. */
export function prepareAdd(stamps: AddressStamps, cidr: string, o: AddressAddOptions, replace: boolean | undefined, where = ''): PreparedAdd {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`${where}options`, o, 'must be an object with at least { link }');
  checkBool(replace, `${where}replace`);
  const link = checkLink(o.link, `${where}link`);
  const local = parsePrefix(cidr, `${where}address`);
  const v4 = local.family === 'inet';
  const nlFlags = replace ? NLM_F.REPLACE | NLM_F.CREATE : NLM_F.CREATE | NLM_F.EXCL;
  const scope = o.scope !== undefined ? scopeValue(o.scope, `${where}scope`) : v4 && local.bytes[0] === 127 ? SCOPES.host! : 0;
  const flags = flagBits(o.flags);
  if (commonShape(o)) {
    const { family, bytes, prefixlen } = local;
    return { link, build: (index) => ({ kind: 'newaddr', flags: nlFlags, encoded: stamps.add(family, bytes, prefixlen, flags, scope, index) }) };
  }
  let prefixlen = local.prefixlen;
  let peer: ParsedPrefix | undefined;
  if (o.peer !== undefined) {
    peer = parsePrefix(o.peer, `${where}peer`);
    if (peer.family !== local.family) {
      throw new InvalidArgumentError(`${where}peer`, o.peer, `is not an ${local.family === 'inet' ? 'IPv4' : 'IPv6'} address like ${cidr}`);
    }
    prefixlen = peer.prefixlen;
  }
  const attrs = endsAttrs(local, peer);
  let label: string | undefined;
  if (o.label !== undefined) {
    if (!v4) throw new InvalidArgumentError(`${where}label`, o.label, 'labels are for IPv4 addresses only');
    label = checkLabelText(o.label);
    attrs.label = label;
  }
  addOptionalAttrs(attrs, o, local, peer, prefixlen, where);
  attrs.flags = flags;
  addLifetimes(attrs, o, where);
  if (o.metric !== undefined) attrs.rtPriority = checkU32(o.metric, `${where}metric`);
  if (o.proto !== undefined) attrs.proto = protoValue(o.proto);
  const family = local.family;
  return {
    link,
    ...(label !== undefined && { label }),
    build: (index) =>
      rtnlRequest({ kind: 'newaddr', flags: nlFlags, header: { family, prefixlen, flags: flags & 0xff, scope, index }, attrs: { ...attrs } }),
  };
}

/** IFA_LOCAL and IFA_ADDRESS as iproute2 sends them (see the top of this file). */
function endsAttrs(local: ParsedPrefix, peer: ParsedPrefix | undefined): AddrAttrs {
  if (local.family === 'inet') return { local: local.address, address: peer ? peer.address : local.address };
  return peer ? { local: local.address, address: peer.address } : { address: local.address };
}

/** IFA_BROADCAST and IFA_ANYCAST of an add. */
function addOptionalAttrs(
  attrs: AddrAttrs,
  o: AddressAddOptions,
  local: ParsedPrefix,
  peer: ParsedPrefix | undefined,
  prefixlen: number,
  where: string,
): void {
  const v4 = local.family === 'inet';
  if (o.broadcast !== undefined) {
    if (!v4) throw new InvalidArgumentError(`${where}broadcast`, o.broadcast, 'broadcast addresses are IPv4 only');
    if (o.broadcast === '+' || o.broadcast === '-') {
      // As iproute2: computed from the peer prefix when there is one; none for /31 and /32.
      const base = peer ?? { ...local, prefixlen };
      if (prefixlen <= 30) attrs.broadcast = broadcastOf({ ...base, prefixlen }, o.broadcast === '+');
    } else {
      const b = parseAddress(o.broadcast, `${where}broadcast`);
      if (b.family !== 'inet') throw new InvalidArgumentError(`${where}broadcast`, o.broadcast, "must be an IPv4 address, '+' or '-'");
      attrs.broadcast = b.address;
    }
  }
  if (o.anycast !== undefined) {
    const a = parseAddress(o.anycast, `${where}anycast`);
    if (a.family !== local.family) throw new InvalidArgumentError(`${where}anycast`, o.anycast, `must be an ${v4 ? 'IPv4' : 'IPv6'} address`);
    attrs.anycast = a.address;
  }
}

/** IFA_CACHEINFO from validLifetime / preferredLifetime (the other one forever). */
function addLifetimes(attrs: AddrAttrs, o: AddressAddOptions, where: string): void {
  if (o.validLifetime === undefined && o.preferredLifetime === undefined) return;
  const valid = o.validLifetime === undefined ? FOREVER : lifetime(o.validLifetime, `${where}validLifetime`);
  const preferred = o.preferredLifetime === undefined ? FOREVER : lifetime(o.preferredLifetime, `${where}preferredLifetime`);
  if (valid === 0) throw new InvalidArgumentError(`${where}validLifetime`, o.validLifetime, 'must be at least 1 second');
  if (preferred > valid) {
    throw new InvalidArgumentError(
      `${where}preferredLifetime`,
      o.preferredLifetime ?? 'forever',
      `must not exceed validLifetime (${valid === FOREVER ? 'forever' : valid})` +
        (o.preferredLifetime === undefined ? '; give preferredLifetime too' : ''),
    );
  }
  attrs.cacheinfo = { prefered: preferred, valid, cstamp: 0, tstamp: 0 };
}

/** Validates a delete and returns its message builder. */
export function prepareDelete(stamps: AddressStamps, cidr: string, o: { link: LinkRef; peer?: string }, where = ''): PreparedDelete {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`${where}options`, o, 'must be an object with at least { link }');
  const link = checkLink(o.link, `${where}link`);
  const local = parsePrefix(cidr, `${where}address`);
  const explicit = typeof cidr === 'string' && cidr.includes('/');
  let peer: ParsedPrefix | undefined;
  if (o.peer !== undefined) {
    peer = parsePrefix(o.peer, `${where}peer`);
    if (peer.family !== local.family) {
      throw new InvalidArgumentError(`${where}peer`, o.peer, `is not an ${local.family === 'inet' ? 'IPv4' : 'IPv6'} address like ${cidr}`);
    }
  }
  const family = local.family;
  if (!peer) {
    return {
      link,
      family,
      needsPrefixlen: family === 'inet6' && !explicit,
      address: local.address,
      // Stamped (address-stamps.ts): a bare IPv4 address goes without IFA_ADDRESS, so the kernel matches any prefix.
      build: (index, looked) => {
        const prefixlen = family === 'inet6' && looked !== undefined ? looked : local.prefixlen;
        return { kind: 'deladdr', encoded: stamps.delete(family, local.bytes, prefixlen, index, explicit) };
      },
    };
  }
  // A point-to-point address is named by both ends, with the peer's prefix length.
  const attrs: AddrAttrs = { local: local.address, address: peer.address };
  return {
    link,
    family,
    needsPrefixlen: false,
    address: local.address,
    build: (index) => rtnlRequest({ kind: 'deladdr', header: { family, prefixlen: peer.prefixlen, flags: 0, scope: 0, index }, attrs }),
  };
}

/** RTM_DELADDR for an address as listed (what flush sends). */
export function deleteMessageFor(a: Address): OutgoingMessage {
  const attrs: AddrAttrs = {};
  if (a.family === 'inet') {
    attrs.local = a.address;
    attrs.address = a.peer ?? a.address;
  } else if (a.peer) {
    attrs.local = a.address;
    attrs.address = a.peer;
  } else attrs.address = a.address;
  return rtnlRequest({ kind: 'deladdr', header: { family: a.family, prefixlen: a.prefixlen, flags: 0, scope: 0, index: a.index }, attrs });
}
