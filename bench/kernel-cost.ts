/**
 * What the kernel's own share of a sequential request costs, depending on what user space does
 * between requests. S3 compares one-at-a-time address adds with `ip -batch`; most of each request
 * is the kernel handling RTM_NEWADDR inside write(2). This measures the time spent inside that
 * write, for the same 1000 /32 adds and deletes sent three ways from one Node process:
 *
 *   tight   pre-built requests on a bare NetlinkSocket, nothing between them (like a C loop);
 *   touch   the same, reading 4 MiB of memory between requests (a big working set's cache misses);
 *   api     addresses.add / delete by link index, the library's whole path between requests.
 *
 *   npx tsx bench/kernel-cost.ts [--rounds N]       (root: it makes a throwaway namespace)
 *
 * The modes alternate round by round in fresh processes; medians over rounds of the mean time
 * per request inside write(2) (µs). The namespace nlts-kc-<pid> is always removed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlinkClient } from '../src/api/client.js';
import { NetlinkSocket } from '../src/transport/netlink-socket.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = 1000;
const MODES = ['tight', 'touch', 'api'] as const;
type Mode = (typeof MODES)[number];

/** The libuv handle's writeBuffer, wrapped to add up the time spent in it (the write(2) call). */
function timeWrites(sock: NetlinkSocket): { take(): number } {
  const handle = (sock as unknown as { handle: { writeBuffer(req: unknown, d: Uint8Array): number } }).handle;
  const orig = handle.writeBuffer.bind(handle);
  let total = 0;
  let count = 0;
  handle.writeBuffer = (req, d) => {
    const t = performance.now();
    const r = orig(req, d);
    total += performance.now() - t;
    count++;
    return r;
  };
  return {
    take() {
      const us = (total / count) * 1000;
      total = 0;
      count = 0;
      return us;
    },
  };
}

/** RTM_NEWADDR (with IFA_FLAGS 0) / RTM_DELADDR for 10.2.x.y/32 as the library stamps them, NLM_F_ACK. */
function request(add: boolean, seq: number, index: number, ip: number): Buffer {
  const b = Buffer.alloc(add ? 48 : 40);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(add ? 20 : 21, 4);
  b.writeUInt16LE(add ? 0x605 : 0x005, 6);
  b.writeUInt32LE(seq, 8);
  b[16] = 2; // AF_INET
  b[17] = 32;
  b.writeInt32LE(index, 20);
  b.writeUInt32LE(0x00020008, 24); // IFA_LOCAL
  b.writeUInt32BE(ip, 28);
  b.writeUInt32LE(0x00010008, 32); // IFA_ADDRESS
  b.writeUInt32BE(ip, 36);
  if (add) b.writeUInt32LE(0x00080008, 40); // IFA_FLAGS 0
  return b;
}

async function child(mode: Mode): Promise<void> {
  const index = Number(readFileSync('/sys/class/net/va/ifindex', 'utf8'));
  const ips = Array.from({ length: N }, (_, i) => 0x0a020000 + i + 1);
  let add: number;
  let del: number;
  if (mode === 'api') {
    const c = NetlinkClient.open();
    const w = timeWrites(c.connection.transport as NetlinkSocket);
    const text = ips.map((ip) => `10.2.${(ip >> 8) & 255}.${ip & 255}/32`);
    for (const t of text) await c.addresses.add(t, { link: index });
    add = w.take();
    for (const t of text) await c.addresses.delete(t, { link: index });
    del = w.take();
    c.close();
  } else {
    const sock = new NetlinkSocket({ receiveBuffer: 1 << 20 });
    let waiting = false;
    let failed = 0;
    sock.start({
      datagram: (d) => {
        if ((d[16]! | d[17]! | d[18]! | d[19]!) !== 0) failed++; // nlmsgerr.error
        waiting = false;
      },
      error: (e) => {
        throw e;
      },
      awaitingReplies: () => waiting,
    });
    const w = timeWrites(sock);
    const big = new Uint32Array(1 << 20);
    let sink = 0;
    const run = (list: Buffer[]) => {
      for (const m of list) {
        if (mode === 'touch') for (let i = 0; i < big.length; i += 16) sink += big[i]!++;
        waiting = true;
        sock.send(m);
        if (waiting) throw new Error('the ACK was not there right after the write');
      }
    };
    run(ips.map((ip, i) => request(true, i + 1, index, ip)));
    add = w.take();
    run(ips.map((ip, i) => request(false, N + i + 1, index, ip)));
    del = w.take();
    sock.close();
    if (failed) throw new Error(`${failed} requests failed`);
    if (sink < 0) console.log(sink);
  }
  console.log(`RESULT ${JSON.stringify({ mode, add, del })}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function main(): void {
  const argv = process.argv.slice(2);
  const rounds = argv[0] === '--rounds' ? Number(argv[1]) : 7;
  if (!(rounds > 0)) throw new Error('usage: npx tsx bench/kernel-cost.ts [--rounds N]');
  if (process.getuid?.() !== 0) throw new Error('needs root: it makes a throwaway network namespace');
  const ns = `nlts-kc-${process.pid}`;
  const cleanup = () => {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // not made, or gone
    }
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  const results = new Map<Mode, { add: number[]; del: number[] }>(MODES.map((m) => [m, { add: [], del: [] }]));
  for (let r = 0; r < rounds; r++) {
    // A rotating order, so no mode always runs right after the same other one.
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(r + k) % MODES.length]!;
      const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result from ${mode}: ${out}`);
      const res = JSON.parse(line.slice(7)) as { add: number; del: number };
      results.get(mode)!.add.push(res.add);
      results.get(mode)!.del.push(res.del);
    }
    process.stderr.write(`round ${r + 1}/${rounds}\r`);
  }
  const tight = results.get('tight')!;
  console.log(`\ntime inside write(2) per request, µs: median over ${rounds} rounds (min-max); ${N} adds then ${N} deletes per process\n`);
  console.log('| mode | add | delete | add vs tight |');
  console.log('|---|---:|---:|---:|');
  for (const m of MODES) {
    const r = results.get(m)!;
    const f = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
    console.log(`| ${m} | ${f(r.add)} | ${f(r.del)} | ${(median(r.add) / median(tight.add)).toFixed(2)}x |`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as Mode);
else main();
