/**
 * Messages that reach every entry of the formatters' name tables (flags, enums, families, link
 * types...), including values the spec does not name. Each is encoded from numbers and decoded by
 * the codec, so the printers see what a kernel reply gives them: names where the spec has them,
 * numbers elsewhere. test/cli/format-tables.test.ts prints them as ip would.
 */
import { rtnetlinkSpecs } from '../../../protocol/rtnetlink.js';
import type { LinkInfo, LinkModes } from '../../../src/api/ethtool.js';
import { printAddress } from '../../../src/cli/format/address.js';
import { formatLinkInfo, formatLinkModes } from '../../../src/cli/format/ethtool.js';
import { formatGenlFamily } from '../../../src/cli/format/genl.js';
import { printLink } from '../../../src/cli/format/link.js';
import { printNeigh } from '../../../src/cli/format/neigh.js';
import { Printer } from '../../../src/cli/format/printer.js';
import { NO_ROUTE_FILTERS, printRoute } from '../../../src/cli/format/route.js';
import { printRule } from '../../../src/cli/format/rule.js';
import { LinkTable } from '../../../src/cli/format/values.js';
import * as N from '../../../src/cli/names.js';
import { type NetlinkMessage, ProtocolCodec } from '../../../src/codec/message.js';

type Obj = Record<string, unknown>;
type Case = () => string;

const codec = new ProtocolCodec(rtnetlinkSpecs);

/** A message as a kernel reply gives it to the printers. */
export function kernel(kind: string, header: Obj, attrs: Obj = {}): NetlinkMessage {
  return codec.decode(codec.encode({ kind, header, attrs }))[0]!;
}

export const names = new LinkTable();
names.add(1, 'lo', 0x49);
names.add(2, 'eth0', 0x1003);
names.add(3, 'down0', 0x1002);

/** Text and JSON of one printer call, wrapped as ip's show commands wrap it. */
export function both(print: (p: Printer) => void, wrap = false): string {
  const run = (json: boolean) => {
    const p = new Printer(json);
    p.start();
    if (wrap) p.openObject();
    print(p);
    if (wrap) p.closeObject();
    return p.finish();
  };
  return `${run(false)}${run(true)}`;
}

/** One case per value, named `${label} ${value}`. */
function each<T>(label: string, values: readonly T[], make: (v: T) => Case): Record<string, Case> {
  return Object.fromEntries(values.map((v) => [`${label} ${v}`, make(v)]));
}

const LINK = { family: 0, type: 1, index: 7, change: 0, flags: 0 };
const link = (header: Obj, attrs: Obj, details = true): Case => {
  const m = kernel('newlink', { ...LINK, ...header }, { ifname: 'x0', ...attrs });
  return () => both((p) => printLink(p, m, names, { details, stats: 0, doLink: true }), true);
};
const kind = (k: string, data: Obj, slave = false) => link({}, { linkinfo: slave ? { slaveKind: k, slaveData: data } : { kind: k, data } });
const addr = (family: number, header: Obj, attrs: Obj): Case => {
  const m = kernel('newaddr', { family, prefixlen: 24, flags: 0, scope: 0, index: 2, ...header }, attrs);
  return () => both((p) => printAddress(p, m), true);
};
const neigh = (header: Obj, attrs: Obj = {}): Case => {
  const m = kernel('newneigh', { family: 2, ifindex: 2, state: 0, flags: 0, type: 1, ...header }, { dst: '10.0.0.5', ...attrs });
  return () => both((p) => printNeigh(p, m, names, { stats: 0, devFiltered: false }));
};
const ROUTE = { family: 2, dstLen: 24, srcLen: 0, tos: 0, table: 254, protocol: 4, scope: 0, type: 1, flags: 0 };
const route = (header: Obj, attrs: Obj = {}, details = false): Case => {
  const m = kernel('newroute', { ...ROUTE, ...header }, attrs);
  return () => both((p) => printRoute(p, m, names, { ...NO_ROUTE_FILTERS, details }));
};
const RULE = { family: 2, dstLen: 0, srcLen: 0, tos: 0, table: 0, action: 1, flags: 0 };
const rule = (header: Obj, attrs: Obj = {}): Case => {
  const m = kernel('newrule', { ...RULE, ...header }, { priority: 9, ...attrs });
  return () => both((p) => printRule(p, m, true));
};

