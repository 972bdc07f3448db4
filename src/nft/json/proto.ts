/**
 * Protocol header descriptions (nftables src/proto.c): which field sits at which bit offset of which header,
 * its datatype, and how protocols stack (ethernet type -> ip -> protocol -> tcp). The delinearizer names a raw
 * payload load (`payload load 2b @ transport header + 2`) by finding the template at that offset in the
 * protocol the rule's earlier matches established (`tcp` -> `dport`).
 *
 * Template arrays are indexed like nft's enums (index 0 is the meta template some protocols use for their
 * dependency), in ascending offset order, which payload_expr_expand relies on.
 */
import {
  type Datatype,
  arpopType,
  bitmaskType,
  booleanType,
  dccpPkttypeType,
  dscpType,
  ecnType,
  etheraddrType,
  ethertypeType,
  icmp6TypeType,
  icmpCodeType,
  icmpTypeType,
  icmpv6CodeType,
  igmpTypeType,
  inetProtocolType,
  inetServiceType,
  integerType,
  invalidType,
  ip6addrType,
  ipaddrType,
  mhTypeType,
  nfprotoType,
  tcpFlagType,
} from './datatypes.js';
import type { ByteOrder } from './mpz.js';

/** ICMP field dependencies: the type a field is only meaningful for. */
export const ICMP_DEP = { ANY: 0, ECHO: 1, MTU: 2, ADDRESS: 3, ECHO6: 4, MTU6: 5, MGMQ: 6, PPTR: 7 } as const;

export interface ProtoTemplate {
  readonly token: string;
  readonly dtype: Datatype;
  readonly byteorder: ByteOrder;
  /** bits */
  readonly offset: number;
  /** bits */
  readonly len: number;
  /** meta key of a dependency template (index 0) */
  readonly metaKey?: number;
  readonly icmpDep?: number;
}

export interface ProtoDesc {
  readonly name: string;
  readonly base: number;
  /** template index of the field naming the next protocol */
  readonly protocolKey?: number;
  /** header length in bits, for protocols stacked on the same layer (vlan after ethernet) */
  readonly length?: number;
  /** next-layer protocols by protocol value (natural byte order) */
  protocols: readonly (readonly [number, ProtoDesc])[];
  readonly templates: readonly (ProtoTemplate | undefined)[];
}

const T = (token: string, dtype: Datatype, offset: number, len: number, extra: Partial<ProtoTemplate> = {}): ProtoTemplate => ({
  token,
  dtype,
  byteorder: 'big',
  offset,
  len,
  ...extra,
});
const I = (token: string, offset: number, len: number, extra: Partial<ProtoTemplate> = {}): ProtoTemplate =>
  T(token, integerType, offset, len, extra);
const META = (token: string, dtype: Datatype, key: number, len: number): ProtoTemplate => ({
  token,
  dtype,
  byteorder: 'host',
  offset: 0,
  len,
  metaKey: key,
});

/** Protocol bases (nft's, one above the kernel's NFT_PAYLOAD_*). */
export const BASE = { INVALID: 0, LL: 1, NETWORK: 2, TRANSPORT: 3, INNER: 4 } as const;

const NFT_META_PROTOCOL = 1;
const NFT_META_NFPROTO = 15;
const NFT_META_L4PROTO = 16;

export const protoUnknownTemplate: ProtoTemplate = { token: 'unknown', dtype: invalidType, byteorder: 'invalid', offset: 0, len: 0 };

function desc(d: Omit<ProtoDesc, 'protocols'>): ProtoDesc {
  return { protocolKey: 0, ...d, protocols: [] };
}

export const protoAh = desc({
  name: 'ah',
  base: BASE.TRANSPORT,
  protocolKey: 1,
  templates: [undefined, T('nexthdr', inetProtocolType, 0, 8), I('hdrlength', 8, 8), I('reserved', 16, 16), I('spi', 32, 32), I('sequence', 64, 32)],
});

export const protoEsp = desc({ name: 'esp', base: BASE.TRANSPORT, templates: [undefined, I('spi', 0, 32), I('sequence', 32, 32)] });

export const protoComp = desc({
  name: 'comp',
  base: BASE.TRANSPORT,
  protocolKey: 1,
  templates: [undefined, T('nexthdr', inetProtocolType, 0, 8), T('flags', bitmaskType, 8, 8), I('cpi', 16, 16)],
});

