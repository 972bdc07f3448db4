/**
 * Validation of a protocol spec before it is compiled. Specs are data, and fast-decode.ts
 * generates JavaScript from them, so a spec is checked whole first: every number an integer in
 * its range, every name a string of a plain form, every reference to something that exists and is
 * of the right kind, no key outside the vocabulary (protocol/spec.ts). A failure is a SpecError
 * whose path names the place. Runs once per family compile; nothing here is on a per-message path.
 */
import type { AttrType, FamilySpec } from '../../protocol/spec.js';
import { SpecError } from './errors.js';
import { describe } from './scalars.js';

type Obj = Record<string, unknown>;

const SCALARS = new Set(['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64']);
const DISPLAY = new Set(['hwaddr', 'ipaddr', 'hex']);

/** Attribute and member names: they become property names of decoded objects (kebab-case as YNL writes them, too). */
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Families, definitions, attribute sets, sub-message tables, messages, multicast groups. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Enum and flag names and sub-message selector values ('8021q', '6lowpan', 'ip6gre'). */
const WORD = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;
const PREFIX = /^[A-Z0-9_]{0,32}$/;

const FAMILY_KEYS = new Set([
  'name',
  'doc',
  'protocol',
  'definitions',
  'attributeSets',
  'subMessages',
  'messages',
  'mcastGroups',
  'messageIds',
  'operations',
]);
const SET_KEYS = new Set(['prefix', 'attributes']);
const STRUCT_KEYS = new Set(['type', 'doc', 'members']);
const ENUM_KEYS = new Set(['type', 'doc', 'entries']);
const MEMBER_KEYS = new Set(['name', 'type', 'len', 'byteOrder', 'enum', 'display', 'doc']);
const MESSAGE_KEYS = new Set(['value', 'header', 'attributes', 'doc', 'sentBy']);
const GROUP_KEYS = new Set(['name', 'value']);
const MESSAGE_IDS_KEYS = new Set(['member', 'type']);
const OPERATION_KEYS = new Set(['doc', 'do', 'dump', 'event', 'mcgrp']);
const MODE_KEYS = new Set(['request', 'reply']);
const OP_MESSAGE_KEYS = new Set(['message', 'attributes']);
const SENT_BY = new Set(['user', 'kernel']);
const ATTR_COMMON = ['name', 'value', 'type', 'doc', 'multi'];
const SCALAR_KEYS = [...ATTR_COMMON, 'byteOrder', 'enum', 'display'];
/** The keys each attribute type takes. */
const ATTR_KEYS: Readonly<Record<AttrType, ReadonlySet<string>>> = {
  u8: new Set(SCALAR_KEYS),
  u16: new Set(SCALAR_KEYS),
  u32: new Set(SCALAR_KEYS),
  u64: new Set(SCALAR_KEYS),
  s8: new Set(SCALAR_KEYS),
  s16: new Set(SCALAR_KEYS),
  s32: new Set(SCALAR_KEYS),
  s64: new Set(SCALAR_KEYS),
  string: new Set(ATTR_COMMON),
  flag: new Set(ATTR_COMMON),
  binary: new Set([...ATTR_COMMON, 'display', 'subType', 'byteOrder']),
  nest: new Set([...ATTR_COMMON, 'nested', 'header', 'nestedFlag']),
  struct: new Set([...ATTR_COMMON, 'struct']),
  // Not multi: a sub-message is decoded by its selector's last value, once (see redecodeSelected).
  'sub-message': new Set(['name', 'value', 'type', 'doc', 'subMessage', 'selector', 'nested', 'nestedFlag']),
  'struct-array': new Set([...ATTR_COMMON, 'struct', 'nested', 'lengthMember']),
  'indexed-array': new Set([...ATTR_COMMON, 'nested', 'nestedFlag']),
};
const ATTR_KEYS_BY_TYPE = new Map(Object.entries(ATTR_KEYS));
const ATTR_ANY = new Set(Object.values(ATTR_KEYS).flatMap((keys) => [...keys]));

/** Largest struct or fixed length: an attribute's payload is at most 65535 - 4 bytes. */
const MAX_LEN = 0xffff;

