/**
 * `nlts netns`, `nlts -n NAME ...` and `nlts sysctl` through the CLI's main(), output captured;
 * `ip` as the oracle.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ip, ipJson, privileged, removeNetns, skipReason, uniqueName, withNamespaces } from './support.js';
import { runNlts } from '../cli/support/run.js';

if (!privileged) console.warn(`[netns cli] skipped: ${skipReason}`);

const nlts = (...argv: string[]) => runNlts(argv);

describe.skipIf(!privileged)('nlts netns / -n / sysctl', () => {
  afterEach(() => vi.restoreAllMocks());

  it('netns add, list (text and JSON, with ids as -n NAME sees them), del', async () => {
    const a = uniqueName('cli');
    const b = uniqueName('cli');
    try {
      expect(await nlts('netns', 'add', a)).toMatchObject({ code: 0 });
      expect(await nlts('netns', 'add', b)).toMatchObject({ code: 0 });
      expect((await nlts('netns', 'list')).out.split('\n')).toEqual(expect.arrayContaining([a, b]));
      expect(await nlts('-n', a, 'netns', 'set', b, '9')).toMatchObject({ code: 0 });
      const listed = JSON.parse((await nlts('-n', a, '-j', 'netns', 'list')).out) as { name: string; id?: number }[];
      expect(listed).toEqual(expect.arrayContaining([{ name: b, id: 9 }]));
      expect(JSON.parse(ip('-n', a, '-j', 'netns', 'list'))).toEqual(expect.arrayContaining([{ name: b, id: 9 }]));
      expect((await nlts('-n', a, 'netns', 'list-id')).out).toBe(`nsid 9 (iproute2 netns name: ${b})\n`);
      expect(await nlts('netns', 'add', a)).toMatchObject({ code: 1, err: expect.stringMatching(/already exists/) });
      expect(await nlts('netns', 'add', 'x/y')).toMatchObject({ code: 1, err: 'Invalid netns name "x/y"\n' });
      expect(await nlts('netns', 'del', a)).toMatchObject({ code: 0 });
      expect(ip('netns', 'list')).not.toContain(`${a}\n`);
    } finally {
      removeNetns(a);
      removeNetns(b);
    }
  });

  it('link add veth1 netns A type veth peer name veth2 netns B; link set X netns NAME; -n NAME', () =>
    withNamespaces(2, async (a, b) => {
      expect(await nlts('-n', a, 'link', 'add', 'veth1', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth2', 'netns', b)).toMatchObject({ code: 0 });
      expect(ipJson(a, 'link', 'show', 'veth1')[0].ifname).toBe('veth1');
      expect(ipJson(b, 'link', 'show', 'veth2')[0].ifname).toBe('veth2');
      expect(await nlts('-n', b, 'link', 'set', 'veth2', 'netns', a)).toMatchObject({ code: 0 });
      expect(
        ipJson(a, 'link', 'show')
          .map((l: any) => l.ifname)
          .sort(),
      ).toEqual(['lo', 'veth1', 'veth2']);
      const shown = JSON.parse((await nlts('-n', a, '-j', 'link', 'show')).out)
        .map((l: any) => l.ifname)
        .sort();
      expect(shown).toEqual(['lo', 'veth1', 'veth2']);
      expect(await nlts('-n', a, 'link', 'set', 'veth1', 'netns', uniqueName('nope'))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/Cannot open network namespace/),
      });
      expect(await nlts('-n', uniqueName('nope'), 'link', 'show')).toMatchObject({
        code: 1,
        err: expect.stringMatching(/Cannot open network namespace/),
      });
    }));

  it('sysctl KEY=VALUE and KEY in a namespace, never the current one', () =>
    withNamespaces(1, async (a) => {
      const before = (await nlts('sysctl', 'net.ipv4.ip_forward')).out;
      expect(await nlts('-n', a, 'sysctl', 'net.ipv4.ip_forward=1')).toMatchObject({ code: 0, out: 'net.ipv4.ip_forward = 1\n' });
      expect(await nlts('-n', a, '-j', 'sysctl', 'net.ipv4.ip_forward', 'net.ipv4.conf.lo.forwarding')).toMatchObject({
        out: '[{"key":"net.ipv4.ip_forward","value":"1"},{"key":"net.ipv4.conf.lo.forwarding","value":"1"}]\n',
      });
      expect((await nlts('sysctl', 'net.ipv4.ip_forward')).out).toBe(before);
      expect(await nlts('-n', a, 'sysctl', 'kernel.hostname')).toMatchObject({ code: 1, err: expect.stringMatching(/machine-wide/) });
    }));
});
