/**
 * The rtnetlink address, route, neighbour, rule and nsid specs against real kernel bytes.
 *
 * CAPTURED holds replies (and a few requests built independently in Python) taken from a 6.18
 * kernel inside throwaway network namespaces, with the `ip` command quoted above each one. Every
 * message must decode without `unknown` attributes anywhere, to the right values, and re-encode
 * byte for byte. The golden tests compare codec.encode() with a tiny independent byte builder.
 */
import { describe, expect, it } from 'vitest';
import { type NetlinkMessage, ProtocolCodec } from '../../src/codec/message.js';
import { rtAddrSpec } from '../../protocol/rt-addr.js';
import { rtNeighSpec } from '../../protocol/rt-neigh.js';
import { rtNsidSpec } from '../../protocol/rt-nsid.js';
import { rtRouteSpec } from '../../protocol/rt-route.js';
import { rtRuleSpec } from '../../protocol/rt-rule.js';

const codec = new ProtocolCodec([rtAddrSpec, rtRouteSpec, rtNeighSpec, rtRuleSpec, rtNsidSpec]);

// Interface indexes in the capture: 1 lo, 2 v1, 3 v0, 4 v3, 5 v2 (bridge port), 6 br0, 7 vx0.
const CAPTURED = {
  addr: {
    // ip addr add 10.0.0.1/24 dev v0 label v0:main
    labelled:
      '500000001400020066000000781600000218800003000000080001000a000001080002000a0000010c00030076303a6d61696e00080008008000000014000600ffffffffffffffff551f0100551f0100',
    // ip addr add 10.0.0.5/24 dev v0 valid_lft 100 preferred_lft 50 (secondary)
    lifetimes:
      '4c0000001400020066000000781600000218010003000000080001000a000005080002000a00000507000300763000000800080001000000140006003200000064000000551f0100551f0100',
    // ip addr add 10.1.0.1 peer 10.1.0.2/32 dev v0
    peer: '4c0000001400020066000000781600000220800003000000080001000a010002080002000a0100010700030076300000080008008000000014000600ffffffffffffffff551f0100551f0100',
    // RTM_NEWADDR 10.0.3.1/24 with IFA_PROTO 99, IFA_RT_PRIORITY 60
    protoMetric:
      '5c0000001400020066000000781600000218800002000000080001000a000301080002000a000301070003007631000005000b00630000000800080080000000080009003c00000014000600ffffffffffffffff691f0100691f0100',
    // ip addr add 10.0.4.1/24 brd + dev v1
    broadcast:
      '540000001400020066000000781600000218800002000000080001000a000401080002000a000401080004000a0004ff0700030076310000080008008000000014000600ffffffffffffffff591f0100591f0100',
    // ip addr add 2001:db8::1/64 dev v0 nodad
    v6nodad:
      '480000001400020066000000781600000a408200030000001400010020010db800000000000000000000000114000600ffffffffffffffff551f0100551f01000800080082000000',
    // ip addr add 2001:db8:4::1/64 dev v0 nodad noprefixroute mngtmpaddr
    v6flags:
      '480000001400020066000000781600000a408200030000001400010020010db800040000000000000000000114000600ffffffffffffffff561f0100561f01000800080082030000',
    // ip addr add 2001:db8:1::1/64 dev v0 valid_lft 100 preferred_lft 50
    v6lifetimes:
      '480000001400020066000000781600000a404000030000001400010020010db8000100000000000000000001140006003200000064000000551f0100551f01000800080040000000',
    // ::1 on lo (IFA_PROTO kernel_lo)
    v6loopback:
      '500000001400020066000000781600000a8080fe01000000140001000000000000000000000000000000000114000600ffffffffffffffff541f0100541f0100080008008000000005000b0001000000',
    // RTM_NEWADDR request built by Python
    request: '380000001400050665000000000000000218000002000000080002000a000301080001000a00030105000b0063000000080009003c000000',
  },
  route: {
    // ip route add default via 10.0.0.254
    default: '3400000018000200670000007816000002000000fe0300010000000008000f00fe000000080005000a0000fe0800040003000000',
    // ip route add blackhole 192.0.2.0/24
    blackhole: '2c00000018000200670000007816000002180000fe0300060000000008000f00fe00000008000100c0000200',
    // ip route add unreachable 198.51.100.0/24
    unreachable: '2c00000018000200670000007816000002180000fe0300070000000008000f00fe00000008000100c6336400',
    // ip route add prohibit 203.0.113.0/24
    prohibit: '2c00000018000200670000007816000002180000fe0300080000000008000f00fe00000008000100cb007100',
    // ip route add 172.16.0.0/16 via 10.0.0.2 metric 100 mtu lock 1400 src 10.0.0.1
    metricMtuLockSrc:
      '6000000018000200670000007816000002100000fe0300010000000008000f00fe00000008000100ac10000008000600640000001400080008000100040000000800020078050000080007000a000001080005000a0000020800040003000000',
    // ip route add 172.17.0.0/16 nexthop via 10.0.0.2 dev v0 weight 1 nexthop via 10.0.0.3 dev v0 weight 2
    multipath:
      '5000000018000200670000007816000002100000fe0300010000000008000f00fe00000008000100ac110000240009001000000003000000080005000a0000021000000103000000080005000a000003',
    // ip route add 172.18.0.0/16 via inet6 fe80::1 dev v0
    viaInet6:
      '4c00000018000200670000007816000002100000fe0300010000000008000f00fe00000008000100ac120000160012000a00fe80000000000000000000000000000100000800040003000000',
    // ip route add 172.19.0.0/16 via 10.0.0.2 table 100
    table100: '3c00000018000200670000007816000002100000640300010000000008000f006400000008000100ac130000080005000a0000020800040003000000',
    // ip route add 172.21.0.0/16 via 10.0.0.2 advmss 1300 initcwnd 10 initrwnd 20 congctl cubic hoplimit 64 rto_min 200ms quickack 1 features ecn fastopen_no_cookie 1 window 1000 rtt 10ms rttvar 5ms ssthresh 30 cwnd 11 reordering 4 realm 7 proto bgp
    allMetrics:
      'cc00000018000200670000007816000002100000feba00010000000008000f00fe00000008000100ac15000088000800080001000020000008000300e803000008000400500000000800050014000000080006001e000000080007000b0000000800080014050000080009000400000008000a004000000008000b000a00000008000c000100000008000d00c800000008000e001400000008000f00010000000a00100063756269630000000800110001000000080005000a000002080004000300000008000b0007000000',
    // ip route add 172.23.0.0/16 encap ip id 5 dst 10.0.0.9 dev v0
    encapIp:
      '7400000018000200670000007816000002100000fe03fd010000000008000f00fe00000008000100ac1700000800040003000000380016000c0001000000000000000005080002000a00000908000300000000000500050000000000050004000000000006000600000000000600150002000000',
    // ip nexthop add id 10 via 10.0.0.2 dev v0; ip route add 172.24.0.0/16 nhid 10
    nhid: '4400000018000200670000007816000002100000fe0300010000000008000f00fe00000008000100ac18000008001e000a000000080005000a0000020800040003000000',
    // ip route add 172.25.0.0/16 via 192.168.99.1 dev v0 onlink
    onlink: '3c00000018000200670000007816000002100000fe0300010400000008000f00fe00000008000100ac19000008000500c0a863010800040003000000',
    // ip route add 172.26.0.0/16 nexthop via inet6 fe80::1 dev v0 nexthop via 10.0.0.3 dev v0 realm 4
    multipathVia:
      '6800000018000200670000007816000002100000fe0300010000000008000f00fe00000008000100ac1a00003c0009002000000003000000160012000a00fe80000000000000000000000000000100001800000003000000080005000a00000308000b0004000000',
    // local 10.0.0.1 (table local, kernel)
    local: '3c00000018000200670000007816000002200000ff02fe020000000008000f00ff000000080001000a000001080007000a0000010800040003000000',
    // ip -6 route add 2001:db8:2::/48 via 2001:db8::ff dev v0 pref high
    v6prefHigh:
      '880000001800020068000000781600000a300000fe0300010000000008000f00fe0000001400010020010db800020000000000000000000008000600000400001400050020010db80000000000000000000000ff080004000300000024000c0000000000000000000000000000000000000000000000000000000000000000000500140001000000',
    // ip -6 route add 2001:db8:3::/48 nexthop via 2001:db8::a dev v0 weight 1 nexthop via 2001:db8::b dev v0 weight 3
    v6multipath:
      'a80000001800020068000000781600000a300000fe0300010000000008000f00fe0000001400010020010db800030000000000000000000008000600000400003c0009001c000000030000001400050020010db800000000000000000000000a1c000002030000001400050020010db800000000000000000000000b24000c0000000000000000000000000000000000000000000000000000000000000000000500140000000000',
    // ip -6 route add 2001:db8:5::/48 dev v0 expires 300 metric 2048
    v6expires:
      '740000001800020068000000781600000a300000fe0300010000000008000f00fe0000001400010020010db80005000000000000000000000800060000080000080004000300000024000c0000000000000000001e75000000000000000000000000000000000000000000000500140000000000',
    // ip -6 route add 2001:db8:6::/48 from 2001:db8:7::/48 dev v0 mtu 1300
    v6fromMtu:
      '940000001800020068000000781600000a303000fe0300010000000008000f00fe0000001400010020010db80006000000000000000000001400020020010db80007000000000000000000000c00080008000200140500000800060000040000080004000300000024000c0000000000000000000000000000000000000000000000000000000000000000000500140000000000',
    // RTM_GETROUTE 172.17.1.1 (route get) reply
    get4: '7000000018000000690000007816000002200000fe0000010002000008000f00fe00000008000100ac1101010800040003000000080007000a000001080005000a000002080019000000000024000c000200000000000000000000000000000000000000000000000000000000000000',
    // RTM_GETROUTE 172.16.1.1 ipproto 6 sport 1000 dport 80 uid 1000 mark 5 (request)
    get4Request:
      '4c0000001a0001006a0000000000000002200000000000000000000008000100ac10010105001b000600000006001c0003e8000006001d000050000008001900e80300000800100005000000',
    // reply to get4Request
    get4Reply:
      '8c000000180000006a0000007816000002200000fe0000010002000008000f00fe00000008000100ac1001010800040003000000080007000a000001080005000a0000021400080008000100040000000800020078050000080010000500000008001900e803000024000c000200000000000000000000000000000000000000000000000000000000000000',
    // RTM_GETROUTE 2001:db8:2::1 reply
    get6: 'b0000000180000006b000000781600000a808000fe0300010000000008000f00fe0000001400010020010db800020000000000000000000114000200000000000000000000000000000000001400070020010db800000000000000000000000108000600000400001400050020010db80000000000000000000000ff080004000300000024000c0002000000000000000000000000000000000000000000000000000000000000000500140001000000',
    // RTM_GETROUTE 2001:db8:2::1 with RTA_FLOWLABEL 0x12345 (request)
    get6FlowlabelRequest: '380000001a0001006c000000000000000a80000000000000000000001400010020010db800020000000000000000000108001f0000012345',
    // RTM_GETROUTE 172.17.1.1 with RTM_F_FIB_MATCH reply
    fibMatch:
      '50000000180000006d0000007816000002100000fe0300010000000008000f00fe00000008000100ac110000240009001000000003000000080005000a0000021000000103000000080005000a000003',
  },
  neigh: {
    // ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent
    permanent:
      '4c0000001c0002006f00000078160000020000000300000080000001080001000a0000090a000200020000000009000008000400000000001400030010000000100000001000000000000000',
    // ip neigh add 10.0.0.10 lladdr 02:00:00:00:00:0a dev v0 nud stale
    stale:
      '4c0000001c0002006f00000078160000020000000300000004000001080001000a00000a0a00020002000000000a000008000400000000001400030080170000100000001000000000000000',
    // ip neigh add 10.0.0.12 lladdr 02:00:00:00:00:0c dev v0 extern_learn protocol zebra
    extLearned:
      '540000001c0002006f00000078160000020000000300000080001001080001000a00000c0a00020002000000000c00000800040000000000140003000f0000000f0000000f0000000000000005000c000b000000',
    // ip neigh add 10.0.0.13 dev v0 managed
    managed:
      '480000001c0002006f00000078160000020000000300000001000001080001000a00000d0800040004000000140003007f1700000f0000000f0000000100000008000f0001000000',
    // ip -6 neigh add 2001:db8::9 lladdr 02:00:00:00:00:0b dev v0 router nud noarp
    v6router:
      '580000001c0002006f000000781600000a00000003000000400080011400010020010db80000000000000000000000090a00020002000000000b000008000400000000001400030010000000100000001000000000000000',
    // ip neigh add proxy 10.0.0.99 dev v0
    proxy: '240000001c0002007000000078160000020000000300000000000801080001000a000063',
    // bridge fdb add 02:00:00:00:01:01 dev v2 master static
    fdbMaster:
      '4c0000001c00020071000000781600000700000005000000400000000a0002000200000001010000080009000600000008000f000000000014000300000000000e0000000e00000000000000',
    // bridge fdb entry added with NDA_FDB_EXT_ATTRS { NFEA_ACTIVITY_NOTIFY 1 }
    fdbNotify:
      '580000001c00020071000000781600000700000005000000800000000a0002000200000002020000080009000600000008000f000000000014000300000000000000000000000000000000000c000e800500010001000000',
    // the RTM_NEWNEIGH request that added it (built by Python)
    fdbNotifyRequest: '340000001c0005066e000000000000000700000005000000800004000a00020002000000020200000c000e800500010001000000',
    // bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2 port 4790 vni 43 via v0 self
    vxlanFdb:
      '5c0000001c00020071000000781600000700000007000000c00002010a0002000000000000000000080001000a0000020600060012b60000080007002b00000008000800030000001400030000000000000000000e00000000000000',
    // RTM_NEWNEIGHTBL arp_cache (config, stats, parms)
    tableArp:
      '78010000400002007200000078160000020000000e0001006172705f63616368650000000c0008003075000000000000080002008000000008000300000200000800040000040000240005000400500107000000dc390b00bc79ffffff196f2a0700000000000000000000005c00070022000000000000001b000000000000000000000000000000000000000000000046000000000000000100000000000000000000000000000000000000000000002e0000000000000000000000000000000000000000000000b000060008000200010000000800100000400300080008006500000008000e0040000000080009000000000008000a000300000008000b000300000008001100000000000c00030068960000000000000c00040030750000000000000c00060060ea0000000000000c00070088130000000000000c000500e8030000000000000c000c00e8030000000000000c000d0020030000000000000c000f00e8030000000000000c0013008813000000000000',
    // RTM_NEWNEIGHTBL ndisc_cache parms of ifindex 3
    tableNdiscDev:
      'dc0000004000020072000000781600000a000000100001006e646973635f636163686500b8000600080001000300000008000200040000000800100000400300080008006500000008000e0040000000080009000000000008000a000300000008000b000300000008001100000000000c00030004940000000000000c00040030750000000000000c00060060ea0000000000000c00070088130000000000000c000500e8030000000000000c000c00e8030000000000000c000d0020030000000000000c000f0000000000000000000c0013008813000000000000',
  },
  rule: {
    // inet priority 0
    r0: '3400000020000200740000007816000002000000ff0000010000000008000f00ff00000008000e00ffffffff0500150002000000',
    // inet priority 100
    r1: '4c00000020000200740000007816000002181800640000010000000008000f006400000008000e00ffffffff0500150000000000080006006400000008000100c0000200080002000a000000',
    // inet priority 110
    r2: '4c00000020000200740000007816000002000000640000010000000008000f006400000008000e00ffffffff0500150000000000080006006e00000008000a001000000008001000ff000000',
    // inet priority 120
    r3: '4400000020000200740000007816000002000000fe0000010000000008000f00fe00000008000e00ffffffff050015000000000007000300763000000800060078000000',
    // inet priority 125
    r4: '4400000020000200740000007816000002000000640000010000000008000f006400000008000e00ffffffff05001500000000000700110076310000080006007d000000',
    // inet priority 130
    r5: '5c00000020000200740000007816000002000000640000010000000008000f006400000008000e00ffffffff0500150000000000080006008200000008001700e803d007080018005000500006001d00ffff00000500160006000000',
    // inet priority 140
    r6: '4800000020000200740000007816000002000000640000010000000008000f006400000008000e00ffffffff0500150000000000080006008c0000000c001400e8030000d0070000',
    // inet priority 150
    r7: '3c00000020000200740000007816000002000000000000070200000008000f000000000008000e00ffffffff05001500000000000800060096000000',
    // inet priority 160
    r8: '4400000020000200740000007816000002000000fe0000010000000008000f00fe00000008000e0000000000050015000000000008000600a000000008000d0003000000',
    // inet priority 170
    r9: '5400000020000200740000007816000002000000000000020000000008000f000000000008000e00ffffffff050015000000000008000600aa00000008000a007700000008001000ffffffff08000400b4000000',
    // inet priority 180
    r10: '4c00000020000200740000007816000002000000000000060000000008000f000000000008000e00ffffffff050015000000000008000600b400000008000a007800000008001000ffffffff',
    // inet priority 190
    r11: '4800000020000200740000007816000002000000640000010000000008000f006400000008000e00ffffffff050015000000000008000600be0000000c000c000000000000000005',
    // inet priority 200
    r12: '4400000020000200740000007816000002000010640000010000000008000f006400000008000e00ffffffff05001500ba00000008000600c800000008000b0003000000',
    // inet priority 32766
    r13: '3c00000020000200740000007816000002000000fe0000010000000008000f00fe00000008000e00ffffffff050015000200000008000600fe7f0000',
    // inet priority 32767
    r14: '3c00000020000200740000007816000002000000fd0000010000000008000f00fd00000008000e00ffffffff050015000200000008000600ff7f0000',
    // ipmr priority 32767
    r15: '3c00000020000200740000007816000080000000fd0000010000000008000f00fd00000008000e00ffffffff050015000200000008000600ff7f0000',
    // ip6mr priority 32767
    r16: '3c00000020000200740000007816000081000000fe0000010000000008000f00fe00000008000e00ffffffff050015000200000008000600ff7f0000',
    // inet6 priority 0
    r17: '340000002000020074000000781600000a000000ff0000010000000008000f00ff00000008000e00ffffffff0500150002000000',
    // inet6 priority 100
    r18: '500000002000020074000000781600000a002000640000080000000008000f006400000008000e00ffffffff050015000000000008000600640000001400020020010db8000000000000000000000000',
    // inet6 priority 300
    r19: '840000002000020074000000781600000a000000640000010000000008000f006400000008000e00ffffffff0500150000000000080006002c010000080017000001000106001c0000ff0000080018003500350006001d00ffff00000500160011000000050019000800000005001e003c00000008001a000001234508001b00000fffff',
    // inet6 priority 32766
    r20: '3c0000002000020074000000781600000a000000fe0000010000000008000f00fe00000008000e00ffffffff050015000200000008000600fe7f0000',
    // RTM_NEWRULE (Python) with FRA_DSCP/DSCP_MASK/FLOWLABEL/FLOWLABEL_MASK/SPORT_MASK/DPORT_MASK
    newAttrsRequest:
      '740000002000050673000000000000000a0000000000000100000000080006002c01000008000f0064000000050019000800000005001e003c00000008001a000001234508001b00000fffff0500160011000000080017000001000106001c0000ff0000080018003500350006001d00ffff0000',
  },
  nsid: {
    // RTM_GETNSID dump reply: peer namespace has nsid 5
    dump: '1c000000580002007500000078160000000000000800010005000000',
    // RTM_GETNSID with NETNSA_FD (request)
    byFdRequest: '1c0000005a0001007600000000000000000000000800030003000000',
    // reply
    byFdReply: '1c000000580000007600000078160000000000000800010005000000',
    // RTM_GETNSID dump with NETNSA_TARGET_NSID 5 (strict checking)
    targetRequest: '1c0000005a0001037700000000000000000000000800040005000000',
    // reply: nsid 7 in the target, current nsid -1
    targetReply: '2400000058000200770000007816000000000000080001000700000008000500ffffffff',
  },
} as const;

