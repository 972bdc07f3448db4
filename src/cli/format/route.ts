/**
 * `ip route show / get`: one route as iproute2 6.1 print_route writes it, text and JSON.
 */
import { rtRouteSpec } from '../../../protocol/rt-route.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { protocolName, realmName, routeTypeName, scopeName, tableName } from '../names.js';
import type { Printer } from './printer.js';
import { type LinkNames, attrs, enumNum, flagsNum, ipv6Text } from './values.js';

const D = rtRouteSpec.definitions as Record<string, any>;
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

const AF: Record<string, number> = { unspec: 0, inet: 2, bridge: 7, inet6: 10, mpls: 28, ipmr: 128, ip6mr: 129 };
const AF_NAME: Record<number, string> = { 0: 'unspec', 2: 'inet', 7: 'bridge', 10: 'inet6', 17: 'link', 28: 'mpls', 128: 'inet', 129: 'inet6' };

export function routeHeader(m: NetlinkMessage): RouteHeader {
  const h = attrs(m.header);
  const a = attrs(m.attrs);
  return {
    family: typeof h.family === 'number' ? h.family : (AF[h.family] ?? 0),
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

const RTM_F_CLONED = 0x200;

/** ip's order and words for rtm_flags / rtnh_flags. */
const RT_FLAGS: [number, string][] = [
  [0x1, 'dead'],
  [0x4, 'onlink'],
  [0x2, 'pervasive'],
  [0x8, 'offload'],
  [0x40, 'trap'],
  [0x100, 'notify'],
  [0x10, 'linkdown'],
  [0x20, 'unresolved'],
  [0x4000, 'rt_offload'],
  [0x8000, 'rt_trap'],
  [0x20000000, 'rt_offload_failed'],
];

function printRtFlags(p: Printer, flags: number): void {
  p.openArray(p.json ? 'flags' : null);
  for (const [bit, name] of RT_FLAGS) if (flags & bit) p.any(null, name, `${name} `);
  p.closeArray();
}

function hostLen(family: number): number {
  return family === 2 || family === 128 ? 32 : family === 10 || family === 129 ? 128 : family === 28 ? 20 : 0;
}

function addr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    if (v.length === 4) return Array.from(v).join('.');
    if (v.length === 16) return ipv6Text(v);
    return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(':');
  }
  return String(v);
}

/** struct rtvia decoded as bytes or { family, addr }. */
function via(v: unknown): { family: string; host: string } {
  if (v instanceof Uint8Array) {
    const fam = v.length >= 2 ? new DataView(v.buffer, v.byteOffset, v.byteLength).getUint16(0, true) : 0;
    return { family: AF_NAME[fam] ?? String(fam), host: addr(v.subarray(2)) };
  }
  const o = attrs(v);
  const fam = typeof o.family === 'number' ? (AF_NAME[o.family] ?? String(o.family)) : String(o.family ?? 'unspec');
  return { family: fam, host: addr(o.addr ?? o.address ?? o.opts) };
}

