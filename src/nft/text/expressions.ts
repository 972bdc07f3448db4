/**
 * Expressions of the libnftables JSON model printed as nft 1.0.6 prints them (expression.c and the
 * print functions of payload.c, meta.c, ct.c, exthdr.c, fib.c...). An immediate value prints by the
 * datatype of the expression it is compared with or assigned to, so most functions carry the
 * datatype name the values around them have (`type`).
 */
import { exprType, formatNumber, formatString, formatTime, symbolValue, typeFormat } from './datatypes.js';
import { elementStatement } from './stateful.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;
/** A datatype name, several for a concatenation, or undefined when nothing tells. */
export type TypeName = string | string[] | undefined;

/** Meta keys nft prints without the `meta` prefix (meta.c meta_key_is_unqualified). */
const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);
/** JSON names of meta keys that nft's text spells differently. */
const META_TEXT: Record<string, string> = { secpath: 'ipsec' };

const BINOPS = ['&', '|', '^', '<<', '>>'] as const;
/** expression.c expr_binop_precedence: a lower number binds tighter. */
const PRECEDENCE: Record<string, number> = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 };

const VERDICTS = ['accept', 'drop', 'continue', 'return', 'queue', 'break'];

function isObj(e: unknown): e is Obj {
  return e !== null && typeof e === 'object' && !Array.isArray(e);
}

/** The first (only) key of a single-key JSON object. */
export function kindOf(e: unknown): string | undefined {
  if (!isObj(e)) return undefined;
  for (const k in e) return k;
  return undefined;
}

function componentTypes(type: TypeName): (string | undefined)[] {
  if (type === undefined) return [];
  if (Array.isArray(type)) return type;
  return type.includes(' . ') ? type.split(' . ') : [type];
}

/** An immediate value (number, string, boolean, flag list) of a datatype. */
export function value(v: unknown, type: TypeName): string {
  const name = Array.isArray(type) ? type[0] : type;
  const f = typeFormat(name);
  if (typeof v === 'number') return formatNumber(v, f);
  if (typeof v === 'boolean') return v ? 'exists' : 'missing';
  if (typeof v === 'string') return v.startsWith('@') ? v : formatString(v, f);
  if (Array.isArray(v)) return v.map((x) => value(x, type)).join(',');
  if (v === null || typeof v !== 'object') throw new TypeError(`${String(v)} is not a value`);
  return expr(v, type);
}

/** Any expression; `type` is the datatype its immediates have when it is one (or contains them). */
export function expr(e: unknown, type?: TypeName): string {
  if (!isObj(e)) return value(e, type);
  const kind = kindOf(e);
  const body = e[kind as string];
  switch (kind) {
    case 'set':
      return anonymousSet(body, type);
    case 'concat':
      return concat(body, type);
    case 'prefix':
      return `${expr(body.addr, type)}/${body.len}`;
    case 'range':
      return `${rangeEnd(body[0], type)}-${rangeEnd(body[1], type)}`;
    case 'map':
      return `${expr(body.key)} map ${mapData(body.data, exprType(body.key), type)}`;
    case 'elem':
      return elem(body, type);
    case 'payload':
      return body.protocol === undefined ? `@${body.base},${body.offset},${body.len}` : `${body.protocol} ${body.field}`;
    case 'meta':
      return meta(body.key);
    case 'ct':
      return `ct ${body.dir ? `${body.dir} ` : ''}${ctKey(body.key)}`;
    case 'jump':
    case 'goto':
      return `${kind} ${body.target}`;
    default:
      if (kind !== undefined && VERDICTS.includes(kind)) return kind;
      if (kind !== undefined && (BINOPS as readonly string[]).includes(kind)) return binop(kind, body, type);
      return other(kind, body);
  }
}

/** Ranges print symbolic constants as numbers (expression.c range_expr_print: NFT_CTX_OUTPUT_NUMERIC_ALL). */
function rangeEnd(v: unknown, type: TypeName): string {
  const name = Array.isArray(type) ? type[0] : type;
  const n = typeof v === 'string' ? symbolValue(name, v) : undefined;
  return n === undefined ? expr(v, type) : formatNumber(n, typeFormat(name));
}

/**
 * The family of the table whose rules are being printed: nft names it in `ct original ip saddr` where
 * the JSON of an ip or ip6 table says only `saddr` (ct.c ct_print). Set around each rule (printing is
 * synchronous, so nothing else runs in between).
 */
let tableFamily = '';
export function printingFamily(family: string): void {
  tableFamily = family;
}

function ctKey(key: string): string {
  if ((key === 'saddr' || key === 'daddr') && (tableFamily === 'ip' || tableFamily === 'ip6')) return `${tableFamily} ${key}`;
  return key;
}

function meta(key: string): string {
  const text = META_TEXT[key] ?? key;
  return UNQUALIFIED_META.has(key) ? text : `meta ${text}`;
}

