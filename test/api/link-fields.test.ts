/**
 * LINK_ATTRS is the one table of the fields a Link copies from attributes: toLink copies exactly
 * those (its stores are written out for V8, so this holds them to the table), and LINK_FIELDS,
 * what a link dump decodes, selects what toLink reads.
 */
import { describe, expect, it } from 'vitest';
import { LINK_ATTRS, LINK_FIELDS, toLink } from '../../src/api/link-fields.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import type { NetlinkMessage } from '../../src/codec/message.js';

/** A value for each table attribute, distinct enough to tell a copy from a mix-up. */
function sample(attr: string, i: number): unknown {
  if (attr === 'carrier') return 1;
  if (['qdisc', 'ifalias'].includes(attr)) return `s${i}`;
  if (['address', 'broadcast', 'permAddress'].includes(attr)) return `02:00:00:00:00:${(i + 16).toString(16)}`;
  if (attr === 'operstate') return 'up';
  if (attr === 'linkmode') return 'dormant';
  return 1000 + i;
}

const entries = Object.entries(LINK_ATTRS).map(([field, from]) => ({ field, attr: typeof from === 'string' ? from : from.attr }));
const FIXED = ['index', 'name', 'type', 'flags', 'up', 'lowerUp', 'altnames'];

function linkWith(attrs: Record<string, unknown>): NetlinkMessage {
  const codec = rtnetlinkCodec();
  const header = { family: 0, type: 'ether', index: 3, flags: ['up'], change: 0 };
  const bytes = codec.encode({ kind: 'newlink', header, attrs: { ifname: 'x0', ...attrs } });
  return codec.decode(bytes)[0]!;
}

describe('LINK_ATTRS, toLink and LINK_FIELDS', () => {
  it('toLink copies every attribute of the table into its field, and nothing when it is absent', () => {
    const attrs = Object.fromEntries(entries.map(({ attr }, i) => [attr, sample(attr, i)]));
    const m = linkWith(attrs);
    const link = toLink(m) as unknown as Record<string, unknown>;
    for (const { field, attr } of entries) {
      const want = field === 'carrier' ? true : m.attrs![attr];
      expect(link[field], `${field} <- ${attr}`).toEqual(want);
    }
    expect(Object.keys(link).sort()).toEqual([...FIXED, ...entries.map((e) => e.field)].sort());
    const none = toLink(linkWith({})) as unknown as Record<string, unknown>;
    expect(Object.keys(none).sort()).toEqual([...FIXED].sort());
  });

  it('keeps the table order in the Link (named stores in table order)', () => {
    const attrs = Object.fromEntries(entries.map(({ attr }, i) => [attr, sample(attr, i)]));
    expect(Object.keys(toLink(linkWith(attrs))).slice(FIXED.length)).toEqual(entries.map((e) => e.field));
  });

  it('LINK_FIELDS selects each table attribute and what toLink reads besides', () => {
    for (const { attr } of entries) expect(LINK_FIELDS, attr).toHaveProperty(attr, true);
    expect(LINK_FIELDS).toMatchObject({ ifname: true, stats64: true, linkinfo: true, propList: true, afSpec: { inet6: { addrGenMode: true } } });
  });
});
