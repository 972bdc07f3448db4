/**
 * The intermediate form of the delinearizer, a small copy of nft's `struct expr` / `struct stmt`: netlink
 * expressions become these, the post-processing rewrites them (dependencies, masks, prefixes) and
 * expr-json.ts prints them. Mutable on purpose, like nft's: the rewrites are easier to check against nft's
 * source when they read the same.
 */
import { type Datatype, bitmaskType, invalidType, isBitmaskType } from './datatypes.js';
import { type ByteOrder, bitmask, popcount, scan1 } from './mpz.js';
import type { ExthdrDesc, ProtoDesc, ProtoTemplate } from './proto.js';

export type Op = 'invalid' | 'hton' | 'ntoh' | '&' | '|' | '^' | '<<' | '>>' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'neg' | 'implicit';

/** EXPR_F_PROTOCOL: the expression selects the next layer's protocol (ip protocol, meta l4proto...). */
export const F_PROTOCOL = 0x1;
/** EXPR_F_INTERVAL_END: a set element that closes an interval. */
export const F_INTERVAL_END = 0x2;
/** EXPR_F_INTERVAL: a map's data are intervals. */
export const F_INTERVAL = 0x4;

export { BASE } from './proto.js';

interface ExprBase {
  dtype: Datatype;
  byteorder: ByteOrder;
  /** bits */
  len: number;
  flags: number;
}

export interface ValueExpr extends ExprBase {
  kind: 'value';
  value: bigint;
}
export interface PayloadExpr extends ExprBase {
  kind: 'payload';
  desc?: ProtoDesc;
  tmpl?: ProtoTemplate;
  base: number;
  /** bits from the base */
  offset: number;
  isRaw?: boolean;
}
export interface ExthdrExpr extends ExprBase {
  kind: 'exthdr';
  op: number;
  desc?: ExthdrDesc;
  tmpl?: ProtoTemplate;
  rawType: number;
  offset: number;
  exthdrFlags: number;
}
export interface MetaExpr extends ExprBase {
  kind: 'meta';
  key: number;
  base: number;
}
export interface CtExpr extends ExprBase {
  kind: 'ct';
  key: number;
  /** -1: none */
  direction: number;
  nfproto: number;
  base: number;
}
export interface RtExpr extends ExprBase {
  kind: 'rt';
  key: number;
}
export interface SocketExpr extends ExprBase {
  kind: 'socket';
  key: number;
  level: number;
}
export interface OsfExpr extends ExprBase {
  kind: 'osf';
  ttl: number;
  osfFlags: number;
}
export interface FibExpr extends ExprBase {
  kind: 'fib';
  result: number;
  fibFlags: number;
}
export interface NumgenExpr extends ExprBase {
  kind: 'numgen';
  type: number;
  mod: number;
  offset: number;
}
export interface HashExpr extends ExprBase {
  kind: 'hash';
  type: number;
  mod: number;
  seed: number;
  seedSet: boolean;
  offset: number;
  expr?: Expr;
}
export interface XfrmExpr extends ExprBase {
  kind: 'xfrm';
  key: number;
  dir: number;
  spnum: number;
}
export interface BinopExpr extends ExprBase {
  kind: 'binop';
  op: Op;
  left: Expr;
  right: Expr;
}
export interface RelationalExpr extends ExprBase {
  kind: 'relational';
  op: Op;
  left: Expr;
  right: Expr;
}
export interface UnaryExpr extends ExprBase {
  kind: 'unary';
  op: Op;
  arg: Expr;
}
export interface RangeExpr extends ExprBase {
  kind: 'range';
  left: Expr;
  right: Expr;
}
export interface PrefixExpr extends ExprBase {
  kind: 'prefix';
  prefix: Expr;
  prefixLen: number;
}
export interface ConcatExpr extends ExprBase {
  kind: 'concat';
  exprs: Expr[];
}
export interface ListExpr extends ExprBase {
  kind: 'list';
  exprs: Expr[];
}
/** An anonymous set's elements, or a named set's (set->init). */
export interface SetExpr extends ExprBase {
  kind: 'set';
  exprs: Expr[];
}
export interface SetRefExpr extends ExprBase {
  kind: 'set_ref';
  set: NftSet;
}
export interface SetElemExpr extends ExprBase {
  kind: 'set_elem';
  key: Expr;
  /** ms */
  timeout: bigint;
  /** ms */
  expiration: bigint;
  comment?: string;
  stmts: Stmt[];
}
export interface MappingExpr extends ExprBase {
  kind: 'mapping';
  left: Expr;
  right: Expr;
}
export interface MapExpr extends ExprBase {
  kind: 'map';
  map: Expr;
  mappings: Expr;
}
export interface VerdictExpr extends ExprBase {
  kind: 'verdict';
  verdict: number;
  chain?: string;
}
export interface CatchallExpr extends ExprBase {
  kind: 'catchall';
}
/** `tcp flags & (syn | ack) == syn`: a masked flag comparison nft keeps as one match. */
export interface FlagcmpExpr extends ExprBase {
  kind: 'flagcmp';
  op: Op;
  expr: Expr;
  mask: Expr;
  value: Expr;
}

