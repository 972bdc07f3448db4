/**
 * Tables, chains, stateful objects and flowtables -> JSON, as nft 1.0.6 prints them (src/json.c with
 * src/netlink.c's delinearize_table / _chain / _obj / _flowtable): keys in nft's order, priorities and
 * policies as numbers and names, ct timeout policies as the states that differ from the defaults.
 */
import { type Attrs, IP_PROTO, NFPROTO_ENUM, OBJECT_TYPE, TABLE_FLAGS, VERDICT, big, bytes, listElems, nest, num, s32 } from './attr-values.js';
import { type JsonValue, protocolName } from './datatypes.js';
import { family2str } from './expr-json.js';
import { parseUdata, udataString } from './sets.js';

type Obj = { [k: string]: JsonValue };

/** hooknum2str. */
export function hookName(family: number, hook: number): string {
  switch (family) {
    case 2:
    case 10:
    case 1:
    case 7:
      return ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'][hook] ?? 'unknown';
    case 3:
      return ['input', 'output', 'forward'][hook] ?? 'unknown';
    case 5:
      return ['ingress', 'egress'][hook] ?? 'unknown';
    default:
      return 'unknown';
  }
}

function comment(a: Attrs): string | undefined {
  return udataString(parseUdata(bytes(a.userdata)).get(0));
}

/** Numbers nft prints: handles are u64 on the wire, plain JSON numbers in nft's output. */
function handleOf(a: Attrs): number {
  return Number(big(a.handle) ?? 0n);
}

export function tableJson(family: number, a: Attrs): JsonValue {
  const root: Obj = { family: family2str(family), name: String(a.name ?? ''), handle: handleOf(a) };
  const flags = TABLE_FLAGS.flags(a.flags);
  const names = ['dormant', 'owner', 'persist'];
  const list: JsonValue[] = [];
  for (let i = 0; i < 32; i++) if (flags & (1 << i)) list.push(names[i] ?? 'unknown');
  if (list.length === 1) root.flags = list[0]!;
  else if (list.length > 1) root.flags = list;
  return { table: root };
}

export function chainJson(family: number, a: Attrs): JsonValue {
  const root: Obj = { family: family2str(family), table: String(a.table ?? ''), name: String(a.name ?? ''), handle: handleOf(a) };
  const hook = nest(a.hook);
  if (hook.hooknum !== undefined && hook.priority !== undefined && a.type !== undefined && a.policy !== undefined) {
    const policy = VERDICT.num(a.policy) ?? 1;
    root.type = String(a.type);
    root.hook = hookName(family, num(hook.hooknum) ?? 0);
    root.prio = s32(num(hook.priority) ?? 0);
    root.policy = policy === 1 ? 'accept' : policy === 0 ? 'drop' : 'unknown';
  }
  return { chain: root };
}

