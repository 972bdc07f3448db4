/**
 * The stateful fake kernel (test/support/stateful-kernel.ts) against the real one: the same
 * sequence of API calls runs on a client of the fake and on a client in a fresh namespace, and
 * what each call returned (or how it failed: class, errno name, extended-ack message) and what the
 * lists hold afterwards must agree, normalised for what the fake does not model (MACs, counters,
 * queue counts, IPv6 link-local autoconfiguration). Links are compared by name, never by index.
 */
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { setnsSocketFactory } from '../../src/monitor/sockets.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { StatefulKernel } from '../support/stateful-kernel.js';
import { privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[stateful kernel] differential tests skipped: ${skipReason}`);

type Step = [label: string, run: (nl: NetlinkClient) => Promise<unknown>];
type Any = Record<string, any>;

/** How a call ended, comparable across kernels. */
async function outcome(nl: NetlinkClient, run: Step[1]): Promise<unknown> {
  try {
    const v = await run(nl);
    return v === undefined ? 'ok' : await normalise(nl, v);
  } catch (err) {
    const e = err as Any;
    return { error: e.name, code: e.code, kernelMessage: e.kernelMessage ?? e.cause?.kernelMessage, attribute: e.attribute ?? e.cause?.attribute };
  }
}

const LINK_FIELDS = [
  'name',
  'kind',
  'type',
  'up',
  'lowerUp',
  'mtu',
  'minMtu',
  'maxMtu',
  'txqlen',
  'operstate',
  'group',
  'alias',
  'altnames',
  'promiscuity',
  'allmulti',
  'carrier',
  'qdisc',
  'slaveKind',
  'addrGenMode',
];

/** Links by name, addresses and routes with device names; lists sorted (the fake's order is close, not exact). */
async function normalise(nl: NetlinkClient, v: unknown): Promise<unknown> {
  const names = new Map((await nl.links.list()).map((l) => [l.index, l.name]));
  const dev = (i: unknown) => (typeof i === 'number' ? (names.get(i) ?? `#${i}`) : i);
  const one = (o: Any): Any => {
    if ('altnames' in o) {
      const out: Any = Object.fromEntries(LINK_FIELDS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
      out.flags = o.flags.filter((f: unknown) => f !== 'running' || o.kind !== 'bridge');
      if (o.master !== undefined) out.master = dev(o.master);
      if (o.link !== undefined) out.link = dev(o.link);
      if (o.slaveData?.state !== undefined) out.portState = o.slaveData.state;
      return out;
    }
    const { raw: _r, cacheinfo: _c, index, dev: d, iif: _i, ...rest } = o;
    if (index !== undefined) rest.link = dev(index);
    if (d !== undefined) rest.dev = dev(d);
    if (rest.nexthops) rest.nexthops = rest.nexthops.map((h: Any) => ({ ...h, dev: dev(h.dev) }));
    return rest;
  };
  if (!Array.isArray(v)) return typeof v === 'object' && v !== null ? one(v as Any) : v;
  return v.map((o) => one(o as Any)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** IPv6 link-local addresses come from autoconfiguration with DAD (timing, random MACs): not modelled. */
const autoconf = (a: Any) => a.family === 'inet6' && a.scope === 'link';
const autoconfRoute = (r: Any) => r.family === 'inet6' && r.type === 'local' && /^fe80:/.test(r.dst);

async function snapshot(nl: NetlinkClient): Promise<unknown> {
  return {
    links: await normalise(nl, await nl.links.list()),
    addresses: await normalise(
      nl,
      (await nl.addresses.list()).filter((a) => !autoconf(a)),
    ),
    routes: await normalise(
      nl,
      (await nl.routes.list({ table: 'all' })).filter((r) => !autoconfRoute(r)),
    ),
    neighbours: await normalise(nl, await nl.neighbours.list()),
    rules: await normalise(nl, await nl.rules.list({ family: 'all' })),
  };
}

const NEW = 0x600; // NLM_F_CREATE | NLM_F_EXCL
/** A veth peer whose name is past IFNAMSIZ: refused at the nested attribute. */
const LONG_PEER = { attrs: { ifname: 'y'.repeat(20) } };
/** rtmsg of an IPv4 unicast route in main, protocol boot. */
const RT = { family: 2, table: 254, protocol: 3, type: 1 };

/** A request the API would refuse to build (or builds otherwise): how each kernel answers the bytes. */
async function raw(nl: NetlinkClient, kind: string, flags: number, header: Any, attrs: Any): Promise<unknown> {
  await nl.connection.request({ kind, flags, header: { family: 0, ...header }, attrs });
  return undefined;
}

/** The script: calls in order, `null` for "compare everything here". */
const STEPS: (Step | null)[] = [
  null,
  ['veth', (nl) => nl.links.add({ name: 'va', kind: 'veth', peer: { name: 'vb' } })],
  ['veth: name taken', (nl) => nl.links.add({ name: 'va', kind: 'veth', peer: { name: 'vc' } })],
  ['veth: peer name taken', (nl) => nl.links.add({ name: 'vd', kind: 'veth', peer: { name: 'vb' } })],
  ['bridge', (nl) => nl.links.add({ name: 'br0', kind: 'bridge' })],
  ['bridge: name taken', (nl) => nl.links.add({ name: 'vb', kind: 'bridge' })],
  ['unknown kind', (nl) => nl.links.add({ name: 'x0', kind: 'nosuchkind' })],
  ['mtu too big', (nl) => nl.links.set('va', { mtu: 70000 })],
  ['mtu too small', (nl) => nl.links.set('va', { mtu: 10 })],
  ['mtu', (nl) => nl.links.set('va', { mtu: 1400 })],
  ['rename onto a name', (nl) => nl.links.set('va', { name: 'vb' })],
  ['rename', (nl) => nl.links.set('va', { name: 'vx' })],
  ['rename back', (nl) => nl.links.set('vx', { name: 'va' })],
  ['enslave', (nl) => nl.links.set('va', { master: 'br0' })],
  ['enslave to a veth', (nl) => nl.links.set('va', { master: 'vb' })],
  ['veth without a peer name', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'vp', linkinfo: { kind: 'veth' } })],
  ['veth mtu out of range', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'vq', mtu: 70000, linkinfo: { kind: 'veth' } })],
  ['bridge mtu out of range', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'vq', mtu: 20, linkinfo: { kind: 'bridge' } })],
  ['no kind', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'vq' })],
  ['name too long', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'x'.repeat(20), linkinfo: { kind: 'bridge' } })],
  ['peer name too long', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'vq', linkinfo: { kind: 'veth', data: { peer: LONG_PEER } } })],
  ['bad name', (nl) => raw(nl, 'newlink', NEW, {}, { ifname: 'a/b', linkinfo: { kind: 'bridge' } })],
  ['get without a name', (nl) => raw(nl, 'getlink', 0, {}, {})],
  ['no such master', (nl) => raw(nl, 'newlink', 0, { index: 1 }, { master: 99 })],
  ['get missing', (nl) => nl.links.get('nosuch')],
  ['delete missing', (nl) => nl.links.delete('nosuch')],
  ['delete lo', (nl) => nl.links.delete('lo')],
  null,
  ['lo up', (nl) => nl.links.set('lo', { up: true })],
  ['address on a down link', (nl) => nl.addresses.add('10.0.0.1/24', { link: 'va' })],
  ['address again', (nl) => nl.addresses.add('10.0.0.1/24', { link: 'va' })],
  ['delete a missing address', (nl) => nl.addresses.delete('10.0.0.9/24', { link: 'va' })],
  ['IPv4 address without IFA_LOCAL', (nl) => raw(nl, 'newaddr', NEW, { family: 2, prefixlen: 24, index: 1 }, { address: '10.0.0.1' })],
  ['IPv6 address on no device', (nl) => raw(nl, 'newaddr', NEW, { family: 10, prefixlen: 64, index: 77 }, { address: '2001:db8::1' })],
  ['IPv6 delete of a missing address', (nl) => nl.addresses.delete('2001:db8::77/64', { link: 'va' })],
  ['route with host bits', (nl) => raw(nl, 'newroute', NEW, { ...RT, dstLen: 24 }, { dst: '10.0.0.1', oif: 1 })],
  ['route prefix too long', (nl) => raw(nl, 'newroute', NEW, { ...RT, dstLen: 33 }, {})],
  ['gateway while the link is down', (nl) => nl.routes.add({ dst: '10.2.0.0/16', gateway: '10.0.0.254' })],
  ['dev route while the link is down', (nl) => nl.routes.add({ dst: '10.9.0.0/16', dev: 'va' })],
  null,
  ['va up', (nl) => nl.links.set('va', { up: true })],
  null,
  ['vb up', (nl) => nl.links.set('vb', { up: true })],
  ['br0 up', (nl) => nl.links.set('br0', { up: true })],
  null,
  ['enslave again', (nl) => nl.links.set('va', { master: 'br0' })],
  ['port mtu', (nl) => nl.links.set('va', { mtu: 1300 })],
  null,
  ['gateway route', (nl) => nl.routes.add({ dst: '10.2.0.0/16', gateway: '10.0.0.254' })],
  ['same route', (nl) => nl.routes.add({ dst: '10.2.0.0/16', gateway: '10.0.0.253' })],
  ['other metric', (nl) => nl.routes.add({ dst: '10.2.0.0/16', gateway: '10.0.0.253', metric: 5 })],
  ['replace', (nl) => nl.routes.replace({ dst: '10.2.0.0/16', gateway: '10.0.0.250' })],
  ['unreachable gateway', (nl) => nl.routes.add({ dst: '10.3.0.0/16', gateway: '192.168.1.1' })],
  ['gateway on the wrong device', (nl) => nl.routes.add({ dst: '10.3.0.0/16', gateway: '10.0.0.254', dev: 'vb' })],
  ['table 100', (nl) => nl.routes.add({ dst: '10.5.0.0/16', gateway: '10.0.0.250', table: 100 })],
  ['list table 100', (nl) => nl.routes.list({ table: 100 })],
  ['list table 101', (nl) => nl.routes.list({ table: 101 })],
  ['blackhole', (nl) => nl.routes.add({ dst: '10.66.0.0/16', type: 'blackhole' })],
  ['secondary', (nl) => nl.addresses.add('10.0.0.2/24', { link: 'va' })],
  ['other prefix', (nl) => nl.addresses.add('10.0.0.3/16', { link: 'va', metric: 7 })],
  ['broadcast and label', (nl) => nl.addresses.add('10.7.0.1/24', { link: 'vb', broadcast: '+', label: 'vb:web' })],
  ['prefsrc route', (nl) => nl.routes.add({ dst: '10.8.0.0/16', dev: 'vb', prefsrc: '10.7.0.1' })],
  ['bad prefsrc', (nl) => nl.routes.add({ dst: '10.8.0.0/16', dev: 'vb', prefsrc: '10.99.0.1', metric: 9 })],
  ['IPv6 address', (nl) => nl.addresses.add('2001:db8::1/64', { link: 'va', flags: ['nodad'] })],
  ['IPv6 again', (nl) => nl.addresses.add('2001:db8::1/64', { link: 'va', flags: ['nodad'] })],
  ['IPv6 host address', (nl) => nl.addresses.add('2001:db8:5::1/128', { link: 'vb', flags: ['nodad'] })],
  ['IPv6 gateway route', (nl) => nl.routes.add({ dst: '2001:db8:7::/48', gateway: '2001:db8::ff', dev: 'va' })],
  ['IPv6 gateway off-link', (nl) => nl.routes.add({ dst: '2001:db8:8::/48', gateway: '2001:db9::ff', dev: 'va' })],
  ['IPv6 same route', (nl) => nl.routes.add({ dst: '2001:db8:7::/48', gateway: '2001:db8::fe', dev: 'va' })],
  ['IPv6 delete missing', (nl) => nl.routes.delete({ dst: '2001:db8:9::/48' })],
  null,
  ['route get', (nl) => nl.routes.get('10.2.3.4')],
  ['route get on-link', (nl) => nl.routes.get('10.0.0.5')],
  ['route get local', (nl) => nl.routes.get('10.0.0.1')],
  ['route get unreachable', (nl) => nl.routes.get('198.51.100.7')],
  ['route get blackhole', (nl) => nl.routes.get('10.66.1.1')],
  ['delete missing route', (nl) => nl.routes.delete({ dst: '10.9.0.0/16' })],
  ['delete route', (nl) => nl.routes.delete({ dst: '10.2.0.0/16', gateway: '10.0.0.253', metric: 5 })],
  ['down link for routes', (nl) => nl.links.add({ name: 'vy', kind: 'veth', peer: { name: 'vz' } })],
  ['dev route through a down link', (nl) => nl.routes.add({ dst: '10.10.0.0/16', dev: 'vy' })],
  ['IPv6 route through a down link', (nl) => nl.routes.add({ dst: '2001:db8:a::/48', dev: 'vy' })],
  ['neighbour', (nl) => nl.neighbours.add('10.0.0.9', { dev: 'va', lladdr: '02:00:00:00:00:09' })],
  ['neighbour again', (nl) => nl.neighbours.add('10.0.0.9', { dev: 'va', lladdr: '02:00:00:00:00:09' })],
  ['delete missing neighbour', (nl) => nl.neighbours.delete('10.0.0.8', { dev: 'va' })],
  ['rule', (nl) => nl.rules.add({ priority: 100, table: 100, src: '10.5.0.0/16' })],
  ['rule again', (nl) => nl.rules.add({ priority: 100, table: 100, src: '10.5.0.0/16' })],
  ['rule without priority', (nl) => nl.rules.add({ table: 100, fwmark: 7 })],
  ['altname', (nl) => nl.links.addAltnames('va', 'va-alternative-name')],
  ['altname taken', (nl) => nl.links.addAltnames('vb', 'va-alternative-name')],
  ['get by altname', async (nl) => (await nl.links.get('va-alternative-name')).name],
  null,
  ['va down', (nl) => nl.links.set('va', { up: false })],
  null,
  ['va up again', (nl) => nl.links.set('va', { up: true })],
  null,
  ['delete the primary', (nl) => nl.addresses.delete('10.0.0.1/24', { link: 'va' })],
  null,
  ['delete a rule', (nl) => nl.rules.delete({ priority: 100 })],
  ['delete it again', (nl) => nl.rules.delete({ priority: 100 })],
  ['delete the last address of vb', (nl) => nl.addresses.delete('10.7.0.1/24', { link: 'vb' })],
  null,
  ['release', (nl) => nl.links.set('va', { master: null })],
  ['delete the bridge', (nl) => nl.links.delete('br0')],
  ['delete a veth end', (nl) => nl.links.delete('vb')],
  null,
];

