/**
 * planTopology against states written by hand (no privileges): the order of the steps, idempotence
 * (a state that is what the file declares plans nothing), what a difference turns into, conflicts
 * refused with the entry's path, and what --prune removes and never removes. nftables: a declared
 * table in force or not against listings written by hand, the declared table's listing made without
 * a kernel, and the normal form both are compared in.
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/topology/types.js';
import { parseTopology } from '../../src/topology/parse.js';
import { declareNftables } from '../../src/topology/apply.js';
import { appliableCommands } from '../../src/topology/nft-declared.js';
import { normaliseTable } from '../../src/topology/nft-tables.js';
import { planTopology } from '../../src/topology/plan.js';
import type { CurrentAddress, CurrentLink, CurrentNamespace, CurrentRoute, TopologyState } from '../../src/topology/state.js';
import { WALKTHROUGH } from './support.js';

const file = (text: string) => parseTopology(text, { netnsExists: () => false });

const link = (index: number, name: string, extra: Partial<CurrentLink> = {}): CurrentLink => ({ index, name, up: true, mtu: 1500, ...extra });
const addr = (index: number, cidr: string, extra: Partial<CurrentAddress> = {}): CurrentAddress => ({
  index,
  cidr,
  family: cidr.includes(':') ? 'inet6' : 'inet',
  scope: 'universe',
  permanent: true,
  ...extra,
});
const route = (dst: string, extra: Partial<CurrentRoute> = {}): CurrentRoute => ({
  family: dst.includes(':') ? 'inet6' : 'inet',
  dst,
  table: 'main',
  protocol: 'boot',
  scope: 'universe',
  type: 'unicast',
  tos: 0,
  ...extra,
});
const ns = (s: Partial<CurrentNamespace>): CurrentNamespace => ({ exists: true, links: [], addresses: [], routes: [], sysctl: {}, ...s });

/** The walk-through as the kernel lists it once applied (veth ends point at each other by index, across namespaces). */
function walkthroughState(): TopologyState {
  return new Map([
    [
      'host',
      ns({
        links: [
          link(1, 'lo', { up: false, mtu: 65536 }),
          link(2, 'br0', { kind: 'bridge', data: { stpState: 0 } }),
          link(3, 'vh1', { kind: 'veth', master: 2, link: 2, linkNetnsid: 0 }),
        ],
        addresses: [addr(2, '172.18.0.1/24'), addr(2, 'fe80::1/64', { scope: 'link' })],
        routes: [
          route('172.18.0.0/24', { protocol: 'kernel', scope: 'link', dev: 2, prefsrc: '172.18.0.1' }),
          route('172.18.0.1/32', { table: 'local', type: 'local', protocol: 'kernel' }),
        ],
        sysctl: { 'net.ipv4.ip_forward': '1' },
      }),
    ],
    [
      'c1',
      ns({
        links: [link(1, 'lo', { up: false, mtu: 65536 }), link(2, 'eth0', { kind: 'veth', link: 3, linkNetnsid: 0 })],
        addresses: [addr(2, '172.18.0.2/24')],
        routes: [route('default', { gateway: '172.18.0.1', prefsrc: '172.18.0.2', dev: 2 }), route('172.18.0.0/24', { protocol: 'kernel', dev: 2 })],
      }),
    ],
  ]);
}

const brief = (changes: Change[]) => changes.map((c) => `${c.op} ${c.kind} ${c.netns} ${c.name}`);
const plan = (text: string, state: TopologyState, prune = false) => planTopology(file(text), state, { prune }).map((s) => s.change);

