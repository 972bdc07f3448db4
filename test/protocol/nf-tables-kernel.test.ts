/**
 * The nftables spec against the running kernel, in a throwaway namespace: the ruleset of
 * test/support/nft-ruleset.ts (every expression nft 1.0.6 writes, and iptables-nft's rules) is
 * listed over a NETLINK_NETFILTER socket; every message must decode with nothing left undecoded and
 * re-encode, as the kernel, byte for byte. Needs root, nft and iptables-nft; skipped otherwise with
 * the reason printed. fixtures/nftables/ruleset-dump.json is the same conversation, recorded.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetlinkMessage, makeCtx } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { toHex } from '../../src/transport/fixture.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { RecordingTransport } from '../../src/transport/recording.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';
import { dumpRuleset, loadRuleset, nftCodec, undecoded } from '../support/nft-ruleset.js';

const NETLINK_NETFILTER = 12;

/** Which message, for assertion messages: kind, table and object. */
function label(m: NetlinkMessage): string {
  const a = m.attrs as Record<string, unknown>;
  return [m.kind, a.table, a.chain, a.name ?? a.set, a.handle].filter((x) => x !== undefined).join(' ');
}

function missingTools(): string | undefined {
  if (!privileged) return skipReason;
  for (const tool of ['nft', 'iptables-nft']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'pipe' });
    } catch {
      return `${tool} is not installed (apt-get install -y nftables iptables): it is the oracle`;
    }
  }
  return undefined;
}
const reason = missingTools();
if (reason) console.warn(`[protocol nf-tables-kernel] skipped: ${reason}`);

describe.skipIf(reason !== undefined)('nftables spec against the kernel', () => {
  const codec = nftCodec();
  let ns: TestNetns;
  let decoded: NetlinkMessage[];
  /** Each received message with its own bytes. */
  const received: { bytes: Uint8Array; msg: NetlinkMessage }[] = [];

  beforeAll(async () => {
    ns = createNetns();
    loadRuleset(ns.name);
    const rec = new RecordingTransport(new NetlinkSocket({ fd: ns.socketFd(NETLINK_NETFILTER), protocol: NETLINK_NETFILTER }));
    const conn = new Connection(rec, codec);
    try {
      decoded = await dumpRuleset(conn);
    } finally {
      conn.close();
    }
    for (const e of rec.exchanges.filter((x) => x.dir === 'received')) {
      const d = Uint8Array.from(Buffer.from(e.hex, 'hex'));
      const ctx = makeCtx(d);
      for (let pos = 0; pos < d.length; ) {
        const end = codec.frameEnd(ctx, pos);
        const bytes = d.slice(pos, end);
        const msg = codec.decode(bytes)[0]!;
        if (msg.type >= 0x10) received.push({ bytes, msg });
        pos = end;
      }
    }
  });
  afterAll(() => {
    if (ns) deleteNetns(ns);
  });

  it('lists every kind of object the ruleset has', () => {
    const kinds = new Set(decoded.map((m) => m.kind));
    for (const k of ['newgen', 'newtable', 'newchain', 'newrule', 'newset', 'newsetelem', 'newobj']) expect(kinds, k).toContain(k);
    expect(received.length).toBeGreaterThan(100);
  });

  it('every message decodes with nothing left undecoded', () => {
    for (const { msg } of received) expect(undecoded({ header: msg.header, attrs: msg.attrs }), label(msg)).toEqual([]);
  });

  it('every message re-encodes, as the kernel, byte for byte', () => {
    for (const { bytes, msg } of received) {
      const again = codec.encode(
        {
          kind: msg.kind!,
          flags: msg.flags,
          seq: msg.seq,
          pid: msg.pid,
          header: msg.header as Record<string, unknown>,
          attrs: msg.attrs as Record<string, unknown>,
        },
        undefined,
        'kernel',
      );
      expect(toHex(again), label(msg)).toBe(toHex(bytes));
    }
  });

  it("decodes the walk-through's iptables-nft masquerade: oifname != vethc1, 172.18.0.0/24, xt MASQUERADE", () => {
    const rule = decoded.find((m) => m.kind === 'newrule' && (m.attrs as { chain: string }).chain === 'POSTROUTING')!;
    const elem = (rule.attrs as { expressions: { elem: { name: string; data: any }[] } }).expressions.elem;
    expect(elem[0]).toEqual({ name: 'meta', data: { key: 'oifname', dreg: 'reg-1' } });
    expect(elem[1]!.data.op).toBe('neq');
    expect(Buffer.from(elem[1]!.data.data.value).toString('latin1')).toMatch(/^vethc1\0/);
    expect(elem[2]).toEqual({ name: 'payload', data: { dreg: 'reg-1', base: 'network-header', offset: 12, len: 3 } });
    expect(elem[3]).toEqual({ name: 'cmp', data: { sreg: 'reg-1', op: 'eq', data: { value: Uint8Array.from([172, 18, 0]) } } });
    expect(elem.at(-1)).toMatchObject({ name: 'target', data: { name: 'MASQUERADE', rev: 0 } });
  });
});