/** Runs the script on a client, comparing each result with `expected` (when given) as it goes. */
async function run(nl: NetlinkClient, settle: (label: string, got: () => Promise<unknown>, want: unknown) => Promise<unknown>, expected?: unknown[]) {
  const out: unknown[] = [];
  for (const [i, step] of STEPS.entries()) {
    const label = step ? step[0] : `state after step ${i}`;
    const got = () => (step ? outcome(nl, step[1]) : snapshot(nl));
    out.push(step ? await got() : await settle(label, got, expected?.[i]));
  }
  return out;
}

describe.skipIf(!privileged)('the stateful fake kernel answers like the real one (throwaway namespace)', () => {
  it('the same calls give the same results, errors and state', async () => {
    const kernel = new StatefulKernel();
    const fake = kernel.client();
    const want = await run(fake, (_l, got) => got());
    fake.close();
    await withNetns(async (ns) => {
      const nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd: ns.socketFd() }) });
      try {
        // The real kernel settles carrier and operstate on its own time (linkwatch): state is polled until it matches.
        const settle = async (label: string, got: () => Promise<unknown>, expected: unknown) => {
          let last: unknown;
          for (let t = 0; t < 100; t++) {
            last = await got();
            if (JSON.stringify(last) === JSON.stringify(expected)) return last;
            await new Promise((r) => setTimeout(r, 20));
          }
          expect.soft(last, label).toEqual(expected);
          return last;
        };
        const got = await run(nl, settle, want);
        for (const [i, step] of STEPS.entries()) if (step) expect.soft(got[i], step[0]).toEqual(want[i]);
      } finally {
        nl.close();
      }
    });
  });
});

