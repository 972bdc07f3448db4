/**
 * to-json: decoded nf_tables dumps -> the JSON nft 1.0.6 prints for `nft -j list ruleset`, compared item by item
 * as text (so key order counts too).
 *
 * Without privileges: fixtures/nftables/ruleset-dump.json (the dumps of fixtures/nftables/ruleset.nft and
 * iptables-nft rules, recorded by engineer A) against nft's own listing of the same ruleset loaded the same way in
 * a fresh namespace (expected/ruleset-dump.nft.json; handles match because the namespace was fresh too; one
 * counter is set to what the recording counted: the netdev chain `both` saw two IPv6 packets while recording),
 * and small hand-made messages for single behaviours.
 *
 * With privileges (root, nft, iptables-nft): each ruleset of rulesets/ (and of engineer C's test/nft/rulesets when
 * present) is loaded into a throwaway namespace, listed over NETLINK_NETFILTER and converted, and compared with
 * `nft -j list ruleset` of the same namespace; likewise rules written by iptables-nft.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { NetlinkMessage } from '../../../src/codec/message.js';
import { Connection } from '../../../src/conn/connection.js';
import { NftJsonRuleset, type RulesetMessages, rulesetToJson } from '../../../src/nft/json/to-json.js';
import { NFT_XT_INFO } from '../../../src/nft/json/types.js';
import { fromHex, loadFixture } from '../../../src/transport/fixture.js';
import { NetlinkSocket } from '../../../src/transport/netlink-socket.js';
import { createNetns, deleteNetns, privileged, skipReason } from '../../support/netns.js';
import { DUMP_FIXTURE, dumpRuleset, nftCodec } from '../../support/nft-ruleset.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NETLINK_NETFILTER = 12;

const KINDS: Record<string, keyof RulesetMessages> = {
  newtable: 'tables',
  newchain: 'chains',
  newrule: 'rules',
  newset: 'sets',
  newsetelem: 'elements',
  newobj: 'objects',
  newflowtable: 'flowtables',
};

function group(messages: readonly NetlinkMessage[]): RulesetMessages {
  const out: Record<string, NetlinkMessage[]> = { tables: [], chains: [], rules: [], sets: [], elements: [], objects: [], flowtables: [] };
  for (const m of messages) {
    const k = KINDS[m.kind ?? ''];
    if (k) out[k]!.push(m);
  }
  return out as RulesetMessages;
}

/** Each item as nft would print it (key order included), for readable diffs. */
function lines(doc: { nftables: unknown[] }): string[] {
  return doc.nftables.map((i) => JSON.stringify(i));
}

