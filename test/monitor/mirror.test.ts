import { describe, expect, it } from 'vitest';
import { type MirrorChange, StateMirror, diffState } from '../../src/monitor/mirror.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import { TransportError } from '../../src/transport/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { errorFor } from '../support/bytes.js';
import { type FakeState, addrMsg, codec, fakeRequests, fakeState, linkMsg, routeMsg, tick } from './helpers.js';

interface FakeNs {
  t: ScriptedTransport;
  state: FakeState;
  dumps: string[];
  hook?: (kind: string) => undefined;
}

/** A mirror over scripted kernels, one per namespace name ('' = current). */
async function openMirror(names: (string | undefined)[], setup?: (ns: Map<string | undefined, FakeNs>) => void, extra: Record<string, unknown> = {}) {
  const ns = new Map<string | undefined, FakeNs>();
  for (const n of names) {
    const state = fakeState();
    state.links.set(2, 'eth0');
    state.addrs.set('10.0.0.1/24', 2);
    state.routes.set('10.0.0.0/24', 2);
    const f: FakeNs = { t: new ScriptedTransport((sent, reply) => reply(errorFor(sent, 0))), state, dumps: [] };
    ns.set(n, f);
  }
  setup?.(ns);
  const openMonitor = async (o: MonitorOptions) => {
    const f = ns.get(o.netns)!;
    const req = fakeRequests(f.state, (kind) => f.hook?.(kind));
    f.dumps = req.dumps;
    return new Monitor({ ...o, transport: f.t, requests: req.conn, keepAlive: false });
  };
  const named = names.filter((n): n is string => n !== undefined);
  const mirror = await StateMirror.open({
    ...(named.length ? { netns: named } : {}),
    ...(names.includes(undefined) && named.length ? { includeCurrent: true } : {}),
    openMonitor,
    routeCheckDelayMs: 5,
    ...extra,
  } as never);
  const changes: MirrorChange[] = [];
  mirror.on('change', (c) => changes.push(c));
  return { mirror, ns, changes };
}

const ch = (c: MirrorChange) => `${c.op} ${c.kind} ${c.key} (${c.cause})`;

