/**
 * Against the kernel, in throwaway namespaces (ip is the event generator and oracle).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { StateMirror } from '../../src/monitor/mirror.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { MultiMonitor } from '../../src/monitor/multi.js';
import { setnsSocketFactory } from '../../src/monitor/sockets.js';
import { TEST_NS_PREFIX, createNetns, deleteNetns, privileged, withNetns } from '../support/netns.js';

const sockets = setnsSocketFactory;

function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(t);
        reject(new Error('timed out'));
      }
    }, 5);
  });
}

describe.skipIf(!privileged)('monitoring a real namespace', () => {
  it('receives link, address and route events with the namespace name', () =>
    withNetns(async (ns) => {
      const m = await Monitor.open({ netns: ns.name, sockets, groups: ['link', 'address', 'route'] });
      const seen: MonitorEvent[] = [];
      m.on('event', (e) => seen.push(e));
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('addr', 'add', '10.7.0.1/24', 'dev', 'va');
      ns.ip('addr', 'del', '10.7.0.1/24', 'dev', 'va');
      await until(() => seen.some((e) => e.type === 'del' && e.kind === 'address'));
      m.close();
      const index = ns.ipJson('link', 'show', 'va')[0].ifindex;
      const addr = seen.find((e) => e.type === 'new' && e.kind === 'address');
      expect(addr).toMatchObject({ netns: ns.name, object: { cidr: '10.7.0.1/24', index, family: 'inet' } });
      expect(seen.some((e) => e.type === 'new' && e.kind === 'link' && e.object.name === 'va' && e.object.up)).toBe(true);
      // Link events decode what a Link reads; `raw` is still the whole message, decoded on access.
      const link = seen.find((e) => e.type === 'new' && e.kind === 'link' && e.object.name === 'va')!;
      const raw = (link as { object: { raw: { attrs: Record<string, any> } } }).object.raw;
      expect(raw.attrs.ifname).toBe('va');
      expect(raw.attrs.afSpec?.inet?.conf?.length).toBeGreaterThan(10);
      expect(seen.some((e) => e.type === 'new' && e.kind === 'route' && e.object.dst === '10.7.0.0/24')).toBe(true);
      expect(seen.every((e) => e.netns === ns.name)).toBe(true);
      expect(m.stats.overruns).toBe(0);
    }));

  it('a forced overrun (stalled event loop, small buffer) is detected, resynced, the socket keeps working, and the mirror equals a fresh dump', () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('route', 'add', '192.0.2.0/24', 'dev', 'va');
      const mirror = await StateMirror.open({ netns: ns.name, sockets, receiveBuffer: 32 * 1024 });
      const overruns: string[] = [];
      mirror.on('overrun', (e) => overruns.push(e.reason));
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) lines.push(`addr add 10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev va`);
      for (let i = 0; i < 1000; i++) lines.push(`addr del 10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev va`);
      lines.push('route del 192.0.2.0/24 dev va', 'link add vc type veth peer name vd');
      const file = path.join(tmpdir(), `${ns.name}.batch`);
      writeFileSync(file, lines.join('\n') + '\n');
      // execFileSync blocks the event loop while ~8000 events pour into a 64 KiB buffer.
      execFileSync('ip', ['-n', ns.name, '-batch', file]);
      await once(mirror, 'resync');
      expect(overruns[0]).toBe('enobufs');
      // Settle: later events (and any further resync) applied.
      let diff: string[] = [];
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 50));
        if (mirror.view(ns.name)!.consistent && (diff = await mirror.verify(ns.name)).length === 0) break;
      }
      expect(diff).toEqual([]);
      expect(mirror.addresses(ns.name).filter((a) => a.family === 'inet')).toHaveLength(2000);
      expect(
        mirror
          .links(ns.name)
          .map((l) => l.name)
          .sort(),
      ).toEqual(['lo', 'va', 'vb', 'vc', 'vd']);
      expect(mirror.routes(ns.name).some((r) => r.dst === '192.0.2.0/24')).toBe(false);
      // The socket survived: a new event arrives.
      ns.ip('link', 'set', 'vc', 'up');
      await until(() => mirror.links(ns.name).find((l) => l.name === 'vc')?.up === true);
      mirror.close();
    }));

  it('the mirror follows silent IPv4 route flushes (last address deleted, link down)', () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('link', 'set', 'vb', 'up');
      ns.ip('addr', 'add', '10.8.0.1/24', 'dev', 'va');
      ns.ip('route', 'add', '10.99.0.0/16', 'via', '10.8.0.2');
      const mirror = await StateMirror.open({ netns: ns.name, sockets, routeCheckDelayMs: 20 });
      expect(mirror.routes(ns.name).some((r) => r.dst === '10.99.0.0/16')).toBe(true);
      ns.ip('addr', 'del', '10.8.0.1/24', 'dev', 'va'); // flushes 10.99.0.0/16 without RTM_DELROUTE
      await until(() => !mirror.routes(ns.name).some((r) => r.dst === '10.99.0.0/16'));
      ns.ip('route', 'add', '10.98.0.0/16', 'dev', 'va');
      await until(() => mirror.routes(ns.name).some((r) => r.dst === '10.98.0.0/16'));
      ns.ip('link', 'set', 'va', 'down'); // flushes IPv4 routes over va silently
      await until(() => !mirror.routes(ns.name).some((r) => r.dst === '10.98.0.0/16'));
      await new Promise((r) => setTimeout(r, 100));
      expect(await mirror.verify(ns.name)).toEqual([]);
      mirror.close();
    }));

  it('watches all named namespaces, picking up ones added and removed while running', async () => {
    const first = createNetns();
    let second: ReturnType<typeof createNetns> | undefined;
    try {
      // The default socket factory: the namespace layer's helper (nothing in this process changes namespace).
      const mm = await MultiMonitor.open({ groups: ['link'], filter: (n) => n.startsWith(TEST_NS_PREFIX) });
      const seen: MonitorEvent[] = [];
      mm.on('event', (e) => seen.push(e));
      expect(mm.namespaces()).toContain(first.name);
      second = createNetns();
      await until(() => mm.namespaces().includes(second!.name));
      second.ip('link', 'add', 'vx', 'type', 'veth', 'peer', 'name', 'vy');
      first.ip('link', 'add', 'v1', 'type', 'veth', 'peer', 'name', 'v2');
      await until(() => seen.filter((e) => e.type === 'new').length >= 4);
      expect(seen.some((e) => e.type === 'netns' && e.action === 'add' && e.netns === second!.name)).toBe(true);
      expect(seen.filter((e) => e.type === 'new' && e.kind === 'link' && e.object.name === 'vx').every((e) => e.netns === second!.name)).toBe(true);
      expect(seen.filter((e) => e.type === 'new' && e.kind === 'link' && e.object.name === 'v1').every((e) => e.netns === first.name)).toBe(true);
      deleteNetns(second);
      await until(() => !mm.namespaces().includes(second!.name));
      expect(seen.some((e) => e.type === 'netns' && e.action === 'del' && e.netns === second!.name)).toBe(true);
      mm.close();
    } finally {
      deleteNetns(first);
      if (second) deleteNetns(second);
    }
  });
});
