/**
 * Snapshots -> file entries and graph, without privileges: snapshots written by hand in the shape
 * the API returns (only the fields the export reads). What the kernel makes is left out, defaults
 * are not written, a veth pair is written once from the end that is no bridge port, sysctls are
 * written only where they differ from a new namespace's and are not implied by an earlier key.
 */
import { describe, expect, it } from 'vitest';
import type { Address } from '../../src/api/address-fields.js';
import type { Link } from '../../src/api/link-fields.js';
import type { Route } from '../../src/api/route-fields.js';
import { linkEntries, routeEntries } from '../../src/topology/export-entries.js';
import { rulesetCommands } from '../../src/topology/export-nftables.js';
import { KERNEL_SYSCTL_DEFAULTS, changedSysctls } from '../../src/topology/export.js';
import { buildGraph } from '../../src/topology/graph-build.js';
import type { NamespaceSnapshot } from '../../src/topology/graph-types.js';

const link = (index: number, name: string, extra: Partial<Link> = {}): Link =>
  ({ index, name, type: 'ether', up: true, operstate: 'up', mtu: 1500, flags: [], altnames: [], ...extra }) as Link;
const addr = (index: number, cidr: string, extra: Partial<Address> = {}): Address => {
  const [address, len] = cidr.split('/');
  const family = address!.includes(':') ? 'inet6' : 'inet';
  return { family, index, address, prefixlen: Number(len), cidr, scope: 'universe', flags: ['permanent'], permanent: true, ...extra } as Address;
};
const route = (dst: string, extra: Partial<Route> = {}): Route =>
  ({ family: 'inet', dst, table: 'main', protocol: 'boot', scope: 'universe', type: 'unicast', tos: 0, flags: [], ...extra }) as Route;
const snap = (name: string, s: Partial<NamespaceSnapshot>): NamespaceSnapshot => ({
  name,
  links: [],
  addresses: [],
  routes: [],
  nsids: new Map(),
  outside: new Map(),
  ...s,
});

/** host: lo, br0 (172.18.0.1/24), vh1 (port of br0, peer c1/eth0 through nsid 0); c1: lo, eth0 (peer host/vh1 through nsid 5). */
function lab(): NamespaceSnapshot[] {
  const host = snap('host', {
    links: [
      link(1, 'lo', { type: 'loopback', mtu: 65536, operstate: 'unknown' }),
      link(2, 'br0', { kind: 'bridge', data: { stpState: 0, forwardDelay: 1500, helloTimer: 0n, vlanFiltering: 0 } as Link['data'] }),
      link(3, 'vh1', { kind: 'veth', master: 2, link: 2, linkNetnsid: 0 }),
      link(4, 'tunl0', { kind: 'ipip', up: false, operstate: 'down' }),
      link(5, 'wg0', { kind: 'wireguard' }),
    ],
    addresses: [
      addr(1, '127.0.0.1/8', { scope: 'host' }),
      addr(1, '::1/128', { scope: 'host', proto: 'kernel_lo' }),
      addr(2, '172.18.0.1/24'),
      addr(2, 'fe80::1:2ff:fe03:405/64', { scope: 'link', proto: 'kernel_ll' }),
    ],
    routes: [route('172.18.0.0/24', { protocol: 'kernel', scope: 'link', dev: 2, prefsrc: '172.18.0.1' })],
    nsids: new Map([[0, 'c1']]),
  });
  const c1 = snap('c1', {
    links: [
      link(1, 'lo', { type: 'loopback', mtu: 65536, up: false, operstate: 'down' }),
      link(2, 'eth0', { kind: 'veth', link: 3, linkNetnsid: 5 }),
    ],
    addresses: [addr(2, '172.18.0.2/24'), addr(2, '172.18.0.9/24', { permanent: false, flags: [] })],
    routes: [
      route('default', { gateway: '172.18.0.1', dev: 2 }),
      route('10.9.0.0/16', { dev: 2, scope: 'link', protocol: 'static', metric: 7 }),
      route('2001:db8::/64', { family: 'inet6', dev: 2, metric: 1024, pref: 'medium' }),
      route('2001:db8:1::/64', { family: 'inet6', dev: 2, metric: 1024, protocol: 'ra', expires: 100 }),
      route('default', { family: 'inet6', dev: 2, metric: 1024, type: 'unreachable' }),
    ],
    nsids: new Map([[5, 'host']]),
  });
  return [host, c1];
}

