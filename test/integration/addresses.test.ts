/**
 * AddressApi against the kernel, in throwaway namespaces, with `ip -j address show` as the oracle.
 * Needs root (CAP_SYS_ADMIN for namespaces); skipped otherwise with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { type Address, AddressApi } from '../../src/api/addresses.js';
import { InvalidArgumentError, NotFoundError } from '../../src/api/errors.js';
import { LinkApi } from '../../src/api/links.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[addresses integration] skipped: ${skipReason}`);

interface Ctx {
  ns: TestNetns;
  api: AddressApi;
  links: LinkApi;
  conn: Connection;
}

/**
 * A namespace with veth pair va/vb (both up), a connection inside it, and the API. IPv6 DAD is
 * off unless asked for, so link-local addresses do not change state between our dump and ip's.
 */
function inNetns(fn: (c: Ctx) => Promise<void>, opts: { dad?: boolean } = {}): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      if (!opts.dad) ns.exec('sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('link', 'set', 'vb', 'up');
      const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
      try {
        const links = new LinkApi(conn);
        await fn({ ns, api: new AddressApi(conn, links), links, conn });
      } finally {
        conn.close();
      }
    });
}

/**
 * addr_info entries of `ip -j [-4|-6] address show ARGS...`, each with the ifindex of its link
 * (ip -j leaves empty objects for addresses its filters drop: skipped).
 */
function ipAddrs(ns: TestNetns, ...args: string[]): any[] {
  const family = args[0] === '-4' || args[0] === '-6' ? [args.shift()!] : [];
  const out: any[] = [];
  for (const l of ns.ipJson<any[]>(...family, 'address', 'show', ...args)) {
    for (const a of l.addr_info ?? []) if (a.local !== undefined) out.push({ ...a, ifindex: l.ifindex });
  }
  return out;
}

/** ip -j's boolean keys for IFA_F_* flags, by spec flag name. */
const IP_FLAG_KEYS: Record<string, string> = {
  secondary: 'secondary',
  temporary: 'temporary',
  nodad: 'nodad',
  optimistic: 'optimistic',
  dadfailed: 'dadfailed',
  homeaddress: 'home',
  deprecated: 'deprecated',
  tentative: 'tentative',
  managetempaddr: 'mngtmpaddr',
  noprefixroute: 'noprefixroute',
  mcautojoin: 'autojoin',
  stable_privacy: 'stable-privacy',
};

const key = (family: string, local: string, prefixlen: number) => `${family} ${local}/${prefixlen}`;

/** Lifetimes tick down between our dump and ip's: allow a couple of seconds. */
function closeLifetime(ours: number | undefined, theirs: number): void {
  if (theirs === 0xffffffff) expect(ours).toBe(0xffffffff);
  else {
    expect(ours).toBeDefined();
    expect(Math.abs(ours! - theirs)).toBeLessThanOrEqual(2);
  }
}

/** Same addresses, field by field, as ip reports them. */
function expectSameAsIp(ours: Address[], ip: any[]): void {
  const byKey = new Map(ip.map((a) => [key(a.family, a.local, a.prefixlen), a]));
  expect(ours.map((a) => key(a.family, a.address, a.prefixlen)).sort()).toEqual([...byKey.keys()].sort());
  for (const a of ours) {
    const o = byKey.get(key(a.family, a.address, a.prefixlen))!;
    const where = `${a.cidr} on ${a.index}`;
    if (o.ifindex !== undefined) expect(a.index, where).toBe(o.ifindex); // ip omits links when filtering by label
    expect(a.cidr, where).toBe(`${o.local}/${o.prefixlen}`);
    expect(a.peer, where).toBe(o.address);
    expect(a.broadcast, where).toBe(o.broadcast);
    expect(a.anycast, where).toBe(o.anycast);
    expect(a.label, where).toBe(o.label);
    expect(a.scope === 'universe' ? 'global' : String(a.scope), where).toBe(String(o.scope));
    expect(a.dynamic, where).toBe(o.dynamic === true);
    expect(a.permanent, where).toBe(o.dynamic !== true);
    for (const [name, ipKey] of Object.entries(IP_FLAG_KEYS)) expect(a.flags.includes(name), `${where}: flag ${name}`).toBe(o[ipKey] === true);
    closeLifetime(a.validLifetime, o.valid_life_time);
    closeLifetime(a.preferredLifetime, o.preferred_life_time);
    expect(a.metric, where).toBe(o.metric);
  }
}

