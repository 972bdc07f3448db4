/**
 * The walk-through's last step, with netlink-ts alone: a container namespace on a bridge in a host
 * namespace, an "outside" namespace behind the host's uplink, ip_forward on through the sysctl API,
 * masquerade through nl.nftables (and again through `nlts nft -j -f`), a real TCP connection from
 * the container whose peer, seen outside, is the host's address; then a port forwarded (DNAT) from
 * the outside to the container. And iptables-nft's rules listed by `nlts nft` exactly as nft lists
 * them. nft and iptables are oracles only; nothing touches the root namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { execNetns, runInNetns } from '../../src/netns/manage.js';
import { writeSysctl } from '../../src/netns/sysctl.js';
import { runNlts } from '../cli/support/run.js';
import { privileged, rootSnapshot, skipReason, withNamespaces } from '../netns/support.js';

if (!privileged) console.warn(`[walkthrough nat] skipped: ${skipReason}`);

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nlts.js');

/** Node for the servers and clients run inside namespaces (no CA bundle: faster start). */
const nodeEnv = { ...process.env };
delete nodeEnv.NODE_EXTRA_CA_CERTS;
delete nodeEnv.NODE_OPTIONS;

async function inNs<T>(name: string, fn: (nl: NetlinkClient) => Promise<T>): Promise<T> {
  const nl = await NetlinkClient.connect({ netns: name });
  try {
    return await fn(nl);
  } finally {
    nl.close();
  }
}

/** A TCP server in `ns` that answers each connection with the peer address it sees; resolves once listening. */
async function peerServer(ns: string, addr: string, port: number) {
  const code = `require('net').createServer((c)=>c.end(c.remoteAddress)).listen(${port},'${addr}',()=>console.log('ready'))`;
  const child = execNetns(ns, [process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnv });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`server in ${ns} exited (${c})`)));
  });
  return child;
}

/** One TCP connection from `from` to addr:port: what the server said, or 'failed: ...'. */
async function connect(from: string, addr: string, port: number, timeoutMs = 2000): Promise<string> {
  const code =
    `const s=require('net').connect(${port},'${addr}');let d='';` +
    `s.setTimeout(${timeoutMs},()=>{console.error('timeout');process.exit(2)});` +
    `s.on('data',(c)=>d+=c);s.on('end',()=>{process.stdout.write(d)});s.on('error',(e)=>{console.error(e.message);process.exit(1)})`;
  const r = await runInNetns(from, [process.execPath, '-e', code], { timeoutMs: 15_000, env: nodeEnv });
  return r.code === 0 ? r.stdout : `failed: ${r.stderr.trim()}`;
}

/** `nft ARGS` in the namespace: stdout, stderr and status, as nlts gives them. */
function nft(ns: string, ...args: string[]): { out: string; err: string; code: number } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

/** A listing without handles (they move on between two makings of the same ruleset). */
function withoutHandles(json: string): unknown {
  return JSON.parse(json, (k, v) => (k === 'handle' ? undefined : v));
}

/**
 * container (ctr) --eth0/vethc1-- br0 [host] uplink --eth0-- outside: 172.18.0.0/24 behind the host's
 * 198.51.100.1; the outside knows no route back to 172.18.0.0/24, so only NAT lets traffic through.
 */
async function build(host: string, ctr: string, outside: string): Promise<void> {
  await inNs(host, async (nl) => {
    await nl.links.set('lo', { up: true });
    await nl.links.add({ name: 'br0', kind: 'bridge', data: { stpState: 0 } });
    await nl.addresses.add('172.18.0.1/24', { link: 'br0' });
    await nl.links.set('br0', { up: true });
    await nl.links.add({ name: 'vethc1', kind: 'veth', peer: { name: 'eth0', netns: ctr }, master: 'br0' });
    await nl.links.set('vethc1', { up: true });
    await nl.links.add({ name: 'uplink', kind: 'veth', peer: { name: 'eth0', netns: outside } });
    await nl.addresses.add('198.51.100.1/24', { link: 'uplink' });
    await nl.links.set('uplink', { up: true });
  });
  await inNs(ctr, async (nl) => {
    await nl.links.set('lo', { up: true });
    await nl.addresses.add('172.18.0.2/24', { link: 'eth0' });
    await nl.links.set('eth0', { up: true });
    await nl.routes.add({ dst: 'default', gateway: '172.18.0.1' });
  });
  await inNs(outside, async (nl) => {
    await nl.links.set('lo', { up: true });
    await nl.addresses.add('198.51.100.2/24', { link: 'eth0' });
    await nl.links.set('eth0', { up: true });
  });
  await writeSysctl('net.ipv4.ip_forward', 1, { netns: host });
}

