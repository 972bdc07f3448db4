/**
 * nlts against ip (iproute2, the oracle), field by field, on rich topologies in throwaway
 * namespaces: veth pairs (one with its peer in another namespace), a bridge with ports, vxlan,
 * macvlan (and vlan when the kernel has 8021q); IPv4/IPv6 addresses with labels, peers and lifetimes; routes of every
 * type incl. multipath and table 100; neighbours; rules. Only values that change between two reads
 * (lifetimes, timers, counters) are blanked (support/normalize.ts); docs/cli.md lists the
 * deliberate differences. Also: nlts builds the same state as ip from the same command lines,
 * and fails the same way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNetns, createNetns, deleteNetns, privileged } from '../support/netns.js';
import { normalizeJson, normalizeText } from './support/normalize.js';
import { ADDRESSES, LINKS, NEIGHBOURS, ROUTES, RULES } from './support/topology.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nlts.js');

interface Out {
  stdout: string;
  stderr: string;
  status: number;
}

function ipRun(ns: TestNetns, args: string[]): Out {
  const r = spawnSync('ip', ['-n', ns.name, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

function nltsRun(ns: TestNetns, args: string[]): Out {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, bin, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

function build(ns: TestNetns, lines: string[][], run: (ns: TestNetns, args: string[]) => Out = ipRun): void {
  for (const l of lines) {
    const r = run(ns, l);
    if (r.status !== 0) throw new Error(`${l.join(' ')}: ${r.stderr.trim()}`);
  }
}

/**
 * Waits (at most ~5 s) until a namespace's links and addresses stop changing on their own: IPv6 DAD
 * (tentative addresses) and carrier coming up take the kernel a moment after the commands, and a
 * faster reader sees them half-way. Compared states are read once both sides have settled.
 */
function settle(ns: TestNetns): void {
  const read = () => ipRun(ns, ['-j', '-d', 'link', 'show']).stdout + ipRun(ns, ['-j', 'addr', 'show']).stdout;
  let before = read();
  for (let i = 0; i < 50; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    const now = read();
    if (now === before && !now.includes('"tentative"')) return;
    before = now;
  }
}

/** What ip -j says about a namespace, minus multicast NOARP neighbours (joined on the kernel's schedule), in a stable order. */
function state(ns: TestNetns, args: string[]): unknown {
  let v = JSON.parse(ipRun(ns, args).stdout || '[]') as Record<string, unknown>[];
  // neighbour tables hash with a per-table random seed: two namespaces list entries in different orders
  if (args.includes('neigh'))
    v = v.filter((n) => !/^(22[4-9]|23\d)\.|^ff/.test(String(n.dst))).sort((x, y) => `${x.dst} ${x.dev}`.localeCompare(`${y.dst} ${y.dev}`));
  return normalizeJson(v);
}

/** The same command through ip and nlts: equal after blanking clocks and counters. */
function same(ns: TestNetns, args: string[]): void {
  const a = ipRun(ns, args);
  const b = nltsRun(ns, args);
  expect(b.stderr, `nlts ${args.join(' ')} stderr`).toBe(a.stderr);
  expect(b.status, `nlts ${args.join(' ')} status`).toBe(a.status);
  if (args.includes('-j'))
    expect(normalizeJson(JSON.parse(b.stdout || '[]')), `nlts ${args.join(' ')}`).toEqual(normalizeJson(JSON.parse(a.stdout || '[]')));
  else expect(normalizeText(b.stdout), `nlts ${args.join(' ')}`).toBe(normalizeText(a.stdout));
}

