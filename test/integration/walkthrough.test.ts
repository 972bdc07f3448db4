/**
 * The namespace walk-throughs, end to end: everything is configured with netlink-ts alone
 * (namespaces, links, addresses, routes, sysctls, exec); `ip` is only the oracle. Each checks real
 * traffic between namespaces (ping, a TCP exchange or a DNS query) and none touches the root
 * namespace, which is compared before and after.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { execNetns, getNetnsId, identifyNetns, listNetnsIds, netnsPids, runInNetns, setNetnsId } from '../../src/netns/manage.js';
import { readSysctl, writeSysctl } from '../../src/netns/sysctl.js';
import { ipJson, privileged, rootSnapshot, skipReason, withNamespaces } from '../netns/support.js';

if (!privileged) console.warn(`[walkthrough] skipped: ${skipReason}`);

const hasPing = (() => {
  if (process.env.NLTS_TEST_NO_PING) return false; // exercise the TCP path
  try {
    execFileSync('ping', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Node for the little servers and clients run inside namespaces (no CA bundle: faster start). */
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

/** One TCP exchange from `from` to addr:port, where tcpServer() listens. */
async function tcp(from: string, addr: string, port: number, timeoutMs = 3000): Promise<string> {
  const code = `const s=require('net').connect(${port},'${addr}');let d='';s.setTimeout(${timeoutMs},()=>process.exit(2));s.on('data',(c)=>d+=c);s.on('end',()=>{process.stdout.write(d)});s.on('error',(e)=>{console.error(e.message);process.exit(1)})`;
  const r = await runInNetns(from, [process.execPath, '-e', code], { timeoutMs: 10_000, env: nodeEnv });
  return r.code === 0 ? r.stdout : `failed: ${r.stderr.trim()}`;
}

/** A TCP server in `ns` that greets with "hello from NS" and closes; resolves once listening. */
async function tcpServer(ns: string, addr: string, port: number) {
  const code = `require('net').createServer((c)=>c.end('hello from ${ns}')).listen(${port},'${addr}',()=>console.log('ready'))`;
  const child = execNetns(ns, [process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnv });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`server in ${ns} exited (${c})`)));
  });
  return child;
}

