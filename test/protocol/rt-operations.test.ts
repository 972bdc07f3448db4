/**
 * The rtnetlink specs' operations (protocol/rt-*.ts) against what is really sent and accepted:
 * - every request the API sends (driven over the stateful fake kernel, which keeps each request)
 *   is within its operation's request list, so checking requests refuses nothing the API does;
 * - where the kernel checks request attributes itself (strict get and dump requests: "Unsupported
 *   attribute ..."), the request lists are the kernel's, asked attribute by attribute in a
 *   throwaway namespace (needs root; skipped otherwise with the reason printed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { rtnetlinkSpecs } from '../../protocol/rtnetlink.js';
import type { AttrSpec, FamilySpec } from '../../protocol/spec.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { EncodeError } from '../../src/codec/errors.js';
import { Operations } from '../../src/codec/operations.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

if (!privileged) console.warn(`[protocol rt-operations] kernel probe skipped: ${skipReason}`);

const ops = Operations.of(rtnetlinkSpecs);
const isDump = (flags: number) => (flags & NLM_F.DUMP) === NLM_F.DUMP;

describe('rtnetlink operations: every request the API sends is within its operation', () => {
  /** Runs `f`, ignoring a refusal: what matters here is what was sent. */
  const tryIt = async (f: () => Promise<unknown>) => {
    await f().catch(() => undefined);
  };

  it('links, addresses, routes, neighbours, rules and nsids, as the API builds them', async () => {
    const kernel = new StatefulKernel({ loopbackUp: true });
    const nl = kernel.client({ linkIndex: false });
    await tryIt(() => nl.links.add({ name: 'br0', kind: 'bridge', up: true, mtu: 1400, address: '02:00:00:00:00:10' }));
    await tryIt(() => nl.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1', mtu: 1400 }, up: true, master: 'br0' }));
    await tryIt(() => nl.links.add({ name: 'vl0', kind: 'vlan', link: 'v0', data: { id: 10 } }));
    await tryIt(() => nl.links.add({ name: 'd0', kind: 'dummy', attrs: { txqlen: 100, group: 3, ifalias: 'a dummy' } }));
    await tryIt(() => nl.links.set('d0', { up: true, mtu: 1300, name: 'd1', broadcast: 'ff:ff:ff:ff:ff:ff', master: 'br0' }));
    await tryIt(() => nl.links.set('d1', { master: null, promisc: true }));
    await tryIt(() => nl.links.addAltnames('br0', 'a-long-alternative-name'));
    await tryIt(() => nl.links.deleteAltnames('br0', 'a-long-alternative-name'));
    await tryIt(() => nl.links.list({ kind: 'veth', master: 'br0', stats: true }));
    await tryIt(() => nl.links.get('br0'));
    await tryIt(() => nl.links.index('v1'));
    await tryIt(() => nl.links.peer('v0'));

    await tryIt(() => nl.addresses.add('192.0.2.1/24', { link: 'br0', label: 'br0:a', broadcast: '+', metric: 5, proto: 'kernel_ll' }));
    await tryIt(() => nl.addresses.add('2001:db8::1/64', { link: 'br0', validLifetime: 600, preferredLifetime: 300, flags: ['nodad'] }));
    await tryIt(() => nl.addresses.add('10.9.0.1/32', { link: 'br0', peer: '10.9.0.2/32' }));
    await tryIt(() => nl.addresses.addBatch([{ cidr: '10.8.0.1/32', link: 'br0' }]));
    await tryIt(() => nl.addresses.list({ link: 'br0', family: 'inet' }));
    await tryIt(() => nl.addresses.delete('10.9.0.1/32', { link: 'br0' }));
    await tryIt(() => nl.addresses.deleteBatch([{ cidr: '10.8.0.1/32', link: 'br0' }]));
    await tryIt(() => nl.addresses.flush({ link: 'br0', family: 'inet6' }));

    await tryIt(() => nl.routes.add({ dst: '198.51.100.0/24', gateway: '192.0.2.10', metric: 10, table: 100, prefsrc: '192.0.2.1', mtu: 1400 }));
    await tryIt(() => nl.routes.add({ dst: '2001:db8:1::/64', dev: 'br0', pref: 'high', expires: 60 }));
    await tryIt(() => nl.routes.add({ dst: '203.0.113.0/24', multipath: [{ gateway: '192.0.2.11' }, { gateway: '192.0.2.12', weight: 2 }] }));
    await tryIt(() => nl.routes.replace({ dst: '198.51.100.0/24', gateway: '192.0.2.12', table: 100 }));
    await tryIt(() => nl.routes.list({ table: 100, dev: 'br0' }));
    await tryIt(() => nl.routes.get('198.51.100.7', { from: '192.0.2.1', oif: 'br0', mark: 1 }));
    await tryIt(() => nl.routes.delete({ dst: '198.51.100.0/24', table: 100 }));
    await tryIt(() => nl.routes.addBatch([{ dst: '10.7.0.0/16', dev: 'br0' }]));
    await tryIt(() => nl.routes.deleteBatch([{ dst: '10.7.0.0/16', dev: 'br0' }]));

    await tryIt(() => nl.neighbours.add('192.0.2.20', { dev: 'br0', lladdr: '02:00:00:00:00:20', protocol: 'static' }));
    await tryIt(() => nl.neighbours.add('2001:db8::20', { dev: 'br0', proxy: true }));
    await tryIt(() => nl.neighbours.list({ dev: 'br0' }));
    await tryIt(() => nl.neighbours.delete('192.0.2.20', { dev: 'br0' }));
    await tryIt(() => nl.neighbours.flush({ dev: 'br0' }));

    const rule = { priority: 100, table: 100, src: '192.0.2.0/24', dst: '198.51.100.0/24', iif: 'br0', oif: 'v0', fwmark: 1, fwmask: 255 };
    await tryIt(() => nl.rules.add({ ...rule, sport: [1000, 2000], dport: 53, ipproto: 'udp', uidrange: [0, 10], protocol: 'static' }));
    await tryIt(() => nl.rules.add({ priority: 101, goto: 200, suppressPrefixlength: 0, suppressIfgroup: 1 }));
    await tryIt(() => nl.rules.list({ family: 'inet' }));
    await tryIt(() => nl.rules.delete(rule));
    await tryIt(() => nl.links.delete('v0'));
    nl.close();

    const kinds = new Set(kernel.requests.map((m) => `${m.kind} ${isDump(m.flags) ? 'dump' : 'do'}`));
    // The walk above reaches every kind of request the rtnetlink API sends.
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(['newlink do', 'dellink do', 'getlink do', 'getlink dump', 'newlinkprop do', 'dellinkprop do']),
    );
    expect([...kinds]).toEqual(expect.arrayContaining(['newaddr do', 'deladdr do', 'getaddr dump', 'newroute do', 'delroute do']));
    expect([...kinds]).toEqual(expect.arrayContaining(['getroute do', 'getroute dump', 'newneigh do', 'delneigh do', 'getneigh dump']));
    expect([...kinds]).toEqual(expect.arrayContaining(['newrule do', 'delrule do', 'getrule dump']));
    const refused = kernel.requests.flatMap((m) => {
      const op = m.kind === undefined ? undefined : ops.find(m.kind, isDump(m.flags));
      if (op === undefined) return [`${m.kind} ${isDump(m.flags) ? 'dump' : 'do'}: no operation`];
      const bad = op.offending(m.attrs);
      return bad.length > 0 ? [`${op.name} ${op.mode}: ${bad.join(', ')}`] : [];
    });
    expect(refused).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The kernel as the oracle for the strict requests

/** A value of the attribute's type that passes the kernel's policy where it can. */
function sample(a: AttrSpec, family: string | number): unknown {
  if (a.display === 'ipaddr') return new Uint8Array(family === 'inet6' ? 16 : 4);
  switch (a.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 's8':
    case 's16':
    case 's32':
      return /netnsid|nsid/i.test(a.name) ? 0 : 1;
    case 'u64':
    case 's64':
      return 1n;
    case 'string':
      return 'lo';
    case 'flag':
      return true;
    case 'binary':
      return new Uint8Array(4);
    case 'struct-array':
      return [];
    default:
      return {};
  }
}

/**
 * Taken by handlers not probed here: MPLS routes need the mpls_router module, which a test must
 * not load (net/mpls/af_mpls.c mpls_valid_getroute_req() takes RTA_DST and RTA_NEWDST).
 */
const ELSEWHERE: Readonly<Record<string, readonly string[]>> = { 'getroute do': ['newdst'] };

/** The kernel's own words for an attribute its strict checking does not take. */
const UNSUPPORTED = /Unsupported attribute|Invalid data after header/;

interface Probe {
  family: FamilySpec['name'];
  kind: string;
  dump: boolean;
  header: Record<string, unknown>;
  /** Attributes the request needs to get past its other checks (a get's destination). */
  base?: Record<string, unknown>;
}

/** Strict requests, in each address family whose handler checks its attributes differently. */
const PROBES: Probe[] = [
  { family: 'rt-link', kind: 'getlink', dump: false, header: { family: 0, index: 1 } },
  { family: 'rt-link', kind: 'getlink', dump: true, header: { family: 0 } },
  { family: 'rt-link', kind: 'getlink', dump: true, header: { family: 'bridge' } },
  { family: 'rt-addr', kind: 'getaddr', dump: false, header: { family: 'inet6', index: 1 }, base: { address: '::1' } },
  { family: 'rt-addr', kind: 'getaddr', dump: true, header: { family: 'inet' } },
  { family: 'rt-addr', kind: 'getaddr', dump: true, header: { family: 'inet6' } },
  { family: 'rt-route', kind: 'getroute', dump: false, header: { family: 'inet' } },
  { family: 'rt-route', kind: 'getroute', dump: false, header: { family: 'inet6' } },
  { family: 'rt-route', kind: 'getroute', dump: true, header: { family: 'inet' } },
  { family: 'rt-route', kind: 'getroute', dump: true, header: { family: 'inet6' } },
  { family: 'rt-neigh', kind: 'getneigh', dump: false, header: { family: 'inet', ifindex: 1 }, base: { dst: '127.0.0.1' } },
  { family: 'rt-neigh', kind: 'getneigh', dump: false, header: { family: 'bridge', ifindex: 1 } },
  { family: 'rt-neigh', kind: 'getneigh', dump: true, header: { family: 'inet' } },
  { family: 'rt-neigh', kind: 'getneigh', dump: true, header: { family: 'bridge' } },
  { family: 'rt-neigh', kind: 'getneightbl', dump: true, header: { family: 'inet' } },
  { family: 'rt-rule', kind: 'getrule', dump: true, header: { family: 'inet' } },
  { family: 'rt-nsid', kind: 'getnsid', dump: false, header: { family: 0 } },
  { family: 'rt-nsid', kind: 'getnsid', dump: true, header: { family: 0 } },
];

describe.skipIf(!privileged)('rtnetlink operations against the kernel: the strict requests', () => {
  let ns: TestNetns;
  let conn: Connection;
  beforeAll(() => {
    ns = createNetns();
    ns.ip('link', 'set', 'lo', 'up');
    conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
  });
  afterAll(() => {
    conn?.close();
    if (ns) deleteNetns(ns);
  });

  /** Per attribute: 'taken', 'unsupported' (the strict check refused it), or undefined (refused earlier, by policy). */
  async function ask(p: Probe, a: AttrSpec): Promise<'taken' | 'unsupported' | undefined> {
    const attrs = { ...p.base, [a.name]: sample(a, p.header.family as string) };
    try {
      await (p.dump ? conn.dump({ kind: p.kind, header: p.header, attrs }) : conn.request({ kind: p.kind, header: p.header, attrs }));
      return 'taken';
    } catch (err) {
      if (err instanceof EncodeError) return undefined; // no sample value for it (an encap without its type)
      if (!isNetlinkError(err)) throw err;
      const text = err.kernelMessage ?? '';
      if (UNSUPPORTED.test(text)) return 'unsupported';
      return /policy validation|integer out of range/.test(text) ? undefined : 'taken';
    }
  }

  it('each request list holds what the kernel takes and nothing it refuses as unsupported', async () => {
    const taken = new Map<string, Set<string>>();
    const unsupported = new Map<string, Set<string>>();
    const key = (p: Probe) => `${p.kind} ${p.dump ? 'dump' : 'do'}`;
    for (const p of PROBES) {
      const spec: FamilySpec = rtnetlinkSpecs.find((s) => s.name === p.family)!;
      const set = spec.attributeSets[spec.messages[p.kind]!.attributes]!;
      if (!taken.has(key(p))) taken.set(key(p), new Set());
      for (const base of Object.keys(p.base ?? {})) taken.get(key(p))!.add(base);
      for (const a of set.attributes) {
        if (p.base !== undefined && a.name in p.base) continue;
        const verdict = await ask(p, a);
        const into = verdict === 'taken' ? taken : verdict === 'unsupported' ? unsupported : undefined;
        if (into === undefined) continue;
        const names = into.get(key(p)) ?? new Set<string>();
        into.set(key(p), names.add(a.name));
      }
    }
    const wrong: string[] = [];
    for (const p of new Map(PROBES.map((x) => [key(x), x])).values()) {
      const list = new Set(ops.get(p.kind, p.dump).request.attributes);
      for (const a of ELSEWHERE[key(p)] ?? []) taken.get(key(p))?.add(a);
      for (const a of taken.get(key(p)) ?? []) if (!list.has(a)) wrong.push(`${key(p)}: the kernel takes ${a}, the list lacks it`);
      const everywhere = [...(unsupported.get(key(p)) ?? [])].filter((a) => !taken.get(key(p))?.has(a));
      for (const a of everywhere) if (list.has(a)) wrong.push(`${key(p)}: the list has ${a}, the kernel refuses it`);
    }
    expect(wrong).toEqual([]);
    // The probe did reach the kernel's checks.
    expect([...(unsupported.get('getroute dump') ?? [])]).toContain('dst');
    expect([...(taken.get('getroute dump') ?? [])].sort()).toEqual(['oif', 'table']);
  });

  it('the kernel has no do form of getrule and getneightbl, nor of IPv4 getaddr', async () => {
    for (const [kind, header] of [
      ['getrule', { family: 'inet' }],
      ['getneightbl', { family: 'inet' }],
      ['getaddr', { family: 'inet', index: 1 }],
    ] as const) {
      const err = await conn.request({ kind, header, flags: NLM_F.REQUEST | NLM_F.ACK }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EOPNOTSUPP' });
    }
  });
});
