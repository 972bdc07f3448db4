/**
 * nlts decode [ FILE | - | --hex HEX... ] [ -o OUT.pcap | OUT.json ]: netlink bytes from a
 * fixture, a pcap / pcapng capture or a hex dump, decoded with attribute names, nesting and byte
 * offsets (or -j JSON). Malformed input: one line naming the place and the offset, exit 1.
 * With -o the input is converted instead (fixture <-> pcap by the output's extension).
 */
import { writeFileSync } from 'node:fs';
import { rtnetlinkCodec } from '../../api/rtnetlink-codec.js';
import { ProtocolCodec } from '../../codec/message.js';
import { fixtureToPcap } from '../../pcap/fixture-pcap.js';
import { type Fixture, FIXTURE_FORMAT, FIXTURE_VERSION, newProvenance, saveFixture, toHex } from '../../transport/fixture.js';
import { formatMessage } from '../../codec/format.js';
import { Args } from '../args.js';
import { CliError, type CliContext, UsageError } from '../context.js';
import { annotateDatagram } from '../decode/annotate.js';
import { type DecodeInput, readInput } from '../decode/input.js';
import { datagramJson, renderText, toJson } from '../decode/render.js';

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
  const codec = input.protocol === 0 ? rtnetlinkCodec() : new ProtocolCodec([]);
  const json: unknown[] = [];
  for (const d of input.datagrams) {
    let msgs;
    try {
      msgs = annotateDatagram(codec, d.bytes);
    } catch (err) {
      const e = err as Error & { offset?: number };
      if (e.name !== 'DecodeError') throw err;
      const fileOff = d.fileOffset !== undefined && e.offset !== undefined ? `, file offset ${d.fileOffset + e.offset}` : '';
      const where = [input.name, ...(d.source !== input.name ? [`${d.source}${d.dir ? ` (${d.dir})` : ''}`] : [])].join(': ');
      throw new CliError(`nlts decode: ${where}: ${e.message}${fileOff}`, 1);
    }
    if (ctx.options.json) json.push(datagramJson(d, msgs));
    else ctx.out(renderText(d, msgs));
  }
  if (ctx.options.json) ctx.out(toJson(json, ctx.options.pretty) + '\n');
}

function convert(input: DecodeInput, output: string): void {
  const codec = rtnetlinkCodec();
  const fixture: Fixture = {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    provenance: newProvenance({ producer: `nlts decode (${input.kind} ${input.name})`, protocol: input.protocol }),
    exchanges: input.datagrams.map((d) => {
      const e: Fixture['exchanges'][number] = { dir: d.dir ?? 'received', hex: toHex(d.bytes) };
      try {
        if (input.protocol === 0) e.note = codec.decode(d.bytes).map(formatMessage);
      } catch (err) {
        e.note = [`(cannot decode: ${(err as Error).message})`];
      }
      return e;
    }),
  };
  try {
    if (/\.pcap(ng)?$/i.test(output)) writeFileSync(output, fixtureToPcap(fixture, input.datagrams.every((d) => d.timeUs !== undefined) ? input.datagrams.map((d) => d.timeUs!) : undefined));
    else saveFixture(output, fixture);
  } catch (err) {
    throw new CliError(`nlts decode: cannot write ${output}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, 1);
  }
}
