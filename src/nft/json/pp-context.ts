/**
 * The context of nft's rule post-processing (nftables src/proto.c proto_ctx, src/payload.c payload_dep_ctx):
 * which protocol each layer holds, learnt from the rule's earlier matches, and the dependency matches that a
 * later, higher-layer match makes redundant (`meta l4proto tcp` before `tcp dport 22`), removed where nft does.
 */
import { TYPE } from './datatypes.js';
import { BASE, type Expr, F_PROTOCOL, type PayloadExpr, type RelationalExpr, type Stmt, type ValueExpr } from './ir.js';
import { NFT_META } from './meta-keys.js';
import {
  NFPROTO,
  type ProtoDesc,
  hookProtoDesc,
  icmpDepToType,
  protoDevDesc,
  protoEth,
  protoFindUpper,
  protoIcmp,
  protoIcmp6,
  protoInetService,
  protoIp,
  protoIp6,
  protoUnknown,
  protoVlan,
} from './proto.js';

export interface ProtoLayer {
  desc?: ProtoDesc;
  /** bits: stacked headers before this one on the same layer (vlan after ethernet) */
  offset: number;
}

/** struct proto_ctx. */
export interface ProtoCtx {
  family: number;
  protocol: ProtoLayer[];
  icmpType: number;
}

/** struct payload_dep_ctx. */
export interface DepCtx {
  pdeps: (Stmt | undefined)[];
  icmpType: number;
  prev?: Stmt;
}

export interface RuleCtx {
  stmts: Stmt[];
  stmt?: Stmt;
  pctx: ProtoCtx;
  pdctx: DepCtx;
}

export function protoCtxInit(family: number): ProtoCtx {
  const ctx: ProtoCtx = { family, protocol: [0, 1, 2, 3, 4].map(() => ({ offset: 0 })), icmpType: 0 };
  const h = hookProtoDesc(family);
  if (h.desc) ctx.protocol[h.base]!.desc = h.desc;
  return ctx;
}

export function protoCtxUpdate(ctx: ProtoCtx, base: number, desc: ProtoDesc): void {
  ctx.protocol[base]!.desc = desc;
}

export const constOf = (e: Expr): bigint => (e.kind === 'value' ? e.value : 0n);

// ------------------------------------------------------------------------------------------------------------
// protocol context updates (the pctx_update callbacks)

export function payloadPctxUpdate(ctx: ProtoCtx, left: PayloadExpr, right: ValueExpr): void {
  const base = ctx.protocol[left.base]?.desc;
  const proto = Number(right.value);
  const desc = protoFindUpper(base, proto);
  if (!desc) {
    if (base === protoIcmp) ctx.icmpType = proto ? proto : 8;
    else if (base === protoIcmp6) ctx.icmpType = proto === 129 ? 128 : proto;
    return;
  }
  if (base && desc.base === base.base && base.length && !left.isRaw) ctx.protocol[base.base]!.offset += base.length;
  protoCtxUpdate(ctx, desc.base, desc);
}

export function metaPctxUpdate(ctx: ProtoCtx, key: number, right: ValueExpr): void {
  const h = hookProtoDesc(ctx.family);
  switch (key) {
    case NFT_META.IIFTYPE: {
      if (h.base < BASE.NETWORK && ctx.family !== NFPROTO.INET && ctx.family !== NFPROTO.NETDEV) return;
      protoCtxUpdate(ctx, BASE.LL, protoDevDesc(Number(right.value & 0xffffn)) ?? protoUnknown);
      return;
    }
    case NFT_META.NFPROTO: {
      const n = Number(right.value & 0xffn);
      let desc = protoFindUpper(h.desc, n);
      if (!desc) desc = n === ctx.family && h.base === BASE.NETWORK ? h.desc : protoUnknown;
      protoCtxUpdate(ctx, BASE.NETWORK, desc ?? protoUnknown);
      return;
    }
    case NFT_META.L4PROTO:
      protoCtxUpdate(ctx, BASE.TRANSPORT, protoFindUpper(protoInetService, Number(right.value & 0xffn)) ?? protoUnknown);
      return;
    case NFT_META.PROTOCOL:
      if (h.base !== BASE.LL) return;
      if (ctx.family !== NFPROTO.NETDEV && ctx.family !== NFPROTO.BRIDGE) return;
      protoCtxUpdate(ctx, BASE.NETWORK, protoFindUpper(h.desc, Number(right.value & 0xffffn)) ?? protoUnknown);
      return;
    default:
      return;
  }
}

