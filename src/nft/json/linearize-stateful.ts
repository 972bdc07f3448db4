/**
 * The stateful statements (counter, limit, quota) as nf_tables expressions, as nft 1.0.6 builds them
 * (netlink_gen_stmt_stateful): in a rule, on a set (applied to each element) and on an element.
 * A name instead of a body refers to a named object (an objref expression).
 */
import type { NftExpr } from './linearize-emit.js';
import { type JsonObject, type JsonPath, fail, failAt, isObject, onlyKeys, oneOf } from './json-path.js';

export const STATEFUL = ['counter', 'limit', 'quota'] as const;

function uintOf(v: unknown, path: JsonPath): bigint {
  if (v === undefined) return 0n;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(path, v, 'must be a non-negative integer');
  return BigInt(v);
}

const PER: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
const BYTE_UNITS: Readonly<Record<string, bigint>> = { bytes: 1n, kbytes: 1024n, mbytes: 1024n * 1024n, gbytes: 1024n * 1024n * 1024n };

function counter(body: unknown, path: JsonPath): NftExpr {
  if (body !== null && body !== undefined && !isObject(body))
    fail(path, body, 'must be null, { "packets": n, "bytes": n } or the name of a counter object');
  const o = (body ?? {}) as JsonObject;
  onlyKeys(o, ['packets', 'bytes'], path, 'a counter');
  const packets = uintOf(o.packets, path.key('packets'));
  const bytes = uintOf(o.bytes, path.key('bytes'));
  // nft sends only what is not zero.
  return { name: 'counter', data: { ...(bytes !== 0n && { bytes }), ...(packets !== 0n && { packets }) } };
}

function limit(body: unknown, path: JsonPath): NftExpr {
  if (!isObject(body)) return fail(path, body, 'must be { "rate": n, "per": "second" } or the name of a limit object');
  onlyKeys(body, ['rate', 'rate_unit', 'per', 'burst', 'burst_unit', 'inv'], path, 'a limit');
  if (body.rate === undefined) failAt(path, '"rate" is missing');
  const rate = uintOf(body.rate, path.key('rate'));
  const per = body.per === undefined ? 'second' : oneOf(body.per, Object.keys(PER), path.key('per'), 'a time unit');
  const rateUnit =
    body.rate_unit === undefined ? 'packets' : oneOf(body.rate_unit, ['packets', ...Object.keys(BYTE_UNITS)], path.key('rate_unit'), 'a rate unit');
  const bytes = rateUnit !== 'packets';
  const burstUnit = body.burst_unit === undefined ? 'bytes' : oneOf(body.burst_unit, Object.keys(BYTE_UNITS), path.key('burst_unit'), 'a burst unit');
  // nft's default burst: 5 packets; none for bytes.
  let burst = body.burst === undefined ? (bytes ? 0n : 5n) : uintOf(body.burst, path.key('burst'));
  if (bytes) burst *= BYTE_UNITS[burstUnit]!;
  if (body.inv !== undefined && typeof body.inv !== 'boolean') fail(path.key('inv'), body.inv, 'must be true or false');
  const r = bytes ? rate * BYTE_UNITS[rateUnit]! : rate;
  return {
    name: 'limit',
    data: {
      rate: r,
      unit: BigInt(PER[per]!),
      ...(burst > 0n && { burst: Number(burst) }),
      type: bytes ? 'pkt-bytes' : 'pkts',
      flags: body.inv === true ? 1 : 0,
    },
  };
}

function quota(body: unknown, path: JsonPath): NftExpr {
  if (!isObject(body)) return fail(path, body, 'must be { "val": n, "val_unit": "mbytes" } or the name of a quota object');
  onlyKeys(body, ['val', 'val_unit', 'used', 'used_unit', 'inv'], path, 'a quota');
  if (body.val === undefined) failAt(path, '"val" is missing');
  const unit = (k: string) => (body[k] === undefined ? 1n : BYTE_UNITS[oneOf(body[k], Object.keys(BYTE_UNITS), path.key(k), 'a byte unit')]!);
  const bytes = uintOf(body.val, path.key('val')) * unit('val_unit');
  const used = uintOf(body.used, path.key('used')) * unit('used_unit');
  if (body.inv !== undefined && typeof body.inv !== 'boolean') fail(path.key('inv'), body.inv, 'must be true or false');
  return { name: 'quota', data: { bytes, consumed: used, flags: body.inv === true ? 1 : 0 } };
}

/** A counter, limit or quota statement's expression; a string names an object of that kind. */
export function statefulExpr(kind: string, body: unknown, path: JsonPath, objref = true): NftExpr {
  if (typeof body === 'string') {
    if (!objref) return fail(path, body, `must be the ${kind}'s properties here`);
    return { name: 'objref', data: { immType: kind, immName: body } };
  }
  if (kind === 'counter') return counter(body, path);
  if (kind === 'limit') return limit(body, path);
  if (kind === 'quota') return quota(body, path);
  return failAt(path, `"${kind}" is not a counter, limit or quota`);
}

/** A set's "stmt" list: the expressions every element gets. */
export function setExprs(list: unknown, path: JsonPath): NftExpr[] {
  if (!Array.isArray(list)) return fail(path, list, 'must be a list of statements (counter, limit, quota)');
  return list.map((s, i) => {
    const p = path.at(i);
    const entries = isObject(s) ? Object.entries(s) : [];
    if (entries.length !== 1 || !(STATEFUL as readonly string[]).includes(entries[0]![0]))
      return fail(p, s, 'must be a counter, limit or quota statement');
    const [kind, body] = entries[0]!;
    return statefulExpr(kind, body, p.key(kind), false);
  });
}
