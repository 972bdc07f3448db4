/**
 * Decoder micro-benchmark behind docs/architecture.md: a recorded 2001-link dump (with stats) and
 * a 10k-route dump, decoded by the generated decoders and by the reference interpreter, in one
 * run, alternating. Medians of 15 rounds after 3 warm-up rounds. Needs root (records in a
 * throwaway namespace); with --synthetic it needs nothing: the same shapes built from recorded
 * fixtures (bench/synthetic-links.ts), no namespace.
 *
 *   npx tsx bench/decode.ts [--synthetic]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rtnetlinkSpecs } from '../protocol/index.js';
import { NetlinkClient } from '../src/api/client.js';
import { decodeAttrsInterpreted, decodeStructGeneric } from '../src/codec/compile.js';
import { ProtocolCodec } from '../src/codec/message.js';
import { NetlinkSocket } from '../src/transport/netlink-socket.js';
import type { Transport, TransportSink } from '../src/transport/types.js';
import { createNetns, deleteNetns } from '../test/support/netns.js';
import { syntheticLinkDump, syntheticRouteDump } from './synthetic-links.js';

/** Keeps a copy of every datagram received. */
class Capture implements Transport {
  readonly got: Uint8Array[] = [];
  constructor(private readonly inner: NetlinkSocket) {}
  get protocol() {
    return this.inner.protocol;
  }
  get portId() {
    return this.inner.portId;
  }
  start(sink: TransportSink) {
    this.inner.start({
      ...sink,
      datagram: (d) => {
        this.got.push(Uint8Array.prototype.slice.call(d));
        sink.datagram(d);
      },
    });
  }
  send(d: Uint8Array) {
    this.inner.send(d);
  }
  ref() {
    this.inner.ref();
  }
  unref() {
    this.inner.unref();
  }
  close() {
    this.inner.close();
  }
}

async function record(): Promise<{ links: Uint8Array[]; routes: Uint8Array[] }> {
  const ns = createNetns();
  try {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) lines.push(`link add a${i} type veth peer name b${i}`);
    lines.push('link add vz type veth peer name vy', 'link set vz up', 'addr add 192.0.2.1/24 dev vz');
    for (let i = 0; i < 10000; i++) lines.push(`route add 198.18.${i >> 8}.${i & 255}/32 via 192.0.2.2`);
    writeFileSync(`/tmp/nlts-decode-bench-${process.pid}`, lines.join('\n') + '\n');
    execFileSync('ip', ['-n', ns.name, '-batch', `/tmp/nlts-decode-bench-${process.pid}`]);
    const cap = new Capture(new NetlinkSocket({ fd: ns.socketFd() }));
    const nl = NetlinkClient.open({ transport: cap });
    await nl.links.list({ stats: true });
    const links = cap.got.splice(0);
    await nl.routes.list({ family: 'inet' });
    const routes = cap.got.splice(0);
    nl.close();
    return { links, routes };
  } finally {
    deleteNetns(ns);
  }
}

const generated = new ProtocolCodec(rtnetlinkSpecs);
const interpreted = new ProtocolCodec(rtnetlinkSpecs);
for (const fam of interpreted.families.values()) {
  for (const set of fam.sets.values()) set.decode = (ctx, s, e, d) => decodeAttrsInterpreted(ctx, set, s, e, d);
  for (const st of fam.structs.values()) st.decode = (ctx, s, e) => decodeStructGeneric(ctx, st, s, e);
}

function time(codec: ProtocolCodec, dgrams: Uint8Array[]): number {
  const t0 = performance.now();
  let n = 0;
  for (const d of dgrams) n += codec.decode(d).length;
  if (n === 0) throw new Error('nothing decoded');
  return performance.now() - t0;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const data = process.argv.includes('--synthetic') ? { links: syntheticLinkDump(), routes: syntheticRouteDump() } : await record();
console.log('| dump | generated (ms) | interpreter (ms) | speed-up |\n|---|---:|---:|---:|');
for (const [name, dgrams] of [
  ['2001 links with stats', data.links],
  ['10k IPv4 routes', data.routes],
] as const) {
  const g: number[] = [];
  const i: number[] = [];
  for (let r = 0; r < 18; r++) {
    const tg = time(generated, dgrams);
    const ti = time(interpreted, dgrams);
    if (r >= 3) {
      g.push(tg);
      i.push(ti);
    }
  }
  console.log(`| ${name} | ${median(g).toFixed(1)} | ${median(i).toFixed(1)} | ${(median(i) / median(g)).toFixed(2)}x |`);
}
