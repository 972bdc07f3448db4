/**
 * Netlink expressions -> statements (nftables src/netlink_delinearize.c, the parse half): a rule's expression
 * list is a small register machine (`payload load ... => reg 1`, `cmp eq reg 1 ...`); walking it with a model
 * of the registers turns loads and compares back into relational expressions and statements. Names and types
 * are not known yet; postprocess.ts completes them.
 */
import {
  type Attrs,
  BITWISE_OP,
  BYTEORDER_OP,
  CMP_OP,
  CT_DIRECTION,
  CT_KEY,
  DYNSET_OP,
  EXTHDR_FLAGS,
  EXTHDR_OP,
  FIB_FLAGS,
  FIB_RESULT,
  HASH_TYPE,
  LOOKUP_FLAGS,
  META_KEY,
  NFT_GOTO,
  NFT_JUMP,
  NG_TYPE,
  OSF_FLAGS,
  PAYLOAD_BASE,
  RANGE_OP,
  RT_KEY,
  SOCKET_KEY,
  XFRM_KEY,
  big,
  dataValue,
  dataVerdict,
  listElems,
  nest,
  num,
} from './attr-values.js';
import { concatSubtypeId, concatSubtypeLookup, integerType, invalidType, stringType, TYPE } from './datatypes.js';
import {
  type Expr,
  F_INTERVAL,
  type Op,
  type Stmt,
  type ValueExpr,
  binop,
  concatExpr,
  mapExpr,
  prefixExpr,
  rangeExpr,
  relational,
  setElem,
  setRef,
  setType,
  unaryExpr,
  valueExpr,
  verdictExpr,
} from './ir.js';
import { CT_TEMPLATES, META_TEMPLATES, RT_TEMPLATES, SOCKET_TEMPLATES, XFRM_TEMPLATES } from './meta-keys.js';
import { bitmask, paddedLen, registerSpace, scan0 } from './mpz.js';
import { exthdrInitRaw } from './exthdr.js';
import {
  type Handler,
  MAX_REGS,
  Parser,
  type ParseContext,
  type NetlinkExpr,
  ctExpr,
  metaExpr,
  payloadRaw,
  rawValue,
  fibExpr,
  MAX_DATA_BITS,
} from './registers.js';
import * as S from './delinearize-stmts.js';

// ------------------------------------------------------------------------------------------------------------
// the parsers, one per expression name

function parseImmediate(p: Parser, d: Attrs): void {
  const dreg = p.reg(d.dreg);
  const verdict = dataVerdict(d.data);
  if (dreg === 0) {
    if (!verdict) return;
    const chain = verdict.code === NFT_JUMP || verdict.code === NFT_GOTO ? verdict.chain : undefined;
    p.stmts.push({ kind: 'verdict', expr: verdictExpr(verdict.code, chain) });
    return;
  }
  const value = dataValue(d.data);
  if (value) p.set(dreg, rawValue(value));
}

function parseCmp(p: Parser, d: Attrs): void {
  const sreg = p.reg(d.sreg);
  let left = p.get(sreg);
  if (!left) return;
  const op = (['==', '!=', '<', '<=', '>', '>='] as Op[])[CMP_OP.num(d.op) ?? 0] ?? 'invalid';
  const data = dataValue(d.data);
  if (!data || data.length * 8 > MAX_DATA_BITS) return;
  let right: Expr = rawValue(data);
  if (left.len > right.len && basetypeId(left) !== TYPE.STRING) {
    const r = right as ValueExpr;
    r.value <<= BigInt(left.len - r.len);
    const prefixLen = r.len;
    r.len = left.len;
    right = prefixExpr(r, prefixLen);
  } else if (left.len > 0 && left.len < right.len) {
    const l = p.concat(sreg, right.len);
    if (!l) return;
    const r = concatData(p, sreg, right.len, right as ValueExpr);
    if (!r) return;
    left = l;
    right = r;
  }
  p.stmts.push({ kind: 'expr', expr: relational(op, left, right) });
}

/** netlink_parse_concat_data: split a compared value along the registers of a concatenation. */
function concatData(p: Parser, reg: number, len: number, data: ValueExpr): Expr | undefined {
  const c = concatExpr();
  let r = reg;
  let left = len;
  while (left > 0) {
    const e = p.get(r);
    if (!e) return undefined;
    const shift = BigInt(data.len - e.len);
    const slice = valueExpr(invalidType, 'invalid', e.len, (data.value >> shift) & bitmask(e.len));
    data.len -= e.len;
    data.value &= bitmask(data.len);
    const pad = paddedLen(e.len) - e.len;
    data.len -= pad;
    data.value &= bitmask(data.len);
    c.exprs.push(slice);
    left -= paddedLen(e.len);
    r += registerSpace(e.len);
  }
  return c;
}

