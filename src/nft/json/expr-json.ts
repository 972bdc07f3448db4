/**
 * Expressions and statements -> libnftables JSON, as nft 1.0.6 prints them (src/json.c): same keys, same key
 * order, same collapsing of one-item flag lists into a string.
 */
import { type JsonValue, type PrintState, TYPE, datatypeJson } from './datatypes.js';
import type { Expr, LogStmt, NatStmt, NftSet, RejectStmt, Stmt } from './ir.js';
import { CT_TEMPLATES, META_TEMPLATES, RT_TEMPLATES, SOCKET_TEMPLATES, XFRM_TEMPLATES } from './meta-keys.js';
import { payloadIsKnown } from './postprocess.js';
import { mapStmtText } from './text-fallback.js';
import { NFT_XT_INFO } from './types.js';

type Obj = { [k: string]: JsonValue };

const BASE_TOKENS = ['invalid', 'll', 'nh', 'th', 'ih'];

/** json_add_array_new as 1.0.6 has it: nothing for none, the item itself for one, an array for more. */
export function addArray(obj: Obj, name: string, items: JsonValue[]): void {
  if (items.length > 1) obj[name] = items;
  else if (items.length === 1) obj[name] = items[0]!;
}

export function family2str(f: number): string {
  switch (f) {
    case 2:
      return 'ip';
    case 10:
      return 'ip6';
    case 1:
      return 'inet';
    case 3:
      return 'arp';
    case 7:
      return 'bridge';
    case 5:
      return 'netdev';
    default:
      return 'unknown';
  }
}

function opSymbol(op: string): string {
  switch (op) {
    case 'implicit':
      return 'in';
    case 'neg':
      return '!';
    default:
      return op;
  }
}

const VERDICT_NAMES: Record<number, string> = {
  [-1]: 'continue',
  [-2]: 'break',
  [-3]: 'jump',
  [-4]: 'goto',
  [-5]: 'return',
  1: 'accept',
  0: 'drop',
  3: 'queue',
};

function verdictJson(verdict: number, chain: string | undefined): JsonValue {
  const name = VERDICT_NAMES[verdict] ?? `verdict ${verdict}`;
  if ((verdict === -3 || verdict === -4) && chain !== undefined) return { [name]: { target: chain } };
  return { [name]: null };
}

function isVerdictMap(set: NftSet): boolean {
  return set.data?.dtype.type === TYPE.VERDICT;
}

function elemJson(e: Expr & { kind: 'set_elem' }, st: PrintState): JsonValue {
  const val = exprJson(e.key, st);
  if (!e.timeout && !e.expiration && e.comment === undefined && e.stmts.length === 0) return val;
  const root: Obj = { val };
  if (e.timeout) root.timeout = Number(e.timeout / 1000n);
  if (e.expiration) root.expires = Number(e.expiration / 1000n);
  if (e.comment !== undefined) root.comment = e.comment;
  for (const s of e.stmts) {
    const j = stmtJson(s, st) as Obj;
    for (const [k, v] of Object.entries(j)) if (!(k in root)) root[k] = v;
  }
  return { elem: root };
}

