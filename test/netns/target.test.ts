/** Names, targets and sysctl keys: checked before anything touches the system (no privileges needed). */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/api/errors.js';
import { isNamespaceError } from '../../src/netns/errors.js';
import { sysctlPath } from '../../src/netns/sysctl.js';
import { checkNetnsName, netnsPath, resolveNetns } from '../../src/netns/target.js';

describe('namespace names (ip netns rules)', () => {
  it('accepts what ip accepts', () => {
    for (const ok of ['a', 'blue', 'ns-1.2_x', 'x'.repeat(255), 'with space', 'ünï']) expect(checkNetnsName(ok)).toBe(ok);
    expect(netnsPath('blue')).toBe('/run/netns/blue');
  });
  it('refuses empty, "/", ".", "..", NUL and over-long names', () => {
    for (const bad of ['', '.', '..', 'a/b', '/abs', 'x'.repeat(256), 'é'.repeat(128), 'a\0b', 42, undefined]) {
      expect(() => checkNetnsName(bad), String(bad)).toThrow(InvalidArgumentError);
    }
  });
  it('resolving refuses malformed targets and reports a missing namespace as ENOENT', () => {
    expect(() => resolveNetns({ pid: -1 })).toThrow(InvalidArgumentError);
    expect(() => resolveNetns({ fd: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => resolveNetns({} as never)).toThrow(InvalidArgumentError);
    try {
      resolveNetns({ path: '/nonexistent/netns/file' });
      throw new Error('no error');
    } catch (err) {
      expect(isNamespaceError(err)).toBe(true);
      expect((err as { code: string }).code).toBe('ENOENT');
    }
  });
  it('a path that is not on nsfs is not a namespace (EINVAL)', () => {
    try {
      resolveNetns('/etc/hostname');
      throw new Error('no error');
    } catch (err) {
      expect(isNamespaceError(err), String(err)).toBe(true);
      expect((err as { code: string }).code).toBe('EINVAL');
    }
  });
  it('the own namespace resolves through /proc/self', () => {
    const a = resolveNetns({ path: '/proc/self/ns/net' });
    const b = resolveNetns({ pid: process.pid });
    expect(a.key).toBe(b.key);
  });
});

describe('sysctl keys', () => {
  it('maps dotted and slashed keys to /proc/sys/net paths', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toEqual({ key: 'net.ipv4.ip_forward', path: '/proc/sys/net/ipv4/ip_forward' });
    expect(sysctlPath('net/ipv4/conf/eth0.100/forwarding')).toEqual({
      key: 'net.ipv4.conf.eth0/100.forwarding',
      path: '/proc/sys/net/ipv4/conf/eth0.100/forwarding',
    });
    expect(sysctlPath('net.ipv4.conf.eth0/100.forwarding').path).toBe('/proc/sys/net/ipv4/conf/eth0.100/forwarding');
    expect(sysctlPath('/proc/sys/net/ipv6/conf/all/forwarding').key).toBe('net.ipv6.conf.all.forwarding');
  });
  it('refuses machine-wide keys and path tricks', () => {
    for (const bad of ['kernel.hostname', 'vm.swappiness', 'net', 'net..ipv4', 'net/../kernel/hostname', 'net.ipv4./..', '', 7]) {
      expect(() => sysctlPath(bad), String(bad)).toThrow(InvalidArgumentError);
    }
  });
});
