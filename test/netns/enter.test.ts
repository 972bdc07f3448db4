/**
 * Entering namespaces: the helper under nsenter (default) and in-process setns both make sockets
 * that live in the target namespace; unknown namespaces fail clearly and are never created;
 * helpers are bounded, time out, and check their parent; sockets are cached per namespace.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { pbkdf2 as pbkdf2cb } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { type EnterResult, enterNetns, helperLoad, setMaxHelpers } from '../../src/netns/enter.js';
import { type NamespaceError, isNamespaceError } from '../../src/netns/errors.js';
import { execNetns } from '../../src/netns/manage.js';
import { NetnsSocketCache, netnsSockets } from '../../src/netns/sockets.js';
import { resolveNetns } from '../../src/netns/target.js';
import * as libc from '../../src/transport/libc.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { PREFIX, execReady, ip, privileged, skipReason, uniqueName, withNamespaces } from './support.js';

if (!privileged) console.warn(`[netns enter] skipped: ${skipReason}`);

const pbkdf2 = promisify(pbkdf2cb);

async function linkNames(fd: number): Promise<string[]> {
  const nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd }) });
  try {
    return (await nl.links.list()).map((l) => l.name).sort();
  } finally {
    nl.close();
  }
}

/** pids of netns helpers started by this process (children of ours running helper.cjs). */
function helpersOfThisProcess(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const ppid = Number(
        readFileSync(`/proc/${e}/stat`, 'utf8')
          .replace(/^.*\) /s, '')
          .split(' ')[1],
      );
      if (cmd.includes('helper.cjs') && ppid === process.pid) out.push(Number(e));
    } catch {
      // exited
    }
  }
  return out;
}

async function expectNamespaceError(p: Promise<unknown> | (() => unknown), code: string): Promise<NamespaceError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(isNamespaceError(err), String(err)).toBe(true);
    expect((err as NamespaceError).code).toBe(code);
    return err as NamespaceError;
  }
  throw new Error(`expected a NamespaceError ${code}`);
}

