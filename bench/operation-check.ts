/**
 * What checking a request against its operation (src/codec/operations.ts) costs per request,
 * beside what encoding the same request costs: requests as the API builds them (an address add,
 * a route add, a link get by name, a route dump), each checked and encoded many times.
 *
 *   npx tsx bench/operation-check.ts [--n 2000000]
 *
 * Prints ns per request for: the lookup alone (find), the lookup and the check (find + offending),
 * and encode (ProtocolCodec.encode into one reused writer), best of 5 rounds.
 */
import { NLM_F } from '../protocol/netlink.js';
import { rtnetlinkSpecs } from '../protocol/rtnetlink.js';
import { ByteWriter } from '../src/codec/byte-writer.js';
import { ProtocolCodec } from '../src/codec/message.js';
import { Operations } from '../src/codec/operations.js';

const argv = process.argv.slice(2);
const N = Number(argv[argv.indexOf('--n') + 1] || 0) || 2_000_000;

const codec = new ProtocolCodec(rtnetlinkSpecs);
const ops = Operations.of(rtnetlinkSpecs);

interface Case {
  name: string;
  dump: boolean;
  msg: { kind: string; flags?: number; header: Record<string, unknown>; attrs: Record<string, unknown> };
}

const v4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
const CASES: Case[] = [
  {
    name: 'newaddr (local, address, flags, cacheinfo)',
    dump: false,
    msg: {
      kind: 'newaddr',
      header: { family: 'inet', prefixlen: 24, index: 2 },
      attrs: { local: v4('10.0.0.1'), address: v4('10.0.0.1'), flags: 0, cacheinfo: { prefered: 60, valid: 120, cstamp: 0, tstamp: 0 } },
    },
  },
  {
    name: 'newroute (dst, gateway, oif, priority, table, metrics)',
    dump: false,
    msg: {
      kind: 'newroute',
      header: { family: 'inet', dstLen: 24, table: 254, protocol: 'boot', scope: 'universe', type: 'unicast' },
      attrs: { dst: v4('10.1.0.0'), gateway: v4('10.0.0.2'), oif: 2, priority: 10, table: 254, metrics: { mtu: 1400 } },
    },
  },
  { name: 'getlink by name (ifname, extMask)', dump: false, msg: { kind: 'getlink', header: { family: 0 }, attrs: { ifname: 'eth0', extMask: 9 } } },
  {
    name: 'getroute dump (table, oif)',
    dump: true,
    msg: { kind: 'getroute', flags: NLM_F.REQUEST | NLM_F.DUMP, header: { family: 'inet' }, attrs: { table: 254, oif: 2 } },
  },
];

let sink = 0;

function time(f: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
  }
  return best;
}

for (const c of CASES) {
  const { kind, attrs } = c.msg;
  const w = new ByteWriter(512);
  const find = time(() => {
    for (let i = 0; i < N; i++) sink += ops.find(kind, c.dump)!.request.attributes.length;
  });
  const check = time(() => {
    for (let i = 0; i < N; i++) sink += ops.find(kind, c.dump)!.offending(attrs).length;
  });
  const n = Math.max(1, N >> 4);
  let encode = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      w.pos = 0;
      sink += codec.encode(c.msg, w).length;
    }
    encode = Math.min(encode, Number(process.hrtime.bigint() - t0) / n);
  }
  const ns = (x: number, digits: number) => `${x.toFixed(digits).padStart(6)} ns`;
  console.log(`${c.name.padEnd(58)} find ${ns(find, 1)}   find+check ${ns(check, 1)}   encode ${ns(encode, 0)}`);
}
if (sink === 42) console.log('');
