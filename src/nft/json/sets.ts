/**
 * Sets and their elements (nftables src/netlink.c netlink_delinearize_set / _setelem, src/segtree.c,
 * src/mergesort.c): key and data types from the kernel's type ids and nft's userdata, elements typed and put
 * in nft's order, interval sets folded back from their start/end points into ranges and prefixes.
 */
import {
  type Attrs,
  IP_PROTO,
  NFT_SET_ANONYMOUS,
  NFT_SET_ELEM_CATCHALL,
  NFT_SET_ELEM_INTERVAL_END,
  NFT_SET_INTERVAL,
  NFT_SET_MAP,
  NFT_SET_OBJECT,
  OBJECT_TYPE,
  SET_ELEM_FLAGS,
  SET_FLAGS,
  SET_POLICY,
  big,
  bytes,
  dataValue,
  dataVerdict,
  listElems,
  nest,
  num,
} from './attr-values.js';
import {
  type Datatype,
  TYPE,
  concatSubtypeLookup,
  dtypeFromKernel,
  integerType,
  invalidType,
  isBitmaskType,
  setDatatypeAlloc,
  stringType,
} from './datatypes.js';
import { type NetlinkExpr, type ParseContext, parseSetExpression, rawValue } from './delinearize.js';
import {
  type Expr,
  F_INTERVAL,
  F_INTERVAL_END,
  type NftSet,
  type SetElemExpr,
  type SetExpr,
  type Stmt,
  type ValueExpr,
  bitmaskToBinops,
  clone,
  concatExpr,
  mapping,
  prefixExpr,
  rangeExpr,
  setElem,
  valueExpr,
  verdictExpr,
} from './ir.js';
import { type ByteOrder, bitmask, exportBytes, importBytes, paddingLen, scan0, switchByteorder } from './mpz.js';
import { rangeReduce, rangeToPrefix } from './ranges.js';

