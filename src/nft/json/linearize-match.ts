/**
 * The evaluation step of nft (src/evaluate.c) for what a rule reads: JSON expressions -> loads with
 * their datatypes, the protocol dependencies nft inserts (`meta l4proto tcp` before `tcp dport`,
 * `meta nfproto ipv4` before `ip saddr` in inet tables), and right-hand values encoded for them.
 */
import type { NftFamily } from './types.js';
import { CT_KEYS, META_KEYS, PROTOCOLS, type FieldDesc, type PayloadBase, type ProtoDesc } from './linearize-fields.js';
import type { CmpOp, Load, Rhs, SetRef, Stmt } from './linearize-emit.js';
import { regSpace } from './linearize-emit.js';
import { type JsonPath, fail, failAt, isObject, singleKey } from './json-path.js';
import { TYPES, type DataType, type ValueSlot, bytesToInt, encodeValue, intBytes, slotOf, stringWildcard } from './linearize-types.js';
import { FIB_ADDRTYPE_SYMBOLS } from './symbol-tables.js';

/** What the rule has established about the packet so far (nft's proto_ctx). */
export interface ProtoCtx {
  ll?: string;
  /** The Ethernet type is known to be 802.1Q. */
  vlan?: boolean;
  l3?: string;
  l4?: string;
}

/** Named sets and anonymous set creation: the rule's window on the rest of the document. */
export interface SetEnv {
  named(name: string, path: JsonPath): { ref: SetRef; key?: ValueSlot; map?: boolean };
  /** `shift`: a sub-byte field's values move left by that many bits (ip dscp: 2). */
  anonymous(key: Load, items: unknown[], path: JsonPath, map?: 'verdict', shift?: number): SetRef;
}

export interface RuleEnv extends SetEnv {
  family: NftFamily;
  /** Interface names given where an index is compared (meta iif "lo"): the caller's lookup. */
  ifindex?: ((name: string) => number | undefined) | undefined;
  ctx: ProtoCtx;
  /** Statements generated as dependencies go here, before the statement that needed them. */
  out: Stmt[];
}

const L4_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};
const L3_BY_NFPROTO: Readonly<Record<number, string>> = { 2: 'ip', 10: 'ip6' };
const L3_BY_ETHERTYPE: Readonly<Record<number, string>> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp' };

