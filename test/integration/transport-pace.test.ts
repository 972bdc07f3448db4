/**
 * NetlinkSocket's paceMs (monitors' event sockets) against the kernel, in a throwaway namespace:
 * while events stream in they are read in bursts by a timer instead of one event-loop wake-up
 * each, none is lost or reordered, ENOBUFS is still reported, and the event loop reads again after.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { privileged, withNetns } from '../support/netns.js';

/** RTNLGRP_IPV4_IFADDR */
const IPV4_IFADDR = 5;

function batchFile(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`address add 10.77.${i >> 8}.${i & 255}/32 dev va`);
  for (let i = 0; i < n; i++) lines.push(`address del 10.77.${i >> 8}.${i & 255}/32 dev va`);
  const file = path.join(tmpdir(), `nlts-pace-${process.pid}.batch`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Resolves when `cond` holds (checked every 5 ms), rejects after `ms`. */
function until(cond: () => boolean, ms = 10_000): Promise<void> {
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

/** Runs `ip -n NS -batch FILE` without blocking this process's event loop. */
async function ipBatch(ns: string, file: string): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => execFile('ip', ['-n', ns, '-batch', file], (err) => (err ? reject(err) : resolve())));
}

describe.skipIf(!privileged)('NetlinkSocket paceMs (kernel)', () => {
  it('reads a stream of events in bursts, complete and in order, then from the event loop again', () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      const n = 1500;
      const file = batchFile(n);
      const sock = new NetlinkSocket({ fd: ns.socketFd(), receiveBuffer: 8 << 20, recoverOverrun: true, paceMs: 1 });
      const seqs: number[] = [];
      const errors: Error[] = [];
      // Event-loop turns with deliveries: one per wake-up when every datagram wakes the loop.
      let turns = 0;
      let inTurn = false;
      sock.start({
        datagram: (d) => {
          seqs.push(new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(8, true));
          if (inTurn) return;
          inTurn = true;
          turns++;
          setImmediate(() => (inTurn = false));
        },
        error: (e) => errors.push(e),
      });
      try {
        sock.addMembership(IPV4_IFADDR);
        await ipBatch(ns.name, file);
        await until(() => seqs.length >= 2 * n);
        expect(errors).toEqual([]);
        expect(seqs).toHaveLength(2 * n);
        // ip -batch numbers its requests; each event carries its request's sequence number.
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
        // One wake-up per event gives ~1-2 events a turn when the reader keeps up; bursts give many.
        expect(seqs.length / turns).toBeGreaterThan(4);
        // After the stream, a lone event comes through the event loop (the timer stopped).
        await new Promise((r) => setTimeout(r, 30));
        ns.ip('address', 'add', '10.78.0.1/32', 'dev', 'va');
        await until(() => seqs.length === 2 * n + 1, 2000);
      } finally {
        sock.close();
      }
    }));

  it('reports ENOBUFS met while reading in bursts, and reads on', () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      const n = 3000;
      const file = batchFile(n);
      const sock = new NetlinkSocket({ fd: ns.socketFd(), receiveBuffer: 64 << 10, recoverOverrun: true, paceMs: 1 });
      let got = 0;
      let gotAfterError = 0;
      const errors: (Error & { code?: string })[] = [];
      sock.start({
        datagram: () => {
          got++;
          if (errors.length > 0) gotAfterError++;
          // Stall once, early in the stream, while reading in bursts: the small buffer overflows.
          if (got === 20) {
            const t = Date.now();
            while (Date.now() - t < 300);
          }
        },
        error: (e) => errors.push(e),
      });
      try {
        sock.addMembership(IPV4_IFADDR);
        await ipBatch(ns.name, file);
        await until(() => errors.length > 0 && gotAfterError > 0);
        expect(errors[0]!.code).toBe('ENOBUFS');
        expect(got).toBeLessThan(2 * n);
      } finally {
        sock.close();
      }
    }));
});
