/**
 * Declarative topologies against the kernel (docs/topology.md): the walk-through's lab from one
 * file with real traffic, idempotence, dry runs, rollback injected at every step of a plan (the
 * state afterwards equals the state before), kernel refusals, prune, destroy, the CLI, and random
 * topologies. nftables: the walk-through's NAT out from one file with a real TCP connection, a rule
 * changed, rollback of a table, prune of undeclared tables, export -> destroy -> apply, destroy in '.'.
 * Every namespace is named with the test prefix (test/support/netns.ts) and destroyed in finally;
 * `ip` (and `nft`) are the oracles; the root namespace is compared before and after.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTopologyApplyError } from '../../src/topology/errors.js';
import { applyTopology, destroyTopology } from '../../src/topology/apply.js';
import { execNetns, runInNetns } from '../../src/netns/manage.js';
import { parseTopology } from '../../src/topology/parse.js';
import type { TopologyFile } from '../../src/topology/types.js';
import { rootSnapshot } from '../netns/support.js';
import { runNlts } from '../cli/support/run.js';
import { TEST_NS_PREFIX, privileged, skipReason } from '../support/netns.js';

if (!privileged) console.warn(`[topology apply] skipped: ${skipReason}`);

let run = 0;
/** Namespace names for one test: prefix + 'topo' + a counter + role, so CI's cleanup finds them. */
function names<T extends string>(...roles: T[]): Record<T, string> {
  const n = ++run;
  return Object.fromEntries(roles.map((r) => [r, `${TEST_NS_PREFIX}topo${n}-${r}`])) as Record<T, string>;
}

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ipn = (ns: string, ...args: string[]) => sh('ip', '-n', ns, ...args);
const ipj = (ns: string, ...args: string[]): any[] => JSON.parse(ipn(ns, '-j', ...args) || '[]');
const exists = (ns: string) => existsSync(`/run/netns/${ns}`);
const ping = (ns: string, to: string) => sh('ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', to);

/** Removes whatever is left of the test's namespaces. */
function cleanup(nss: Record<string, string>): void {
  for (const ns of Object.values(nss)) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // gone
    }
  }
}

