/**
 * Compares protocol/ with the kernel's own YNL specs (Documentation/netlink/specs/*.yaml) mechanically:
 * message types, attribute sets (ids, names, types, nesting, byte order, repetition), structs
 * (member offsets and sizes in the C layout the kernel sends), enums and flags (values), multicast
 * groups and operations (do/dump request and reply lists, notifications: scripts/ynl-operations.ts).
 *
 *   npx tsx scripts/check-ynl.ts [DIR] [--all]     DIR defaults to ../shared/data/kernel-ynl
 *
 * The YAML files are reference data read from DIR, never copied into the project. Definitions are
 * paired by following both specs from each message (header struct, attribute set) through nests,
 * structs, sub-messages and enums, so differently named sets still meet; what no path reaches is
 * paired by name. DIR's README lists where the YNL files are wrong about the wire: disagreements it
 * explains are `known-ynl`; a README entry this script does not recognise, or one that no longer
 * occurs, is `stale`. Exit status 1 when an `error` or a `stale` finding remains; `--all` also
 * prints names spelled differently, representation differences and what only one side has.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import * as protocol from '../protocol/index.js';
import type { AttrSpec, DefinitionSpec, EnumSpec, FamilySpec, StructSpec } from '../protocol/spec.js';
import {
  CHECKED_YNL_ERRORS,
  type Finding,
  type FindingKind,
  KnownYnlErrors,
  type YAttr,
  type YFamily,
  type YStruct,
  camel,
  loadYnl,
} from './ynl-model.js';
import { CHECKED_YNL_OPERATIONS, compareOperations } from './ynl-operations.js';

export {
  CHECKED_YNL_ERRORS,
  type Finding,
  type FindingKind,
  KNOWN_YNL_ERRORS,
  type KnownYnlError,
  KnownYnlErrors,
  loadYnl,
  readmeErrors,
} from './ynl-model.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DIR = resolve(ROOT, '../shared/data/kernel-ynl');

const SIZE: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };
const isScalar = (t: string | undefined): t is string => t !== undefined && t in SIZE;

export { camel, CHECKED_YNL_OPERATIONS };

/** Every checked rule beyond the README's: the wire (ynl-model.ts) and the operation lists (ynl-operations.ts). */
export const CHECKED_RULES = [...CHECKED_YNL_ERRORS, ...CHECKED_YNL_OPERATIONS];
/** Enum entry names: protocol/ writes 'stable_privacy' where YNL writes 'stable-privacy'. */
const snake = (s: string): string => s.replace(/-/g, '_');

/** How much was compared: a check that pairs nothing must not pass unnoticed. */
export interface Counts {
  messages: number;
  sets: number;
  attributes: number;
  structs: number;
  enums: number;
  operations: number;
}

/** One family's comparison: pairs met so far, and what was found. */
class Comparison {
  readonly findings: Finding[] = [];
  readonly counts: Counts = { messages: 0, sets: 0, attributes: 0, structs: 0, enums: 0, operations: 0 };
  private readonly seen = new Set<string>();
  constructor(
    readonly ours: FamilySpec,
    readonly ynl: YFamily,
  ) {}

  add(kind: FindingKind, code: string, ours: string, ynl: string, message: string): void {
    this.findings.push({ kind, code, family: this.ours.name, ours, ynl, message });
  }

