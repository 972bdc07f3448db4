/**
 * The walk-through's jobs as libnftables JSON: plain functions returning the commands nft would be
 * given for them, a table, a base chain and a rule (`add` creates the table and chain when absent).
 *
 *   masquerade({ source: '172.18.0.0/24', notOutInterface: 'vethc1' })
 *     = iptables -t nat -A POSTROUTING -s 172.18.0.0/24 ! -o vethc1 -j MASQUERADE
 *     = nft add rule ip nat postrouting ip saddr 172.18.0.0/24 oifname != "vethc1" masquerade
 *
 * Options are checked here (InvalidArgumentError naming the option); the document then goes through
 * from-json like any other. src/api leaves out what the ruleset already has.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import { parseIPv4, parseIp } from '../../codec/values.js';
import type { NftChainBody, NftExpression, NftFamily, NftJsonDocument, NftStatement } from './types.js';

type NatFamily = 'ip' | 'ip6' | 'inet';

interface Placement {
  /** Table family: 'ip' (default), 'ip6' or 'inet'. */
  family?: NatFamily;
  /** Table name (default 'nat'; allowEstablished: 'filter'). */
  table?: string;
  /** Chain name (default 'postrouting', 'prerouting' for dnat, 'forward' for allowEstablished). */
  chain?: string;
}

export interface MasqueradeOptions extends Placement {
  /** Source address or prefix: '172.18.0.0/24'. */
  source: string;
  /** Only packets leaving through this interface. */
  outInterface?: string;
  /** Only packets not leaving through this interface (iptables' `! -o vethc1`). */
  notOutInterface?: string;
}

export interface SnatOptions extends Placement {
  /** Source address or prefix to translate; all sources when left out. */
  source?: string;
  /** The address to translate to, or a range 'a-b'. */
  to: string;
  outInterface?: string;
  notOutInterface?: string;
}

export interface DnatOptions extends Placement {
  /** Only packets arriving on this interface. */
  inInterface?: string;
  /** Only packets to this address (the host's own, usually). */
  destination?: string;
  protocol: 'tcp' | 'udp';
  /** The port forwarded. */
  port: number;
  /** Where to: the container's address. */
  to: string;
  /** Its port (default: the same port). */
  toPort?: number;
}

export interface AllowEstablishedOptions {
  family?: NftFamily;
  table?: string;
  chain?: string;
  /** Hook of the base chain when it is added (default: the chain's name when it is input, forward or output, else forward). */
  hook?: 'input' | 'forward' | 'output';
  /** Its priority when added (default 0, 'filter'). */
  prio?: number;
}

const HOOK_NAMES = ['input', 'forward', 'output'] as const;

function bad(option: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(option, value, reason);
}

function checkOptions(o: unknown, what: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('options', o, `must be an object with the ${what} options`);
  return o as Record<string, unknown>;
}

function name(v: unknown, option: string, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || v.length === 0 || v.length > 255 || v.includes('\0')) return bad(option, v, 'must be a name of 1 to 255 characters');
  return v;
}

function natFamily(v: unknown, option = 'family'): NatFamily {
  if (v === undefined) return 'ip';
  if (v !== 'ip' && v !== 'ip6' && v !== 'inet') return bad(option, v, 'must be "ip", "ip6" or "inet" (NAT tables)');
  return v;
}

function ifname(v: unknown, option: string): string {
  if (typeof v !== 'string' || v.length === 0 || new TextEncoder().encode(v).length > 15 || /[\s/\0]/.test(v)) {
    return bad(option, v, 'must be an interface name (1 to 15 bytes, no spaces or "/"); a trailing * matches names starting with the rest');
  }
  return v;
}