type Group = keyof typeof CAPTURED;
/** Decoded values are checked structurally. */
type Any = any;

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decodeOne(hex: string): NetlinkMessage<Any, Any> {
  const msgs = codec.decode(fromHex(hex));
  expect(msgs).toHaveLength(1);
  return msgs[0]! as NetlinkMessage<Any, Any>;
}

const msg = <G extends Group>(group: G, key: keyof (typeof CAPTURED)[G]): NetlinkMessage<Any, Any> => decodeOne(CAPTURED[group][key] as string);

/** Paths of every `unknown` list (unnamed attributes) in a decoded tree. */
function unknownPaths(v: unknown, path = ''): string[] {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === 'unknown') out.push(`${path}.unknown ${JSON.stringify(x, (_k, y) => (y instanceof Uint8Array ? toHex(y) : y))}`);
    out.push(...unknownPaths(x, `${path}.${k}`));
  }
  return out;
}

function reencode(m: NetlinkMessage): Uint8Array {
  return codec.encode({ kind: m.kind!, flags: m.flags, seq: m.seq, pid: m.pid, header: m.header, attrs: m.attrs });
}

describe('captured kernel messages: full decode, byte-exact re-encode', () => {
  for (const group of Object.keys(CAPTURED) as Group[]) {
    for (const [key, hex] of Object.entries(CAPTURED[group])) {
      it(`${group}.${key}`, () => {
        const m = decodeOne(hex);
        expect(m.family).toBe(`rt-${group}`);
        expect(unknownPaths(m)).toEqual([]);
        expect(m.attrs).not.toHaveProperty('_tail');
        expect(toHex(reencode(m))).toBe(hex);
      });
    }
  }
});