/** Devices of a hook: NFTA_HOOK_DEV, or the NFTA_HOOK_DEVS list, sorted as nft sorts them. */
export function hookDevices(hook: Attrs): string[] {
  const devs = nest(hook.devs);
  let list: unknown[] = [];
  if (Array.isArray(devs.name)) list = devs.name;
  else if (devs.name !== undefined) list = [devs.name];
  else list = listElems(hook.devs);
  if (list.length === 0 && typeof hook.dev === 'string') list = [hook.dev];
  return list.map(String).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

export function flowtableJson(family: number, a: Attrs): JsonValue {
  const hook = nest(a.hook);
  const root: Obj = {
    family: family2str(family),
    name: String(a.name ?? ''),
    table: String(a.table ?? ''),
    handle: handleOf(a),
    hook: hookName(5, num(hook.num) ?? 0),
    prio: s32(num(hook.priority) ?? 0),
  };
  const devs = hookDevices(hook);
  if (devs.length === 1) root.dev = devs[0]!;
  else if (devs.length > 1) root.dev = devs;
  return { flowtable: root };
}

const DATA_UNITS = ['bytes', 'kbytes', 'mbytes'];
function getRate(v: bigint): [number, string] {
  let x = v;
  let i = 0;
  // nft 1.0.6 prints 0 as bytes (the loop would divide 0 up to mbytes)
  if (x === 0n) return [0, 'bytes'];
  for (; i + 1 < DATA_UNITS.length; i++) {
    if (x % 1024n) break;
    x /= 1024n;
  }
  return [Number(x), DATA_UNITS[i]!];
}

const UNITS: Record<string, string> = { '1': 'second', '60': 'minute', '3600': 'hour', '86400': 'day', '604800': 'week' };

function protoJson(v: unknown): JsonValue {
  const n = IP_PROTO.num(v) ?? 0;
  return protocolName(n) ?? n;
}

/** nft's conntrack timeout tables: state names (in attribute order) and default seconds. */
const CT_TIMEOUTS: Record<number, { names: string[]; defaults: number[] }> = {
  6: {
    names: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unack'],
    defaults: [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300],
  },
  17: { names: ['unreplied', 'replied'], defaults: [30, 120] },
  136: { names: ['unreplied', 'replied'], defaults: [30, 120] },
  1: { names: ['timeout'], defaults: [30] },
  58: { names: ['timeout'], defaults: [30] },
  47: { names: ['unreplied', 'replied'], defaults: [30, 180] },
  33: { names: ['request', 'respond', 'partopen', 'open', 'closereq', 'closing', 'timewait'], defaults: [240, 240, 480, 43200, 64, 64, 240] },
  132: {
    names: [
      'closed',
      'cookie_wait',
      'cookie_echoed',
      'established',
      'shutdown_sent',
      'shutdown_recd',
      'shutdown_ack_sent',
      'heartbeat_sent',
      'heartbeat_acked',
    ],
    defaults: [10, 3, 3, 432000, 3, 3, 3, 30, 210],
  },
};

function timeoutPolicy(l4: number, data: Attrs): JsonValue {
  const table = CT_TIMEOUTS[l4];
  if (!table) return null;
  const values = Object.entries(data)
    .filter(([k]) => k !== 'unknown')
    .map(([, v]) => num(v) ?? 0);
  const root: Obj = {};
  table.names.forEach((name, i) => {
    const v = values[i];
    if (v === undefined || v === table.defaults[i]) return;
    root[name] = v;
  });
  return Object.keys(root).length ? root : null;
}

const OBJ_NAMES: Record<number, string> = {
  1: 'counter',
  2: 'quota',
  3: 'ct helper',
  4: 'limit',
  7: 'ct timeout',
  8: 'secmark',
  9: 'ct expectation',
  10: 'synproxy',
};

/** A stateful object, or undefined for types nft 1.0.6 does not list (connlimit, tunnel). */
export function objJson(family: number, a: Attrs): JsonValue | undefined {
  const type = OBJECT_TYPE.num(a.type) ?? 0;
  const name = OBJ_NAMES[type];
  if (!name) return undefined;
  const root: Obj = { family: family2str(family), name: String(a.name ?? ''), table: String(a.table ?? ''), handle: handleOf(a) };
  const c = comment(a);
  if (c !== undefined) root.comment = c;
  const d = nest(a.data);
  switch (type) {
    case 1:
      root.packets = Number(big(d.packets) ?? 0n);
      root.bytes = Number(big(d.bytes) ?? 0n);
      break;
    case 2:
      root.bytes = Number(big(d.bytes) ?? 0n);
      root.used = Number(big(d.consumed) ?? 0n);
      root.inv = ((num(d.flags) ?? (Array.isArray(d.flags) && d.flags.includes('inv') ? 1 : 0)) & 1) !== 0;
      break;
    case 8:
      root.context = String(d.ctx ?? '');
      break;
    case 3:
      root.type = String(d.name ?? '');
      root.protocol = protoJson(d.l4proto);
      root.l3proto = family2str(NFPROTO_ENUM.num(d.l3proto) ?? 0);
      break;
    case 7: {
      const l4 = IP_PROTO.num(d.l4proto) ?? 0;
      root.protocol = protoJson(d.l4proto);
      root.l3proto = family2str(NFPROTO_ENUM.num(d.l3proto) ?? 0);
      root.policy = timeoutPolicy(l4, nest(d.data));
      break;
    }
    case 9:
      root.protocol = protoJson(d.l4proto);
      root.dport = num(d.dport) ?? 0;
      root.timeout = num(d.timeout) ?? 0;
      root.size = num(d.size) ?? 0;
      root.l3proto = family2str(NFPROTO_ENUM.num(d.l3proto) ?? 0);
      break;
    case 4: {
      const bytesType = (num(d.type) ?? (d.type === 'pkt-bytes' ? 1 : 0)) === 1;
      let rate: number = Number(big(d.rate) ?? 0n);
      let burst: number = num(d.burst) ?? 0;
      let rateUnit: string | undefined;
      let burstUnit: string | undefined;
      if (bytesType) {
        [rate, rateUnit] = getRate(big(d.rate) ?? 0n);
        [burst, burstUnit] = getRate(BigInt(num(d.burst) ?? 0));
      }
      root.rate = rate;
      root.per = UNITS[String(big(d.unit) ?? 0n)] ?? 'error';
      const flags = num(d.flags) ?? (Array.isArray(d.flags) && d.flags.includes('inv') ? 1 : 0);
      if (flags & 1) root.inv = true;
      if (rateUnit) root.rate_unit = rateUnit;
      if (burst) {
        root.burst = burst;
        if (burstUnit) root.burst_unit = burstUnit;
      }
      break;
    }
    case 10: {
      root.mss = num(d.mss) ?? 0;
      root.wscale = num(d.wscale) ?? 0;
      const f = synproxyFlags(d.flags);
      const flags: JsonValue[] = [];
      if (f & 0x8) flags.push('timestamp');
      if (f & 0x4) flags.push('sack-perm');
      if (flags.length) root.flags = flags;
      break;
    }
    default:
      break;
  }
  return { [name]: root };
}

function synproxyFlags(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) {
    const bits: Record<string, number> = { mss: 1, wscale: 2, 'sack-perm': 4, timestamp: 8, ecn: 16 };
    return v.reduce<number>((acc, x) => acc | (typeof x === 'number' ? x : (bits[String(x)] ?? 0)), 0);
  }
  return 0;
}

export { comment as userdataComment };
