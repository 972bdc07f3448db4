/**
 * Neighbours (ARP / NDP entries and proxy entries): list, add, replace, delete, flush.
 * Listing mirrors `ip neigh show`: the kernel filters by device and master (NDA_IFINDEX,
 * NDA_MASTER under strict checking), the state filter is applied here exactly as ip applies it.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { rtNeighSpec } from '../../protocol/rt-neigh.js';
import type { NetlinkMessage } from '../codec/message.js';
import { RawRecord, recordKind } from '../codec/record.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import type {
  RtNeighAddressFamily,
  RtNeighNdaCacheinfo,
  RtNeighNdmsg,
  RtNeighNtfFlags,
  RtNeighNudState,
  RtNeighRtProtocol,
} from '../generated/index.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import { InvalidArgumentError, notFoundOr } from './errors.js';
import type { LinkApi, LinkRef } from './links.js';
import { type Friendly, type RequestAttrs, type RequestHeader, type RtnlMessage, isKind, rtnlRequest } from './rtnl-messages.js';
import { type Family, checkFamily, checkOneOf, checkRequestOptions, parseAddress, parseMac } from './validate.js';

type NeighMessage = RtnlMessage<'newneigh'>;

/** NUD_* state names as the spec (and `ip neigh ... nud NAME`) spell them. */
export const NUD_STATES = ['permanent', 'reachable', 'stale', 'noarp', 'delay', 'probe', 'failed', 'incomplete', 'none'] as const;
export type NudState = (typeof NUD_STATES)[number];

/** NUD_* bits and NTF_* bits, from the rt-neigh spec (the one table of them). */
const NUD: Readonly<Record<NudState, number>> = rtNeighSpec.definitions['nud-state'].entries;
const NTF: Readonly<Record<string, number>> = rtNeighSpec.definitions['ntf-flags'].entries;

/** struct nda_cacheinfo: clock_t ticks (USER_HZ) since the entry was last confirmed / used / updated; refcnt. */
export type NeighbourCacheinfo = Required<Omit<RtNeighNdaCacheinfo, '_tail'>>;

/** A neighbour entry as the kernel reports it, with friendly names. */
export interface Neighbour {
  /** 'inet', 'inet6' (or 'bridge' for fdb entries, or the number). */
  family: Friendly<RtNeighAddressFamily>;
  /** Interface index (ndm_ifindex). */
  index: number;
  dst?: string;
  lladdr?: string;
  /** NUD_* names, e.g. ['permanent'], ['stale']; ['none'] when no bit is set (always for proxy entries). */
  state: Friendly<RtNeighNudState>;
  /** NTF_* names: 'router', 'proxy', 'ext_learned'... */
  flags: Friendly<RtNeighNtfFlags>;
  router: boolean;
  proxy: boolean;
  extLearned: boolean;
  vlan?: number;
  master?: number;
  probes?: number;
  protocol?: Friendly<RtNeighRtProtocol>;
  cacheinfo?: NeighbourCacheinfo;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

export interface NeighbourFilter {
  /** 'inet' or 'inet6' (also 4 / 6); both when omitted. */
  family?: Family | 4 | 6;
  /** Only entries on this device (filtered by the kernel). */
  dev?: LinkRef;
  /** Only entries on ports of this master (filtered by the kernel). */
  master?: LinkRef;
  /**
   * Proxy entries instead of ordinary ones: the kernel dumps one kind or the other
   * (ndm_flags NTF_PROXY in the request), as `ip neigh show proxy` does.
   */
  proxy?: boolean;
  /** Only entries in one of these states ('none' matches entries with no state bit). */
  state?: NudState | readonly NudState[];
  /** Every entry, whatever its state (`nud all`). */
  all?: boolean;
}

export interface NeighbourListOptions extends RequestOptions, NeighbourFilter {}

export interface NeighbourAddOptions extends RequestOptions {
  /** Device of the entry (name or index). Required. */
  dev: LinkRef;
  /** Link-layer address; needed by the kernel for a new valid (permanent, reachable...) entry on an Ethernet-like device. */
  lladdr?: string;
  /** NUD state, default 'permanent' (as `ip neigh add`). */
  state?: NudState;
  /** A proxy entry (answer ARP / NS for dst on dev): no link-layer address, no state. */
  proxy?: boolean;
  /** NTF_ROUTER (IPv6: the neighbour is a router). */
  router?: boolean;
  /** NTF_EXT_LEARNED: learned by an external control plane. */
  extLearned?: boolean;
  /** NDA_PROTOCOL: who installed the entry ('static', 'zebra'... or a number). */
  protocol?: string | number;
}

export interface NeighbourDeleteOptions extends RequestOptions {
  dev: LinkRef;
  proxy?: boolean;
}

export interface NeighbourFlushOptions extends RequestOptions, NeighbourFilter {}

/** A checked filter: family normalised, state as a list. */
type CheckedFilter = Omit<NeighbourFilter, 'state' | 'family'> & { family?: Family; state?: NudState[] };

/** What `ip neigh show` hides unless `nud all`: entries whose only state is NOARP, or with no state. */
const SHOW_DEFAULT_MASK = 0xff & ~NUD.noarp;
/** What `ip neigh flush` removes by default: everything but PERMANENT and NOARP entries. */
const FLUSH_DEFAULT_MASK = 0xff & ~(NUD.permanent | NUD.noarp);
const NTF_PROXY = NTF.proxy!;
const NTF_EXT_LEARNED = NTF.ext_learned!;

export class NeighbourApi {
  constructor(
    private readonly conn: Connection,
    private readonly links: LinkApi,
  ) {}

