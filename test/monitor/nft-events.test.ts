/**
 * The Monitor's 'nftables' group over a scripted NETLINK_NETFILTER socket (no privileges): changes
 * as `nft -j monitor` prints them, the generation closing each transaction, anonymous sets and
 * ranges as nft shows them, the changes a dump already holds dropped by generation, and every way
 * of losing events (ENOBUFS with the drain marker, a truncated datagram, an undecodable change, a
 * cache that cannot print a change, a slow consumer) reported as an overrun and repaired by a
 * resync carrying the ruleset. Also the `nft monitor` text of the same changes.
 */
import { openSync, fstatSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NLMSG, NLM_F } from '../../protocol/netlink.js';
import { NFNLGRP_NFTABLES } from '../../protocol/nfnetlink.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { isInvalidArgumentError } from '../../src/errors/index.js';
import type { MonitorEvent } from '../../src/monitor/events.js';
import { resolveGroups } from '../../src/monitor/groups.js';
import { Monitor } from '../../src/monitor/monitor.js';
import type { NftConnection } from '../../src/nft/connection.js';
import { NftMonitorState } from '../../src/nft/monitor-json.js';
import type { NftRuleset } from '../../src/nft/ruleset-dump.js';
import { TransportError } from '../../src/transport/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { NftEventPrinter } from '../../src/cli/commands/nft-monitor.js';
import { concat, errorFor } from '../support/bytes.js';
import { nftCodec } from '../support/nft-ruleset.js';
import { fakeRequests, fakeState, linkMsg, tick } from './helpers.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const start = Date.now(); !cond(); await tick(2)) if (Date.now() - start > ms) throw new Error('timed out');
}
const resyncs = (seen: MonitorEvent[]) => seen.filter((e) => e.type === 'resync').length;

const codec = nftCodec();
/** A change's nfgenmsg: res_id is its transaction's generation (low 16 bits). */
const H = (family = 'ip', resId = LATER) => ({ family, version: 0, resId });
/** The generation of changes unless a test says: later than every dump here. */
const LATER = 100;
/** Set userdata: key byte order big-endian (NFTNL_UDATA_SET_KEYBYTEORDER = 2), as nft writes it. */
const KEY_BIG_ENDIAN = Uint8Array.from([0, 4, 2, 0, 0, 0]);
const ip4 = (a: string) => Uint8Array.from(a.split('.').map(Number));

type Msg = { kind: string; flags?: number; family?: string; gen?: number; attrs: Record<string, unknown> };

function encode(m: Msg): Uint8Array {
  return codec.encode({ kind: m.kind, flags: m.flags ?? 0, header: H(m.family, m.gen), attrs: m.attrs }).slice();
}
/** `m` as a change of generation `gen`. */
const of = (gen: number, m: Msg): Msg => ({ ...m, gen });
/** The message as the monitor's codec decodes it (a dump's messages). */
function decoded(m: Msg): NetlinkMessage {
  return codec.decode(encode(m))[0]!;
}

