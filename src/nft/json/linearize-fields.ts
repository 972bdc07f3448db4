/**
 * What nft knows about the places a rule reads: header fields by protocol (nft's proto_desc
 * templates: offset and size in bits, datatype), meta keys and ct keys. The numbers are nft 1.0.6's
 * (src/proto.c, src/meta.c, src/ct.c); `descId` / `fieldId` are what set userdata names them by.
 */
import { TYPES, type DataType } from './linearize-types.js';

/** NFT_PAYLOAD_* bases: link layer, network, transport, inner. */
export type PayloadBase = 'll-header' | 'network-header' | 'transport-header' | 'inner-header';

export interface FieldDesc {
  readonly name: string;
  /** Position in the proto_desc's templates (set typeof userdata). */
  readonly id: number;
  readonly offset: number;
  readonly bits: number;
  readonly type: DataType;
  /** The field names the next header's protocol (ip protocol, ether type): merges keep its place. */
  readonly protocolKey?: boolean;
}

/** Which layer a header is at and how a rule makes sure the packet has it. */
export type ProtoLayer = 'll' | 'nh' | 'th';

export interface ProtoDesc {
  readonly name: string;
  /** nft's PROTO_DESC_* id. */
  readonly descId: number;
  readonly base: PayloadBase;
  readonly layer: ProtoLayer;
  /** Network protocols: the NFPROTO_* (meta nfproto) and ethertype (meta protocol) that select them. */
  readonly nfproto?: number;
  readonly ethertype?: number;
  /** Transport protocols: IPPROTO_* (meta l4proto); `l3` when only one network protocol carries it. */
  readonly l4proto?: number;
  readonly l3?: 'ip' | 'ip6';
  readonly fields: Readonly<Record<string, FieldDesc>>;
}

const I = TYPES.integer;

function fields(list: readonly [string, number, number, DataType, boolean?][]): Record<string, FieldDesc> {
  const out: Record<string, FieldDesc> = {};
  list.forEach(([name, offset, bits, type, protocolKey], i) => {
    out[name] = { name, id: i + 1, offset, bits, type, ...(protocolKey && { protocolKey }) };
  });
  return out;
}

const ports = (extra: readonly [string, number, number, DataType][] = []) =>
  fields([['sport', 0, 16, TYPES.inet_service], ['dport', 16, 16, TYPES.inet_service], ...extra]);

const th = (name: string, descId: number, l4proto: number, f: Record<string, FieldDesc>, l3?: 'ip' | 'ip6'): ProtoDesc => ({
  name,
  descId,
  base: 'transport-header',
  layer: 'th',
  l4proto,
  ...(l3 && { l3 }),
  fields: f,
});

