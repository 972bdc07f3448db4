/**
 * Interface names and alternative names against the kernel: the API refuses exactly the new names
 * the kernel's dev_valid_name() refuses, adds and deletes altnames up to ALTIFNAMSIZ - 1 (127 bytes),
 * and finds a link by any of its names. `ip -j` and raw requests (no API checks) are the oracles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { InvalidArgumentError, NotFoundError } from '../../src/api/errors.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';

if (!privileged) console.warn(`skipping altname integration tests: ${skipReason}`);

const LONG = 'uplink-to-the-core-router-0123456789';
const LONGEST = 'x'.repeat(126) + 'y'; // 127 bytes

describe.skipIf(!privileged)('interface names and altnames (kernel)', () => {
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

  it('refuses a new name exactly when the kernel would (dev_valid_name), before sending', async () => {
    const ascii = ['abcdefghijklmno', 'abcdefghijklmnop', 'a/b', 'a:b', '.', '..', '...', 'a b', 'a\tb'];
    const names = [...ascii, 'à', 'é', '中文', '\u00a0x', 'x\u2003y', 'éééééée', 'éééééééé', 'a\u0085'];
    for (const name of names) {
      // the kernel's verdict, asked without the API's checks
      let kernelOk = true;
      try {
        await nl.connection.request({ kind: 'newlink', flags: 0x600, header: { family: 0 }, attrs: { ifname: name, linkinfo: { kind: 'bridge' } } });
        await nl.connection.request({ kind: 'dellink', header: { family: 0 }, attrs: { ifname: name } });
      } catch (err) {
        if (!isNetlinkError(err)) throw err;
        kernelOk = false;
      }
      let apiError: unknown;
      try {
        await nl.links.add({ name, kind: 'bridge' });
        await nl.links.delete(name);
      } catch (err) {
        apiError = err;
      }
      if (kernelOk) expect(apiError, JSON.stringify(name)).toBeUndefined();
      else expect(apiError, JSON.stringify(name)).toBeInstanceOf(InvalidArgumentError);
    }
    await expect(nl.links.set('lo', { name: 'à' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(nl.links.add({ name: 'va', kind: 'veth', peer: { name: 'a:b' } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('addAltnames / deleteAltnames: up to 127 bytes, as ip shows them', async () => {
    ns.ip('link', 'add', 'br0', 'type', 'bridge');
    expect(Buffer.byteLength(LONGEST)).toBe(127);
    await nl.links.addAltnames('br0', ['short1', LONG]);
    await nl.links.addAltnames('br0', LONGEST);
    expect(ns.ipJson('link', 'show', 'br0')[0].altnames).toEqual(['short1', LONG, LONGEST]);
    expect((await nl.links.get('br0')).altnames).toEqual(['short1', LONG, LONGEST]);
    await nl.links.deleteAltnames('br0', ['short1', LONGEST]);
    expect(ns.ipJson('link', 'show', 'br0')[0].altnames).toEqual([LONG]);
    // the kernel's refusals, typed
    await expect(nl.links.addAltnames('br0', LONG)).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST' });
    await expect(nl.links.deleteAltnames('br0', 'not-there')).rejects.toBeInstanceOf(NotFoundError);
    await expect(nl.links.addAltnames('nope', 'x1')).rejects.toMatchObject({ name: 'NotFoundError', what: 'link' });
    // bad input, before anything is sent
    for (const bad of ['y'.repeat(128), '', 'a/b', 'a b', 'x\0y']) {
      await expect(nl.links.addAltnames('br0', bad), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await expect(nl.links.addAltnames('br0', [])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(nl.links.addAltnames('br0', 42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(ns.ipJson('link', 'show', 'br0')[0].altnames).toEqual([LONG]);
  });

  it('addresses and routes take a link by a long altname, as ip does (dev ALTNAME)', async () => {
    ns.ip('link', 'add', 'br0', 'type', 'bridge');
    ns.ip('link', 'set', 'br0', 'up');
    ns.ip('link', 'property', 'add', 'dev', 'br0', 'altname', LONG);
    await nl.addresses.add('10.7.0.1/24', { link: LONG });
    expect(ns.ipJson('addr', 'show', 'dev', 'br0')[0].addr_info.map((a: { local: string }) => a.local)).toContain('10.7.0.1');
    await nl.routes.add({ dst: '10.8.0.0/16', dev: LONG });
    expect(ns.ipJson('route', 'show', '10.8.0.0/16')[0].dev).toBe('br0');
    expect((await nl.addresses.list({ link: LONG })).map((a) => a.address)).toContain('10.7.0.1');
    await nl.routes.delete({ dst: '10.8.0.0/16', dev: LONG });
    await nl.addresses.delete('10.7.0.1/24', { link: LONG });
    expect(ns.ipJson('route', 'show', '10.8.0.0/16')).toEqual([]);
  });

  it('finds a link by any of its names: get, find, index, set, delete, and by-name options', async () => {
    ns.ip('link', 'add', 'br0', 'type', 'bridge');
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ns.ip('link', 'property', 'add', 'dev', 'br0', 'altname', 'core', 'altname', LONG, 'altname', LONGEST);
    const index = ns.ipJson('link', 'show', 'br0')[0].ifindex;
    for (const name of ['core', LONG, LONGEST]) {
      expect((await nl.links.get(name)).index, name).toBe(index);
      expect((await nl.links.find(name))?.name, name).toBe('br0');
      expect(await nl.links.index(name), name).toBe(index);
    }
    expect(await nl.links.find('other-long-name-not-there')).toBeUndefined();
    await expect(nl.links.get('other-long-name-not-there')).rejects.toBeInstanceOf(NotFoundError);
    await nl.links.set(LONG, { mtu: 1400, up: true });
    await nl.links.set('vb', { master: LONGEST });
    expect(ns.ipJson('link', 'show', 'br0')[0]).toMatchObject({ mtu: 1400, operstate: expect.any(String) });
    expect(ns.ipJson('link', 'show', 'vb')[0].master).toBe('br0');
    expect((await nl.links.list({ master: LONG })).map((l) => l.name)).toEqual(['vb']);
    await nl.links.set(LONG, { name: 'br1' });
    expect((await nl.links.get(LONG)).name).toBe('br1');
    await nl.links.deleteAltnames(LONG, 'core');
    expect(ns.ipJson('link', 'show', 'br1')[0].altnames).toEqual([LONG, LONGEST]);
    await nl.links.delete(LONGEST);
    expect(ns.ipJson('link', 'show').map((l: { ifname: string }) => l.ifname)).not.toContain('br1');
    // lookups refuse names no link can have
    for (const bad of ['', 'a/b', 'a b', 'z'.repeat(128)]) {
      await expect(nl.links.get(bad), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});
