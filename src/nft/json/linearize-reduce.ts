/**
 * nft 1.0.6's stmt_reduce (src/rule.c), applied before a rule is linearized: adjacent header
 * matches on constants become one load and one compare (`tcp sport 1 tcp dport 2` is one 4-byte
 * load), and `meta protocol ip` is dropped in ip tables (ip6 in ip6 tables). The quirks are nft's
 * and kept so the kernel gets the same expressions: a single candidate before a non-match
 * statement does not end the run, and the dropped statement is only dropped when another follows.
 */
import type { Load, Stmt } from './linearize-emit.js';

type PayloadLoad = Extract<Load, { kind: 'payload' }>;
type MatchStmt = Extract<Stmt, { kind: 'match' }> & { left: PayloadLoad; right: { kind: 'value'; bytes: Uint8Array } };

const BASE_ORDER: Readonly<Record<string, number>> = { 'll-header': 0, 'network-header': 1, 'transport-header': 2, 'inner-header': 3 };

function isCandidate(s: Stmt): s is MatchStmt {
  return s.kind === 'match' && s.left.kind === 'payload' && s.right.kind === 'value' && (s.op === 'eq' || s.op === 'implicit' || s.op === 'neq');
}

/** payload_can_merge: adjacent, byte-aligned, at most 16 bytes, and worth it for the kernel's fast path. */
function canMerge(a: PayloadLoad, b: PayloadLoad): boolean {
  if (a.base !== b.base || a.offset + a.bits !== b.offset) return false;
  if (a.offset % 8 || a.bits % 8 || b.offset % 8 || b.bits % 8) return false;
  const total = a.bits + b.bits;
  if (total > 128) return false;
  return total <= 32 || a.base === 'll-header' || a.bits > 32 || b.bits > 32;
}

const opClass = (op: string) => (op === 'implicit' ? 'eq' : op);

function isProtocolKey(l: PayloadLoad): boolean {
  return l.field?.protocolKey === true || (l as { protocolFlag?: boolean }).protocolFlag === true;
}

function join(a: MatchStmt, b: MatchStmt, protocolFlag: boolean): { left: PayloadLoad; bytes: Uint8Array } {
  const bytes = new Uint8Array(a.right.bytes.length + b.right.bytes.length);
  bytes.set(a.right.bytes);
  bytes.set(b.right.bytes, a.right.bytes.length);
  const left: PayloadLoad & { protocolFlag?: boolean } = {
    kind: 'payload',
    base: a.left.base,
    offset: a.left.offset,
    bits: a.left.bits + b.left.bits,
    slot: { type: a.left.slot.type, bits: a.left.bits + b.left.bits, byteorder: 'big' },
    raw: true,
    ...(protocolFlag && { protocolFlag }),
  };
  return { left, bytes };
}

/** payload_do_merge over the candidates in `list` (their positions in `stmts`); merged-away ones become undefined. */
function doMerge(stmts: (Stmt | undefined)[], idx: number[]): void {
  const sorted = [...idx].sort((x, y) => {
    const a = (stmts[x] as MatchStmt).left;
    const b = (stmts[y] as MatchStmt).left;
    return BASE_ORDER[a.base]! - BASE_ORDER[b.base]! || a.offset - b.offset;
  });
  let last = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) {
    const cur = sorted[i]!;
    const a = stmts[last] as MatchStmt;
    const b = stmts[cur] as MatchStmt;
    if (!canMerge(a.left, b.left) || opClass(a.op) !== opClass(b.op)) {
      last = cur;
      continue;
    }
    const swap = isProtocolKey(b.left);
    const { left, bytes } = join(a, b, swap || isProtocolKey(a.left));
    const keep = swap ? cur : last;
    const drop = swap ? last : cur;
    const kept = stmts[keep] as MatchStmt;
    stmts[keep] = { kind: 'match', op: kept.op, left, right: { kind: 'value', bytes } };
    stmts[drop] = undefined;
    last = keep;
  }
}

/** meta protocol == the table's own network protocol: redundant in ip and ip6 tables. */
function redundantMetaProtocol(s: Stmt, family: string): boolean {
  if (s.kind !== 'match' || s.left.kind !== 'meta' || s.left.key !== 'protocol' || s.right.kind !== 'value') return false;
  if (s.op !== 'eq' && s.op !== 'implicit') return false;
  const b = s.right.bytes;
  const proto = b.length === 2 ? (b[0]! << 8) | b[1]! : -1;
  return (family === 'ip' && proto === 0x0800) || (family === 'ip6' && proto === 0x86dd);
}

export function reduceRule(input: readonly Stmt[], family: string): Stmt[] {
  const stmts: (Stmt | undefined)[] = [...input];
  let idx: number[] = [];
  let drop: number | undefined;
  for (let i = 0; i < stmts.length; i++) {
    if (drop !== undefined) {
      stmts[drop] = undefined;
      drop = undefined;
    }
    const s = stmts[i]!;
    if (s.kind === 'stmt') {
      if (idx.length >= 2) {
        doMerge(stmts, idx);
        idx = [];
      }
      continue;
    }
    if (isCandidate(s)) idx.push(i);
    else if (redundantMetaProtocol(s, family)) drop = i;
  }
  if (idx.length > 1) doMerge(stmts, idx);
  return stmts.filter((s): s is Stmt => s !== undefined);
}
