/**
 * `ip address show`: one address line (iproute2 6.1 print_addrinfo) and its filters.
 */
import { rtAddrSpec } from '../../../protocol/rt-addr.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { scopeName } from '../names.js';
import type { Printer } from './printer.js';
import { attrs, enumNum, flagsNum } from './values.js';

const D = rtAddrSpec.definitions as Record<string, any>;
const SCOPES = { universe: 0, global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as Record<string, number>;
const FOREVER = 0xffffffff;

/** ifa_flag_names: name and bit, in ip's order (secondary and temporary share a bit). */
const FLAG_NAMES: [string, number][] = [
  ['secondary', 0x01],
  ['temporary', 0x01],
  ['nodad', 0x02],
  ['optimistic', 0x04],
  ['dadfailed', 0x08],
  ['home', 0x10],
  ['deprecated', 0x20],
  ['tentative', 0x40],
  ['permanent', 0x80],
  ['mngtmpaddr', 0x100],
  ['noprefixroute', 0x200],
  ['autojoin', 0x400],
  ['stable-privacy', 0x800],
];

export function addressFlagBit(name: string): number | undefined {
  return FLAG_NAMES.find(([n]) => n === name)?.[1];
}

/** IFA_FLAGS when present, else the header's 8 bits. */
export function addressFlags(m: NetlinkMessage): number {
  const a = attrs(m.attrs);
  const h = attrs(m.header);
  const def = D['ifa-flags'];
  return a.flags !== undefined ? flagsNum(def, a.flags) : flagsNum(def, h.flags);
}

export function addressScope(m: NetlinkMessage): number {
  const v = attrs(m.header).scope;
  if (typeof v === 'number') return v;
  return SCOPES[v as string] ?? 0;
}

export function addressFamily(m: NetlinkMessage): string | number {
  return attrs(m.header).family as string | number;
}

/** The interface's own address: IFA_LOCAL, else IFA_ADDRESS. */
export function addressLocal(m: NetlinkMessage): string | undefined {
  const a = attrs(m.attrs);
  return (a.local ?? a.address) as string | undefined;
}

export function printAddress(p: Printer, m: NetlinkMessage): void {
  const h = attrs(m.header);
  const a = attrs(m.attrs);
  const family = h.family;
  const flags = addressFlags(m);
  if (m.kind === 'deladdr') p.any('deleted', true, 'Deleted ');
  if (family === 'inet' || family === 'inet6') p.any('family', family, `    ${family} `);
  else p.any('family_index', enumNum(D['address-family'], family), `    family ${enumNum(D['address-family'], family)} `);
  const local = a.local ?? a.address;
  const peer = a.local !== undefined && a.address !== undefined && a.address !== a.local ? a.address : undefined;
  if (local !== undefined) {
    p.any('local', local, String(local));
    if (peer !== undefined) {
      p.text(' peer ');
      p.any('address', peer, String(peer));
    }
    p.any('prefixlen', h.prefixlen, `/${h.prefixlen} `);
  }
  if (a.rtPriority !== undefined) p.any('metric', a.rtPriority, `metric ${a.rtPriority} `);
  if (a.broadcast !== undefined) {
    p.text('brd ');
    p.any('broadcast', a.broadcast, `${a.broadcast} `);
  }
  if (a.anycast !== undefined) {
    p.text('any ');
    p.any('anycast', a.anycast, `${a.anycast} `);
  }
  const scope = scopeName(addressScope(m));
  p.any('scope', scope, `scope ${scope} `);
  printFlags(p, family, flags);
  if (a.label !== undefined) p.any('label', a.label, a.label);
  const ci = attrs(a.cacheinfo);
  if (a.cacheinfo !== undefined) {
    p.text('\n       valid_lft ');
    if (ci.valid === FOREVER) {
      p.jsonOnly('valid_life_time', FOREVER);
      p.text('forever');
    } else p.any('valid_life_time', ci.valid, `${ci.valid}sec`);
    p.text(' preferred_lft ');
    if (ci.prefered === FOREVER) {
      p.jsonOnly('preferred_life_time', FOREVER);
      p.text('forever');
    } else if (flags & 0x20) p.any('preferred_life_time', ci.prefered | 0, `${ci.prefered | 0}sec`);
    else p.any('preferred_life_time', ci.prefered, `${ci.prefered}sec`);
  }
  p.text('\n');
}

function printFlags(p: Printer, family: unknown, flagsIn: number): void {
  let flags = flagsIn;
  for (const [name, mask] of FLAG_NAMES) {
    if (mask === 0x80) {
      if (!(flags & mask)) p.any('dynamic', true, 'dynamic ');
    } else if (flags & mask) {
      if (mask === 0x01 && family === 'inet6') p.any('temporary', true, 'temporary ');
      else {
        p.text(`${name} `);
        p.jsonOnly(name, true);
      }
    }
    flags &= ~mask;
  }
  if (flags) {
    const hex = flags.toString(16).padStart(2, '0');
    p.jsonOnly('ifa_flags', hex);
    p.text(`flags ${hex} `);
  }
}
