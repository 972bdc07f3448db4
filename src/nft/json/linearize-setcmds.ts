/**
 * Set and element commands and anonymous sets -> newset / newsetelem / delset / delsetelem
 * attributes, as nft 1.0.6 builds them (mnl_nft_set_add, mnl_nft_setelem_add): the attribute order
 * libnftnl writes, the userdata TLVs, the interval encoding.
 */
import type { Load } from './linearize-emit.js';
import { type JsonObject, type JsonPath, fail, failAt, flagBits, isObject, oneOf } from './json-path.js';
import { SET_FLAG, SET_FLAG_BITS, type SetModel } from './linearize-model.js';
import { setExprs } from './linearize-stateful.js';
import {
  type DataKind,
  type Elem,
  type SetKey,
  chunkElements,
  concatBytes,
  elemAttrs,
  intBytes,
  bytesToInt,
  keyOfLoad,
  keyOfTypes,
  parseElements,
  strTlv,
  tlv,
  toIntervals,
  u32le,
} from './linearize-sets.js';

/** NFTNL_UDATA_SET_* TLV types. */
const UD = { keyByteorder: 0, dataByteorder: 1, mergeElements: 2, keyTypeof: 3, dataTypeof: 4, dataInterval: 6, comment: 7 } as const;
const VERDICT_TYPE = 0xffffff00;
const SET_FLAG_EXPR = 0x100;

export interface SetMessage {
  attrs: Record<string, unknown>;
  elements: Record<string, unknown>[][];
}

/** The elements of a set as element attributes, intervals converted (set_to_intervals). */
function elementList(set: SetModel, elems: Elem[], interval: boolean, firstSegment: boolean, path: JsonPath): Record<string, unknown>[] {
  const concatInterval = (set.flags & SET_FLAG.concat) !== 0;
  if (interval && !(set.flags & SET_FLAG.interval))
    failAt(path, `${set.name} is not an interval set: ranges and prefixes need "flags": ["interval"]`);
  const list = set.flags & SET_FLAG.interval && !concatInterval ? toIntervals(elems, set.key!.len, set.autoMerge, firstSegment, path) : elems;
  return list.map((e) => elemAttrs(e, concatInterval));
}

/** newsetelem (or delsetelem) attribute lists for `items` of `set`, split to fit. */
export function elementMessages(
  table: string,
  set: SetModel,
  items: readonly unknown[],
  path: JsonPath,
  opts: { withId: boolean; firstSegment: boolean },
): Record<string, unknown>[] {
  if (!set.key) failAt(path, `the key type of ${set.name} is not known (a typeof set?): define the set in the document or pass its listing`);
  const { elems, interval } = parseElements(set.key, set.data, items, path);
  const list = elementList(set, elems, interval, opts.firstSegment, path);
  return chunkElements(list, set.key.len).map((chunk) => ({
    table,
    set: set.name,
    ...(opts.withId && set.id !== undefined && { setId: set.id }),
    elements: { elem: chunk },
  }));
}

function udata(
  set: { key: SetKey; data?: DataKind; autoMerge: boolean; map: boolean },
  keyTypeof: boolean,
  comment?: string,
  dataTypeof = false,
): Uint8Array {
  const parts = [tlv(UD.keyByteorder, u32le(set.key.byteorder))];
  if (set.map) parts.push(tlv(UD.dataByteorder, u32le(set.data && 'key' in set.data ? set.data.key.byteorder : 0)));
  if (set.autoMerge) parts.push(tlv(UD.mergeElements, u32le(1)));
  if (keyTypeof && set.key.typeof) parts.push(tlv(UD.keyTypeof, set.key.typeof));
  if (dataTypeof && set.data && 'key' in set.data && set.data.key.typeof) parts.push(tlv(UD.dataTypeof, set.data.key.typeof));
  if (set.map) parts.push(tlv(UD.dataInterval, u32le(set.data && 'key' in set.data && set.data.interval ? 1 : 0)));
  if (comment !== undefined) parts.push(strTlv(UD.comment, comment));
  return concatBytes(parts);
}

