/**
 * Rule post-processing (nftables src/netlink_delinearize.c rule_parse_postprocess and src/payload.c): walks
 * a rule's statements keeping a protocol context (which header each layer holds, learnt from earlier
 * matches) to name raw payload loads, folds masks back into prefixes and header fields, turns flag tests
 * into flag lists, and removes the dependency matches nft adds itself (`meta l4proto tcp` before
 * `tcp dport 22`), exactly where nft removes them.
 */
import {
  type Datatype,
  TYPE,
  concatSubtypeAdd,
  concatSubtypeLookup,
  concatTypeAlloc,
  icmpCodeType,
  icmpv6CodeType,
  icmpxCodeType,
  inetServiceType,
  integerType,
  ip6addrType,
  ipaddrType,
} from './datatypes.js';
import { exthdrFindTemplate } from './exthdr.js';
import {
  BASE,
  type BinopExpr,
  type Expr,
  F_PROTOCOL,
  type NftSet,
  type Op,
  type PayloadExpr,
  type RelationalExpr,
  type Stmt,
  type ValueExpr,
  basetypeOfExpr,
  bitmaskToBinops,
  clone,
  listExpr,
  prefixExpr,
  rangeExpr,
  relational,
  setType,
} from './ir.js';
import { NFT_CT } from './meta-keys.js';
import { bitmask, exportBytes, importBytes, scan0, scan1, switchByteorder } from './mpz.js';
import { NFPROTO, type ProtoTemplate, protoFindNum, protoIp, protoIp6 } from './proto.js';
import {
  type ProtoCtx,
  type RuleCtx,
  depExists,
  depRelease,
  depStore,
  exthdrDepKill,
  metaMayKill,
  payloadDepKill,
  protoCtxInit,
  relationalPctxUpdate,
} from './pp-context.js';
import { payloadComplete, payloadIsKnown, payloadMatchPostprocess, payloadTrim } from './pp-payload.js';

// ------------------------------------------------------------------------------------------------------------
// relational matches

function ctMetaCommon(r: RuleCtx, expr: RelationalExpr, base: number): void {
  const { left, right } = expr;
  if (right.kind === 'set' || right.kind === 'set_ref') setType(right, left.dtype, left.byteorder);
  if (expr.op !== '==') return;
  if (right.kind === 'range' || right.kind === 'set' || right.kind === 'set_ref') return;
  relationalPctxUpdate(r.pctx, expr);
  if (base < BASE.TRANSPORT) {
    if (depExists(r.pdctx, base) && metaMayKill(r.pdctx, r.pctx.family, expr)) depRelease(r, base);
    if (left.flags & F_PROTOCOL && r.stmt) depStore(r.pdctx, r.stmt, base);
  }
}

function maskIsPrefix(mask: ValueExpr): boolean {
  const n1 = scan1(mask.value, 0);
  if (n1 < 0) return true;
  const n2 = scan0(mask.value, n1 + 1);
  return !(n2 < mask.len);
}

function maskToPrefix(mask: ValueExpr): number {
  const n = scan1(mask.value, 0);
  if (n < 0) return 0;
  return scan0(mask.value, n + 1) - n;
}

/** binop_tree_to_list: `a | b | c` as a list [a, b, c] (a single value stays itself). */
function binopTreeToList(e: Expr, list?: Expr[]): Expr {
  if (e.kind === 'binop' && e.op === '|') {
    const l = list ?? [];
    binopTreeToList(e.left, l);
    binopTreeToList(e.right, l);
    return list ? e : listExpr(l);
  }
  if (list) {
    list.push(e);
    return e;
  }
  return e;
}

function binopAdjustOne(binop: BinopExpr, value: Expr, shift: number): void {
  if (value.kind !== 'value') return;
  value.value >>= BigInt(shift);
  value.len = binop.left.len;
}

function binopAdjust(binop: BinopExpr, right: Expr, shift: number): void {
  switch (right.kind) {
    case 'value':
      binopAdjustOne(binop, right, shift);
      break;
    case 'set_ref':
      for (const i of right.set.init?.exprs ?? []) {
        const k = i.kind === 'set_elem' ? i.key : i.kind === 'mapping' && i.left.kind === 'set_elem' ? i.left.key : undefined;
        if (!k) continue;
        if (k.kind === 'value') binopAdjustOne(binop, k, shift);
        else if (k.kind === 'range') {
          binopAdjustOne(binop, k.left, shift);
          binopAdjustOne(binop, k.right, shift);
        }
      }
      break;
    case 'range':
      binopAdjustOne(binop, right.left, shift);
      binopAdjustOne(binop, right.right, shift);
      break;
    default:
      break;
  }
}