export type Expr =
  | ValueExpr
  | PayloadExpr
  | ExthdrExpr
  | MetaExpr
  | CtExpr
  | RtExpr
  | SocketExpr
  | OsfExpr
  | FibExpr
  | NumgenExpr
  | HashExpr
  | XfrmExpr
  | BinopExpr
  | RelationalExpr
  | UnaryExpr
  | RangeExpr
  | PrefixExpr
  | ConcatExpr
  | ListExpr
  | SetExpr
  | SetRefExpr
  | SetElemExpr
  | MappingExpr
  | MapExpr
  | VerdictExpr
  | CatchallExpr
  | FlagcmpExpr;

/** A set as the delinearizer knows it (nft's struct set). */
export interface NftSet {
  family: number;
  table: string;
  name: string;
  handle: bigint;
  flags: number;
  key: Expr;
  data?: Expr;
  keyTypeofValid: boolean;
  objtype: number;
  policy: number;
  size: number;
  /** ms */
  timeout: bigint;
  /** ms */
  gcInterval: number;
  comment?: string;
  fieldCount: number;
  /** statements every element carries (`counter` in the set declaration) */
  stmts: Stmt[];
  init?: SetExpr;
}

export type Stmt =
  | { kind: 'expr'; expr: Expr }
  | { kind: 'payload'; expr: Expr; val: Expr }
  | { kind: 'exthdr'; expr: Expr; val: Expr }
  | { kind: 'meta'; key: number; expr: Expr }
  | { kind: 'ct'; key: number; direction: number; expr: Expr }
  | { kind: 'counter'; packets: bigint; bytes: bigint }
  | LogStmt
  | { kind: 'limit'; rate: bigint; unit: bigint; type: number; burst: number; flags: number }
  | { kind: 'quota'; bytes: bigint; used: bigint; flags: number }
  | RejectStmt
  | NatStmt
  | { kind: 'tproxy'; family: number; tableFamily: number; addr?: Expr; port?: Expr }
  | { kind: 'notrack' }
  | { kind: 'dup'; to?: Expr; dev?: Expr }
  | { kind: 'fwd'; dev?: Expr; family: number; addr?: Expr }
  | { kind: 'queue'; queue?: Expr; flags: number }
  | { kind: 'set'; op: number; key: Expr; set: NftSet; stmts: Stmt[] }
  | { kind: 'map'; op: number; key: Expr; data: Expr; set: NftSet; stmts: Stmt[] }
  | { kind: 'meter'; key: Expr; stmt: Stmt; set: NftSet; size: number }
  | { kind: 'objref'; type: number; expr: Expr }
  | { kind: 'connlimit'; count: number; flags: number }
  | { kind: 'synproxy'; mss: number; wscale: number; flags: number }
  | { kind: 'xt'; type: 'match' | 'target' | 'watcher'; name: string; rev: number; info?: Uint8Array }
  | { kind: 'verdict'; expr: Expr }
  | { kind: 'flow_offload'; table: string }
  | { kind: 'last'; used: bigint; set: number }
  | { kind: 'unknown'; name: string };

export interface LogStmt {
  kind: 'log';
  prefix?: string;
  group?: number;
  snaplen?: number;
  qthreshold?: number;
  level?: number;
  logflags: number;
}
export interface RejectStmt {
  kind: 'reject';
  type: number;
  icmpCode: number;
  expr: ValueExpr;
  family: number;
}
export interface NatStmt {
  kind: 'nat';
  /** 'snat' | 'dnat' | 'masquerade' | 'redirect' */
  natType: 'snat' | 'dnat' | 'masquerade' | 'redirect';
  family: number;
  addr?: Expr;
  proto?: Expr;
  flags: number;
  /** STMT_NAT_F_*: interval 1, prefix 2, concat 4 */
  typeFlags: number;
}

// ------------------------------------------------------------------------------------------------------------
// constructors (nft's *_alloc)

// The common fields written out in each literal (kind, dtype, byteorder, len, flags, then the
// kind's own), not spread from a helper's object: a spread after `kind` is a runtime copy per
// expression, and writing them out took about 15% off to-json of a 10,000-rule listing.

export function valueExpr(dtype: Datatype, byteorder: ByteOrder, len: number, value: bigint): ValueExpr {
  return { kind: 'value', dtype, byteorder, len, flags: 0, value };
}

export function relational(op: Op, left: Expr, right: Expr): RelationalExpr {
  return { kind: 'relational', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, op, left, right };
}

