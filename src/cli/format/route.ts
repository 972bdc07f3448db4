/**
 * `ip route show / get`: one route as iproute2 6.1 print_route writes it, text and JSON.
 */
import { rtRouteSpec } from '../../../protocol/rt-route.js';
import type { NetlinkMessage } from '../../codec/message.js';
import type { RtRouteMetricsAttrs, RtRouteRouteAttrs, RtRouteRtaCacheinfo, RtRouteRtvia } from '../../generated/index.js';
import { protocolName, realmName, routeTypeName, scopeName, tableName } from '../names.js';
import type { Printer } from './printer.js';
import { type LinkNames, addrText, attrs, attrsOf, enumName, enumNum, flagsNum, headerOf } from './values.js';

const D = rtRouteSpec.definitions;
const AF = D['address-family'].entries;
const RTN = D['rtm-type'].entries;
const RTM_F = D['rtm-flags'].entries;
const TABLE = D['rt-table'].entries;
const RTPROT = D['rt-protocol'].entries;
const HZ = 100;

/** What the user filtered on: those fields are then not printed (ip's *mask = -1). */
export interface RouteFormatOptions {
  details: boolean;
  stats: number;
  /** A table was chosen (not `all`): table is not printed. */
  tableChosen: boolean;
  protocolFiltered: boolean;
  scopeFiltered: boolean;
  devFiltered: boolean;
  iifFiltered: boolean;
  metricFiltered: boolean;
  tosFiltered: boolean;
  /** `via ADDR` with a full-length address. */
  viaExact: boolean;
  /** `src ADDR` with a full-length address. */
  prefsrcExact: boolean;
  realmFiltered: boolean;
}

export const NO_ROUTE_FILTERS: RouteFormatOptions = {
  details: false,
  stats: 0,
  tableChosen: false,
  protocolFiltered: false,
  scopeFiltered: false,
  devFiltered: false,
  iifFiltered: false,
  metricFiltered: false,
  tosFiltered: false,
  viaExact: false,
  prefsrcExact: false,
  realmFiltered: false,
};

export interface RouteHeader {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}

export function routeHeader(m: NetlinkMessage): RouteHeader {
  const h = headerOf(m, 'newroute');
  const a = attrsOf(m, 'newroute');
  return {
    family: enumNum(D['address-family'], h.family),
    dstLen: h.dstLen ?? 0,
    srcLen: h.srcLen ?? 0,
    tos: h.tos ?? 0,
    table: enumNum(D['rt-table'], a.table ?? h.table),
    protocol: enumNum(D['rt-protocol'], h.protocol),
    scope: enumNum(D['rt-scope'], h.scope),
    type: enumNum(D['rtm-type'], h.type),
    flags: flagsNum(D['rtm-flags'], h.flags),
  };
}

/**
 * Presentation (print_rt_flags): the rtm_flags / rtnh_flags ip prints, in its order and words, by
 * the rtm-flags spec's names (RTNH_F_* bits are named rtnh_* there, RTM_F_* ones are ip's rt_*).
 */
const RT_FLAG_WORDS = [
  ['dead', 'dead'],
  ['onlink', 'onlink'],
  ['pervasive', 'pervasive'],
  ['rtnh_offload', 'offload'],
  ['rtnh_trap', 'trap'],
  ['notify', 'notify'],
  ['linkdown', 'linkdown'],
  ['unresolved', 'unresolved'],
  ['offload', 'rt_offload'],
  ['trap', 'rt_trap'],
  ['offload_failed', 'rt_offload_failed'],
] as const;
const RT_FLAGS = RT_FLAG_WORDS.map(([name, word]) => [RTM_F[name], word] as const);

function printRtFlags(p: Printer, flags: number): void {
  p.openArray(p.json ? 'flags' : null);
  for (const [bit, name] of RT_FLAGS) if (flags & bit) p.any(null, name, `${name} `);
  p.closeArray();
}

/** Address bits of a family, or 0: ip prints a prefix length only when it is shorter. */
function hostLen(family: number): number {
  if (family === AF.inet || family === AF.ipmr) return 32;
  if (family === AF.inet6 || family === AF.ip6mr) return 128;
  return family === AF.mpls ? 20 : 0;
}

