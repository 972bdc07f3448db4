/** Argument parsing: global options, keyword prefixes, kind options, prefixes and globs. */
import { describe, expect, it } from 'vitest';
import { Args, parseUnsigned } from '../../src/cli/args.js';
import { parseKindArgs, snakeToCamel } from '../../src/cli/commands/link-kind-args.js';
import { fnmatch, parseCliPrefix, prefixMatches } from '../../src/cli/commands/prefix.js';
import { UsageError } from '../../src/cli/context.js';
import { parseGlobal } from '../../src/cli/main.js';

describe('global options', () => {
  it('reads ip-style options up to the object', () => {
    const { options, rest } = parseGlobal(['-j', '-p', '-d', '-s', '-s', '-6', '--record', 'f.pcap', 'addr', 'show']);
    expect(options).toMatchObject({ json: true, pretty: true, details: true, stats: 2, family: 'inet6', record: 'f.pcap' });
    expect(rest).toEqual(['addr', 'show']);
  });
  it('accepts long and abbreviated spellings', () => {
    expect(parseGlobal(['-json', '--details', '-stat', '-4', 'l']).options).toMatchObject({ json: true, details: true, stats: 1, family: 'inet' });
    expect(parseGlobal(['-n', 'blue', 'link']).options.netns).toBe('blue');
  });
  it('refuses unknown options and missing values with exit-1 usage errors', () => {
    expect(() => parseGlobal(['-x', 'link'])).toThrow(UsageError);
    expect(() => parseGlobal(['-x'])).toThrow(/Option "-x" is unknown/);
    expect(() => parseGlobal(['--record'])).toThrow(/needs a file name/);
    expect(() => parseGlobal(['-n'])).toThrow(/needs a namespace name/);
  });
});

describe('Args cursor', () => {
  it('matches keywords by prefix as ip does', () => {
    const a = new Args(['mt', '1400', 'dev', 'eth0'], 'Usage: nlts link');
    expect(a.accept('mtu')).toBe(true);
    expect(a.u32('mtu')).toBe(1400);
    expect(a.accept('mtu')).toBe(false);
    expect(a.acceptExact('dev')).toBe(true);
    expect(a.value('dev')).toBe('eth0');
    expect(a.done).toBe(true);
  });
  it('says the command line is incomplete, or the value wrong', () => {
    expect(() => new Args([], 'u').value('mtu')).toThrow(/Command line is not complete/);
    const a = new Args(['0x10', 'x'], 'u');
    expect(a.u32('mark')).toBe(16);
    expect(() => a.u32('mark')).toThrow(/argument "x" is wrong/);
  });
  it('parses numbers like strtoul(s, 0)', () => {
    expect(parseUnsigned('42')).toBe(42);
    expect(parseUnsigned('0x2a')).toBe(42);
    expect(parseUnsigned('052')).toBe(42);
    expect(parseUnsigned('4x')).toBeUndefined();
  });
});

describe('link kind options', () => {
  const kind = (k: string, words: string[]) => parseKindArgs(k, new Args(words, 'u'));
  it('maps snake_case to the spec names generically', () => {
    expect(snakeToCamel('forward_delay')).toBe('forwardDelay');
    expect(kind('bridge', ['stp_state', '0', 'forward_delay', '400', 'vlan_protocol', '802.1ad']).data).toEqual({
      stpState: 0,
      forwardDelay: 400,
      vlanProtocol: '8021ad',
    });
    expect(kind('bridge', ['mcast_last_member_interval', '100']).data).toEqual({ mcastLastMemberIntvl: 100n });
  });
  it("knows ip's vxlan spellings", () => {
    const r = kind('vxlan', [
      'id',
      '42',
      'dstport',
      '4789',
      'local',
      '10.0.0.1',
      'remote',
      '10.0.0.2',
      'dev',
      'veth0',
      'nolearning',
      'ttl',
      'auto',
      'srcport',
      '1000',
      '2000',
    ]);
    expect(r.data).toEqual({ id: 42, port: 4789, local: '10.0.0.1', group: '10.0.0.2', learning: 0, ttl: 0, portRange: { low: 1000, high: 2000 } });
    expect(r.devices).toEqual({ link: 'veth0' });
    expect(kind('vxlan', ['remote', '2001:db8::2']).data).toEqual({ group6: '2001:db8::2' });
  });
  it('macvlan modes and flags, bridge port options, veth peers', () => {
    expect(kind('macvlan', ['mode', 'bridge', 'nopromisc']).data).toEqual({ mode: 'bridge', flags: ['nopromisc'] });
    expect(kind('bridge_slave', ['cost', '10', 'hairpin', 'on', 'state', '3']).data).toEqual({ cost: 10, mode: 1, state: 3 });
    expect(kind('veth', ['peer', 'name', 'veth1', 'mtu', '1400']).peer).toEqual(['name', 'veth1', 'mtu', '1400']);
  });
  it('refuses unknown words and bad values as ip does', () => {
    expect(() => kind('bridge', ['foo', '1'])).toThrow(/bridge: unknown command "foo"\?/);
    expect(() => kind('bridge', ['stp_state', 'x'])).toThrow(/argument "x" is wrong: invalid stp_state/);
    expect(() => kind('bridge', ['priority', '70000'])).toThrow(/invalid priority/);
    expect(() => kind('veth', ['foo'])).toThrow(/veth: unknown command "foo"/);
  });
});

describe('prefixes and labels', () => {
  const p = (s: string) => parseCliPrefix(s, new Args([], 'u'));
  it('reads prefixes like get_prefix', () => {
    expect(p('10.0.0.0/8')).toMatchObject({ family: 'inet', bits: 8, explicit: true });
    expect(p('2001:db8::1')).toMatchObject({ family: 'inet6', bits: 128, explicit: false });
    expect(p('default').bits).toBe(0);
    expect(() => p('10.0.0.256')).toThrow(/any valid prefix/);
    expect(() => p('10.0.0.0/33')).toThrow(/any valid prefix/);
  });
  it('matches addresses against prefixes', () => {
    expect(prefixMatches(p('10.0.0.0/8'), '10.200.1.1')).toBe(true);
    expect(prefixMatches(p('10.0.0.0/9'), '10.200.1.1')).toBe(false);
    expect(prefixMatches(p('2001:db8::/32'), '2001:db8:1::1')).toBe(true);
    expect(prefixMatches(p('10.0.0.0/8'), '2001:db8::1')).toBe(false);
  });
  it('globs like fnmatch', () => {
    expect(fnmatch('eth0:*', 'eth0:web')).toBe(true);
    expect(fnmatch('eth?', 'eth1')).toBe(true);
    expect(fnmatch('eth[0-2]', 'eth3')).toBe(false);
    expect(fnmatch('a.b', 'axb')).toBe(false);
  });
});
