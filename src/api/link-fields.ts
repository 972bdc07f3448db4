/**
 * Links as callers see them: the Link type, the attributes a link dump decodes (LINK_FIELDS) and
 * toLink, all from one table of the fields copied as the kernel reports them (LINK_ATTRS) and the
 * generated rt-link types.
 */
import type { NetlinkMessage } from '../codec/message.js';
import { lazyKind, lazyMapper, quickAttribute, quickHeaderMember } from '../codec/lazy-record.js';
import { type CopiedFields, RawRecord, recordKind, tableSelection } from '../codec/record.js';
import type {
  RtLinkArphrd,
  RtLinkIff,
  RtLinkIfinfomsg,
  RtLinkIn6AddrGenMode,
  RtLinkLinkAttrs,
  RtLinkLinkinfoAttrs,
  RtLinkRtnlLinkStats64,
} from '../generated/index.js';
import type { Friendly, FriendlyFields, RtnlMessage } from './rtnl-messages.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';

/**
 * Link field <- the IFLA_* attribute it copies, when the kernel sends it. The Link type and
 * LINK_FIELDS follow this table, a field's type is its attribute's (src/generated/rt-link.ts), and
 * toLink copies exactly these (test/api/link-fields.test.ts).
 * @internal
 */
export const LINK_ATTRS = {
  mtu: 'mtu',
  minMtu: 'minMtu',
  maxMtu: 'maxMtu',
  txqlen: 'txqlen',
  operstate: 'operstate',
  linkmode: 'linkmode',
  group: 'group',
  qdisc: 'qdisc',
  address: 'address',
  broadcast: 'broadcast',
  permAddress: 'permAddress',
  /** Index of the bridge (or other master) this link is enslaved to. */
  master: 'master',
  /** IFLA_LINK: the parent or, for a veth, the peer's index (in linkNetnsid's namespace when set). */
  link: 'link',
  linkNetnsid: 'linkNetnsid',
  alias: 'ifalias',
  promiscuity: 'promiscuity',
  numTxQueues: 'numTxQueues',
  numRxQueues: 'numRxQueues',
  carrierChanges: 'carrierChanges',
  /** The carrier is up (IFLA_CARRIER 1). */
  carrier: { attr: 'carrier', is: 1 },
  /** All-multicast mode reference count (IFLA_ALLMULTI). */
  allmulti: 'allmulti',
  /** Largest GSO packet the stack builds for this device, bytes, and in segments. */
  gsoMaxSize: 'gsoMaxSize',
  gsoMaxSegs: 'gsoMaxSegs',
  /** Largest GRO packet, bytes. */
  groMaxSize: 'groMaxSize',
  /** Largest TSO packet the device accepts, bytes, and in segments. */
  tsoMaxSize: 'tsoMaxSize',
  tsoMaxSegs: 'tsoMaxSegs',
} as const satisfies Record<string, keyof RtLinkLinkAttrs | { attr: keyof RtLinkLinkAttrs; is: number }>;

/** IFLA_STATS64 (struct rtnl_link_stats64) by spec name; a newer kernel's extra bytes in `_tail`. */
export interface LinkStats extends RtLinkRtnlLinkStats64 {
  [counter: string]: bigint | Uint8Array | undefined;
}

/** A link kind's IFLA_INFO_DATA as decoded ('veth', 'bridge', 'vxlan'... by spec name), or its bytes for kinds the spec lacks. */
export type LinkKindData = NonNullable<RtLinkLinkinfoAttrs['data']>;
/** A port's IFLA_INFO_SLAVE_DATA as decoded (bridge ports), or its bytes. */
export type LinkSlaveData = NonNullable<RtLinkLinkinfoAttrs['slaveData']>;

/** A network interface as the kernel reports it, with friendly names. */
export interface Link extends FriendlyFields<CopiedFields<typeof LINK_ATTRS, RtLinkLinkAttrs>> {
  index: number;
  name: string;
  /** Hardware type (ARPHRD_*): 'ether', 'loopback', 'none'... or its number. */
  type: Friendly<RtLinkArphrd>;
  /** IFF_* flag names in lower case: 'up', 'broadcast', 'lower_up'... */
  flags: Friendly<RtLinkIff>;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The carrier is up (IFF_LOWER_UP). */
  lowerUp: boolean;
  altnames: string[];
  /** IPv6 link-local address generation: 'eui64', 'none', 'stable_privacy', 'random' (IFLA_INET6_ADDR_GEN_MODE). */
  addrGenMode?: Friendly<RtLinkIn6AddrGenMode>;
  /** Link kind ('veth', 'bridge', 'vxlan'...) and its data, as decoded by the spec. */
  kind?: string;
  data?: LinkKindData;
  /** Kind and data of the port when enslaved ('bridge' for a bridge port). */
  slaveKind?: string;
  slaveData?: LinkSlaveData;
  /** 64-bit counters (IFLA_STATS64; the kernel sends them unless asked to skip them). */
  stats?: LinkStats;
  /** The whole decoded message, for attributes without a friendly field. */
  raw: NetlinkMessage;
}

