/**
 * nft's symbol tables, written once for listing (datatypes.ts), applying (linearize-types.ts, linearize-stmt.ts,
 * linearize-match.ts) and text (text/datatypes.ts, text/xt.ts): name -> value in the order nft 1.0.6 lists them
 * (`nft describe ip dscp`; proto.c, datatype.c, ct.c, meta.c, fib.c). Where two names share a value, nft prints
 * the first (dscp 0 is cs0, ether type 0x8100 is 8021q): namesByValue gives that. Values are host numbers.
 */
import { rtmTypeEnum } from '../../../protocol/rt-common.js';

export type SymbolTable = Readonly<Record<string, number>>;

/** value -> the name nft prints for it (the first of the table's names for the value). */
export function namesByValue(table: SymbolTable): Readonly<Record<number, string>> {
  const out: Record<number, string> = {};
  for (const [name, value] of Object.entries(table)) out[value] ??= name;
  return out;
}

export const ICMP_TYPE_SYMBOLS: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

export const ICMPV6_TYPE_SYMBOLS: Readonly<Record<string, number>> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'mld-listener-reduction': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
};

export const ICMP_CODE_SYMBOLS: SymbolTable = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
  'frag-needed': 4,
};

export const ICMPV6_CODE_SYMBOLS: SymbolTable = {
  'no-route': 0,
  'admin-prohibited': 1,
  'addr-unreachable': 3,
  'port-unreachable': 4,
  'policy-fail': 5,
  'reject-route': 6,
};

export const ICMPX_CODE_SYMBOLS: SymbolTable = { 'port-unreachable': 1, 'admin-prohibited': 3, 'no-route': 0, 'host-unreachable': 2 };

export const ETHER_TYPE_SYMBOLS: SymbolTable = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, '8021q': 0x8100, '8021ad': 0x88a8, vlan: 0x8100 };

export const ARP_OP_SYMBOLS: SymbolTable = { request: 1, reply: 2, rrequest: 3, rreply: 4, inrequest: 8, inreply: 9, nak: 10 };

export const TCP_FLAG_SYMBOLS: SymbolTable = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80 };

export const DCCP_PKTTYPE_SYMBOLS: SymbolTable = {
  request: 0,
  response: 1,
  data: 2,
  ack: 3,
  dataack: 4,
  closereq: 5,
  close: 6,
  reset: 7,
  sync: 8,
  syncack: 9,
};

export const CT_STATE_SYMBOLS: SymbolTable = { invalid: 1, new: 8, established: 2, related: 4, untracked: 64 };

export const CT_DIR_SYMBOLS: SymbolTable = { original: 0, reply: 1 };

export const CT_STATUS_SYMBOLS: SymbolTable = { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 };

export const NFPROTO_SYMBOLS: SymbolTable = { ipv4: 2, ipv6: 10 };

/** iface_type (meta iiftype): ARPHRD_* values. */
export const ARPHRD_SYMBOLS: SymbolTable = { ether: 1, ppp: 512, ipip: 768, ipip6: 769, loopback: 772, sit: 776, ipgre: 778 };

export const PKT_TYPE_SYMBOLS: SymbolTable = { host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 };

/** The 6-bit DSCP value (not the TOS byte). */
export const DSCP_SYMBOLS: SymbolTable = {
  cs0: 0x00,
  cs1: 0x08,
  cs2: 0x10,
  cs3: 0x18,
  cs4: 0x20,
  cs5: 0x28,
  cs6: 0x30,
  cs7: 0x38,
  df: 0x00,
  be: 0x00,
  lephb: 0x01,
  af11: 0x0a,
  af12: 0x0c,
  af13: 0x0e,
  af21: 0x12,
  af22: 0x14,
  af23: 0x16,
  af31: 0x1a,
  af32: 0x1c,
  af33: 0x1e,
  af41: 0x22,
  af42: 0x24,
  af43: 0x26,
  va: 0x2c,
  ef: 0x2e,
};

export const ECN_SYMBOLS: SymbolTable = { 'not-ect': 0, ect1: 1, ect0: 2, ce: 3 };

/** fib_addrtype: the route types (RTN_*) up to prohibit, where nft's fib.c table stops. */
export const FIB_ADDRTYPE_SYMBOLS: SymbolTable = Object.fromEntries(
  Object.entries(rtmTypeEnum.entries).filter(([, v]) => v <= rtmTypeEnum.entries.prohibit),
);

/** meta day: nft matches the names as written, capitalised ("monday" is refused). */
export const DAY_SYMBOLS: SymbolTable = { Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6 };

/** /etc/protocols names by number: protocol/ip-protocols.ts (nft prints and parses inet_proto with them). */
export { IP_PROTOCOL_NAMES } from '../../../protocol/ip-protocols.js';

/** Protocol names nft's parser takes as keywords, not from /etc/protocols. */
export const IP_PROTOCOL_KEYWORDS: SymbolTable = { icmpv6: 58, comp: 108 };
