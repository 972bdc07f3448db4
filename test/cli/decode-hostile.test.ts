/**
 * `nlts decode` on hostile input: capture files whose timestamps or structure are bad, hex dumps
 * built to make a parser backtrack, and captures too big to hold. Each ends in output or in one
 * error line, in time linear in the input and memory independent of it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHexText } from '../../src/cli/decode/input.js';
import { fixtureToPcap } from '../../src/pcap/fixture-pcap.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';
import { runCli } from './support/run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixture = loadFixture(join(here, 'fixtures', 'd_link_show.json'));
const tmp = mkdtempSync(join(tmpdir(), 'nlts-decode-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** RTM_GETLINK for "lo": nlmsghdr, ifinfomsg, IFLA_IFNAME. */
const GETLINK_LO = '2800000012000500010000000000000000000000000000000000000000000000070003006c6f0000';

function file(name: string, content: Uint8Array | string): string {
  const f = join(tmp, name);
  writeFileSync(f, content);
  return f;
}

/** The CLI as a separate process (the source through tsx), so a hang can be cut off and memory measured. */
interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  /** Peak resident set (VmHWM), KiB. */
  peakKiB: number;
  bytes: number;
  head: string;
  tail: string;
  err: string;
}

function nlts(args: string[], timeoutMs: number): Promise<Child> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peakKiB = 0;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // exited
      }
    };
    const timer = setInterval(poll, 20);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let bytes = 0;
    let head = '';
    let tail = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      if (head.length < 2000) head += b.toString('utf8', 0, Math.min(b.length, 2000));
      tail = (tail + b.toString('utf8', Math.max(0, b.length - 2000))).slice(-2000);
    });
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('exit', poll);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      clearTimeout(kill);
      resolve({ code, signal, ms: performance.now() - t0, peakKiB, bytes, head, tail, err });
    });
  });
}

/** A capture of about `bytes` bytes: the fixture's datagrams over and over, written in pieces. */
function bigCapture(name: string, bytes: number): { path: string; packets: number } {
  const one = fixtureToPcap(fixture);
  const records = one.subarray(24);
  const reps = Math.ceil(bytes / records.length);
  const path = join(tmp, name);
  const fd = openSync(path, 'w');
  writeSync(fd, one.subarray(0, 24));
  const chunk = new Uint8Array(records.length * 64);
  for (let i = 0; i < 64; i++) chunk.set(records, i * records.length);
  for (let i = 0; i < reps; i += 64) writeSync(fd, chunk, 0, records.length * Math.min(64, reps - i));
  closeSync(fd);
  return { path, packets: reps * fixture.exchanges.length };
}

/** A pcapng file: section header, one interface (microseconds), one enhanced packet per datagram. */
function pcapng(packets: { data: Uint8Array; hi: number; lo: number }[]): Uint8Array {
  const blocks: number[] = [];
  const u32 = (x: number) => blocks.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24);
  const block = (type: number, body: number[]) => {
    const len = 12 + ((body.length + 3) & ~3);
    u32(type);
    u32(len);
    blocks.push(...body, ...new Array((4 - (body.length % 4)) % 4).fill(0));
    u32(len);
  };
  const le = (...xs: number[]) => xs.flatMap((x) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
  block(0x0a0d0d0a, le(0x1a2b3c4d, 1, 0xffffffff, 0xffffffff));
  block(1, [253, 0, 0, 0, ...le(262144)]);
  for (const p of packets) block(6, [...le(0, p.hi, p.lo, p.data.length, p.data.length), ...p.data]);
  return Uint8Array.from(blocks);
}

const withHeader = (hex: string, pkttype = 7) => Uint8Array.from([0, pkttype, 3, 0x38, ...new Array(12).fill(0), ...fromHex(hex)]);