describe('StateMirror (scripted kernel)', () => {
  it('builds the view from a dump and keeps it current from events, with change notifications', async () => {
    const { mirror, ns, changes } = await openMirror([undefined]);
    const v = mirror.view()!;
    expect(v.ready).toBe(true);
    expect(mirror.links().map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect(mirror.addresses().map((a) => a.cidr)).toEqual(['10.0.0.1/24']);
    expect(mirror.routes().map((r) => r.dst)).toEqual(['10.0.0.0/24']);
    const t = ns.get(undefined)!.t;
    t.push(linkMsg(3, 'eth1'));
    t.push(addrMsg(3, '10.1.0.1/16'));
    t.push(linkMsg(3, 'eth1-renamed'));
    t.push(routeMsg('10.0.0.0/24', 2, { del: true }));
    expect(changes.map(ch)).toEqual([
      'add link 3 (event)',
      'add address inet|3|10.1.0.1/16| (event)',
      'update link 3 (event)',
      'remove route inet|main|unicast|10.0.0.0/24||0|0|2 (event)',
    ]);
    expect(mirror.links().map((l) => l.name)).toEqual(['lo', 'eth0', 'eth1-renamed']);
    mirror.close();
  });

  it('events that arrive during the initial dump are applied after it', async () => {
    const { mirror } = await openMirror([undefined], (ns) => {
      const f = ns.get(undefined)!;
      f.hook = (kind) => {
        if (kind === 'getlink') {
          // The kernel changes state while we dump: the dump may or may not include it; the event settles it.
          f.t.push(addrMsg(2, '10.0.0.1/24', { del: true }));
          f.state.addrs.delete('10.0.0.1/24');
          f.t.push(addrMsg(2, '10.0.0.7/24'));
        }
      };
    });
    // Dumped after the change: 10.0.0.1 is gone; 10.0.0.7 is not in the fake dump but its event is applied.
    expect(
      mirror
        .addresses()
        .map((a) => a.cidr)
        .sort(),
    ).toEqual(['10.0.0.7/24']);
    mirror.close();
  });

  it('after an overrun (ENOBUFS) the view is resynced to the kernel state and the differences are notified', async () => {
    const { mirror, ns, changes } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    // Changes whose events were lost:
    f.state.addrs.delete('10.0.0.1/24');
    f.state.addrs.set('10.0.0.2/24', 2);
    f.state.links.set(4, 'eth4');
    const overruns: unknown[] = [];
    mirror.on('overrun', (e) => overruns.push(e));
    f.t.fail(new TransportError('netlink socket read failed: ENOBUFS', 'read', 105, 'ENOBUFS'));
    expect(mirror.view()!.consistent).toBe(false);
    await new Promise((r) => mirror.once('resync', r));
    expect(overruns).toHaveLength(1);
    expect(mirror.view()!.consistent).toBe(true);
    expect(changes.map(ch).sort()).toEqual([
      'add address inet|2|10.0.0.2/24| (resync)',
      'add link 4 (resync)',
      'remove address inet|2|10.0.0.1/24| (resync)',
    ]);
    expect(mirror.addresses().map((a) => a.cidr)).toEqual(['10.0.0.2/24']);
    mirror.close();
  });

  it('a truncated datagram also leads to a resync', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    f.state.routes.set('10.9.0.0/16', 2);
    const m = linkMsg(9, 'x');
    f.t.push(m.subarray(0, 20));
    await new Promise((r) => mirror.once('resync', r));
    expect(
      mirror
        .routes()
        .map((r) => r.dst)
        .sort(),
    ).toEqual(['10.0.0.0/24', '10.9.0.0/16']);
    mirror.close();
  });

  it('a deleted link takes its addresses and routes along, and routes are re-dumped', async () => {
    const { mirror, ns, changes } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    f.state.links.delete(2);
    f.state.addrs.clear();
    f.state.routes.clear();
    f.t.push(linkMsg(2, 'eth0', { del: true }));
    expect(changes.map(ch)).toEqual([
      'remove link 2 (event)',
      'remove address inet|2|10.0.0.1/24| (cascade)',
      'remove route inet|main|unicast|10.0.0.0/24||0|0|2 (cascade)',
    ]);
    await tick(30);
    expect(f.dumps.filter((d) => d === 'getroute').length).toBeGreaterThanOrEqual(3); // initial (2 families) + check
    expect(mirror.links().map((l) => l.name)).toEqual(['lo']);
    mirror.close();
  });

  it('deleting the preferred source of an IPv4 route that the kernel flushes silently triggers an IPv4 route refresh', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    // A route with prefsrc 10.0.0.1: the kernel flushes it with the address, without RTM_DELROUTE.
    f.t.push(routeMsg('192.0.2.0/24', 2, { prefsrc: '10.0.0.1', gateway: '10.0.0.254' }));
    expect(mirror.routes()).toHaveLength(2);
    const before = f.dumps.length;
    f.state.addrs.delete('10.0.0.1/24');
    f.state.routes.delete('10.0.0.0/24');
    f.t.push(addrMsg(2, '10.0.0.1/24', { del: true }));
    await tick(30);
    // IPv4 routes only (prefsrc and last-address flushes are IPv4's); a refresh, not a resync.
    expect(f.dumps.slice(before)).toEqual(['getroute']);
    expect(mirror.routes()).toHaveLength(0);
    expect(mirror.source.monitor()!.stats).toMatchObject({ resyncs: 1, refreshes: 1 });
    mirror.close();
  });

  it('an address deletion that leaves consistent routes does not re-dump', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    f.t.push(addrMsg(2, '10.0.0.5/24'));
    const before = f.dumps.length;
    f.t.push(addrMsg(2, '10.0.0.5/24', { del: true }));
    await tick(30);
    expect(f.dumps.length).toBe(before);
    mirror.close();
  });

  it('mirrors several namespaces, each event applied to its own view', async () => {
    const { mirror, ns } = await openMirror(['a', 'b']);
    expect(mirror.namespaces().sort()).toEqual(['a', 'b']);
    ns.get('a')!.t.push(linkMsg(5, 'only-in-a'));
    expect(mirror.links('a').map((l) => l.name)).toContain('only-in-a');
    expect(mirror.links('b').map((l) => l.name)).not.toContain('only-in-a');
    mirror.close();
  });

  it('ignores AF_BRIDGE port messages on the link group (they are not link deletions)', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    ns.get(undefined)!.t.push(linkMsg(2, 'eth0', { del: true, family: 'bridge' }));
    expect(mirror.links().map((l) => l.name)).toEqual(['lo', 'eth0']);
    mirror.close();
  });

  it('a link message that changes only the operstate re-dumps the routes through the link (linkwatch flags them then)', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    const link = (flags: string[], operstate: string, mtu: number) => {
      const header = { family: 'unspec', type: 'ether', index: 2, flags, change: 0 };
      return codec.encode({ kind: 'newlink', flags: 0, seq: 0, header, attrs: { ifname: 'eth0', mtu, operstate } }).slice();
    };
    // Carrier lost, shown first by an MTU change (lower_up cleared; linkwatch has not run: operstate still up)...
    f.t.push(link(['up', 'broadcast', 'multicast', 'running'], 'up', 1400));
    await tick(30);
    expect(mirror.routes()[0]!.flags).toEqual([]);
    // ...then linkwatch flags the routes and says so by a message whose operstate alone changed.
    f.state.routeFlags = new Map([['10.0.0.0/24', 16]]);
    f.t.push(link(['up', 'broadcast', 'multicast'], 'lowerlayerdown', 1400));
    await tick(30);
    expect(mirror.routes()[0]!.flags).toEqual(['linkdown']);
    mirror.close();
  });

  it('an address added within the delay does not hide the silent flush that the deletion of the last IPv4 address caused', async () => {
    const { mirror, ns } = await openMirror([undefined]);
    const f = ns.get(undefined)!;
    f.t.push(routeMsg('192.0.2.0/24', 2, { gateway: '10.0.0.254' }));
    f.state.routes.set('192.0.2.0/24', 2);
    // The last IPv4 address of eth0 goes (the kernel flushes its routes, telling only of the prefix
    // route), and another comes at once.
    f.state.addrs.delete('10.0.0.1/24');
    f.state.routes.clear();
    f.t.push(addrMsg(2, '10.0.0.1/24', { del: true }));
    f.t.push(routeMsg('10.0.0.0/24', 2, { del: true }));
    f.state.addrs.set('10.5.0.1/24', 2);
    f.state.routes.set('10.5.0.0/24', 2);
    f.t.push(addrMsg(2, '10.5.0.1/24'));
    f.t.push(routeMsg('10.5.0.0/24', 2));
    await tick(30);
    expect(mirror.routes().map((r) => r.dst)).toEqual(['10.5.0.0/24']);
    mirror.close();
  });
});

