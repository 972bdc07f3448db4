/**
 * NetlinkSocket's event-loop stream (a net.Socket over the libuv handle) is made only when the
 * socket first needs the event loop: a one-shot request or dump answered by the reads right after
 * the send never makes it (node:net and Node's stream modules are ~2 ms of a CLI start). Whatever
 * needs the loop still gets it: a dump longer than those reads, multicast groups (joined here or
 * before the fd came), a send before start(); close() works before and after the stream exists.
 */
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NETLINK_SOCKOPT, SOL_NETLINK } from '../../protocol/netlink.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import * as libc from '../../src/transport/libc.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { privileged, withNetns } from '../support/netns.js';

/** RTNLGRP_LINK */
const RTNLGRP_LINK = 1;

function hasStream(sock: NetlinkSocket): boolean {
  return (sock as unknown as { stream?: unknown }).stream !== undefined;
}

/** What fd `fd` of this process is ('socket:[inode]'), or undefined when it is not open. */
function fdTarget(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Resolves when `cond` holds (checked every 5 ms), rejects after `ms`. */
function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out'));
      else return;
      clearInterval(t);
    }, 5);
  });
}

const getlink = { kind: 'getlink', header: { family: 0 } } as const;

describe.skipIf(!privileged)('NetlinkSocket: the event-loop stream only when needed (kernel)', () => {
  it('a request and a short dump answered by the reads after the send never make the stream', () =>
    withNetns(async (ns) => {
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      const conn = new Connection(sock, rtnetlinkCodec());
      try {
        const [lo] = await conn.request({ ...getlink, attrs: { ifname: 'lo' } });
        expect(lo!.attrs?.ifname).toBe('lo');
        expect((await conn.dump(getlink)).map((m) => m.attrs?.ifname)).toEqual(['lo']);
        await new Promise((r) => setImmediate(r));
        expect(hasStream(sock)).toBe(false);
      } finally {
        conn.close();
      }
    }));

  it('a dump longer than the reads after the send goes on through the event loop, complete', () =>
    withNetns(async (ns) => {
      const n = 600;
      const file = path.join(tmpdir(), `nlts-lazy-${process.pid}.batch`);
      writeFileSync(file, Array.from({ length: n / 2 }, (_, i) => `link add va${i} type veth peer name vb${i}\n`).join(''));
      try {
        ns.ip('-batch', file);
      } finally {
        rmSync(file, { force: true });
      }
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      const conn = new Connection(sock, rtnetlinkCodec());
      try {
        const names = (await conn.dump(getlink)).map((m) => String(m.attrs?.ifname));
        expect(names).toHaveLength(n + 1);
        expect(new Set(names).size).toBe(n + 1);
        expect(hasStream(sock)).toBe(true);
        // And the socket goes on as before: a request afterwards.
        const [d0] = await conn.request({ ...getlink, attrs: { ifname: 'vb7' } });
        expect(d0!.attrs?.ifname).toBe('vb7');
      } finally {
        conn.close();
      }
    }));

  it('events of groups joined with addMembership come through the event loop', () =>
    withNetns(async (ns) => {
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      let got = 0;
      sock.start({ datagram: () => got++, error: () => {} });
      try {
        sock.addMembership(RTNLGRP_LINK);
        ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
        await until(() => got > 0);
      } finally {
        sock.close();
      }
    }));

  it('a socket handed in already in a group gets its events without any call that needs the loop', () =>
    withNetns(async (ns) => {
      const fd = ns.socketFd();
      libc.setsockoptInt(fd, SOL_NETLINK, NETLINK_SOCKOPT.ADD_MEMBERSHIP, RTNLGRP_LINK, 'NETLINK_ADD_MEMBERSHIP');
      const sock = new NetlinkSocket({ fd });
      let got = 0;
      sock.start({ datagram: () => got++, error: () => {} });
      try {
        ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
        await until(() => got > 0);
      } finally {
        sock.close();
      }
    }));

  it('close() before the stream exists closes the fd and reports closed once, after the call', () =>
    withNetns(async (ns) => {
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      const conn = new Connection(sock, rtnetlinkCodec());
      await conn.request({ ...getlink, attrs: { ifname: 'lo' } });
      const fd = sock.fd;
      const target = fdTarget(fd);
      expect(target).toMatch(/^socket:/);
      let closed = 0;
      const sink = (sock as unknown as { sink: { closed?(): void } }).sink;
      const original = sink.closed!.bind(sink);
      sink.closed = () => {
        closed++;
        original();
      };
      sock.close();
      expect(closed).toBe(0);
      await until(() => closed === 1);
      expect(fdTarget(fd)).not.toBe(target);
      expect(conn.closed).toBe(true);
      await expect(conn.request({ ...getlink, attrs: { ifname: 'lo' } })).rejects.toThrow();
      sock.close();
      await new Promise((r) => setTimeout(r, 20));
      expect(closed).toBe(1);
    }));

  it('close() after the stream exists, with a request pending, rejects it and closes the fd', () =>
    withNetns(async (ns) => {
      const sock = new NetlinkSocket({ fd: ns.socketFd(), readAfterSend: false });
      const conn = new Connection(sock, rtnetlinkCodec());
      const p = conn.request({ ...getlink, attrs: { ifname: 'lo' } });
      expect(hasStream(sock)).toBe(true);
      const fd = sock.fd;
      const target = fdTarget(fd);
      sock.close();
      await expect(p).rejects.toThrow();
      await until(() => fdTarget(fd) !== target);
    }));

  it('close() of a socket never started closes its fd', () =>
    withNetns(async (ns) => {
      const sock = new NetlinkSocket({ fd: ns.socketFd() });
      const fd = sock.fd;
      const target = fdTarget(fd);
      sock.close();
      await until(() => fdTarget(fd) !== target);
    }));
});