const SET_KEYS_TYPES_POLICY = ['performance', 'memory'];

/** Reads the expression of a "typeof" type into what loads it. */
export type LoadOf = (json: unknown, path: JsonPath) => Load;

const isTypeof = (v: unknown): v is { typeof: unknown } => isObject(v) && 'typeof' in v;

/** A set's key: by datatype names, or "typeof" an expression (what nft also keeps in the userdata). */
function setKey(v: unknown, path: JsonPath, loadOf: LoadOf): SetKey {
  if (!isTypeof(v)) return keyOfTypes(v, path);
  const key = keyOfLoad(loadOf(v.typeof, path.key('typeof')));
  if (!key.typeof) failAt(path.key('typeof'), 'this expression cannot be a typeof set key (payload, meta, ct or their concatenation)');
  return key;
}

/** A named set or map of the document -> its model and newset attributes (elements separately). */
export function namedSet(
  kind: 'set' | 'map',
  body: JsonObject,
  path: JsonPath,
  id: number,
  loadOf: LoadOf,
): { model: SetModel; attrs: Record<string, unknown> } {
  const key = setKey(body.type, path.key('type'), loadOf);
  const keyTypeof = isTypeof(body.type) || key.parts.length > 1;
  const map = kind === 'map' || body.map !== undefined;
  let data: DataKind | undefined;
  if (map)
    data =
      body.map === 'verdict' ? { verdict: true } : isTypeof(body.map) ? { key: setKey(body.map, path.key('map'), loadOf) } : mapDataKind(body, path);
  let flags = body.flags === undefined ? 0 : flagBits(body.flags, SET_FLAG_BITS, path.key('flags'), 'a set flag');
  if (map) flags |= SET_FLAG.map;
  const timeout = secondsMs(body, 'timeout', path);
  const gc = secondsMs(body, 'gc-interval', path);
  if (timeout !== undefined) flags |= SET_FLAG.timeout;
  if (key.parts.length > 1 && flags & SET_FLAG.interval) flags |= SET_FLAG.concat;
  const size = body.size;
  if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 0xffffffff))
    fail(path.key('size'), size, 'must be a positive integer');
  const policy = body.policy === undefined ? undefined : oneOf(body.policy, SET_KEYS_TYPES_POLICY, path.key('policy'), 'a set policy');
  const comment =
    body.comment === undefined
      ? undefined
      : typeof body.comment === 'string'
        ? body.comment
        : fail(path.key('comment'), body.comment, 'must be a string');
  const autoMerge = body['auto-merge'] === true;
  const model: SetModel = { name: body.name as string, key, ...(data && { data }), flags, id, hasElements: false, map, autoMerge };
  const desc: Record<string, unknown> = {};
  if (size !== undefined) desc.size = size;
  if (flags & SET_FLAG.concat) desc.concat = { elem: key.parts.map((p) => ({ len: Math.ceil(p.bits / 8) })) };
  const attrs: Record<string, unknown> = {
    table: body.table,
    name: body.name,
    flags,
    keyType: key.typeId,
    keyLen: key.len,
    ...(data &&
      ('verdict' in data ? { dataType: VERDICT_TYPE, dataLen: 0 } : { dataType: data.key.typeId, dataLen: data.key.len * (data.interval ? 2 : 1) })),
    id,
    ...(policy !== undefined && { policy }),
    ...(Object.keys(desc).length > 0 && { desc }),
    ...(timeout !== undefined && { timeout }),
    ...(gc !== undefined && { gcInterval: Number(gc) }),
    userdata: udata({ key, ...(data && { data }), autoMerge, map }, keyTypeof, comment, isTypeof(body.map)),
  };
  // One statement for every element: NFTA_SET_EXPR; several: NFTA_SET_EXPRESSIONS and NFT_SET_EXPR.
  const exprs = body.stmt === undefined ? [] : setExprs(body.stmt, path.key('stmt'));
  if (exprs.length === 1) attrs.expr = exprs[0];
  else if (exprs.length > 1) {
    attrs.flags = (attrs.flags as number) | SET_FLAG_EXPR;
    model.flags |= SET_FLAG_EXPR;
    attrs.expressions = { elem: exprs };
  }
  return { model, attrs };
}

