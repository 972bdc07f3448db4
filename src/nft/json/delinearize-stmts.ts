/**
 * Netlink expressions that are statements by themselves (nftables src/netlink_delinearize.c): counter, log,
 * limit, quota, reject, nat / masq / redir with their address and port registers, tproxy, dup, fwd, queue,
 * objref, connlimit, synproxy, xt match / target, last.
 */
import {
  type Attrs,
  CONNLIMIT_FLAGS,
  LIMIT_FLAGS,
  LIMIT_TYPE,
  LOG_FLAGS,
  LOG_LEVEL,
  NFPROTO_ENUM,
  NAT_RANGE_FLAGS,
  NAT_TYPE,
  OBJECT_TYPE,
  QUEUE_FLAGS,
  QUOTA_FLAGS,
  REJECT_TYPE,
  SYNPROXY_FLAGS,
  big,
  bytes,
  num,
} from './attr-values.js';
import { inetServiceType, integerType, ip6addrType, ipaddrType, ifindexType, stringType } from './datatypes.js';
import { type Expr, F_INTERVAL, type NatStmt, type Stmt, mapExpr, rangeExpr, setRef, setType, valueExpr } from './ir.js';
import { importBytes } from './mpz.js';
import { rangeToPrefix } from './ranges.js';
import { NFPROTO } from './proto.js';
import type { Handler, Parser } from './registers.js';

// ------------------------------------------------------------------------------------------------------------
// statements

export function parseCounter(p: Parser, d: Attrs): void {
  p.stmts.push({ kind: 'counter', packets: big(d.packets) ?? 0n, bytes: big(d.bytes) ?? 0n });
}

export function parseLog(p: Parser, d: Attrs): void {
  p.stmts.push({
    kind: 'log',
    ...(typeof d.prefix === 'string' ? { prefix: d.prefix } : {}),
    ...(d.group !== undefined ? { group: num(d.group) } : {}),
    ...(d.snaplen !== undefined ? { snaplen: num(d.snaplen) } : {}),
    ...(d.qthreshold !== undefined ? { qthreshold: num(d.qthreshold) } : {}),
    ...(d.level !== undefined ? { level: LOG_LEVEL.num(d.level) } : {}),
    logflags: LOG_FLAGS.flags(d.flags),
  });
}

export function parseLimit(p: Parser, d: Attrs): void {
  p.stmts.push({
    kind: 'limit',
    rate: big(d.rate) ?? 0n,
    unit: big(d.unit) ?? 0n,
    type: LIMIT_TYPE.num(d.type) ?? 0,
    burst: num(d.burst) ?? 0,
    flags: LIMIT_FLAGS.flags(d.flags),
  });
}

export function parseQuota(p: Parser, d: Attrs): void {
  p.stmts.push({ kind: 'quota', bytes: big(d.bytes) ?? 0n, used: big(d.consumed) ?? 0n, flags: QUOTA_FLAGS.flags(d.flags) });
}

export function parseReject(p: Parser, d: Attrs): void {
  const code = num(d.icmpCode) ?? 0;
  p.stmts.push({
    kind: 'reject',
    type: REJECT_TYPE.num(d.type) ?? 0,
    icmpCode: code,
    expr: valueExpr(integerType, 'host', 8, BigInt(code)),
    family: 0,
  });
}

export const NF_NAT_RANGE_NETMAP = 0x40;
export const STMT_NAT_F_INTERVAL = 0x1;
export const STMT_NAT_F_PREFIX = 0x2;
export const STMT_NAT_F_CONCAT = 0x4;

/** An address map of a NAT statement whose data are intervals (`dnat to ip saddr map { 1.1.1.1 : 2.2.2.0/24 }`). */
export function isNatAddrMap(addr: Expr | undefined, family: number, stmt: NatStmt): boolean {
  if (addr?.kind !== 'map' || addr.mappings.kind !== 'set_ref') return false;
  const data = addr.mappings.set.data;
  if (!data || !(data.flags & F_INTERVAL)) return false;
  stmt.family = family;
  if (family === NFPROTO.IPV4) {
    if (data.len === 64) {
      stmt.typeFlags |= STMT_NAT_F_INTERVAL;
      return true;
    }
    if (data.len === 128) {
      stmt.typeFlags |= STMT_NAT_F_INTERVAL | STMT_NAT_F_CONCAT;
      return true;
    }
  } else if (family === NFPROTO.IPV6) {
    if (data.len === 256) {
      stmt.typeFlags |= STMT_NAT_F_INTERVAL;
      return true;
    }
    if (data.len === 320) {
      stmt.typeFlags |= STMT_NAT_F_INTERVAL | STMT_NAT_F_CONCAT;
      return true;
    }
  }
  return false;
}

