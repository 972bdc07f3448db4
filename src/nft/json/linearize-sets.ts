/**
 * Sets, maps and their elements as nft 1.0.6 writes them: key types and lengths, the userdata TLVs
 * nft keeps for listing (key byte order, typeof, comment), and intervals as the kernel's rbtree
 * wants them (a start element per range and an element with NFT_SET_ELEM_INTERVAL_END just past
 * it, plus a leading end at 0; concatenations of ranges use key and key-end instead).
 */
import { nftExprDefinitions } from '../../../protocol/nf-tables-expr-enums.js';
import type { Load, NftExpr } from './linearize-emit.js';
import { STATEFUL, statefulExpr } from './linearize-stateful.js';
import { regSpace } from './linearize-emit.js';
import { concatTypeId } from './linearize-match.js';
import { type JsonObject, type JsonPath, fail, failAt, isObject } from './json-path.js';
import { TYPES, type DataType, type ValueSlot, byteLen, bytesToInt, encodeValue, intBytes, stringWildcard, typeByName } from './linearize-types.js';

/** A set's key (or a map's data): its fields, as nft describes them to the kernel. */
export interface SetKey {
  readonly parts: readonly ValueSlot[];
  readonly typeId: number;
  /** Bytes (concatenations: each part in whole 4-byte registers). */
  readonly len: number;
  /** Userdata byte order: 0 for concatenations, 1 host, 2 big-endian. */
  readonly byteorder: number;
  /** NFTNL_UDATA_SET_KEY_TYPEOF contents, when nft writes one. */
  readonly typeof?: Uint8Array;
}

const META_NUM = nftExprDefinitions['meta-keys'].entries as Record<string, number>;
const CT_NUM = nftExprDefinitions['ct-keys'].entries as Record<string, number>;
const FIB_NUM = nftExprDefinitions['fib-result'].entries as Record<string, number>;

// ---------------------------------------------------------------------------------------------
// userdata TLVs (libnftnl udata: type u8, length u8, value; integers in host order)

export function tlv(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + value.length);
  out[0] = type;
  out[1] = value.length;
  out.set(value, 2);
  return out;
}

export { intBytes, bytesToInt };

export const u32le = (n: number): Uint8Array => intBytes(BigInt(n >>> 0), 4, 'host');

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A string TLV as nft writes comments: with its NUL. */
export function strTlv(type: number, s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const v = new Uint8Array(b.length + 1);
  v.set(b);
  return tlv(type, v);
}

/** typeof userdata of a load (nft's expr_ops build_udata): expression type, then its own TLVs. */
function typeofOf(load: Load): Uint8Array | undefined {
  const wrap = (expr: number, data: Uint8Array) => concatBytes([tlv(0, u32le(expr)), tlv(1, data)]);
  switch (load.kind) {
    case 'payload': {
      if (!load.proto || !load.field) return undefined;
      const parts = [tlv(0, u32le(load.proto.descId)), tlv(1, u32le(load.field.id))];
      // Plain integer fields (ip ttl, ip length) carry their size in bits too.
      if (load.field.type === TYPES.integer) parts.push(tlv(4, u32le(load.field.bits)));
      return wrap(7, concatBytes(parts));
    }
    case 'meta':
      return wrap(9, tlv(0, u32le(META_NUM[load.key]!)));
    case 'ct':
      return wrap(12, concatBytes([tlv(0, u32le(CT_NUM[load.key]!)), tlv(1, u32le(load.dir === undefined ? -1 : load.dir === 'reply' ? 1 : 0))]));
    case 'concat': {
      const items = load.items.map((i) => typeofOf(i));
      if (items.some((i) => i === undefined)) return undefined;
      return wrap(13, concatBytes(items.map((b, i) => tlv(i, b!))));
    }
    case 'hton':
      return typeofOf(load.left);
    case 'other':
      if (load.name !== 'fib') return undefined;
      return wrap(26, concatBytes([tlv(0, u32le(FIB_NUM[load.attrs.result as string]!)), tlv(1, u32le(load.attrs.flags as number))]));
    default:
      return undefined;
  }
}

const BYTEORDER_UDATA = { host: 1, big: 2 } as const;

