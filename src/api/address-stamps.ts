/**
 * RTM_NEWADDR / RTM_DELADDR of the common shapes (an address on a link, nothing else), stamped
 * (codec/stamper.ts) from templates the spec encoder made once, on first use: bulk adds and
 * deletes differ in the address, prefix length and link only. The bytes are those
 * address-requests.ts would have the encoder build from { header, attrs } (a test compares them);
 * other shapes go that way. Here: which shapes, and which fields of them change.
 */
import type { ProtocolCodec } from '../codec/message.js';
import { type Stamp, messageStamper } from '../codec/stamper.js';
import type { Family } from './validate.js';

type Kind = 'newaddr' | 'deladdr';

/**
 * The stamp of one shape: an ifaddrmsg with prefixlen, (flags, scope,) index stamped, and the
 * attributes named, their values stamped too (addresses by family size, IFA_FLAGS a u32).
 */
function shape(codec: ProtocolCodec, kind: Kind, family: Family, header: readonly string[], attrs: readonly string[]): Stamp {
  const zero = family === 'inet' ? '0.0.0.0' : '::';
  const size = family === 'inet' ? 4 : 16;
  const values: Record<string, unknown> = {};
  for (const a of attrs) values[a] = a === 'flags' ? 0 : zero;
  const msg = { kind, header: { family, prefixlen: 0, flags: 0, scope: 0, index: 0 }, attrs: values };
  const fields = [...header.map((h) => `header.${h}`), ...attrs.map((a) => (a === 'flags' ? 'attrs.flags' : ([`attrs.${a}`, size] as const)))];
  return messageStamper(codec, msg, fields);
}

const ADD_HEADER = ['prefixlen', 'flags', 'scope', 'index'] as const;
const DEL_HEADER = ['prefixlen', 'index'] as const;

export class AddressStamps {
  #add4: Stamp | undefined;
  #add6: Stamp | undefined;
  #del4: Stamp | undefined;
  #del4a: Stamp | undefined;
  #del6: Stamp | undefined;

  constructor(private readonly codec: ProtocolCodec) {}

  /**
   * RTM_NEWADDR as prepareAdd builds it without peer, label, broadcast, anycast, lifetimes,
   * metric or proto: IPv4 IFA_LOCAL = IFA_ADDRESS = the address, IPv6 IFA_ADDRESS; IFA_FLAGS.
   */
  add(family: Family, address: Uint8Array, prefixlen: number, flags: number, scope: number, index: number): Uint8Array {
    if (family === 'inet') {
      const s = (this.#add4 ??= shape(this.codec, 'newaddr', family, ADD_HEADER, ['local', 'address', 'flags']));
      return s(prefixlen, flags, scope, index, address, address, flags); // the header keeps the low 8 bits of flags
    }
    const s = (this.#add6 ??= shape(this.codec, 'newaddr', family, ADD_HEADER, ['address', 'flags']));
    return s(prefixlen, flags, scope, index, address, flags);
  }

  /** RTM_DELADDR without a peer: IPv4 IFA_LOCAL (and IFA_ADDRESS when the prefix was given), IPv6 IFA_ADDRESS. */
  delete(family: Family, address: Uint8Array, prefixlen: number, index: number, withAddress: boolean): Uint8Array {
    if (family === 'inet6') return (this.#del6 ??= shape(this.codec, 'deladdr', family, DEL_HEADER, ['address']))(prefixlen, index, address);
    if (withAddress) {
      return (this.#del4a ??= shape(this.codec, 'deladdr', family, DEL_HEADER, ['local', 'address']))(prefixlen, index, address, address);
    }
    return (this.#del4 ??= shape(this.codec, 'deladdr', family, DEL_HEADER, ['local']))(prefixlen, index, address);
  }
}