/** An address:port map (`dnat to ip daddr map { 1.1.1.1 : 2.2.2.2 . 80 }`). */
export function isNatProtoMap(addr: Expr | undefined, family: number): boolean {
  if (addr?.kind !== 'map' || addr.mappings.kind !== 'set_ref') return false;
  const data = addr.mappings.set.data;
  if (!data) return false;
  if (family === NFPROTO.IPV4) return data.len === 64;
  if (family === NFPROTO.IPV6) return data.len === 160;
  return false;
}

export function parseNat(p: Parser, d: Attrs): void {
  const stmt: NatStmt = {
    kind: 'nat',
    natType: (NAT_TYPE.num(d.type) ?? 0) === 1 ? 'dnat' : 'snat',
    family: 0,
    flags: 0,
    typeFlags: 0,
  };
  const family = NFPROTO_ENUM.num(d.family) ?? 0;
  if (p.ctx.family === NFPROTO.INET) stmt.family = family;
  if (d.flags !== undefined) stmt.flags = NAT_RANGE_FLAGS.flags(d.flags);
  if (stmt.flags & NF_NAT_RANGE_NETMAP) stmt.typeFlags |= STMT_NAT_F_PREFIX;
  const addrType = family === NFPROTO.IPV4 ? ipaddrType : ip6addrType;

  let addr: Expr | undefined;
  const r1 = p.reg(d.regAddrMin);
  if (r1) {
    addr = p.get(r1);
    if (!addr) return;
    setType(addr, addrType, 'big');
    stmt.addr = addr;
  }
  if (isNatAddrMap(addr, family, stmt)) {
    stmt.family = family;
    p.stmts.push(stmt);
    return;
  }
  const r2 = p.reg(d.regAddrMax);
  if (r2 && r2 !== r1) {
    const max = p.get(r2);
    if (!max) return;
    setType(max, addrType, 'big');
    stmt.addr = stmt.addr ? rangeToPrefix(rangeExpr(stmt.addr, max)) : max;
    addr = stmt.addr;
  }
  if (isNatProtoMap(addr, family)) {
    stmt.family = family;
    stmt.typeFlags |= STMT_NAT_F_CONCAT;
    p.stmts.push(stmt);
    return;
  }
  readProto(p, stmt, d.regProtoMin, d.regProtoMax);
  p.stmts.push(stmt);
}

/** Port registers of nat, masq and redir: one port or a range. */
export function readProto(p: Parser, stmt: NatStmt, min: unknown, max: unknown): boolean {
  const r1 = p.reg(min);
  if (r1) {
    const proto = p.get(r1);
    if (!proto) return false;
    setType(proto, inetServiceType, 'big');
    stmt.proto = proto;
  }
  const r2 = p.reg(max);
  if (r2 && r2 !== r1) {
    const proto = p.get(r2);
    if (!proto) return false;
    setType(proto, inetServiceType, 'big');
    stmt.proto = stmt.proto ? rangeExpr(stmt.proto, proto) : proto;
  }
  return true;
}

export function parseMasqRedir(natType: 'masquerade' | 'redirect'): Handler {
  return (p, d) => {
    const stmt: NatStmt = { kind: 'nat', natType, family: 0, flags: NAT_RANGE_FLAGS.flags(d.flags), typeFlags: 0 };
    if (readProto(p, stmt, d.regProtoMin, d.regProtoMax)) p.stmts.push(stmt);
  };
}

export function parseTproxy(p: Parser, d: Attrs): void {
  const family = NFPROTO_ENUM.num(d.family) ?? 0;
  const stmt: Stmt = { kind: 'tproxy', family, tableFamily: p.ctx.family };
  const ra = p.reg(d.regAddr);
  if (ra) {
    const addr = p.get(ra);
    if (!addr) return;
    if (family === NFPROTO.IPV4) setType(addr, ipaddrType, 'big');
    else if (family === NFPROTO.IPV6) setType(addr, ip6addrType, 'big');
    else return;
    stmt.addr = addr;
  }
  const rp = p.reg(d.regPort);
  if (rp) {
    const port = p.get(rp);
    if (!port) return;
    setType(port, inetServiceType, 'big');
    stmt.port = port;
  }
  p.stmts.push(stmt);
}

