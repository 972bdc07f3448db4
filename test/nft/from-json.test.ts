/**
 * src/nft/json/from-json.ts without privileges: every case of the corpus (test/nft/from-json-cases.ts)
 * linearizes to the bytes nft 1.0.6 sent for it (fixtures/nftables/from-json-golden.json, recorded by
 * scripts/record-from-json-goldens.ts); bad documents are refused with the JSON path and a sentence;
 * the recipes check their options.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nftablesSpec } from '../../protocol/nf-tables.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { isInvalidArgumentError } from '../../src/errors/index.js';
import { type NftMessage, linearizeDocument } from '../../src/nft/json/from-json.js';
import { allowEstablished, dnat, masquerade, snat } from '../../src/nft/json/recipes.js';

interface GoldenCase {
  name: string;
  setup: string;
  ruleset: unknown;
  doc: unknown;
  nft: string[];
}

const GOLDEN = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/nftables/from-json-golden.json'), 'utf8')) as {
  cases: GoldenCase[];
};
const codec = new ProtocolCodec([nftablesSpec]);
const NLM_F_REQUEST = 1;

/**
 * nft numbers the elements of an element list 1, 2, 3... (libnftnl's nest per element); the spec
 * writes NFTA_LIST_ELEM (1) for each, as the kernel does in its dumps. The kernel reads either.
 */
function renumberElements(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const type = b.readUInt16LE(4) & 0xff;
  if (type !== 12 && type !== 14) return hex; // newsetelem, delsetelem
  for (let i = 20; i + 4 <= b.length; i += (b.readUInt16LE(i) + 3) & ~3) {
    if ((b.readUInt16LE(i + 2) & 0x3fff) !== 3) continue;
    const end = i + b.readUInt16LE(i);
    for (let j = i + 4; j + 4 <= end; j += (b.readUInt16LE(j) + 3) & ~3) b.writeUInt16LE((b.readUInt16LE(j + 2) & 0xc000) | 1, j + 2);
  }
  return b.toString('hex');
}

function encode(m: NftMessage, seq: number): string {
  return Buffer.from(codec.encode({ ...m, flags: m.flags | NLM_F_REQUEST, seq })).toString('hex');
}

const decoded = (hex: string) => codec.decode(Buffer.from(hex, 'hex'), 'user');

/**
 * Cases whose bytes differ from nft's for a reason, compared decoded instead:
 * - an object reference's name: nft sends it without its NUL (libnftnl copies the string's bytes),
 *   the spec encodes strings with it; the kernel compares the name either way.
 */
const DECODED_ONLY: Readonly<Record<string, string>> = {
  'objects, object reference, comment, insert': 'objref name without NUL in nft',
};

describe('from-json: the messages nft 1.0.6 sends (recorded goldens)', () => {
  it('has the corpus', () => {
    expect(GOLDEN.cases.length).toBeGreaterThan(120);
  });

  for (const c of GOLDEN.cases) {
    it(c.name, () => {
      const { messages } = linearizeDocument(c.doc, { ruleset: c.ruleset });
      expect(messages.length).toBe(c.nft.length);
      messages.forEach((m, i) => {
        const theirs = renumberElements(c.nft[i]!);
        const seq = Buffer.from(theirs, 'hex').readUInt32LE(8);
        const mine = encode(m, seq);
        if (DECODED_ONLY[c.name] !== undefined) expect(decoded(mine)).toEqual(decoded(theirs));
        else expect(mine).toBe(theirs);
      });
    });
  }
});

