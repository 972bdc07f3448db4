/**
 * src/codec/operations.ts: a request kind (and whether it is a dump) finds its operation in the
 * specs; the operation says which request attributes are outside its list and gives its reply
 * attributes as an AttrSelection for the decoder.
 */
import { describe, expect, it } from 'vitest';
import { ethtoolSpec } from '../../protocol/ethtool.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import { rtnetlinkSpecs } from '../../protocol/rtnetlink.js';
import { type FamilySpec, defineFamily } from '../../protocol/spec.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { Operations } from '../../src/codec/operations.js';
import { ProtocolCodec, makeCtx } from '../../src/codec/message.js';

const toy = defineFamily({
  name: 'toy',
  protocol: 0,
  definitions: { hdr: { type: 'struct', members: [{ name: 'index', type: 'u32' }] } },
  attributeSets: {
    main: {
      attributes: [
        { name: 'name', value: 1, type: 'string' },
        { name: 'mtu', value: 2, type: 'u32' },
        { name: 'stats', value: 3, type: 'binary' },
        { name: 'filter', value: 4, type: 'u32' },
      ],
    },
  },
  messages: {
    newthing: { value: 100, header: 'hdr', attributes: 'main' },
    getthing: { value: 102, header: 'hdr', attributes: 'main' },
  },
  mcastGroups: [{ name: 'things', value: 1 }],
  operations: {
    newthing: { do: { request: { message: 'newthing', attributes: ['name', 'mtu'] } } },
    getthing: {
      do: { request: { message: 'getthing', attributes: ['name'] }, reply: { message: 'newthing', attributes: ['name', 'mtu', 'stats'] } },
      dump: { request: { message: 'getthing', attributes: ['filter'] }, reply: { message: 'newthing', attributes: ['name', 'mtu'] } },
    },
    newthingNtf: { event: { message: 'newthing', attributes: ['name', 'mtu', 'stats'] }, mcgrp: 'things' },
  },
});