  /** True the first time a pair is met (definitions are reached from many places). */
  first(what: string, ours: string, ynl: string): boolean {
    const key = `${what}\0${ours}\0${ynl}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  paired(what: 'set' | 'def' | 'sub', name: string, side: 'ours' | 'ynl'): boolean {
    for (const k of this.seen) {
      const [w, o, y] = k.split('\0');
      if (w === what && (side === 'ours' ? o : y) === name) return true;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages and multicast groups: the roots from which everything else is paired

function compareMessages(c: Comparison): void {
  const byValue = new Map<number, (typeof c.ynl.ops)[number]>();
  for (const op of c.ynl.ops) for (const v of [op.request, op.reply, op.notify]) if (v !== undefined && !byValue.has(v)) byValue.set(v, op);
  const met = new Set<(typeof c.ynl.ops)[number]>();
  for (const [name, m] of Object.entries(c.ours.messages)) {
    const named = c.ynl.ops.find((o) => o.name === name);
    const op = named?.request !== undefined ? named : byValue.get(m.value);
    if (!op) {
      c.add('only-ours', 'message', `messages.${name}`, '', `message ${name} (${m.value}) is not in the YNL spec`);
      continue;
    }
    c.counts.messages++;
    met.add(op);
    if (op === named && op.request !== m.value) {
      c.add('error', 'message-value', `messages.${name}`, `operations.${op.name}`, `${name} is ${m.value} here, ${op.request} in YNL`);
    }
    if (op.header) compareStructs(c, m.header, op.header, `messages.${name}.header`);
    if (op.set) compareSets(c, m.attributes, op.set);
  }
  const ourValues = new Set(Object.values(c.ours.messages).map((m) => m.value));
  for (const op of c.ynl.ops) {
    const v = op.request ?? op.notify;
    if (v !== undefined && !met.has(op) && !ourValues.has(v))
      c.add('only-ynl', 'message', '', `operations.${op.name}`, `YNL operation ${op.name} (${v}) has no message here`);
  }
}

function compareMcastGroups(c: Comparison): void {
  const ours = c.ours.mcastGroups ?? [];
  for (const g of c.ynl.mcast) {
    const o = ours.find((x) => x.value === g.value);
    const want = camel(g.name.replace(/^rtnlgrp-/, ''));
    if (!o) c.add('only-ynl', 'mcast-group', '', `mcast-groups.${g.name}`, `multicast group ${g.name} (${g.value}) is not here`);
    else if (o.name !== want)
      c.add('name', 'mcast-group', `mcastGroups.${o.name}`, `mcast-groups.${g.name}`, `group ${g.value}: ${o.name} here, ${g.name} in YNL`);
  }
  for (const o of ours) {
    if (o.value !== undefined && !c.ynl.mcast.some((g) => g.value === o.value)) {
      c.add('only-ours', 'mcast-group', `mcastGroups.${o.name}`, '', `multicast group ${o.name} (${o.value}) is not in the YNL spec`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Attribute sets

function compareSets(c: Comparison, ourName: string, ynlName: string): void {
  if (!c.first('set', ourName, ynlName)) return;
  const ours = c.ours.attributeSets[ourName];
  const ynl = c.ynl.sets.get(ynlName);
  if (!ours || !ynl) return;
  c.counts.sets++;
  for (const y of ynl.attrs) {
    if (y.type === 'unused' || /^(unspec|unused\d*)$/.test(y.name)) continue; // placeholders, not attributes
    const o = ours.attributes.find((a) => a.value === y.value);
    const where = `${ynlName}.${y.name}`;
    if (!o) {
      c.add('only-ynl', 'attribute', ourName, where, `attribute ${y.name} (${y.value}) is not in set ${ourName}`);
      continue;
    }
    const here = `${ourName}.${o.name}`;
    c.counts.attributes++;
    if (o.name !== camel(y.name)) c.add('name', 'attribute', here, where, `attribute ${y.value}: ${o.name} here, ${y.name} in YNL`);
    compareAttr(c, o, y, here, where);
  }
  for (const o of ours.attributes) {
    if (!ynl.attrs.some((y) => y.value === o.value)) {
      c.add('only-ours', 'attribute', `${ourName}.${o.name}`, ynlName, `attribute ${o.name} (${o.value}) is not in YNL set ${ynlName}`);
    }
  }
}

/** Compares one attribute's wire type, then pairs what it refers to. */
function compareAttr(c: Comparison, o: AttrSpec, y: YAttr, here: string, where: string): void {
  const t = attrTypeVerdict(o, y);
  if (t) c.add(t[0], 'type', here, where, t[1]);
  if ((o.byteOrder ?? 'host') !== (y.byteOrder === 'big-endian' ? 'big-endian' : 'host') && isScalar(o.type) && isScalar(y.type)) {
    c.add('error', 'byte-order', here, where, `${o.name} is ${o.byteOrder ?? 'host order'} here, ${y.byteOrder ?? 'host order'} in YNL`);
  }
  if (Boolean(o.multi) !== Boolean(y.multi) && o.type !== 'struct-array') {
    c.add(
      'error',
      'multi',
      here,
      where,
      `${o.name} ${o.multi ? 'repeats' : 'does not repeat'} here; YNL ${y.multi ? 'says multi-attr' : 'does not'}`,
    );
  }
  if (o.nested && y.nested && (o.type === 'nest' || o.type === 'indexed-array')) compareSets(c, o.nested, y.nested);
  if (o.struct && y.struct) compareStructs(c, o.struct, y.struct, here);
  if (o.subMessage && y.subMessage) compareSubMessages(c, o.subMessage, y.subMessage);
  if (o.enum && y.enum) compareEnums(c, o.enum, y.enum, Boolean(y.enumAsFlags), here);
  else if (y.enum && !o.enum && isScalar(o.type))
    c.add('repr', 'enum', here, where, `YNL names ${y.name}'s values (${y.enum}); here they stay numbers`);
  if (o.subType && y.subType && o.subType !== y.subType)
    c.add('error', 'sub-type', here, where, `${o.name} holds ${o.subType}s here, ${y.subType}s in YNL`);
}

/** [kind, message] when the types differ, undefined when they agree. */
function attrTypeVerdict(o: AttrSpec, y: YAttr): [FindingKind, string] | undefined {
  const ot = o.type;
  const yt = y.struct && y.type === 'binary' ? 'struct' : y.type;
  const say = (kind: FindingKind, why = ''): [FindingKind, string] => [kind, `${o.name} is ${ot} here, ${yt} in YNL${why}`];
  if (isScalar(ot) && isScalar(yt)) {
    if (SIZE[ot] !== SIZE[yt]) return say('error');
    return ot[0] !== yt[0] ? say('error', ' (signedness)') : undefined;
  }
  if (yt === 'pad') return ot === 'binary' ? undefined : say('error');
  if (yt === 'uint' || yt === 'sint')
    return ot === 'u32' || ot === 'u64' || ot === 's32' || ot === 's64' ? say('repr', ' (4 or 8 bytes)') : say('error');
  if (ot === yt) return undefined;
  if (yt === 'binary') return say('repr', ' (untyped there)');
  if (ot === 'binary') return yt === 'flag' ? say('error') : say('repr', ' (kept as bytes here)');
  if (ot === 'struct-array' && yt === 'struct') return say('repr');
  return say('error');
}

function compareSubMessages(c: Comparison, ourName: string, ynlName: string): void {
  if (!c.first('sub', ourName, ynlName)) return;
  const ours = c.ours.subMessages?.[ourName] ?? {};
  const ynl = c.ynl.subMessages.get(ynlName) ?? new Map<string, { set?: string }>();
  for (const [value, f] of ynl) {
    const set = ours[value];
    if (!set) c.add('only-ynl', 'sub-message', `subMessages.${ourName}`, `${ynlName}.${value}`, `${ynlName} has ${value}, not here`);
    else if (f.set) compareSets(c, set, f.set);
  }
  for (const value of Object.keys(ours)) {
    if (!ynl.has(value)) c.add('only-ours', 'sub-message', `subMessages.${ourName}.${value}`, ynlName, `${value} is not in YNL's ${ynlName}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Structs: offsets and sizes, ours laid out member after member, YNL's in the C layout

interface Slot {
  name: string;
  type: string;
  offset: number;
  size: number;
  enum?: string | undefined;
  byteOrder?: string | undefined;
}

function ourLayout(def: StructSpec): { slots: Slot[]; size: number; rest: boolean } {
  let offset = 0;
  const slots: Slot[] = [];
  for (const m of def.members) {
    if (m.type === 'binary' && m.len === undefined) return { slots, size: offset, rest: true };
    const size = isScalar(m.type) ? SIZE[m.type]! : (m.len ?? 0);
    if (m.type !== 'pad') slots.push({ name: m.name, type: m.type, offset, size, enum: m.enum, byteOrder: m.byteOrder });
    offset += size;
  }
  return { slots, size: offset, rest: false };
}

function compareStructs(c: Comparison, ourName: string, ynlName: string, from: string): void {
  if (!c.first('def', ourName, ynlName)) return;
  const def = c.ours.definitions[ourName];
  const ynl = c.ynl.structs.get(ynlName);
  if (def?.type !== 'struct' || !ynl) {
    if (!ynl && def) c.add('error', 'struct', ourName, ynlName, `${from}: struct ${ynlName} is not a struct in YNL`);
    return;
  }
  const ours = ourLayout(def);
  const where = `definitions.${ourName}`;
  c.counts.structs++;
  if (!ours.rest && ours.size !== ynl.size) {
    c.add('error', 'struct-size', where, ynlName, `struct ${ourName} is ${ours.size} bytes here, ${ynl.size} in the C layout of YNL's ${ynlName}`);
  }
  for (const y of ynl.members) {
    if (y.type === 'pad') continue;
    const o = ours.slots.find((s) => s.offset === y.offset);
    const at = `${ynlName}.${y.name}`;
    if (!o) {
      if (!(ours.rest && y.offset >= ours.size))
        c.add('error', 'member', where, at, `no member at offset ${y.offset} of ${ourName} for ${y.name} (${y.type})`);
      continue;
    }
    compareMember(c, ourName, o, y, at);
  }
  for (const o of ours.slots) {
    if (!ynl.members.some((y) => y.type !== 'pad' && y.offset === o.offset)) {
      c.add('error', 'member', `${where}.${o.name}`, ynlName, `${ourName}.${o.name} at offset ${o.offset} is not a member in YNL's ${ynlName}`);
    }
  }
}

function compareMember(c: Comparison, ourName: string, o: Slot, y: YStruct['members'][number], at: string): void {
  const here = `definitions.${ourName}.${o.name}`;
  const unprefixed = camel(y.name.replace(/^[a-z0-9]+-/, '')); // YNL keeps C's member prefixes (ifi-family, rta-used)
  if (o.name !== camel(y.name) && o.name !== unprefixed)
    c.add('name', 'member', here, at, `${ourName} offset ${o.offset}: ${o.name} here, ${y.name} in YNL`);
  if (o.size !== y.size) {
    c.add('error', 'member-size', here, at, `${ourName}.${o.name} is ${o.size} bytes here, ${y.name} is ${y.size} in YNL`);
  } else if (isScalar(o.type) && isScalar(y.type) && o.type[0] !== y.type[0]) {
    c.add('error', 'member-type', here, at, `${ourName}.${o.name} is ${o.type} here, ${y.type} in YNL (signedness)`);
  } else if (isScalar(o.type) !== isScalar(y.type)) {
    c.add('repr', 'member-type', here, at, `${ourName}.${o.name} is ${o.type} here, ${y.type} in YNL`);
  }
  if (isScalar(o.type) && isScalar(y.type) && (o.byteOrder ?? 'host') !== (y.byteOrder ?? 'host')) {
    c.add('error', 'byte-order', here, at, `${ourName}.${o.name} is ${o.byteOrder ?? 'host order'} here, ${y.byteOrder ?? 'host order'} in YNL`);
  }
  if (o.enum && y.enum) compareEnums(c, o.enum, y.enum, Boolean(y.enumAsFlags), here);
}

// ---------------------------------------------------------------------------------------------
// Enums and flags

function compareEnums(c: Comparison, ourName: string, ynlName: string, asFlags: boolean, from: string): void {
  if (!c.first('def', ourName, ynlName)) return;
  const def = c.ours.definitions[ourName] as DefinitionSpec | undefined;
  const ynl = c.ynl.enums.get(ynlName);
  if (!def || def.type === 'struct' || !ynl) {
    if (!ynl) c.add('error', 'enum', from, ynlName, `${from}: ${ynlName} is not an enum in YNL`);
    return;
  }
  const flags = ynl.type === 'flags' || asFlags;
  c.counts.enums++;
  const where = `definitions.${ourName}`;
  if ((def.type === 'flags') !== flags)
    c.add('error', 'enum-kind', where, ynlName, `${ourName} is ${def.type} here, ${flags ? 'flags' : 'enum'} in YNL`);
  const entries = ynl.entries.map((e) => ({ name: e.name, value: flags ? (2 ** e.value) | 0 : e.value }));
  compareEntries(c, def, entries, where, ynlName);
}

function compareEntries(c: Comparison, def: EnumSpec, ynl: { name: string; value: number }[], where: string, ynlName: string): void {
  const ours = Object.entries(def.entries);
  const same = (a: number, b: number) => (a | 0) === (b | 0);
  for (const y of ynl) {
    const at = `${ynlName}.${y.name}`;
    const named = ours.find(([n]) => n === snake(y.name));
    if (named && !same(named[1], y.value))
      c.add('error', 'enum-value', `${where}.${named[0]}`, at, `${named[0]} is ${named[1]} here, ${y.value} in YNL`);
    if (named) continue;
    const valued = ours.find(([, v]) => same(v, y.value));
    if (valued) c.add('name', 'enum-entry', `${where}.${valued[0]}`, at, `value ${y.value}: ${valued[0]} here, ${y.name} in YNL`);
    else c.add('only-ynl', 'enum-entry', where, at, `${y.name} (${y.value}) is not in ${def.type} ${where.slice(12)}`);
  }
  for (const [n, v] of ours) {
    if (!ynl.some((y) => y.name === n.replace(/_/g, '-') || same(y.value, v)))
      c.add('only-ours', 'enum-entry', `${where}.${n}`, ynlName, `${n} (${v}) is not in YNL's ${ynlName}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What no message reaches: paired by name, or reported as one side's only

function compareLeftovers(c: Comparison): void {
  for (const name of c.ynl.sets.keys()) {
    if (c.paired('set', name, 'ynl')) continue;
    const ours = [name, name.replace(/-attrs$/, '')].find((n) => c.ours.attributeSets[n] && !c.paired('set', n, 'ours'));
    if (ours) compareSets(c, ours, name);
    else c.add('only-ynl', 'set', '', name, `attribute set ${name} is not here`);
  }
  for (const [name, def] of Object.entries(c.ours.definitions)) {
    if (c.paired('def', name, 'ours')) continue;
    if (def.type === 'struct' && c.ynl.structs.has(name)) compareStructs(c, name, name, 'by name');
    else if (def.type !== 'struct' && c.ynl.enums.has(name)) compareEnums(c, name, name, false, 'by name');
  }
  for (const name of [...c.ynl.structs.keys(), ...c.ynl.enums.keys()]) {
    if (!c.paired('def', name, 'ynl')) c.add('only-ynl', 'definition', '', name, `definition ${name} is not here`);
  }
  for (const name of Object.keys(c.ours.attributeSets)) {
    if (!c.paired('set', name, 'ours')) c.add('only-ours', 'set', name, '', `attribute set ${name} is not in the YNL spec`);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface FamilyReport {
  findings: Finding[];
  counts: Counts;
}

/** Compares one family with one parsed YNL document; `known` turns known YNL errors into `known-ynl`. */
export function checkFamily(ours: FamilySpec, ynlDoc: unknown, known = new KnownYnlErrors([])): FamilyReport {
  const c = new Comparison(ours, loadYnl(ynlDoc));
  if (c.ynl.protonum !== undefined && c.ynl.protonum !== ours.protocol) {
    c.add('error', 'protocol', 'protocol', 'protonum', `protocol ${ours.protocol} here, protonum ${c.ynl.protonum} in YNL`);
  }
  compareMessages(c);
  compareMcastGroups(c);
  compareOperations({
    ours: c.ours,
    ynl: c.ynl,
    counts: c.counts,
    add: (...a) => c.add(...a),
    compareSets: (ours, ynl) => compareSets(c, ours, ynl),
    compareStructs: (ours, ynl, from) => compareStructs(c, ours, ynl, from),
  });
  compareLeftovers(c);
  return { findings: c.findings.map((f) => known.classify(f)), counts: c.counts };
}

/** The family specs protocol/index.ts exports. */
export function ourFamilies(): FamilySpec[] {
  const all: unknown[] = Object.values(protocol);
  return all.filter((v): v is FamilySpec => typeof v === 'object' && v !== null && !Array.isArray(v) && 'attributeSets' in v && 'name' in v);
}

export interface DirReport {
  findings: Finding[];
  counts: Counts;
  /** YAML files compared, by family name. */
  compared: string[];
  /** Families of protocol/ without a YAML file in the directory. */
  withoutYnl: string[];
}

/** Compares every family of protocol/ that has a `<name>.yaml` in `dir`, honouring `dir`/README.md. */
export function checkDir(dir: string, families: readonly FamilySpec[] = ourFamilies()): DirReport {
  const readmePath = join(dir, 'README.md');
  const known = KnownYnlErrors.fromReadme(existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined, CHECKED_RULES);
  const findings: Finding[] = [];
  const counts: Counts = { messages: 0, sets: 0, attributes: 0, structs: 0, enums: 0, operations: 0 };
  const compared: string[] = [];
  const withoutYnl: string[] = [];
  const files = new Set(readdirSync(dir).filter((f) => f.endsWith('.yaml')));
  for (const fam of families) {
    if (!files.has(`${fam.name}.yaml`)) {
      withoutYnl.push(fam.name);
      continue;
    }
    compared.push(fam.name);
    const r = checkFamily(fam, parse(readFileSync(join(dir, `${fam.name}.yaml`), 'utf8')), known);
    findings.push(...r.findings);
    for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += r.counts[k];
  }
  findings.push(...known.leftovers(compared));
  return { findings, counts, compared, withoutYnl };
}

/** True when nothing needs a person: something was compared, no disagreement, no stale rule. */
export const passes = (r: DirReport): boolean => r.counts.attributes > 0 && !r.findings.some((f) => f.kind === 'error' || f.kind === 'stale');

const ORDER: FindingKind[] = ['error', 'stale', 'known-ynl', 'repr', 'name', 'only-ynl', 'only-ours'];

export function formatReport(r: DirReport, all: boolean): string {
  const n = r.counts;
  const lines = [
    `compared: ${r.compared.join(', ') || 'nothing'}; no YNL file for: ${r.withoutYnl.join(', ') || 'none'}`,
    `pairs: ${n.messages} messages, ${n.sets} attribute sets, ${n.attributes} attributes, ${n.structs} structs, ${n.enums} enums/flags, ${n.operations} operations`,
  ];
  for (const kind of ORDER) {
    const fs = r.findings.filter((f) => f.kind === kind);
    lines.push(`${kind}: ${fs.length}`);
    if (all || kind === 'error' || kind === 'stale') for (const f of fs) lines.push(`  ${f.family}: ${f.message}  [${f.ours} ~ ${f.ynl}]`);
  }
  if (!all) lines.push('(--all lists every finding)');
  return lines.join('\n');
}

function main(argv: string[]): number {
  const all = argv.includes('--all');
  const dir = argv.find((a) => !a.startsWith('--'));
  const path = dir ? resolve(dir) : DEFAULT_DIR;
  if (!existsSync(path)) {
    console.error(`check-ynl: ${path} does not exist (the kernel's YNL specs, see its README)`);
    return 2;
  }
  const report = checkDir(path);
  console.log(formatReport(report, all));
  return passes(report) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
