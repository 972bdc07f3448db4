/**
 * nl.nftables without a kernel: the NETLINK_NETFILTER side socket is given, made or refused as
 * the generic netlink one is, and bad input (filters, documents, options, recipe options) is an
 * InvalidArgumentError before anything is sent on it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isInvalidArgumentError } from '../../src/errors/index.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';

/** A NETLINK_NETFILTER transport that keeps what is sent and never answers. */
class SilentNetfilter implements Transport {
  readonly protocol = 12;
  readonly portId = 99;
  readonly sent: Uint8Array[] = [];
  closed = false;
  start(_sink: TransportSink): void {}
  send(d: Uint8Array): void {
    this.sent.push(d.slice());
  }
  close(): void {
    this.closed = true;
  }
}

const route = () => new ScriptedTransport(() => undefined);

async function refusal(p: Promise<unknown>): Promise<{ argument?: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isInvalidArgumentError(err), String(err)).toBe(true);
  return err as { argument?: string; message: string };
}

describe('the netfilter side socket', () => {
  it('a client over a given transport needs netfilterTransport for nl.nftables, named in the error', async () => {
    const nl = NetlinkClient.open({ transport: route() });
    try {
      const e = await refusal(nl.nftables.list());
      expect(e.message).toMatch(/netfilterTransport/);
      expect(e.message).toMatch(/netfilter \(nftables\)/);
    } finally {
      nl.close();
    }
  });

  it('netfilterTransport must be a transport (at open) of NETLINK_NETFILTER (at first use)', async () => {
    expect(() => NetlinkClient.open({ transport: route(), netfilterTransport: 42 as never })).toThrow(/netfilterTransport.*Transport/);
    const nl = NetlinkClient.open({ transport: route(), netfilterTransport: route() });
    try {
      expect((await refusal(nl.nftables.list())).message).toMatch(/netfilterTransport.*NETLINK_NETFILTER \(12\)/);
    } finally {
      nl.close();
    }
  });

  it('the given transport is used on first use only, and closed with the client', async () => {
    const nf = new SilentNetfilter();
    const nl = NetlinkClient.open({ transport: route(), netfilterTransport: nf, timeoutMs: 50 });
    expect(nf.sent).toHaveLength(0);
    await nl.nftables.genid().catch(() => undefined); // never answered: times out
    expect(nf.sent.length).toBeGreaterThan(0);
    nl.close();
    await new Promise((r) => setImmediate(r));
    expect(nf.closed).toBe(true);
  });
});

describe('nl.nftables refuses bad input before anything is sent', () => {
  const cases: [string, (nl: NetlinkClient) => Promise<unknown>, RegExp][] = [
    ['list: an unknown family', (nl) => nl.nftables.list({ family: 'ipv4' as never }), /filter\.family/],
    ['list: a chain without its table', (nl) => nl.nftables.list({ chain: 'input' }), /filter\.table.*needed with chain/],
    ['list: a chain and a set at once', (nl) => nl.nftables.list({ table: 't', chain: 'c', set: 's' }), /filter\.set.*cannot be combined/],
    ['list: an empty table name', (nl) => nl.nftables.list({ table: '' }), /filter\.table/],
    ['list: a filter key list() does not know', (nl) => nl.nftables.list({ tabel: 'nat' } as never), /filter\.tabel/],
    ['apply: not a document', (nl) => nl.nftables.apply('add table ip nat' as never), /document/],
    ['apply: handles that is not a boolean', (nl) => nl.nftables.apply([], { handles: 'yes' as never }), /handles/],
    ['apply: a negative genid', (nl) => nl.nftables.apply([], { genid: -1 }), /genid/],
    [
      'apply: an unknown family, named by its JSON path',
      (nl) => nl.nftables.apply([{ add: { table: { family: 'ipx' as never, name: 'x' } } }]),
      /nftables\[0\]\.add\.table\.family/,
    ],
    [
      'apply: a command the schema does not have',
      (nl) => nl.nftables.apply({ nftables: [{ frobnicate: { table: { family: 'ip', name: 'x' } } } as never] }),
      /nftables\[0\]/,
    ],
    ['flush: an unknown family', (nl) => nl.nftables.flush('ipv6' as never), /family/],
    ['masquerade: no source', (nl) => nl.nftables.masquerade({} as never), /source/],
    [
      'masquerade: out and not-out interface at once',
      (nl) => nl.nftables.masquerade({ source: '10.0.0.0/8', outInterface: 'a', notOutInterface: 'b' }),
      /notOutInterface/,
    ],
    ['dnat: a port out of range', (nl) => nl.nftables.dnat({ protocol: 'tcp', port: 70000, to: '172.18.0.2' }), /port/],
    ['snat: an address that is not one', (nl) => nl.nftables.snat({ to: 'host.example' }), /to/],
    ['allowEstablished: an unknown hook', (nl) => nl.nftables.allowEstablished({ hook: 'prerouting' as never }), /hook/],
  ];
  for (const [name, call, pattern] of cases) {
    it(name, async () => {
      const nf = new SilentNetfilter();
      const nl = NetlinkClient.open({ transport: route(), netfilterTransport: nf, timeoutMs: 200 });
      try {
        expect((await refusal(call(nl))).message).toMatch(pattern);
        expect(nf.sent).toHaveLength(0);
      } finally {
        nl.close();
      }
    });
  }
});