/** Address, route, neighbour and rule changes on links that are up: each should be announced alike. */
const EVENT_SCRIPT: Step[1][] = [
  (nl) => nl.addresses.add('10.0.0.1/24', { link: 'va' }),
  (nl) => nl.addresses.add('10.0.0.2/24', { link: 'va' }),
  (nl) => nl.addresses.add('10.1.0.1/24', { link: 'va', broadcast: '+', metric: 5 }),
  (nl) => nl.routes.add({ dst: '10.2.0.0/16', gateway: '10.0.0.254' }),
  (nl) => nl.routes.replace({ dst: '10.2.0.0/16', gateway: '10.0.0.253' }),
  (nl) => nl.routes.add({ dst: '10.3.0.0/16', gateway: '10.0.0.254', metric: 10, table: 100 }),
  (nl) => nl.routes.delete({ dst: '10.2.0.0/16' }),
  (nl) => nl.addresses.delete('10.0.0.1/24', { link: 'va' }),
  (nl) => nl.addresses.add('2001:db8::1/64', { link: 'va', flags: ['nodad'] }),
  // The kernel announces an IPv6 address (and inserts its local route) from its DAD work, a moment later.
  (nl) => until(async () => (await nl.routes.list({ table: 'local', family: 'inet6' })).some((r) => r.dst === '2001:db8::1/128')),
  (nl) => nl.routes.add({ dst: '2001:db8:7::/48', gateway: '2001:db8::ff' }),
  (nl) => nl.addresses.delete('2001:db8::1/64', { link: 'va' }),
  (nl) => nl.neighbours.add('10.1.0.9', { dev: 'va', lladdr: '02:00:00:00:00:09' }),
  (nl) => nl.neighbours.delete('10.1.0.9', { dev: 'va' }),
  (nl) => nl.rules.add({ priority: 100, table: 100 }),
  (nl) => nl.rules.delete({ priority: 100 }),
  // The last one: once its event is in, every earlier one is (a socket's datagrams keep their order).
  (nl) => nl.routes.add({ dst: '10.255.0.0/24', dev: 'va' }),
];