describe('rt-addr values', () => {
  it('IPv4 address with label', () => {
    const m = msg('addr', 'labelled');
    expect(m.kind).toBe('newaddr');
    expect(m.header).toEqual({ family: 'inet', prefixlen: 24, flags: ['permanent'], scope: 'universe', index: 3 });
    expect(m.attrs).toMatchObject({ address: '10.0.0.1', local: '10.0.0.1', label: 'v0:main', flags: ['permanent'] });
    expect(m.attrs.cacheinfo).toMatchObject({ prefered: 0xffffffff, valid: 0xffffffff });
  });
  it('lifetimes and secondary flag', () => {
    const m = msg('addr', 'lifetimes');
    expect(m.header.flags).toEqual(['secondary']);
    expect(m.attrs.cacheinfo).toMatchObject({ prefered: 50, valid: 100 });
    expect(msg('addr', 'v6lifetimes').attrs.cacheinfo).toMatchObject({ prefered: 50, valid: 100 });
  });
  it('peer address: IFA_ADDRESS is the peer, IFA_LOCAL the local end', () => {
    const m = msg('addr', 'peer');
    expect(m.header.prefixlen).toBe(32);
    expect(m.attrs).toMatchObject({ local: '10.1.0.1', address: '10.1.0.2' });
  });
  it('broadcast, metric and protocol', () => {
    expect(msg('addr', 'broadcast').attrs.broadcast).toBe('10.0.4.255');
    expect(msg('addr', 'protoMetric').attrs).toMatchObject({ proto: 99, rtPriority: 60, local: '10.0.3.1' });
    expect(msg('addr', 'v6loopback').attrs.proto).toBe('kernel_lo');
    expect(msg('addr', 'v6loopback').header.scope).toBe('host');
  });
  it('IPv6 flags: IFA_FLAGS carries the bits above 0x80', () => {
    expect(msg('addr', 'v6nodad').attrs).toMatchObject({ address: '2001:db8::1', flags: ['nodad', 'permanent'] });
    const m = msg('addr', 'v6flags');
    expect(m.header).toMatchObject({ family: 'inet6', prefixlen: 64, flags: ['nodad', 'permanent'] });
    expect(m.attrs.flags).toEqual(['nodad', 'permanent', 'managetempaddr', 'noprefixroute']);
  });
});

