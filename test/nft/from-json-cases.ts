/**
 * The corpus of the linearizer's oracle tests (src/nft/json/from-json.ts): rules written in nft's
 * text per family (nft adds each, `nft -j` lists it, and that JSON is what gets linearized), JSON
 * documents of whole commands, and the walk-through recipes. scripts/record-from-json-goldens.ts
 * keeps what nft 1.0.6 sends for each (fixtures/nftables/from-json-golden.json); the unit test compares
 * the linearizer's messages with those bytes, the integration test the kernel's view.
 */
import * as recipes from '../../src/nft/json/recipes.js';

export type Family = 'ip' | 'ip6' | 'inet' | 'bridge' | 'netdev';

/** The table `t` every rule case starts from: a set, a regular chain, filter and nat base chains. */
export function ruleSetup(family: Family): string {
  const hook = family === 'netdev' ? 'ingress device lo' : 'input';
  const nat =
    family === 'bridge' || family === 'netdev'
      ? ''
      : [
          '  chain n {\n    type nat hook postrouting priority srcnat; policy accept;\n  }',
          '  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n  }',
        ].join('\n');
  return [
    'flush ruleset',
    `table ${family} t {`,
    '  set s {\n    type ipv4_addr\n  }',
    '  chain x {\n  }',
    `  chain c {\n    type filter hook ${hook} priority 0; policy accept;\n  }`,
    nat,
    '}',
    '',
  ].join('\n');
}

