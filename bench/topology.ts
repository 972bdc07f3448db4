/**
 * Declarative topologies (docs/topology.md), not in CI: applyTopology against the same lab built by
 * an `ip -batch` script per namespace. Every namespace is nlts-bench-topo-<pid>-*, removed at the end.
 *
 *   npx tsx bench/topology.ts [--rounds N] [--quick]
 *
 * Measured (median of the rounds, min and max shown), wall time in this process:
 *   lab      the walk-through's lab (4 namespaces, 4 veth pairs, a bridge, 10 addresses, 5 routes,
 *            ip_forward) from nothing; goal < 300 ms
 *   lab-re   applying the same file again (no changes)
 *   hub      100 namespaces, each with a veth to one bridge in a hub namespace; goal < 5 s
 *   hub-re   applying that again (no changes); goal < 1 s
 *   ip       the same, as `ip -batch -` (netns add for all) then `ip -n NS -batch -` per namespace,
 *            and `ip netns exec NS sysctl -w` for the sysctl
 *   nft50    the lab with a 50-rule table in the host (NAT out, a filter chain of 50 rules with
 *            counters, ports and anonymous sets): apply, re-apply (the table compared with its
 *            declaration), one rule changed (the table replaced in one transaction); ip: plus `nft -f`
 *   declare  the table's expected listing without a kernel (approach (a), what re-apply pays for it)
 *            against applying it in a scratch namespace and listing it there (approach (b))
 */
import { execFileSync } from 'node:child_process';
import { NetlinkClient } from '../src/api/client.js';
import { addNetns, deleteNetns } from '../src/netns/manage.js';
import { applyTopology, declareNftables, destroyTopology } from '../src/topology/apply.js';
import type { TopologyFile } from '../src/topology/types.js';

const argv = process.argv.slice(2);
let rounds = 5;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rounds') rounds = Number(argv[++i]);
  else if (argv[i] === '--quick') rounds = 2;
  else {
    console.error(`usage: npx tsx bench/topology.ts [--rounds N] [--quick]\nunknown argument: ${argv[i]}`);
    process.exit(2);
  }
}

const PREFIX = `nlts-bench-topo-${process.pid}-`;
const HUB = 100;

function cleanup(): void {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0]!;
    if (name.startsWith(PREFIX)) execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const ns = (role: string) => `${PREFIX}${role}`;

/** The walk-through's lab: c1, c2 on br0 in host; c3 routed through host; c1-c2 also directly linked. */
function lab(): TopologyFile {
  const [host, c1, c2, c3] = [ns('host'), ns('c1'), ns('c2'), ns('c3')];
  return {
    namespaces: {
      [host]: {
        sysctl: { 'net.ipv4.ip_forward': 1 },
        links: [
          { name: 'br0', kind: 'bridge', data: { stpState: 0 }, up: true, addresses: ['172.18.0.1/24', 'fd00:18::1/64'] },
          {
            name: 'vr3',
            kind: 'veth',
            up: true,
            addresses: ['172.19.0.1/24'],
            peer: { name: 'eth0', netns: c3, up: true, addresses: ['172.19.0.2/24'] },
          },
        ],
        routes: [{ dst: '10.12.0.0/24', gateway: '172.18.0.2' }],
      },
      [c1]: {
        links: [
          {
            name: 'eth0',
            kind: 'veth',
            up: true,
            addresses: ['172.18.0.2/24', 'fd00:18::2/64'],
            peer: { name: 'vh1', netns: host, master: 'br0', up: true },
          },
          {
            name: 'v12',
            kind: 'veth',
            up: true,
            addresses: ['10.12.0.1/24'],
            peer: { name: 'v21', netns: c2, up: true, addresses: ['10.12.0.2/24'] },
          },
        ],
        routes: [{ dst: 'default', gateway: '172.18.0.1' }],
      },
      [c2]: {
        links: [{ name: 'eth0', kind: 'veth', up: true, addresses: ['172.18.0.3/24'], peer: { name: 'vh2', netns: host, master: 'br0', up: true } }],
        routes: [{ dst: 'default', gateway: '172.18.0.1' }],
      },
      [c3]: {
        routes: [
          { dst: '172.18.0.0/24', gateway: '172.19.0.1' },
          { dst: '10.12.0.0/24', gateway: '172.19.0.1' },
        ],
      },
    },
  };
}

