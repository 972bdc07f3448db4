/**
 * The parts of a kernel YNL spec (Documentation/netlink/specs/*.yaml) that scripts/check-ynl.ts
 * compares, with YNL's implicit values made explicit (attribute ids counting from 1, enum values
 * from `value-start`, flags as bit numbers, structs in the C layout), and the list of places where
 * those files are wrong about the wire (the reference directory's README).
 */

export type FindingKind =
  | 'error' // protocol/ and the YNL spec disagree about the wire
  | 'stale' // a README entry or a known-error rule that no longer matches anything
  | 'known-ynl' // a disagreement the README says the YNL file gets wrong
  | 'repr' // the same bytes, typed or shown differently (YNL `binary` where we read a u32...)
  | 'name' // the same thing spelled differently
  | 'only-ynl'
  | 'only-ours';

export interface Finding {
  kind: FindingKind;
  /** What was compared: 'type', 'struct-size', 'enum-value', 'attribute'... */
  code: string;
  family: string;
  /** Where in protocol/ ('' when only YNL has it). */
  ours: string;
  /** Where in the YNL spec ('' when only protocol/ has it). */
  ynl: string;
  message: string;
}

export interface YAttr {
  name: string;
  value: number;
  type: string;
  nested?: string;
  struct?: string;
  enum?: string;
  enumAsFlags?: boolean;
  subMessage?: string;
  byteOrder?: string;
  multi?: boolean;
  subType?: string;
}

export interface YMember {
  name: string;
  type: string;
  enum?: string;
  enumAsFlags?: boolean;
  byteOrder?: string;
  offset: number;
  size: number;
}

export interface YStruct {
  name: string;
  members: YMember[];
  /** sizeof in the C layout: natural alignment, rounded up to the largest member's. */
  size: number;
}

export interface YEnum {
  name: string;
  type: 'enum' | 'flags';
  /** Enum values; for flags, bit numbers. */
  entries: { name: string; value: number }[];
}

/** One direction of an operation's do or dump form: its message type (when written) and attribute names. */
export interface YOpMessage {
  value?: number;
  attributes: string[];
}

export interface YOpMode {
  request?: YOpMessage;
  reply?: YOpMessage;
}

export interface YOp {
  name: string;
  set?: string;
  header?: string;
  request?: number;
  reply?: number;
  /** Value of a notification-only operation (newlink-ntf). */
  notify?: number;
  do?: YOpMode;
  dump?: YOpMode;
  /** The operation whose reply a notification carries (YNL `notify: getlink`). */
  notifies?: string;
  /** Attributes of an `event` (generic netlink's notifications). */
  event?: string[];
  mcgrp?: string;
}

export interface YFamily {
  name: string;
  protonum?: number;
  structs: Map<string, YStruct>;
  enums: Map<string, YEnum>;
  sets: Map<string, { name: string; attrs: YAttr[] }>;
  /** sub-message -> selector value -> attribute set. */
  subMessages: Map<string, Map<string, { set?: string }>>;
  ops: YOp[];
  mcast: { name: string; value: number }[];
}

/** 'gso-max-segs' -> 'gsoMaxSegs', the spelling protocol/ uses for attribute, member and operation names. */
export const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** A YAML mapping; fields are read through the helpers below, which check their types. */
type Y = { readonly [key: string]: unknown };
const SIZE: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };
const isMap = (v: unknown): v is Y => typeof v === 'object' && v !== null && !Array.isArray(v);
const map = (v: unknown): Y => (isMap(v) ? v : {});
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const maps = (v: unknown): Y[] => items(v).filter(isMap);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const name = (o: Y): string => String(o.name ?? '?');

function cLayout(def: Y): YStruct {
  let offset = 0;
  let align = 1;
  const members: YMember[] = [];
  for (const m of maps(def.members)) {
    const type = String(m.type);
    const scalar = SIZE[type];
    const size = scalar ?? num(m.len) ?? 0;
    if (scalar) {
      offset = Math.ceil(offset / scalar) * scalar;
      align = Math.max(align, scalar);
    }
    members.push({ name: name(m), type, enum: str(m.enum), enumAsFlags: bool(m['enum-as-flags']), byteOrder: str(m['byte-order']), offset, size });
    offset += size;
  }
  return { name: name(def), members, size: Math.ceil(offset / align) * align };
}

function enumOf(def: Y): YEnum {
  let next = num(def['value-start']) ?? 0;
  const entries = items(def.entries).map((e) => {
    const entry = isMap(e) ? { name: name(e), value: num(e.value) ?? next } : { name: String(e), value: next };
    next = entry.value + 1;
    return entry;
  });
  return { name: name(def), type: def.type === 'flags' ? 'flags' : 'enum', entries };
}

function attrOf(a: Y, value: number): YAttr {
  return {
    name: name(a),
    value,
    type: String(a.type),
    nested: str(a['nested-attributes']),
    struct: str(a.struct),
    enum: str(a.enum),
    enumAsFlags: bool(a['enum-as-flags']),
    subMessage: str(a['sub-message']),
    byteOrder: str(a['byte-order']),
    multi: bool(a['multi-attr']),
    subType: str(a['sub-type']),
  };
}

