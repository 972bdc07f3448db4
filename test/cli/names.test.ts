/**
 * Interface names and alternative names through `nlts`, and ip's wording where nlts used its own:
 * each case runs through ip (the oracle) and nlts (in-process, `-n NS`) in throwaway namespaces.
 * Usage errors exit 1 where ip exits 255 (docs/cli.md, deliberate differences).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';
import { normalizeJson, normalizeText } from './support/normalize.js';
import { runNlts } from './support/run.js';

if (!privileged) console.warn(`[cli names] skipped: ${skipReason}`);

interface Out {
  out: string;
  err: string;
  code: number;
}

function ipRun(ns: TestNetns, args: string[]): Out {
  const r = spawnSync('ip', ['-n', ns.name, ...args], { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

const nltsRun = (ns: TestNetns, args: string[]): Promise<Out> => runNlts(['-n', ns.name, ...args]);

const firstLine = (s: string) => s.split('\n')[0]!.replace(/\bnlts\b/g, 'ip');
const LONG = 'this-is-a-long-altname-0123456789';
const LONGEST = 'a'.repeat(127);

/** Two namespaces with the same links: ip changes one, nlts the other. */
function setUp(ns: TestNetns): void {
  ns.ip('link', 'add', 'd0', 'address', '02:00:00:00:00:d0', 'type', 'bridge');
  ns.ip('link', 'add', 'v0', 'address', '02:00:00:00:00:a0', 'type', 'veth', 'peer', 'name', 'v1', 'address', '02:00:00:00:00:a1');
}