async function until(ready: () => Promise<boolean>): Promise<void> {
  for (let t = 0; t < 200 && !(await ready()); t++) await new Promise((r) => setTimeout(r, 5));
}

/** What an event says, by names; IPv6 link-local autoconfiguration (DAD timing) left out. */
function describeEvent(e: MonitorEvent, names: Map<number, string>): string | undefined {
  if (e.type !== 'new' && e.type !== 'del') return undefined;
  const o = e.object as Any;
  const dev = (i: unknown) => (typeof i === 'number' ? names.get(i) : undefined);
  switch (e.kind) {
    case 'address':
      if (o.scope === 'link' && o.family === 'inet6') return undefined;
      return `${e.type} address ${o.cidr} ${dev(o.index)} ${o.flags.join(',')}`;
    case 'route':
      if (o.family === 'inet6' && (/^fe80:/.test(o.dst) || o.dst === 'ff00::/8')) return undefined;
      return `${e.type} route ${o.table} ${o.type} ${o.dst} ${dev(o.dev)} ${o.gateway ?? '-'} ${o.prefsrc ?? '-'} ${o.metric ?? '-'}`;
    case 'neighbour':
      return `${e.type} neighbour ${o.dst} ${dev(o.index)} ${o.state.join(',')}`;
    case 'rule':
      return `${e.type} rule ${o.family} ${o.priority} ${o.table}`;
    default:
      return undefined;
  }
}