export const PROTOCOLS: Readonly<Record<string, ProtoDesc>> = {
  ether: {
    name: 'ether',
    descId: 17,
    base: 'll-header',
    layer: 'll',
    fields: fields([
      ['daddr', 0, 48, TYPES.ether_addr],
      ['saddr', 48, 48, TYPES.ether_addr],
      ['type', 96, 16, TYPES.ether_type, true],
    ]),
  },
  vlan: {
    name: 'vlan',
    descId: 16,
    base: 'll-header',
    layer: 'll',
    fields: fields([
      ['pcp', 112, 3, I],
      ['dei', 115, 1, I],
      ['id', 116, 12, I],
      ['type', 128, 16, TYPES.ether_type, true],
    ]),
  },
  ip: {
    name: 'ip',
    descId: 12,
    base: 'network-header',
    layer: 'nh',
    nfproto: 2,
    ethertype: 0x0800,
    fields: fields([
      ['version', 0, 4, I],
      ['hdrlength', 4, 4, I],
      ['dscp', 8, 6, TYPES.dscp],
      ['ecn', 14, 2, TYPES.ecn],
      ['length', 16, 16, I],
      ['id', 32, 16, I],
      ['frag-off', 48, 16, I],
      ['ttl', 64, 8, I],
      ['protocol', 72, 8, TYPES.inet_proto, true],
      ['checksum', 80, 16, I],
      ['saddr', 96, 32, TYPES.ipv4_addr],
      ['daddr', 128, 32, TYPES.ipv4_addr],
    ]),
  },
  ip6: {
    name: 'ip6',
    descId: 13,
    base: 'network-header',
    layer: 'nh',
    nfproto: 10,
    ethertype: 0x86dd,
    fields: fields([
      ['version', 0, 4, I],
      ['dscp', 4, 6, TYPES.dscp],
      ['ecn', 10, 2, TYPES.ecn],
      ['flowlabel', 12, 20, I],
      ['length', 32, 16, I],
      ['nexthdr', 48, 8, TYPES.inet_proto, true],
      ['hoplimit', 56, 8, I],
      ['saddr', 64, 128, TYPES.ipv6_addr],
      ['daddr', 192, 128, TYPES.ipv6_addr],
    ]),
  },
  arp: {
    name: 'arp',
    descId: 15,
    base: 'network-header',
    layer: 'nh',
    ethertype: 0x0806,
    fields: fields([
      ['htype', 0, 16, I],
      ['ptype', 16, 16, TYPES.ether_type],
      ['hlen', 32, 8, I],
      ['plen', 40, 8, I],
      ['operation', 48, 16, TYPES.arp_op],
      ['saddr ether', 64, 48, TYPES.ether_addr],
      ['saddr ip', 112, 32, TYPES.ipv4_addr],
      ['daddr ether', 144, 48, TYPES.ether_addr],
      ['daddr ip', 192, 32, TYPES.ipv4_addr],
    ]),
  },
  tcp: th(
    'tcp',
    8,
    6,
    ports([
      ['sequence', 32, 32, I],
      ['ackseq', 64, 32, I],
      ['doff', 96, 4, I],
      ['reserved', 100, 4, I],
      ['flags', 104, 8, TYPES.tcp_flag],
      ['window', 112, 16, I],
      ['checksum', 128, 16, I],
      ['urgptr', 144, 16, I],
    ]),
  ),
  udp: th(
    'udp',
    6,
    17,
    ports([
      ['length', 32, 16, I],
      ['checksum', 48, 16, I],
    ]),
  ),
  udplite: th(
    'udplite',
    7,
    136,
    ports([
      ['csumcov', 32, 16, I],
      ['checksum', 48, 16, I],
    ]),
  ),
  sctp: th(
    'sctp',
    10,
    132,
    ports([
      ['vtag', 32, 32, I],
      ['checksum', 64, 32, I],
    ]),
  ),
  dccp: th('dccp', 9, 33, ports()),
  th: { name: 'th', descId: 11, base: 'transport-header', layer: 'th', fields: ports() },
  icmp: th(
    'icmp',
    4,
    1,
    fields([
      ['type', 0, 8, TYPES.icmp_type],
      ['code', 8, 8, TYPES.icmp_code],
      ['checksum', 16, 16, I],
    ]),
    'ip',
  ),
  icmpv6: th(
    'icmpv6',
    14,
    58,
    fields([
      ['type', 0, 8, TYPES.icmpv6_type],
      ['code', 8, 8, TYPES.icmpv6_code],
      ['checksum', 16, 16, I],
    ]),
    'ip6',
  ),
  esp: th(
    'esp',
    2,
    50,
    fields([
      ['spi', 0, 32, I],
      ['sequence', 32, 32, I],
    ]),
  ),
  ah: th(
    'ah',
    1,
    51,
    fields([
      ['nexthdr', 0, 8, TYPES.inet_proto],
      ['hdrlength', 8, 8, I],
      ['reserved', 16, 16, I],
      ['spi', 32, 32, I],
      ['sequence', 64, 32, I],
    ]),
  ),
};

export interface KeyDesc {
  /** The key's name in the spec's enum (meta-keys, ct-keys). */
  readonly key: string;
  readonly type: DataType;
  readonly bits: number;
  readonly byteorder: 'big' | 'host';
}

const k = (key: string, type: DataType, bits = type.bits, byteorder = type.byteorder): KeyDesc => ({ key, type, bits, byteorder });

