/**
 * The last step of a rule: evaluated statements -> the nf_tables expressions nft 1.0.6 sends, with
 * its register allocation (netlink_linearize.c: a 16-byte register per value, 4-byte registers
 * within it for concatenations), in the attribute order libnftnl writes them.
 */
import type { ByteOrder, ValueSlot } from './linearize-types.js';
import type { PayloadBase, ProtoDesc, FieldDesc } from './linearize-fields.js';

/** One expression of NFTA_RULE_EXPRESSIONS as the nftables spec names it. */
export interface NftExpr {
  name: string;
  data?: Record<string, unknown>;
}

/** What puts a value into a register: the left side of a match, a mangle's value, a set key. */
export type Load =
  | { kind: 'payload'; base: PayloadBase; offset: number; bits: number; slot: ValueSlot; proto?: ProtoDesc; field?: FieldDesc; raw?: boolean }
  | { kind: 'meta'; key: string; jsonKey: string; slot: ValueSlot }
  | { kind: 'ct'; key: string; jsonKey: string; dir?: 'original' | 'reply'; slot: ValueSlot }
  | { kind: 'concat'; items: Load[]; slot: ValueSlot }
  /** (left & mask) ^ xor, as nft folds &, | and ^ with constants. */
  | { kind: 'bitwise'; left: Load; mask: Uint8Array; xor: Uint8Array; slot: ValueSlot }
  /** A host-order value turned big-endian so the kernel's byte-wise compares order it (ranges, <, >). */
  | { kind: 'hton'; left: Load; slot: ValueSlot }
  | { kind: 'imm'; bytes: Uint8Array; slot: ValueSlot }
  /** Other loading expressions (fib, numgen...): their name and attributes, the dreg added here. */
  | { kind: 'other'; name: string; attrs: Record<string, unknown>; slot: ValueSlot; dregFirst?: boolean };

export interface SetRef {
  name: string;
  id?: number;
}

/** The right side of a match once evaluated. */
export type Rhs =
  | { kind: 'value'; bytes: Uint8Array }
  | { kind: 'flags'; bytes: Uint8Array }
  | { kind: 'prefix'; bytes: Uint8Array; len: number; string?: boolean }
  | { kind: 'range'; low: Uint8Array; high: Uint8Array }
  | { kind: 'set'; set: SetRef };

export type CmpOp = 'eq' | 'neq' | 'lt' | 'gt' | 'lte' | 'gte' | 'implicit';

/** An evaluated statement: a match (which nft may merge with its neighbours) or anything else. */
export type Stmt =
  | { kind: 'match'; left: Load; op: CmpOp; right: Rhs }
  /** A verdict map lookup: an expression statement that is not a match. */
  | { kind: 'vmap'; key: Load; set: SetRef }
  /** Other statements: their expressions, written with the emitter. */
  | { kind: 'stmt'; emit: (e: Emitter) => void };

const REG_SPACE_BITS = 32;

/** Number of 4-byte registers a value of `bits` takes (netlink_register_space). */
export const regSpace = (bits: number): number => Math.ceil(bits / REG_SPACE_BITS);

/** A register as the spec names it (netlink_put_register: 16-byte names where aligned, else 4-byte). */
export function regName(reg: number): string {
  if (reg === 0) return 'verdict';
  const r = reg - 1;
  if (r % 4 === 0) return `reg-${1 + r / 4}`;
  return `reg32-${String(r).padStart(2, '0')}`;
}

const value = (bytes: Uint8Array) => ({ value: bytes });

export class Emitter {
  readonly exprs: NftExpr[] = [];
  /** Next free 4-byte register (NFT_REG_1 is 1). */
  private regLow = 1;

  push(name: string, data?: Record<string, unknown>): void {
    this.exprs.push(data === undefined ? { name } : { name, data });
  }

  /** A register for a value (get_register: 16 bytes, or a concatenation's own size). */
  get(load?: Load): number {
    const reg = this.regLow;
    this.regLow += load?.kind === 'concat' ? regSpace(load.slot.bits) : 4;
    return reg;
  }

  release(load?: Load): void {
    this.regLow -= load?.kind === 'concat' ? regSpace(load.slot.bits) : 4;
  }

  /** Loads `load` into `dreg` (netlink_gen_expr). */
  load(load: Load, dreg: number): void {
    switch (load.kind) {
      case 'payload':
        return this.push('payload', {
          dreg: regName(dreg),
          base: load.base,
          offset: Math.floor(load.offset / 8),
          len: Math.ceil(load.bits / 8),
        });
      case 'meta':
        return this.push('meta', { key: load.key, dreg: regName(dreg) });
      case 'ct':
        return this.push('ct', { key: load.key, dreg: regName(dreg), ...(load.dir !== undefined && { direction: load.dir }) });
      case 'concat': {
        let reg = dreg;
        for (const item of load.items) {
          this.load(item, reg);
          reg += regSpace(item.slot.bits);
        }
        return;
      }
      case 'bitwise':
        this.load(load.left, dreg);
        return this.push('bitwise', {
          sreg: regName(dreg),
          dreg: regName(dreg),
          op: 'mask-xor',
          len: load.mask.length,
          mask: value(load.mask),
          xor: value(load.xor),
        });
      case 'hton': {
        this.load(load.left, dreg);
        const bits = load.left.slot.bits;
        const size = bits % 64 === 0 ? 8 : bits % 32 === 0 ? 4 : 2;
        return this.push('byteorder', { sreg: regName(dreg), dreg: regName(dreg), op: 'hton', len: Math.ceil(bits / 8), size });
      }
      case 'imm':
        return this.push('immediate', { dreg: regName(dreg), data: value(load.bytes) });
      case 'other':
        return this.push(load.name, load.dregFirst ? { dreg: regName(dreg), ...load.attrs } : { ...load.attrs, dreg: regName(dreg) });
    }
  }