describe('topology export entries', () => {
  it('writes a veth pair once, from the end that is no bridge port, its peer with master, state and addresses', () => {
    const [host, c1] = lab();
    const skipped: string[] = [];
    const hostLinks = linkEntries(host!, lab(), (m) => skipped.push(m));
    const c1Links = linkEntries(c1!, lab(), (m) => skipped.push(m));
    expect(hostLinks.map((l) => l.name)).toEqual(['lo', 'br0']);
    expect(c1Links).toEqual([
      { name: 'eth0', kind: 'veth', up: true, addresses: ['172.18.0.2/24'], peer: { name: 'vh1', netns: 'host', master: 'br0', up: true } },
    ]);
    expect(skipped).toEqual(['host/wg0: links of kind wireguard are not created by apply; left out']);
  });

  it("leaves out the kernel's addresses (loopback's, link-local), dynamic ones, defaults of kind data and MTU", () => {
    const [host] = lab();
    const [lo, br0] = linkEntries(host!, lab(), () => {});
    expect(lo).toEqual({ name: 'lo', up: true });
    expect(br0).toEqual({ name: 'br0', kind: 'bridge', up: true, addresses: ['172.18.0.1/24'] });
    const stp = snap('x', { links: [link(2, 'br1', { kind: 'bridge', mtu: 9000, data: { stpState: 1 } as Link['data'] })] });
    expect(linkEntries(stp, [stp], () => {})).toEqual([{ name: 'br1', kind: 'bridge', data: { stpState: 1 }, up: true, mtu: 9000 }]);
  });

  it("writes routes someone added, in routes.add's terms, without the defaults it would give them", () => {
    const [host, c1] = lab();
    expect(routeEntries(host!)).toEqual([]);
    expect(routeEntries(c1!)).toEqual([
      { dst: 'default', gateway: '172.18.0.1', dev: 'eth0' },
      { dst: '10.9.0.0/16', dev: 'eth0', metric: 7, protocol: 'static' },
      { dst: '2001:db8::/64', dev: 'eth0' },
      { dst: 'default', family: 'inet6', type: 'unreachable', dev: 'eth0' },
    ]);
  });

  it('writes a veth whose peer is outside the namespaces read with the peer namespace asked from its end', () => {
    const [, c1] = lab();
    const alone = { ...c1!, nsids: new Map(), outside: new Map([[2, { netns: 'host', name: 'vh1', index: 3 }]]) };
    expect(linkEntries(alone, [alone], () => {})).toEqual([
      { name: 'eth0', kind: 'veth', up: true, addresses: ['172.18.0.2/24'], peer: { name: 'vh1', netns: 'host' } },
    ]);
    const unnamed = { ...c1!, nsids: new Map() };
    const skipped: string[] = [];
    expect(linkEntries(unnamed, [unnamed], (m) => skipped.push(m))).toEqual([]);
    expect(skipped[0]).toMatch(/^c1\/eth0: a veth whose peer's namespace has no name/);
  });

  it('builds the same lab as a graph: the veth edge across namespaces once, the port edge, kernel addresses marked', () => {
    const g = buildGraph(lab());
    expect(g.edges).toEqual([
      { kind: 'veth', a: 'host/vh1', b: 'c1/eth0' },
      { kind: 'port', a: 'host/vh1', b: 'host/br0' },
    ]);
    const br0 = g.namespaces[0]!.links[1]!;
    expect(br0.addresses.map((a) => [a.cidr, a.kernel])).toEqual([
      ['172.18.0.1/24', false],
      ['fe80::1:2ff:fe03:405/64', true],
    ]);
    expect(g.namespaces[0]!.links[0]!.addresses.every((a) => a.kernel)).toBe(true);
    expect(g.namespaces[1]!.links[1]!.peer).toEqual({ netns: 'host', name: 'vh1', index: 3, id: 'host/vh1' });
    expect(g.namespaces[0]!.routes[0]).toMatchObject({ dst: '172.18.0.0/24', dev: 'br0', kernel: true });
  });
});

describe('topology export sysctls', () => {
  const defaults = KERNEL_SYSCTL_DEFAULTS;

  it('writes only keys that differ from a new namespace', () => {
    expect(changedSysctls({ ...defaults }, defaults)).toEqual({});
    expect(changedSysctls({ ...defaults, 'net.ipv4.conf.all.rp_filter': '2' }, defaults)).toEqual({ 'net.ipv4.conf.all.rp_filter': 2 });
  });

  it("leaves out keys an earlier key's write sets (ip_forward sets conf.all and conf.default forwarding)", () => {
    const on = { ...defaults, 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.conf.default.forwarding': '1' };
    expect(changedSysctls(on, defaults)).toEqual({ 'net.ipv4.ip_forward': 1 });
    // a default set back after ip_forward: both are written, in that order
    const back = { ...on, 'net.ipv4.conf.default.forwarding': '0' };
    expect(Object.entries(changedSysctls(back, defaults))).toEqual([
      ['net.ipv4.ip_forward', 1],
      ['net.ipv4.conf.default.forwarding', 0],
    ]);
    const v6 = { ...defaults, 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1' };
    expect(changedSysctls(v6, defaults)).toEqual({ 'net.ipv6.conf.all.forwarding': 1 });
  });

  it('compares with measured defaults (a host whose new namespaces inherit rp_filter 2) and skips unreadable keys', () => {
    const inherited = { ...defaults, 'net.ipv4.conf.all.rp_filter': '2' };
    const values: Record<string, string> = { ...inherited };
    delete values['net.ipv6.conf.all.disable_ipv6'];
    expect(changedSysctls(values, inherited)).toEqual({});
    expect(changedSysctls({ ...values, 'net.ipv4.conf.all.rp_filter': '0' }, inherited)).toEqual({ 'net.ipv4.conf.all.rp_filter': 0 });
  });
});

describe('topology export nftables', () => {
  it('turns a listing into add commands: metainfo dropped, handles dropped, counters and quotas from zero', () => {
    const listing = {
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { table: { family: 'ip', name: 'nat', handle: 7 } },
        { chain: { family: 'ip', table: 'nat', name: 'post', handle: 1, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
        { rule: { family: 'ip', table: 'nat', chain: 'post', handle: 2, expr: [{ counter: { packets: 12, bytes: 1008 } }, { masquerade: null }] } },
        { counter: { family: 'ip', table: 'nat', name: 'c', handle: 3, packets: 5, bytes: 9 } },
        { quota: { family: 'ip', table: 'nat', name: 'q', handle: 4, bytes: 100, used: 42, inv: false } },
      ],
    };
    expect(rulesetCommands(listing)).toEqual([
      { add: { table: { family: 'ip', name: 'nat' } } },
      { add: { chain: { family: 'ip', table: 'nat', name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
      { add: { rule: { family: 'ip', table: 'nat', chain: 'post', expr: [{ counter: { packets: 0, bytes: 0 } }, { masquerade: null }] } } },
      { add: { counter: { family: 'ip', table: 'nat', name: 'c', packets: 0, bytes: 0 } } },
      { add: { quota: { family: 'ip', table: 'nat', name: 'q', bytes: 100, used: 0, inv: false } } },
    ]);
  });

  it('an empty ruleset, or something that is no listing, gives no commands', () => {
    expect(rulesetCommands({ nftables: [{ metainfo: {} }] })).toEqual([]);
    expect(rulesetCommands(null)).toEqual([]);
    expect(rulesetCommands({ nftables: 'x' })).toEqual([]);
  });
});