export function keyOfLoad(load: Load): SetKey {
  const typeofBytes = typeofOf(load);
  if (load.kind === 'concat') {
    return {
      parts: load.items.map((i) => i.slot),
      typeId: load.slot.type.id,
      len: load.slot.bits / 8,
      byteorder: 0,
      ...(typeofBytes && { typeof: typeofBytes }),
    };
  }
  const slot = load.slot;
  // A host-order key turned big-endian for an interval set keeps its own byte order in the userdata.
  const order = load.kind === 'hton' ? load.left.slot.byteorder : slot.byteorder;
  return {
    parts: [slot],
    typeId: slot.type.id,
    len: byteLen(slot.bits),
    byteorder: BYTEORDER_UDATA[order],
    ...(typeofBytes && { typeof: typeofBytes }),
  };
}

/** A set's "type" ("ipv4_addr", or a list for a concatenation) -> its key. */
export function keyOfTypes(json: unknown, path: JsonPath): SetKey {
  const names = Array.isArray(json) ? json : [json];
  if (names.length === 0) return fail(path, json, 'must name a datatype');
  const types = names.map((n, i) => {
    const t = typeof n === 'string' ? typeByName(n) : undefined;
    if (!t || t.bits === 0 || t === TYPES.verdict) {
      return fail(
        Array.isArray(json) ? path.at(i) : path,
        n,
        'is not a datatype a set key can have (ipv4_addr, ipv6_addr, inet_service, inet_proto, ether_addr, ifname, mark...)',
      );
    }
    return t;
  });
  if (types.length === 1) {
    const t = types[0]!;
    return { parts: [slot(t)], typeId: t.id, len: byteLen(t.bits), byteorder: t.noByteorder ? 0 : BYTEORDER_UDATA[t.byteorder] };
  }
  const len = types.reduce((n, t) => n + regSpace(t.bits) * 4, 0);
  const typeofConcat = concatBytes([tlv(0, u32le(13)), tlv(1, new Uint8Array(0))]);
  return { parts: types.map(slot), typeId: concatTypeId(types), len, byteorder: 0, typeof: typeofConcat };
}

const slot = (t: DataType): ValueSlot => ({ type: t, bits: t.bits, byteorder: t.byteorder });

// ---------------------------------------------------------------------------------------------
// elements

export interface Elem {
  key: Uint8Array;
  /** Intervals: the last key of the range (inclusive). */
  last?: Uint8Array;
  data?: Uint8Array | { verdict: { code: string; chain?: string } };
  timeout?: bigint;
  expiration?: bigint;
  comment?: string;
  /** Statements of the element (counter, limit, quota). */
  exprs?: NftExpr[];
}

/** One value of the key (a single field, or each field of a concatenation) with its range. */
function keyRange(key: SetKey, v: unknown, path: JsonPath): [Uint8Array, Uint8Array] {
  if (key.parts.length > 1) {
    const parts = isObject(v) && Array.isArray(v.concat) ? (v.concat as unknown[]) : undefined;
    if (!parts || parts.length !== key.parts.length) return fail(path, v, `must be { "concat": [...] } of ${key.parts.length} values`);
    const lo = new Uint8Array(key.len);
    const hi = new Uint8Array(key.len);
    let at = 0;
    key.parts.forEach((s, i) => {
      const [a, b] = fieldRange(s, parts[i], path.key('concat').at(i));
      lo.set(a, at);
      hi.set(b, at);
      at += regSpace(s.bits) * 4;
    });
    return [lo, hi];
  }
  return fieldRange(key.parts[0]!, v, path);
}

function fieldRange(s: ValueSlot, v: unknown, path: JsonPath): [Uint8Array, Uint8Array] {
  if (isObject(v) && 'range' in v) {
    const r = v.range;
    if (!Array.isArray(r) || r.length !== 2) return fail(path.key('range'), r, 'must be [low, high]');
    const lo = encodeValue(s, r[0], path.key('range').at(0));
    const hi = encodeValue(s, r[1], path.key('range').at(1));
    if (bytesToInt(lo, 'big') > bytesToInt(hi, 'big')) failAt(path.key('range'), 'the range is empty: its low end is above its high end');
    return [lo, hi];
  }
  if (isObject(v) && 'prefix' in v) {
    const p = v.prefix;
    if (!isObject(p)) return fail(path.key('prefix'), p, 'must be { "addr": ..., "len": ... }');
    const base = encodeValue(s, p.addr, path.key('prefix').key('addr'));
    const bits = base.length * 8;
    if (typeof p.len !== 'number' || !Number.isInteger(p.len) || p.len < 0 || p.len > bits)
      fail(path.key('prefix').key('len'), p.len, `must be 0 to ${bits}`);
    const host = (1n << BigInt(bits - p.len)) - 1n;
    const n = bytesToInt(base, 'big');
    return [intBytes(n & ~host, base.length, 'big'), intBytes(n | host, base.length, 'big')];
  }
  const wild = stringWildcard(s, v);
  if (wild) {
    const len = byteLen(s.bits);
    const lo = new Uint8Array(len);
    lo.set(wild);
    const hi = new Uint8Array(len).fill(0xff);
    hi.set(wild);
    return [lo, hi];
  }
  const b = encodeValue(s, v, path);
  return [b, b];
}

