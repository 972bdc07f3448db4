/** Addresses as callers see them: the Address type and toAddress, typed by the generated rt-addr types. */
import type { NetlinkMessage } from '../codec/message.js';
import { RawRecord, recordKind } from '../codec/record.js';
import type { RtAddrIfaCacheinfo, RtAddrIfaFlags, RtAddrIfaProto, RtAddrIfaddrmsg, RtAddrRtScope } from '../generated/index.js';
import type { Friendly, RtnlMessage } from './rtnl-messages.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import type { Family } from './validate.js';

/** struct ifa_cacheinfo as decoded (spec member names; `prefered` is the kernel's spelling). */
export type AddressCacheinfo = Required<Omit<RtAddrIfaCacheinfo, '_tail'>>;

/** An interface address as the kernel reports it, with friendly names. */
export interface Address {
  family: Family;
  /** Interface index. */
  index: number;
  prefixlen: number;
  /** The interface's own address: IFA_LOCAL when present, else IFA_ADDRESS. */
  address: string;
  /** `${address}/${prefixlen}`. */
  cidr: string;
  /** The other end of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL). */
  peer?: string;
  broadcast?: string;
  anycast?: string;
  multicast?: string;
  /** IPv4 label (e.g. 'eth0:1'); IPv6 addresses have none. */
  label?: string;
  /** RT_SCOPE_* name ('universe' is what ip prints as 'global', 'link', 'host'...) or its number. */
  scope: Friendly<RtAddrRtScope>;
  /**
   * IFA_F_* names from IFA_FLAGS when present, else from the header: 'permanent', 'secondary',
   * 'nodad', 'tentative', 'noprefixroute'... For IPv6, bit 0x01 is named 'temporary' (as ip prints it).
   */
  flags: Friendly<RtAddrIfaFlags>;
  /** IFA_F_PERMANENT: configured without a finite lifetime. */
  permanent: boolean;
  /** Not permanent (ip prints 'dynamic'): a finite lifetime, SLAAC, DHCP... */
  dynamic: boolean;
  /** IFA_F_SECONDARY (IPv4) / IFA_F_TEMPORARY (IPv6). */
  secondary: boolean;
  /** Valid lifetime left in seconds; 0xffffffff (FOREVER) means forever, kept as a number. */
  validLifetime?: number;
  /** Preferred lifetime left in seconds; 0xffffffff (FOREVER) means forever, kept as a number. */
  preferredLifetime?: number;
  cacheinfo?: AddressCacheinfo;
  /** IFA_RT_PRIORITY: metric of the prefix route. */
  metric?: number;
  /** IFA_PROTO: who added it ('kernel_lo', 'kernel_ra', 'kernel_ll') or a user number. */
  proto?: Friendly<RtAddrIfaProto>;
  /** The whole decoded message. */
  raw: NetlinkMessage;
}

/** A class of its own for each kind of record (codec/record.ts). */
const AddressRecord = recordKind<Address>(class extends RawRecord {}, rtnetlinkCodec);
const NO_HEADER = {} as RtAddrIfaddrmsg;

/** An address attribute as decoded: text (the kernel sends 4 or 16 bytes, which decode to text). */
const text = (v: string | Uint8Array | undefined): string | undefined => v as string | undefined;

/** Friendly view of a decoded RTM_NEWADDR (or RTM_DELADDR, e.g. from monitoring). */
export function toAddress(m: NetlinkMessage, bytes?: Uint8Array, offset?: number): Address {
  const { header: h = NO_HEADER, attrs: a = {} } = m as RtnlMessage<'newaddr'>;
  const family = h.family as Family;
  const local = text(a.local);
  const ifaAddress = text(a.address);
  const address = (local ?? ifaAddress)!;
  let flags = (a.flags ?? h.flags ?? []).slice();
  if (family === 'inet6') flags = flags.map((f) => (f === 'secondary' ? 'temporary' : f));
  const permanent = flags.includes('permanent');
  const out = new AddressRecord(bytes ?? m, offset);
  out.family = family;
  out.index = h.index;
  out.prefixlen = h.prefixlen;
  out.address = address;
  out.cidr = `${address}/${h.prefixlen}`;
  out.scope = h.scope;
  out.flags = flags;
  out.permanent = permanent;
  out.dynamic = !permanent;
  out.secondary = flags.includes('secondary') || flags.includes('temporary');
  if (local !== undefined && ifaAddress !== undefined && ifaAddress !== local) out.peer = ifaAddress;
  if (a.broadcast !== undefined) out.broadcast = text(a.broadcast);
  if (a.anycast !== undefined) out.anycast = text(a.anycast);
  if (a.multicast !== undefined) out.multicast = text(a.multicast);
  if (a.label !== undefined) out.label = a.label;
  const ci = a.cacheinfo;
  if (ci && typeof ci === 'object' && !(ci instanceof Uint8Array)) {
    out.cacheinfo = ci as AddressCacheinfo;
    if (ci.valid !== undefined) out.validLifetime = ci.valid;
    if (ci.prefered !== undefined) out.preferredLifetime = ci.prefered;
  }
  if (a.rtPriority !== undefined) out.metric = a.rtPriority;
  if (a.proto !== undefined) out.proto = a.proto;
  return out;
}