/** The same lab as ip scripts: one batch for the namespaces, then one per namespace. */
function labScripts(): { netns: string; scripts: [string, string][]; sysctl: [string, string][]; nft?: [string, string][] } {
  const [host, c1, c2, c3] = [ns('host'), ns('c1'), ns('c2'), ns('c3')];
  return {
    netns: [host, c1, c2, c3].map((n) => `netns add ${n}`).join('\n'),
    scripts: [
      [
        host,
        [
          'link add br0 type bridge stp_state 0',
          'link set br0 up',
          'address add 172.18.0.1/24 dev br0',
          'address add fd00:18::1/64 dev br0',
          `link add vr3 type veth peer name eth0 netns ${c3}`,
          'link set vr3 up',
          'address add 172.19.0.1/24 dev vr3',
        ].join('\n'),
      ],
      [
        c1,
        [
          `link add eth0 type veth peer name vh1 netns ${host}`,
          'link set eth0 up',
          'address add 172.18.0.2/24 dev eth0',
          'address add fd00:18::2/64 dev eth0',
          `link add v12 type veth peer name v21 netns ${c2}`,
          'link set v12 up',
          'address add 10.12.0.1/24 dev v12',
          'route add default via 172.18.0.1',
        ].join('\n'),
      ],
      [
        c2,
        [
          'link add eth0 type veth peer name vh2 netns ' + host,
          'link set eth0 up',
          'address add 172.18.0.3/24 dev eth0',
          'link set v21 up',
          'address add 10.12.0.2/24 dev v21',
          'route add default via 172.18.0.1',
        ].join('\n'),
      ],
      [
        host,
        ['link set vh1 master br0', 'link set vh1 up', 'link set vh2 master br0', 'link set vh2 up', 'route add 10.12.0.0/24 via 172.18.0.2'].join(
          '\n',
        ),
      ],
      [
        c3,
        [
          'link set eth0 up',
          'address add 172.19.0.2/24 dev eth0',
          'route add 172.18.0.0/24 via 172.19.0.1',
          'route add 10.12.0.0/24 via 172.19.0.1',
        ].join('\n'),
      ],
    ],
    sysctl: [[host, 'net.ipv4.ip_forward=1']],
  };
}

function hub(): TopologyFile {
  const h = ns('hub');
  const spec: TopologyFile = { namespaces: { [h]: { links: [{ name: 'br0', kind: 'bridge', up: true, addresses: ['10.100.0.1/16'] }] } } };
  for (let i = 0; i < HUB; i++) {
    spec.namespaces[ns(`h${i}`)] = {
      links: [
        {
          name: 'eth0',
          kind: 'veth',
          up: true,
          addresses: [`10.100.${1 + (i >> 8)}.${i & 255}/16`],
          peer: { name: `vh${i}`, netns: h, master: 'br0', up: true },
        },
      ],
    };
  }
  return spec;
}

function hubScripts(): { netns: string; scripts: [string, string][]; sysctl: [string, string][] } {
  const h = ns('hub');
  const names = Array.from({ length: HUB }, (_, i) => ns(`h${i}`));
  const hubLines = ['link add br0 type bridge', 'link set br0 up', 'address add 10.100.0.1/16 dev br0'];
  const scripts: [string, string][] = names.map((n, i) => [
    n,
    [`link add eth0 type veth peer name vh${i} netns ${h}`, 'link set eth0 up', `address add 10.100.${1 + (i >> 8)}.${i & 255}/16 dev eth0`].join(
      '\n',
    ),
  ]);
  const ports = names.flatMap((_, i) => [`link set vh${i} master br0`, `link set vh${i} up`]);
  return {
    netns: [h, ...names].map((n) => `netns add ${n}`).join('\n'),
    scripts: [[h, hubLines.join('\n')], ...scripts, [h, ports.join('\n')]],
    sysctl: [],
  };
}

/** Rule i of the 50-rule filter chain, as JSON commands take it and as nft's text writes it. */
function filterRule(i: number, port = 1000 + i): { json: unknown[]; text: string } {
  const dport = { payload: { protocol: 'tcp', field: 'dport' } };
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  if (i % 5 === 4) {
    const ports = [port, port + 100, port + 200];
    return {
      json: [{ match: { op: '==', left: dport, right: { set: ports } } }, { counter: null }, { drop: null }],
      text: `tcp dport { ${ports.join(', ')} } counter drop`,
    };
  }
  return {
    json: [
      { match: { op: '==', left: saddr, right: { prefix: { addr: `10.${i}.0.0`, len: 16 } } } },
      { match: { op: '==', left: dport, right: port } },
      { counter: null },
      { accept: null },
    ],
    text: `ip saddr 10.${i}.0.0/16 tcp dport ${port} counter accept`,
  };
}

const RULES = 50;

/** The host's tables: NAT out and a filter chain of RULES rules (one of them with `changed` as its port). */
function nft50(changed?: number): unknown[] {
  const T = { family: 'ip', table: 'lab' };
  const out: unknown[] = [
    { add: { table: { family: 'ip', name: 'lab' } } },
    { add: { chain: { ...T, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    { add: { chain: { ...T, name: 'flt', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    {
      add: {
        rule: {
          ...T,
          chain: 'post',
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '172.18.0.0', len: 24 } } } },
            { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'br0' } },
            { masquerade: null },
          ],
        },
      },
    },
  ];
  for (let i = 0; i < RULES - 1; i++) out.push({ add: { rule: { ...T, chain: 'flt', expr: filterRule(i, i === 7 ? changed : undefined).json } } });
  return out;
}