/** Expressions that name header fields, routing and socket data, hashes. */
function other(kind: string | undefined, b: Obj): string {
  switch (kind) {
    case 'exthdr':
      return b.field === undefined ? `exthdr ${b.name}` : `${b.name} ${b.field}`;
    case 'tcp option':
    case 'ip option':
    case 'sctp chunk':
      return `${kind} ${b.name}${b.field === undefined ? '' : ` ${b.field}`}`;
    case 'dccp option':
      return `dccp option ${b.type}`;
    case 'fib':
      return `fib ${[b.flags ?? []].flat().join(' . ')} ${b.result}`;
    case 'rt':
      return `rt ${b.family ? `${b.family} ` : ''}${b.key}`;
    case 'socket':
      return `socket ${b.key}${b.level !== undefined ? ` level ${b.level}` : ''}`;
    case 'osf':
      return `osf ${b.ttl ? `ttl ${b.ttl} ` : ''}${b.key}`;
    case 'ipsec':
      return `ipsec ${b.dir}${b.spnum ? ` spnum ${b.spnum}` : ''} ${b.family ? `${b.family} ` : ''}${b.key}`;
    case 'numgen':
      return `numgen ${b.mode} mod ${b.mod}${b.offset ? ` offset ${b.offset}` : ''}`;
    case 'jhash':
      return `jhash ${expr(b.expr)} mod ${b.mod}${b.seed ? ` seed 0x${b.seed.toString(16)}` : ''}${b.offset ? ` offset ${b.offset}` : ''}`;
    case 'symhash':
      return `symhash mod ${b.mod}${b.offset ? ` offset ${b.offset}` : ''}`;
    default:
      return JSON.stringify(kind === undefined ? b : { [kind]: b });
  }
}

function concat(parts: unknown[], type: TypeName): string {
  const types = componentTypes(type);
  return parts.map((p, i) => expr(p, types[i] ?? exprType(p))).join(' . ');
}

/** `a & b`, with parentheses where nft puts them (binop_arg_print). */
function binop(op: string, [left, right]: [unknown, unknown], type: TypeName): string {
  const t = exprType(left) ?? type;
  const shift = op === '<<' || op === '>>';
  return `${binopArg(op, left, t)} ${op} ${binopArg(op, right, shift ? 'integer' : t)}`;
}

function binopArg(op: string, arg: unknown, type: TypeName): string {
  const inner = kindOf(arg);
  const argOp = Array.isArray(arg) ? '|' : inner;
  const text = Array.isArray(arg) ? arg.map((a) => value(a, type)).join(' | ') : expr(arg, type);
  const paren = argOp !== undefined && PRECEDENCE[argOp] !== undefined && PRECEDENCE[op]! < PRECEDENCE[argOp]!;
  return paren ? `(${text})` : text;
}

/** An anonymous set in a rule: `{ a, b }`, one line, elements in the document's order. */
function anonymousSet(items: unknown, type: TypeName): string {
  const list = Array.isArray(items) ? items : [items];
  return `{ ${list.map((i) => expr(i, type)).join(', ')} }`;
}

/**
 * The data of a map lookup (`map { k : v }`, `vmap @name`): an anonymous set of [key, data] pairs or a
 * reference. `dataType` is the datatype of the values it maps to (undefined for verdicts).
 */
export function mapData(data: unknown, keyType: TypeName, dataType: TypeName): string {
  if (!isObj(data) || kindOf(data) !== 'set') return expr(data, dataType);
  const items = [data.set].flat(1) as unknown[];
  return `{ ${items.map((i) => setItem(i, keyType, dataType, true)).join(', ')} }`;
}

/** A set element, or for maps (`isMap`) a [key, data] mapping printed `key : data`. */
export function setItem(item: unknown, keyType: TypeName, dataType: TypeName, isMap: boolean): string {
  if (isMap && Array.isArray(item) && item.length === 2) return `${expr(item[0], keyType)} : ${expr(item[1], dataType)}`;
  return expr(item, keyType);
}

/** A set element with its properties: `1.2.3.4 counter packets 0 bytes 0 timeout 1h expires 5m comment "x"`. */
function elem(b: Obj, type: TypeName): string {
  let out = expr(b.val, type);
  for (const k in b) {
    if (k === 'val' || k === 'timeout' || k === 'expires' || k === 'comment') continue;
    out += ` ${elementStatement(k, b[k]) ?? expr({ [k]: b[k] })}`;
  }
  if (b.timeout) out += ` timeout ${formatTime(b.timeout * 1000)}`;
  if (b.expires) out += ` expires ${formatTime(b.expires * 1000)}`;
  if (b.comment !== undefined) out += ` comment "${b.comment}"`;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Relations

/** Types whose values are flag sets: their comparisons have the `flags / mask` form. */
function isBitmask(t: TypeName): boolean {
  return typeof t === 'string' && typeFormat(t).bitmask === true;
}

function single(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.length === 1);
}

/** A match statement: `left op right` (relational_expr_print, flagcmp_expr_print). */
export function match(m: { op: string; left: unknown; right: unknown }): string {
  const { op, left, right } = m;
  const leftKind = kindOf(left);
  const type = exprType(left);
  if (leftKind === '&' && (op === '==' || op === '!=') && isBitmask(type)) {
    const [x, mask] = (left as Obj)['&'] as [unknown, unknown];
    const sameFlag = single(mask) && single(right) && String([mask].flat()[0]) === String([right].flat()[0]);
    if (!sameFlag) return `${expr(x)} ${op === '!=' ? '!= ' : ''}${value(right, type)} / ${value([mask].flat(), type)}`;
  }
  const rightText = expr(right, type);
  if (op === 'in') return `${expr(left)} ${rightText}`;
  if (op === '==') {
    const showEq = (BINOPS as readonly string[]).includes(leftKind ?? '') || (isBitmask(type) && !isObj(right) && !Array.isArray(right));
    return `${expr(left)} ${showEq ? '== ' : ''}${rightText}`;
  }
  return `${expr(left)} ${op} ${rightText}`;
}