export const protoIcmp = desc({
  name: 'icmp',
  base: BASE.TRANSPORT,
  protocolKey: 1,
  templates: [
    undefined,
    T('type', icmpTypeType, 0, 8),
    T('code', icmpCodeType, 8, 8),
    I('checksum', 16, 16, { icmpDep: ICMP_DEP.ANY }),
    I('id', 32, 16, { icmpDep: ICMP_DEP.ECHO }),
    I('sequence', 48, 16, { icmpDep: ICMP_DEP.ECHO }),
    I('gateway', 32, 32, { icmpDep: ICMP_DEP.ADDRESS }),
    I('mtu', 48, 16, { icmpDep: ICMP_DEP.MTU }),
  ],
});

export const protoIgmp = desc({
  name: 'igmp',
  base: BASE.TRANSPORT,
  templates: [undefined, T('type', igmpTypeType, 0, 8), I('checksum', 16, 16), I('mrt', 8, 8), I('group', 32, 32)],
});

export const protoUdp = desc({
  name: 'udp',
  base: BASE.TRANSPORT,
  templates: [undefined, T('sport', inetServiceType, 0, 16), T('dport', inetServiceType, 16, 16), I('length', 32, 16), I('checksum', 48, 16)],
});

export const protoUdplite = desc({
  name: 'udplite',
  base: BASE.TRANSPORT,
  templates: [undefined, T('sport', inetServiceType, 0, 16), T('dport', inetServiceType, 16, 16), I('csumcov', 32, 16), I('checksum', 48, 16)],
});

export const protoTcp = desc({
  name: 'tcp',
  base: BASE.TRANSPORT,
  templates: [
    undefined,
    T('sport', inetServiceType, 0, 16),
    T('dport', inetServiceType, 16, 16),
    I('sequence', 32, 32),
    I('ackseq', 64, 32),
    I('doff', 96, 4),
    I('reserved', 100, 4),
    T('flags', tcpFlagType, 104, 8),
    I('window', 112, 16),
    I('checksum', 128, 16),
    I('urgptr', 144, 16),
  ],
});

export const protoDccp = desc({
  name: 'dccp',
  base: BASE.TRANSPORT,
  templates: [undefined, T('sport', inetServiceType, 0, 16), T('dport', inetServiceType, 16, 16), T('type', dccpPkttypeType, 67, 4)],
});

export const protoSctp = desc({
  name: 'sctp',
  base: BASE.TRANSPORT,
  templates: [undefined, T('sport', inetServiceType, 0, 16), T('dport', inetServiceType, 16, 16), I('vtag', 32, 32), I('checksum', 64, 32)],
});

/** `th`: the ports every transport protocol of interest shares, for raw transport loads. */
export const protoTh = desc({
  name: 'th',
  base: BASE.TRANSPORT,
  templates: [undefined, T('sport', inetServiceType, 0, 16), T('dport', inetServiceType, 16, 16)],
});

export const protoIp = desc({
  name: 'ip',
  base: BASE.NETWORK,
  templates: [
    META('l4proto', inetProtocolType, NFT_META_L4PROTO, 8),
    I('version', 0, 4),
    I('hdrlength', 4, 4),
    T('dscp', dscpType, 8, 6),
    T('ecn', ecnType, 14, 2),
    I('length', 16, 16),
    I('id', 32, 16),
    I('frag-off', 48, 16),
    I('ttl', 64, 8),
    T('protocol', inetProtocolType, 72, 8),
    I('checksum', 80, 16),
    T('saddr', ipaddrType, 96, 32),
    T('daddr', ipaddrType, 128, 32),
  ],
});
export const IPHDR_PROTOCOL = 9;

export const protoIcmp6 = desc({
  name: 'icmpv6',
  base: BASE.TRANSPORT,
  protocolKey: 1,
  templates: [
    undefined,
    T('type', icmp6TypeType, 0, 8),
    T('code', icmpv6CodeType, 8, 8),
    I('checksum', 16, 16, { icmpDep: ICMP_DEP.ANY }),
    I('parameter-problem', 32, 32, { icmpDep: ICMP_DEP.PPTR }),
    I('mtu', 32, 32, { icmpDep: ICMP_DEP.MTU6 }),
    I('id', 32, 16, { icmpDep: ICMP_DEP.ECHO6 }),
    I('sequence', 48, 16, { icmpDep: ICMP_DEP.ECHO6 }),
    I('max-delay', 32, 16, { icmpDep: ICMP_DEP.MGMQ }),
  ],
});

