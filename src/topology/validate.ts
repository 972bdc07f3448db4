/**
 * A topology file's checks, all before anything changes: unknown keys, types, namespace names
 * (they become /run/netns paths), link kinds, addresses, route fields (the routes API's own checks),
 * sysctl keys (src/netns/sysctl.ts: under /proc/sys/net only) and references inside the file
 * (master, lower link, peer namespace). References to links that already exist on the host are
 * checked by the plan, which reads them. Every error names the entry: namespaces.c1.links[0].mtu.
 */
import { existsSync } from 'node:fs';
import { linkKinds } from '../../protocol/rt-link-kinds.js';
import { buildRouteMessage } from '../api/route-message.js';
import { checkIfname, checkInt, parseMac, parsePrefix } from '../api/validate.js';
import { describeValue, isInvalidArgumentError } from '../errors/index.js';
import { sysctlPath } from '../netns/sysctl.js';
import { NETNS_RUN_DIR } from '../netns/target.js';
import { madeForFile, topologyFileError } from './errors.js';
import { entryTables } from './nft-tables.js';
import {
  CURRENT_NETNS,
  type TopologyAddress,
  type TopologyFile,
  type TopologyLink,
  type TopologyNamespace,
  type TopologyPeer,
  type TopologyRoute,
} from './types.js';

export interface ValidateOptions {
  /** Whether a namespace the file does not declare exists on the host (a veth peer's netns). Default: /run/netns/NAME exists. */
  netnsExists?: (name: string) => boolean;
}

/** Kinds a file may create: the spec's (with kind data) and a few that take none. */
export const TOPOLOGY_KINDS: readonly string[] = [...Object.keys(linkKinds), 'dummy', 'ifb', 'bond'];
/** Kinds other links may name as master. */
const MASTER_KINDS = new Set(['bridge', 'bond']);
/** Kinds whose kind data the spec decodes (others take none). */
const KINDS_WITH_DATA = new Set(Object.keys(linkKinds));

const TOP_KEYS = ['namespaces'];
const NS_KEYS = ['sysctl', 'links', 'routes', 'nftables'];
const END_KEYS = ['master', 'up', 'mtu', 'addresses', 'address', 'txqlen'];
const LINK_KEYS = ['name', 'kind', 'data', 'alias', 'group', 'attrs', 'link', 'peer', ...END_KEYS];
/** A link entry without `kind` configures a link that exists (lo, a NIC): it is not created. */
const EXISTING_LINK_KEYS = ['name', 'alias', 'group', ...END_KEYS];
const PEER_KEYS = ['name', 'netns', ...END_KEYS];
const ADDRESS_KEYS = ['cidr', 'label', 'broadcast', 'anycast', 'peer', 'scope', 'validLifetime', 'preferredLifetime', 'flags', 'metric', 'proto'];
/** What routes.add takes (RouteInput). */
const ROUTE_KEYS = ['dst', 'family', 'gateway', 'via', 'dev', 'prefsrc', 'src', 'metric', 'table', 'scope', 'protocol', 'type', 'tos'].concat([
  'multipath',
  'mtu',
  'advmss',
  'hoplimit',
  'metrics',
  'onlink',
  'pref',
  'expires',
]);

/**
 * IFLA_* attributes the entry sets itself: given in `attrs` they would make the link another one than
 * the file names (another name, kind or master) or put it in another namespace, behind the plan's back.
 */
const OWN_ATTRS = ['ifname', 'linkinfo', 'master', 'netNsPid', 'netNsFd', 'targetNetnsid', 'linkNetnsid', 'newNetnsid', 'newIfindex'];

/** Namespace names that are safe as /run/netns file names and in messages. */
const SAFE_NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const NETNS_NAME_MAX = 255;