// Checks take the path of the object (`at`) and the key checked in it; the path array of a
// failure is built only when there is one (this runs over every attribute of a family cold).

type Path = readonly string[];

function fail(at: Path, key: string | undefined, reason: string): never {
  throw new SpecError(reason, key === undefined ? [...at] : [...at, key]);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, at: Path, key: string | undefined, what: string): Obj {
  if (!isObj(v)) fail(at, key, `expected ${what} (an object), got ${describe(v)}`);
  return v;
}

function list(v: unknown, at: Path, key: string, what: string): unknown[] {
  if (!Array.isArray(v)) fail(at, key, `expected ${what} (an array), got ${describe(v)}`);
  return v;
}

function int(v: unknown, lo: number, hi: number, at: Path, key: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    fail(at, key, `${what} must be an integer in ${lo}..${hi}, got ${describe(v)}`);
  return v;
}

function name(v: unknown, form: RegExp, at: Path, key: string | undefined, what: string): string {
  if (typeof v !== 'string' || !form.test(v)) fail(at, key, `${what} must be a string of the form ${form.source}, got ${describe(v)}`);
  return v;
}

function onlyKeys(o: Obj, allowed: ReadonlySet<string>, at: Path, what: string): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) fail(at, k, `"${k}" is not a key of ${what}`);
}

function doc(o: Obj, at: Path): void {
  if (o.doc !== undefined && typeof o.doc !== 'string') fail(at, 'doc', `doc must be a string, got ${describe(o.doc)}`);
}

function oneOf(o: Obj, key: string, allowed: ReadonlySet<string>, at: Path): void {
  const v = o[key];
  if (v !== undefined && (typeof v !== 'string' || !allowed.has(v)))
    fail(at, key, `${key} must be one of ${[...allowed].join(', ')}, got ${describe(v)}`);
}

function bool(o: Obj, key: string, at: Path): void {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean') fail(at, key, `${key} must be true or false, got ${describe(v)}`);
}

function byteOrder(o: Obj, at: Path): void {
  if (o.byteOrder !== undefined && o.byteOrder !== 'big-endian')
    fail(at, 'byteOrder', `byteOrder must be "big-endian" (or left out), got ${describe(o.byteOrder)}`);
}

/** A reference to a definition, set or table: a string naming one that exists. */
function ref(o: Obj, key: string, known: { has(k: string): boolean }, at: Path, what: string, required = false): void {
  const v = o[key];
  if (v === undefined && !required) return;
  if (typeof v !== 'string' || !known.has(v)) fail(at, key, `refers to unknown ${what} ${describe(v)}`);
}

/** What a family defines, for references. */
interface Defs {
  enums: Set<string>;
  structs: Map<string, Obj[]>;
  sets: Map<string, Obj>;
  tables: Set<string>;
}