export const protoIp6 = desc({
  name: 'ip6',
  base: BASE.NETWORK,
  templates: [
    META('l4proto', inetProtocolType, NFT_META_L4PROTO, 8),
    I('version', 0, 4),
    T('dscp', dscpType, 4, 6),
    T('ecn', ecnType, 10, 2),
    I('flowlabel', 12, 20),
    I('length', 32, 16),
    T('nexthdr', inetProtocolType, 48, 8),
    I('hoplimit', 56, 8),
    T('saddr', ip6addrType, 64, 128),
    T('daddr', ip6addrType, 192, 128),
  ],
});
export const IP6HDR_NEXTHDR = 6;

/** Mixed IPv4/IPv6 tables: the link layer's "protocol" is meta nfproto. */
export const protoInet = desc({ name: 'inet', base: BASE.LL, templates: [META('nfproto', nfprotoType, NFT_META_NFPROTO, 8)] });

/** Transport protocols when the network protocol is not known: meta l4proto. */
export const protoInetService = desc({
  name: 'inet-service',
  base: BASE.TRANSPORT,
  protocolKey: 0,
  templates: [META('l4proto', inetProtocolType, NFT_META_L4PROTO, 8)],
});

export const protoArp = desc({
  name: 'arp',
  base: BASE.NETWORK,
  templates: [
    undefined,
    I('htype', 0, 16),
    T('ptype', ethertypeType, 16, 16),
    I('hlen', 32, 8),
    I('plen', 40, 8),
    T('operation', arpopType, 48, 16),
    T('saddr ether', etheraddrType, 64, 48),
    T('saddr ip', ipaddrType, 112, 32),
    T('daddr ether', etheraddrType, 144, 48),
    T('daddr ip', ipaddrType, 192, 32),
  ],
});

export const protoVlan = desc({
  name: 'vlan',
  base: BASE.LL,
  protocolKey: 5,
  length: 32,
  templates: [undefined, I('pcp', 0, 3), I('dei', 3, 1), I('cfi', 3, 1), I('id', 4, 12), T('type', ethertypeType, 16, 16)],
});

export const protoEth = desc({
  name: 'ether',
  base: BASE.LL,
  protocolKey: 3,
  length: 112,
  templates: [undefined, T('daddr', etheraddrType, 0, 48), T('saddr', etheraddrType, 48, 48), T('type', ethertypeType, 96, 16)],
});

/** netdev tables: the link layer's "protocol" is meta protocol (skb->protocol). */
export const protoNetdev = desc({ name: 'netdev', base: BASE.LL, templates: [META('protocol', ethertypeType, NFT_META_PROTOCOL, 16)] });

const l4Links = (): [number, ProtoDesc][] => [
  [50, protoEsp],
  [51, protoAh],
  [108, protoComp],
  [17, protoUdp],
  [136, protoUdplite],
  [6, protoTcp],
  [33, protoDccp],
  [132, protoSctp],
];
const l3Links = (): [number, ProtoDesc][] => [
  [0x0800, protoIp],
  [0x0806, protoArp],
  [0x86dd, protoIp6],
  [0x8100, protoVlan],
  [0x88a8, protoVlan],
];
protoAh.protocols = l4Links();
protoComp.protocols = l4Links();
protoIp.protocols = [[1, protoIcmp], [2, protoIgmp], [58, protoIcmp6], ...l4Links()];
protoIp6.protocols = [...l4Links(), [1, protoIcmp], [2, protoIgmp], [58, protoIcmp6]];
protoInetService.protocols = [...l4Links(), [1, protoIcmp], [2, protoIgmp], [58, protoIcmp6]];
protoInet.protocols = [
  [2, protoIp],
  [10, protoIp6],
];
protoVlan.protocols = l3Links();
protoEth.protocols = l3Links();
protoNetdev.protocols = l3Links();

/** proto_find_upper. */
export function protoFindUpper(base: ProtoDesc | undefined, num: number): ProtoDesc | undefined {
  if (!base) return undefined;
  for (const [n, d] of base.protocols) if (n === num) return d;
  return undefined;
}