/** struct rtvia decoded as { family, addr } (or raw bytes: the family in host order, then the address). */
function via(v: RtRouteRtvia | Uint8Array): { family: string; host: string } {
  if (v instanceof Uint8Array) {
    const fam = v.length >= 2 ? new DataView(v.buffer, v.byteOffset, v.byteLength).getUint16(0, true) : 0;
    return { family: enumName(D['address-family'], fam) ?? String(fam), host: addrText(v.subarray(2)) };
  }
  const o = attrs(v);
  return { family: String(o.family ?? 'unspec'), host: addrText(o.addr) };
}

function printVia(p: Printer, v: RtRouteRtvia | Uint8Array): void {
  const x = via(v);
  if (p.json) {
    p.openObject('via');
    p.jsonOnly('family', x.family);
    p.jsonOnly('host', x.host);
    p.closeObject();
  } else p.text(`via ${x.family} ${x.host} `);
}

function printFlow(p: Printer, flow: number): void {
  const from = flow >>> 16;
  const to = flow & 0xffff;
  if (p.json) {
    p.openObject('flow');
    if (from) p.jsonOnly('from', realmName(from));
    p.jsonOnly('to', realmName(to));
    p.closeObject();
  } else {
    p.text(`realm${from ? 's' : ''} `);
    if (from) p.text(`${realmName(from)}/`);
    p.text(`${realmName(to)} `);
  }
}

/** Presentation: the RTAX_* metrics ip prints, in its order, by attribute name, and ip's word for each. */
type MetricKey = Exclude<keyof RtRouteMetricsAttrs, 'lock' | 'unknown'>;
const METRIC_WORDS: readonly (readonly [MetricKey, string])[] = [
  ['mtu', 'mtu'],
  ['window', 'window'],
  ['rtt', 'rtt'],
  ['rttvar', 'rttvar'],
  ['ssthresh', 'ssthresh'],
  ['cwnd', 'cwnd'],
  ['advmss', 'advmss'],
  ['reordering', 'reordering'],
  ['hoplimit', 'hoplimit'],
  ['initcwnd', 'initcwnd'],
  ['features', 'features'],
  ['rtoMin', 'rto_min'],
  ['initrwnd', 'initrwnd'],
  ['quickack', 'quickack'],
  ['ccAlgo', 'congctl'],
  ['fastopenNoCookie', 'fastopen_no_cookie'],
];
const RTAX: ReadonlyMap<string, number> = new Map(rtRouteSpec.attributeSets.metrics.attributes.map((a) => [a.name, a.value]));
/** [attribute, ip's word, RTAX_* number: its bit in RTAX_LOCK]. */
const MX = METRIC_WORDS.map(([key, word]) => [key, word, RTAX.get(key)!] as const);
const ECN = D['rtax-features'].entries.ecn;

/** %g of seconds, as printf prints small decimal values. */
function gSeconds(ms: number): string {
  const s = ms / 1e3;
  return String(Number(s.toPrecision(6)));
}

function printMetrics(p: Printer, mx: Partial<RtRouteMetricsAttrs>): void {
  p.openArray(p.json ? 'metrics' : null);
  p.openObject();
  const lock = flagsNum(D['rtax-lock'], mx.lock);
  for (const [key, name, i] of MX) {
    const present = mx[key] !== undefined;
    if (!present && !(lock & (1 << i))) continue;
    let val = present && key !== 'ccAlgo' ? (key === 'features' ? flagsNum(D['rtax-features'], mx[key]) : Number(mx[key]) >>> 0) : 0;
    if (key === 'hoplimit' && val === 0xffffffff) continue;
    if (!p.json) p.text(`${name} ${lock & (1 << i) ? 'lock ' : ''}`);
    switch (key) {
      case 'features': {
        let f = val;
        if (f & ECN) {
          p.any('ecn', null, 'ecn ');
          f &= ~ECN;
        }
        if (f) p.any('features', '0x' + val.toString(16), `0x${val.toString(16)} `);
        break;
      }
      case 'rtt':
      case 'rttvar':
      case 'rtoMin':
        if (key === 'rtt') val = Math.floor(val / 8);
        else if (key === 'rttvar') val = Math.floor(val / 4);
        if (p.json) p.jsonOnly(name, val);
        else p.text(val >= 1000 ? `${gSeconds(val)}s ` : `${val}ms `);
        break;
      case 'ccAlgo':
        p.any('congestion', String(mx.ccAlgo ?? ''), `${mx.ccAlgo ?? ''} `);
        break;
      default:
        p.any(name, val, `${val} `);
    }
  }
  p.closeObject();
  p.closeArray();
}