/** Real traffic: ping when iputils-ping is there (CI installs it), else a TCP exchange. */
async function reaches(from: string, to: string, addr: string, waitSeconds = 3): Promise<boolean> {
  if (hasPing) {
    const r = await runInNetns(from, ['ping', '-c', '1', '-W', String(waitSeconds), addr], { timeoutMs: 10_000 });
    return r.code === 0;
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = await tcpServer(to, addr, port);
  try {
    return (await tcp(from, addr, port, waitSeconds * 1000)) === `hello from ${to}`;
  } finally {
    server.kill('SIGKILL');
  }
}

describe.skipIf(!privileged)('namespace walk-throughs (configured with netlink-ts only)', () => {
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

  it('two namespaces over a veth pair', () =>
    withNamespaces(2, async (a, b) => {
      // From A: veth-a stays in A, veth-b goes to B at creation.
      await inNs(a, async (nl) => {
        await nl.links.add({ name: 'veth-a', kind: 'veth', peer: { name: 'veth-b', netns: b } });
        await nl.addresses.add('10.0.0.1/24', { link: 'veth-a' });
        await nl.links.set('veth-a', { up: true });
      });
      await inNs(b, async (nl) => {
        await nl.addresses.add('10.0.0.2/24', { link: 'veth-b' });
        await nl.links.set('veth-b', { up: true });
      });
      expect(ipJson(b, 'addr', 'show', 'veth-b')[0].addr_info.map((x: any) => x.local)).toContain('10.0.0.2');
      expect(await reaches(a, b, '10.0.0.2')).toBe(true);
      expect(await reaches(b, a, '10.0.0.1')).toBe(true);
    }));

  it('a pod namespace with a default route via its host namespace', () =>
    withNamespaces(2, async (host, pod) => {
      await inNs(host, async (nl) => {
        await nl.links.set('lo', { up: true });
        await nl.addresses.add('192.0.2.1/32', { link: 'lo' }); // a service address on the host, off the pod's subnet
        await nl.links.add({ name: 'veth-pod', kind: 'veth', peer: { name: 'eth0', netns: pod } });
        await nl.addresses.add('10.1.0.1/24', { link: 'veth-pod' });
        await nl.links.set('veth-pod', { up: true });
      });
      await inNs(pod, async (nl) => {
        await nl.addresses.add('10.1.0.2/24', { link: 'eth0' });
        await nl.links.set('eth0', { up: true });
        // route add default via GW dev D src S
        await nl.routes.add({ dst: 'default', gateway: '10.1.0.1', dev: 'eth0', prefsrc: '10.1.0.2' });
      });
      const [def] = ipJson(pod, 'route', 'show', 'default');
      expect(def).toMatchObject({ dst: 'default', gateway: '10.1.0.1', dev: 'eth0', prefsrc: '10.1.0.2' });
      expect(await reaches(pod, host, '192.0.2.1')).toBe(true);
    }));

  it('a router namespace forwarding between two others once ip_forward is on', () =>
    withNamespaces(3, async (router, left, right) => {
      await inNs(router, async (nl) => {
        await nl.links.add({ name: 'to-left', kind: 'veth', peer: { name: 'eth0', netns: left } });
        await nl.links.add({ name: 'to-right', kind: 'veth', peer: { name: 'eth0', netns: right } });
        await nl.addresses.add('10.2.1.1/24', { link: 'to-left' });
        await nl.addresses.add('10.2.2.1/24', { link: 'to-right' });
        await nl.links.set('to-left', { up: true });
        await nl.links.set('to-right', { up: true });
      });
      for (const [ns, addr, gw] of [
        [left, '10.2.1.2/24', '10.2.1.1'],
        [right, '10.2.2.2/24', '10.2.2.1'],
      ] as const) {
        await inNs(ns, async (nl) => {
          await nl.addresses.add(addr, { link: 'eth0' });
          await nl.links.set('eth0', { up: true });
          await nl.routes.add({ dst: 'default', gateway: gw });
        });
      }
      expect(await readSysctl('net.ipv4.ip_forward', { netns: router })).toBe('0');
      expect(await reaches(left, right, '10.2.2.2', 1)).toBe(false);
      await writeSysctl('net.ipv4.ip_forward', 1, { netns: router });
      expect(execFileSync('ip', ['netns', 'exec', router, 'sysctl', '-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).trim()).toBe('1');
      expect(await reaches(left, right, '10.2.2.2')).toBe(true);
      expect(await reaches(right, left, '10.2.1.2')).toBe(true);
    }));

  it('a bridge (stp off) as switch and gateway for several namespaces whose ends are renamed eth0', () =>
    withNamespaces(4, async (sw, p1, p2, p3) => {
      const pods = [p1, p2, p3];
      await inNs(sw, async (nl) => {
        await nl.links.add({ name: 'br0', kind: 'bridge', data: { stpState: 0 } });
        await nl.addresses.add('10.3.0.1/24', { link: 'br0' });
        await nl.links.set('br0', { up: true });
        await nl.links.set('lo', { up: true });
        await nl.addresses.add('198.51.100.1/32', { link: 'lo' });
        for (const [i, pod] of pods.entries()) {
          // Both ends made here, then the pod's end moved by name and renamed eth0 on the way.
          await nl.links.add({ name: `port${i}`, kind: 'veth', peer: { name: `pod${i}` }, master: 'br0' });
          await nl.links.set(`pod${i}`, { netns: pod, name: 'eth0' });
          await nl.links.set(`port${i}`, { up: true });
        }
      });
      for (const [i, pod] of pods.entries()) {
        await inNs(pod, async (nl) => {
          await nl.addresses.add(`10.3.0.${10 + i}/24`, { link: 'eth0' });
          await nl.links.set('eth0', { up: true });
          await nl.routes.add({ dst: 'default', gateway: '10.3.0.1', dev: 'eth0' });
        });
        expect(
          ipJson(pod, 'link', 'show')
            .map((l: any) => l.ifname)
            .sort(),
        ).toEqual(['eth0', 'lo']);
      }
      const [br] = ipJson(sw, '-d', 'link', 'show', 'br0');
      expect(br.linkinfo.info_data.stp_state).toBe(0);
      expect(
        ipJson(sw, 'link', 'show', 'master', 'br0')
          .map((l: any) => l.ifname)
          .sort(),
      ).toEqual(['port0', 'port1', 'port2']);
      expect(await reaches(p1, p2, '10.3.0.11')).toBe(true); // switched
      expect(await reaches(p3, p1, '10.3.0.10')).toBe(true);
      expect(await reaches(p2, sw, '10.3.0.1')).toBe(true); // the gateway
      expect(await reaches(p3, sw, '198.51.100.1')).toBe(true); // routed via the gateway
    }));

  it('identify and pids of a process serving TCP in a namespace', () =>
    withNamespaces(2, async (a, b) => {
      await inNs(a, async (nl) => {
        await nl.links.add({ name: 'eth0', kind: 'veth', peer: { name: 'eth0', netns: b } });
        await nl.addresses.add('10.4.0.1/24', { link: 'eth0' });
        await nl.links.set('eth0', { up: true });
      });
      await inNs(b, async (nl) => {
        await nl.addresses.add('10.4.0.2/24', { link: 'eth0' });
        await nl.links.set('eth0', { up: true });
      });
      const server = await tcpServer(a, '10.4.0.1', 8080);
      try {
        expect(identifyNetns(server.pid!)).toEqual([a]);
        expect(netnsPids(a)).toContain(server.pid);
        expect(netnsPids(b)).not.toContain(server.pid);
        expect(execFileSync('ip', ['netns', 'identify', String(server.pid)], { encoding: 'utf8' }).trim()).toBe(a);
        expect(execFileSync('ip', ['netns', 'pids', a], { encoding: 'utf8' }).trim().split('\n').map(Number)).toEqual(netnsPids(a));
        expect(await tcp(b, '10.4.0.1', 8080)).toBe(`hello from ${a}`);
      } finally {
        server.kill('SIGKILL');
      }
    }));

  it('exec with a per-namespace resolv.conf: a DNS query goes to the server it names', () =>
    withNamespaces(2, async (client, dns) => {
      await inNs(client, async (nl) => {
        await nl.links.add({ name: 'eth0', kind: 'veth', peer: { name: 'eth0', netns: dns } });
        await nl.addresses.add('10.5.0.1/24', { link: 'eth0' });
        await nl.links.set('eth0', { up: true });
      });
      await inNs(dns, async (nl) => {
        await nl.addresses.add('10.5.0.2/24', { link: 'eth0' });
        await nl.links.set('eth0', { up: true });
      });
      // A minimal DNS server in `dns`: every A query gets 10.5.0.99.
      const server = execNetns(
        dns,
        [
          process.execPath,
          '-e',
          `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{let i=12;while(m[i])i+=m[i]+1;i+=5;const q=m.subarray(12,i);const h=Buffer.from(m.subarray(0,12));const a=m.readUInt16BE(i-4)===1?Buffer.from([0xc0,12,0,1,0,1,0,0,0,60,0,4,10,5,0,99]):Buffer.alloc(0);h.writeUInt16BE(0x8180,2);h.writeUInt16BE(1,4);h.writeUInt16BE(a.length?1:0,6);h.writeUInt32BE(0,8);s.send(Buffer.concat([h,q,a]),r.port,r.address)});s.bind(53,'10.5.0.2',()=>console.log('ready'))`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnv },
      );
      const etc = `/etc/netns/${client}`;
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout!.once('data', () => resolve());
          server.once('exit', (c) => reject(new Error(`dns server exited (${c})`)));
        });
        mkdirSync(etc, { recursive: true });
        writeFileSync(`${etc}/resolv.conf`, 'nameserver 10.5.0.2\noptions timeout:2 attempts:2\n');
        const r = await runInNetns(client, ['sh', '-c', 'cat /etc/resolv.conf; getent ahostsv4 web.nlts.test'], { timeoutMs: 15_000 });
        expect(r.stdout).toContain('nameserver 10.5.0.2');
        expect(r.stdout).toMatch(/^10\.5\.0\.99\s+STREAM web\.nlts\.test/m);
        // Outside, /etc/resolv.conf is untouched.
        expect(readFileSync('/etc/resolv.conf', 'utf8')).not.toContain('10.5.0.2');
      } finally {
        server.kill('SIGKILL');
        rmSync(etc, { recursive: true, force: true });
      }
    }));

  it('nsid set and list, and a veth peer resolved through them', () =>
    withNamespaces(3, async (a, b, c) => {
      await inNs(a, async (nl) => {
        await setNetnsId(b, 42, { via: nl });
        await setNetnsId(c, 'auto', { via: nl });
        const idC = await getNetnsId(c, { via: nl });
        expect(await listNetnsIds({ via: nl })).toEqual(
          expect.arrayContaining([
            { nsid: 42, name: b },
            { nsid: idC, name: c },
          ]),
        );
        expect(execFileSync('ip', ['-n', a, 'netns', 'list-id'], { encoding: 'utf8' })).toContain(`nsid 42 (iproute2 netns name: ${b})`);
        await nl.links.add({ name: 'to-b', kind: 'veth', peer: { name: 'to-a', netns: b } });
        await nl.addresses.add('10.6.0.1/24', { link: 'to-b' });
        await nl.links.set('to-b', { up: true });
        expect(await nl.links.peer('to-b')).toMatchObject({ netnsid: 42, netns: b, name: 'to-a' });
        expect(ipJson(a, 'link', 'show', 'to-b')[0].link_netnsid).toBe(42);
      });
      await inNs(b, async (nl) => {
        await nl.addresses.add('10.6.0.2/24', { link: 'to-a' });
        await nl.links.set('to-a', { up: true });
      });
      expect(await reaches(a, b, '10.6.0.2')).toBe(true);
    }));
});