/** proto_find_num. */
export function protoFindNum(base: ProtoDesc | undefined, d: ProtoDesc | undefined): number {
  if (!base) return -1;
  for (const [n, x] of base.protocols) if (x === d) return n;
  return -1;
}

/** NFPROTO_* of tables. */
export const NFPROTO = { UNSPEC: 0, INET: 1, IPV4: 2, ARP: 3, NETDEV: 5, BRIDGE: 7, IPV6: 10 } as const;

/** hook_proto_desc: the protocol a family's hooks see first, and at which base. */
export function hookProtoDesc(family: number): { base: number; desc?: ProtoDesc } {
  switch (family) {
    case NFPROTO.BRIDGE:
      return { base: BASE.LL, desc: protoEth };
    case NFPROTO.NETDEV:
      return { base: BASE.LL, desc: protoNetdev };
    case NFPROTO.INET:
      return { base: BASE.LL, desc: protoInet };
    case NFPROTO.IPV4:
      return { base: BASE.NETWORK, desc: protoIp };
    case NFPROTO.IPV6:
      return { base: BASE.NETWORK, desc: protoIp6 };
    case NFPROTO.ARP:
      return { base: BASE.NETWORK, desc: protoArp };
    default:
      return { base: BASE.INVALID };
  }
}

/** proto_dev_desc: ARPHRD_ETHER is ethernet. */
export function protoDevDesc(type: number): ProtoDesc | undefined {
  return type === 1 ? protoEth : undefined;
}

export const protoUnknown = desc({ name: 'unknown', base: BASE.INVALID, templates: [] });

/** Type of the ICMP message an ICMP field dependency stands for (icmp_dep_to_type). */
export function icmpDepToType(dep: number): number {
  switch (dep) {
    case ICMP_DEP.ECHO:
      return 8;
    case ICMP_DEP.ECHO6:
      return 128;
    case ICMP_DEP.MTU:
      return 3;
    case ICMP_DEP.ADDRESS:
      return 5;
    case ICMP_DEP.MTU6:
      return 2;
    case ICMP_DEP.MGMQ:
      return 130;
    case ICMP_DEP.PPTR:
      return 4;
    default:
      return 0;
  }
}

// ------------------------------------------------------------------------------------------------------------
// extension headers (src/exthdr.c, tcpopt.c, ipopt.c)

export interface ExthdrDesc {
  readonly name: string;
  readonly type: number;
  readonly templates: readonly (ProtoTemplate | undefined)[];
}

export const exthdrUnknownTemplate: ProtoTemplate = { token: 'unknown', dtype: invalidType, byteorder: 'invalid', offset: 0, len: 0 };

const ipv6Ext = (name: string, type: number, templates: (ProtoTemplate | undefined)[]): ExthdrDesc => ({ name, type, templates });

export const exthdrHbh = ipv6Ext('hbh', 0, [T('nexthdr', inetProtocolType, 0, 8), I('hdrlength', 8, 8)]);
export const exthdrRt = ipv6Ext('rt', 43, [T('nexthdr', inetProtocolType, 0, 8), I('hdrlength', 8, 8), I('type', 16, 8), I('seg-left', 24, 8)]);
export const exthdrRt0 = ipv6Ext('rt0', 43, [I('reserved', 32, 32), T('addr[1]', ip6addrType, 64, 128), T('addr[2]', ip6addrType, 192, 128)]);
export const exthdrRt2 = ipv6Ext('rt2', 43, []);
export const exthdrSrh = ipv6Ext('srh', 43, [
  I('last-entry', 32, 8),
  I('flags', 40, 8),
  I('tag', 48, 16),
  T('sid[1]', ip6addrType, 64, 128),
  T('sid[2]', ip6addrType, 192, 128),
]);
export const exthdrFrag = ipv6Ext('frag', 44, [
  T('nexthdr', inetProtocolType, 0, 8),
  I('reserved', 8, 8),
  I('frag-off', 16, 13),
  I('reserved2', 29, 2),
  I('more-fragments', 31, 1),
  I('id', 32, 32),
]);
export const exthdrDst = ipv6Ext('dst', 60, [T('nexthdr', inetProtocolType, 0, 8), I('hdrlength', 8, 8)]);
export const exthdrMh = ipv6Ext('mh', 135, [
  T('nexthdr', inetProtocolType, 0, 8),
  I('hdrlength', 8, 8),
  T('type', mhTypeType, 16, 8),
  I('reserved', 24, 8),
  I('checksum', 32, 16),
]);

