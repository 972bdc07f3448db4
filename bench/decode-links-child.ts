/**
 * One process of bench/decode-links.ts: decodes the dump in argv[2] as `links.list()` does, first
 * cold, then warm; prints one JSON line. Imports happen before any clock starts.
 */
import { readFileSync } from 'node:fs';
import { toLink } from '../src/api/links.js';
import { rtnetlinkCodec } from '../src/api/rtnetlink-codec.js';
import { makeCtx } from '../src/codec/message.js';
import { unpackDatagrams } from './synthetic-links.js';

const dgrams = unpackDatagrams(new Uint8Array(readFileSync(process.argv[2]!)));
const warmRounds = Number(process.argv[3] ?? 300);

/** What Connection.onDatagram + dumpMap + toLink do for a dump, minus the socket. */
function listLinks(): unknown[] {
  const codec = rtnetlinkCodec();
  const out: unknown[] = [];
  for (const d of dgrams) {
    const copy = new Uint8Array(d);
    const ctx = makeCtx(d);
    let pos = 0;
    while (pos < d.length) {
      const end = codec.frameEnd(ctx, pos);
      const msg = codec.decodeFrame(ctx, pos, end, true);
      if (msg.kind === 'newlink') out.push(toLink(msg, copy, pos));
      pos = (end + 3) & ~3;
    }
  }
  return out;
}

function decodeOnly(): number {
  const codec = rtnetlinkCodec();
  let n = 0;
  for (const d of dgrams) n += codec.decode(d).length;
  return n;
}

const bytes = dgrams.reduce((s, d) => s + d.length, 0);
let t = performance.now();
const links = listLinks().length;
const cold = performance.now() - t;
t = performance.now();
listLinks();
const second = performance.now() - t;
const w: number[] = [];
for (let i = 0; i < warmRounds; i++) {
  t = performance.now();
  listLinks();
  w.push(performance.now() - t);
}
const wd: number[] = [];
for (let i = 0; i < warmRounds; i++) {
  t = performance.now();
  decodeOnly();
  wd.push(performance.now() - t);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(JSON.stringify({ cold, second, warm: median(w.slice(w.length >> 1)), warmDecodeOnly: median(wd.slice(wd.length >> 1)), links, bytes }));
