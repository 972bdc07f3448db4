/**
 * The Monitor's 'nftables' group against the kernel, in throwaway namespaces, with nft 1.0.6's own
 * `nft monitor` / `nft -j monitor` run side by side in the same namespace as the oracle: for the
 * same changes (made with `nft -f`, nft commands, and the API), the events equal nft's lines one
 * for one; `nlts nft monitor` prints nft's text. And the forced overrun: a small receive buffer, a
 * stalled event loop and a burst of 1000 rule adds: an overrun, a resync carrying the whole
 * ruleset, nothing lost, and the socket keeps delivering. Needs root; skipped otherwise.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { NftEventPrinter } from '../../src/cli/commands/nft-monitor.js';
import type { MonitorEvent, NftChangeEvent } from '../../src/monitor/events.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { MultiMonitor } from '../../src/monitor/multi.js';
import { setnsSocketFactory } from '../../src/monitor/sockets.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[nft-monitor integration] skipped: ${skipReason}`);

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const sockets = setnsSocketFactory;

async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  for (const start = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

/** A process whose stdout lines are collected. */
class Lines {
  readonly lines: string[] = [];
  private rest = '';
  err = '';
  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const parts = (this.rest + d).split('\n');
      this.rest = parts.pop()!;
      this.lines.push(...parts);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
  }
  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function nftMonitor(ns: TestNetns, json: boolean): Lines {
  return new Lines(spawn('ip', ['netns', 'exec', ns.name, 'nft', ...(json ? ['-j'] : []), 'monitor'], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

function nft(ns: TestNetns, ...args: string[]): void {
  ns.exec('nft', ...args);
}

function nftFile(ns: TestNetns, text: string): void {
  const file = path.join(tmpdir(), `nlts-nft-monitor-${process.pid}.nft`);
  writeFileSync(file, text);
  try {
    nft(ns, '-f', file);
  } finally {
    rmSync(file, { force: true });
  }
}

function lastIndex<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return i;
  return -1;
}

/** Between the (last) probe table's deletion and the end table's addition: the lines the changes made. */
function between(lines: string[], start: (l: string) => boolean, end: (l: string) => boolean): string[] {
  const from = lastIndex(lines, start);
  const to = lines.findIndex(end);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(to).toBeGreaterThan(from);
  return lines.slice(from + 1, to);
}

const SOURCE = { prefix: { addr: '172.18.0.0', len: 24 } };

const RULESET = `
table ip t {
  set s { type ipv4_addr; flags interval; }
  map vm { type inet_service : verdict; elements = { 22 : accept, 23 : drop } }
  counter cnt { }
  quota q { over 25 mbytes }
  chain c { type filter hook input priority filter; policy accept; }
  chain d { }
}
table inet f {
  set ports { type inet_service; elements = { 22, 80, 443 } }
  chain fw { type filter hook forward priority filter + 5; policy drop; }
  chain post { type nat hook postrouting priority srcnat; policy accept; }
}
add rule ip t c counter accept
add rule ip t c ip saddr { 1.2.3.4, 5.6.7.0/24 } drop
add rule ip t c ip saddr @s tcp dport 22 jump d
add rule ip t c tcp dport vmap @vm comment "ssh"
add element ip t s { 10.0.0.0/8, 192.168.1.1 }
add rule inet f fw ct state established,related accept
add rule inet f fw iifname "lo" tcp dport @ports accept
add rule inet f fw meta l4proto { tcp, udp } th dport 53 accept
add rule inet f post ip saddr 172.18.0.0/24 oifname != "vethc1" masquerade
insert rule ip t c ip daddr 1.1.1.1 counter
`;

/** The changes after the file: one transaction each (nft's commands). */
const COMMANDS: string[][] = [
  ['add', 'element', 'ip', 't', 's', '{ 172.16.0.0-172.16.0.255 }'],
  ['delete', 'element', 'ip', 't', 's', '{ 192.168.1.1 }'],
  ['add', 'rule', 'ip', 't', 'd', 'udp', 'dport', '{ 1-100, 200 }', 'accept'],
  ['add', 'counter', 'ip', 't', 'c2'],
  ['create', 'table', 'inet', 'made'],
  ['create', 'chain', 'inet', 'made', 'c'],
  ['insert', 'rule', 'inet', 'made', 'c', 'counter'],
  ['delete', 'table', 'inet', 'made'],
  ['delete', 'counter', 'ip', 't', 'c2'],
  ['flush', 'chain', 'inet', 'f', 'fw'],
  ['delete', 'table', 'ip', 't'],
];

/** The monitors are listening once each shows a probe table's deletion (made again until they all do). */
async function probe(ns: TestNetns, ready: () => boolean, ms = 20_000): Promise<void> {
  for (const start = Date.now(); ; ) {
    nft(ns, 'add', 'table', 'ip', 'probe');
    nft(ns, 'delete', 'table', 'ip', 'probe');
    try {
      return await until(ready, 500, 'the monitors to see the probe');
    } catch (err) {
      if (Date.now() - start > ms) throw err;
    }
  }
}

/** An event's JSON object as text (changes), else its type. */
const text = (e: MonitorEvent): string => (e.type === 'new' || e.type === 'del' ? JSON.stringify(e.object) : e.type);

const isProbeDelete = (l: string) => l === 'delete table ip probe' || l.includes('"delete": {"table": {"family": "ip", "name": "probe"');
const isEnd = (l: string) => l === 'add table ip zend' || l.includes('"add": {"table": {"family": "ip", "name": "zend"');

describe.skipIf(!privileged)("Monitor group 'nftables' against nft monitor", () => {
  it('the events of nft -f and nft commands equal nft -j monitor lines one for one, and print as nft monitor does', () =>
    withNetns(async (ns) => {
      const m = await Monitor.open({ netns: ns.name, sockets, groups: ['nftables'], initialDump: true });
      const events: MonitorEvent[] = [];
      m.on('event', (e) => events.push(e));
      const json = nftMonitor(ns, true);
      const texts = nftMonitor(ns, false);
      try {
        const probed = (e: MonitorEvent) => e.type === 'del' && text(e).includes('"name":"probe"');
        await probe(ns, () => json.lines.some(isProbeDelete) && texts.lines.some(isProbeDelete) && events.some(probed));
        nftFile(ns, RULESET);
        for (const c of COMMANDS) nft(ns, ...c);
        nft(ns, 'add', 'table', 'ip', 'zend');
        await until(() => json.lines.some(isEnd) && texts.lines.some(isEnd) && events.some((e) => text(e).includes('zend')));

        const ours = events.slice(lastIndex(events, probed) + 1);
        const endAt = ours.findIndex((e) => text(e).includes('zend'));
        const changes = ours.slice(0, endAt).filter((e): e is NftChangeEvent => e.type === 'new' || e.type === 'del');
        const theirs = between(json.lines, isProbeDelete, isEnd).map((l) => JSON.parse(l));
        expect(changes.map((e) => e.object)).toEqual(theirs);
        expect(changes.length).toBeGreaterThan(40);
        expect(changes.every((e) => e.netns === ns.name && e.type === ('delete' in e.object ? 'del' : 'new'))).toBe(true);

        // The same events as `nft monitor` text (the CLI's printer), generation lines included.
        const printer = new NftEventPrinter(false);
        const lines = events.map((e) => printer.line(e)).filter((l): l is string => l !== undefined);
        expect(between(lines, isProbeDelete, isEnd)).toEqual(between(texts.lines, isProbeDelete, isEnd));
        expect(lines.filter((l) => l.startsWith('# new generation')).length).toBeGreaterThanOrEqual(COMMANDS.length + 1);
        expect(m.stats.overruns).toBe(0);
      } finally {
        json.stop();
        texts.stop();
        m.close();
      }
    }));

  it('changes made through the API (nl.nftables.apply) come as nft -j monitor shows them, then their generation', () =>
    withNetns(async (ns) => {
      const m = await Monitor.open({ netns: ns.name, sockets, groups: ['nftables'] });
      const events: MonitorEvent[] = [];
      m.on('event', (e) => events.push(e));
      const json = nftMonitor(ns, true);
      const nl = NetlinkClient.open({ netns: ns.path });
      try {
        const probed = (e: MonitorEvent) => e.type === 'del' && text(e).includes('"name":"probe"');
        await probe(ns, () => json.lines.some(isProbeDelete) && events.some(probed));
        await nl.nftables.apply({
          nftables: [
            { add: { table: { family: 'inet', name: 'api' } } },
            { add: { chain: { family: 'inet', table: 'api', name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
            {
              add: {
                rule: {
                  family: 'inet',
                  table: 'api',
                  chain: 'post',
                  expr: [
                    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: SOURCE } },
                    { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'vethc1' } },
                    { masquerade: null },
                  ],
                },
              },
            },
          ],
        });
        nft(ns, 'add', 'table', 'ip', 'zend');
        await until(() => json.lines.some(isEnd) && events.some((e) => text(e).includes('zend')));
        const ours = events.slice(lastIndex(events, probed) + 1);
        const end = ours.findIndex((e) => text(e).includes('zend'));
        const changes = ours.slice(0, end).filter((e) => e.type === 'new');
        expect(changes.map((e) => (e as NftChangeEvent).object)).toEqual(between(json.lines, isProbeDelete, isEnd).map((l) => JSON.parse(l)));
        // The transaction's end, by this process (the kernel names the sending thread: a worker's id under vitest).
        const gen = ours.slice(ours.findIndex((e) => e.type === 'new')).find((e) => e.type === 'generation');
        expect(gen).toMatchObject({ type: 'generation', netns: ns.name, pid: expect.any(Number), process: expect.any(String) });
        expect((gen as { process: string }).process).not.toBe('nft');
      } finally {
        json.stop();
        nl.close();
        m.close();
      }
    }));

  it('`nlts -n NS nft monitor` and `-j` print what nft monitor and nft -j monitor print', () =>
    withNetns(async (ns) => {
      const env = { ...process.env, NLTS_SOURCE: '1' };
      const argv = (json: boolean) => [path.join(ROOT, 'bin/nlts.js'), '-n', ns.name, 'nft', 'monitor', ...(json ? ['-j'] : [])];
      const nlts = (json: boolean) => new Lines(spawn(process.execPath, argv(json), { env, stdio: ['ignore', 'pipe', 'pipe'] }));
      const all = [nftMonitor(ns, false), nftMonitor(ns, true), nlts(false), nlts(true)];
      try {
        await probe(ns, () => all.every((p) => p.lines.some(isProbeDelete)), 60_000); // nlts starts through tsx
        nftFile(ns, RULESET);
        for (const c of COMMANDS.slice(0, 3)) nft(ns, ...c);
        nft(ns, 'add', 'table', 'ip', 'zend');
        await until(() => all.every((p) => p.lines.some(isEnd)), 20_000, 'every monitor to print the end');
        const [nftText, nftJson, ourText, ourJson] = all.map((p) => between(p.lines, isProbeDelete, isEnd));
        expect(ourText).toEqual(nftText);
        expect(ourJson).toEqual(nftJson);
        expect(ourText!.length).toBeGreaterThan(20);
      } finally {
        for (const p of all) p.stop();
      }
    }));

  it('a forced overrun (4 KiB buffer, stalled loop, 1000 rule adds): overrun, a resync with the whole ruleset, nothing lost, still delivering', () =>
    withNetns(async (ns) => {
      nftFile(ns, 'table ip b {\n  chain c { }\n}\n');
      const m = await Monitor.open({ netns: ns.name, sockets, groups: ['nftables'], receiveBuffer: 4096 });
      const events: MonitorEvent[] = [];
      m.on('event', (e) => events.push(e));
      try {
        await until(() => !m.resyncing);
        const burst = Array.from({ length: 1000 }, (_, i) => `add rule ip b c ip saddr 10.0.${i >> 8}.${i & 255} counter accept`).join('\n');
        // Blocks this event loop while the kernel queues ~1000 notifications on a 4 KiB socket.
        nftFile(ns, burst);
        await until(() => events.some((e) => e.type === 'resync'), 20_000, 'the resync');
        const overrun = events.find((e) => e.type === 'overrun');
        expect(overrun).toMatchObject({ type: 'overrun', reason: 'enobufs', kinds: ['nftables'], netns: ns.name });
        const resync = events.find((e) => e.type === 'resync')!;
        expect(events.indexOf(resync)).toBeGreaterThan(events.indexOf(overrun!));
        // The resync holds the ruleset as nft lists it.
        const listed = JSON.parse(ns.exec('nft', '-j', 'list', 'ruleset')).nftables;
        if (resync.type !== 'resync') throw new Error('unreachable');
        expect(resync.ruleset!.nftables.slice(1)).toEqual(listed.slice(1));
        expect(resync.ruleset!.nftables.filter((i) => 'rule' in i)).toHaveLength(1000);

        // The socket still works (one change: a 4 KiB buffer holds about one notification datagram).
        nft(ns, 'add', 'rule', 'ip', 'b', 'c', 'ip', 'daddr', '10.1.0.1', 'drop');
        await until(() => events.some((e) => e.type === 'new'), 10_000, 'the event after the resync');
        // Nothing lost: every rule is in the resync or in an event after it.
        const handles = new Set<number>();
        for (const i of resync.ruleset!.nftables) if ('rule' in i) handles.add(i.rule.handle!);
        for (const e of events.slice(events.indexOf(resync))) {
          if (e.type === 'new' && e.kind === 'nftables' && 'add' in e.object && 'rule' in e.object.add) handles.add(e.object.add.rule.handle!);
        }
        const now = JSON.parse(ns.exec('nft', '-j', 'list', 'ruleset')).nftables.filter((i: object) => 'rule' in i);
        expect(now).toHaveLength(1001);
        for (const r of now) expect(handles.has(r.rule.handle)).toBe(true);
        expect(m.stats.overruns).toBeGreaterThanOrEqual(1);
      } finally {
        m.close();
      }
    }));

  it('MultiMonitor: nftables events of each namespace, tagged with its name', () =>
    withNetns((a) =>
      withNetns(async (b) => {
        const mm = await MultiMonitor.open({ groups: ['nftables'], namespaces: [a.name, b.name], sockets });
        const seen: MonitorEvent[] = [];
        mm.on('event', (e) => seen.push(e));
        try {
          await until(() => mm.namespaces().length === 2 && !mm.monitor(a.name)!.resyncing && !mm.monitor(b.name)!.resyncing);
          nft(a, 'add', 'table', 'ip', 'ta');
          nft(b, 'add', 'table', 'inet', 'tb');
          await until(() => seen.filter((e) => e.type === 'generation').length === 2);
          const tables = seen.filter((e): e is NftChangeEvent => e.type === 'new').map((e) => [e.netns, JSON.stringify(e.object)]);
          expect(tables).toEqual([
            [a.name, '{"add":{"table":{"family":"ip","name":"ta","handle":1}}}'],
            [b.name, '{"add":{"table":{"family":"inet","name":"tb","handle":1}}}'],
          ]);
        } finally {
          mm.close();
        }
      }),
    ));
});