/** Throws SpecError unless `spec` is a valid family spec (see the file comment). */
export function validateFamily(spec: FamilySpec): void {
  const s: unknown = spec;
  const family = isObj(s) && typeof s.name === 'string' && NAME.test(s.name) ? s.name : '(family)';
  const root = [family];
  const f = obj(s, root, undefined, 'a family spec');
  onlyKeys(f, FAMILY_KEYS, root, 'a family spec');
  name(f.name, NAME, root, 'name', 'a family name');
  doc(f, root);
  // Netlink protocol numbers are 0..31 (MAX_LINKS); -1 marks the envelope spec, which has no socket.
  int(f.protocol, -1, 31, root, 'protocol', 'protocol');

  const defs: Defs = { enums: new Set(), structs: new Map(), sets: new Map(), tables: new Set() };
  const defsAt = [family, 'definitions'];
  for (const [n, d] of Object.entries(obj(f.definitions, root, 'definitions', 'definitions'))) {
    name(n, NAME, defsAt, n, 'a definition name');
    const def = obj(d, defsAt, n, 'a struct or enum definition');
    if (def.type === 'struct') defs.structs.set(n, checkStruct(def, defsAt.concat(n)));
    else if (def.type === 'enum' || def.type === 'flags') {
      checkEnum(def, defsAt.concat(n));
      defs.enums.add(n);
    } else fail([...defsAt, n], 'type', `type must be "struct", "enum" or "flags", got ${describe(def.type)}`);
  }
  for (const [n, members] of defs.structs) {
    for (const m of members) {
      const e = m.enum;
      if (e !== undefined && (typeof e !== 'string' || !defs.enums.has(e))) ref(m, 'enum', defs.enums, defsAt.concat(n, m.name as string), 'enum');
    }
  }

  const setsAt = [family, 'attributeSets'];
  for (const [n, set] of Object.entries(obj(f.attributeSets, root, 'attributeSets', 'attributeSets'))) {
    name(n, NAME, setsAt, n, 'an attribute set name');
    defs.sets.set(n, obj(set, setsAt, n, 'an attribute set'));
  }
  if (f.subMessages !== undefined) {
    for (const [n, t] of Object.entries(obj(f.subMessages, root, 'subMessages', 'subMessages'))) {
      const at = [family, 'subMessages', n];
      name(n, NAME, at, undefined, 'a sub-message table name');
      const table = obj(t, at, undefined, 'a sub-message table');
      for (const sel of Object.keys(table)) {
        name(sel, WORD, at, sel, 'a selector value');
        ref(table, sel, defs.sets, at, 'attribute set', true);
      }
      defs.tables.add(n);
    }
  }
  for (const [n, set] of defs.sets) checkSet(set, setsAt.concat(n), defs);

  const messages = obj(f.messages, root, 'messages', 'messages');
  const ids = f.messageIds === undefined ? undefined : checkMessageIds(f.messageIds, [family, 'messageIds']);
  // A value names one message each way; a message without sentBy goes both ways.
  const taken = new Map<string, string>();
  const msgsAt = [family, 'messages'];
  for (const [n, m] of Object.entries(messages)) {
    name(n, NAME, msgsAt, n, 'a message name');
    const at = msgsAt.concat(n);
    const msg = obj(m, msgsAt, n, 'a message');
    onlyKeys(msg, MESSAGE_KEYS, at, 'a message');
    doc(msg, at);
    oneOf(msg, 'sentBy', SENT_BY, at);
    ref(msg, 'header', defs.structs, at, 'struct', true);
    ref(msg, 'attributes', defs.sets, at, 'attribute set', true);
    // nlmsg_type: a u16 at or above NLMSG_MIN_TYPE (below are the control messages); with
    // messageIds, the value of that header member instead.
    const max = ids ? idMax(defs.structs.get(msg.header as string)!, ids, at) : 0xffff;
    const value = int(msg.value, ids ? 0 : 0x10, max, at, 'value', 'a message type');
    for (const dir of msg.sentBy === undefined ? ['user', 'kernel'] : [msg.sentBy as string]) {
      const clash = taken.get(`${value}/${dir}`);
      if (clash !== undefined) fail(at, 'value', `message type ${value} is already ${clash}`);
      taken.set(`${value}/${dir}`, n);
    }
  }

  const groups = new Set<string>();
  if (f.mcastGroups !== undefined) {
    list(f.mcastGroups, root, 'mcastGroups', 'mcastGroups').forEach((g, i) => {
      const at = [family, `mcastGroups[${i}]`];
      const group = obj(g, at, undefined, 'a multicast group');
      onlyKeys(group, GROUP_KEYS, at, 'a multicast group');
      const n = name(group.name, NAME, at, 'name', 'a group name');
      if (groups.has(n)) fail(at, 'name', `group "${n}" is defined twice`);
      groups.add(n);
      // Left out when the kernel assigns it (generic netlink groups are resolved by name).
      if (group.value !== undefined) int(group.value, 1, 0xffffffff, at, 'value', 'a multicast group number');
    });
  }
  if (f.operations !== undefined) checkOperations(f.operations, [family, 'operations'], messages, defs, groups);
}

