/**
 * nlts decode: fixtures, pcap captures and hex dumps decoded with names, nesting and offsets;
 * malformed input refused in one line with the offset, quickly, never with a stack trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureToPcap, pcapToFixture } from '../../src/pcap/fixture-pcap.js';
import { LINKTYPE_NETLINK, readPcap } from '../../src/pcap/pcap.js';
import { fromHex, loadFixture } from '../../src/transport/fixture.js';
import { runCli } from './support/run.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'd_link_show.json');
const tmp = mkdtempSync(join(tmpdir(), 'nlts-decode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** RTM_GETLINK for "lo": nlmsghdr, ifinfomsg, IFLA_IFNAME. */
const GETLINK_LO = '28000000 12000500 01000000 00000000 00000000 00000000 00000000 00000000 07000300 6c6f0000';

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('decode', () => {
  it('annotates a fixture: names, kernel constants, nesting and byte offsets', async () => {
    const r = await runCli(['decode', fixture]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# exchange 0 sent: \d+ bytes, 1 message/m);
    expect(r.out).toMatch(/^@0 +getlink \(nlmsghdr: len 40, type 18, flags REQUEST,DUMP, seq \d+, pid 0\) \[rt-link\]/m);
    expect(r.out).toMatch(/^@16 +ifinfomsg \(16 bytes\)/m);
    expect(r.out).toMatch(/^@\d+ +IFLA_LINKINFO linkinfo \(type 18, \d+ bytes\)$/m);
    // a nested attribute is indented one level deeper than its nest
    const nest = /^(@\d+ *)IFLA_LINKINFO linkinfo \(type 18, \d+ bytes\)\n(@\d+ *)IFLA_INFO_KIND kind \(type 1, \d+ bytes\): "bridge"/m.exec(r.out);
    expect(nest).not.toBeNull();
    expect(nest![2]!.length).toBe(nest![1]!.length + 2);
    expect(r.out).toMatch(/IFLA_BR_STP_STATE stpState \(type 5, 8 bytes\): 0/);
    expect(r.out).toMatch(/done \(nlmsghdr: len 20, type 3, flags MULTI/);
  });

  it('decodes --hex, one message or several', async () => {
    const one = await runCli(['decode', '--hex', GETLINK_LO]);
    expect(one.code).toBe(0);
    expect(one.out).toContain('getlink (nlmsghdr: len 40, type 18, flags REQUEST,ACK, seq 1, pid 0)');
    expect(one.out).toMatch(/@32 +IFLA_IFNAME ifname \(type 3, 7 bytes\): "lo"/);
    const two = await runCli(['decode', '--hex', GETLINK_LO + GETLINK_LO.replace(/ /g, '')]);
    expect(two.out).toContain('2 messages');
    expect(two.out).toMatch(/^@40 +getlink/m);
  });

  it('prints JSON with -j', async () => {
    const r = await runCli(['-j', 'decode', '--hex', GETLINK_LO]);
    const [d] = JSON.parse(r.out);
    expect(d.messages[0]).toMatchObject({ offset: 0, length: 40, type: 18, kind: 'getlink', family: 'rt-link', flagNames: 'REQUEST,ACK' });
    expect(d.messages[0].attributes[0]).toMatchObject({ offset: 32, length: 7, name: 'ifname', constant: 'IFLA_IFNAME', type: 3, value: 'lo' });
  });

  it('shows error messages with the errno and the extended ack', async () => {
    const f = loadFixture(join(here, 'fixtures', 'addr_add_10.0.0.124_dev_veth0.json'));
    const last = f.exchanges.at(-1)!;
    const r = await runCli(['decode', '--hex', last.hex]);
    expect(r.out).toMatch(/error 17 EEXIST \(File exists\) for newaddr/);
    expect(r.out).toMatch(/NLMSGERR_ATTR_MSG msg .*"ipv4: Address already assigned"/);
  });

  it('converts a fixture to pcap and back; the capture decodes the same', async () => {
    const pcap = join(tmp, 'f.pcap');
    expect((await runCli(['decode', fixture, '-o', pcap])).code).toBe(0);
    const file = readPcap(new Uint8Array(readFileSync(pcap)));
    expect(file.linktype).toBe(LINKTYPE_NETLINK);
    const f = loadFixture(fixture);
    expect(file.packets).toHaveLength(f.exchanges.length);
    const back = pcapToFixture(new Uint8Array(readFileSync(pcap))).fixture;
    expect(back.exchanges.map((e) => [e.dir, e.hex])).toEqual(f.exchanges.map((e) => [e.dir, e.hex]));
    const a = (await runCli(['decode', fixture])).out.split('\n').filter((l) => !l.startsWith('#'));
    const b = (await runCli(['decode', pcap])).out.split('\n').filter((l) => !l.startsWith('#'));
    expect(b).toEqual(a);
  });

  it.skipIf(!hasTshark())('writes captures tshark reads as Netlink route', () => {
    const pcap = join(tmp, 't.pcap');
    writeFileSync(pcap, fixtureToPcap(loadFixture(join(here, 'fixtures', 'link_add_veth0_type_veth_peer_name_veth9.json'))));
    const out = execFileSync('tshark', ['-r', pcap, '-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toContain('Linux rtnetlink (route netlink) protocol');
    expect(out).toMatch(/Message type: Create network interface \(16\)/);
    expect(out).toContain('Link-layer address type: Netlink (824)');
    expect(out).toMatch(/Device name: veth0/);
  });
});

describe('decode refuses malformed input in one line, with the offset', () => {
  const bad: [string, string[], RegExp][] = [
    ['a truncated message', ['--hex', GETLINK_LO.slice(0, -4)], /nlmsg_len 40 runs 2 bytes past the end .*\(offset 0\)$/],
    [
      'an attribute longer than its message',
      ['--hex', GETLINK_LO.replace('07000300', '40000300')],
      /attribute length 64 runs \d+ bytes past its container at rt-link:getlink\/ifname \(offset 32\)$/,
    ],
    [
      'an nla_len below 4',
      ['--hex', GETLINK_LO.replace('07000300', '02000300')],
      /attribute length 2 is shorter than its 4-byte header .*\(offset 32\)$/,
    ],
    ['an odd number of hex digits', ['--hex', '240'], /odd number of hex digits .*\(offset 1\)$/],
    ['a non-hex character', ['--hex', '24zz'], /"z" is not a hex digit/],
  ];
  for (const [what, args, message] of bad) {
    it(what, async () => {
      const t0 = performance.now();
      const r = await runCli(['decode', ...args]);
      expect(performance.now() - t0).toBeLessThan(200);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err.trim()).toMatch(message);
    });
  }

  it('bad captures and fixtures', async () => {
    const cases: [Uint8Array | string, RegExp][] = [
      [Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), /too short for the 24-byte pcap header \(offset 0\)/],
      [
        (() => {
          const p = fixtureToPcap(loadFixture(fixture));
          return p.subarray(0, p.length - 10);
        })(),
        /packet record length \d+ runs 10 bytes past the end of the file \(offset \d+\)/,
      ],
      [
        '{"format": "netlink-ts/fixture", "version": 1, "exchanges": [{"dir":"sent","hex":"2400"}]}',
        /exchange 0 \(sent\): 2 bytes left, too short for a 16-byte nlmsghdr/,
      ],
      ['{ not json', /not JSON/],
    ];
    for (const [content, message] of cases) {
      const f = join(tmp, 'bad.bin');
      writeFileSync(f, content);
      const r = await runCli(['decode', f]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(message);
    }
  });

  it('random corruption of real datagrams: exit 0, or 1 with one line; never a crash', async () => {
    const datagrams = loadFixture(fixture).exchanges.map((e) => fromHex(e.hex));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(datagrams.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        async (i, edits, cut) => {
          const d = datagrams[i]!.slice(0, Math.max(1, datagrams[i]!.length - (cut % 8)));
          for (const [at, v] of edits) d[at % d.length] = v;
          const r = await runCli(['decode', '--hex', Buffer.from(d).toString('hex')]);
          expect([0, 1]).toContain(r.code);
          if (r.code === 1) expect(r.err.trim().split('\n')).toHaveLength(1);
          expect(r.err).not.toMatch(/\n\s+at /);
        },
      ),
      { numRuns: 300 },
    );
  });
});
