/**
 * The register machine of nf_tables rules as the delinearizer models it (nftables src/netlink_delinearize.c):
 * what each register holds after the expressions so far, and the loads that fill them.
 */
import { type Attrs, REGISTERS } from './attr-values.js';
import { booleanType, inetServiceType, invalidType, xintegerType } from './datatypes.js';
import { BASE, type Expr, F_PROTOCOL, type NftSet, type Stmt, type ValueExpr, clone, concatExpr, valueExpr } from './ir.js';
import { CT_TEMPLATES, FIB_RESULTS, META_TEMPLATES, NFT_CT, NFT_META } from './meta-keys.js';
import { importBytes, paddedLen, registerSpace } from './mpz.js';
import { protoTh } from './proto.js';

/** 32-bit register slots: 0 is the verdict, 1..16 the data registers (NFT_REG_1..4 are 4 slots each). */
export const MAX_REGS = 1 + 16;
/** NFT_DATA_VALUE_MAXLEN: 64 bytes. */
export const MAX_DATA_BITS = 64 * 8;

export interface ParseContext {
  /** table family (NFPROTO_*) */
  family: number;
  /** the table's sets by name (anonymous ones included, with their elements) */
  sets: ReadonlyMap<string, NftSet>;
}

/** One netlink expression as decoded: its name and its data attributes. */
export interface NetlinkExpr {
  name?: unknown;
  data?: unknown;
}

export class Parser {
  readonly regs: (Expr | undefined)[] = new Array(MAX_REGS).fill(undefined);
  readonly stmts: Stmt[] = [];

  constructor(readonly ctx: ParseContext) {}

  /** netlink_parse_register: the 32-bit slot of a register attribute. */
  reg(v: unknown): number {
    const r = REGISTERS.num(v) ?? 0;
    if (r >= 1 && r <= 4) return 1 + (r - 1) * 4;
    if (r >= 8) return 1 + r - 8;
    return r;
  }

  set(reg: number, e: Expr): void {
    if (reg === 0 || reg >= MAX_REGS) return;
    // no load is wider than the registers (64 bytes): a wider one is malformed and left out, as nft errs on it
    if (!(e.len >= 0 && e.len <= MAX_DATA_BITS)) return;
    this.regs[reg] = e;
  }

  get(reg: number): Expr | undefined {
    if (reg === 0 || reg >= MAX_REGS) return undefined;
    const e = this.regs[reg];
    return e ? clone(e) : undefined;
  }

  /** netlink_parse_concat_expr: consecutive registers making up `len` bits. */
  concat(reg: number, len: number): Expr | undefined {
    const c = concatExpr();
    let r = reg;
    let left = len;
    while (left > 0) {
      const e = this.get(r);
      if (!e) return undefined;
      c.exprs.push(e);
      const consumed = paddedLen(e.len);
      if (consumed <= 0) return undefined;
      left -= consumed;
      r += registerSpace(e.len);
    }
    return c;
  }
}

/** A raw constant (netlink_alloc_value): type invalid, big-endian import. */
export function rawValue(data: Uint8Array): ValueExpr {
  return valueExpr(invalidType, 'invalid', data.length * 8, importBytes(data, 'big'));
}

// ------------------------------------------------------------------------------------------------------------
// payload, meta, ct and friends (loads)

/** payload_init_raw: a raw load; 16-bit transport loads at 0 and 2 are `th sport` / `th dport`. */
export function payloadRaw(base: number, offset: number, len: number): Expr {
  const e: Expr = { kind: 'payload', dtype: xintegerType, byteorder: 'big', len, flags: 0, base, offset };
  if (base === BASE.TRANSPORT && len === 16 && (offset === 0 || offset === 16)) {
    e.desc = protoTh;
    e.tmpl = protoTh.templates[offset === 0 ? 1 : 2];
    e.dtype = inetServiceType;
  }
  return e;
}

export function metaExpr(key: number): Expr {
  const t = META_TEMPLATES[key];
  const e: Expr = {
    kind: 'meta',
    dtype: t?.dtype ?? invalidType,
    byteorder: t?.byteorder ?? 'invalid',
    len: t?.len ?? 0,
    flags: 0,
    key,
    base: BASE.INVALID,
  };
  if (key === NFT_META.IIFTYPE) e.flags |= F_PROTOCOL;
  else if (key === NFT_META.NFPROTO || key === NFT_META.PROTOCOL) {
    e.flags |= F_PROTOCOL;
    e.base = BASE.LL;
  } else if (key === NFT_META.L4PROTO) {
    e.flags |= F_PROTOCOL;
    e.base = BASE.NETWORK;
  }
  return e;
}

export function ctExpr(key: number, direction: number): Expr {
  const t = CT_TEMPLATES[key];
  const e: Expr = {
    kind: 'ct',
    dtype: t?.dtype ?? invalidType,
    byteorder: t?.byteorder ?? 'invalid',
    len: t?.len ?? 0,
    flags: 0,
    key,
    direction,
    nfproto: 0,
    base: BASE.INVALID,
  };
  if (key === NFT_CT.SRC || key === NFT_CT.DST) e.base = BASE.NETWORK;
  else if (key === NFT_CT.PROTO_SRC || key === NFT_CT.PROTO_DST) e.base = BASE.TRANSPORT;
  else if (key === NFT_CT.PROTOCOL) {
    e.flags = F_PROTOCOL;
    e.base = BASE.NETWORK;
  } else if (key === NFT_CT.L3PROTOCOL) {
    e.flags = F_PROTOCOL;
    e.base = BASE.LL;
  }
  return e;
}

export function fibExpr(flags: number, result: number): Expr {
  const t = FIB_RESULTS[result];
  let dtype = t?.dtype ?? invalidType;
  const len = t?.len ?? 0;
  // an existence check keeps the result's length (nft compares 4 bytes for `oif missing`)
  if (flags & FIB_F_PRESENT) dtype = booleanType;
  return { kind: 'fib', dtype, byteorder: 'host', len, flags: 0, result, fibFlags: flags };
}
export const FIB_F_PRESENT = 0x20;

export type Handler = (p: Parser, d: Attrs) => void;
