/**
 * NetlinkSocket against the kernel, in a throwaway namespace: the reply to a request is read
 * right after the send (the kernel queues it inside sendmsg), without waiting for the event loop;
 * dumps, errors and the event-loop path still work.
 */
import { describe, expect, it } from 'vitest';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { LinkApi } from '../../src/api/links.js';
import { NotFoundError } from '../../src/api/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { RecordingTransport } from '../../src/transport/recording.js';
import { privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[transport integration] skipped: ${skipReason}`);

/** Whether `p` settles before a setImmediate callback, i.e. without an event-loop turn. */
async function settlesBeforeEventLoop(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return new Promise((resolve) => setImmediate(() => resolve(settled)));
}

describe.skipIf(!privileged)('NetlinkSocket (kernel)', () => {
  it('reads the ACK of a request right after sending it, unless readAfterSend is false', () =>
    withNetns(async (ns) => {
      for (const readAfterSend of [true, false]) {
        const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd(), readAfterSend }), rtnetlinkCodec());
        try {
          const p = conn.request({ kind: 'getlink', header: { family: 0 }, attrs: { ifname: 'lo' } });
          // Promise jobs run before setImmediate either way; only the event-loop path needs a poll.
          const early = await settlesBeforeEventLoop(p);
          const [lo] = await p;
          expect(lo!.attrs?.ifname).toBe('lo');
          expect(early).toBe(readAfterSend);
        } finally {
          conn.close();
        }
      }
    }));

  it('sequential requests, a dump and a kernel refusal all complete with reads after send', () =>
    withNetns(async (ns) => {
      const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
      try {
        for (let i = 0; i < 50; i++) {
          await conn.request({
            kind: 'newaddr',
            flags: 0x400 | 0x200,
            header: { family: 'inet', prefixlen: 32, flags: 0, scope: 0, index: 1 },
            attrs: { local: `127.1.0.${i + 1}`, address: `127.1.0.${i + 1}` },
          });
        }
        const addrs = await conn.dump({ kind: 'getaddr', header: { family: 'inet', prefixlen: 0, flags: 0, scope: 0, index: 1 } });
        expect(addrs.filter((m) => String(m.attrs?.local).startsWith('127.1.0.'))).toHaveLength(50);
        const err = await conn
          .request({
            kind: 'newaddr',
            flags: 0x400 | 0x200,
            header: { family: 'inet', prefixlen: 32, flags: 0, scope: 0, index: 1 },
            attrs: { local: '127.1.0.1', address: '127.1.0.1' },
          })
          .catch((e) => e);
        expect(isNetlinkError(err) && err.code).toBe('EEXIST');
      } finally {
        conn.close();
      }
    }));

  it("linkIndex answers by ioctl in the socket's own namespace, and fails over to netlink", () =>
    withNetns(async (ns) => {
      // A name unique to this test run: no link of the root namespace can have it.
      const name = `ix${process.pid % 100000}`;
      ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
      const want = ns.ipJson<{ ifindex: number }[]>('link', 'show', name)[0]!.ifindex;
      const inNs = new NetlinkSocket({ fd: ns.socketFd() });
      const inRoot = new NetlinkSocket();
      const noIoctl = new NetlinkSocket({ fd: ns.socketFd(), ioctlLinkIndex: false });
      try {
        expect(inNs.linkIndex(name)).toBe(want);
        expect(inNs.linkIndex('lo')).toBe(1);
        expect(inNs.linkIndex(`${name}x`)).toBeUndefined();
        expect(inRoot.linkIndex(name)).toBeUndefined(); // looked up in the root namespace, where it is not
        expect(noIoctl.linkIndex(name)).toBeUndefined();
      } finally {
        inRoot.close();
        noIoctl.close();
      }
      inNs.close();
      expect(inNs.linkIndex('lo')).toBeUndefined(); // never an ioctl on a closed (maybe reused) fd number

      // Through the API: no datagram for a name the ioctl finds; a missing name is asked over
      // netlink and gives the kernel's answer; a recorder sees (and keeps) every lookup.
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      const sent: Uint8Array[] = [];
      const send = sock.send.bind(sock);
      sock.send = (d) => {
        sent.push(d);
        send(d);
      };
      const conn = new Connection(sock, rtnetlinkCodec());
      try {
        const links = new LinkApi(conn);
        expect(await links.index(name)).toBe(want);
        expect(sent).toHaveLength(0);
        const err = await links.index(`${name}x`).catch((e) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(sent).toHaveLength(1);
      } finally {
        conn.close();
      }
      const rec = new RecordingTransport(new NetlinkSocket({ fd: ns.socketFd() }));
      const recConn = new Connection(rec, rtnetlinkCodec());
      try {
        expect(await new LinkApi(recConn).index(name)).toBe(want);
        expect(rec.exchanges.map((e) => e.dir)).toEqual(['sent', 'received', 'received']);
      } finally {
        recConn.close();
      }
    }));
});
