/**
 * NftConnection without a kernel: a scripted NETLINK_NETFILTER transport that answers as nfnetlink
 * does on 6.18 (measured, see src/nft/transaction.ts): a batch is one datagram, BATCH_BEGIN ...
 * BATCH_END; a refused command gets an NLMSG_ERROR under its sequence number and the rest of the
 * batch is still checked; success is silent unless NLM_F_ECHO; a batch refused as a whole answers
 * under BATCH_BEGIN's number; a getgen answers NEWGEN + ACK. Checks the datagram layout, the
 * mapping of answers by sequence number to command indexes, and bad input refused unsent.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END } from '../../protocol/nfnetlink.js';
import { type NetlinkMessage, ProtocolCodec } from '../../src/codec/message.js';
import { isDumpInterruptedError, isNetlinkError, isNetlinkTimeoutError } from '../../src/conn/errors.js';
import { isInvalidArgumentError, isNetlinkTsError } from '../../src/errors/index.js';
import { NftConnection } from '../../src/nft/connection.js';
import { type NftTransactionError, isNftTransactionError } from '../../src/nft/errors.js';
import type { NftCommand } from '../../src/nft/transaction.js';
import { isTransportError } from '../../src/transport/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';
import { Bytes, concat, doneFor, errorFor, nlmsg } from '../support/bytes.js';
import { nfnetlinkSpec } from '../../protocol/nfnetlink.js';
import { nftablesSpec } from '../../protocol/nf-tables.js';

const NFT = (m: number) => (10 << 8) | m;
const GETGEN = NFT(16);
const NEWGEN = NFT(15);
const codec = new ProtocolCodec([nfnetlinkSpec, nftablesSpec]);

/** A scripted transport that says it is NETLINK_NETFILTER, optionally with growBuffers. */
class NetfilterScript implements Transport {
  readonly protocol = 12;
  readonly portId = 1234;
  growBuffers?: (send: number, receive: number) => number;
  constructor(readonly inner: ScriptedTransport) {}
  start(sink: TransportSink): void {
    this.inner.start(sink);
  }
  send(d: Uint8Array): void {
    this.inner.send(d);
  }
  close(): void {
    this.inner.close();
  }
  get sent(): Uint8Array[] {
    return this.inner.sent;
  }
}

/** The messages of a datagram, each as its own bytes. */
function frames(d: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  for (let p = 0; p < d.length; ) {
    const len = view.getUint32(p, true);
    out.push(d.subarray(p, p + len));
    p += (len + 3) & ~3;
  }
  return out;
}

const hdr = (f: Uint8Array) => {
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  return { type: v.getUint16(4, true), flags: v.getUint16(6, true), seq: v.getUint32(8, true) };
};

function newgen(seq: number, id: number, flags = 0): Uint8Array {
  return nlmsg(
    NEWGEN,
    flags,
    seq,
    0,
    new Bytes()
      .u8(0)
      .u8(0)
      .u16be(id & 0xffff)
      .attr(
        1,
        new Bytes()
          .u8(id >>> 24)
          .u8(id >>> 16)
          .u8(id >>> 8)
          .u8(id),
      ),
  );
}

interface FakeOptions {
  /** errno (and extended ack) for a command, or 0 to take it. */
  refuse?: (m: NetlinkMessage, index: number) => { errno: number; msg?: string; offs?: number } | undefined;
  /** Refuse the batch as a whole with this errno (under BATCH_BEGIN's number). */
  batchErrno?: number;
  genid?: () => number;
  /** Leave the fence unanswered. */
  silent?: boolean;
}

