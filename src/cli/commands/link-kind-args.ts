/**
 * `ip link add/set ... type KIND ARGS`: ip's snake_case kind options mapped onto the spec's
 * attribute names generically (stp_state -> stpState, forward_delay -> forwardDelay), with the
 * few ip spellings that differ (vxlan dstport -> port, remote -> group, dev -> link...).
 * Values are parsed by the attribute's spec type: integers, enums, addresses, flags.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import { linkKindSlaveData, linkKinds } from '../../../protocol/rt-link-kinds.js';
import type { AttrSpec, EnumSpec } from '../../../protocol/spec.js';
import type { Args } from '../args.js';
import { parseUnsigned } from '../args.js';
import { UsageError } from '../context.js';

type Attrs = Record<string, unknown>;

export interface KindArgs {
  /** IFLA_INFO_DATA by spec name. */
  data: Attrs;
  /** Link names to resolve to indexes (vxlan `dev`): attribute -> device name. */
  devices: Record<string, string>;
  /** veth `peer [name] NAME [options]`: the words after `peer`. */
  peer?: string[];
}

/** ip's words that are not the spec name in snake_case, per kind. */
const ALIASES: Record<string, Record<string, string>> = {
  vxlan: {
    vni: 'id',
    dstport: 'port',
    remote: 'group',
    dev: 'link',
    maxaddress: 'limit',
    srcport: 'portRange',
    flowlabel: 'label',
    external: 'collectMetadata',
    udpcsum: 'udpCsum',
    udp6zerocsumtx: 'udpZeroCsum6Tx',
    udp6zerocsumrx: 'udpZeroCsum6Rx',
    remcsumtx: 'remcsumTx',
    remcsumrx: 'remcsumRx',
    localbypass: 'localbypass',
  },
  bridge: {
    group_address: 'groupAddr',
    mcast_last_member_count: 'mcastLastMemberCnt',
    mcast_startup_query_count: 'mcastStartupQueryCnt',
    mcast_last_member_interval: 'mcastLastMemberIntvl',
    mcast_membership_interval: 'mcastMembershipIntvl',
    mcast_querier_interval: 'mcastQuerierIntvl',
    mcast_query_interval: 'mcastQueryIntvl',
    mcast_query_response_interval: 'mcastQueryResponseIntvl',
    mcast_startup_query_interval: 'mcastStartupQueryIntvl',
    fdb_max_learned: 'fdbMaxLearned',
  },
  bridge_slave: {
    hairpin: 'mode',
    root_block: 'protect',
    fastleave: 'fastLeave',
    flood: 'unicastFlood',
    proxy_arp: 'proxyarp',
    proxy_arp_wifi: 'proxyarpWifi',
    mcast_router: 'multicastRouter',
    mcast_fast_leave: 'fastLeave',
    mcast_to_unicast: 'mcastToUcast',
    port_id: 'id',
    port_no: 'no',
  },
  macvlan: { bcqueuelen: 'bcQueueLen', bc_cutoff: 'bcCutoff' },
  macvtap: { bcqueuelen: 'bcQueueLen' },
};

/** Words that are on/off switches in ip (with a `no` form for vxlan). */
const NEGATED: Record<string, Record<string, [string, number]>> = {
  vxlan: {
    nolearning: ['learning', 0],
    learning: ['learning', 1],
    noproxy: ['proxy', 0],
    proxy: ['proxy', 1],
    norsc: ['rsc', 0],
    rsc: ['rsc', 1],
    nol2miss: ['l2miss', 0],
    l2miss: ['l2miss', 1],
    nol3miss: ['l3miss', 0],
    l3miss: ['l3miss', 1],
    noudpcsum: ['udpCsum', 0],
    udpcsum: ['udpCsum', 1],
    noudp6zerocsumtx: ['udpZeroCsum6Tx', 0],
    udp6zerocsumtx: ['udpZeroCsum6Tx', 1],
    noudp6zerocsumrx: ['udpZeroCsum6Rx', 0],
    udp6zerocsumrx: ['udpZeroCsum6Rx', 1],
    noremcsumtx: ['remcsumTx', 0],
    remcsumtx: ['remcsumTx', 1],
    noremcsumrx: ['remcsumRx', 0],
    remcsumrx: ['remcsumRx', 1],
    external: ['collectMetadata', 1],
    noexternal: ['collectMetadata', 0],
    nolocalbypass: ['localbypass', 0],
    localbypass: ['localbypass', 1],
  },
};

const VLAN_PROTOCOLS: Record<string, string> = { '802.1q': '8021q', '802.1ad': '8021ad' };