/** Rules by family: "<chain> <statements>" as `nft add rule FAMILY t` takes them. */
export const RULES: Readonly<Record<Family, readonly string[]>> = {
  ip: [
    'c tcp dport 22 accept',
    'c ip saddr 10.1.2.0/23 meta mark 0x10 ct state established,related counter accept',
    'c tcp dport 1-1024 tcp dport != 2-3 jump x',
    'pre tcp dport 8080 dnat to 172.18.0.2:80',
    'pre dnat to 10.0.0.1-10.0.0.5',
    'c reject with icmp port-unreachable',
    'c log prefix "x " level info flags all',
    'c log group 2 snaplen 100 queue-threshold 5',
    'c limit rate over 10/minute burst 3 packets',
    'c limit rate 1 mbytes/second',
    'c meta mark set 0x10 ct mark set 0x1 notrack',
    'pre tcp dport 80 redirect to :8080',
    'c ip saddr @s drop',
    'c ip saddr != @s drop',
    'c quota 100 bytes',
    'c tcp dport { 22, 80-90 } accept',
    'c ip saddr { 10.0.0.0/8, 192.168.1.1 }',
    'c ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 23 }',
    'c tcp sport 1 counter tcp dport 2',
    'c ip saddr 1.1.1.1 ip daddr 2.2.2.2',
    'c tcp sport != 1 tcp dport != 2',
    'c ip ttl 5 ip protocol tcp',
    'c meta protocol ip ip saddr 1.1.1.1',
    'c meta mark 1-10',
    'c meta mark < 10',
    'c ip dscp 0x2e',
    'c tcp flags syn',
    'c tcp flags & (syn|ack) == syn',
    'c ct original saddr 1.2.3.4',
    'c fib daddr type local',
    'c meta mark set meta mark or 0x10',
    'c ct mark set meta mark',
    'c add @s { ip saddr }',
    'c reject with tcp reset',
    'c reject',
    'c iifname "eth*"',
    'c tcp dport vmap { 22 : accept, 80 : jump x }',
    'n oifname "eth0" masquerade',
    'n ip saddr 10.0.0.0/24 oifname != "vethc1" masquerade',
    'c ether saddr 00:11:22:33:44:55',
    'c icmp type echo-request',
  ],
  inet: [
    'c tcp dport 22 accept',
    'c ip saddr 10.0.0.1',
    'c ip6 saddr ::1',
    'c ip saddr . tcp dport { 10.0.0.1 . 22 }',
    'n ip saddr 10.0.0.0/24 oifname != "vethc1" masquerade',
    'n oifname "eth0" snat ip to 1.2.3.4',
    'pre iifname "eth0" tcp dport 8080 dnat ip to 172.18.0.2:80',
    'pre tcp dport 80 dnat ip to 10.0.0.1-10.0.0.5:80-90',
    'n meta l4proto tcp masquerade to :1024-2048 random,persistent',
    'pre tcp dport 80 redirect to :8080',
    'c reject',
    'c reject with tcp reset',
    'c reject with icmp host-unreachable',
    'c reject with icmpv6 admin-prohibited',
    'c counter reject with icmpx admin-prohibited',
    'c log prefix "x " level info',
    'c limit rate 10/second',
    'c notrack',
    'c ct state established,related accept',
    'c ct state == new',
    'c ct state != established',
    'c iifname { "eth0", "veth*" } accept',
    'c ct state { established, related } accept',
    'c meta l4proto { tcp, udp } th dport 53 accept',
    'c ct original ip saddr 1.2.3.4',
    'c icmp type echo-request',
    'c icmpv6 type echo-request',
    'c ip protocol tcp tcp dport 22',
    'c meta nfproto ipv4 ip saddr 1.1.1.1',
    'c ip dscp 0x2e',
    'c ip6 flowlabel 5',
    'c meta protocol ip ip saddr 1.1.1.1',
    'c udp dport { 53, 123 } counter accept',
    'c ip6 daddr fe80::/64 drop',
    'c ip6 nexthdr tcp tcp dport 443',
    'c ct mark 0x10/28',
    'c meta skuid 1000 accept',
    'c meta mark != 0x1 drop',
    'c ip saddr != { 10.0.0.0/8, 172.16.0.0/12 } drop',
    'c ct status dnat accept',
    'c meta pkttype broadcast drop',
    'c tcp flags & (fin|syn|rst|ack) == syn',
    'c th sport 53',
    'c ether type arp',
    'c udp sport 67 udp dport 68',
    'c ip ttl > 5',
    'c meta mark and 0xff == 1',
    'c ip length 5 ip id 6 ip frag-off 7',
  ],
  ip6: [
    'c tcp dport 22 accept',
    'c ip6 saddr 2001:db8::/32 drop',
    'c icmpv6 type { echo-request, nd-neighbor-solicit } accept',
    'c reject',
    'c reject with icmpv6 addr-unreachable',
    'n oifname "eth0" masquerade',
    'pre tcp dport 80 dnat to [2001:db8::1]:8080',
    'n snat to 2001:db8::1-2001:db8::5',
    'c meta protocol ip6 udp dport 67',
    'c ip6 hoplimit 1',
    'c ct original saddr ::1',
  ],
  bridge: [
    'c ip saddr 1.2.3.4',
    'c tcp dport 22',
    'c ether saddr 00:11:22:33:44:55',
    'c ip6 daddr ::1',
    'c icmp type echo-request',
    'c ether type ip ip saddr 1.2.3.4',
    'c meta protocol ip ip saddr 1.2.3.4 tcp dport 22',
  ],
  netdev: ['c ip saddr 1.2.3.4', 'c tcp dport 22 drop', 'c ether saddr 00:11:22:33:44:55 drop', 'c meta protocol ip6 ip6 saddr ::1'],
};

/** Whole documents, each applied on the ruleset its setup makes. */
export interface DocCase {
  name: string;
  setup: string;
  doc: unknown;
}

const INET_F = 'flush ruleset\ntable inet f {\n chain c {\n }\n}\n';

