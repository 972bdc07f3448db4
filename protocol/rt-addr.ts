/**
 * rtnetlink addresses: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR (linux/if_addr.h).
 *
 * For IPv4, IFA_LOCAL is the interface's own address and IFA_ADDRESS the peer (equal to local
 * unless configured with `peer`); IPv6 sends IFA_ADDRESS only (and IFA_LOCAL only for a peer).
 */
import { addressFamilyEnum, rtScopeEnum } from './rt-common.js';
import { defineFamily } from './spec.js';

/**
 * Every attribute an address message from the kernel carries: inet_fill_ifaddr() and
 * inet6_fill_ifaddr() (net/ipv4/devinet.c, net/ipv6/addrconf.c); anycast as older kernels sent it.
 */
const ADDR_ALL = ['address', 'label', 'local', 'cacheinfo', 'broadcast', 'anycast', 'flags', 'rtPriority', 'targetNetnsid', 'proto'] as const;

export const rtAddrSpec = defineFamily({
  name: 'rt-addr',
  doc: 'Interface addresses (RTM_*ADDR)',
  protocol: 0,
  definitions: {
    'address-family': addressFamilyEnum,
    'rt-scope': rtScopeEnum,
    ifaddrmsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'address-family' },
        { name: 'prefixlen', type: 'u8' },
        { name: 'flags', type: 'u8', enum: 'ifa-flags', doc: 'low 8 bits of the flags; IFA_FLAGS holds all of them' },
        { name: 'scope', type: 'u8', enum: 'rt-scope' },
        { name: 'index', type: 'u32', doc: 'interface index' },
      ],
    },
    'ifa-flags': {
      type: 'flags',
      doc: 'IFA_F_*',
      entries: {
        secondary: 0x01,
        temporary: 0x01, // IFA_F_TEMPORARY == IFA_F_SECONDARY (IPv6 privacy address)
        nodad: 0x02,
        optimistic: 0x04,
        dadfailed: 0x08,
        homeaddress: 0x10,
        deprecated: 0x20,
        tentative: 0x40,
        permanent: 0x80,
        managetempaddr: 0x100,
        noprefixroute: 0x200,
        mcautojoin: 0x400,
        stable_privacy: 0x800,
      },
    },
    'ifa-proto': {
      type: 'enum',
      doc: 'IFAPROT_*: who added the address (other values are set by user space)',
      entries: {
        unspec: 0,
        kernel_lo: 1,
        kernel_ra: 2,
        kernel_ll: 3,
      },
    },
    'ifa-cacheinfo': {
      type: 'struct',
      doc: 'struct ifa_cacheinfo; lifetimes in seconds (0xffffffff = forever), stamps in 1/100 s since boot',
      members: [
        { name: 'prefered', type: 'u32', doc: 'ifa_prefered (sic): preferred lifetime' },
        { name: 'valid', type: 'u32', doc: 'ifa_valid: valid lifetime' },
        { name: 'cstamp', type: 'u32', doc: 'created' },
        { name: 'tstamp', type: 'u32', doc: 'updated' },
      ],
    },
  },
  attributeSets: {
    addr: {
      prefix: 'IFA_',
      attributes: [
        { name: 'address', value: 1, type: 'binary', display: 'ipaddr', doc: 'prefix address (peer for point-to-point)' },
        { name: 'local', value: 2, type: 'binary', display: 'ipaddr', doc: 'local address' },
        { name: 'label', value: 3, type: 'string', doc: 'IPv4 label, e.g. eth0:1' },
        { name: 'broadcast', value: 4, type: 'binary', display: 'ipaddr' },
        { name: 'anycast', value: 5, type: 'binary', display: 'ipaddr' },
        { name: 'cacheinfo', value: 6, type: 'struct', struct: 'ifa-cacheinfo' },
        { name: 'multicast', value: 7, type: 'binary', display: 'ipaddr' },
        { name: 'flags', value: 8, type: 'u32', enum: 'ifa-flags', doc: 'all IFA_F_* flags (ifa_flags has only 8 bits)' },
        { name: 'rtPriority', value: 9, type: 'u32', doc: 'metric of the prefix route' },
        { name: 'targetNetnsid', value: 10, type: 's32', doc: 'dump addresses of the namespace with this nsid' },
        { name: 'proto', value: 11, type: 'u8', enum: 'ifa-proto' },
      ],
    },
  },
  messages: {
    newaddr: { value: 20, header: 'ifaddrmsg', attributes: 'addr' },
    deladdr: { value: 21, header: 'ifaddrmsg', attributes: 'addr' },
    getaddr: { value: 22, header: 'ifaddrmsg', attributes: 'addr' },
  },
  mcastGroups: [
    { name: 'ipv4Ifaddr', value: 5 },
    { name: 'ipv6Ifaddr', value: 9 },
  ],
  // Request lists as the kernel reads them (YNL's are narrower): inet_rtm_to_ifa() and
  // inet6_rtm_newaddr() for new, inet_rtm_deladdr() (label) and inet6_rtm_deladdr() (flags) for del.
  // IFA_ANYCAST is no longer read (old kernels' rtm_to_ifaddr did); it stays for the API's anycast option.
  operations: {
    newaddr: {
      doc: 'add an address (NLM_F_REPLACE: change one)',
      do: {
        request: {
          message: 'newaddr',
          attributes: ['address', 'local', 'label', 'broadcast', 'anycast', 'cacheinfo', 'flags', 'rtPriority', 'proto'],
        },
      },
    },
    deladdr: { doc: 'remove an address', do: { request: { message: 'deladdr', attributes: ['address', 'local', 'label', 'flags'] } } },
    getaddr: {
      doc: 'one IPv6 address (inet6_rtm_getaddr; IPv4 has none), or a dump (filtered by ifaddrmsg.index)',
      do: { request: { message: 'getaddr', attributes: ['address', 'local', 'targetNetnsid'] }, reply: { message: 'newaddr', attributes: ADDR_ALL } },
      dump: { request: { message: 'getaddr', attributes: ['targetNetnsid'] }, reply: { message: 'newaddr', attributes: ADDR_ALL } },
    },
    // The group is the address family's: ipv4Ifaddr or ipv6Ifaddr.
    newaddrNtf: { doc: 'an address was added or changed', event: { message: 'newaddr', attributes: ADDR_ALL } },
    deladdrNtf: { doc: 'an address was removed', event: { message: 'deladdr', attributes: ADDR_ALL } },
  },
});