/** binop_postprocess: drop a mask that only selects a header field; returns the replacement of `binop`. */
function binopPostprocess(r: RuleCtx, expr: Expr, binop: BinopExpr): Expr {
  const left = binop.left;
  const mask = binop.right;
  if (mask.kind !== 'value') return binop;
  let shift: number | undefined;
  if (left.kind === 'payload') shift = payloadTrim(left, mask, r.pctx);
  else if (left.kind === 'exthdr') {
    const f = exthdrFindTemplate(left, mask.value, mask.len);
    if (f.found) shift = f.shift;
  }
  if (shift === undefined) return binop;
  let right: Expr | undefined;
  if (expr.kind === 'binop' || expr.kind === 'relational') {
    right = expr.right;
    binopAdjust(binop, right, shift);
  } else if (expr.kind === 'map') {
    right = expr.mappings;
    binopAdjust(binop, right, shift);
  }
  if (left.kind === 'payload') {
    if (expr.kind === 'relational') {
      expr.left = left;
      payloadMatchPostprocess(r, expr, left);
    } else {
      // payload_match_postprocess with a binop or map: only its default branch applies
      left.offset -= r.pctx.protocol[left.base]?.offset ?? 0;
      payloadComplete(left, r.pctx);
      if (right) setType(right, left.dtype, left.byteorder);
      payloadDepKill(r, left);
    }
  } else if (left.kind === 'exthdr' && right) setType(right, left.dtype, left.byteorder);
  return left;
}

/** `expr & mask OP value` kept as one match (flagcmp_expr_alloc). */
function flagcmp(expr: RelationalExpr, binop: BinopExpr, value: Expr): Expr {
  const { dtype, byteorder, len, op } = expr;
  return { kind: 'flagcmp', dtype, byteorder, len, flags: 0, op, expr: binop.left, mask: binopTreeToList(binop.right), value };
}

function relationalBinopPostprocess(r: RuleCtx, expr: RelationalExpr): Expr {
  const binop = expr.left as BinopExpr;
  const right = expr.right;
  const rightBase = right.dtype.basetype;
  if (binop.op === '&' && (expr.op === '!=' || expr.op === '==') && rightBase?.type === TYPE.BITMASK) {
    if (right.kind === 'value') {
      if (right.value === 0n) {
        expr.left = binop.left;
        expr.right = binopTreeToList(binop.right);
        expr.op = expr.op === '!=' ? 'implicit' : 'neg';
        return expr;
      }
      if (binop.right.kind === 'value' && right.value === binop.right.value) return expr;
      return flagcmp(expr, binop, right);
    }
    if (right.kind === 'binop') return flagcmp(expr, binop, binopTreeToList(right));
    return expr;
  }
  if (binop.left.dtype.prefix && binop.op === '&' && right.kind === 'value' && binop.right.kind === 'value' && maskIsPrefix(binop.right)) {
    expr.left = binop.left;
    expr.right = prefixExpr(right, maskToPrefix(binop.right));
    return expr;
  }
  if (binop.op === '&' && binop.right.kind === 'value') {
    const n = binopPostprocess(r, expr, binop);
    if (n !== binop && expr.left === binop) expr.left = n;
    return expr;
  }
  const l = binop.left;
  if (binop.op === '>>' && l.kind === 'binop' && l.op === '&' && binop.right.kind === 'value' && l.right.kind === 'value') {
    binop.left = binopPostprocess(r, binop, l);
    if (binop.right.kind === 'value' && binop.right.len <= 64 && binop.right.value === 0n) expr.left = binop.left;
  }
  return expr;
}

// ------------------------------------------------------------------------------------------------------------
// expr_postprocess

/** expr_postprocess_string: a compared name shorter than its field is a wildcard ("eth*"). */
function postprocessString(e: ValueExpr): ValueExpr {
  const n = Math.ceil(e.len / 8);
  const data = exportBytes(e.value, 'host', n);
  if (n > 0 && data[n - 1] === 0) {
    let len = data.indexOf(0);
    if (len < 0) len = n;
    if (len && data[len - 1] === 0x2a) {
      const out = new Uint8Array(len + 2);
      out.set(data.subarray(0, len - 1));
      out[len - 1] = 0x5c;
      out[len] = 0x2a;
      return { ...e, byteorder: 'host', len: (len + 2) * 8, value: importBytes(out, 'host') };
    }
    return e;
  }
  const out = new Uint8Array(n + 1);
  out.set(data);
  out[n] = 0x2a;
  return { ...e, byteorder: 'host', len: e.len + 8, value: importBytes(out, 'host') };
}

