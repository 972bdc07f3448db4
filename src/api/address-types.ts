/** What the addresses API takes: options of list, add, delete, flush and the batches. */
import type { RequestOptions } from '../conn/connection.js';
import type { RtAddrIfaProto } from '../generated/index.js';
import type { Friendly } from './rtnl-messages.js';
import type { LinkRef } from './link-types.js';
import type { Family } from './validate.js';

/** Flags a caller may set on add/replace (the rest are state the kernel keeps). */
export type AddressFlag = 'nodad' | 'optimistic' | 'noprefixroute' | 'homeaddress' | 'managetempaddr' | 'mcautojoin';

export type AddressScope = 'universe' | 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;

export interface AddressListOptions extends RequestOptions {
  family?: Family;
  /** Only addresses of this link (filtered by the kernel with strict checking). */
  link?: LinkRef;
  /** Only this scope. */
  scope?: AddressScope;
  /** Only addresses whose IFA_LABEL matches: exact, or a glob with * and ? (like ip's `label PATTERN`). */
  label?: string;
}

export interface AddressAddOptions extends RequestOptions {
  /** The interface, by name or index. Required. */
  link: LinkRef;
  /** IPv4 only: must be the link's name or start with "<name>:" (e.g. 'eth0:web'), at most 15 bytes. */
  label?: string;
  /** IPv4 only: an address, '+' (host bits set, like `ip addr add ... broadcast +`) or '-' (host bits cleared). */
  broadcast?: string;
  anycast?: string;
  /**
   * Point-to-point peer, as an address or a prefix. As in iproute2 the prefix length then comes
   * from the peer (a bare peer address means a host prefix: /32 or /128).
   */
  peer?: string;
  /** Default: 'host' for 127.0.0.0/8, else 'universe' (global). */
  scope?: AddressScope;
  /** Seconds, or 'forever'. The other lifetime defaults to forever; preferred must not exceed valid. */
  validLifetime?: number | 'forever';
  preferredLifetime?: number | 'forever';
  flags?: (AddressFlag | 'home' | 'mngtmpaddr' | 'autojoin')[];
  /** IFA_RT_PRIORITY: metric of the prefix route the kernel adds. */
  metric?: number;
  /** IFA_PROTO: a name of the spec's ifa-proto enum or 0..255. */
  proto?: Friendly<RtAddrIfaProto>;
  /** Replace an existing address instead of failing with EEXIST (NLM_F_REPLACE). */
  replace?: boolean;
}

export interface AddressDeleteOptions extends RequestOptions {
  link: LinkRef;
  /** The peer it was configured with, for point-to-point addresses. */
  peer?: string;
}

export interface AddressFlushOptions extends RequestOptions {
  link?: LinkRef;
  family?: Family;
  scope?: AddressScope;
  label?: string;
}

/** One address of addBatch: signal and timeoutMs go in the batch's options, not in items. */
export type AddressBatchAdd = Omit<AddressAddOptions, 'signal' | 'timeoutMs'> & { cidr: string };
export type AddressBatchDelete = { cidr: string; link: LinkRef; peer?: string };
export type AddressResult = { ok: true } | { ok: false; error: Error };
