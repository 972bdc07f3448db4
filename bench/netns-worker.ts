/**
 * netlink-ts side of bench/netns.ts (S5). Runs in the root namespace, prints one `RESULT {json}`.
 * Times in ms (performance.now()); imports are done before any clock starts.
 *
 *   first {names: [NS], entry, repeats}  connect({ netns: NS }) + the first link dump, in this fresh
 *                                          process; then `repeats` more dumps on the same client.
 *   many  {names: [20 x NS], entry, maxHelpers}  all opened at once: connect + one dump each.
 *   setns-loop {names: [NS], repeats}  in-process entry (setns, socket, setns back) per call, µs.
 */
import { NetlinkClient } from '../src/api/client.js';
import { setMaxHelpers } from '../src/netns/enter.js';
// connect() loads the namespace modules on first use; a long-running program has them already.
import '../src/netns/sockets.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  mode: string;
  names: string[];
  entry: 'helper' | 'setns';
  repeats?: number;
  maxHelpers?: number;
};

async function first(): Promise<object> {
  const t0 = performance.now();
  const c = await NetlinkClient.connect({ netns: args.names[0]!, netnsEntry: args.entry });
  const connected = performance.now() - t0;
  let links = await c.links.list();
  const firstMs = performance.now() - t0;
  const count = links.length;
  const repeat: number[] = [];
  for (let i = 0; i < (args.repeats ?? 20); i++) {
    const t = performance.now();
    links = await c.links.list();
    repeat.push(performance.now() - t);
    if (links.length !== count) throw new Error(`repeat dump: ${links.length} links, first ${count}`);
  }
  c.close();
  // performance.now() counts from the process's start: t0 + firstMs is start-up included.
  return { first: firstMs, connect: connected, repeat, count, processToFirst: t0 + firstMs };
}

async function many(): Promise<object> {
  if (args.maxHelpers) setMaxHelpers(args.maxHelpers);
  const t0 = performance.now();
  const counts = await Promise.all(
    args.names.map(async (name) => {
      const c = await NetlinkClient.connect({ netns: name, netnsEntry: args.entry });
      try {
        return (await c.links.list()).length;
      } finally {
        c.close();
      }
    }),
  );
  const total = performance.now() - t0;
  return { total, perNs: total / args.names.length, counts };
}

/** In-process entry cost: setns in, socket(), setns back, close; n times. */
async function setnsLoop(): Promise<object> {
  const { enterNetns } = await import('../src/netns/enter.js');
  const { resolveNetns } = await import('../src/netns/target.js');
  const { close } = await import('../src/transport/libc.js');
  const ns = resolveNetns(args.names[0]!);
  const n = args.repeats ?? 1000;
  for (let i = 0; i < 50; i++) close((await enterNetns(ns, { entry: 'setns', sockets: [0] })).sockets[0]!); // warm
  const t0 = performance.now();
  for (let i = 0; i < n; i++) close((await enterNetns(ns, { entry: 'setns', sockets: [0] })).sockets[0]!);
  return { perEntryUs: ((performance.now() - t0) / n) * 1000 };
}

const result = args.mode === 'many' ? await many() : args.mode === 'setns-loop' ? await setnsLoop() : await first();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