/**
 * The attributes toLink reads: a dump decodes only these (`raw` still has everything, decoded on
 * first access). Skipping af_spec's per-family sysctls and counters, the 32-bit stats and the like
 * halves a link dump's decoding. A test checks toLink gives the same Link from a whole message.
 */
export const LINK_FIELDS = {
  ifname: true,
  ...tableSelection(LINK_ATTRS),
  stats64: true,
  linkinfo: true,
  propList: true,
  afSpec: { inet6: { addrGenMode: true } },
} as { readonly [A in LinkAttrRead]: true } & { readonly afSpec: { readonly inet6: { readonly addrGenMode: true } } };

type TableAttr<T> = T extends string ? T : T extends { attr: infer A } ? A : never;
type LinkAttrRead = 'ifname' | 'stats64' | 'linkinfo' | 'propList' | TableAttr<(typeof LINK_ATTRS)[keyof typeof LINK_ATTRS]>;

/** A class of its own for each kind of record (codec/record.ts). */
const LinkRecord = recordKind<Link>(class extends RawRecord {}, rtnetlinkCodec);
const NO_HEADER: RtLinkIfinfomsg = {};

/** Friendly view of a decoded RTM_NEWLINK (whole, or with LINK_FIELDS). */
export function toLink(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Link {
  return fillLink(new LinkRecord(bytes ?? m, offset), m);
}

/** Every field of a Link: reading one of a lazy link's decodes it (quick ones aside). */
const LINK_FIELD_NAMES = [
  'index',
  'name',
  'type',
  'flags',
  'up',
  'lowerUp',
  'altnames',
  ...(Object.keys(LINK_ATTRS) as (keyof typeof LINK_ATTRS)[]),
  'addrGenMode',
  'stats',
  'kind',
  'data',
  'slaveKind',
  'slaveData',
] as const satisfies readonly (keyof Link)[];

/** Links of a dump, decoded on first read (codec/lazy-record.ts); index and name read alone. */
const LAZY_LINK = lazyKind<Link>(
  LINK_FIELD_NAMES,
  { index: quickHeaderMember(rtnetlinkCodec, 'newlink', 'index'), name: quickAttribute(rtnetlinkCodec, 'newlink', 'ifname') },
  (link, ctx, offset) => {
    const codec = rtnetlinkCodec();
    fillLink(link, codec.decodeFrame(ctx, offset, codec.frameEnd(ctx, offset), LINK_FIELDS));
  },
);

/** The mapper of a link dump ('frame' replies): RTM_NEWLINK as lazy Links. */
export function lazyLinks(): (m: { readonly type: number }, bytes: Uint8Array, offset: number) => Link | undefined {
  return lazyMapper(LinkRecord, LAZY_LINK, rtnetlinkCodec, 'newlink');
}

/** Writes the fields of a decoded RTM_NEWLINK (whole, or with LINK_FIELDS) into `link`. */
function fillLink(link: Link, m: NetlinkMessage): Link {
  const { header: h = NO_HEADER, attrs: a = {} } = m as RtnlMessage<'newlink'>;
  const flags = h.flags ?? [];
  link.index = h.index!;
  link.name = a.ifname!;
  link.type = h.type!;
  link.flags = flags;
  link.up = flags.includes('up');
  link.lowerUp = flags.includes('lower_up');
  link.altnames = a.propList?.altIfname ?? [];
  // LINK_ATTRS, in its order (named stores: see codec/record.ts).
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
  const info = a.linkinfo;
  if (info) {
    if (info.kind !== undefined) link.kind = info.kind;
    if (info.data !== undefined) link.data = info.data;
    if (info.slaveKind !== undefined) link.slaveKind = info.slaveKind;
    if (info.slaveData !== undefined) link.slaveData = info.slaveData;
  }
  return link;
}