export function exprPostprocess(r: RuleCtx, e: Expr): Expr {
  switch (e.kind) {
    case 'map':
      if (e.map.kind === 'binop' && e.map.op === '&' && e.map.left.kind === 'payload' && e.map.right.kind === 'value') {
        e.map = binopPostprocess(r, e, e.map);
      }
      e.map = exprPostprocess(r, e.map);
      e.mappings = exprPostprocess(r, e.mappings);
      return e;
    case 'mapping':
      e.left = exprPostprocess(r, e.left);
      e.right = exprPostprocess(r, e.right);
      return e;
    case 'set':
      e.exprs = e.exprs.map((i) => exprPostprocess(r, i));
      return e;
    case 'concat': {
      const type = e.dtype.type;
      let off = e.dtype.subtypes ?? 0;
      let ntype = 0;
      e.exprs = e.exprs.map((i) => {
        if (type) {
          const t = concatSubtypeLookup(type, --off);
          if (t) setType(i, t, t.byteorder);
        }
        const n = exprPostprocess(r, i);
        ntype = concatSubtypeAdd(ntype, n.dtype.type);
        return n;
      });
      e.dtype = concatTypeAlloc(ntype) ?? e.dtype;
      return e;
    }
    case 'unary':
      e.arg = exprPostprocess(r, e.arg);
      e.dtype = e.arg.dtype;
      e.byteorder = e.arg.byteorder === 'invalid' ? 'host' : 'invalid';
      return e;
    case 'binop':
      e.left = exprPostprocess(r, e.left);
      if (e.op === '<<' || e.op === '>>') setType(e.right, integerType, 'host');
      else setType(e.right, e.left.dtype, e.left.byteorder);
      e.right = exprPostprocess(r, e.right);
      e.dtype = e.left.dtype;
      e.byteorder = e.left.byteorder;
      return e;
    case 'relational':
      return relationalPostprocess(r, e);
    case 'payload':
      payloadComplete(e, r.pctx);
      payloadDepKill(r, e);
      return e;
    case 'value': {
      let v: Expr = e;
      if (e.byteorder === 'host') e.value = switchByteorder(e.value, Math.floor(e.len / 8));
      if (basetypeOfExpr(e).type === TYPE.STRING) v = postprocessString(e);
      if (v.kind === 'value' && v.dtype.basetype?.type === TYPE.BITMASK) v = bitmaskToBinops(v);
      return v;
    }
    case 'range':
      e.left = exprPostprocess(r, e.left);
      e.right = exprPostprocess(r, e.right);
      return e;
    case 'prefix':
      e.prefix = exprPostprocess(r, e.prefix);
      return e;
    case 'set_elem':
      e.key = exprPostprocess(r, e.key);
      return e;
    case 'exthdr':
      exthdrDepKill(r, e.op);
      return e;
    case 'hash':
      if (e.expr) e.expr = exprPostprocess(r, e.expr);
      return e;
    case 'ct':
      ctUpdateType(r.pctx, e);
      return e;
    default:
      return e;
  }
}

function relationalPostprocess(r: RuleCtx, e: RelationalExpr): Expr {
  if (e.left.kind === 'payload') {
    payloadMatchPostprocess(r, e, e.left);
    return e;
  }
  e.left = exprPostprocess(r, e.left);
  setType(e.right, e.left.dtype, e.left.byteorder);
  e.right = exprPostprocess(r, e.right);
  switch (e.left.kind) {
    case 'ct':
      ctMetaCommon(r, e, e.left.base);
      return e;
    case 'meta':
      ctMetaCommon(r, e, e.left.base);
      return e;
    case 'binop':
      return relationalBinopPostprocess(r, e);
    default:
      return e;
  }
}

