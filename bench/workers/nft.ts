/**
 * netlink-ts side of bench/nft.ts: the public API (`NetlinkClient.open({ netns })`, `nl.nftables`)
 * in the benchmark's namespace. Times are ms (performance.now()); every mode ends with one line
 * `RESULT {json}` on stdout.
 *
 *   apply {netns, file}   one process that applies a JSON document file and exits (the user's view):
 *                         reads and parses the file, opens the client, apply(), closes.
 *   list  {netns}         one process that lists the ruleset (nft -j list ruleset) and stringifies it.
 *   noop                  nothing: node and the modules loaded (the start-up floor of the two above).
 *   serve {netns, file}   a long-lived process for the warm rows: one command per stdin line,
 *                         `apply`, `list`, `capture FILE` (the transaction's datagram as nft would send
 *                         it, no echoes or generation, for the kernel floor), `rss`, `exit`; a RESULT line
 *                         for each.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { NetlinkClient } from '../../src/api/client.js';
import type { NftJsonDocument } from '../../src/nft/json/types.js';

const args = JSON.parse(process.argv[2] ?? '{}');

function result(r: object): void {
  process.stdout.write(`RESULT ${JSON.stringify({ ...r, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

async function apply(nl: NetlinkClient, doc: NftJsonDocument): Promise<object> {
  const t = performance.now();
  const r = await nl.nftables.apply(doc, args.handles === false ? { handles: false } : {});
  const ms = performance.now() - t;
  return { ms, handles: r.handles.filter((h) => h !== undefined).length };
}

async function list(nl: NetlinkClient): Promise<object> {
  const t = performance.now();
  const doc = await nl.nftables.list();
  const listMs = performance.now() - t;
  const text = JSON.stringify(doc);
  const ms = performance.now() - t;
  return { ms, listMs, bytes: text.length, rules: doc.nftables.filter((x) => 'rule' in x).length };
}

/** The transaction's datagram (batch begin .. end, no echo, no genid) as the kernel takes it, written to `file`. */
async function capture(nl: NetlinkClient, doc: NftJsonDocument, file: string): Promise<object> {
  const { linearizeDocument } = await import('../../src/nft/json/from-json.js');
  const nft = await nl.netfilter.connection();
  const transport = nft.connection.transport;
  const send = transport.send.bind(transport);
  const sent: Uint8Array[] = [];
  transport.send = (d: Uint8Array) => {
    sent.push(Uint8Array.from(d));
    send(d);
  };
  try {
    const { messages } = linearizeDocument(doc);
    await nft.transaction(messages.map((m) => ({ kind: m.kind as never, header: { family: m.header.family }, attrs: m.attrs, flags: m.flags })));
  } finally {
    transport.send = send;
  }
  writeFileSync(file, sent[0]!);
  return { bytes: sent[0]!.length, datagrams: sent.length };
}

async function main(): Promise<void> {
  if (args.mode === 'noop') return result({});
  if (args.mode === 'apply') {
    const doc = JSON.parse(readFileSync(args.file, 'utf8')) as NftJsonDocument;
    const nl = NetlinkClient.open({ netns: args.netns });
    const r = await apply(nl, doc);
    nl.close();
    return result(r);
  }
  if (args.mode === 'list') {
    const nl = NetlinkClient.open({ netns: args.netns });
    const r = await list(nl);
    nl.close();
    return result(r);
  }
  if (args.mode !== 'serve') throw new Error(`unknown mode ${args.mode}`);
  const doc = args.file === undefined ? undefined : (JSON.parse(readFileSync(args.file, 'utf8')) as NftJsonDocument);
  const nl = NetlinkClient.open({ netns: args.netns });
  result({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(' ');
    if (cmd === 'apply') result(await apply(nl, doc!));
    else if (cmd === 'list') result(await list(nl));
    else if (cmd === 'capture') result(await capture(nl, doc!, arg!));
    else if (cmd === 'rss') result({});
    else if (cmd === 'exit') break;
    else throw new Error(`unknown command ${line}`);
  }
  nl.close();
  result({ done: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