export function ctPctxUpdate(ctx: ProtoCtx, base: number, right: ValueExpr): void {
  const b = ctx.protocol[base]?.desc;
  if (!b) return;
  const desc = protoFindUpper(b, Number(right.value & 0xffffffffn));
  if (!desc) return;
  protoCtxUpdate(ctx, base + 1, desc);
}

export function pctxUpdateOne(ctx: ProtoCtx, left: Expr, right: ValueExpr): void {
  if (left.kind === 'payload') payloadPctxUpdate(ctx, left, right);
  else if (left.kind === 'meta') metaPctxUpdate(ctx, left.key, right);
  else if (left.kind === 'ct') ctPctxUpdate(ctx, left.base, right);
}

/** relational_expr_pctx_update. */
export function relationalPctxUpdate(ctx: ProtoCtx, expr: RelationalExpr): void {
  const { left, right } = expr;
  if (!(left.flags & F_PROTOCOL)) return;
  if (left.kind !== 'payload' && left.kind !== 'meta' && left.kind !== 'ct') return;
  if (right.kind === 'value') pctxUpdateOne(ctx, left, right);
  else if (right.kind === 'set') {
    for (const i of right.exprs) if (i.kind === 'set_elem' && i.key.kind === 'value') pctxUpdateOne(ctx, left, i.key);
  }
}

// ------------------------------------------------------------------------------------------------------------
// payload dependencies (src/payload.c)

export function depExpr(s: Stmt | undefined): RelationalExpr | undefined {
  return s?.kind === 'expr' && s.expr.kind === 'relational' ? s.expr : undefined;
}

export function depExists(pd: DepCtx, base: number): boolean {
  if (pd.pdeps[base]) return true;
  return base === BASE.TRANSPORT && pd.pdeps[BASE.INNER] !== undefined;
}

export function depGet(pd: DepCtx, base: number): RelationalExpr | undefined {
  if (pd.pdeps[base]) return depExpr(pd.pdeps[base]);
  if (base === BASE.TRANSPORT && pd.pdeps[BASE.INNER]) return depExpr(pd.pdeps[BASE.INNER]);
  return undefined;
}

export function depReleaseAt(r: RuleCtx, base: number): void {
  const s = r.pdctx.pdeps[base];
  if (!s) return;
  const i = r.stmts.indexOf(s);
  if (i >= 0) r.stmts.splice(i, 1);
  if (r.pdctx.prev === s) r.pdctx.prev = undefined;
  r.pdctx.pdeps[base] = undefined;
}

export function depRelease(r: RuleCtx, base: number): void {
  if (r.pdctx.pdeps[base]) depReleaseAt(r, base);
  else if (base === BASE.TRANSPORT && r.pdctx.pdeps[BASE.INNER]) depReleaseAt(r, BASE.INNER);
}

export function depStoreIcmpType(pd: DepCtx, s: Stmt): boolean {
  const dep = depExpr(s);
  if (dep?.left.kind !== 'payload') return false;
  const right = dep.right;
  if (right.kind !== 'value' || right.len !== 8) return false;
  const desc = dep.left.desc;
  if (desc === protoIcmp) {
    let type = Number(right.value);
    if (type === 0) type = 8;
    pd.icmpType = type;
    return type === 8;
  }
  if (desc === protoIcmp6) {
    const type = Number(right.value);
    pd.icmpType = type;
    return type === 128 || type === 129;
  }
  return false;
}

export function depStore(pd: DepCtx, s: Stmt, base: number): void {
  if (depStoreIcmpType(pd, s)) return;
  pd.pdeps[base + 1] = s;
}

export function mayKillIcmp(pd: DepCtx, expr: PayloadExpr): boolean {
  const dep = depGet(pd, expr.base);
  const t = expr.tmpl;
  if (!t?.icmpDep) return false;
  if (dep?.left.kind !== 'payload' || dep.left.desc !== expr.desc) return false;
  return pd.icmpType === icmpDepToType(t.icmpDep);
}

