/**
 * The text nft 1.0.6 puts in its JSON where a statement has no JSON form: `add @m { ip saddr : 0x00000005 }` for
 * map updates (map_stmt_json came after 1.0.6; json.c then prints the statement's text as a JSON string). Only
 * what such a statement can hold is printed here: loads, concatenations, sets, values.
 */
import { type Datatype, type PrintState, TYPE, datatypeJson, ipv6Text, stringOf } from './datatypes.js';
import type { Expr, Stmt } from './ir.js';
import { CT_TEMPLATES, META_TEMPLATES } from './meta-keys.js';
import { exportBytes } from './mpz.js';
import { payloadIsKnown } from './postprocess.js';

/** The printf format of integers of a type: the first basefmt along its base types (integer_type_print). */
function integerText(value: bigint, dtype: Datatype): string {
  for (let t: Datatype | undefined = dtype; t; t = t.basetype) {
    switch (t.type) {
      case TYPE.MARK:
        return `0x${value.toString(16).padStart(8, '0')}`;
      case TYPE.ETHERTYPE:
        return `0x${value.toString(16).padStart(4, '0')}`;
      case TYPE.DSCP:
        return `0x${value.toString(16).padStart(2, '0')}`;
      case TYPE.ECN:
        return `0x${value.toString(16)}`;
      case TYPE.BITMASK:
        return `0x${value.toString(16)}`;
      default:
        break;
    }
  }
  return value.toString();
}

function valueText(e: Expr & { kind: 'value' }, st: PrintState): string {
  let base = e.dtype;
  while (base.basetype) base = base.basetype;
  if (base.type === TYPE.STRING) return `"${stringOf(e)}"`;
  switch (e.dtype.type) {
    case TYPE.IPADDR: {
      const b = exportBytes(e.value, 'big', 4);
      return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
    }
    case TYPE.IP6ADDR:
      return ipv6Text(e.value);
    case TYPE.IFINDEX: {
      const j = datatypeJson(e, st);
      return typeof j === 'string' && !/^\d+$/.test(j) ? `"${j}"` : String(j);
    }
    case TYPE.MARK:
    case TYPE.INTEGER:
    case TYPE.INET_SERVICE:
      return integerText(e.value, e.dtype);
    default: {
      const j = datatypeJson(e, st);
      if (typeof j === 'number') return integerText(e.value, e.dtype);
      return typeof j === 'string' ? j : JSON.stringify(j);
    }
  }
}

const UNQUALIFIED_META = new Set([4, 5, 6, 7, 21, 22]);

export function exprText(e: Expr, st: PrintState): string {
  switch (e.kind) {
    case 'value':
      return valueText(e, st);
    case 'payload':
      return payloadIsKnown(e) ? `${e.desc!.name} ${e.tmpl!.token}` : `@${['invalid', 'll', 'nh', 'th', 'ih'][e.base]},${e.offset},${e.len}`;
    case 'meta': {
      const token = META_TEMPLATES[e.key]?.token ?? 'unknown';
      return UNQUALIFIED_META.has(e.key) ? token : `meta ${token}`;
    }
    case 'ct': {
      const dir = e.direction === 0 ? 'original ' : e.direction === 1 ? 'reply ' : '';
      return `ct ${dir}${CT_TEMPLATES[e.key]?.token ?? 'unknown'}`;
    }
    case 'concat':
      return e.exprs.map((i) => exprText(i, st)).join(' . ');
    case 'prefix':
      return `${exprText(e.prefix, st)}/${e.prefixLen}`;
    case 'range':
      return `${exprText(e.left, st)}-${exprText(e.right, st)}`;
    case 'set_elem': {
      let out = exprText(e.key, st);
      if (e.timeout) out += ` timeout ${Number(e.timeout / 1000n)}s`;
      return out;
    }
    case 'set_ref':
      return e.set.flags & 0x1 && e.set.init ? `{ ${e.set.init.exprs.map((i) => exprText(i, st)).join(', ')} }` : `@${e.set.name}`;
    case 'mapping':
      return `${exprText(e.left, st)} : ${exprText(e.right, st)}`;
    case 'binop':
      return `${exprText(e.left, st)} ${e.op} ${exprText(e.right, st)}`;
    case 'unary':
      return exprText(e.arg, st);
    default:
      return JSON.stringify(datatypeJson({ value: 0n, len: 0, byteorder: 'invalid', dtype: e.dtype }, st));
  }
}

/** map_stmt_print: `add @m { key : data }`. */
export function mapStmtText(s: Stmt & { kind: 'map' }, st: PrintState, stmtText: (x: Stmt) => string): string {
  const op = ['add', 'update', 'delete'][s.op] ?? 'add';
  const extra = s.stmts.map((x) => ` ${stmtText(x)}`).join('');
  return `${op} @${s.set.name} { ${exprText(s.key, st)}${extra} : ${exprText(s.data, st)} }`;
}
