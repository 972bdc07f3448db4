/**
 * The mirror under churn, against the kernel: several throwaway namespaces see carrier flaps, MTU
 * changes, last-address deletes followed at once by an add, route and address churn; then the races
 * that make the kernel change routes without a notification are built on purpose, and once the
 * changes settle every mirror must equal fresh dumps: its own verify() and, independently, `ip -j`.
 *
 * The races, each with what the kernel does silently:
 * - a bridge loses its carrier (its port's peer goes down) and its MTU changes before the bridge's
 *   linkwatch event runs (deferred up to a second after the previous one: a second bridge's carrier
 *   change is made just before, and the MTU is set by index, since `ip link set NAME` makes the
 *   kernel run the pending event first). The MTU message shows the carrier loss; the kernel flags
 *   the routes `linkdown` only later, and says so by a link message whose operstate alone changed;
 * - the last IPv4 address of a device is deleted and another added right after: the device's IPv4
 *   routes were flushed in between; a device's last address deleted under a multipath route's hop;
 * - an IPv6 address deleted takes itself out of the routes that used it as `src`; an MTU change
 *   lowers the `mtu` metric of IPv6 routes through the device.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Address } from '../../src/api/addresses.js';
import type { Link } from '../../src/api/links.js';
import type { Route } from '../../src/api/routes.js';
import { StateMirror } from '../../src/monitor/mirror.js';
import { setnsSocketFactory } from '../../src/monitor/sockets.js';
import { type TestNetns, createNetns, deleteNetns, privileged } from '../support/netns.js';

const NAMESPACES = 6;
const ROUNDS = 24;
const ROUND_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ip -n NS -force -batch -` (errors are expected under churn: deleting what a flush took). */
function ipBatch(ns: TestNetns, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['-n', ns.name, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', reject);
    p.on('close', () => resolve());
    p.stdin.end(lines.join('\n') + '\n');
  });
}

function setup(i: number): string[] {
  return [
    'link add va type veth peer name vb', // carrier flaps (vb down / up) with MTU changes on va
    'link add vc type veth peer name vd', // last-address delete + add
    'link add ve type veth peer name vf', // last address under a multipath hop
    'link add br0 type bridge', // primes linkwatch's one-second deferral
    'link add vp0 type veth peer name vq0',
    'link set vp0 master br0',
    'link add br1 type bridge', // carrier loss, then an MTU change before linkwatch runs
    'link add vp1 type veth peer name vq1',
    'link set vp1 master br1',
    ...['va', 'vb', 'vc', 'vd', 've', 'vf', 'br0', 'vp0', 'vq0', 'br1', 'vp1', 'vq1'].map((d) => `link set dev ${d} up`),
    'addr add 10.1.0.1/24 dev va',
    'addr add 2001:db8:1::1/64 dev va nodad',
    'addr add 10.3.0.1/24 dev br1',
    'addr add 2001:db8:3::1/64 dev br1 nodad',
    'addr add 10.4.0.1/24 dev vc',
    'addr add 10.5.0.1/24 dev ve',
    'addr add 10.6.0.1/24 dev vd',
    'addr add 2001:db8:6::1/64 dev vd nodad',
    'route add 10.93.0.0/16 via 10.3.0.2',
    'route add 2001:db8:93::/64 via 2001:db8:3::2',
    'route add 10.94.0.0/16 via 10.4.0.2',
    'route add 10.77.0.0/16 nexthop via 10.6.0.2 dev vd nexthop via 10.5.0.2 dev ve',
    'route add 2001:db8:8::/64 dev va mtu 1400',
    'route add 2001:db8:9::/64 dev vd src 2001:db8:6::1',
    `addr add 10.200.0.${i + 1}/32 dev vb`,
  ];
}

