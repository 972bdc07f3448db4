import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { isInvalidArgumentError, isNotFoundError } from '../../src/api/errors.js';
import { LinkApi, type LinkRef } from '../../src/api/links.js';
import { NeighbourApi, toNeighbour } from '../../src/api/neighbours.js';
import { RuleApi, toRule } from '../../src/api/rules.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { ScriptedTransport, type Script } from '../../src/transport/scripted.js';
import { Bytes, doneFor, errorFor, nlmsg, seqOf } from '../support/bytes.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

const codec = rtnetlinkCodec();
const REQ_ACK = NLM_F.REQUEST | NLM_F.ACK;

/** Resolves 'veth0' to 7 without a getlink round trip; numbers go through the real check. */
class FakeLinks extends LinkApi {
  override async index(ref: LinkRef): Promise<number> {
    if (ref === 'veth0') return 7;
    if (ref === 'br0') return 9;
    return super.index(ref);
  }
}

/** A kernel that ACKs every request (or NACKs with `nack`'s errno) and answers dumps with `dump(request)`. */
function kernel(dump: (req: NetlinkMessage) => object[] = () => [], nack?: (req: NetlinkMessage) => number): Script {
  return (datagram, reply) => {
    // A batch puts several requests in one datagram.
    for (let pos = 0; pos < datagram.length; ) {
      const len = new DataView(datagram.buffer, datagram.byteOffset + pos).getUint32(0, true);
      const sent = datagram.subarray(pos, pos + len);
      pos += (len + 3) & ~3;
      const req = codec.decode(sent)[0]!;
      if ((req.flags & NLM_F.DUMP) === NLM_F.DUMP) {
        for (const m of dump(req)) reply(codec.encode({ flags: NLM_F.MULTI, seq: req.seq, pid: 0, ...m } as never));
        reply(doneFor(sent));
      } else reply(errorFor(sent, nack?.(req) ?? 0));
    }
  };
}

function setup(script: Script = kernel()) {
  const t = new ScriptedTransport(script);
  const conn = new Connection(t, codec, { timeoutMs: 2000 });
  const sent = () => t.sent.flatMap((d) => codec.decode(d));
  return { t, conn, sent, neigh: new NeighbourApi(conn, new FakeLinks(conn)), rules: new RuleApi(conn) };
}

function neighMsg(dst: string, state: string[], extra: { ifindex?: number; flags?: string[]; lladdr?: string; family?: string } = {}) {
  const family = extra.family ?? (dst.includes(':') ? 'inet6' : 'inet');
  const attrs: Record<string, unknown> = { dst };
  if (extra.lladdr) attrs.lladdr = extra.lladdr;
  return { kind: 'newneigh', header: { family, ifindex: extra.ifindex ?? 7, state, flags: extra.flags ?? [], type: 'unicast' }, attrs };
}

async function rejects(p: Promise<unknown>, argument: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isInvalidArgumentError(err), String(err)).toBe(true);
  expect((err as { argument: string }).argument).toBe(argument);
}

