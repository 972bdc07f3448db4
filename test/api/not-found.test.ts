/**
 * One rule for absent objects (docs/errors.md): a get or delete of a link, address, route,
 * neighbour or rule that does not exist rejects with NotFoundError, carrying the kernel's errno and
 * code (and its NetlinkError as `cause`). First against the stateful fake kernel, which refuses as
 * each family's kernel code does (a scripted one for a refusal it never makes), then against the
 * real kernel in a throwaway namespace.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { NetlinkClient } from '../../src/api/client.js';
import { type NotFoundError, isNotFoundError } from '../../src/api/errors.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { concat, doneFor, errorFor } from '../support/bytes.js';
import { privileged, skipReason, withNetns } from '../support/netns.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

if (!privileged) console.warn(`[not found] kernel tests skipped: ${skipReason}`);

const codec = rtnetlinkCodec();

/** getlink finds eth0 (index 7); every other request is refused with `errno`; dumps are empty. */
function refusing(errno: number): ScriptedTransport {
  return new ScriptedTransport((sent, reply) => {
    const out: Uint8Array[] = [];
    for (let pos = 0; pos < sent.length; ) {
      const view = new DataView(sent.buffer, sent.byteOffset + pos);
      const len = view.getUint32(0, true);
      const frame = sent.subarray(pos, pos + len);
      pos += (len + 3) & ~3;
      const type = view.getUint16(4, true);
      const seq = view.getUint32(8, true);
      if ((view.getUint16(6, true) & NLM_F.DUMP) === NLM_F.DUMP && (type & 3) === 2) out.push(doneFor(frame));
      else if (type === 18 && errno !== 19) {
        out.push(
          codec
            .encode({ kind: 'newlink', seq, pid: 0, header: { family: 0, type: 1, index: 7, flags: [], change: 0 }, attrs: { ifname: 'eth0' } })
            .slice(),
        );
        out.push(errorFor(frame, 0));
      } else out.push(errorFor(frame, errno));
    }
    reply(concat(...out));
  });
}

/** A client of a stateful fake kernel with eth0 (index 7) up, and nothing else. */
function withEth0(): NetlinkClient {
  const kernel = new StatefulKernel();
  const attrs = { ifname: 'eth0', linkinfo: { kind: 'dummy' } };
  kernel.handle({ kind: 'newlink', flags: NLM_F.CREATE | NLM_F.EXCL, header: { index: 7, flags: 1, change: 1 }, attrs });
  return kernel.client();
}

function expectNotFound(err: unknown, what: string, code: string, errno: number): void {
  expect(isNotFoundError(err), String(err)).toBe(true);
  const e = err as NotFoundError & { errno?: number; code?: string };
  expect(e.what).toBe(what);
  expect(e.code).toBe(code);
  expect(e.errno).toBe(errno);
  expect(isNetlinkError(e.cause) && e.cause.code).toBe(code);
}