describe.skipIf(!privileged)('the walk-through with NAT (nftables through netlink-ts)', () => {
  let rootBefore = '';
  let rootForward = '';
  beforeAll(() => {
    rootBefore = rootSnapshot();
    rootForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  });
  afterAll(() => {
    expect(rootSnapshot()).toBe(rootBefore);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(rootForward);
  });

  it('masquerade (API, then CLI): the outside sees the host; DNAT: the outside reaches the container', () =>
    withNamespaces(
      3,
      async (host, ctr, outside) => {
        await build(host, ctr, outside);
        const server = await peerServer(outside, '198.51.100.2', 8000);
        const dir = mkdtempSync(join(tmpdir(), 'nlts-nat-'));
        try {
          // No NAT: the SYN gets out, the answer has no way back.
          expect(await connect(ctr, '198.51.100.2', 8000, 1000)).toMatch(/^failed/);

          // The walk-through's masquerade through the API: the outside end sees the host's address.
          await inNs(host, async (nl) => {
            await nl.nftables.masquerade({ source: '172.18.0.0/24', notOutInterface: 'br0' });
          });
          expect(nft(host, 'list', 'chain', 'ip', 'nat', 'postrouting').out).toContain('ip saddr 172.18.0.0/24 oifname != "br0" masquerade\n');
          expect(await connect(ctr, '198.51.100.2', 8000)).toBe('198.51.100.1');

          // Saved with `nlts nft -j list ruleset`, flushed, and applied again by `nlts -n HOST nft -j -f FILE`.
          const saved = await runNlts(['-n', host, 'nft', '-j', 'list', 'ruleset']);
          expect(saved.code).toBe(0);
          const file = join(dir, 'nat.json');
          writeFileSync(file, saved.out);
          expect((await runNlts(['-n', host, 'nft', 'flush', 'ruleset'])).code).toBe(0);
          expect(nft(host, 'list', 'ruleset').out).toBe('');
          expect(await connect(ctr, '198.51.100.2', 8000, 1000)).toMatch(/^failed/);
          const applied = spawnSync(process.execPath, [bin, '-n', host, 'nft', '-j', '-f', file], {
            encoding: 'utf8',
            env: { ...nodeEnv, NLTS_SOURCE: '1' },
          });
          expect(applied.stderr).toBe('');
          expect(applied.status).toBe(0);
          expect(withoutHandles(nft(host, '-j', 'list', 'ruleset').out)).toEqual(withoutHandles(saved.out));
          expect(await connect(ctr, '198.51.100.2', 8000)).toBe('198.51.100.1');

          // Port forwarding: 198.51.100.1:8080 on the uplink goes to the container's port 80.
          const web = await peerServer(ctr, '172.18.0.2', 80);
          try {
            expect(await connect(outside, '198.51.100.1', 8080, 1000)).toMatch(/^failed/);
            await inNs(host, async (nl) => {
              await nl.nftables.dnat({ inInterface: 'uplink', protocol: 'tcp', port: 8080, to: '172.18.0.2', toPort: 80 });
            });
            expect(nft(host, 'list', 'chain', 'ip', 'nat', 'prerouting').out).toContain('iifname "uplink" tcp dport 8080 dnat to 172.18.0.2:80\n');
            expect(await connect(outside, '198.51.100.1', 8080)).toBe('198.51.100.2'); // the container sees the real client
          } finally {
            web.kill('SIGKILL');
          }
        } finally {
          server.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        }
      },
      'nat',
    ));

  it("iptables-nft's walk-through rules list through nlts nft exactly as nft lists them (text, -a, -j)", () =>
    withNamespaces(
      1,
      async (ns) => {
        for (const args of [
          ['-t', 'nat', '-A', 'POSTROUTING', '-s', '172.18.0.0/24', '!', '-o', 'vethc1', '-j', 'MASQUERADE'],
          ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
          ['-A', 'FORWARD', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'],
        ]) {
          execFileSync('ip', ['netns', 'exec', ns, 'iptables-nft', ...args], { stdio: 'pipe' });
        }
        for (const command of [
          ['list', 'ruleset'],
          ['-a', 'list', 'ruleset'],
          ['-j', 'list', 'ruleset'],
          ['list', 'tables'],
          ['-j', 'list', 'tables'],
          ['list', 'table', 'ip', 'nat'],
          ['-j', 'list', 'table', 'filter'],
          ['list', 'chain', 'ip', 'filter', 'FORWARD'],
          ['-a', '-j', 'list', 'chain', 'ip', 'nat', 'POSTROUTING'],
          ['list', 'chain', 'ip', 'filter', 'NOPE'],
          ['list', 'table', 'ip6', 'nat'],
        ]) {
          const want = nft(ns, ...command);
          const got = await runNlts(['-n', ns, 'nft', ...command]);
          expect({ out: got.out, err: got.err, code: got.code }, command.join(' ')).toEqual(want);
        }
      },
      'ipt',
    ));
});
