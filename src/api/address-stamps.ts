/**
 * RTM_NEWADDR / RTM_DELADDR of the common shapes (an address on a link, nothing else), stamped
 * from templates the spec encoder made once (codec/template.ts): bulk adds and deletes differ in
 * the address, prefix length and link only. The bytes are those addresses.ts would have the
 * encoder build from { header, attrs } (a test compares them); other shapes go that way.
 */
import { MessageTemplate, setU32 } from '../codec/template.js';
import type { ProtocolCodec } from '../codec/message.js';
import type { Family } from './validate.js';

/** Where a stamped ifaddrmsg's fields and the addresses go. */
interface Shape {
  t: MessageTemplate;
  prefixlen: number;
  flags: number;
  scope: number;
  index: number;
  /** IFA_LOCAL / IFA_ADDRESS payloads, -1 when the shape has none; IFA_FLAGS, -1 likewise. */
  local: number;
  address: number;
  attrFlags: number;
}

function shape(codec: ProtocolCodec, kind: 'newaddr' | 'deladdr', family: Family, attrs: string[]): Shape {
  const zero = family === 'inet' ? '0.0.0.0' : '::';
  const size = family === 'inet' ? 4 : 16;
  const values: Record<string, unknown> = {};
  for (const a of attrs) values[a] = a === 'flags' ? 0 : zero;
  const t = new MessageTemplate(codec, { kind, header: { family, prefixlen: 0, flags: 0, scope: 0, index: 0 }, attrs: values });
  return {
    t,
    prefixlen: t.field('header.prefixlen', 1),
    flags: t.field('header.flags', 1),
    scope: t.field('header.scope', 1),
    index: t.field('header.index', 4),
    local: attrs.includes('local') ? t.field('attrs.local', size) : -1,
    address: attrs.includes('address') ? t.field('attrs.address', size) : -1,
    attrFlags: attrs.includes('flags') ? t.field('attrs.flags', 4) : -1,
  };
}

export class AddressStamps {
  private readonly shapes = new Map<string, Shape>();

  constructor(private readonly codec: ProtocolCodec) {}

  /**
   * RTM_NEWADDR as prepareAdd builds it without peer, label, broadcast, anycast, lifetimes,
   * metric or proto: IPv4 IFA_LOCAL = IFA_ADDRESS = the address, IPv6 IFA_ADDRESS; IFA_FLAGS.
   */
  add(family: Family, address: Uint8Array, prefixlen: number, flags: number, scope: number, index: number): Uint8Array {
    const s = family === 'inet' ? this.get('add4', 'newaddr', family, ['local', 'address', 'flags']) : this.get('add6', 'newaddr', family, ['address', 'flags']);
    const b = this.fill(s, address, prefixlen, scope, index);
    b[s.flags] = flags & 0xff;
    setU32(b, s.attrFlags, flags);
    return b;
  }

  /** RTM_DELADDR without a peer: IPv4 IFA_LOCAL (and IFA_ADDRESS when the prefix was given), IPv6 IFA_ADDRESS. */
  delete(family: Family, address: Uint8Array, prefixlen: number, index: number, withAddress: boolean): Uint8Array {
    let s: Shape;
    if (family === 'inet6') s = this.get('del6', 'deladdr', family, ['address']);
    else if (withAddress) s = this.get('del4a', 'deladdr', family, ['local', 'address']);
    else s = this.get('del4', 'deladdr', family, ['local']);
    return this.fill(s, address, prefixlen, 0, index);
  }

  private get(key: string, kind: 'newaddr' | 'deladdr', family: Family, attrs: string[]): Shape {
    let s = this.shapes.get(key);
    if (s === undefined) this.shapes.set(key, (s = shape(this.codec, kind, family, attrs)));
    return s;
  }

  private fill(s: Shape, address: Uint8Array, prefixlen: number, scope: number, index: number): Uint8Array {
    const b = s.t.stamp();
    b[s.prefixlen] = prefixlen;
    b[s.scope] = scope;
    setU32(b, s.index, index);
    if (s.local >= 0) b.set(address, s.local);
    if (s.address >= 0) b.set(address, s.address);
    return b;
  }
}
