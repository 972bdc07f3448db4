/**
 * What `nlts decode` reads: a fixture (JSON), a pcap / pcapng capture (LINKTYPE_NETLINK), a hex
 * dump (file or --hex), or raw netlink bytes. Everything becomes a list of datagrams with where
 * each came from, so errors can name the place.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { parseFixture, fromHex } from '../../transport/fixture.js';
import { assertNetlinkLinktype, netlinkDatagram } from '../../pcap/fixture-pcap.js';
import { FileSource } from '../../pcap/file-source.js';
import { type ByteSource, NETLINK_PSEUDO_HEADER, PcapReader, isPcap, isPcapError, memorySource } from '../../pcap/pcap.js';
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
  /** Why a capture packet has no time (its timestamp is not a date). */
  timeError?: string;
  /** Netlink protocol from a capture's pseudo-header (else the input's). */
  protocol?: number;
  note?: string[];
}

export interface DecodeInput {
  kind: 'fixture' | 'pcap' | 'hex' | 'raw';
  name: string;
  protocol: number;
  /** Captures are read as they are iterated (once): a CliError may come after the first datagrams. */
  datagrams: Iterable<Datagram>;
}

/**
 * Hex text: whitespace, ':' / ',' / '-' separators, 0x prefixes, and `hexdump -C` / `xxd` dumps
 * (offsets and ASCII columns dropped). One pass over each line, no regular expression: the time is
 * linear in the text, whatever it holds.
 */
export function parseHexText(text: string, what: string): Uint8Array {
  const lines = text.split('\n');
  const columns = dumpColumns(lines);
  const out = new Uint8Array((text.length + 1) >> 1);
  let digits = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const [s, e] = columns ? columns[i]! : [0, line.length];
    digits = scanHex(line, s, e, out, digits, what);
  }
  if (digits % 2) {
    throw new CliError(`nlts decode: ${what}: odd number of hex digits (${digits}): the last byte is incomplete (offset ${digits >> 1})`, 1);
  }
  return out.slice(0, digits >> 1);
}

/** Appends the hex digits of line[s, e) to `out` as nibbles; returns the digit count. */
function scanHex(line: string, s: number, e: number, out: Uint8Array, digits: number, what: string): number {
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i);
    const v = hexValue(c);
    if (v >= 0) {
      if (c === 0x30 && i + 1 < e && (line.charCodeAt(i + 1) | 0x20) === 0x78) {
        i++; // 0x prefix
        continue;
      }
      out[digits >> 1] = digits & 1 ? out[digits >> 1]! | v : v << 4;
      digits++;
    } else if (!isSpace(c) && c !== 0x3a && c !== 0x2c && c !== 0x2d) {
      throw new CliError(`nlts decode: ${what}: "${line[i]}" is not a hex digit (hex character ${digits})`, 1);
    }
  }
  return digits;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** JavaScript's \s. */
function isSpace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  if (c >= 0x2000 && c <= 0x200a) return true;
  return c === 0xa0 || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function skipSpace(l: string, i: number): number {
  while (i < l.length && isSpace(l.charCodeAt(i))) i++;
  return i;
}

/**
 * The hex columns [start, end) of each line when every non-blank line is a dump line (an offset
 * of 4-8 hex digits, an optional ':', one or two spaces, hex bytes, then an ASCII column: `  |...|`
 * as hexdump -C prints it, or after two or more spaces as xxd does; or the offset alone, as
 * hexdump's last line) and at least one holds bytes. Otherwise undefined: plain hex.
 */
function dumpColumns(lines: string[]): [number, number][] | undefined {
  const out: [number, number][] = [];
  let data = false;
  for (const l of lines) {
    const c = dumpLine(l);
    if (!c) {
      if (skipSpace(l, 0) < l.length) return undefined;
      out.push([0, 0]);
      continue;
    }
    data ||= c[1] > c[0];
    out.push(c);
  }
  return data ? out : undefined;
}

function dumpLine(l: string): [number, number] | undefined {
  const o = skipSpace(l, 0);
  let i = o;
  while (i < l.length && hexValue(l.charCodeAt(i)) >= 0) i++;
  if (i - o < 4 || i - o > 8) return undefined;
  if (l.charCodeAt(i) === 0x3a) i++;
  const s = skipSpace(l, i);
  if (s === l.length) return [s, s]; // an offset alone
  if (s - i < 1 || s - i > 2 || hexValue(l.charCodeAt(s)) < 0 || hexValue(l.charCodeAt(s + 1)) < 0) return undefined;
  const e = asciiColumn(l, s);
  return e === undefined ? undefined : [s, e];
}

/** Where the ASCII column starts (with the spaces before it), or undefined when the line has none. */
function asciiColumn(l: string, from: number): number | undefined {
  // hexdump -C: the column is "|...|" at the end of the line, after two spaces
  let t = l.length;
  while (t > from && isSpace(l.charCodeAt(t - 1))) t--;
  if (l.charCodeAt(t - 1) === 0x7c) {
    for (let k = from + 2; k < t - 1; k++) {
      if (l.charCodeAt(k) === 0x7c && isSpace(l.charCodeAt(k - 1)) && isSpace(l.charCodeAt(k - 2))) {
        let b = k - 2;
        while (b > from && isSpace(l.charCodeAt(b - 1))) b--;
        return b;
      }
    }
  }
  // xxd: the column follows the first run of two or more spaces
  for (let k = from; k < l.length; k++) {
    if (!isSpace(l.charCodeAt(k))) continue;
    const r = skipSpace(l, k);
    if (r - k >= 2 && r < l.length) return k;
    k = r;
  }
  return undefined;
}