export function binop(op: Op, left: Expr, right: Expr): BinopExpr {
  return { kind: 'binop', dtype: left.dtype, byteorder: left.byteorder, len: left.len, flags: 0, op, left, right };
}

export function rangeExpr(left: Expr, right: Expr): RangeExpr {
  return { kind: 'range', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, left, right };
}

export function prefixExpr(prefix: Expr, prefixLen: number): PrefixExpr {
  return { kind: 'prefix', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, prefix, prefixLen };
}

export function concatExpr(exprs: Expr[] = []): ConcatExpr {
  return { kind: 'concat', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, exprs };
}

export function listExpr(exprs: Expr[] = []): ListExpr {
  return { kind: 'list', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, exprs };
}

export function setElem(key: Expr): SetElemExpr {
  return { kind: 'set_elem', dtype: key.dtype, byteorder: key.byteorder, len: key.len, flags: 0, key, timeout: 0n, expiration: 0n, stmts: [] };
}

export function mapping(left: Expr, right: Expr): MappingExpr {
  return { kind: 'mapping', dtype: left.dtype, byteorder: left.byteorder, len: left.len, flags: 0, left, right };
}

export function mapExpr(map: Expr, mappings: Expr): MapExpr {
  return { kind: 'map', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, map, mappings };
}

export function setRef(set: NftSet): SetRefExpr {
  return { kind: 'set_ref', dtype: set.key.dtype, byteorder: set.key.byteorder, len: set.key.len, flags: 0, set };
}

export function verdictExpr(verdict: number, chain?: string): VerdictExpr {
  return { kind: 'verdict', dtype: invalidType, byteorder: 'invalid', len: 0, flags: 0, verdict, ...(chain !== undefined ? { chain } : {}) };
}

export function unaryExpr(op: Op, arg: Expr): UnaryExpr {
  return { kind: 'unary', dtype: invalidType, byteorder: 'invalid', len: arg.len, flags: 0, op, arg };
}

/** expr_set_type: prefixes pass it to their address, everything else takes it. */
export function setType(e: Expr, dtype: Datatype, byteorder: ByteOrder): void {
  if (e.kind === 'prefix') {
    setType(e.prefix, dtype, byteorder);
    return;
  }
  if (e.kind === 'range') {
    setType(e.left, dtype, byteorder);
    setType(e.right, dtype, byteorder);
    return;
  }
  if (e.kind === 'set') {
    for (const i of e.exprs) setType(i, dtype, byteorder);
    return;
  }
  e.dtype = dtype;
  e.byteorder = byteorder;
}

export function basetypeOfExpr(e: Expr): Datatype {
  let t = e.dtype;
  while (t.basetype) t = t.basetype;
  return t;
}

/** constant_expr_splice: cut the top `len` bits off `e` (which shrinks). */
export function constantSplice(e: ValueExpr, len: number): ValueExpr {
  const shift = BigInt(e.len - len);
  const slice = valueExpr(invalidType, 'invalid', len, (e.value >> shift) & bitmask(len));
  e.len -= len;
  e.value &= bitmask(e.len);
  return slice;
}

/** bitmask_expr_to_binops: `a|b|c` for values of a bitmask type with several bits set. */
export function bitmaskToBinops(e: ValueExpr): Expr {
  if (popcount(e.value) <= 1) return e;
  let out: Expr | undefined;
  for (let n = scan1(e.value, 0); n >= 0; n = scan1(e.value, n + 1)) {
    const flag = valueExpr(e.dtype, e.byteorder, e.len, 1n << BigInt(n));
    out = out ? binop('|', out, flag) : flag;
  }
  return out!;
}

export function isBitmaskValue(e: Expr): e is ValueExpr {
  return e.kind === 'value' && isBitmaskType(e.dtype);
}

/** expr_clone: deep enough for the rewrites (sets are shared, as nft shares them by reference). */
export function clone<T extends Expr>(e: T): T {
  const c = { ...e } as Expr;
  switch (c.kind) {
    case 'binop':
    case 'relational':
    case 'range':
    case 'mapping':
      c.left = clone(c.left);
      c.right = clone(c.right);
      break;
    case 'unary':
      c.arg = clone(c.arg);
      break;
    case 'prefix':
      c.prefix = clone(c.prefix);
      break;
    case 'concat':
    case 'list':
    case 'set':
      c.exprs = c.exprs.map(clone);
      break;
    case 'set_elem':
      c.key = clone(c.key);
      c.stmts = [...c.stmts];
      break;
    case 'map':
      c.map = clone(c.map);
      c.mappings = clone(c.mappings);
      break;
    case 'hash':
      if (c.expr) c.expr = clone(c.expr);
      break;
    case 'flagcmp':
      c.expr = clone(c.expr);
      c.mask = clone(c.mask);
      c.value = clone(c.value);
      break;
    default:
      break;
  }
  return c as T;
}

export { bitmaskType };