function basetypeId(e: Expr): number {
  let t = e.dtype;
  while (t.basetype) t = t.basetype;
  return t.type;
}

function parseLookup(p: Parser, d: Attrs): void {
  const set = p.ctx.sets.get(String(d.set ?? ''));
  if (!set) return;
  const sreg = p.reg(d.sreg);
  let left = p.get(sreg);
  if (!left) return;
  if (left.len < set.key.len) {
    const c = p.concat(sreg, set.key.len);
    if (!c) return;
    left = c;
  }
  const right = setRef(set);
  let expr: Expr;
  if (d.dreg !== undefined) {
    const dreg = p.reg(d.dreg);
    expr = mapExpr(left, right);
    if (dreg !== 0) {
      p.set(dreg, expr);
      return;
    }
  } else {
    expr = relational('==', left, right);
  }
  if (LOOKUP_FLAGS.flags(d.flags) & 1) (expr as { op?: Op }).op = '!=';
  p.stmts.push({ kind: 'expr', expr });
}

function parseBitwise(p: Parser, d: Attrs): void {
  const left = p.get(p.reg(d.sreg));
  if (!left) return;
  const op = BITWISE_OP.num(d.op) ?? 0;
  let expr: Expr;
  if (op === 0) {
    const maskData = dataValue(d.mask);
    const xorData = dataValue(d.xor);
    if (!maskData || !xorData) return;
    expr = bitwiseBool(left, rawValue(maskData), rawValue(xorData));
  } else {
    const data = dataValue(d.data);
    if (!data) return;
    const right = rawValue(data);
    right.byteorder = 'host';
    expr = binop(op === 1 ? '<<' : '>>', left, right);
    expr.len = left.len;
  }
  p.set(p.reg(d.dreg), expr);
}

/** netlink_parse_bitwise_bool: (x & mask) ^ xor as AND, XOR and OR binops, dropping what is the identity. */
function bitwiseBool(left: Expr, mask: ValueExpr, xor: ValueExpr): Expr {
  let expr = left;
  let m = mask.value;
  let x = xor.value;
  let o = 0n;
  if (scan0(m, 0) !== mask.len || x !== 0n) {
    o = (m & x) ^ x;
    x &= m;
    m |= o;
  }
  if (!(left.len > 0 && scan0(m, 0) === left.len)) {
    mask.value = m;
    expr = binop('&', expr, mask);
    expr.len = left.len;
  }
  if (x !== 0n) {
    xor.value = x;
    expr = binop('^', expr, xor);
    expr.len = left.len;
  }
  if (o !== 0n) {
    const or = valueExpr(invalidType, 'invalid', xor.len, o);
    expr = binop('|', expr, or);
    expr.len = left.len;
  }
  return expr;
}

function parseByteorder(p: Parser, d: Attrs): void {
  const arg = p.get(p.reg(d.sreg));
  if (!arg) return;
  const op: Op = (BYTEORDER_OP.num(d.op) ?? 0) === 0 ? 'ntoh' : 'hton';
  const e = unaryExpr(op, arg);
  e.len = arg.len;
  p.set(p.reg(d.dreg), e);
}

function parsePayload(p: Parser, d: Attrs): void {
  const base = (PAYLOAD_BASE.num(d.base) ?? 0) + 1;
  const offset = (num(d.offset) ?? 0) * 8;
  const len = (num(d.len) ?? 0) * 8;
  if (d.dreg !== undefined) {
    p.set(p.reg(d.dreg), payloadRaw(base, offset, len));
    return;
  }
  const val = p.get(p.reg(d.sreg));
  if (!val) return;
  // payload statements are appended directly: nft does not let them close a pending dependency
  p.stmts.push({ kind: 'payload', expr: payloadRaw(base, offset, len), val });
}

function parseExthdr(p: Parser, d: Attrs): void {
  const e = exthdrInitRaw(num(d.type) ?? 0, (num(d.offset) ?? 0) * 8, (num(d.len) ?? 0) * 8, EXTHDR_OP.num(d.op) ?? 0, EXTHDR_FLAGS.flags(d.flags));
  if (d.dreg !== undefined) {
    p.set(p.reg(d.dreg), e);
    return;
  }
  if (d.sreg !== undefined) {
    const val = p.get(p.reg(d.sreg));
    if (!val) return;
    setType(val, e.dtype, e.byteorder);
    p.stmts.push({ kind: 'exthdr', expr: e, val });
  }
}

function parseMeta(p: Parser, d: Attrs): void {
  const key = META_KEY.num(d.key) ?? 0;
  if (d.dreg !== undefined) {
    p.set(p.reg(d.dreg), metaExpr(key));
    return;
  }
  const expr = p.get(p.reg(d.sreg));
  if (!expr) return;
  const t = META_TEMPLATES[key];
  if (t) setType(expr, t.dtype, t.byteorder);
  p.stmts.push({ kind: 'meta', key, expr });
}