const table = (name = 't', del = false): Msg => ({ kind: del ? 'deltable' : 'newtable', attrs: { name, flags: [], use: 0, handle: 1n } });
const baseChain = (name = 'c'): Msg => ({
  kind: 'newchain',
  attrs: { table: 't', name, handle: 1n, hook: { hooknum: 1, priority: 0 }, policy: 'accept', type: 'filter' },
});
const verdict = (code: string) => ({ name: 'immediate', data: { dreg: 'verdict', data: { verdict: { code } } } });
const counterAccept = { elem: [{ name: 'counter', data: { bytes: 0n, packets: 0n } }, verdict('accept')] };
const rule = (handle: bigint, opts: { del?: boolean; append?: boolean; expressions?: unknown; position?: bigint } = {}): Msg => ({
  kind: opts.del ? 'delrule' : 'newrule',
  flags: opts.append === false ? 0 : NLM_F.APPEND,
  attrs: {
    table: 't',
    chain: 'c',
    handle,
    expressions: opts.expressions ?? counterAccept,
    ...(opts.position !== undefined && { position: opts.position }),
  },
});
/** ip saddr <lookup in set> drop */
const saddrIn = (set: string) => ({
  elem: [
    { name: 'payload', data: { dreg: 'reg-1', base: 'network-header', offset: 12, len: 4 } },
    { name: 'lookup', data: { sreg: 'reg-1', set } },
    verdict('drop'),
  ],
});
const set = (name: string, flags: string[], handle = 2n): Msg => ({
  kind: 'newset',
  attrs: { table: 't', name, flags, keyType: 7, keyLen: 4, id: 1, handle, userdata: KEY_BIG_ENDIAN },
});
const elems = (setName: string, list: { key: string; end?: boolean }[], del = false): Msg => ({
  kind: del ? 'delsetelem' : 'newsetelem',
  attrs: { table: 't', set: setName, elements: { elem: list.map(elem) } },
});
function elem(e: { key: string; end?: boolean }): Record<string, unknown> {
  return { key: { value: ip4(e.key) }, ...(e.end && { flags: ['interval-end'] }) };
}
const gen = (id: number): Msg => ({ kind: 'newgen', family: 'unspec', gen: id & 0xffff, attrs: { id, procPid: 4242, procName: 'nft' } });

/** The nftables socket: joins, and ACKs drain markers. */
class NftEvents extends ScriptedTransport {
  override readonly protocol = 12 as never;
  joined: number[] = [];
  markers = 0;
  constructor() {
    super((sent, reply) => {
      this.markers++;
      reply(errorFor(sent, 0));
    });
  }
  addMembership(group: number): void {
    this.joined.push(group);
  }
  send_(...msgs: Msg[]): void {
    this.push(concat(...msgs.map(encode)));
  }
}

/** A ruleset dump of `msgs` at `genid`, `during` run while it is taken (changes arriving meanwhile). */
function fakeDumps(state: { genid: number; msgs: Msg[] }, during?: (n: number) => void) {
  let n = 0;
  const dumps: number[] = [];
  const conn = {
    async ruleset(): Promise<NftRuleset> {
      n++;
      during?.(n);
      await tick();
      dumps.push(state.genid);
      const of = (k: string) => state.msgs.filter((m) => m.kind === k).map(decoded);
      return {
        genid: state.genid,
        tables: of('newtable'),
        chains: of('newchain'),
        rules: of('newrule'),
        sets: of('newset'),
        elements: of('newsetelem'),
        objects: of('newobj'),
        flowtables: of('newflowtable'),
      };
    },
    close() {},
  };
  return { conn: conn as unknown as NftConnection, dumps };
}

interface SetupOptions {
  initialDump?: boolean;
  state?: { genid: number; msgs: Msg[] };
  during?: (n: number, t: NftEvents) => void;
  maxQueued?: number;
}

async function setup(opts: SetupOptions = {}) {
  const t = new NftEvents();
  const state = opts.state ?? { genid: 1, msgs: [] };
  const dumps = fakeDumps(state, (n) => opts.during?.(n, t));
  const m = await Monitor.open({
    groups: ['nftables'],
    transport: new NftEvents(),
    nftTransport: t,
    nftRequests: dumps.conn,
    keepAlive: false,
    initialDump: opts.initialDump ?? false,
    ...(opts.maxQueued !== undefined && { maxQueued: opts.maxQueued }),
  });
  const seen: MonitorEvent[] = [];
  m.on('event', (e) => seen.push(e));
  await until(() => !m.resyncing); // the cache's dump
  return { t, m, seen, state, dumps: dumps.dumps };
}

/** Events in short: `add table t`, `gen 2`, `overrun enobufs`, `resync 3`. */
function summary(e: MonitorEvent): string {
  switch (e.type) {
    case 'new':
    case 'del': {
      if (e.kind !== 'nftables') return `${e.type} ${e.kind}`;
      const verb = Object.keys(e.object)[0]!;
      const obj = (e.object as any)[verb];
      const kind = Object.keys(obj)[0]!;
      const b = obj[kind];
      return `${verb} ${kind} ${b.name ?? b.chain ?? ''}${b.handle !== undefined && kind === 'rule' ? ` ${b.handle}` : ''}`.trimEnd();
    }
    case 'generation':
      return `gen ${e.genid}`;
    case 'overrun':
      return `overrun ${e.reason} ${e.kinds?.join(',')}`;
    case 'resync':
      return `resync ${e.genid}`;
    default:
      return e.type;
  }
}