describe('planTopology', () => {
  it('plans a new lab in dependency order: namespaces, links (the bridge before the veth whose peer it holds), addresses, routes, sysctls', () => {
    // c1 comes first in this file; its peer's master is host's br0, so br0 is made first anyway.
    const text = WALKTHROUGH.replace(/\n {2}c1:[\s\S]*$/, '').replace('namespaces:\n', `namespaces:\n${WALKTHROUGH.match(/ {2}c1:[\s\S]*$/)![0]}`);
    expect(Object.keys(file(text).namespaces)).toEqual(['c1', 'host']);
    expect(brief(plan(text, new Map()))).toEqual([
      'add netns c1 c1',
      'add netns host host',
      'add link host br0',
      'add link c1 eth0',
      'add address c1 172.18.0.2/24 dev eth0',
      'add address host 172.18.0.1/24 dev br0',
      'add route c1 default',
      'change sysctl host net.ipv4.ip_forward',
    ]);
  });

  it('gives each change its entry, and a veth its peer in the add', () => {
    const changes = plan(WALKTHROUGH, new Map());
    expect(changes.find((c) => c.kind === 'link' && c.name === 'eth0')).toEqual({
      op: 'add',
      kind: 'link',
      netns: 'c1',
      name: 'eth0',
      path: 'namespaces.c1.links[0]',
      detail: { kind: 'veth', up: true, peer: { name: 'vh1', netns: 'host', master: 'br0', up: true } },
    });
    expect(changes.find((c) => c.kind === 'sysctl')).toMatchObject({
      key: 'net.ipv4.ip_forward',
      path: 'namespaces.host.sysctl["net.ipv4.ip_forward"]',
    });
  });

  it('plans nothing when the state is what the file declares (idempotent)', () => {
    expect(plan(WALKTHROUGH, walkthroughState())).toEqual([]);
    expect(plan(WALKTHROUGH, walkthroughState(), true)).toEqual([]);
  });

  it('turns differences into changes: link state and master with from/to, a missing address, a route through another gateway, a sysctl', () => {
    const state = walkthroughState();
    const host = state.get('host')!;
    host.links[1] = link(2, 'br0', { kind: 'bridge', up: false, data: { stpState: 1 } });
    host.links[2] = link(3, 'vh1', { kind: 'veth', link: 2, linkNetnsid: 0 });
    host.addresses = [];
    host.sysctl = { 'net.ipv4.ip_forward': '0' };
    state.get('c1')!.routes[0] = route('default', { gateway: '172.18.0.254', dev: 2 });
    const changes = plan(WALKTHROUGH, state);
    expect(brief(changes)).toEqual([
      'change link host br0',
      'change link host vh1',
      'add address host 172.18.0.1/24 dev br0',
      'change route c1 default',
      'change sysctl host net.ipv4.ip_forward',
    ]);
    expect(changes[0]!.detail).toEqual({ data: { from: { stpState: 1 }, to: { stpState: 0 } }, up: { from: false, to: true } });
    expect(changes[1]!.detail).toEqual({ master: { from: null, to: 'br0' } });
    expect(changes[4]!.detail).toEqual({ from: '0', to: '1' });
  });

  it('configures links it does not create (lo of a new namespace) and refuses ones that are not there', () => {
    const text = 'namespaces:\n  n1:\n    links: [{ name: lo, up: true }]\n';
    expect(brief(plan(text, new Map()))).toEqual(['add netns n1 n1', 'change link n1 lo']);
    expect(() => plan(text.replace('lo,', 'eth7,'), new Map())).toThrow(
      'namespaces.n1.links[0]: no link eth7 in n1 to configure (give a kind to create it)',
    );
  });

  it.each([
    [
      'a link of another kind in the way',
      (s: TopologyState) => (s.get('host')!.links[1]!.kind = 'dummy'),
      'namespaces.host.links[0]: a link br0 of kind dummy exists in host; the file declares a bridge',
    ],
    [
      'a veth whose peer is not the declared one',
      (s: TopologyState) => (s.get('host')!.links[2]!.name = 'vh9'),
      'namespaces.c1.links[0]: a veth eth0 exists in c1 but its peer is not vh1 in host',
    ],
    [
      "a peer's name taken",
      (s: TopologyState) => (s.get('c1')!.links = [link(1, 'lo')]),
      'namespaces.c1.links[0].peer.name: a link vh1 already exists in host',
    ],
  ])('refuses %s, before anything changes', (_what, mutate, message) => {
    const state = walkthroughState();
    mutate(state);
    expect(() => plan(WALKTHROUGH, state)).toThrow(message);
  });

  it('refuses references to links that are neither declared nor there: master, route dev, lower link', () => {
    expect(() => plan(WALKTHROUGH.replace('master: br0', 'master: br1'), new Map())).toThrow(
      'namespaces.c1.links[0].peer.master: no link br1 in host (in the file or on the host)',
    );
    expect(() => plan(WALKTHROUGH.replace('prefsrc: 172.18.0.2', 'dev: eth1'), new Map())).toThrow('namespaces.c1.routes[0].dev: no link eth1 in c1');
    const vlan = 'namespaces:\n  n:\n    links: [{ name: v10, kind: vlan, link: eth9, data: { id: 10 } }]\n';
    expect(() => plan(vlan, new Map())).toThrow('namespaces.n.links[0].link: no link eth9 in n');
    // A master that exists on the host but is not in the file is fine.
    const state = new Map([['n', ns({ links: [link(1, 'lo'), link(5, 'br9', { kind: 'bridge' })] })]]);
    expect(brief(plan('namespaces:\n  n:\n    links: [{ name: d0, kind: dummy, master: br9 }]\n', state))).toEqual(['add link n d0']);
  });

  it("keys routes as the kernel does: IPv6's default metric 1024, table names, a metric apart is another route", () => {
    const text = `namespaces:
  n:
    links: [{ name: d0, kind: dummy, addresses: ["fd00::1/64", 10.0.0.1/24] }]
    routes:
      - { dst: "fd01::/64", gateway: "fd00::2" }
      - { dst: 10.1.0.0/16, gateway: 10.0.0.2, table: main }
      - { dst: 10.1.0.0/16, gateway: 10.0.0.3, metric: 10 }
      - { dst: 10.2.0.0/16, dev: d0, table: 100 }
`;
    const state = new Map([
      [
        'n',
        ns({
          links: [link(1, 'lo'), link(2, 'd0', { kind: 'dummy' })],
          addresses: [addr(2, 'fd00::1/64'), addr(2, '10.0.0.1/24')],
          routes: [
            route('fd01::/64', { gateway: 'fd00::2', metric: 1024, dev: 2, scope: 'universe' }),
            route('10.1.0.0/16', { gateway: '10.0.0.2', dev: 2 }),
            route('10.1.0.0/16', { gateway: '10.0.0.3', metric: 10, dev: 2 }),
            route('10.2.0.0/16', { table: 100, dev: 2, scope: 'link' }),
          ],
        }),
      ],
    ]);
    expect(plan(text, state)).toEqual([]);
    state.get('n')!.routes.splice(2, 1);
    expect(plan(text, state).map((c) => `${c.op} ${c.name}`)).toEqual(['add 10.1.0.0/16 metric 10']);
    state.get('n')!.routes[2] = route('10.2.0.0/16', { dev: 2, scope: 'link' });
    expect(plan(text, state).map((c) => `${c.op} ${c.name}`)).toEqual(['add 10.1.0.0/16 metric 10', 'add 10.2.0.0/16 table 100']);
  });

  it('prunes undeclared links, addresses and routes, never lo, kernel-made ones, or the current namespace', () => {
    const state = walkthroughState();
    const c1 = state.get('c1')!;
    c1.links.push(link(4, 'd9', { kind: 'dummy' }));
    c1.addresses.push(
      addr(2, '10.9.0.1/24'),
      addr(4, '10.8.0.1/24'),
      addr(1, '127.0.0.1/8', { scope: 'host', proto: 'kernel_lo' }),
      addr(1, '::1/128', { scope: 'host', proto: 'kernel_lo' }),
      addr(2, 'fe80::2/64', { scope: 'link' }),
      addr(2, '2001:db8::5/64', { permanent: false }),
    );
    c1.routes.push(
      route('10.7.0.0/16', { gateway: '172.18.0.9', dev: 2 }),
      route('10.6.0.0/16', { dev: 4 }),
      route('fe80::/64', { protocol: 'kernel', dev: 2, metric: 256 }),
      route('ff00::/8', { table: 'local', type: 'multicast', dev: 2 }),
      route('2001:db8::/64', { protocol: 'ra', dev: 2 }),
    );
    const dot = ns({
      links: [link(1, 'lo'), link(2, 'eth0', { kind: undefined })],
      addresses: [addr(2, '192.0.2.1/24')],
      routes: [route('default', { gateway: '192.0.2.254' })],
    });
    state.set('.', dot);
    const text = `${WALKTHROUGH}  .:\n    links: [{ name: lo }]\n`;
    expect(brief(plan(text, state, true))).toEqual(['delete route c1 10.7.0.0/16', 'delete address c1 10.9.0.1/24 dev eth0', 'delete link c1 d9']);
    expect(plan(text, state, false)).toEqual([]);
  });
});

