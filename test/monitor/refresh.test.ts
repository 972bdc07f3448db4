/**
 * Narrow route refreshes (Monitor.refresh, the mirror's answer to silent kernel route changes),
 * their coalescing, the dump limiter shared by a MultiMonitor's namespaces, and route identity
 * across devices. Each ends with the mirror equal to what a fresh dump of the fake kernel says.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { diffState, StateMirror } from '../../src/monitor/mirror.js';
import { DumpLimiter } from '../../src/monitor/limiter.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { errorFor } from '../support/bytes.js';
import { type FakeState, addrMsg, codec, fakeRequests, fakeState, linkMsg, routeMsg, tick } from './helpers.js';

interface FakeNs {
  t: ScriptedTransport;
  state: FakeState;
  req?: ReturnType<typeof fakeRequests>;
  fail?: (kind: string) => number | undefined;
}

/** Namespaces with eth0 (2) and eth1 (3), each with an address and routes through both. */
async function openMirror(names: string[], options: Record<string, unknown> = {}) {
  const ns = new Map<string, FakeNs>();
  for (const n of names) {
    const state = fakeState();
    state.links.set(2, 'eth0');
    state.links.set(3, 'eth1');
    state.addrs.set('10.0.0.1/24', 2);
    state.routes.set('10.0.0.0/24', 2);
    state.routes.set('10.1.0.0/16', 2);
    state.routes.set('10.9.0.0/16', 3);
    ns.set(n, { t: new ScriptedTransport((sent, reply) => reply(errorFor(sent, 0))), state });
  }
  const openMonitor = async (o: MonitorOptions) => {
    const f = ns.get(o.netns!)!;
    f.req = fakeRequests(f.state, (kind) => {
      const errno = f.fail?.(kind);
      return errno ? { fail: errno } : undefined;
    });
    return new Monitor({ ...o, transport: f.t, requests: f.req.conn, keepAlive: false });
  };
  const mirror = await StateMirror.open({ netns: names, openMonitor, routeCheckDelayMs: 5, ...options } as never);
  return { mirror, ns };
}

/** How the mirror differs from what the fake kernel of a namespace would dump now. */
async function freshDiff(mirror: StateMirror, f: FakeNs, name: string): Promise<string[]> {
  const t = new ScriptedTransport((sent, reply) => reply(errorFor(sent, 0)));
  const m = new Monitor({ transport: t, requests: fakeRequests(f.state).conn, keepAlive: false, initialDump: true });
  const snap = await new Promise<any>((resolve) => m.on('resync', resolve));
  m.close();
  const v = mirror.view(name)!;
  // Addresses and routes: the fake kernel keeps no link state (up, carrier) to compare with.
  return diffState(
    { links: [], addresses: v.addresses.values(), routes: v.routes.values() },
    { links: [], addresses: snap.addresses, routes: snap.routes },
  );
}

const routeDumps = (f: FakeNs) => f.req!.requests.filter((r) => r.kind === 'getroute');