  /** Neighbour entries, like `ip neigh show` (add `all: true` for `nud all`, `proxy: true` for `ip neigh show proxy`). */
  async list(options: NeighbourListOptions = {}): Promise<Neighbour[]> {
    const filter = this.checkFilter(options);
    const msgs = await this.dumpRaw(filter, options);
    const keep = stateFilter(filter, SHOW_DEFAULT_MASK, false);
    return msgs.filter(keep).map((m) => toNeighbour(m));
  }

  /** Creates an entry (NLM_F_CREATE | NLM_F_EXCL: EEXIST when one exists for dst on dev). */
  async add(dst: string, options: NeighbourAddOptions): Promise<void> {
    await this.modify(dst, options, NLM_F.CREATE | NLM_F.EXCL);
  }

  /** Creates or overwrites an entry (NLM_F_CREATE | NLM_F_REPLACE, `ip neigh replace`). */
  async replace(dst: string, options: NeighbourAddOptions): Promise<void> {
    await this.modify(dst, options, NLM_F.CREATE | NLM_F.REPLACE);
  }

  /** Deletes the entry for dst on dev; NotFoundError when there is none. */
  async delete(dst: string, options: NeighbourDeleteOptions): Promise<void> {
    const addr = parseAddress(dst, 'neighbour address');
    checkOptions(options);
    if (options.dev === undefined) throw new InvalidArgumentError('dev', undefined, 'is required: a neighbour entry belongs to a device');
    checkBool(options.proxy, 'proxy');
    const ifindex = await this.links.index(options.dev, options);
    const header = { family: addr.family, ifindex, flags: options.proxy ? ['proxy' as const] : [] };
    try {
      await this.conn.request(rtnlRequest({ kind: 'delneigh', header, attrs: { dst: addr.bytes } }), options);
    } catch (err) {
      throw notFoundOr(notFoundOr(err, 'link', options.dev), options.proxy ? 'proxy neighbour' : 'neighbour', `${addr.address} dev ${options.dev}`);
    }
  }

