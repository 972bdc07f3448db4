/**
 * Rule statements (libnftables-json(5) STATEMENTS) -> evaluated statements, as nft 1.0.6 evaluates
 * them: matches with their dependencies, verdicts, counters, limits, quotas, logging, reject, NAT,
 * notrack, mangle (meta / ct set), verdict maps and set updates. xt statements are refused: they are
 * iptables-nft's, and nft cannot write them either.
 */
import { META_SETTABLE, CT_SETTABLE } from './linearize-fields.js';
import { type CmpOp, type Emitter, type Load, type Rhs, type Stmt, regName } from './linearize-emit.js';
import { type RuleEnv, OPS, encodeFor, learn, parseLoad, stringWildcard, subByte } from './linearize-match.js';
import { type JsonObject, type JsonPath, fail, failAt, flagBits, isObject, onlyKeys, oneOf, singleKey } from './json-path.js';
import { TYPES, bytesToInt, encodeValue, intBytes, parseAddress } from './linearize-types.js';
import { linearizeNat } from './linearize-nat.js';
import { statefulExpr } from './linearize-stateful.js';
import { ICMPV6_CODE_SYMBOLS, ICMPX_CODE_SYMBOLS, ICMP_CODE_SYMBOLS } from './symbol-tables.js';

export interface StmtEnv extends RuleEnv {
  /** Dependencies nft puts at the head of the rule (reject's). */
  head: Stmt[];
  /** Chain names a jump or goto may name (checked when known). */
  checkChain?: (name: string, path: JsonPath) => void;
}

function stmt(emit: (e: Emitter) => void): Stmt {
  return { kind: 'stmt', emit };
}

// ---------------------------------------------------------------------------------------------
// match

function matchRhs(env: StmtEnv, left: Load, op: CmpOp, json: unknown, path: JsonPath): { left: Load; right: Rhs } {
  const ordered = op === 'lt' || op === 'gt' || op === 'lte' || op === 'gte';
  const hostWide = left.slot.byteorder === 'host' && left.slot.bits > 8 && left.kind !== 'concat' && left.slot.type.parse !== 'string';
  if (typeof json === 'string' && json.startsWith('@')) {
    if (ordered) failAt(path, `"${OP_TEXT[op]}" cannot compare with a set`);
    const named = env.named(json.slice(1), path);
    if (named.map) failAt(path, `@${json.slice(1)} is a map; look values up with a "vmap" statement or a "map" expression`);
    return { left, right: { kind: 'set', set: named.ref } };
  }
  if (isObject(json) && 'set' in json) {
    if (ordered) failAt(path, `"${OP_TEXT[op]}" cannot compare with a set`);
    const items = Array.isArray(json.set) ? json.set : [json.set];
    const interval =
      items.some((i) => isObject(i) && ('range' in i || 'prefix' in i)) || items.some((i) => stringWildcard(left.slot, i) !== undefined);
    const sub = subByte(left);
    if (sub) return { left: sub.load, right: { kind: 'set', set: env.anonymous(sub.load, items, path.key('set'), undefined, sub.shift) } };
    const key: Load = interval && hostWide ? { kind: 'hton', left, slot: { ...left.slot, byteorder: 'big' } } : left;
    return { left: key, right: { kind: 'set', set: env.anonymous(key, items, path.key('set')) } };
  }
  if (isObject(json) && 'range' in json) return rangeRhs(left, op, json.range, path.key('range'), hostWide);
  if (isObject(json) && 'prefix' in json) return { left, right: prefixRhs(left, json.prefix, path.key('prefix')) };
  if (Array.isArray(json)) {
    if (!left.slot.type.bitmask)
      failAt(path, `a list matches flags (ct state, tcp flags...); ${left.slot.type.name} is not a flag type: use { "set": [...] }`);
    return { left, right: { kind: 'flags', bytes: encodeFor(left, json, path) } };
  }
  if (left.slot.type === TYPES.iface_index && typeof json === 'string' && !/^\d+$/.test(json)) {
    const index = env.ifindex?.(json);
    if (index === undefined) {
      failAt(
        path,
        `"${json}" is an interface name where its index is compared (iif, oif): use iifname / oifname, or give its index (options.ifindex resolves names)`,
      );
    }
    json = index;
  }
  const wildcard = stringWildcard(left.slot, json);
  if (wildcard !== undefined) {
    const bytes = new Uint8Array(Math.ceil(left.slot.bits / 8));
    bytes.set(wildcard);
    return { left, right: { kind: 'prefix', bytes, len: wildcard.length * 8, string: true } };
  }
  if (op === 'implicit' && !left.slot.type.bitmask && left.kind !== 'bitwise') {
    failAt(path, `"in" tests flags or set membership; ${left.slot.type.name} is not a flag type: use "==" or a { "set": [...] }`);
  }
  const sub = subByte(left);
  if (sub) {
    const v = bytesToInt(encodeFor(left, json, path), 'big') << BigInt(sub.shift);
    return { left: sub.load, right: { kind: 'value', bytes: intBytes(v, sub.mask.length, 'big') } };
  }
  if (ordered && hostWide) {
    return { left: { kind: 'hton', left, slot: { ...left.slot, byteorder: 'big' } }, right: { kind: 'value', bytes: encodeBig(left, json, path) } };
  }
  return { left, right: { kind: 'value', bytes: encodeFor(left, json, path) } };
}