describe.skipIf(!privileged)('entering a network namespace', () => {
  const defaultMax = helperLoad().max;
  afterEach(() => setMaxHelpers(defaultMax));

  for (const entry of ['helper', 'setns'] as const) {
    it(`${entry}: sockets and /proc/sys files are the namespace's`, () =>
      withNamespaces(1, async (a) => {
        ip('-n', a, 'link', 'add', 'enter0', 'type', 'veth', 'peer', 'name', 'enter1'); // oracle-side setup
        const r = await enterNetns(a, {
          entry,
          sockets: [0, 0],
          files: [
            ['/proc/sys/net/ipv4/conf/enter0/forwarding', 0],
            ['/proc/sys/net/nope', 0],
          ],
        });
        expect(r.sockets).toHaveLength(2);
        expect(await linkNames(r.sockets[0]!)).toEqual(['enter0', 'enter1', 'lo']);
        expect(await linkNames(r.sockets[1]!)).toEqual(['enter0', 'enter1', 'lo']);
        // The per-interface sysctl exists only in that namespace: the fd was opened there.
        expect(typeof r.files[0]).toBe('number');
        closeSync(r.files[0] as number);
        expect(r.files[1]).toEqual({ errno: 2 });
        // And this process is still in its own namespace.
        expect(existsSync('/proc/sys/net/ipv4/conf/enter0')).toBe(false);
      }));
  }

  it('setns entry leaves every thread of this process in its own namespace, threadpool busy or not', () =>
    withNamespaces(1, async (a) => {
      const threadNamespaces = () =>
        new Set(
          readdirSync('/proc/self/task').map((t) => {
            try {
              return readlinkSync(`/proc/self/task/${t}/ns/net`);
            } catch {
              return 'gone';
            }
          }),
        );
      const own = readlinkSync('/proc/thread-self/ns/net');
      // Keep libuv's threadpool busy (and growing) while entering the namespace over and over.
      const busy = Array.from({ length: 16 }, (_, i) => readFile(`/proc/self/status`).then(() => pbkdf2(String(i), 'salt', 2000, 32, 'sha256')));
      for (let i = 0; i < 200; i++) {
        const r = await enterNetns(a, { entry: 'setns', sockets: [0] });
        libc.close(r.sockets[0]!);
        expect(readlinkSync('/proc/thread-self/ns/net')).toBe(own);
      }
      await Promise.all(busy);
      const seen = threadNamespaces();
      seen.delete('gone');
      expect([...seen]).toEqual([own]);
    }));

  it('names, paths, pids and fds of one namespace resolve to the same identity', () =>
    withNamespaces(1, async (a) => {
      const child = execNetns(a, ['sleep', '30'], { stdio: 'ignore' });
      try {
        await execReady(child.pid, 'sleep');
        const byName = resolveNetns(a);
        const byPath = resolveNetns({ path: `/run/netns/${a}` });
        const byPid = resolveNetns({ pid: child.pid! });
        const fd = openSync(`/run/netns/${a}`, 'r');
        try {
          const byFd = resolveNetns({ fd });
          expect(new Set([byName.key, byPath.key, byPid.key, byFd.key]).size).toBe(1);
          for (const target of [{ pid: child.pid! }, { fd }]) {
            const r = await enterNetns(target, { sockets: [0] });
            expect(await linkNames(r.sockets[0]!)).toEqual(['lo']);
          }
        } finally {
          closeSync(fd);
        }
      } finally {
        child.kill('SIGKILL');
      }
    }));

  it('an unknown namespace is a NamespaceError and is never created', async () => {
    const name = uniqueName('missing');
    await expectNamespaceError(enterNetns(name, { sockets: [0] }), 'ENOENT');
    await expectNamespaceError(NetlinkClient.connect({ netns: name }), 'ENOENT');
    await expectNamespaceError(NetlinkClient.connect({ netns: name, netnsEntry: 'setns' }), 'ENOENT');
    await expectNamespaceError(enterNetns({ pid: 0x3ffffff0 }, { sockets: [0] }), 'ENOENT');
    expect(existsSync(`/run/netns/${name}`)).toBe(false);
  });

  it('a /run/netns entry that is not a mounted namespace is refused (EINVAL)', async () => {
    const name = uniqueName('stale');
    writeFileSync(`/run/netns/${name}`, '');
    try {
      const err = await expectNamespaceError(enterNetns(name, { sockets: [0] }), 'EINVAL');
      expect(err.message).toMatch(/not a network namespace/);
    } finally {
      rmSync(`/run/netns/${name}`, { force: true });
    }
  });

  it('bad names are refused before anything happens', async () => {
    for (const bad of ['', '.', '..', 'a/b', 'x'.repeat(256)]) {
      await expect(NetlinkClient.connect({ netns: { name: bad } })).rejects.toThrow(/invalid namespace name/);
    }
  });

  it('a helper that does not answer in time is killed: ETIMEDOUT', () =>
    withNamespaces(1, async (a) => {
      const err = await expectNamespaceError(enterNetns(a, { sockets: [0], timeoutMs: 1 }), 'ETIMEDOUT');
      expect(err.namespace).toBe(a);
      // No helper is left behind.
      await new Promise((r) => setTimeout(r, 100));
      expect(helpersOfThisProcess()).toEqual([]);
    }));

  it('an aborted entry rejects with ABORT_ERR', () =>
    withNamespaces(1, async (a) => {
      const ac = new AbortController();
      const p = enterNetns(a, { sockets: [0], signal: ac.signal });
      ac.abort();
      await expectNamespaceError(p, 'ABORT_ERR');
    }));

  it('helpers in flight are bounded', () =>
    withNamespaces(3, async (...names) => {
      setMaxHelpers(2);
      let maxRunning = 0;
      const timer = setInterval(() => (maxRunning = Math.max(maxRunning, helperLoad().running)), 1);
      try {
        const results = await Promise.all([...names, ...names].map((n) => enterNetns(n, { sockets: [0] })));
        for (const r of results) libc.close(r.sockets[0]!);
      } finally {
        clearInterval(timer);
      }
      expect(maxRunning).toBeGreaterThan(0);
      expect(maxRunning).toBeLessThanOrEqual(2);
      expect(helperLoad()).toMatchObject({ running: 0, waiting: 0 });
    }));

  it('requests made together are batched into few helpers, each socket in its own namespace', () =>
    withNamespaces(6, async (...names) => {
      for (const [i, n] of names.entries()) ip('-n', n, 'link', 'add', `mark${i}`, 'type', 'veth', 'peer', 'name', `peer${i}`);
      setMaxHelpers(2);
      let maxRunning = 0;
      const timer = setInterval(() => (maxRunning = Math.max(maxRunning, helperLoad().running)), 1);
      let clients: NetlinkClient[] = [];
      try {
        clients = await Promise.all(names.map((n) => NetlinkClient.connect({ netns: n })));
        for (const [i, c] of clients.entries()) {
          expect((await c.links.list()).map((l) => l.name).sort()).toEqual(['lo', `mark${i}`, `peer${i}`]);
          expect(c.netns).toBe(names[i]);
        }
      } finally {
        clearInterval(timer);
        for (const c of clients) c.close();
      }
      expect(maxRunning).toBeLessThanOrEqual(2);
    }));

  it('in a batch, a namespace that vanished fails alone', () =>
    withNamespaces(3, async (a, b, c) => {
      setMaxHelpers(1);
      const blocker = enterNetns(a, { sockets: [0] }); // takes the only helper slot
      const gone = resolveNetns(b); // resolved (exists now) ...
      const pB = enterNetns(gone, { sockets: [0] });
      const pC = enterNetns(c, { sockets: [0] });
      const pA = enterNetns(a, { sockets: [0] });
      ip('netns', 'del', b); // ... and deleted before its helper runs
      const [rBlock, rB, rC, rA] = await Promise.allSettled([blocker, pB, pC, pA]);
      for (const r of [rBlock, rC, rA]) {
        expect(r.status).toBe('fulfilled');
        if (r.status === 'fulfilled') libc.close(r.value.sockets[0]!);
      }
      expect(rB.status).toBe('rejected');
      expect(isNamespaceError((rB as PromiseRejectedResult).reason)).toBe(true);
    }));

  it('in a batch, when the first namespace vanished, the others still get their sockets', () =>
    withNamespaces(3, async (a, b, c) => {
      setMaxHelpers(1);
      const gone = resolveNetns(a);
      const ps = [enterNetns(gone, { sockets: [0] }), enterNetns(b, { sockets: [0] }), enterNetns(c, { sockets: [0] })];
      ip('netns', 'del', a);
      const [rA, rB, rC] = (await Promise.allSettled(ps)) as [
        PromiseSettledResult<EnterResult>,
        PromiseSettledResult<EnterResult>,
        PromiseSettledResult<EnterResult>,
      ];
      expect(rA.status).toBe('rejected');
      expect((rA as PromiseRejectedResult).reason).toMatchObject({ name: 'NamespaceError', namespace: a });
      for (const r of [rB, rC]) {
        expect(r.status).toBe('fulfilled');
        if (r.status === 'fulfilled') libc.close(r.value.sockets[0]!);
      }
    }));

  it('the helper checks that its parent is still there (and sets PR_SET_PDEATHSIG)', () => {
    const helper = path.resolve('src/netns/helper.cjs');
    const r = spawnSync(process.execPath, [helper], {
      input: JSON.stringify({ ppid: 1, jobs: [{ path: '/proc/self/ns/net', sockets: [0] }] }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/parent is gone/);
  });

  it('sockets are cached per namespace: one helper run serves two clients, and spares go with the last', () =>
    withNamespaces(1, async (a) => {
      const cache = new NetnsSocketCache(1);
      const ns = resolveNetns(a);
      const l1 = await cache.socket(a);
      expect(cache.spareCount()).toBe(1);
      const t = performance.now();
      const l2 = await cache.socket({ path: ns.path }); // same namespace, named otherwise
      expect(performance.now() - t).toBeLessThan(5); // no helper
      expect(cache.spareCount()).toBe(0);
      expect(await linkNames(l2.fd)).toEqual(['lo']);
      l2.release();
      const l3 = await cache.socket(a); // a new helper run, one more spare
      expect(cache.spareCount()).toBe(1);
      closeSync(l1.fd);
      l1.release();
      closeSync(l3.fd);
      l3.release();
      expect(cache.spareCount()).toBe(0);
    }));

  it('concurrent connects to one namespace share a helper run', () =>
    withNamespaces(1, async (a) => {
      const clients = await Promise.all([NetlinkClient.connect({ netns: a }), NetlinkClient.connect({ netns: a })]);
      try {
        expect(netnsSockets.spareCount()).toBe(0); // 1 + 1 spare, both used
        for (const c of clients) expect((await c.links.list()).map((l) => l.name)).toEqual(['lo']);
        expect(clients[0]!.netns).toBe(a);
      } finally {
        for (const c of clients) c.close();
      }
      expect(netnsSockets.spareCount()).toBe(0);
    }));

  it('a deleted namespace is not kept alive by the cache', () =>
    withNamespaces(1, async (a) => {
      const nl = await NetlinkClient.connect({ netns: a });
      expect(netnsSockets.spareCount()).toBe(1);
      nl.close();
      expect(netnsSockets.spareCount()).toBe(0);
    }));

  it('test namespaces carry the unique prefix', () => {
    expect(uniqueName()).toMatch(new RegExp(`^${PREFIX}`));
  });
});
