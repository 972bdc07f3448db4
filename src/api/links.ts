/**
 * Links: list, get, add (veth with peer, bridge, vxlan, macvlan... any kind the spec knows, with
 * its data by spec attribute name), set, delete.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage, OutgoingMessage } from '../codec/message.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { closeSync, openSync } from 'node:fs';
import { nsidNames } from '../netns/nsid.js';
import { type NetnsTarget, resolveNetns } from '../netns/target.js';
import { InvalidArgumentError, NotFoundError, notFoundOr } from './errors.js';
import { LinkRecord } from './record.js';
import { utf8Length } from '../codec/values.js';
import {
  IFNAME_MAX_BYTES,
  checkBool,
  checkIfname,
  checkInt,
  checkLinkName,
  checkObject,
  checkRequestOptions,
  checkU32,
  parseMac,
} from './validate.js';

/** RTEXT_FILTER_* bits of IFLA_EXT_MASK. */
const RTEXT_FILTER_VF = 1;
const RTEXT_FILTER_SKIP_STATS = 8;

type Attrs = Record<string, any>;

export interface LinkStats {
  rxPackets?: bigint;
  txPackets?: bigint;
  rxBytes?: bigint;
  txBytes?: bigint;
  rxErrors?: bigint;
  txErrors?: bigint;
  rxDropped?: bigint;
  txDropped?: bigint;
  multicast?: bigint;
  collisions?: bigint;
  [counter: string]: bigint | Uint8Array | undefined;
}