describe('route refresh after silent kernel changes', () => {
  it('a link going down re-dumps only the routes through it (kernel-filtered), as a refresh, not a resync', async () => {
    const { mirror, ns } = await openMirror(['a']);
    const f = ns.get('a')!;
    const before = routeDumps(f).length;
    const resyncs: unknown[] = [];
    const refreshes: { scope: unknown; routes: number }[] = [];
    mirror.on('resync', (e) => resyncs.push(e));
    mirror.on('refresh', (e) => refreshes.push(e));
    // eth0 goes down: the kernel flushes its IPv4 routes without a word.
    f.state.routes.delete('10.0.0.0/24');
    f.state.routes.delete('10.1.0.0/16');
    f.t.push(linkMsg(2, 'eth0', { up: false }));
    // The refresh itself, not a fixed time: the first test of the file runs cold, on a busy machine.
    await new Promise((r) => mirror.once('refresh', r));
    await tick(20);
    const dumps = routeDumps(f).slice(before);
    // RTA_OIF 2, one dump per route type that a link's state touches (local routes are left alone),
    // IPv4 then IPv6 for each.
    expect(
      dumps.map((r) => `${(r.header as { family: string }).family} ${(r.header as { type: string }).type} ${(r.attrs as { oif?: number }).oif}`),
    ).toEqual(['unicast', 'broadcast', 'multicast', 'anycast'].flatMap((t) => [`inet ${t} 2`, `inet6 ${t} 2`]));
    expect(resyncs).toHaveLength(0);
    expect(refreshes).toEqual([{ netns: 'a', kind: 'route', scope: { dev: 2, types: ['unicast', 'broadcast', 'multicast', 'anycast'] }, routes: 0 }]);
    expect(mirror.routes('a').map((r) => r.dst)).toEqual(['10.9.0.0/16']);
    expect(mirror.source.monitor('a')!.stats).toMatchObject({ resyncs: 1, refreshes: 1 });
    expect(await freshDiff(mirror, f, 'a')).toEqual([]);
    mirror.close();
  });

  it('a refresh keeps the objects it holds when the kernel says the same, and takes changed ones (flags)', async () => {
    const { mirror, ns } = await openMirror(['a']);
    const f = ns.get('a')!;
    const held = new Map(mirror.routes('a').map((r) => [r.dst, r]));
    // Carrier lost on eth0: its routes get RTNH_F_LINKDOWN, silently; eth1's stay as they are.
    f.state.routeFlags = new Map([['10.0.0.0/24', 16]]);
    f.t.push(linkMsg(2, 'eth0')); // the same link again: nothing changed, nothing to refresh
    await tick(20);
    expect(mirror.source.monitor('a')!.stats.refreshes).toBe(0);
    // lower_up cleared.
    const down = codec
      .encode({
        kind: 'newlink',
        flags: 0,
        seq: 0,
        header: { family: 'unspec', type: 'ether', index: 2, flags: ['up', 'broadcast', 'multicast'], change: 0 },
        attrs: { ifname: 'eth0', mtu: 1500 },
      })
      .slice();
    f.t.push(down);
    await tick(40);
    const now = new Map(mirror.routes('a').map((r) => [r.dst, r]));
    expect(now.get('10.0.0.0/24')).not.toBe(held.get('10.0.0.0/24'));
    expect(now.get('10.0.0.0/24')!.flags).toEqual(['linkdown']);
    expect(now.get('10.1.0.0/16')).toBe(held.get('10.1.0.0/16'));
    expect(now.get('10.9.0.0/16')).toBe(held.get('10.9.0.0/16'));
    expect(await freshDiff(mirror, f, 'a')).toEqual([]);
    mirror.close();
  });

  it('requests within the delay are coalesced: one refresh per interface; a link deletion re-dumps every route once', async () => {
    const { mirror, ns } = await openMirror(['a']);
    const f = ns.get('a')!;
    const before = routeDumps(f).length;
    f.state.routes.delete('10.9.0.0/16');
    f.t.push(linkMsg(3, 'eth1', { up: false }));
    f.t.push(linkMsg(3, 'eth1'));
    f.t.push(linkMsg(3, 'eth1', { up: false }));
    await tick(40);
    expect(
      routeDumps(f)
        .slice(before)
        .map((r) => (r.attrs as { oif?: number }).oif),
    ).toEqual(new Array(8).fill(3)); // 4 types x 2 families
    const mid = routeDumps(f).length;
    f.state.links.delete(2);
    f.state.addrs.clear();
    f.state.routes.clear();
    f.t.push(linkMsg(2, 'eth0', { up: false }));
    f.t.push(linkMsg(2, 'eth0', { del: true }));
    await tick(40);
    // The deletion asked for every route (the link is gone: no filter by it), which covers eth0's refresh.
    expect(
      routeDumps(f)
        .slice(mid)
        .map((r) => (r.attrs as { oif?: number }).oif),
    ).toEqual([undefined, undefined]);
    expect(await freshDiff(mirror, f, 'a')).toEqual([]);
    mirror.close();
  });

  it('a refresh that fails (the interface is gone) becomes a route resync', async () => {
    const { mirror, ns } = await openMirror(['a']);
    const f = ns.get('a')!;
    let failOnce = true;
    f.fail = (kind) => {
      if (kind !== 'getroute' || !failOnce) return undefined;
      failOnce = false;
      return 19; // ENODEV
    };
    const resyncs: { kinds: string[] }[] = [];
    mirror.on('resync', (e) => resyncs.push(e));
    f.state.routes.delete('10.9.0.0/16');
    f.t.push(linkMsg(3, 'eth1', { up: false }));
    await tick(60);
    expect(resyncs.map((e) => e.kinds)).toEqual([['route']]);
    expect(await freshDiff(mirror, f, 'a')).toEqual([]);
    mirror.close();
  });

  it('many namespaces flapping at once take turns (dumpConcurrency) and all end equal to the kernel', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { mirror, ns } = await openMirror(names, { dumpConcurrency: 2 });
    expect(mirror.source.dumpLimiter.limit).toBe(2);
    for (const n of names) {
      const f = ns.get(n)!;
      f.state.routes.delete('10.0.0.0/24');
      f.state.routes.delete('10.1.0.0/16');
      f.t.push(linkMsg(2, 'eth0', { up: false }));
      f.t.push(addrMsg(3, '10.3.0.1/24'));
      f.state.addrs.set('10.3.0.1/24', 3);
    }
    await tick(150);
    const stats = mirror.source.dumpLimiter.stats();
    expect(stats.peak).toBeLessThanOrEqual(2);
    expect(stats.waited).toBeGreaterThan(0);
    for (const n of names) expect(await freshDiff(mirror, ns.get(n)!, n)).toEqual([]);
    mirror.close();
  });
});

describe('route identity', () => {
  it('the same prefix and metric through two devices are two routes; a replacement drops the one it replaced', async () => {
    const { mirror, ns } = await openMirror(['a']);
    const f = ns.get('a')!;
    f.t.push(routeMsg('10.7.0.0/16', 2));
    f.t.push(routeMsg('10.7.0.0/16', 3));
    expect(
      mirror
        .routes('a')
        .filter((r) => r.dst === '10.7.0.0/16')
        .map((r) => r.dev),
    ).toEqual([2, 3]);
    f.t.push(routeMsg('10.7.0.0/16', 3, { del: true }));
    expect(
      mirror
        .routes('a')
        .filter((r) => r.dst === '10.7.0.0/16')
        .map((r) => r.dev),
    ).toEqual([2]);
    // `ip route replace 10.7.0.0/16 dev eth1`: one notification, with NLM_F_REPLACE.
    f.t.push(routeMsg('10.7.0.0/16', 3, { flags: NLM_F.REPLACE | NLM_F.CREATE }));
    expect(
      mirror
        .routes('a')
        .filter((r) => r.dst === '10.7.0.0/16')
        .map((r) => r.dev),
    ).toEqual([3]);
    mirror.close();
  });

  it('a limiter admits `limit` at once, in order', async () => {
    const l = new DumpLimiter(1);
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        l.run(async () => {
          order.push(i);
          await tick(1);
          order.push(-i);
        }),
      ),
    );
    expect(order).toEqual([1, -1, 2, -2, 3, -3]);
    expect(l.stats()).toMatchObject({ running: 0, waiting: 0, peak: 1, waited: 2 });
  });
});