export const DOCS: readonly DocCase[] = [
  {
    name: 'tables and chains',
    setup: 'flush ruleset\n',
    doc: {
      nftables: [
        { add: { table: { family: 'inet', name: 'f' } } },
        { create: { table: { family: 'ip', name: 'g' } } },
        { add: { chain: { family: 'inet', table: 'f', name: 'c', type: 'filter', hook: 'forward', prio: 10, policy: 'drop' } } },
        { create: { chain: { family: 'inet', table: 'f', name: 'd' } } },
        { add: { chain: { family: 'ip', table: 'g', name: 'n', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
      ],
    },
  },
  {
    name: 'sets, maps and elements',
    setup: 'flush ruleset\n',
    doc: {
      nftables: [
        { table: { family: 'inet', name: 'f' } },
        {
          add: {
            set: {
              family: 'inet',
              table: 'f',
              name: 's',
              type: 'ipv4_addr',
              flags: ['interval'],
              elem: [{ prefix: { addr: '10.0.0.0', len: 8 } }, '1.2.3.4'],
            },
          },
        },
        {
          add: { set: { family: 'inet', table: 'f', name: 's2', type: ['ipv4_addr', 'inet_service'], flags: ['timeout'], timeout: 3600, size: 100 } },
        },
        { add: { map: { family: 'inet', table: 'f', name: 'm', type: 'ipv4_addr', map: 'ipv4_addr' } } },
        {
          add: {
            element: { family: 'inet', table: 'f', name: 's2', elem: [{ elem: { val: { concat: ['1.2.3.4', 80] }, timeout: 10, comment: 'c' } }] },
          },
        },
        { add: { element: { family: 'inet', table: 'f', name: 'm', elem: [['1.1.1.1', '2.2.2.2']] } } },
      ],
    },
  },
  {
    name: 'verdict map, interval map, concatenated intervals',
    setup: 'flush ruleset\n',
    doc: {
      nftables: [
        { add: { table: { family: 'ip', name: 't' } } },
        { add: { map: { family: 'ip', table: 't', name: 'vm', type: 'inet_service', map: 'verdict' } } },
        {
          add: {
            map: {
              family: 'ip',
              table: 't',
              name: 'm2',
              type: 'ipv4_addr',
              map: 'inet_service',
              flags: ['interval'],
              elem: [[{ prefix: { addr: '10.0.0.0', len: 8 } }, 80]],
            },
          },
        },
        {
          add: {
            set: {
              family: 'ip',
              table: 't',
              name: 'c2',
              type: ['ipv4_addr', 'inet_service'],
              flags: ['interval'],
              elem: [{ concat: [{ prefix: { addr: '10.0.0.0', len: 8 } }, { range: [80, 90] }] }],
            },
          },
        },
      ],
    },
  },
  {
    name: 'objects, object reference, comment, insert',
    setup: INET_F,
    doc: {
      nftables: [
        { add: { counter: { family: 'inet', table: 'f', name: 'cnt' } } },
        { add: { quota: { family: 'inet', table: 'f', name: 'q', bytes: 104857600, used: 10485760, inv: true } } },
        { add: { limit: { family: 'inet', table: 'f', name: 'l', rate: 10, per: 'second', burst: 20 } } },
        { add: { rule: { family: 'inet', table: 'f', chain: 'c', expr: [{ counter: 'cnt' }, { accept: null }], comment: 'xyz' } } },
        { insert: { rule: { family: 'inet', table: 'f', chain: 'c', expr: [{ drop: null }] } } },
      ],
    },
  },
  {
    name: 'flush ruleset',
    setup: 'flush ruleset\ntable inet f {\n chain c {\n  accept\n }\n}\n',
    doc: { nftables: [{ flush: { ruleset: null } }] },
  },
  {
    name: 'flush table, chain and set',
    setup: 'flush ruleset\ntable inet f {\n set s {\n  type ipv4_addr\n  elements = { 1.1.1.1 }\n }\n chain c {\n  accept\n }\n}\n',
    doc: {
      nftables: [
        { flush: { table: { family: 'inet', name: 'f' } } },
        { flush: { chain: { family: 'inet', table: 'f', name: 'c' } } },
        { flush: { set: { family: 'inet', table: 'f', name: 's' } } },
      ],
    },
  },
  {
    name: 'deletes',
    setup:
      'flush ruleset\ntable inet f {\n counter cnt {\n }\n set s {\n  type ipv4_addr\n  elements = { 1.1.1.1 }\n }\n chain c {\n  accept\n }\n}\n',
    doc: {
      nftables: [
        { delete: { element: { family: 'inet', table: 'f', name: 's', elem: ['1.1.1.1'] } } },
        { delete: { set: { family: 'inet', table: 'f', name: 's' } } },
        { delete: { counter: { family: 'inet', table: 'f', name: 'cnt' } } },
        { delete: { rule: { family: 'inet', table: 'f', chain: 'c', handle: 4 } } },
        { delete: { chain: { family: 'inet', table: 'f', name: 'c' } } },
        { delete: { table: { family: 'inet', name: 'f' } } },
      ],
    },
  },
  {
    name: 'positions: index, replace',
    setup: 'flush ruleset\ntable inet f {\n chain c {\n  accept\n  drop\n }\n}\n',
    doc: {
      nftables: [
        { insert: { rule: { family: 'inet', table: 'f', chain: 'c', index: 1, expr: [{ drop: null }] } } },
        { replace: { rule: { family: 'inet', table: 'f', chain: 'c', handle: 3, expr: [{ return: null }] } } },
        { add: { rule: { family: 'inet', table: 'f', chain: 'c', index: 0, expr: [{ accept: null }] } } },
      ],
    },
  },
  {
    name: 'netdev base chain',
    setup: 'flush ruleset\n',
    doc: {
      nftables: [
        { add: { table: { family: 'netdev', name: 't' } } },
        { add: { chain: { family: 'netdev', table: 't', name: 'c', type: 'filter', hook: 'ingress', dev: 'lo', prio: -500 } } },
      ],
    },
  },
  {
    name: 'interval elements into an empty and a filled set',
    setup:
      'flush ruleset\ntable ip t {\n set s {\n  type ipv4_addr\n  flags interval\n  elements = { 2.2.2.2 }\n }\n set e {\n  type ipv4_addr\n  flags interval\n }\n}\n',
    doc: {
      nftables: [
        { add: { element: { family: 'ip', table: 't', name: 's', elem: [{ range: ['1.1.1.1', '1.1.1.9'] }] } } },
        { add: { element: { family: 'ip', table: 't', name: 'e', elem: [{ range: ['1.1.1.1', '1.1.1.9'] }] } } },
      ],
    },
  },
  {
    name: 'named set lookup, set update, named verdict map',
    setup:
      'flush ruleset\ntable ip t {\n set s {\n  type ipv4_addr\n  flags timeout\n }\n map vm {\n  type inet_service : verdict\n }\n chain c {\n }\n}\n',
    doc: {
      nftables: [
        {
          add: {
            rule: {
              family: 'ip',
              table: 't',
              chain: 'c',
              expr: [
                { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@s' } },
                { set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@s' } },
              ],
            },
          },
        },
        {
          add: {
            rule: { family: 'ip', table: 't', chain: 'c', expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@vm' } }] },
          },
        },
      ],
    },
  },
];

/** The walk-through recipes, applied on an empty ruleset. */
export const RECIPES: readonly DocCase[] = [
  { name: 'masquerade', setup: 'flush ruleset\n', doc: recipes.masquerade({ source: '172.18.0.0/24', notOutInterface: 'vethc1' }) },
  { name: 'masquerade inet', setup: 'flush ruleset\n', doc: recipes.masquerade({ family: 'inet', source: '172.18.0.0/24', outInterface: 'eth0' }) },
  { name: 'masquerade ip6', setup: 'flush ruleset\n', doc: recipes.masquerade({ family: 'ip6', source: 'fd00::/64' }) },
  { name: 'snat', setup: 'flush ruleset\n', doc: recipes.snat({ source: '10.0.0.0/8', to: '192.0.2.1', outInterface: 'eth0' }) },
  { name: 'snat range inet', setup: 'flush ruleset\n', doc: recipes.snat({ family: 'inet', to: '192.0.2.1-192.0.2.9' }) },
  { name: 'dnat', setup: 'flush ruleset\n', doc: recipes.dnat({ inInterface: 'eth0', protocol: 'tcp', port: 8080, to: '172.18.0.2', toPort: 80 }) },
  {
    name: 'dnat inet',
    setup: 'flush ruleset\n',
    doc: recipes.dnat({ family: 'inet', destination: '192.0.2.1', protocol: 'udp', port: 53, to: '172.18.0.2' }),
  },
  { name: 'allowEstablished', setup: 'flush ruleset\n', doc: recipes.allowEstablished({}) },
  { name: 'allowEstablished inet input', setup: 'flush ruleset\n', doc: recipes.allowEstablished({ family: 'inet', chain: 'input' }) },
];
