/**
 * NftConnection against the kernel, in throwaway namespaces, with `nft -j list ruleset` (run in
 * the same namespace) as the oracle: transactions apply whole or not at all, every refused
 * command is named, 10,000 rules go in one transaction, and the ruleset dump is of one
 * generation while someone else changes it. Needs root; skipped otherwise with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openNft } from '../../src/api/nft-socket.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { NLM_F } from '../../protocol/netlink.js';
import { isDumpInterruptedError } from '../../src/conn/errors.js';
import { NftConnection } from '../../src/nft/connection.js';
import { type NftTransactionError, isNftTransactionError } from '../../src/nft/errors.js';
import type { NftCommand } from '../../src/nft/transaction.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';
import { loadRuleset } from '../support/nft-ruleset.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[nft-transaction integration] skipped: ${skipReason}`);

type NftJson = { nftables: Record<string, Record<string, unknown>>[] };

/** `nft -j list ruleset` in the namespace, without the metainfo item. */
function listRuleset(ns: TestNetns): NftJson['nftables'] {
  const text = execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-j', 'list', 'ruleset'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = JSON.parse(text) as NftJson;
  return out.nftables.filter((i) => !('metainfo' in i));
}

function inNetns(fn: (ns: TestNetns, nft: NftConnection) => Promise<void>): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      const nft = openNft({ netns: ns.path, netnsEntry: 'setns' });
      try {
        await fn(ns, nft);
      } finally {
        nft.close();
      }
    });
}

const C = NLM_F.CREATE;
const table = (family: 'inet' | 'ip', name: string, flags: number = C): NftCommand => ({
  kind: 'newtable',
  header: { family },
  attrs: { name },
  flags,
});
const accept = { name: 'immediate', data: { dreg: 'verdict', data: { verdict: { code: 'accept' } } } };
const counter = { name: 'counter', data: { bytes: 0n, packets: 0n } };

