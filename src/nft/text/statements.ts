/**
 * Statements of a rule printed as nft 1.0.6 prints them (statement.c and the statement printers of
 * ct.c, meta.c, payload.c...). A statement nft -j could not express in JSON is a plain string in the
 * document (nft prints its text there), and is printed as it is.
 */
import { exprType } from './datatypes.js';
import { type TypeName, expr, kindOf, mapData, match } from './expressions.js';
import { counterText, quotaText, rate } from './stateful.js';
import { type XtContext, xtText } from './xt.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

/** What a statement's printing depends on beyond itself. */
export interface StatementContext extends XtContext {
  /** counters and quotas without their numbers (inside set statements and set declarations) */
  stateless?: boolean;
}

/** Named stateful objects a statement can refer to, and the words nft prints before the name. */
const OBJREF: Record<string, string> = {
  counter: 'counter name',
  quota: 'quota name',
  limit: 'limit name',
  synproxy: 'synproxy name',
  'ct helper': 'ct helper set',
  'ct timeout': 'ct timeout set',
  'ct expectation': 'ct expectation set',
  secmark: 'meta secmark set',
};

/** One statement of a rule. */
export function statement(s: unknown, ctx: StatementContext): string {
  if (typeof s === 'string') return s;
  const kind = kindOf(s);
  if (kind === undefined) return '';
  const b = (s as Obj)[kind];
  if (kind in OBJREF && (typeof b === 'string' || (b !== null && typeof b === 'object' && 'map' in b))) {
    return `${OBJREF[kind]} ${expr(b, 'string')}`;
  }
  switch (kind) {
    case 'match':
      return match(b);
    case 'counter':
      return counterText(b, ctx.stateless === true);
    case 'quota':
      return quotaText(b, ctx.stateless === true);
    case 'limit':
      return `limit ${rate(b)}`;
    case 'log':
      return log(b ?? {});
    case 'reject':
      return reject(b ?? {}, ctx.family);
    case 'snat':
    case 'dnat':
    case 'masquerade':
    case 'redirect':
      return nat(kind, b ?? {});
    case 'mangle':
      return `${expr(b.key)} set ${expr(b.value, exprType(b.key))}`;
    case 'vmap':
      return `${expr(b.key)} vmap ${mapData(b.data, exprType(b.key), 'verdict')}`;
    default:
      return other(kind, b, ctx);
  }
}

function other(kind: string, b: Obj, ctx: StatementContext): string {
  switch (kind) {
    case 'notrack':
      return 'notrack';
    case 'dup':
      // netdev: the destination is a device
      if (b === null) return 'dup';
      if (b.dev === undefined) return `dup to ${expr(b.addr, ctx.family === 'netdev' ? 'ifname' : undefined)}`;
      return `dup to ${expr(b.addr)} device ${expr(b.dev, 'ifname')}`;
    case 'fwd':
      return b.addr === undefined ? `fwd to ${expr(b.dev, 'ifname')}` : `fwd ${b.family ?? 'ip'} to ${expr(b.addr)} device ${expr(b.dev, 'ifname')}`;
    case 'set':
    case 'map':
      return dynset(kind, b);
    case 'ct count':
      return `ct count ${b.inv ? 'over ' : ''}${b.val}`;
    case 'synproxy':
      return synproxy(b ?? {});
    case 'meter':
      return `meter ${b.name !== undefined ? `${b.name} ` : ''}size ${b.size} { ${expr(b.key)} ${statement(b.stmt, { ...ctx, stateless: true })} }`;
    case 'queue':
      return queue(b ?? {});
    case 'tproxy':
      return tproxy(b);
    case 'flow':
      return `flow ${b.op} ${b.flowtable}`;
    case 'reset':
      return `reset ${expr(b)}`;
    case 'xt':
      return xtText(b, ctx);
    default:
      return expr({ [kind]: b });
  }
}