/** NAT out in the host, as a file's entry: the masquerade rule nft writes for the walk-through, with a counter. */
const NAT = `
      - { add: { table: { family: ip, name: nat } } }
      - add: { chain: { family: ip, table: nat, name: post, type: nat, hook: postrouting, prio: 100, policy: accept } }
      - add:
          rule:
            family: ip
            table: nat
            chain: post
            expr:
              - { match: { op: '==', left: { payload: { protocol: ip, field: saddr } }, right: { prefix: { addr: 172.18.0.0, len: 24 } } } }
              - { match: { op: '!=', left: { meta: { key: oifname } }, right: br0 } }
              - { counter: null }
              - { masquerade: null }`;
const withNat = (extra = '') => WALKTHROUGH.replace('    nftables: []', `    nftables:${NAT}${extra}`);

/** The NAT table as nl.nftables.list() prints it after traffic: handles, a metainfo item, counters that moved. */
function natListing(port?: number): unknown {
  const rule = (handle: number, expr: unknown[]) => ({ rule: { family: 'ip', table: 'nat', chain: 'post', handle, expr } });
  return {
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'ip', name: 'nat', handle: 7 } },
      { chain: { family: 'ip', table: 'nat', name: 'post', handle: 1, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
      rule(2, [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '172.18.0.0', len: 24 } } } },
        { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: port === undefined ? 'br0' : 'br1' } },
        { counter: { packets: 42, bytes: 3528 } },
        { masquerade: null },
      ]),
      { table: { family: 'inet', name: 'other', handle: 9 } },
    ],
  };
}

