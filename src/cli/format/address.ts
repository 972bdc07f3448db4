/**
 * `ip address show`: one address line (iproute2 6.1 print_addrinfo) and its filters.
 */
import { rtAddrSpec } from '../../../protocol/rt-addr.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { scopeName } from '../names.js';
import type { Printer } from './printer.js';
import { addrText, attrs, attrsOf, enumNum, flagsNum, headerOf } from './values.js';

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
  const a = attrsOf(m, 'newaddr');
  const h = headerOf(m, 'newaddr');
  return a.flags !== undefined ? flagsNum(D['ifa-flags'], a.flags) : flagsNum(D['ifa-flags'], h.flags);
}

export function addressScope(m: NetlinkMessage): number {
  return enumNum(D['rt-scope'], headerOf(m, 'newaddr').scope);
}

export function addressFamily(m: NetlinkMessage): string | number {
  return headerOf(m, 'newaddr').family;
}

/** The interface's own address: IFA_LOCAL, else IFA_ADDRESS. */
export function addressLocal(m: NetlinkMessage): string | Uint8Array | undefined {
  const a = attrsOf(m, 'newaddr');
  return a.local ?? a.address;
}

export function printAddress(p: Printer, m: NetlinkMessage): void {
  const h = headerOf(m, 'newaddr');
  const a = attrsOf(m, 'newaddr');
  const family = h.family;
  const flags = addressFlags(m);
  if (m.kind === 'deladdr') p.any('deleted', true, 'Deleted ');
  if (family === 'inet' || family === 'inet6') p.any('family', family, `    ${family} `);
  else p.any('family_index', enumNum(D['address-family'], family), `    family ${enumNum(D['address-family'], family)} `);
  const local = a.local ?? a.address;
  const peer = a.local !== undefined && a.address !== undefined && a.address !== a.local ? a.address : undefined;
  if (local !== undefined) {
    const l = addrText(local);
    p.any('local', l, l);
    if (peer !== undefined) {
      p.text(' peer ');
      const s = addrText(peer);
      p.any('address', s, s);
    }
    p.any('prefixlen', h.prefixlen, `/${h.prefixlen} `);
  }
  if (a.rtPriority !== undefined) p.any('metric', a.rtPriority, `metric ${a.rtPriority} `);
  if (a.broadcast !== undefined) {
    p.text('brd ');
    const s = addrText(a.broadcast);
    p.any('broadcast', s, `${s} `);
  }
  if (a.anycast !== undefined) {
    p.text('any ');
    const s = addrText(a.anycast);
    p.any('anycast', s, `${s} `);
  }
  const scope = scopeName(addressScope(m));
  p.any('scope', scope, `scope ${scope} `);
  printFlags(p, family, flags);
  if (a.label !== undefined) p.any('label', a.label, a.label);
  if (a.cacheinfo !== undefined) {
    const { valid = 0, prefered = 0 } = attrs(a.cacheinfo);
    p.text('\n       valid_lft ');
    if (valid === FOREVER) {
      p.jsonOnly('valid_life_time', FOREVER);
      p.text('forever');
    } else p.any('valid_life_time', valid, `${valid}sec`);
    p.text(' preferred_lft ');
    if (prefered === FOREVER) {
      p.jsonOnly('preferred_life_time', FOREVER);
      p.text('forever');
    } else if (flags & IFA_F.deprecated) p.any('preferred_life_time', prefered | 0, `${prefered | 0}sec`);
    else p.any('preferred_life_time', prefered, `${prefered}sec`);
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