const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('NotFoundError for every get and delete of an absent object (stateful fake kernel)', () => {
  const cases: [string, number, string, string, (nl: NetlinkClient) => Promise<unknown>][] = [
    ['links.get', 19, 'ENODEV', 'link', (nl) => nl.links.get('eth9')],
    ['links.delete', 19, 'ENODEV', 'link', (nl) => nl.links.delete('eth9')],
    ['links.set', 19, 'ENODEV', 'link', (nl) => nl.links.set('eth9', { mtu: 1400 })],
    ['addresses.delete (IPv4)', 99, 'EADDRNOTAVAIL', 'address', (nl) => nl.addresses.delete('10.0.0.1/24', { link: 'eth0' })],
    ['addresses.delete (IPv6)', 99, 'EADDRNOTAVAIL', 'address', (nl) => nl.addresses.delete('2001:db8::1/64', { link: 7 })],
    ['routes.delete', 3, 'ESRCH', 'route', (nl) => nl.routes.delete({ dst: '10.9.0.0/16' })],
    ['routes.get (no route)', 101, 'ENETUNREACH', 'route to', (nl) => nl.routes.get('198.51.100.7')],
    ['neighbours.delete', 2, 'ENOENT', 'neighbour', (nl) => nl.neighbours.delete('10.0.0.9', { dev: 'eth0' })],
    ['neighbours.delete (proxy)', 2, 'ENOENT', 'proxy neighbour', (nl) => nl.neighbours.delete('10.0.0.9', { dev: 7, proxy: true })],
    ['rules.delete', 2, 'ENOENT', 'rule', (nl) => nl.rules.delete({ priority: 999 })],
  ];
  for (const [name, errno, code, what, call] of cases) {
    it(`${name}: ${code} is a NotFoundError('${what}') with errno ${errno}`, async () => {
      const nl = withEth0();
      try {
        expectNotFound(await fail(call(nl)), what, code, errno);
      } finally {
        nl.close();
      }
    });
  }

  it('batch deletes: the absent items fail with NotFoundError, the same rule', async () => {
    const nl = withEth0();
    try {
      await nl.addresses.add('10.0.0.2/24', { link: 7 });
      const [a, b] = await nl.addresses.deleteBatch([
        { cidr: '10.0.0.1/24', link: 7 },
        { cidr: '10.0.0.2/24', link: 'eth0' },
      ]);
      expect(a!.ok).toBe(false);
      expectNotFound((a as { error: Error }).error, 'address', 'EADDRNOTAVAIL', 99);
      expect(b).toEqual({ ok: true });
      const [r] = await nl.routes.deleteBatch([{ dst: '10.9.0.0/16' }]);
      expectNotFound((r as { error: Error }).error, 'route', 'ESRCH', 3);
    } finally {
      nl.close();
    }
  });

  it('other refusals stay NetlinkErrors (EPERM on a delete is no "not found")', async () => {
    const nl = NetlinkClient.open({ transport: refusing(1), timeoutMs: 2000 });
    try {
      const calls = [
        () => nl.addresses.delete('10.0.0.1/24', { link: 7 }),
        () => nl.routes.delete({ dst: '10.9.0.0/16' }),
        () => nl.rules.delete({ priority: 9 }),
      ];
      for (const call of calls) {
        const err = await fail(call());
        expect(isNetlinkError(err) && err.code, String(err)).toBe('EPERM');
      }
    } finally {
      nl.close();
    }
  });
});

describe.skipIf(!privileged)('NotFoundError from the real kernel (throwaway namespace)', () => {
  it('links, addresses (IPv4 and IPv6), routes, route get, neighbours and rules', async () => {
    await withNetns(async (ns) => {
      ns.ip('link', 'add', 'nf-a', 'type', 'veth', 'peer', 'name', 'nf-b');
      ns.ip('link', 'set', 'nf-a', 'up');
      const { socketFd } = ns;
      const nl = NetlinkClient.open({ transport: new NetlinkSocket({ fd: socketFd.call(ns) }) });
      try {
        expectNotFound(await fail(nl.links.get('nf-none')), 'link', 'ENODEV', 19);
        expectNotFound(await fail(nl.links.delete(4242)), 'link', 'ENODEV', 19);
        expectNotFound(await fail(nl.addresses.delete('10.77.0.1/24', { link: 'nf-a' })), 'address', 'EADDRNOTAVAIL', 99);
        expectNotFound(await fail(nl.addresses.delete('2001:db8:77::1/64', { link: 'nf-a' })), 'address', 'EADDRNOTAVAIL', 99);
        expectNotFound(await fail(nl.routes.delete({ dst: '10.78.0.0/16', dev: 'nf-a' })), 'route', 'ESRCH', 3);
        expectNotFound(await fail(nl.routes.get('198.51.100.7')), 'route to', 'ENETUNREACH', 101);
        expectNotFound(await fail(nl.neighbours.delete('10.77.0.9', { dev: 'nf-a' })), 'neighbour', 'ENOENT', 2);
        expectNotFound(await fail(nl.rules.delete({ priority: 4242 })), 'rule', 'ENOENT', 2);
      } finally {
        nl.close();
      }
    });
  });
});