const IFF_ALL = 0x7ffff;
const mac = new Uint8Array([2, 0, 0, 0, 0, 1]);
const hw4 = new Uint8Array([10, 1, 2, 3]);
const v4mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
const v4compat = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
const v6 = new Uint8Array([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
const label = new Uint8Array([0, 1, 0x41, 0]);
const dst = { dst: '10.1.0.0', oif: 2 };
const RTCF_BITS = [0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000, 0x800000];
RTCF_BITS.push(0x1000000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x40000000, 0x80000000);
const VIA_FAMILIES: [number, Uint8Array][] = [
  [2, hw4],
  [10, v6],
  [17, mac],
  [28, label],
  [128, hw4],
  [129, v6],
  [0, hw4],
  [1, hw4],
  [7, hw4],
  [99, hw4],
];

const linkCases: Record<string, Case> = {
  'iff: every bit, one unnamed': link({ flags: IFF_ALL | (1 << 20) }, {}),
  'iff: up without running': link({ flags: 0x1 | 0x1000 }, {}),
  'iff: lower device down': link({ flags: 0x41 }, { link: 3 }),
  ...each('operstate', [0, 1, 2, 3, 4, 5, 6, 7, 16], (s) => link({}, { operstate: s })),
  ...each('linkmode', [0, 1, 2, 3], (s) => link({}, { linkmode: s })),
  ...each('event', [0, 1, 2, 3, 4, 5, 6, 7], (s) => link({}, { event: s })),
  ...each('xdp', [0, 1, 2, 3, 4, 5], (s) => link({}, { xdp: { attached: s, progId: 12 } })),
  ...each('addrgenmode', [0, 1, 2, 3, 4], (s) => link({}, { afSpec: { inet6: { addrGenMode: s } } })),
  ...each('arphrd', [1, 8, 27, 290, 513, 772, 787, 790, 799, 800, 801, 826, 0xfffe, 0xffff, 9999], (t) => link({ type: t }, { address: mac }, false)),
  'arphrd tunnel: addresses as IPv4': link({ type: 768 }, { address: hw4, broadcast: hw4 }, false),
  'arphrd sit': link({ type: 776 }, { address: hw4 }, false),
  'arphrd ipgre, point to point': link({ type: 778, flags: 0x10 }, { address: hw4, broadcast: hw4 }, false),
  'arphrd tunnel6: IPv6 text': link({ type: 769 }, { address: v6, broadcast: v4mapped }, false),
  'arphrd ip6gre: IPv4-compatible': link({ type: 823 }, { address: v4compat }, false),
};

const kindCases: Record<string, Case> = {
  ...each('bridge vlan_protocol', [0x8100, 0x88a8, 0x9100], (v) => kind('bridge', { vlanProtocol: v })),
  ...each('bridge boolopt', ['0/3', '3/3', '1/2', '2/1', '7/7'], (s) => {
    const [optval, optmask] = s.split('/').map(Number);
    return kind('bridge', { multiBoolopt: { optval, optmask } });
  }),
  'bridge mcast_router': kind('bridge', { mcastRouter: 2 }),
  ...each('bridge port state', [0, 1, 2, 3, 4, 5], (s) => kind('bridge', { state: s, multicastRouter: 1 }, true)),
  ...each('macvlan mode', [1, 2, 4, 8, 16, 32], (m) => kind('macvlan', { mode: m, flags: 3 })),
  'macvlan flags 1': kind('macvlan', { mode: 4, flags: 1 }),
  'macvlan flags 2': kind('macvlan', { mode: 4, flags: 2 }),
  'vlan flags: every bit, one unnamed': kind('vlan', { protocol: 0x8100, id: 5, flags: { flags: 0x3f, mask: 0xffffffff } }),
  'vlan 802.1ad': kind('vlan', { protocol: 0x88a8, id: 5, flags: { flags: 1, mask: 1 } }),
  ...each('vxlan df', [0, 1, 2, 3], (d) => kind('vxlan', { id: 5, df: d })),
  'vxlan IPv6 group and local': kind('vxlan', { id: 5, group6: 'ff05::1', local6: '2001:db8::1' }),
  'vxlan IPv6 remote': kind('vxlan', { id: 5, group6: '2001:db8::2', local6: '::' }),
};

const addrNeighCases: Record<string, Case> = {
  'ifa flags: every bit, one unnamed (inet)': addr(2, {}, { local: '10.0.0.1', address: '10.0.0.1', flags: 0x1fff }),
  'ifa flags: every bit, one unnamed (inet6)': addr(10, {}, { address: '2001:db8::1', flags: 0x1fff }),
  'ifa flags: none (dynamic)': addr(2, { flags: 0 }, { local: '10.0.0.1' }),
  'ifa flags: header only': addr(2, { flags: 0x81 }, { local: '10.0.0.1' }),
  'ifa deprecated, preferred lifetime': addr(
    10,
    {},
    {
      address: '2001:db8::1',
      flags: 0xa0,
      cacheinfo: { prefered: 0xfffffffe, valid: 100, cstamp: 0, tstamp: 0 },
    },
  ),
  ...each('ifa scope', [0, 100, 200, 253, 254, 255], (s) => addr(2, { scope: s }, { local: '10.0.0.1' })),
  'ifa family bridge': addr(7, {}, {}),
  'nud: every bit': neigh({ state: 0xff }),
  'nud: none': neigh({ state: 0 }),
  'ntf: every bit': neigh({ flags: 0xff, state: 2 }),
  ...each('neigh protocol', [0, 2, 4, 186, 200], (n) => neigh({ state: 2 }, { protocol: n })),
};

const routeCases: Record<string, Case> = {
  'rtm flags: every bit': route({ flags: 0x2000f77f }),
  ...each('rtn type', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], (t) => route({ type: t }, dst)),
  ...each('route protocol', [0, 2, 3, 4, 16, 17, 84, 99, 186, 201], (n) => route({ protocol: n }, dst, true)),
  ...each('route scope', [0, 200, 253, 254, 255, 7], (n) => route({ scope: n }, dst, true)),
  ...each('route table', [0, 100, 252, 253, 254, 255], (n) => route({ table: n }, dst, true)),
  'route table 1000 (RTA_TABLE)': route({ table: 252 }, { dst: '10.1.0.0', table: 1000 }),
  'route inet host': route({ dstLen: 32 }, { dst: '10.1.0.9' }),
  'route inet6 host': route({ family: 10, dstLen: 128 }, { dst: '2001:db8::9' }),
  'route inet6 /64': route({ family: 10, dstLen: 64 }, { dst: '2001:db8::' }),
  'route mpls': route({ family: 28, dstLen: 20 }, { dst: label }),
  'route ipmr': route({ family: 128, dstLen: 32 }, { dst: '239.1.1.1', src: '10.0.0.1' }),
  'route ip6mr': route({ family: 129, dstLen: 128, srcLen: 128 }, { dst: 'ff05::1', src: '2001:db8::1' }),
  'route bridge': route({ family: 7, dstLen: 0 }, {}),
  ...Object.fromEntries(
    VIA_FAMILIES.map(([f, a]) => [`via family ${f}`, route({ family: 28, dstLen: 20 }, { dst: label, via: { family: f, addr: a }, oif: 2 })]),
  ),
  'multipath: nexthop flags, weights': route(
    {},
    {
      dst: '10.5.0.0',
      multipath: [
        { flags: 0x7f, hops: 1, ifindex: 2, attrs: { gateway: '10.0.0.2' } },
        { flags: 0x80, hops: 0, ifindex: 1, attrs: { gateway: '10.0.0.3', flow: 0x10002 } },
      ],
    },
  ),
  'multicast cache: Oifs': route(
    { family: 128, dstLen: 32, type: 5, flags: 0x200 },
    {
      dst: '239.1.1.1',
      multipath: [
        { flags: 0, hops: 1, ifindex: 2, attrs: {} },
        { flags: 0, hops: 3, ifindex: 1, attrs: {} },
      ],
    },
  ),
  ...Object.fromEntries(
    RTCF_BITS.map((bit) => [`cache flag 0x${bit.toString(16)}`, route({ dstLen: 32, flags: (0x200 | bit) >>> 0 }, { dst: '10.0.0.7', oif: 2 })]),
  ),
  'cache: every flag': route({ dstLen: 32, flags: (0xffff0000 | 0x200) >>> 0 }, { dst: '10.0.0.7', oif: 2 }),
  'cache: none': route(
    { dstLen: 32, flags: 0x200 },
    {
      dst: '10.0.0.7',
      oif: 2,
      cacheinfo: { clntref: 1, lastuse: 0, expires: 300, error: 0, used: 2, id: 0, ts: 0, tsage: 0 },
    },
  ),
  'metrics: every metric, every lock': route(
    {},
    {
      dst: '10.4.0.0',
      metrics: {
        lock: 0x3fffc,
        ...{ mtu: 1300, window: 5000, rtt: 80000, rttvar: 4000, ssthresh: 9, cwnd: 10, advmss: 1200, reordering: 3, hoplimit: 64 },
        ...{ initcwnd: 10, features: 1, rtoMin: 200, initrwnd: 20, quickack: 1, ccAlgo: 'cubic', fastopenNoCookie: 1 },
      },
    },
  ),
  'metrics: features other than ecn': route({}, { dst: '10.4.0.0', metrics: { features: 0xb } }),
  'metrics: locked, absent': route({}, { dst: '10.4.0.0', metrics: { lock: 0x4, advmss: 1 } }),
  ...each('pref', [0, 1, 2, 3], (p) => route({ family: 10, dstLen: 64 }, { dst: '2001:db8::', pref: p })),
};

const ruleCases: Record<string, Case> = {
  'rule flags: every bit': rule({ flags: 0x1f, action: 2 }, { iifname: 'eth0', oifname: 'eth1' }),
  ...each('rule action', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (a) => rule({ action: a, table: a === 1 ? 254 : 0 }, a === 2 ? { goto: 100 } : {})),
  ...each('rule protocol', [0, 2, 3, 4, 186], (n) => rule({}, { protocol: n })),
  'rule inet6 host': rule({ family: 10, srcLen: 128, dstLen: 64 }, { src: '2001:db8::1', dst: '2001:db8::' }),
};

function genlCapabilities(): string {
  const operations = [0x1f, 0, 0x6, 0x20].map((flags, i) => ({ id: i + 1, flags, capabilities: [] }));
  return formatGenlFamily({ name: 'x', id: 0x1a, version: 2, hdrsize: 0, maxattr: 3, operations, mcastGroups: [] });
}

function ethtoolEnums(): string {
  const device = { ifindex: 2, ifname: 'eth0' };
  const modes = (m: Obj) => {
    const text = formatLinkModes({ ...device, supported: [], advertised: [], ...m } as LinkModes);
    return `${text
      .split('\n')
      .filter((l) => /Duplex|master-slave/.test(l))
      .join('\n')}\n`;
  };
  const info = (l: Obj) => formatLinkInfo({ ...device, ...l } as LinkInfo);
  const msCfg = ['unsupported', 'unknown', 'master-preferred', 'slave-preferred', 'master-force', 'slave-force', 9];
  return [
    ...['half', 'full', 'unknown', 7].map((duplex) => modes({ duplex })),
    ...msCfg.map((c) => modes({ masterSlaveCfg: c })),
    ...['unsupported', 'unknown', 'master', 'slave', 'err', 9].map((c) => modes({ masterSlaveState: c })),
    ...['tp', 'aui', 'mii', 'fibre', 'bnc', 'da', 'none', 'other', 0x42].map((port) => info({ port })),
    ...['internal', 'external', 5].map((transceiver) => info({ transceiver })),
  ].join('');
}

/** Every number 0..top that has a name: "n=name ...". */
function named(f: (n: number) => string, top: number): string {
  const out: string[] = [];
  for (let n = 0; n <= top; n++) {
    const s = f(n);
    if (s !== String(n) && s !== `[${n}]`) out.push(`${n}=${s}`);
  }
  return out.join(' ');
}

const WORDS = ['unspec', 'none', 'universe', 'global', 'site', 'link', 'host', 'nowhere', 'compat', 'default', 'main', 'local', 'all'];
WORDS.push('kernel', 'boot', 'static', 'mrouted', 'ovn', 'openr', 'bgp');
WORDS.push('unicast', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve');
WORDS.push('0', '7', '255', '256', '0x10');

function numbers(label: string, f: (s: string) => number | undefined): string {
  return `${label} ${WORDS.map((w) => `${w}=${f(w) ?? '-'}`).join(' ')}`;
}

export const CASES: Record<string, Case> = {
  ...linkCases,
  ...kindCases,
  ...addrNeighCases,
  ...routeCases,
  ...ruleCases,
  'genl capabilities': genlCapabilities,
  'ethtool enums': ethtoolEnums,
  'names: number to name': () =>
    [
      `protocols ${named(N.protocolName, 255)}`,
      `tables ${named(N.tableName, 255)}`,
      `scopes ${named(N.scopeName, 255)}`,
      `realms ${named(N.realmName, 255)}`,
      `groups ${named(N.groupName, 255)}`,
      `route types ${named(N.routeTypeName, 255)}`,
      `link types ${named(N.linkTypeName, 0xffff)}`,
    ].join('\n'),
  'names: name to number': () =>
    [
      numbers('protocol', N.protocolNumber),
      numbers('table', N.tableNumber),
      numbers('scope', N.scopeNumber),
      numbers('group', N.groupNumber),
      numbers('type', N.routeTypeNumber),
    ].join('\n'),
};
