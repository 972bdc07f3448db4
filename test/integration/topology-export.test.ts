/**
 * The read side of topologies on a real lab: the walk-through's lab built with `ip` (the oracle) in
 * throwaway namespaces, read back as a graph (veth pairs across namespaces through nsids, bridge
 * ports), exported as a file, drawn (dot accepted by graphviz when it is installed; the SVG well
 * formed), and export -> destroy -> apply -> export giving the same file (its NAT rule included),
 * with traffic working again.
 * Namespaces are named with TEST_NS_PREFIX and always deleted.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology, destroyTopology } from '../../src/topology/apply.js';
import { exportTopology, formatTopology } from '../../src/topology/export.js';
import { topologyGraph } from '../../src/topology/graph.js';
import type { TopologyGraph } from '../../src/topology/graph-types.js';
import { renderDot } from '../../src/topology/render-dot.js';
import { renderSvg } from '../../src/topology/render-svg.js';
import { renderText } from '../../src/topology/render-text.js';
import { parseTopology } from '../../src/topology/parse.js';
import type { TopologyFile } from '../../src/topology/types.js';
import { runNlts } from '../cli/support/run.js';
import { TEST_NS_PREFIX, privileged, skipReason } from '../support/netns.js';
import { checkWellFormed } from '../topology/well-formed.js';

if (!privileged) console.warn(`[topology-export] skipped: ${skipReason}`);

const P = `${TEST_NS_PREFIX}topo-`;
const NS = { host: `${P}host`, c1: `${P}c1`, c2: `${P}c2`, c3: `${P}c3`, out: `${P}out` };
const ALL = Object.values(NS);

function have(program: string): boolean {
  try {
    execFileSync(program, ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasPing = have('ping');
const hasDot = have('dot');
const hasXmllint = (() => {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function ip(ns: string, ...args: string[]): void {
  execFileSync('ip', ['-n', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function dropAll(): void {
  for (const n of ALL) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
}

/**
 * The walk-through's lab: two containers on a bridge in a host namespace, a third routed through
 * the host over its own veth pair, and an "outside" namespace behind the host's wan0.
 */