export const EXTHDR_BY_PROTO: Record<number, ExthdrDesc> = { 0: exthdrHbh, 43: exthdrRt, 44: exthdrFrag, 60: exthdrDst, 135: exthdrMh };

const tcpopt = (name: string, type: number, templates: (ProtoTemplate | undefined)[]): ExthdrDesc => ({ name, type, templates });
const kind = I('kind', 0, 8);
const length = I('length', 8, 8);

export const TCPOPTS: Record<number, ExthdrDesc> = {
  0: tcpopt('eol', 0, [kind]),
  1: tcpopt('nop', 1, [kind]),
  2: tcpopt('maxseg', 2, [kind, length, I('size', 16, 16)]),
  3: tcpopt('window', 3, [kind, length, I('count', 16, 8)]),
  4: tcpopt('sack-perm', 4, [kind, length]),
  5: tcpopt('sack', 5, [
    kind,
    length,
    I('left', 16, 32),
    I('right', 48, 32),
    I('left', 80, 32),
    I('right', 112, 32),
    I('left', 144, 32),
    I('right', 176, 32),
    I('left', 208, 32),
    I('right', 240, 32),
  ]),
  8: tcpopt('timestamp', 8, [kind, length, I('tsval', 16, 32), I('tsecr', 48, 32)]),
  19: tcpopt('md5sig', 19, [kind, length]),
  30: tcpopt('mptcp', 30, [kind, length, I('subtype', 16, 4)]),
  34: tcpopt('fastopen', 34, [kind, length]),
};

const ipoptAddr = (name: string, type: number): ExthdrDesc => ({
  name,
  type,
  templates: [I('type', 0, 8), I('length', 8, 8), I('ptr', 16, 8), I('addr', 24, 32)],
});
export const IPOPTS: Record<number, ExthdrDesc> = {
  131: ipoptAddr('lsrr', 131),
  7: ipoptAddr('rr', 7),
  137: ipoptAddr('ssrr', 137),
  148: { name: 'ra', type: 148, templates: [I('type', 0, 8), I('length', 8, 8), I('value', 16, 16)] },
};

/** SCTP chunks (src/sctp_chunk.c): every chunk has type, flags and length, some have more fields. */
const chunk = (name: string, type: number, more: ProtoTemplate[] = []): ExthdrDesc => ({
  name,
  type,
  templates: [I('type', 0, 8), I('flags', 8, 8), I('length', 16, 16), ...more],
});
const initFields = [
  I('init-tag', 32, 32),
  I('a-rwnd', 64, 32),
  I('num-outbound-streams', 96, 16),
  I('num-inbound-streams', 112, 16),
  I('initial-tsn', 128, 32),
];
export const SCTP_CHUNKS: Record<number, ExthdrDesc> = {
  0: chunk('data', 0, [I('tsn', 32, 32), I('stream', 64, 16), I('ssn', 80, 16), I('ppid', 96, 32)]),
  1: chunk('init', 1, initFields),
  2: chunk('init-ack', 2, initFields),
  3: chunk('sack', 3, [I('cum-tsn-ack', 32, 32), I('a-rwnd', 64, 32), I('num-gap-ack-blocks', 96, 16), I('num-dup-tsns', 112, 16)]),
  4: chunk('heartbeat', 4),
  5: chunk('heartbeat-ack', 5),
  6: chunk('abort', 6),
  7: chunk('shutdown', 7, [I('cum-tsn-ack', 32, 32)]),
  8: chunk('shutdown-ack', 8),
  9: chunk('error', 9),
  10: chunk('cookie-echo', 10),
  11: chunk('cookie-ack', 11),
  12: chunk('ecne', 12, [I('lowest-tsn', 32, 32)]),
  13: chunk('cwr', 13, [I('lowest-tsn', 32, 32)]),
  14: chunk('shutdown-complete', 14),
  128: chunk('asconf-ack', 128, [I('seqno', 32, 32)]),
  192: chunk('forward-tsn', 192, [I('new-cum-tsn', 32, 32)]),
  193: chunk('asconf', 193, [I('seqno', 32, 32)]),
};

export { booleanType };