/** `.c1` or `["."]`: a key as a path shows it. */
export function keyPath(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

export function nsPath(ns: string): string {
  return `namespaces${keyPath(ns)}`;
}

/** A namespace name a file may create or name: '.', or a safe name (letters, digits, _ . -). */
export function checkNamespaceName(name: string, path: string): string {
  if (name === CURRENT_NETNS) return name;
  if (!SAFE_NETNS.test(name) || Buffer.byteLength(name) > NETNS_NAME_MAX || name === '__proto__') {
    throw topologyFileError(
      path,
      name,
      `namespace name ${describeValue(name)} is not allowed: use letters, digits, '_', '.' and '-' (not first), ` +
        `at most ${NETNS_NAME_MAX} bytes, or '.' for the current namespace`,
    );
  }
  return name;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function object(v: unknown, path: string, hint: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw topologyFileError(path, v, `must be an object (${hint})`);
  return v;
}

function array(v: unknown, path: string, hint: string): unknown[] {
  if (!Array.isArray(v)) throw topologyFileError(path, v, `must be a list (${hint})`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, path: string, allowed: readonly string[], why = ''): void {
  for (const k of Object.keys(o)) {
    const at = path ? `${path}${keyPath(k)}` : k;
    if (!allowed.includes(k)) throw topologyFileError(at, o[k], `unknown key${why}; expected one of ${allowed.join(', ')}`);
  }
}

/** Runs an API check and rewrites its InvalidArgumentError to name the entry's path. */
function checked<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isInvalidArgumentError(err) || madeForFile(err)) throw err;
    const head = `invalid ${err.argument} ${describeValue(err.value)}: `;
    const reason = err.message.startsWith(head) ? err.message.slice(head.length) : err.message;
    const where = err.argument.startsWith(path) ? err.argument : path;
    throw topologyFileError(where, err.value, reason);
  }
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw topologyFileError(path, v, 'must be true or false');
  return v as boolean | undefined;
}

function u32(v: unknown, path: string, min = 0): number | undefined {
  return v === undefined ? undefined : checked(path, () => checkInt(v, path, min, 0xffffffff));
}

function ifname(v: unknown, path: string): string {
  return checked(path, () => checkIfname(v, path));
}

/** 'ADDR/LEN' in the form the kernel lists it (a bare address is a host prefix, as ip reads it). */
export function canonicalCidr(v: unknown, path: string): string {
  const p = checked(path, () => parsePrefix(v, path));
  return `${p.address}/${p.prefixlen}`;
}

function address(v: unknown, path: string): TopologyAddress {
  if (typeof v === 'string') return canonicalCidr(v, path);
  const o = object(v, path, 'a CIDR like 10.0.0.1/24, or { cidr, label, scope, ... }');
  onlyKeys(o, path, ADDRESS_KEYS);
  if (o.label !== undefined && typeof o.label !== 'string') throw topologyFileError(`${path}.label`, o.label, 'must be a string');
  if (o.flags !== undefined) array(o.flags, `${path}.flags`, 'flag names like nodad');
  if (o.metric !== undefined) u32(o.metric, `${path}.metric`);
  return { ...(o as Exclude<TopologyAddress, string>), cidr: canonicalCidr(o.cidr, `${path}.cidr`) };
}

function addresses(v: unknown, path: string): TopologyAddress[] | undefined {
  if (v === undefined) return undefined;
  const out = array(v, path, 'CIDRs like 10.0.0.1/24').map((a, i) => address(a, `${path}[${i}]`));
  const seen = new Set<string>();
  out.forEach((a, i) => {
    const cidr = typeof a === 'string' ? a : a.cidr;
    if (seen.has(cidr)) throw topologyFileError(`${path}[${i}]`, cidr, 'is listed twice');
    seen.add(cidr);
  });
  return out;
}

/** master, up, mtu, addresses, address, txqlen: what both ends of a veth take. */
function endOptions(o: Record<string, unknown>, path: string): Partial<TopologyPeer> {
  const out: Partial<TopologyPeer> = {};
  if (o.master !== undefined) out.master = ifname(o.master, `${path}.master`);
  if (o.up !== undefined) out.up = bool(o.up, `${path}.up`);
  if (o.mtu !== undefined) out.mtu = u32(o.mtu, `${path}.mtu`, 1);
  if (o.txqlen !== undefined) out.txqlen = u32(o.txqlen, `${path}.txqlen`);
  if (o.address !== undefined) out.address = checked(`${path}.address`, () => parseMac(o.address, `${path}.address`));
  const addrs = addresses(o.addresses, `${path}.addresses`);
  if (addrs) out.addresses = addrs;
  return out;
}