export const OPS: Readonly<Record<string, CmpOp>> = { '==': 'eq', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte', in: 'implicit' };

function meta(jsonKey: string): Load {
  const d = META_KEYS[jsonKey]!;
  return { kind: 'meta', key: d.key, jsonKey, slot: slotOf(d.type, d.bits, d.byteorder) };
}

function depMatch(left: Load, bytes: Uint8Array): Stmt {
  return { kind: 'match', left, op: 'eq', right: { kind: 'value', bytes } };
}

/** Header fields are big-endian whatever their datatype (nft's proto templates). */
function fieldLoad(proto: ProtoDesc, field: FieldDesc): Load {
  return { kind: 'payload', base: proto.base, offset: field.offset, bits: field.bits, slot: slotOf(field.type, field.bits, 'big'), proto, field };
}

function conflict(path: JsonPath, had: string, want: string): never {
  return failAt(path, `conflicting protocols specified: ${had} vs. ${want} (the rule already matches ${had})`);
}

/** The network protocol `want` ('ip', 'ip6'), made sure of as nft does for this family. */
function needL3(env: RuleEnv, want: string, path: JsonPath, viaEtherType: boolean): void {
  const { family, ctx } = env;
  const desc = PROTOCOLS[want]!;
  if (family === 'ip' || family === 'ip6' || family === 'arp') {
    if (family !== want) conflict(path, family, want);
    return;
  }
  if (ctx.l3 !== undefined) {
    if (ctx.l3 !== want) conflict(path, ctx.l3, want);
    return;
  }
  if (family === 'inet' && desc.nfproto === undefined)
    failAt(path, `${want} headers cannot be matched in an inet table (it sees IPv4 and IPv6 only)`);
  if (family === 'inet') env.out.push(depMatch(meta('nfproto'), Uint8Array.of(desc.nfproto!)));
  else if (viaEtherType)
    env.out.push(depMatch(fieldLoad(PROTOCOLS.ether!, PROTOCOLS.ether!.fields.type!), intBytes(BigInt(desc.ethertype!), 2, 'big')));
  else env.out.push(depMatch(meta('protocol'), intBytes(BigInt(desc.ethertype!), 2, 'big')));
  ctx.l3 = want;
}

/** The dependencies of reading a header of `proto` (payload_gen_dependency). */
export function needProto(env: RuleEnv, proto: ProtoDesc, path: JsonPath): void {
  const { ctx } = env;
  if (proto.layer === 'll') {
    if (env.family !== 'bridge' && ctx.ll === undefined) {
      env.out.push(depMatch(meta('iiftype'), intBytes(1n, 2, 'host')));
      ctx.ll = 'ether';
    }
    // A VLAN header is there when the Ethernet type says so (nft: ether type 8021q).
    if (proto.name === 'vlan' && ctx.vlan !== true) {
      env.out.push(depMatch(fieldLoad(PROTOCOLS.ether!, PROTOCOLS.ether!.fields.type!), intBytes(0x8100n, 2, 'big')));
      ctx.vlan = true;
    }
    return;
  }
  if (proto.layer === 'nh') return needL3(env, proto.name, path, false);
  if (proto.l4proto === undefined) return; // th: any transport header
  if (ctx.l4 !== undefined) {
    if (ctx.l4 !== proto.name) conflict(path, ctx.l4, proto.name);
    return;
  }
  if (proto.l3) needL3(env, proto.l3, path, true);
  env.out.push(depMatch(meta('l4proto'), Uint8Array.of(proto.l4proto)));
  ctx.l4 = proto.name;
}

/** What a match on constants tells later statements (relational_expr_pctx_update). */
export function learn(env: RuleEnv, left: Load, op: CmpOp, right: Rhs): void {
  if ((op !== 'eq' && op !== 'implicit') || right.kind !== 'value') return;
  const n = Number(bytesToInt(right.bytes, left.slot.byteorder));
  if (left.kind === 'meta') {
    if (left.key === 'l4proto') env.ctx.l4 = L4_NAMES[n] ?? String(n);
    // The network protocol is known from the key the family's base protocol has: nfproto in inet, the ethertype in bridge and netdev.
    else if (left.key === 'nfproto' && env.family === 'inet' && L3_BY_NFPROTO[n]) env.ctx.l3 = L3_BY_NFPROTO[n];
    else if (left.key === 'protocol' && (env.family === 'bridge' || env.family === 'netdev') && L3_BY_ETHERTYPE[n]) env.ctx.l3 = L3_BY_ETHERTYPE[n];
  } else if (left.kind === 'payload' && left.field?.protocolKey) {
    if (left.field.type === TYPES.inet_proto) env.ctx.l4 = L4_NAMES[n] ?? String(n);
    else if (n === 0x8100 && left.proto?.name === 'ether') env.ctx.vlan = true;
    else if (L3_BY_ETHERTYPE[n]) env.ctx.l3 = L3_BY_ETHERTYPE[n];
  }
}

const RAW_BASES: Readonly<Record<string, PayloadBase>> = { ll: 'll-header', nh: 'network-header', th: 'transport-header', ih: 'inner-header' };

function parsePayload(env: RuleEnv, body: unknown, path: JsonPath): Load {
  if (!isObject(body))
    return fail(path, body, 'must be an object: { "protocol": "tcp", "field": "dport" } or { "base": "nh", "offset": 96, "len": 32 }');
  if (body.base !== undefined) {
    const base = RAW_BASES[body.base as string] ?? fail(path.key('base'), body.base, 'is not a payload base (ll, nh, th or ih)');
    const offset = body.offset;
    const len = body.len;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
      fail(path.key('offset'), offset, 'must be a bit offset (a non-negative integer)');
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 1 || len > 128) fail(path.key('len'), len, 'must be a length in bits, 1 to 128');
    return { kind: 'payload', base, offset, bits: len, slot: slotOf(TYPES.integer, len, 'big'), raw: true };
  }
  const protoName = body.protocol;
  const proto = typeof protoName === 'string' && Object.hasOwn(PROTOCOLS, protoName) ? PROTOCOLS[protoName]! : undefined;
  if (!proto) return fail(path.key('protocol'), protoName, `is not a header nft knows (${Object.keys(PROTOCOLS).join(', ')})`);
  const f = body.field;
  const field = typeof f === 'string' && Object.hasOwn(proto.fields, f) ? proto.fields[f]! : undefined;
  if (!field) return fail(path.key('field'), f, `is not a field of ${proto.name} (${Object.keys(proto.fields).join(', ')})`);
  needProto(env, proto, path);
  return fieldLoad(proto, field);
}

function parseMeta(body: unknown, path: JsonPath): Load {
  const key = isObject(body) ? body.key : undefined;
  if (typeof key !== 'string' || !Object.hasOwn(META_KEYS, key))
    return fail(path.key('key'), key, `is not a meta key (${Object.keys(META_KEYS).join(', ')})`);
  return meta(key);
}