export function exprJson(e: Expr, st: PrintState): JsonValue {
  switch (e.kind) {
    case 'value':
      return datatypeJson(e, st);
    case 'payload':
      if (payloadIsKnown(e)) return { payload: { protocol: e.desc!.name, field: e.tmpl!.token } };
      return { payload: { base: BASE_TOKENS[e.base] ?? 'invalid', offset: e.offset, len: e.len } };
    case 'exthdr':
      return exthdrJson(e);
    case 'meta':
      return { meta: { key: META_TEMPLATES[e.key]?.token ?? `unknown-${e.key}` } };
    case 'ct':
      return ctJson(e.key, e.direction);
    case 'rt': {
      const root: Obj = { key: RT_TEMPLATES[e.key]?.token ?? 'unknown' };
      if (e.key === 1) root.family = 'ip';
      else if (e.key === 2) root.family = 'ip6';
      return { rt: root };
    }
    case 'socket':
      return { socket: { key: SOCKET_TEMPLATES[e.key]?.token ?? 'unknown' } };
    case 'osf': {
      const root: Obj = { key: e.osfFlags & 1 ? 'version' : 'name' };
      if (e.ttl === 1) root.ttl = 'loose';
      else if (e.ttl === 2) root.ttl = 'skip';
      return { osf: root };
    }
    case 'fib':
      return fibJson(e.result, e.fibFlags);
    case 'numgen':
      return { numgen: { mode: e.type === 0 ? 'inc' : e.type === 1 ? 'random' : 'unknown', mod: e.mod, offset: e.offset } };
    case 'hash': {
      const root: Obj = { mod: e.mod };
      if (e.seedSet) root.seed = e.seed;
      if (e.offset) root.offset = e.offset;
      if (e.type !== 1 && e.expr) root.expr = exprJson(e.expr, st);
      return { [e.type === 1 ? 'symhash' : 'jhash']: root };
    }
    case 'xfrm': {
      const root: Obj = { key: XFRM_TEMPLATES[e.key]?.token ?? 'unknown' };
      if (e.key === 1 || e.key === 3) root.family = 'ip';
      else if (e.key === 2 || e.key === 4) root.family = 'ip6';
      root.dir = e.dir === 0 ? 'in' : 'out';
      root.spnum = e.spnum;
      return { ipsec: root };
    }
    case 'binop':
      return { [e.op]: [exprJson(e.left, st), exprJson(e.right, st)] };
    case 'relational':
      return { match: { op: opSymbol(e.op), left: exprJson(e.left, st), right: exprJson(e.right, st) } };
    case 'flagcmp':
      return { match: { op: opSymbol(e.op), left: { '&': [exprJson(e.expr, st), exprJson(e.mask, st)] }, right: exprJson(e.value, st) } };
    case 'unary':
      return exprJson(e.arg, st);
    case 'range': {
      const inner: PrintState = { ...st, numericProto: true };
      return { range: [exprJson(e.left, inner), exprJson(e.right, inner)] };
    }
    case 'prefix':
      return { prefix: { addr: exprJson(e.prefix, st), len: e.prefixLen } };
    case 'concat':
      return { concat: e.exprs.map((i) => exprJson(i, st)) };
    case 'list':
      return e.exprs.map((i) => exprJson(i, st));
    case 'set':
      return { set: e.exprs.map((i) => exprJson(i, st)) };
    case 'set_ref':
      if (e.set.flags & 0x1) return e.set.init ? exprJson(e.set.init, st) : { set: [] };
      return `@${e.set.name}`;
    case 'set_elem':
      return elemJson(e, st);
    case 'mapping':
      return [exprJson(e.left, st), exprJson(e.right, st)];
    case 'map': {
      const type = e.mappings.kind === 'set_ref' && isVerdictMap(e.mappings.set) ? 'vmap' : 'map';
      return { [type]: { key: exprJson(e.map, st), data: exprJson(e.mappings, st) } };
    }
    case 'verdict':
      return verdictJson(e.verdict, e.chain);
    case 'catchall':
      return '*';
    default:
      return null;
  }
}

function ctJson(key: number, direction: number): JsonValue {
  const root: Obj = { key: CT_TEMPLATES[key]?.token ?? 'unknown' };
  if (direction === 0) root.dir = 'original';
  else if (direction === 1) root.dir = 'reply';
  return { ct: root };
}

function fibJson(result: number, flags: number): JsonValue {
  const names = ['saddr', 'daddr', 'mark', 'iif', 'oif'];
  const resultNames: Record<number, string> = { 1: 'oif', 2: 'oifname', 3: 'type' };
  const root: Obj = { result: resultNames[result] ?? 'unknown' };
  let rest = flags & ~0x20;
  if (rest) {
    const list: JsonValue[] = [];
    for (let i = 0; i < names.length; i++) {
      if (rest & (1 << i)) {
        list.push(names[i]!);
        rest &= ~(1 << i);
      }
    }
    if (rest) list.push(rest);
    if (list.length) root.flags = list;
  }
  return { fib: root };
}

function exthdrJson(e: Expr & { kind: 'exthdr' }): JsonValue {
  const exists = (e.exthdrFlags & 1) !== 0;
  const field = e.tmpl?.token ?? 'unknown';
  if (e.op === 1) {
    if (!e.desc) return { 'tcp option': { base: e.rawType, offset: e.offset, len: e.len } };
    const off = Math.floor(e.offset / 64);
    const root: Obj = { name: `${e.desc.name}${off > 0 && off < 4 ? String(off) : ''}` };
    if (!exists) root.field = field;
    return { 'tcp option': root };
  }
  if (e.op === 4) return { 'dccp option': { type: e.rawType } };
  const root: Obj = { name: e.desc?.name ?? 'unknown' };
  if (!exists) root.field = field;
  if (e.op === 2) return { 'ip option': root };
  if (e.op === 3) return { 'sctp chunk': root };
  return { exthdr: root };
}

// ------------------------------------------------------------------------------------------------------------
// statements

const DATA_UNITS = ['bytes', 'kbytes', 'mbytes'];