/** messageIds: the header member holding a message's value, and the nlmsg_type when fixed. */
function checkMessageIds(v: unknown, at: Path): string {
  const ids = obj(v, at, undefined, 'messageIds');
  onlyKeys(ids, MESSAGE_IDS_KEYS, at, 'messageIds');
  if (ids.type !== undefined) int(ids.type, 0x10, 0xffff, at, 'type', 'a message type');
  return name(ids.member, KEY, at, 'member', 'a member name');
}

/** Largest value the messageIds member of a message's header holds (an unsigned scalar). */
function idMax(members: Obj[], member: string, at: Path): number {
  const m = members.find((x) => x.name === member);
  const type = m?.type;
  if (typeof type !== 'string' || !/^u(8|16|32)$/.test(type))
    fail(at, 'header', `its struct has no u8, u16 or u32 member "${member}" (messageIds.member)`);
  return 2 ** Number(type.slice(1)) - 1;
}

function checkOperations(v: unknown, at: Path, messages: Obj, defs: Defs, groups: Set<string>): void {
  for (const [n, o] of Object.entries(obj(v, at, undefined, 'operations'))) {
    name(n, NAME, at, n, 'an operation name');
    const here = at.concat(n);
    const op = obj(o, at, n, 'an operation');
    onlyKeys(op, OPERATION_KEYS, here, 'an operation');
    doc(op, here);
    for (const mode of ['do', 'dump'] as const) {
      if (op[mode] === undefined) continue;
      const m = obj(op[mode], here, mode, `the ${mode} form`);
      onlyKeys(m, MODE_KEYS, [...here, mode], `the ${mode} form`);
      for (const dir of ['request', 'reply'] as const) if (m[dir] !== undefined) checkOpMessage(m[dir], [...here, mode, dir], messages, defs);
    }
    if (op.event !== undefined) checkOpMessage(op.event, [...here, 'event'], messages, defs);
    ref(op, 'mcgrp', groups, here, 'multicast group');
  }
}

/** One direction of an operation: a message of the family, and attributes of its set. */
function checkOpMessage(v: unknown, at: Path, messages: Obj, defs: Defs): void {
  const m = obj(v, at, undefined, 'a message and its attributes');
  onlyKeys(m, OP_MESSAGE_KEYS, at, 'an operation message');
  ref(m, 'message', { has: (k) => Object.hasOwn(messages, k) }, at, 'message', true);
  const set = defs.sets.get((messages[m.message as string] as Obj).attributes as string)!;
  const names = new Set((set.attributes as Obj[]).map((a) => a.name as string));
  list(m.attributes, at, 'attributes', 'attribute names').forEach((a, i) => {
    if (typeof a !== 'string' || !names.has(a)) fail(at, `attributes[${i}]`, `refers to ${describe(a)}, which is not an attribute of its message`);
  });
}

