/**
 * Every entry of the printers' name tables, in text and JSON: flags, enums, address families, link
 * types, iproute2's name files' built-in names, and values no table knows. Expected output is
 * fixtures/format-tables.json, written in ip's (6.1) and ethtool's (6.1) words; the route cache
 * flags there are linux/in_route.h's RTCF_* bits with ip's print_cache_flags names.
 * A live check of what those cases stand for is route-cache.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The built-in names only, whatever /etc/iproute2 holds on this host (read when names.ts loads).
process.env.NLTS_IPROUTE2_CONFDIR = '/nonexistent';
const { CASES } = await import('./support/table-cases.js');

const expected = JSON.parse(readFileSync(new URL('./fixtures/format-tables.json', import.meta.url), 'utf8')) as Record<string, string>;

describe("ip's words for what the codec names", () => {
  it('has an expectation for every case', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const [name, run] of Object.entries(CASES)) it(name, () => expect(run()).toBe(expected[name]));
});
