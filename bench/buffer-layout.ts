/**
 * Micro-benchmark behind docs/dependencies.md: decoding the 16-byte ifinfomsg header with
 * buffer-layout versus the spec interpreter's struct codec (DataView). Medians of 7 rounds.
 */
import BufferLayout from 'buffer-layout';
import { rtLinkSpec } from '../protocol/rt-link.js';
import { compileFamily, decodeStruct } from '../src/codec/compile.js';
import { makeCtx } from '../src/codec/message.js';

const layout = BufferLayout.struct([
  BufferLayout.u8('family'),
  BufferLayout.u8('pad'),
  BufferLayout.u16('type'),
  BufferLayout.s32('index'),
  BufferLayout.u32('flags'),
  BufferLayout.u32('change'),
]);
const st = compileFamily(rtLinkSpec).structs.get('ifinfomsg')!;
const buf = Buffer.from('000004030200000043100100000000000000', 'hex').subarray(0, 16);
const ctx = makeCtx(buf);
const N = 200_000;

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}
const rounds = { bufferLayout: [] as number[], specStruct: [] as number[] };
let sink = 0;
for (let r = 0; r < 7; r++) {
  rounds.bufferLayout.push(
    time(() => {
      for (let i = 0; i < N; i++) sink += (layout.decode(buf) as { index: number }).index;
    }),
  );
  rounds.specStruct.push(
    time(() => {
      for (let i = 0; i < N; i++) sink += decodeStruct(ctx, st, 0, 16).index as number;
    }),
  );
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const bl = median(rounds.bufferLayout);
const ss = median(rounds.specStruct);
console.log(
  `ifinfomsg decode x${N}: buffer-layout ${bl.toFixed(1)} ms, spec struct codec ${ss.toFixed(1)} ms, ratio ${(bl / ss).toFixed(2)}x (${sink > 0 ? 'ok' : ''})`,
);