/** nfnetlink as measured: see the file comment. */
function fakeKernel(o: FakeOptions = {}) {
  let gen = 100;
  const genid = o.genid ?? (() => gen);
  const inner = new ScriptedTransport((sent, reply) => {
    const fs = frames(sent);
    const first = hdr(fs[0]!);
    if (first.type === GETGEN) {
      if (o.silent) return;
      reply(concat(newgen(first.seq, genid()), errorFor(fs[0]!, 0)));
      return;
    }
    if (first.type !== NFNL_MSG_BATCH_BEGIN) throw new Error(`unexpected type ${first.type}`);
    if (o.batchErrno) return reply(errorFor(fs[0]!, o.batchErrno));
    const echoes: Uint8Array[] = [];
    let failed = false;
    for (let i = 1; i < fs.length; i++) {
      const h = hdr(fs[i]!);
      if (h.type === NFNL_MSG_BATCH_END) break;
      const m = codec.decode(fs[i]!, 'user')[0]!;
      const refusal = o.refuse?.(m, i - 1);
      if (refusal) {
        failed = true;
        reply(errorFor(fs[i]!, refusal.errno, refusal.msg === undefined && refusal.offs === undefined ? undefined : refusal));
      } else if (h.flags & NLM_F.ECHO) {
        echoes.push(
          codec.encode({
            kind: m.kind!,
            flags: 0,
            seq: h.seq,
            pid: 1234,
            header: { ...m.header, resId: gen + 1 },
            attrs: { ...m.attrs, handle: BigInt(i) },
          }),
        );
      }
    }
    if (failed) return;
    gen++;
    if (echoes.length > 0) reply(concat(...echoes, newgen(hdr(fs[1]!).seq, gen)));
  });
  const t = new NetfilterScript(inner);
  return { t, nft: new NftConnection(t, { timeoutMs: 200 }) };
}

const table = (name: string, label?: string): NftCommand => ({
  kind: 'newtable',
  header: { family: 'inet' },
  attrs: { name },
  flags: NLM_F.CREATE,
  ...(label === undefined ? {} : { label }),
});
const chain = (t: string, name: string, label?: string): NftCommand => ({
  kind: 'newchain',
  header: { family: 'inet' },
  attrs: { table: t, name },
  flags: NLM_F.CREATE,
  ...(label === undefined ? {} : { label }),
});

async function refusal(p: Promise<unknown>): Promise<NftTransactionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isNftTransactionError(err)) throw new Error(`expected an NftTransactionError, got ${String(err)}`);
  return err;
}