describe('to-json from the recorded dumps (fixtures/nftables/ruleset-dump.json)', () => {
  const codec = nftCodec();
  const fixture = loadFixture(DUMP_FIXTURE);
  const messages = fixture.exchanges.filter((e) => e.dir === 'received').flatMap((e) => codec.decode(fromHex(e.hex)));
  // the interfaces of the recording namespace: lo, and the veth pair d0/d1 test/support/nft-ruleset.ts makes
  const ifnames: Record<number, string> = { 1: 'lo', 2: 'd1', 3: 'd0' };
  const expected = JSON.parse(readFileSync(join(HERE, 'expected/ruleset-dump.nft.json'), 'utf8')) as { nftables: unknown[] };

  it('lists the ruleset exactly as nft 1.0.6 does: every object, key order and value', () => {
    const doc = rulesetToJson(group(messages), { ifname: (i) => ifnames[i] });
    expect(lines(doc)).toEqual(lines(expected));
  });

  it('keeps the revision and info struct of xt statements under NFT_XT_INFO, out of the JSON text', () => {
    const doc = rulesetToJson(group(messages), { ifname: (i) => ifnames[i] });
    const xts = doc.nftables.flatMap((i) => ('rule' in i ? (i.rule.expr ?? []) : [])).filter((s) => typeof s === 'object' && 'xt' in s) as {
      xt: { name: string; [NFT_XT_INFO]?: { rev: number; info: Uint8Array } };
    }[];
    expect(xts.map((x) => x.xt.name)).toEqual(['MASQUERADE', 'conntrack', 'multiport', 'comment', 'TCPMSS']);
    const conntrack = xts[1]!.xt[NFT_XT_INFO]!;
    expect(conntrack.rev).toBe(3);
    expect(conntrack.info.length).toBeGreaterThan(0);
    expect(JSON.stringify(xts[1])).toBe('{"xt":{"type":"match","name":"conntrack"}}');
  });

  it('lists one table, one chain and one set like nft list table/chain/set', () => {
    const model = new NftJsonRuleset(group(messages), { ifname: (i) => ifnames[i] });
    const body = (l: string) => Object.values(JSON.parse(l) as Record<string, { family?: string; table?: string; name?: string }>)[0]!;
    const ofNat = lines(expected).filter((l) => {
      const b = body(l);
      return b.family === 'ip' && (b.table === 'nftnat' || (b.name === 'nftnat' && b.table === undefined));
    });
    expect(lines(model.table('ip', 'nftnat')!).slice(1)).toEqual(ofNat);
    const chain = model.chain('ip', 'nftnat', 'pre')!;
    expect(chain.nftables.map((i) => Object.keys(i)[0])).toEqual(['metainfo', 'chain', 'rule', 'rule', 'rule', 'rule']);
    const set = model.set('inet', 'filter', 'allowed')!;
    expect(JSON.stringify(set.nftables[1])).toBe(lines(expected).find((l) => (JSON.parse(l) as { set?: { name: string } }).set?.name === 'allowed'));
    expect(model.table('ip', 'nope')).toBeUndefined();
  });
});

describe('to-json on damaged input', () => {
  const codec = nftCodec();
  const messages = loadFixture(DUMP_FIXTURE)
    .exchanges.filter((x) => x.dir === 'received')
    .flatMap((x) => codec.decode(fromHex(x.hex)));

  /** Deterministic damage: attributes dropped, numbers and bytes replaced, lists shortened. */
  function damage(value: unknown, rnd: () => number): unknown {
    if (value instanceof Uint8Array) {
      if (rnd() < 0.3) return value.subarray(0, Math.floor(rnd() * value.length));
      if (rnd() < 0.1) return Uint8Array.from({ length: Math.floor(rnd() * 70) }, () => Math.floor(rnd() * 256));
      return value;
    }
    if (Array.isArray(value)) return value.filter(() => rnd() > 0.05).map((x) => damage(x, rnd));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(value)) if (rnd() >= 0.05) out[k] = damage(x, rnd);
      return out;
    }
    if (typeof value === 'number') return rnd() < 0.2 ? Math.floor(rnd() * 2 ** (rnd() < 0.5 ? 8 : 32)) : value;
    if (typeof value === 'bigint') return rnd() < 0.2 ? BigInt(Math.floor(rnd() * 2 ** 32)) : value;
    if (typeof value === 'string') return rnd() < 0.05 ? 'reg32-15' : value;
    return value;
  }

  it('never throws: a rule, element or set that makes no sense still lists (marked unknown or left out)', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 150; i++) {
      const damaged = messages.map((m) => ({ ...m, attrs: damage(m.attrs, rnd) as NetlinkMessage['attrs'] }));
      expect(() => JSON.stringify(rulesetToJson(group(damaged)))).not.toThrow();
    }
  });
});

// --------------------------------------------------------------------------------------------------------------
// hand-made messages

const v = (hex: string) => ({ value: Uint8Array.from(Buffer.from(hex, 'hex')) });
const e = (name: string, data: Record<string, unknown>) => ({ name, data });
const table = (family: string, name: string) => ({ kind: 'newtable', header: { family }, attrs: { name, handle: 1n } });
const chain = (family: string, t: string, name: string) => ({ kind: 'newchain', header: { family }, attrs: { table: t, name, handle: 1n } });
const rule = (family: string, t: string, c: string, exprs: unknown[], handle = 2n) => ({
  kind: 'newrule',
  header: { family },
  attrs: { table: t, chain: c, handle, expressions: { elem: exprs } },
});
const ACCEPT = e('immediate', { dreg: 'verdict', data: { verdict: { code: 'accept' } } });