export function snakeToCamel(s: string): string {
  return s.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function attributeSet(kind: string): readonly AttrSpec[] | undefined {
  const slave = kind.endsWith('_slave') ? kind.slice(0, -'_slave'.length) : undefined;
  const setName = slave !== undefined ? (linkKindSlaveData as Record<string, string>)[slave] : (linkKinds as Record<string, string>)[kind];
  if (!setName) return undefined;
  return (rtLinkSpec.attributeSets as Record<string, { attributes: readonly AttrSpec[] }>)[setName]?.attributes;
}

/** Kinds whose options we can parse (others take no options here). */
export function knowsKind(kind: string): boolean {
  return attributeSet(kind) !== undefined;
}

function kindUsage(kind: string, set: readonly AttrSpec[] | undefined): string {
  if (!set) return `Usage: ... ${kind}`;
  const words = set
    .filter((a) => a.type !== 'nest' && a.name !== 'pad')
    .map((a) => `[ ${a.name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())} VALUE ]`);
  return `Usage: ... ${kind} ${words.join(' ')}`;
}

/**
 * Parses the words after `type KIND` up to the end (veth: up to and including the peer's words).
 */
export function parseKindArgs(kind: string, args: Args): KindArgs {
  const out: KindArgs = { data: {}, devices: {} };
  const set = attributeSet(kind);
  const unknown = (word: string) => new UsageError(`${kind}: unknown command "${word}"?`, kindUsage(kind, set));
  if (kind === 'veth' || kind === 'vxcan') {
    if (args.done) return out;
    const w = args.next()!;
    if (w !== 'peer') throw unknown(w);
    out.peer = args.rest();
    return out;
  }
  while (!args.done) {
    const word = args.next()!;
    if (word === 'help') throw new UsageError('', kindUsage(kind, set));
    if ((kind === 'macvlan' || kind === 'macvtap') && (word === 'nopromisc' || word === 'nodst')) {
      out.data.flags = [...((out.data.flags as string[] | undefined) ?? []), word];
      continue;
    }
    const neg = NEGATED[kind]?.[word];
    if (neg) {
      out.data[neg[0]] = neg[1];
      continue;
    }
    if (!set) throw unknown(word);
    const name = ALIASES[kind]?.[word] ?? snakeToCamel(word);
    const spec = set.find((a) => a.name === name && a.name !== 'pad');
    if (!spec) throw unknown(word);
    // vxlan: an IPv6 remote/local/group goes in the *6 attribute.
    if (spec.type === 'flag') {
      out.data[spec.name] = true;
      continue;
    }
    if (spec.name === 'portRange') {
      const low = args.u32(word, 0xffff);
      const high = args.u32(word, 0xffff);
      out.data.portRange = { low, high };
      continue;
    }
    const v = args.value(word);
    if (kind === 'vxlan' && spec.name === 'link') {
      out.devices.link = v;
      continue;
    }
    if (kind === 'vxlan' && (spec.name === 'group' || spec.name === 'local') && v.includes(':')) {
      out.data[`${spec.name}6`] = v;
      continue;
    }
    if (kind === 'vxlan' && spec.name === 'ttl' && (v === 'auto' || v === 'inherit')) {
      if (v === 'inherit') out.data.unknown = [{ type: 28, data: new Uint8Array(0), index: 0 }];
      else out.data.ttl = 0;
      continue;
    }
    if (kind === 'vxlan' && spec.name === 'tos' && v === 'inherit') {
      out.data.tos = 1;
      continue;
    }
    if (kind === 'vxlan' && spec.name === 'ageing' && v === 'none') {
      out.data.ageing = 0;
      continue;
    }
    if (spec.name === 'backupPort') {
      out.devices.backupPort = v;
      continue;
    }
    out.data[spec.name] = parseValue(spec, v, word, args);
  }
  return out;
}

function enumDef(spec: AttrSpec): EnumSpec | undefined {
  if (!spec.enum) return undefined;
  return (rtLinkSpec.definitions as Record<string, unknown>)[spec.enum] as EnumSpec | undefined;
}

function parseValue(spec: AttrSpec, v: string, word: string, args: Args): unknown {
  const bad = () => args.invalid(`invalid ${word}`, v);
  const e = enumDef(spec);
  if (e) {
    const key = VLAN_PROTOCOLS[v.toLowerCase()] ?? v.toLowerCase();
    if (e.type === 'enum' && key in e.entries) return key;
    if (e.type === 'flags' && key in e.entries) return [key];
  }
  switch (spec.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 's8':
    case 's16':
    case 's32': {
      if (v === 'on' || v === 'off') return v === 'on' ? 1 : 0;
      const n = /^-\d+$/.test(v) && spec.type.startsWith('s') ? Number(v) : parseUnsigned(v);
      const max = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, s8: 0x7f, s16: 0x7fff, s32: 0x7fffffff }[spec.type];
      if (n === undefined || n > max) throw bad();
      return n;
    }
    case 'u64':
    case 's64':
      if (!/^\d+$/.test(v)) throw bad();
      return BigInt(v);
    case 'binary':
      if (spec.display === 'hwaddr') {
        if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2})*$/i.test(v)) throw bad();
        return v;
      }
      if (spec.display === 'ipaddr') return v;
      if (spec.display === 'hex') return v;
      throw bad();
    case 'string':
      return v;
    default:
      throw bad();
  }
}