describe('rt-route values', () => {
  it('default route in table main', () => {
    const m = msg('route', 'default');
    expect(m.header).toEqual({
      family: 'inet',
      dstLen: 0,
      srcLen: 0,
      tos: 0,
      table: 'main',
      protocol: 'boot',
      scope: 'universe',
      type: 'unicast',
      flags: [],
    });
    expect(m.attrs).toEqual({ table: 'main', gateway: '10.0.0.254', oif: 3 });
  });
  it('blackhole / unreachable / prohibit types', () => {
    expect(msg('route', 'blackhole').header.type).toBe('blackhole');
    expect(msg('route', 'unreachable').header.type).toBe('unreachable');
    expect(msg('route', 'prohibit').header.type).toBe('prohibit');
    expect(msg('route', 'local').header).toMatchObject({ type: 'local', table: 'local', scope: 'host', protocol: 'kernel' });
  });
  it('metric, locked mtu and preferred source', () => {
    expect(msg('route', 'metricMtuLockSrc').attrs).toMatchObject({
      dst: '172.16.0.0',
      priority: 100,
      prefsrc: '10.0.0.1',
      gateway: '10.0.0.2',
      metrics: { lock: ['mtu'], mtu: 1400 },
    });
  });
  it('every RTAX metric', () => {
    const m = msg('route', 'allMetrics');
    expect(m.header.protocol).toBe('bgp');
    expect(m.attrs.flow).toBe(7);
    expect(m.attrs.metrics).toEqual({
      lock: ['rto_min'],
      window: 1000,
      rtt: 80,
      rttvar: 20,
      ssthresh: 30,
      cwnd: 11,
      advmss: 1300,
      reordering: 4,
      hoplimit: 64,
      initcwnd: 10,
      features: ['ecn'],
      rtoMin: 200,
      initrwnd: 20,
      quickack: 1,
      ccAlgo: 'cubic',
      fastopenNoCookie: 1,
    });
  });
  it('multipath: gateways and weights (hops = weight - 1)', () => {
    const mp = msg('route', 'multipath').attrs.multipath as Any[];
    expect(mp.map((n) => [n.attrs.gateway, n.hops + 1, n.ifindex])).toEqual([
      ['10.0.0.2', 1, 3],
      ['10.0.0.3', 2, 3],
    ]);
    const mp6 = msg('route', 'v6multipath').attrs.multipath as Any[];
    expect(mp6.map((n) => [n.attrs.gateway, n.hops + 1])).toEqual([
      ['2001:db8::a', 1],
      ['2001:db8::b', 3],
    ]);
    expect(msg('route', 'fibMatch').attrs.multipath).toHaveLength(2);
  });
  it('IPv4 route via an IPv6 gateway (RTA_VIA = struct rtvia)', () => {
    expect(msg('route', 'viaInet6').attrs.via).toEqual({ family: 'inet6', addr: 'fe80::1' });
    expect(msg('route', 'viaInet6').attrs.gateway).toBeUndefined();
    const mp = msg('route', 'multipathVia').attrs.multipath as Any[];
    expect(mp[0].attrs.via).toEqual({ family: 'inet6', addr: 'fe80::1' });
    expect(mp[1].attrs).toEqual({ gateway: '10.0.0.3', flow: 4 });
  });
  it('table 100, nexthop id, onlink, lightweight tunnel', () => {
    expect(msg('route', 'table100').header.table).toBe(100);
    expect(msg('route', 'table100').attrs.table).toBe(100);
    expect(msg('route', 'nhid').attrs).toMatchObject({ nhId: 10, gateway: '10.0.0.2' });
    expect(msg('route', 'onlink').header.flags).toEqual(['onlink']);
    const encap = msg('route', 'encapIp').attrs;
    expect(encap.encapType).toBe('ip');
    // RTA_ENCAP precedes its selector RTA_ENCAP_TYPE on the wire: decoded once the type is known.
    expect(encap.encap).toMatchObject({ dst: '10.0.0.9' });
    expect(typeof encap.encap.id).toBe('bigint');
  });
  it('IPv6: preference, source prefix, expiry', () => {
    expect(msg('route', 'v6prefHigh').attrs).toMatchObject({ pref: 'high', gateway: '2001:db8::ff', priority: 1024 });
    const from = msg('route', 'v6fromMtu');
    expect(from.header).toMatchObject({ dstLen: 48, srcLen: 48 });
    expect(from.attrs).toMatchObject({ src: '2001:db8:7::', metrics: { mtu: 1300 }, pref: 'medium' });
    expect(msg('route', 'v6expires').attrs.cacheinfo.expires).toBeGreaterThan(0);
  });
  it('route get: request selectors and replies', () => {
    expect(msg('route', 'get4Request').attrs).toEqual({ dst: '172.16.1.1', ipProto: 6, sport: 1000, dport: 80, uid: 1000, mark: 5 });
    expect(msg('route', 'get4Reply').attrs).toMatchObject({ dst: '172.16.1.1', mark: 5, uid: 1000, metrics: { mtu: 1400 } });
    const get = msg('route', 'get4');
    expect(get.header.flags).toEqual(['cloned']);
    expect(get.attrs).toMatchObject({ dst: '172.17.1.1', prefsrc: '10.0.0.1', table: 'main', uid: 0 });
    expect(msg('route', 'get6').attrs).toMatchObject({ dst: '2001:db8:2::1', prefsrc: '2001:db8::1', pref: 'high' });
    expect(msg('route', 'get6FlowlabelRequest').attrs.flowlabel).toBe(0x12345);
  });
});

