import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toAddress } from '../../src/api/addresses.js';
import { toLink } from '../../src/api/links.js';
import { MonitorPrinter, parseMonitorArgs } from '../../src/cli/commands/monitor.js';
import type { GlobalOptions } from '../../src/cli/context.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { privileged, withNetns } from '../support/netns.js';
import { addrMsg, codec, linkMsg } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const opts = (o: Partial<GlobalOptions> = {}) => ({ options: { json: false, pretty: false, details: false, stats: 0, numeric: false, ...o } });

describe('nlts monitor: arguments and formatting', () => {
  it('parses objects, all, label, -n, --all-namespaces and -j', () => {
    expect(parseMonitorArgs([], opts()).groups).toEqual(['link', 'address', 'route', 'neighbour', 'rule', 'nsid']);
    expect(parseMonitorArgs(['addr', 'ro'], opts())).toMatchObject({ groups: ['address', 'route'], label: false, allNamespaces: false, json: false });
    expect(parseMonitorArgs(['all', '-n', 'x'], opts())).toMatchObject({ label: true, netns: 'x' });
    expect(parseMonitorArgs(['neigh', '--all-namespaces', '-j'], opts())).toMatchObject({ groups: ['neighbour'], allNamespaces: true, json: true });
    expect(parseMonitorArgs(['link'], opts({ netns: 'y', json: true }))).toMatchObject({ netns: 'y', json: true });
    expect(() => parseMonitorArgs(['bogus'], opts())).toThrow(/unknown/);
    expect(() => parseMonitorArgs(['-n', 'a', '--all-namespaces'], opts())).toThrow(/exclude/);
  });

  it('prints like ip monitor: labels, Deleted, names learnt from link events, [netns NAME] prefixes', () => {
    const p = new MonitorPrinter({ label: true, json: false }, true);
    const wanted = new Set(['link', 'address']);
    const link = toLink(codec.decode(linkMsg(2, 'eth0'))[0]!);
    const del = toAddress(codec.decode(addrMsg(2, '10.0.0.1/24', { del: true }))[0]!);
    const out1 = p.format({ type: 'new', kind: 'link', netns: 'n1', object: link }, wanted)!;
    expect(out1.split('\n')[0]).toMatch(/^\[netns n1\]\[LINK\]2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP/);
    const out2 = p.format({ type: 'del', kind: 'address', netns: 'n1', object: del }, wanted)!;
    expect(out2).toBe('[netns n1][ADDR]Deleted 2: eth0    inet 10.0.0.1/24 scope global eth2');
    // Not subscribed by the user (links are always watched for names): nothing printed.
    expect(p.format({ type: 'new', kind: 'link', object: link }, new Set(['address']))).toBeUndefined();
    expect(p.format({ type: 'overrun', reason: 'enobufs' }, wanted)).toBe('Overrun: events were lost (enobufs); resynchronising');
  });

  it('-j: one JSON object per event, without raw messages, bigints as numbers', () => {
    const p = new MonitorPrinter({ label: false, json: true }, false);
    const link = toLink(codec.decode(linkMsg(2, 'eth0'))[0]!);
    const line = p.format({ type: 'new', kind: 'link', netns: 'n1', object: link } as MonitorEvent, new Set(['link']))!;
    expect(line).not.toContain('\n');
    const j = JSON.parse(line);
    expect(j).toMatchObject({ type: 'new', kind: 'link', netns: 'n1', object: { index: 2, name: 'eth0', up: true } });
    expect(j.object.raw).toBeUndefined();
  });
});

function waitFor(cond: () => boolean, ms = 15000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(t);
        reject(new Error('timed out'));
      }
    }, 20);
  });
}

function collect(child: ChildProcess): { text: () => string } {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return { text: () => out };
}

describe.skipIf(!privileged)('nlts monitor against ip monitor (kernel)', () => {
  it('prints the same text as `ip monitor all` (NETCONF aside), -j lines parse, and SIGINT stops it with status 0', () =>
    withNetns(async (ns) => {
      const nlts = spawn(process.execPath, [path.join(ROOT, 'bin/nlts.js'), 'monitor', 'all', '-n', ns.name], { stdio: ['ignore', 'pipe', 'pipe'] });
      const nltsJ = spawn(process.execPath, [path.join(ROOT, 'bin/nlts.js'), '-j', 'monitor', 'link', 'address', '-n', ns.name], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // ip's stdout is block-buffered on a pipe: line-buffer it.
      const ip = spawn('stdbuf', ['-oL', 'ip', '-n', ns.name, 'monitor', 'all'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const a = collect(nlts);
      const j = collect(nltsJ);
      const b = collect(ip);
      let stderr = '';
      nlts.stderr!.on('data', (d) => (stderr += d));
      try {
        // Ready when every monitor has seen a sentinel change.
        let ready = false;
        for (let n = 1; n < 60 && !ready; n++) {
          ns.ip('addr', 'add', `127.1.0.${n}/32`, 'dev', 'lo');
          for (let k = 0; k < 10 && !ready; k++) {
            await new Promise((r) => setTimeout(r, 50));
            ready = [a, b, j].every((c) => c.text().includes(`127.1.0.${n}/32`));
          }
        }
        expect(ready, `monitors ready (nlts stderr: ${stderr})`).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        const [a0, b0] = [a.text().length, b.text().length];
        ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
        ns.ip('link', 'set', 'va', 'up');
        ns.ip('addr', 'add', '10.9.0.1/24', 'dev', 'va');
        ns.ip('route', 'add', '10.10.0.0/16', 'via', '10.9.0.1');
        ns.ip('neigh', 'add', '10.9.0.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'va');
        ns.ip('rule', 'add', 'from', '10.1.0.0/16', 'lookup', '100');
        ns.ip('rule', 'del', 'from', '10.1.0.0/16', 'lookup', '100');
        ns.ip('addr', 'del', '10.9.0.1/24', 'dev', 'va');
        ns.ip('link', 'del', 'va');
        const done = () => b.text().includes('[LINK]Deleted') && b.text().split('[LINK]Deleted').length === 3;
        await waitFor(() => done() && a.text().split('[LINK]Deleted').length === 3);
        await new Promise((r) => setTimeout(r, 200));
        const strip = (s: string) =>
          s
            .split('\n')
            .filter((l) => !l.startsWith('[NETCONF]'))
            .join('\n');
        expect(strip(a.text().slice(a0))).toBe(strip(b.text().slice(b0)));
        await waitFor(() => j.text().includes('"kind":"address"') && j.text().includes('"type":"del","kind":"link"'));
        const lines = j
          .text()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(lines.some((l) => l.type === 'new' && l.kind === 'address' && l.object.cidr === '10.9.0.1/24' && l.netns === ns.name)).toBe(true);
        const exit = new Promise<number | null>((r) => nlts.once('exit', (code) => r(code)));
        nlts.kill('SIGINT');
        expect(await exit).toBe(0);
        expect(stderr).toBe('');
      } finally {
        for (const c of [nlts, nltsJ, ip]) if (c.exitCode === null) c.kill('SIGKILL');
      }
    }));
});
