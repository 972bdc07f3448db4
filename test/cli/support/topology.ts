/** The differential tests' topology, as ip command lines (addresses fixed so two namespaces compare). */

export const LINKS: string[][] = [
  ['link', 'set', 'lo', 'up'],
  ['link', 'add', 'veth0', 'address', '02:00:00:00:01:00', 'type', 'veth', 'peer', 'name', 'veth1', 'address', '02:00:00:00:01:01'],
  ['link', 'add', 'veth2', 'address', '02:00:00:00:01:02', 'type', 'veth', 'peer', 'name', 'veth3', 'address', '02:00:00:00:01:03'],
  ['link', 'add', 'br0', 'address', '02:00:00:00:02:00', 'type', 'bridge'],
  ['link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '400'],
  ['link', 'set', 'veth1', 'master', 'br0'],
  ['link', 'set', 'veth3', 'master', 'br0'],
  ['link', 'set', 'dev', 'veth0', 'up'],
  ['link', 'set', 'veth1', 'up'],
  ['link', 'set', 'veth2', 'up'],
  ['link', 'set', 'veth3', 'up'],
  ['link', 'set', 'br0', 'up'],
  ['link', 'set', 'veth0', 'mtu', '1400'],
  ['link', 'set', 'veth2', 'alias', 'second pair'],
  ['link', 'set', 'veth2', 'txqlen', '500'],
  ['link', 'add', 'vx0', 'address', '02:00:00:00:03:00', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '10.0.0.1', 'remote', '10.0.0.2', 'dev', 'veth0'],
  ['link', 'add', 'vx1', 'address', '02:00:00:00:03:01', 'type', 'vxlan', 'id', '43', 'dstport', '4790', 'group', '239.1.1.1', 'dev', 'veth0', 'ttl', '5', 'nolearning'],
  ['link', 'add', 'vx6', 'address', '02:00:00:00:03:06', 'type', 'vxlan', 'id', '44', 'dstport', '4789', 'local', '2001:db8::1', 'remote', '2001:db8::2'],
  ['link', 'add', 'mv0', 'link', 'veth0', 'address', '02:00:00:00:04:00', 'type', 'macvlan', 'mode', 'bridge'],
  ['link', 'add', 'mv1', 'link', 'veth0', 'address', '02:00:00:00:04:01', 'type', 'macvlan', 'mode', 'private'],
  ['link', 'add', 'veth4', 'address', '02:00:00:00:05:00', 'type', 'veth', 'peer', 'name', 'veth5', 'address', '02:00:00:00:05:01'],
  ['link', 'set', 'veth4', 'up'],
];

export const ADDRESSES: string[][] = [
  ['addr', 'add', '10.0.0.1/24', 'dev', 'veth0', 'label', 'veth0:1', 'broadcast', '+'],
  ['addr', 'add', '10.0.0.9/24', 'dev', 'veth0'],
  ['addr', 'add', '10.0.1.1/24', 'dev', 'veth0', 'metric', '50'],
  ['addr', 'add', '10.0.2.1/24', 'dev', 'veth0', 'noprefixroute'],
  ['addr', 'add', '10.3.0.1', 'peer', '10.3.0.2/32', 'dev', 'veth0'],
  ['addr', 'add', '192.168.7.1/24', 'dev', 'br0'],
  ['addr', 'add', '172.16.0.1/12', 'dev', 'veth4', 'scope', 'link'],
  ['addr', 'add', '2001:db8::1/64', 'dev', 'veth0', 'nodad'],
  ['addr', 'add', '2001:db8:5::1/64', 'dev', 'veth0', 'nodad', 'valid_lft', '1000', 'preferred_lft', '500'],
  ['addr', 'add', '2001:db8:6::1/64', 'dev', 'veth4', 'nodad', 'home'],
];

export const ROUTES: string[][] = [
  ['route', 'add', 'default', 'via', '10.0.0.2', 'dev', 'veth0', 'metric', '10'],
  ['route', 'add', '192.168.5.0/24', 'via', '10.0.0.2', 'proto', 'static', 'src', '10.0.0.1'],
  ['route', 'add', '192.168.6.0/24', 'dev', 'veth0', 'scope', 'link', 'proto', 'kernel'],
  ['route', 'add', 'blackhole', '10.9.0.0/16'],
  ['route', 'add', 'unreachable', '10.8.0.0/16', 'metric', '5'],
  ['route', 'add', 'prohibit', '10.7.0.0/16'],
  ['route', 'add', 'throw', '10.10.0.0/16', 'table', '100'],
  ['route', 'add', '10.6.0.0/16', 'table', '100', 'dev', 'veth0', 'scope', 'link'],
  ['route', 'add', 'local', '10.11.0.0/16', 'dev', 'veth4', 'table', '100'],
  ['route', 'add', '10.5.0.0/16', 'nexthop', 'via', '10.0.0.2', 'weight', '2', 'nexthop', 'via', '10.0.1.2', 'weight', '1'],
  ['route', 'add', '10.4.0.0/16', 'via', '10.0.0.2', 'mtu', 'lock', '1300', 'advmss', '1200', 'window', '5000'],
  ['route', 'add', '10.12.0.0/16', 'via', '10.0.0.2', 'tos', '0x10'],
  ['route', 'add', '10.13.0.0/16', 'dev', 'veth0', 'onlink', 'via', '10.100.0.1'],
  ['route', 'add', '2001:db8:1::/48', 'via', '2001:db8::2', 'metric', '100', 'mtu', '1400'],
  ['route', 'add', '2001:db8:2::/48', 'nexthop', 'via', '2001:db8::2', 'dev', 'veth0', 'nexthop', 'via', '2001:db8::3', 'dev', 'veth0'],
  ['route', 'add', 'unreachable', '2001:db8:3::/48'],
  ['route', 'add', '2001:db8:4::/48', 'dev', 'veth0', 'table', '100', 'pref', 'high'],
  ['route', 'add', '2001:db8:7::/48', 'via', '2001:db8::2', 'expires', '500'],
];

export const NEIGHBOURS: string[][] = [
  ['neigh', 'add', '10.0.0.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'veth0'],
  ['neigh', 'add', '10.0.0.6', 'lladdr', '02:00:00:00:00:06', 'dev', 'veth0', 'nud', 'stale'],
  ['neigh', 'add', '10.0.0.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'veth0', 'nud', 'noarp'],
  ['neigh', 'add', '2001:db8::5', 'lladdr', '02:00:00:00:00:08', 'dev', 'veth0', 'router'],
  ['neigh', 'add', '192.168.7.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br0', 'extern_learn'],
  ['neigh', 'add', 'proxy', '10.0.0.99', 'dev', 'veth0'],
  ['neigh', 'add', 'proxy', '2001:db8::99', 'dev', 'veth0'],
];

export const RULES: string[][] = [
  ['rule', 'add', 'from', '10.1.0.0/16', 'table', '100', 'pref', '100'],
  ['rule', 'add', 'to', '10.2.0.0/16', 'iif', 'veth0', 'lookup', 'main', 'pref', '200'],
  ['rule', 'add', 'fwmark', '0x10/0xff', 'blackhole', 'pref', '300'],
  ['rule', 'add', 'not', 'from', '10.20.0.0/16', 'table', '100', 'pref', '400'],
  ['rule', 'add', 'ipproto', 'tcp', 'dport', '80', 'sport', '1000-2000', 'table', '100', 'pref', '500'],
  ['rule', 'add', 'oif', 'veth0', 'uidrange', '100-200', 'prohibit', 'pref', '510'],
  ['rule', 'add', 'fwmark', '7', 'table', 'main', 'suppress_prefixlength', '0', 'pref', '520'],
  ['rule', 'add', 'from', 'all', 'goto', '32766', 'pref', '530'],
  ['rule', 'add', 'tos', '0x10', 'unreachable', 'pref', '540', 'proto', 'static'],
  ['-6', 'rule', 'add', 'from', '2001:db8::/32', 'table', '100', 'pref', '600'],
];