function parseCt(p: Parser, d: Attrs): void {
  const key = CT_KEY.num(d.key) ?? 0;
  const direction = d.direction !== undefined ? (CT_DIRECTION.num(d.direction) ?? 0) : -1;
  if (d.dreg !== undefined) {
    p.set(p.reg(d.dreg), ctExpr(key, direction));
    return;
  }
  const expr = p.get(p.reg(d.sreg));
  if (!expr) return;
  const t = CT_TEMPLATES[key];
  if (t) setType(expr, t.dtype, t.byteorder);
  p.stmts.push({ kind: 'ct', key, direction, expr });
}

function parseRt(p: Parser, d: Attrs): void {
  const key = RT_KEY.num(d.key) ?? 0;
  const t = RT_TEMPLATES[key];
  p.set(p.reg(d.dreg), {
    kind: 'rt',
    dtype: t?.dtype ?? invalidType,
    byteorder: t?.byteorder ?? 'invalid',
    len: t?.len ?? 0,
    flags: 0,
    key,
  });
}

function parseSocket(p: Parser, d: Attrs): void {
  const key = SOCKET_KEY.num(d.key) ?? 0;
  const t = SOCKET_TEMPLATES[key];
  p.set(p.reg(d.dreg), {
    kind: 'socket',
    dtype: t?.dtype ?? invalidType,
    byteorder: t?.byteorder ?? 'invalid',
    len: t?.len ?? 0,
    flags: 0,
    key,
    level: num(d.level) ?? 0,
  });
}

function parseOsf(p: Parser, d: Attrs): void {
  p.set(p.reg(d.dreg), {
    kind: 'osf',
    dtype: stringType,
    byteorder: 'host',
    len: 16 * 8,
    flags: 0,
    ttl: num(d.ttl) ?? 0,
    osfFlags: OSF_FLAGS.flags(d.flags),
  });
}

function parseFib(p: Parser, d: Attrs): void {
  p.set(p.reg(d.dreg), fibExpr(FIB_FLAGS.flags(d.flags), FIB_RESULT.num(d.result) ?? 0));
}

function parseNumgen(p: Parser, d: Attrs): void {
  p.set(p.reg(d.dreg), {
    kind: 'numgen',
    dtype: integerType,
    byteorder: 'host',
    len: 32,
    flags: 0,
    type: NG_TYPE.num(d.type) ?? 0,
    mod: num(d.modulus) ?? 0,
    offset: num(d.offset) ?? 0,
  });
}

function parseHash(p: Parser, d: Attrs): void {
  const type = HASH_TYPE.num(d.type) ?? 0;
  const e: Expr = {
    kind: 'hash',
    dtype: integerType,
    byteorder: 'host',
    len: 32,
    flags: 0,
    type,
    mod: num(d.modulus) ?? 0,
    seed: num(d.seed) ?? 0,
    seedSet: d.seed !== undefined,
    offset: num(d.offset) ?? 0,
  };
  if (type !== 1) {
    const sreg = p.reg(d.sreg);
    let h = p.get(sreg);
    if (!h) return;
    const len = (num(d.len) ?? 0) * 8;
    if (h.len < len) {
      h = p.concat(sreg, len);
      if (!h) return;
    }
    e.expr = h;
  }
  p.set(p.reg(d.dreg), e);
}

function parseXfrm(p: Parser, d: Attrs): void {
  const key = XFRM_KEY.num(d.key) ?? 0;
  const t = XFRM_TEMPLATES[key];
  p.set(p.reg(d.dreg), {
    kind: 'xfrm',
    dtype: t?.dtype ?? invalidType,
    byteorder: t?.byteorder ?? 'invalid',
    len: t?.len ?? 0,
    flags: 0,
    key,
    dir: num(d.dir) ?? 0,
    spnum: num(d.spnum) ?? 0,
  });
}

function parseRange(p: Parser, d: Attrs): void {
  const left = p.get(p.reg(d.sreg));
  if (!left) return;
  const from = dataValue(d.fromData);
  const to = dataValue(d.toData);
  if (!from || !to) return;
  const op: Op = (RANGE_OP.num(d.op) ?? 0) === 0 ? '==' : '!=';
  p.stmts.push({ kind: 'expr', expr: relational(op, left, rangeExpr(rawValue(from), rawValue(to))) });
}