describe('rt-neigh values', () => {
  it('ARP / NDP entries', () => {
    const p = msg('neigh', 'permanent');
    expect(p.header).toEqual({ family: 'inet', ifindex: 3, state: ['permanent'], flags: [], type: 'unicast' });
    expect(p.attrs).toMatchObject({ dst: '10.0.0.9', lladdr: '02:00:00:00:00:09' });
    expect(msg('neigh', 'stale').header.state).toEqual(['stale']);
    expect(msg('neigh', 'extLearned').header.flags).toEqual(['ext_learned']);
    expect(msg('neigh', 'extLearned').attrs.protocol).toBe('zebra');
    expect(msg('neigh', 'managed').attrs.flagsExt).toEqual(['managed']);
    expect(msg('neigh', 'v6router').header).toMatchObject({ family: 'inet6', state: ['noarp'], flags: ['router'] });
    expect(msg('neigh', 'proxy').header).toMatchObject({ state: [], flags: ['proxy'] });
    expect(msg('neigh', 'proxy').attrs).toEqual({ dst: '10.0.0.99' });
  });
  it('bridge and VXLAN forwarding entries', () => {
    const fdb = msg('neigh', 'fdbMaster');
    expect(fdb.header).toMatchObject({ family: 'bridge', ifindex: 5, state: ['noarp'] });
    expect(fdb.attrs).toMatchObject({ lladdr: '02:00:00:00:01:01', master: 6 });
    expect(msg('neigh', 'fdbNotify').attrs.fdbExtAttrs).toEqual({ activityNotify: ['notify'] });
    expect(msg('neigh', 'fdbNotifyRequest').attrs.fdbExtAttrs).toEqual({ activityNotify: ['notify'] });
    expect(msg('neigh', 'vxlanFdb').attrs).toMatchObject({ lladdr: '00:00:00:00:00:00', dst: '10.0.0.2', port: 4790, vni: 43, ifindex: 3 });
  });
  it('neighbour tables', () => {
    const arp = msg('neigh', 'tableArp');
    expect(arp.kind).toBe('newneightbl');
    expect(arp.attrs).toMatchObject({ name: 'arp_cache', gcInterval: 30000n, thresh1: 128 });
    expect(arp.attrs.config.keyLen).toBe(4);
    expect(typeof arp.attrs.stats.allocs).toBe('bigint');
    expect(arp.attrs.parms.baseReachableTime).toBe(30000n);
    expect(msg('neigh', 'tableNdiscDev').attrs).toMatchObject({ name: 'ndisc_cache', parms: { ifindex: 3 } });
  });
});