async function events(nl: NetlinkClient, monitor: Monitor): Promise<string[]> {
  const seen: MonitorEvent[] = [];
  monitor.on('event', (e) => seen.push(e));
  for (const step of EVENT_SCRIPT) await step(nl);
  const last = (e: MonitorEvent) => e.type === 'new' && e.kind === 'route' && (e.object as Any).dst === '10.255.0.0/24';
  for (let t = 0; t < 200 && !seen.some(last); t++) await new Promise((r) => setTimeout(r, 10));
  const names = new Map((await nl.links.list()).map((l) => [l.index, l.name]));
  return seen.map((e) => describeEvent(e, names)).filter((d): d is string => d !== undefined);
}

/** Two veth ends and lo, up, with IPv6 settled enough (the kernel adds fe80::/64 once carrier is seen). */
async function setUp(nl: NetlinkClient): Promise<void> {
  await nl.links.add({ name: 'va', kind: 'veth', peer: { name: 'vb' } });
  for (const l of ['lo', 'va', 'vb']) await nl.links.set(l, { up: true });
  for (let t = 0; t < 100; t++) {
    const routes = await nl.routes.list({ family: 'inet6' });
    if (routes.some((r) => r.dst === 'fe80::/64')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!privileged)('the stateful fake kernel announces changes like the real one (throwaway namespace)', () => {
  it('the same address, route, neighbour and rule changes give the same events, in the same order', async () => {
    const kernel = new StatefulKernel();
    const fake = kernel.client();
    await setUp(fake);
    const monitor = kernel.monitor({ groups: ['address', 'route', 'neighbour', 'rule'] });
    const want = await events(fake, monitor);
    monitor.close();
    fake.close();
    expect(want.length).toBeGreaterThan(20);
    await withNetns(async (ns) => {
      const nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd: ns.socketFd() }) });
      const groups = ['address', 'route', 'neighbour', 'rule'] as const;
      const m = await Monitor.open({ netns: ns.name, sockets: setnsSocketFactory, groups, keepAlive: false });
      try {
        await setUp(nl);
        // Events of the set-up (carrier, autoconfiguration) still in flight are not part of the comparison.
        await new Promise((r) => setTimeout(r, 50));
        m.removeAllListeners('event');
        expect(await events(nl, m)).toEqual(want);
      } finally {
        m.close();
        nl.close();
      }
    });
  });
});