export function mayKillLl(pd: DepCtx, expr: PayloadExpr): boolean {
  const dep = depGet(pd, expr.base);
  if (dep?.left.kind !== 'payload') return true;
  if (dep.left.desc === protoVlan) return false;
  if (dep.left.desc === protoEth && dep.right.kind === 'value' && dep.right.len === 16) return dep.right.value === 0x8100n;
  return true;
}

/** payload_may_dependency_kill. */
export function payloadMayKill(pd: DepCtx, family: number, expr: PayloadExpr): boolean {
  const dep = depGet(pd, expr.base);
  if (!dep) return true;
  const dl = dep.left;
  switch (family) {
    case NFPROTO.BRIDGE:
    case NFPROTO.NETDEV:
    case NFPROTO.INET:
      if (dl.kind === 'payload' && dl.base === BASE.NETWORK && (dl.desc === protoIp || dl.desc === protoIp6) && expr.base === BASE.TRANSPORT)
        return false;
      if (dl.kind === 'payload' && dep.op === '==' && expr.base === dl.base) {
        if (expr.flags & F_PROTOCOL) return false;
        if (expr.base === BASE.LL) return mayKillLl(pd, expr);
      }
      break;
    default:
      break;
  }
  if (expr.base !== BASE.TRANSPORT) return true;
  // nft reads payload.base of whatever the dependency is: only payload dependencies have one
  if (dl.kind !== 'payload' || dl.base !== BASE.TRANSPORT) return true;
  if (dl.desc === protoIcmp || dl.desc === protoIcmp6) return mayKillIcmp(pd, expr);
  return true;
}

export function payloadDepKill(r: RuleCtx, expr: PayloadExpr): void {
  if (depExists(r.pdctx, expr.base) && payloadMayKill(r.pdctx, r.pctx.family, expr)) depRelease(r, expr.base);
}

export function exthdrDepKill(r: RuleCtx, op: number): void {
  if (op === 1) {
    if (depExists(r.pdctx, BASE.TRANSPORT)) depRelease(r, BASE.TRANSPORT);
  } else if (op === 0 || op === 2) {
    if (depExists(r.pdctx, BASE.NETWORK)) depRelease(r, BASE.NETWORK);
  }
}

export function etherTypeToNfproto(l3: number): number {
  if (l3 === 0x0800) return NFPROTO.IPV4;
  if (l3 === 0x86dd) return NFPROTO.IPV6;
  return NFPROTO.UNSPEC;
}

/** __meta_dependency_may_kill: the network protocol a dependency stands for, or undefined when it may go. */
export function metaDepNfproto(dep: RelationalExpr): number | undefined {
  const l = dep.left;
  if (l.kind === 'meta') {
    if (l.key === NFT_META.NFPROTO) return Number(constOf(dep.right) & 0xffn);
    if (l.key === NFT_META.PROTOCOL) return etherTypeToNfproto(Number(constOf(dep.right) & 0xffffn));
    return undefined;
  }
  if (l.kind === 'payload') {
    if (l.base !== BASE.LL || l.dtype.type !== TYPE.ETHERTYPE) return undefined;
    return etherTypeToNfproto(Number(constOf(dep.right) & 0xffffn));
  }
  return undefined;
}

export function metaMayKill(pd: DepCtx, family: number, expr: RelationalExpr): boolean {
  const dep = depGet(pd, BASE.NETWORK);
  if (!dep) return true;
  const nfproto = metaDepNfproto(dep);
  if (nfproto === undefined) return true;
  switch (family) {
    case NFPROTO.INET:
    case NFPROTO.NETDEV:
    case NFPROTO.BRIDGE:
      break;
    case NFPROTO.IPV4:
    case NFPROTO.IPV6:
      return family === nfproto;
    default:
      return true;
  }
  if (expr.left.kind !== 'meta' || expr.left.key !== NFT_META.L4PROTO) return true;
  const l4 = Number(constOf(expr.right) & 0xffn);
  if (l4 !== 1 && l4 !== 58) return false;
  if ((nfproto === NFPROTO.IPV4 && l4 === 58) || (nfproto === NFPROTO.IPV6 && l4 === 1)) return false;
  return true;
}