const RTCF = D.rtcf.entries;
/** Presentation (print_cache_flags): the RTCF_* flags in ip's order and words, by the spec's names. */
const CACHE_FLAG_WORDS = [
  ['local', 'local'],
  ['reject', 'reject'],
  ['multicast', 'mc'],
  ['broadcast', 'brd'],
  ['dnat', 'dst-nat'],
  ['snat', 'src-nat'],
  ['masq', 'masq'],
  ['directdst', 'dst-direct'],
  ['directsrc', 'src-direct'],
  ['redirected', 'redirected'],
  ['doredirect', 'redirect'],
  ['fast', 'fastroute'],
  ['notify', 'notify'],
  ['tproxy', 'proxy'],
] as const;
const CACHE_FLAGS = CACHE_FLAG_WORDS.map(([name, word]) => [RTCF[name] >>> 0, word] as const);

function printCacheFlags(p: Printer, flagsIn: number): void {
  let flags = (flagsIn & ~0xffff) >>> 0;
  if (p.json) p.openArray('cache');
  else {
    p.text('\n    cache ');
    if (flags === 0) return;
    p.text('<');
  }
  for (const [bit, name] of CACHE_FLAGS) {
    if (flags & bit) {
      flags = (flags & ~bit) >>> 0;
      if (p.json) p.jsonOnly(null, name);
      else p.text(`${name}${flags ? ',' : '> '}`);
    }
  }
  if (flags) p.any('flags', flags.toString(16), `${flags.toString(16)}>`);
  if (p.json) p.closeArray();
}

function printCacheinfo(p: Printer, ci: Partial<RtRouteRtaCacheinfo>, stats: number): void {
  const expires = Number(ci.expires ?? 0);
  if (expires !== 0) {
    const s = Math.trunc(expires / HZ);
    p.any('expires', s, `expires ${s}sec `);
  }
  if (ci.error) p.any('error', ci.error, `error ${ci.error} `);
  if (stats) {
    if (ci.clntref) p.any('users', ci.clntref, `users ${ci.clntref} `);
    if (ci.used) p.any('used', ci.used, `used ${ci.used} `);
    if (ci.lastuse) {
      const s = Math.trunc(ci.lastuse / HZ);
      p.any('age', s, `age ${s}sec `);
    }
  }
  if (ci.id) {
    const s = '0x' + Number(ci.id).toString(16).padStart(4, '0');
    p.any('ipid', s, `ipid ${s} `);
  }
  if (ci.ts || ci.tsage) {
    p.any('ts', '0x' + Number(ci.ts).toString(16), `ts 0x${Number(ci.ts).toString(16)}`);
    p.any('tsage', ci.tsage ?? 0, `tsage ${ci.tsage}sec `);
  }
}

function printMultipath(p: Printer, r: RouteHeader, hops: NonNullable<RtRouteRouteAttrs['multipath']>, names: LinkNames): void {
  p.openArray(p.json ? 'nexthops' : null);
  let first = true;
  const mcast = r.flags & RTM_F.cloned && r.type === RTN.multicast;
  for (const nh of hops) {
    p.openObject();
    if (mcast) {
      p.text(first ? 'Oifs: ' : ' ');
      first = false;
    } else p.text('\n\tnexthop ');
    const a = attrs(nh.attrs);
    if (a.gateway !== undefined) {
      const g = addrText(a.gateway);
      p.jsonOnly('gateway', g);
      p.text(`via ${g} `);
    }
    if (a.via !== undefined) printVia(p, a.via);
    if (a.flow !== undefined) printFlow(p, a.flow);
    const dev = names.name(nh.ifindex ?? 0);
    if (mcast) {
      p.any('dev', dev, dev);
      if ((nh.hops ?? 0) !== 1) p.any('ttl', nh.hops ?? 0, `(ttl>${nh.hops ?? 0})`);
      p.text(' ');
    } else {
      p.any('dev', dev, `dev ${dev} `);
      if (r.family !== AF.mpls) p.any('weight', (nh.hops ?? 0) + 1, `weight ${(nh.hops ?? 0) + 1} `);
    }
    printRtFlags(p, flagsNum(D['rtnh-flags'], nh.flags));
    p.closeObject();
  }
  p.closeArray();
}

/** Presentation: the route preferences ip names (print_rt_pref); others print as numbers. */
const PREF_WORDS = new Set(['low', 'medium', 'high']);