function exprsOf(msgs: RulesetMessages): unknown {
  const doc = rulesetToJson(msgs);
  return (doc.nftables.find((i) => 'rule' in i) as { rule: { expr: unknown } }).rule.expr;
}

describe('to-json delinearizes rules as nft does', () => {
  it('drops the dependency nft adds itself (inet: meta l4proto tcp before tcp dport)', () => {
    const msgs = {
      tables: [table('inet', 't')],
      chains: [chain('inet', 't', 'c')],
      rules: [
        rule('inet', 't', 'c', [
          e('meta', { dreg: 'reg-1', key: 'l4proto' }),
          e('cmp', { sreg: 'reg-1', op: 'eq', data: v('06') }),
          e('payload', { dreg: 'reg-1', base: 'transport-header', offset: 2, len: 2 }),
          e('cmp', { sreg: 'reg-1', op: 'eq', data: v('0016') }),
          ACCEPT,
        ]),
      ],
    };
    expect(exprsOf(msgs)).toEqual([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { accept: null }]);
  });

  it('keeps the dependency when a statement with side effects stands between (nft: counter, xt)', () => {
    const msgs = {
      tables: [table('ip', 't')],
      chains: [chain('ip', 't', 'c')],
      rules: [
        rule('ip', 't', 'c', [
          e('meta', { dreg: 'reg-1', key: 'l4proto' }),
          e('cmp', { sreg: 'reg-1', op: 'eq', data: v('06') }),
          e('counter', { packets: 0n, bytes: 0n }),
          e('payload', { dreg: 'reg-1', base: 'transport-header', offset: 2, len: 2 }),
          e('cmp', { sreg: 'reg-1', op: 'eq', data: v('0016') }),
        ]),
      ],
    };
    expect(exprsOf(msgs)).toEqual([
      { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } },
      { counter: { packets: 0, bytes: 0 } },
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } },
    ]);
  });

  it('turns a masked address compare into a prefix and a short name compare into a wildcard', () => {
    const msgs = {
      tables: [table('ip', 't')],
      chains: [chain('ip', 't', 'c')],
      rules: [
        rule('ip', 't', 'c', [
          e('payload', { dreg: 'reg-1', base: 'network-header', offset: 12, len: 4 }),
          e('bitwise', { sreg: 'reg-1', dreg: 'reg-1', len: 4, op: 'mask-xor', mask: v('ffffff00'), xor: v('00000000') }),
          e('cmp', { sreg: 'reg-1', op: 'eq', data: v('ac120000') }),
          e('meta', { dreg: 'reg-1', key: 'oifname' }),
          e('cmp', { sreg: 'reg-1', op: 'neq', data: v('657468') }),
        ]),
      ],
    };
    expect(exprsOf(msgs)).toEqual([
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '172.18.0.0', len: 24 } } } },
      { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'eth*' } },
    ]);
  });

  it('reads registers of NAT statements: masquerade with a port range and flags', () => {
    const msgs = {
      tables: [table('ip', 'nat')],
      chains: [chain('ip', 'nat', 'post')],
      rules: [
        rule('ip', 'nat', 'post', [
          e('immediate', { dreg: 'reg-1', data: v('0400') }),
          e('immediate', { dreg: 'reg-2', data: v('0800') }),
          e('masq', { flags: ['proto-specified', 'proto-random'], regProtoMin: 'reg-1', regProtoMax: 'reg-2' }),
        ]),
      ],
    };
    expect(exprsOf(msgs)).toEqual([{ masquerade: { port: { range: [1024, 2048] }, flags: 'random' } }]);
  });

  it('prints ct state bit tests as nft does: "in" with the flag names', () => {
    const msgs = {
      tables: [table('inet', 't')],
      chains: [chain('inet', 't', 'c')],
      rules: [
        rule('inet', 't', 'c', [
          e('ct', { dreg: 'reg-1', key: 'state' }),
          e('bitwise', { sreg: 'reg-1', dreg: 'reg-1', len: 4, op: 'mask-xor', mask: v('06000000'), xor: v('00000000') }),
          e('cmp', { sreg: 'reg-1', op: 'neq', data: v('00000000') }),
          ACCEPT,
        ]),
      ],
    };
    expect(exprsOf(msgs)).toEqual([{ match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, { accept: null }]);
  });

  it('keeps an expression it does not know as {"unknown": {"name"}} instead of dropping it silently', () => {
    const msgs = {
      tables: [table('ip', 't')],
      chains: [chain('ip', 't', 'c')],
      rules: [rule('ip', 't', 'c', [{ name: 'inner', data: Uint8Array.of(1, 2, 3) }, ACCEPT])],
    };
    expect(exprsOf(msgs)).toEqual([{ unknown: { name: 'inner' } }, { accept: null }]);
  });

  it('folds interval set points back into a prefix and a range, and prints the metainfo nft prints', () => {
    const set = {
      kind: 'newset',
      header: { family: 'ip' },
      attrs: { table: 't', name: 's', flags: ['interval'], keyType: 7, keyLen: 4, handle: 3n },
    };
    const el = (hex: string, end = false) => ({ key: v(hex), ...(end ? { flags: ['interval-end'] } : {}) });
    const elements = {
      kind: 'newsetelem',
      header: { family: 'ip' },
      attrs: {
        table: 't',
        set: 's',
        elements: { elem: [el('00000000', true), el('0a000000'), el('0b000000', true), el('01010101'), el('01010106', true)] },
      },
    };
    const doc = rulesetToJson({ tables: [table('ip', 't')], sets: [set], elements: [elements] });
    expect(doc.nftables).toEqual([
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'ip', name: 't', handle: 1 } },
      {
        set: {
          family: 'ip',
          name: 's',
          table: 't',
          type: 'ipv4_addr',
          handle: 3,
          flags: ['interval'],
          elem: [{ range: ['1.1.1.1', '1.1.1.5'] }, { prefix: { addr: '10.0.0.0', len: 8 } }],
        },
      },
    ]);
  });

  it('prints interface indexes with the names the caller resolves, or as nft does for a gone interface', () => {
    const msgs = {
      tables: [table('netdev', 't')],
      chains: [chain('netdev', 't', 'c')],
      rules: [rule('netdev', 't', 'c', [e('immediate', { dreg: 'reg-1', data: v('07000000') }), e('fwd', { sregDev: 'reg-1' })])],
    };
    expect(exprsOf(msgs)).toEqual([{ fwd: { dev: '7' } }]);
    const named = rulesetToJson(msgs, { ifname: (i) => (i === 7 ? 'eth0' : undefined) });
    expect((named.nftables[3] as { rule: { expr: unknown } }).rule.expr).toEqual([{ fwd: { dev: 'eth0' } }]);
  });
});

