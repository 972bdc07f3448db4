/**
 * nlts decode [ FILE | - | --hex HEX... ] [ -o OUT.pcap | OUT.json ]: netlink bytes from a
 * fixture, a pcap / pcapng capture or a hex dump, decoded with attribute names, nesting and byte
 * offsets (or -j JSON). Malformed input: one line naming the place and the offset, exit 1.
 * With -o the input is converted instead (fixture <-> pcap by the output's extension).
 */
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { rtnetlinkCodec } from '../../api/rtnetlink-codec.js';
import { ProtocolCodec } from '../../codec/message.js';
import { fixtureToPcap } from '../../pcap/fixture-pcap.js';
import { type Fixture, FIXTURE_FORMAT, FIXTURE_VERSION, newProvenance, saveFixture, toHex } from '../../transport/fixture.js';
import { formatMessage } from '../../codec/format.js';
import { Args } from '../args.js';
import { CliError, type CliContext, UsageError } from '../context.js';
import { type AnnotatedMessage, annotateRange, messageRanges } from '../decode/annotate.js';
import { type Datagram, type DecodeInput, readInput } from '../decode/input.js';
import { JsonArrayWriter, MESSAGE_PARTS, datagramJson, renderHeader, renderMessages, renderText } from '../decode/render.js';

export const DECODE_USAGE = `Usage: nlts decode [ FILE | - | --hex HEX... ] [ -o OUTPUT ]
FILE   := a fixture (.json, as --record writes), a pcap / pcapng capture (LINKTYPE_NETLINK,
          as --record FILE.pcap or tcpdump -i nlmon0 write), a hex dump, or raw netlink bytes
HEX    := one or more netlink messages in hex (spaces, colons and 0x prefixes allowed)
OUTPUT := convert instead of printing: OUT.pcap writes a capture, any other name a fixture
With -j (and -p) the decoded messages are printed as JSON.`;

export async function run(argv: string[], ctx: CliContext): Promise<number | void> {
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
  if (output !== undefined) return convert(input, output);
  // Each datagram is printed as it is decoded (a big one a part at a time): memory does not grow with the input.
  const json = ctx.options.json ? new JsonArrayWriter(ctx.out, ctx.options.pretty) : undefined;
  let failed = true;
  try {
    for (const d of input.datagrams) {
      const { ranges, count } = messageRanges(d.bytes, PART_BYTES);
      if (ranges.length === 1) {
        const msgs = annotate(input, d, ranges[0]!);
        if (json) json.push(datagramJson(d, msgs));
        else ctx.out(renderText(d, msgs));
      } else {
        // a datagram too big to hold decoded (a raw file, a hostile capture): its messages in parts
        if (json) json.openParts(datagramJson(d, [MESSAGE_PARTS]));
        else ctx.out(renderHeader(d, count));
        for (const r of ranges) {
          const msgs = annotate(input, d, r);
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

const codecs = new Map<boolean, ProtocolCodec>();

/** rtnetlink (protocol 0) is decoded with names; other protocols as headers and bytes. */
function codecFor(protocol: number): ProtocolCodec {
  const rt = protocol === 0;
  let c = codecs.get(rt);
  if (!c) codecs.set(rt, (c = rt ? rtnetlinkCodec() : new ProtocolCodec([])));
  return c;
}

/** Datagram bytes decoded in parts of about this size (whole messages): a few MiB of annotation each. */
const PART_BYTES = 32 * 1024;

function annotate(input: DecodeInput, d: Datagram, range: [number, number]): AnnotatedMessage[] {
  try {
    return annotateRange(codecFor(d.protocol ?? input.protocol), d.bytes, range);
  } catch (err) {
    const e = err as Error & { offset?: number };
    if (e.name !== 'DecodeError') throw err;
    const fileOff = d.fileOffset !== undefined && e.offset !== undefined ? `, file offset ${d.fileOffset + e.offset}` : '';
    const where = [input.name, ...(d.source !== input.name ? [`${d.source}${d.dir ? ` (${d.dir})` : ''}`] : [])].join(': ');
    throw new CliError(`nlts decode: ${where}: ${e.message}${fileOff}`, 1);
  }
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

function convert(input: DecodeInput, output: string): void {
  const codec = rtnetlinkCodec();
  const datagrams = [...input.datagrams];
  const protocol = datagrams.find((d) => d.protocol !== undefined)?.protocol ?? input.protocol;
  const fixture: Fixture = {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    provenance: newProvenance({ producer: `nlts decode (${input.kind} ${input.name})`, protocol }),
    exchanges: datagrams.map((d) => {
      const e: Fixture['exchanges'][number] = { dir: d.dir ?? 'received', hex: toHex(d.bytes) };
      try {
        if ((d.protocol ?? input.protocol) === 0) e.note = codec.decode(d.bytes).map(formatMessage);
      } catch (err) {
        e.note = [`(cannot decode: ${(err as Error).message})`];
      }
      return e;
    }),
  };
  try {
    if (/\.pcap(ng)?$/i.test(output)) writeFileSync(output, fixtureToPcap(fixture, datagrams.map((d) => d.timeUs)));
    else saveFixture(output, fixture);
  } catch (err) {
    throw new CliError(`nlts decode: cannot write ${output}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, 1);
  }
}