describe('diffState', () => {
  const decode = (b: Uint8Array) => codec.decode(b)[0]!;
  it('compares every field the mirror holds: route flags, link state, address flags', async () => {
    const { toRoute } = await import('../../src/api/routes.js');
    const { toLink } = await import('../../src/api/links.js');
    const { toAddress } = await import('../../src/api/addresses.js');
    const r0 = toRoute(decode(routeMsg('10.0.0.0/24', 2)));
    const r1 = toRoute(decode(routeMsg('10.0.0.0/24', 2, { rtmFlags: 16 })));
    const l0 = toLink(decode(linkMsg(2, 'eth0')));
    const l1 = toLink(decode(linkMsg(2, 'eth0', { up: false })));
    const a0 = toAddress(decode(addrMsg(2, '10.0.0.1/24')));
    const a1 = toAddress(decode(addrMsg(2, '10.0.0.1/24', { flags: 0 })));
    (a1.flags as string[]).push('nodad');
    expect(diffState({ links: [l0], addresses: [a0], routes: [r0] }, { links: [l0], addresses: [a0], routes: [r0] })).toEqual([]);
    const d = diffState({ links: [l0], addresses: [a0], routes: [r0] }, { links: [l1], addresses: [a1], routes: [r1] });
    expect(d).toHaveLength(3);
    expect(d.find((x) => x.startsWith('route'))).toMatch(/flags/);
    expect(d.find((x) => x.startsWith('link'))).toMatch(/operstate/);
    expect(d.find((x) => x.startsWith('address'))).toMatch(/nodad/);
  });
});