/** Attribute sets with their ids; a `subset-of` set takes ids (and defaults) from the set it names. */
function setsOf(doc: Y): YFamily['sets'] {
  const sets: YFamily['sets'] = new Map();
  const all = maps(doc['attribute-sets']);
  for (const s of all) {
    if (s['subset-of'] !== undefined) continue;
    let value = 1;
    const attrs = maps(s.attributes).map((a) => {
      value = num(a.value) ?? value;
      return attrOf(a, value++);
    });
    sets.set(name(s), { name: name(s), attrs });
  }
  for (const s of all) {
    const real = all.find((r) => r.name === s['subset-of']);
    const base = real && sets.get(name(real))?.attrs;
    if (!real || !base) continue;
    const attrs = maps(s.attributes).flatMap((a) => {
      const r = base.find((b) => b.name === a.name);
      const full = maps(real.attributes).find((b) => b.name === a.name);
      return r ? [attrOf({ ...full, ...a }, r.value)] : [];
    });
    sets.set(name(s), { name: name(s), attrs });
  }
  return sets;
}

/** Operations with their message type values (directional: as written; unified: counting from 1). */
function opsOf(doc: Y): YOp[] {
  const ops = map(doc.operations);
  const directional = ops['enum-model'] === 'directional';
  let value = 1;
  return maps(ops.list).map((o) => {
    const op: YOp = { name: name(o), set: str(o['attribute-set']), header: str(o['fixed-header'] ?? ops['fixed-header']), ...formsOf(o) };
    if (!directional) {
      value = num(o.value) ?? value;
      op.request = op.reply = value++;
      return op;
    }
    const mode = (k: 'request' | 'reply'): number | undefined => num(map(map(o.do)[k]).value) ?? num(map(map(o.dump)[k]).value);
    op.request = mode('request');
    op.reply = mode('reply');
    if (o.notify !== undefined || o.event !== undefined) op.notify = num(o.value);
    return op;
  });
}

/** The do and dump forms, notification and group of one operation as written (attribute lists default to none). */
function formsOf(o: Y): Partial<YOp> {
  const message = (m: unknown): YOpMessage | undefined =>
    isMap(m) ? { value: num(m.value), attributes: items(m.attributes).map(String) } : undefined;
  const mode = (m: unknown): YOpMode | undefined => (isMap(m) ? { request: message(m.request), reply: message(m.reply) } : undefined);
  const forms: Partial<YOp> = { do: mode(o.do), dump: mode(o.dump), notifies: str(o.notify), mcgrp: str(o.mcgrp) };
  if (isMap(o.event)) forms.event = items(o.event.attributes).map(String);
  return forms;
}

/** The parsed YAML document of one family, in the checker's terms. */
export function loadYnl(doc: unknown): YFamily {
  const d = map(doc);
  const defs = maps(d.definitions);
  const subMessages: YFamily['subMessages'] = new Map();
  for (const s of maps(d['sub-messages'])) {
    subMessages.set(name(s), new Map(maps(s.formats).map((f) => [String(f.value), { set: str(f['attribute-set']) }])));
  }
  return {
    name: name(d),
    protonum: num(d.protonum),
    structs: new Map(defs.filter((x) => x.type === 'struct').map((x) => [name(x), cLayout(x)])),
    enums: new Map(defs.filter((x) => x.type === 'enum' || x.type === 'flags').map((x) => [name(x), enumOf(x)])),
    sets: setsOf(d),
    subMessages,
    ops: opsOf(d),
    mcast: maps(map(d['mcast-groups']).list).map((g) => ({ name: name(g), value: Number(g.value) })),
  };
}

// ---------------------------------------------------------------------------------------------
// The README's list of YNL errors

export interface KnownYnlError {
  /** README rules: text that identifies the README entry (matched without backticks). */
  key: string;
  family: string;
  /** YNL path of the disagreements it explains. */
  ynl: RegExp;
  /** Finding codes it explains. */
  codes: readonly string[];
  /** Only findings whose message matches (the direction of the error). */
  message?: RegExp;
  /** Rules the README does not list: how the kernel was asked (a test, a uapi header, a kernel source line). */
  evidence?: string;
}

/** What each entry of the README means, as rules over findings. */
export const KNOWN_YNL_ERRORS: readonly KnownYnlError[] = [
  { key: 'bridge-port on/off settings', family: 'rt-link', ynl: /^linkinfo-brport-attrs\./, codes: ['type'], message: /is u8 here, flag in YNL$/ },
  { key: 'ifla-vf-vlan-info.vlan-proto', family: 'rt-link', ynl: /^ifla-vf-vlan-info\.vlan-proto$/, codes: ['member-size', 'byte-order'] },
  { key: 'rta-cacheinfo', family: 'rt-route', ynl: /^rta-cacheinfo$/, codes: ['struct-size', 'member'] },
];