/** netlink_parse_concat_key: a dynset key spread over registers, typed by the set's key components. */
function concatKey(p: Parser, reg: number, key: Expr): Expr | undefined {
  const type = key.dtype.type;
  let n = Math.ceil(type.toString(2).length / 6);
  const c = concatExpr();
  let left = key.len;
  let r = reg;
  while (left > 0) {
    const e = p.get(r);
    if (!e) return undefined;
    if (n > 0 && concatSubtypeId(type, --n)) {
      const t = concatSubtypeLookup(type, n);
      if (t) setType(e, t, t.byteorder);
    }
    c.exprs.push(e);
    const consumed = paddedLen(e.len);
    if (consumed <= 0) return undefined;
    left -= consumed;
    r += registerSpace(e.len);
  }
  return c;
}

function parseDynset(p: Parser, d: Attrs): void {
  const set = p.ctx.sets.get(String(d.setName ?? ''));
  if (!set) return;
  const sreg = p.reg(d.sregKey);
  let key = p.get(sreg);
  if (!key) return;
  if (key.len < set.key.len) {
    const c = concatKey(p, sreg, set.key);
    if (!c) return;
    key = c;
  }
  const elem = setElem(key);
  elem.timeout = big(d.timeout) ?? 0n;

  const inner: Stmt[] = [];
  const one = d.expr !== undefined ? [d.expr] : listElems(d.expressions);
  for (const e of one) {
    const sub = new Parser(p.ctx);
    sub.regs.splice(0, MAX_REGS, ...p.regs);
    parseOne(sub, e as NetlinkExpr);
    if (sub.stmts.length !== 1) return;
    inner.push(sub.stmts[0]!);
  }

  let data: Expr | undefined;
  if (d.sregData !== undefined) data = p.get(p.reg(d.sregData));
  const op = DYNSET_OP.num(d.op) ?? 0;
  if (data) {
    if (set.data) setType(data, set.data.dtype, set.data.byteorder);
    p.stmts.push({ kind: 'map', op, key: elem, data, set, stmts: inner });
  } else if (inner.length > 0 && set.flags & 0x1) {
    p.stmts.push({ kind: 'meter', key: elem, stmt: inner[0]!, set, size: set.size });
  } else {
    p.stmts.push({ kind: 'set', op, key: elem, set, stmts: inner });
  }
}

const HANDLERS: Record<string, Handler> = {
  immediate: parseImmediate,
  cmp: parseCmp,
  lookup: parseLookup,
  bitwise: parseBitwise,
  byteorder: parseByteorder,
  payload: parsePayload,
  exthdr: parseExthdr,
  tcpopt: parseExthdr,
  meta: parseMeta,
  socket: parseSocket,
  osf: parseOsf,
  rt: parseRt,
  ct: parseCt,
  connlimit: S.parseConnlimit,
  counter: S.parseCounter,
  log: S.parseLog,
  limit: S.parseLimit,
  range: parseRange,
  reject: S.parseReject,
  nat: S.parseNat,
  tproxy: S.parseTproxy,
  notrack: (p) => p.stmts.push({ kind: 'notrack' }),
  masq: S.parseMasqRedir('masquerade'),
  redir: S.parseMasqRedir('redirect'),
  dup: S.parseDup,
  queue: S.parseQueue,
  dynset: parseDynset,
  fwd: S.parseFwd,
  target: S.parseXt('target'),
  match: S.parseXt('match'),
  objref: S.parseObjref,
  quota: S.parseQuota,
  numgen: parseNumgen,
  hash: parseHash,
  fib: parseFib,
  flow_offload: (p, d) => p.stmts.push({ kind: 'flow_offload', table: String(d.tableName ?? d.name ?? '') }),
  xfrm: parseXfrm,
  synproxy: S.parseSynproxy,
  last: S.parseLast,
};

function parseOne(p: Parser, e: NetlinkExpr): void {
  const name = typeof e?.name === 'string' ? e.name : '';
  const handler = HANDLERS[name];
  if (!handler || !(e.data === undefined || (typeof e.data === 'object' && !(e.data instanceof Uint8Array)))) {
    // nft reports "unknown expression type" and leaves it out; we keep a marker so the gap is visible
    p.stmts.push({ kind: 'unknown', name });
    return;
  }
  handler(p, nest(e.data));
}

/** A rule's expressions as (not yet post-processed) statements. */
export function parseRuleExpressions(exprs: readonly NetlinkExpr[], ctx: ParseContext): Stmt[] {
  const p = new Parser(ctx);
  for (const e of exprs) parseOne(p, e);
  return p.stmts;
}

/** One stateful expression of a set or element (`counter`, `quota`, `limit`...), as a statement. */
export function parseSetExpression(e: NetlinkExpr, ctx: ParseContext): Stmt | undefined {
  const p = new Parser(ctx);
  parseOne(p, e);
  return p.stmts[0];
}

export { F_INTERVAL };

export { payloadRaw, rawValue };
export type { NetlinkExpr, ParseContext };