function checkEnum(def: Obj, at: Path): void {
  onlyKeys(def, ENUM_KEYS, at, 'an enum definition');
  doc(def, at);
  // Flags are 32-bit masks (decoded with >>> 0, so 1 << 31 may be written as it evaluates); enum values any safe integer.
  const [lo, hi] = def.type === 'flags' ? [-0x80000000, 0xffffffff] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const entries = obj(def.entries, at, 'entries', 'entries');
  let i = 0;
  for (const k of Object.keys(entries)) {
    if (!WORD.test(k)) name(k, WORD, at, `entries[${i}]`, 'an entry name');
    const v = entries[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
      int(v, lo, hi, [...at, 'entries'], k, def.type === 'flags' ? 'a flag mask' : 'an enum value');
    i++;
  }
}

/** Checks a struct's own shape (enum references are checked once every enum is known) and returns its members. */
function checkStruct(def: Obj, at: Path): Obj[] {
  onlyKeys(def, STRUCT_KEYS, at, 'a struct definition');
  doc(def, at);
  const members = list(def.members, at, 'members', 'members');
  const seen = new Set<string>();
  let size = 0;
  return members.map((m, i) => {
    if (!isObj(m)) obj(m, at, `members[${i}]`, 'a struct member');
    const member = m as Obj;
    const n = memberName(member.name, seen, at, i);
    const here = at.concat(n);
    onlyKeys(member, MEMBER_KEYS, here, 'a struct member');
    doc(member, here);
    byteOrder(member, here);
    oneOf(member, 'display', DISPLAY, here);
    const type = member.type;
    if (typeof type === 'string' && SCALARS.has(type)) {
      if (member.len !== undefined) fail(here, 'len', `len does not apply to a ${type} member (its size is its type's)`);
      size += Number(type.slice(1)) / 8;
    } else if (type === 'pad' || type === 'binary') {
      if (member.enum !== undefined) fail(here, 'enum', `enum does not apply to a ${type} member`);
      if (member.len === undefined && type === 'binary' && i === members.length - 1) return member; // takes the rest of the payload
      size += int(member.len, 1, MAX_LEN, here, 'len', `len of a ${type} member${type === 'binary' ? ' that is not the last' : ''}`);
    } else fail(here, 'type', `type must be a scalar type, "pad" or "binary", got ${describe(type)}`);
    if (size > MAX_LEN) fail(here, undefined, `the struct grows past ${MAX_LEN} bytes`);
    return member;
  });
}

function memberName(v: unknown, seen: Set<string>, struct: Path, i: number): string {
  if (typeof v === 'string' && KEY.test(v) && v !== '__proto__' && v !== '_tail' && !seen.has(v)) {
    seen.add(v);
    return v;
  }
  const at = [...struct, `members[${i}]`];
  const n = name(v, KEY, at, 'name', 'a member name');
  if (n === '__proto__' || n === '_tail') fail(at, 'name', `"${n}" cannot be a member name (decoded structs use _tail for bytes past the struct)`);
  if (seen.has(n)) fail(at, 'name', `member "${n}" is defined twice`);
  seen.add(n);
  return n;
}

function checkSet(set: Obj, at: Path, defs: Defs): void {
  onlyKeys(set, SET_KEYS, at, 'an attribute set');
  if (set.prefix !== undefined) name(set.prefix, PREFIX, at, 'prefix', 'prefix');
  const attrs = list(set.attributes, at, 'attributes', 'attributes');
  // Names first: a sub-message's selector names a sibling, which may come later.
  const names = new Set<string>();
  for (let i = 0; i < attrs.length; i++) {
    if (!isObj(attrs[i])) obj(attrs[i], at, `attributes[${i}]`, 'an attribute');
    const n = (attrs[i] as Obj).name;
    if (typeof n !== 'string' || !KEY.test(n) || n === '__proto__' || n === 'unknown' || names.has(n))
      badAttrName(n, names, [...at, `attributes[${i}]`]);
    names.add(n);
  }
  const ids: (string | undefined)[] = [];
  for (const attr of attrs as Obj[]) checkAttr(attr, at, names, ids, defs);
}

function badAttrName(n: unknown, names: Set<string>, at: Path): never {
  if (n === '__proto__' || n === 'unknown')
    fail(at, 'name', `"${n}" cannot be an attribute name (decoded sets keep unknown attributes in "unknown")`);
  if (typeof n === 'string' && names.has(n)) fail(at, 'name', `attribute "${n}" is defined twice`);
  return name(n, KEY, at, 'name', 'an attribute name') as never;
}

/**
 * One attribute, in one pass over its keys (this runs for every attribute of a family, in a
 * process that has not optimised anything yet). `at` is its set's path; a failure adds the name.
 */
function checkAttr(attr: Obj, at: Path, names: Set<string>, ids: (string | undefined)[], defs: Defs): void {
  const n = attr.name as string;
  const type = attr.type;
  const keys = typeof type === 'string' ? ATTR_KEYS_BY_TYPE.get(type) : undefined;
  if (keys === undefined) fail([...at, n], 'type', `unknown attribute type ${describe(type)}`);
  for (const k in attr) {
    if (!keys.has(k)) fail([...at, n], k, ATTR_ANY.has(k) ? `${k} does not apply to a ${type} attribute` : `"${k}" is not a key of an attribute`);
    const v = attr[k];
    let ok = true;
    switch (k) {
      case 'doc':
        ok = typeof v === 'string';
        break;
      case 'multi':
        ok = typeof v === 'boolean';
        break;
      case 'nestedFlag':
        ok = typeof v === 'boolean' || (v === 'user' && type !== 'indexed-array');
        break;
      case 'byteOrder':
        ok = v === 'big-endian';
        break;
      case 'display':
        ok = typeof v === 'string' && DISPLAY.has(v);
        break;
      case 'subType':
        ok = typeof v === 'string' && SCALARS.has(v);
        break;
      case 'enum':
        ok = typeof v === 'string' && defs.enums.has(v);
        break;
      case 'nested':
        ok = typeof v === 'string' && defs.sets.has(v);
        break;
      case 'header':
      case 'struct':
        ok = typeof v === 'string' && defs.structs.has(v);
        break;
      case 'subMessage':
        ok = typeof v === 'string' && defs.tables.has(v);
        break;
      case 'selector':
        ok = typeof v === 'string' && v !== n && names.has(v);
        break;
    }
    if (!ok) badAttrKey(attr, k, [...at, n], defs);
  }
  // nla_type is 16 bits, of which the top two are NLA_F_NESTED and NLA_F_NET_BYTEORDER.
  const id = attr.value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x3fff || ids[id] !== undefined) {
    if (typeof id === 'number' && ids[id] !== undefined) fail([...at, n], 'value', `id ${id} is already ${ids[id]}`);
    int(id, 0, 0x3fff, [...at, n], 'value', 'an attribute id');
  }
  ids[id as number] = n;
  // What some types cannot do without.
  // What some types cannot do without (present ones were checked above).
  if (attr.nested === undefined && (type === 'nest' || type === 'struct-array' || type === 'indexed-array'))
    ref(attr, 'nested', defs.sets, at.concat(n), 'attribute set', true);
  if (attr.struct === undefined && (type === 'struct' || type === 'struct-array')) ref(attr, 'struct', defs.structs, at.concat(n), 'struct', true);
  if (type === 'sub-message') {
    if (attr.subMessage === undefined) ref(attr, 'subMessage', defs.tables, at.concat(n), 'sub-message table', true);
    if (attr.selector === undefined) badAttrKey(attr, 'selector', at.concat(n), defs);
  }
  if (type === 'struct-array') checkRecord(attr, defs.structs.get(attr.struct as string)!, at.concat(n));
}

