/** Address formatting: the IPv4 cache never answers with another address's text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, utf8Length } from '../../src/codec/values.js';

describe('formatIPv4', () => {
  it('matches the dotted quad for any address, however addresses collide in the cache', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 600 }), (keys) => {
        const b = new Uint8Array(4 * keys.length);
        const v = new DataView(b.buffer);
        keys.forEach((k, i) => v.setUint32(4 * i, k));
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

describe('utf8Length', () => {
  it('counts the bytes TextEncoder writes, for any string (lone surrogates included)', () => {
    const enc = new TextEncoder();
    for (const s of ['', 'eth0', 'é', '€uro', '😀', '\ud800', '\udc00x', 'a\ud83d', '\ud83d\ude00\ud83d']) expect(utf8Length(s)).toBe(enc.encode(s).length);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === enc.encode(s).length), { numRuns: 3000 });
  });
});
