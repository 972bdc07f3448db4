/**
 * RuleApi against the kernel, in throwaway namespaces, with `ip -j -d rule show` as the oracle.
 * Needs root (CAP_SYS_ADMIN for namespaces); skipped otherwise with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { isNotFoundError } from '../../src/api/errors.js';
import { type Rule, RuleApi } from '../../src/api/rules.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[rules integration] skipped: ${skipReason}`);

interface Ctx {
  ns: TestNetns;
  api: RuleApi;
}

/** A namespace with veth pair va/vb up and addressed, a connection inside it, and the API. */
function inNetns(fn: (c: Ctx) => Promise<void>): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      ns.ip('link', 'set', 'va', 'up');
      ns.ip('link', 'set', 'vb', 'up');
      ns.ip('address', 'add', '10.0.0.1/24', 'dev', 'va');
      const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
      try {
        await fn({ ns, api: new RuleApi(conn) });
      } finally {
        conn.close();
      }
    });
}

const hex = (n: number) => `0x${n.toString(16)}`;
const IP_PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

/** What `ip -j -d rule show` prints for a rule, from ours (iprule.c print_rule). */
function asIp(r: Rule): Record<string, unknown> {
  const o: Record<string, unknown> = { priority: r.priority };
  const host = r.family === 'inet6' ? 128 : 32;
  if (r.invert) o.not = null;
  const prefix = (p: string | undefined, key: 'src' | 'dst') => {
    if (p === undefined) {
      if (key === 'src') o.src = 'all';
      return;
    }
    const [addr, len] = p.split('/');
    o[key] = addr;
    if (Number(len) !== host) o[`${key}len`] = Number(len);
  };
  prefix(r.src, 'src');
  prefix(r.dst, 'dst');
  if (r.tos) o.tos = hex(r.tos);
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    o.fwmark = hex(r.fwmark ?? 0);
    if (r.fwmask !== 0xffffffff) o.fwmask = hex(r.fwmask ?? 0);
  }
  if (r.iifname !== undefined) {
    o.iif = r.iifname;
    if (r.flags.includes('iif_detached')) o.iif_detached = null;
  }
  if (r.oifname !== undefined) {
    o.oif = r.oifname;
    if (r.flags.includes('oif_detached')) o.oif_detached = null;
  }
  if (r.uidRange) {
    o.uid_start = r.uidRange.start;
    o.uid_end = r.uidRange.end;
  }
  if (r.ipProto !== undefined) o.ipproto = IP_PROTO_NAMES[r.ipProto] ?? String(r.ipProto);
  for (const [range, key] of [
    [r.sportRange, 'sport'],
    [r.dportRange, 'dport'],
  ] as const) {
    if (!range) continue;
    if (range.start === range.end) o[key] = range.start;
    else {
      o[`${key}_start`] = range.start;
      o[`${key}_end`] = range.end;
    }
  }
  if (r.table !== undefined) {
    o.table = String(r.table);
    if (r.suppressPrefixlen !== undefined) o.suppress_prefixlen = r.suppressPrefixlen;
    if (r.suppressIfgroup !== undefined) o.suppress_ifgroup = String(r.suppressIfgroup);
  }
  if (r.action === 'goto') {
    o.goto = r.goto;
    if (r.flags.includes('unresolved')) o.unresolved = null;
  } else if (r.action === 'nop') o.nop = null;
  else if (r.action !== 'lookup') o.action = r.type;
  o.protocol = r.protocol;
  return o;
}

async function expectLikeIp(ns: TestNetns, api: RuleApi, family: 'inet' | 'inet6' = 'inet'): Promise<Rule[]> {
  const ours = await api.list({ family });
  expect(ours.map(asIp)).toEqual(ns.ipJson<any[]>(family === 'inet6' ? '-6' : '-4', '-d', 'rule', 'show'));
  return ours;
}