describe.skipIf(!privileged)('AddressApi against the kernel (ip -j address show as oracle)', () => {
  it(
    'IPv4 with label and broadcast +, and a secondary',
    inNetns(async ({ ns, api }) => {
      await api.add('10.0.0.1/24', { link: 'va', label: 'va:web', broadcast: '+' });
      await api.add('10.0.0.2/24', { link: 'va' });
      const ours = await api.list({ link: 'va', family: 'inet' });
      expectSameAsIp(ours, ipAddrs(ns, '-4', 'dev', 'va'));
      expect(ours.find((a) => a.address === '10.0.0.1')).toMatchObject({
        label: 'va:web',
        broadcast: '10.0.0.255',
        secondary: false,
        permanent: true,
      });
      expect(ours.find((a) => a.address === '10.0.0.2')).toMatchObject({ label: 'va', secondary: true, flags: ['secondary', 'permanent'] });
    }),
  );

  it(
    'IPv6 with nodad is never tentative (DAD on); the link index can be a number',
    inNetns(
      async ({ ns, api, links }) => {
        const index = await links.index('va');
        await api.add('2001:db8::1/64', { link: index, flags: ['nodad'] });
        const ours = await api.list({ link: index, family: 'inet6', scope: 'universe' });
        expect(ours).toHaveLength(1);
        expect(ours[0]!.flags).toContain('nodad');
        expect(ours[0]!.flags).not.toContain('tentative');
        const ip = ipAddrs(ns, '-6', 'dev', 'va', 'scope', 'global');
        expect(ip[0].tentative).toBeUndefined();
        expectSameAsIp(ours, ip);
        // Without nodad the same kind of address starts tentative (DAD takes about a second).
        await api.add('2001:db8::2/64', { link: 'va' });
        expect((await api.list({ link: 'va', family: 'inet6' })).find((a) => a.address === '2001:db8::2')!.flags).toContain('tentative');
      },
      { dad: true },
    ),
  );

  it(
    'peer addresses, IPv4 and IPv6',
    inNetns(async ({ ns, api }) => {
      await api.add('10.1.0.1', { link: 'va', peer: '10.1.0.2/30' });
      await api.add('2001:db8:1::1', { link: 'va', peer: '2001:db8:1::2', flags: ['nodad'] });
      const ours = await api.list({ link: 'va', scope: 'global' });
      expect(ours.map((a) => [a.cidr, a.peer])).toEqual([
        ['10.1.0.1/30', '10.1.0.2'],
        ['2001:db8:1::1/128', '2001:db8:1::2'],
      ]);
      expectSameAsIp(ours, ipAddrs(ns, 'dev', 'va', 'scope', 'global'));
    }),
  );

  it(
    'lifetimes (valid 100 / preferred 50) and noprefixroute, as ip shows them',
    inNetns(async ({ ns, api }) => {
      await api.add('10.2.0.1/24', { link: 'va', validLifetime: 100, preferredLifetime: 50 });
      await api.add('2001:db8:2::1/64', { link: 'va', validLifetime: 100, preferredLifetime: 50, flags: ['nodad', 'noprefixroute'], metric: 77 });
      const ours = await api.list({ link: 'va', scope: 'universe' });
      expectSameAsIp(ours, ipAddrs(ns, 'dev', 'va', 'scope', 'global'));
      for (const a of ours) {
        expect(a.dynamic).toBe(true);
        expect(a.validLifetime).toBeGreaterThan(95);
        expect(a.preferredLifetime).toBeGreaterThan(45);
        expect(a.preferredLifetime).toBeLessThanOrEqual(50);
      }
      const six = ours.find((a) => a.family === 'inet6')!;
      expect(six.flags).toEqual(expect.arrayContaining(['nodad', 'noprefixroute']));
      expect(six.metric).toBe(77);
      // noprefixroute: no 2001:db8:2::/64 route; the IPv4 one got its prefix route.
      expect(ns.ipJson<any[]>('-6', 'route', 'show', 'dev', 'va').map((r) => r.dst)).not.toContain('2001:db8:2::/64');
      expect(ns.ipJson<any[]>('-4', 'route', 'show', 'dev', 'va').map((r) => r.dst)).toContain('10.2.0.0/24');
    }),
  );

  it(
    'list filters: link, family, scope, label',
    inNetns(async ({ ns, api }) => {
      ns.ip('link', 'set', 'lo', 'up');
      await api.add('10.0.0.1/24', { link: 'va', label: 'va:one' });
      await api.add('10.0.0.2/24', { link: 'va', label: 'va:two' });
      await api.add('10.0.0.3/24', { link: 'va' });
      await api.add('10.9.0.1/24', { link: 'vb' });
      await api.add('2001:db8::9/64', { link: 'vb', flags: ['nodad'] });
      expectSameAsIp(await api.list(), ipAddrs(ns));
      expectSameAsIp(await api.list({ link: 'vb' }), ipAddrs(ns, 'dev', 'vb'));
      expectSameAsIp(await api.list({ family: 'inet' }), ipAddrs(ns, '-4'));
      expectSameAsIp(await api.list({ family: 'inet6', link: 'vb' }), ipAddrs(ns, '-6', 'dev', 'vb'));
      expectSameAsIp(await api.list({ scope: 'host' }), ipAddrs(ns, 'scope', 'host'));
      expectSameAsIp(await api.list({ scope: 'link' }), ipAddrs(ns, 'scope', 'link'));
      expectSameAsIp(await api.list({ label: 'va:*' }), ipAddrs(ns, '-4', 'label', 'va:*'));
      expect((await api.list({ label: 'va:two' })).map((a) => a.address)).toEqual(['10.0.0.2']);
      expect(await api.list({ link: 'vb', scope: 'host' })).toEqual([]);
    }),
  );

  it(
    'replace changes lifetimes in place, and creates when missing',
    inNetns(async ({ ns, api }) => {
      await api.add('10.3.0.1/24', { link: 'va', validLifetime: 100, preferredLifetime: 50 });
      await api.replace('10.3.0.1/24', { link: 'va', validLifetime: 2000, preferredLifetime: 1500 });
      await api.replace('2001:db8:3::1/64', { link: 'va', flags: ['nodad'], validLifetime: 300, preferredLifetime: 200 });
      await api.replace('2001:db8:3::1/64', { link: 'va', flags: ['nodad'], validLifetime: 3000, preferredLifetime: 2500 });
      const ip = ipAddrs(ns, 'dev', 'va', 'scope', 'global');
      expect(ip.map((a) => [a.local, a.valid_life_time > 1900, a.preferred_life_time > 1400])).toEqual([
        ['10.3.0.1', true, true],
        ['2001:db8:3::1', true, true],
      ]);
      expectSameAsIp(await api.list({ link: 'va', scope: 'global' }), ip);
      // replace back to forever makes it permanent again (IPv4).
      await api.replace('10.3.0.1/24', { link: 'va', validLifetime: 'forever', preferredLifetime: 'forever' });
      const [v4] = await api.list({ link: 'va', family: 'inet' });
      expect(v4).toMatchObject({ permanent: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff });
    }),
  );

  it(
    'delete: IPv4 with and without prefix, IPv6 with and without prefix, peer',
    inNetns(async ({ ns, api }) => {
      await api.add('10.4.0.1/24', { link: 'va' });
      await api.add('10.4.0.2/24', { link: 'va' });
      await api.add('10.4.1.1', { link: 'va', peer: '10.4.1.2' });
      await api.add('2001:db8:4::1/64', { link: 'va', flags: ['nodad'] });
      await api.add('2001:db8:4::2/64', { link: 'va', flags: ['nodad'] });
      await api.delete('10.4.0.2/24', { link: 'va' });
      await api.delete('10.4.0.1', { link: 'va' });
      await api.delete('10.4.1.1', { link: 'va', peer: '10.4.1.2' });
      await api.delete('2001:db8:4::1/64', { link: 'va' });
      await api.delete('2001:db8:4::2', { link: 'va' });
      expect(ipAddrs(ns, 'dev', 'va', 'scope', 'global')).toEqual([]);
      expect(await api.list({ link: 'va', scope: 'global' })).toEqual([]);
    }),
  );

  it(
    'flush returns how many went; other families and links stay',
    inNetns(async ({ ns, api }) => {
      await api.add('10.5.0.1/24', { link: 'va' });
      await api.add('10.5.0.2/24', { link: 'va' });
      await api.add('10.5.0.3/24', { link: 'va', label: 'va:x' });
      await api.add('10.6.0.1/24', { link: 'va' });
      await api.add('2001:db8:5::1/64', { link: 'va', flags: ['nodad'] });
      await api.add('10.5.0.9/24', { link: 'vb' });
      expect(await api.flush({ link: 'va', label: 'va:x' })).toBe(1);
      expect(await api.flush({ link: 'va', family: 'inet' })).toBe(3);
      expect(ipAddrs(ns, '-4', 'dev', 'va')).toEqual([]);
      expect(ipAddrs(ns, '-6', 'dev', 'va', 'scope', 'global').map((a) => a.local)).toEqual(['2001:db8:5::1']);
      expect(ipAddrs(ns, '-4', 'dev', 'vb').map((a) => a.local)).toEqual(['10.5.0.9']);
      expect(await api.flush({ link: 'va', scope: 'universe' })).toBe(1);
      expect(await api.flush({ link: 'va', scope: 'universe' })).toBe(0);
      expect(ipAddrs(ns, 'dev', 'va', 'scope', 'global')).toEqual([]);
    }),
  );

  it(
    'addBatch / deleteBatch: many addresses pipelined, per-item results',
    inNetns(async ({ ns, api }) => {
      const items = Array.from({ length: 300 }, (_, i) => ({ cidr: `10.${20 + (i >> 8)}.${i & 0xff}.1/32`, link: 'va' }));
      const added = await api.addBatch([...items, { cidr: '10.20.0.1/32', link: 'va' }]);
      expect(added.slice(0, 300).every((r) => r.ok)).toBe(true);
      expect(added[300]!.ok).toBe(false);
      expect(isNetlinkError((added[300] as { error: Error }).error) && (added[300] as any).error.code).toBe('EEXIST');
      expect(ipAddrs(ns, '-4', 'dev', 'va')).toHaveLength(300);
      const deleted = await api.deleteBatch([...items.slice(0, 200), { cidr: '10.99.0.1/32', link: 'va' }]);
      expect(deleted.slice(0, 200).every((r) => r.ok)).toBe(true);
      expect((deleted[200] as any).error.code).toBe('EADDRNOTAVAIL');
      expect(ipAddrs(ns, '-4', 'dev', 'va')).toHaveLength(100);
      expectSameAsIp(await api.list({ link: 'va', family: 'inet' }), ipAddrs(ns, '-4', 'dev', 'va'));
    }),
  );

  it(
    'errors: duplicate add (EEXIST with the kernel message), missing delete (NotFoundError, code EADDRNOTAVAIL), bad label, missing link',
    inNetns(async ({ ns, api }) => {
      await api.add('10.7.0.1/24', { link: 'va' });
      const dup = await api.add('10.7.0.1/24', { link: 'va' }).catch((e) => e);
      expect(isNetlinkError(dup)).toBe(true);
      expect(dup.code).toBe('EEXIST');
      expect(dup.kernelMessage).toBeTruthy();
      expect(dup.message).toContain(dup.kernelMessage);
      await api.add('2001:db8:7::1/64', { link: 'va', flags: ['nodad'] });
      const dup6 = await api.add('2001:db8:7::1/64', { link: 'va', flags: ['nodad'] }).catch((e) => e);
      expect(isNetlinkError(dup6) && dup6.code).toBe('EEXIST');

      const missing = await api.delete('10.7.0.99/24', { link: 'va' }).catch((e) => e);
      expect(missing instanceof NotFoundError && missing.code).toBe('EADDRNOTAVAIL');
      const missing6 = await api.delete('2001:db8:7::99/64', { link: 'va' }).catch((e) => e);
      expect(missing6 instanceof NotFoundError && missing6.code).toBe('EADDRNOTAVAIL');

      const before = ipAddrs(ns, '-4');
      const bad = await api.add('10.7.0.2/24', { link: 'va', label: 'vb:x' }).catch((e) => e);
      expect(bad).toBeInstanceOf(InvalidArgumentError);
      expect(bad.message).toMatch(/must be the interface name "va" or start with "va:"/);
      const nolink = await api.add('10.7.0.3/24', { link: 'nosuch0' }).catch((e) => e);
      expect(nolink).toBeInstanceOf(NotFoundError);
      const noindex = await api.add('10.7.0.3/24', { link: 9999 }).catch((e) => e);
      expect(noindex).toBeInstanceOf(NotFoundError);
      expect(ipAddrs(ns, '-4')).toEqual(before);
    }),
  );
});