function parseCt(env: RuleEnv, body: unknown, path: JsonPath): Load {
  if (!isObject(body)) return fail(path, body, 'must be an object like { "key": "state" }');
  const { key, dir, family } = body;
  if (dir !== undefined && dir !== 'original' && dir !== 'reply') fail(path.key('dir'), dir, 'is not a direction (original or reply)');
  if (family !== undefined && family !== 'ip' && family !== 'ip6') fail(path.key('family'), family, 'is not ip or ip6');
  const addr = typeof key === 'string' ? /^(?:(ip6?) )?([sd]addr)$/.exec(key) : null;
  if (addr) {
    // "saddr" (the table's family), or "ip saddr" / "ip6 saddr" as nft prints the family-qualified keys.
    if (dir === undefined) failAt(path, `ct ${key} needs "dir": "original" or "reply"`);
    const qualified = addr[1] ?? (family as string | undefined);
    const fam = qualified ?? (env.family === 'ip' || env.family === 'ip6' ? env.family : undefined);
    if (fam === undefined) failAt(path, `ct ${key} in a ${env.family} table needs a family: "ip ${addr[2]}" or "ip6 ${addr[2]}"`);
    const type = fam === 'ip' ? TYPES.ipv4_addr : TYPES.ipv6_addr;
    const base = addr[2] === 'saddr' ? 'src' : 'dst';
    const kernelKey = qualified === undefined ? base : `${base}-ip${fam === 'ip6' ? '6' : ''}`;
    return { kind: 'ct', key: kernelKey, jsonKey: key as string, dir: dir as 'original' | 'reply', slot: slotOf(type) };
  }
  const d = typeof key === 'string' && Object.hasOwn(CT_KEYS, key) ? CT_KEYS[key]! : undefined;
  if (!d) return fail(path.key('key'), key, `is not a ct key (${[...Object.keys(CT_KEYS), 'saddr', 'daddr'].join(', ')})`);
  if (d.dir === 'required' && dir === undefined) failAt(path, `ct ${key} needs "dir": "original" or "reply"`);
  if (d.dir === 'none' && dir !== undefined) failAt(path.key('dir'), `ct ${key} has no direction`);
  return {
    kind: 'ct',
    key: d.key,
    jsonKey: key as string,
    ...(dir !== undefined && { dir: dir as 'original' | 'reply' }),
    slot: slotOf(d.type, d.bits, d.byteorder),
  };
}

/** nft's concatenated type id: 6 bits per field, first field highest. */
export function concatTypeId(types: readonly DataType[]): number {
  return types.reduce((id, t) => id * 64 + t.id, 0);
}

export const CONCAT_TYPE: DataType = { name: 'concat', id: 0, bits: 0, byteorder: 'host' };

function parseConcat(env: RuleEnv, body: unknown, path: JsonPath): Load {
  if (!Array.isArray(body) || body.length < 2) return fail(path, body, 'must be a list of at least two expressions');
  const items = body.map((b, i) => parseLoad(env, b, path.at(i)));
  const bits = items.reduce((n, it) => n + regSpace(it.slot.bits) * 32, 0);
  const type: DataType = { ...CONCAT_TYPE, id: concatTypeId(items.map((i) => i.slot.type)) };
  return { kind: 'concat', items, slot: { type, bits, byteorder: 'host' } };
}

/** `{ "&": [left, constant] }` and | ^: folded into one mask and xor, as combine_binop does. */
function parseBinop(env: RuleEnv, op: string, body: unknown, path: JsonPath): Load {
  if (!Array.isArray(body) || body.length !== 2) return fail(path, body, `must be [left, right] for "${op}"`);
  let left = parseLoad(env, body[0], path.at(0));
  const slot = left.slot;
  const len = Math.ceil(slot.bits / 8);
  const all = (1n << BigInt(len * 8)) - 1n;
  let mask = all;
  let xor = 0n;
  if (left.kind === 'bitwise') {
    mask = bytesToInt(left.mask, slot.byteorder);
    xor = bytesToInt(left.xor, slot.byteorder);
    left = left.left;
  }
  const v = bytesToInt(encodeValue(slot, body[1], path.at(1)), slot.byteorder);
  if (op === '&') {
    xor &= v;
    mask &= v;
  } else if (op === '|') {
    xor = v ^ (xor & (all ^ v));
    mask &= all ^ v;
  } else xor ^= v;
  return { kind: 'bitwise', left, mask: intBytes(mask, len, slot.byteorder), xor: intBytes(xor, len, slot.byteorder), slot };
}