describe('NftConnection transactions', () => {
  it('sends BEGIN + commands + END as one datagram, then a getgen fence in its own', async () => {
    const { t, nft } = fakeKernel();
    const r = await nft.transaction([table('filter'), chain('filter', 'input')]);
    expect(r).toEqual({ echoes: [[], []], genid: 101 });
    expect(t.sent).toHaveLength(2);
    const batch = frames(t.sent[0]!);
    expect(batch.map((f) => hdr(f).type)).toEqual([NFNL_MSG_BATCH_BEGIN, NFT(0), NFT(3), NFNL_MSG_BATCH_END]);
    // nfgenmsg of the markers: family unspec, version 0, resId NFNL_SUBSYS_NFTABLES big-endian.
    for (const marker of [batch[0]!, batch[3]!]) expect([...marker.subarray(16, 20)]).toEqual([0, 0, 0, 10]);
    expect(batch[0]!.length).toBe(20); // no attributes without a genid
    // The commands: family inet (1), consecutive sequence numbers, their own flags, no ACK asked.
    expect(batch[1]![16]).toBe(1);
    const seqs = batch.map((f) => hdr(f).seq);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2, seqs[0]! + 3]);
    expect(batch.map((f) => hdr(f).flags)).toEqual([NLM_F.REQUEST, NLM_F.REQUEST | NLM_F.CREATE, NLM_F.REQUEST | NLM_F.CREATE, NLM_F.REQUEST]);
    const fence = frames(t.sent[1]!);
    expect(fence).toHaveLength(1);
    expect(hdr(fence[0]!)).toEqual({ type: GETGEN, flags: NLM_F.REQUEST | NLM_F.ACK, seq: seqs[0]! + 4 });
  });

  it('names the refused command by index, kind and label, with the errno, text and attribute', async () => {
    const { nft } = fakeKernel({
      // The table attribute of a newchain starts right after nfgenmsg: offset 20.
      refuse: (m) => (m.kind === 'newchain' ? { errno: 2, msg: 'No such table', offs: 20 } : undefined),
    });
    const err = await refusal(nft.transaction([table('a'), table('b'), chain('nope', 'c', 'chain nope c')]));
    expect(err.name).toBe('NftTransactionError');
    expect(isNetlinkTsError(err) && isNetlinkError(err.cause)).toBe(true);
    expect(err).toMatchObject({
      index: 2,
      kind: 'newchain',
      label: 'chain nope c',
      code: 'ENOENT',
      errno: 2,
      kernelMessage: 'No such table',
      attribute: 'table',
    });
    expect(err.failures).toHaveLength(1);
    expect(err.failures[0]).toMatchObject({ index: 2, kind: 'newchain', label: 'chain nope c' });
    expect(err.message).toBe(
      'nftables transaction refused, nothing applied: command 2 (newchain "chain nope c"): ENOENT (No such file or directory): No such table [attribute table]',
    );
  });

  it('reports every refused command, the first in the message', async () => {
    const { nft } = fakeKernel({
      refuse: (m, i) => (i === 1 ? { errno: 17 } : m.kind === 'newchain' ? { errno: 2, offs: 20 } : undefined),
    });
    const err = await refusal(nft.transaction([table('a'), table('b', 'table b'), table('c'), chain('x', 'y')]));
    expect(err.failures.map((f) => [f.index, f.kind, f.error.code])).toEqual([
      [1, 'newtable', 'EEXIST'],
      [3, 'newchain', 'ENOENT'],
    ]);
    expect(err.index).toBe(1);
    expect(err.code).toBe('EEXIST');
    expect(err.message).toContain('command 1 (newtable "table b"): EEXIST (File exists)');
    expect(err.message).toContain('and 1 more: command 3 (newchain): ENOENT (No such file or directory) [attribute table]');
  });

  it('reports a batch refused as a whole (under BATCH_BEGIN) without a command index', async () => {
    const { t, nft } = fakeKernel({ batchErrno: 85 });
    const err = await refusal(nft.transaction([table('a')], { genid: 0x01020304 }));
    expect(err.index).toBeUndefined();
    expect(err.failures).toHaveLength(1);
    expect(err.code).toBe('ERESTART');
    expect(err.message).toMatch(/^nftables transaction refused, nothing applied: the batch: ERESTART/);
    // The generation the batch is for: NFNL_BATCH_GENID, big-endian, on BATCH_BEGIN.
    const begin = frames(t.sent[0]!)[0]!;
    expect([...begin.subarray(20, 28)]).toEqual([8, 0, 1, 0, 1, 2, 3, 4]);
  });

  it('asks for echoes with NLM_F_ECHO and returns them per command, the committed generation apart', async () => {
    const { t, nft } = fakeKernel();
    const r = await nft.transaction([table('a'), chain('a', 'c')], { echo: true });
    expect(frames(t.sent[0]!).map((f) => hdr(f).flags & NLM_F.ECHO)).toEqual([0, NLM_F.ECHO, NLM_F.ECHO, 0]);
    expect(r.genid).toBe(101);
    expect(r.echoes.map((e) => e.map((m) => [m.kind, m.attrs?.name, m.attrs?.handle]))).toEqual([[['newtable', 'a', 1n]], [['newchain', 'c', 2n]]]);
  });

  it('refuses bad input before sending anything, naming the command', async () => {
    const { t, nft } = fakeKernel();
    const bad = [
      [{ kind: 'gettable', header: { family: 'inet' } }, /commands\[0\]\.kind/],
      [{ kind: 'newtable', attrs: { name: 'x' } }, /commands\[0\]\.header/],
      [{ kind: 'newtable', header: { family: 'inet' }, attrs: { name: 'x', chain: 'y' } }, /commands\[0\] \("t x"\)/],
      [{ kind: 'newtable', header: { family: 'inet' }, attrs: { name: 7 } }, /commands\[0\].*cannot be encoded/],
    ] as const;
    for (const [c, re] of bad) {
      const err = await nft.transaction([{ ...(c as unknown as NftCommand), label: 't x' }]).catch((e: unknown) => e);
      expect(isInvalidArgumentError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(re);
    }
    await expect(nft.transaction('nope' as never)).rejects.toThrow(/commands/);
    await expect(nft.transaction([table('a')], { genid: -1 })).rejects.toThrow(/genid/);
    expect(t.sent).toHaveLength(0);
  });

  it('leaves an unknown outcome as the error it is (no fence answer: a timeout, not a refusal)', async () => {
    const { nft } = fakeKernel({ silent: true });
    const err = await nft.transaction([table('a')]).catch((e: unknown) => e);
    expect(isNetlinkTimeoutError(err)).toBe(true);
    expect(isNftTransactionError(err)).toBe(false);
  });

  it('raises the socket buffers to fit the datagram, and says so clearly when it cannot', async () => {
    const { t, nft } = fakeKernel();
    const asked: [number, number][] = [];
    t.growBuffers = (send, receive) => {
      asked.push([send, receive]);
      return 64;
    };
    const err = await nft.transaction([table('a'), table('b')]).catch((e: unknown) => e);
    expect(isTransportError(err) && err.code === 'EMSGSIZE').toBe(true);
    expect((err as Error).message).toMatch(/a datagram of \d+ bytes, which must go whole, does not fit the socket's send buffer \(64 bytes\)/);
    expect(t.sent).toHaveLength(0);
    // The batch datagram (BEGIN 20 + 2 tables + END 20), and room for an answer to each message.
    const [send, receive] = asked[0]!;
    expect(send).toBeGreaterThan(40);
    expect(receive).toBeGreaterThanOrEqual(5 * 1024);
    t.growBuffers = () => 1 << 20;
    await expect(nft.transaction([table('a')])).resolves.toMatchObject({ genid: 101 });
  });

  it('wants a NETLINK_NETFILTER transport', () => {
    expect(() => new NftConnection(new ScriptedTransport(() => undefined))).toThrow(/NETLINK_NETFILTER/);
  });
});