/** `ip saddr <a> counter accept`: payload (network header, offset 12, 4 bytes) into reg 1, cmp eq, counter, accept. */
function saddrRule(tableName: string, chainName: string, addr: number): NftCommand {
  const value = new Uint8Array([10, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff]);
  return {
    kind: 'newrule',
    header: { family: 'ip' },
    flags: C | NLM_F.APPEND,
    attrs: {
      table: tableName,
      chain: chainName,
      expressions: {
        elem: [
          { name: 'payload', data: { dreg: 'reg-1', base: 'network-header', offset: 12, len: 4 } },
          { name: 'cmp', data: { sreg: 'reg-1', op: 'eq', data: { value } } },
          counter,
          accept,
        ],
      },
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<NftTransactionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isNftTransactionError(err)) throw new Error(`expected an NftTransactionError, got ${String(err)}`);
  return err;
}

describe.skipIf(!privileged)('nftables transactions (kernel)', () => {
  it(
    'adds a table, a base chain and a rule in one transaction; the echo gives the rule its handle',
    inNetns(async (ns, nft) => {
      const before = await nft.genid();
      const r = await nft.transaction(
        [
          table('inet', 'filter'),
          {
            kind: 'newchain',
            header: { family: 'inet' },
            flags: C,
            attrs: { table: 'filter', name: 'input', type: 'filter', hook: { hooknum: 1, priority: 0 }, policy: 'accept' },
          },
          {
            kind: 'newrule',
            header: { family: 'inet' },
            flags: C | NLM_F.APPEND,
            attrs: { table: 'filter', chain: 'input', expressions: { elem: [counter, accept] } },
          },
        ],
        { echo: true },
      );
      expect(r.genid).toBe(before + 1);
      expect(r.echoes.map((e) => e.map((m) => m.kind))).toEqual([['newtable'], ['newchain'], ['newrule']]);
      const handle = Number(r.echoes[2]![0]!.attrs!.handle);
      expect(listRuleset(ns)).toEqual([
        { table: { family: 'inet', name: 'filter', handle: Number(r.echoes[0]![0]!.attrs!.handle) } },
        { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
        { rule: { family: 'inet', table: 'filter', chain: 'input', handle, expr: [{ counter: { packets: 0, bytes: 0 } }, { accept: null }] } },
      ]);
      expect(await nft.genid()).toBe(before + 1);
    }),
  );

  it(
    'leaves the ruleset exactly as it was when the last command is refused, naming it and the kernel text',
    inNetns(async (ns, nft) => {
      await nft.transaction([table('inet', 'keep'), { kind: 'newchain', header: { family: 'inet' }, flags: C, attrs: { table: 'keep', name: 'c' } }]);
      const before = listRuleset(ns);
      const genid = await nft.genid();
      const err = await refusal(
        nft.transaction([
          table('inet', 'added'),
          { kind: 'newchain', header: { family: 'inet' }, flags: C, attrs: { table: 'added', name: 'c' } },
          { kind: 'delchain', header: { family: 'inet' }, attrs: { table: 'keep', name: 'c' } },
          { ...table('inet', 'x'.repeat(300)), label: 'the long table' },
        ]),
      );
      expect(err).toMatchObject({
        index: 3,
        label: 'the long table',
        code: 'ERANGE',
        kernelMessage: 'Attribute failed policy validation',
        attribute: 'name',
      });
      expect(err.failures).toHaveLength(1);
      expect(err.message).toBe(
        'nftables transaction refused, nothing applied: command 3 (newtable "the long table"): ERANGE (Numerical result out of range): ' +
          'Attribute failed policy validation [attribute name]',
      );
      expect(listRuleset(ns)).toEqual(before);
      expect(await nft.genid()).toBe(genid);
    }),
  );

  it(
    'reports every refused command, in order, the first in the message',
    inNetns(async (ns, nft) => {
      await nft.transaction([table('inet', 'a')]);
      const err = await refusal(
        nft.transaction([
          table('inet', 'b'),
          { ...table('inet', 'a', C | NLM_F.EXCL), label: 'a again' },
          { kind: 'newchain', header: { family: 'inet' }, flags: C, attrs: { table: 'nope', name: 'c' }, label: 'nope/c' },
        ]),
      );
      expect(err.failures.map((f) => [f.index, f.kind, f.label, f.error.code, f.error.attribute])).toEqual([
        [1, 'newtable', 'a again', 'EEXIST', 'name'],
        [2, 'newchain', 'nope/c', 'ENOENT', 'table'],
      ]);
      expect(err.message).toBe(
        'nftables transaction refused, nothing applied: command 1 (newtable "a again"): EEXIST (File exists) [attribute name]' +
          ' (and 1 more: command 2 (newchain "nope/c"): ENOENT (No such file or directory) [attribute table])',
      );
      expect(listRuleset(ns)).toEqual([{ table: { family: 'inet', name: 'a', handle: expect.any(Number) } }]);
    }),
  );

  it(
    'refuses the batch as a whole when the generation moved (NFNL_BATCH_GENID)',
    inNetns(async (ns, nft) => {
      const genid = await nft.genid();
      ns.exec('nft', 'add', 'table', 'inet', 'other');
      const err = await refusal(nft.transaction([table('inet', 'mine')], { genid }));
      expect(err).toMatchObject({ index: undefined, code: 'ERESTART' });
      expect(listRuleset(ns).map((i) => (i.table as { name: string }).name)).toEqual(['other']);
      await expect(nft.transaction([table('inet', 'mine')], { genid: genid + 1 })).resolves.toMatchObject({ genid: genid + 2 });
    }),
  );

  it(
    'applies 10,000 rules in one transaction (the socket buffers grow to fit)',
    inNetns(async (ns, nft) => {
      const N = 10_000;
      const commands: NftCommand[] = [
        table('ip', 'big'),
        { kind: 'newchain', header: { family: 'ip' }, flags: C, attrs: { table: 'big', name: 'c' } },
      ];
      for (let i = 0; i < N; i++) commands.push(saddrRule('big', 'c', i));
      const t0 = performance.now();
      const r = await nft.transaction(commands);
      const ms = performance.now() - t0;
      console.log(`[nft-transaction] ${N} rules in one transaction: ${ms.toFixed(0)} ms`);
      expect(r.echoes).toHaveLength(N + 2);
      const rules = listRuleset(ns).filter((i) => 'rule' in i);
      expect(rules).toHaveLength(N);
      expect(rules[N - 1]!.rule!.expr).toEqual([
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.0.39.15' } },
        { counter: { packets: 0, bytes: 0 } },
        { accept: null },
      ]);
    }),
    120_000,
  );

  it(
    'reports all of 10,000 refused commands (the receive buffer holds an error for each)',
    inNetns(async (ns, nft) => {
      const commands: NftCommand[] = [];
      for (let i = 0; i < 10_000; i++) commands.push(saddrRule('nope', 'c', i));
      const err = await refusal(nft.transaction(commands));
      expect(err.failures).toHaveLength(10_000);
      expect(err.failures.every((f, i) => f.index === i && f.error.code === 'ENOENT')).toBe(true);
      expect(listRuleset(ns)).toEqual([]);
    }),
    120_000,
  );
});

/** Counts the requests sent by nlmsg_type (each datagram's first message); runs `before` ahead of a send. */
class Counting implements Transport {
  readonly sent = new Map<number, number>();
  before: ((type: number) => void) | undefined;
  constructor(private readonly inner: NetlinkSocket) {}
  get protocol(): number {
    return this.inner.protocol;
  }
  get portId(): number {
    return this.inner.portId;
  }
  start(sink: TransportSink): void {
    this.inner.start(sink);
  }
  send(d: Uint8Array): void {
    const type = d[4]! | (d[5]! << 8);
    this.sent.set(type, (this.sent.get(type) ?? 0) + 1);
    this.before?.(type);
    this.inner.send(d);
  }
  ref(): void {
    this.inner.ref();
  }
  unref(): void {
    this.inner.unref();
  }
  close(): void {
    this.inner.close();
  }
}

const GETTABLE = (10 << 8) | 1;
const GETCHAIN = (10 << 8) | 4;

describe.skipIf(!privileged)('nftables ruleset dump (kernel)', () => {
  it(
    'lists what nft lists: every table, chain, rule, set, element, object and flowtable',
    () =>
      withNetns(async (ns) => {
        loadRuleset(ns.name);
        const nft = openNft({ netns: ns.path, netnsEntry: 'setns' });
        try {
          const r = await nft.ruleset();
          const oracle = listRuleset(ns);
          const count = (key: string) => oracle.filter((i) => key in i).length;
          expect(r.tables).toHaveLength(count('table'));
          expect(r.chains).toHaveLength(count('chain'));
          expect(r.rules).toHaveLength(count('rule'));
          expect(r.sets).toHaveLength(count('set') + count('map') + anonymousSets(r.sets));
          expect(r.objects).toHaveLength(
            count('counter') +
              count('quota') +
              count('limit') +
              count('ct helper') +
              count('ct timeout') +
              count('ct expectation') +
              count('synproxy') +
              count('secmark'),
          );
          expect(r.flowtables).toHaveLength(count('flowtable'));
          expect(r.genid).toBe(await nft.genid());
          // Elements: a newsetelem message per set (or several), each naming a set of the dump.
          const setKeys = new Set(r.sets.map((s) => `${s.header?.family} ${s.attrs?.table} ${s.attrs?.name}`));
          for (const e of r.elements) expect(setKeys.has(`${e.header?.family} ${e.attrs?.table} ${e.attrs?.set}`)).toBe(true);
          const filtered = await nft.ruleset({
            family: 'inet',
            table: (r.tables.find((t) => t.header?.family === 'inet')!.attrs as { name: string }).name,
          });
          expect(filtered.tables).toHaveLength(1);
          expect(filtered.chains.every((c) => c.attrs?.table === filtered.tables[0]!.attrs?.name && c.header?.family === 'inet')).toBe(true);
        } finally {
          nft.close();
        }
      }),
    60_000,
  );

  it(
    'is of one generation while another socket commits changes, starting over when the generation moved',
    () =>
      withNetns(async (ns) => {
        const counting = new Counting(new NetlinkSocket({ protocol: 12, fd: ns.socketFd(12) }));
        const reader = new NftConnection(counting);
        const writer = openNft({ netns: ns.path, netnsEntry: 'setns' });
        try {
          await writer.transaction([table('inet', 'base')]);
          // Between the reader's table dump and its chain dump, the writer adds table w with a
          // chain and a rule (first pass), then deletes it (second pass): the three come and go together.
          const addW: NftCommand[] = [
            table('inet', 'w'),
            { kind: 'newchain', header: { family: 'inet' }, flags: C, attrs: { table: 'w', name: 'c' } },
            { kind: 'newrule', header: { family: 'inet' }, flags: C, attrs: { table: 'w', chain: 'c', expressions: { elem: [accept] } } },
          ];
          const delW: NftCommand[] = [{ kind: 'deltable', header: { family: 'inet' }, attrs: { name: 'w' } }];
          const writes: Promise<unknown>[] = [];
          const plan = [addW, delW];
          counting.before = (type) => {
            const next = type === GETCHAIN ? plan.shift() : undefined;
            if (next) writes.push(writer.transaction(next)); // its batch goes out now, before the chain dump
          };
          const r = await reader.ruleset();
          await Promise.all(writes);
          // Consistent: no chain or rule of a table the table dump did not have.
          const tables = new Set(r.tables.map((m) => m.attrs?.name));
          expect(r.chains.filter((m) => !tables.has(m.attrs?.table)).map((m) => m.attrs?.table)).toEqual([]);
          expect(r.rules.filter((m) => !tables.has(m.attrs?.table)).map((m) => m.attrs?.table)).toEqual([]);
          expect(writes).toHaveLength(2);
          expect(counting.sent.get(GETTABLE)).toBe(3); // two passes thrown away
          expect(r.tables.map((m) => m.attrs?.name)).toEqual(['base']);
          expect(r.chains).toEqual([]);
          expect(r.genid).toBe(await writer.genid());

          // The same churn with no pass to spare: the dump gives up rather than mix generations.
          plan.push(addW, delW);
          const err = await reader.ruleset({ retries: 1 }).catch((e: unknown) => e);
          await Promise.all(writes);
          expect(isDumpInterruptedError(err)).toBe(true);
        } finally {
          reader.close();
          writer.close();
        }
      }),
    60_000,
  );
});

/** Anonymous sets (flags anonymous): the kernel dumps them, nft shows them inside their rules. */
function anonymousSets(sets: NetlinkMessage[]): number {
  return sets.filter((s) => {
    const f = s.attrs?.flags;
    return Array.isArray(f) && f.includes('anonymous');
  }).length;
}
