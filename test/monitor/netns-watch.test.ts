import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import { MultiMonitor } from '../../src/monitor/multi.js';
import { NetnsWatcher, isNamespaceFile, runNetnsMonitor } from '../../src/monitor/netns-watch.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { fakeRequests, fakeState, linkMsg } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'nlts-watch-'));
  dirs.push(d);
  return d;
}

/** Files count as namespaces once they contain "ns" (as a bind mount would make them one). */
const isNs = (f: string) => {
  try {
    return readFileSync(f, 'utf8') === 'ns';
  } catch {
    return false;
  }
};

function until(cond: () => boolean, ms = 2000): Promise<void> {
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

describe('NetnsWatcher (inotify on a directory)', () => {
  it('reports present entries, additions (once they become namespaces) and removals', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'one'), 'ns');
    const w = new NetnsWatcher({ dir, isNamespace: isNs });
    const log: string[] = [];
    w.on('add', (n) => log.push('add ' + n));
    w.on('del', (n) => log.push('del ' + n));
    await w.start();
    expect(log).toEqual(['add one']);
    // Created first, "mounted" later: only then is it a namespace.
    writeFileSync(path.join(dir, 'two'), '');
    await new Promise((r) => setTimeout(r, 30));
    expect(log).toEqual(['add one']);
    writeFileSync(path.join(dir, 'two'), 'ns');
    await until(() => log.length === 2);
    unlinkSync(path.join(dir, 'one'));
    await until(() => log.length === 3);
    expect(log).toEqual(['add one', 'add two', 'del one']);
    expect(w.names()).toEqual(['two']);
    w.close();
  });

  it('waits for the directory to appear', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'netns');
    const w = new NetnsWatcher({ dir, isNamespace: isNs });
    const log: string[] = [];
    w.on('add', (n) => log.push(n));
    await w.start();
    mkdirSync(dir);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(dir, 'late'), 'ns');
    await until(() => log.length === 1);
    expect(log).toEqual(['late']);
    w.close();
  });

  it('applies the filter', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'keep-1'), 'ns');
    writeFileSync(path.join(dir, 'other'), 'ns');
    const w = new NetnsWatcher({ dir, isNamespace: isNs, filter: (n) => n.startsWith('keep-') });
    await w.start();
    expect(w.names()).toEqual(['keep-1']);
    w.close();
  });

  it('isNamespaceFile is false for ordinary files', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'f'), '');
    expect(isNamespaceFile(path.join(dir, 'f'))).toBe(false);
    expect(isNamespaceFile(path.join(dir, 'missing'))).toBe(false);
  });

  it('runNetnsMonitor prints add / delete like ip netns monitor and stops on abort', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const ac = new AbortController();
    // Real namespace check: ordinary files never become namespaces, so only deletions of... use a
    // directory whose entries are judged by the default check: none are namespaces, nothing printed.
    const done = runNetnsMonitor((l) => lines.push(l), { dir, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(dir, 'plain'), '');
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await done;
    expect(lines).toEqual([]);
  });
});

describe('MultiMonitor following a directory of namespaces', () => {
  it('opens a monitor per namespace, tags events, and follows additions and removals', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a'), 'ns');
    const transports = new Map<string, ScriptedTransport>();
    const openMonitor = async (o: MonitorOptions) => {
      const t = new ScriptedTransport(() => {});
      transports.set(o.netns!, t);
      return new Monitor({ ...o, transport: t, requests: fakeRequests(fakeState()).conn, keepAlive: false });
    };
    const watcher = new NetnsWatcher({ dir, isNamespace: isNs });
    const mm = await MultiMonitor.open({ groups: ['link'], openMonitor, watcher });
    const seen: MonitorEvent[] = [];
    mm.on('event', (e) => seen.push(e));
    expect(mm.namespaces()).toEqual(['a']);
    transports.get('a')!.push(linkMsg(2, 'x'));
    writeFileSync(path.join(dir, 'b'), 'ns');
    await until(() => mm.namespaces().length === 2);
    transports.get('b')!.push(linkMsg(3, 'y'));
    unlinkSync(path.join(dir, 'a'));
    await until(() => mm.namespaces().length === 1);
    expect(transports.get('a')!.closed).toBe(true);
    expect(
      seen.map((e) =>
        e.type === 'new'
          ? `${e.netns} new ${e.kind} ${(e.object as { name: string }).name}`
          : e.type === 'netns'
            ? `netns ${e.action} ${e.netns}`
            : e.type,
      ),
    ).toEqual(['a new link x', 'netns add b', 'b new link y', 'netns del a']);
    mm.close();
    expect(transports.get('b')!.closed).toBe(true);
  });
});