/** JSON meta key -> the kernel's key and what it loads (nft's meta_templates). */
export const META_KEYS: Readonly<Record<string, KeyDesc>> = {
  length: k('len', I, 32, 'host'),
  protocol: k('protocol', TYPES.ether_type),
  priority: k('priority', TYPES.classid),
  mark: k('mark', TYPES.mark),
  iif: k('iif', TYPES.iface_index),
  oif: k('oif', TYPES.iface_index),
  iifname: k('iifname', TYPES.ifname),
  oifname: k('oifname', TYPES.ifname),
  iiftype: k('iiftype', TYPES.iface_type),
  oiftype: k('oiftype', TYPES.iface_type),
  skuid: k('skuid', TYPES.uid),
  skgid: k('skgid', TYPES.gid),
  nftrace: k('nftrace', I, 1, 'host'),
  rtclassid: k('rtclassid', TYPES.realm),
  secmark: k('secmark', I, 32, 'host'),
  nfproto: k('nfproto', TYPES.nf_proto),
  l4proto: k('l4proto', TYPES.inet_proto, 8, 'host'),
  ibrname: k('bri-iifname', TYPES.ifname),
  obrname: k('bri-oifname', TYPES.ifname),
  ibriport: k('bri-iifname', TYPES.ifname),
  obriport: k('bri-oifname', TYPES.ifname),
  pkttype: k('pkttype', TYPES.pkt_type),
  cpu: k('cpu', I, 32, 'host'),
  iifgroup: k('iifgroup', TYPES.devgroup),
  oifgroup: k('oifgroup', TYPES.devgroup),
  cgroup: k('cgroup', I, 32, 'host'),
  random: k('prandom', I, 32, 'big'),
  secpath: k('secpath', TYPES.boolean, 8, 'host'),
  iifkind: k('iifkind', TYPES.ifname),
  oifkind: k('oifkind', TYPES.ifname),
  ibrpvid: k('bri-iifpvid', I, 16, 'host'),
  ibrvproto: k('bri-iifvproto', TYPES.ether_type),
  time: k('time-ns', TYPES.date),
  day: k('time-day', TYPES.day),
  hour: k('time-hour', TYPES.hour),
  sdif: k('sdif', TYPES.iface_index),
  sdifname: k('sdifname', TYPES.ifname),
  broute: k('bri-broute', TYPES.boolean, 8, 'host'),
};

/** JSON ct key -> the kernel's key and what it loads; saddr/daddr depend on the family (ctAddressKey). */
export const CT_KEYS: Readonly<Record<string, KeyDesc & { dir?: 'required' | 'none' }>> = {
  state: { ...k('state', TYPES.ct_state), dir: 'none' },
  direction: { ...k('direction', TYPES.ct_dir), dir: 'none' },
  status: { ...k('status', TYPES.ct_status), dir: 'none' },
  mark: { ...k('mark', TYPES.mark), dir: 'none' },
  secmark: { ...k('secmark', I, 32, 'host'), dir: 'none' },
  expiration: { ...k('expiration', TYPES.time, 32, 'host'), dir: 'none' },
  helper: { ...k('helper', TYPES.string, 128, 'host'), dir: 'none' },
  l3proto: k('l3protocol', TYPES.nf_proto),
  protocol: k('protocol', TYPES.inet_proto),
  'proto-src': { ...k('proto-src', TYPES.inet_service), dir: 'required' },
  'proto-dst': { ...k('proto-dst', TYPES.inet_service), dir: 'required' },
  label: { ...k('labels', TYPES.ct_label), dir: 'none' },
  packets: k('pkts', I, 64, 'host'),
  bytes: k('bytes', I, 64, 'host'),
  avgpkt: k('avgpkt', I, 64, 'host'),
  zone: k('zone', I, 16, 'host'),
  id: { ...k('id', I, 32, 'big'), dir: 'none' },
};

/** The meta keys `mangle` may set (nft's meta_key_is_unqualified / settable keys). */
export const META_SETTABLE = new Set(['mark', 'priority', 'pkttype', 'nftrace', 'secmark']);
/** The ct keys `mangle` may set. */
export const CT_SETTABLE = new Set(['mark', 'label', 'zone', 'event', 'secmark', 'expectation', 'helper']);