/** ct_expr_update_type: ct saddr/daddr take the address type of the network protocol matched before. */
function ctUpdateType(ctx: ProtoCtx, e: Expr & { kind: 'ct' }): void {
  const desc = ctx.protocol[e.base]?.desc;
  switch (e.key) {
    case NFT_CT.SRC:
    case NFT_CT.DST:
      if (desc === protoIp) {
        e.dtype = ipaddrType;
        e.nfproto = NFPROTO.IPV4;
      } else if (desc === protoIp6) {
        e.dtype = ip6addrType;
        e.nfproto = NFPROTO.IPV6;
      }
      e.len = e.dtype.size;
      break;
    case NFT_CT.PROTO_SRC:
    case NFT_CT.PROTO_DST:
      if (desc) e.dtype = inetServiceType;
      break;
    case NFT_CT.SRC_IP:
    case NFT_CT.DST_IP:
      e.dtype = ipaddrType;
      e.len = 32;
      break;
    case NFT_CT.SRC_IP6:
    case NFT_CT.DST_IP6:
      e.dtype = ip6addrType;
      e.len = 128;
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------------------------------------------------
// statements

function rejectPostprocess(r: RuleCtx, s: Stmt & { kind: 'reject' }): void {
  const setCode = (t: Datatype): void => {
    s.expr.dtype = t;
  };
  switch (r.pctx.family) {
    case NFPROTO.IPV4:
      s.family = NFPROTO.IPV4;
      setCode(icmpCodeType);
      if (s.type === 1 && depExists(r.pdctx, BASE.TRANSPORT)) depRelease(r, BASE.TRANSPORT);
      break;
    case NFPROTO.IPV6:
      s.family = NFPROTO.IPV6;
      setCode(icmpv6CodeType);
      if (s.type === 1 && depExists(r.pdctx, BASE.TRANSPORT)) depRelease(r, BASE.TRANSPORT);
      break;
    case NFPROTO.INET:
    case NFPROTO.BRIDGE:
    case NFPROTO.NETDEV: {
      if (s.type === 2) {
        setCode(icmpxCodeType);
        break;
      }
      const base = r.pctx.protocol[BASE.LL]?.desc;
      const desc = r.pctx.protocol[BASE.NETWORK]?.desc;
      const protocol = protoFindNum(base, desc);
      if (protocol === NFPROTO.IPV4 || protocol === 0x0800) {
        s.family = NFPROTO.IPV4;
        setCode(icmpCodeType);
      } else if (protocol === NFPROTO.IPV6 || protocol === 0x86dd) {
        s.family = NFPROTO.IPV6;
        setCode(icmpv6CodeType);
      }
      if (depExists(r.pdctx, BASE.NETWORK)) depRelease(r, BASE.NETWORK);
      break;
    }
    default:
      break;
  }
}

function mayMergeRange(expr: Expr, prev: Expr): Op | undefined {
  if (prev.kind !== 'relational' || expr.kind !== 'relational') return undefined;
  const left = expr.left.kind === 'unary' ? expr.left.arg : expr.left;
  const prevLeft = prev.left.kind === 'unary' ? prev.left.arg : prev.left;
  if (left.kind !== prevLeft.kind) return undefined;
  if (expr.op === '<=' && prev.op === '>=') return '==';
  if (expr.op === '>' && prev.op === '<') return '!=';
  return undefined;
}

function stmtExprPostprocess(r: RuleCtx, s: Stmt & { kind: 'expr' }): void {
  s.expr = exprPostprocess(r, s.expr);
  const prev = r.pdctx.prev;
  if (!prev || !r.stmt || prev.kind !== 'expr' || r.stmt !== s) return;
  const op = mayMergeRange(s.expr, prev.expr);
  if (!op || s.expr.kind !== 'relational' || prev.expr.kind !== 'relational') return;
  const range = rangeExpr(clone(prev.expr.right), clone(s.expr.right));
  setType(range, s.expr.right.dtype, s.expr.right.byteorder);
  const nstmt: Stmt = { kind: 'expr', expr: relational(op, clone(s.expr.left), range) };
  const i = r.stmts.indexOf(s);
  r.stmts.splice(i, 1, nstmt);
  const j = r.stmts.indexOf(prev);
  if (j >= 0) r.stmts.splice(j, 1);
  r.stmt = nstmt;
}

function payloadStmtBinopPostprocess(r: RuleCtx, s: Stmt & { kind: 'payload' }): void {
  const expr = s.val;
  if (expr.kind !== 'binop') return;
  if (expr.left.kind === 'binop') {
    if (expr.op !== '|') return;
    const value = expr.right;
    if (value.kind !== 'value') return;
    const binop = expr.left;
    if (binop.op !== '&') return;
    const payload = binop.left;
    if (payload.kind !== 'payload' || s.expr.kind !== 'payload') return;
    if (!samePayload(s.expr, payload)) return;
    const mask = binop.right;
    if (mask.kind !== 'value') return;
    const saved = mask.value;
    mask.value = bitmask(payload.len) ^ mask.value ^ value.value;
    const n = binopPostprocess(r, expr, binop);
    expr.left = n;
    if (n.kind !== 'payload' || !payloadIsKnown(n)) {
      mask.value = saved;
      expr.left = binop;
      return;
    }
    s.expr = n;
    s.val = expr.right;
    return;
  }
  if (expr.left.kind === 'payload') {
    const value = expr.right;
    if (value.kind !== 'value') return;
    if (expr.op === '&') value.value = bitmask(expr.left.len) ^ value.value;
    else if (expr.op !== '|') return;
    const payload = expr.left;
    const shift = payloadTrim(payload, value, r.pctx);
    if (shift !== undefined) {
      binopAdjust(expr, value, shift);
      payloadComplete(payload, r.pctx);
      setType(value, payload.dtype, payload.byteorder);
    }
    if (!payloadIsKnown(payload)) return;
    if (expr.op === '&') value.value = 0n;
    s.expr = payload;
    s.val = value;
  }
}

function samePayload(a: PayloadExpr, b: PayloadExpr): boolean {
  return a.desc === b.desc && a.tmpl === b.tmpl && a.base === b.base && a.offset === b.offset;
}

function payloadStmtPostprocess(r: RuleCtx, s: Stmt & { kind: 'payload' }): void {
  s.expr = exprPostprocess(r, s.expr);
  setType(s.val, s.expr.dtype, s.expr.byteorder);
  if (s.expr.kind === 'payload' && !payloadIsKnown(s.expr)) payloadStmtBinopPostprocess(r, s);
  s.val = exprPostprocess(r, s.val);
}

/** rule_parse_postprocess: the statements of one rule, rewritten in place. */
export function postprocessRule(stmts: Stmt[], family: number): Stmt[] {
  const r: RuleCtx = { stmts: [...stmts], pctx: protoCtxInit(family), pdctx: { pdeps: [], icmpType: 0 } };
  for (const s of stmts) {
    if (!r.stmts.includes(s)) continue;
    r.stmt = s;
    switch (s.kind) {
      case 'expr':
        stmtExprPostprocess(r, s);
        break;
      case 'payload':
        payloadStmtPostprocess(r, s);
        break;
      case 'meter':
        s.key = exprPostprocess(r, s.key);
        break;
      case 'meta':
        s.expr = exprPostprocess(r, s.expr);
        break;
      case 'ct':
        s.expr = exprPostprocess(r, s.expr);
        if (s.expr.kind === 'binop' && s.key === NFT_CT.EVENTMASK) s.expr = binopTreeToList(s.expr);
        break;
      case 'nat':
        if (s.addr) s.addr = exprPostprocess(r, s.addr);
        if (s.proto) {
          r.pdctx = { pdeps: [], icmpType: 0 };
          s.proto = exprPostprocess(r, s.proto);
        }
        break;
      case 'tproxy':
        if (s.addr) s.addr = exprPostprocess(r, s.addr);
        if (s.port) {
          r.pdctx = { pdeps: [], icmpType: 0 };
          s.port = exprPostprocess(r, s.port);
        }
        break;
      case 'reject':
        rejectPostprocess(r, s);
        break;
      case 'set':
        s.key = exprPostprocess(r, s.key);
        break;
      case 'map':
        s.key = exprPostprocess(r, s.key);
        s.data = exprPostprocess(r, s.data);
        break;
      case 'dup':
        if (s.to) s.to = exprPostprocess(r, s.to);
        if (s.dev) s.dev = exprPostprocess(r, s.dev);
        break;
      case 'fwd':
        if (s.dev) s.dev = exprPostprocess(r, s.dev);
        if (s.addr) s.addr = exprPostprocess(r, s.addr);
        break;
      case 'objref':
        s.expr = exprPostprocess(r, s.expr);
        break;
      case 'queue':
        if (s.queue && s.queue.kind !== 'value' && s.queue.kind !== 'range') s.queue = exprPostprocess(r, s.queue);
        break;
      default:
        break;
    }
    r.pdctx.prev = r.stmt;
    if (s.kind !== 'expr') r.pdctx = { pdeps: [], icmpType: 0 };
  }
  return r.stmts;
}

/** Post-processing of a set element's key or data outside a rule (set listings): values only. */
export function postprocessValue(e: Expr, family: number): Expr {
  const r: RuleCtx = { stmts: [], pctx: protoCtxInit(family), pdctx: { pdeps: [], icmpType: 0 } };
  return exprPostprocess(r, e);
}

export type { NftSet, ProtoTemplate };

export { payloadIsKnown, payloadComplete, protoCtxInit };
export type { ProtoCtx };
