/**
 * Stamped address requests (address-stamps.ts, codec/template.ts) are byte for byte what the
 * spec encoder makes of the same { header, attrs }, for any address, prefix, flags, scope and
 * link; and a kernel error on one shows the request decoded, not as bytes.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressApi } from '../../src/api/addresses.js';
import { ADDRESS_SHAPES, AddressStamps, shapeMessage } from '../../src/api/address-stamps.js';
import type { LinkApi } from '../../src/api/links.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { formatIPv4, formatIPv6 } from '../../src/codec/values.js';
import { messageStamper } from '../../src/codec/stamper.js';
import { MessageTemplate } from '../../src/codec/template.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { fakeKernel } from '../support/fake-kernel.js';

const codec = rtnetlinkCodec();

const addressArb = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));
const text = (b: Uint8Array) => (b.length === 4 ? formatIPv4(b, 0) : formatIPv6(b, 0));
const fam = (b: Uint8Array) => (b.length === 4 ? 'inet' : 'inet6') as 'inet' | 'inet6';

describe('stamped address requests', () => {
  it('RTM_NEWADDR: the same bytes as the encoder makes of header and attributes', () => {
    const stamps = new AddressStamps();
    fc.assert(
      fc.property(
        addressArb,
        fc.nat(128),
        fc.nat(0x3ff),
        fc.nat(255),
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.nat(0xffff),
        (addr, plen, flags, scope, index, seq) => {
          const prefixlen = Math.min(plen, addr.length * 8);
          const a = text(addr);
          const attrs = fam(addr) === 'inet' ? { local: a, address: a, flags } : { address: a, flags };
          const generic = codec.encode({
            kind: 'newaddr',
            flags: 0x605,
            seq,
            header: { family: fam(addr), prefixlen, flags: flags & 0xff, scope, index },
            attrs,
          });
          const stamped = codec.encode({ kind: 'newaddr', flags: 0x605, seq, encoded: stamps.add(fam(addr), addr, prefixlen, flags, scope, index) });
          expect(stamped).toEqual(generic);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('RTM_DELADDR: the same bytes, with and without IFA_ADDRESS for IPv4', () => {
    const stamps = new AddressStamps();
    fc.assert(
      fc.property(addressArb, fc.nat(128), fc.integer({ min: 1, max: 0x7fffffff }), fc.boolean(), (addr, plen, index, withAddress) => {
        const prefixlen = Math.min(plen, addr.length * 8);
        const a = text(addr);
        const attrs = fam(addr) === 'inet6' ? { address: a } : withAddress ? { local: a, address: a } : { local: a };
        const generic = codec.encode({
          kind: 'deladdr',
          flags: 5,
          seq: 9,
          header: { family: fam(addr), prefixlen, flags: 0, scope: 0, index },
          attrs,
        });
        const stamped = codec.encode({ kind: 'deladdr', flags: 5, seq: 9, encoded: stamps.delete(fam(addr), addr, prefixlen, index, withAddress) });
        expect(stamped).toEqual(generic);
      }),
      { numRuns: 1000 },
    );
  });

  it('every generated shape stamps what the run-time stamper makes from its plan (codec/stamper.ts, the reference)', () => {
    const stamps = new AddressStamps();
    const reference = Object.fromEntries(
      Object.entries(ADDRESS_SHAPES).map(([name, shape]) => {
        const { msg, fields } = shapeMessage(shape);
        return [name, messageStamper(codec, msg, fields)];
      }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.nat(128), fc.nat(0x3ff), fc.nat(255), fc.integer({ min: 1, max: 0x7fffffff }), (v4, plen, flags, scope, index) => {
        const a = new Uint8Array(v4 ? 4 : 16).map((_, i) => (i * 37 + plen) & 255);
        const fam = v4 ? 'inet' : 'inet6';
        const add = v4 ? reference.add4!(plen, flags, scope, index, a, a, flags) : reference.add6!(plen, flags, scope, index, a, flags);
        expect(stamps.add(fam, a, plen, flags, scope, index)).toEqual(add);
        const del = v4 ? reference.del4!(plen, index, a) : reference.del6!(plen, index, a);
        expect(stamps.delete(fam, a, plen, index, false)).toEqual(del);
        if (v4) expect(stamps.delete(fam, a, plen, index, true)).toEqual(reference.del4a!(plen, index, a, a));
      }),
      { numRuns: 300 },
    );
    expect(() => stamps.add('inet', new Uint8Array(16), 24, 0, 0, 1)).toThrow(/stamp of newaddr: attrs.local must be 4 bytes/);
  });

  it('stamps generate no code at run time: they work under node --disallow-code-generation-from-strings', () => {
    const module = (f: string) => JSON.stringify(new URL(`../../src/${f}`, import.meta.url).href);
    const script = `
      const { AddressStamps } = await import(${module('api/address-stamps.ts')});
      const { rtnetlinkCodec } = await import(${module('api/rtnetlink-codec.ts')});
      const { messageStamper } = await import(${module('codec/stamper.ts')});
      const a = new AddressStamps().add('inet', Uint8Array.of(10, 0, 0, 1), 24, 0, 0, 3);
      const msg = { kind: 'deladdr', header: { family: 'inet', prefixlen: 0, index: 0 }, attrs: { local: '0.0.0.0' } };
      const d = messageStamper(rtnetlinkCodec(), msg, ['header.index', ['attrs.local', 4]])(5, Uint8Array.of(1, 2, 3, 4));
      console.log(a.length, d.length);`;
    const args = ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script];
    expect(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim()).toBe('48 32');
  });

  it('stamps are independent copies', () => {
    const stamps = new AddressStamps();
    const a = stamps.add('inet', Uint8Array.of(10, 0, 0, 1), 24, 0, 0, 5);
    const b = stamps.add('inet', Uint8Array.of(10, 0, 0, 2), 32, 0, 0, 6);
    expect(codec.decode(a)[0]!.attrs!.local).toBe('10.0.0.1');
    expect(codec.decode(b)[0]!.attrs!.local).toBe('10.0.0.2');
    expect(codec.decode(a)[0]!.header!.index).toBe(5);
  });

  it('a template refuses a field the spec lays out otherwise', () => {
    const t = new MessageTemplate(codec, {
      kind: 'newaddr',
      header: { family: 'inet', prefixlen: 0, flags: 0, scope: 0, index: 0 },
      attrs: { local: '0.0.0.0' },
    });
    expect(t.field('header.index', 4)).toBe(20);
    expect(() => t.field('header.index', 2)).toThrow(/header.index of newaddr is 4 bytes, not 2/);
    expect(() => t.field('attrs.address', 4)).toThrow(/has no field attrs.address/);
  });

  it('the encoder refuses an encoded message that is not one whole message', () => {
    expect(() => codec.encode({ kind: 'newaddr', encoded: new Uint8Array(8) })).toThrow(/one whole message/);
    const bad = new Uint8Array(20);
    bad[0] = 40;
    expect(() => codec.encode({ kind: 'newaddr', encoded: bad })).toThrow(/nlmsg_len 40, 20 bytes/);
  });

  it("a Connection sends an encoded request as the encoder would, without touching the caller's bytes", async () => {
    const ack = (sent: Uint8Array) => {
      const b = new Uint8Array(36);
      b.set([36, 0, 0, 0, 2, 0, 0, 0]);
      b.set(sent.subarray(8, 16), 8); // seq, pid
      b.set(sent.subarray(0, 16), 20);
      return b;
    };
    const t = new ScriptedTransport((sent, reply) => reply(ack(sent)));
    const conn = new Connection(t, codec, { timeoutMs: 2000 });
    try {
      const aligned = new AddressStamps().add('inet', new Uint8Array([10, 1, 2, 3]), 24, 0x80, 0, 7);
      const before = aligned.slice();
      // A 20-byte message followed by one byte of padding: allowed, and padded to 24 when sent.
      const unaligned = new Uint8Array(21);
      unaligned.set(codec.encode({ kind: 'getlink', header: { family: 0 } }).subarray(0, 20));
      unaligned[0] = 20;
      for (const encoded of [aligned, unaligned]) {
        await conn.request({ kind: 'newaddr', flags: 0x600, encoded });
        const sent = t.sent.at(-1)!;
        const seq = new DataView(sent.buffer, sent.byteOffset).getUint32(8, true);
        expect(sent).toEqual(codec.encode({ kind: 'newaddr', flags: 0x600 | 0x5, seq, encoded }));
      }
      expect(aligned).toEqual(before);
      await expect(conn.request({ kind: 'newaddr', encoded: new Uint8Array(8) })).rejects.toThrow(/one whole message/);
      expect(t.sent).toHaveLength(2);
    } finally {
      conn.close();
    }
  });

  it('a kernel refusal of a stamped request shows the request by name', async () => {
    const { transport } = fakeKernel(codec, 'newaddr', () => ({ errno: 17, msg: 'address exists' }));
    const conn = new Connection(transport, codec, { timeoutMs: 2000 });
    const links = { indexNow: (ref: unknown) => (typeof ref === 'number' ? ref : undefined), staleIndex: () => false };
    const api = new AddressApi(conn, links as unknown as LinkApi);
    const err = await api.add('10.0.0.1/24', { link: 5 }).catch((e) => e);
    expect(isNetlinkError(err)).toBe(true);
    expect(err.code).toBe('EEXIST');
    expect(err.operation).toBe('newaddr');
    expect(err.request).toMatchObject({
      kind: 'newaddr',
      header: { family: 'inet', prefixlen: 24, index: 5 },
      attrs: { local: '10.0.0.1', address: '10.0.0.1' },
    });
    expect(err.request.encoded).toBeUndefined();
    const [res] = await api.addBatch([{ cidr: '2001:db8::1/64', link: 5 }]);
    expect(res!.ok).toBe(false);
    const e2 = (res as { error: any }).error;
    expect(e2.request).toMatchObject({ header: { family: 'inet6', prefixlen: 64, index: 5 }, attrs: { address: '2001:db8::1' } });
  });
});
