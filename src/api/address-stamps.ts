/**
 * RTM_NEWADDR / RTM_DELADDR of the common shapes (an address on a link, nothing else), stamped
 * from templates the spec encoder made: bulk adds and deletes differ in the address, prefix length
 * and link only. The stamps are generated at build time (scripts/gen-stamps.ts, from
 * ADDRESS_SHAPES below, into src/generated/stamps/address.ts: the template's bytes and each field's
 * offset as constants), so the first add of a process compiles no spec and generates no code. The
 * bytes are those address-requests.ts would have the encoder build from { header, attrs } (a test
 * compares them); other shapes go that way. Here: which shapes, and which fields of them change.
 */
import type { OutgoingMessage } from '../codec/message.js';
import type { StampField } from '../codec/stamper.js';
import * as stamped from '../generated/stamps/address.js';
import type { Family } from './validate.js';

type Kind = 'newaddr' | 'deladdr';

const ADD_HEADER = ['prefixlen', 'flags', 'scope', 'index'] as const;
const DEL_HEADER = ['prefixlen', 'index'] as const;

/**
 * The stamped shapes, each an ifaddrmsg with prefixlen, (flags, scope,) index stamped, and the
 * attributes named, their values stamped too (addresses by family size, IFA_FLAGS a u32).
 */
export const ADDRESS_SHAPES = {
  add4: { kind: 'newaddr', family: 'inet', header: ADD_HEADER, attrs: ['local', 'address', 'flags'] },
  add6: { kind: 'newaddr', family: 'inet6', header: ADD_HEADER, attrs: ['address', 'flags'] },
  del4: { kind: 'deladdr', family: 'inet', header: DEL_HEADER, attrs: ['local'] },
  del4a: { kind: 'deladdr', family: 'inet', header: DEL_HEADER, attrs: ['local', 'address'] },
  del6: { kind: 'deladdr', family: 'inet6', header: DEL_HEADER, attrs: ['address'] },
} as const satisfies Record<string, { kind: Kind; family: Family; header: readonly string[]; attrs: readonly string[] }>;

/** A shape's message with placeholders, and its fields in stamp order: what the generator stamps (codec/stamper.ts stampPlan). */
export function shapeMessage(shape: (typeof ADDRESS_SHAPES)[keyof typeof ADDRESS_SHAPES]): {
  msg: OutgoingMessage & { kind: string };
  fields: StampField[];
} {
  const { kind, family, header, attrs } = shape;
  const zero = family === 'inet' ? '0.0.0.0' : '::';
  const size = family === 'inet' ? 4 : 16;
  const values: Record<string, unknown> = {};
  for (const a of attrs) values[a] = a === 'flags' ? 0 : zero;
  const msg = { kind, header: { family, prefixlen: 0, flags: 0, scope: 0, index: 0 }, attrs: values };
  const fields = [...header.map((h) => `header.${h}`), ...attrs.map((a) => (a === 'flags' ? 'attrs.flags' : ([`attrs.${a}`, size] as const)))];
  return { msg, fields };
}

export class AddressStamps {
  /**
   * RTM_NEWADDR as prepareAdd builds it without peer, label, broadcast, anycast, lifetimes,
   * metric or proto: IPv4 IFA_LOCAL = IFA_ADDRESS = the address, IPv6 IFA_ADDRESS; IFA_FLAGS.
   */
  add(family: Family, address: Uint8Array, prefixlen: number, flags: number, scope: number, index: number): Uint8Array {
    // The header keeps the low 8 bits of flags.
    if (family === 'inet') return stamped.add4(prefixlen, flags, scope, index, address, address, flags);
    return stamped.add6(prefixlen, flags, scope, index, address, flags);
  }

  /** RTM_DELADDR without a peer: IPv4 IFA_LOCAL (and IFA_ADDRESS when the prefix was given), IPv6 IFA_ADDRESS. */
  delete(family: Family, address: Uint8Array, prefixlen: number, index: number, withAddress: boolean): Uint8Array {
    if (family === 'inet6') return stamped.del6(prefixlen, index, address);
    if (withAddress) return stamped.del4a(prefixlen, index, address, address);
    return stamped.del4(prefixlen, index, address);
  }
}
