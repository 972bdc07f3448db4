/**
 * Naming payload loads (nftables src/payload.c): a raw load at an offset of a layer is the field of the protocol
 * that layer holds (`payload_expr_complete`), a load over adjacent fields splits into one match per field
 * (`payload_expr_expand`), a masked load of a narrow field is that field (`payload_expr_trim`).
 */
import { payloadRaw } from './registers.js';
import {
  BASE,
  type Expr,
  F_PROTOCOL,
  type PayloadExpr,
  type RelationalExpr,
  type Stmt,
  type ValueExpr,
  prefixExpr,
  relational,
  setType,
  valueExpr,
} from './ir.js';
import { bitmask, scan0, scan1 } from './mpz.js';
import {
  IP6HDR_NEXTHDR,
  IPHDR_PROTOCOL,
  type ProtoDesc,
  icmpDepToType,
  protoFindUpper,
  protoIcmp,
  protoIcmp6,
  protoInet,
  protoIp,
  protoIp6,
  protoUnknown,
  protoUnknownTemplate,
} from './proto.js';
import { type ProtoCtx, type RuleCtx, constOf, depStore, payloadDepKill, relationalPctxUpdate } from './pp-context.js';

// ------------------------------------------------------------------------------------------------------------
// naming payload loads

export function protoKeyIsProtocol(desc: ProtoDesc, type: number): boolean {
  if (type === (desc.protocolKey ?? 0)) return true;
  if (desc === protoIp6 && type === IP6HDR_NEXTHDR) return true;
  if (desc === protoIp && type === IPHDR_PROTOCOL) return true;
  return false;
}

/** payload_expr_alloc(desc, type). */
export function payloadFromTemplate(desc: ProtoDesc, type: number): PayloadExpr {
  const t = desc.templates[type] ?? protoUnknownTemplate;
  return {
    kind: 'payload',
    dtype: t.dtype,
    byteorder: t.byteorder,
    len: t.len,
    flags: protoKeyIsProtocol(desc, type) ? F_PROTOCOL : 0,
    desc,
    tmpl: t,
    base: desc.base,
    offset: t.offset,
  };
}

export function payloadIsKnown(e: PayloadExpr): boolean {
  return !!e.desc && !!e.tmpl && e.desc !== protoUnknown && e.tmpl !== protoUnknownTemplate;
}

/** payload_expr_complete: name a raw load from the protocol its layer holds. */
export function payloadComplete(e: PayloadExpr, ctx: ProtoCtx): void {
  const desc = ctx.protocol[e.base]?.desc;
  if (!desc || desc === protoInet) return;
  for (let i = 0; i < desc.templates.length; i++) {
    const t = desc.templates[i];
    if (!t || t.offset !== e.offset || t.len !== e.len) continue;
    if (t.metaKey !== undefined && i === 0) continue;
    if (t.icmpDep && ctx.icmpType && ctx.icmpType !== icmpDepToType(t.icmpDep)) continue;
    e.dtype = t.dtype;
    e.desc = desc;
    e.tmpl = t;
    return;
  }
}

/** payload_expr_expand: a load spanning adjacent fields, split into one per field. */
export function payloadExpand(e: PayloadExpr, ctx: ProtoCtx): PayloadExpr[] {
  const out: PayloadExpr[] = [];
  const desc = ctx.protocol[e.base]?.desc;
  if (desc) {
    for (let i = 1; i < desc.templates.length; i++) {
      const t = desc.templates[i];
      if (!t || t.len === 0) break;
      if (t.offset !== e.offset) continue;
      if (t.icmpDep && ctx.icmpType && ctx.icmpType !== icmpDepToType(t.icmpDep)) continue;
      if (t.len <= e.len) {
        out.push(payloadFromTemplate(desc, i));
        e.len -= t.len;
        e.offset += t.len;
        if (e.len === 0) return out;
      } else if (e.len > 0) {
        const n = payloadFromTemplate(desc, i);
        n.len = e.len;
        out.push(n);
        return out;
      } else break;
    }
  }
  out.push(payloadRaw(e.base, e.offset, e.len) as PayloadExpr);
  return out;
}

