/**
 * Forged replies (issue 13, item 1). Any process with CAP_NET_ADMIN over a namespace can sendto()
 * a netlink port id there (they are listed in /proc/net/netlink). Our reads carry no sender, and
 * replies are matched by sequence number, so a reply queued by another socket ahead of the
 * kernel's would be taken for the kernel's. Every NetlinkSocket is connect()ed to the kernel
 * (nl_pid 0), so the kernel itself refuses unicasts from other sockets (ECONNREFUSED to the
 * sender). Multicast is not affected: a monitor still gets the kernel's events, and also (nothing
 * on our side can stop that) multicasts sent by another privileged socket. See docs/security.md.
 *
 * The attacker is a NETLINK_ROUTE socket of this (root) process inside the throwaway namespace.
 */
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { RTNLGRP } from '../../src/monitor/groups.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { setnsSocketFactory } from '../../src/monitor/sockets.js';
import { DataType, load, open } from '../../src/transport/ffi.js';
import * as libc from '../../src/transport/libc.js';
import type { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { errorFor, nlmsg } from '../support/bytes.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[forged replies] skipped: ${skipReason}`);

const ECONNREFUSED = 111;
const RTM_DELADDR = 21;
const NLM_F_MULTI = 2;
const FORGED = { name: 'forged0', mtu: 1234 };

/** An attacker's socket in the namespace: bound, with its own port id. */
function attacker(ns: TestNetns): number {
  const fd = ns.socketFd();
  libc.bindNetlink(fd);
  return fd;
}

/** sendto(fd, datagram, sockaddr_nl{pid, groups}); 0 when sent, else the errno. */
function sendTo(fd: number, datagram: Uint8Array, pid: number, groups = 0): number {
  open({ library: 'libc', path: 'libc.so.6' });
  const sa = Buffer.alloc(12);
  sa.writeUInt16LE(libc.AF_NETLINK, 0);
  sa.writeUInt32LE(pid, 4);
  sa.writeUInt32LE(groups, 8);
  const r = load({
    library: 'libc',
    funcName: 'sendto',
    retType: DataType.I32,
    paramsType: [DataType.I32, DataType.U8Array, DataType.I32, DataType.I32, DataType.U8Array, DataType.I32],
    paramsValue: [fd, Buffer.from(datagram), datagram.length, 0, sa, 12],
    errno: true,
  }) as unknown as { value: number; errnoCode: number };
  return r.value < 0 ? r.errnoCode : 0;
}

/** An RTM_NEWLINK as the kernel would send it, for `lo` (index 1) but with a forged name and MTU. */
function forgedLink(seq: number, port: number, flags = 0): Uint8Array {
  return rtnetlinkCodec()
    .encode({
      kind: 'newlink',
      flags,
      seq,
      pid: port,
      header: { family: 0, type: 772, index: 1, flags: 0x49, change: 0 },
      attrs: { ifname: FORGED.name, mtu: FORGED.mtu },
    })
    .slice();
}

/** The kernel's ACK (NLMSG_ERROR 0) for a request with this type and seq. */
function forgedAck(type: number, seq: number, port: number): Uint8Array {
  return errorFor(nlmsg(type, 0x5, seq, port), 0);
}

function portOf(client: NetlinkClient): number {
  return (client.connection.transport as NetlinkSocket).portId;
}

/** A fresh client sends its first request with sequence number 1: the attacker queues replies for it. */
const FIRST_SEQ = 1;

async function expectRefusesForgedLink(client: NetlinkClient, ns: TestNetns): Promise<void> {
  const bad = attacker(ns);
  try {
    const port = portOf(client);
    const sent = sendTo(bad, Buffer.concat([forgedLink(FIRST_SEQ, port), forgedAck(18, FIRST_SEQ, port)]), port);
    const lo = await client.links.get('lo');
    expect({ name: lo.name, mtu: lo.mtu }).toEqual({ name: 'lo', mtu: 65536 });
    expect(sent).toBe(ECONNREFUSED);
  } finally {
    libc.close(bad);
  }
}

describe.skipIf(!privileged)('forged unicast replies are refused by the kernel', () => {
  it('a request socket: a forged RTM_NEWLINK reply with the matching seq is not returned by links.get()', () =>
    withNetns(async (ns) => {
      const client = NetlinkClient.open({ socket: { fd: ns.socketFd() } });
      try {
        await expectRefusesForgedLink(client, ns);
      } finally {
        client.close();
      }
    }));

  it('a request socket: a forged ACK does not make deleting an absent address succeed', () =>
    withNetns(async (ns) => {
      const client = NetlinkClient.open({ socket: { fd: ns.socketFd() } });
      const bad = attacker(ns);
      try {
        const port = portOf(client);
        const sent = sendTo(bad, forgedAck(RTM_DELADDR, FIRST_SEQ, port), port);
        const err = await client.addresses.delete('192.0.2.99/32', { link: 'lo' }).then(
          () => 'deleted',
          (e: { code?: string }) => e.code,
        );
        expect(err).toBe('EADDRNOTAVAIL');
        expect(sent).toBe(ECONNREFUSED);
      } finally {
        libc.close(bad);
        client.close();
      }
    }));

  it('a dump socket: a forged multipart dump with the matching seq is not returned by links.list()', () =>
    withNetns(async (ns) => {
      const client = NetlinkClient.open({ socket: { fd: ns.socketFd() } });
      const bad = attacker(ns);
      try {
        const port = portOf(client);
        const done = nlmsg(3, NLM_F_MULTI, FIRST_SEQ, port, new Uint8Array(4));
        const sent = sendTo(bad, Buffer.concat([forgedLink(FIRST_SEQ, port, NLM_F_MULTI), done]), port);
        const links = await client.links.list();
        expect(links.map((l) => [l.name, l.mtu])).toEqual([['lo', 65536]]);
        expect(sent).toBe(ECONNREFUSED);
      } finally {
        libc.close(bad);
        client.close();
      }
    }));

  it('a forged reply queued while the socket was bound but not yet connected is discarded', () =>
    withNetns(async (ns) => {
      // The window between bind() and connect(): a sender that knows the port id (a process's
      // first socket gets its pid) can queue a reply there. Here the test binds and forges first.
      const fd = ns.socketFd();
      libc.bindNetlink(fd);
      const port = libc.netlinkPortId(fd);
      const bad = attacker(ns);
      try {
        expect(sendTo(bad, Buffer.concat([forgedLink(FIRST_SEQ, port), forgedAck(18, FIRST_SEQ, port)]), port)).toBe(0);
      } finally {
        libc.close(bad);
      }
      const client = NetlinkClient.open({ socket: { fd, bound: true } });
      try {
        const lo = await client.links.get('lo');
        expect({ name: lo.name, mtu: lo.mtu }).toEqual({ name: 'lo', mtu: 65536 });
      } finally {
        client.close();
      }
    }));

  it('a socket made in another namespace by the helper (connect({ netns })): a forged reply is not returned', () =>
    withNetns(async (ns) => {
      const client = await NetlinkClient.connect({ netns: ns.name });
      try {
        await expectRefusesForgedLink(client, ns);
      } finally {
        client.close();
      }
    }));
});

describe.skipIf(!privileged)('monitor sockets', () => {
  /** A monitor on `link` in `ns`, and the port id of its event socket. */
  async function linkMonitor(ns: TestNetns): Promise<{ m: Monitor; port: number; seen: MonitorEvent[] }> {
    const fds: number[] = [];
    const sockets = async (netns: string, count: number) => {
      const made = await setnsSocketFactory(netns, count);
      fds.push(...made);
      return made;
    };
    const m = await Monitor.open({ netns: ns.name, sockets, groups: ['link'] });
    const seen: MonitorEvent[] = [];
    m.on('event', (e) => seen.push(e));
    return { m, port: libc.netlinkPortId(fds[0]!), seen };
  }

  const linkNames = (seen: MonitorEvent[]) => seen.flatMap((e) => (e.type === 'new' && e.kind === 'link' ? [e.object.name] : []));

  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    for (const start = Date.now(); !cond(); ) {
      if (Date.now() - start > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it("still receive the kernel's multicast events, and refuse unicasts from other sockets", () =>
    withNetns(async (ns) => {
      const { m, port, seen } = await linkMonitor(ns);
      const bad = attacker(ns);
      try {
        const sent = sendTo(bad, forgedLink(0, port), port);
        ns.ip('link', 'add', 'fa', 'type', 'veth', 'peer', 'name', 'fb');
        await until(() => linkNames(seen).includes('fa'));
        await new Promise((r) => setTimeout(r, 50));
        expect(linkNames(seen)).not.toContain(FORGED.name);
        expect(sent).toBe(ECONNREFUSED);
      } finally {
        libc.close(bad);
        m.close();
      }
    }));

  it('still receive a multicast forged by another privileged socket in the namespace (documented in docs/security.md)', () =>
    withNetns(async (ns) => {
      const { m, seen } = await linkMonitor(ns);
      const bad = attacker(ns);
      try {
        // Sending to an rtnetlink group needs CAP_NET_ADMIN over the namespace; the kernel delivers
        // it like its own, and a read(2) cannot tell the sender.
        expect(sendTo(bad, forgedLink(0, 0), 0, 1 << (RTNLGRP.link! - 1))).toBe(0);
        await until(() => linkNames(seen).includes(FORGED.name));
      } finally {
        libc.close(bad);
        m.close();
      }
    }));
});
