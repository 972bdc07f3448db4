/**
 * Interface addresses: list, add, replace, delete, flush, and pipelined addBatch/deleteBatch
 * (ip address show/add/replace/del/flush). CIDR strings in, plain objects out.
 *
 * Requests follow iproute2: for IPv4 IFA_LOCAL is the address and IFA_ADDRESS the peer (or the
 * address again); for IPv6 IFA_ADDRESS is the address, and a peer is sent as IFA_LOCAL = address,
 * IFA_ADDRESS = peer. All IFA_F_* flags go in IFA_FLAGS (the header keeps their low 8 bits).
 */
import { NLM_F } from '../../protocol/netlink.js';
import { rtAddrSpec } from '../../protocol/rt-addr.js';
import { rtScopeEnum } from '../../protocol/rt-common.js';
import { utf8Length } from '../codec/values.js';
import type { NetlinkMessage, OutgoingMessage } from '../codec/message.js';
import type { BatchOptions, Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { InvalidArgumentError, notFoundOr } from './errors.js';
import { AddressStamps } from './address-stamps.js';
import { AddressRecord } from './record.js';
import type { LinkApi, LinkRef } from './links.js';
import {
  type Family,
  type ParsedPrefix,
  IFNAME_MAX_BYTES,
  checkBatchOptions,
  checkBool,
  checkFamily,
  checkLinkName,
  checkInt,
  checkRequestOptions,
  checkU32,
  parseAddress,
  parsePrefix,
} from './validate.js';

type Attrs = Record<string, any>;

/** ifa_cacheinfo / IFA_CACHEINFO lifetime meaning "forever" (INFINITY_LIFE_TIME). */
export const FOREVER = 0xffffffff;

/** IFA_F_* bits, from the rt-addr spec (the one table of them). */
const IFA_F: Readonly<Record<string, number>> = rtAddrSpec.definitions['ifa-flags'].entries;

/** Flags a caller may set on add/replace (the rest are state the kernel keeps). */
export type AddressFlag = 'nodad' | 'optimistic' | 'noprefixroute' | 'homeaddress' | 'managetempaddr' | 'mcautojoin';
const SETTABLE_FLAGS: readonly AddressFlag[] = ['nodad', 'optimistic', 'noprefixroute', 'homeaddress', 'managetempaddr', 'mcautojoin'];
/** iproute2's spellings of the same flags. */
const FLAG_ALIASES: Record<string, AddressFlag> = { home: 'homeaddress', mngtmpaddr: 'managetempaddr', autojoin: 'mcautojoin' };

const IFA_PROTO: Record<string, number> = { unspec: 0, kernel_lo: 1, kernel_ra: 2, kernel_ll: 3 };

/** RT_SCOPE_* by spec name, plus iproute2's 'global' for universe. */
const SCOPES: Record<string, number> = { ...rtScopeEnum.entries, global: 0 };

export type AddressScope = 'universe' | 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;

/** struct ifa_cacheinfo as decoded (spec member names; `prefered` is the kernel's spelling). */
export interface AddressCacheinfo {
  /** Preferred lifetime left, seconds (0xffffffff = forever). */
  prefered: number;
  /** Valid lifetime left, seconds (0xffffffff = forever). */
  valid: number;
  /** Created, in 1/100 s since boot. */
  cstamp: number;
  /** Last updated, in 1/100 s since boot. */
  tstamp: number;
}

/** An interface address as the kernel reports it, with friendly names. */
export interface Address {
  family: Family;
  /** Interface index. */
  index: number;
  prefixlen: number;
  /** The interface's own address: IFA_LOCAL when present, else IFA_ADDRESS. */
  address: string;
  /** `${address}/${prefixlen}`. */
  cidr: string;
  /** The other end of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL). */
  peer?: string;
  broadcast?: string;
  anycast?: string;
  multicast?: string;
  /** IPv4 label (e.g. 'eth0:1'); IPv6 addresses have none. */
  label?: string;
  /** RT_SCOPE_* name ('universe' is what ip prints as 'global', 'link', 'host'...) or its number. */
  scope: string | number;
  /**
   * IFA_F_* names from IFA_FLAGS when present, else from the header: 'permanent', 'secondary',
   * 'nodad', 'tentative', 'noprefixroute'... For IPv6, bit 0x01 is named 'temporary' (as ip prints it).
   */
  flags: (string | number)[];
  /** IFA_F_PERMANENT: configured without a finite lifetime. */
  permanent: boolean;
  /** Not permanent (ip prints 'dynamic'): a finite lifetime, SLAAC, DHCP... */
  dynamic: boolean;
  /** IFA_F_SECONDARY (IPv4) / IFA_F_TEMPORARY (IPv6). */
  secondary: boolean;
  /** Valid lifetime left in seconds; 0xffffffff (FOREVER) means forever, kept as a number. */
  validLifetime?: number;
  /** Preferred lifetime left in seconds; 0xffffffff (FOREVER) means forever, kept as a number. */
  preferredLifetime?: number;
  cacheinfo?: AddressCacheinfo;
  /** IFA_RT_PRIORITY: metric of the prefix route. */
  metric?: number;
  /** IFA_PROTO: who added it ('kernel_lo', 'kernel_ra', 'kernel_ll') or a user number. */
  proto?: string | number;
  /** The whole decoded message. */
  raw: NetlinkMessage;
}

export interface AddressListOptions extends RequestOptions {
  family?: Family;
  /** Only addresses of this link (filtered by the kernel with strict checking). */
  link?: LinkRef;
  /** Only this scope. */
  scope?: AddressScope;
  /** Only addresses whose IFA_LABEL matches: exact, or a glob with * and ? (like ip's `label PATTERN`). */
  label?: string;
}

export interface AddressAddOptions extends RequestOptions {
  /** The interface, by name or index. Required. */
  link: LinkRef;
  /** IPv4 only: must be the link's name or start with "<name>:" (e.g. 'eth0:web'), at most 15 bytes. */
  label?: string;
  /** IPv4 only: an address, '+' (host bits set, like `ip addr add ... broadcast +`) or '-' (host bits cleared). */
  broadcast?: string;
  anycast?: string;
  /**
   * Point-to-point peer, as an address or a prefix. As in iproute2 the prefix length then comes
   * from the peer (a bare peer address means a host prefix: /32 or /128).
   */
  peer?: string;
  /** Default: 'host' for 127.0.0.0/8, else 'universe' (global). */
  scope?: AddressScope;
  /** Seconds, or 'forever'. The other lifetime defaults to forever; preferred must not exceed valid. */
  validLifetime?: number | 'forever';
  preferredLifetime?: number | 'forever';
  flags?: (AddressFlag | 'home' | 'mngtmpaddr' | 'autojoin')[];
  /** IFA_RT_PRIORITY: metric of the prefix route the kernel adds. */
  metric?: number;
  /** IFA_PROTO: a name of the spec's ifa-proto enum or 0..255. */
  proto?: string | number;
  /** Replace an existing address instead of failing with EEXIST (NLM_F_REPLACE). */
  replace?: boolean;
}

export interface AddressDeleteOptions extends RequestOptions {
  link: LinkRef;
  /** The peer it was configured with, for point-to-point addresses. */
  peer?: string;
}

export interface AddressFlushOptions extends RequestOptions {
  link?: LinkRef;
  family?: Family;
  scope?: AddressScope;
  label?: string;
}

/** One address of addBatch: signal and timeoutMs go in the batch's options, not in items. */
export type AddressBatchAdd = Omit<AddressAddOptions, 'signal' | 'timeoutMs'> & { cidr: string };
export type AddressBatchDelete = { cidr: string; link: LinkRef; peer?: string };
export type AddressResult = { ok: true } | { ok: false; error: Error };

// ---------------------------------------------------------------------------------------------

function scopeValue(v: unknown, argument = 'scope'): number {
  if (typeof v === 'number') return checkInt(v, argument, 0, 255);
  if (typeof v === 'string' && Object.hasOwn(SCOPES, v)) return SCOPES[v]!;
  throw new InvalidArgumentError(argument, v, `must be one of ${Object.keys(SCOPES).join(', ')} or a number from 0 to 255`);
}

function scopeNumberOf(decoded: unknown): number | undefined {
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

function labelMatcher(pattern: unknown): (label: string | undefined) => boolean {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new InvalidArgumentError('label', pattern, 'must be a non-empty string');
  if (!/[*?]/.test(pattern)) return (l) => l === pattern;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return (l) => l !== undefined && re.test(l);
}

function checkLabelText(label: unknown): string {
  if (typeof label !== 'string' || label.length === 0) throw new InvalidArgumentError('label', label, 'must be a non-empty string');
  const bytes = utf8Length(label);
  if (bytes > IFNAME_MAX_BYTES) throw new InvalidArgumentError('label', label, `is ${bytes} bytes long; the kernel allows at most ${IFNAME_MAX_BYTES}`);
  if (label.includes('\0')) throw new InvalidArgumentError('label', label, 'must not contain NUL');
  return label;
}

/**
 * The label must be the device name or the name followed by ':' (as `ip address add` insists; the
 * kernel itself stores any label, but the ioctl/alias interfaces look addresses up by it).
 */
function checkLabelFor(label: string, ifname: string): void {
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

function mapLinkError(err: unknown, ref: LinkRef): unknown {
  return notFoundOr(err, 'link', ref);
}

/** A delete's failure: the link or the address (EADDRNOTAVAIL) not there is a NotFoundError. */
function mapDeleteError(err: unknown, cidr: string, ref: LinkRef): unknown {
  return notFoundOr(mapLinkError(err, ref), 'address', `${cidr} dev ${ref}`);
}

function checkLinkRef(ref: unknown): LinkRef {
  if (ref === undefined || ref === null) throw new InvalidArgumentError('link', ref, 'is required (an interface name or index)');
  if (typeof ref !== 'string' && typeof ref !== 'number') throw new InvalidArgumentError('link', ref, 'must be an interface name or index');
  return ref;
}

/** signal and timeoutMs belong to the whole batch (its options): in an item they would be ignored. */
function checkNoRequestOptions(it: { signal?: unknown; timeoutMs?: unknown }, i: number): void {
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
interface PreparedAdd {
  link: LinkRef;
  label?: string;
  build(index: number): OutgoingMessage;
}

interface PreparedDelete {
  link: LinkRef;
  family: Family;
  /** IPv6 without a prefix length: looked up, since the kernel matches prefixlen exactly. */
  needsPrefixlen: boolean;
  address: string;
  build(index: number, prefixlen?: number): OutgoingMessage;
}

// ---------------------------------------------------------------------------------------------

export class AddressApi {
  #stamps: AddressStamps | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly links: LinkApi,
  ) {}

  /**
   * Addresses in one RTM_GETADDR dump. Family and link are filtered by the kernel (strict checking
   * honours the header's ifa_index); scope and label here.
   */
  async list(opts?: AddressListOptions): Promise<Address[]> {
    const options = checkRequestOptions(opts);
    const family = options.family === undefined ? undefined : checkFamily(options.family);
    const scope = options.scope === undefined ? undefined : scopeValue(options.scope);
    const labelOk = options.label === undefined ? undefined : labelMatcher(options.label);
    const index = options.link === undefined ? 0 : await this.links.index(checkLinkRef(options.link), options);
    const header = { family: family ?? 'unspec', prefixlen: 0, flags: 0, scope: 0, index };
    let out = await this.conn.dumpMap({ kind: 'getaddr', header }, (m, bytes, offset) => (m.kind === 'newaddr' ? toAddress(m, bytes, offset) : undefined), options);
    // Also here: a kernel without strict checking ignores ifa_index (and old ones the family of IPv6 dumps).
    if (family !== undefined) out = out.filter((a) => a.family === family);
    if (index !== 0) out = out.filter((a) => a.index === index);
    if (scope !== undefined) out = out.filter((a) => scopeNumberOf(a.scope) === scope);
    if (labelOk) out = out.filter((a) => labelOk(a.label));
    return out;
  }

  /** Adds an address (ip address add): EEXIST when it is already there, unless `replace`. */
  async add(cidr: string, options: AddressAddOptions): Promise<void> {
    const p = this.prepareAdd(cidr, options, options?.replace);
    checkRequestOptions(options);
    // A link given by index, or a name the socket resolves at once, needs no await unless a
    // label needs the link's name.
    const index = (p.label === undefined ? this.links.indexNow(p.link, true) : undefined) ?? (await this.resolveFor(p, options));
    try {
      await this.conn.request(p.build(index), options);
    } catch (err) {
      throw mapLinkError(err, p.link);
    }
  }

  /** Adds or updates an address (ip address replace): lifetimes, flags, metric... change in place. */
  async replace(cidr: string, options: Omit<AddressAddOptions, 'replace'>): Promise<void> {
    return this.add(cidr, { ...options, replace: true });
  }

  /**
   * Deletes an address (ip address del). For IPv4 a bare address deletes it whatever its prefix
   * length; an IPv6 address without one is looked up first (the kernel matches it exactly).
   * NotFoundError (code EADDRNOTAVAIL) when there is no such address.
   */
  async delete(cidr: string, options: AddressDeleteOptions): Promise<void> {
    const p = this.prepareDelete(cidr, options);
    checkRequestOptions(options);
    const index = this.links.indexNow(p.link, true) ?? (await this.links.index(p.link, options));
    let prefixlen: number | undefined;
    if (p.needsPrefixlen) prefixlen = (await this.v6Prefixlens([index], options)).get(`${index} ${p.address}`);
    try {
      await this.conn.request(p.build(index, prefixlen), options);
    } catch (err) {
      throw mapDeleteError(err, cidr, p.link);
    }
  }

  /**
   * Deletes every address matching the filter (one dump, then pipelined deletes) and returns how
   * many are gone. Secondaries go first, so deleting a primary neither takes them along nor
   * promotes them; one that vanished meanwhile (EADDRNOTAVAIL) still counts as gone.
   * Like `ip address flush`, at least one filter is required.
   */
  async flush(opts?: AddressFlushOptions): Promise<number> {
    const options = checkRequestOptions(opts);
    const { link, family, scope, label } = options;
    if (link === undefined && family === undefined && scope === undefined && label === undefined) {
      throw new InvalidArgumentError('flush filter', options, "needs link, family, scope or label (like ip address flush); use { family: 'inet' } and { family: 'inet6' } for everything");
    }
    const found = await this.list(options);
    found.sort((a, b) => Number(b.secondary) - Number(a.secondary));
    const msgs = found.map(deleteMessageFor);
    const results = await this.conn.batch(msgs, options);
    let gone = 0;
    for (const r of results) {
      if (r.ok || (isNetlinkError(r.error) && r.error.code === 'EADDRNOTAVAIL')) gone++;
      else throw r.error;
    }
    return gone;
  }

  /**
   * Adds many addresses, pipelined. Everything is validated (and link names resolved) before
   * anything is sent; then each item succeeds or fails on its own, results in order.
   */
  async addBatch(items: readonly AddressBatchAdd[], opts?: BatchOptions): Promise<AddressResult[]> {
    const options = checkBatchOptions(opts);
    if (!Array.isArray(items)) throw new InvalidArgumentError('items', items, 'must be an array');
    const prepared = items.map((it, i) => {
      if (typeof it !== 'object' || it === null) throw new InvalidArgumentError(`item ${i}`, it, 'must be an object like { cidr, link }');
      checkNoRequestOptions(it, i);
      return this.prepareAdd(it.cidr, it, it.replace, `item ${i}: `);
    });
    // Each distinct link is looked up once; then the messages are built without further awaits.
    const found = new Map<LinkRef, { index: number; name?: string }>();
    for (const p of prepared) {
      const have = found.get(p.link);
      if (have === undefined || (p.label !== undefined && have.name === undefined)) found.set(p.link, await this.lookupLink(p.link, p.label !== undefined, options));
    }
    const msgs = prepared.map((p) => {
      const f = found.get(p.link)!;
      if (p.label !== undefined) checkLabelFor(p.label, f.name!);
      return p.build(f.index);
    });
    return this.runBatch(msgs, prepared, options);
  }

  /** Deletes many addresses, pipelined; per-item results in order (EADDRNOTAVAIL for missing ones). */
  async deleteBatch(items: readonly AddressBatchDelete[], opts?: BatchOptions): Promise<AddressResult[]> {
    const options = checkBatchOptions(opts);
    if (!Array.isArray(items)) throw new InvalidArgumentError('items', items, 'must be an array');
    const prepared = items.map((it, i) => {
      if (typeof it !== 'object' || it === null) throw new InvalidArgumentError(`item ${i}`, it, 'must be an object like { cidr, link }');
      return this.prepareDelete(it.cidr, it, `item ${i}: `);
    });
    const indexes = new Map<LinkRef, number>();
    for (const p of prepared) if (!indexes.has(p.link)) indexes.set(p.link, await this.links.index(p.link, options));
    const v6 = prepared.filter((p) => p.needsPrefixlen).map((p) => indexes.get(p.link)!);
    const lens = v6.length > 0 ? await this.v6Prefixlens(v6, options) : new Map<string, number>();
    const msgs = prepared.map((p) => {
      const index = indexes.get(p.link)!;
      return p.build(index, lens.get(`${index} ${p.address}`));
    });
    const cidrs = items.map((it) => it.cidr);
    return this.runBatch(msgs, prepared, options, cidrs);
  }

  // -------------------------------------------------------------------------------------------

  /** Prepared requests of the common shapes, made on first use. */
  private get stamps(): AddressStamps {
    return (this.#stamps ??= new AddressStamps(this.conn.codec));
  }

  /** Sends a batch; with `deleted` (the items' cidrs) an absent address is a NotFoundError too. */
  private async runBatch(
    msgs: OutgoingMessage[],
    prepared: { link: LinkRef }[],
    options: BatchOptions,
    deleted?: string[],
  ): Promise<AddressResult[]> {
    const results = await this.conn.batch(msgs, options);
    return results.map((r, i) => {
      if (r.ok) return { ok: true };
      const link = prepared[i]!.link;
      return { ok: false, error: (deleted ? mapDeleteError(r.error, deleted[i]!, link) : mapLinkError(r.error, link)) as Error };
    });
  }

  /** Resolves the link of an add and checks the label against its name. */
  private async resolveFor(p: PreparedAdd, options: RequestOptions): Promise<number> {
    const found = await this.lookupLink(p.link, p.label !== undefined, options);
    if (p.label !== undefined) checkLabelFor(p.label, found.name!);
    return found.index;
  }

  /** A link's index, and its name when asked for (a label must start with it). */
  private async lookupLink(link: LinkRef, needName: boolean, options: RequestOptions): Promise<{ index: number; name?: string }> {
    if (typeof link === 'string') return { index: await this.links.index(link, options), name: link };
    if (!needName) return { index: link };
    const l = await this.links.get(link, options);
    return { index: l.index, name: l.name };
  }

  /** Validates everything that needs no kernel, and returns the message builder. */
  private prepareAdd(cidr: string, o: AddressAddOptions, replace: boolean | undefined, where = ''): PreparedAdd {
    if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`${where}options`, o, 'must be an object with at least { link }');
    checkBool(replace, `${where}replace`);
    const link = checkLink(o.link, `${where}link`);
    const local = parsePrefix(cidr, `${where}address`);
    const v4 = local.family === 'inet';
    const nlFlags = replace ? NLM_F.REPLACE | NLM_F.CREATE : NLM_F.CREATE | NLM_F.EXCL;
    const scope = o.scope !== undefined ? scopeValue(o.scope, `${where}scope`) : v4 && local.bytes[0] === 127 ? SCOPES.host! : 0;
    const flags = flagBits(o.flags);
    if (
      o.peer === undefined && o.label === undefined && o.broadcast === undefined && o.anycast === undefined &&
      o.validLifetime === undefined && o.preferredLifetime === undefined && o.metric === undefined && o.proto === undefined
    ) {
      // The common shape: stamped from a prepared message (address-stamps.ts), same bytes.
      const stamps = this.stamps;
      return { link, build: (index) => ({ kind: 'newaddr', flags: nlFlags, encoded: stamps.add(local.family, local.bytes, local.prefixlen, flags, scope, index) }) };
    }
    let prefixlen = local.prefixlen;
    let peer: ParsedPrefix | undefined;
    if (o.peer !== undefined) {
      peer = parsePrefix(o.peer, `${where}peer`);
      if (peer.family !== local.family) throw new InvalidArgumentError(`${where}peer`, o.peer, `is not an ${local.family === 'inet' ? 'IPv4' : 'IPv6'} address like ${cidr}`);
      prefixlen = peer.prefixlen;
    }
    const attrs: Attrs = {};
    if (v4) {
      attrs.local = local.address;
      attrs.address = peer ? peer.address : local.address;
    } else if (peer) {
      attrs.local = local.address;
      attrs.address = peer.address;
    } else {
      attrs.address = local.address;
    }
    let label: string | undefined;
    if (o.label !== undefined) {
      if (!v4) throw new InvalidArgumentError(`${where}label`, o.label, 'labels are for IPv4 addresses only');
      label = checkLabelText(o.label);
      attrs.label = label;
    }
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
    attrs.flags = flags;
    if (o.validLifetime !== undefined || o.preferredLifetime !== undefined) {
      const valid = o.validLifetime === undefined ? FOREVER : lifetime(o.validLifetime, `${where}validLifetime`);
      const preferred = o.preferredLifetime === undefined ? FOREVER : lifetime(o.preferredLifetime, `${where}preferredLifetime`);
      if (valid === 0) throw new InvalidArgumentError(`${where}validLifetime`, o.validLifetime, 'must be at least 1 second');
      if (preferred > valid) {
        throw new InvalidArgumentError(
          `${where}preferredLifetime`,
          o.preferredLifetime ?? 'forever',
          `must not exceed validLifetime (${valid === FOREVER ? 'forever' : valid})${o.preferredLifetime === undefined ? '; give preferredLifetime too' : ''}`,
        );
      }
      attrs.cacheinfo = { prefered: preferred, valid, cstamp: 0, tstamp: 0 };
    }
    if (o.metric !== undefined) attrs.rtPriority = checkU32(o.metric, `${where}metric`);
    if (o.proto !== undefined) attrs.proto = protoValue(o.proto);
    const family = local.family;
    return {
      link,
      ...(label !== undefined && { label }),
      build: (index) => ({ kind: 'newaddr', flags: nlFlags, header: { family, prefixlen, flags: flags & 0xff, scope, index }, attrs: { ...attrs } }),
    };
  }

  private prepareDelete(cidr: string, o: { link: LinkRef; peer?: string }, where = ''): PreparedDelete {
    if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`${where}options`, o, 'must be an object with at least { link }');
    const link = checkLink(o.link, `${where}link`);
    const local = parsePrefix(cidr, `${where}address`);
    const explicit = typeof cidr === 'string' && cidr.includes('/');
    let peer: ParsedPrefix | undefined;
    if (o.peer !== undefined) {
      peer = parsePrefix(o.peer, `${where}peer`);
      if (peer.family !== local.family) throw new InvalidArgumentError(`${where}peer`, o.peer, `is not an ${local.family === 'inet' ? 'IPv4' : 'IPv6'} address like ${cidr}`);
    }
    const family = local.family;
    if (!peer) {
      const stamps = this.stamps;
      return {
        link,
        family,
        needsPrefixlen: family === 'inet6' && !explicit,
        address: local.address,
        // Stamped (address-stamps.ts): a bare IPv4 address goes without IFA_ADDRESS, so the kernel matches any prefix.
        build: (index, looked) =>
          ({ kind: 'deladdr', encoded: stamps.delete(family, local.bytes, family === 'inet6' && looked !== undefined ? looked : local.prefixlen, index, explicit) }),
      };
    }
    // A point-to-point address is named by both ends, with the peer's prefix length.
    const attrs: Attrs = { local: local.address, address: peer.address };
    return {
      link,
      family,
      needsPrefixlen: false,
      address: local.address,
      build: (index) => ({ kind: 'deladdr', header: { family, prefixlen: peer.prefixlen, flags: 0, scope: 0, index }, attrs }),
    };
  }

  /** `${index} ${address}` -> prefixlen of the IPv6 addresses on these links. */
  private async v6Prefixlens(indexes: number[], options: RequestOptions): Promise<Map<string, number>> {
    const unique = [...new Set(indexes)];
    const header = { family: 'inet6', prefixlen: 0, flags: 0, scope: 0, index: unique.length === 1 ? unique[0]! : 0 };
    const msgs = await this.conn.dump({ kind: 'getaddr', header }, options);
    const out = new Map<string, number>();
    for (const m of msgs) {
      if (m.kind !== 'newaddr') continue;
      const a = toAddress(m);
      if (a.family === 'inet6' && !a.peer) out.set(`${a.index} ${parseAddress(a.address).address}`, a.prefixlen);
    }
    return out;
  }
}

/** RTM_DELADDR for an address as listed (what flush sends). */
function deleteMessageFor(a: Address): OutgoingMessage {
  const attrs: Attrs = {};
  if (a.family === 'inet') {
    attrs.local = a.address;
    attrs.address = a.peer ?? a.address;
  } else if (a.peer) {
    attrs.local = a.address;
    attrs.address = a.peer;
  } else attrs.address = a.address;
  return { kind: 'deladdr', header: { family: a.family, prefixlen: a.prefixlen, flags: 0, scope: 0, index: a.index }, attrs };
}

/** Friendly view of a decoded RTM_NEWADDR (or RTM_DELADDR, e.g. from monitoring). */
export function toAddress(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Address {
  const h = (m.header ?? {}) as Attrs;
  const a = (m.attrs ?? {}) as Attrs;
  const family = h.family as Family;
  const local = a.local as string | undefined;
  const ifaAddress = a.address as string | undefined;
  const address = (local ?? ifaAddress) as string;
  let flags = ((a.flags ?? h.flags ?? []) as (string | number)[]).slice();
  if (family === 'inet6') flags = flags.map((f) => (f === 'secondary' ? 'temporary' : f));
  const permanent = flags.includes('permanent');
  const out = new AddressRecord(bytes ?? m, offset) as unknown as Address;
  out.family = family;
  out.index = h.index;
  out.prefixlen = h.prefixlen;
  out.address = address;
  out.cidr = `${address}/${h.prefixlen}`;
  out.scope = h.scope;
  out.flags = flags;
  out.permanent = permanent;
  out.dynamic = !permanent;
  out.secondary = flags.includes('secondary') || flags.includes('temporary');
  if (local !== undefined && ifaAddress !== undefined && ifaAddress !== local) out.peer = ifaAddress;
  if (a.broadcast !== undefined) out.broadcast = a.broadcast;
  if (a.anycast !== undefined) out.anycast = a.anycast;
  if (a.multicast !== undefined) out.multicast = a.multicast;
  if (a.label !== undefined) out.label = a.label;
  const ci = a.cacheinfo as AddressCacheinfo | undefined;
  if (ci && typeof ci === 'object' && !(ci instanceof Uint8Array)) {
    out.cacheinfo = ci;
    if (ci.valid !== undefined) out.validLifetime = ci.valid;
    if (ci.prefered !== undefined) out.preferredLifetime = ci.prefered;
  }
  if (a.rtPriority !== undefined) out.metric = a.rtPriority;
  if (a.proto !== undefined) out.proto = a.proto;
  return out;
}