const OP_TEXT: Readonly<Record<CmpOp, string>> = { eq: '==', neq: '!=', lt: '<', gt: '>', lte: '<=', gte: '>=', implicit: 'in' };

function encodeBig(left: Load, v: unknown, path: JsonPath): Uint8Array {
  return encodeValue({ ...left.slot, byteorder: 'big' }, v, path);
}

function rangeRhs(left: Load, op: CmpOp, body: unknown, path: JsonPath, hostWide: boolean): { left: Load; right: Rhs } {
  if (!Array.isArray(body) || body.length !== 2) return fail(path, body, 'must be [low, high]');
  if (op !== 'eq' && op !== 'neq' && op !== 'implicit') failAt(path, `a range is matched with "==" or "!=", not "${OP_TEXT[op]}"`);
  const enc = hostWide ? encodeBig : encodeFor;
  let low = enc(left, body[0], path.at(0));
  let high = enc(left, body[1], path.at(1));
  if (bytesToInt(low, 'big') > bytesToInt(high, 'big'))
    failAt(path, `the range is empty: ${JSON.stringify(body[0])} is above ${JSON.stringify(body[1])}`);
  let l = hostWide ? ({ kind: 'hton', left, slot: { ...left.slot, byteorder: 'big' } } as Load) : left;
  const sub = subByte(left);
  if (sub) {
    const shift = (b: Uint8Array) => intBytes(bytesToInt(b, 'big') << BigInt(sub.shift), sub.mask.length, 'big');
    low = shift(low);
    high = shift(high);
    l = sub.load;
  }
  return { left: l, right: { kind: 'range', low, high } };
}

function prefixRhs(left: Load, body: unknown, path: JsonPath): Rhs {
  if (!isObject(body)) return fail(path, body, 'must be { "addr": ..., "len": ... }');
  const type = left.slot.type;
  if (type !== TYPES.ipv4_addr && type !== TYPES.ipv6_addr && type !== TYPES.integer && type !== TYPES.mark) {
    failAt(path, `a prefix matches addresses; ${type.name} is not one`);
  }
  const bytes = encodeFor(left, body.addr, path.key('addr'));
  const len = body.len;
  const bits = bytes.length * 8;
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > bits)
    fail(path.key('len'), len, `must be a prefix length from 0 to ${bits}`);
  const masked = intBytes(bytesToInt(bytes, 'big') & (((1n << BigInt(len)) - 1n) << BigInt(bits - len)), bytes.length, 'big');
  return { kind: 'prefix', bytes: left.slot.byteorder === 'host' ? bytes : masked, len };
}

function match(env: StmtEnv, body: unknown, path: JsonPath): void {
  if (!isObject(body)) fail(path, body, 'must be { "op": "==", "left": ..., "right": ... }');
  onlyKeys(body, ['op', 'left', 'right'], path, 'a match');
  const op =
    typeof body.op === 'string' && Object.hasOwn(OPS, body.op)
      ? OPS[body.op]!
      : fail(path.key('op'), body.op, 'is not an operator (==, !=, <, >, <=, >=, in)');
  if (body.left === undefined) failAt(path, '"left" is missing (what to match: a payload, meta or ct expression)');
  if (body.right === undefined) failAt(path, '"right" is missing (the value to match)');
  const left = parseLoad(env, body.left, path.key('left'));
  const r = matchRhs(env, left, op, body.right, path.key('right'));
  learn(env, left, op, r.right);
  env.out.push({ kind: 'match', left: r.left, op, right: r.right });
}