describe("Monitor group 'nftables' (scripted kernel)", () => {
  it("joins NFNLGRP_NFTABLES on its own socket; changes come as nft -j monitor's JSON, each transaction closed by its generation", async () => {
    const { t, m, seen } = await setup();
    expect(t.joined).toEqual([NFNLGRP_NFTABLES]);
    expect(m.kinds).toEqual(['nftables']);
    t.send_(table(), baseChain());
    t.send_(rule(4n), rule(5n, { append: false }), gen(2));
    t.send_(rule(4n, { del: true }), table('t', true), gen(3));
    const transaction3 = ['delete rule c 4', 'delete table t', 'gen 3'];
    expect(seen.map(summary)).toEqual(['add table t', 'add chain c', 'add rule c 4', 'insert rule c 5', 'gen 2', ...transaction3]);
    expect(seen[0]).toMatchObject({ type: 'new', kind: 'nftables', object: { add: { table: { family: 'ip', name: 't', handle: 1 } } } });
    expect((seen[1] as any).object).toEqual({
      add: { chain: { family: 'ip', table: 't', name: 'c', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
    });
    expect((seen[2] as any).object).toEqual({
      add: { rule: { family: 'ip', table: 't', chain: 'c', handle: 4, expr: [{ counter: { packets: 0, bytes: 0 } }, { accept: null }] } },
    });
    expect(seen[4]).toEqual({ type: 'generation', netns: undefined, genid: 2, pid: 4242, process: 'nft' });
    expect(seen[5]).toMatchObject({ type: 'del', kind: 'nftables' });
    expect(m.stats.events).toBe(6);
    m.close();
  });

  it("listens as 'nftables' (changes) and 'generation'; 'all' does not include it; open() is needed to load it", async () => {
    expect(resolveGroups(['nftables'])).toEqual([]);
    expect(() => resolveGroups(['all', 'nftables'])).not.toThrow();
    expect(() => new Monitor({ groups: ['nftables'], transport: new NftEvents(), keepAlive: false })).toThrow(/use await Monitor.open/);
    const { t, m } = await setup();
    const changes: string[] = [];
    m.on('nftables', (e) => changes.push(summary(e)));
    m.on('generation', (e) => changes.push(`gen ${e.genid}`));
    t.send_(table(), gen(2));
    expect(changes).toEqual(['add table t', 'gen 2']);
    m.close();
    await expect(Monitor.open({ groups: ['nftables'], nftTransport: {} as never })).rejects.toSatisfy(isInvalidArgumentError);
    await expect(Monitor.open({ groups: ['nftables'], nftRequests: 5 as never })).rejects.toSatisfy(isInvalidArgumentError);
  });

  it('anonymous sets and their elements are no events: the rule that uses one shows its elements inline', async () => {
    const { t, m, seen } = await setup({ state: { genid: 1, msgs: [table()] } });
    t.send_(set('__set0', ['anonymous', 'constant']), elems('__set0', [{ key: '1.2.3.4' }]), elems('__set0', [{ key: '5.6.7.8' }]));
    t.send_(rule(3n, { expressions: saddrIn('__set0') }), gen(2));
    expect(seen.map(summary)).toEqual(['add rule c 3', 'gen 2']);
    expect((seen[0] as any).object.add.rule.expr).toEqual([
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { set: ['1.2.3.4', '5.6.7.8'] } } },
      { drop: null },
    ]);
    // nft forgets a deleted rule's sets before printing it: its lookup prints as nothing. The set's deletion is shown.
    t.send_(rule(3n, { del: true, expressions: saddrIn('__set0') }), { kind: 'delset', attrs: { table: 't', name: '__set0', handle: 2n } }, gen(3));
    expect((seen[2] as any).object).toEqual({ delete: { rule: { family: 'ip', table: 't', chain: 'c', handle: 3, expr: [{ drop: null }] } } });
    expect((seen[3] as any).object).toEqual({ delete: { set: { family: 'ip', name: '__set0', table: 't', type: 'invalid', handle: 2 } } });
    m.close();
  });

  it('an interval set: a range is one event once both its ends are in; the null element prints nothing', async () => {
    const { t, m, seen } = await setup({ state: { genid: 1, msgs: [table(), set('s', ['interval'], 3n)] } });
    t.send_(elems('s', [{ key: '0.0.0.0', end: true }]));
    t.send_(elems('s', [{ key: '10.0.0.0' }]), elems('s', [{ key: '11.0.0.0', end: true }]));
    t.send_(elems('s', [{ key: '192.168.1.1' }]), elems('s', [{ key: '192.168.1.2', end: true }]), gen(2));
    const objects = seen.filter((e) => e.type === 'new').map((e) => (e as any).object.add.element);
    expect(objects).toEqual([
      { family: 'ip', table: 't', name: 's', elem: { set: [{ prefix: { addr: '10.0.0.0', len: 8 } }] } },
      { family: 'ip', table: 't', name: 's', elem: { set: ['192.168.1.1'] } },
    ]);
    m.close();
  });

  it('a shown resync (initialDump): the changes it already holds are dropped by generation; later ones follow it', async () => {
    const { m, seen, dumps } = await setup({
      initialDump: true,
      state: { genid: 5, msgs: [table()] },
      // While the dump runs: the end of transaction 5 (in the dump), and all of transaction 6.
      during: (n, tr) => {
        if (n === 1) tr.send_(of(5, table()), gen(5), of(6, rule(7n)), gen(6));
      },
    });
    expect(dumps).toEqual([5]);
    expect(seen.map(summary)).toEqual(['resync 5', 'add rule c 7', 'gen 6']);
    expect(seen[0]).toMatchObject({ type: 'resync', initial: true, kinds: ['nftables'], genid: 5 });
    expect((seen[0] as any).ruleset.nftables[1]).toEqual({ table: { family: 'ip', name: 't', handle: 1 } });
    expect(m.stats.discarded).toBe(2);
    m.close();
  });

  it("changes are sorted by their nfgenmsg res_id (the generation's low 16 bits, across a wrap), not held for their NEWGEN", async () => {
    const G = 0x1ffff; // the next generation's low 16 bits are 0
    const { t, m, seen } = await setup({
      initialDump: true,
      state: { genid: G, msgs: [table()] },
      during: (n, tr) => {
        if (n === 1) tr.send_(of(G & 0xffff, baseChain()), gen(G), of(0, rule(4n)));
      },
    });
    // The rule's transaction has not ended yet: it comes anyway, right after the resync.
    expect(seen.map(summary)).toEqual([`resync ${G}`, 'add rule c 4']);
    t.send_(gen(G + 1));
    expect(seen.map(summary).at(-1)).toBe(`gen ${G + 1}`);
    m.close();
  });

  it('a silent first dump (no initialDump): changes of the generation it was taken at still come as events, none lost', async () => {
    const { t, m, seen } = await setup({
      state: { genid: 2, msgs: [table(), baseChain()] },
      during: (n, tr) => {
        if (n === 1) tr.send_(of(2, table()), of(2, baseChain()), gen(2));
      },
    });
    t.send_(rule(4n), gen(3));
    expect(seen.map(summary)).toEqual(['add table t', 'add chain c', 'gen 2', 'add rule c 4', 'gen 3']);
    m.close();
  });

  it('ENOBUFS: an overrun of kind nftables, the stale queue discarded up to the drain marker, a resync with the ruleset, then changes', async () => {
    const state = { genid: 3, msgs: [table(), baseChain()] };
    const { t, m, seen, dumps } = await setup({ state });
    t.fail(new TransportError('netlink socket read failed: ENOBUFS', 'read', 105, 'ENOBUFS'));
    expect(t.markers).toBe(1);
    // Queued before the loss: discarded, not applied after the dump.
    t.send_(of(3, rule(9n)), gen(3));
    await until(() => resyncs(seen) === 1); // the marker's ACK, then the dump
    t.send_(rule(10n), gen(4));
    expect(seen.map(summary)).toEqual(['overrun enobufs nftables', 'resync 3', 'add rule c 10', 'gen 4']);
    expect((seen[1] as any).ruleset.nftables.slice(1)).toEqual([
      { table: { family: 'ip', name: 't', handle: 1 } },
      { chain: { family: 'ip', table: 't', name: 'c', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
    ]);
    expect(dumps).toEqual([3, 3]);
    expect(m.stats).toMatchObject({ overruns: 1, resyncs: 1, discarded: 2 });
    m.close();
  });

  it('a truncated datagram, NLMSG_OVERRUN and an undecodable change are overruns, each followed by a resync', async () => {
    const { t, m, seen } = await setup({ state: { genid: 1, msgs: [table()] } });
    const cut = encode(table('u')).subarray(0, 30);
    t.push(cut);
    await until(() => resyncs(seen) === 1);
    const overrun = new Uint8Array(16);
    new DataView(overrun.buffer).setUint32(0, 16, true);
    new DataView(overrun.buffer).setUint16(4, NLMSG.OVERRUN, true);
    t.push(overrun);
    await until(() => resyncs(seen) === 2);
    // A table message whose name attribute runs past the message.
    const bad = encode(table('u'));
    new DataView(bad.buffer).setUint16(20, 200, true);
    t.push(bad);
    await until(() => resyncs(seen) === 3);
    const each = (reason: string) => [`overrun ${reason} nftables`, 'resync 1'];
    expect(seen.map(summary)).toEqual([...each('truncated'), ...each('overrun'), ...each('decode')]);
    m.close();
  });

  it('a change the cache cannot print (an element of a set it does not know) is an overrun; the resync repairs the cache', async () => {
    const state = { genid: 1, msgs: [table()] };
    const { t, m, seen } = await setup({ state });
    state.msgs.push(set('s', [], 4n));
    state.genid = 2;
    t.send_(elems('s', [{ key: '1.1.1.1' }]), gen(2));
    await until(() => resyncs(seen) === 1);
    t.send_(elems('s', [{ key: '2.2.2.2' }]), gen(3));
    expect(seen.map(summary)).toEqual(['overrun decode nftables', 'resync 2', 'add element s', 'gen 3']);
    expect((seen[0] as any).error.message).toMatch(/ip t s, a set the monitor does not know/);
    m.close();
  });

  it('a consumer too far behind: one overrun of every kind, and both sockets resync', async () => {
    const t = new NftEvents();
    const dumps = fakeDumps({ genid: 1, msgs: [] });
    const m = await Monitor.open({ groups: ['nftables'], transport: new NftEvents(), nftTransport: t, nftRequests: dumps.conn, keepAlive: false });
    await until(() => !m.resyncing);
    const it = m.events({ maxQueued: 2 });
    t.send_(table('a'), table('b'), table('c'), gen(2));
    await until(() => dumps.dumps.length === 2);
    const got: string[] = [];
    for (let i = 0; i < 2; i++) got.push(summary((await it.next()).value as MonitorEvent));
    expect(got).toEqual(['overrun consumer nftables', 'resync 1']);
    m.close();
  });

  it('Monitor.resync(["nftables"]) dumps and emits the ruleset', async () => {
    const { m, seen } = await setup({ state: { genid: 7, msgs: [table()] } });
    await m.resync(['nftables']);
    expect(seen.map(summary)).toEqual(['resync 7']);
    expect(seen[0]).toMatchObject({ initial: false, kinds: ['nftables'] });
    m.close();
  });

  it("beside rtnetlink groups: both sockets, kinds ['link', 'nftables'], resync() covers both, an overrun on one resyncs that one", async () => {
    const t = new NftEvents();
    const links = new NftEvents();
    const state = fakeState();
    const req = fakeRequests(state);
    const m = await Monitor.open({
      groups: ['link', 'nftables'],
      transport: links,
      requests: req.conn,
      nftTransport: t,
      nftRequests: fakeDumps({ genid: 1, msgs: [table()] }).conn,
      keepAlive: false,
    });
    const seen: MonitorEvent[] = [];
    m.on('event', (e) => seen.push(e));
    await until(() => !m.resyncing);
    expect(m.kinds).toEqual(['link', 'nftables']);
    expect(links.joined).toEqual(resolveGroups(['link']));
    expect(t.joined).toEqual([NFNLGRP_NFTABLES]);
    t.send_(table('x'), gen(2));
    links.push(linkMsg(2, 'eth0'));
    await m.resync();
    expect(seen.map(summary)).toEqual(['add table x', 'gen 2', 'new link', expect.stringMatching(/^resync/), expect.stringMatching(/^resync/)]);
    seen.length = 0;
    t.fail(new TransportError('ENOBUFS', 'read', 105, 'ENOBUFS'));
    await until(() => resyncs(seen) === 1);
    expect(seen.map(summary)).toEqual(['overrun enobufs nftables', 'resync 1']);
    expect(req.dumps.filter((d) => d === 'getlink')).toHaveLength(1); // the rtnetlink side was left alone
    m.close();
  });

  it('in a namespace, a socket factory that does not make the NETLINK_NETFILTER sockets is refused and what it made is closed', async () => {
    const fds: number[] = [];
    const factory = async (_ns: string, count: number) => {
      for (let i = 0; i < count; i++) fds.push(openSync('/dev/null', 'r'));
      return [...fds];
    };
    await expect(Monitor.open({ groups: ['nftables'], netns: 'nowhere', sockets: factory })).rejects.toThrow(/gave 2 sockets where 4 were asked for/);
    for (const fd of fds) expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });
});

describe('nft monitor text (the CLI printer)', () => {
  it('prints the lines nft monitor prints: one-line objects, handle positions, deletions by handle, generations', () => {
    const state = new NftMonitorState({});
    const p = new NftEventPrinter(false);
    const ev = (m: Msg) => {
      const raw = decoded(m);
      const object = state.event(raw);
      return object && p.line({ type: 'new', kind: 'nftables', object, raw });
    };
    expect(ev(table())).toBe('add table ip t');
    expect(ev(baseChain())).toBe('add chain ip t c { type filter hook input priority filter; policy accept; }');
    expect(ev(set('s', ['interval'], 3n))).toBe('add set ip t s { type ipv4_addr; flags interval; } ');
    expect(ev(elems('s', [{ key: '10.0.0.0' }]))).toBeUndefined();
    expect(ev(elems('s', [{ key: '11.0.0.0', end: true }]))).toBe('add element ip t s { 10.0.0.0/8 }');
    expect(ev(rule(4n))).toBe('add rule ip t c counter packets 0 bytes 0 accept');
    expect(ev(rule(6n, { position: 4n }))).toBe('add rule ip t c handle 4 counter packets 0 bytes 0 accept');
    expect(ev(rule(7n, { append: false }))).toBe('insert rule ip t c counter packets 0 bytes 0 accept');
    expect(ev(rule(4n, { del: true }))).toBe('delete rule ip t c handle 4');
    expect(ev({ kind: 'newobj', attrs: { table: 't', name: 'cnt', type: 'counter', handle: 8n, data: { bytes: 0n, packets: 0n } } })).toBe(
      'add counter ip t cnt { packets 0 bytes 0 } ',
    );
    expect(p.line({ type: 'generation', genid: 5, pid: 1234, process: 'nft' })).toBe('# new generation 5 by process 1234 (nft)');
    expect(new NftEventPrinter(true).line({ type: 'generation', genid: 5 })).toBeUndefined();
    expect(p.line({ type: 'overrun', reason: 'enobufs' })).toBe('# ERROR: We lost some netlink events!');
  });

  it('-j prints nft -j monitor lines', () => {
    const raw = decoded(table());
    const object = new NftMonitorState({}).event(raw)!;
    expect(new NftEventPrinter(true).line({ type: 'new', kind: 'nftables', object, raw })).toBe(
      '{"add": {"table": {"family": "ip", "name": "t", "handle": 1}}}',
    );
  });
});
