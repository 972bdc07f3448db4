/**
 * One fresh process of bench/first-request.ts (bundled with the library; loaded by a tiny entry
 * that times the import). Runs inside the bench's namespace and prints one `RESULT {json}` line.
 * Times are ms (performance.now(), from the process's start).
 *
 *   what  'add'  NetlinkClient.open(), then addresses.add(cidr, { link: index }) 1000 times
 *                (the first alone, the second alone, the rest in blocks), then 1000 deletes (in
 *                blocks); then the same thousand added and deleted again, four more passes
 *         'list' links.list() of the namespace's 3 links, then a second one
 *         'get'  links.get('veth0'), then a second one
 *   split true: before the first request, do its one-time parts one by one, each timed (the
 *         family's spec compile, the stamp or the decoders): what is left is the first request's
 *         cold code and the kernel.
 */
import { NetlinkClient } from '../src/api/client.js';
import { AddressStamps } from '../src/api/address-stamps.js';
import { LINK_FIELDS } from '../src/api/link-fields.js';
import { rtnetlinkCodec } from '../src/api/rtnetlink-codec.js';
import { selectedSetDecoder } from '../src/codec/fast-decode.js';
import { MAX_NEST_DEPTH } from '../src/codec/types.js';

interface Args {
  what: 'add' | 'list' | 'get';
  split: boolean;
  index: number;
}

/** Marks in order: [name, ms since the previous mark]. */
class Marks {
  readonly list: [string, number][] = [];
  private last: number;
  constructor(start: number) {
    this.last = start;
  }
  mark(name: string): void {
    const now = performance.now();
    this.list.push([name, now - this.last]);
    this.last = now;
  }
}

function splitParts(m: Marks, what: Args['what']): void {
  const codec = rtnetlinkCodec();
  if (what === 'add') {
    codec.family('rt-addr');
    m.mark('compile rt-addr');
    // Before #17 the client kept its own AddressStamps (built from the codec): this one built the
    // same template and function first (the client's was then a second build, warm). Since, the
    // stamps are generated at build time: this is their first call.
    const Stamps = AddressStamps as unknown as new (c: unknown) => AddressStamps; // the codec: taken before #17, ignored since
    new Stamps(codec).add('inet', new Uint8Array(4), 32, 0, 0, 1);
    m.mark('stamp (template + generated function)');
    return;
  }
  const link = codec.family('rt-link');
  m.mark('compile rt-link');
  const set = link.messages.get('newlink')!.attributes;
  if (what === 'list') selectedSetDecoder(set, LINK_FIELDS, MAX_NEST_DEPTH);
  else set.decode(ctxOf(new Uint8Array(4)), 0, 0, 0);
  m.mark('decoder generation');
}

function ctxOf(b: Uint8Array) {
  return { bytes: b, view: new DataView(b.buffer) };
}

async function addRun(m: Marks, c: NetlinkClient, index: number): Promise<Record<string, number>> {
  const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  await c.addresses.add(ip(1), { link: index });
  m.mark('first request');
  if (process.env.NLTS_FIRST_ONLY) {
    // For profiles of the first request alone (the loop's samples would bury it).
    await c.addresses.delete(ip(1), { link: index });
    return {};
  }
  await c.addresses.add(ip(2), { link: index });
  m.mark('second request');
  // The rest of the first thousand in blocks: how the cost per request falls as V8 tiers the path up.
  const out: Record<string, number> = {};
  let t = performance.now();
  const t3 = t;
  for (const [from, to] of [
    [3, 100],
    [101, 300],
    [301, 1000],
  ] as const) {
    for (let i = from; i <= to; i++) await c.addresses.add(ip(i), { link: index });
    const now = performance.now();
    out[`adds ${from}-${to} (µs each)`] = ((now - t) / (to - from + 1)) * 1000;
    t = now;
  }
  out['adds 3-1000 (µs each)'] = ((t - t3) / 998) * 1000;
  t = performance.now();
  const t1 = t;
  for (const [from, to] of [
    [1, 100],
    [101, 300],
    [301, 1000],
  ] as const) {
    for (let i = from; i <= to; i++) await c.addresses.delete(ip(i), { link: index });
    const now = performance.now();
    out[`deletes ${from}-${to} (µs each)`] = ((now - t) / (to - from + 1)) * 1000;
    t = now;
  }
  out['deletes 1-1000 (µs each)'] = t - t1;
  // The same thousand again, four times, in this process: how the cost settles as V8 tiers up.
  for (let pass = 2; pass <= 5; pass++) {
    t = performance.now();
    for (let i = 1; i <= 1000; i++) await c.addresses.add(ip(i), { link: index });
    out[`adds, pass ${pass} (µs each)`] = performance.now() - t;
    t = performance.now();
    for (let i = 1; i <= 1000; i++) await c.addresses.delete(ip(i), { link: index });
    out[`deletes, pass ${pass} (µs each)`] = performance.now() - t;
  }
  return out;
}

export async function main(t0: number, t1: number, args: Args): Promise<void> {
  const m = new Marks(t1);
  const c = NetlinkClient.open();
  m.mark('open (socket through ffi-rs)');
  if (args.split) splitParts(m, args.what);
  let extra: Record<string, number> = {};
  if (args.what === 'add') extra = await addRun(m, c, args.index);
  else {
    const one = () => (args.what === 'list' ? c.links.list() : c.links.get('veth0'));
    await one();
    m.mark('first request');
    await one();
    m.mark('second request');
  }
  c.close();
  const out = { 'node start': t0, import: t1 - t0, ...Object.fromEntries(m.list), ...extra };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}