const VERDICT_NAMES = ['accept', 'drop', 'continue', 'return', 'jump', 'goto'];

function verdictData(v: unknown, path: JsonPath): Elem['data'] {
  if (typeof v === 'string' && VERDICT_NAMES.includes(v) && v !== 'jump' && v !== 'goto') return { verdict: { code: v } };
  if (isObject(v) && Object.keys(v).length === 1) {
    const [code, body] = Object.entries(v)[0]!;
    if (code === 'jump' || code === 'goto') {
      const target = isObject(body) ? body.target : undefined;
      if (typeof target !== 'string') return fail(path.key(code).key('target'), target, 'must name a chain');
      return { verdict: { code, chain: target } };
    }
    if (VERDICT_NAMES.includes(code)) return { verdict: { code } };
  }
  return fail(path, v, 'is not a verdict ({ "accept": null }, { "jump": { "target": "chain" } }...)');
}

/** Map data: a verdict, or a value of the data type (`interval`: a range, its first and last value). */
export type DataKind = { verdict: true } | { key: SetKey; interval?: boolean };

/** The elements of a set or map ("elem", or an anonymous set's list) -> keys, ranges and data. */
export function parseElements(
  key: SetKey,
  data: DataKind | undefined,
  items: readonly unknown[],
  path: JsonPath,
): { elems: Elem[]; interval: boolean } {
  let interval = false;
  const elems = items.map((item, i) => {
    const p = path.at(i);
    let val = item;
    let dataJson: unknown;
    if (data) {
      if (!Array.isArray(item) || item.length !== 2) return fail(p, item, 'must be [key, value] in a map');
      val = item[0];
      dataJson = item[1];
    }
    const e: Elem = { key: new Uint8Array(0) };
    let vp = data ? p.at(0) : p;
    if (isObject(val) && 'elem' in val) {
      const body = val.elem as JsonObject;
      if (!isObject(body)) return fail(vp.key('elem'), body, 'must be { "val": ..., "timeout": ... }');
      vp = vp.key('elem');
      elemOptions(e, body, vp);
      val = body.val;
      vp = vp.key('val');
    }
    const [lo, hi] = keyRange(key, val, vp);
    e.key = lo;
    if (bytesToInt(lo, 'big') !== bytesToInt(hi, 'big')) {
      e.last = hi;
      interval = true;
    } else if (isObject(val) && ('range' in val || 'prefix' in val)) e.last = hi;
    if (data) e.data = 'verdict' in data ? verdictData(dataJson, p.at(1)) : mapData(data, dataJson, p.at(1));
    return e;
  });
  if (!interval && items.some((i) => isObject(i) && ('range' in i || 'prefix' in i))) interval = true;
  return { elems, interval };
}

function mapData(data: { key: SetKey; interval?: boolean }, v: unknown, path: JsonPath): Uint8Array {
  const [lo, hi] = keyRange(data.key, v, path);
  if (data.interval) return concatBytes([lo, hi]);
  if (bytesToInt(lo, 'big') !== bytesToInt(hi, 'big'))
    failAt(path, 'a range or prefix as a value needs a map of intervals ("map": "interval <type>")');
  return lo;
}

function elemOptions(e: Elem, body: JsonObject, path: JsonPath): void {
  const secs = (k: string) => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(path.key(k), v, 'must be whole seconds');
    return BigInt(v) * 1000n;
  };
  const timeout = secs('timeout');
  const expires = secs('expires');
  if (timeout !== undefined) e.timeout = timeout;
  if (expires !== undefined) e.expiration = expires;
  if (body.comment !== undefined) {
    if (typeof body.comment !== 'string') fail(path.key('comment'), body.comment, 'must be a string');
    e.comment = body.comment;
  }
  for (const k of Object.keys(body)) {
    if ((STATEFUL as readonly string[]).includes(k)) (e.exprs ??= []).push(statefulExpr(k, body[k], path.key(k), false));
    else if (!['val', 'timeout', 'expires', 'comment'].includes(k))
      failAt(path.key(k), `an element has no property "${k}" (it has: val, timeout, expires, comment, counter, limit, quota)`);
  }
}