const ORACLE = 'test/protocol/kernel-oracle.test.ts';
const CAPTURES = 'test/protocol/rt-link.test.ts (captured dumps)';
const UAPI = 'test/protocol/uapi-structs.test.ts';

/** Where the YNL files are wrong about the wire beyond what the README lists, each checked against the kernel. */
export const CHECKED_YNL_ERRORS: readonly KnownYnlError[] = [
  { key: 'IFLA_PROTINFO is a nest', family: 'rt-link', ynl: /^link-attrs\.protinfo$/, codes: ['type'], evidence: CAPTURES },
  { key: 'IFLA_PROTO_DOWN_REASON is a nest', family: 'rt-link', ynl: /^link-attrs\.proto-down-reason$/, codes: ['type'], evidence: CAPTURES },
  { key: 'ifla_bridge_id.prio is network order', family: 'rt-link', ynl: /^ifla-bridge-id\.prio$/, codes: ['byte-order'], evidence: ORACLE },
  {
    key: 'IFLA_BR_VLAN_PROTOCOL is network order',
    family: 'rt-link',
    ynl: /^linkinfo-bridge-attrs\.vlan-protocol$/,
    codes: ['byte-order'],
    evidence: 'net/bridge/br_netlink.c br_fill_info(): nla_put_be16(skb, IFLA_BR_VLAN_PROTOCOL, ...)',
  },
  { key: 'IFLA_INET6_CONF holds s32s', family: 'rt-link', ynl: /^ifla6-attrs\.conf$/, codes: ['sub-type'], evidence: ORACLE },
  {
    key: 'ifla_cacheinfo.reachable_time is u32',
    family: 'rt-link',
    ynl: /^ifla-cacheinfo\.reachable-time$/,
    codes: ['member-type'],
    evidence: `${UAPI} (linux/if_link.h: __u32 reachable_time)`,
  },
  { key: 'NDA_PORT is network order', family: 'rt-neigh', ynl: /^neighbour-attrs\.port$/, codes: ['byte-order'], evidence: ORACLE },
  { key: 'RTA_SPORT/RTA_DPORT are network order', family: 'rt-route', ynl: /^route-attrs\.[sd]port$/, codes: ['byte-order'], evidence: ORACLE },
  {
    key: 'rta_cacheinfo.rta_expires is s32',
    family: 'rt-route',
    ynl: /^rta-cacheinfo\.rta-expires$/,
    codes: ['member-type'],
    evidence: `${UAPI} (linux/rtnetlink.h: __s32 rta_expires)`,
  },
  { key: 'FRA_TUN_ID is network order', family: 'rt-rule', ynl: /^fib-rule-attrs\.tun-id$/, codes: ['byte-order'], evidence: ORACLE },
];

/** Bullets of the README paragraph that lists where the YNL files are wrong. */
export function readmeErrors(readme: string): string[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /kernel's C code is right/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('- ')) out.push(l.slice(2));
    else if (l.startsWith('  ') && out.length) out[out.length - 1] += ` ${l.trim()}`;
    else break;
  }
  return out.map((b) => b.replace(/`/g, ''));
}

/** The README's entries and the checked rules: classifies findings and reports rules that went stale. */
export class KnownYnlErrors {
  private readonly used = new Set<KnownYnlError>();
  constructor(
    readonly rules: readonly KnownYnlError[],
    readonly unrecognised: readonly string[] = [],
  ) {}

  /**
   * The rules for the entries `readme` lists plus `checked` (without a README, only `checked`);
   * README entries no rule knows are kept to report.
   */
  static fromReadme(readme: string | undefined, checked = CHECKED_YNL_ERRORS, rules = KNOWN_YNL_ERRORS): KnownYnlErrors {
    const bullets = readme === undefined ? [] : readmeErrors(readme);
    const active = rules.filter((r) => bullets.some((b) => b.includes(r.key)));
    return new KnownYnlErrors(
      [...active, ...checked],
      bullets.filter((b) => !rules.some((r) => b.includes(r.key))),
    );
  }

  classify(f: Finding): Finding {
    if (f.kind !== 'error') return f;
    const rule = this.rules.find(
      (r) => r.family === f.family && r.ynl.test(f.ynl) && r.codes.includes(f.code) && (!r.message || r.message.test(f.message)),
    );
    if (!rule) return f;
    this.used.add(rule);
    const why = rule.evidence ? `checked: ${rule.key}, ${rule.evidence}` : `README: ${rule.key}`;
    return { ...f, kind: 'known-ynl', message: `${f.message} (${why})` };
  }

  /** README entries no rule recognises, and rules of compared families that matched nothing. */
  leftovers(compared: readonly string[]): Finding[] {
    const stale = (family: string, message: string): Finding => ({ kind: 'stale', code: 'known-ynl', family, ours: '', ynl: 'README.md', message });
    const out = this.unrecognised.map((b) => stale('', `README lists a YNL error scripts/ynl-model.ts has no rule for: ${b}`));
    for (const r of this.rules) {
      if (!this.used.has(r) && compared.includes(r.family)) out.push(stale(r.family, `known YNL error "${r.key}" explains no disagreement any more`));
    }
    return out;
  }
}
