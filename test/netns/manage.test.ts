/**
 * Namespace management with ip netns semantics, with `ip netns` as the oracle: what the library
 * makes, ip sees, and the other way round. nsids are assigned from inside test namespaces only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { InvalidArgumentError } from '../../src/api/errors.js';
import { isNamespaceError } from '../../src/netns/errors.js';
import {
  addNetns,
  attachNetns,
  deleteNetns,
  execNetns,
  getNetnsId,
  identifyNetns,
  listNetns,
  listNetnsIds,
  netnsPids,
  runInNetns,
  setNetnsId,
} from '../../src/netns/manage.js';
import { execReady, ip, privileged, removeNetns, skipReason, uniqueName, withNamespaces } from './support.js';

if (!privileged) console.warn(`[netns manage] skipped: ${skipReason}`);

const ipNames = () => (ip('-j', 'netns', 'list').trim() ? (JSON.parse(ip('-j', 'netns', 'list')) as { name: string }[]).map((n) => n.name) : []);

describe.skipIf(!privileged)('ip netns semantics', () => {
  it('add makes a namespace ip sees; del removes it; twice is EEXIST / ENOENT', async () => {
    const name = uniqueName('add');
    try {
      await addNetns(name);
      expect(ipNames()).toContain(name);
      expect(ip('-n', name, '-j', 'link', 'show')).toContain('"lo"');
      await expect(addNetns(name)).rejects.toMatchObject({ name: 'NamespaceError', code: 'EEXIST' });
      expect((await listNetns()).map((n) => n.name)).toContain(name);
      deleteNetns(name);
      expect(ipNames()).not.toContain(name);
      expect(existsSync(`/run/netns/${name}`)).toBe(false);
      expect(() => deleteNetns(name)).toThrow(/does not exist/);
    } finally {
      removeNetns(name);
    }
  });

  it('namespaces made by ip are seen and deleted by the library', async () => {
    const name = uniqueName('byip');
    try {
      ip('netns', 'add', name);
      expect((await listNetns()).map((n) => n.name)).toContain(name);
      deleteNetns(name);
      expect(ipNames()).not.toContain(name);
    } finally {
      removeNetns(name);
    }
  });

  it('bad names are refused before anything is created', async () => {
    for (const bad of ['', '..', 'a/b', 'n'.repeat(256)]) await expect(addNetns(bad)).rejects.toThrow(InvalidArgumentError);
  });

  it('identify and pids find a process in a namespace, as ip does', () =>
    withNamespaces(2, async (a, b) => {
      const child = execNetns(a, ['sleep', '30'], { stdio: 'ignore' });
      try {
        await execReady(child.pid, 'sleep');
        const pid = child.pid!;
        expect(identifyNetns(pid)).toEqual([a]);
        expect(ip('netns', 'identify', String(pid)).trim()).toBe(a);
        expect(netnsPids(a)).toEqual([pid]);
        expect(ip('netns', 'pids', a).trim().split('\n').map(Number)).toEqual([pid]);
        expect(netnsPids(b)).toEqual([]);
        expect(identifyNetns()).toEqual(
          ip('netns', 'identify', String(process.pid)).trim() ? [ip('netns', 'identify', String(process.pid)).trim()] : [],
        );
        // attach: name the namespace of that process once more
        const alias = uniqueName('attach');
        try {
          attachNetns(alias, pid);
          expect(ipNames()).toContain(alias);
          expect(identifyNetns(pid).sort()).toEqual([a, alias].sort());
          expect(() => attachNetns(alias, pid)).toThrow(/already exists/);
        } finally {
          removeNetns(alias);
        }
      } finally {
        child.kill('SIGKILL');
      }
    }));

  it('exec runs in the namespace, with /sys remounted and /etc/netns/NAME over /etc', () =>
    withNamespaces(1, async (a) => {
      const etc = `/etc/netns/${a}`;
      mkdirSync(etc, { recursive: true });
      try {
        writeFileSync(`${etc}/resolv.conf`, 'nameserver 192.0.2.53\n');
        const r = await runInNetns(a, ['sh', '-c', 'cat /etc/resolv.conf; ls /sys/class/net; readlink /proc/self/ns/net']);
        expect(r.code).toBe(0);
        const [resolv, sys, nsLink] = r.stdout.split('\n');
        expect(resolv).toBe('nameserver 192.0.2.53');
        expect(sys).toBe('lo');
        expect(nsLink).toBe(execFileSync('ip', ['netns', 'exec', a, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim());
        // The same as ip netns exec shows
        expect(execFileSync('ip', ['netns', 'exec', a, 'cat', '/etc/resolv.conf'], { encoding: 'utf8' })).toBe('nameserver 192.0.2.53\n');
        // and nothing leaked into this mount namespace
        expect(execFileSync('cat', ['/etc/resolv.conf'], { encoding: 'utf8' })).not.toContain('192.0.2.53');
        // exit status and arguments pass through untouched
        const q = await runInNetns(a, ['sh', '-c', 'printf "%s|" "$@"; exit 3', 'x', 'a b', '$HOME', '']);
        expect(q).toMatchObject({ code: 3, stdout: 'a b|$HOME||' });
      } finally {
        rmSync(etc, { recursive: true, force: true });
      }
    }));

  it('exec in an unknown namespace is a NamespaceError', () => {
    expect(() => execNetns(uniqueName('nope'), ['true'])).toThrow(/does not exist/);
  });

  it('set / list-id assign and list nsids (asked from inside a test namespace)', () =>
    withNamespaces(3, async (a, b, c) => {
      const inA = await NetlinkClient.connect({ netns: a });
      try {
        await setNetnsId(b, 5, { via: inA });
        await setNetnsId(c, 'auto', { via: inA });
        const idC = await getNetnsId(c, { via: inA });
        expect(typeof idC).toBe('number');
        expect(await getNetnsId(b, { via: inA })).toBe(5);
        const ids = await listNetnsIds({ via: inA });
        expect(ids).toEqual(
          expect.arrayContaining([
            { nsid: 5, name: b },
            { nsid: idC, name: c },
          ]),
        );
        // Oracle: ip -n A netns list-id
        const oracle = ip('-n', a, 'netns', 'list-id');
        expect(oracle).toContain(`nsid 5 (iproute2 netns name: ${b})`);
        expect(oracle).toContain(`nsid ${idC} (iproute2 netns name: ${c})`);
        const listed = await listNetns({ via: inA });
        expect(listed).toEqual(
          expect.arrayContaining([
            { name: b, id: 5 },
            { name: c, id: idC },
          ]),
        );
        // A taken id is refused by the kernel; bad ids by us
        await expect(setNetnsId(c, 5, { via: inA })).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST' });
        await expect(setNetnsId(b, -2 as never, { via: inA })).rejects.toThrow(InvalidArgumentError);
        await expect(setNetnsId(uniqueName('nope'), 1, { via: inA })).rejects.toSatisfy(isNamespaceError);
      } finally {
        inA.close();
      }
    }));
});