function log(b: Obj): string {
  let out = 'log';
  if (b.prefix !== undefined) out += ` prefix "${b.prefix}"`;
  if (b.group !== undefined) out += ` group ${b.group}`;
  if (b.snaplen !== undefined) out += ` snaplen ${b.snaplen}`;
  if (b['queue-threshold'] !== undefined) out += ` queue-threshold ${b['queue-threshold']}`;
  if (b.level !== undefined && b.level !== 'warn') out += ` level ${b.level}`;
  const flags: string[] = [b.flags ?? []].flat();
  if (flags.includes('all')) return `${out} flags all`;
  const tcp = ['sequence', 'options'].filter((f) => flags.includes(`tcp ${f}`));
  if (tcp.length > 0) out += ` flags tcp ${tcp.join(',')}`;
  for (const f of ['ip options', 'skuid', 'ether']) if (flags.includes(f)) out += ` flags ${f}`;
  return out;
}

/**
 * The default reject (port unreachable) prints as plain `reject` (statement.c reject_stmt_print); in
 * inet, bridge and netdev tables an icmp or icmpv6 reject always names its code (verbose_print).
 */
function reject(b: Obj, family: string): string {
  if (b.type === undefined) return 'reject';
  if (b.type === 'tcp reset') return 'reject with tcp reset';
  const verbose = b.type !== 'icmpx' && family !== 'ip' && family !== 'ip6';
  if (b.expr === undefined || (b.expr === 'port-unreachable' && !verbose)) return 'reject';
  return `reject with ${b.type} ${expr(b.expr)}`;
}

function nat(kind: string, b: Obj): string {
  let out = kind;
  const hasAddr = b.addr !== undefined;
  const hasPort = b.port !== undefined;
  if (hasAddr || hasPort) {
    if (b.family === 'ip' || b.family === 'ip6') out += ` ${b.family}`;
    if ([b.type_flags ?? []].flat().includes('prefix')) out += ' prefix';
    out += ' to';
  }
  if (hasAddr) out += ` ${natAddress(b.addr, hasPort)}`;
  if (hasPort) out += `${hasAddr ? '' : ' '}:${expr(b.port, 'inet_service')}`;
  const flags = ['random', 'fully-random', 'persistent'].filter((f) => [b.flags ?? []].flat().includes(f));
  if (flags.length > 0) out += ` ${flags.join(',')}`;
  return out;
}

/** An IPv6 address followed by a port is bracketed: `[::1]:80`, `[::1]-[::2]:80`. */
function natAddress(addr: unknown, withPort: boolean): string {
  if (withPort && typeof addr === 'string' && addr.includes(':')) return `[${addr}]`;
  const r = (addr as Obj | null)?.range;
  if (withPort && Array.isArray(r) && typeof r[0] === 'string' && r[0].includes(':')) return `[${r[0]}]-[${r[1]}]`;
  return expr(addr);
}

/** Dynamic set and map updates: `add @s { ip saddr limit rate 10/second }`, `update @m { ip saddr : 0x1 }`. */
function dynset(kind: string, b: Obj): string {
  const ref = kind === 'set' ? b.set : b.map;
  let inner = expr(b.elem);
  for (const st of [b.stmt ?? []].flat()) inner += ` ${statement(st, { family: '', stateless: true })}`;
  if (kind === 'map') inner += ` : ${expr(b.data)}`;
  return `${b.op} ${ref} { ${inner} }`;
}

function synproxy(b: Obj): string {
  const flags: string[] = [b.flags ?? []].flat();
  const ts = flags.includes('timestamp') ? ' timestamp' : '';
  const sack = flags.includes('sack-perm') ? ' sack-perm' : '';
  let head = 'synproxy';
  if (b.mss !== undefined) head += ` mss ${b.mss}`;
  if (b.wscale !== undefined) head += ` wscale ${b.wscale}`;
  return `${head}${ts}${sack}`;
}

function queue(b: Obj): string {
  const flags = ['bypass', 'fanout'].filter((f) => [b.flags ?? []].flat().includes(f));
  const num: TypeName = 'integer';
  return `queue${flags.length > 0 ? ` flags ${flags.join(',')}` : ''} to ${b.num === undefined ? '0' : expr(b.num, num)}`;
}

function tproxy(b: Obj): string {
  let out = `tproxy${b.family ? ` ${b.family}` : ''} to`;
  if (b.addr !== undefined) out += ` ${typeof b.addr === 'string' && b.addr.includes(':') ? `[${b.addr}]` : expr(b.addr)}`;
  if (b.port !== undefined) out += `${b.addr === undefined ? ' ' : ''}:${expr(b.port)}`;
  return out;
}