/** nftnl userdata: type (u8), length (u8), value, repeated. */
export function parseUdata(data: Uint8Array | undefined): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (!data) return out;
  let i = 0;
  while (i + 2 <= data.length) {
    const type = data[i]!;
    const len = data[i + 1]!;
    if (i + 2 + len > data.length) break;
    out.set(type, data.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

/** A NUL-terminated userdata string (comments). */
export function udataString(v: Uint8Array | undefined): string | undefined {
  if (!v || v.length === 0 || v[v.length - 1] !== 0) return undefined;
  return new TextDecoder().decode(v.subarray(0, v.length - 1));
}

/** A host-order u32 userdata value (byte orders, flags). */
function udataU32(v: Uint8Array | undefined): number | undefined {
  if (v?.length !== 4) return undefined;
  return new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true);
}

const BYTEORDERS: ByteOrder[] = ['invalid', 'host', 'big'];

const UDATA_SET = { KEYBYTEORDER: 0, DATABYTEORDER: 1, MERGE_ELEMENTS: 2, KEY_TYPEOF: 3, DATA_TYPEOF: 4, EXPR: 5, DATA_INTERVAL: 6, COMMENT: 7 };

/** The family of a message header (name or number). */
export type FamilyOf = (v: unknown) => number;

/** netlink_delinearize_set: what rules and listings need of a set (elements come later). */
export function delinearizeSet(a: Attrs, family: number, ctxFor: (set: NftSet) => ParseContext): NftSet {
  const ud = parseUdata(bytes(a.userdata));
  const keyOrder = BYTEORDERS[udataU32(ud.get(UDATA_SET.KEYBYTEORDER)) ?? 0] ?? 'invalid';
  const dataOrder = BYTEORDERS[udataU32(ud.get(UDATA_SET.DATABYTEORDER)) ?? 0] ?? 'invalid';
  const dataInterval = udataU32(ud.get(UDATA_SET.DATA_INTERVAL)) ?? 0;
  const flags = SET_FLAGS.flags(a.flags);

  const keytype = dtypeFromKernel(num(a.keyType) ?? 0) ?? invalidType;
  let datatype: Datatype | undefined;
  if (flags & NFT_SET_MAP) datatype = dtypeFromKernel(num(a.dataType) ?? 0) ?? invalidType;
  const objtype = flags & NFT_SET_OBJECT ? (OBJECT_TYPE.num(a.objType) ?? 0) : 0;
  if (flags & NFT_SET_OBJECT) datatype = stringType;

  const desc = nest(a.desc);
  const set: NftSet = {
    family,
    table: String(a.table ?? ''),
    name: String(a.name ?? ''),
    handle: big(a.handle) ?? 0n,
    flags,
    key: valueExpr(setDatatypeAlloc(keytype, keyOrder), keyOrder, (num(a.keyLen) ?? 0) * 8, 0n),
    keyTypeofValid: false,
    objtype,
    policy: SET_POLICY.num(a.policy) ?? 0,
    size: num(desc.size) ?? 0,
    timeout: big(a.timeout) ?? 0n,
    gcInterval: num(a.gcInterval) ?? 0,
    fieldCount: listElems(desc.concat).length,
    stmts: [],
    ...(udataString(ud.get(UDATA_SET.COMMENT)) !== undefined ? { comment: udataString(ud.get(UDATA_SET.COMMENT)) } : {}),
  };
  if (datatype) {
    set.data = valueExpr(setDatatypeAlloc(datatype, dataOrder), dataOrder, (num(a.dataLen) ?? 0) * 8, 0n);
    if (dataInterval) set.data.flags |= F_INTERVAL;
  }
  const ctx = ctxFor(set);
  const exprs: unknown[] = a.expr !== undefined ? [a.expr] : listElems(a.expressions);
  for (const e of exprs) {
    const s = parseSetExpression(e as NetlinkExpr, ctx);
    if (s) set.stmts.push(s);
  }
  return set;
}

/** concat_elem_expr: the next component of a concatenated key or value. */
function concatElem(type: number, off: number, data: ValueExpr): Expr {
  const sub = concatSubtypeLookup(type, off) ?? integerType;
  const size = sub.size;
  const shift = BigInt(data.len - size);
  let e: Expr = valueExpr(sub, sub.byteorder, size, (data.value >> shift) & bitmask(size));
  data.len -= size;
  data.value &= bitmask(data.len);
  if (e.byteorder === 'host') (e as ValueExpr).value = switchByteorder((e as ValueExpr).value, Math.floor(size / 8));
  if (isBitmaskType(e.dtype)) e = bitmaskToBinops(e as ValueExpr);
  const pad = paddingLen(size);
  data.len -= pad;
  data.value &= bitmask(data.len);
  return e;
}

function parseConcatElemKey(set: NftSet, data: ValueExpr): Expr {
  const t = set.key.dtype;
  const c = concatExpr();
  let off = t.subtypes ?? 0;
  while (off > 0) c.exprs.push(concatElem(t.type, --off, data));
  return c;
}

function parseConcatElemData(set: NftSet, data: ValueExpr): Expr {
  const t = set.data!.dtype;
  const c = concatExpr();
  const parts: Expr[] = [];
  let off = t.subtypes ?? 0;
  while (off > 0) parts.push(concatElem(t.type, --off, data));
  if (set.data!.flags & F_INTERVAL) {
    off = t.subtypes ?? 0;
    while (off > 0) {
      const left = parts.shift()!;
      const right = concatElem(t.type, --off, data);
      c.exprs.push(rangeReduce(rangeExpr(left, right)));
    }
  } else c.exprs.push(...parts);
  return c;
}

/** netlink_parse_interval_elem: map data that is an interval ([low, high] in one value). */
function parseIntervalElem(set: NftSet, e: ValueExpr): Expr {
  const n = Math.ceil(e.len / 8);
  const dt = set.data!.dtype;
  const data = exportBytes(e.value, dt.byteorder, n);
  const half = Math.floor(n / 2);
  const left = valueExpr(dt, dt.byteorder, half * 8, importBytes(data.subarray(0, half), dt.byteorder));
  const right = valueExpr(dt, dt.byteorder, half * 8, importBytes(data.subarray(half), dt.byteorder));
  return rangeToPrefix(rangeExpr(left, right));
}

const UDATA_ELEM = { COMMENT: 0, FLAGS: 1 };

/** netlink_delinearize_setelem: one element (two for concatenated intervals) appended to set.init. */
export function addElement(set: NftSet, el: Attrs, ctx: ParseContext): void {
  const init = (set.init ??= { kind: 'set', dtype: set.key.dtype, byteorder: 'invalid', len: 0, flags: 0, exprs: [] });
  let flags = SET_ELEM_FLAGS.flags(el.flags);
  let keyData = dataValue(el.key);
  const ud = parseUdata(bytes(el.userdata));
  const stmts: Stmt[] = [];
  const exprs: unknown[] = el.expr !== undefined ? [el.expr] : listElems(el.expressions);
  for (const e of exprs) {
    const s = parseSetExpression(e as NetlinkExpr, ctx);
    if (s) stmts.push(s);
  }
  for (;;) {
    let key: Expr;
    if (keyData) {
      let k: Expr = rawValue(keyData);
      k.dtype = set.key.dtype;
      k.byteorder = set.key.byteorder;
      if (set.key.dtype.subtypes) k = parseConcatElemKey(set, k as ValueExpr);
      if (!(set.flags & NFT_SET_INTERVAL) && k.kind === 'value' && k.byteorder === 'host') k.value = switchByteorder(k.value, Math.floor(k.len / 8));
      if (k.kind === 'value' && isBitmaskType(k.dtype)) k = bitmaskToBinops(k);
      key = k;
    } else if (flags & NFT_SET_ELEM_CATCHALL) {
      key = { kind: 'catchall', dtype: set.key.dtype, byteorder: set.key.byteorder, len: set.key.len, flags: 0 };
    } else return;

    const elem: SetElemExpr = setElem(key);
    elem.timeout = big(el.timeout) ?? 0n;
    elem.expiration = big(el.expiration) ?? 0n;
    const comment = udataString(ud.get(UDATA_ELEM.COMMENT));
    if (comment !== undefined) elem.comment = comment;
    elem.stmts = [...stmts];
    if (flags & NFT_SET_ELEM_INTERVAL_END) elem.flags |= F_INTERVAL_END;

    let out: Expr = elem;
    if (set.flags & NFT_SET_MAP && set.data) {
      const data = elementData(set, el);
      if (data) out = mapping(elem, data);
    }
    if (set.flags & NFT_SET_OBJECT && typeof el.objref === 'string') {
      const name = new TextEncoder().encode(el.objref);
      out = mapping(elem, valueExpr(stringType, 'host', name.length * 8, importBytes(name, 'host')));
    }
    init.exprs.push(out);

    if (!(flags & NFT_SET_ELEM_INTERVAL_END) && el.keyEnd !== undefined) {
      flags |= NFT_SET_ELEM_INTERVAL_END;
      keyData = dataValue(el.keyEnd);
      continue;
    }
    return;
  }
}

function elementData(set: NftSet, el: Attrs): Expr | undefined {
  const d = set.data!;
  const verdict = dataVerdict(el.data);
  const value = dataValue(el.data);
  let data: Expr;
  if (d.dtype.type === 1) {
    if (!verdict) return undefined;
    data = verdictExpr(verdict.code, verdict.chain);
    return data;
  }
  if (!value) return undefined;
  const v = rawValue(value);
  v.dtype = d.dtype;
  v.byteorder = d.byteorder;
  data = v;
  if (d.dtype.subtypes) data = parseConcatElemData(set, v);
  else if (d.flags & F_INTERVAL) data = parseIntervalElem(set, v);
  if (data.kind === 'value' && data.byteorder === 'host') data.value = switchByteorder(data.value, Math.floor(data.len / 8));
  return data;
}

// ------------------------------------------------------------------------------------------------------------
// ordering (mergesort.c) and intervals (segtree.c)

function msortValue(e: Expr): bigint {
  switch (e.kind) {
    case 'set_elem':
      return msortValue(e.key);
    case 'binop':
    case 'mapping':
      return msortValue(e.left);
    case 'value':
      return e.value;
    case 'concat': {
      const parts: number[] = [];
      for (const i of e.exprs) {
        const n = Math.ceil(i.len / 8);
        parts.push(...exportBytes(i.kind === 'value' ? i.value : 0n, i.byteorder, n));
      }
      return importBytes(Uint8Array.from(parts), 'host');
    }
    case 'catchall':
      return bitmask(e.len);
    default:
      return 0n;
  }
}

/** list_expr_sort: nft's merge sort (equal keys keep nft's order, not a stable one). */
export function listExprSort(list: Expr[]): Expr[] {
  if (list.length <= 1) return list;
  // list_cut_middle: the first half moves out, the rest stays
  let s = 0;
  let e = list.length - 1;
  while (e !== s) {
    e--;
    if (e !== s) s++;
  }
  const first = listExprSort(list.slice(0, s + 1));
  const rest = listExprSort(list.slice(s + 1));
  // list_splice_sorted(first, rest): each of `first` goes before the first of `rest` it is smaller than
  const out: Expr[] = [];
  let h = 0;
  let l = 0;
  while (l < first.length) {
    if (h === rest.length || msortValue(first[l]!) < msortValue(rest[h]!)) {
      out.push(first[l]!);
      l++;
      continue;
    }
    out.push(rest[h]!);
    h++;
  }
  while (h < rest.length) out.push(rest[h++]!);
  return out;
}

function elemKey(e: Expr): Expr {
  if (e.kind === 'mapping') return (e.left as SetElemExpr).key;
  if (e.kind === 'set_elem') return e.key;
  return e;
}

function elemValue(e: Expr): bigint {
  const k = elemKey(e);
  return k.kind === 'value' ? k.value : 0n;
}

function elemOf(e: Expr): SetElemExpr | undefined {
  if (e.kind === 'set_elem') return e;
  if (e.kind === 'mapping' && e.left.kind === 'set_elem') return e.left;
  return undefined;
}

/** interval_expr_copy: what an interval element carries over to the element that replaces it. */
function intervalCopy(dst: SetElemExpr, src: Expr): void {
  const s = elemOf(src);
  if (!s) return;
  if (s.comment !== undefined) dst.comment = s.comment;
  if (s.timeout) dst.timeout = s.timeout;
  if (s.expiration) dst.expiration = s.expiration;
  dst.stmts = s.stmts;
}

function rangeIsPrefix(range: bigint): boolean {
  return ((range + 1n) & range) === 0n;
}

function withElem(low: Expr, key: Expr): Expr {
  const elem = setElem(key);
  if (low.kind === 'mapping') {
    intervalCopy(elem, low.left);
    return mapping(elem, clone(low.right));
  }
  intervalCopy(elem, low);
  return elem;
}

function isString(e: Expr): boolean {
  let t = e.dtype;
  while (t.basetype) t = t.basetype;
  return t.type === TYPE.STRING;
}

/** interval_to_string: a string range that is a prefix of whole bytes is a wildcard ("eth*"). */
function intervalToString(low: Expr, lowKey: ValueExpr, range: bigint): Expr | undefined {
  const n = Math.ceil(lowKey.len / 8);
  const plen = lowKey.len - scan0(range, 0);
  if (plen > lowKey.len || plen % 8) return undefined;
  const data = exportBytes(lowKey.value, 'big', n);
  let strLen = data.indexOf(0);
  if (strLen < 0) strLen = n;
  if (strLen >= n || strLen === 0) return undefined;
  const out = new Uint8Array(n);
  out.set(data.subarray(0, strLen));
  out[strLen] = 0x2a;
  return withElem(low, valueExpr(low.dtype, 'host', n * 8, importBytes(out, 'host')));
}

/** add_interval: the element for [low, high] (high excluded when closed: it is the next interval's start). */
function addInterval(low: Expr, high: bigint, closed: boolean): Expr {
  const lowKey = elemKey(low) as ValueExpr;
  if (lowKey.kind !== 'value') return low;
  let range = high - lowKey.value;
  if (closed) range -= 1n;
  const p = lowKey.value & range;
  if (range === 0n) {
    if (isString(lowKey)) lowKey.value = switchByteorder(lowKey.value, Math.floor(lowKey.len / 8));
    return low;
  }
  const toRange = (): Expr => withElem(low, rangeExpr(clone(lowKey), valueExpr(low.dtype, low.byteorder, lowKey.len, range + lowKey.value)));
  const toPrefix = (): Expr => {
    const prefix = prefixExpr(clone(lowKey), lowKey.len - scan0(range, 0));
    prefix.len = lowKey.len;
    return withElem(low, prefix);
  };
  if (rangeIsPrefix(range) && p === 0n) {
    if (low.dtype.prefix) return toPrefix();
    if (isString(lowKey)) return intervalToString(low, lowKey, range) ?? toPrefix();
  }
  return toRange();
}

/** interval_map_decompose: start and end points of an interval set back into values, ranges and prefixes. */
export function intervalMapDecompose(set: SetExpr): void {
  if (set.exprs.length === 0) return;
  let catchall: Expr | undefined;
  const elements: Expr[] = [];
  for (const i of set.exprs) {
    if (elemKey(i).kind === 'catchall') catchall = i;
    else elements.push(i);
  }
  elements.sort((e1, e2) => {
    if (elemKey(e1).kind === 'concat') return -1;
    const a = elemValue(e1);
    const b = elemValue(e2);
    if (a !== b) return a < b ? -1 : 1;
    if (e1.flags & F_INTERVAL_END) return -1;
    if (e2.flags & F_INTERVAL_END) return 1;
    return 0;
  });

  const ranges: Expr[] = [];
  let interval = false;
  for (const i of elements) {
    if (i.flags & F_INTERVAL_END) interval = false;
    else if (interval) {
      const end = clone(i);
      end.flags |= F_INTERVAL_END;
      ranges.push(end);
    } else interval = true;
    ranges.push(i);
  }

  const out: Expr[] = [];
  let low: Expr | undefined;
  for (const i of ranges) {
    if (!low) {
      if (!(i.flags & F_INTERVAL_END)) low = i;
      continue;
    }
    out.push(addInterval(low, elemValue(i), true));
    if (i.flags & F_INTERVAL_END) low = undefined;
  }
  if (low && elemKey(low).kind === 'value') {
    const lowKey = elemKey(low) as ValueExpr;
    const max = bitmask(lowKey.len);
    out.push(max === lowKey.value ? low : addInterval(low, max, false));
  }
  if (catchall) out.push(catchall);
  set.exprs = out;
}

/** range_mask_len: the prefix length of [start, end], or -1. */
function rangeMaskLen(start: bigint, end: bigint, len: number): number {
  let s = start;
  let e = end;
  let l = len;
  while (s <= e && (s & 1n) === 0n && (e & 1n) === 1n && l-- > 0) {
    s >>= 1n;
    e >>= 1n;
  }
  return s === e ? l : -1;
}

/** concat_range_aggregate: start and end of a concatenated interval element as one element of ranges. */
export function concatRangeAggregate(set: SetExpr): void {
  const out: Expr[] = [];
  let start: Expr | undefined;
  for (const i of set.exprs) {
    if (!start) {
      start = i;
      continue;
    }
    const end = i;
    const sk = elemKey(start);
    const ek = elemKey(end);
    if (sk.kind === 'concat' && ek.kind === 'concat') {
      ek.exprs = ek.exprs.map((r2, idx) => {
        const r1 = sk.exprs[idx];
        if (r1?.kind !== 'value' || r2.kind !== 'value') return r2;
        if (r1.value === r2.value) return r2;
        const str = isString(r1) && isString(r2);
        const n = Math.floor(r1.len / 8);
        const plen = str
          ? rangeMaskLen(switchByteorder(r1.value, n), switchByteorder(r2.value, Math.floor(r2.len / 8)), r1.len)
          : rangeMaskLen(r1.value, r2.value, r1.len);
        if (plen >= 0 && plen % 8 === 0 && str) {
          // a string prefix: the wildcard "eth*"
          const data = exportBytes(r1.value, 'host', Math.ceil(r1.len / 8));
          const strLen = plen / 8;
          const out = new Uint8Array(strLen + 1);
          out.set(data.subarray(0, strLen));
          out[strLen] = 0x2a;
          return valueExpr(r1.dtype, 'host', (strLen + 1) * 8, importBytes(out, 'host'));
        }
        if (plen < 0 || !r1.dtype.prefix) return rangeExpr(r1, r2);
        const p = prefixExpr(r1, plen);
        p.len = r2.len;
        return p;
      });
    }
    out.push(end);
    start = undefined;
  }
  set.exprs = out;
}

/** Elements of a set in nft's listing order and shape (netlink_list_setelems). */
export function finishElements(set: NftSet): void {
  if (!set.init) return;
  if (!set.init.exprs.every((e) => elemKey(e).kind !== 'value' || (elemKey(e) as ValueExpr).len <= 64 * 8)) return;
  if (set.flags & NFT_SET_INTERVAL && set.fieldCount > 1) concatRangeAggregate(set.init);
  else if (set.flags & NFT_SET_INTERVAL) intervalMapDecompose(set.init);
  else set.init.exprs = listExprSort(set.init.exprs);
}

/** obj_type_name. */
export function objTypeName(t: number): string {
  const names: Record<number, string> = {
    1: 'counter',
    2: 'quota',
    3: 'ct helper',
    4: 'limit',
    7: 'ct timeout',
    8: 'secmark',
    9: 'ct expectation',
    10: 'synproxy',
  };
  return names[t] ?? 'unknown';
}

export function isAnonymous(set: NftSet): boolean {
  return (set.flags & NFT_SET_ANONYMOUS) !== 0;
}

export { IP_PROTO, invalidType, prefixExpr, rangeReduce };
