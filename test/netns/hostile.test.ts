/**
 * Hostile names, keys and environments around namespaces (docs/security.md): programs planted in
 * the caller's PATH are never run, names beginning with '-' are names everywhere, keys and names
 * that try to leave /proc/sys/net or /run/netns are refused before anything runs, the helpers run
 * with an empty environment, and errors say what errno means.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { enterNetns } from '../../src/netns/enter.js';
import {
  addNetns,
  attachNetns,
  deleteNetns,
  execNetns,
  getNetnsId,
  identifyNetns,
  listNetns,
  netnsPids,
  runInNetns,
  setNetnsId,
} from '../../src/netns/manage.js';
import { readSysctl, sysctl, writeSysctl } from '../../src/netns/sysctl.js';
import * as libc from '../../src/transport/libc.js';
import { PREFIX, execReady, ip, privileged, removeNetns, skipReason, uniqueName, withNamespaces } from './support.js';
import { runNlts } from '../cli/support/run.js';

if (!privileged) console.warn(`[netns hostile] skipped: ${skipReason}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'nlts-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory of programs that only leave a mark (the program's name) in `marks` when run. */
function plantedPath(names: string[]): { dir: string; marks: string } {
  const dir = mkdtempSync(path.join(scratch, 'bin-'));
  const marks = path.join(dir, 'marks');
  for (const n of names) {
    writeFileSync(path.join(dir, n), `#!/bin/sh\necho ${n} >> ${marks}\nexit 1\n`);
    chmodSync(path.join(dir, n), 0o755);
  }
  return { dir, marks };
}

/** A --require script that leaves a mark when some Node process loads it. */
function plantedRequire(): { file: string; marks: string } {
  const file = path.join(mkdtempSync(path.join(scratch, 'req-')), 'evil.cjs');
  const marks = `${file}.marks`;
  writeFileSync(file, `require('fs').appendFileSync(${JSON.stringify(marks)}, process.argv.join(' ') + '\\n');\n`);
  return { file, marks };
}

/** Runs fn with process.env changed, restored afterwards. */
async function withEnv<T>(changes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  Object.assign(process.env, changes);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Children of this process that run helper.cjs: pid, cmdline, environ (while they live). */
function helperChildren(): { cmdline: string; environ: string }[] {
  const out: { cmdline: string; environ: string }[] = [];
  for (const t of readdirSync('/proc/self/task')) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const pid of kids) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('helper.cjs')) out.push({ cmdline, environ: readFileSync(`/proc/${pid}/environ`, 'utf8') });
      } catch {
        // exited
      }
    }
  }
  return out;
}

const nlts = (...argv: string[]) => runNlts(argv);

const nsInode = (p: string) => `net:[${statSync(p).ino}]`;