describe.skipIf(!privileged)('nlts: names ip calls not valid, and altnames', () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeAll(() => {
    a = createNetns();
    b = createNetns();
    setUp(a);
    setUp(b);
  });
  afterAll(() => {
    if (a) deleteNetns(a);
    if (b) deleteNetns(b);
  });

  async function sameFailure(args: string[]): Promise<Out> {
    const i = ipRun(a, args);
    const n = await nltsRun(b, args);
    expect(i.code, `ip ${args.join(' ')}`).not.toBe(0);
    expect(firstLine(n.err), `nlts ${args.join(' ')}`).toBe(firstLine(i.err));
    expect(n.code, `nlts ${args.join(' ')}`).toBe(i.code === 255 ? 1 : i.code);
    expect(n.out).toBe('');
    return n;
  }

  it('new names ip refuses: ip\'s "not a valid ifname", and the reason on the next line', async () => {
    const cases: [string[], RegExp][] = [
      [['link', 'add', 'name', 'abcdefghijklmnop', 'type', 'bridge'], /16 bytes long; the kernel allows at most 15/],
      [['link', 'add', 'name', 'a/b', 'type', 'bridge'], /\//],
      [['link', 'add', 'a/b', 'type', 'bridge'], /\//],
      [['link', 'add', 'a b', 'type', 'bridge'], /whitespace/],
      [['link', 'add', 'name', '', 'type', 'bridge'], /empty/],
      [['link', 'add', 'v9', 'type', 'veth', 'peer', 'name', 'abcdefghijklmnopq'], /17 bytes/],
      [['link', 'add', 'v9', 'type', 'veth', 'peer', 'name', 'a/b'], /\//],
      [['link', 'set', 'd0', 'name', 'abcdefghijklmnop'], /16 bytes/],
      [['link', 'set', 'd0', 'name', 'a/b'], /\//],
    ];
    for (const [args, why] of cases) {
      const n = await sameFailure(args);
      expect(n.err.split('\n')[1], args.join(' ')).toMatch(why);
      expect(n.err.trim().split('\n')).toHaveLength(2);
    }
    const names = b.ipJson('link', 'show').map((l: { ifname: string }) => l.ifname);
    expect(names.sort()).toEqual(['d0', 'lo', 'v0', 'v1']);
  });

  it('new names ip leaves to the kernel (16 bytes as DEVICE, ".", ":", a 0xa0 byte): refused first, in the same words', async () => {
    const cases: [string[], string, string][] = [
      [['link', 'add', 'abcdefghijklmnop', 'type', 'bridge'], 'abcdefghijklmnop', 'dev'],
      [['link', 'add', 'name', '.', 'type', 'bridge'], '.', 'name'],
      [['link', 'add', 'name', '..', 'type', 'bridge'], '..', 'name'],
      [['link', 'add', 'name', 'a:b', 'type', 'bridge'], 'a:b', 'name'],
      // the kernel's isspace() counts 0xa0, the second byte of 'à' in UTF-8
      [['link', 'add', 'name', 'à', 'type', 'bridge'], 'à', 'name'],
      [['link', 'add', 'v9', 'type', 'veth', 'peer', 'name', '..'], '..', 'name'],
      [['link', 'set', 'd0', 'name', 'a:b'], 'a:b', 'name'],
    ];
    for (const [args, name, keyword] of cases) {
      expect(ipRun(a, args).code, `ip ${args.join(' ')}`).toBe(2);
      const n = await nltsRun(b, args);
      expect(n.err.split('\n')[0], args.join(' ')).toBe(`Error: argument "${name}" is wrong: "${keyword}" not a valid ifname`);
      expect(n.code).toBe(1);
    }
    // names the kernel takes are taken
    expect((await nltsRun(b, ['link', 'add', 'name', 'é中', 'type', 'bridge'])).code).toBe(0);
    expect(b.ipJson('link', 'show', 'é中')).toHaveLength(1);
    ipRun(b, ['link', 'del', 'é中']);
  });

  it("devices looked up: ip's words for names it refuses and for names that are not there", async () => {
    for (const args of [
      ['link', 'set', 'dev', 'a/b', 'up'],
      ['link', 'set', 'dev', '', 'up'],
      ['link', 'del', 'a/b'],
      ['link', 'set', 'dev', 'abcdefghijklmnop', 'up'],
      ['link', 'del', 'abcdefghijklmnop'],
      ['link', 'del', '.'],
      ['link', 'show', 'a/b'],
      ['link', 'show', 'abcdefghijklmnop'],
      ['link', 'show', 'dev', LONG],
      ['addr', 'show', 'dev', 'a/b'],
      ['addr', 'add', '10.0.0.1/24', 'dev', 'a/b'],
      ['route', 'add', '10.0.0.0/24', 'dev', 'a/b'],
      ['neigh', 'add', '10.0.0.9', 'dev', 'a/b', 'lladdr', '02:00:00:00:00:01'],
    ]) {
      await sameFailure(args);
    }
  });

  it('link property add / del: the same altnames as ip, up to 127 bytes', async () => {
    const lines = [
      ['link', 'property', 'add', 'dev', 'd0', 'altname', 'short1'],
      ['link', 'property', 'add', 'dev', 'd0', 'altname', LONG, 'altname', 'second-alt'],
      ['link', 'prop', 'add', 'd0', 'altname', LONGEST],
      ['link', 'property', 'add', 'dev', 'd0', 'altname', '.', 'altname', 'a:b'],
      ['link', 'property', 'add', 'dev', 'd0'],
      ['link', 'property', 'del', 'dev', 'd0', 'altname', 'short1', 'altname', 'a:b'],
      ['link', 'property', 'del', 'dev', LONG, 'altname', 'second-alt'],
    ];
    for (const l of lines) {
      expect(ipRun(a, l)).toMatchObject({ code: 0, err: '' });
      expect(await nltsRun(b, l), l.join(' ')).toEqual({ code: 0, out: '', err: '' });
    }
    expect(b.ipJson('link', 'show', 'd0')[0].altnames).toEqual([LONG, LONGEST, '.']);
    expect(normalizeJson(b.ipJson('link', 'show'))).toEqual(normalizeJson(a.ipJson('link', 'show')));
  });

  it('finds a link by an altname, short or long, as ip does: show, set, addr add, del', async () => {
    ipRun(a, ['link', 'property', 'add', 'dev', 'v0', 'altname', 'alt0', 'altname', 'v0-also-known-as-uplink']);
    ipRun(b, ['link', 'property', 'add', 'dev', 'v0', 'altname', 'alt0', 'altname', 'v0-also-known-as-uplink']);
    for (const args of [
      ['link', 'show', 'alt0'],
      ['link', 'show', 'v0-also-known-as-uplink'],
      ['-j', 'link', 'show', 'dev', 'v0-also-known-as-uplink'],
      ['-j', '-d', 'link', 'show', LONG],
      ['-j', 'link', 'show', LONGEST],
      ['-j', 'addr', 'show', 'dev', 'v0-also-known-as-uplink'],
    ]) {
      const i = ipRun(b, args);
      const n = await nltsRun(b, args);
      expect(n.err, args.join(' ')).toBe(i.err);
      expect(n.code, args.join(' ')).toBe(0);
      if (args[0] === '-j') expect(normalizeJson(JSON.parse(n.out)), args.join(' ')).toEqual(normalizeJson(JSON.parse(i.out)));
      else expect(normalizeText(n.out), args.join(' ')).toBe(normalizeText(i.out));
    }
    for (const l of [
      ['link', 'set', 'v0-also-known-as-uplink', 'mtu', '1400', 'up'],
      ['link', 'set', 'dev', 'alt0', 'alias', 'uplink'],
      ['addr', 'add', '10.1.1.1/24', 'dev', 'v0-also-known-as-uplink'],
      ['route', 'add', '10.2.0.0/16', 'via', '10.1.1.2', 'dev', 'v0-also-known-as-uplink'],
      ['link', 'set', 'v1', 'master', LONG],
      ['link', 'del', LONG],
    ]) {
      const i = ipRun(a, l);
      const n = await nltsRun(b, l);
      expect(n, l.join(' ')).toEqual({ code: i.code === 255 ? 1 : i.code, out: i.out, err: i.err.replace(/\bip\b/g, 'nlts') });
    }
    for (const s of [
      ['-d', 'link', 'show'],
      ['addr', 'show'],
      ['route', 'show'],
    ])
      expect(normalizeJson(b.ipJson(...s)), s.join(' ')).toEqual(normalizeJson(a.ipJson(...s)));
  });

  it("link property: ip's errors", async () => {
    ipRun(a, ['link', 'property', 'add', 'dev', 'v1', 'altname', 'taken1']);
    ipRun(b, ['link', 'property', 'add', 'dev', 'v1', 'altname', 'taken1']);
    for (const args of [
      ['link', 'property', 'add', 'dev', 'v1', 'altname', 'taken1'],
      ['link', 'property', 'add', 'dev', 'v1', 'altname', 'a/b'],
      ['link', 'property', 'add', 'dev', 'v1', 'altname', 'a b'],
      ['link', 'property', 'add', 'dev', 'v1', 'altname', ''],
      ['link', 'property', 'add', 'dev', 'v1', 'altname'],
      ['link', 'property', 'add', 'altname', 'x'],
      ['link', 'property', 'add', 'dev', 'nope', 'altname', 'x'],
      ['link', 'property', 'add', 'dev', 'a/b', 'altname', 'x'],
      ['link', 'property', 'add', 'v1', 'v0', 'altname', 'x'],
      ['link', 'property', 'del', 'dev', 'v1', 'altname', 'notthere'],
      ['link', 'property', 'frob', 'dev', 'v1', 'altname', 'x'],
    ]) {
      const n = await sameFailure(args);
      expect(n.err.trim().split('\n').length, args.join(' ')).toBeLessThanOrEqual(2);
    }
    // 128 bytes: ip lets the kernel refuse it (policy), nlts refuses it first
    expect(ipRun(a, ['link', 'property', 'add', 'dev', 'v1', 'altname', 'b'.repeat(128)]).code).toBe(2);
    const n = await nltsRun(b, ['link', 'property', 'add', 'dev', 'v1', 'altname', 'b'.repeat(128)]);
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/^Error: argument "b{128}" is wrong: not a valid altname\n.*128 bytes long; the kernel allows at most 127/);
    const usage = await nltsRun(b, ['link', 'property']);
    expect(usage.code).toBe(1);
    expect(usage.err).toMatch(/nlts link property add dev DEVICE \[ altname NAME \.\. \]/);
    expect((await nltsRun(b, ['link', 'help'])).out).toMatch(/nlts link property del dev DEVICE \[ altname NAME \.\. \]/);
  });
});

describe.skipIf(!privileged)("nlts: ip's wording (route via, invalid values, hints)", () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeAll(() => {
    a = createNetns();
    b = createNetns();
    for (const ns of [a, b]) {
      setUp(ns);
      ns.ip('link', 'set', 'd0', 'up');
      ns.ip('addr', 'add', '10.0.0.1/24', 'dev', 'd0');
      ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'd0', 'nodad');
    }
  });
  afterAll(() => {
    if (a) deleteNetns(a);
    if (b) deleteNetns(b);
  });

  it('a gateway of the wrong family: ip\'s words, never a "gateway" keyword nlts does not have', async () => {
    for (const args of [
      ['route', 'add', '2001:db8:9::/48', 'via', '10.0.0.2'],
      ['-6', 'route', 'add', '2001:db8:9::/48', 'via', '10.0.0.2'],
      ['route', 'add', '2001:db8:9::/48', 'via', 'inet6', '10.0.0.2'],
      ['route', 'add', '2001:db8:9::/48', 'via', 'inet', '10.0.0.2'],
      ['-6', 'route', 'add', '2001:db8:9::/48', 'via', 'inet', '10.0.0.2'],
      ['route', 'add', '2001:db8:9::/48', 'nexthop', 'via', '10.0.0.2', 'nexthop', 'via', '10.0.0.3'],
      ['route', 'add', '10.9.0.0/16', 'via', '2001:db8::2'],
      ['route', 'add', '10.9.0.0/16', 'via', 'inet', '2001:db8::2'],
      ['route', 'add', '10.9.0.0/16', 'nexthop', 'via', '2001:db8::2', 'dev', 'd0'],
      ['route', 'add', '10.9.0.0/16', 'via', 'foo'],
      ['route', 'add', 'via', 'foo', '10.9.0.0/16'],
      ['route', 'add', 'via', '10.0.0.2', '2001:db8:9::/48'],
      ['route', 'add', 'foo/16', 'dev', 'd0'],
    ]) {
      const i = ipRun(a, args);
      const n = await nltsRun(b, args);
      expect(i.code, `ip ${args.join(' ')}`).not.toBe(0);
      expect(firstLine(n.err), `nlts ${args.join(' ')}`).toBe(firstLine(i.err));
      expect(n.code, `nlts ${args.join(' ')}`).toBe(i.code);
      expect(n.err).not.toMatch(/gateway/);
    }
    // an IPv6 gateway of an IPv4 route is RTA_VIA when asked for: the same route as ip's
    const l = ['route', 'add', '10.9.0.0/16', 'via', 'inet6', 'fe80::1', 'dev', 'd0'];
    expect(ipRun(a, l).code).toBe(0);
    expect((await nltsRun(b, l)).code).toBe(0);
    expect(b.ipJson('route', 'show', '10.9.0.0/16')).toEqual(a.ipJson('route', 'show', '10.9.0.0/16'));
  });

  it("an invalid value: ip's line, then the hint (no empty line between)", async () => {
    for (const args of [
      ['route', 'show', 'table', 'foo'],
      ['route', 'add', '10.9.0.0/16', 'dev', 'd0', 'table', 'foo'],
      ['route', 'add', '10.9.0.0/16', 'dev', 'd0', 'proto', 'foo'],
      ['route', 'add', '10.9.0.0/16', 'dev', 'd0', 'scope', 'foo'],
      ['route', 'add', '10.9.0.0/16', 'dev', 'd0', 'pref', 'foo'],
      ['route', 'add', '10.9.0.0/16', 'via', '10.0.0.2', 'via', '10.0.0.3'],
      ['route', 'add', '10.9.0.0/16', 'nexthop', 'via', '10.0.0.2', 'weight', '0'],
    ]) {
      const i = ipRun(a, args);
      const n = await nltsRun(b, args);
      expect(n.err, args.join(' ')).toBe(`${firstLine(i.err).replace(/\bip\b/g, 'nlts')}\nTry "nlts route help".\n`);
      expect(n.code).toBe(1);
    }
  });

  it("unknown options, objects and commands: ip's line, and no second hint", async () => {
    for (const args of [['-x', 'link'], ['frob'], ['link', 'frob'], ['route', 'frob'], ['addr', 'frob']]) {
      const n = await nltsRun(b, args);
      expect(n.err, args.join(' ')).toBe(`${firstLine(ipRun(a, args).err).replace(/\bip\b/g, 'nlts')}\n`);
      expect(n.code).toBe(1);
    }
    // ip options nlts does not have: one line that says so, with one hint
    for (const opt of ['-br', '-brief', '-o', '-oneline', '-c', '-t']) {
      const n = await nltsRun(b, [opt, 'link']);
      expect(n.err.trim().split('\n'), opt).toHaveLength(1);
      expect(n.err, opt).toMatch(/not supported.*try "nlts -help"/);
      expect(n.code).toBe(1);
    }
  });
});