describe('hostile arguments to nl.nftables give only documented errors', () => {
  /** What a hostile argument itself throws: the caller's own error, passed through. */
  class HostileError extends Error {
    override readonly name = 'HostileError';
  }
  const throwingGetter = Object.defineProperty({ [fc.toStringMethod]: () => 'throwingGetter' }, 'family', {
    get() {
      throw new HostileError('a hostile getter');
    },
    enumerable: true,
  });
  const hostile = fc.oneof(
    fc.anything(),
    fc.constantFrom<unknown>(null, undefined, Symbol('s'), 10n, Number.NaN, -1, 2 ** 53, '\0', 'x'.repeat(300), []),
    fc.constantFrom<unknown>(Object.create(null), throwingGetter),
  );
  type Call = (nl: NetlinkClient, v: unknown) => Promise<unknown>;
  const rule = (expr: unknown) => ({ nftables: [{ add: { rule: { family: 'ip', table: 't', chain: 'c', expr } } }] });
  const calls: Call[] = [
    (nl, v) => nl.nftables.list(v as never),
    (nl, v) => nl.nftables.list({ family: 'ip', table: v } as never),
    (nl, v) => nl.nftables.apply(v as never),
    (nl, v) => nl.nftables.apply([v] as never),
    (nl, v) => nl.nftables.apply({ nftables: [{ add: { table: v } }] } as never),
    (nl, v) => nl.nftables.apply(rule([v]) as never),
    (nl, v) => nl.nftables.apply(rule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: v } }]) as never),
    (nl, v) => nl.nftables.apply([], v as never),
    (nl, v) => nl.nftables.masquerade(v as never),
    (nl, v) => nl.nftables.masquerade({ source: v } as never),
    (nl, v) => nl.nftables.dnat({ protocol: 'tcp', port: v, to: '172.18.0.2' } as never),
    (nl, v) => nl.nftables.snat({ to: v } as never),
    (nl, v) => nl.nftables.allowEstablished(v as never),
    (nl, v) => nl.nftables.flush(v as never),
    (nl, v) => nl.nftables.deleteTable(v as never, v as never),
  ];
  const DOCUMENTED = ['InvalidArgumentError', 'NotFoundError', 'NetlinkTimeoutError', 'EncodeError', 'AbortError', 'HostileError'];

  it('list, apply, flush, deleteTable and the helpers: InvalidArgumentError (or a timeout of the silent fake), never a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(calls.length - 1), hostile, async (i, v) => {
        const nl = NetlinkClient.open({ transport: route(), netfilterTransport: () => new SilentNetfilter(), timeoutMs: 20 });
        try {
          await calls[i]!(nl, v);
        } catch (err) {
          const name = (err as Error | undefined)?.name;
          if (!DOCUMENTED.includes(String(name))) throw new Error(`call ${i} threw ${String(name)}: ${(err as Error)?.message}`);
        } finally {
          nl.close();
        }
      }),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 400) },
    );
  }, 60_000);
});
