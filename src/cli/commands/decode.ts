/**
 * nlts decode [ FILE | - | --hex HEX... ] [ -o OUT.pcap | OUT.json ]: netlink bytes from a
 * fixture, a pcap / pcapng capture or a hex dump, decoded with attribute names, nesting and byte
 * offsets (or -j JSON). Malformed input: one line naming the place and the offset, exit 1.
 * With -o the input is converted instead (fixture <-> pcap by the output's extension).
 */
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { NETLINK_GENERIC } from '../../../protocol/genetlink.js';
import type { Sender } from '../../codec/message-ids.js';
import { fixtureToPcap } from '../../pcap/fixture-pcap.js';
import { type Fixture, FIXTURE_FORMAT, FIXTURE_VERSION, newProvenance, saveFixture, toHex } from '../../transport/fixture.js';
import { formatMessage } from '../../codec/format.js';
import { Args } from '../args.js';
import { CliError, type CliContext, UsageError } from '../context.js';
import { type AnnotatedMessage, annotateRange, messageRanges } from '../decode/annotate.js';
import { CaptureFamilies } from '../decode/families.js';
import { type Datagram, type DecodeInput, readInput } from '../decode/input.js';
import { JsonArrayWriter, MESSAGE_PARTS, datagramJson, renderHeader, renderMessages, renderText } from '../decode/render.js';

export const DECODE_USAGE = `Usage: nlts decode [ FILE | - | --hex HEX... ] [ -o OUTPUT ]
FILE   := a fixture (.json, as --record writes), a pcap / pcapng capture (LINKTYPE_NETLINK,
          as --record FILE.pcap or tcpdump -i nlmon0 write), a hex dump, or raw netlink bytes
HEX    := one or more netlink messages in hex (spaces, colons and 0x prefixes allowed)
OUTPUT := convert instead of printing: OUT.pcap writes a capture, any other name a fixture
Each packet is decoded by its own netlink protocol; generic netlink families are named by the
nlctrl replies found earlier in the input. With -j (and -p) the messages are printed as JSON.`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const args = new Args(argv, DECODE_USAGE);
  let file: string | undefined;
  let hex: string[] | undefined;
  let output: string | undefined;
  while (!args.done) {
    if (args.acceptExact('--hex', '-x', 'hex')) {
      hex = [];
      while (!args.done && !['-o', '--output'].includes(args.peek()!)) hex.push(args.next()!);
      if (hex.length === 0) throw args.incomplete('--hex');
    } else if (args.acceptExact('-o', '--output')) output = args.value('-o');
    else if (args.acceptExact('help', '-h', '--help')) throw new UsageError('', DECODE_USAGE);
    else {
      const f = args.next()!;
      if (file !== undefined) throw args.garbage(f);
      file = f;
    }
  }
  const input = readInput(file, hex);
  // Generic netlink families are named by the nlctrl messages of this input, as they come.
  const families = new CaptureFamilies();
  if (output !== undefined) {
    convert(input, output, families);
    return;
  }
  // Each datagram is printed as it is decoded (a big one a part at a time): memory does not grow with the input.
  const json = ctx.options.json ? new JsonArrayWriter(ctx.out, ctx.options.pretty) : undefined;
  let failed = true;
  try {
    for (const d of input.datagrams) {
      d.protocol ??= input.protocol;
      const { ranges, count } = messageRanges(d.bytes, PART_BYTES);
      if (ranges.length === 1) {
        const msgs = annotate(input, d, ranges[0]!, families);
        if (json) json.push(datagramJson(d, msgs));
        else ctx.out(renderText(d, msgs));
      } else {
        // a datagram too big to hold decoded (a raw file, a hostile capture): its messages in parts
        if (json) json.openParts(datagramJson(d, [MESSAGE_PARTS]));
        else ctx.out(renderHeader(d, count));
        for (const r of ranges) {
          const msgs = annotate(input, d, r, families);
          if (json) json.part(msgs);
          else ctx.out(renderMessages(msgs));
          await drained();
        }
        json?.closeParts();
      }
      await drained();
    }
    failed = false;
  } finally {
    json?.end(failed);
  }
}