// ---------------------------------------------------------------------------------------------
// verdicts, counters, limits, quotas, log

const VERDICTS = ['accept', 'drop', 'continue', 'return', 'jump', 'goto'];

function verdict(env: StmtEnv, kind: string, body: unknown, path: JsonPath): void {
  let chain: string | undefined;
  if (kind === 'jump' || kind === 'goto') {
    chain = isObject(body) && typeof body.target === 'string' ? body.target : undefined;
    if (!chain) fail(path.key('target'), isObject(body) ? body.target : body, `must name the chain to ${kind} to`);
    env.checkChain?.(chain, path.key('target'));
  } else if (body !== null && !(isObject(body) && Object.keys(body).length === 0)) fail(path, body, `must be null ({ "${kind}": null })`);
  env.out.push(stmt((e) => e.verdict(kind, chain)));
}

const LOG_LEVELS: Readonly<Record<string, string>> = {
  emerg: 'emerg',
  alert: 'alert',
  crit: 'crit',
  err: 'err',
  warn: 'warning',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
  audit: 'audit',
};
const LOG_FLAGS: Readonly<Record<string, number>> = { 'tcp sequence': 1, 'tcp options': 2, 'ip options': 4, skuid: 8, ether: 0x20, all: 0x2f };

function log(body: unknown, path: JsonPath): Stmt {
  const o = (body ?? {}) as JsonObject;
  if (!isObject(o)) fail(path, body, 'must be null or { "prefix": ..., "level": ... }');
  onlyKeys(o, ['prefix', 'group', 'snaplen', 'queue-threshold', 'level', 'flags'], path, 'a log statement');
  const data: Record<string, unknown> = {};
  if (o.prefix !== undefined) {
    if (typeof o.prefix !== 'string') fail(path.key('prefix'), o.prefix, 'must be a string');
    if (new TextEncoder().encode(o.prefix).length > 127) fail(path.key('prefix'), o.prefix, 'is longer than the 127 bytes a log prefix can have');
  }
  const num = (k: string, max: number) => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(path.key(k), v, `must be an integer from 0 to ${max}`);
    return v;
  };
  const group = num('group', 0xffff);
  if (group !== undefined) data.group = group;
  if (o.prefix !== undefined) data.prefix = o.prefix;
  if (group !== undefined) {
    const snaplen = num('snaplen', 0xffffffff);
    const qthreshold = num('queue-threshold', 0xffff);
    if (snaplen !== undefined) data.snaplen = snaplen;
    if (qthreshold !== undefined) data.qthreshold = qthreshold;
  } else {
    if (o.level !== undefined) data.level = LOG_LEVELS[oneOf(o.level, Object.keys(LOG_LEVELS), path.key('level'), 'a log level')];
    const flags = o.flags === undefined ? 0 : flagBits(o.flags, LOG_FLAGS, path.key('flags'), 'a log flag');
    if (flags !== 0) data.flags = flags;
  }
  return stmt((e) => e.push('log', data));
}

// ---------------------------------------------------------------------------------------------
// reject

function depAtHead(env: StmtEnv, make: () => void): void {
  const saved = env.out;
  env.out = [];
  make();
  env.head.unshift(...env.out);
  env.out = saved;
}

