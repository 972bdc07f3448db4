/**
 * `ip address show`: one address line (iproute2 6.1 print_addrinfo) and its filters.
 */
import { rtAddrSpec } from '../../../protocol/rt-addr.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { scopeName } from '../names.js';
import type { Printer } from './printer.js';
import { attrs, enumNum, flagsNum } from './values.js';

const D = rtAddrSpec.definitions;
const IFA_F = D['ifa-flags'].entries;
const FOREVER = 0xffffffff;

/**
 * Presentation: ip's words (ifa_flag_names) for the IFA_F_* flags whose spec name (the kernel's)
 * differs. ip lists the flags in the spec's order, IFA_F_SECONDARY as "temporary" for IPv6.
 */
const FLAG_WORDS: Readonly<Record<string, string>> = {
  homeaddress: 'home',
  managetempaddr: 'mngtmpaddr',
  mcautojoin: 'autojoin',
  stable_privacy: 'stable-privacy',
};
/** [ip's word, bit] in ip's order (secondary and temporary share a bit). */
const FLAG_NAMES: readonly (readonly [string, number])[] = Object.entries(IFA_F).map(([name, bit]) => [FLAG_WORDS[name] ?? name, bit]);

export function addressFlagBit(name: string): number | undefined {
  return FLAG_NAMES.find(([n]) => n === name)?.[1];
}

/** IFA_FLAGS when present, else the header's 8 bits. */
export function addressFlags(m: NetlinkMessage): number {
  const a = attrs(m.attrs);
  const h = attrs(m.header);
  return a.flags !== undefined ? flagsNum(D['ifa-flags'], a.flags) : flagsNum(D['ifa-flags'], h.flags);
}

export function addressScope(m: NetlinkMessage): number {
  return enumNum(D['rt-scope'], attrs(m.header).scope);
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
    } else if (flags & IFA_F.deprecated) p.any('preferred_life_time', ci.prefered | 0, `${ci.prefered | 0}sec`);
    else p.any('preferred_life_time', ci.prefered, `${ci.prefered}sec`);
  }
  p.text('\n');
}

function printFlags(p: Printer, family: unknown, flagsIn: number): void {
  let flags = flagsIn;
  for (const [name, mask] of FLAG_NAMES) {
    if (mask === IFA_F.permanent) {
      if (!(flags & mask)) p.any('dynamic', true, 'dynamic ');
    } else if (flags & mask) {
      if (mask === IFA_F.secondary && family === 'inet6') p.any('temporary', true, 'temporary ');
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
