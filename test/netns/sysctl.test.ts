/**
 * Per-namespace sysctls: read and written inside the namespace (files opened there by the helper or
 * by setns), never the root namespace's values. `ip netns exec NS sysctl` is the oracle.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { NotFoundError } from '../../src/api/errors.js';
import { readSysctl, sysctl, writeSysctl } from '../../src/netns/sysctl.js';
import { privileged, skipReason, withNamespaces } from './support.js';

if (!privileged) console.warn(`[netns sysctl] skipped: ${skipReason}`);

const oracle = (ns: string, key: string) => execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
const rootValue = (path: string) => readFileSync(path, 'utf8').trim();

describe.skipIf(!privileged)('per-namespace sysctls', () => {
  for (const entry of ['helper', 'setns'] as const) {
    it(`${entry}: ip_forward and per-interface forwarding change in the namespace only`, () =>
      withNamespaces(2, async (a, b) => {
        const rootForward = rootValue('/proc/sys/net/ipv4/ip_forward');
        const rootAll = rootValue('/proc/sys/net/ipv4/conf/all/forwarding');
        const nl = await NetlinkClient.connect({ netns: a });
        try {
          await nl.links.add({ name: 'fw0', kind: 'veth', peer: { name: 'fw1' } });
        } finally {
          nl.close();
        }
        expect(await readSysctl('net.ipv4.ip_forward', { netns: a, entry })).toBe('0');
        await writeSysctl('net.ipv4.ip_forward', 1, { netns: a, entry });
        expect(oracle(a, 'net.ipv4.ip_forward')).toBe('1');
        expect(oracle(b, 'net.ipv4.ip_forward')).toBe('0');
        await writeSysctl('net.ipv6.conf.fw0.forwarding', true, { netns: a, entry });
        expect(oracle(a, 'net.ipv6.conf.fw0.forwarding')).toBe('1');
        expect(oracle(a, 'net.ipv6.conf.fw1.forwarding')).toBe('0');
        // several in one entry
        expect(
          await sysctl(['net.ipv4.ip_forward', ['net.ipv4.conf.fw1.forwarding', 1], 'net/ipv4/conf/fw1/forwarding'], { netns: a, entry }),
        ).toEqual([
          { key: 'net.ipv4.ip_forward', value: '1' },
          { key: 'net.ipv4.conf.fw1.forwarding', value: '1' },
          { key: 'net.ipv4.conf.fw1.forwarding', value: '1' },
        ]);
        // a key that only exists in A
        await expect(readSysctl('net.ipv4.conf.fw0.forwarding', { netns: b, entry })).rejects.toThrow(NotFoundError);
        // the root namespace's values are untouched
        expect(rootValue('/proc/sys/net/ipv4/ip_forward')).toBe(rootForward);
        expect(rootValue('/proc/sys/net/ipv4/conf/all/forwarding')).toBe(rootAll);
      }));
  }

  it("bad values (the kernel's EINVAL) are InvalidArgumentErrors; machine-wide keys are refused", () =>
    withNamespaces(1, async (a) => {
      await expect(writeSysctl('net.ipv4.ip_forward', 'banana', { netns: a })).rejects.toMatchObject({
        name: 'InvalidArgumentError',
        message: expect.stringMatching(/EINVAL/),
      });
      await expect(readSysctl('kernel.hostname', { netns: a })).rejects.toThrow(/machine-wide/);
      expect(oracle(a, 'net.ipv4.ip_forward')).toBe('0');
    }));
});