function link(v: unknown, path: string, ns: string, namespaces: ReadonlySet<string>, o2: ValidateOptions): TopologyLink {
  const o = object(v, path, 'a link like { name: br0, kind: bridge }');
  const name = ifname(o.name, `${path}.name`);
  const kind = o.kind;
  if (kind === undefined) onlyKeys(o, path, EXISTING_LINK_KEYS, ' for a link without kind (one that exists: lo, a NIC)');
  else onlyKeys(o, path, LINK_KEYS);
  if (kind !== undefined && (typeof kind !== 'string' || !TOPOLOGY_KINDS.includes(kind))) {
    throw topologyFileError(`${path}.kind`, kind, `unknown link kind; supported: ${TOPOLOGY_KINDS.join(', ')}`);
  }
  const out = { name, ...endOptions(o, path) } as TopologyLink;
  if (kind !== undefined) out.kind = kind as string;
  if (o.data !== undefined) {
    if (!KINDS_WITH_DATA.has(kind as string)) throw topologyFileError(`${path}.data`, o.data, `a ${String(kind)} link takes no kind data`);
    out.data = object(o.data, `${path}.data`, 'kind data by spec attribute name, like { stpState: 0 }') as TopologyLink['data'];
  }
  if (o.attrs !== undefined) {
    const attrs = object(o.attrs, `${path}.attrs`, 'IFLA_* attributes by spec name');
    for (const k of Object.keys(attrs)) {
      if (OWN_ATTRS.includes(k))
        throw topologyFileError(`${path}.attrs.${k}`, attrs[k], 'is set by the entry itself (its name, kind, master, namespace)');
    }
    out.attrs = attrs as TopologyLink['attrs'];
  }
  if (o.alias !== undefined) {
    if (typeof o.alias !== 'string' || Buffer.byteLength(o.alias) > 255)
      throw topologyFileError(`${path}.alias`, o.alias, 'must be a string of at most 255 bytes');
    out.alias = o.alias;
  }
  if (o.group !== undefined) out.group = u32(o.group, `${path}.group`);
  if (o.link !== undefined) out.link = ifname(o.link, `${path}.link`);
  if (o.peer !== undefined) {
    if (kind !== 'veth') throw topologyFileError(`${path}.peer`, o.peer, 'only a veth has a peer');
    out.peer = peer(o.peer, `${path}.peer`, ns, namespaces, o2);
  } else if (kind === 'veth') {
    throw topologyFileError(`${path}.peer`, undefined, 'a veth needs its peer: { name, netns }');
  }
  return out;
}

function peer(v: unknown, path: string, ns: string, namespaces: ReadonlySet<string>, o2: ValidateOptions): TopologyPeer {
  const o = object(v, path, 'the other end of the veth: { name, netns, master, up, addresses }');
  onlyKeys(o, path, PEER_KEYS);
  const out = { name: ifname(o.name, `${path}.name`), ...endOptions(o, path) } as TopologyPeer;
  const where = o.netns === undefined ? ns : o.netns;
  if (typeof where !== 'string')
    throw topologyFileError(`${path}.netns`, where, "must be a namespace name (a key of namespaces, a namespace on the host, or '.')");
  checkNamespaceName(where, `${path}.netns`);
  const exists = o2.netnsExists ?? ((n: string) => existsSync(`${NETNS_RUN_DIR}/${n}`));
  if (!namespaces.has(where) && where !== CURRENT_NETNS && !exists(where)) {
    throw topologyFileError(`${path}.netns`, where, 'no such namespace in the file or on the host');
  }
  out.netns = where;
  return out;
}

function route(v: unknown, path: string): TopologyRoute {
  const o = object(v, path, 'a route like { dst: default, gateway: 10.0.0.1 }');
  onlyKeys(o, path, ROUTE_KEYS);
  // The routes API's own checks, without sending: device names stay names (checked against the file later).
  checked(path, () => buildRouteMessage(o as unknown as TopologyRoute, 'add', `${path}.`));
  if (o.dev !== undefined && typeof o.dev !== 'string') throw topologyFileError(`${path}.dev`, o.dev, 'must be a link name');
  return o as unknown as TopologyRoute;
}

function sysctls(v: unknown, path: string): Record<string, string | number | boolean> {
  const o = object(v, path, 'net.* keys and their values, like net.ipv4.ip_forward: 1');
  const out: Record<string, string | number | boolean> = {};
  for (const [k, val] of Object.entries(o)) {
    const p = `${path}${keyPath(k)}`;
    const { key } = checked(p, () => sysctlPath(k));
    if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') {
      throw topologyFileError(p, val, 'must be a number, a string or true/false');
    }
    if (typeof val === 'string' && val.includes('\0')) throw topologyFileError(p, val, 'must not contain NUL');
    if (Object.hasOwn(out, key)) throw topologyFileError(p, k, `is ${key}, given twice`);
    out[key] = val;
  }
  return out;
}