describe('rt-rule values', () => {
  // dump replies (NLM_F_MULTI), not the request also kept in CAPTURED.rule
  const rules = Object.values(CAPTURED.rule)
    .map((h) => decodeOne(h))
    .filter((r) => r.flags & 0x02);
  const rule = (family: string, priority: number): NetlinkMessage<Any, Any> => {
    const found = rules.filter((r) => r.kind === 'newrule' && r.header.family === family && r.attrs.priority === priority);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  it('selectors', () => {
    expect(rule('inet', 100).header).toMatchObject({ dstLen: 24, srcLen: 24, table: 100, action: 'to_tbl' });
    expect(rule('inet', 100).attrs).toMatchObject({ src: '10.0.0.0', dst: '192.0.2.0', table: 100 });
    expect(rule('inet', 110).attrs).toMatchObject({ fwmark: 0x10, fwmask: 0xff });
    expect(rule('inet', 120).attrs).toMatchObject({ iifname: 'v0', table: 'main' });
    expect(rule('inet', 125).attrs.oifname).toBe('v1');
    expect(rule('inet', 130).attrs).toMatchObject({ ipProto: 6, sportRange: { start: 1000, end: 2000 }, dportRange: { start: 80, end: 80 } });
    expect(rule('inet', 140).attrs.uidRange).toEqual({ start: 1000, end: 2000 });
    expect(rule('inet', 160).attrs).toMatchObject({ suppressPrefixlen: 0, suppressIfgroup: 3 });
    expect(rule('inet', 190).attrs.tunId).toBe(5n);
    expect(rule('inet', 200).header.tos).toBe(0x10);
    expect(rule('inet', 200).attrs).toMatchObject({ protocol: 'bgp', flow: 3 });
  });
  it('actions and flags', () => {
    expect(rule('inet', 150).header).toMatchObject({ action: 'unreachable', flags: ['invert'] });
    expect(rule('inet', 170).header.action).toBe('goto');
    expect(rule('inet', 170).attrs.goto).toBe(180);
    expect(rule('inet', 180).header.action).toBe('blackhole');
    expect(rule('inet6', 100).header.action).toBe('prohibit');
    expect(rule('inet6', 100).attrs.src).toBe('2001:db8::');
    expect(rule('inet', 32766).attrs).toMatchObject({ table: 'main', protocol: 'kernel' });
    expect(rules.map((r) => r.header.family)).toContain('ipmr');
  });
  it('attributes newer than the 6.1 headers, as the kernel echoes them', () => {
    const req = msg('rule', 'newAttrsRequest').attrs;
    expect(rule('inet6', 300).attrs).toMatchObject(req);
    expect(rule('inet6', 300).attrs).toMatchObject({
      dscp: 8,
      dscpMask: 0x3c,
      flowlabel: 0x12345,
      flowlabelMask: 0xfffff,
      ipProto: 17,
      sportRange: { start: 0x100, end: 0x100 },
      sportMask: 0xff00,
      dportRange: { start: 53, end: 53 },
      dportMask: 0xffff,
    });
  });
});

describe('rt-nsid values', () => {
  it('dump, by fd, in a target namespace', () => {
    expect(msg('nsid', 'dump')).toMatchObject({ kind: 'newnsid', header: { family: 'unspec' }, attrs: { nsid: 5 } });
    expect(msg('nsid', 'byFdRequest').attrs).toEqual({ fd: 3 });
    expect(msg('nsid', 'byFdReply').attrs).toEqual({ nsid: 5 });
    expect(msg('nsid', 'targetRequest').attrs).toEqual({ targetNsid: 5 });
    expect(msg('nsid', 'targetReply').attrs).toEqual({ nsid: 7, currentNsid: -1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Golden requests: an independent byte builder versus codec.encode().

const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const pad4 = (b: number[]): number[] => [...b, ...new Array<number>((4 - (b.length % 4)) % 4).fill(0)];
const nla = (type: number, payload: number[]): number[] => pad4([...le16(4 + payload.length), ...le16(type), ...payload]);
const cstr = (s: string): number[] => [...Buffer.from(s, 'utf8'), 0];
const ip4 = (s: string): number[] => s.split('.').map(Number);
const nlmsg = (type: number, flags: number, seq: number, body: number[]): string =>
  toHex(Uint8Array.from([...le32(16 + body.length), ...le16(type), ...le16(flags), ...le32(seq), ...le32(0), ...body]));
const FE80_1 = [0xfe, 0x80, ...new Array<number>(13).fill(0), 1];
const DB8 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(12).fill(0)];
const CREATE = 0x01 | 0x04 | 0x400 | 0x200; // REQUEST | ACK | CREATE | EXCL

describe('golden requests', () => {
  it('rt-addr: newaddr', () => {
    const want = nlmsg(20, CREATE, 7, [
      ...[2, 24, 0x00, 0, ...le32(2)],
      ...nla(2, ip4('10.0.3.1')),
      ...nla(1, ip4('10.0.3.1')),
      ...nla(3, cstr('v1:x')),
      ...nla(8, le32(0x202)),
      ...nla(6, [...le32(50), ...le32(100), ...le32(0), ...le32(0)]),
      ...nla(9, le32(60)),
      ...nla(11, [99]),
    ]);
    const got = codec.encode({
      kind: 'newaddr',
      flags: CREATE,
      seq: 7,
      header: { family: 'inet', prefixlen: 24, flags: [], scope: 'universe', index: 2 },
      attrs: {
        local: '10.0.3.1',
        address: '10.0.3.1',
        label: 'v1:x',
        flags: ['nodad', 'noprefixroute'],
        cacheinfo: { prefered: 50, valid: 100, cstamp: 0, tstamp: 0 },
        rtPriority: 60,
        proto: 99,
      },
    });
    expect(toHex(got)).toBe(want);
  });

  it('rt-route: multipath newroute with metrics, via and table 100', () => {
    const nh1 = [...nla(5, ip4('10.0.0.2'))];
    const nh2 = [...nla(18, [...le16(10), ...FE80_1]), ...nla(11, le32(4))];
    const want = nlmsg(24, CREATE, 8, [
      ...[2, 16, 0, 0, 252, 4, 0, 1, ...le32(0)],
      ...nla(1, ip4('172.17.0.0')),
      ...nla(15, le32(100)),
      ...nla(6, le32(100)),
      ...nla(8, [...nla(1, le32(1 << 2)), ...nla(2, le32(1400)), ...nla(16, cstr('cubic'))]),
      ...nla(9, [...[...le16(8 + nh1.length), 0, 0, ...le32(3)], ...nh1, ...[...le16(8 + nh2.length), 4, 1, ...le32(3)], ...nh2]),
    ]);
    const got = codec.encode({
      kind: 'newroute',
      flags: CREATE,
      seq: 8,
      header: { family: 'inet', dstLen: 16, srcLen: 0, tos: 0, table: 'compat', protocol: 'static', scope: 'universe', type: 'unicast', flags: [] },
      attrs: {
        dst: '172.17.0.0',
        table: 100,
        priority: 100,
        metrics: { lock: ['mtu'], mtu: 1400, ccAlgo: 'cubic' },
        multipath: [
          { flags: [], hops: 0, ifindex: 3, attrs: { gateway: '10.0.0.2' } },
          { flags: ['onlink'], hops: 1, ifindex: 3, attrs: { via: Uint8Array.from([...le16(10), ...FE80_1]), flow: 4 } },
        ],
      },
    });
    expect(toHex(got)).toBe(want);
  });

  it('rt-route: route get with big-endian ports and flow label', () => {
    const want = nlmsg(26, 0x01, 9, [
      ...[10, 128, 0, 0, 0, 0, 0, 0, ...le32(0x1000)],
      ...nla(1, [...DB8.slice(0, 15), 1]),
      ...nla(27, [17]),
      ...nla(28, be16(1000)),
      ...nla(29, be16(53)),
      ...nla(31, be32(0x12345)),
      ...nla(25, le32(1000)),
      ...nla(20, [1]),
    ]);
    const got = codec.encode({
      kind: 'getroute',
      seq: 9,
      header: { family: 'inet6', dstLen: 128, flags: ['lookup_table'] },
      attrs: { dst: '2001:db8::1', ipProto: 17, sport: 1000, dport: 53, flowlabel: 0x12345, uid: 1000, pref: 'high' },
    });
    expect(toHex(got)).toBe(want);
  });

  it('rt-neigh: newneigh with fdb extension nest (NLA_F_NESTED)', () => {
    const want = nlmsg(28, CREATE, 10, [
      ...[2, 0, 0, 0, ...le32(3), ...le16(0x80), 0x80, 1],
      ...nla(1, ip4('10.0.0.9')),
      ...nla(2, [2, 0, 0, 0, 0, 9]),
      ...nla(5, le16(10)),
      ...nla(6, be16(4790)),
      ...nla(7, le32(43)),
      ...nla(14 | 0x8000, [...nla(1, [1]), ...nla(2, [])]),
      ...nla(15, le32(1)),
      ...nla(12, [11]),
    ]);
    const got = codec.encode({
      kind: 'newneigh',
      flags: CREATE,
      seq: 10,
      header: { family: 'inet', ifindex: 3, state: ['permanent'], flags: ['router'], type: 'unicast' },
      attrs: {
        dst: '10.0.0.9',
        lladdr: '02:00:00:00:00:09',
        vlan: 10,
        port: 4790,
        vni: 43,
        fdbExtAttrs: { activityNotify: ['notify'], dontRefresh: true },
        flagsExt: ['managed'],
        protocol: 'zebra',
      },
    });
    expect(toHex(got)).toBe(want);
  });

  it('rt-rule: newrule with big-endian tunnel id and flow label', () => {
    const want = nlmsg(32, CREATE, 11, [
      ...[10, 0, 32, 0, 0, 0, 0, 1, ...le32(2)],
      ...nla(2, DB8),
      ...nla(6, le32(300)),
      ...nla(15, le32(100)),
      ...nla(3, cstr('v0')),
      ...nla(10, le32(0x10)),
      ...nla(16, le32(0xff)),
      ...nla(12, [0, 0, 0, 0, 0, 0, 0, 5]),
      ...nla(23, [...le16(1000), ...le16(2000)]),
      ...nla(20, [...le32(1000), ...le32(2000)]),
      ...nla(26, be32(0x12345)),
      ...nla(27, be32(0xfffff)),
      ...nla(25, [8]),
      ...nla(21, [186]),
    ]);
    const got = codec.encode({
      kind: 'newrule',
      flags: CREATE,
      seq: 11,
      header: { family: 'inet6', srcLen: 32, action: 'to_tbl', flags: ['invert'] },
      attrs: {
        src: '2001:db8::',
        priority: 300,
        table: 100,
        iifname: 'v0',
        fwmark: 0x10,
        fwmask: 0xff,
        tunId: 5n,
        sportRange: { start: 1000, end: 2000 },
        uidRange: { start: 1000, end: 2000 },
        flowlabel: 0x12345,
        flowlabelMask: 0xfffff,
        dscp: 8,
        protocol: 'bgp',
      },
    });
    expect(toHex(got)).toBe(want);
  });

  it('rt-nsid: newnsid by fd, and the captured target dump request', () => {
    const want = nlmsg(88, CREATE, 12, [0, 0, 0, 0, ...nla(3, le32(7)), ...nla(1, le32(5))]);
    const got = codec.encode({ kind: 'newnsid', flags: CREATE, seq: 12, header: { family: 'unspec' }, attrs: { fd: 7, nsid: 5 } });
    expect(toHex(got)).toBe(want);
    const req = decodeOne(CAPTURED.nsid.targetRequest);
    const again = codec.encode({ kind: 'getnsid', flags: 0x301, seq: req.seq, attrs: { targetNsid: 5 } });
    expect(toHex(again)).toBe(CAPTURED.nsid.targetRequest);
  });
});
