/**
 * Keys of the non-payload expressions (nftables src/meta.c, ct.c, rt.c, socket.c, fib.c, xfrm.c): the token
 * nft prints for each kernel key, and the datatype, length and byte order of the value it loads.
 */
import {
  type Datatype,
  arphrdType,
  booleanType,
  ctDirType,
  ctEventType,
  ctLabelType,
  ctStateType,
  ctStatusType,
  dateType,
  dayType,
  devgroupType,
  ethertypeType,
  gidType,
  hourType,
  ifindexType,
  ifnameType,
  inetProtocolType,
  integerType,
  invalidType,
  ip6addrType,
  ipaddrType,
  markType,
  nfprotoType,
  pkttypeType,
  realmType,
  stringType,
  tchandleType,
  timeType,
  uidType,
  cgroupv2Type,
  fibAddrType,
} from './datatypes.js';
import type { ByteOrder } from './mpz.js';

export interface KeyTemplate {
  readonly token: string;
  readonly dtype: Datatype;
  /** bits */
  readonly len: number;
  readonly byteorder: ByteOrder;
}

const K = (token: string, dtype: Datatype, len: number, byteorder: ByteOrder = 'host'): KeyTemplate => ({ token, dtype, len, byteorder });

/** meta_templates, indexed by NFT_META_*. */
export const META_TEMPLATES: readonly (KeyTemplate | undefined)[] = [
  K('length', integerType, 32),
  K('protocol', ethertypeType, 16, 'big'),
  K('priority', tchandleType, 32),
  K('mark', markType, 32),
  K('iif', ifindexType, 32),
  K('oif', ifindexType, 32),
  K('iifname', ifnameType, 128),
  K('oifname', ifnameType, 128),
  K('iiftype', arphrdType, 16),
  K('oiftype', arphrdType, 16),
  K('skuid', uidType, 32),
  K('skgid', gidType, 32),
  K('nftrace', integerType, 1),
  K('rtclassid', realmType, 32),
  K('secmark', integerType, 32),
  K('nfproto', nfprotoType, 8),
  K('l4proto', inetProtocolType, 8),
  K('ibrname', ifnameType, 128),
  K('obrname', ifnameType, 128),
  K('pkttype', pkttypeType, 8),
  K('cpu', integerType, 32),
  K('iifgroup', devgroupType, 32),
  K('oifgroup', devgroupType, 32),
  K('cgroup', integerType, 32),
  K('random', integerType, 32, 'big'),
  K('ipsec', booleanType, 8),
  K('iifkind', ifnameType, 128),
  K('oifkind', ifnameType, 128),
  K('ibrpvid', integerType, 16),
  K('ibrvproto', ethertypeType, 16, 'big'),
  K('time', dateType, 64),
  K('day', dayType, 8),
  K('hour', hourType, 32),
  K('sdif', ifindexType, 32),
  K('sdifname', ifnameType, 128),
  K('broute', booleanType, 8),
];

export const NFT_META = {
  LEN: 0,
  PROTOCOL: 1,
  MARK: 3,
  IIF: 4,
  IIFNAME: 6,
  IIFTYPE: 8,
  NFPROTO: 15,
  L4PROTO: 16,
  SECPATH: 25,
} as const;

/** ct_templates, indexed by NFT_CT_*. */
export const CT_TEMPLATES: readonly (KeyTemplate | undefined)[] = [
  K('state', ctStateType, 32),
  K('direction', ctDirType, 8),
  K('status', ctStatusType, 32),
  K('mark', markType, 32),
  K('secmark', integerType, 32),
  K('expiration', timeType, 32),
  K('helper', stringType, 16 * 8),
  K('l3proto', nfprotoType, 8),
  K('saddr', invalidType, 0, 'big'),
  K('daddr', invalidType, 0, 'big'),
  K('protocol', inetProtocolType, 8, 'big'),
  K('proto-src', invalidType, 16, 'big'),
  K('proto-dst', invalidType, 16, 'big'),
  K('label', ctLabelType, 128),
  K('packets', integerType, 64),
  K('bytes', integerType, 64),
  K('avgpkt', integerType, 64),
  K('zone', integerType, 16),
  K('event', ctEventType, 32),
  K('ip saddr', ipaddrType, 32, 'big'),
  K('ip daddr', ipaddrType, 32, 'big'),
  K('ip6 saddr', ip6addrType, 128, 'big'),
  K('ip6 daddr', ip6addrType, 128, 'big'),
  K('id', integerType, 32, 'big'),
];

export const NFT_CT = {
  STATE: 0,
  DIRECTION: 1,
  STATUS: 2,
  L3PROTOCOL: 7,
  SRC: 8,
  DST: 9,
  PROTOCOL: 10,
  PROTO_SRC: 11,
  PROTO_DST: 12,
  EVENTMASK: 18,
  SRC_IP: 19,
  DST_IP: 20,
  SRC_IP6: 21,
  DST_IP6: 22,
} as const;

/** rt_templates, indexed by NFT_RT_*. */
export const RT_TEMPLATES: readonly (KeyTemplate | undefined)[] = [
  K('classid', realmType, 32),
  K('nexthop', ipaddrType, 32, 'big'),
  K('nexthop', ip6addrType, 128, 'big'),
  K('mtu', integerType, 16),
  K('ipsec', booleanType, 8),
];

/** socket_templates, indexed by NFT_SOCKET_*. */
export const SOCKET_TEMPLATES: readonly (KeyTemplate | undefined)[] = [
  K('transparent', integerType, 8),
  K('mark', markType, 32),
  K('wildcard', integerType, 8),
  K('cgroupv2', cgroupv2Type, 64),
];

/** xfrm_templates, indexed by NFT_XFRM_KEY_*. */
export const XFRM_TEMPLATES: readonly (KeyTemplate | undefined)[] = [
  undefined,
  K('daddr', ipaddrType, 32, 'big'),
  K('daddr', ip6addrType, 128, 'big'),
  K('saddr', ipaddrType, 32, 'big'),
  K('saddr', ip6addrType, 128, 'big'),
  K('reqid', integerType, 32),
  K('spi', integerType, 32, 'big'),
];

/** fib results: token, datatype and length of what the lookup loads. */
export const FIB_RESULTS: readonly (KeyTemplate | undefined)[] = [
  undefined,
  K('oif', ifindexType, 32),
  K('oifname', ifnameType, 128),
  K('type', fibAddrType, 32),
];

export { booleanType };