describe.skipIf(!privileged)('hostile names, keys and environments', () => {
  afterEach(() => vi.restoreAllMocks());

  it("netns exec never runs mount, umount, nsenter, unshare or sh found through the caller's PATH", () =>
    withNamespaces(1, async (a) => {
      const planted = plantedPath(['mount', 'umount', 'nsenter', 'unshare', 'sh', 'node']);
      const PATH = `${planted.dir}:${process.env.PATH}`;
      // Through process.env (what `npm run` does: node_modules/.bin first) ...
      const r1 = await withEnv({ PATH }, () => runInNetns(a, ['/bin/cat', '/proc/self/mountinfo']));
      // ... and through the env given for the command.
      const r2 = await runInNetns(a, ['/bin/ls', '/sys/class/net'], { env: { ...process.env, PATH } });
      // add, connect (the helper) and sysctl under the same PATH run nothing planted either.
      const added = uniqueName('path');
      try {
        await withEnv({ PATH }, async () => {
          await addNetns(added);
          const nl = await NetlinkClient.connect({ netns: added });
          nl.close();
          expect(await readSysctl('net.ipv4.ip_forward', { netns: added })).toBe('0');
        });
      } finally {
        removeNetns(added);
      }
      expect(existsSync(planted.marks) ? readFileSync(planted.marks, 'utf8') : '').toBe('');
      expect(r1).toMatchObject({ code: 0, stderr: '' });
      expect(r1.stdout).toMatch(/ \/sys .* sysfs /);
      expect(r2).toMatchObject({ code: 0, stdout: 'lo\n', stderr: '' });
      // The command itself is found through its own PATH, as ip netns exec does.
      const r3 = await runInNetns(a, ['mount'], { env: { ...process.env, PATH } });
      expect(r3.code).toBe(1);
      expect(readFileSync(planted.marks, 'utf8')).toBe('mount\n');
    }));

  it('names beginning with "-" are names for add, exec, set, attach, list, identify, pids, sysctl, connect, the CLI and del', () =>
    withNamespaces(1, async (other) => {
      const names = [`-o${uniqueName('d')}`, `--bind=${uniqueName('d')}`];
      const alias = `-${uniqueName('alias')}`;
      const inOther = await NetlinkClient.connect({ netns: other });
      try {
        for (const n of names) {
          await addNetns(n);
          expect(existsSync(`/run/netns/${n}`)).toBe(true);
          expect(ip('netns', 'list')).toContain(n);
          const etc = `/etc/netns/${n}`;
          mkdirSync(etc, { recursive: true });
          writeFileSync(`${etc}/resolv.conf`, 'nameserver 192.0.2.54\n');
          try {
            const r = await runInNetns(n, ['/bin/sh', '-c', 'ls /sys/class/net; readlink /proc/self/ns/net; cat /etc/resolv.conf']);
            expect(r).toMatchObject({ code: 0, stderr: '', stdout: `lo\n${nsInode(`/run/netns/${n}`)}\nnameserver 192.0.2.54\n` });
          } finally {
            rmSync(etc, { recursive: true, force: true });
          }
          await setNetnsId(n, 7, { via: inOther });
          expect(await getNetnsId(n, { via: inOther })).toBe(7);
          expect((await listNetns({ via: inOther })).find((e) => e.name === n)).toEqual({ name: n, id: 7 });
          const sleeper = execNetns(n, ['sleep', '30'], { stdio: 'ignore' });
          try {
            await execReady(sleeper.pid, 'sleep');
            expect(identifyNetns(sleeper.pid!)).toEqual([n]);
            expect(netnsPids({ name: n })).toEqual([sleeper.pid]);
            attachNetns(alias, sleeper.pid!);
            expect(identifyNetns(sleeper.pid!).sort()).toEqual([alias, n].sort());
            deleteNetns(alias);
          } finally {
            sleeper.kill('SIGKILL');
            removeNetns(alias);
          }
          await writeSysctl('net.ipv4.ip_default_ttl', 99, { netns: n });
          expect(await readSysctl('net.ipv4.ip_default_ttl', { netns: n })).toBe('99');
          const nl = await NetlinkClient.connect({ netns: n });
          try {
            expect((await nl.links.list()).map((l) => l.name)).toEqual(['lo']);
          } finally {
            nl.close();
          }
          expect(await nlts('-n', n, 'sysctl', 'net.ipv4.ip_default_ttl')).toMatchObject({ code: 0, out: 'net.ipv4.ip_default_ttl = 99\n' });
          deleteNetns(n);
          expect(existsSync(`/run/netns/${n}`)).toBe(false);
          expect(await nlts('netns', 'add', n)).toMatchObject({ code: 0, err: '' });
          expect(await nlts('netns', 'exec', n, '/bin/true')).toMatchObject({ code: 0 });
          expect(await nlts('netns', 'del', n)).toMatchObject({ code: 0, err: '' });
          expect(existsSync(`/run/netns/${n}`)).toBe(false);
        }
      } finally {
        inOther.close();
        for (const n of names) removeNetns(n);
      }
    }));

  it('sysctl keys that try to leave /proc/sys/net are InvalidArgumentErrors, before any helper runs', () =>
    withNamespaces(1, async (a) => {
      const bad = [
        'net/../kernel/hostname',
        '/proc/sys/net/../../../etc/passwd',
        '/proc/sys/kernel/hostname',
        'net/ipv4/conf/../../../kernel/hostname',
        'net.ipv4.conf.//.forwarding', // a '/' stands for '.': this component is '..'
        'net./.',
        'net..ipv4',
        '../net/ipv4/ip_forward',
        '/etc/passwd',
        'kernel.hostname',
        'net',
        'net/ipv4\0/ip_forward',
        '',
      ];
      for (const key of bad) {
        for (const options of [{ netns: a }, { netns: a, entry: 'setns' as const }, {}]) {
          await expect(readSysctl(key, options), key).rejects.toMatchObject({ name: 'InvalidArgumentError' });
          await expect(writeSysctl(key, '1', options), key).rejects.toMatchObject({ name: 'InvalidArgumentError' });
        }
        expect(helperChildren()).toEqual([]);
      }
      await expect(sysctl([['net.ipv4.ip_forward', 'x\0y']], { netns: a })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    }));

  it('namespace names that try to leave /run/netns are InvalidArgumentErrors everywhere; nothing is created', async () => {
    const before = readdirSync('/run/netns').sort();
    const bad = ['..', '.', '../etc', '../../tmp/x', 'a/b', '/', '', 'x\0y', 'n'.repeat(256)];
    for (const name of bad) {
      const calls: [string, () => unknown][] = [
        ['add', () => addNetns(name)],
        ['del', () => deleteNetns(name)],
        ['attach', () => attachNetns(name, process.pid)],
        ['set', () => setNetnsId(name, 1)],
        ['exec', () => execNetns(name, ['/bin/true'])],
        ['pids', () => netnsPids({ name })],
        ['enter', () => enterNetns({ name }, { sockets: [0] })],
        ['sysctl', () => readSysctl('net.ipv4.ip_forward', { netns: { name } })],
      ];
      for (const [what, call] of calls) {
        await expect((async () => call())(), `${what} ${JSON.stringify(name)}`).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      }
    }
    expect(readdirSync('/run/netns').sort()).toEqual(before);
    expect(existsSync('/tmp/x')).toBe(false);
  });

  it('a path that is not a namespace is a NamespaceError, never opened as one', async () => {
    await expect(enterNetns({ path: '/etc/passwd' }, { sockets: [0] })).rejects.toMatchObject({ name: 'NamespaceError', code: 'EINVAL' });
    await expect(enterNetns('/etc/passwd', { sockets: [0], entry: 'setns' })).rejects.toMatchObject({ name: 'NamespaceError', code: 'EINVAL' });
  });

  it('the namespace helper runs with an empty environment: NODE_OPTIONS and NODE_PATH of the caller never reach it', () =>
    withNamespaces(1, async (a) => {
      const evil = plantedRequire();
      const fakeModules = mkdtempSync(path.join(scratch, 'modules-'));
      mkdirSync(path.join(fakeModules, 'ffi-rs'));
      writeFileSync(path.join(fakeModules, 'ffi-rs', 'index.js'), `require(${JSON.stringify(evil.file)});\n`);
      const seen: { cmdline: string; environ: string }[] = [];
      const poll = setInterval(() => seen.push(...helperChildren()), 1);
      try {
        await withEnv({ NODE_OPTIONS: `--require ${evil.file}`, NODE_PATH: fakeModules, LD_LIBRARY_PATH: fakeModules }, async () => {
          for (let i = 0; i < 20 && seen.length === 0; i++) {
            const r = await enterNetns(a, { sockets: [0] });
            libc.close(r.sockets[0]!);
          }
        });
      } finally {
        clearInterval(poll);
      }
      expect(existsSync(evil.marks)).toBe(false);
      expect(seen.length).toBeGreaterThan(0);
      for (const h of seen) expect(h.environ).toBe('');
    }));

  it("netns exec: the command gets the caller's environment, the helper before it does not", () =>
    withNamespaces(1, async (a) => {
      const evil = plantedRequire();
      const env = { PATH: '/usr/bin:/bin', NODE_OPTIONS: `--require ${evil.file}`, FOO: 'a b\nc', EMPTY: '' };
      const r = await runInNetns(a, ['/usr/bin/env', '-0'], { env });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout.split('\0').filter(Boolean).sort()).toEqual(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      );
      // Through process.env too, and a Node command does see its NODE_OPTIONS (it is the caller's choice).
      const viaProcess = await withEnv({ NODE_OPTIONS: `--require ${evil.file}` }, () => runInNetns(a, ['/bin/true']));
      expect(viaProcess.code).toBe(0);
      expect(existsSync(evil.marks)).toBe(false);
      const node = await runInNetns(a, [process.execPath, '-e', '0'], { env });
      expect(node.code).toBe(0);
      expect(readFileSync(evil.marks, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    }));

  it('netns exec: signals, exit status and a missing command behave as with ip netns exec', () =>
    withNamespaces(1, async (a) => {
      // SIGPIPE is not left ignored for the command (Node ignores it in its own process).
      const r = await runInNetns(a, ['/bin/sh', '-c', 'yes | head -n 1; grep -E "^Sig(Ign|Blk)" /proc/self/status']);
      expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'y\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n' });
      const missing = await runInNetns(a, ['nlts-no-such-command']);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toMatch(/nlts-no-such-command.*No such file or directory/);
      const killed = await runInNetns(a, ['/bin/sh', '-c', 'kill -TERM $$']);
      expect(killed).toMatchObject({ code: null, signal: 'SIGTERM' });
    }));

  it('writeSysctl with a value the kernel refuses is an InvalidArgumentError; other failures name their errno', () =>
    withNamespaces(1, async (a) => {
      for (const entry of ['helper', 'setns'] as const) {
        const err = await writeSysctl('net.ipv4.ip_forward', 'yes', { netns: a, entry }).catch((e: unknown) => e);
        expect(err).toMatchObject({ name: 'InvalidArgumentError', argument: 'sysctl value', value: 'yes' });
        expect((err as Error).message).toMatch(/net\.ipv4\.ip_forward.*EINVAL \(Invalid argument\)/);
        expect(await readSysctl('net.ipv4.ip_forward', { netns: a, entry })).toBe('0');
        // net.ipv4.route.flush is write-only (mode 0200): reading it is EACCES.
        const denied = await readSysctl('net.ipv4.route.flush', { netns: a, entry }).catch((e: unknown) => e);
        expect(denied).toMatchObject({ name: 'TransportError', errno: 13, code: 'EACCES' });
        expect((denied as Error).message).toMatch(/net\.ipv4\.route\.flush.*EACCES \(Permission denied\)/);
      }
    }));

  it(
    'without privileges, netns add (and entering) say "Operation not permitted" (EPERM), not an errno number',
    () =>
      withNamespaces(1, async (a) => {
        const name = uniqueName('unpriv');
        const script = path.join(scratch, 'unpriv.mts');
        const src = (f: string) => JSON.stringify(path.resolve('src/netns', f));
        writeFileSync(
          script,
          `import { addNetns } from ${src('manage.ts')};\nimport { enterNetns } from ${src('enter.ts')};\n` +
            'const show = (e) => ({ name: e.name, code: e.code, message: e.message });\nconst out = [];\n' +
            `try { await addNetns(${JSON.stringify(name)}); out.push({}); } catch (e) { out.push(show(e)); }\n` +
            `for (const entry of ['helper', 'setns']) {\n` +
            `  try { await enterNetns(${JSON.stringify(a)}, { entry, sockets: [0] }); out.push({}); } catch (e) { out.push(show(e)); }\n}\n` +
            'console.log(JSON.stringify(out));\n',
        );
        chmodSync(scratch, 0o755);
        chmodSync(script, 0o644);
        try {
          for (const drop of [['--bounding-set=-all'], ['--reuid=65534', '--regid=65534', '--clear-groups']]) {
            const r = spawnSync('/usr/bin/setpriv', [...drop, '--', process.execPath, '--import', 'tsx', script], { encoding: 'utf8' });
            expect(r.status, r.stderr).toBe(0);
            const errors = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; code: string; message: string }[];
            expect(errors).toHaveLength(3);
            for (const err of errors) {
              expect(err).toMatchObject({ name: 'NamespaceError', code: 'EPERM' });
              expect(err.message).toMatch(/EPERM \(Operation not permitted\)|EACCES \(Permission denied\)/);
              expect(err.message).not.toMatch(/errno \d/);
            }
            expect(existsSync(`/run/netns/${name}`)).toBe(false);
          }
          // The CLI prints it as ip does, with the errno's name.
          const cliArgv = [process.execPath, '--import', 'tsx', 'src/cli/main.ts'];
          const cli = spawnSync('/usr/bin/setpriv', ['--bounding-set=-all', '--', ...cliArgv, 'netns', 'add', name], { encoding: 'utf8' });
          expect(cli.status).toBe(1);
          expect(cli.stderr).toMatch(/^mount --make-shared \/run\/netns failed: EPERM \(Operation not permitted\)\n$/);
        } finally {
          removeNetns(name);
        }
      }),
    60_000,
  );

  it('test namespaces carry the unique prefix', () => {
    expect(uniqueName()).toMatch(new RegExp(`^${PREFIX}`));
    expect(execFileSync('id', ['-u'], { encoding: 'utf8' }).trim()).toBe('0');
  });
});
