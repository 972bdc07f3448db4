import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { NLMSG } from '../../protocol/netlink.js';
import type { Address } from '../../src/api/addresses.js';
import type { Link } from '../../src/api/links.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { RTNLGRP, resolveGroups } from '../../src/monitor/groups.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { TransportError } from '../../src/transport/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { errorFor, nlmsg } from '../support/bytes.js';
import { addrMsg, fakeRequests, fakeState, linkMsg, routeMsg, tick } from './helpers.js';

/** An event socket: the kernel ACKs the monitor's drain markers (NLMSG_NOOP | NLM_F_ACK). */
class EventTransport extends ScriptedTransport {
  joined: number[] = [];
  constructor() {
    super((sent, reply) => reply(errorFor(sent, 0)));
  }
  addMembership(group: number): void {
    this.joined.push(group);
  }
}

function setup(
  groups: Parameters<typeof Monitor.prototype.events>[0] extends unknown ? any : never = ['link', 'address', 'route'],
  extra: Record<string, unknown> = {},
) {
  const t = new EventTransport();
  const state = fakeState();
  const req = fakeRequests(state, extra.hook as any);
  const m = new Monitor({ transport: t, requests: req.conn, groups, keepAlive: false, ...extra });
  const seen: MonitorEvent[] = [];
  m.on('event', (e) => seen.push(e));
  return { t, m, seen, state, req };
}

const summary = (e: MonitorEvent) =>
  e.type === 'new' || e.type === 'del'
    ? `${e.type} ${e.kind} ${(e.object as any).name ?? (e.object as any).cidr ?? (e.object as any).dst}`
    : e.type === 'overrun'
      ? `overrun ${e.reason}`
      : e.type;