// --------------------------------------------------------------------------------------------------------------
// against nft itself

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
if (reason) console.warn(`[nft to-json] oracle tests skipped: ${reason}`);

/** Loads a ruleset into a fresh namespace, lists it both ways, removes the namespace. */
async function both(load: (ns: string) => void): Promise<{ ours: string[]; nft: string[] }> {
  const ns = createNetns();
  try {
    execFileSync('ip', ['-n', ns.name, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1'], { stdio: 'pipe' });
    load(ns.name);
    const nft = JSON.parse(ns.exec('nft', '-j', 'list', 'ruleset')) as { nftables: unknown[] };
    const conn = new Connection(new NetlinkSocket({ fd: ns.socketFd(NETLINK_NETFILTER), protocol: NETLINK_NETFILTER }), nftCodec());
    let msgs: NetlinkMessage[];
    try {
      msgs = await dumpRuleset(conn);
    } finally {
      conn.close();
    }
    const links = ns.ipJson<{ ifindex: number; ifname: string }[]>('link');
    const ours = rulesetToJson(group(msgs), { ifname: (i) => links.find((l) => l.ifindex === i)?.ifname });
    return { ours: lines(ours), nft: lines(nft) };
  } finally {
    deleteNetns(ns);
  }
}

const nftFile = (ns: string, file: string) => execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', file], { stdio: 'pipe' });

function corpus(dir: string, ext = /\.nft$/): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => ext.test(f) && !f.endsWith('.extra.json'))
        .sort()
        .map((f) => join(dir, f))
    : [];
}

