/**
 * Tables, chains, sets and maps, stateful objects and flowtables printed as nft 1.0.6's `list`
 * commands print them (rule.c: table_print, chain_print, set_print, obj_print, flowtable_print).
 */
import { InvalidArgumentError, isInvalidArgumentError } from '../../errors/index.js';
import type { NftChainBody, NftFlowtableBody, NftRuleBody, NftSetBody, NftTableBody } from '../json/types.js';
import { byteUnits, exprType, formatTime, typeFormat } from './datatypes.js';
import { type TypeName, expr, printingFamily, setItem } from './expressions.js';
import { rate } from './stateful.js';
import { type StatementContext, statement } from './statements.js';
import { protocolNumber } from './xt-info.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

export interface PrintOptions {
  /** print object handles as comments (`nft -a`) */
  handles?: boolean;
}

/** A table with everything in it, in the document's order. */
export interface TableModel {
  table: NftTableBody;
  objects: { kind: string; body: Obj }[];
  sets: { kind: 'set' | 'map'; body: NftSetBody }[];
  flowtables: NftFlowtableBody[];
  chains: { chain: NftChainBody; rules: NftRuleBody[] }[];
}

function handle(h: number | undefined, opts: PrintOptions): string {
  return opts.handles && h !== undefined ? ` # handle ${h}` : '';
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * A document part printed, or an InvalidArgumentError naming it when it is not what nft prints (a
 * malformed document: the listing refuses it rather than printing half of it or crashing).
 */
function guard(what: string, value: unknown, print: () => string): string {
  try {
    return print();
  } catch (err) {
    if (isInvalidArgumentError(err)) throw err;
    throw new InvalidArgumentError(what, value, `not something nft lists (${(err as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

/** `table ip filter { ... }` with everything in it. */
export function tableText(t: TableModel, opts: PrintOptions): string {
  let out = `table ${t.table.family} ${t.table.name} {${handle(t.table.handle, opts)}\n`;
  let delim = '';
  const flags = list(t.table.flags);
  if (flags.length > 0) {
    out += `\tflags ${flags.join(',')}\n`;
    delim = '\n';
  }
  const comment = (t.table as Obj).comment;
  if (comment !== undefined) out += `\tcomment "${comment}"\n`;
  const parts = [
    ...t.objects.map((o) => guard(o.kind, o.body, () => objectText(o.kind, o.body, opts))),
    ...t.sets.map((s) => guard(s.kind, s.body, () => setText(s.kind, s.body, t.table.family, opts))),
    ...t.flowtables.map((f) => guard('flowtable', f, () => flowtableText(f, opts))),
    ...t.chains.map((c) => chainText(c.chain, c.rules, opts)),
  ];
  for (const p of parts) {
    out += delim + p;
    delim = '\n';
  }
  return `${out}}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Chains

interface Prio {
  value: number;
  name: string;
}
const STD_PRIOS: Prio[] = [
  { value: -300, name: 'raw' },
  { value: -150, name: 'mangle' },
  { value: -100, name: 'dstnat' },
  { value: 0, name: 'filter' },
  { value: 50, name: 'security' },
  { value: 100, name: 'srcnat' },
];
const BRIDGE_PRIOS: Prio[] = [
  { value: -300, name: 'dstnat' },
  { value: -200, name: 'filter' },
  { value: 100, name: 'out' },
  { value: 300, name: 'srcnat' },
];

/** rule.c std_prio_family_hook_compat: where a standard priority name applies. */
function prioCompat(name: string, family: string, hook: string | undefined): boolean {
  if (family === 'bridge') {
    switch (name) {
      case 'dstnat':
        return hook === 'prerouting';
      case 'filter':
        return true;
      case 'out':
        return hook === 'output';
      case 'srcnat':
        return hook === 'postrouting';
    }
    return false;
  }
  const ipish = family === 'inet' || family === 'ip' || family === 'ip6';
  switch (name) {
    case 'filter':
      return ipish || family === 'arp' || family === 'netdev';
    case 'raw':
    case 'mangle':
    case 'security':
      return ipish;
    case 'dstnat':
      return ipish && hook === 'prerouting';
    case 'srcnat':
      return ipish && hook === 'postrouting';
  }
  return false;
}

/** A priority as nft names it: `filter`, `srcnat + 10`, `dstnat - 5`, or the number (rule.c prio2str). */
export function prioText(prio: number | string | undefined, family: string, hook: string | undefined): string {
  if (typeof prio !== 'number') return String(prio ?? 0);
  for (const std of family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS) {
    if (Math.abs(prio - std.value) > 10) continue;
    if (!prioCompat(std.name, family, hook)) break;
    const offset = prio - std.value;
    return offset > 0 ? `${std.name} + ${offset}` : offset < 0 ? `${std.name} - ${-offset}` : std.name;
  }
  return String(prio);
}

function devicesText(dev: string | string[] | undefined): string {
  const devs = list(dev);
  if (devs.length === 1) return ` device "${devs[0]}"`;
  if (devs.length > 1) return ` devices = { ${devs.join(', ')} }`;
  return '';
}

/** `chain NAME { ... }`: declaration, then one rule a line. */
export function chainText(c: NftChainBody, rules: NftRuleBody[], opts: PrintOptions): string {
  return `${chainDeclaration(c, opts)}${rules.map((r) => `\t\t${ruleText(r, opts)}\n`).join('')}\t}\n`;
}

export function chainDeclaration(c: NftChainBody, opts: PrintOptions): string {
  let out = `\tchain ${c.name} {${handle(c.handle, opts)}`;
  if (c.comment !== undefined) out += `\n\t\tcomment "${c.comment}"`;
  out += '\n';
  if (c.type === undefined && c.hook === undefined) return out;
  out += `\t\ttype ${c.type} hook ${c.hook}${devicesText(c.dev)} priority ${prioText(c.prio, c.family, c.hook)};`;
  if (c.policy !== undefined) out += ` policy ${c.policy};`;
  if (list((c as Obj).flags).includes('offload')) out += ' flags offload;';
  return `${out}\n`;
}

/** A rule's statements, comment and handle. */
export function ruleText(r: NftRuleBody, opts: PrintOptions): string {
  const ctx: StatementContext = { family: r.family };
  printingFamily(r.family);
  const where = `rule ${r.family} ${r.table} ${r.chain} handle ${r.handle}`;
  let out = list(r.expr as unknown[] | undefined)
    .map((s, i) => {
      const text = guard(`${where} statement ${i}`, s, () => statement(s, ctx));
      const proto = matchedProtocol(s);
      if (proto !== undefined) ctx.l4proto = proto;
      return text;
    })
    .join(' ');
  if (r.comment !== undefined) out += ` comment "${r.comment}"`;
  return out + handle(r.handle, opts);
}

/** The protocol a `meta l4proto tcp` / `ip protocol tcp` match selects (xt extensions read it, like -p). */
function matchedProtocol(s: unknown): number | undefined {
  const m = (s as Obj | null)?.match;
  if (m === undefined || m.op !== '==') return undefined;
  const l = m.left as Obj;
  const isProto =
    l?.meta?.key === 'l4proto' ||
    (l?.payload?.protocol === 'ip' && l.payload.field === 'protocol') ||
    (l?.payload?.protocol === 'ip6' && l.payload.field === 'nexthdr');
  return isProto ? protocolNumber(m.right) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Sets and maps

/** A set's key or data type as declared: `ipv4_addr . inet_service`, `typeof ip saddr`. */
function declaredType(t: unknown): { text: string; type: TypeName; typeOf: boolean } {
  if (t !== null && typeof t === 'object' && !Array.isArray(t) && 'typeof' in t) {
    const e = (t as Obj).typeof;
    return { text: expr(e), type: exprType(e), typeOf: true };
  }
  const names = list(t as string | string[] | undefined).flatMap((n) => String(n).split(' . '));
  return { text: names.join(' . '), type: names.length > 1 ? names : names[0], typeOf: false };
}

const isInterval = (e: unknown): boolean => e !== null && typeof e === 'object' && ('prefix' in e || 'range' in e);

/** `set NAME { type ...; flags ...; elements = { ... } }` (rule.c set_print_declaration, do_set_print). */
export function setText(kind: 'set' | 'map', s: NftSetBody, family: string, opts: PrintOptions): string {
  const b = s as Obj;
  const key = declaredType(s.type);
  const elems = list(s.elem as unknown);
  let out = `\t${kind} ${s.name} {${handle(s.handle, opts)}\n\t\t${key.typeOf ? 'typeof' : 'type'} ${key.text}`;
  let data: ReturnType<typeof declaredType> | undefined;
  if (kind === 'map' && s.map !== undefined) {
    data = declaredType(s.map);
    // nft keeps `interval` data in the set's user data, which its JSON drops: ranges and prefixes among the data tell
    const interval = elems.some((e) => Array.isArray(e) && isInterval(e[1]));
    out += ` : ${interval ? 'interval ' : ''}${data.text}`;
  }
  out += '\n';
  const flags = list(s.flags as string | string[] | undefined);
  if (!flags.includes('constant')) {
    if (s.policy !== undefined && s.policy !== 'performance') out += `\t\tpolicy ${s.policy}\n`;
    if (s.size) out += `\t\tsize ${s.size}\n`;
  }
  const shown = ['constant', 'dynamic', 'interval', 'timeout'].filter((f) => flags.includes(f) && !(f === 'timeout' && s.timeout));
  if (shown.length > 0) out += `\t\tflags ${shown.join(',')}\n`;
  const stmts = list(s.stmt as unknown[] | undefined);
  if (stmts.length > 0) out += `\t\t${stmts.map((st) => statement(st, { family, stateless: true })).join(' ')}\n`;
  if (b['auto-merge']) out += '\t\tauto-merge\n';
  if (s.timeout) out += `\t\ttimeout ${formatTime(s.timeout * 1000)}\n`;
  if (s['gc-interval']) out += `\t\tgc-interval ${formatTime(s['gc-interval'] * 1000)}\n`;
  if (s.comment !== undefined) out += `\t\tcomment "${s.comment}"\n`;
  if (elems.length > 0) out += `\t\telements = ${elements(elems, key.type, data?.type, kind === 'map')}\n`;
  return `${out}\t}\n`;
}

/** `{ a, b, ... }` with nft's line breaks for named sets (expression.c calculate_delim). */
function elements(elems: unknown[], keyType: TypeName, dataType: TypeName, isMap: boolean): string {
  const perLine = Array.isArray(keyType) ? 0 : (typeFormat(keyType).perLine ?? 0);
  let out = '{ ';
  let count = 0;
  elems.forEach((e, i) => {
    if (i > 0) {
      if (perLine > 0 && count < perLine) out += ', ';
      else {
        out += ',\n\t\t\t     ';
        count = 0;
      }
    }
    out += setItem(e, keyType, dataType, isMap);
    count++;
  });
  return `${out} }`;
}

// ---------------------------------------------------------------------------------------------------------------
// Stateful objects and flowtables

/** `counter NAME { ... }` and the other named objects (rule.c obj_print_data). */
export function objectText(kind: string, o: Obj, opts: PrintOptions): string {
  let out = `\t${kind} ${o.name} {${handle(o.handle, opts)}`;
  if (o.comment !== undefined) out += `\n\t\tcomment "${o.comment}"`;
  out += objectBody(kind, o);
  return `${out}\t}\n`;
}

function objectBody(kind: string, o: Obj): string {
  switch (kind) {
    case 'counter':
      return `\n\t\tpackets ${o.packets} bytes ${o.bytes}\n`;
    case 'quota': {
      const [v, unit] = byteUnits(o.bytes);
      const used = o.used ? ` used ${byteUnits(o.used).join(' ')}` : '';
      return `\n\t\t${o.inv ? 'over ' : ''}${v} ${unit}${used}\n`;
    }
    case 'limit':
      return `\n\t\t${rate(o)}\n`;
    case 'ct helper':
      return `\n\t\ttype "${o.type}" protocol ${o.protocol}\n\t\tl3proto ${o.l3proto}\n`;
    case 'ct timeout': {
      const policy = Object.entries((o.policy ?? {}) as Record<string, number>).map(([k, v]) => `${k} : ${v}`);
      return `\n\t\tprotocol ${o.protocol}\n\t\tl3proto ${o.l3proto}\n\t\tpolicy = { ${policy.join(', ')} }\n`;
    }
    case 'ct expectation':
      return `\n\t\tprotocol ${o.protocol}\n\t\tdport ${o.dport}\n\t\ttimeout ${formatTime(o.timeout)}\n\t\tsize ${o.size}\n\t\tl3proto ${o.l3proto}\n`;
    case 'synproxy':
      return synproxyBody(o);
    case 'secmark':
      return `\n\t\t"${o.context}"\n`;
    default:
      return '\n';
  }
}

function synproxyBody(o: Obj): string {
  const flags = list(o.flags as string | string[] | undefined);
  let out = '';
  if (o.mss) out += `\n\t\tmss ${o.mss}`;
  if (o.wscale) out += `\n\t\twscale ${o.wscale}`;
  if (flags.length > 0) {
    out += `\n\t\t${flags.includes('timestamp') ? 'timestamp' : ''} ${flags.includes('sack-perm') ? 'sack-perm' : ''}`;
  }
  return `${out}\n`;
}

/** `flowtable NAME { hook ingress priority filter; devices = { ... } }`. */
export function flowtableText(f: NftFlowtableBody, opts: PrintOptions): string {
  let out = `\tflowtable ${f.name} {${handle(f.handle, opts)}\n`;
  out += `\t\thook ${f.hook} priority ${prioText(f.prio, 'netdev', f.hook)}\n`;
  const devs = list(f.dev);
  if (devs.length > 0) out += `\t\tdevices = { ${devs.join(', ')} }\n`;
  const flags = list((f as Obj).flags as string | string[] | undefined);
  if (flags.includes('offload')) out += '\t\tflags offload\n';
  if (flags.includes('counter') || (f as Obj).counter === true) out += '\t\tcounter\n';
  return `${out}\t}\n`;
}