describe.skipIf(!privileged)('nlts -j / text against ip on a rich topology', () => {
  let ns: TestNetns;
  let other: TestNetns;
  beforeAll(async () => {
    ns = createNetns();
    other = createNetns();
    build(ns, [...LINKS, ...ADDRESSES, ...ROUTES, ...NEIGHBOURS, ...RULES]);
    // vlan needs the 8021q module, which this host may not have (and tests do not load modules)
    if (ipRun(ns, ['link', 'add', 'link', 'veth2', 'name', 'veth2.10', 'type', 'vlan', 'id', '10', 'protocol', '802.1ad']).status === 0) {
      ipRun(ns, ['link', 'set', 'veth2.10', 'type', 'vlan', 'egress-qos-map', '1:2', '3:4']);
    }
    // a veth whose peer lives in another namespace: link_index + link_netnsid
    execFileSync('ip', [
      '-n',
      ns.name,
      'link',
      'add',
      'vethx',
      'address',
      '02:00:00:00:06:00',
      'type',
      'veth',
      'peer',
      'name',
      'vethy',
      'netns',
      other.name,
    ]);
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'vethx', 'up']);
    settle(ns);
  });
  afterAll(() => {
    if (ns) deleteNetns(ns);
    if (other) deleteNetns(other);
  });

  const cases: string[][] = [
    ['link', 'show'],
    ['-j', 'link', 'show'],
    ['-d', 'link', 'show'],
    ['-j', '-d', 'link', 'show'],
    ['-j', '-p', '-d', 'link', 'show', 'dev', 'vx1'],
    ['-j', '-s', 'link', 'show'],
    ['-j', '-s', '-s', '-d', 'link', 'show'],
    ['-s', 'link', 'show', 'dev', 'lo'],
    ['link', 'show', 'dev', 'veth2'],
    ['-j', 'link', 'show', 'type', 'vxlan'],
    ['-j', 'link', 'show', 'master', 'br0'],
    ['-j', 'link', 'show', 'up'],
    ['addr', 'show'],
    ['-j', 'addr', 'show'],
    ['-j', '-d', 'addr', 'show'],
    ['-j', '-4', 'addr', 'show'],
    ['-j', '-6', 'addr', 'show'],
    ['addr', 'show', 'dev', 'veth0'],
    ['-j', 'addr', 'show', 'scope', 'link'],
    ['-j', 'addr', 'show', 'label', 'veth0:*'],
    ['-j', 'addr', 'show', 'to', '10.0.0.0/16'],
    ['-j', 'addr', 'show', 'dynamic'],
    ['route', 'show'],
    ['-j', 'route', 'show'],
    ['-j', '-d', 'route', 'show'],
    ['-j', '-6', 'route', 'show'],
    ['-6', 'route', 'show'],
    ['-j', 'route', 'show', 'table', '100'],
    ['-j', 'route', 'show', 'table', 'all'],
    ['route', 'show', 'table', 'all'],
    ['-j', 'route', 'show', 'proto', 'static'],
    ['-j', 'route', 'show', 'dev', 'veth0'],
    ['-j', 'route', 'show', 'root', '10.0.0.0/8'],
    ['-j', 'route', 'show', 'match', '10.5.1.1'],
    ['-j', 'route', 'show', 'type', 'unreachable'],
    ['-j', 'route', 'get', '10.5.1.1'],
    ['route', 'get', '192.168.5.9'],
    ['-j', 'route', 'get', '2001:db8:1::1'],
    ['-j', 'route', 'get', '10.0.0.1'],
    ['neigh', 'show'],
    ['-j', 'neigh', 'show'],
    ['-j', 'neigh', 'show', 'nud', 'all'],
    ['-j', '-s', 'neigh', 'show'],
    ['-j', 'neigh', 'show', 'proxy'],
    ['-j', '-6', 'neigh', 'show', 'dev', 'veth0'],
    ['rule', 'show'],
    ['-j', 'rule', 'show'],
    ['-j', '-6', 'rule', 'show'],
    ['-j', '-d', 'rule', 'show'],
  ];
  for (const c of cases) it(`nlts ${c.join(' ')}`, () => same(ns, c));
});

