/**
 * Tables, chains, stateful objects and flowtables -> their messages' attributes, as nft 1.0.6 sends
 * them: hooks by number for the family, priorities by number or by nft's standard names ("srcnat",
 * "filter + 10"), policies as verdicts, devices, comments as userdata TLVs.
 */
import type { NftFamily } from './types.js';
import { type JsonObject, type JsonPath, fail, failAt, flagBits, isObject, oneOf } from './json-path.js';
import { strTlv } from './linearize-sets.js';

const INET_HOOKS = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 };
export const HOOKS: Readonly<Record<NftFamily, Readonly<Record<string, number>>>> = {
  ip: INET_HOOKS,
  ip6: INET_HOOKS,
  inet: { ...INET_HOOKS, ingress: 5 },
  bridge: INET_HOOKS,
  arp: { input: 0, output: 1, forward: 2 },
  netdev: { ingress: 0, egress: 1 },
};

/** nft's standard priorities (src/rule.c std_prios, bridge_std_prios) and the hooks each is valid in. */
const STD_PRIOS: Readonly<Record<string, [number, string[] | undefined]>> = {
  raw: [-300, undefined],
  mangle: [-150, undefined],
  dstnat: [-100, ['prerouting', 'output']],
  filter: [0, undefined],
  security: [50, undefined],
  srcnat: [100, ['postrouting', 'input']],
};
const BRIDGE_PRIOS: Readonly<Record<string, [number, string[] | undefined]>> = {
  dstnat: [-300, ['prerouting']],
  filter: [-200, undefined],
  out: [100, ['output']],
  srcnat: [300, ['postrouting']],
};

const CHAIN_TYPES: Readonly<Record<string, readonly NftFamily[]>> = {
  filter: ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'],
  nat: ['ip', 'ip6', 'inet'],
  route: ['ip', 'ip6', 'inet'],
};

/** A priority: a number, or "srcnat", "filter + 10", "mangle - 5" for this family and hook. */
export function priority(family: NftFamily, hook: string, v: unknown, path: JsonPath): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) fail(path, v, 'must be a 32-bit integer');
    return v;
  }
  const m = typeof v === 'string' ? /^\s*([a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(v) : null;
  if (!m)
    return fail(
      path,
      v,
      'must be a number or a standard priority name (raw, mangle, dstnat, filter, security, srcnat; bridge: dstnat, filter, out, srcnat), optionally + or - a number',
    );
  const table = family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS;
  const std = table[m[1]!];
  if (!std) return fail(path, v, `names no standard priority of the ${family} family (${Object.keys(table).join(', ')})`);
  if (std[1] && !std[1].includes(hook)) fail(path, v, `is not valid in the ${hook} hook ('${m[1]}' is for ${std[1].join(' and ')})`);
  const off = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
  return std[0] + off;
}

function devices(v: unknown, path: JsonPath): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) fail(path, v, 'must name at least one device');
  return list.map((d, i) => {
    const p = Array.isArray(v) ? path.at(i) : path;
    if (typeof d !== 'string' || d.length === 0 || new TextEncoder().encode(d).length > 15)
      return fail(p, d, 'must be an interface name (1-15 bytes)');
    return d;
  });
}

function hookDevices(v: unknown, path: JsonPath): Record<string, unknown> {
  const devs = devices(v, path);
  return devs.length === 1 ? { dev: devs[0] } : { devs: { name: devs } };
}

/** newchain attributes: table, name, and for base chains type, policy, hook; then the comment. */
export function chainAttrs(family: NftFamily, body: JsonObject, path: JsonPath): Record<string, unknown> {
  const attrs: Record<string, unknown> = { table: body.table, name: body.name };
  const base = body.type !== undefined || body.hook !== undefined || body.prio !== undefined;
  if (base) {
    for (const k of ['type', 'hook', 'prio']) if (body[k] === undefined) failAt(path, `"${k}" is missing: a base chain needs type, hook and prio`);
    const type = oneOf(body.type, Object.keys(CHAIN_TYPES), path.key('type'), 'a chain type');
    if (!CHAIN_TYPES[type]!.includes(family)) failAt(path.key('type'), `${type} chains are not available in the ${family} family`);
    const hooks = HOOKS[family];
    const hook = oneOf(body.hook, Object.keys(hooks), path.key('hook'), `a hook of the ${family} family`);
    const prio = priority(family, hook, body.prio, path.key('prio'));
    const needsDev = family === 'netdev' || (family === 'inet' && hook === 'ingress');
    if (needsDev && body.dev === undefined) failAt(path, `"dev" is missing: a ${family} ${hook} chain hooks into a device`);
    if (!needsDev && body.dev !== undefined) failAt(path.key('dev'), `only netdev chains (and inet ingress chains) have devices`);
    attrs.type = type;
    if (body.policy !== undefined) attrs.policy = oneOf(body.policy, ['accept', 'drop'], path.key('policy'), 'a chain policy');
    attrs.hook = { hooknum: hooks[hook], priority: prio, ...(body.dev !== undefined && hookDevices(body.dev, path.key('dev'))) };
  } else {
    if (body.policy !== undefined) failAt(path.key('policy'), 'only base chains (with type, hook and prio) have a policy');
    if (body.dev !== undefined) failAt(path.key('dev'), 'only base chains (with type, hook and prio) have devices');
  }
  if (body.comment !== undefined) attrs.userdata = commentTlv(body.comment, path.key('comment'));
  return attrs;
}

