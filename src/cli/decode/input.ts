/**
 * What `nlts decode` reads: a fixture (JSON), a pcap / pcapng capture (LINKTYPE_NETLINK), a hex
 * dump (file or --hex), or raw netlink bytes. Everything becomes a list of datagrams with where
 * each came from, so errors can name the place.
 */
import { readFileSync } from 'node:fs';
import { parseFixture, fromHex } from '../../transport/fixture.js';
import { pcapToFixture } from '../../pcap/fixture-pcap.js';
import { isPcap } from '../../pcap/pcap.js';
import { CliError } from '../context.js';

export interface Datagram {
  index: number;
  dir?: 'sent' | 'received';
  bytes: Uint8Array;
  /** Where it came from: "exchange 3", "packet 3"... */
  source: string;
  /** Offset of the datagram in the input file (captures and raw files). */
  fileOffset?: number;
  timeUs?: number;
  note?: string[];
}

export interface DecodeInput {
  kind: 'fixture' | 'pcap' | 'hex' | 'raw';
  name: string;
  protocol: number;
  datagrams: Datagram[];
}

/** Hex text: whitespace, ':' / '-' separators, 0x prefixes and `hexdump -C` / `xxd` offsets and ASCII columns allowed. */
export function parseHexText(text: string, what: string): Uint8Array {
  let clean = '';
  const lines = text.split(/\r?\n/);
  const dumpLine = /^\s*[0-9a-fA-F]{4,8}:?\s{1,2}((?:[0-9a-fA-F]{2}\s?){1,16}.*)$/;
  const looksLikeDump = lines.filter((l) => l.trim()).every((l) => dumpLine.test(l) && /\|.*\|\s*$|\s{2,}\S+$/.test(l));
  for (const line of lines) {
    let l = line;
    if (looksLikeDump) {
      l = l.replace(/^\s*[0-9a-fA-F]{4,8}:?\s+/, '').replace(/\s{2,}\|.*\|\s*$/, '').replace(/\s{2,}\S.*$/, '');
    }
    clean += l.replace(/0x/gi, '').replace(/[\s:,-]/g, '');
  }
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new CliError(`nlts decode: ${what}: "${bad[0]}" is not a hex digit (hex character ${bad.index})`, 1);
  if (clean.length % 2) throw new CliError(`nlts decode: ${what}: odd number of hex digits (${clean.length}): the last byte is incomplete (offset ${clean.length >> 1})`, 1);
  return fromHex(clean);
}

function looksLikeHex(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a || c === 0x78 || c === 0x2c || c === 0x2d || c === 0x7c || c === 0x2e;
    if (!ok) return false;
  }
  return bytes.length > 0;
}

export function readInput(file: string | undefined, hexArgs: string[] | undefined): DecodeInput {
  if (hexArgs) {
    const bytes = parseHexText(hexArgs.join(' '), '--hex');
    return { kind: 'hex', name: '--hex', protocol: 0, datagrams: [{ index: 0, bytes, source: '--hex' }] };
  }
  if (!file) throw new CliError('nlts decode: give a FILE (fixture, pcap or hex dump), - for stdin, or --hex HEX', 1);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file === '-' ? 0 : file));
  } catch (err) {
    throw new CliError(`nlts decode: cannot read ${file}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, 1);
  }
  const name = file === '-' ? 'stdin' : file;
  if (isPcap(bytes)) {
    let imported;
    try {
      imported = pcapToFixture(bytes, name);
    } catch (err) {
      throw new CliError(`nlts decode: ${name}: ${(err as Error).message}`, 1);
    }
    return {
      kind: 'pcap',
      name,
      protocol: imported.fixture.provenance.protocol,
      datagrams: imported.fixture.exchanges.map((e, i) => ({
        index: i,
        dir: e.dir,
        bytes: fromHex(e.hex),
        source: `packet ${i + 1}`,
        fileOffset: imported.offsets[i]!,
        timeUs: imported.timesUs[i]!,
      })),
    };
  }
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  if (bytes[start] === 0x7b /* { */) {
    let f;
    try {
      f = parseFixture(Buffer.from(bytes).toString('utf8'), name);
    } catch (err) {
      throw new CliError(`nlts decode: ${(err as Error).message}`, 1);
    }
    return {
      kind: 'fixture',
      name,
      protocol: f.provenance?.protocol ?? 0,
      datagrams: f.exchanges.map((e, i) => {
        if (typeof e !== 'object' || e === null || typeof e.hex !== 'string') throw new CliError(`nlts decode: ${name}: exchange ${i} has no "hex"`, 1);
        let b: Uint8Array;
        try {
          b = fromHex(e.hex);
        } catch {
          throw new CliError(`nlts decode: ${name}: exchange ${i}: hex is malformed`, 1);
        }
        return { index: i, ...((e.dir === 'sent' || e.dir === 'received') && { dir: e.dir }), bytes: b, source: `exchange ${i}`, ...(e.note && { note: e.note }) };
      }),
    };
  }
  if (looksLikeHex(bytes)) {
    const b = parseHexText(Buffer.from(bytes).toString('utf8'), name);
    return { kind: 'hex', name, protocol: 0, datagrams: [{ index: 0, bytes: b, source: name }] };
  }
  return { kind: 'raw', name, protocol: 0, datagrams: [{ index: 0, bytes, source: name, fileOffset: 0 }] };
}
