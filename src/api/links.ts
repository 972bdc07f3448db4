/**
 * Links: list, get, add (veth with peer, bridge, vxlan, macvlan... any kind the spec knows, with
 * its data by spec attribute name), set, delete.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { linkIndexNow } from '../conn/link-index.js';
import type { LinkNameCache } from './link-names.js';
import { closeSync, openSync } from 'node:fs';
import { nsidNames } from '../netns/nsid.js';
import { type NetnsTarget, resolveNetns } from '../netns/target.js';
import { InvalidArgumentError, NotFoundError, notFoundOr } from './errors.js';
import { utf8Length } from '../codec/values.js';
import { type Link, LINK_FIELDS, lazyLinks, toLink } from './link-fields.js';
import type { LinkAddOptions, LinkKindDataInput, LinkListOptions, LinkPeer, LinkRef, LinkSetOptions, VethPeer } from './link-types.js';
import { type RequestAttrs, type RequestHeader, type RtnlRequest, isKind, rtnlRequest } from './rtnl-messages.js';
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

export * from './link-types.js';
export { type Link, type LinkKindData, type LinkSlaveData, type LinkStats, LINK_FIELDS, toLink } from './link-fields.js';

/** Every rt-link message has an ifinfomsg and link attributes: one request type serves them all. */
type LinkAttrs = RequestAttrs<'newlink'>;
type LinkHeader = RequestHeader<'newlink'>;
type NetnsAttrs = Pick<LinkAttrs, 'netNsPid' | 'netNsFd'>;

/**
 * IFLA_NET_NS_PID / IFLA_NET_NS_FD for each target, with fds opened for names and paths kept open
 * until fn settles (the kernel resolves them while processing the request).
 */