function reject(env: StmtEnv, body: unknown, path: JsonPath): void {
  const o = (body ?? {}) as JsonObject;
  if (!isObject(o)) fail(path, body, 'must be null or { "type": ..., "expr": ... }');
  onlyKeys(o, ['type', 'expr'], path, 'a reject statement');
  const fam = env.family;
  const dflt = fam === 'ip' ? 'icmp' : fam === 'ip6' ? 'icmpv6' : 'icmpx';
  const type = o.type === undefined ? dflt : oneOf(o.type, ['tcp reset', 'icmpx', 'icmp', 'icmpv6'], path.key('type'), 'a reject type');
  let code = 0;
  if (type === 'tcp reset') {
    if (o.expr !== undefined) failAt(path.key('expr'), 'a tcp reset has no code');
    depAtHead(env, () => {
      if (env.ctx.l4 !== 'tcp') matchTcp(env, path);
    });
  } else {
    const table = type === 'icmp' ? ICMP_CODE_SYMBOLS : type === 'icmpv6' ? ICMPV6_CODE_SYMBOLS : ICMPX_CODE_SYMBOLS;
    code = o.expr === undefined ? table['port-unreachable']! : table[oneOf(o.expr, Object.keys(table), path.key('expr'), `an ${type} code`)]!;
    if (type === 'icmpx' && (fam === 'ip' || fam === 'ip6') && code !== 1)
      failAt(path, 'abstracted ICMP unreachable (icmpx) is only port-unreachable in ip and ip6 tables');
    const l3 = type === 'icmp' ? 'ip' : type === 'icmpv6' ? 'ip6' : undefined;
    if (l3 && (fam === 'ip' || fam === 'ip6') && fam !== l3) failAt(path.key('type'), `${type} cannot answer in an ${fam} table`);
    if (l3 && fam !== 'ip' && fam !== 'ip6' && env.ctx.l3 !== l3) {
      depAtHead(env, () => {
        env.out.push({ kind: 'match', left: metaLoad('nfproto'), op: 'eq', right: { kind: 'value', bytes: Uint8Array.of(l3 === 'ip' ? 2 : 10) } });
      });
      env.ctx.l3 = l3;
    }
  }
  const rtype = type === 'tcp reset' ? 'tcp-rst' : type === 'icmpx' ? 'icmpx-unreach' : 'icmp-unreach';
  env.out.push(stmt((e) => e.push('reject', { type: rtype, icmpCode: code })));
}

function metaLoad(key: 'nfproto' | 'l4proto'): Load {
  return {
    kind: 'meta',
    key,
    jsonKey: key,
    slot: { type: key === 'nfproto' ? TYPES.nf_proto : TYPES.inet_proto, bits: 8, byteorder: key === 'nfproto' ? 'host' : 'big' },
  };
}

function matchTcp(env: StmtEnv, _path: JsonPath): void {
  env.out.push({ kind: 'match', left: metaLoad('l4proto'), op: 'eq', right: { kind: 'value', bytes: Uint8Array.of(6) } });
  env.ctx.l4 = 'tcp';
}

// ---------------------------------------------------------------------------------------------
// mangle, vmap, set updates

function mangle(env: StmtEnv, body: unknown, path: JsonPath): void {
  if (!isObject(body)) fail(path, body, 'must be { "key": ..., "value": ... }');
  onlyKeys(body, ['key', 'value'], path, 'a mangle statement');
  const [kind, kbody] = singleKey(body.key, path.key('key'), 'an expression');
  if (kind !== 'meta' && kind !== 'ct')
    failAt(path.key('key'), `only meta and ct keys can be set here (${kind} changes packet data, which this linearizer does not write)`);
  const key = parseLoad(env, body.key, path.key('key'));
  if (key.kind !== 'meta' && key.kind !== 'ct') return;
  const settable = key.kind === 'meta' ? META_SETTABLE : CT_SETTABLE;
  if (!settable.has(key.jsonKey)) failAt(path.key('key').key(kind), `${kind} ${key.jsonKey} cannot be set (settable: ${[...settable].join(', ')})`);
  const v = body.value;
  const source: Load =
    isObject(v) && !('concat' in v)
      ? parseLoad(env, v, path.key('value'))
      : { kind: 'imm', bytes: encodeValue(key.slot, v, path.key('value')), slot: key.slot };
  void kbody;
  env.out.push(
    stmt((e) => {
      const sreg = e.get(source);
      e.load(source, sreg);
      e.release(source);
      if (key.kind === 'meta') e.push('meta', { key: key.key, sreg: regName(sreg) });
      else e.push('ct', { key: key.key, sreg: regName(sreg), ...(key.dir !== undefined && { direction: key.dir }) });
    }),
  );
}