/** One route, wrapped in its JSON object. */
export function printRoute(p: Printer, m: NetlinkMessage, names: LinkNames, o: RouteFormatOptions): void {
  const r = routeHeader(m);
  const a = attrsOf(m, 'newroute');
  const hl = hostLen(r.family);
  p.openObject();
  if (m.kind === 'delroute') p.any('deleted', true, 'Deleted ');
  if (r.type !== 1 || o.details) {
    const t = routeTypeName(r.type);
    p.any('type', t, `${t} `);
  }
  let dst: string;
  if (a.dst !== undefined) dst = r.dstLen !== hl ? `${addrText(a.dst)}/${r.dstLen}` : addrText(a.dst);
  else if (r.dstLen) dst = `0/${r.dstLen} `;
  else dst = 'default';
  p.any('dst', dst, `${dst} `);
  if (a.src !== undefined) {
    const s = r.srcLen !== hl ? `${addrText(a.src)}/${r.srcLen}` : addrText(a.src);
    p.any('from', s, `from ${s} `);
  } else if (r.srcLen) p.any('src', `0/${r.srcLen}`, `from 0/${r.srcLen} `);
  if (a.nhId !== undefined) p.any('nhid', a.nhId, `nhid ${a.nhId} `);
  if (r.tos && !o.tosFiltered) {
    const t = '0x' + r.tos.toString(16).padStart(2, '0');
    p.any('tos', t, `tos ${t} `);
  }
  if (a.gateway !== undefined && !o.viaExact) {
    const g = addrText(a.gateway);
    p.jsonOnly('gateway', g);
    p.text(`via ${g} `);
  }
  if (a.via !== undefined) printVia(p, a.via);
  if (a.oif !== undefined && !o.devFiltered) {
    const d = names.name(a.oif);
    p.jsonOnly('dev', d);
    p.text(`dev ${d} `);
  }
  if (r.table && (r.table !== TABLE.main || o.details) && !o.tableChosen) {
    const t = tableName(r.table);
    p.any('table', t, `table ${t} `);
  }
  if (!(r.flags & RTM_F.cloned)) {
    if ((r.protocol !== RTPROT.boot || o.details) && !o.protocolFiltered) {
      const s = protocolName(r.protocol);
      p.any('protocol', s, `proto ${s} `);
    }
    if ((r.scope !== 0 || o.details) && !o.scopeFiltered) {
      const s = scopeName(r.scope);
      p.any('scope', s, `scope ${s} `);
    }
  }
  if (a.prefsrc !== undefined && !o.prefsrcExact) {
    const s = addrText(a.prefsrc);
    p.jsonOnly('prefsrc', s);
    p.text(`src ${s} `);
  }
  if (a.priority !== undefined && !o.metricFiltered) p.any('metric', a.priority, `metric ${a.priority} `);
  printRtFlags(p, r.flags);
  if (a.mark) {
    const mark = Number(a.mark) >>> 0;
    if (p.json) p.jsonOnly('mark', mark);
    else p.text(mark >= 16 ? `mark 0x${mark.toString(16)} ` : `mark ${mark} `);
  }
  if (a.flow !== undefined && !o.realmFiltered) printFlow(p, a.flow);
  if (a.uid !== undefined) p.any('uid', a.uid, `uid ${a.uid} `);
  if (r.family === AF.inet) {
    if (r.flags & RTM_F.cloned) printCacheFlags(p, r.flags);
    if (a.cacheinfo !== undefined) printCacheinfo(p, attrs(a.cacheinfo), o.stats);
  } else if (r.family === AF.inet6) {
    if (a.cacheinfo !== undefined) printCacheinfo(p, attrs(a.cacheinfo), o.stats);
  }
  if (a.metrics !== undefined) printMetrics(p, attrs(a.metrics));
  if (a.iif !== undefined && !o.iifFiltered) {
    const d = names.name(a.iif);
    p.jsonOnly('iif', d);
    p.text(`iif ${d} `);
  }
  if (a.pref !== undefined) {
    const s = enumName(D['rt-pref'], a.pref);
    if (s !== undefined && PREF_WORDS.has(s)) p.any('pref', s, `pref ${s}`);
    else p.any('pref', enumNum(D['rt-pref'], a.pref), `${enumNum(D['rt-pref'], a.pref)}`);
  }
  if (a.ttlPropagate !== undefined) {
    p.jsonOnly('ttl-propogate', !!a.ttlPropagate);
    p.text(`ttl-propogate ${a.ttlPropagate ? 'enabled' : 'disabled'}`);
  }
  if (Array.isArray(a.multipath)) printMultipath(p, r, a.multipath, names);
  p.text('\n');
  p.closeObject();
}