/** '10.0.0.1' or '172.18.0.0/24' -> its protocol ('ip' / 'ip6') and the match's right side. */
function addressOrPrefix(v: unknown, option: string): { proto: 'ip' | 'ip6'; right: NftExpression } {
  const text = typeof v === 'string' ? v : bad(option, v, 'must be an address or prefix like 172.18.0.0/24');
  const [addr, len, extra] = text.split('/');
  const bytes = addr === undefined ? undefined : addr.includes(':') ? parseIp(addr) : parseIPv4(addr);
  if (!bytes || extra !== undefined) return bad(option, v, 'must be an IPv4 or IPv6 address, or a prefix like 172.18.0.0/24');
  const proto = bytes.length === 4 ? 'ip' : 'ip6';
  if (len === undefined) return { proto, right: addr! };
  const n = /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!(n >= 0 && n <= bytes.length * 8)) return bad(option, v, `has a prefix length that is not 0 to ${bytes.length * 8}`);
  for (let bit = n; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) return bad(option, v, `has host bits set after the /${n}: write the network address`);
  }
  return { proto, right: { prefix: { addr: addr!, len: n } } };
}

function sameFamily(family: NatFamily, proto: 'ip' | 'ip6', option: string, v: unknown): void {
  if (family !== 'inet' && family !== proto) bad(option, v, `is an ${proto === 'ip' ? 'IPv4' : 'IPv6'} address, the table family is ${family}`);
}

function port(v: unknown, option: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) return bad(option, v, 'must be a port number from 1 to 65535');
  return v;
}

const match = (left: NftExpression, op: '==' | '!=' | 'in', right: NftExpression): NftStatement => ({ match: { op, left, right } });

function outMatch(o: Record<string, unknown>): NftStatement[] {
  if (o.outInterface !== undefined && o.notOutInterface !== undefined)
    bad('notOutInterface', o.notOutInterface, 'cannot be given together with outInterface');
  if (o.outInterface !== undefined) return [match({ meta: { key: 'oifname' } }, '==', ifname(o.outInterface, 'outInterface'))];
  if (o.notOutInterface !== undefined) return [match({ meta: { key: 'oifname' } }, '!=', ifname(o.notOutInterface, 'notOutInterface'))];
  return [];
}

/** The table, the base chain and the rule. */
function doc(family: NftFamily, table: string, chain: NftChainBody, expr: NftStatement[]): NftJsonDocument {
  return {
    nftables: [{ add: { table: { family, name: table } } }, { add: { chain } }, { add: { rule: { family, table, chain: chain.name, expr } } }],
  };
}

function natChain(family: NatFamily, table: string, chain: string, hook: 'postrouting' | 'prerouting'): NftChainBody {
  return { family, table, name: chain, type: 'nat', hook, prio: hook === 'postrouting' ? 100 : -100, policy: 'accept' };
}

/** Masquerade what comes from `source` (and leaves through / not through an interface). */
export function masquerade(options: MasqueradeOptions): NftJsonDocument {
  const o = checkOptions(options, 'masquerade');
  const family = natFamily(o.family);
  const table = name(o.table, 'table', 'nat');
  const chain = name(o.chain, 'chain', 'postrouting');
  if (o.source === undefined) bad('source', o.source, 'is required: the source address or prefix to masquerade, like 172.18.0.0/24');
  const src = addressOrPrefix(o.source, 'source');
  sameFamily(family, src.proto, 'source', o.source);
  const expr: NftStatement[] = [match({ payload: { protocol: src.proto, field: 'saddr' } }, '==', src.right), ...outMatch(o), { masquerade: null }];
  return doc(family, table, natChain(family, table, chain, 'postrouting'), expr);
}