  /**
   * Deletes the entries that match, like `ip neigh flush`: by default every entry except PERMANENT
   * and NOARP ones (`all: true` for every entry, `state` to choose, `proxy: true` for proxy entries).
   * Returns how many were deleted.
   */
  async flush(options: NeighbourFlushOptions = {}): Promise<number> {
    const filter = this.checkFilter(options);
    const msgs = (await this.dumpRaw(filter, options)).filter(stateFilter(filter, FLUSH_DEFAULT_MASK, true));
    if (msgs.length === 0) return 0;
    const requests = msgs.map((m) => {
      const h = m.header!;
      const header = { family: h.family, ifindex: h.ifindex, flags: flagBits(h.flags) & NTF_PROXY };
      return rtnlRequest({ kind: 'delneigh', header, attrs: { dst: m.attrs?.dst } });
    });
    const results = await this.conn.batch(requests, options);
    let count = 0;
    let firstError: Error | undefined;
    for (const r of results) {
      if (r.ok) count++;
      // Gone in the meantime (expired, deleted by someone else): nothing to flush.
      else if (!(isNetlinkError(r.error) && r.error.code === 'ENOENT')) firstError ??= r.error;
    }
    if (firstError) throw firstError;
    return count;
  }

  // -------------------------------------------------------------------------------------------

  private async modify(dst: string, o: NeighbourAddOptions, flags: number): Promise<void> {
    const addr = parseAddress(dst, 'neighbour address');
    checkOptions(o);
    if (o.dev === undefined) throw new InvalidArgumentError('dev', undefined, 'is required: a neighbour entry belongs to a device');
    const state = o.state === undefined ? 'permanent' : checkOneOf(o.state, 'state', NUD_STATES);
    checkBool(o.proxy, 'proxy');
    checkBool(o.router, 'router');
    checkBool(o.extLearned, 'extLearned');
    const attrs: RequestAttrs<'newneigh'> = { dst: addr.bytes };
    if (o.lladdr !== undefined) {
      if (o.proxy) throw new InvalidArgumentError('lladdr', o.lladdr, 'proxy entries have no link-layer address');
      attrs.lladdr = parseMac(o.lladdr, 'lladdr');
    }
    if (o.protocol !== undefined) attrs.protocol = checkProtocol(o.protocol);
    const ntf: RtNeighNtfFlags = [];
    if (o.proxy) ntf.push('proxy');
    if (o.router) ntf.push('router');
    if (o.extLearned) ntf.push('ext_learned');
    const ifindex = await this.links.index(o.dev, o);
    const header = { family: addr.family, ifindex, state: NUD[state], flags: ntf };
    await this.conn.request(rtnlRequest({ kind: 'newneigh', flags, header, attrs }), o);
  }

  private checkFilter(o: NeighbourFilter): CheckedFilter {
    checkOptions(o);
    const f: CheckedFilter = {};
    if (o.family !== undefined) f.family = checkFamily(o.family);
    if (o.dev !== undefined) f.dev = o.dev;
    if (o.master !== undefined) f.master = o.master;
    checkBool(o.proxy, 'proxy');
    checkBool(o.all, 'all');
    if (o.proxy) f.proxy = true;
    if (o.all) f.all = true;
    if (o.state !== undefined) {
      const list: unknown = typeof o.state === 'string' ? [o.state] : o.state;
      if (!Array.isArray(list) || list.length === 0) {
        throw new InvalidArgumentError('state', o.state, `must be a state name or a non-empty list of ${NUD_STATES.join(', ')}`);
      }
      f.state = list.map((s) => checkOneOf(s, 'state', NUD_STATES));
      if (o.all) throw new InvalidArgumentError('state', o.state, 'cannot be combined with all: true');
    }
    return f;
  }

  /** RTM_GETNEIGH dump with the kernel's strict-mode filters: header all zero but family and NTF_PROXY. */
  private async dumpRaw(f: CheckedFilter, options: RequestOptions): Promise<NeighMessage[]> {
    const attrs: RequestAttrs<'getneigh'> = {};
    if (f.dev !== undefined) attrs.ifindex = await this.links.index(f.dev, options);
    if (f.master !== undefined) attrs.master = await this.links.index(f.master, options);
    const header: RequestHeader<'getneigh'> = { family: f.family ?? 'unspec', flags: f.proxy ? ['proxy'] : [] };
    const msgs = await this.conn.dump(rtnlRequest({ kind: 'getneigh', header, attrs }), options);
    return msgs.filter((m): m is NeighMessage => {
      if (!isKind(m, 'newneigh')) return false;
      const h = m.header!;
      // The kernel has filtered already; this also holds for kernels without strict checking.
      if (f.family !== undefined && h.family !== f.family) return false;
      if (attrs.ifindex !== undefined && h.ifindex !== attrs.ifindex) return false;
      return true;
    });
  }
}

function checkOptions(o: unknown): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', o, 'must be an object');
  checkRequestOptions(o as RequestOptions);
}