describe('Monitor (scripted kernel)', () => {
  it('joins the groups and decodes events into friendly objects', async () => {
    const { t, m, seen } = setup(['link', 'address', 'route']);
    expect(t.joined).toEqual([RTNLGRP.link, RTNLGRP.ipv4Ifaddr, RTNLGRP.ipv6Ifaddr, RTNLGRP.ipv4Route, RTNLGRP.ipv6Route]);
    t.push(linkMsg(2, 'eth0'));
    t.push(addrMsg(2, '10.0.0.1/24'));
    t.push(routeMsg('10.0.0.0/24', 2));
    t.push(addrMsg(2, '10.0.0.1/24', { del: true }));
    t.push(linkMsg(2, 'eth0', { del: true }));
    expect(seen.map(summary)).toEqual([
      'new link eth0',
      'new address 10.0.0.1/24',
      'new route 10.0.0.0/24',
      'del address 10.0.0.1/24',
      'del link eth0',
    ]);
    const link = seen[0] as Extract<MonitorEvent, { kind: 'link' }>;
    expect(link.object.index).toBe(2);
    expect(link.object.up).toBe(true);
    expect(link.netns).toBeUndefined();
    const addr = seen[1]!.type === 'new' ? (seen[1] as { object: Address }).object : undefined;
    expect(addr).toMatchObject({ family: 'inet', index: 2, prefixlen: 24, label: 'eth2', permanent: true });
    expect(m.stats).toMatchObject({ datagrams: 5, events: 5, overruns: 0 });
    m.close();
  });

  it('resolves group names', () => {
    expect(resolveGroups(['all'])).toHaveLength(9);
    expect(resolveGroups(['neigh', 'nsid', 'ipv6-rule'])).toEqual([3, 28, 19]);
    expect(() => resolveGroups(['bogus'])).toThrow(/unknown monitor group/);
  });

  it('works as an async iterator and ends when the signal aborts', async () => {
    const ac = new AbortController();
    const { t, m } = setup(['link'], { signal: ac.signal });
    const got: string[] = [];
    const loop = (async () => {
      for await (const e of m) {
        got.push(summary(e));
        if (got.length === 2) ac.abort();
      }
    })();
    await tick();
    t.push(linkMsg(3, 'a'));
    t.push(linkMsg(4, 'b'));
    t.push(linkMsg(5, 'c'));
    await loop;
    expect(got).toEqual(['new link a', 'new link b']);
    expect(m.closed).toBe(true);
    expect(t.closed).toBe(true);
  });

  it('per-kind emitter events', () => {
    const { t, m } = setup(['link', 'address']);
    const links: Link[] = [];
    m.on('link', (e) => links.push(e.object));
    t.push(linkMsg(7, 'x'));
    t.push(addrMsg(7, '10.1.1.1/32'));
    expect(links.map((l) => l.name)).toEqual(['x']);
    m.close();
  });

  it('a truncated datagram is an overrun, followed by a resync with the current state; the socket keeps working', async () => {
    const { t, m, seen, state, req } = setup(['link', 'address']);
    state.links.set(2, 'eth0');
    state.addrs.set('10.0.0.1/24', 2);
    const full = addrMsg(2, '10.0.0.9/24');
    t.push(full.subarray(0, full.length - 8)); // nlmsg_len says more than arrived
    expect(seen.map(summary)).toEqual(['overrun truncated']);
    await once(m, 'resync');
    const r = seen.find((e) => e.type === 'resync')!;
    expect(r).toMatchObject({ type: 'resync', initial: false, kinds: ['link', 'address'] });
    if (r.type !== 'resync') throw new Error();
    expect(r.links!.map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect(r.addresses!.map((a) => a.cidr)).toEqual(['10.0.0.1/24']);
    expect(req.dumps).toEqual(['getlink', 'getaddr']);
    t.push(linkMsg(3, 'eth1'));
    expect(summary(seen.at(-1)!)).toBe('new link eth1');
    m.close();
  });

  it('ENOBUFS from the transport: overrun event, resync, and events that arrive during the dump come after the resync', async () => {
    let t!: EventTransport;
    const {
      m,
      seen,
      state,
      t: tt,
    } = setup(['link', 'address'], {
      // The kernel sends events while the dump runs: they are held back until the resync is out.
      hook: (kind: string) => {
        if (kind === 'getaddr') t.push(addrMsg(2, '10.0.0.2/24'));
      },
    });
    t = tt;
    state.links.set(2, 'eth0');
    t.fail(new TransportError('netlink socket read failed: ENOBUFS', 'read', 105, 'ENOBUFS'));
    expect(seen.map(summary)).toEqual(['overrun enobufs']);
    await once(m, 'resync');
    expect(seen.map(summary)).toEqual(['overrun enobufs', 'resync', 'new address 10.0.0.2/24']);
    expect(m.stats.resyncs).toBe(1);
    m.close();
  });

  it('after ENOBUFS, events still queued from before the loss are discarded up to the drain marker, not applied after the dump', async () => {
    const { t, m, seen, state, req } = setup(['address']);
    state.addrs.set('10.0.0.3/24', 2);
    t.fail(new TransportError('ENOBUFS', 'read', 105, 'ENOBUFS'));
    // The kernel reports ENOBUFS before the datagrams it had queued: these predate the loss.
    t.push(addrMsg(2, '10.0.0.1/24'));
    t.push(addrMsg(2, '10.0.0.2/24'));
    expect(t.sent).toHaveLength(1); // the marker: NLMSG_NOOP with NLM_F_ACK
    expect(new DataView(t.sent[0]!.buffer).getUint16(4, true)).toBe(NLMSG.NOOP);
    await once(m, 'resync');
    t.push(addrMsg(2, '10.0.0.4/24'));
    expect(seen.map(summary)).toEqual(['overrun enobufs', 'resync', 'new address 10.0.0.4/24']);
    expect(m.stats.discarded).toBe(2);
    expect(req.dumps).toEqual(['getaddr']);
    m.close();
  });

  it('an overrun during a resync dump discards that dump and dumps again', async () => {
    let t!: EventTransport;
    let failed = false;
    const {
      m,
      seen,
      t: tt,
      req,
    } = setup(['link'], {
      hook: () => {
        if (!failed) {
          failed = true;
          t.fail(new TransportError('ENOBUFS', 'read', 105, 'ENOBUFS'));
        }
      },
    });
    t = tt;
    t.push(nlmsg(NLMSG.OVERRUN, 0, 0, 0));
    await once(m, 'resync');
    await tick(5);
    expect(seen.map(summary)).toEqual(['overrun overrun', 'overrun enobufs', 'resync']);
    expect(req.dumps).toEqual(['getlink', 'getlink']);
    m.close();
  });

  it('a dump interrupted by changes (NLM_F_DUMP_INTR) is retried before the resync is emitted', async () => {
    let n = 0;
    const { m, seen, req } = setup(['link'], { hook: () => ({ interrupt: ++n === 1 }) });
    await m.resync();
    expect(req.dumps).toEqual(['getlink', 'getlink']);
    expect(seen.map(summary)).toEqual(['resync']);
    m.close();
  });

  it('initialDump starts with an initial resync', async () => {
    const { m, seen, state } = setup(['link'], { initialDump: true });
    state.links.set(5, 'v5');
    await tick(5);
    expect(seen[0]).toMatchObject({ type: 'resync', initial: true });
    m.close();
  });

  it('an undecodable event is reported (overrun "decode") and resynced, not dropped silently', async () => {
    const { t, m, seen } = setup(['link']);
    const bad = linkMsg(2, 'eth0');
    // An attribute whose length runs past the message.
    const v = new DataView(bad.buffer, bad.byteOffset);
    v.setUint16(32, 200, true);
    t.push(bad);
    expect(seen.map(summary)).toEqual(['overrun decode']);
    await m.resync();
    m.close();
  });

  it('a consumer that falls behind loses its queue to an overrun event, then gets the resync', async () => {
    const { t, m } = setup(['link'], { maxQueued: 10 });
    const it = m.events();
    for (let i = 0; i < 15; i++) t.push(linkMsg(10 + i, 'l' + i));
    await tick(5);
    const got: string[] = [];
    for (;;) {
      const r = await it.next();
      got.push(summary(r.value!));
      if (r.value!.type === 'resync') break;
    }
    expect(got[0]).toBe('overrun consumer');
    expect(got.at(-1)).toBe('resync');
    expect(got.length).toBeLessThan(10);
    await it.return!();
    m.close();
  });

  it('a failing resync dump is reported and retried', async () => {
    let n = 0;
    const t = new EventTransport();
    const state = fakeState();
    const good = fakeRequests(state);
    const m = new Monitor({
      transport: t,
      groups: ['link'],
      keepAlive: false,
      retryDelayMs: 1,
      requests: () => {
        if (++n === 1) throw new Error('no socket');
        return good.conn;
      },
    });
    const seen: MonitorEvent[] = [];
    m.on('event', (e) => seen.push(e));
    await m.resync();
    expect(seen.map((e) => e.type)).toEqual(['error', 'resync']);
    m.close();
  });
});
