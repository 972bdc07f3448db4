/**
 * The stateful fake kernel itself (test/support/stateful-kernel.ts): the netlink envelope it speaks
 * (ACKs, multipart dumps, NLMSG_DONE, extended acks), the state it keeps, and the notifications a
 * Monitor and a StateMirror get from it. test/integration/stateful-kernel.test.ts holds it against
 * the real kernel.
 */
import { describe, expect, it } from 'vitest';
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { isNotFoundError } from '../../src/api/errors.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A raw socket on the kernel: what it sends, and every datagram it gets back, decoded. */
function rawSocket(kernel: StatefulKernel) {
  const s = kernel.socket();
  const datagrams: NetlinkMessage[][] = [];
  s.start({ datagram: (d) => datagrams.push(kernel.codec.decode(d)), error: () => undefined });
  const send = (m: Parameters<StatefulKernel['codec']['encode']>[0]) => s.send(kernel.codec.encode({ seq: 7, ...m }).slice());
  return { s, datagrams, send };
}

describe('StatefulKernel: the netlink envelope', () => {
  it('answers NLM_F_ACK with a capped ACK, and nothing without it', async () => {
    const kernel = new StatefulKernel();
    const { datagrams, send } = rawSocket(kernel);
    send({ kind: 'newlink', flags: NLM_F.REQUEST, header: { index: 1, flags: 1, change: 1 } });
    await tick();
    expect(datagrams).toEqual([]);
    send({ kind: 'newlink', flags: NLM_F.REQUEST | NLM_F.ACK, header: { index: 1, mtu: 1400 } });
    await tick();
    expect(datagrams).toHaveLength(1);
    const [ack] = datagrams[0]!;
    expect(ack).toMatchObject({ kind: 'error', seq: 7, flags: NLM_F.CAPPED, error: { request: { type: 16, seq: 7 } } });
    expect(ack!.error!.errno + 0).toBe(0); // the codec gives -0 for an ACK's errno
    expect(ack!.error!.requestPayload).toBeUndefined();
    // Control messages (a monitor's drain marker) are acknowledged too.
    send({ kind: NLMSG.NOOP, flags: NLM_F.REQUEST | NLM_F.ACK });
    await tick();
    expect(datagrams[1]![0]).toMatchObject({ kind: 'error', flags: NLM_F.CAPPED, error: { request: { type: NLMSG.NOOP } } });
  });

  it('a refusal echoes the request with the extended ack: message, and the offending attribute by its nested name', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    const peer = { header: {}, attrs: { ifname: 'x'.repeat(20) } };
    const err = await nl.connection
      .request({ kind: 'newlink', flags: NLM_F.CREATE | NLM_F.EXCL, header: {}, attrs: { ifname: 'v0', linkinfo: { kind: 'veth', data: { peer } } } })
      .catch((e: unknown) => e);
    expect(isNetlinkError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ERANGE', kernelMessage: 'Attribute failed policy validation', attribute: 'linkinfo/data/peer/ifname' });
    const { datagrams, send } = rawSocket(kernel);
    send({ kind: 'dellink', header: {}, attrs: { ifname: 'nosuch' } }); // no NLM_F_ACK: errors come anyway
    await tick();
    expect(datagrams[0]![0]!.error).toMatchObject({ errno: 19, request: { type: 17 } });
    expect(datagrams[0]![0]!.error!.requestPayload!.length).toBeGreaterThan(16);
    nl.close();
  });

  it('dumps are NLM_F_MULTI datagrams ending in NLMSG_DONE; a big one spans datagrams; filtered ones say so', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    await nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    const results = await nl.addresses.addBatch(Array.from({ length: 300 }, (_, i) => ({ cidr: `10.${i >> 8}.${i & 255}.1/32`, link: 'v0' })));
    expect(results.every((r) => r.ok)).toBe(true);
    const { datagrams, send } = rawSocket(kernel);
    send({ kind: 'getaddr', flags: NLM_F.REQUEST | NLM_F.DUMP, header: { family: 'inet' } });
    await tick();
    expect(datagrams.length).toBeGreaterThan(1);
    const all = datagrams.flat();
    expect(all.filter((m) => m.kind === 'newaddr')).toHaveLength(300);
    expect(all.every((m) => m.flags & NLM_F.MULTI && m.seq === 7)).toBe(true);
    expect(all.at(-1)).toMatchObject({ kind: 'done', status: 0 });
    send({ kind: 'getaddr', flags: NLM_F.REQUEST | NLM_F.DUMP, header: { family: 'inet', index: 99 } });
    await tick();
    send({ kind: 'getlink', flags: NLM_F.REQUEST | NLM_F.DUMP, header: {}, attrs: { linkinfo: { kind: 'veth' } } });
    await tick();
    const filtered = datagrams.flat().filter((m) => m.kind === 'newlink');
    expect(filtered.map((m) => m.attrs!.ifname)).toEqual(['v1', 'v0']);
    expect(filtered.every((m) => m.flags & NLM_F.DUMP_FILTERED)).toBe(true);
    nl.close();
  });

  it('a dump the kernel gives up on ends in NLMSG_DONE with the errno and its message', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    const err = await nl.connection.dump({ kind: 'getroute', header: { family: 'inet', table: 77 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', code: 'ENOENT', kernelMessage: 'ipv4: FIB table does not exist' });
    expect(await nl.routes.list({ family: 'inet', table: 77 })).toEqual([]);
    nl.close();
  });
});

describe('StatefulKernel: state as the kernel keeps it', () => {
  it("a veth pair: both ends, each the other's link, a carrier once both are up, deleted together with what they held", async () => {
    const kernel = new StatefulKernel({ loopbackUp: true });
    const nl = kernel.client();
    await nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1', mtu: 1400 }, up: true });
    const [v0, v1] = [await nl.links.get('v0'), await nl.links.get('v1')];
    expect(v0).toMatchObject({ kind: 'veth', link: v1.index, up: true, lowerUp: false, operstate: 'lowerlayerdown' });
    expect(v1).toMatchObject({ kind: 'veth', link: v0.index, up: false, mtu: 1400, operstate: 'down' });
    await nl.links.set('v1', { up: true });
    expect(await nl.links.get('v0')).toMatchObject({ lowerUp: true, operstate: 'up' });
    await nl.addresses.add('10.0.0.1/24', { link: 'v0' });
    await nl.routes.add({ dst: '10.1.0.0/16', gateway: '10.0.0.2' });
    await nl.links.delete('v1');
    expect((await nl.links.list()).map((l) => l.name)).toEqual(['lo']);
    expect((await nl.addresses.list()).map((a) => a.cidr)).toEqual(['127.0.0.1/8', '::1/128']);
    expect((await nl.routes.list({ table: 'all' })).every((r) => r.dev === 1)).toBe(true);
    nl.close();
  });

  it('an address brings its routes: the local one at once, the subnet and broadcast ones while the link is up', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    await nl.links.add({ name: 'd0', kind: 'dummy' });
    await nl.addresses.add('192.0.2.1/24', { link: 'd0' });
    const routes = async () => (await nl.routes.list({ table: 'all', family: 'inet' })).map((r) => `${r.type} ${r.dst} ${r.table}`);
    expect(await routes()).toEqual(['local 192.0.2.1/32 local']);
    await nl.links.set('d0', { up: true });
    expect(await routes()).toEqual(['unicast 192.0.2.0/24 main', 'local 192.0.2.1/32 local', 'broadcast 192.0.2.255/32 local']);
    await nl.links.set('d0', { up: false });
    expect(await routes()).toEqual(['local 192.0.2.1/32 local']);
    nl.close();
  });

  it("routes: EEXIST, replace in place, ESRCH as NotFoundError, a gateway off every subnet refused with the kernel's words", async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    await nl.links.add({ name: 'd0', kind: 'dummy', up: true });
    await nl.addresses.add('192.0.2.1/24', { link: 'd0' });
    await nl.routes.add({ dst: '198.51.100.0/24', gateway: '192.0.2.10' });
    await expect(nl.routes.add({ dst: '198.51.100.0/24', gateway: '192.0.2.11' })).rejects.toMatchObject({ code: 'EEXIST' });
    await nl.routes.replace({ dst: '198.51.100.0/24', gateway: '192.0.2.12' });
    expect((await nl.routes.list()).filter((r) => r.dst === '198.51.100.0/24').map((r) => r.gateway)).toEqual(['192.0.2.12']);
    const missing = await nl.routes.delete({ dst: '203.0.113.0/24' }).catch((e: unknown) => e);
    expect(isNotFoundError(missing) && missing.code).toBe('ESRCH');
    await expect(nl.routes.add({ dst: '203.0.113.0/24', gateway: '10.9.9.9' })).rejects.toMatchObject({
      code: 'ENETUNREACH',
      kernelMessage: 'Nexthop has invalid gateway',
    });
    expect(await nl.routes.get('198.51.100.7')).toMatchObject({ gateway: '192.0.2.12', prefsrc: '192.0.2.1', dev: (await nl.links.get('d0')).index });
    nl.close();
  });

  it('links are found by name, altname or index, over netlink when the socket offers no ioctl', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client({ linkIndex: false });
    await nl.links.add({ name: 'br0', kind: 'bridge' });
    await nl.links.addAltnames('br0', 'a-bridge-with-a-long-alternative-name');
    expect(await nl.links.index('a-bridge-with-a-long-alternative-name')).toBe(2);
    expect((await nl.links.get(2)).altnames).toEqual(['a-bridge-with-a-long-alternative-name']);
    await nl.addresses.add('10.0.0.1/24', { link: 'br0' });
    const lookups = kernel.requests.filter((m) => m.kind === 'getlink' && !(m.flags & NLM_F.DUMP));
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(lookups[0]!.attrs).toMatchObject({ altIfname: 'a-bridge-with-a-long-alternative-name' });
    nl.close();
  });

  it('is deterministic: the same calls give the same bytes', async () => {
    const run = async () => {
      const kernel = new StatefulKernel({ loopbackUp: true });
      const nl = kernel.client();
      await nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' }, up: true });
      await nl.addresses.add('10.0.0.1/24', { link: 'v0' });
      const dump = await nl.connection.dump({ kind: 'getlink', header: {} });
      nl.close();
      return JSON.stringify(dump, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Array.from(v) : v));
    };
    expect(await run()).toBe(await run());
  });
});