/** Translate the source address of what leaves (from `source`, through / not through an interface) to `to`. */
export function snat(options: SnatOptions): NftJsonDocument {
  const o = checkOptions(options, 'snat');
  const family = natFamily(o.family);
  const table = name(o.table, 'table', 'nat');
  const chain = name(o.chain, 'chain', 'postrouting');
  const expr: NftStatement[] = [];
  let proto: 'ip' | 'ip6' | undefined;
  if (o.source !== undefined) {
    const src = addressOrPrefix(o.source, 'source');
    sameFamily(family, src.proto, 'source', o.source);
    proto = src.proto;
    expr.push(match({ payload: { protocol: src.proto, field: 'saddr' } }, '==', src.right));
  }
  expr.push(...outMatch(o));
  const to = typeof o.to === 'string' ? o.to : bad('to', o.to, 'is required: the address to translate to (or a range "a-b")');
  const parts = to.split('-');
  const addrs = parts.map((p) => ({ p, b: p.includes(':') ? parseIp(p) : parseIPv4(p) }));
  if (parts.length > 2 || addrs.some((a) => !a.b) || (addrs.length === 2 && addrs[0]!.b!.length !== addrs[1]!.b!.length)) {
    bad('to', o.to, 'must be an address, or a range of two addresses of one family "a-b"');
  }
  const toProto = addrs[0]!.b!.length === 4 ? 'ip' : 'ip6';
  sameFamily(family, toProto, 'to', o.to);
  if (proto !== undefined && proto !== toProto) bad('to', o.to, `is not of the family of source (${proto === 'ip' ? 'IPv4' : 'IPv6'})`);
  const addr: NftExpression = addrs.length === 2 ? { range: [addrs[0]!.p, addrs[1]!.p] } : to;
  expr.push({ snat: { ...(family === 'inet' && { family: toProto }), addr } });
  return doc(family, table, natChain(family, table, chain, 'postrouting'), expr);
}

/** Forward `protocol` `port` (arriving on `inInterface`, to `destination`) to `to`:`toPort`. */
export function dnat(options: DnatOptions): NftJsonDocument {
  const o = checkOptions(options, 'dnat');
  const family = natFamily(o.family);
  const table = name(o.table, 'table', 'nat');
  const chain = name(o.chain, 'chain', 'prerouting');
  if (o.protocol !== 'tcp' && o.protocol !== 'udp') bad('protocol', o.protocol, 'must be "tcp" or "udp"');
  const dport = port(o.port, 'port');
  const toPort = o.toPort === undefined ? undefined : port(o.toPort, 'toPort');
  const to = addressOrPrefix(o.to, 'to');
  if (typeof to.right !== 'string') bad('to', o.to, "must be one address (the container's), not a prefix");
  sameFamily(family, to.proto, 'to', o.to);
  const expr: NftStatement[] = [];
  if (o.inInterface !== undefined) expr.push(match({ meta: { key: 'iifname' } }, '==', ifname(o.inInterface, 'inInterface')));
  if (o.destination !== undefined) {
    const dst = addressOrPrefix(o.destination, 'destination');
    if (dst.proto !== to.proto) bad('destination', o.destination, 'is not of the family of "to"');
    expr.push(match({ payload: { protocol: dst.proto, field: 'daddr' } }, '==', dst.right));
  }
  expr.push(match({ payload: { protocol: o.protocol, field: 'dport' } }, '==', dport));
  expr.push({ dnat: { ...(family === 'inet' && { family: to.proto }), addr: to.right, ...(toPort !== undefined && { port: toPort }) } });
  return doc(family, table, natChain(family, table, chain, 'prerouting'), expr);
}

/** Accept packets of established and related connections (ct state established,related accept). */
export function allowEstablished(options: AllowEstablishedOptions = {}): NftJsonDocument {
  const o = checkOptions(options, 'allowEstablished');
  const family = o.family === undefined ? 'ip' : o.family;
  if (!['ip', 'ip6', 'inet', 'bridge'].includes(family as string)) bad('family', o.family, 'must be "ip", "ip6", "inet" or "bridge"');
  const table = name(o.table, 'table', 'filter');
  const chain = name(o.chain, 'chain', 'forward');
  const dfltHook = (HOOK_NAMES as readonly string[]).includes(chain) ? chain : 'forward';
  const hook =
    o.hook === undefined
      ? dfltHook
      : (HOOK_NAMES as readonly unknown[]).includes(o.hook)
        ? (o.hook as string)
        : bad('hook', o.hook, 'must be "input", "forward" or "output"');
  const prio =
    o.prio === undefined ? 0 : typeof o.prio === 'number' && Number.isInteger(o.prio) ? o.prio : bad('prio', o.prio, 'must be an integer priority');
  const expr: NftStatement[] = [match({ ct: { key: 'state' } }, 'in', ['established', 'related']), { accept: null }];
  return doc(family as NftFamily, table, { family: family as NftFamily, table, name: chain, type: 'filter', hook, prio, policy: 'accept' }, expr);
}