/** Requests are the user's, replies and notifications the kernel's; without a direction, each message's flags say. */
function senderOf(d: Datagram): Sender | undefined {
  return d.dir === undefined ? undefined : d.dir === 'sent' ? 'user' : 'kernel';
}

/** Datagram bytes decoded in parts of about this size (whole messages): a few MiB of annotation each. */
const PART_BYTES = 32 * 1024;

/** One range of a datagram annotated by its own protocol; nlctrl messages in it name families for what follows. */
function annotate(input: DecodeInput, d: Datagram, range: [number, number], families: CaptureFamilies): AnnotatedMessage[] {
  try {
    const protocol = d.protocol ?? input.protocol;
    const generic = protocol === NETLINK_GENERIC;
    const sender = senderOf(d);
    const msgs = annotateRange(families.codec(protocol), d.bytes, range, { ...(sender && { sender }), ...(generic && { genl: families }) });
    if (generic) families.learn(msgs.filter((m) => m.family === 'nlctrl').map((m) => ({ ...m, attrs: attrValues(m) })));
    return msgs;
  } catch (err) {
    const e = err as Error & { offset?: number };
    if (e.name !== 'DecodeError') throw err;
    const fileOff = d.fileOffset !== undefined && e.offset !== undefined ? `, file offset ${d.fileOffset + e.offset}` : '';
    const where = [input.name, ...(d.source !== input.name ? [`${d.source}${d.dir ? ` (${d.dir})` : ''}`] : [])].join(': ');
    throw new CliError(`nlts decode: ${where}: ${e.message}${fileOff}`, 1);
  }
}

/** An annotated message's top-level attributes by name. */
function attrValues(m: AnnotatedMessage): Record<string, unknown> {
  return Object.fromEntries((m.attributes ?? []).map((a) => [a.name, a.value]));
}

/**
 * Stdout to a pipe is written asynchronously: without waiting for it to drain, a synchronous
 * loop queues the whole output in memory. (Files and terminals are written synchronously.)
 */
async function drained(): Promise<void> {
  if (!process.stdout.writableNeedDrain) return;
  const ac = new AbortController();
  try {
    await Promise.race([once(process.stdout, 'drain', { signal: ac.signal }), once(process.stdout, 'close', { signal: ac.signal })]);
  } finally {
    ac.abort(); // removes the listener that did not fire
  }
}

/** The input as a fixture or a capture; each datagram keeps its protocol (a fixture names those unlike its first). */
function convert(input: DecodeInput, output: string, families: CaptureFamilies): void {
  const datagrams = [...input.datagrams];
  const protocol = datagrams.find((d) => d.protocol !== undefined)?.protocol ?? input.protocol;
  const fixture: Fixture = {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    provenance: newProvenance({ producer: `nlts decode (${input.kind} ${input.name})`, protocol }),
    exchanges: datagrams.map((d) => {
      const p = d.protocol ?? input.protocol;
      const e: Fixture['exchanges'][number] = { dir: d.dir ?? 'received', ...(p !== protocol && { protocol: p }), hex: toHex(d.bytes) };
      try {
        const msgs = families.codec(p).decode(d.bytes, senderOf(d) ?? 'kernel');
        if (p === NETLINK_GENERIC) families.learn(msgs);
        if (p === 0 || p === NETLINK_GENERIC) e.note = msgs.map(formatMessage);
      } catch (err) {
        e.note = [`(cannot decode: ${(err as Error).message})`];
      }
      return e;
    }),
  };
  try {
    if (/\.pcap(ng)?$/i.test(output))
      writeFileSync(
        output,
        fixtureToPcap(
          fixture,
          datagrams.map((d) => d.timeUs),
        ),
      );
    else saveFixture(output, fixture);
  } catch (err) {
    throw new CliError(`nlts decode: cannot write ${output}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, 1);
  }
}