describe('StatefulKernel: notifications', () => {
  it('a Monitor gets the changes another client makes, in order, as they happen', async () => {
    const kernel = new StatefulKernel();
    const monitor = kernel.monitor({ groups: ['link', 'address', 'route'] });
    const seen: string[] = [];
    monitor.on('event', (e: MonitorEvent) => {
      if (e.type !== 'new' && e.type !== 'del') return;
      const o = e.object as { name?: string; cidr?: string; dst?: string };
      seen.push(`${e.type} ${e.kind} ${o.name ?? o.cidr ?? o.dst}`);
    });
    const nl = kernel.client();
    await nl.links.add({ name: 'd0', kind: 'dummy', up: true });
    await nl.addresses.add('192.0.2.1/24', { link: 'd0' });
    await nl.addresses.delete('192.0.2.1/24', { link: 'd0' });
    await nl.links.delete('d0');
    expect(seen).toEqual([
      'new link d0',
      'new route ff00::/8',
      'new route fe80::/64',
      'new address 192.0.2.1/24',
      'new route 192.0.2.1/32',
      'new route 192.0.2.0/24',
      'new route 192.0.2.255/32',
      'del address 192.0.2.1/24',
      'del route 192.0.2.0/24',
      'del route 192.0.2.255/32',
      'del route 192.0.2.1/32',
      'del link d0',
    ]);
    monitor.close();
    nl.close();
  });

  it('a StateMirror stays equal to fresh dumps, through the changes the kernel makes without a word', async () => {
    const kernel = new StatefulKernel({ loopbackUp: true });
    const mirror = await kernel.mirror();
    const nl = kernel.client();
    await nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' }, up: true });
    await nl.links.set('v1', { up: true });
    await nl.addresses.add('10.0.0.1/24', { link: 'v0' });
    await nl.routes.add({ dst: '10.1.0.0/16', gateway: '10.0.0.2' });
    await nl.routes.add({ dst: '10.2.0.0/16', dev: 'v0', prefsrc: '10.0.0.1' });
    await nl.links.set('v0', { up: false }); // IPv4 routes through v0 flushed silently
    await nl.links.set('v0', { up: true });
    await nl.routes.add({ dst: '10.1.0.0/16', gateway: '10.0.0.2' });
    await nl.addresses.delete('10.0.0.1/24', { link: 'v0' }); // the last address: its device's routes go too
    await nl.addresses.add('2001:db8::1/64', { link: 'v1', flags: ['nodad'] });
    await nl.links.delete('v0');
    let diff: string[] = [];
    for (let t = 0; t < 50; t++) {
      diff = await mirror.verify();
      if (diff.length === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(diff).toEqual([]);
    expect(mirror.links().map((l) => l.name)).toEqual(['lo']);
    mirror.close();
    nl.close();
  });
});
