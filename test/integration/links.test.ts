/**
 * Links against the real kernel, each test in its own throwaway namespace, `ip -j` as the oracle.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isInvalidArgumentError, isNotFoundError } from '../../src/api/errors.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';

if (!privileged) console.warn(`skipping link integration tests: ${skipReason}`);

describe.skipIf(!privileged)('links (kernel)', () => {
  let ns: TestNetns;
  let nl: NetlinkClient;
  beforeEach(() => {
    ns = createNetns();
    nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd: ns.socketFd() }) });
  });
  afterEach(() => {
    nl.close();
    deleteNetns(ns);
  });

  it('lists what ip lists, with the same indexes, names, mtu, flags and addresses', async () => {
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ns.ip('link', 'set', 'va', 'up');
    const oracle = ns.ipJson('link', 'show');
    const links = await nl.links.list();
    expect(links.map((l) => l.index)).toEqual(oracle.map((o: any) => o.ifindex));
    for (const o of oracle) {
      const l = links.find((x) => x.index === o.ifindex)!;
      expect(l.name).toBe(o.ifname);
      expect(l.mtu).toBe(o.mtu);
      expect(l.txqlen).toBe(o.txqlen);
      expect(l.qdisc).toBe(o.qdisc);
      expect(String(l.operstate).toUpperCase()).toBe(o.operstate);
      expect(l.address).toBe(o.address);
      // ip prints flags in upper case; NO-CARRIER is its own synthesis from UP without LOWER_UP.
      const ours = l.flags.filter((f) => typeof f === 'string' && f !== 'running').map((f) => String(f).toUpperCase());
      expect(new Set(ours)).toEqual(new Set(o.flags.filter((f: string) => f !== 'NO-CARRIER' && f !== 'M-DOWN')));
    }
  });

  it('shows the details ip -d shows: allmulti, GSO/GRO/TSO limits, IPv6 address generation mode', async () => {
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ns.ip('link', 'set', 'vb', 'addrgenmode', 'none');
    ns.ip('link', 'set', 'va', 'gso_max_size', '32768', 'allmulticast', 'on');
    const oracle = ns.ipJson('-d', 'link', 'show');
    const listed = await nl.links.list();
    for (const o of oracle) {
      for (const l of [listed.find((x) => x.index === o.ifindex)!, await nl.links.get(o.ifindex)]) {
        expect(l.allmulti).toBe(o.allmulti);
        expect(l.gsoMaxSize).toBe(o.gso_max_size);
        expect(l.gsoMaxSegs).toBe(o.gso_max_segs);
        expect(l.groMaxSize).toBe(o.gro_max_size);
        expect(l.tsoMaxSize).toBe(o.tso_max_size);
        expect(l.tsoMaxSegs).toBe(o.tso_max_segs);
        expect(l.addrGenMode).toBe(o.inet6_addr_gen_mode);
      }
    }
    expect(listed.find((l) => l.name === 'va')).toMatchObject({ gsoMaxSize: 32768, allmulti: 1, addrGenMode: 'eui64' });
    expect(listed.find((l) => l.name === 'vb')).toMatchObject({ addrGenMode: 'none' });
  });

  it('adds a veth pair, shows the peer, and deletes both ends at once', async () => {
    await nl.links.add({ name: 'veth0', kind: 'veth', peer: { name: 'veth1', mtu: 1400 }, mtu: 1400, up: true });
    const a = await nl.links.get('veth0');
    const b = await nl.links.get('veth1');
    expect(a.kind).toBe('veth');
    expect(a.link).toBe(b.index);
    expect(b.link).toBe(a.index);
    expect(a.up).toBe(true);
    expect(b.mtu).toBe(1400);
    const [o] = ns.ipJson('-d', 'link', 'show', 'veth0');
    expect(o.linkinfo.info_kind).toBe('veth');
    expect(o.link).toBe('veth1');
    await nl.links.delete('veth0');
    expect(await nl.links.find('veth1')).toBeUndefined();
    expect(ns.ipJson('link', 'show').map((x: any) => x.ifname)).toEqual(['lo']);
  });

  it('creates a bridge with options, enslaves a port, filters by master and kind in the kernel', async () => {
    await nl.links.add({ name: 'br0', kind: 'bridge', data: { stpState: 0, forwardDelay: 400 } });
    await nl.links.add({ name: 'p0', kind: 'veth', peer: { name: 'p1' } });
    await nl.links.set('p0', { master: 'br0', up: true });
    const br = await nl.links.get('br0');
    expect((br.data as any).stpState).toBe(0);
    expect((br.data as any).forwardDelay).toBe(400);
    const [o] = ns.ipJson('-d', 'link', 'show', 'br0');
    expect(o.linkinfo.info_data.stp_state).toBe(0);
    expect(o.linkinfo.info_data.forward_delay).toBe(400);

    const ports = await nl.links.list({ master: 'br0' });
    expect(ports.map((l) => l.name)).toEqual(['p0']);
    expect(ports[0]!.slaveKind).toBe('bridge');
    expect((await nl.links.list({ kind: 'veth' })).map((l) => l.name).sort()).toEqual(['p0', 'p1']);

    await nl.links.set('br0', { data: { stpState: 1 } });
    expect(ns.ipJson('-d', 'link', 'show', 'br0')[0].linkinfo.info_data.stp_state).toBe(1);
    await nl.links.set('p0', { master: null });
    expect(ns.ipJson('link', 'show', 'p0')[0].master).toBeUndefined();
  });

  it('sets mtu, name, address, alias, txqlen, up/down like ip link set', async () => {
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    await nl.links.set('va', { mtu: 1280, address: '02:00:00:00:00:aa', alias: 'uplink', txqlen: 500, up: true });
    await nl.links.set('va', { name: 'eth0' });
    const [o] = ns.ipJson('link', 'show', 'eth0');
    expect(o.mtu).toBe(1280);
    expect(o.address).toBe('02:00:00:00:00:aa');
    expect(o.ifalias).toBe('uplink');
    expect(o.txqlen).toBe(500);
    expect(o.flags).toContain('UP');
    await nl.links.set('eth0', { up: false });
    expect(ns.ipJson('link', 'show', 'eth0')[0].flags).not.toContain('UP');
    const l = await nl.links.get('eth0');
    expect(l.alias).toBe('uplink');
    await nl.links.altname('eth0', ['a-much-longer-nm']);
    expect((await nl.links.get('eth0')).altnames).toEqual(['a-much-longer-nm']);
  });

  it('creates vxlan and macvlan links on a lower device', async () => {
    ns.ip('link', 'add', 'under', 'type', 'veth', 'peer', 'name', 'under1');
    await nl.links.add({ name: 'vx0', kind: 'vxlan', link: 'under', data: { id: 42, port: 4789, local: '10.0.0.1', ttl: 64 } });
    await nl.links.add({ name: 'mv0', kind: 'macvlan', link: 'under', data: { mode: 'bridge' } });
    const [vx] = ns.ipJson('-d', 'link', 'show', 'vx0');
    expect(vx.linkinfo.info_data).toMatchObject({ id: 42, port: 4789, local: '10.0.0.1', ttl: 64, link: 'under' });
    const [mv] = ns.ipJson('-d', 'link', 'show', 'mv0');
    expect(mv.link).toBe('under');
    expect(mv.linkinfo.info_data.mode).toBe('bridge');
    const ours = await nl.links.get('vx0');
    expect(ours.data).toMatchObject({ id: 42, port: 4789, local: '10.0.0.1' });
    expect((await nl.links.get('mv0')).data).toMatchObject({ mode: 'bridge' });
  });

  it('reports kernel refusals as NetlinkError with code and extended-ack text', async () => {
    await nl.links.add({ name: 'dup0', kind: 'bridge' });
    const err = await nl.links.add({ name: 'dup0', kind: 'bridge' }).catch((e) => e);
    expect(isNetlinkError(err)).toBe(true);
    expect(err.code).toBe('EEXIST');
    expect(err.operation).toBe('newlink');
    const bad = await nl.links.add({ name: 'x0', kind: 'nosuchkind' }).catch((e) => e);
    expect(isNetlinkError(bad)).toBe(true);
    expect(bad.kernelMessage).toMatch(/Unknown device type/);
    const mtu = await nl.links.set('dup0', { mtu: 10 }).catch((e) => e);
    expect(isNetlinkError(mtu) && mtu.code).toBe('EINVAL');
    expect(mtu.kernelMessage).toMatch(/mtu/i);
  });

  it('rejects bad names before sending and maps missing links to NotFoundError', async () => {
    for (const name of ['a-name-longer-than-15', 'has/slash', 'has space', '', 'colon:x']) {
      const err = await nl.links.add({ name, kind: 'bridge' }).catch((e) => e);
      expect(isInvalidArgumentError(err), name).toBe(true);
    }
    expect(isNotFoundError(await nl.links.get('nope').catch((e) => e))).toBe(true);
    expect(isNotFoundError(await nl.links.delete('nope').catch((e) => e))).toBe(true);
    expect(isNotFoundError(await nl.links.set('nope', { mtu: 1400 }).catch((e) => e))).toBe(true);
  });

  it('decodes stats64 as bigint counters matching ip -s', async () => {
    ns.ip('link', 'set', 'lo', 'up');
    ns.exec('ping', '-c', '2', '-i', '0.2', '-q', '127.0.0.1');
    const [lo] = await nl.links.list({ stats: true });
    const [o] = ns.ipJson('-s', 'link', 'show', 'lo');
    expect(typeof lo!.stats?.rxPackets).toBe('bigint');
    expect(lo!.stats!.rxPackets).toBe(BigInt(o.stats64.rx.packets));
    expect(lo!.stats!.txBytes).toBe(BigInt(o.stats64.tx.bytes));
    expect(lo!.stats!.rxPackets! > 0n).toBe(true);
  });
});