function buildLab(): void {
  for (const n of ALL) execFileSync('ip', ['netns', 'add', n], { stdio: 'pipe' });
  for (const n of ALL) ip(n, 'link', 'set', 'lo', 'up');
  ip(NS.host, 'link', 'add', 'br0', 'type', 'bridge');
  ip(NS.host, 'addr', 'add', '172.18.0.1/24', 'dev', 'br0');
  ip(NS.host, 'link', 'set', 'br0', 'up');
  const veth = (hostEnd: string, ns: string) => {
    ip(NS.host, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip(NS.host, 'link', 'set', hostEnd, 'up');
    ip(ns, 'link', 'set', 'eth0', 'up');
  };
  veth('vh1', NS.c1);
  veth('vh2', NS.c2);
  veth('vh3', NS.c3);
  veth('wan0', NS.out);
  ip(NS.host, 'link', 'set', 'vh1', 'master', 'br0');
  ip(NS.host, 'link', 'set', 'vh2', 'master', 'br0');
  ip(NS.c1, 'addr', 'add', '172.18.0.2/24', 'dev', 'eth0');
  ip(NS.c2, 'addr', 'add', '172.18.0.3/24', 'dev', 'eth0');
  ip(NS.host, 'addr', 'add', '10.0.3.1/30', 'dev', 'vh3');
  ip(NS.c3, 'addr', 'add', '10.0.3.2/30', 'dev', 'eth0');
  ip(NS.host, 'addr', 'add', '198.51.100.1/24', 'dev', 'wan0');
  ip(NS.out, 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
  ip(NS.c1, 'route', 'add', 'default', 'via', '172.18.0.1');
  ip(NS.c2, 'route', 'add', 'default', 'via', '172.18.0.1');
  ip(NS.c3, 'route', 'add', 'default', 'via', '10.0.3.1');
  ip(NS.out, 'route', 'add', '10.0.3.0/30', 'via', '198.51.100.1', 'metric', '20');
  execFileSync('ip', ['netns', 'exec', NS.host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // NAT out: the outside namespace has no route back to the bridge's subnet
  const nat =
    'add table ip nat\nadd chain ip nat post { type nat hook postrouting priority srcnat; }\n' +
    'add rule ip nat post ip saddr 172.18.0.0/24 oifname "wan0" counter masquerade\n';
  execFileSync('ip', ['netns', 'exec', NS.host, 'nft', '-f', '-'], { input: nat });
}

function reaches(from: string, addr: string): boolean {
  if (!hasPing) return true; // traffic is checked where iputils-ping is installed (CI installs it)
  try {
    execFileSync('ip', ['netns', 'exec', from, 'ping', '-c', '1', '-W', '3', addr], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function trafficWorks(): void {
  expect(reaches(NS.c1, '172.18.0.3'), 'c1 -> c2 over the bridge').toBe(true);
  expect(reaches(NS.c1, '10.0.3.2'), 'c1 -> c3 routed by the host').toBe(true);
  expect(reaches(NS.c3, '198.51.100.2'), 'c3 -> outside, routed').toBe(true);
  expect(reaches(NS.c2, '198.51.100.2'), 'c2 -> outside, through NAT').toBe(true);
}

const linkOf = (g: TopologyGraph, ns: string, name: string) => g.namespaces.find((n) => n.name === ns)?.links.find((l) => l.name === name);

describe.skipIf(!privileged)('topology export on the walk-through lab', () => {
  let graph: TopologyGraph;
  let file: TopologyFile;

  beforeAll(async () => {
    dropAll();
    buildLab();
    graph = await topologyGraph(ALL);
    file = await exportTopology(ALL);
  }, 60_000);

  afterAll(() => dropAll());

  it('reads veth pairs across namespaces as edges, each once, through nsids', () => {
    const veths = graph.edges.filter((e) => e.kind === 'veth').map((e) => [e.a, e.b].sort().join(' <-> '));
    expect(veths.sort()).toEqual(
      [
        [`${NS.c1}/eth0`, `${NS.host}/vh1`],
        [`${NS.c2}/eth0`, `${NS.host}/vh2`],
        [`${NS.c3}/eth0`, `${NS.host}/vh3`],
        [`${NS.host}/wan0`, `${NS.out}/eth0`],
      ]
        .map((p) => p.sort().join(' <-> '))
        .sort(),
    );
    expect(linkOf(graph, NS.c1, 'eth0')?.peer).toMatchObject({ netns: NS.host, name: 'vh1', id: `${NS.host}/vh1` });
    expect(linkOf(graph, NS.host, 'wan0')?.peer).toMatchObject({ netns: NS.out, name: 'eth0' });
  });

  it('attaches bridge ports to their bridge', () => {
    const ports = graph.edges.filter((e) => e.kind === 'port').map((e) => `${e.a} -> ${e.b}`);
    expect(ports.sort()).toEqual([`${NS.host}/vh1 -> ${NS.host}/br0`, `${NS.host}/vh2 -> ${NS.host}/br0`]);
    expect(linkOf(graph, NS.host, 'vh3')?.master).toBeUndefined();
  });

  it('names the namespace of a peer outside the namespaces read', async () => {
    const g = await topologyGraph([NS.c1]);
    expect(linkOf(g, NS.c1, 'eth0')?.peer).toMatchObject({ netns: NS.host, name: 'vh1' });
    expect(g.edges).toEqual([]);
  });

  it("names the current namespace '.' for a peer there that has no name (run in an unnamed namespace)", () => {
    // A child in a namespace of its own (unshare -n), with a veth to c1: gone with the child.
    const graphTs = new URL('../../src/topology/graph.ts', import.meta.url).pathname;
    const script = `const { execFileSync } = require('node:child_process');
      execFileSync('ip', ['link', 'add', 'vx', 'type', 'veth', 'peer', 'name', 'vy', 'netns', ${JSON.stringify(NS.c1)}]);
      import(${JSON.stringify(graphTs)}).then(async ({ topologyGraph }) => {
        const g = await topologyGraph([${JSON.stringify(NS.c1)}]);
        process.stdout.write(JSON.stringify(g.namespaces[0].links.find((l) => l.name === 'vy').peer));
      })`;
    const out = execFileSync('unshare', ['-n', '--', process.execPath, '--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ netns: '.', name: 'vx' });
  });

  it('exports what was configured: veth pairs once, no kernel-made addresses or routes, changed sysctls', () => {
    const c1 = file.namespaces[NS.c1]!;
    expect(c1.links).toEqual([
      { name: 'lo', up: true },
      { name: 'eth0', kind: 'veth', up: true, addresses: ['172.18.0.2/24'], peer: { name: 'vh1', netns: NS.host, master: 'br0', up: true } },
    ]);
    expect(c1.routes).toEqual([{ dst: 'default', gateway: '172.18.0.1', dev: 'eth0' }]);
    const host = file.namespaces[NS.host]!;
    expect(host.sysctl).toEqual({ 'net.ipv4.ip_forward': 1 });
    // the ruleset as add commands: no handles, counters from zero (ping has gone through it by now)
    expect(host.nftables).toHaveLength(3);
    expect(host.nftables![0]).toEqual({ add: { table: { family: 'ip', name: 'nat' } } });
    expect(JSON.stringify(host.nftables)).not.toContain('handle');
    expect(JSON.stringify(host.nftables)).toContain('{"counter":{"packets":0,"bytes":0}}');
    expect(file.namespaces[NS.c1]!.nftables).toBeUndefined();
    expect(host.links!.map((l) => l.name)).toEqual(['lo', 'br0']);
    expect(file.namespaces[NS.out]!.routes).toContainEqual({ dst: '10.0.3.0/30', gateway: '198.51.100.1', dev: 'eth0', metric: 20 });
    const text = JSON.stringify(file);
    expect(text).not.toMatch(/fe80|127\.0\.0\.1|::1/);
    // Every pair once: 4 veths in all.
    const veths = Object.values(file.namespaces).flatMap((n) => (n.links ?? []).filter((l) => l.kind === 'veth'));
    expect(veths).toHaveLength(4);
  });

  it('exports a file that parses and validates as apply reads it (YAML and JSON)', async () => {
    expect(parseTopology(await formatTopology(file, 'yaml'))).toEqual(file);
    expect(parseTopology(await formatTopology(file, 'json'))).toEqual(file);
  });

  it('renders the lab: text tree, dot accepted by graphviz, a well-formed SVG', async () => {
    const text = renderText(graph);
    expect(text).toContain(`${NS.host}\n`);
    expect(text).toMatch(/br0 {2}bridge up mtu 1500 {2}172\.18\.0\.1\/24\n.*vh1 {2}veth up mtu 1500 {2}peer .*-topo-c1\/eth0/);
    const dot = renderDot(graph);
    if (hasDot) expect(execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' })).toContain('<svg');
    const svg = await renderSvg(graph);
    checkWellFormed(svg);
    if (hasXmllint) execFileSync('xmllint', ['--noout', '-'], { input: svg });
    expect(svg.match(/class="e veth-e"/g)).toHaveLength(4);
    expect(svg.match(/class="e port-e"/g)).toHaveLength(2);
  });

  it('nlts topology: the tree, the file as YAML and -j JSON, dot, svg; usage errors', async () => {
    const tree = await runNlts(['topology', NS.c1]);
    expect(tree.code).toBe(0);
    expect(tree.out).toBe(
      `${NS.c1}\n├── lo  loopback up mtu 65536\n├── eth0  veth up mtu 1500  172.18.0.2/24  peer ${NS.host}/vh1\n└── routes\n    └── default via 172.18.0.1 dev eth0\n`,
    );
    const yaml = await runNlts(['topology', '--format', 'yaml', ...ALL]);
    expect(yaml.code).toBe(0);
    expect(parseTopology(yaml.out)).toEqual(file);
    const json = await runNlts(['-j', 'topology', ...ALL]);
    expect(json.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.out)).toEqual(file);
    expect((await runNlts(['topology', '--format=dot', NS.host])).out).toMatch(/^graph topology \{/);
    expect((await runNlts(['topology', '-f', 'svg', NS.host])).out).toMatch(/^<svg /);
    const bad = await runNlts(['topology', '--format', 'png']);
    expect([bad.code, bad.err]).toEqual([1, expect.stringContaining('Format "png" is unknown')]);
    const missing = await runNlts(['topology', `${P}missing`]);
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('does not exist')]);
  });

  it('export -> destroy -> apply gives the same export, and the traffic works again', async () => {
    trafficWorks();
    expect(await exportTopology(ALL), 'traffic changes no export (counters)').toEqual(file);
    await destroyTopology(file);
    for (const n of ALL) expect(() => execFileSync('ip', ['netns', 'pids', n], { stdio: 'pipe' })).toThrow();
    await applyTopology(file);
    const again = await exportTopology(ALL);
    expect(again).toEqual(file);
    trafficWorks();
    expect(await applyTopology(again), 'applying the export again changes nothing').toEqual([]);
  }, 60_000);
});
