/**
 * ethtool over generic netlink against the real kernel, in throwaway namespaces with a veth pair
 * (veth has features and channels, no rings). Debian's ethtool 6.1 and iproute2's genl are the
 * oracles: `nlts -n NS ethtool ...` must print what `ip netns exec NS ethtool ...` prints, on
 * stdout and stderr, with the same exit status; `nlts genl ctrl` what `genl ctrl` prints.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isInvalidArgumentError, isNotFoundError } from '../../src/api/errors.js';
import type { EthtoolEvent } from '../../src/api/ethtool.js';
import { isNotSupportedError } from '../../src/api/not-supported.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';
import { runNlts } from '../cli/support/run.js';

const tools = existsSync('/usr/sbin/ethtool') && existsSync('/usr/sbin/genl');
if (!privileged) console.warn(`skipping ethtool integration tests: ${skipReason}`);
else if (!tools) console.warn('skipping ethtool integration tests: ethtool or genl (the oracles) is not installed');

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A program run inside the namespace (ip netns exec): the oracle. */
function oracle(ns: TestNetns, cmd: string, ...args: string[]): Run {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, cmd, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const nlts = (...argv: string[]) => runNlts(argv);

function vethNetns(): TestNetns {
  const ns = createNetns();
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ns.ip('link', 'set', 'va', 'up');
  ns.ip('link', 'set', 'vb', 'up');
  ns.ip('link', 'set', 'lo', 'up');
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  return ns;
}

describe.skipIf(!privileged || !tools)('ethtool (kernel, ethtool 6.1 as the oracle)', () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeAll(() => {
    a = vethNetns();
    b = vethNetns();
  });
  afterAll(() => {
    if (a) deleteNetns(a);
    if (b) deleteNetns(b);
  });

  it('shows what ethtool shows: DEV, -k, -l, -g, for veth, loopback, bridge and a missing device', async () => {
    const commands = [
      ['va'],
      ['vb'],
      ['lo'],
      ['br0'],
      ['nodev'],
      ['-k', 'va'],
      ['-k', 'lo'],
      ['-l', 'va'],
      ['-g', 'va'],
      ['-k', 'nodev'],
      ['-l', 'nodev'],
    ];
    for (const args of commands) {
      const want = oracle(a, 'ethtool', ...args);
      expect(await nlts('-n', a.name, 'ethtool', ...args), args.join(' ')).toEqual(want);
    }
  });

  it('changes what ethtool changes: -K and -L sequences give the same output and the same state', async () => {
    const steps = [
      ['-K', 'va', 'tx', 'off'],
      ['-K', 'va', 'tx', 'on'],
      ['-K', 'va', 'sg', 'off', 'gro', 'on'],
      ['-K', 'va', 'tx-checksum-ip-generic', 'off'],
      ['-K', 'va', 'tso', 'off', 'lro', 'on'],
      ['-K', 'nodev', 'tx', 'on'],
      ['-L', 'va', 'rx', '2'],
      ['-L', 'va', 'rx', '1', 'tx', '2'],
      ['-L', 'va', 'combined', '1'],
      ['-L', 'va', 'foo', '1'],
      ['-L', 'va', 'rx', 'abc'],
      ['-G', 'va', 'rx', '10'],
      ['-K', 'va'],
    ];
    for (const args of steps) {
      const want = oracle(a, 'ethtool', ...args);
      expect(await nlts('-n', b.name, 'ethtool', ...args), args.join(' ')).toEqual(want);
    }
    for (const args of [
      ['-k', 'va'],
      ['-l', 'va'],
    ])
      expect((await nlts('-n', b.name, 'ethtool', ...args)).out).toBe(oracle(a, 'ethtool', ...args).out);
  });

  it('nl.ethtool: features, setFeatures (group and kernel names), channels, typed errors', async () => {
    const c = vethNetns(); // its own: the features as a new veth has them
    const nl = NetlinkClient.open({ netns: c.name });
    try {
      await nl.ethtool.setFeatures('va', { tx: true, 'tx-checksum-ip-generic': true });
      const before = await nl.ethtool.features('va');
      expect(before).toMatchObject({ ifname: 'va', ifindex: expect.any(Number) });
      expect(before.features['tx-checksum-ip-generic']).toEqual({ active: true, wanted: true, changeable: true, fixed: false });
      expect(before.features['tx-checksum-ipv4']).toMatchObject({ active: false, fixed: true });

      const changes = await nl.ethtool.setFeatures('va', { 'tx-checksum-ip-generic': false });
      expect(changes).toContainEqual({ name: 'tx-checksum-ip-generic', active: false, requested: true });
      expect(changes).toContainEqual({ name: 'tx-tcp-segmentation', active: false, requested: false });
      expect(oracle(c, 'ethtool', '-k', 'va').out).toContain('\ttx-checksum-ip-generic: off\n');
      expect((await nl.ethtool.features('va')).features['tx-checksum-ip-generic']!.active).toBe(false);
      expect(await nl.ethtool.setFeatures('va', { 'tx-checksum-ip-generic': false })).toEqual([]);

      await nl.ethtool.setChannels('vb', { rx: 2 });
      expect(await nl.ethtool.channels('vb')).toMatchObject({ ifname: 'vb', rxMax: 2, rxCount: 2, txMax: 2 });
      expect(oracle(c, 'ethtool', '-l', 'vb').out).toContain('Current hardware settings:\nRX:\t\t2\n');
      const index = (await nl.links.get('vb')).index;
      expect((await nl.ethtool.channels(index)).ifname).toBe('vb');

      expect(await nl.ethtool.linkModes('va')).toMatchObject({ speed: 10000, duplex: 'full', autoneg: false, supported: [], advertised: [] });
      expect(await nl.ethtool.linkInfo('va')).toMatchObject({ port: 'tp', transceiver: 'internal' });
      expect(await nl.ethtool.linkState('va')).toMatchObject({ link: true });

      const rings = await nl.ethtool.rings('va').catch((e: unknown) => e);
      expect(isNotSupportedError(rings)).toBe(true);
      expect(rings).toMatchObject({ operation: 'rings', device: 'va', code: 'EOPNOTSUPP' });
      expect(isNotFoundError(await nl.ethtool.features('nodev').catch((e: unknown) => e))).toBe(true);
      expect(isInvalidArgumentError(await nl.ethtool.setFeatures('va', { 'no-such-feature': true }).catch((e: unknown) => e))).toBe(true);
      expect(isInvalidArgumentError(await nl.ethtool.setChannels('va', { rx: -1 }).catch((e: unknown) => e))).toBe(true);
      expect(isInvalidArgumentError(await nl.ethtool.channels('bad/name').catch((e: unknown) => e))).toBe(true);
    } finally {
      nl.close();
      deleteNetns(c);
    }
  });

  it('works in any namespace: connect({ netns }) through the helper, a socket per namespace', async () => {
    const [ca, cb] = await Promise.all([NetlinkClient.connect({ netns: a.name }), NetlinkClient.connect({ netns: b.name })]);
    try {
      a.exec('ethtool', '-K', 'vb', 'gro', 'on');
      b.exec('ethtool', '-K', 'vb', 'gro', 'off');
      expect((await ca.ethtool.features('vb')).features['rx-gro']!.active).toBe(true);
      expect((await cb.ethtool.features('vb')).features['rx-gro']!.active).toBe(false);
    } finally {
      ca.close();
      cb.close();
    }
  });

  it('nl.ethtool.monitor: notifications of changes made by others (ethtool -K, -L)', async () => {
    oracle(a, 'ethtool', '-K', 'vb', 'gro', 'on'); // a known state: each change below is one notification
    oracle(a, 'ethtool', '-L', 'vb', 'tx', '1');
    const nl = await NetlinkClient.connect({ netns: a.name });
    const events: EthtoolEvent[] = [];
    const mon = await nl.ethtool.monitor((e) => events.push(e));
    try {
      oracle(a, 'ethtool', '-K', 'vb', 'gro', 'off');
      oracle(a, 'ethtool', '-K', 'vb', 'gro', 'on');
      oracle(a, 'ethtool', '-L', 'vb', 'tx', '2');
      for (let i = 0; i < 100 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(events.map((e) => `${e.kind} ${e.ifname}`)).toEqual(['featuresNtf vb', 'featuresNtf vb', 'channelsNtf vb']);
      expect(events[2]!.attrs).toMatchObject({ txCount: 2 });
    } finally {
      mon.close();
      nl.close();
    }
  });

  it('a client over a given transport needs genericTransport; with one it works', async () => {
    const plain = NetlinkClient.open({ transport: new NetlinkSocket({ fd: a.socketFd() }) });
    try {
      expect(isInvalidArgumentError(await plain.ethtool.features('va').catch((e: unknown) => e))).toBe(true);
    } finally {
      plain.close();
    }
    const given = NetlinkClient.open({
      transport: new NetlinkSocket({ fd: a.socketFd() }),
      genericTransport: () => new NetlinkSocket({ protocol: 16, fd: a.socketFd(16) }),
    });
    try {
      expect((await given.ethtool.channels('va')).ifname).toBe('va');
    } finally {
      given.close();
    }
  });

  it('genl ctrl list / get as iproute2 prints them, and nl.genl.families()', async () => {
    for (const args of [
      ['ctrl', 'list'],
      ['ctrl', 'get', 'name', 'ethtool'],
      ['ctrl', 'get', 'name', 'nlctrl'],
      ['ctrl', 'get', 'name', 'nosuch'],
      ['ctrl', 'bogus'],
    ]) {
      expect(await nlts('-n', a.name, 'genl', ...args), args.join(' ')).toEqual(oracle(a, 'genl', ...args));
    }
    const nl = NetlinkClient.open({ netns: a.name });
    try {
      const names = (await nl.genl.families()).map((f) => f.name);
      expect(names).toEqual(expect.arrayContaining(['nlctrl', 'ethtool']));
      expect((await nl.genl.family('ethtool')).mcastGroups).toContainEqual({ name: 'monitor', id: expect.any(Number) });
    } finally {
      nl.close();
    }
  });
});