export function commentTlv(v: unknown, path: JsonPath): Uint8Array {
  if (typeof v !== 'string') return fail(path, v, 'must be a string');
  if (new TextEncoder().encode(v).length > 127) fail(path, v, 'is longer than the 127 bytes nft keeps of a comment');
  return strTlv(0, v);
}

const TABLE_FLAGS: Readonly<Record<string, number>> = { dormant: 1, owner: 2, persist: 4 };

export function tableAttrs(body: JsonObject, path: JsonPath): Record<string, unknown> {
  const flags = body.flags === undefined ? 0 : flagBits(body.flags, TABLE_FLAGS, path.key('flags'), 'a table flag');
  return { name: body.name, flags, ...(body.comment !== undefined && { userdata: commentTlv(body.comment, path.key('comment')) }) };
}

const uint = (o: JsonObject, k: string, path: JsonPath, dflt: bigint): bigint => {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(path.key(k), v, 'must be a non-negative integer');
  return BigInt(v);
};

const PER: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };

/** newobj attributes of a counter, quota or limit object. */
export function objectAttrs(kind: string, body: JsonObject, path: JsonPath): Record<string, unknown> {
  let data: Record<string, unknown>;
  const inv =
    body.inv === undefined ? false : body.inv === true ? true : body.inv === false ? false : fail(path.key('inv'), body.inv, 'must be true or false');
  if (kind === 'counter') data = { bytes: uint(body, 'bytes', path, 0n), packets: uint(body, 'packets', path, 0n) };
  else if (kind === 'quota') data = { bytes: uint(body, 'bytes', path, 0n), consumed: uint(body, 'used', path, 0n), flags: inv ? 1 : 0 };
  else {
    if (body.rate === undefined) failAt(path, '"rate" is missing');
    const per = body.per === undefined ? 'second' : oneOf(body.per, Object.keys(PER), path.key('per'), 'a time unit');
    const unit = body.unit === undefined ? 'packets' : oneOf(body.unit, ['packets', 'bytes'], path.key('unit'), 'a limit unit');
    const burst = uint(body, 'burst', path, 0n);
    data = {
      rate: uint(body, 'rate', path, 0n),
      unit: BigInt(PER[per]!),
      burst: Number(burst),
      type: unit === 'bytes' ? 'pkt-bytes' : 'pkts',
      flags: inv ? 1 : 0,
    };
  }
  return {
    table: body.table,
    name: body.name,
    type: kind,
    data,
    ...(body.comment !== undefined && { userdata: commentTlv(body.comment, path.key('comment')) }),
  };
}

/** newflowtable attributes: the ingress hook, its priority and devices. */
export function flowtableAttrs(family: NftFamily, body: JsonObject, path: JsonPath): Record<string, unknown> {
  const hook = body.hook === undefined ? 'ingress' : oneOf(body.hook, ['ingress'], path.key('hook'), 'a flowtable hook');
  if (body.prio === undefined) failAt(path, '"prio" is missing (the flowtable\'s priority)');
  if (body.dev === undefined) failAt(path, '"dev" is missing (the devices the flowtable offloads)');
  const prio = priority(family === 'bridge' ? 'bridge' : 'netdev', 'ingress', body.prio, path.key('prio'));
  void hook;
  return { table: body.table, name: body.name, hook: { num: 0, priority: prio, devs: { name: devices(body.dev, path.key('dev')) } } };
}

export { isObject };
