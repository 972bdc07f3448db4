/**
 * protocol/ against the kernel's own YNL specs (scripts/check-ynl.ts), and the checker itself.
 *
 * The YAML files live outside the repository (../shared/data/kernel-ynl, reference data that must
 * not be copied in). When they are absent the comparison is reported as skipped with the reason;
 * the checker's own tests below run everywhere, on inline YAML.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rtLinkSpec } from '../../protocol/rt-link.js';
import { type FamilySpec, defineFamily } from '../../protocol/spec.js';
import { CHECKED_RULES, DEFAULT_DIR, type Finding, KnownYnlErrors, checkDir, checkFamily, passes, readmeErrors } from '../../scripts/check-ynl.js';

const MISSING = existsSync(DEFAULT_DIR) ? undefined : `${DEFAULT_DIR} not found: the kernel's YNL specs are not beside this checkout`;
if (MISSING) console.warn(`[kernel-ynl] comparison skipped: ${MISSING}`);

const show = (fs: Finding[]): string[] => fs.map((f) => `${f.kind} ${f.code} ${f.ours} ~ ${f.ynl}: ${f.message}`);

describe('protocol/ against the kernel YNL specs', () => {
  it('agrees: no disagreement that is not a known YNL error, no stale rule', (ctx) => {
    if (MISSING) return ctx.skip(MISSING);
    const r = checkDir(DEFAULT_DIR);
    expect(r.compared).toEqual(expect.arrayContaining(['rt-link', 'rt-addr', 'rt-route', 'rt-neigh', 'rt-rule']));
    expect(r.counts.attributes).toBeGreaterThan(300);
    expect(r.counts.structs).toBeGreaterThan(20);
    expect(show(r.findings.filter((f) => f.kind === 'error' || f.kind === 'stale'))).toEqual([]);
    expect(passes(r)).toBe(true);
  });

  it('would have caught the 28-byte rtnl-link-ifmap', (ctx) => {
    if (MISSING) return ctx.skip(MISSING);
    const ifmap = rtLinkSpec.definitions['rtnl-link-ifmap'];
    const old = { ...ifmap, members: ifmap.members.filter((m) => m.type !== 'pad') };
    const spec = { ...rtLinkSpec, definitions: { ...rtLinkSpec.definitions, 'rtnl-link-ifmap': old } } as FamilySpec;
    const known = KnownYnlErrors.fromReadme(readFileSync(join(DEFAULT_DIR, 'README.md'), 'utf8'), CHECKED_RULES);
    const { findings } = checkFamily(spec, parse(readFileSync(join(DEFAULT_DIR, 'rt-link.yaml'), 'utf8')), known);
    expect(show(findings.filter((f) => f.kind === 'error'))).toEqual([
      "error struct-size definitions.rtnl-link-ifmap ~ rtnl-link-ifmap: struct rtnl-link-ifmap is 28 bytes here, 32 in the C layout of YNL's rtnl-link-ifmap",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The checker on a small family with deliberate disagreements

const ours = defineFamily({
  name: 't-fam',
  protocol: 0,
  definitions: {
    hdr: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8' },
        { name: 'pad', type: 'pad', len: 3 },
        { name: 'index', type: 's32' },
      ],
    },
    pair: {
      type: 'struct',
      members: [
        { name: 'big', type: 'u64' },
        { name: 'small', type: 'u8' }, // C layout: 16 bytes, here 9
      ],
    },
    mode: { type: 'enum', entries: { off: 0, on: 1, auto: 3 } }, // auto is 2 in the YAML
    bits: { type: 'flags', entries: { up: 1, down: 2, stable_privacy: 4 } },
  },
  attributeSets: {
    main: {
      attributes: [
        { name: 'first', value: 1, type: 'u32', enum: 'mode' },
        { name: 'second', value: 2, type: 'u16' }, // u32 in the YAML
        { name: 'port', value: 3, type: 'u16', byteOrder: 'big-endian' }, // host order there
        { name: 'pair', value: 4, type: 'struct', struct: 'pair' },
        { name: 'inner', value: 5, type: 'nest', nested: 'in' },
        { name: 'fl', value: 6, type: 'u32', enum: 'bits' },
        { name: 'ours', value: 9, type: 'string' },
      ],
    },
    in: { attributes: [{ name: 'leafName', value: 1, type: 'string' }] },
  },
  messages: {
    newthing: { value: 100, header: 'hdr', attributes: 'main' },
    getthing: { value: 103, header: 'hdr', attributes: 'main' }, // 102 in the YAML
  },
  mcastGroups: [{ name: 'things', value: 7 }],
});

const YAML = `
name: t-fam
protocol: netlink-raw
protonum: 0
definitions:
  - name: hdr
    type: struct
    members:
      - { name: hdr-family, type: u8 }
      - { name: hdr-index, type: s32 }
  - name: pair
    type: struct
    members:
      - { name: big, type: u64 }
      - { name: small, type: u8 }
  - name: mode
    type: enum
    entries: [ off, on, auto ]
  - name: bits
    type: flags
    entries: [ up, down, stable-privacy ]
attribute-sets:
  - name: main-attrs
    attributes:
      - { name: first, type: u32, enum: mode }
      - { name: second, type: u32 }
      - { name: port, type: u16 }
      - { name: pair, type: binary, struct: pair }
      - { name: inner, type: nest, nested-attributes: in-attrs }
      - { name: fl, type: u32, enum: bits }
      - { name: theirs, type: u8, value: 8 }
  - name: in-attrs
    attributes:
      - { name: leaf, type: string }
operations:
  enum-model: directional
  fixed-header: hdr
  list:
    - name: newthing
      attribute-set: main-attrs
      do: { request: { value: 100, attributes: [] } }
    - name: getthing
      attribute-set: main-attrs
      do: { request: { value: 102, attributes: [] }, reply: { value: 100, attributes: [] } }
mcast-groups:
  list:
    - { name: rtnlgrp-things, value: 7 }
`;

describe('scripts/check-ynl.ts on inline YAML', () => {
  const { findings, counts } = checkFamily(ours, parse(YAML));
  const of = (kind: Finding['kind']) => show(findings.filter((f) => f.kind === kind));

  it('reports every disagreement about the wire as an error', () => {
    expect(of('error')).toEqual([
      'error enum-value definitions.mode.auto ~ mode.auto: auto is 3 here, 2 in YNL',
      'error type main.second ~ main-attrs.second: second is u16 here, u32 in YNL',
      'error byte-order main.port ~ main-attrs.port: port is big-endian here, host order in YNL',
      "error struct-size definitions.pair ~ pair: struct pair is 9 bytes here, 16 in the C layout of YNL's pair",
      'error message-value messages.getthing ~ operations.getthing: getthing is 103 here, 102 in YNL',
    ]);
  });

  it('pairs differently named sets through nests and tells names, one-sided attributes apart', () => {
    expect(counts).toEqual({ messages: 2, sets: 2, attributes: 7, structs: 2, enums: 2, operations: 0 });
    expect(of('name')).toEqual(['name attribute in.leafName ~ in-attrs.leaf: attribute 1: leafName here, leaf in YNL']);
    expect(of('only-ynl')).toEqual(['only-ynl attribute main ~ main-attrs.theirs: attribute theirs (8) is not in set main']);
    expect(of('only-ours')).toEqual(['only-ours attribute main.ours ~ main-attrs: attribute ours (9) is not in YNL set main-attrs']);
  });

  it('reads implicit values: attribute ids from 1, enum values from 0, flags as bit numbers', () => {
    // stable-privacy is bit 2 (4) and 'first' id 1: no finding for either.
    expect(findings.filter((f) => /stable|first/.test(f.ours))).toEqual([]);
  });

  it('turns a README-listed YNL error into known-ynl, and reports README entries it cannot place', () => {
    const readme = [
      "Where these files disagree with what the kernel really sends, the kernel's C code is right:",
      '- `main.port` is host order here; the kernel sends network order',
      '- something new the checker has no rule for',
      'Struct members are listed without padding.',
    ].join('\n');
    expect(readmeErrors(readme)).toEqual([
      'main.port is host order here; the kernel sends network order',
      'something new the checker has no rule for',
    ]);
    const rules = [
      { key: 'main.port', family: 't-fam', ynl: /^main-attrs\.port$/, codes: ['byte-order'] },
      { key: 'rule the README no longer lists', family: 't-fam', ynl: /./, codes: ['type'] },
    ];
    const known = KnownYnlErrors.fromReadme(readme, [], rules);
    const r = checkFamily(ours, parse(YAML), known);
    expect(r.findings.find((f) => f.code === 'byte-order')?.kind).toBe('known-ynl');
    expect(show(known.leftovers(['t-fam']))).toEqual([
      'stale known-ynl  ~ README.md: README lists a YNL error scripts/ynl-model.ts has no rule for: something new the checker has no rule for',
    ]);
  });

  it('reports a known-error rule that explains nothing any more as stale', () => {
    const known = new KnownYnlErrors([{ key: 'fixed upstream', family: 't-fam', ynl: /^nothing$/, codes: ['type'] }]);
    checkFamily(ours, parse(YAML), known);
    expect(show(known.leftovers(['t-fam']))).toEqual([
      'stale known-ynl  ~ README.md: known YNL error "fixed upstream" explains no disagreement any more',
    ]);
  });

  it('does not pass when nothing was compared', () => {
    const counts = { messages: 0, sets: 0, attributes: 0, structs: 0, enums: 0, operations: 0 };
    expect(passes({ findings: [], counts, compared: [], withoutYnl: [] })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Operations: names, do/dump forms, request and reply messages and attribute lists, notifications

const withOps = defineFamily({
  name: 'o-fam',
  protocol: 0,
  definitions: { hdr: { type: 'struct', members: [{ name: 'index', type: 'u32' }] } },
  attributeSets: {
    main: {
      attributes: [
        { name: 'name', value: 1, type: 'string' },
        { name: 'mtu', value: 2, type: 'u32' },
        { name: 'filter', value: 3, type: 'u32' },
        { name: 'stats', value: 4, type: 'binary' },
      ],
    },
  },
  messages: {
    newthing: { value: 100, header: 'hdr', attributes: 'main' },
    delthing: { value: 101, header: 'hdr', attributes: 'main' },
    getthing: { value: 102, header: 'hdr', attributes: 'main' },
  },
  mcastGroups: [{ name: 'things', value: 7 }],
  operations: {
    newthing: {
      do: { request: { message: 'newthing', attributes: ['name', 'mtu'] } },
      dump: { request: { message: 'newthing', attributes: [] } }, // no dump in YNL
    },
    getthing: {
      do: { request: { message: 'getthing', attributes: ['name'] }, reply: { message: 'newthing', attributes: ['name', 'mtu', 'stats'] } },
      dump: { request: { message: 'getthing', attributes: ['filter'] }, reply: { message: 'getthing', attributes: ['name', 'mtu', 'stats'] } },
    },
    newthingNtf: { event: { message: 'newthing', attributes: ['name'] }, mcgrp: 'things' },
    ourOwn: { do: { request: { message: 'delthing', attributes: ['name'] } } },
  },
});

const OPS_YAML = `
name: o-fam
protocol: netlink-raw
protonum: 0
definitions:
  - { name: hdr, type: struct, members: [ { name: index, type: u32 } ] }
attribute-sets:
  - name: main-attrs
    attributes:
      - { name: name, type: string }
      - { name: mtu, type: u32 }
      - { name: filter, type: u32 }
      - { name: stats, type: binary }
operations:
  enum-model: directional
  fixed-header: hdr
  list:
    - name: newthing
      attribute-set: main-attrs
      do: { request: { value: 100, attributes: [ name, mtu ] } }
    - name: newthing-ntf
      value: 100
      notify: getthing
    - name: getthing
      attribute-set: main-attrs
      do:
        request: { value: 102, attributes: [ name, mtu ] }
        reply: { value: 100, attributes: &all [ name, mtu, stats ] }
      dump:
        request: { attributes: [] }
        reply: { value: 100, attributes: *all }
    - name: delthing
      attribute-set: main-attrs
      do: { request: { value: 101, attributes: [ name ] } }
mcast-groups:
  list:
    - { name: rtnlgrp-things, value: 7 }
`;

describe('scripts/check-ynl.ts: operations', () => {
  const kinds = (r: ReturnType<typeof checkFamily>, kind: Finding['kind']) =>
    show(r.findings.filter((f) => f.kind === kind && /^op|^operation/.test(f.code)));
  const r = checkFamily(withOps, parse(OPS_YAML));

  it('compares every operation and counts them', () => {
    expect(r.counts.operations).toBe(3);
  });

  it('reports lists, forms and messages that disagree as errors', () => {
    expect(kinds(r, 'error')).toEqual([
      'error op-mode operations.newthing.dump ~ operations.newthing: newthing has a dump form here, none in YNL',
      "error op-attribute operations.newthingNtf.event ~ operations.newthing-ntf.notify: newthingNtf event: mtu is in YNL's list, not here",
      "error op-attribute operations.newthingNtf.event ~ operations.newthing-ntf.notify: newthingNtf event: stats is in YNL's list, not here",
      "error op-attribute operations.getthing.do.request ~ operations.getthing.do.request: getthing do request: mtu is in YNL's list, not here",
      "error op-attribute operations.getthing.dump.request ~ operations.getthing.dump.request: getthing dump request: filter is listed here, not in YNL's",
      'error op-message operations.getthing.dump.reply ~ operations.getthing.dump.reply: getthing dump reply is getthing (102) here, 100 in YNL',
    ]);
  });

  it('tells operations only one side has', () => {
    expect(kinds(r, 'only-ynl')).toEqual(['only-ynl operation  ~ operations.delthing: YNL operation delthing is not here']);
    expect(kinds(r, 'only-ours')).toEqual(['only-ours operation operations.ourOwn ~ : operation ourOwn is not in the YNL spec']);
  });

  it('a checked rule turns a list YNL gets wrong into known-ynl, naming its evidence; an unused one is stale', () => {
    const rules = [
      {
        key: 'getthing dumps filter',
        family: 'o-fam',
        ynl: /^operations\.getthing\.dump\.request$/,
        codes: ['op-attribute'],
        message: /: filter is listed here/,
        evidence: 'a kernel source line',
      },
      { key: 'never matches', family: 'o-fam', ynl: /^operations\.nothing/, codes: ['op-attribute'], evidence: 'none' },
    ];
    const known = new KnownYnlErrors(rules);
    const k = checkFamily(withOps, parse(OPS_YAML), known);
    expect(show(k.findings.filter((f) => f.kind === 'known-ynl'))).toEqual([
      "known-ynl op-attribute operations.getthing.dump.request ~ operations.getthing.dump.request: getthing dump request: filter is listed here, not in YNL's (checked: getthing dumps filter, a kernel source line)",
    ]);
    expect(show(known.leftovers(['o-fam']))).toEqual([
      'stale known-ynl  ~ README.md: known YNL error "never matches" explains no disagreement any more',
    ]);
  });

  it("pairs each operation's messages with its own attribute-set and fixed-header", () => {
    const yaml = OPS_YAML.replace('attribute-sets:', 'attribute-sets:\n  - { name: stats-attrs, attributes: [ { name: name, type: u32 } ] }')
      .replace('definitions:', 'definitions:\n  - { name: wide, type: struct, members: [ { name: index, type: u64 } ] }')
      .replace('- name: getthing\n      attribute-set: main-attrs', '- name: getthing\n      attribute-set: stats-attrs\n      fixed-header: wide');
    const errors = show(checkFamily(withOps, parse(yaml)).findings.filter((f) => f.kind === 'error' && /struct-size|type/.test(f.code)));
    expect(errors).toEqual([
      "error struct-size definitions.hdr ~ wide: struct hdr is 4 bytes here, 8 in the C layout of YNL's wide",
      'error type main.name ~ stats-attrs.name: name is string here, u32 in YNL',
    ]);
  });

  it('a family without operations is not compared operation by operation', () => {
    const { findings } = checkFamily({ ...withOps, operations: undefined } as FamilySpec, parse(OPS_YAML));
    expect(findings.filter((f) => /^op/.test(f.code))).toEqual([]);
  });
});
