/**
 * --record FILE on every kind of command (fixture, or pcap by extension), the recordings replayed
 * and decoded; DEBUG=netlink:* tracing from the CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcap } from '../../src/pcap/pcap.js';
import { loadFixture } from '../../src/transport/fixture.js';
import { type TestNetns, createNetns, deleteNetns, privileged } from '../support/netns.js';
import { runCli } from './support/run.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nlts.js');
const tmp = mkdtempSync(join(tmpdir(), 'nlts-record-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('DEBUG=netlink:* traces the CLI traffic', () => {
  it('shows each message sent and received, decoded with attribute names', () => {
    // read-only: one link of the current namespace
    const r = spawnSync(process.execPath, [bin, 'link', 'show', 'dev', 'lo'], { encoding: 'utf8', env: { ...process.env, DEBUG: 'netlink:*' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/netlink:send getlink seq=\d+ .*ifname="lo"/);
    expect(r.stderr).toMatch(/netlink:recv newlink seq=\d+ .*ifname="lo" .*mtu=\d+/);
    expect(r.stderr).toMatch(/netlink:recv error .*\(ack\)/);
    expect(r.stdout).toMatch(/^1: lo: /);
  });
});

describe.skipIf(!privileged)('--record FILE on every command', () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
    ns.ip('link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ns.ip('link', 'set', 'veth0', 'up');
    ns.ip('addr', 'add', '10.0.0.1/24', 'dev', 'veth0');
  });
  afterAll(() => {
    if (ns) deleteNetns(ns);
  });

  const nlts = (args: string[]) => spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, bin, ...args], { encoding: 'utf8' });

  const commands: string[][] = [
    ['-j', 'link', 'show'],
    ['link', 'add', 'br0', 'type', 'bridge'],
    ['link', 'set', 'veth1', 'master', 'br0'],
    ['-d', 'addr', 'show', 'dev', 'veth0'],
    ['addr', 'add', '10.0.1.1/24', 'dev', 'veth0'],
    ['route', 'add', '10.9.0.0/16', 'via', '10.0.0.2'],
    ['-j', 'route', 'get', '10.9.1.1'],
    ['route', 'show', 'table', 'all'],
    ['neigh', 'add', '10.0.0.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'veth0'],
    ['neigh', 'show'],
    ['rule', 'add', 'from', '10.1.0.0/16', 'table', '100', 'pref', '100'],
    ['rule', 'show'],
    ['link', 'add', 'br0', 'type', 'bridge'], // refused by the kernel: recorded too
  ];
  commands.forEach((c, i) => {
    it(`nlts --record ${c.join(' ')}`, async () => {
      const fixture = join(tmp, `c${i}.json`);
      const pcap = join(tmp, `c${i}.pcap`);
      const live = nlts(['--record', fixture, ...c]);
      const failing = c.join(' ') === 'link add br0 type bridge' && i > 1;
      expect(live.status).toBe(failing ? 2 : 0);
      const f = loadFixture(fixture);
      expect(f.provenance.command).toBe(`nlts --record ${fixture} ${c.join(' ')}`);
      expect(f.exchanges.length).toBeGreaterThanOrEqual(2);
      expect(f.exchanges[0]!.dir).toBe('sent');
      // show commands replay to the same output without a socket
      if (/show|get/.test(c.join(' '))) {
        const replayed = await runCli(c, fixture);
        expect(replayed.replay!.finished).toBe(true);
        expect(replayed.out).toBe(live.stdout);
      }
      // the same command recorded as a capture: one packet per datagram, LINKTYPE_NETLINK
      if (!/add|set/.test(c.join(' ')) || failing) {
        expect(nlts(['--record', pcap, ...c]).status).toBe(failing ? 2 : 0);
        const cap = readPcap(new Uint8Array(readFileSync(pcap)));
        expect(cap.linktype).toBe(253);
        expect(cap.packets.length).toBe(f.exchanges.length);
        const decoded = await runCli(['decode', pcap]);
        expect(decoded.code).toBe(0);
        expect(decoded.out).toMatch(/^# packet 1 sent:/m);
      }
    });
  });

  it.skipIf(!hasTshark())('tshark reads a live --record FILE.pcap as rtnetlink', () => {
    const pcap = join(tmp, 'live.pcap');
    expect(nlts(['--record', pcap, 'link', 'add', 'veth7', 'type', 'veth', 'peer', 'name', 'veth8']).status).toBe(0);
    expect(existsSync(pcap)).toBe(true);
    const out = execFileSync('tshark', ['-r', pcap, '-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toContain('Linux rtnetlink (route netlink) protocol');
    expect(out).toMatch(/Message type: Create network interface \(16\)/);
    expect(out).toMatch(/Device name: veth7/);
    const summary = execFileSync('tshark', ['-r', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(summary).toMatch(/Netlink route/);
  });
});
