/** Ranges that are prefixes (nftables src/netlink.c range_expr_to_prefix and friends). */
import { TYPE } from './datatypes.js';
import { type Expr, type RangeExpr, prefixExpr } from './ir.js';
import { bitmask, scan0, scan1 } from './mpz.js';

function constOf(e: Expr): bigint {
  return e.kind === 'value' ? e.value : 0n;
}

/** range_expr_is_prefix: [a, b] is a/len when b = a with the low bits set and a has them clear. */
export function rangePrefixLen(range: RangeExpr): number | undefined {
  const len = range.left.len;
  const left = constOf(range.left);
  const x = left ^ constOf(range.right);
  const n1 = scan0(x, 0);
  const n2 = scan1(x, n1 + 1);
  if (n2 >= 0 && n2 < len) return undefined;
  const plen = len - n1;
  const low = scan1(left, 0);
  if (low >= 0 && low < len - plen) return undefined;
  return plen;
}

/** range_expr_to_prefix. */
export function rangeToPrefix(range: RangeExpr): Expr {
  const plen = rangePrefixLen(range);
  return plen === undefined ? range : prefixExpr(range.left, plen);
}

/** range_expr_reduce: a one-value range is that value; address ranges become prefixes when they can. */
export function rangeReduce(range: RangeExpr): Expr {
  if (constOf(range.left) === constOf(range.right)) return range.left;
  const t = range.left.dtype.type;
  if (t !== TYPE.IPADDR && t !== TYPE.IP6ADDR) return range;
  return rangeToPrefix(range);
}

/** range_expr_value_low: the first value an element covers. */
export function rangeLow(e: Expr): bigint {
  switch (e.kind) {
    case 'value':
      return e.value;
    case 'prefix':
      return rangeLow(e.prefix);
    case 'range':
      return rangeLow(e.left);
    case 'mapping':
      return rangeLow(e.left);
    case 'set_elem':
      return rangeLow(e.key);
    default:
      return 0n;
  }
}

/** range_expr_value_high: the last value an element covers. */
export function rangeHigh(e: Expr): bigint {
  switch (e.kind) {
    case 'value':
      return e.value;
    case 'prefix':
      return rangeLow(e.prefix) | bitmask(e.prefix.len - e.prefixLen);
    case 'range':
      return rangeHigh(e.right);
    case 'mapping':
      return rangeHigh(e.left);
    case 'set_elem':
      return rangeHigh(e.key);
    default:
      return 0n;
  }
}