async function withNetnsAttrs<T>(targets: (NetnsTarget | undefined)[], fn: (attrs: (NetnsAttrs | undefined)[]) => Promise<T>): Promise<T> {
  const opened: number[] = [];
  try {
    const attrs = targets.map((t): NetnsAttrs | undefined => {
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
function byName(name: string): LinkAttrs {
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
const LOWER_DEVICE_IN_DATA: Readonly<Record<string, 'link'>> = { vxlan: 'link' };

const IFF = { up: 0x1, broadcast: 0x2, promisc: 0x100, allmulti: 0x200, multicast: 0x1000, noarp: 0x80 } as const;

/** The kernel checks the device's own bounds (min_mtu/max_mtu); here only the type and sign. */
function mtuOf(v: unknown, arg = 'mtu'): number {
  return checkInt(v, arg, 0, 0x7fffffff);
}

/** What add and set (and a veth peer) take alike: mtu, address, txqlen, alias, group. */
function setCommon(attrs: LinkAttrs, o: { mtu?: number; address?: string; txqlen?: number; alias?: string; group?: number }): void {
  if (o.mtu !== undefined) attrs.mtu = mtuOf(o.mtu);
  if (o.address !== undefined) attrs.address = parseMac(o.address);
  if (o.txqlen !== undefined) attrs.txqlen = checkU32(o.txqlen, 'txqlen');
  if (o.alias !== undefined) {
    if (typeof o.alias !== 'string' || Buffer.byteLength(o.alias) >= 256) {
      throw new InvalidArgumentError('alias', o.alias, 'must be a string under 256 bytes');
    }
    attrs.ifalias = o.alias;
  }
  if (o.group !== undefined) attrs.group = checkU32(o.group, 'group');
}

/** A veth peer's attributes: its name, the common settings, then any others by spec name. */
function vethPeerAttrs(peer: VethPeer): LinkAttrs {
  checkObject(peer, 'peer', 'must be an object like { name: "veth1" }');
  const attrs: LinkAttrs = { ifname: checkIfname(peer.name, 'peer name') };
  setCommon(attrs, peer);
  checkAttrs(peer.attrs, 'peer.attrs');
  return Object.assign(attrs, peer.attrs);
}

/** ifi_flags and ifi_change of a set(): the IFF_* bits given, set or cleared (arp: false sets NOARP). */
function flagChanges(o: LinkSetOptions): { flags: number; change: number } {
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
  return { flags, change };
}

/** A link dump's mapper when the Links are decoded at once (list({ lazy: false })). */
function eagerLink(m: NetlinkMessage, bytes: Uint8Array, offset: number): Link | undefined {
  return isKind(m, 'newlink') ? toLink(m, bytes, offset) : undefined;
}

export class LinkApi {
  /** @internal Names looked up before, kept right by link events (link-names.ts); undefined: the transport is asked each time. */
  names: LinkNameCache | undefined;

  constructor(private readonly conn: Connection) {}

  /** All links (one dump), optionally filtered by kind or master in the kernel. */
  async list(options: LinkListOptions = {}): Promise<Link[]> {
    const req = await this.listRequest(options);
    if (checkBool(options.lazy, 'lazy') === false) return this.conn.dumpMap(req, eagerLink, options, LINK_FIELDS);
    return this.conn.dumpMap(req, lazyLinks(), options, 'frame');
  }

  /** The same dump as list(), as whole decoded RTM_NEWLINK messages (what `nlts link show` prints from). */
  async messages(options: LinkListOptions = {}): Promise<NetlinkMessage[]> {
    const req = await this.listRequest(options);
    return (await this.conn.dump(req, options)).filter((m) => m.kind === 'newlink');
  }

  private async listRequest(opts: LinkListOptions): Promise<RtnlRequest<'getlink'>> {
    const options = checkRequestOptions(opts);
    const attrs: LinkAttrs = { extMask: RTEXT_FILTER_VF | (checkBool(options.stats, 'stats') ? 0 : RTEXT_FILTER_SKIP_STATS) };
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
    if (!checked) {
      if (typeof ref === 'number') checkInt(ref, 'interface index', 1, 0x7fffffff);
      else checkLinkName(ref);
    }
    const names = this.names;
    return names === undefined || typeof ref === 'number' ? linkIndexNow(this.conn.transport, ref) : names.resolve(ref, this.conn.transport);
  }

  /**
   * Whether a request that failed with `err` should be sent once more with the link looked up
   * afresh: the kernel said ENODEV for a link given by name whose index may have come from the
   * cache (deleted, and maybe made again under the name, since). The cached name is dropped.
   * @internal
   */
  staleIndex(ref: LinkRef, err: unknown): boolean {
    if (typeof ref !== 'string' || this.names === undefined || !isNetlinkError(err) || err.code !== 'ENODEV') return false;
    this.names.forget(ref);
    return true;
  }

  /** Index of a link given by name (a number is checked and returned as is). */
  async index(ref: LinkRef, opts?: RequestOptions): Promise<number> {
    const options = checkRequestOptions(opts);
    // A number, or a name a live socket answers by ioctl without a round trip; when it cannot
    // (no such link, a replayed fixture) the kernel is asked over netlink, which also gives its error.
    const now = this.indexNow(ref);
    if (now !== undefined) return now;
    // The reply's ifinfomsg holds the index: its attributes (a kilobyte or more) are not decoded.
    const attrs: LinkAttrs = { ...byName(ref as string), extMask: RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS }; // checked by indexNow
    try {
      const msgs = await this.conn.requestHeaders(rtnlRequest({ kind: 'getlink', header: { family: 0 }, attrs }), options);
      const m = msgs.find((x) => isKind(x, 'newlink'));
      if (!m) throw new NotFoundError('link', ref);
      return m.header!.index!;
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** Creates a link (NLM_F_CREATE | NLM_F_EXCL: EEXIST when the name is taken). */
  async add(o: LinkAddOptions): Promise<void> {
    checkRequestOptions(checkObject(o, 'link', 'must be an object like { name: "br0", kind: "bridge" }'));
    const attrs: LinkAttrs = { ifname: checkIfname(o.name) };
    checkKind(o.kind, 'link kind');
    checkBool(o.up, 'up');
    checkAttrs(o.attrs, 'attrs');
    if (o.peer !== undefined && o.kind !== 'veth') throw new InvalidArgumentError('peer', o.peer, 'is only for veth links');
    setCommon(attrs, o);
    if (o.master !== undefined) attrs.master = await this.index(o.master, o);
    const peerAttrs = o.kind === 'veth' && o.peer !== undefined ? vethPeerAttrs(o.peer) : undefined;
    let data: LinkKindDataInput | undefined = o.data;
    if (peerAttrs) data = { ...(data as Exclude<LinkKindDataInput, Uint8Array> | undefined), peer: { header: { family: 0 }, attrs: peerAttrs } };
    if (o.link !== undefined) {
      // Most kinds take their lower device as IFLA_LINK; some keep it in their own data.
      const index = await this.index(o.link, o);
      const inData = LOWER_DEVICE_IN_DATA[o.kind];
      if (inData && !(data instanceof Uint8Array)) data = { [inData]: index, ...data };
      else attrs.link = index;
    }
    attrs.linkinfo = data !== undefined ? { kind: o.kind, data } : { kind: o.kind };
    Object.assign(attrs, o.attrs);
    const header: LinkHeader = { family: 0, flags: o.up ? ['up'] : [], change: o.up ? IFF.up : 0 };
    await withNetnsAttrs([o.netns, peerAttrs && o.peer?.netns], async ([own, peer]) => {
      if (own) Object.assign(attrs, own);
      if (peer) Object.assign(peerAttrs!, peer);
      await this.conn.request(rtnlRequest({ kind: 'newlink', flags: NLM_F.CREATE | NLM_F.EXCL, header, attrs }), o);
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
    const sel = renaming ? { header: { family: 0, index: await this.index(ref, o) }, attrs: {} } : this.selector(ref);
    const attrs = sel.attrs;
    if (renaming) attrs.ifname = checkIfname(o.name, 'new name');
    setCommon(attrs, o);
    if (o.broadcast !== undefined) attrs.broadcast = parseMac(o.broadcast, 'broadcast address');
    if (o.master !== undefined) attrs.master = o.master === null || o.master === 0 ? 0 : await this.index(o.master, o);
    const header: LinkHeader = { ...sel.header, ...flagChanges(o) };
    if (o.data !== undefined || o.slaveData !== undefined) attrs.linkinfo = await this.linkinfoChanges(ref, o);
    Object.assign(attrs, o.attrs);
    try {
      await withNetnsAttrs([o.netns], async ([move]) => {
        if (move) Object.assign(attrs, move);
        await this.conn.request(rtnlRequest({ kind: 'newlink', header, attrs }), o);
      });
    } catch (err) {
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** IFLA_LINKINFO of a set(): kind data and port data, with the kinds looked up unless given. */
  private async linkinfoChanges(ref: LinkRef, o: LinkSetOptions): Promise<LinkAttrs['linkinfo']> {
    const linkinfo: NonNullable<LinkAttrs['linkinfo']> = {};
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
    return linkinfo;
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
    const selector: LinkAttrs = { extMask: RTEXT_FILTER_SKIP_STATS };
    if (link.linkNetnsid !== undefined && link.linkNetnsid >= 0) {
      peer.netnsid = link.linkNetnsid;
      const name = await this.netnsName(link.linkNetnsid, options);
      if (name !== undefined) peer.netns = name;
      selector.targetNetnsid = link.linkNetnsid;
    }
    try {
      const msgs = await this.conn.request(rtnlRequest({ kind: 'getlink', header: { family: 0, index: link.link }, attrs: selector }), options);
      const m = msgs.find((x) => isKind(x, 'newlink'));
      if (m?.attrs?.ifname !== undefined) peer.name = m.attrs.ifname;
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
      await this.conn.request(rtnlRequest({ kind: 'dellink', header, attrs }), checkRequestOptions(options));
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
      await this.conn.request(rtnlRequest({ kind, flags: kind === 'newlinkprop' ? NLM_F.CREATE | NLM_F.EXCL : 0, header, attrs }), options);
    } catch (err) {
      // the kernel's ENOENT: the link has no such altname (ENODEV: no such link)
      if (isNetlinkError(err) && err.code === 'ENOENT' && kind === 'dellinkprop') throw new NotFoundError('altname', list.join(', '), { cause: err });
      throw notFoundOr(err, 'link', ref);
    }
  }

  /** Header + attributes that name a link: by index in the header, or by one of its names. */
  private selector(ref: LinkRef): { header: LinkHeader; attrs: LinkAttrs } {
    if (typeof ref === 'number') return { header: { family: 0, index: checkInt(ref, 'interface index', 1, 0x7fffffff) }, attrs: {} };
    return { header: { family: 0 }, attrs: byName(checkLinkName(ref)) };
  }
}
