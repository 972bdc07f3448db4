/**
 * Options the public types accept are honoured or refused, never ignored: NetlinkClient.open({ netns })
 * makes its socket in that namespace, and combinations that cannot be honoured (a transport with
 * socket options or a namespace, open() with the helper) are InvalidArgumentErrors naming the way.
 * The namespace tests only read (they list links); nothing is changed outside the throwaway namespace.
 */
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isInvalidArgumentError } from '../../src/api/errors.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNamespaceError } from '../../src/netns/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { errorFor } from '../support/bytes.js';
import { privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[client options] namespace tests skipped: ${skipReason}`);

const codec = rtnetlinkCodec();
const ackAll = () => new ScriptedTransport((sent, reply) => reply(errorFor(sent, 0)));

function refused(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    const r = fn();
    if (r instanceof NetlinkClient) r.close();
  } catch (e) {
    err = e;
  }
  expect(isInvalidArgumentError(err), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

async function refusedAsync(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await fn().then(
    (r) => {
      if (r instanceof NetlinkClient) r.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(isInvalidArgumentError(err), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe('NetlinkClient.open({ netns })', () => {
  it.skipIf(!privileged)("enters the namespace: it lists the namespace's own links, not this one's", async () => {
    await withNetns(async (ns) => {
      ns.ip('link', 'add', 'nlts-v0', 'type', 'veth', 'peer', 'name', 'nlts-v1');
      const nl = NetlinkClient.open({ netns: ns.name });
      try {
        expect((await nl.links.list()).map((l) => l.name).sort()).toEqual(['lo', 'nlts-v0', 'nlts-v1']);
        expect(nl.netns).toBe(ns.name);
        // Reading only: the ioctl lookup answers from the namespace too.
        expect(await nl.links.index('nlts-v1')).toBe(Number(ns.ipJson('link', 'show', 'nlts-v1')[0].ifindex));
      } finally {
        nl.close();
      }
    });
  });

  it.skipIf(!privileged)('with netnsEntry: setns, by path and by { path }', async () => {
    await withNetns(async (ns) => {
      for (const netns of [ns.path, { path: ns.path }]) {
        const nl = NetlinkClient.open({ netns, netnsEntry: 'setns' });
        try {
          expect((await nl.links.list()).map((l) => l.name)).toEqual(['lo']);
        } finally {
          nl.close();
        }
      }
    });
  });

  it('a namespace that does not exist is a NamespaceError (never created)', () => {
    let err: unknown;
    try {
      NetlinkClient.open({ netns: 'nlts-no-such-namespace-x' }).close();
    } catch (e) {
      err = e;
    }
    expect(isNamespaceError(err), String(err)).toBe(true);
    expect((err as { code: string }).code).toBe('ENOENT');
  });

  it("netnsEntry: 'helper' cannot be synchronous: refused, naming connect()", () => {
    refused(() => NetlinkClient.open({ netns: 'blue', netnsEntry: 'helper' }), /connect\(\)/);
  });
});

describe('client options that cannot be honoured are refused', () => {
  it('a ready-made transport with netns, or with socket options', async () => {
    refused(() => NetlinkClient.open({ transport: ackAll(), netns: 'blue' }), /transport/);
    refused(() => NetlinkClient.open({ transport: ackAll(), socket: { receiveBuffer: 1 << 20 } }), /transport/);
    await refusedAsync(() => NetlinkClient.connect({ transport: ackAll(), socket: { receiveBuffer: 1 << 20 } }), /transport/);
  });

  it('a socket fd together with netns (the namespace makes the socket)', async () => {
    // An fd that is not open: were it used, the socket setup fails (EBADF) and nothing is closed.
    refused(() => NetlinkClient.open({ netns: 'blue', socket: { fd: 987_654 } }), /fd/);
    await refusedAsync(() => NetlinkClient.connect({ netns: 'blue', socket: { fd: 987_654 } }), /fd/);
  });

  it('netnsEntry without netns (it would say how to enter a namespace that is not given)', async () => {
    refused(() => NetlinkClient.open({ netnsEntry: 'setns' }), /netnsEntry/);
    await refusedAsync(() => NetlinkClient.connect({ netnsEntry: 'helper' }), /netnsEntry/);
  });

  it('bad values: options, transport, timeoutMs, dumpRetries, netnsEntry', async () => {
    refused(() => NetlinkClient.open('blue' as never), /options/);
    refused(() => NetlinkClient.open(null as never), /options/);
    refused(() => NetlinkClient.open({ transport: {} as never }), /transport/);
    refused(() => NetlinkClient.open({ transport: ackAll(), timeoutMs: 'soon' as never }), /timeoutMs/);
    refused(() => NetlinkClient.open({ transport: ackAll(), timeoutMs: -1 }), /timeoutMs/);
    refused(() => NetlinkClient.open({ transport: ackAll(), timeoutMs: 1e12 }), /timeoutMs/);
    refused(() => NetlinkClient.open({ transport: ackAll(), dumpRetries: 1.5 }), /dumpRetries/);
    refused(() => NetlinkClient.open({ transport: ackAll(), netnsEntry: 'fork' as never }), /netnsEntry/);
    await refusedAsync(() => NetlinkClient.connect({ netns: 'blue', netnsEntry: 'fork' as never }), /netnsEntry/);
    await refusedAsync(() => NetlinkClient.connect(null as never), /options/);
  });

  it('socket options are checked (a string fd, a negative buffer, another protocol), not ignored or left to libc', () => {
    refused(() => NetlinkClient.open({ socket: { receiveBuffer: 'big' as never } }), /socket\.receiveBuffer/);
    refused(() => NetlinkClient.open({ socket: { receiveBuffer: -5 } }), /socket\.receiveBuffer/);
    refused(() => NetlinkClient.open({ socket: { sendBuffer: 1.5 } }), /socket\.sendBuffer/);
    refused(() => NetlinkClient.open({ socket: { protocol: 'route' as never } }), /socket\.protocol.*NETLINK_ROUTE/);
    refused(() => NetlinkClient.open({ socket: { protocol: 16 } }), /socket\.protocol/);
    refused(() => NetlinkClient.open({ socket: { fd: 'x' as never } }), /socket\.fd/);
    refused(() => NetlinkClient.open({ socket: { readAfterSend: 'no' as never } }), /socket\.readAfterSend/);
  });

  it('request options: signal and timeoutMs are checked before anything is sent', async () => {
    const t = ackAll();
    const nl = NetlinkClient.open({ transport: t });
    try {
      await refusedAsync(() => nl.rules.list({ signal: {} as never }), /signal/);
      await refusedAsync(() => nl.rules.list({ timeoutMs: Number.NaN }), /timeoutMs/);
      await refusedAsync(() => nl.addresses.addBatch([{ cidr: '10.0.0.1/24', link: 7 }], { window: 0 }), /window/);
      expect(t.sent).toHaveLength(0);
    } finally {
      nl.close();
    }
  });

  it('a valid client over a plain Connection still works (the checks refuse nothing good)', async () => {
    const nl = NetlinkClient.open({ transport: ackAll(), timeoutMs: 0, dumpRetries: 0 });
    await nl.rules.delete({ priority: 100 });
    nl.close();
    expect(new NetlinkClient(new Connection(ackAll(), codec))).toBeInstanceOf(NetlinkClient);
  });
});

describe('family options that would be ignored or misread are refused', () => {
  /** getlink finds eth0 (index 7, no kind); everything else is ACKed. */
  const kernel = () =>
    new ScriptedTransport((sent, reply) => {
      const view = new DataView(sent.buffer, sent.byteOffset);
      if (view.getUint16(4, true) === 18) {
        const seq = view.getUint32(8, true);
        reply(
          codec
            .encode({ kind: 'newlink', seq, pid: 0, header: { family: 0, type: 1, index: 7, flags: [], change: 0 }, attrs: { ifname: 'eth0' } })
            .slice(),
        );
      }
      reply(errorFor(sent, 0));
    });

  const cases: [string, (nl: NetlinkClient) => Promise<unknown>, RegExp][] = [
    ['links.set kind without data (a kind cannot be changed)', (nl) => nl.links.set('eth0', { kind: 'bridge' }), /kind.*only with data/],
    ['links.set slaveKind without slaveData', (nl) => nl.links.set('eth0', { slaveKind: 'bridge' }), /slaveKind.*only with slaveData/],
    ['links.set up: 0 (would bring the link up)', (nl) => nl.links.set('eth0', { up: 0 as never }), /up.*true or false/],
    ['links.set promisc: "no"', (nl) => nl.links.set('eth0', { promisc: 'no' as never }), /promisc.*true or false/],
    ['links.add up: "no"', (nl) => nl.links.add({ name: 'x0', kind: 'veth', up: 'no' as never }), /up.*true or false/],
    ['links.list stats: "yes"', (nl) => nl.links.list({ stats: 'yes' as never }), /stats.*true or false/],
    ['links.netnsName of a non-number', (nl) => nl.links.netnsName('blue' as never), /nsid/],
    [
      'addresses.add replace: "no" (would replace)',
      (nl) => nl.addresses.add('10.0.0.1/24', { link: 7, replace: 'no' as never }),
      /replace.*true or false/,
    ],
    ['routes.get fibMatch: 0', (nl) => nl.routes.get('10.0.0.1', { fibMatch: 0 as never }), /fibMatch.*true or false/],
    ['routes.addBatch replace: 1', (nl) => nl.routes.addBatch([{ dst: '10.0.0.0/8', dev: 7 }], { replace: 1 as never }), /replace.*true or false/],
  ];
  for (const [name, call, pattern] of cases) {
    it(name, async () => {
      const t = kernel();
      const nl = NetlinkClient.open({ transport: t, timeoutMs: 2000 });
      try {
        await refusedAsync(() => call(nl), pattern);
        // Nothing was changed: at most the link was looked up.
        expect(t.sent.map((d) => new DataView(d.buffer, d.byteOffset).getUint16(4, true)).filter((type) => type !== 18)).toEqual([]);
      } finally {
        nl.close();
      }
    });
  }
});