export function parseDup(p: Parser, d: Attrs): void {
  const stmt: Stmt = { kind: 'dup' };
  const r1 = p.reg(d.sregAddr);
  if (r1) {
    const addr = p.get(r1);
    if (!addr) return;
    if (p.ctx.family === NFPROTO.IPV4) setType(addr, ipaddrType, 'big');
    else if (p.ctx.family === NFPROTO.IPV6) setType(addr, ip6addrType, 'big');
    stmt.to = addr;
  }
  const r2 = p.reg(d.sregDev);
  if (r2) {
    const dev = p.get(r2);
    if (!dev) return;
    setType(dev, ifindexType, 'host');
    if (stmt.to) stmt.dev = dev;
    else stmt.to = dev;
  }
  p.stmts.push(stmt);
}

export function parseFwd(p: Parser, d: Attrs): void {
  const stmt: Stmt = { kind: 'fwd', family: 0 };
  const r1 = p.reg(d.sregDev);
  if (r1) {
    const dev = p.get(r1);
    if (!dev) return;
    setType(dev, ifindexType, 'host');
    stmt.dev = dev;
  }
  if (d.nfproto !== undefined) stmt.family = NFPROTO_ENUM.num(d.nfproto) ?? 0;
  if (d.sregAddr !== undefined) {
    const r2 = p.reg(d.sregAddr);
    if (r2) {
      const addr = p.get(r2);
      if (!addr) return;
      if (stmt.family === 2) setType(addr, ipaddrType, 'big');
      else if (stmt.family === 10) setType(addr, ip6addrType, 'big');
      else return;
      stmt.addr = addr;
    }
  }
  p.stmts.push(stmt);
}

export function parseQueue(p: Parser, d: Attrs): void {
  let queue: Expr | undefined;
  if (d.sregQnum !== undefined) {
    queue = p.get(p.reg(d.sregQnum));
    if (!queue) return;
  } else {
    const n = num(d.num) ?? 0;
    let total = num(d.total) ?? 0;
    queue = valueExpr(integerType, 'host', 16, BigInt(n));
    if (total > 1) {
      total += n - 1;
      queue = rangeExpr(queue, valueExpr(integerType, 'host', 16, BigInt(total)));
    }
  }
  p.stmts.push({ kind: 'queue', queue, flags: QUEUE_FLAGS.flags(d.flags) });
}

export function parseObjref(p: Parser, d: Attrs): void {
  let type = OBJECT_TYPE.num(d.immType) ?? 0;
  let expr: Expr;
  if (d.immName !== undefined) {
    // as netlink_alloc_value reads it: the name and its NUL, big-endian, typed host order (switched later)
    const name = typeof d.immName === 'string' ? new TextEncoder().encode(`${d.immName}\u0000`) : bytes(d.immName);
    if (!name) return;
    expr = valueExpr(stringType, 'host', name.length * 8, importBytes(name, 'big'));
  } else if (d.setSreg !== undefined) {
    const set = p.ctx.sets.get(String(d.setName ?? ''));
    if (!set) return;
    const sreg = p.reg(d.setSreg);
    let left = p.get(sreg);
    if (!left) return;
    if (left.len < set.key.len) {
      const c = p.concat(sreg, set.key.len);
      if (!c) return;
      left = c;
    }
    expr = mapExpr(left, setRef(set));
    expr.dtype = stringType;
    expr.byteorder = 'host';
    type = set.objtype;
  } else {
    return;
  }
  p.stmts.push({ kind: 'objref', type, expr });
}

export function parseConnlimit(p: Parser, d: Attrs): void {
  p.stmts.push({ kind: 'connlimit', count: num(d.count) ?? 0, flags: CONNLIMIT_FLAGS.flags(d.flags) });
}

export function parseSynproxy(p: Parser, d: Attrs): void {
  p.stmts.push({ kind: 'synproxy', mss: num(d.mss) ?? 0, wscale: num(d.wscale) ?? 0, flags: SYNPROXY_FLAGS.flags(d.flags) });
}

export function parseXt(type: 'match' | 'target'): Handler {
  return (p, d) => {
    const info = bytes(d.info);
    p.stmts.push({ kind: 'xt', type, name: String(d.name ?? ''), rev: num(d.rev) ?? 0, ...(info ? { info } : {}) });
  };
}

export function parseLast(p: Parser, d: Attrs): void {
  p.stmts.push({ kind: 'last', used: big(d.msecs) ?? 0n, set: num(d.set) ?? 0 });
}