function printVia(p: Printer, v: unknown): void {
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

const MX: [string, string, number][] = [
  ['mtu', 'mtu', 2],
  ['window', 'window', 3],
  ['rtt', 'rtt', 4],
  ['rttvar', 'rttvar', 5],
  ['ssthresh', 'ssthresh', 6],
  ['cwnd', 'cwnd', 7],
  ['advmss', 'advmss', 8],
  ['reordering', 'reordering', 9],
  ['hoplimit', 'hoplimit', 10],
  ['initcwnd', 'initcwnd', 11],
  ['features', 'features', 12],
  ['rtoMin', 'rto_min', 13],
  ['initrwnd', 'initrwnd', 14],
  ['quickack', 'quickack', 15],
  ['ccAlgo', 'congctl', 16],
  ['fastopenNoCookie', 'fastopen_no_cookie', 17],
];

/** %g of seconds, as printf prints small decimal values. */
function gSeconds(ms: number): string {
  const s = ms / 1e3;
  return String(Number(s.toPrecision(6)));
}

function printMetrics(p: Printer, mx: Record<string, any>): void {
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
        if (f & 1) {
          p.any('ecn', null, 'ecn ');
          f &= ~1;
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

const CACHE_FLAGS: [number, string][] = [
  [0x80000000, 'local'],
  [0x40000000, 'reject'],
  [0x20000000, 'mc'],
  [0x10000000, 'brd'],
  [0x08000000, 'dst-nat'],
  [0x04000000, 'src-nat'],
  [0x02000000, 'masq'],
  [0x01000000, 'dst-direct'],
  [0x00800000, 'src-direct'],
  [0x00400000, 'redirected'],
  [0x00200000, 'redirect'],
  [0x00100000, 'fastroute'],
  [0x00080000, 'notify'],
  [0x00040000, 'proxy'],
];

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

function printCacheinfo(p: Printer, ci: Record<string, any>, stats: number): void {
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
    p.any('tsage', ci.tsage, `tsage ${ci.tsage}sec `);
  }
}

function printMultipath(p: Printer, r: RouteHeader, hops: Record<string, any>[], names: LinkNames): void {
  p.openArray(p.json ? 'nexthops' : null);
  let first = true;
  const mcast = r.flags & RTM_F_CLONED && r.type === 5;
  for (const nh of hops) {
    p.openObject();
    if (mcast) {
      p.text(first ? 'Oifs: ' : ' ');
      first = false;
    } else p.text('\n\tnexthop ');
    const a = attrs(nh.attrs);
    if (a.gateway !== undefined) {
      const g = addr(a.gateway);
      p.jsonOnly('gateway', g);
      p.text(`via ${g} `);
    }
    if (a.via !== undefined) printVia(p, a.via);
    if (a.flow !== undefined) printFlow(p, a.flow);
    const dev = names.name(nh.ifindex);
    if (mcast) {
      p.any('dev', dev, dev);
      if ((nh.hops ?? 0) !== 1) p.any('ttl', nh.hops ?? 0, `(ttl>${nh.hops ?? 0})`);
      p.text(' ');
    } else {
      p.any('dev', dev, `dev ${dev} `);
      if (r.family !== 28) p.any('weight', (nh.hops ?? 0) + 1, `weight ${(nh.hops ?? 0) + 1} `);
    }
    printRtFlags(p, flagsNum(D['rtnh-flags'], nh.flags));
    p.closeObject();
  }
  p.closeArray();
}

/** One route, wrapped in its JSON object. */
export function printRoute(p: Printer, m: NetlinkMessage, names: LinkNames, o: RouteFormatOptions): void {
  const r = routeHeader(m);
  const a = attrs(m.attrs);
  const hl = hostLen(r.family);
  p.openObject();
  if (m.kind === 'delroute') p.any('deleted', true, 'Deleted ');
  if (r.type !== 1 || o.details) {
    const t = routeTypeName(r.type);
    p.any('type', t, `${t} `);
  }
  let dst: string;
  if (a.dst !== undefined) dst = r.dstLen !== hl ? `${addr(a.dst)}/${r.dstLen}` : addr(a.dst);
  else if (r.dstLen) dst = `0/${r.dstLen} `;
  else dst = 'default';
  p.any('dst', dst, `${dst} `);
  if (a.src !== undefined) {
    const s = r.srcLen !== hl ? `${addr(a.src)}/${r.srcLen}` : addr(a.src);
    p.any('from', s, `from ${s} `);
  } else if (r.srcLen) p.any('src', `0/${r.srcLen}`, `from 0/${r.srcLen} `);
  if (a.nhId !== undefined) p.any('nhid', a.nhId, `nhid ${a.nhId} `);
  if (r.tos && !o.tosFiltered) {
    const t = '0x' + r.tos.toString(16).padStart(2, '0');
    p.any('tos', t, `tos ${t} `);
  }
  if (a.gateway !== undefined && !o.viaExact) {
    const g = addr(a.gateway);
    p.jsonOnly('gateway', g);
    p.text(`via ${g} `);
  }
  if (a.via !== undefined) printVia(p, a.via);
  if (a.oif !== undefined && !o.devFiltered) {
    const d = names.name(a.oif);
    p.jsonOnly('dev', d);
    p.text(`dev ${d} `);
  }
  if (r.table && (r.table !== 254 || o.details) && !o.tableChosen) {
    const t = tableName(r.table);
    p.any('table', t, `table ${t} `);
  }
  if (!(r.flags & RTM_F_CLONED)) {
    if ((r.protocol !== 3 || o.details) && !o.protocolFiltered) {
      const s = protocolName(r.protocol);
      p.any('protocol', s, `proto ${s} `);
    }
    if ((r.scope !== 0 || o.details) && !o.scopeFiltered) {
      const s = scopeName(r.scope);
      p.any('scope', s, `scope ${s} `);
    }
  }
  if (a.prefsrc !== undefined && !o.prefsrcExact) {
    const s = addr(a.prefsrc);
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
  if (r.family === 2) {
    if (r.flags & RTM_F_CLONED) printCacheFlags(p, r.flags);
    if (a.cacheinfo !== undefined) printCacheinfo(p, attrs(a.cacheinfo), o.stats);
  } else if (r.family === 10) {
    if (a.cacheinfo !== undefined) printCacheinfo(p, attrs(a.cacheinfo), o.stats);
  }
  if (a.metrics !== undefined) printMetrics(p, attrs(a.metrics));
  if (a.iif !== undefined && !o.iifFiltered) {
    const d = names.name(a.iif);
    p.jsonOnly('iif', d);
    p.text(`iif ${d} `);
  }
  if (a.pref !== undefined) {
    const pref = enumNum(D['rt-pref'], a.pref);
    const s = pref === 3 ? 'low' : pref === 0 ? 'medium' : pref === 1 ? 'high' : undefined;
    if (s) p.any('pref', s, `pref ${s}`);
    else p.any('pref', pref, `${pref}`);
  }
  if (a.ttlPropagate !== undefined) {
    p.jsonOnly('ttl-propogate', !!a.ttlPropagate);
    p.text(`ttl-propogate ${a.ttlPropagate ? 'enabled' : 'disabled'}`);
  }
  if (Array.isArray(a.multipath)) printMultipath(p, r, a.multipath as Record<string, any>[], names);
  p.text('\n');
  p.closeObject();
}