/**
 * A map's data type. "interval ipv4_addr" maps to ranges (NAT maps); nft -j lists those as the
 * plain type, so prefixes or ranges as the values of the declared elements say so too.
 */
function mapDataKind(body: JsonObject, path: JsonPath): DataKind {
  const m = body.map;
  const declared = typeof m === 'string' && m.startsWith('interval ');
  const key = keyOfTypes(declared ? (m as string).slice(9) : m, path.key('map'));
  const elems = Array.isArray(body.elem) ? body.elem : body.elem === undefined ? [] : [body.elem];
  const ranged = elems.some((e) => Array.isArray(e) && isObject(e[1]) && ('prefix' in e[1] || 'range' in e[1]));
  return { key, interval: declared || ranged };
}

function secondsMs(body: JsonObject, k: string, path: JsonPath): bigint | undefined {
  const v = body[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(path.key(k), v, 'must be whole seconds');
  return BigInt(v) * 1000n;
}

/** An anonymous set (or verdict map) a rule builds: newset and newsetelem attributes, as nft names them. */
export function anonymousSet(
  table: string,
  keyLoad: Load,
  items: readonly unknown[],
  path: JsonPath,
  id: number,
  verdictMap: boolean,
  shift = 0,
): { set: SetModel; attrs: Record<string, unknown>; elements: Record<string, unknown>[] } {
  if (items.length === 0) failAt(path, 'an anonymous set needs at least one element');
  const key = keyOfLoad(keyLoad);
  const data: DataKind | undefined = verdictMap ? { verdict: true } : undefined;
  const { elems, interval } = parseElements(key, data, items, path);
  if (shift > 0) {
    const move = (b: Uint8Array) => intBytes(bytesToInt(b, 'big') << BigInt(shift), b.length, 'big');
    for (const e of elems) {
      e.key = move(e.key);
      if (e.last) e.last = move(e.last);
    }
  }
  const concatInterval = interval && key.parts.length > 1;
  let flags = SET_FLAG.anonymous | SET_FLAG.constant | (interval ? SET_FLAG.interval : 0) | (verdictMap ? SET_FLAG.map : 0);
  if (concatInterval) flags |= SET_FLAG.concat;
  const name = verdictMap ? '__map%d' : '__set%d';
  const set: SetModel = { name, key, ...(data && { data }), flags, id, hasElements: false, map: verdictMap, autoMerge: interval && !concatInterval };
  const list = elementList(set, elems, interval, true, path);
  const parts = [tlv(UD.keyByteorder, u32le(key.byteorder))];
  if (verdictMap) parts.push(tlv(UD.dataByteorder, u32le(0)));
  if (set.autoMerge) parts.push(tlv(UD.mergeElements, u32le(1)));
  // nft writes a verdict map's key typeof only for concatenations (single keys it leaves out).
  if (key.typeof && (!verdictMap || key.parts.length > 1)) parts.push(tlv(UD.keyTypeof, key.typeof));
  if (verdictMap) parts.push(tlv(UD.dataTypeof, concatBytes([tlv(0, u32le(1)), tlv(1, new Uint8Array(0))])), tlv(UD.dataInterval, u32le(0)));
  const desc: Record<string, unknown> = { size: list.length };
  if (concatInterval) desc.concat = { elem: key.parts.map((p) => ({ len: Math.ceil(p.bits / 8) })) };
  const attrs: Record<string, unknown> = {
    table,
    name,
    flags,
    keyType: key.typeId,
    keyLen: key.len,
    ...(verdictMap && { dataType: VERDICT_TYPE, dataLen: 0 }),
    id,
    desc,
    userdata: concatBytes(parts),
  };
  return { set, attrs, elements: list };
}