/** Sorted, merged (or checked for overlaps), then as start / end elements (nft's set_to_intervals). */
export function toIntervals(elems: Elem[], keyLen: number, merge: boolean, firstSegment: boolean, path: JsonPath): Elem[] {
  const max = (1n << BigInt(keyLen * 8)) - 1n;
  const ranges = elems
    .map((e) => ({ e, lo: bytesToInt(e.key, 'big'), hi: bytesToInt(e.last ?? e.key, 'big') }))
    .sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: typeof ranges = [];
  for (const r of ranges) {
    const prev = merged[merged.length - 1];
    if (prev && r.lo <= prev.hi + (merge ? 1n : 0n)) {
      if (!merge)
        failAt(path, `the intervals overlap: ${show(prev.lo, keyLen)}-${show(prev.hi, keyLen)} and ${show(r.lo, keyLen)}-${show(r.hi, keyLen)}`);
      if (r.hi > prev.hi) prev.hi = r.hi;
      continue;
    }
    merged.push({ ...r });
  }
  const out: Elem[] = [];
  if (firstSegment && merged.length > 0 && merged[0]!.lo !== 0n) out.push({ key: new Uint8Array(keyLen), last: INTERVAL_END });
  for (const r of merged) {
    const { last: _last, ...start } = r.e;
    out.push({ ...start, key: intBytes(r.lo, keyLen, 'big') });
    if (r.hi !== max) out.push({ key: intBytes(r.hi + 1n, keyLen, 'big'), last: INTERVAL_END });
  }
  return out;
}

const show = (n: bigint, len: number) => `0x${n.toString(16).padStart(len * 2, '0')}`;

/** Marks an interval's end element (NFT_SET_ELEM_INTERVAL_END) in toIntervals' output. */
export const INTERVAL_END = new Uint8Array(0);

/** An element as setelem-attrs, in libnftnl's order: flags, timeout, expiration, key, key end, data, userdata. */
export function elemAttrs(e: Elem, concatInterval: boolean): Record<string, unknown> {
  const end = e.last === INTERVAL_END;
  const out: Record<string, unknown> = {};
  if (end) out.flags = 1;
  if (e.timeout !== undefined) out.timeout = e.timeout;
  if (e.expiration !== undefined) out.expiration = e.expiration;
  out.key = { value: e.key };
  if (concatInterval) out.keyEnd = { value: e.last && e.last !== INTERVAL_END ? e.last : e.key };
  if (e.data !== undefined) out.data = e.data instanceof Uint8Array ? { value: e.data } : e.data;
  if (e.comment !== undefined) out.userdata = strTlv(0, e.comment);
  if (e.exprs?.length === 1) out.expr = e.exprs[0];
  else if (e.exprs !== undefined && e.exprs.length > 1) out.expressions = { elem: e.exprs };
  return out;
}

/** Elements split so that no message's element list passes the 64 KiB a netlink attribute can hold. */
export function chunkElements(list: Record<string, unknown>[], keyLen: number): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  let chunk: Record<string, unknown>[] = [];
  let size = 0;
  for (const e of list) {
    const n = elemSize(e, keyLen);
    if (chunk.length > 0 && size + n > ELEMENTS_MAX) {
      out.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(e);
    size += n;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

/** Room for one message's elements: an attribute's length is 16 bits, the rest is headroom. */
const ELEMENTS_MAX = 60000;

/** An element's encoded size, from above: key (and key end) and data at their longest, comment and statements. */
function elemSize(e: Record<string, unknown>, keyLen: number): number {
  const pad = (n: number) => (n + 3) & ~3;
  const ud = e.userdata instanceof Uint8Array ? 4 + pad(e.userdata.length) : 0;
  const data = e.data === undefined ? 0 : 8 + pad(64) + 256;
  const exprs = e.expr === undefined && e.expressions === undefined ? 0 : 512;
  return 4 + 8 + 12 + 12 + 2 * (8 + pad(keyLen)) + data + ud + exprs;
}