describe('decode: capture timestamps that are not dates', () => {
  const bytes = pcapng([
    { data: withHeader(GETLINK_LO, 6), hi: 0xffffffff, lo: 0xffffffff },
    { data: withHeader(GETLINK_LO, 6), hi: 0x0005f000, lo: 0 },
  ]);

  it('text: every packet decodes; the bad time is reported, not thrown', async () => {
    const r = await runCli(['decode', file('time.pcapng', bytes)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^# packet 1 sent: 40 bytes, 1 message, file offset \d+, time invalid \(timestamp .* is outside the range of a date .*\)$/m,
    );
    expect(r.out).toMatch(/^# packet 2 sent: 40 bytes, 1 message, file offset \d+ 2\d{3}-\d\d-\d\dT/m);
    expect(r.out.match(/getlink \(nlmsghdr/g)).toHaveLength(2);
  });

  it('JSON: the bad time is absent, with timeError', async () => {
    const r = await runCli(['-j', 'decode', file('time.pcapng', bytes)]);
    expect(r.code).toBe(0);
    const [a, b] = JSON.parse(r.out);
    expect(a.time).toBeUndefined();
    expect(a.timeError).toMatch(/outside the range of a date/);
    expect(a.messages[0].kind).toBe('getlink');
    expect(b.time).toMatch(/^2\d{3}-/);
  });

  it('converting such a capture keeps every packet', async () => {
    const out = join(tmp, 'time-out.json');
    expect((await runCli(['decode', file('time.pcapng', bytes), '-o', out])).code).toBe(0);
    expect(loadFixture(out).exchanges).toHaveLength(2);
  });
});

describe('decode: hostile captures', () => {
  it('what decodes before a broken record is printed, then one error line (the JSON array closed)', async () => {
    const good = fixtureToPcap(fixture);
    const cut = good.subarray(0, good.length - 10);
    const text = await runCli(['decode', file('cut.pcap', cut)]);
    expect(text.code).toBe(1);
    expect(text.err.trim().split('\n')).toHaveLength(1);
    expect(text.err).toMatch(/cut\.pcap: packet record length \d+ runs 10 bytes past the end of the file \(offset \d+\)/);
    expect(text.out.match(/^# packet \d+/gm)).toHaveLength(fixture.exchanges.length - 1);
    const json = await runCli(['-j', 'decode', file('cut.pcap', cut)]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toHaveLength(fixture.exchanges.length - 1);
    const pretty = await runCli(['-j', '-p', 'decode', file('cut.pcap', cut)]);
    expect(JSON.parse(pretty.out)).toHaveLength(fixture.exchanges.length - 1);
  });

  it('a capture of another link type, or a packet too short for the pseudo-header: one line', async () => {
    const other = fixtureToPcap(fixture);
    new DataView(other.buffer).setUint32(20, 1, true);
    const r = await runCli(['decode', file('eth.pcap', other)]);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/link type 1 is not LINKTYPE_NETLINK \(253\): not a netlink capture/);
    const short = await runCli(['decode', file('short.pcapng', pcapng([{ data: Uint8Array.from([0, 7, 3]), hi: 0, lo: 0 }]))]);
    expect(short.code).toBe(1);
    expect(short.err.trim()).toMatch(/packet 0 has 3 bytes, too short for the 16-byte netlink pseudo-header/);
  });

  it('the JSON array streamed is the array of every datagram (compact and pretty)', async () => {
    const f = file('all.pcap', fixtureToPcap(fixture));
    const compact = await runCli(['-j', 'decode', f]);
    const pretty = await runCli(['-j', '-p', 'decode', f]);
    const parsed = JSON.parse(compact.out);
    expect(parsed).toHaveLength(fixture.exchanges.length);
    expect(parsed.map((d: { source: string }) => d.source)).toEqual(fixture.exchanges.map((_e, i) => `packet ${i + 1}`));
    expect(JSON.parse(pretty.out)).toEqual(parsed);
    expect(pretty.out).toBe(JSON.stringify(parsed, null, 2) + '\n');
    const empty = await runCli(['-j', 'decode', file('empty.pcap', fixtureToPcap({ ...fixture, exchanges: [] }))]);
    expect(empty.out).toBe('[]\n');
  });

  it('random corruption of pcap and pcapng captures: exit 0, or 1 with one line; never a crash', async () => {
    const captures = [
      fixtureToPcap(fixture),
      pcapng(fixture.exchanges.map((e, i) => ({ data: withHeader(e.hex), hi: i ? 0x5f000 : 0xffffffff, lo: 0 }))),
    ];
    const f = join(tmp, 'fuzz.cap');
    await fc.assert(
      fc.asyncProperty(
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        async (i, edits, cut, json) => {
          const b = captures[i]!.slice(0, captures[i]!.length - (cut % 4 === 0 ? cut % captures[i]!.length : 0));
          for (const [at, v] of edits) b[at % b.length] = v;
          writeFileSync(f, b);
          const r = await runCli([...(json ? ['-j'] : []), 'decode', f]);
          expect([0, 1]).toContain(r.code);
          if (r.code === 1) expect(r.err.trim().split('\n')).toHaveLength(1);
          expect(r.err).not.toMatch(/\n\s+at |RangeError|TypeError/);
          if (json && r.out) JSON.parse(r.out);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decode: hex dumps', () => {
  const bytes = fromHex(GETLINK_LO);

  it.skipIf(!has('hexdump') || !has('xxd'))('hexdump -C and xxd output of a datagram decode to its bytes, from a file or --hex', async () => {
    const bin = file('lo.bin', bytes);
    for (const [tool, args] of [
      ['hexdump', ['-C']],
      ['xxd', []],
      ['xxd', ['-g1']],
    ] as const) {
      const dump = spawnSync(tool, [...args, bin], { encoding: 'utf8' }).stdout;
      expect(Buffer.from(parseHexText(dump, tool)).toString('hex')).toBe(GETLINK_LO);
      const r = await runCli(['decode', file('lo.dump', dump)]);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/@32 +IFLA_IFNAME ifname \(type 3, 7 bytes\): "lo"/);
    }
  });

  it('plain hex with separators, prefixes and line breaks', () => {
    const spaced = GETLINK_LO.replace(/(..)/g, '0x$1, ').replace(/(.{48})/g, '$1\n');
    expect(Buffer.from(parseHexText(spaced, 'x')).toString('hex')).toBe(GETLINK_LO);
    expect(Buffer.from(parseHexText(GETLINK_LO.replace(/(..)(..)/g, '$1:$2-'), 'x')).toString('hex')).toBe(GETLINK_LO);
    expect(() => parseHexText('28 0', 'x')).toThrow(/odd number of hex digits \(3\): the last byte is incomplete \(offset 1\)/);
    expect(() => parseHexText('28 0g', 'x')).toThrow(/"g" is not a hex digit \(hex character 3\)/);
  });

  it('a hostile 160 KB dump (long whitespace runs after an offset) ends within seconds', async () => {
    const hostile = file('hostile.hex', '0000  00' + ' '.repeat(160_000));
    const r = await nlts(['decode', hostile], 10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^nlts decode: /);
  }, 30_000);

  it('10 MB of adversarial text parses in under 2 s, whatever it holds', async () => {
    const ten = 10_000_000;
    const pieces = [' ', ' ', '\t', '0', 'a', 'f', '|', ':', '-', 'x', '\n', '  ', '0000  ', '0x', '00000000:'];
    let seed = 7;
    const rand: string[] = [];
    for (let n = 0; n < ten; ) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const p = pieces[(seed >>> 16) % pieces.length]!;
      rand.push(p);
      n += p.length;
    }
    const inputs: Record<string, string> = {
      'one line of spaces': '0000  00' + ' '.repeat(ten),
      'one line of tabs, then a bar': '00000000:  00' + '\t'.repeat(ten) + '|',
      'bars and double spaces': '0000  00' + '  |'.repeat(ten / 3),
      'dump lines with a long ASCII column': ('00000000: 2800 0000  ' + '  x'.repeat(1000) + '\n').repeat(ten / 3022),
      'random separators and digits': rand.join(''),
      'a valid xxd dump': '00000000: 2800 0000 1200 0500 0100 0000 0000 0000  (...............\n'.repeat(ten / 68),
    };
    for (const [what, text] of Object.entries(inputs)) {
      const t0 = performance.now();
      try {
        parseHexText(text, what);
      } catch (err) {
        expect((err as Error).name, what).toBe('CliError');
      }
      expect(performance.now() - t0, what).toBeLessThan(2000);
    }
    // and the whole command on one of them
    const t0 = performance.now();
    const r = await runCli(['decode', file('ten.hex', inputs['one line of spaces']!)]);
    expect(r.code).toBe(1);
    expect(performance.now() - t0).toBeLessThan(2000);
  }, 60_000);
});

describe('decode: a datagram too big to hold decoded is printed in parts', () => {
  const n = 3000; // 120 KB: two parts
  const raw = fromHex(GETLINK_LO.repeat(n));

  it('text and JSON as for any datagram', async () => {
    const f = file('many.bin', raw);
    const text = await runCli(['decode', f]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(new RegExp(`^# \\S+many\\.bin: ${raw.length} bytes, ${n} messages, file offset 0\n`));
    expect(text.out.match(/getlink \(nlmsghdr/g)).toHaveLength(n);
    expect(text.out).toMatch(new RegExp(`^@${40 * (n - 1) + 32} +IFLA_IFNAME ifname \\(type 3, 7 bytes\\): "lo"$`, 'm'));
    const compact = await runCli(['-j', 'decode', f]);
    const [d] = JSON.parse(compact.out);
    expect(d.messages).toHaveLength(n);
    expect(d.messages[n - 1]).toMatchObject({ offset: 40 * (n - 1), kind: 'getlink' });
    const pretty = await runCli(['-j', '-p', 'decode', f]);
    expect(pretty.out).toBe(JSON.stringify([d], null, 2) + '\n');
  });

  it('a malformed message late in it: what came before, then one error line (JSON still valid)', async () => {
    const bad = raw.slice();
    bad[40 * (n - 1)] = 0xff; // the last nlmsg_len runs past the end
    const f = file('many-bad.bin', bad);
    const text = await runCli(['decode', f]);
    expect(text.code).toBe(1);
    expect(text.err.trim()).toMatch(
      new RegExp(`nlmsg_len 255 runs 215 bytes past the end .*\\(offset ${40 * (n - 1)}\\), file offset ${40 * (n - 1)}$`),
    );
    const json = await runCli(['-j', '-p', 'decode', f]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)[0].messages.length).toBeGreaterThan(0);
  });
});

describe('decode: memory stays bounded on big captures', () => {
  // About 20 MB, so the test takes seconds; before streaming, -j held ~42x this (912 MB for 19 MB).
  const size = 20_000_000;
  const limitKiB = 160 * 1024;

  it('-j decode of a 20 MB capture, through a pipe: a valid JSON array, peak RSS under 160 MiB', async () => {
    const { path, packets } = bigCapture('big.pcap', size);
    const r = await nlts(['-j', 'decode', path], 60_000);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.head).toMatch(/^\[\{"index":0,"source":"packet 1",/);
    expect(r.tail).toMatch(new RegExp(`\\{"index":${packets - 1},"source":"packet ${packets}",.*\\}\\]\\n$`));
    expect(r.peakKiB).toBeGreaterThan(0);
    expect(r.peakKiB).toBeLessThan(limitKiB);
  }, 120_000);

  it('-j decode of a 10 MB raw datagram (250,000 messages): peak RSS under 160 MiB', async () => {
    const path = file('big.bin', fromHex(GETLINK_LO.repeat(250_000)));
    const r = await nlts(['-j', 'decode', path], 60_000);
    expect(r.code).toBe(0);
    expect(r.peakKiB).toBeGreaterThan(0);
    expect(r.peakKiB).toBeLessThan(limitKiB);
    expect(r.tail).toMatch(/"offset":9999960,.*\}\n\]\}\]\n$/);
  }, 120_000);

  it('text decode of a 20 MB capture, through a pipe: peak RSS under 160 MiB', async () => {
    const { path, packets } = bigCapture('big.pcap', size);
    const r = await nlts(['decode', path], 60_000);
    expect(r.code).toBe(0);
    expect(r.head).toMatch(/^# packet 1 sent/);
    expect(r.tail).toContain('done (nlmsghdr');
    expect(r.bytes).toBeGreaterThan(packets * 100);
    expect(r.peakKiB).toBeGreaterThan(0);
    expect(r.peakKiB).toBeLessThan(limitKiB);
  }, 120_000);
});

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).error === undefined;
}