const FIB_RESULTS: Readonly<Record<string, [string, ValueSlot]>> = {
  oif: ['oif', slotOf(TYPES.iface_index)],
  oifname: ['oifname', slotOf(TYPES.ifname)],
  type: ['addrtype', slotOf({ name: 'fib_addrtype', id: 38, bits: 32, byteorder: 'host', symbols: FIB_ADDRTYPE_SYMBOLS })],
};

const FIB_FLAGS: Readonly<Record<string, number>> = { saddr: 1, daddr: 2, mark: 4, iif: 8, oif: 16 };

function parseFib(body: unknown, path: JsonPath): Load {
  if (!isObject(body)) return fail(path, body, 'must be an object like { "result": "oif", "flags": ["daddr"] }');
  const r = typeof body.result === 'string' ? FIB_RESULTS[body.result] : undefined;
  if (!r) return fail(path.key('result'), body.result, 'is not a fib result (oif, oifname, type)');
  const list = body.flags === undefined ? [] : Array.isArray(body.flags) ? body.flags : [body.flags];
  let flags = 0;
  list.forEach((f, i) => {
    if (typeof f !== 'string' || !Object.hasOwn(FIB_FLAGS, f)) fail(path.key('flags').at(i), f, 'is not a fib flag (saddr, daddr, mark, iif, oif)');
    flags |= FIB_FLAGS[f]!;
  });
  return { kind: 'other', name: 'fib', attrs: { flags, result: r[0] }, slot: r[1] };
}

/** A JSON expression that loads a value (the left side of a match, a set key, a mangle's source). */
export function parseLoad(env: RuleEnv, json: unknown, path: JsonPath): Load {
  const [kind, body] = singleKey(json, path, 'an expression');
  const p = path.key(kind);
  switch (kind) {
    case 'payload':
      return parsePayload(env, body, p);
    case 'meta':
      return parseMeta(body, p);
    case 'ct':
      return parseCt(env, body, p);
    case 'concat':
      return parseConcat(env, body, p);
    case '&':
    case '|':
    case '^':
      return parseBinop(env, kind, body, p);
    case 'fib':
      return parseFib(body, p);
    case 'rt':
    case 'numgen':
    case 'jhash':
    case 'symhash':
    case 'socket':
    case 'osf':
    case 'exthdr':
    case 'tcp option':
    case 'ip option':
    case 'sctp chunk':
    case 'ipsec':
    case '<<':
    case '>>':
      return failAt(path, `"${kind}" expressions are not supported by this linearizer`);
    default:
      return failAt(path, `"${kind}" is not an expression that reads the packet (payload, meta, ct, concat, fib, &, |, ^)`);
  }
}

/** Where a sub-byte header field sits in the bytes loaded for it (ip dscp: 6 bits of byte 1). */
export function subByte(left: Load): { load: Load; shift: number; mask: Uint8Array } | undefined {
  if (left.kind !== 'payload' || (left.offset % 8 === 0 && left.bits % 8 === 0)) return undefined;
  const first = Math.floor(left.offset / 8);
  const nbytes = Math.ceil((left.offset + left.bits) / 8) - first;
  const shift = nbytes * 8 - (left.offset % 8) - left.bits;
  const mask = intBytes(((1n << BigInt(left.bits)) - 1n) << BigInt(shift), nbytes, 'big');
  const payload: Load = { ...left, offset: first * 8, bits: nbytes * 8, slot: { ...left.slot, bits: nbytes * 8 } };
  return { load: { kind: 'bitwise', left: payload, mask, xor: new Uint8Array(nbytes), slot: payload.slot }, shift, mask };
}

/** A value for `slot`, or for a concatenation, each part in its 4-byte registers. */
export function encodeFor(left: Load, v: unknown, path: JsonPath): Uint8Array {
  if (left.kind === 'concat') {
    const parts = isObject(v) && Array.isArray(v.concat) ? (v.concat as unknown[]) : undefined;
    if (!parts || parts.length !== left.items.length) return fail(path, v, `must be { "concat": [...] } with ${left.items.length} values`);
    const out = new Uint8Array(left.slot.bits / 8);
    let at = 0;
    left.items.forEach((item, i) => {
      out.set(encodeFor(item, parts[i], path.key('concat').at(i)), at);
      at += regSpace(item.slot.bits) * 4;
    });
    return out;
  }
  if (left.kind === 'bitwise' || left.kind === 'hton') return encodeFor(left.left, v, path);
  return encodeValue(left.slot, v, path);
}

export { stringWildcard };
export type { SetRef };