describe.skipIf(!privileged)('RuleApi (kernel, ip as oracle)', () => {
  it(
    'lists the default rules (0 local, 32766 main, 32767 default) like ip rule show, and ip -6',
    inNetns(async ({ ns, api }) => {
      const v4 = await expectLikeIp(ns, api);
      expect(v4.map((r) => [r.priority, r.table, r.action, r.protocol])).toEqual([
        [0, 'local', 'lookup', 'kernel'],
        [32766, 'main', 'lookup', 'kernel'],
        [32767, 'default', 'lookup', 'kernel'],
      ]);
      const v6 = await expectLikeIp(ns, api, 'inet6');
      expect(v6.map((r) => [r.priority, r.table])).toEqual([
        [0, 'local'],
        [32766, 'main'],
      ]);
      const all = await api.list({ family: 'all' });
      expect(all.filter((r) => r.family === 'inet').length).toBe(3);
      expect(all.filter((r) => r.family === 'inet6').length).toBe(2);
    }),
  );

  it(
    'from / to with table 100 and 1000 and explicit priorities',
    inNetns(async ({ ns, api }) => {
      await api.add({ src: '10.1.0.0/16', table: 100, priority: 100 });
      await api.add({ dst: '10.2.0.0/24', table: 1000, priority: 101 });
      await api.add({ src: '10.3.0.1', dst: '10.4.0.0/16', table: 'main', priority: 102 });
      // Priority chosen by the kernel: just below the first non-zero one.
      await api.add({ src: '10.5.0.0/16', table: 100 });
      const ours = await expectLikeIp(ns, api);
      expect(ours.find((r) => r.priority === 101)).toMatchObject({ table: 1000, dst: '10.2.0.0/24', action: 'lookup', type: 'to_tbl' });
      // The kernel reports RT_TABLE_COMPAT in the header for ids above 255; FRA_TABLE has the id.
      expect((ours.find((r) => r.priority === 101)!.raw.header as any).table).toBe('compat');
      expect(ours.find((r) => r.priority === 99)).toMatchObject({ src: '10.5.0.0/16', table: 100 });
    }),
  );

  it(
    'fwmark/mask, iif/oif, tos, sport/dport ranges, ipproto, uidrange, not, protocol, suppress_*',
    inNetns(async ({ ns, api }) => {
      await api.add({ fwmark: 0x10, fwmask: 0xff, table: 1000, priority: 200 });
      await api.add({ fwmark: 0x20, table: 100, priority: 201 });
      await api.add({ iif: 'va', oif: 'vb', table: 100, priority: 202 });
      await api.add({ sport: [1000, 2000], dport: 80, ipproto: 'tcp', table: 100, priority: 203 });
      await api.add({ uidrange: [100, 200], table: 100, priority: 204 });
      await api.add({ not: true, src: '10.9.0.0/16', table: 100, priority: 205 });
      await api.add({ tos: 0x10, protocol: 'static', table: 5, priority: 206 });
      await api.add({ table: 'main', suppressPrefixlength: 0, suppressIfgroup: 5, priority: 207 });
      await api.add({ iif: 'nosuchdev', table: 100, priority: 208 });
      const ours = await expectLikeIp(ns, api);
      const p = (n: number) => ours.find((r) => r.priority === n)!;
      expect(p(200)).toMatchObject({ fwmark: 0x10, fwmask: 0xff, table: 1000 });
      expect(p(201)).toMatchObject({ fwmark: 0x20, fwmask: 0xffffffff });
      expect(p(202)).toMatchObject({ iifname: 'va', oifname: 'vb' });
      expect(p(203)).toMatchObject({ sportRange: { start: 1000, end: 2000 }, dportRange: { start: 80, end: 80 }, ipProto: 6 });
      expect(p(204)).toMatchObject({ uidRange: { start: 100, end: 200 } });
      expect(p(205)).toMatchObject({ invert: true, src: '10.9.0.0/16' });
      expect(p(206)).toMatchObject({ tos: 0x10, protocol: 'static' });
      expect(p(207)).toMatchObject({ suppressPrefixlen: 0, suppressIfgroup: 5 });
      // ip rule add sets no protocol: the kernel stores unspec, and so do we by default.
      expect(p(200).protocol).toBe('unspec');
      expect(p(208).flags).toContain('iif_detached');
    }),
  );

  it(
    'blackhole, unreachable, prohibit, goto and nop actions; IPv6 rules',
    inNetns(async ({ ns, api }) => {
      await api.add({ dst: '10.2.0.0/16', action: 'blackhole', priority: 300 });
      await api.add({ dst: '10.3.0.0/16', action: 'unreachable', priority: 301 });
      await api.add({ dst: '10.4.0.0/16', action: 'prohibit', priority: 302, not: true });
      await api.add({ priority: 303, goto: 305 });
      await api.add({ priority: 304, goto: 400 });
      await api.add({ priority: 305, action: 'nop' });
      const ours = await expectLikeIp(ns, api);
      expect(ours.filter((r) => r.priority >= 300 && r.priority < 400).map((r) => [r.priority, r.action, r.table])).toEqual([
        [300, 'blackhole', undefined],
        [301, 'unreachable', undefined],
        [302, 'prohibit', undefined],
        [303, 'goto', undefined],
        [304, 'goto', undefined],
        [305, 'nop', undefined],
      ]);
      expect(ours.find((r) => r.priority === 304)!.flags).toContain('unresolved');
      await api.add({ src: '2001:db8:1::/48', table: 100, priority: 310 });
      await api.add({ dst: '2001:db8:2::/48', action: 'blackhole', priority: 311 });
      await api.add({ family: 'inet6', fwmark: 7, table: 1000, priority: 312 });
      const v6 = await expectLikeIp(ns, api, 'inet6');
      expect(v6.find((r) => r.priority === 310)).toMatchObject({ family: 'inet6', src: '2001:db8:1::/48', table: 100 });
    }),
  );

  it(
    'a duplicate add is EEXIST (NLM_F_EXCL; only with the same priority, as ip)',
    inNetns(async ({ ns, api }) => {
      await api.add({ src: '10.1.0.0/16', table: 100, priority: 500 });
      const err = await api.add({ src: '10.1.0.0/16', table: 100, priority: 500 }).catch((e: unknown) => e);
      expect(isNetlinkError(err) && err.code).toBe('EEXIST');
      // ip agrees.
      expect(() => ns.ip('rule', 'add', 'from', '10.1.0.0/16', 'table', '100', 'pref', '500')).toThrow(/File exists/);
      expect(ns.ipJson<any[]>('rule', 'show').filter((r) => r.priority === 500)).toHaveLength(1);
    }),
  );

  it(
    'delete matches like ip rule del; a rule added by ip is deleted by the same description, and the other way round',
    inNetns(async ({ ns, api }) => {
      await api.add({ src: '10.1.0.0/16', table: 100, priority: 600 });
      await api.add({ fwmark: 0x10, fwmask: 0xff, table: 1000, priority: 601 });
      await api.add({ dst: '10.2.0.0/16', action: 'blackhole', priority: 602 });
      await api.add({ sport: [1000, 2000], uidrange: [5, 6], table: 100, priority: 603 });
      ns.ip('rule', 'add', 'from', '10.7.0.0/16', 'iif', 'va', 'lookup', '1000', 'pref', '604');
      await api.delete({ src: '10.1.0.0/16', table: 100 });
      await api.delete({ priority: 601 });
      await api.delete({ dst: '10.2.0.0/16', action: 'blackhole' });
      await api.delete({ sport: [1000, 2000], uidrange: [5, 6] });
      await api.delete({ src: '10.7.0.0/16', iif: 'va', table: 1000, priority: 604 });
      expect(ns.ipJson<any[]>('rule', 'show').map((r) => r.priority)).toEqual([0, 32766, 32767]);
      const err = await api.delete({ priority: 600 }).catch((e: unknown) => e);
      expect(isNotFoundError(err)).toBe(true);
      // Ours, deleted by ip.
      await api.add({ dst: '10.8.0.0/16', table: 1000, priority: 700 });
      ns.ip('rule', 'del', 'to', '10.8.0.0/16', 'table', '1000');
      await expectLikeIp(ns, api);
      // A selector that matches nothing leaves the rules alone.
      const miss = await api.delete({ src: '10.1.0.0/16', table: 101 }).catch((e: unknown) => e);
      expect(isNotFoundError(miss)).toBe(true);
      expect(ns.ipJson<any[]>('rule', 'show').map((r) => r.priority)).toEqual([0, 32766, 32767]);
    }),
  );
});
