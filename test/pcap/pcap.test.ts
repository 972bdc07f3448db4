/**
 * Hostile capture files: whatever the bytes, reading a pcap / pcapng file returns packets or throws
 * a PcapError; it never throws anything else, never hangs, and a packet whose timestamp cannot be
 * a date is still read (its time absent, with the reason).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureToPcap, pcapToFixture } from '../../src/pcap/fixture-pcap.js';
import { FileSource } from '../../src/pcap/file-source.js';
import { type PcapPacket, PcapReader, isPcapError, readPcap } from '../../src/pcap/pcap.js';
import { loadFixture } from '../../src/transport/fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = loadFixture(join(here, '..', 'cli', 'fixtures', 'd_link_show.json'));
const tmp = mkdtempSync(join(tmpdir(), 'nlts-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A pcapng block: type, total length, body padded to 4, total length again (little-endian). */
function block(type: number, body: Uint8Array, len = 12 + ((body.length + 3) & ~3)): Uint8Array {
  const out = new Uint8Array(12 + ((body.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, len, true);
  out.set(body, 8);
  v.setUint32(out.length - 4, len, true);
  return out;
}

function u32s(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => {
    new DataView(b.buffer).setUint32(i * 4, x >>> 0, true);
  });
  return b;
}

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
/** Section header: byte-order magic, version 1.0, section length unknown (-1). */
const shb = () => block(0x0a0d0d0a, cat(u32s(0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff)));
/** Interface description: link type, snaplen, then an if_tsresol option when given. */
function idb(linktype = 253, tsresol?: number): Uint8Array {
  const opts = tsresol === undefined ? new Uint8Array(0) : cat(Uint8Array.from([9, 0, 1, 0, tsresol, 0, 0, 0]), u32s(0));
  return block(1, cat(Uint8Array.from([linktype & 0xff, linktype >> 8, 0, 0]), u32s(262144), opts));
}
/** Enhanced packet: interface, 64-bit timestamp (hi, lo), captured and original length, data. */
function epb(data: Uint8Array, { ifc = 0, hi = 0x0005f000, lo = 0, orig = data.length } = {}): Uint8Array {
  return block(6, cat(u32s(ifc, hi, lo, data.length, orig), data));
}
const spb = (data: Uint8Array) => block(3, cat(u32s(data.length), data));

/** A netlink packet: the 16-byte pseudo-header (from the kernel, protocol 0) and RTM_GETLINK for "lo". */
const PACKET = cat(
  Uint8Array.from([0, 7, 3, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  Uint8Array.from(Buffer.from('2800000012000500010000000000000000000000000000000000000000000000070003006c6f0000', 'hex')),
);

/** Reads `bytes` both ways (in memory, and from a file through a small window) and requires the same. */
function readBoth(bytes: Uint8Array): PcapPacket[] {
  let memory: PcapPacket[] | Error;
  try {
    memory = readPcap(bytes).packets;
  } catch (err) {
    memory = err as Error;
  }
  const f = join(tmp, 'both.pcap');
  writeFileSync(f, bytes);
  const fd = openSync(f, 'r');
  let file: PcapPacket[] | Error;
  try {
    const reader = new PcapReader(new FileSource(fd, 64));
    file = [];
    for (let p = reader.next(); p; p = reader.next()) file.push({ ...p, data: p.data.slice() });
  } catch (err) {
    file = err as Error;
  } finally {
    closeSync(fd);
  }
  if (memory instanceof Error) {
    expect(file).toBeInstanceOf(Error);
    expect((file as Error).message).toBe(memory.message);
    throw memory;
  }
  expect(file).toEqual(memory.map((p) => ({ ...p, data: p.data.slice() })));
  return memory;
}

function expectPcapError(bytes: Uint8Array, message: RegExp): void {
  let thrown: unknown;
  try {
    readBoth(bytes);
  } catch (err) {
    thrown = err;
  }
  expect(isPcapError(thrown), String((thrown as Error)?.stack ?? thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(message);
}

describe('pcapng timestamps', () => {
  it('a timestamp past the range of a date: the packet is read, its time absent with a PcapError saying why', () => {
    const t = 0x0005f000 * 2 ** 32; // µs, in 2025
    const good = { hi: 0, lo: Math.floor(t / 1e6) }; // for the resolutions in seconds
    const cases = [
      [undefined, 0xffffffff, 0xffffffff, { hi: 0x0005f000, lo: 0 }],
      [0, 0x00100000, 0, good],
      [0x80, 0xffffffff, 0, good],
    ] as const;
    for (const [tsresol, hi, lo, ok] of cases) {
      const bytes = cat(shb(), idb(253, tsresol), epb(PACKET, { hi, lo }), epb(PACKET, ok));
      const [bad, second] = readBoth(bytes);
      expect(bad!.data).toEqual(PACKET);
      expect(bad!.timeUs).toBeUndefined();
      expect(isPcapError(bad!.timeError)).toBe(true);
      expect(bad!.timeError!.message).toMatch(/timestamp .* is outside the range of a date/);
      const at = ok === good ? Math.floor(t / 1e6) * 1e6 : t;
      expect(second!.timeUs).toBe(at);
      expect(second!.timeError).toBeUndefined();
      // and as a fixture: both exchanges, the first without a time
      const imported = pcapToFixture(bytes);
      expect(imported.fixture.exchanges).toHaveLength(2);
      expect(imported.timesUs).toEqual([undefined, at]);
      expect(imported.fixture.provenance.recordedAt).toBe(new Date(at / 1000).toISOString());
    }
  });

  it('microsecond, nanosecond and power-of-two resolutions', () => {
    const t = Date.UTC(2025, 0, 2, 3, 4, 5) * 1000 + 678;
    const at = (tsresol: number | undefined, ticks: bigint) =>
      readBoth(cat(shb(), idb(253, tsresol), epb(PACKET, { hi: Number(ticks >> 32n), lo: Number(ticks & 0xffffffffn) })))[0]!.timeUs;
    expect(at(undefined, BigInt(t))).toBe(t);
    expect(at(9, BigInt(t) * 1000n)).toBe(t);
    expect(at(0x80 | 20, (BigInt(t) << 20n) / 1000000n)).toBeCloseTo(t, -1);
  });
});

describe('hostile pcapng structure: a PcapError naming the offset, never another error', () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    [
      'an enhanced packet block too short for its header (at the end of the file)',
      () => cat(shb(), idb(), block(6, new Uint8Array(0))),
      /enhanced packet block length 12 is too short for its 20-byte header \(offset 52\)/,
    ],
    [
      'an enhanced packet block too short for its header (mid-file)',
      () => cat(shb(), idb(), block(6, u32s(0, 0)), epb(PACKET)),
      /enhanced packet block length 20 is too short/,
    ],
    [
      'a simple packet block too short for its length field',
      () => cat(shb(), idb(), block(3, new Uint8Array(0))),
      /simple packet block length 12 is too short/,
    ],
    ['a simple packet block before any interface', () => cat(shb(), spb(PACKET)), /simple packet block before any interface description/],
    ['an interface description block too short', () => cat(shb(), block(1, new Uint8Array(0))), /interface description block length 12 is too short/],
    ['a section header block too short', () => cat(block(0x0a0d0d0a, u32s(0x1a2b3c4d))), /section header block length 16 is too short/],
    [
      'a block length of 0',
      () => cat(shb(), idb(), block(6, new Uint8Array(24), 0)),
      /block length 0 is not a multiple of 4 of at least 12 \(offset 52\)/,
    ],
    [
      'a block length that is not a multiple of 4',
      () => cat(shb(), idb(), block(6, new Uint8Array(24), 37)),
      /block length 37 is not a multiple of 4/,
    ],
    [
      'a huge block length',
      () => cat(shb(), idb(), block(6, new Uint8Array(24), 0xfffffffc)),
      /block length 4294967292 runs \d+ bytes past the end of the file \(offset 52\)/,
    ],
    [
      'a captured length larger than its block',
      () => cat(shb(), idb(), block(6, cat(u32s(0, 0, 0, 0xffffff00, 10), PACKET))),
      /captured length 4294967040 does not fit its block/,
    ],
    [
      'a packet on an interface that was not described',
      () => cat(shb(), idb(), epb(PACKET, { ifc: 1 })),
      /packet refers to interface 1, which was not described/,
    ],
    [
      'a packet on an interface of a former section',
      () => cat(shb(), idb(), shb(), epb(PACKET)),
      /packet refers to interface 0, which was not described/,
    ],
    ['a wrong byte-order magic', () => cat(block(0x0a0d0d0a, u32s(0x12345678, 1, 0, 0))), /byte-order magic 0x12345678 is not pcapng's \(offset 8\)/],
    [
      'a truncated block',
      () => cat(shb(), idb(), epb(PACKET)).subarray(0, 70),
      /block length 88 runs 66 bytes past the end of the file \(offset 52\)/,
    ],
    ['a few trailing bytes', () => cat(shb(), idb(), epb(PACKET), new Uint8Array(7)), /7 trailing bytes are too short for a pcapng block/],
    ['packets of two link types', () => cat(shb(), idb(253), idb(1), epb(PACKET, { ifc: 1 })), /packets of several link types \(253, 1\)/],
  ];
  for (const [what, bytes, message] of cases) it(what, () => expectPcapError(bytes(), message));

  it('blocks of unknown types are skipped, whatever their content', () => {
    const packets = readBoth(cat(shb(), block(0x0bad, new Uint8Array(40).fill(0xff)), idb(), block(5, new Uint8Array(3)), epb(PACKET)));
    expect(packets).toHaveLength(1);
  });

  it('an interface option list that runs past its block ends at the block', () => {
    const opts = cat(Uint8Array.from([9, 0, 0xff, 0xff]));
    const packets = readBoth(cat(shb(), block(1, cat(Uint8Array.from([253, 0, 0, 0]), u32s(262144), opts)), epb(PACKET)));
    expect(packets).toHaveLength(1);
  });
});

describe('hostile classic pcap', () => {
  const good = () => fixtureToPcap(fixture);
  it('a wrong magic', () => expectPcapError(Uint8Array.from([1, 2, 3, 4, 5, 6]), /magic 0x4030201 is not a pcap or pcapng file \(offset 0\)/));
  it('a header cut short', () => expectPcapError(good().subarray(0, 20), /20 bytes are too short for the 24-byte pcap header/));
  it('a record length past the end (a snaplen that lies)', () => {
    const b = good();
    new DataView(b.buffer).setUint32(24 + 8, 0xfffffff0, true);
    expectPcapError(b, /packet record length 4294967280 runs \d+ bytes past the end of the file \(offset 24\)/);
  });
  it('a record longer than the snaplen but inside the file is read', () => {
    const b = good();
    new DataView(b.buffer).setUint32(16, 8, true); // snaplen 8, records longer
    expect(readBoth(b)).toHaveLength(fixture.exchanges.length);
  });
  it('a record header cut short', () =>
    expectPcapError(good().subarray(0, 24 + 10), /10 trailing bytes are too short for a 16-byte packet record header \(offset 24\)/));
});

describe('property: any bytes read as packets or a PcapError, the same from memory and from a file', () => {
  let runs = 0;
  /** Every fifth run also through a file (a file per run is slow on a busy machine). */
  const check = (bytes: Uint8Array) => {
    try {
      if (runs++ % 5 === 0) readBoth(bytes);
      else readPcap(bytes);
    } catch (err) {
      expect(isPcapError(err), String((err as Error).stack)).toBe(true);
    }
    try {
      pcapToFixture(bytes);
    } catch (err) {
      expect(isPcapError(err), String((err as Error).stack)).toBe(true);
    }
  };
  const pcapng = cat(
    shb(),
    idb(253),
    epb(PACKET, { hi: 0xffffffff }),
    spb(PACKET),
    block(0x0bad, new Uint8Array(8)),
    idb(253, 9),
    epb(PACKET, { ifc: 1 }),
  );
  const pcap = fixtureToPcap(fixture);

  it('mutations of valid pcap and pcapng files', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (ng, edits, cut) => {
          const base = ng ? pcapng : pcap;
          const b = base.slice(0, base.length - (cut % 3 === 0 ? cut % base.length : 0));
          for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
          check(b);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random bytes behind each magic', () => {
    const magics = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (magic, rest, bom) => {
        const head = magic === 0x0a0d0d0a ? cat(u32s(magic), rest.subarray(0, 4), u32s(bom ? 0x1a2b3c4d : 0x4d3c2b1a)) : u32s(magic);
        check(cat(head, rest));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('reading from a file', () => {
  it('a file read through a window smaller than its packets gives the same packets', () => {
    const b = fixtureToPcap(fixture);
    expect(readBoth(b).map((p) => p.data.length)).toEqual(fixture.exchanges.map((e) => e.hex.length / 2 + 16));
  });

  it.skipIf(!hasEditcap())('pcapng written by editcap reads as the pcap it came from', () => {
    const a = join(tmp, 'e.pcap');
    const b = join(tmp, 'e.pcapng');
    writeFileSync(a, fixtureToPcap(fixture));
    execFileSync('editcap', ['-F', 'pcapng', a, b]);
    const ng = readBoth(new Uint8Array(readFileSync(b)));
    const classic = readPcap(new Uint8Array(readFileSync(a))).packets;
    expect(ng.map((p) => [p.timeUs, Buffer.from(p.data).toString('hex')])).toEqual(
      classic.map((p) => [p.timeUs, Buffer.from(p.data).toString('hex')]),
    );
  });
});

function hasEditcap(): boolean {
  try {
    execFileSync('editcap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