function namespace(v: unknown, ns: string, namespaces: ReadonlySet<string>, o2: ValidateOptions): TopologyNamespace {
  const path = nsPath(ns);
  if (v === null || v === undefined) return {};
  const o = object(v, path, 'with sysctl, links, routes, nftables');
  onlyKeys(o, path, NS_KEYS);
  const out: TopologyNamespace = {};
  if (o.sysctl !== undefined && o.sysctl !== null) out.sysctl = sysctls(o.sysctl, `${path}.sysctl`);
  if (o.links !== undefined && o.links !== null) {
    out.links = array(o.links, `${path}.links`, 'link entries').map((l, i) => link(l, `${path}.links[${i}]`, ns, namespaces, o2));
  }
  if (o.routes !== undefined && o.routes !== null) {
    out.routes = array(o.routes, `${path}.routes`, 'route entries').map((r, i) => route(r, `${path}.routes[${i}]`));
  }
  if (o.nftables !== undefined && o.nftables !== null) {
    out.nftables = array(o.nftables, `${path}.nftables`, 'libnftables JSON commands').map((c, i) =>
      object(c, `${path}.nftables[${i}]`, 'a libnftables JSON command like { add: { table: { family: inet, name: nat } } }'),
    );
    entryTables(out.nftables, `${path}.nftables`); // whole tables: every command on a table the entry adds
  }
  return out;
}

/** Where each link name of a namespace is declared: by a link entry or as a veth's peer. */
export interface Declared {
  path: string;
  /** The kind, when the file creates it (a peer is a veth). */
  kind?: string;
}

/** Every link the file declares, per namespace (peers in their own namespace); duplicates refused. */
export function declaredLinks(file: TopologyFile): Map<string, Map<string, Declared>> {
  const all = new Map<string, Map<string, Declared>>();
  const add = (ns: string, name: string, d: Declared) => {
    let m = all.get(ns);
    if (!m) all.set(ns, (m = new Map()));
    const before = m.get(name);
    if (before) throw topologyFileError(d.path, name, `link ${name} in ${ns} is declared twice (first at ${before.path})`);
    m.set(name, d);
  };
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    spec.links?.forEach((l, i) => {
      const path = `${nsPath(ns)}.links[${i}]`;
      add(ns, l.name, l.kind === undefined ? { path } : { path, kind: l.kind });
      if (l.peer) add(l.peer.netns ?? ns, l.peer.name, { path: `${path}.peer`, kind: 'veth' });
    });
  }
  return all;
}

/** In-file references: a master that the file declares must be a bridge or bond. */
function checkReferences(file: TopologyFile): void {
  const declared = declaredLinks(file);
  const checkMaster = (ns: string, master: string | undefined, path: string) => {
    const d = master === undefined ? undefined : declared.get(ns)?.get(master);
    if (d?.kind !== undefined && !MASTER_KINDS.has(d.kind)) {
      throw topologyFileError(path, master, `${master} is a ${d.kind} (declared at ${d.path}); a master is a ${[...MASTER_KINDS].join(' or ')}`);
    }
  };
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    spec.links?.forEach((l, i) => {
      const path = `${nsPath(ns)}.links[${i}]`;
      if (l.master === l.name) throw topologyFileError(`${path}.master`, l.master, 'a link cannot be its own master');
      checkMaster(ns, l.master, `${path}.master`);
      if (l.peer?.master === l.peer?.name && l.peer) throw topologyFileError(`${path}.peer.master`, l.peer.master, 'a link cannot be its own master');
      if (l.peer) checkMaster(l.peer.netns ?? ns, l.peer.master, `${path}.peer.master`);
    });
  }
}

/** A parsed file (from YAML or JSON, or an object built by a program), checked and normalised. */
export function validateTopology(value: unknown, options: ValidateOptions = {}): TopologyFile {
  const top = object(value, '', 'a topology: { namespaces: { NAME: { links, routes, sysctl, nftables } } }');
  onlyKeys(top, '', TOP_KEYS);
  const nss = object(top.namespaces, 'namespaces', 'namespace names and what each holds');
  const names = Object.keys(nss);
  for (const n of names) checkNamespaceName(n, nsPath(n));
  const known = new Set(names);
  const namespaces = Object.fromEntries(names.map((n) => [n, namespace(nss[n], n, known, options)]));
  const file: TopologyFile = { namespaces };
  checkReferences(file);
  return file;
}