/** What a namespace holds, as ip lists it: links (no indexes), addresses and routes (no link-local v6), ip_forward. */
function snapshot(nss: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [role, ns] of Object.entries(nss)) {
    if (!exists(ns)) {
      out[role] = 'absent';
      continue;
    }
    const links = ipj(ns, '-d', 'link', 'show')
      .map(
        (l) =>
          `${l.ifname} ${l.linkinfo?.info_kind ?? '-'} master=${l.master ?? '-'} ${l.flags.includes('UP') ? 'up' : 'down'} mtu=${l.mtu} ${l.address}`,
      )
      .sort();
    const addrs = ipj(ns, 'addr', 'show')
      .flatMap((l) => (l.addr_info ?? []).map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen}`))
      .filter((a: string) => !a.includes(' fe80:'))
      .sort();
    const routes = ipj(ns, 'route', 'show', 'table', 'all')
      .map(
        (r) =>
          `${r.table ?? 'main'} ${r.type ?? 'unicast'} ${r.dst} ${r.gateway ?? '-'} ${r.dev ?? '-'} ` +
          `${r.protocol ?? '-'} ${r.metric ?? 0} ${r.prefsrc ?? '-'}`,
      )
      .filter((r: string) => !/ (fe80:|ff00:)/.test(r))
      .sort();
    const forwarding = sh('ip', 'netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_forward').trim();
    out[role] = { links, addrs, routes, forwarding };
  }
  return out;
}

/** The walk-through's lab: two containers on a bridge in a host namespace, a third routed through the host. */
function lab(n: Record<'host' | 'c1' | 'c2' | 'c3', string>): string {
  return `
namespaces:
  ${n.host}:
    sysctl:
      net.ipv4.ip_forward: 1
    links:
      - { name: lo, up: true }
      - name: br0
        kind: bridge
        data: { stpState: 0 }
        up: true
        addresses: [172.18.0.1/24]
      - name: vr3
        kind: veth
        up: true
        addresses: [172.19.0.1/24]
        peer: { name: eth0, netns: ${n.c3}, up: true, addresses: [172.19.0.2/24] }
  ${n.c1}:
    links:
      - name: eth0
        kind: veth
        up: true
        addresses: [172.18.0.2/24, "fd00:18::2/64"]
        peer: { name: vh1, netns: ${n.host}, master: br0, up: true }
    routes:
      - { dst: default, gateway: 172.18.0.1, prefsrc: 172.18.0.2 }
  ${n.c2}:
    links:
      - name: eth0
        kind: veth
        up: true
        addresses: [172.18.0.3/24]
        peer: { name: vh2, netns: ${n.host}, master: br0, up: true }
    routes:
      - { dst: default, gateway: 172.18.0.1 }
  ${n.c3}:
    links:
      - { name: lo, up: true }
    routes:
      - { dst: 172.18.0.0/24, gateway: 172.19.0.1 }
      - { dst: 10.99.0.0/16, type: blackhole }
`;
}

/**
 * The walk-through's NAT out: a container on a bridge in a host namespace, an outside namespace
 * behind the host's wan0 with no route back to the bridge's subnet, forwarding on, and the
 * masquerade rule as the host's nftables commands.
 */
function natLab(n: Record<'host' | 'c1' | 'out', string>): string {
  return `
namespaces:
  ${n.host}:
    sysctl: { net.ipv4.ip_forward: 1 }
    links:
      - { name: lo, up: true }
      - { name: br0, kind: bridge, data: { stpState: 0 }, up: true, addresses: [172.18.0.1/24] }
      - name: wan0
        kind: veth
        up: true
        addresses: [198.51.100.1/24]
        peer: { name: eth0, netns: ${n.out}, up: true, addresses: [198.51.100.2/24] }
    nftables:
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
              - { masquerade: null }
  ${n.c1}:
    links:
      - name: eth0
        kind: veth
        up: true
        addresses: [172.18.0.2/24]
        peer: { name: vh1, netns: ${n.host}, master: br0, up: true }
    routes:
      - { dst: default, gateway: 172.18.0.1 }
  ${n.out}:
    links:
      - { name: lo, up: true }
`;
}

/** `nft ARGS` in a namespace (the oracle), stdout; `-f -` reads `input`. */
function nft(ns: string, ...args: string[]): string {
  const input = args[0] === '-f' && args[1] === '-' ? args.pop() : undefined;
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Node for the servers and clients run inside namespaces (no CA bundle: faster start). */
const nodeEnv = { ...process.env };
delete nodeEnv.NODE_EXTRA_CA_CERTS;
delete nodeEnv.NODE_OPTIONS;

/** A TCP server in `ns` that answers each connection with the peer address it sees; resolves once listening. */
async function peerServer(ns: string, addr: string, port: number): Promise<ChildProcess> {
  const code = `require('net').createServer((c)=>c.end(c.remoteAddress)).listen(${port},'${addr}',()=>console.log('ready'))`;
  const child = execNetns(ns, [process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnv });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`server in ${ns} exited (${c})`)));
  });
  return child;
}

/** One TCP connection from `from` to addr:port: what the server said, or 'failed: ...'. */
async function connect(from: string, addr: string, port: number, timeoutMs = 2000): Promise<string> {
  const code =
    `const s=require('net').connect(${port},'${addr}');let d='';` +
    `s.setTimeout(${timeoutMs},()=>{console.error('timeout');process.exit(2)});` +
    `s.on('data',(c)=>d+=c);s.on('end',()=>{process.stdout.write(d)});s.on('error',(e)=>{console.error(e.message);process.exit(1)})`;
  const r = await runInNetns(from, [process.execPath, '-e', code], { timeoutMs: 15_000, env: nodeEnv });
  return r.code === 0 ? r.stdout : `failed: ${r.stderr.trim()}`;
}

/** The CLI's launcher, run from the source (NLTS_SOURCE=1) as its own process where a test needs one. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nlts.js');

describe.skipIf(!privileged)('applyTopology / destroyTopology', () => {
  let root: string;
  beforeAll(() => {
    root = rootSnapshot();
  });
  afterAll(() => {
    expect(rootSnapshot()).toBe(root);
  });

  it('builds the walk-through lab from one file: containers ping each other on the bridge and through the host', async () => {
    const n = names('host', 'c1', 'c2', 'c3');
    const file = parseTopology(lab(n));
    try {
      const changes = await applyTopology(file);
      expect(changes.map((c) => `${c.op} ${c.kind}`)).toEqual([
        ...Array(4).fill('add netns'),
        ...Array(4).fill('add link'),
        ...Array(2).fill('change link'),
        ...Array(6).fill('add address'),
        ...Array(4).fill('add route'),
        'change sysctl',
      ]);
      expect(ipj(n.host, '-d', 'link', 'show', 'vh1')[0]).toMatchObject({ master: 'br0', flags: expect.arrayContaining(['UP']) });
      expect(ipj(n.c3, 'route', 'show', 'table', 'all', 'type', 'blackhole')[0]).toMatchObject({ dst: '10.99.0.0/16' });
      expect(ping(n.c1, '172.18.0.3')).toMatch(/1 received/);
      expect(ping(n.c3, '172.18.0.2')).toMatch(/1 received/);
      expect(ping(n.c2, '172.19.0.2')).toMatch(/1 received/);
      expect(await applyTopology(file)).toEqual([]);

      const destroyed = await destroyTopology(file);
      expect(destroyed.filter((c) => c.kind === 'netns').map((c) => c.name)).toEqual([n.host, n.c1, n.c2, n.c3]);
      expect(Object.values(n).filter(exists)).toEqual([]);
    } finally {
      cleanup(n);
    }
  });

  it('a dry run returns the same plan and changes nothing', async () => {
    const n = names('host', 'c1', 'c2', 'c3');
    try {
      sh('ip', 'netns', 'add', n.host);
      ipn(n.host, 'link', 'add', 'br0', 'type', 'bridge');
      const before = snapshot(n);
      const planned = await applyTopology(parseTopology(lab(n)), { dryRun: true });
      expect(snapshot(n)).toEqual(before);
      expect(planned.filter((c) => c.kind === 'netns').length).toBe(3);
      expect(planned.find((c) => c.kind === 'link' && c.name === 'br0')).toMatchObject({ op: 'change', detail: { up: { from: false, to: true } } });
      expect(await applyTopology(parseTopology(lab(n)))).toEqual(planned);
    } finally {
      cleanup(n);
    }
  });

  it('rollback injected at every step of a plan leaves the state as it was', async () => {
    const n = names('host', 'c1', 'old');
    const file = parseTopology(`
namespaces:
  ${n.host}:
    sysctl: { net.ipv4.ip_forward: 1 }
    links:
      - { name: br0, kind: bridge, up: true, mtu: 1400, addresses: [172.18.0.1/24] }
      - { name: keep0, addresses: [10.8.0.1/24] }
      - name: v1
        kind: veth
        up: true
        peer: { name: eth0, netns: ${n.c1}, up: true, addresses: [172.18.0.2/24] }
    routes:
      - { dst: 10.70.0.0/24, dev: keep0 }
      - { dst: 10.71.0.0/24, gateway: 10.8.0.3 }
  ${n.c1}:
    links:
      - { name: lo, up: true }
    routes:
      - { dst: default, gateway: 172.18.0.1 }
`);
    try {
      // What exists: a host namespace with a bridge (down), two more bridges with addresses and routes
      // (one route the file changes, one --prune removes, one goes with its bridge), forwarding off; a namespace the file does not name.
      sh('ip', 'netns', 'add', n.host);
      sh('ip', 'netns', 'add', n.old);
      ipn(n.host, 'link', 'add', 'br0', 'type', 'bridge');
      ipn(n.host, 'link', 'add', 'keep0', 'type', 'bridge');
      ipn(n.host, 'link', 'set', 'keep0', 'up');
      ipn(n.host, 'addr', 'add', '10.8.0.1/24', 'dev', 'keep0');
      ipn(n.host, 'route', 'add', '10.70.0.0/24', 'via', '10.8.0.2');
      ipn(n.host, 'route', 'add', '10.80.0.0/24', 'via', '10.8.0.2', 'metric', '5');
      ipn(n.host, 'link', 'add', 'gone0', 'type', 'bridge');
      ipn(n.host, 'link', 'set', 'gone0', 'up');
      ipn(n.host, 'addr', 'add', '10.9.0.1/24', 'dev', 'gone0');
      ipn(n.host, 'route', 'add', '10.90.0.0/24', 'via', '10.9.0.2');
      ipn(n.host, 'addr', 'add', '10.8.1.1/24', 'dev', 'keep0');
      const before = snapshot(n);
      const plan = await applyTopology(file, { dryRun: true, prune: true });
      expect(plan.map((c) => `${c.op} ${c.kind}`)).toEqual([
        'add netns',
        'add link',
        'change link',
        'change link',
        'add address',
        'add address',
        'change route',
        'add route',
        'add route',
        'change sysctl',
        'delete route',
        'delete address',
        'delete link',
      ]);
      for (let i = 0; i < plan.length; i++) {
        const err = await applyTopology(file, { prune: true, failAt: i }).catch((e: unknown) => e);
        expect(isTopologyApplyError(err), `step ${i}`).toBe(true);
        if (!isTopologyApplyError(err)) throw err;
        expect(err.rolledBack, `step ${i}: ${err.undoErrors.map((e) => e.message).join('; ')}`).toBe(true);
        expect(err.change).toEqual(plan[i]);
        expect(err.undone.length).toBe(i);
        expect(snapshot(n), `state after a failure at step ${i} (${plan[i]!.op} ${plan[i]!.kind} ${plan[i]!.name})`).toEqual(before);
      }
      expect(await applyTopology(file, { prune: true })).toEqual(plan);
      expect(await applyTopology(file, { prune: true })).toEqual([]);
      expect(snapshot(n).old).toEqual(before.old);
    } finally {
      cleanup(n);
    }
  });

  it('a kernel refusal part-way undoes everything and names the entry and the kernel message', async () => {
    const n = names('a', 'b');
    const text = `
namespaces:
  ${n.a}:
    links:
      - { name: d0, kind: bridge, up: true, addresses: [10.1.0.1/24] }
      - { name: v0, kind: veth, mtu: 70000, peer: { name: v1, netns: ${n.b} } }
  ${n.b}:
    sysctl: { net.ipv4.ip_forward: 1 }
`;
    try {
      const err = await applyTopology(parseTopology(text)).catch((e: unknown) => e);
      expect(isTopologyApplyError(err)).toBe(true);
      if (!isTopologyApplyError(err)) throw err;
      expect(err.message).toMatch(
        new RegExp(`^namespaces\\.${n.a.replace(/-/g, '\\-')}\\.links\\[1\\]: add link v0 in ${n.a}: newlink: EINVAL \\(Invalid argument\\)`),
      );
      expect(err.message).not.toContain('\n');
      expect(err.code).toBe('EINVAL');
      expect(err.rolledBack).toBe(true);
      expect(err.undone.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual(['add link d0', `add netns ${n.b}`, `add netns ${n.a}`]);
      expect([n.a, n.b].filter(exists)).toEqual([]);
    } finally {
      cleanup(n);
    }
  });

  it('prune removes undeclared links, addresses and routes of the declared namespaces, and nothing the kernel made', async () => {
    const n = names('host', 'c1', 'c2', 'c3');
    const file = parseTopology(lab(n));
    try {
      await applyTopology(file);
      ipn(n.c1, 'link', 'add', 'extra0', 'type', 'bridge');
      ipn(n.c1, 'addr', 'add', '10.5.0.1/24', 'dev', 'eth0');
      ipn(n.c1, 'route', 'add', '10.6.0.0/16', 'via', '172.18.0.9');
      ipn(n.host, 'link', 'add', 'extra1', 'type', 'veth', 'peer', 'name', 'extra2', 'netns', n.c2);
      expect(await applyTopology(file)).toEqual([]);
      const pruned = await applyTopology(file, { prune: true });
      expect(pruned.map((c) => `${c.op} ${c.kind} ${c.netns === n.host ? 'host' : c.netns === n.c1 ? 'c1' : 'c2'} ${c.name}`).sort()).toEqual(
        [
          'delete address c1 10.5.0.1/24 dev eth0',
          'delete link c1 extra0',
          'delete link c2 extra2',
          'delete link host extra1',
          'delete route c1 10.6.0.0/16',
        ].sort(),
      );
      expect(ipj(n.c1, 'link', 'show').map((l) => l.ifname)).toEqual(['lo', 'eth0']);
      expect(ipj(n.c1, 'addr', 'show', 'dev', 'eth0').flatMap((l) => l.addr_info.map((a: any) => a.local))).toEqual(
        expect.arrayContaining(['172.18.0.2', 'fd00:18::2']),
      );
      expect(ipn(n.c1, 'route', 'show')).toContain('172.18.0.0/24 dev eth0 proto kernel');
      expect(await applyTopology(file, { prune: true })).toEqual([]);
      expect(ping(n.c1, '172.18.0.3')).toMatch(/1 received/);
    } finally {
      cleanup(n);
    }
  });

  it('the walk-through with NAT out from one file: a container reaches a server outside, which sees the host address', async () => {
    const n = names('host', 'c1', 'out');
    const file = parseTopology(natLab(n));
    let server: ChildProcess | undefined;
    try {
      const changes = await applyTopology(file);
      expect(changes.at(-1)).toEqual({
        op: 'add',
        kind: 'nftables',
        netns: n.host,
        name: 'ip nat',
        path: `namespaces.${n.host}.nftables[0]`,
        detail: { commands: 3 },
      });
      // Counters as numbers: the container's own packets (an IGMP report when its link comes up) may count.
      expect(nft(n.host, 'list', 'table', 'ip', 'nat')).toMatch(
        /ip saddr 172\.18\.0\.0\/24 oifname != "br0" counter packets \d+ bytes \d+ masquerade/,
      );
      server = await peerServer(n.out, '198.51.100.2', 8000);
      expect(await connect(n.c1, '198.51.100.2', 8000)).toBe('198.51.100.1');
      expect(nft(n.host, 'list', 'table', 'ip', 'nat')).not.toContain('counter packets 0 bytes 0');
      // Twice: nothing to do, the counters that moved do not count.
      expect(await applyTopology(file)).toEqual([]);
      expect(await applyTopology(file, { prune: true })).toEqual([]);
    } finally {
      server?.kill('SIGKILL');
      cleanup(n);
    }
  }, 60_000);

  it('a rule changed in the file is one change for its table, applied as one transaction; the rest stays', async () => {
    const n = names('host', 'c1', 'out');
    try {
      await applyTopology(parseTopology(natLab(n)));
      nft(n.host, 'add', 'table', 'inet', 'mine');
      const changed = natLab(n).replace('right: br0', 'right: br1');
      const plan = await applyTopology(parseTopology(changed), { dryRun: true });
      expect(plan.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual(['change nftables ip nat']);
      expect(await applyTopology(parseTopology(changed))).toEqual(plan);
      expect(nft(n.host, 'list', 'table', 'ip', 'nat')).toMatch(/oifname != "br1" counter packets \d+ bytes \d+ masquerade/);
      expect(nft(n.host, 'list', 'tables')).toBe('table inet mine\ntable ip nat\n'); // left alone without --prune
      expect(await applyTopology(parseTopology(changed))).toEqual([]);
      // A refusal of the kernel names the table's entry and the refused command by its place in the entry.
      const esc = (s: string) => s.replace(/-/g, '\\-');
      const refused = changed.replace('type: nat, hook: postrouting', 'type: filter, hook: postrouting');
      const err = await applyTopology(parseTopology(refused)).catch((e: unknown) => e);
      expect(isTopologyApplyError(err) && err.rolledBack).toBe(true);
      const head = `^namespaces\\.${esc(n.host)}\\.nftables\\[0\\]: change nftables ip nat in ${n.host}: `;
      expect((err as Error).message).toMatch(new RegExp(`${head}.*command 2 \\(newrule "add rule ip nat post"\\)`));
      expect(nft(n.host, 'list', 'table', 'ip', 'nat')).toContain('type nat hook postrouting');
    } finally {
      cleanup(n);
    }
  }, 60_000);

  it('rollback injected at every step from the nftables step on puts each table back as it was, counters included', async () => {
    const n = names('host', 'c1', 'out');
    let server: ChildProcess | undefined;
    try {
      await applyTopology(parseTopology(natLab(n)));
      server = await peerServer(n.out, '198.51.100.2', 8000);
      expect(await connect(n.c1, '198.51.100.2', 8000)).toBe('198.51.100.1'); // counters move
      nft(
        n.host,
        '-f',
        '-',
        'add table inet extra\nadd chain inet extra c { type filter hook input priority 0; }\nadd rule inet extra c tcp dport 22 counter accept\n',
      );
      ipn(n.c1, 'link', 'add', 'x0', 'type', 'bridge');
      const tables = () =>
        ['ip nat', 'inet extra'].map((t) => (nft(n.host, 'list', 'tables').includes(t) ? nft(n.host, 'list', 'table', ...t.split(' ')) : 'absent'));
      const before = { tables: tables(), state: snapshot(n) };
      expect(before.tables[0]).toMatch(/counter packets [1-9]/);
      const file = parseTopology(natLab(n).replace('right: br0', 'right: br1'));
      const plan = await applyTopology(file, { prune: true, dryRun: true });
      expect(plan.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual(['change nftables ip nat', 'delete nftables inet extra', 'delete link x0']);
      for (let i = 0; i < plan.length; i++) {
        const err = await applyTopology(file, { prune: true, failAt: i }).catch((e: unknown) => e);
        expect(isTopologyApplyError(err) && err.rolledBack, `step ${i}: ${(err as Error).message}`).toBe(true);
        expect({ tables: tables(), state: snapshot(n) }, `after a failure at step ${i}`).toEqual(before);
      }
      expect(await applyTopology(file, { prune: true })).toEqual(plan);
      expect(tables()[1]).toBe('absent');
      expect(await connect(n.c1, '198.51.100.2', 8000)).toBe('198.51.100.1');
      expect(await applyTopology(file, { prune: true })).toEqual([]);
      // A table this library cannot write back (an expression the linearizer lacks) is not replaced or pruned: undo could not restore it.
      nft(n.host, '-f', '-', 'add table inet odd\nadd chain inet odd c\nadd rule inet odd c tcp option maxseg size 1400 accept\n');
      const refused = await applyTopology(file, { prune: true }).catch((e: Error) => e.message);
      expect(refused).toMatch(
        /^namespaces\..*\.nftables: table inet odd in .* holds what this library cannot add back \(.*"tcp option".*\), so apply could not undo/,
      );
      expect(nft(n.host, 'list', 'tables')).toContain('table inet odd');
    } finally {
      server?.kill('SIGKILL');
      cleanup(n);
    }
  }, 120_000);

  it('export -> destroy -> apply gives the same export (nlts topology --format yaml, nlts destroy, nlts apply)', async () => {
    const n = names('host', 'c1', 'out');
    const dir = mkdtempSync(join(tmpdir(), 'nlts-topo-'));
    const path = join(dir, 'export.yaml');
    try {
      await applyTopology(parseTopology(natLab(n)));
      const exported = await runNlts(['topology', '--format', 'yaml', n.host, n.c1, n.out]);
      expect(exported).toMatchObject({ code: 0, err: '' });
      expect(exported.out).toContain('masquerade: null');
      writeFileSync(path, exported.out);
      expect(await runNlts(['apply', path])).toEqual({ out: '', err: '', code: 0 });
      expect((await runNlts(['destroy', path])).code).toBe(0);
      expect(Object.values(n).filter(exists)).toEqual([]);
      const applied = await runNlts(['apply', path]);
      expect(applied).toMatchObject({ code: 0, err: '' });
      expect(applied.out).toContain(`add nftables ip nat netns ${n.host}\n`);
      expect((await runNlts(['topology', '--format', 'yaml', n.host, n.c1, n.out])).out).toBe(exported.out);
      expect(await runNlts(['-j', 'apply', path])).toEqual({ out: '[]\n', err: '', code: 0 });
    } finally {
      cleanup(n);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("destroy deletes the tables the file declares in '.', and nothing else there (run in a namespace of its own)", async () => {
    const n = names('dot');
    const dir = mkdtempSync(join(tmpdir(), 'nlts-topo-'));
    const path = join(dir, 'dot.yaml');
    writeFileSync(
      path,
      'namespaces:\n  .:\n    nftables:\n      - { add: { table: { family: inet, name: lab } } }\n' +
        '      - add: { chain: { family: inet, table: lab, name: c, type: filter, hook: input, prio: 0, policy: accept } }\n',
    );
    const nlts = (...args: string[]) => sh('ip', 'netns', 'exec', n.dot, 'env', 'NLTS_SOURCE=1', process.execPath, BIN, ...args);
    try {
      sh('ip', 'netns', 'add', n.dot);
      nft(n.dot, 'add', 'table', 'ip', 'theirs');
      expect(nlts('apply', path)).toBe('add nftables inet lab\n');
      expect(nlts('apply', path, '--prune')).toBe(''); // prune never touches '.'
      expect(nft(n.dot, 'list', 'tables')).toBe('table ip theirs\ntable inet lab\n');
      expect(nlts('destroy', path)).toBe('delete nftables inet lab\n');
      expect(nft(n.dot, 'list', 'tables')).toBe('table ip theirs\n');
      expect(nlts('destroy', path)).toBe('');
    } finally {
      cleanup(n);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an aborted signal changes nothing', async () => {
    const n = names('a');
    try {
      const signal = AbortSignal.abort();
      await expect(applyTopology(parseTopology(`namespaces:\n  ${n.a}: {}\n`), { signal })).rejects.toThrow(/aborted/);
      expect(exists(n.a)).toBe(false);
    } finally {
      cleanup(n);
    }
  });

  it('nlts [-j] apply FILE [--dry-run] [--prune], nlts destroy FILE', async () => {
    const n = names('host', 'c1', 'c2', 'c3');
    const dir = mkdtempSync(join(tmpdir(), 'nlts-topo-'));
    const path = join(dir, 'lab.yaml');
    writeFileSync(path, lab(n));
    try {
      const dry = await runNlts(['apply', path, '--dry-run']);
      expect(dry).toMatchObject({ code: 0, err: '' });
      expect(dry.out.split('\n')).toEqual(
        expect.arrayContaining([`add netns ${n.host}`, `add link br0 netns ${n.host}`, `change sysctl net.ipv4.ip_forward = 1 netns ${n.host}`]),
      );
      expect(exists(n.host)).toBe(false);
      const applied = await runNlts(['-j', 'apply', path]);
      expect(applied.code).toBe(0);
      const json = JSON.parse(applied.out) as Record<string, unknown>[];
      expect(json[0]).toEqual({ op: 'add', kind: 'netns', netns: n.host, name: n.host, path: `namespaces.${n.host}` });
      expect(json.find((c) => c.kind === 'sysctl')).toMatchObject({ op: 'change', netns: n.host, key: 'net.ipv4.ip_forward' });
      expect(await runNlts(['-j', 'apply', path, '--prune'])).toEqual({ out: '[]\n', err: '', code: 0 });
      expect(await runNlts(['apply', path])).toEqual({ out: '', err: '', code: 0 });

      writeFileSync(path, lab(n).replace('master: br0', 'master: br9'));
      const bad = await runNlts(['apply', path]);
      expect(bad).toEqual({
        out: '',
        err: `Error: namespaces.${n.c1}.links[0].peer.master: no link br9 in ${n.host} (in the file or on the host)\n`,
        code: 1,
      });
      writeFileSync(
        path,
        lab(n).replace(
          '- { name: lo, up: true }\n    routes:',
          '- { name: lo, up: true }\n      - { name: v9, kind: veth, mtu: 70000, peer: { name: v8 } }\n    routes:',
        ),
      );
      const refused = await runNlts(['apply', path]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(new RegExp(`^nlts: namespaces\\.${n.c3}\\.links\\[1\\]: add link v9 in ${n.c3}: newlink: EINVAL .*\\n$`));
      expect(await runNlts(['-n', n.c1, 'apply', path])).toMatchObject({ code: 1, err: expect.stringContaining('-n does not apply') });

      writeFileSync(path, lab(n));
      const destroyed = await runNlts(['destroy', path]);
      expect(destroyed.code).toBe(0);
      expect(destroyed.out).toContain(`delete netns ${n.c3}\n`);
      expect(Object.values(n).filter(exists)).toEqual([]);
    } finally {
      cleanup(n);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('random topologies of veths and bridges apply, re-apply to nothing, roll back to the state before, and destroy', async () => {
    const topology = fc.record({
      namespaces: fc.integer({ min: 1, max: 3 }),
      bridge: fc.boolean(),
      veths: fc.array(
        fc.record({ from: fc.nat(2), to: fc.nat(2), up: fc.boolean(), toBridge: fc.boolean(), mtu: fc.constantFrom(undefined, 1400, 9000) }),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      failAt: fc.nat(40),
    });
    await fc.assert(
      fc.asyncProperty(topology, async (t) => {
        const n = names('n0', 'n1', 'n2');
        const roles = ['n0', 'n1', 'n2'].slice(0, t.namespaces) as ('n0' | 'n1' | 'n2')[];
        const spec: TopologyFile = { namespaces: Object.fromEntries(roles.map((r) => [n[r], { links: [] as any[] }])) };
        if (t.bridge) spec.namespaces[n.n0]!.links!.push({ name: 'br0', kind: 'bridge', up: true });
        t.veths.forEach((v, i) => {
          const from = n[roles[v.from % roles.length]!];
          const to = n[roles[v.to % roles.length]!];
          const peer = { name: `p${i}`, netns: to, up: v.up, ...(t.bridge && v.toBridge && to === n.n0 ? { master: 'br0' } : {}) };
          spec.namespaces[from]!.links!.push({
            name: `v${i}`,
            kind: 'veth',
            up: v.up,
            addresses: [`10.${i}.0.1/24`],
            ...(v.mtu ? { mtu: v.mtu } : {}),
            peer,
          });
        });
        try {
          const plan = await applyTopology(spec, { dryRun: true });
          const empty = snapshot(n);
          const failed = await applyTopology(spec, { failAt: t.failAt % plan.length }).catch((e) => e);
          expect(isTopologyApplyError(failed) && failed.rolledBack).toBe(true);
          expect(snapshot(n)).toEqual(empty);
          expect(await applyTopology(spec)).toEqual(plan);
          for (const [ns, s] of Object.entries(spec.namespaces)) {
            for (const l of s.links ?? []) {
              const got = ipj(ns, '-d', 'link', 'show', l.name)[0];
              expect(got.flags.includes('UP')).toBe(l.up);
              if (l.mtu) expect(got.mtu).toBe(l.mtu);
              if (l.peer?.master) expect(ipj(l.peer.netns!, 'link', 'show', l.peer.name)[0].master).toBe('br0');
            }
          }
          expect(await applyTopology(spec)).toEqual([]);
          await destroyTopology(spec);
          expect(Object.values(n).filter(exists)).toEqual([]);
        } finally {
          cleanup(n);
        }
      }),
      { numRuns: 8 },
    );
  });
});
