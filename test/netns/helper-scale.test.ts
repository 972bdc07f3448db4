/**
 * The namespace helper at scale: more fds than one SCM_RIGHTS message carries (the kernel's
 * SCM_MAX_FD is 253), requests larger than one argv string may be (128 KiB), batches of waiting
 * jobs whose fds add up past that limit, and a request that other users must not read in
 * /proc/PID/cmdline. The in-process setns entry is the oracle for values read through the helper.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { enterNetns, helperLoad, setMaxHelpers } from '../../src/netns/enter.js';
import { sysctl, writeSysctl } from '../../src/netns/sysctl.js';
import * as libc from '../../src/transport/libc.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { ip, privileged, skipReason, withNamespaces } from './support.js';

if (!privileged) console.warn(`[netns helper scale] skipped: ${skipReason}`);

/** Readable net.ipv4 sysctls of namespace NS (no per-interface ones), sorted; `ip netns exec` as the oracle. */
function commonKeys(ns: string): string[] {
  const find = ['find', '/proc/sys/net/ipv4', '-maxdepth', '1', '-type', 'f', '-readable'];
  const out = execFileSync('ip', ['netns', 'exec', ns, ...find], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((p) => p.replace('/proc/sys/net/ipv4/', 'net.ipv4.'))
    .sort();
}

/** Children of this process (their cmdlines), read from /proc/self/task/N/children. */
function childCmdlines(): string[] {
  const out: string[] = [];
  for (const t of readdirSync('/proc/self/task')) {
    let kids: string[];
    try {
      kids = readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const pid of kids) {
      try {
        out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        // exited
      }
    }
  }
  return out;
}

describe.skipIf(!privileged)('the namespace helper at scale', () => {
  const defaultMax = helperLoad().max;
  afterEach(() => setMaxHelpers(defaultMax));

  it('300 sockets from one helper run (more than one SCM_RIGHTS message holds), each in the namespace', () =>
    withNamespaces(1, async (a) => {
      ip('-n', a, 'link', 'add', 'mark0', 'type', 'veth', 'peer', 'name', 'mark1'); // oracle-side marker
      const r = await enterNetns(a, { sockets: Array.from({ length: 300 }, () => 0) });
      const checked = [0, 252, 253, 299];
      try {
        expect(r.sockets).toHaveLength(300);
        expect(new Set(r.sockets).size).toBe(300);
        for (const i of checked) {
          const nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd: r.sockets[i]! }) });
          try {
            expect((await nl.links.list()).map((l) => l.name).sort()).toEqual(['lo', 'mark0', 'mark1']);
          } finally {
            nl.close();
          }
        }
      } finally {
        r.sockets.forEach((fd, i) => {
          if (!checked.includes(i)) libc.close(fd);
        });
      }
    }));

  it(
    'sysctl of 5,000 keys inside a namespace (a request over 128 KiB) gives the values setns reads',
    () =>
      withNamespaces(1, async (a) => {
        const keys = commonKeys(a);
        expect(keys.length).toBeGreaterThan(30);
        const many = Array.from({ length: 5000 }, (_, i) => keys[i % keys.length]!);
        await writeSysctl('net.ipv4.ip_default_ttl', 77, { netns: a, entry: 'setns' });
        const viaHelper = await sysctl(many, { netns: a });
        const viaSetns = await sysctl(many, { netns: a, entry: 'setns' });
        expect(viaHelper).toHaveLength(5000);
        expect(viaHelper).toEqual(viaSetns);
        expect(viaHelper.find((e) => e.key === 'net.ipv4.ip_default_ttl')!.value).toBe('77');
      }),
    60_000,
  );

  it(
    "8 concurrent sysctl calls of 70 keys each (batched into shared helpers) each get their own namespace's values",
    () =>
      withNamespaces(8, async (...names) => {
        const keys = commonKeys(names[0]!)
          .filter((k) => k !== 'net.ipv4.ip_default_ttl')
          .slice(0, 69);
        expect(keys).toHaveLength(69);
        for (const [i, n] of names.entries()) await writeSysctl('net.ipv4.ip_default_ttl', 100 + i, { netns: n, entry: 'setns' });
        const items = [...keys, 'net.ipv4.ip_default_ttl'];
        setMaxHelpers(2); // 8 jobs wait for 2 helpers: batches of 4 jobs, 280 fds each
        const results = await Promise.allSettled(names.map((n) => sysctl(items, { netns: n })));
        for (const [i, r] of results.entries()) {
          expect(r.status, String((r as PromiseRejectedResult).reason)).toBe('fulfilled');
          const got = (r as PromiseFulfilledResult<{ key: string; value: string }[]>).value;
          expect(got).toEqual(await sysctl(items, { netns: names[i]!, entry: 'setns' }));
          expect(got[69]).toEqual({ key: 'net.ipv4.ip_default_ttl', value: String(100 + i) });
        }
      }),
    60_000,
  );

  it("the request is not on the helper's command line (/proc/PID/cmdline is world-readable)", () =>
    withNamespaces(1, async (a) => {
      const marker = `net.ipv4.conf.nlts-secret-${process.pid}.forwarding`;
      const seen: string[] = [];
      const poll = setInterval(() => seen.push(...childCmdlines()), 1);
      try {
        for (let i = 0; i < 20 && !seen.some((c) => c.includes('helper.cjs')); i++) {
          await expect(sysctl([marker], { netns: a })).rejects.toMatchObject({ name: 'NotFoundError' });
        }
      } finally {
        clearInterval(poll);
      }
      const helpers = seen.filter((c) => c.includes('helper.cjs'));
      expect(helpers.length).toBeGreaterThan(0);
      for (const c of seen) expect(c).not.toContain('nlts-secret');
    }));
});