/** get_rate: the largest of bytes, kbytes, mbytes that divides the value. */
function getRate(bytes: bigint): [number, string] {
  let v = bytes;
  let i = 0;
  // nft 1.0.6 prints 0 as bytes (the loop would divide 0 up to mbytes)
  if (v === 0n) return [0, 'bytes'];
  for (; i + 1 < DATA_UNITS.length; i++) {
    if (v % 1024n) break;
    v /= 1024n;
  }
  return [Number(v), DATA_UNITS[i]!];
}

function getUnit(u: bigint): string {
  switch (u) {
    case 1n:
      return 'second';
    case 60n:
      return 'minute';
    case 3600n:
      return 'hour';
    case 86400n:
      return 'day';
    case 604800n:
      return 'week';
    default:
      return 'error';
  }
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

function logJson(s: LogStmt): JsonValue {
  const root: Obj = {};
  if (s.prefix !== undefined) root.prefix = s.prefix;
  if (s.group !== undefined) root.group = s.group;
  if (s.snaplen !== undefined) root.snaplen = s.snaplen;
  if (s.qthreshold !== undefined) root['queue-threshold'] = s.qthreshold;
  if (s.level !== undefined && s.level !== 4) root.level = LOG_LEVELS[s.level] ?? String(s.level);
  const flags: JsonValue[] = [];
  if ((s.logflags & 0x2f) === 0x2f) flags.push('all');
  else {
    if (s.logflags & 0x1) flags.push('tcp sequence');
    if (s.logflags & 0x2) flags.push('tcp options');
    if (s.logflags & 0x4) flags.push('ip options');
    if (s.logflags & 0x8) flags.push('skuid');
    if (s.logflags & 0x20) flags.push('ether');
  }
  addArray(root, 'flags', flags);
  return { log: Object.keys(root).length ? root : null };
}

function natFlags(flags: number): JsonValue[] {
  const out: JsonValue[] = [];
  if (flags & 0x4) out.push('random');
  if (flags & 0x10) out.push('fully-random');
  if (flags & 0x8) out.push('persistent');
  if (flags & 0x40) out.push('netmap');
  return out;
}

function natJson(s: NatStmt, st: PrintState): JsonValue {
  const root: Obj = {};
  if (s.family === 2 || s.family === 10) root.family = family2str(s.family);
  if (s.addr) root.addr = exprJson(s.addr, st);
  if (s.proto) root.port = exprJson(s.proto, st);
  addArray(root, 'flags', natFlags(s.flags));
  if (s.typeFlags & 0x2) addArray(root, 'type_flags', ['prefix']);
  return { [s.natType]: Object.keys(root).length ? root : null };
}

function rejectJson(s: RejectStmt, st: PrintState): JsonValue {
  let type: string | undefined;
  let expr: JsonValue | undefined;
  if (s.type === 1) type = 'tcp reset';
  else if (s.type === 2) {
    type = 'icmpx';
    expr = exprJson(s.expr, st);
  } else if (s.type === 0) {
    if (s.family === 2) {
      type = 'icmp';
      expr = exprJson(s.expr, st);
    } else if (s.family === 10) {
      type = 'icmpv6';
      expr = exprJson(s.expr, st);
    }
  }
  if (type === undefined && expr === undefined) return { reject: null };
  const root: Obj = {};
  if (type !== undefined) root.type = type;
  if (expr !== undefined) root.expr = expr;
  return { reject: root };
}

const OBJREF_NAMES: Record<number, string> = {
  1: 'counter',
  2: 'quota',
  3: 'ct helper',
  4: 'limit',
  7: 'ct timeout',
  8: 'secmark',
  9: 'ct expectation',
  10: 'synproxy',
};

/** A set statement's own statements (`add @s { ip saddr counter }`), printed without their state. */
export function stmtListJson(stmts: readonly Stmt[], st: PrintState): JsonValue[] {
  const stateless: PrintState & { stateless: boolean } = { ...st, stateless: true };
  return stmts.map((s) => stmtJson(s, stateless));
}

function isStateless(st: PrintState): boolean {
  return (st as { stateless?: boolean }).stateless === true;
}

export function stmtJson(s: Stmt, st: PrintState): JsonValue {
  switch (s.kind) {
    case 'expr':
      return exprJson(s.expr, st);
    case 'verdict':
      return exprJson(s.expr, st);
    case 'counter':
      if (isStateless(st)) return { counter: null };
      return { counter: { packets: Number(s.packets), bytes: Number(s.bytes) } };
    case 'payload':
    case 'exthdr':
      return { mangle: { key: exprJson(s.expr, st), value: exprJson(s.val, st) } };
    case 'meta':
      return { mangle: { key: { meta: { key: META_TEMPLATES[s.key]?.token ?? 'unknown' } }, value: exprJson(s.expr, st) } };
    case 'ct':
      return { mangle: { key: ctJson(s.key, s.direction), value: exprJson(s.expr, st) } };
    case 'quota': {
      const [val, unit] = getRate(s.bytes);
      const root: Obj = { val, val_unit: unit };
      if (s.flags & 1) root.inv = true;
      if (!isStateless(st) && s.used) {
        const [used, usedUnit] = getRate(s.used);
        root.used = used;
        root.used_unit = usedUnit;
      }
      return { quota: root };
    }
    case 'limit': {
      let rate: JsonValue = Number(s.rate);
      let burst: JsonValue = s.burst;
      let rateUnit: string | undefined;
      let burstUnit: string | undefined;
      if (s.type === 1) {
        [rate, rateUnit] = getRate(s.rate);
        [burst, burstUnit] = getRate(BigInt(s.burst));
      }
      const root: Obj = { rate, burst, per: getUnit(s.unit) };
      if (s.flags & 1) root.inv = true;
      if (rateUnit) root.rate_unit = rateUnit;
      if (burstUnit) root.burst_unit = burstUnit;
      return { limit: root };
    }
    case 'fwd': {
      const root: Obj = { dev: s.dev ? exprJson(s.dev, st) : null };
      if (s.addr) {
        root.family = family2str(s.family);
        root.addr = exprJson(s.addr, st);
      }
      return { fwd: root };
    }
    case 'notrack':
      return { notrack: null };
    case 'dup': {
      if (!s.to) return { dup: null };
      const root: Obj = { addr: exprJson(s.to, st) };
      if (s.dev) root.dev = exprJson(s.dev, st);
      return { dup: root };
    }
    case 'nat':
      return natJson(s, st);
    case 'reject':
      return rejectJson(s, st);
    case 'log':
      return logJson(s);
    case 'set': {
      const root: Obj = { op: SET_OPS[s.op] ?? 'add', elem: exprJson(s.key, st), set: `@${s.set.name}` };
      if (s.stmts.length) root.stmt = stmtListJson(s.stmts, st);
      return { set: root };
    }
    case 'map':
      // nft 1.0.6 has no JSON for map updates: json.c prints the statement's text instead
      return mapStmtText(s, st, (x) => x.kind);
    case 'meter': {
      const root: Obj = { key: exprJson(s.key, st), stmt: stmtJson(s.stmt, { ...st, stateless: true } as PrintState), size: s.size };
      root.name = s.set.name;
      return { meter: root };
    }
    case 'objref':
      return { [OBJREF_NAMES[s.type] ?? 'unknown']: exprJson(s.expr, st) };
    case 'queue': {
      const root: Obj = {};
      if (s.queue) root.num = exprJson(s.queue, st);
      const flags: JsonValue[] = [];
      if (s.flags & 1) flags.push('bypass');
      if (s.flags & 2) flags.push('fanout');
      addArray(root, 'flags', flags);
      return { queue: Object.keys(root).length ? root : null };
    }
    case 'connlimit': {
      const root: Obj = { val: s.count };
      if (s.flags & 1) root.inv = true;
      return { 'ct count': root };
    }
    case 'tproxy': {
      const root: Obj = {};
      if (s.tableFamily === 1 && s.family !== 0) root.family = family2str(s.family);
      if (s.addr) root.addr = exprJson(s.addr, st);
      if (s.port) root.port = exprJson(s.port, st);
      return { tproxy: root };
    }
    case 'synproxy': {
      const root: Obj = {};
      if (s.flags & 0x1) root.mss = s.mss;
      if (s.flags & 0x2) root.wscale = s.wscale;
      const flags: JsonValue[] = [];
      if (s.flags & 0x8) flags.push('timestamp');
      if (s.flags & 0x4) flags.push('sack-perm');
      addArray(root, 'flags', flags);
      return { synproxy: Object.keys(root).length ? root : null };
    }
    case 'xt': {
      // revision and info ride along under a symbol key (JSON.stringify leaves it out) for the text listing
      const xt: Obj = { type: s.type, name: s.name };
      (xt as Record<symbol, unknown>)[NFT_XT_INFO] = { rev: s.rev, info: s.info ?? new Uint8Array(0) };
      return { xt };
    }
    case 'flow_offload':
      return { flow: { op: 'add', flowtable: `@${s.table}` } };
    case 'last':
      if (isStateless(st) || s.set === 0) return { last: null };
      return { last: { used: Number(s.used) } };
    case 'unknown':
      return { unknown: { name: s.name } };
    default:
      return null;
  }
}

const SET_OPS = ['add', 'update', 'delete'];