describe('Operations: the operation of a request', () => {
  const ops = new Operations([toy]);

  it('finds the do and the dump form of a request kind, with their message lists', () => {
    const get = ops.find('getthing', false)!;
    expect(get).toMatchObject({ family: 'toy', name: 'getthing', mode: 'do' });
    expect(get.request.attributes).toEqual(['name']);
    expect(get.reply?.message).toBe('newthing');
    const dump = ops.find('getthing', true)!;
    expect(dump).toMatchObject({ name: 'getthing', mode: 'dump' });
    expect(dump.request.attributes).toEqual(['filter']);
    expect(ops.find('newthing', false)).toMatchObject({ name: 'newthing', mode: 'do' });
  });

  it('has nothing for a kind or mode no operation sends (a notification, a dump of newthing)', () => {
    expect(ops.find('newthing', true)).toBeUndefined();
    expect(ops.find('nosuch', false)).toBeUndefined();
    expect(() => ops.get('newthing', true)).toThrow(InvalidArgumentError);
    expect(() => ops.get('newthing', true)).toThrow(/newthing.*dump/);
  });

  it('names the request attributes outside the list: none, or each offending one', () => {
    const op = ops.get('newthing', false);
    expect(op.offending({ name: 'a', mtu: 1400 })).toEqual([]);
    expect(op.offending(undefined)).toEqual([]);
    expect(op.offending({})).toEqual([]);
    expect(op.offending({ name: 'a', stats: new Uint8Array(4), filter: 1 })).toEqual(['stats', 'filter']);
    // Attributes the spec does not name travel as `unknown` (raw, by number): never refused here.
    expect(op.offending({ name: 'a', unknown: [{ type: 99, data: new Uint8Array(0) }] })).toEqual([]);
    // A key whose value is undefined is not sent by the encoder: it is no attribute of the request.
    expect(op.offending({ name: 'a', stats: undefined })).toEqual([]);
  });

  it('check() refuses a request with an attribute its operation does not take, before anything is sent', () => {
    const op = ops.get('getthing', true);
    expect(() => op.check({ filter: 2 })).not.toThrow();
    const err = (() => {
      try {
        op.check({ filter: 2, mtu: 1 });
      } catch (e) {
        return e;
      }
    })() as InvalidArgumentError;
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.argument).toBe('attribute');
    expect(err.value).toBe('mtu');
    expect(err.message).toMatch(/getthing dump request.*takes filter/);
    expect(() => ops.get('newthing', false).check({ stats: 1, filter: 1 })).toThrow(/attributes "stats", "filter"/);
  });

  it('gives the reply attributes as one frozen AttrSelection per operation (found by identity by the decoder)', () => {
    const dump = ops.get('getthing', true);
    const sel = dump.replySelection!;
    expect(sel).toEqual({ name: true, mtu: true });
    expect(Object.isFrozen(sel)).toBe(true);
    expect(dump.replySelection).toBe(sel);
    expect(ops.get('getthing', false).replySelection).toEqual({ name: true, mtu: true, stats: true });
    expect(ops.get('newthing', false).replySelection).toBeUndefined();
  });

  it('decodes a dump reply with that selection: the attributes outside it are skipped', () => {
    const codec = new ProtocolCodec([toy]);
    const bytes = codec.encode({ kind: 'newthing', header: { index: 1 }, attrs: { name: 'x', mtu: 9, stats: new Uint8Array(2), filter: 3 } });
    const sel = ops.get('getthing', true).replySelection!;
    const [m] = codec.decode(bytes);
    expect(Object.keys(m!.attrs!).sort()).toEqual(['filter', 'mtu', 'name', 'stats']);
    const picked = codec.decodeFrame(makeCtx(bytes), 0, bytes.length, sel);
    expect(picked.attrs).toEqual({ name: 'x', mtu: 9 });
  });

  it('Operations.of() is kept per spec list; the generic netlink specs are found the same way', () => {
    const specs: readonly FamilySpec[] = [nlctrlSpec, ethtoolSpec];
    expect(Operations.of(specs)).toBe(Operations.of(specs));
    const genl = Operations.of(specs);
    expect(genl.get('getfamily', false).request.attributes).toEqual(['familyId', 'familyName']);
    expect(genl.get('getfamily', true).request.attributes).toEqual([]);
    expect(genl.get('channelsSet', false).offending({ header: {}, rxCount: 1, wanted: {} })).toEqual(['wanted']);
  });

  it('refuses specs where two operations send the same request kind in the same mode', () => {
    const twice = { ...toy, operations: { ...toy.operations, other: { do: { request: { message: 'newthing', attributes: [] } } } } };
    expect(() => new Operations([twice as FamilySpec])).toThrow(/newthing.*both newthing and other/);
  });
});

describe('Operations over the rtnetlink specs', () => {
  const ops = Operations.of(rtnetlinkSpecs);

  it('every request kind the rtnetlink API sends has its operation', () => {
    const sent: [string, boolean][] = [
      ['newlink', false],
      ['dellink', false],
      ['getlink', false],
      ['getlink', true],
      ['setlink', false],
      ['newlinkprop', false],
      ['dellinkprop', false],
      ['newaddr', false],
      ['deladdr', false],
      ['getaddr', true],
      ['newroute', false],
      ['delroute', false],
      ['getroute', false],
      ['getroute', true],
      ['newneigh', false],
      ['delneigh', false],
      ['getneigh', false],
      ['getneigh', true],
      ['getneightbl', true],
      ['setneightbl', false],
      ['newrule', false],
      ['delrule', false],
      ['getrule', true],
      ['newnsid', false],
      ['getnsid', false],
      ['getnsid', true],
    ];
    const missing = sent.filter(([kind, dump]) => ops.find(kind, dump) === undefined);
    expect(missing).toEqual([]);
  });

  it('the kernel has no do form of getrule or getneightbl (EOPNOTSUPP): neither have the specs', () => {
    expect(ops.find('getrule', false)).toBeUndefined();
    expect(ops.find('getneightbl', false)).toBeUndefined();
  });

  it('a route dump takes the kernel filters (table, oif) and refuses a typo before sending', () => {
    const dump = ops.get('getroute', true);
    expect(dump.offending({ table: 254, oif: 2 })).toEqual([]);
    expect(() => dump.check({ table: 254, dst: '10.0.0.0' })).toThrow(/attribute "dst".*getroute dump request/);
  });
});