function vmap(env: StmtEnv, body: unknown, path: JsonPath): void {
  if (!isObject(body)) fail(path, body, 'must be { "key": ..., "data": ... }');
  onlyKeys(body, ['key', 'data'], path, 'a vmap statement');
  const key = parseLoad(env, body.key, path.key('key'));
  const data = body.data;
  if (typeof data === 'string' && data.startsWith('@')) {
    const named = env.named(data.slice(1), path.key('data'));
    env.out.push({ kind: 'vmap', key, set: named.ref });
    return;
  }
  if (!isObject(data) || !('set' in data)) fail(path.key('data'), data, 'must be { "set": [[key, verdict], ...] } or "@name" of a verdict map');
  const items = Array.isArray(data.set) ? data.set : [data.set];
  env.out.push({ kind: 'vmap', key, set: env.anonymous(key, items, path.key('data').key('set'), 'verdict') });
}

function setUpdate(env: StmtEnv, body: unknown, path: JsonPath): void {
  if (!isObject(body)) fail(path, body, 'must be { "op": "add", "elem": ..., "set": "@name" }');
  onlyKeys(body, ['op', 'elem', 'set'], path, 'a set statement');
  const op = oneOf(body.op, ['add', 'update', 'delete'], path.key('op'), 'a set operation');
  const name =
    typeof body.set === 'string' && body.set.startsWith('@') ? body.set.slice(1) : fail(path.key('set'), body.set, 'must be "@name" of a set');
  const ref = env.named(name, path.key('set')).ref;
  const key = parseLoad(env, body.elem, path.key('elem'));
  env.out.push(
    stmt((e) => {
      const sreg = e.get(key);
      e.load(key, sreg);
      e.release(key);
      e.push('dynset', { sregKey: regName(sreg), op, setName: ref.name, ...(ref.id !== undefined && { setId: ref.id }) });
    }),
  );
}

// ---------------------------------------------------------------------------------------------

const TERMINAL = new Set(['accept', 'drop', 'return', 'goto', 'jump', 'reject', 'masquerade', 'snat', 'dnat', 'redirect', 'queue']);

/** One statement of a rule's "expr" list. */
export function parseStatement(env: StmtEnv, json: unknown, path: JsonPath): string {
  const [kind, body] = singleKey(json, path, 'a statement');
  const p = path.key(kind);
  if (VERDICTS.includes(kind)) {
    verdict(env, kind, body, p);
    return kind;
  }
  switch (kind) {
    case 'match':
      match(env, body, p);
      break;
    case 'counter':
    case 'limit':
    case 'quota': {
      const x = statefulExpr(kind, body, p);
      env.out.push(stmt((e) => e.exprs.push(x)));
      break;
    }
    case 'log':
      env.out.push(log(body, p));
      break;
    case 'reject':
      reject(env, body, p);
      break;
    case 'notrack':
      if (body !== null) fail(p, body, 'must be null');
      env.out.push(stmt((e) => e.push('notrack')));
      break;
    case 'snat':
    case 'dnat':
    case 'masquerade':
    case 'redirect':
      linearizeNat(env, kind, body, p);
      break;
    case 'mangle':
      mangle(env, body, p);
      break;
    case 'vmap':
      vmap(env, body, p);
      break;
    case 'set':
      setUpdate(env, body, p);
      break;
    case 'xt':
      failAt(
        p,
        'xt statements are how iptables-nft stores its extensions; nft cannot recreate them from JSON, and neither can this library: change such rules with iptables-nft, or write them as native statements (match, counter, masquerade...)',
      );
      break;
    default:
      failAt(
        path,
        `"${kind}" is not a statement this linearizer supports (match, accept, drop, continue, return, jump, goto, counter, limit, quota, log, reject, notrack, snat, dnat, masquerade, redirect, mangle, vmap, set)`,
      );
  }
  return kind;
}

/** The statements of a rule, in order, with the dependencies nft adds. */
export function parseStatements(env: StmtEnv, list: unknown, path: JsonPath): Stmt[] {
  if (!Array.isArray(list)) return fail(path, list, 'must be a list of statements');
  let terminal: string | undefined;
  list.forEach((s, i) => {
    const kind = parseStatement(env, s, path.at(i));
    if (terminal !== undefined) failAt(path.at(i), `a statement after "${terminal}" has no effect (nft refuses it too)`);
    if (TERMINAL.has(kind)) terminal = kind;
  });
  return [...env.head, ...env.out];
}

export { parseAddress };
