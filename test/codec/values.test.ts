/** Address formatting: the IPv4 cache never answers with another address's text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { formatHwaddr, formatIPv4, formatIPv6, parseHwaddr, parseIp, utf8Length } from '../../src/codec/values.js';

describe('formatIPv4', () => {
  it('matches the dotted quad for any address, however addresses collide in the cache', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 600 }), (keys) => {
        const b = new Uint8Array(4 * keys.length);
        const v = new DataView(b.buffer);
        keys.forEach((k, i) => {
          v.setUint32(4 * i, k);
        });
        // Twice over, so that the second pass reads from the cache.
        for (let pass = 0; pass < 2; pass++) {
          keys.forEach((k, i) => {
            expect(formatIPv4(b, 4 * i)).toBe(`${k >>> 24}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`);
          });
        }
      }),
    );
  });

  it('gives the same string object for a repeated address', () => {
    const a = Uint8Array.of(192, 0, 2, 2, 10, 0, 0, 1, 192, 0, 2, 2);
    expect(formatIPv4(a, 0)).toBe('192.0.2.2');
    expect(formatIPv4(a, 4)).toBe('10.0.0.1');
    expect(formatIPv4(a, 8)).toBe(formatIPv4(a, 0));
  });
});

describe('formatIPv6', () => {
  it('compresses the longest zero run as inet_ntop does', () => {
    const b = new Uint8Array(16);
    b[0] = 0x20;
    b[1] = 0x01;
    b[2] = 0x0d;
    b[3] = 0xb8;
    b[15] = 1;
    expect(formatIPv6(b, 0)).toBe('2001:db8::1');
  });
});

describe('parsing what formatting gives', () => {
  it('an embedded dotted quad is the last 32 bits: ::1.2.3.4 is IPv4-compatible, not ::ffff:1.2.3.4', () => {
    expect([...parseIp('::1.2.3.4')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect([...parseIp('::ffff:1.2.3.4')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect([...parseIp('64:ff9b::10.0.0.1')!]).toEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
    expect(parseIp('::1.2.3')).toBeUndefined();
    expect(parseIp('::1.2.3.04')).toBeUndefined();
  });

  it('any 16 bytes formatted as IPv6 parse back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(16), (b, zeros) => {
        b.fill(0, 0, zeros); // the compressed and embedded-IPv4 forms need leading zeros
        expect([...parseIp(formatIPv6(b, 0))!]).toEqual([...b]);
      }),
      { numRuns: 3000 },
    );
  });

  it('a hardware address of any length, none included, parses back', () => {
    for (const n of [0, 1, 6, 8, 20]) {
      const b = Uint8Array.from({ length: n }, (_, i) => i * 17);
      expect([...parseHwaddr(formatHwaddr(b, 0, n))!]).toEqual([...b]);
    }
  });
});

describe('utf8Length', () => {
  it('counts the bytes TextEncoder writes, for any string (lone surrogates included)', () => {
    const enc = new TextEncoder();
    for (const s of ['', 'eth0', 'é', '€uro', '😀', '\ud800', '\udc00x', 'a\ud83d', '\ud83d\ude00\ud83d'])
      expect(utf8Length(s)).toBe(enc.encode(s).length);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === enc.encode(s).length),
      { numRuns: 3000 },
    );
  });
});

describe('ByteWriter.cstring', () => {
  it('writes what TextEncoder writes and a NUL, for any string, after any prefix and across growth', () => {
    const enc = new TextEncoder();
    const same = (s: string, pad: number) => {
      const w = new ByteWriter(4);
      w.zeros(pad);
      w.cstring(s);
      return Buffer.from(w.finish().subarray(pad)).equals(Buffer.from([...enc.encode(s), 0]));
    };
    for (const s of ['', 'eth0', 'é', 'ab€uro', '😀', '\ud800', 'x\udc00x', 'a\ud83d', '\ud83d\ude00\ud83d']) expect(same(s, 3)).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(9), (s, pad) => same(s, pad)),
      { numRuns: 3000 },
    );
  });
});