/** A network interface as the kernel reports it, with friendly names. */
export interface Link {
  index: number;
  name: string;
  /** Hardware type (ARPHRD_*): 'ether', 'loopback', 'none'... or its number. */
  type: string | number;
  /** IFF_* flag names in lower case: 'up', 'broadcast', 'lower_up'... */
  flags: (string | number)[];
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The carrier is up (IFF_LOWER_UP). */
  lowerUp: boolean;
  mtu?: number;
  minMtu?: number;
  maxMtu?: number;
  txqlen?: number;
  operstate?: string | number;
  linkmode?: string | number;
  group?: number;
  qdisc?: string;
  address?: string;
  broadcast?: string;
  permAddress?: string;
  /** Index of the bridge (or other master) this link is enslaved to. */
  master?: number;
  /** IFLA_LINK: the parent or, for a veth, the peer's index (in linkNetnsid's namespace when set). */
  link?: number;
  linkNetnsid?: number;
  alias?: string;
  altnames: string[];
  promiscuity?: number;
  numTxQueues?: number;
  numRxQueues?: number;
  carrier?: boolean;
  carrierChanges?: number;
  /** All-multicast mode reference count (IFLA_ALLMULTI). */
  allmulti?: number;
  /** Largest GSO packet the stack builds for this device, bytes, and in segments. */
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  /** Largest GRO packet, bytes. */
  groMaxSize?: number;
  /** Largest TSO packet the device accepts, bytes, and in segments. */
  tsoMaxSize?: number;
  tsoMaxSegs?: number;
  /** IPv6 link-local address generation: 'eui64', 'none', 'stable_privacy', 'random' (IFLA_INET6_ADDR_GEN_MODE). */
  addrGenMode?: string | number;
  /** Link kind ('veth', 'bridge', 'vxlan'...) and its data, as decoded by the spec. */
  kind?: string;
  data?: Attrs | Uint8Array;
  /** Kind and data of the port when enslaved ('bridge' for a bridge port). */
  slaveKind?: string;
  slaveData?: Attrs | Uint8Array;
  /** 64-bit counters when requested with `stats: true`. */
  stats?: LinkStats;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

export type LinkRef = string | number;

export interface LinkListOptions extends RequestOptions {
  /** Only links of this kind (filtered by the kernel). */
  kind?: string;
  /** Only ports of this master (filtered by the kernel). */
  master?: LinkRef;
  /**
   * Include per-family and VF statistics (IFLA_AF_SPEC inet6 stats, VF stats). The kernel always
   * sends the interface's own stats64, so `stats` on a Link is there either way. Default false.
   */
  stats?: boolean;
}

export interface VethPeer {
  name: string;
  address?: string;
  mtu?: number;
  txqlen?: number;
  /** Create this end in another network namespace (ip link add ... peer name N netns NS). */
  netns?: NetnsTarget;
  /** Other attributes of the peer by spec name. */
  attrs?: Attrs;
}

/** The other end of a veth (or the lower device, IFLA_LINK), possibly in another namespace. */
export interface LinkPeer {
  /** Its index, in its own namespace. */
  index: number;
  /** The id this namespace gives the peer's namespace (IFLA_LINK_NETNSID); undefined when both are here. */
  netnsid?: number;
  /** The /run/netns name of the peer's namespace, when one has that id. */
  netns?: string;
  /** The peer's name, looked up there through IFLA_TARGET_NETNSID (undefined if not permitted). */
  name?: string;
}

export interface LinkAddOptions extends RequestOptions {
  name: string;
  /** Link kind: 'veth', 'bridge', 'vxlan', 'macvlan', 'macvtap'... */
  kind: string;
  /** Kind-specific data by spec attribute name, e.g. { stpState: 0 } for a bridge, { id: 42, port: 4789 } for vxlan. */
  data?: Attrs | Uint8Array;
  /** veth only: the other end. */
  peer?: VethPeer;
  /** Lower device (macvlan/macvtap parent, vxlan underlay) as IFLA_LINK. */
  link?: LinkRef;
  mtu?: number;
  address?: string;
  txqlen?: number;
  master?: LinkRef;
  alias?: string;
  group?: number;
  up?: boolean;
  /** Create the link in this network namespace (ip link add NAME netns NS): a name, { path }, { pid } or { fd }. */
  netns?: NetnsTarget;
  /** More IFLA_* attributes by spec name. */
  attrs?: Attrs;
}

export interface LinkSetOptions extends RequestOptions {
  up?: boolean;
  mtu?: number;
  /** New name. */
  name?: string;
  address?: string;
  broadcast?: string;
  /** Enslave to this master; null (or 0) to release (`nomaster`). */
  master?: LinkRef | null;
  txqlen?: number;
  /** Interface alias; '' removes it. */
  alias?: string;
  group?: number;
  promisc?: boolean;
  allmulticast?: boolean;
  multicast?: boolean;
  arp?: boolean;
  /** Kind data changes (e.g. { stpState: 0 } on a bridge). The kind is looked up unless given. */
  data?: Attrs;
  kind?: string;
  /** Port options as the master sees them (e.g. bridge port { cost: 10 }). */
  slaveData?: Attrs;
  slaveKind?: string;
  /**
   * Move the link to this network namespace (ip link set DEV netns NS): a name, { path }, { pid } or
   * { fd }. With `name`, it is renamed on the way (the kernel applies the name in the target).
   */
  netns?: NetnsTarget;
  /** More IFLA_* attributes by spec name. */
  attrs?: Attrs;
}

/**
 * IFLA_NET_NS_PID / IFLA_NET_NS_FD for each target, with fds opened for names and paths kept open
 * until fn settles (the kernel resolves them while processing the request).
 */
async function withNetnsAttrs<T>(targets: (NetnsTarget | undefined)[], fn: (attrs: (Attrs | undefined)[]) => Promise<T>): Promise<T> {
  const opened: number[] = [];
  try {
    const attrs = targets.map((t): Attrs | undefined => {
      if (t === undefined) return undefined;
      const ns = resolveNetns(t); // NamespaceError when it does not exist
      if (ns.pid !== undefined) return { netNsPid: ns.pid };
      if (ns.fd !== undefined) return { netNsFd: ns.fd };
      const fd = openSync(ns.path, 'r');
      opened.push(fd);
      return { netNsFd: fd };
    });
    return await fn(attrs);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

/**
 * The attribute that finds a link by a checked name: IFLA_IFNAME (its name, or an altname, up to
 * IFNAMSIZ - 1 bytes); a longer altname only as IFLA_ALT_IFNAME (RTM_GETLINK, SETLINK, DELLINK, *LINKPROP).
 */
function byName(name: string): Attrs {
  return utf8Length(name) <= IFNAME_MAX_BYTES ? { ifname: name } : { altIfname: name };
}

/** A link kind's name ('veth', 'bridge', 'vxlan'...), as IFLA_INFO_KIND carries it. */
function checkKind(v: unknown, argument = 'kind'): string {
  if (typeof v !== 'string' || !/^[a-z0-9_.-]{1,32}$/i.test(v)) {
    throw new InvalidArgumentError(argument, v, 'must be a kind name like veth or bridge');
  }
  return v;
}

/** More attributes by spec name: an object (the encoder names any it does not know). */
function checkAttrs(v: unknown, argument: string): void {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new InvalidArgumentError(argument, v, 'must be an object of attributes by spec name');
  }
}

/** Kinds whose lower device goes in their IFLA_INFO_DATA (IFLA_VXLAN_LINK), not IFLA_LINK. */
const LOWER_DEVICE_IN_DATA: Record<string, string> = { vxlan: 'link' };

const IFF = { up: 0x1, broadcast: 0x2, promisc: 0x100, allmulti: 0x200, multicast: 0x1000, noarp: 0x80 } as const;

/** The kernel checks the device's own bounds (min_mtu/max_mtu); here only the type and sign. */
function mtuOf(v: unknown, arg = 'mtu'): number {
  return checkInt(v, arg, 0, 0x7fffffff);
}

export class LinkApi {
  constructor(private readonly conn: Connection) {}

  /** All links (one dump), optionally filtered by kind or master in the kernel. */
  async list(options: LinkListOptions = {}): Promise<Link[]> {
    const req = await this.listRequest(options);
    return this.conn.dumpMap(req, (m, bytes, offset) => (m.kind === 'newlink' ? toLink(m, bytes, offset) : undefined), options, LINK_FIELDS);
  }

  /** The same dump as list(), as whole decoded RTM_NEWLINK messages (what `nlts link show` prints from). */
  async messages(options: LinkListOptions = {}): Promise<NetlinkMessage[]> {
    const req = await this.listRequest(options);
    return (await this.conn.dump(req, options)).filter((m) => m.kind === 'newlink');
  }

  private async listRequest(opts: LinkListOptions): Promise<OutgoingMessage> {
    const options = checkRequestOptions(opts);
    const attrs: Attrs = { extMask: RTEXT_FILTER_VF | (checkBool(options.stats, 'stats') ? 0 : RTEXT_FILTER_SKIP_STATS) };
    if (options.master !== undefined) attrs.master = await this.index(options.master, options);
    if (options.kind !== undefined) attrs.linkinfo = { kind: checkKind(options.kind) };
    return { kind: 'getlink', header: { family: 0 }, attrs };
  }

  /** One link by name or index; NotFoundError when there is none. */
  async get(ref: LinkRef, opts?: RequestOptions & { stats?: boolean }): Promise<Link> {
    const options = checkRequestOptions(opts);
    const { header, attrs } = this.selector(ref);
    attrs.extMask = RTEXT_FILTER_VF | (checkBool(options.stats, 'stats') ? 0 : RTEXT_FILTER_SKIP_STATS);
    try {
      const msgs = await this.conn.request({ kind: 'getlink', header, attrs }, options);
      const m = msgs.find((x) => x.kind === 'newlink');
      if (!m) throw new NotFoundError('link', ref);
      return toLink(m);
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** Like get(), but undefined when the link does not exist. */
  async find(ref: LinkRef, options: RequestOptions = {}): Promise<Link | undefined> {
    try {
      return await this.get(ref, options);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * The index of a link when it is known without asking the kernel over netlink: a number
   * (checked), or a name the transport resolves at once (an ioctl on a live socket). Undefined
   * otherwise: then index() asks. Lets callers skip an await on their common path.
   * `checked`: the caller has validated ref already (as checkLinkRef and checkIfname/checkInt do).
   * @internal
   */
  indexNow(ref: LinkRef, checked = false): number | undefined {
    if (typeof ref === 'number') return checked ? ref : checkInt(ref, 'interface index', 1, 0x7fffffff);
    const name = checked ? ref : checkLinkName(ref); // before ?.(), which would skip its argument
    return this.conn.transport.linkIndex?.(name);
  }

  /** Index of a link given by name (a number is checked and returned as is). */
  async index(ref: LinkRef, opts?: RequestOptions): Promise<number> {
    const options = checkRequestOptions(opts);
    // A number, or a name a live socket answers by ioctl without a round trip; when it cannot
    // (no such link, a replayed fixture) the kernel is asked over netlink, which also gives its error.
    const now = this.indexNow(ref);
    if (now !== undefined) return now;
    // The reply's ifinfomsg holds the index: its attributes (a kilobyte or more) are not decoded.
    const attrs: Attrs = { ...byName(ref as string), extMask: RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS }; // checked by indexNow
    try {
      const msgs = await this.conn.requestHeaders({ kind: 'getlink', header: { family: 0 }, attrs }, options);
      const m = msgs.find((x) => x.kind === 'newlink');
      if (!m) throw new NotFoundError('link', ref);
      return (m.header as Attrs).index as number;
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** Creates a link (NLM_F_CREATE | NLM_F_EXCL: EEXIST when the name is taken). */
  async add(o: LinkAddOptions): Promise<void> {
    checkRequestOptions(checkObject(o, 'link', 'must be an object like { name: "br0", kind: "bridge" }'));
    const attrs: Attrs = { ifname: checkIfname(o.name) };
    checkKind(o.kind, 'link kind');
    checkBool(o.up, 'up');
    checkAttrs(o.attrs, 'attrs');
    if (o.peer !== undefined && o.kind !== 'veth') throw new InvalidArgumentError('peer', o.peer, 'is only for veth links');
    this.common(attrs, o);
    if (o.master !== undefined) attrs.master = await this.index(o.master, o);
    const linkinfo: Attrs = { kind: o.kind };
    let data = o.data;
    if (o.kind === 'veth' && o.peer !== undefined) {
      checkObject(o.peer, 'peer', 'must be an object like { name: "veth1" }');
      const peerAttrs: Attrs = { ifname: checkIfname(o.peer.name, 'peer name') };
      this.common(peerAttrs, o.peer);
      checkAttrs(o.peer.attrs, 'peer.attrs');
      Object.assign(peerAttrs, o.peer.attrs);
      data = { ...(data as Attrs | undefined), peer: { header: { family: 0 }, attrs: peerAttrs } };
    }
    if (o.link !== undefined) {
      // Most kinds take their lower device as IFLA_LINK; some keep it in their own data.
      const index = await this.index(o.link, o);
      const inData = LOWER_DEVICE_IN_DATA[o.kind];
      if (inData && !(data instanceof Uint8Array)) data = { [inData]: index, ...(data as Attrs | undefined) };
      else attrs.link = index;
    }
    if (data !== undefined) linkinfo.data = data;
    attrs.linkinfo = linkinfo;
    Object.assign(attrs, o.attrs);
    const header = { family: 0, flags: o.up ? ['up'] : [], change: o.up ? IFF.up : 0 };
    const peerNetns = o.kind === 'veth' ? o.peer?.netns : undefined;
    await withNetnsAttrs([o.netns, peerNetns], async ([own, peer]) => {
      if (own) Object.assign(attrs, own);
      if (peer) Object.assign((data as Attrs).peer.attrs, peer);
      await this.conn.request({ kind: 'newlink', flags: NLM_F.CREATE | NLM_F.EXCL, header, attrs }, o);
    });
  }

  /** Changes a link (ip link set). Only what is given is sent. */
  async set(ref: LinkRef, o: LinkSetOptions): Promise<void> {
    checkRequestOptions(checkObject(o, 'changes', 'must be an object like { up: true, mtu: 1400 }'));
    for (const k of ['up', 'promisc', 'allmulticast', 'multicast', 'arp'] as const) checkBool(o[k], k);
    // A kind only says what `data` is; a link's kind cannot be changed (likewise slaveKind).
    if (o.kind !== undefined && o.data === undefined) {
      throw new InvalidArgumentError('kind', o.kind, 'is used only with data (the kind of the data given); a link cannot change kind');
    }
    if (o.slaveKind !== undefined && o.slaveData === undefined) {
      throw new InvalidArgumentError('slaveKind', o.slaveKind, 'is used only with slaveData');
    }
    checkAttrs(o.attrs, 'attrs');
    const renaming = o.name !== undefined;
    // Renaming needs the index (IFLA_IFNAME becomes the new name); otherwise the kernel resolves the name.
    const sel = renaming ? { header: { family: 0, index: await this.index(ref, o) } as Attrs, attrs: {} as Attrs } : this.selector(ref);
    const attrs = sel.attrs;
    if (renaming) attrs.ifname = checkIfname(o.name, 'new name');
    this.common(attrs, o);
    if (o.broadcast !== undefined) attrs.broadcast = parseMac(o.broadcast, 'broadcast address');
    if (o.master !== undefined) attrs.master = o.master === null || o.master === 0 ? 0 : await this.index(o.master, o);
    let flags = 0;
    let change = 0;
    const flag = (v: boolean | undefined, bit: number, inverted = false) => {
      if (v === undefined) return;
      change |= bit;
      if (v !== inverted) flags |= bit;
    };
    flag(o.up, IFF.up);
    flag(o.promisc, IFF.promisc);
    flag(o.allmulticast, IFF.allmulti);
    flag(o.multicast, IFF.multicast);
    flag(o.arp, IFF.noarp, true);
    if (o.data !== undefined || o.slaveData !== undefined) {
      const linkinfo: Attrs = {};
      if (o.data !== undefined) {
        linkinfo.kind = o.kind !== undefined ? checkKind(o.kind) : (await this.get(ref, o)).kind;
        if (!linkinfo.kind) throw new InvalidArgumentError('data', o.data, `link ${ref} has no kind to set data for`);
        linkinfo.data = o.data;
      }
      if (o.slaveData !== undefined) {
        const slaveKind = o.slaveKind !== undefined ? checkKind(o.slaveKind, 'slaveKind') : (await this.get(ref, o)).slaveKind;
        if (!slaveKind) throw new InvalidArgumentError('slaveData', o.slaveData, `link ${ref} is not a port of a master`);
        linkinfo.slaveKind = slaveKind;
        linkinfo.slaveData = o.slaveData;
      }
      attrs.linkinfo = linkinfo;
    }
    Object.assign(attrs, o.attrs);
    sel.header.flags = flags;
    sel.header.change = change;
    try {
      await withNetnsAttrs([o.netns], async ([move]) => {
        if (move) Object.assign(attrs, move);
        await this.conn.request({ kind: 'newlink', header: sel.header, attrs }, o);
      });
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /**
   * The peer of a veth (or the lower device) across namespaces: its index and the nsid of its
   * namespace as the kernel reports them (ip's link_index + link_netnsid), the namespace's name
   * where a /run/netns entry has that id, and the peer's name, asked of its namespace through
   * IFLA_TARGET_NETNSID without entering it. Undefined when the link has no IFLA_LINK.
   */
  async peer(ref: LinkRef, opts?: RequestOptions): Promise<LinkPeer | undefined> {
    const options = checkRequestOptions(opts);
    const link = await this.get(ref, options);
    if (link.link === undefined || link.link === 0 || (link.link === link.index && link.linkNetnsid === undefined)) return undefined;
    const peer: LinkPeer = { index: link.link };
    const selector: Attrs = { extMask: RTEXT_FILTER_SKIP_STATS };
    if (link.linkNetnsid !== undefined && link.linkNetnsid >= 0) {
      peer.netnsid = link.linkNetnsid;
      const name = await this.netnsName(link.linkNetnsid, options);
      if (name !== undefined) peer.netns = name;
      selector.targetNetnsid = link.linkNetnsid;
    }
    try {
      const msgs = await this.conn.request({ kind: 'getlink', header: { family: 0, index: link.link }, attrs: selector }, options);
      const m = msgs.find((x) => x.kind === 'newlink');
      if (m?.attrs?.ifname !== undefined) peer.name = m.attrs.ifname as string;
    } catch (err) {
      if (!isNetlinkError(err)) throw err; // gone meanwhile, or not permitted there
    }
    return peer;
  }

  /** The /run/netns name of the namespace this one calls `nsid` (as ip shows link-netns NAME), if any. */
  async netnsName(nsid: number, options?: RequestOptions): Promise<string | undefined> {
    checkInt(nsid, 'nsid', 0, 0x7fffffff);
    return (await nsidNames(this.conn, checkRequestOptions(options))).get(nsid);
  }

  /** Deletes a link (for a veth, both ends go). */
  async delete(ref: LinkRef, options?: RequestOptions): Promise<void> {
    const { header, attrs } = this.selector(ref);
    try {
      await this.conn.request({ kind: 'dellink', header, attrs }, checkRequestOptions(options));
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /**
   * Adds alternative names (ip link property add dev REF altname NAME...): up to 127 bytes each
   * (ALTIFNAMSIZ); the link can then be found by any of them. EEXIST when a name is taken.
   */
  async addAltnames(ref: LinkRef, names: string | string[], options: RequestOptions = {}): Promise<void> {
    await this.linkProp('newlinkprop', ref, names, options);
  }

  /** Deletes alternative names (ip link property del); NotFoundError ('altname') when the link has no such name. */
  async deleteAltnames(ref: LinkRef, names: string | string[], options: RequestOptions = {}): Promise<void> {
    await this.linkProp('dellinkprop', ref, names, options);
  }

  /** @deprecated addAltnames / deleteAltnames say what they do. */
  async altname(ref: LinkRef, names: string[], remove = false, options: RequestOptions = {}): Promise<void> {
    if (!Array.isArray(names)) throw new InvalidArgumentError('altnames', names, 'must be an array of names');
    await this.linkProp(remove ? 'dellinkprop' : 'newlinkprop', ref, names, options);
  }

  /** RTM_NEWLINKPROP / RTM_DELLINKPROP with the names in IFLA_PROP_LIST. */
  private async linkProp(kind: 'newlinkprop' | 'dellinkprop', ref: LinkRef, names: string | string[], options: RequestOptions): Promise<void> {
    const list = typeof names === 'string' ? [names] : names;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('altnames', names, 'must be a name or a non-empty array of names');
    const { header, attrs } = this.selector(ref);
    attrs.propList = { altIfname: list.map((n) => checkLinkName(n, 'altname')) };
    checkRequestOptions(options);
    try {
      await this.conn.request({ kind, flags: kind === 'newlinkprop' ? NLM_F.CREATE | NLM_F.EXCL : 0, header, attrs }, options);
    } catch (err) {
      // the kernel's ENOENT: the link has no such altname (ENODEV: no such link)
      if (isNetlinkError(err) && err.code === 'ENOENT' && kind === 'dellinkprop') throw new NotFoundError('altname', list.join(', '), { cause: err });
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** Header + attributes that name a link: by index in the header, or by one of its names. */
  private selector(ref: LinkRef): { header: Attrs; attrs: Attrs } {
    if (typeof ref === 'number') return { header: { family: 0, index: checkInt(ref, 'interface index', 1, 0x7fffffff) }, attrs: {} };
    return { header: { family: 0 }, attrs: byName(checkLinkName(ref)) };
  }

  private common(attrs: Attrs, o: { mtu?: number; address?: string; txqlen?: number; alias?: string; group?: number }): void {
    if (o.mtu !== undefined) attrs.mtu = mtuOf(o.mtu);
    if (o.address !== undefined) attrs.address = parseMac(o.address);
    if (o.txqlen !== undefined) attrs.txqlen = checkU32(o.txqlen, 'txqlen');
    if (o.alias !== undefined) {
      if (typeof o.alias !== 'string' || Buffer.byteLength(o.alias) >= 256) throw new InvalidArgumentError('alias', o.alias, 'must be a string under 256 bytes');
      attrs.ifalias = o.alias;
    }
    if (o.group !== undefined) attrs.group = checkU32(o.group, 'group');
  }
}

/**
 * The attributes toLink reads: a dump decodes only these (`raw` still has everything, decoded on
 * first access). Skipping af_spec's per-family sysctls and counters, the 32-bit stats and the like
 * halves a link dump's decoding. A test checks toLink gives the same Link from a whole message.
 */
export const LINK_FIELDS = {
  ifname: true,
  mtu: true,
  minMtu: true,
  maxMtu: true,
  txqlen: true,
  operstate: true,
  linkmode: true,
  group: true,
  qdisc: true,
  address: true,
  broadcast: true,
  permAddress: true,
  master: true,
  link: true,
  linkNetnsid: true,
  ifalias: true,
  promiscuity: true,
  allmulti: true,
  numTxQueues: true,
  numRxQueues: true,
  carrier: true,
  carrierChanges: true,
  gsoMaxSize: true,
  gsoMaxSegs: true,
  groMaxSize: true,
  tsoMaxSize: true,
  tsoMaxSegs: true,
  stats64: true,
  linkinfo: true,
  propList: true,
  afSpec: { inet6: { addrGenMode: true } },
} as const;

/** Friendly view of a decoded RTM_NEWLINK (whole, or with LINK_FIELDS). */
export function toLink(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Link {
  const h = (m.header ?? {}) as Attrs;
  const a = (m.attrs ?? {}) as Attrs;
  const flags = (h.flags ?? []) as (string | number)[];
  const info = a.linkinfo as Attrs | undefined;
  const link = new LinkRecord(bytes ?? m, offset) as unknown as Link;
  link.index = h.index;
  link.name = a.ifname;
  link.type = h.type;
  link.flags = flags;
  link.up = flags.includes('up');
  link.lowerUp = flags.includes('lower_up');
  link.altnames = (a.propList?.altIfname as string[] | undefined) ?? [];
  // Named stores, one per field (a helper writing link[to] = a[from] was a megamorphic hot spot).
  if (a.mtu !== undefined) link.mtu = a.mtu;
  if (a.minMtu !== undefined) link.minMtu = a.minMtu;
  if (a.maxMtu !== undefined) link.maxMtu = a.maxMtu;
  if (a.txqlen !== undefined) link.txqlen = a.txqlen;
  if (a.operstate !== undefined) link.operstate = a.operstate;
  if (a.linkmode !== undefined) link.linkmode = a.linkmode;
  if (a.group !== undefined) link.group = a.group;
  if (a.qdisc !== undefined) link.qdisc = a.qdisc;
  if (a.address !== undefined) link.address = a.address;
  if (a.broadcast !== undefined) link.broadcast = a.broadcast;
  if (a.permAddress !== undefined) link.permAddress = a.permAddress;
  if (a.master !== undefined) link.master = a.master;
  if (a.link !== undefined) link.link = a.link;
  if (a.linkNetnsid !== undefined) link.linkNetnsid = a.linkNetnsid;
  if (a.ifalias !== undefined) link.alias = a.ifalias;
  if (a.promiscuity !== undefined) link.promiscuity = a.promiscuity;
  if (a.numTxQueues !== undefined) link.numTxQueues = a.numTxQueues;
  if (a.numRxQueues !== undefined) link.numRxQueues = a.numRxQueues;
  if (a.carrierChanges !== undefined) link.carrierChanges = a.carrierChanges;
  if (a.carrier !== undefined) link.carrier = a.carrier === 1;
  if (a.allmulti !== undefined) link.allmulti = a.allmulti;
  if (a.gsoMaxSize !== undefined) link.gsoMaxSize = a.gsoMaxSize;
  if (a.gsoMaxSegs !== undefined) link.gsoMaxSegs = a.gsoMaxSegs;
  if (a.groMaxSize !== undefined) link.groMaxSize = a.groMaxSize;
  if (a.tsoMaxSize !== undefined) link.tsoMaxSize = a.tsoMaxSize;
  if (a.tsoMaxSegs !== undefined) link.tsoMaxSegs = a.tsoMaxSegs;
  const inet6 = a.afSpec?.inet6;
  if (inet6 !== undefined && inet6.addrGenMode !== undefined) link.addrGenMode = inet6.addrGenMode;
  if (a.stats64 !== undefined) link.stats = a.stats64;
  if (info) {
    if (info.kind !== undefined) link.kind = info.kind;
    if (info.data !== undefined) link.data = info.data;
    if (info.slaveKind !== undefined) link.slaveKind = info.slaveKind;
    if (info.slaveData !== undefined) link.slaveData = info.slaveData;
  }
  return link;
}