/** Text that is hex: hex digits and separators only, or printable text that begins with a dump line. */
function looksLikeHex(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x46) ||
      (c >= 0x61 && c <= 0x66) ||
      c === 0x20 ||
      c === 0x0a ||
      c === 0x0d ||
      c === 0x09 ||
      c === 0x3a ||
      c === 0x78 ||
      c === 0x2c ||
      c === 0x2d ||
      c === 0x7c ||
      c === 0x2e;
    if (ok) continue;
    if (c < 0x20 || c > 0x7e) return false;
    plain = false;
  }
  if (plain) return bytes.length > 0;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
  const first = head.split('\n').find((l) => skipSpace(l, 0) < l.length);
  const c = first === undefined ? undefined : dumpLine(first);
  return c !== undefined && c[1] > c[0];
}

export function readInput(file: string | undefined, hexArgs: string[] | undefined): DecodeInput {
  if (hexArgs) {
    const bytes = parseHexText(hexArgs.join(' '), '--hex');
    return { kind: 'hex', name: '--hex', protocol: 0, datagrams: [{ index: 0, bytes, source: '--hex' }] };
  }
  if (!file) throw new CliError('nlts decode: give a FILE (fixture, pcap or hex dump), - for stdin, or --hex HEX', 1);
  const name = file === '-' ? 'stdin' : file;
  let capture: { src: ByteSource; close?: () => void } | undefined;
  let bytes: Uint8Array;
  try {
    if (file === '-') bytes = plain(readFileSync(0));
    else {
      // a capture is read packet by packet; anything else whole
      const fd = openSync(file, 'r');
      try {
        const src = new FileSource(fd);
        if (isPcap(src.read(0, 4))) capture = { src, close: () => closeSync(fd) };
        bytes = capture ? new Uint8Array(0) : plain(readFileSync(fd));
      } finally {
        if (!capture) closeSync(fd);
      }
    }
  } catch (err) {
    throw new CliError(`nlts decode: cannot read ${file}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, 1);
  }
  if (!capture && isPcap(bytes)) capture = { src: memorySource(bytes) };
  if (capture) return captureInput(capture.src, name, capture.close);
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  if (bytes[start] === 0x7b /* { */) {
    let f: ReturnType<typeof parseFixture>;
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
        if (typeof e !== 'object' || e === null || typeof e.hex !== 'string')
          throw new CliError(`nlts decode: ${name}: exchange ${i} has no "hex"`, 1);
        let b: Uint8Array;
        try {
          b = fromHex(e.hex);
        } catch {
          throw new CliError(`nlts decode: ${name}: exchange ${i}: hex is malformed`, 1);
        }
        const d: Datagram = { index: i, bytes: b, source: `exchange ${i}` };
        if (e.dir === 'sent' || e.dir === 'received') d.dir = e.dir;
        if (Number.isInteger(e.protocol) && e.protocol! >= 0 && e.protocol! <= 0xffff) d.protocol = e.protocol!; // else the provenance's
        if (e.note) d.note = e.note;
        return d;
      }),
    };
  }
  if (looksLikeHex(bytes)) {
    const b = parseHexText(Buffer.from(bytes).toString('utf8'), name);
    return { kind: 'hex', name, protocol: 0, datagrams: [{ index: 0, bytes: b, source: name }] };
  }
  return { kind: 'raw', name, protocol: 0, datagrams: [{ index: 0, bytes, source: name, fileOffset: 0 }] };
}

/** A Buffer seen as a plain Uint8Array, without a copy (a raw file may be big). */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function captureInput(src: ByteSource, name: string, close?: () => void): DecodeInput {
  let reader: PcapReader;
  try {
    reader = new PcapReader(src);
  } catch (err) {
    close?.();
    throw captureFailure(name, err);
  }
  return { kind: 'pcap', name, protocol: 0, datagrams: captureDatagrams(reader, name, close) };
}

/** Each packet as it is read, its datagram copied (the reader's window moves on). */
function* captureDatagrams(reader: PcapReader, name: string, close?: () => void): Generator<Datagram> {
  try {
    for (let i = 0; ; i++) {
      let d: Datagram;
      try {
        const p = reader.next();
        if (!p) return;
        if (i === 0) assertNetlinkLinktype(reader.linktype);
        const { sent, protocol, body } = netlinkDatagram(p, i);
        const fileOffset = p.offset + NETLINK_PSEUDO_HEADER;
        d = { index: i, dir: sent ? 'sent' : 'received', bytes: body.slice(), source: `packet ${i + 1}`, fileOffset, protocol };
        if (p.timeUs !== undefined) d.timeUs = p.timeUs;
        if (p.timeError) d.timeError = p.timeError.message;
      } catch (err) {
        throw captureFailure(name, err);
      }
      yield d;
    }
  } finally {
    close?.();
  }
}

function captureFailure(name: string, err: unknown): unknown {
  return isPcapError(err) ? new CliError(`nlts decode: ${name}: ${err.message}`, 1) : err;
}