  /** A value into a fresh register, for statements that take sources (nat, mangle). */
  immediate(bytes: Uint8Array): number {
    const reg = this.get();
    this.push('immediate', { dreg: regName(reg), data: value(bytes) });
    return reg;
  }

  verdict(code: string, chain?: string): void {
    this.push('immediate', { dreg: 'verdict', data: { verdict: { code, ...(chain !== undefined && { chain }) } } });
  }

  /** A match (netlink_gen_relational and its helpers). */
  match(left: Load, op: CmpOp, right: Rhs): void {
    switch (right.kind) {
      case 'range':
        return this.range(left, op, right);
      case 'set':
        return this.lookup(left, op, right.set);
      case 'flags':
        if (op === 'implicit') return this.flagcmp(left, right.bytes);
        return this.cmp(left, op, right.bytes);
      case 'prefix':
        return this.prefix(left, op, right);
      case 'value':
        if (op === 'implicit' && left.slot.type.bitmask) return this.flagcmp(left, right.bytes);
        return this.cmp(left, op, right.bytes);
    }
  }

  private cmp(left: Load, op: CmpOp, bytes: Uint8Array, loadAs: Load = left): void {
    const sreg = this.get(left);
    this.load(loadAs, sreg);
    this.push('cmp', { sreg: regName(sreg), op: op === 'implicit' ? 'eq' : op, data: value(bytes) });
    this.release(left);
  }

  /** `ct state established,related`: (x & bits) != 0. */
  private flagcmp(left: Load, bytes: Uint8Array): void {
    const sreg = this.get(left);
    this.load(left, sreg);
    const zero = new Uint8Array(Math.ceil(left.slot.bits / 8));
    if (left.kind === 'bitwise') {
      this.push('cmp', { sreg: regName(sreg), op: 'eq', data: value(bytes) });
    } else {
      this.push('bitwise', { sreg: regName(sreg), dreg: regName(sreg), len: zero.length, mask: value(bytes), xor: value(zero) });
      this.push('cmp', { sreg: regName(sreg), op: 'neq', data: value(zero) });
    }
    this.release(left);
  }

  /** A prefix: byte-aligned big-endian prefixes load fewer bytes; others are masked first. */
  private prefix(left: Load, op: CmpOp, right: Extract<Rhs, { kind: 'prefix' }>): void {
    const byteorder: ByteOrder = left.slot.byteorder;
    if (right.string || (byteorder === 'big' && right.len !== 0 && right.len % 8 === 0)) {
      const bytes = right.bytes.subarray(0, Math.ceil(right.len / 8));
      const shortened: Load = left.kind === 'payload' ? { ...left, bits: right.len } : left;
      return this.cmp(left, op, bytes, shortened);
    }
    const sreg = this.get(left);
    this.load(left, sreg);
    const len = right.bytes.length;
    this.push('bitwise', {
      sreg: regName(sreg),
      dreg: regName(sreg),
      len,
      mask: value(prefixMask(len, right.len, byteorder)),
      xor: value(new Uint8Array(len)),
    });
    this.push('cmp', { sreg: regName(sreg), op: op === 'implicit' ? 'eq' : op, data: value(right.bytes) });
    this.release(left);
  }

  private range(left: Load, op: CmpOp, right: Extract<Rhs, { kind: 'range' }>): void {
    const sreg = this.get(left);
    this.load(left, sreg);
    if (op === 'neq') {
      this.push('range', { sreg: regName(sreg), op: 'neq', fromData: value(right.low), toData: value(right.high) });
    } else {
      this.push('cmp', { sreg: regName(sreg), op: 'gte', data: value(right.low) });
      this.push('cmp', { sreg: regName(sreg), op: 'lte', data: value(right.high) });
    }
    this.release(left);
  }

  private lookup(left: Load, op: CmpOp, set: SetRef): void {
    const sreg = this.get(left);
    this.load(left, sreg);
    this.push('lookup', {
      sreg: regName(sreg),
      set: set.name,
      ...(set.id !== undefined && { setId: set.id }),
      ...(op === 'neq' && { flags: 1 }),
    });
    this.release(left);
  }

  /** A verdict map: the key's lookup writes the verdict register. */
  vmap(key: Load, set: SetRef): void {
    const sreg = this.get(key);
    this.load(key, sreg);
    this.push('lookup', { sreg: regName(sreg), dreg: 'verdict', set: set.name, ...(set.id !== undefined && { setId: set.id }) });
    this.release(key);
  }
}

/** The first `prefixLen` bits set, as `len` bytes in the value's byte order. */
function prefixMask(len: number, prefixLen: number, byteorder: ByteOrder): Uint8Array {
  const out = new Uint8Array(len);
  for (let bit = 0; bit < prefixLen; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return byteorder === 'big' ? out : out.reverse();
}

/** Every statement's expressions, in order. */
export function emitRule(stmts: readonly Stmt[]): NftExpr[] {
  const e = new Emitter();
  for (const s of stmts) {
    if (s.kind === 'match') e.match(s.left, s.op, s.right);
    else if (s.kind === 'vmap') e.vmap(s.key, s.set);
    else s.emit(e);
  }
  return e.exprs;
}