function nft50Text(): string {
  const rules = Array.from({ length: RULES - 1 }, (_, i) => `add rule ip lab flt ${filterRule(i).text}`);
  return [
    'add table ip lab',
    'add chain ip lab post { type nat hook postrouting priority 100; policy accept; }',
    'add chain ip lab flt { type filter hook forward priority 0; policy accept; }',
    'add rule ip lab post ip saddr 172.18.0.0/24 oifname != "br0" masquerade',
    ...rules,
    '',
  ].join('\n');
}

function labNft(changed?: number): TopologyFile {
  const f = lab();
  f.namespaces[ns('host')]!.nftables = nft50(changed);
  return f;
}

function labNftScripts(): ReturnType<typeof labScripts> {
  return { ...labScripts(), nft: [[ns('host'), nft50Text()]] };
}

function runIp(s: { netns: string; scripts: [string, string][]; sysctl: [string, string][]; nft?: [string, string][] }): void {
  execFileSync('ip', ['-batch', '-'], { input: s.netns, stdio: ['pipe', 'ignore', 'inherit'] });
  for (const [n, script] of s.scripts) execFileSync('ip', ['-n', n, '-batch', '-'], { input: script, stdio: ['pipe', 'ignore', 'inherit'] });
  for (const [n, kv] of s.sysctl) execFileSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', kv], { stdio: 'ignore' });
  for (const [n, text] of s.nft ?? [])
    execFileSync('ip', ['netns', 'exec', n, 'nft', '-f', '-'], { input: text, stdio: ['pipe', 'ignore', 'inherit'] });
}

async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const f = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
  return `${f(median).padStart(9)}  (min ${f(s[0]!)}, max ${f(s.at(-1)!)}, n=${s.length})`;
}

async function scenario(
  name: string,
  spec: () => TopologyFile,
  ipScripts: () => ReturnType<typeof labScripts>,
  n: number,
  changed?: () => TopologyFile,
): Promise<void> {
  const file = spec();
  const apply: number[] = [];
  const again: number[] = [];
  const change: number[] = [];
  const ip: number[] = [];
  const destroy: number[] = [];
  for (let r = 0; r < n; r++) {
    apply.push(await time(() => applyTopology(file)));
    again.push(
      await time(async () => {
        const changes = await applyTopology(file);
        if (changes.length) throw new Error(`re-apply changed ${changes.length} things: ${JSON.stringify(changes[0])}`);
      }),
    );
    if (changed) {
      const other = changed();
      change.push(await time(() => applyTopology(other)));
      await applyTopology(file);
    }
    destroy.push(await time(() => destroyTopology(file)));
    cleanup();
    ip.push(await time(() => runIp(ipScripts())));
    cleanup();
  }
  console.log(`${name.padEnd(8)} apply     ${stats(apply)}`);
  console.log(`${name.padEnd(8)} re-apply  ${stats(again)}`);
  if (changed) console.log(`${name.padEnd(8)} 1 changed ${stats(change)}`);
  console.log(`${name.padEnd(8)} destroy   ${stats(destroy)}`);
  console.log(`${name.padEnd(8)} ip -batch ${stats(ip)}`);
}

cleanup();
console.log(`node ${process.version}, ${rounds} rounds (the first apply includes loading and compiling the specs)`);
await scenario('lab', lab, labScripts, rounds);
await scenario('hub', hub, hubScripts, Math.max(2, Math.ceil(rounds / 2)));
await scenario(
  'nft50',
  () => labNft(),
  labNftScripts,
  rounds,
  () => labNft(4242),
);
await declareCost(rounds);

/** What "in force" costs to compute a table's expected listing: (a) without a kernel, (b) in a scratch namespace. */
async function declareCost(n: number): Promise<void> {
  const file: TopologyFile = { namespaces: { [ns('host')]: { nftables: nft50() } } };
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < n; r++) {
    a.push(await time(() => declareNftables(file)));
    b.push(
      await time(async () => {
        const scratch = ns('scratch');
        await addNetns(scratch);
        const nl = NetlinkClient.open({ netns: scratch, netnsEntry: 'setns' });
        try {
          await nl.nftables.apply(nft50() as never, { handles: false });
          await nl.nftables.list();
        } finally {
          nl.close();
          deleteNetns(scratch);
        }
      }),
    );
  }
  console.log(`declare  (a) no kernel       ${stats(a)}`);
  console.log(`declare  (b) scratch netns   ${stats(b)}`);
}