/** One round of churn in one namespace. */
function round(r: number): string[] {
  const lines = [`addr add 10.50.${r}.1/32 dev va`, `addr add 2001:db8:50::${r + 1}/128 dev va nodad`, `route add 10.60.${r}.0/24 via 10.1.0.2`];
  if (r >= 3) lines.push(`addr del 10.50.${r - 3}.1/32 dev va`, `addr del 2001:db8:50::${r - 2}/128 dev va`, `route del 10.60.${r - 3}.0/24`);
  lines.push(`route replace 10.61.0.0/16 via 10.1.0.${2 + (r % 5)}`);
  // Carrier flaps of va (its peer down / up), each followed by an MTU change of va.
  if (r % 4 === 0) lines.push('link set vb down', `link set va mtu ${1300 + r}`);
  if (r % 4 === 2) lines.push('link set vb up', 'link set va mtu 1500');
  // The last IPv4 address of vc replaced within a millisecond: its routes are flushed meanwhile.
  if (r % 3 === 1) lines.push(`addr del 10.4.${r - 1}.1/24 dev vc`, `addr add 10.4.${r + 2}.1/24 dev vc`);
  if (r % 3 === 2) lines.push(`route replace 10.94.0.0/16 via 10.4.${r + 1}.2`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The mirror and `ip -j`, both put in one form: what the issue saw drift (link state, addresses,
// routes with their flags, metrics and nexthops).

interface Snapshot {
  links: string[];
  addresses: string[];
  routes: string[];
}

const hostLen = (dst: string) => dst.replace(/\/(32|128)$/, '');

function linkLine(index: number, name: string, mtu: number | undefined, state: string, flags: string[]): string {
  return `${index} ${name} mtu ${mtu} ${state.toUpperCase()} ${flags
    .filter((f) => ['UP', 'LOWER_UP', 'NO-CARRIER'].includes(f))
    .sort()
    .join(',')}`;
}

function routeLine(r: {
  family: string;
  table: string;
  type: string;
  dst: string;
  dev?: string;
  metric?: number;
  gateway?: string;
  prefsrc?: string;
  flags: string[];
  mtu?: number;
  hops: { dev: string; gateway?: string; flags: string[] }[];
}): string {
  const hops = r.hops.map((h) => `${h.dev}/${h.gateway ?? ''}/${[...h.flags].sort().join(',')}`).join(' ');
  return [
    r.family,
    r.table,
    r.type,
    hostLen(r.dst),
    r.dev ?? '-',
    `metric ${r.metric ?? 0}`,
    `via ${r.gateway ?? '-'}`,
    `src ${r.prefsrc ?? '-'}`,
    `flags ${[...r.flags].sort().join(',')}`,
    `mtu ${r.mtu ?? '-'}`,
    `hops ${hops}`,
  ].join(' ');
}

function fromIp(ns: TestNetns): Snapshot {
  const links = ns.ipJson<any[]>('link', 'show');
  const addrs = ns.ipJson<any[]>('addr', 'show');
  const routes = [
    ...ns.ipJson<any[]>('-d', '-4', 'route', 'show', 'table', 'all').map((r) => ({ ...r, family: 'inet' })),
    ...ns.ipJson<any[]>('-d', '-6', 'route', 'show', 'table', 'all').map((r) => ({ ...r, family: 'inet6' })),
  ];
  return {
    links: links.map((l) => linkLine(l.ifindex, l.ifname, l.mtu, l.operstate, l.flags)).sort(),
    addresses: addrs.flatMap((l) => (l.addr_info as any[]).map((a) => `${l.ifindex} ${a.family} ${a.local}/${a.prefixlen}`)).sort(),
    routes: routes
      .map((r) =>
        routeLine({
          family: r.family,
          table: String(r.table),
          type: r.type,
          dst: r.dst,
          dev: r.dev,
          metric: r.metric,
          gateway: r.gateway,
          prefsrc: r.prefsrc,
          flags: r.flags ?? [],
          mtu: (r.metrics as { mtu?: number }[] | undefined)?.find((m) => m.mtu !== undefined)?.mtu,
          hops: ((r.nexthops ?? []) as any[]).map((h) => ({ dev: h.dev, gateway: h.gateway, flags: h.flags ?? [] })),
        }),
      )
      .sort(),
  };
}

function fromMirror(mirror: StateMirror, name: string): Snapshot {
  const links = mirror.links(name);
  const names = new Map(links.map((l) => [l.index, l.name]));
  const linkFlags = (l: Link) => {
    const f = l.flags.map((x) => String(x).toUpperCase());
    if (l.up && !l.flags.includes('running')) f.push('NO-CARRIER');
    return f;
  };
  const str = (xs: (string | number)[]) => xs.map(String);
  return {
    links: links.map((l) => linkLine(l.index, l.name, l.mtu, String(l.operstate), linkFlags(l))).sort(),
    addresses: mirror
      .addresses(name)
      .map((a: Address) => `${a.index} ${a.family} ${a.address}/${a.prefixlen}`)
      .sort(),
    routes: mirror
      .routes(name)
      .map((r: Route) =>
        routeLine({
          family: String(r.family),
          table: String(r.table),
          type: String(r.type),
          dst: r.dst,
          ...(r.dev !== undefined && { dev: names.get(r.dev) }),
          metric: r.metric,
          gateway: r.gateway,
          prefsrc: r.prefsrc,
          flags: str(r.flags),
          mtu: r.metrics?.mtu,
          hops: (r.nexthops ?? []).map((h) => ({ dev: names.get(h.dev) ?? String(h.dev), gateway: h.gateway, flags: str(h.flags) })),
        }),
      )
      .sort(),
  };
}

/** Lines only in the mirror ('-') or only in ip's output ('+'). */
function ipDiff(mirror: StateMirror, ns: TestNetns): string[] {
  const a = fromMirror(mirror, ns.name);
  const b = fromIp(ns);
  const out: string[] = [];
  for (const k of ['links', 'addresses', 'routes'] as const) {
    const sa = new Set(a[k]);
    const sb = new Set(b[k]);
    for (const x of sa) if (!sb.has(x)) out.push(`${ns.name} ${k} - ${x}`);
    for (const x of sb) if (!sa.has(x)) out.push(`${ns.name} ${k} + ${x}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!privileged)('the mirror under churn', () => {
  const spaces: TestNetns[] = [];
  let mirror: StateMirror | undefined;
  afterAll(() => {
    mirror?.close();
    for (const ns of spaces) deleteNetns(ns);
  });

  it('equals fresh dumps (verify() and ip -j) once carrier, MTU, address and route churn settles', async () => {
    for (let i = 0; i < NAMESPACES; i++) {
      const ns = createNetns();
      spaces.push(ns);
      // No duplicate address detection: IPv6 addresses are not tentative for a second after each flap.
      ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
      await ipBatch(ns, setup(i));
    }
    mirror = await StateMirror.open({ netns: spaces.map((s) => s.name), sockets: setnsSocketFactory });
    const m = mirror;
    const index = (ns: TestNetns, dev: string) => m.links(ns.name).find((l) => l.name === dev)!.index;

    for (let r = 0; r < ROUNDS; r++) {
      const t = Date.now();
      await Promise.all(spaces.map((ns) => ipBatch(ns, round(r))));
      await sleep(Math.max(0, ROUND_MS - (Date.now() - t)));
    }

    // The races, built on purpose. Linkwatch handles a bridge's carrier change at most once a
    // second: br0's carrier loss runs it now (seen when br0's operstate changes), so br1's waits.
    await Promise.all(spaces.map((ns) => ipBatch(ns, ['link set vq0 down'])));
    const primed = Date.now();
    while (spaces.some((ns) => m.links(ns.name).find((l) => l.name === 'br0')?.operstate !== 'down') && Date.now() - primed < 3000) await sleep(2);
    for (const ns of spaces) {
      await ipBatch(ns, ['link set vq1 down']); // vp1 loses its carrier, and with it br1 (vp1's linkwatch is immediate)
      await sleep(5);
      // By index: `ip link set br1` would look br1 up first, and that runs br1's pending linkwatch event.
      const c = await m.source.monitor(ns.name)!.client();
      await c.connection.request({ kind: 'newlink', header: { family: 'unspec', index: index(ns, 'br1') }, attrs: { mtu: 1400 } });
    }
    await Promise.all(
      spaces.map((ns) => ipBatch(ns, ['addr flush dev vc', 'addr add 10.4.100.1/24 dev vc', 'route replace 10.94.0.0/16 via 10.4.100.2'])),
    );
    await sleep(150);
    // One at a time, each after the refreshes of the one before: a refresh one asks for must not
    // repair what another broke.
    const races = [
      ['addr del 10.4.100.1/24 dev vc', 'addr add 10.4.101.1/24 dev vc'], // 10.94.0.0/16 flushed, and a new address at once
      ['addr del 10.5.0.1/24 dev ve'], // the multipath route's hop through ve dies
      ['addr del 2001:db8:6::1/64 dev vd'], // 2001:db8:9::/64 loses its src
      ['link set va mtu 1280'], // 2001:db8:8::/64's mtu follows
    ];
    for (const lines of races) {
      await Promise.all(spaces.map((ns) => ipBatch(ns, lines)));
      await sleep(150);
    }

    // Settle: br1's linkwatch event runs within a second; refreshes follow 50 ms after what asks.
    let verify: string[] = [];
    let ip: string[] = [];
    const settled = Date.now();
    await sleep(600);
    do {
      verify = (await Promise.all(spaces.map(async (ns) => (await m.verify(ns.name)).map((d) => `${ns.name} ${d}`)))).flat();
      ip = spaces.flatMap((ns) => ipDiff(m, ns));
      if (verify.length === 0 && ip.length === 0) break;
      await sleep(200);
    } while (Date.now() - settled < 3500);
    // The races happened as built: br1's routes are linkdown, 10.94.0.0/16 is gone, the hop is dead.
    const routes = spaces[0]!.ipJson<any[]>('-4', 'route', 'show', 'table', 'all');
    expect(routes.find((r) => r.dst === '10.93.0.0/16')?.flags).toContain('linkdown');
    expect(routes.some((r) => r.dst === '10.94.0.0/16')).toBe(false);
    expect(routes.find((r) => r.dst === '10.77.0.0/16')?.nexthops?.find((h: any) => h.dev === 've')?.flags).toContain('dead');
    expect(ip).toEqual([]);
    expect(verify).toEqual([]);
    for (const ns of spaces) expect(m.view(ns.name)!.consistent).toBe(true);
    expect(spaces.map((ns) => m.source.monitor(ns.name)!.stats.overruns)).toEqual(new Array(NAMESPACES).fill(0));
  }, 40_000);
});