describe('NftConnection ruleset', () => {
  /** A kernel with one table, one chain and a set in each of two tables, whose generation `bumps` moves. */
  function dumper(gens: number[]) {
    const seen: NetlinkMessage[] = [];
    let g = 0;
    const inner = new ScriptedTransport((sent, reply) => {
      const m = codec.decode(sent, 'user')[0]!;
      seen.push(m);
      const h = hdr(sent);
      if (h.type === GETGEN) return reply(concat(newgen(h.seq, gens[Math.min(g++, gens.length - 1)]!), errorFor(sent, 0)));
      const answer = (kind: string, header: Record<string, unknown>, attrs: Record<string, unknown>) =>
        codec.encode({ kind, flags: NLM_F.MULTI, seq: h.seq, pid: 1234, header: { version: 0, resId: 0, ...header }, attrs });
      const parts: Uint8Array[] = [];
      switch (m.kind) {
        case 'gettable':
          parts.push(answer('newtable', { family: 'inet' }, { name: 't1' }), answer('newtable', { family: 'ip' }, { name: 't2' }));
          break;
        case 'getchain':
          parts.push(answer('newchain', { family: 'inet' }, { table: 't1', name: 'c' }));
          break;
        case 'getset':
          parts.push(
            answer('newset', { family: 'inet' }, { table: 't1', name: 's1' }),
            answer('newset', { family: 'ip' }, { table: 't2', name: 's2' }),
          );
          break;
        case 'getsetelem':
          parts.push(answer('newsetelem', m.header as Record<string, unknown>, { table: m.attrs?.table, set: m.attrs?.set }));
          break;
      }
      reply(concat(...parts, doneFor(sent, 0, NLM_F.MULTI)));
    });
    const t = new NetfilterScript(inner);
    return { seen, nft: new NftConnection(t) };
  }

  it('dumps every kind of object between two equal generations, set elements per set', async () => {
    const { seen, nft } = dumper([7]);
    const r = await nft.ruleset();
    expect(r.genid).toBe(7);
    expect(r.tables.map((m) => m.attrs?.name)).toEqual(['t1', 't2']);
    expect(r.chains).toHaveLength(1);
    expect(r.rules).toEqual([]);
    expect(r.elements.map((m) => [m.header?.family, m.attrs?.table, m.attrs?.set])).toEqual([
      ['inet', 't1', 's1'],
      ['ip', 't2', 's2'],
    ]);
    expect(seen.map((m) => m.kind)).toEqual([
      'getgen',
      'gettable',
      'getchain',
      'getrule',
      'getset',
      'getobj',
      'getflowtable',
      'getsetelem',
      'getsetelem',
      'getgen',
    ]);
  });

  it('starts over when the generation moved during the dump, and gives up after `retries`', async () => {
    const moving = dumper([1, 2, 2, 2]);
    await expect(moving.nft.ruleset()).resolves.toMatchObject({ genid: 2 });
    expect(moving.seen.filter((m) => m.kind === 'gettable')).toHaveLength(2);
    const restless = dumper([1, 2, 3, 4, 5, 6]);
    const err = await restless.nft.ruleset({ retries: 1 }).catch((e: unknown) => e);
    expect(isDumpInterruptedError(err)).toBe(true);
  });

  it('filters by family and table in the requests, and by table in what it keeps', async () => {
    const { seen, nft } = dumper([3]);
    const r = await nft.ruleset({ family: 'inet', table: 't1' });
    expect(r.tables.map((m) => m.attrs?.name)).toEqual(['t1']);
    expect(r.sets.map((m) => m.attrs?.name)).toEqual(['s1']);
    const getchain = seen.find((m) => m.kind === 'getchain')!;
    expect(getchain.header?.family).toBe('inet');
    expect(getchain.attrs).toEqual({ table: 't1' });
  });
});
