/**
 * snat, dnat, masquerade and redirect as nft 1.0.6 linearizes them (netlink_gen_nat_stmt): the
 * addresses and ports are loaded by immediates into 16-byte registers (address min, max, then port
 * min, max), the nat / masq / redir expression names those registers, and a port makes the flags
 * say NF_NAT_RANGE_PROTO_SPECIFIED. A port needs a transport protocol matched before it.
 */
import { type Emitter, type Stmt, regName } from './linearize-emit.js';
import type { RuleEnv } from './linearize-match.js';
import { type JsonObject, type JsonPath, fail, failAt, flagBits, isObject, onlyKeys } from './json-path.js';
import { TYPES, bytesToInt, encodeValue, parseAddress } from './linearize-types.js';

const NAT_FLAGS: Readonly<Record<string, number>> = { random: 0x4, persistent: 0x8, 'fully-random': 0x10, netmap: 0x40 };
const PROTO_SPECIFIED = 0x2;
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite', 'th']);

type Pair = [Uint8Array, Uint8Array?];

function address(v: unknown, fam: 'ip' | 'ip6', path: JsonPath): Pair {
  const one = (x: unknown, p: JsonPath): Uint8Array => {
    const b = parseAddress(x);
    const want = fam === 'ip' ? 4 : 16;
    if (!b || b.length !== want) return fail(p, x, `is not an ${fam === 'ip' ? 'IPv4' : 'IPv6'} address`);
    return b;
  };
  if (isObject(v) && 'range' in v) {
    const r = v.range;
    if (!Array.isArray(r) || r.length !== 2) return fail(path.key('range'), r, 'must be [first, last]');
    const lo = one(r[0], path.key('range').at(0));
    const hi = one(r[1], path.key('range').at(1));
    if (bytesToInt(lo, 'big') > bytesToInt(hi, 'big')) failAt(path.key('range'), 'the address range is empty: its first address is above its last');
    return [lo, hi];
  }
  if (isObject(v) && 'prefix' in v) {
    const p = v.prefix as JsonObject;
    const base = one(isObject(p) ? p.addr : undefined, path.key('prefix').key('addr'));
    const bits = base.length * 8;
    const len = isObject(p) ? p.len : undefined;
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > bits) fail(path.key('prefix').key('len'), len, `must be 0 to ${bits}`);
    const n = bytesToInt(base, 'big');
    const host = (1n << BigInt(bits - len)) - 1n;
    const out = (x: bigint) => encodeValue({ type: TYPES.integer, bits, byteorder: 'big' }, `0x${x.toString(16)}`, path);
    return [out(n & ~host), out(n | host)];
  }
  if (typeof v !== 'string') return fail(path, v, 'must be an address, { "range": [first, last] } or { "prefix": {...} }');
  return [one(v, path)];
}

function port(v: unknown, path: JsonPath): Pair {
  const slot = { type: TYPES.inet_service, bits: 16, byteorder: 'big' as const };
  if (isObject(v) && 'range' in v) {
    const r = v.range;
    if (!Array.isArray(r) || r.length !== 2) return fail(path.key('range'), r, 'must be [first, last]');
    const lo = encodeValue(slot, r[0], path.key('range').at(0));
    const hi = encodeValue(slot, r[1], path.key('range').at(1));
    if (bytesToInt(lo, 'big') > bytesToInt(hi, 'big')) failAt(path.key('range'), 'the port range is empty: its first port is above its last');
    return [lo, hi];
  }
  return [encodeValue(slot, v, path)];
}

function natFamily(env: RuleEnv, body: JsonObject, path: JsonPath): 'ip' | 'ip6' {
  if (body.family !== undefined && body.family !== 'ip' && body.family !== 'ip6') fail(path.key('family'), body.family, 'must be "ip" or "ip6"');
  const fam = env.family;
  if (fam === 'ip' || fam === 'ip6') {
    if (body.family !== undefined && body.family !== fam) failAt(path.key('family'), `an ${fam} table translates ${fam} addresses only`);
    return fam;
  }
  if (body.family !== undefined) return body.family as 'ip' | 'ip6';
  if (env.ctx.l3 === 'ip' || env.ctx.l3 === 'ip6') return env.ctx.l3;
  return failAt(path, `in an ${fam} table, say which family the address is: "family": "ip" or "ip6"`);
}

/** snat / dnat / masquerade / redirect -> the rule's statement. */
export function linearizeNat(env: RuleEnv, kind: string, body: unknown, path: JsonPath): void {
  const o = (body ?? {}) as JsonObject;
  if (!isObject(o)) fail(path, body, 'must be null or an object');
  const withAddr = kind === 'snat' || kind === 'dnat';
  onlyKeys(o, withAddr ? ['addr', 'family', 'port', 'flags', 'type_flags'] : ['port', 'flags'], path, `a ${kind} statement`);
  if (o.type_flags !== undefined) failAt(path.key('type_flags'), 'maps of addresses and ports (type_flags) are not supported by this linearizer');
  let flags = o.flags === undefined ? 0 : flagBits(o.flags, NAT_FLAGS, path.key('flags'), 'a NAT flag');
  let fam: 'ip' | 'ip6' | undefined;
  let addr: Pair | undefined;
  if (withAddr) {
    if (o.addr === undefined && o.port === undefined) failAt(path, `${kind} needs "addr" (and/or "port")`);
    if (o.addr !== undefined) {
      fam = natFamily(env, o, path);
      addr = address(o.addr, fam, path.key('addr'));
    } else fam = natFamily(env, o, path);
  }
  let ports: Pair | undefined;
  if (o.port !== undefined) {
    const l4 = env.ctx.l4;
    if (l4 === undefined || !PORT_PROTOCOLS.has(l4)) {
      failAt(
        path.key('port'),
        'a port mapping needs a transport protocol matched before it (for example { "match": { "op": "==", "left": { "meta": { "key": "l4proto" } }, "right": "tcp" } })',
      );
    }
    ports = port(o.port, path.key('port'));
    flags |= PROTO_SPECIFIED;
  }
  const name = withAddr ? 'nat' : kind === 'masquerade' ? 'masq' : 'redir';
  const emit = (e: Emitter) => {
    const data: Record<string, unknown> = {};
    if (withAddr) Object.assign(data, { type: kind, family: fam });
    const regs: Record<string, string> = {};
    let used = 0;
    if (addr) {
      const min = e.get();
      const max = addr[1] ? e.get() : undefined;
      used += max === undefined ? 1 : 2;
      e.push('immediate', { dreg: regName(min), data: { value: addr[0] } });
      if (max !== undefined) e.push('immediate', { dreg: regName(max), data: { value: addr[1] } });
      regs.regAddrMin = regName(min);
      if (max !== undefined) regs.regAddrMax = regName(max);
    }
    if (ports) {
      const min = e.get();
      const max = ports[1] ? e.get() : undefined;
      used += max === undefined ? 1 : 2;
      e.push('immediate', { dreg: regName(min), data: { value: ports[0] } });
      if (max !== undefined) e.push('immediate', { dreg: regName(max), data: { value: ports[1] } });
      regs.regProtoMin = regName(min);
      if (max !== undefined) regs.regProtoMax = regName(max);
    }
    for (; used > 0; used--) e.release();
    if (name === 'redir') Object.assign(data, regs, flags !== 0 && { flags });
    else Object.assign(data, flags !== 0 && name === 'masq' && { flags }, regs, flags !== 0 && name === 'nat' && { flags });
    e.push(name, data);
  };
  env.out.push({ kind: 'stmt', emit } as Stmt);
}