/** payload_expr_trim: a masked load whose mask selects exactly one field. */
export function payloadTrim(e: PayloadExpr, mask: ValueExpr, ctx: ProtoCtx): number | undefined {
  let payloadOffset = e.offset;
  const maskOffset = Math.max(scan1(mask.value, 0), 0);
  const maskLen = scan0(mask.value, maskOffset + 1);
  let payloadLen = e.len;
  const desc = ctx.protocol[e.base]?.desc;
  if (!desc) return undefined;
  const layerOffset = ctx.protocol[e.base]!.offset;
  if (layerOffset) payloadOffset -= layerOffset;
  const off = Math.ceil(mask.len / 8) * 8 - maskLen;
  payloadOffset += off;
  let len = 0;
  for (let i = 1; i < desc.templates.length; i++) {
    const t = desc.templates[i];
    if (!t || t.offset !== payloadOffset) continue;
    if (t.len > payloadLen) return undefined;
    payloadLen -= t.len;
    payloadOffset += t.len;
    len += t.len;
    if (payloadLen === 0) return undefined;
    if (maskOffset + len === maskLen) {
      e.offset += off;
      e.len = len;
      return maskOffset;
    }
  }
  return undefined;
}

export function payloadIsStacked(desc: ProtoDesc | undefined, expr: RelationalExpr): boolean {
  if (!desc || expr.left.kind !== 'payload' || !(expr.left.flags & F_PROTOCOL) || expr.op !== '==') return false;
  const next = protoFindUpper(desc, Number(constOf(expr.right) & 0xffffn));
  return !!next && next.base === desc.base;
}

export function payloadMatchExpand(r: RuleCtx, expr: RelationalExpr, payload: PayloadExpr): void {
  const right = expr.right as ValueExpr;
  let base = payload.base;
  for (const left of payloadExpand(payload, r.pctx)) {
    const shift = BigInt(right.len - left.len);
    let tmp: Expr = valueExpr(left.dtype, left.byteorder, left.len, (right.value >> shift) & bitmask(left.len));
    right.len -= left.len;
    right.value &= bitmask(right.len);
    if (left.tmpl && left.len < left.tmpl.len) {
      const v = tmp as ValueExpr;
      v.value <<= BigInt(left.tmpl.len - left.len);
      v.len = left.tmpl.len;
      tmp = prefixExpr(v, left.len);
    }
    const nexpr = relational(expr.op, left, tmp);
    if (expr.op === '==') relationalPctxUpdate(r.pctx, nexpr);
    const nstmt: Stmt = { kind: 'expr', expr: nexpr };
    // before the statement being expanded, after the ones expanded so far (list_add_tail)
    const at = r.stmt ? r.stmts.indexOf(r.stmt) : -1;
    r.stmts.splice(at < 0 ? r.stmts.length : at, 0, nstmt);
    if (payloadIsStacked(r.pctx.protocol[base]?.desc, nexpr)) base--;
    payloadDepKill(r, left);
    if (expr.op === '==' && left.flags & F_PROTOCOL) depStore(r.pdctx, nstmt, base);
  }
  if (r.stmt) {
    const i = r.stmts.indexOf(r.stmt);
    if (i >= 0) r.stmts.splice(i, 1);
  }
  r.stmt = undefined;
}

export function payloadIcmpCheck(r: RuleCtx, expr: PayloadExpr, value: ValueExpr): void {
  if (expr.base !== BASE.TRANSPORT) return;
  if (expr.len !== 8 || value.len !== 8 || r.pctx.icmpType) return;
  const desc = r.pctx.protocol[expr.base]?.desc;
  if (desc !== protoIcmp && desc !== protoIcmp6) return;
  for (let i = 1; i < desc.templates.length; i++) {
    const t = desc.templates[i];
    if (!t || t.len === 0) return;
    if (t.offset !== expr.offset || t.len !== expr.len) continue;
    if ((desc.protocolKey ?? 0) !== i) return;
    expr.desc = desc;
    expr.tmpl = t;
    r.pctx.icmpType = Number(value.value);
    return;
  }
}

export function payloadMatchPostprocess(r: RuleCtx, expr: RelationalExpr, payload: PayloadExpr): void {
  const layerOffset = r.pctx.protocol[payload.base]?.offset ?? 0;
  payload.offset -= layerOffset;
  if (expr.op === '==' || expr.op === '!=') {
    if (expr.right.kind === 'value') {
      payloadMatchExpand(r, expr, payload);
      return;
    }
    if (expr.right.kind === 'set_ref') {
      const set = expr.right.set;
      const first = set.flags & 0x1 ? set.init?.exprs[0] : undefined;
      if (first?.kind === 'set_elem' && first.key.kind === 'value') payloadIcmpCheck(r, payload, first.key);
    }
  }
  payloadComplete(payload, r.pctx);
  setType(expr.right, payload.dtype, payload.byteorder);
  payloadDepKill(r, payload);
}