/** Loads one corpus file of engineer C's kinds: NAME.nft (nft -f), NAME.json (nft -j -f), NAME.iptables (commands). */
function loadCorpusFile(ns: string, file: string): void {
  if (file.endsWith('.nft')) nftFile(ns, file);
  else if (file.endsWith('.json')) execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', '-f', file], { stdio: 'pipe' });
  else {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
      execFileSync('ip', ['netns', 'exec', ns, ...words], { stdio: 'pipe' });
    }
  }
}

const IPTABLES: readonly (readonly string[])[] = [
  ['iptables-nft', '-N', 'MYCHAIN'],
  ['iptables-nft', '-A', 'INPUT', '-i', 'eth0', '-s', '1.2.3.4', '-d', '5.6.7.0/24', '-j', 'MYCHAIN'],
  ['iptables-nft', '-A', 'INPUT', '!', '-i', 'lo', '-p', 'udp', '--sport', '53', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'INPUT', '-m', 'state', '--state', 'NEW', '-j', 'LOG', '--log-prefix', 'new: '],
  ['iptables-nft', '-A', 'INPUT', '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
  ['iptables-nft', '-A', 'INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'INPUT', '-m', 'mark', '--mark', '0x1', '-j', 'RETURN'],
  ['iptables-nft', '-A', 'INPUT', '-m', 'limit', '--limit', '5/min', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'INPUT', '-p', 'tcp', '--tcp-flags', 'SYN,ACK', 'SYN', '-j', 'DROP'],
  ['iptables-nft', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '80,443', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'MYCHAIN', '-j', 'MARK', '--set-mark', '0x5'],
  ['iptables-nft', '-A', 'MYCHAIN', '-p', 'tcp', '-m', 'tcp', '--dport', '1000:2000', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'MYCHAIN', '-o', 'd0', '-j', 'DROP'],
  ['iptables-nft', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.18.0.0/24', '!', '-o', 'vethc1', '-j', 'MASQUERADE'],
  ['iptables-nft', '-t', 'nat', '-A', 'PREROUTING', '-i', 'eth0', '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '172.18.0.2:80'],
  ['iptables-nft', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-j', 'SNAT', '--to-source', '1.2.3.4'],
  ['iptables-nft', '-P', 'FORWARD', 'DROP'],
  ['ip6tables-nft', '-A', 'INPUT', '-s', 'fe80::/10', '-p', 'ipv6-icmp', '-j', 'ACCEPT'],
  ['ip6tables-nft', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT'],
];

describe.skipIf(reason !== undefined)('to-json against nft -j list ruleset (throwaway namespaces)', () => {
  for (const file of corpus(join(HERE, 'rulesets'))) {
    it(`lists ${file.slice(HERE.length + 1)} as nft does`, async () => {
      const { ours, nft } = await both((ns) => nftFile(ns, file));
      expect(ours).toEqual(nft);
    });
  }

  it('lists rules written by iptables-nft and ip6tables-nft (xt matches and targets, native translations)', async () => {
    const { ours, nft } = await both((ns) => {
      for (const [cmd, ...args] of IPTABLES) execFileSync('ip', ['netns', 'exec', ns, cmd!, ...args], { stdio: 'pipe' });
    });
    expect(ours).toEqual(nft);
  });

  // engineer C's corpus (test/nft/rulesets), when it is there: files the kernel refuses are left out
  for (const file of corpus(join(HERE, '../rulesets'), /\.(nft|json|iptables)$/)) {
    it(`lists test/nft/rulesets/${file.split('/').pop()} as nft does`, async () => {
      let loaded = true;
      const { ours, nft } = await both((ns) => {
        try {
          loadCorpusFile(ns, file);
        } catch {
          loaded = false;
        }
      });
      if (!loaded) {
        console.warn(`[nft to-json] ${file}: this kernel or nft refuses it; not compared`);
        return;
      }
      expect(ours).toEqual(nft);
    });
  }
});