/** The walk-through's state with the host's ruleset as listed. */
function withRuleset(listing: unknown): TopologyState {
  const state = walkthroughState();
  state.get('host')!.nftables = listing;
  return state;
}

const planNft = async (text: string, state: TopologyState, prune = false) => {
  const f = file(text);
  return planTopology(f, state, { prune, nftables: await declareNftables(f) }).map((s) => s.change);
};

describe('planTopology: nftables tables', () => {
  it('a declared table is in force when its listing, normalised, is the declared one (handles, counters, metainfo do not count)', async () => {
    expect(await planNft(withNat(), withRuleset(natListing()))).toEqual([]);
  });

  it('a table that differs is one change for that table, with the path of its add; a missing one is an add', async () => {
    const changed = await planNft(withNat(), withRuleset(natListing(1)));
    expect(changed).toEqual([
      { op: 'change', kind: 'nftables', netns: 'host', name: 'ip nat', path: 'namespaces.host.nftables[0]', detail: { commands: 3 } },
    ]);
    const missing = await planNft(withNat(), walkthroughState());
    expect(brief(missing)).toEqual(['add nftables host ip nat']);
    // A namespace the file makes: its tables come after everything else of the plan.
    const fresh = await planNft(withNat(), new Map());
    expect(brief(fresh).at(-1)).toBe('add nftables host ip nat');
  });

  it('plans one transaction per table: the delete when it exists, the entry commands with their places, the listing for undo', async () => {
    const f = file(withNat('\n      - { add: { table: { family: inet, name: f } } }'));
    const steps = planTopology(f, withRuleset(natListing(1)), { nftables: await declareNftables(f) });
    const nat = steps.find((s) => s.change.name === 'ip nat')!.action;
    expect(nat).toMatchObject({ do: 'nftables-table', family: 'ip', table: 'nat', at: [0, 1, 2] });
    expect((nat as { old?: unknown[] }).old?.[0]).toEqual({ table: { family: 'ip', name: 'nat', handle: 7 } });
    expect(steps.find((s) => s.change.name === 'inet f')!.action).toEqual({
      do: 'nftables-table',
      family: 'inet',
      table: 'f',
      commands: [{ add: { table: { family: 'inet', name: 'f' } } }],
      at: [3],
    });
  });

  it('prune deletes the tables the entry does not declare, only where the file has an nftables entry, never in the current namespace', async () => {
    expect(brief(await planNft(withNat(), withRuleset(natListing()), true))).toEqual(['delete nftables host inet other']);
    // An empty entry declares no tables: prune deletes every one.
    expect(brief(await planNft(WALKTHROUGH, withRuleset(natListing()), true))).toEqual([
      'delete nftables host ip nat',
      'delete nftables host inet other',
    ]);
    // No entry: the namespace's ruleset is not the file's business.
    const noEntry = WALKTHROUGH.replace('    nftables: []\n', '');
    expect(await planNft(noEntry, withRuleset(natListing()), true)).toEqual([]);
    const dot = withRuleset(natListing());
    dot.set('.', ns({ links: [link(1, 'lo')], nftables: natListing() }));
    expect(brief(await planNft(`${withNat()}\n  .:\n    nftables: []\n`, dot, true))).toEqual(['delete nftables host inet other']);
  });

  it('a file with nftables commands needs the declared tables to be planned', () => {
    expect(() => planTopology(file(withNat()), walkthroughState())).toThrow(/^namespaces\.host\.nftables: planning nftables commands needs/);
  });
});