function checkBool(v: unknown, argument: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(argument, v, 'must be true or false');
}

/** NDA_PROTOCOL: a number, or a name (one the spec lacks is refused by the encoder, by name). */
function checkProtocol(v: unknown): RtNeighRtProtocol {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new InvalidArgumentError('protocol', v, 'must be a name or a number from 0 to 255');
    return v;
  }
  if (typeof v === 'string' && /^[a-z0-9_]+$/.test(v)) return v as RtNeighRtProtocol;
  throw new InvalidArgumentError('protocol', v, "must be a protocol name like 'static' or a number from 0 to 255");
}

function flagBits(names: unknown): number {
  if (typeof names === 'number') return names;
  if (!Array.isArray(names)) return 0;
  let n = 0;
  for (const x of names) n |= typeof x === 'number' ? x : (NTF[x] ?? 0);
  return n;
}

function stateBits(names: unknown): number {
  if (typeof names === 'number') return names;
  if (!Array.isArray(names)) return 0;
  let n = 0;
  for (const x of names) n |= typeof x === 'number' ? x : (NUD[x as NudState] ?? 0);
  return n;
}

/**
 * ip's state filter (print_neigh): with no `nud` argument `defaultMask` applies; proxy and
 * externally learned entries always pass it, as in ip. An explicit `state` list is exact.
 */
function stateFilter(f: CheckedFilter, defaultMask: number, noneByDefault: boolean): (m: NeighMessage) => boolean {
  if (f.all || f.proxy) return () => true;
  if (f.state) {
    const mask = f.state.reduce((n, s) => n | NUD[s], 0);
    const none = f.state.includes('none');
    return (m) => {
      const s = stateBits(m.header?.state);
      return (s & mask) !== 0 || (none && s === 0);
    };
  }
  return (m) => {
    const h = m.header ?? NO_HEADER;
    const s = stateBits(h.state);
    if ((s & defaultMask) !== 0) return true;
    if (flagBits(h.flags) & (NTF_PROXY | NTF_EXT_LEARNED)) return true;
    return noneByDefault && s === 0;
  };
}

/** A class of its own for each kind of record (codec/record.ts). */
const NeighbourRecord = recordKind<Neighbour>(class extends RawRecord {}, rtnetlinkCodec);
const NO_HEADER = {} as RtNeighNdmsg;

/** Friendly view of a decoded RTM_NEWNEIGH. */
export function toNeighbour(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Neighbour {
  const { header: h = NO_HEADER, attrs: a = {} } = m as NeighMessage;
  const flags = Array.isArray(h.flags) ? h.flags : [];
  const state = Array.isArray(h.state) ? h.state : [];
  const n = new NeighbourRecord(bytes ?? m, offset);
  n.family = h.family;
  n.index = h.ifindex;
  n.state = state.length === 0 ? ['none'] : state;
  n.flags = flags;
  n.router = flags.includes('router');
  n.proxy = flags.includes('proxy');
  n.extLearned = flags.includes('ext_learned');
  if (a.dst !== undefined) n.dst = a.dst as string; // an IPv4 or IPv6 address decodes to text
  if (a.lladdr !== undefined) n.lladdr = a.lladdr;
  if (a.vlan !== undefined) n.vlan = a.vlan;
  if (a.master !== undefined) n.master = a.master;
  if (a.probes !== undefined) n.probes = a.probes;
  if (a.protocol !== undefined) n.protocol = a.protocol;
  if (a.cacheinfo !== undefined) n.cacheinfo = a.cacheinfo as NeighbourCacheinfo;
  return n;
}