/** The reason an attribute's key was refused (off the common path). */
function badAttrKey(attr: Obj, k: string, here: Path, defs: Defs): never {
  switch (k) {
    case 'doc':
      return doc(attr, here) as never;
    case 'multi':
      return bool(attr, k, here) as never;
    case 'nestedFlag':
      if (attr.type === 'indexed-array') return bool(attr, k, here) as never;
      return fail(here, k, `nestedFlag must be true, false or 'user', got ${describe(attr[k])}`);
    case 'byteOrder':
      return byteOrder(attr, here) as never;
    case 'display':
      return oneOf(attr, k, DISPLAY, here) as never;
    case 'subType':
      return oneOf(attr, k, SCALARS, here) as never;
    case 'enum':
      return ref(attr, k, defs.enums, here, 'enum') as never;
    case 'nested':
      return ref(attr, k, defs.sets, here, 'attribute set') as never;
    case 'header':
    case 'struct':
      return ref(attr, k, defs.structs, here, 'struct') as never;
    case 'subMessage':
      return ref(attr, k, defs.tables, here, 'sub-message table') as never;
    default:
      return fail(here, k, `selector must name another attribute of this set, got ${describe(attr[k])}`);
  }
}

/** A struct-array's struct: its length member is a u16, and no member is called attrs (each record's attributes). */
function checkRecord(attr: Obj, members: Obj[], at: Path): void {
  const len = members.find((m) => m.name === attr.lengthMember);
  if (len?.type !== 'u16')
    fail(at, 'lengthMember', `lengthMember must name a u16 member of ${attr.struct as string}, got ${describe(attr.lengthMember)}`);
  if (members.some((m) => m.name === 'attrs'))
    fail(at, 'struct', `${attr.struct as string} has a member "attrs", which each record uses for its attributes`);
}