describe('declared tables without a kernel, and their normal form', () => {
  it('keeps the table as nf_tables keeps it: insert first, a second add of the table and of an element once, anonymous sets inline', async () => {
    const text = WALKTHROUGH.replace(
      '    nftables: []',
      `    nftables:
      - { add: { table: { family: inet, name: f } } }
      - add: { chain: { family: inet, table: f, name: in, type: filter, hook: input, prio: 0, policy: accept } }
      - add: { set: { family: inet, table: f, name: s, type: ipv4_addr, elem: [10.0.0.1] } }
      - add: { rule: { family: inet, table: f, chain: in, expr: [{ accept: null }] } }
      - insert:
          rule:
            family: inet
            table: f
            chain: in
            expr: [{ match: { op: '==', left: { payload: { protocol: tcp, field: dport } }, right: { set: [22, 80] } } }, { drop: null }]
      - { add: { table: { family: inet, name: f } } }
      - add: { element: { family: inet, table: f, name: s, elem: [10.0.0.1, 10.0.0.2] } }`,
    );
    const [t] = (await declareNftables(file(text))).get('host')!;
    expect(t!.listing.map((i) => Object.keys(i)[0])).toEqual(['table', 'set', 'chain', 'rule', 'rule']);
    expect(t!.listing[1]).toEqual({ set: { family: 'inet', name: 's', table: 'f', type: 'ipv4_addr', handle: 0, elem: ['10.0.0.1', '10.0.0.2'] } });
    expect(t!.listing[3]).toMatchObject({ rule: { expr: [{ match: { right: { set: [22, 80] } } }, { drop: null }] } });
    expect(t!.listing[4]).toMatchObject({ rule: { expr: [{ accept: null }] } });
  });

  it('refuses a command the linearizer cannot write with the path of the entry, before anything is read', async () => {
    const text = withNat().replace('{ masquerade: null }', '{ tproxy: { addr: 1.2.3.4 } }');
    await expect(declareNftables(file(text))).rejects.toThrow(/^namespaces\.host\.nftables\[2\]\.add\.rule\.expr\[3\]: "tproxy" is not a statement/);
  });

  it('an export keeps the tables apply can take back, and leaves out the others saying why', () => {
    const t = (name: string, expr: unknown[]) => [
      { add: { table: { family: 'ip', name } } },
      { add: { chain: { family: 'ip', table: name, name: 'c' } } },
      { add: { rule: { family: 'ip', table: name, chain: 'c', expr } } },
    ];
    const good = t('good', [{ accept: null }]);
    const xt = t('xt', [{ xt: { type: 'target', name: 'MASQUERADE' } }]);
    const said: string[] = [];
    expect(appliableCommands([...xt, ...good], 'host', (m) => said.push(m))).toEqual(good);
    expect(said).toEqual([
      expect.stringMatching(/^host: nftables table ip xt left out: apply cannot write it back: nftables\[2\]\.add\.rule\.expr\[0\]/),
    ]);
  });

  it('normalises handles, counters, quota usage, expiry, filled sets, anonymous set names and key order away, and nothing else', () => {
    const a = [
      { table: { family: 'inet', name: 'f', handle: 3 } },
      { quota: { family: 'inet', table: 'f', name: 'q', handle: 4, bytes: 100, used: 50, inv: false } },
      {
        set: {
          family: 'inet',
          name: 's',
          table: 'f',
          type: 'ipv4_addr',
          handle: 5,
          flags: ['timeout'],
          elem: [{ elem: { val: '10.0.0.1', expires: 10 } }],
        },
      },
      { rule: { family: 'inet', table: 'f', chain: 'c', handle: 6, expr: [{ counter: { packets: 1, bytes: 2 } }, { lookup: '@__set7' }] } },
    ];
    const b = [
      { table: { name: 'f', family: 'inet' } },
      { quota: { family: 'inet', table: 'f', name: 'q', bytes: 100, inv: false } },
      { set: { family: 'inet', name: 's', table: 'f', type: 'ipv4_addr', flags: ['timeout'], elem: ['10.0.0.1'] } },
      { rule: { family: 'inet', table: 'f', chain: 'c', expr: [{ counter: { packets: 0, bytes: 0 } }, { lookup: '@__set0' }] } },
    ];
    expect(normaliseTable(a)).toBe(normaliseTable(b));
    const other = structuredClone(b);
    (other[1]!.quota as { bytes: number }).bytes = 101;
    expect(normaliseTable(other)).not.toBe(normaliseTable(b));
    const elem = structuredClone(b);
    (elem[2]!.set as { elem: string[] }).elem = ['10.0.0.2'];
    expect(normaliseTable(elem)).not.toBe(normaliseTable(b));
    // The elements of a set the packet path fills are state too.
    const filled = (elem: string[]) => [
      { set: { family: 'inet', name: 'seen', table: 'f', type: 'ipv4_addr', elem } },
      { rule: { chain: 'c', expr: [{ set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@seen' } }] } },
    ];
    expect(normaliseTable(filled(['10.0.0.1', '10.0.0.2']))).toBe(normaliseTable(filled([])));
    // A rule's order in its chain counts.
    const two = (x: string, y: string) => [{ rule: { chain: 'c', expr: [{ [x]: null }] } }, { rule: { chain: 'c', expr: [{ [y]: null }] } }];
    expect(normaliseTable(two('accept', 'drop'))).not.toBe(normaliseTable(two('drop', 'accept')));
  });
});