describe('from-json: the messages', () => {
  it("carry the command index, a label and nft's flags", () => {
    const { messages } = linearizeDocument({
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { add: { table: { family: 'inet', name: 'f' } } },
        { create: { chain: { family: 'inet', table: 'f', name: 'c' } } },
        { rule: { family: 'inet', table: 'f', chain: 'c', expr: [{ accept: null }] } },
        { replace: { rule: { family: 'inet', table: 'f', chain: 'c', handle: 9, expr: [{ drop: null }] } } },
      ],
    });
    expect(messages.map((m) => [m.command, m.kind, m.flags, m.label])).toEqual([
      [1, 'newtable', 0, 'add table inet f'],
      [2, 'newchain', 0x400 | 0x200, 'create chain inet f c'],
      [3, 'newrule', 0x400 | 0x800, 'add rule inet f c'],
      [4, 'newrule', 0x100, 'replace rule inet f c'],
    ]);
    expect(messages[3]!.attrs.handle).toBe(9n);
  });

  it('destroy commands become destroy* messages (nft 1.0.7 and later; the kernel has them since 6.3)', () => {
    const { messages } = linearizeDocument({
      nftables: [
        { destroy: { table: { family: 'ip', name: 't' } } },
        { destroy: { chain: { family: 'ip', table: 't', name: 'c' } } },
        { destroy: { rule: { family: 'ip', table: 't', chain: 'c', handle: 3 } } },
        { destroy: { set: { family: 'ip', table: 't', name: 's' } } },
        { destroy: { counter: { family: 'ip', table: 't', name: 'k' } } },
      ],
    });
    expect(messages.map((m) => m.kind)).toEqual(['destroytable', 'destroychain', 'destroyrule', 'destroyset', 'destroyobj']);
  });

  it('priorities by name: srcnat is 100, "filter + 10" is 10, bridge names are the bridge family\'s', () => {
    const chain = (family: string, hook: string, prio: unknown) =>
      linearizeDocument({
        nftables: [{ add: { chain: { family, table: 't', name: 'c', type: family === 'bridge' ? 'filter' : 'nat', hook, prio } } }],
      }).messages[0]!.attrs.hook;
    expect(chain('ip', 'postrouting', 'srcnat')).toEqual({ hooknum: 4, priority: 100 });
    expect(chain('inet', 'prerouting', 'dstnat - 5')).toEqual({ hooknum: 0, priority: -105 });
    expect(chain('bridge', 'prerouting', 'dstnat')).toEqual({ hooknum: 0, priority: -300 });
  });

  it('a set too big for one message is split over several newsetelem', () => {
    const elem = Array.from({ length: 5000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
    const { messages } = linearizeDocument({ nftables: [{ add: { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', elem } } }] });
    const elems = messages.filter((m) => m.kind === 'newsetelem');
    expect(elems.length).toBeGreaterThan(1);
    expect(elems.reduce((n, m) => n + (m.attrs.elements as { elem: unknown[] }).elem.length, 0)).toBe(5000);
    for (const m of elems) expect(codec.encode({ ...m, seq: 1 }).length).toBeLessThan(65536);
  });
});

/** The InvalidArgumentError a document gives, as [path, message]. */
function refusal(doc: unknown, options?: Parameters<typeof linearizeDocument>[1]): [string, string] {
  try {
    linearizeDocument(doc, options);
  } catch (err) {
    if (!isInvalidArgumentError(err)) throw err;
    return [err.argument, err.message];
  }
  throw new Error('the document was accepted');
}

const addRule = (expr: unknown[], extra: Record<string, unknown> = {}) => ({
  nftables: [{ add: { rule: { family: 'ip', table: 't', chain: 'c', expr, ...extra } } }],
});
const saddr = { payload: { protocol: 'ip', field: 'saddr' } };

describe('from-json: bad documents are refused with their JSON path', () => {
  it('the document and its commands', () => {
    expect(refusal([])).toEqual(['document', 'document: [] must be an object { "nftables": [...] }']);
    expect(refusal({ nftables: {} })[0]).toBe('nftables');
    expect(refusal({ nftables: [{ add: { table: { family: 'ip', name: 't' } }, flush: {} }] })).toEqual([
      'nftables[0]',
      'nftables[0]: a command has exactly one key, this has 2: add, flush',
    ]);
    expect(refusal({ nftables: [{ frobnicate: {} }] })[1]).toBe(
      'nftables[0].frobnicate: "frobnicate" is neither a command (add, create, insert, replace, delete, destroy, flush) nor an object (table, chain, rule, set, map, element, counter, quota, limit, flowtable)',
    );
    expect(refusal({ nftables: [{ insert: { table: { family: 'ip', name: 't' } } }] })[1]).toBe(
      'nftables[0].insert.table: "insert" does not take a table (it takes: rule)',
    );
    expect(refusal({ nftables: [{ list: { ruleset: null } }] })[1]).toContain('"list" is not a change this library applies');
  });

  it('unknown family, missing and wrongly typed keys', () => {
    expect(refusal({ nftables: [{ add: { table: { family: 'ipx', name: 't' } } }] })).toEqual([
      'nftables[0].add.table.family',
      'nftables[0].add.table.family: "ipx" is not a family (one of: ip, ip6, inet, arp, bridge, netdev)',
    ]);
    expect(refusal({ nftables: [{ add: { chain: { family: 'ip', name: 'c' } } }] })).toEqual([
      'nftables[0].add.chain',
      'nftables[0].add.chain: "table" is missing (the table the chain is in)',
    ]);
    expect(refusal({ nftables: [{ add: { table: { family: 'ip', name: 7 } } }] })[1]).toBe(
      "nftables[0].add.table.name: 7 must be a non-empty string (the table's name)",
    );
    expect(refusal({ nftables: [{ add: { table: { family: 'ip', name: 't', colour: 'red' } } }] })[1]).toBe(
      'nftables[0].add.table.colour: a table has no property "colour" (it has: family, name, handle, flags, comment)',
    );
    expect(refusal({ nftables: [{ delete: { rule: { family: 'ip', table: 't', chain: 'c' } } }] })[1]).toBe(
      'nftables[0].delete.rule: "handle" is missing: delete names the rule by its handle',
    );
  });

  it('statements and expressions', () => {
    expect(refusal(addRule([{ match: { op: '==', left: saddr, right: '10.0.0.300' } }]))).toEqual([
      'nftables[0].add.rule.expr[0].match.right',
      'nftables[0].add.rule.expr[0].match.right: "10.0.0.300" is not an IPv4 address (like 192.0.2.1)',
    ]);
    expect(refusal(addRule([{ accept: null }, { match: { op: '~', left: saddr, right: '10.0.0.1' } }]))[1]).toBe(
      'nftables[0].add.rule.expr[1].match.op: "~" is not an operator (==, !=, <, >, <=, >=, in)',
    );
    expect(refusal(addRule([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 70000 } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.right: 70000 does not fit the 16 bits of a port (0-65535, or a service name) (at most 65535)',
    );
    expect(refusal(addRule([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'prot' } }, right: 1 } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.left.payload.field: "prot" is not a field of tcp (sport, dport, sequence, ackseq, doff, reserved, flags, window, checksum, urgptr)',
    );
    expect(refusal(addRule([{ match: { op: '==', left: { meta: { key: 'colour' } }, right: 1 } }]))[0]).toBe(
      'nftables[0].add.rule.expr[0].match.left.meta.key',
    );
    expect(refusal(addRule([{ match: { op: 'in', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.right: "in" tests flags or set membership; inet_service is not a flag type: use "==" or a { "set": [...] }',
    );
    expect(refusal(addRule([{ match: { op: '==', left: saddr, right: { prefix: { addr: '10.0.0.0', len: 33 } } } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.right.prefix.len: 33 must be a prefix length from 0 to 32',
    );
    expect(refusal(addRule([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [90, 80] } } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.right.range: the range is empty: 90 is above 80',
    );
    expect(refusal(addRule([{ accept: null }, { counter: null }]))[1]).toBe(
      'nftables[0].add.rule.expr[1]: a statement after "accept" has no effect (nft refuses it too)',
    );
    expect(refusal(addRule([{ jump: {} }]))[0]).toBe('nftables[0].add.rule.expr[0].jump.target');
  });

  it('protocols that contradict each other', () => {
    const dport = { payload: { protocol: 'tcp', field: 'dport' } };
    const l4 = { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'udp' } };
    expect(refusal(addRule([l4, { match: { op: '==', left: dport, right: 22 } }]))[1]).toBe(
      'nftables[0].add.rule.expr[1].match.left.payload: conflicting protocols specified: udp vs. tcp (the rule already matches udp)',
    );
    expect(refusal(addRule([{ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: '::1' } }]))[1]).toBe(
      'nftables[0].add.rule.expr[0].match.left.payload: conflicting protocols specified: ip vs. ip6 (the rule already matches ip)',
    );
  });

  it('NAT: ports need a transport protocol, inet tables need the address family', () => {
    expect(refusal(addRule([{ dnat: { addr: '10.0.0.1', port: 80 } }]))[1]).toContain(
      'nftables[0].add.rule.expr[0].dnat.port: a port mapping needs a transport protocol matched before it',
    );
    const inet = { nftables: [{ add: { rule: { family: 'inet', table: 't', chain: 'c', expr: [{ snat: { addr: '10.0.0.1' } }] } } }] };
    expect(refusal(inet)[1]).toBe('nftables[0].add.rule.expr[0].snat: in an inet table, say which family the address is: "family": "ip" or "ip6"');
    expect(refusal(addRule([{ snat: { addr: 'fe80::1' } }]))[1]).toBe('nftables[0].add.rule.expr[0].snat.addr: "fe80::1" is not an IPv4 address');
  });

  it('xt statements are refused: only iptables-nft writes them', () => {
    expect(refusal(addRule([{ xt: { type: 'match', name: 'conntrack' } }]))[1]).toMatch(
      /^nftables\[0\]\.add\.rule\.expr\[0\]\.xt: xt statements are how iptables-nft stores its extensions/,
    );
  });

  it('references: chains and sets neither in the document nor in the ruleset', () => {
    const ruleset = { nftables: [{ table: { family: 'ip', name: 't' } }, { chain: { family: 'ip', table: 't', name: 'c' } }] };
    expect(refusal(addRule([{ accept: null }], { chain: 'nope' }), { ruleset })[1]).toBe(
      'nftables[0].add.rule.chain: chain ip t nope does not exist (neither in the ruleset nor added before in the document)',
    );
    expect(refusal(addRule([{ match: { op: '==', left: saddr, right: '@blocked' } }]), { ruleset })[1]).toBe(
      'nftables[0].add.rule.expr[0].match.right: set @blocked does not exist in table ip t',
    );
    expect(refusal(addRule([{ jump: { target: 'elsewhere' } }]), { ruleset })[1]).toBe(
      'nftables[0].add.rule.expr[0].jump.target: chain elsewhere does not exist in table ip t',
    );
    // Added earlier in the same document: fine.
    const doc = {
      nftables: [
        { add: { chain: { family: 'ip', table: 't', name: 'd' } } },
        { add: { set: { family: 'ip', table: 't', name: 'blocked', type: 'ipv4_addr' } } },
        ...addRule([{ match: { op: '==', left: saddr, right: '@blocked' } }, { jump: { target: 'd' } }], { chain: 'd' }).nftables,
      ],
    };
    expect(() => linearizeDocument(doc, { ruleset })).not.toThrow();
    // Without a ruleset nothing can be known to be missing, unless asked to check against the document.
    expect(() => linearizeDocument(addRule([{ accept: null }], { chain: 'nope' }))).not.toThrow();
    expect(refusal(addRule([{ accept: null }]), { checkReferences: true })[1]).toBe(
      'nftables[0].add.rule.table: table ip t does not exist (neither in the ruleset nor added before in the document)',
    );
  });

  it("elements need their set's type; intervals need an interval set", () => {
    const el = (elem: unknown) => ({ nftables: [{ add: { element: { family: 'ip', table: 't', name: 's', elem } } }] });
    expect(refusal(el(['1.1.1.1']))[1]).toContain('nftables[0].add.element.name: set ip t s is not known');
    const ruleset = { nftables: [{ table: { family: 'ip', name: 't' } }, { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr' } }] };
    expect(refusal(el([{ prefix: { addr: '10.0.0.0', len: 8 } }]), { ruleset })[1]).toBe(
      'nftables[0].add.element.elem: s is not an interval set: ranges and prefixes need "flags": ["interval"]',
    );
    expect(refusal(el(['1.1.1']), { ruleset })).toEqual([
      'nftables[0].add.element.elem[0]',
      'nftables[0].add.element.elem[0]: "1.1.1" is not an IPv4 address (like 192.0.2.1)',
    ]);
  });

  it('rule positions by index need the listing', () => {
    const ins = { nftables: [{ insert: { rule: { family: 'ip', table: 't', chain: 'c', index: 2, expr: [{ accept: null }] } } }] };
    const ruleset = {
      nftables: [
        { table: { family: 'ip', name: 't' } },
        { chain: { family: 'ip', table: 't', name: 'c' } },
        { rule: { family: 'ip', table: 't', chain: 'c', handle: 4, expr: [{ accept: null }] } },
      ],
    };
    expect(refusal(ins, { ruleset })[1]).toBe('nftables[0].insert.rule.index: the chain has 1 rule; there is none at index 2');
    expect(refusal(ins, { checkReferences: false })[1]).toContain('needs the current ruleset');
  });

  it('chains: hooks of the family, a complete base chain, priorities valid for the hook', () => {
    const chain = (c: Record<string, unknown>) => ({ nftables: [{ add: { chain: { family: 'ip', table: 't', name: 'c', ...c } } }] });
    expect(refusal(chain({ type: 'filter', hook: 'ingress', prio: 0 }))[1]).toBe(
      'nftables[0].add.chain.hook: "ingress" is not a hook of the ip family (one of: prerouting, input, forward, output, postrouting)',
    );
    expect(refusal(chain({ type: 'filter', hook: 'input' }))[1]).toBe(
      'nftables[0].add.chain: "prio" is missing: a base chain needs type, hook and prio',
    );
    expect(refusal(chain({ type: 'nat', hook: 'prerouting', prio: 'srcnat' }))[1]).toBe(
      'nftables[0].add.chain.prio: "srcnat" is not valid in the prerouting hook (\'srcnat\' is for postrouting and input)',
    );
    expect(refusal(chain({ policy: 'drop' }))[1]).toBe('nftables[0].add.chain.policy: only base chains (with type, hook and prio) have a policy');
  });
});

describe("from-json: symbolic constants are nft 1.0.6's (nft describe lists them)", () => {
  const attrsOf = (expr: unknown[]) => linearizeDocument(addRule(expr)).messages[0]!.attrs;
  const match = (left: unknown, right: unknown) => ({ match: { op: '==', left, right } });
  const day = { meta: { key: 'day' } };
  const dscp = { payload: { protocol: 'ip', field: 'dscp' } };

  it('takes the names nft prints (meta day "Monday", dscp va) and refuses those nft refuses (monday, dscp le)', () => {
    expect(attrsOf([match(day, 'Monday')])).toEqual(attrsOf([match(day, 1)]));
    expect(attrsOf([match(dscp, 'va')])).toEqual(attrsOf([match(dscp, 0x2c)]));
    expect(refusal(addRule([match(day, 'monday')]))[0]).toBe('nftables[0].add.rule.expr[0].match.right');
    expect(refusal(addRule([match(dscp, 'le')]))[0]).toBe('nftables[0].add.rule.expr[0].match.right');
  });

  it('protocols by every name of /etc/protocols nft looks up (ospf), and the keywords icmpv6, comp', () => {
    const l4 = { meta: { key: 'l4proto' } };
    expect(attrsOf([match(l4, 'ospf')])).toEqual(attrsOf([match(l4, 89)]));
    expect(attrsOf([match(l4, 'icmpv6')])).toEqual(attrsOf([match(l4, 58)]));
    expect(attrsOf([match(l4, 'comp')])).toEqual(attrsOf([match(l4, 108)]));
  });

  it('reject takes every icmp code nft has a name for (frag-needed)', () => {
    expect(attrsOf([{ reject: { type: 'icmp', expr: 'frag-needed' } }]).expressions).toEqual({
      elem: [{ name: 'reject', data: { type: 'icmp-unreach', icmpCode: 4 } }],
    });
  });
});

describe('recipes', () => {
  it("masquerade is the walk-through's iptables MASQUERADE as nft writes it", () => {
    expect(masquerade({ source: '172.18.0.0/24', notOutInterface: 'vethc1' })).toEqual({
      nftables: [
        { add: { table: { family: 'ip', name: 'nat' } } },
        { add: { chain: { family: 'ip', table: 'nat', name: 'postrouting', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
        {
          add: {
            rule: {
              family: 'ip',
              table: 'nat',
              chain: 'postrouting',
              expr: [
                { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '172.18.0.0', len: 24 } } } },
                { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'vethc1' } },
                { masquerade: null },
              ],
            },
          },
        },
      ],
    });
  });

  it('check their options', () => {
    const msg = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (isInvalidArgumentError(err)) return err.message;
        throw err;
      }
      return 'accepted';
    };
    expect(msg(() => masquerade({ source: '172.18.0.1/24' }))).toBe(
      'invalid source "172.18.0.1/24": has host bits set after the /24: write the network address',
    );
    expect(msg(() => masquerade({ source: '172.18.0.0/24', outInterface: 'a', notOutInterface: 'b' }))).toBe(
      'invalid notOutInterface "b": cannot be given together with outInterface',
    );
    expect(msg(() => masquerade({ family: 'ip6', source: '10.0.0.0/8' }))).toBe(
      'invalid source "10.0.0.0/8": is an IPv4 address, the table family is ip6',
    );
    expect(msg(() => masquerade({} as never))).toBe(
      'invalid source undefined: is required: the source address or prefix to masquerade, like 172.18.0.0/24',
    );
    expect(msg(() => snat({ to: '1.2.3.4-fe80::1' }))).toBe(
      'invalid to "1.2.3.4-fe80::1": must be an address, or a range of two addresses of one family "a-b"',
    );
    expect(msg(() => dnat({ protocol: 'sctp' as never, port: 80, to: '10.0.0.1' }))).toBe('invalid protocol "sctp": must be "tcp" or "udp"');
    expect(msg(() => dnat({ protocol: 'tcp', port: 0, to: '10.0.0.1' }))).toBe('invalid port 0: must be a port number from 1 to 65535');
    expect(msg(() => dnat({ protocol: 'tcp', port: 80, to: '10.0.0.0/24' }))).toBe(
      'invalid to "10.0.0.0/24": must be one address (the container\'s), not a prefix',
    );
    expect(msg(() => dnat({ protocol: 'tcp', port: 80, to: '10.0.0.1', inInterface: 'a very long name!' }))).toContain('invalid inInterface');
    expect(msg(() => allowEstablished({ hook: 'prerouting' as never }))).toBe('invalid hook "prerouting": must be "input", "forward" or "output"');
  });
});