describe('NeighbourApi requests', () => {
  it('add: RTM_NEWNEIGH with CREATE|EXCL, ndm_state PERMANENT, NDA_DST and NDA_LLADDR (golden bytes)', async () => {
    const { neigh, t, sent } = setup();
    await neigh.add('10.0.0.2', { dev: 'veth0', lladdr: '02:00:00:00:00:02' });
    const body = new Bytes().u8(2).u8(0).u16(0).s32(7).u16(0x80).u8(0).u8(0).attr(1, [10, 0, 0, 2]).attr(2, [2, 0, 0, 0, 0, 2]);
    expect(t.sent[0]).toEqual(nlmsg(28, REQ_ACK | NLM_F.CREATE | NLM_F.EXCL, seqOf(t.sent[0]!), 0, body));
    const m = sent()[0]!;
    expect(m.kind).toBe('newneigh');
    expect(m.header).toMatchObject({ family: 'inet', ifindex: 7, state: ['permanent'], flags: [] });
  });

  it('replace: CREATE|REPLACE, IPv6, state and NTF flags by name', async () => {
    const { neigh, sent } = setup();
    await neigh.replace('2001:db8::2', { dev: 3, lladdr: '02:00:00:00:00:05', state: 'stale', router: true, extLearned: true, protocol: 'static' });
    const m = sent()[0]!;
    expect(m.flags).toBe(REQ_ACK | NLM_F.CREATE | NLM_F.REPLACE);
    expect(m.header).toMatchObject({ family: 'inet6', ifindex: 3, state: ['stale'], flags: ['ext_learned', 'router'] });
    expect(m.attrs).toEqual({ dst: '2001:db8::2', lladdr: '02:00:00:00:00:05', protocol: 'static' });
  });

  it('proxy add: NTF_PROXY, no lladdr; noarp state', async () => {
    const { neigh, sent } = setup();
    await neigh.add('10.0.0.9', { dev: 'veth0', proxy: true });
    await neigh.add('10.0.0.10', { dev: 'veth0', state: 'noarp', lladdr: '02:00:00:00:00:0a' });
    const [p, n] = sent();
    expect(p!.header).toMatchObject({ family: 'inet', ifindex: 7, flags: ['proxy'] });
    expect(p!.attrs).toEqual({ dst: '10.0.0.9' });
    expect(n!.header).toMatchObject({ state: ['noarp'] });
  });

  it('delete: RTM_DELNEIGH without create flags; ENOENT becomes NotFoundError', async () => {
    const { neigh, sent } = setup(kernel(undefined, (req) => ((req.attrs as { dst: string }).dst === '10.0.0.3' ? 2 : 0)));
    await neigh.delete('10.0.0.2', { dev: 'veth0' });
    await neigh.delete('10.0.0.9', { dev: 7, proxy: true });
    const err = await neigh.delete('10.0.0.3', { dev: 'veth0' }).catch((e: unknown) => e);
    expect(isNotFoundError(err)).toBe(true);
    expect(isNetlinkError((err as Error).cause)).toBe(true);
    const [d, p] = sent();
    expect(d!.kind).toBe('delneigh');
    expect(d!.flags).toBe(REQ_ACK);
    expect(d!.header).toMatchObject({ family: 'inet', ifindex: 7, flags: [] });
    expect(d!.attrs).toEqual({ dst: '10.0.0.2' });
    expect(p!.header).toMatchObject({ flags: ['proxy'] });
  });

  it('list: strict dump header (all zero but family / NTF_PROXY), dev and master as NDA_IFINDEX / NDA_MASTER', async () => {
    const { neigh, sent } = setup();
    await neigh.list();
    await neigh.list({ family: 'inet6', dev: 'veth0', master: 'br0' });
    await neigh.list({ proxy: true, family: 4 });
    const [a, b, c] = sent();
    expect(a!.flags).toBe(NLM_F.REQUEST | NLM_F.DUMP);
    expect(a!.header).toEqual({ family: 'unspec', ifindex: 0, state: [], flags: [], type: 'unspec' });
    expect(a!.attrs).toEqual({});
    expect(b!.header).toEqual({ family: 'inet6', ifindex: 0, state: [], flags: [], type: 'unspec' });
    expect(b!.attrs).toEqual({ ifindex: 7, master: 9 });
    expect(c!.header).toEqual({ family: 'inet', ifindex: 0, state: [], flags: ['proxy'], type: 'unspec' });
  });

  it('list hides NOARP-only and stateless entries like ip; all: true and state filters', async () => {
    const entries = [
      neighMsg('10.0.0.2', ['permanent'], { lladdr: '02:00:00:00:00:02' }),
      neighMsg('10.0.0.3', ['stale'], { lladdr: '02:00:00:00:00:03' }),
      neighMsg('10.0.0.4', []),
      neighMsg('ff02::1', ['noarp'], { lladdr: '33:33:00:00:00:01' }),
      neighMsg('10.0.0.5', ['noarp'], { flags: ['ext_learned'] }),
    ];
    const { neigh } = setup(kernel(() => entries));
    expect((await neigh.list()).map((n) => n.dst)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.5']);
    expect((await neigh.list({ all: true })).map((n) => n.dst)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', 'ff02::1', '10.0.0.5']);
    expect((await neigh.list({ state: ['noarp', 'none'] })).map((n) => n.dst)).toEqual(['10.0.0.4', 'ff02::1', '10.0.0.5']);
    const [perm] = await neigh.list({ state: 'permanent' });
    expect(perm).toMatchObject({
      family: 'inet',
      index: 7,
      dst: '10.0.0.2',
      lladdr: '02:00:00:00:00:02',
      state: ['permanent'],
      router: false,
      proxy: false,
    });
  });

  it('flush: deletes what ip neigh flush would (not PERMANENT / NOARP), counts, ignores vanished entries', async () => {
    const entries = [
      neighMsg('10.0.0.2', ['permanent'], { lladdr: '02:00:00:00:00:02' }),
      neighMsg('10.0.0.3', ['stale'], { lladdr: '02:00:00:00:00:03' }),
      neighMsg('10.0.0.4', ['failed']),
      neighMsg('10.0.0.6', ['reachable'], { lladdr: '02:00:00:00:00:06' }),
      neighMsg('10.0.0.7', ['noarp'], { lladdr: '02:00:00:00:00:07' }),
    ];
    const { neigh, sent } = setup(
      kernel(
        () => entries,
        (req) => ((req.attrs as { dst: string }).dst === '10.0.0.4' ? 2 : 0),
      ),
    );
    expect(await neigh.flush({ dev: 'veth0' })).toBe(2);
    const dels = sent().filter((m) => m.kind === 'delneigh');
    expect(dels.map((m) => (m.attrs as { dst: string }).dst)).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.6']);
    expect(dels[0]!.header).toMatchObject({ family: 'inet', ifindex: 7, flags: [], state: [] });
    expect(sent()[0]!.attrs).toEqual({ ifindex: 7 });
  });

  it('flush all: true deletes every entry; flush proxy keeps NTF_PROXY on the deletes (stateful fake kernel)', async () => {
    const kernel = new StatefulKernel();
    const nl = kernel.client();
    await nl.links.add({ name: 'veth0', kind: 'dummy', up: true });
    await nl.neighbours.add('10.0.0.2', { dev: 'veth0', lladdr: '02:00:00:00:00:02' });
    await nl.neighbours.add('10.0.0.7', { dev: 'veth0', state: 'noarp' });
    await nl.neighbours.add('10.0.0.9', { dev: 'veth0', proxy: true });
    expect(await nl.neighbours.flush({ all: true })).toBe(2);
    expect(await nl.neighbours.list({ all: true })).toEqual([]);
    expect((await nl.neighbours.list({ proxy: true })).map((n) => n.dst)).toEqual(['10.0.0.9']);
    expect(await nl.neighbours.flush({ proxy: true })).toBe(1);
    expect(await nl.neighbours.list({ proxy: true })).toEqual([]);
    const dels = kernel.requests.filter((m) => m.kind === 'delneigh');
    expect(dels.map((m) => m.header!.flags)).toEqual([[], [], ['proxy']]);
    nl.close();
  });

  it('refuses bad input before sending anything', async () => {
    const { neigh, t } = setup();
    await rejects(neigh.add('10.0.0', { dev: 'veth0' }), 'neighbour address');
    await rejects(neigh.add('10.0.0.1', {} as never), 'dev');
    await rejects(neigh.add('10.0.0.1', { dev: 'veth0', state: 'bogus' as never }), 'state');
    await rejects(neigh.add('10.0.0.1', { dev: 'veth0', lladdr: '02:00:zz' }), 'lladdr');
    await rejects(neigh.add('10.0.0.1', { dev: 'veth0', proxy: true, lladdr: '02:00:00:00:00:01' }), 'lladdr');
    await rejects(neigh.add('10.0.0.1', { dev: 0 }), 'interface index');
    await rejects(neigh.add('10.0.0.1', { dev: 'bad name' }), 'interface name');
    await rejects(neigh.replace('10.0.0.1', { dev: 'veth0', router: 1 as never }), 'router');
    await rejects(neigh.delete('fe80::g', { dev: 'veth0' }), 'neighbour address');
    await rejects(neigh.list({ family: 'bridge' as never }), 'family');
    await rejects(neigh.list({ state: [] }), 'state');
    await rejects(neigh.flush({ state: 'all' as never }), 'state');
    expect(t.sent).toHaveLength(0);
  });
});

describe('toNeighbour', () => {
  it('names state and flags, copies optional attributes', () => {
    const bytes = codec.encode({
      kind: 'newneigh',
      header: { family: 'inet6', ifindex: 4, state: ['reachable'], flags: ['router'] },
      attrs: {
        dst: 'fe80::1',
        lladdr: '02:00:00:00:00:01',
        probes: 2,
        vlan: 10,
        master: 5,
        cacheinfo: { confirmed: 1, used: 2, updated: 3, refcnt: 4 },
      },
    });
    const n = toNeighbour(codec.decode(bytes)[0]!);
    expect(n).toMatchObject({
      family: 'inet6',
      index: 4,
      dst: 'fe80::1',
      state: ['reachable'],
      flags: ['router'],
      router: true,
      proxy: false,
      probes: 2,
      vlan: 10,
      master: 5,
    });
    expect(n.cacheinfo).toEqual({ confirmed: 1, used: 2, updated: 3, refcnt: 4 });
  });
});

describe('RuleApi requests', () => {
  it('add: RTM_NEWRULE with CREATE|EXCL, FR_ACT_TO_TBL, table in header and FRA_TABLE (golden bytes)', async () => {
    const { rules, t } = setup();
    await rules.add({ src: '10.1.0.0/16', table: 100, priority: 1000 });
    const body = new Bytes()
      .u8(2)
      .u8(0)
      .u8(16)
      .u8(0)
      .u8(100)
      .u8(0)
      .u8(0)
      .u8(1)
      .u32(0)
      .attr(2, [10, 1, 0, 0])
      .attr(6, new Bytes().u32(1000))
      .attr(15, new Bytes().u32(100));
    expect(t.sent[0]).toEqual(nlmsg(32, REQ_ACK | NLM_F.CREATE | NLM_F.EXCL, seqOf(t.sent[0]!), 0, body));
  });

  it('add: table > 255 goes in FRA_TABLE with RT_TABLE_UNSPEC in the header; defaults to main', async () => {
    const { rules, sent } = setup();
    await rules.add({ fwmark: 0x10, fwmask: 0xff, table: 1000 });
    await rules.add({ iif: 'veth0', oif: 'veth1' });
    await rules.add({ dst: '2001:db8::/32', table: 'local' });
    const [a, b, c] = sent();
    expect(a!.header).toMatchObject({ family: 'inet', table: 'unspec', action: 'to_tbl', flags: [] });
    expect(a!.attrs).toEqual({ fwmark: 0x10, fwmask: 0xff, table: 1000 });
    expect(b!.header).toMatchObject({ table: 'main', action: 'to_tbl' });
    expect(b!.attrs).toEqual({ iifname: 'veth0', oifname: 'veth1', table: 'main' });
    expect(c!.header).toMatchObject({ family: 'inet6', dstLen: 32, srcLen: 0, table: 'local' });
    expect(c!.attrs).toEqual({ dst: '2001:db8::', table: 'local' });
  });

  it('ipproto by any /etc/protocols name (protocol/ip-protocols.ts), icmpv6 too, any case', async () => {
    const { rules, sent } = setup();
    for (const ipproto of ['ospf', 'ipv6-icmp', 'icmpv6', 'SCTP', 'vrrp']) await rules.add({ priority: 40, ipproto });
    expect(sent().map((m) => m.attrs?.ipProto)).toEqual([89, 58, 58, 132, 112]);
  });

  it('add: selectors (not, tos, ports, ipproto, uidrange, protocol, suppress_*) and actions', async () => {
    const { rules, sent } = setup();
    await rules.add({ not: true, dst: '10.2.0.0/16', action: 'blackhole', priority: 10 });
    await rules.add({
      sport: [1000, 2000],
      dport: 80,
      ipproto: 'tcp',
      uidrange: [100, 200],
      tos: 0x10,
      protocol: 'static',
      suppressPrefixlength: 0,
      suppressIfgroup: 5,
    });
    await rules.add({ priority: 20, goto: 30 });
    await rules.add({ priority: 21, action: 'nop' });
    await rules.add({ priority: 22, action: 'unreachable', family: 'inet6' });
    const [bh, sel, gt, nop, un] = sent();
    expect(bh!.header).toMatchObject({ family: 'inet', dstLen: 16, table: 'unspec', action: 'blackhole', flags: ['invert'] });
    expect(bh!.attrs).toEqual({ dst: '10.2.0.0', priority: 10 });
    expect(sel!.header).toMatchObject({ tos: 0x10, action: 'to_tbl', table: 'main' });
    expect(sel!.attrs).toEqual({
      protocol: 'static',
      sportRange: { start: 1000, end: 2000 },
      dportRange: { start: 80, end: 80 },
      ipProto: 6,
      uidRange: { start: 100, end: 200 },
      suppressPrefixlen: 0,
      suppressIfgroup: 5,
      table: 'main',
    });
    expect(gt!.header).toMatchObject({ action: 'goto', table: 'unspec' });
    expect(gt!.attrs).toEqual({ priority: 20, goto: 30 });
    expect(nop!.header).toMatchObject({ action: 'nop' });
    expect(un!.header).toMatchObject({ family: 'inet6', action: 'unreachable' });
  });

  it('delete: only the given selectors, action unspec unless given, no flags; ENOENT becomes NotFoundError', async () => {
    const { rules, sent } = setup(kernel(undefined, (req) => ((req.attrs as { priority?: number }).priority === 99 ? 2 : 0)));
    await rules.delete({ src: '10.1.0.0/16', table: 100 });
    await rules.delete({ priority: 500, action: 'blackhole' });
    const err = await rules.delete({ priority: 99 }).catch((e: unknown) => e);
    expect(isNotFoundError(err)).toBe(true);
    const [a, b] = sent();
    expect(a!.kind).toBe('delrule');
    expect(a!.flags).toBe(REQ_ACK);
    expect(a!.header).toMatchObject({ family: 'inet', srcLen: 16, table: 100, action: 'unspec' });
    expect(a!.attrs).toEqual({ src: '10.1.0.0', table: 100 });
    expect(b!.header).toMatchObject({ action: 'blackhole', table: 'unspec' });
    expect(b!.attrs).toEqual({ priority: 500 });
  });

  it('list: header with only the family, no attributes; inet by default, all = AF_UNSPEC', async () => {
    const rule = (family: string, priority: number, table: number) => ({
      kind: 'newrule',
      header: { family, table: table < 256 ? table : 0, action: 'to_tbl' },
      attrs: { priority, table, suppressPrefixlen: 0xffffffff, protocol: 'kernel' },
    });
    const { rules, sent } = setup(
      kernel((req) =>
        (req.header as { family: string }).family === 'inet6'
          ? [rule('inet6', 32766, 254)]
          : [rule('inet', 0, 255), rule('inet', 5, 1000), rule('inet6', 32766, 254)],
      ),
    );
    const v4 = await rules.list();
    await rules.list({ family: 'inet6' });
    const all = await rules.list({ family: 'all' });
    expect(sent().map((m) => m.header)).toEqual([
      { family: 'inet', dstLen: 0, srcLen: 0, tos: 0, table: 'unspec', action: 'unspec', flags: [] },
      { family: 'inet6', dstLen: 0, srcLen: 0, tos: 0, table: 'unspec', action: 'unspec', flags: [] },
      { family: 'unspec', dstLen: 0, srcLen: 0, tos: 0, table: 'unspec', action: 'unspec', flags: [] },
    ]);
    expect(sent().map((m) => m.attrs)).toEqual([{}, {}, {}]);
    expect(v4.map((r) => [r.priority, r.table])).toEqual([
      [0, 'local'],
      [5, 1000],
    ]);
    expect(v4[0]).toMatchObject({ family: 'inet', action: 'lookup', type: 'to_tbl', protocol: 'kernel' });
    expect(v4[0]!.suppressPrefixlen).toBeUndefined();
    expect(all).toHaveLength(3);
  });

  it('refuses bad input before sending anything', async () => {
    const { rules, t } = setup();
    await rejects(rules.add({ src: '10.0.0.0/33' }), 'src');
    await rejects(rules.add({ src: '10.0.0.0/8', dst: '2001:db8::/32' }), 'dst');
    await rejects(rules.add({ family: 'inet6', src: '10.0.0.0/8' }), 'src');
    await rejects(rules.add({ table: 0 }), 'table');
    await rejects(rules.add({ table: 'nosuchtable' }), 'table');
    await rejects(rules.add({ table: 100, action: 'blackhole' }), 'table');
    await rejects(rules.add({ action: 'goto' }), 'goto');
    await rejects(rules.add({ action: 'nop', goto: 5 }), 'goto');
    await rejects(rules.add({ action: 'jump' as never }), 'action');
    await rejects(rules.add({ sport: 0 }), 'sport start');
    await rejects(rules.add({ dport: [2000, 1000] }), 'dport');
    await rejects(rules.add({ dport: 65535 }), 'dport start');
    await rejects(rules.add({ uidrange: [200, 100] }), 'uidrange');
    await rejects(rules.add({ uidrange: [0, 0xffffffff] }), 'uidrange');
    await rejects(rules.add({ ipproto: 'bogus' }), 'ipproto');
    await rejects(rules.add({ fwmark: -1 }), 'fwmark');
    await rejects(rules.add({ priority: 2 ** 32 }), 'priority');
    await rejects(rules.add({ iif: 'x'.repeat(16) }), 'iif');
    await rejects(rules.add({ tos: 256 }), 'tos');
    await rejects(rules.add({ l3mdev: true, table: 10 }), 'table');
    await rejects(rules.add({ not: 'yes' as never }), 'not');
    await rejects(rules.delete({}), 'rule');
    await rejects(rules.delete({ family: 'inet6' }), 'rule');
    await rejects(rules.list({ family: 'ipx' as never }), 'family');
    expect(t.sent).toHaveLength(0);
  });
});

describe('toRule', () => {
  it('prefers FRA_TABLE, builds prefixes, names flags, hides unset suppressors', () => {
    const bytes = codec.encode({
      kind: 'newrule',
      header: { family: 'inet', srcLen: 16, dstLen: 24, tos: 0, table: 0, action: 'to_tbl', flags: ['invert'] },
      attrs: {
        src: '10.1.0.0',
        dst: '10.2.3.0',
        priority: 7,
        table: 1000,
        iifname: 'v0',
        fwmark: 1,
        fwmask: 0xffffffff,
        protocol: 'boot',
        sportRange: { start: 1, end: 2 },
        uidRange: { start: 5, end: 6 },
        ipProto: 17,
        suppressPrefixlen: 0xffffffff,
        suppressIfgroup: 3,
        l3mdev: 0,
      },
    });
    const r = toRule(codec.decode(bytes)[0]!);
    expect({ ...r, raw: undefined }).toEqual({
      family: 'inet',
      priority: 7,
      table: 1000,
      action: 'lookup',
      type: 'to_tbl',
      src: '10.1.0.0/16',
      dst: '10.2.3.0/24',
      iifname: 'v0',
      fwmark: 1,
      fwmask: 0xffffffff,
      tos: 0,
      invert: true,
      flags: ['invert'],
      protocol: 'boot',
      sportRange: { start: 1, end: 2 },
      uidRange: { start: 5, end: 6 },
      ipProto: 17,
      suppressIfgroup: 3,
      l3mdev: false,
      raw: undefined,
    });
  });
});