describe.skipIf(!privileged)('nlts builds what ip builds, and fails as ip fails', () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeAll(() => {
    a = createNetns();
    b = createNetns();
  });
  afterAll(() => {
    if (a) deleteNetns(a);
    if (b) deleteNetns(b);
  });

  const groups: [string, string[][]][] = [
    ['links', LINKS],
    ['addresses', ADDRESSES],
    ['routes', ROUTES],
    ['neighbours', NEIGHBOURS],
    ['rules', RULES],
  ];
  for (const [what, lines] of groups) {
    it(`${what}: the same command lines give the same ip -j output`, () => {
      build(a, lines, ipRun);
      build(b, lines, nltsRun);
      settle(a);
      settle(b);
      const show: string[][] = {
        links: [['-j', '-d', 'link', 'show']],
        addresses: [['-j', 'addr', 'show']],
        routes: [
          ['-j', 'route', 'show', 'table', 'all'],
          ['-j', '-6', 'route', 'show', 'table', 'all'],
        ],
        neighbours: [
          ['-j', 'neigh', 'show', 'nud', 'all'],
          ['-j', 'neigh', 'show', 'proxy'],
        ],
        rules: [
          ['-j', 'rule', 'show'],
          ['-j', '-6', 'rule', 'show'],
        ],
      }[what]!;
      for (const s of show) {
        // link-local addresses derive from the (fixed) MACs; fe80 routes and ND entries match too
        expect(state(b, s), s.join(' ')).toEqual(state(a, s));
      }
    });
  }

  it('link set / del: rename, nomaster, kind options, deletion', () => {
    const lines = [
      ['link', 'set', 'mv0', 'name', 'mvx'],
      ['link', 'set', 'mvx', 'address', '02:00:00:00:0a:0a'],
      ['link', 'set', 'veth3', 'nomaster'],
      ['link', 'set', 'veth1', 'type', 'bridge_slave', 'cost', '7'],
      ['link', 'set', 'br0', 'type', 'bridge', 'stp_state', '1', 'ageing_time', '1000'],
      ['link', 'set', 'veth2', 'down'],
      ['link', 'set', 'veth4', 'arp', 'off', 'multicast', 'off', 'promisc', 'on', 'group', '7'],
      ['link', 'del', 'vx6'],
      ['addr', 'del', '10.0.0.9/24', 'dev', 'veth0'],
      ['addr', 'flush', 'dev', 'veth4'],
      ['route', 'del', '10.4.0.0/16'],
      ['route', 'replace', '10.5.0.0/16', 'via', '10.0.0.3'],
      ['route', 'del', 'blackhole', '10.9.0.0/16'],
      ['neigh', 'del', '10.0.0.5', 'dev', 'veth0'],
      ['neigh', 'replace', '10.0.0.6', 'lladdr', '02:00:00:00:00:66', 'dev', 'veth0'],
      ['rule', 'del', 'pref', '300'],
    ];
    build(a, lines, ipRun);
    build(b, lines, nltsRun);
    settle(a);
    settle(b);
    for (const s of [
      ['-j', '-d', 'link', 'show'],
      ['-j', 'addr', 'show'],
      ['-j', 'route', 'show', 'table', 'all'],
      ['-j', 'neigh', 'show', 'nud', 'all'],
      ['-j', 'rule', 'show'],
    ]) {
      expect(state(b, s), s.join(' ')).toEqual(state(a, s));
    }
  });

  it('kernel refusals: one line, exit 2; bad arguments: exit 1; missing devices: exit 1', () => {
    const failing: [string[], number][] = [
      [['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth9'], 2],
      [['link', 'set', 'dev', 'nope', 'up'], 1],
      [['link', 'set', 'veth0', 'mtu', '99999999'], 2],
      [['addr', 'add', '10.0.0.1/24', 'dev', 'veth0'], 2],
      [['addr', 'del', '10.99.9.9/24', 'dev', 'veth0'], 2],
      [['route', 'add', '10.0.0.0/24', 'dev', 'veth0'], 2],
      [['route', 'del', '10.99.0.0/24'], 2],
      [['route', 'add', '10.20.0.0/16', 'via', '10.99.0.1'], 2],
      [['route', 'show', 'table', '999'], 2],
      [['link', 'add', 'foo', 'type', 'nosuchkind'], 2],
      [['neigh', 'del', '10.0.0.77', 'dev', 'veth0'], 2],
      [['rule', 'del', 'pref', '12345'], 2],
      [['link', 'del', 'nope'], 1],
      [['link', 'show', 'dev', 'nope'], 1],
      [['addr', 'add', '1.2.3.4/99', 'dev', 'veth0'], 1],
      [['route', 'get', '10.0.0.256'], 1],
    ];
    for (const [args, code] of failing) {
      const i = ipRun(a, args);
      const n = nltsRun(b, args);
      expect(n.status, `nlts ${args.join(' ')}: ${n.stderr}`).toBe(code);
      expect(n.stdout).toBe('');
      // the first line is ip's; usage errors add one hint line
      expect(n.stderr.split('\n')[0], args.join(' ')).toBe(i.stderr.split('\n')[0]);
      expect(n.stderr).not.toMatch(/\n\s+at /);
    }
    const usage: string[][] = [
      ['link', 'frob'],
      ['link', 'set', 'veth0', 'mtu'],
      ['link', 'add', 'br1', 'type', 'bridge', 'stp_state', 'x'],
      ['link', 'add', 'br1', 'type', 'bridge', 'foo', '1'],
      ['frob'],
      ['-x', 'link'],
    ];
    for (const args of usage) {
      const n = nltsRun(b, args);
      expect(n.status, args.join(' ')).toBe(1);
      expect(n.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(n.stderr.split('\n')[0]!.replace(/nlts/g, 'ip')).toBe(ipRun(a, args).stderr.split('\n')[0]);
    }
  });
});
