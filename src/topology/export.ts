/**
 * exportTopology: the namespaces as they are, as a topology file that `apply` takes (links with
 * their addresses, veth pairs once from one end, routes, the net.* sysctls that differ from a new
 * namespace's, and the nftables ruleset). Export, destroy, apply:
 * the same state again (test/integration/topology-export.test.ts).
 */
import type { NetlinkClient } from '../api/client.js';
import { isNotFoundError } from '../errors/index.js';
import { addNetns, deleteNetns } from '../netns/manage.js';
import { type SysctlOptions, sysctl } from '../netns/sysctl.js';
import { linkEntries, routeEntries } from './export-entries.js';
import { readNftables } from './export-nftables.js';
import { type TopologyReadOptions, readSnapshots } from './graph.js';
import type { NamespaceSnapshot } from './graph-types.js';
import { CURRENT_NETNS, type TopologyFile, type TopologyNamespace } from './types.js';

/**
 * The sysctls compared with a new namespace's values, in the order a file sets them. Per-interface
 * keys (net.ipv4.conf.eth0.*) are not compared: a new link takes conf.default's values.
 */
export const EXPORTED_SYSCTLS: readonly string[] = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.default.forwarding',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.ipv4.conf.all.proxy_arp',
  'net.ipv4.conf.default.proxy_arp',
  'net.ipv6.conf.all.forwarding',
  'net.ipv6.conf.default.forwarding',
  'net.ipv6.conf.all.disable_ipv6',
  'net.ipv6.conf.default.disable_ipv6',
];

/**
 * Writing a key also sets others (the kernel's devinet/addrconf handlers): ip_forward and
 * conf.all.forwarding set conf.default.forwarding (and each other); IPv6's `all` sets `default`.
 * A key that only follows an earlier one is not written again.
 */
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
  'net.ipv4.ip_forward': ['net.ipv4.conf.all.forwarding', 'net.ipv4.conf.default.forwarding'],
  'net.ipv4.conf.all.forwarding': ['net.ipv4.ip_forward', 'net.ipv4.conf.default.forwarding'],
  'net.ipv6.conf.all.forwarding': ['net.ipv6.conf.default.forwarding'],
  'net.ipv6.conf.all.disable_ipv6': ['net.ipv6.conf.default.disable_ipv6'],
};

/** What Linux gives a new namespace (net.core.devconf_inherit_init_net 0 and an init namespace left as booted). */
export const KERNEL_SYSCTL_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries(EXPORTED_SYSCTLS.map((k) => [k, '0']));

export interface ExportOptions extends TopologyReadOptions {
  /**
   * EXPORTED_SYSCTLS' values in a new namespace. Default: measured, by making a throwaway
   * namespace (nlts-defaults-PID-N), reading it and deleting it: IPv4's conf defaults are inherited
   * from the host's, so no table is right everywhere. KERNEL_SYSCTL_DEFAULTS is the table.
   */
  sysctlDefaults?: Readonly<Record<string, string>>;
  /**
   * Reads a namespace's nftables ruleset as libnftables JSON commands (`[{ add: { table: ... } }, ...]`).
   * Default: through the nftables API (readNftables); false leaves nftables out of the file.
   */
  nftables?: ((netns: string) => Promise<unknown[] | undefined>) | false;
  /** Told what the file cannot say (a link kind apply does not create, a veth whose peer's namespace has no name). */
  onSkip?: (message: string) => void;
}

let defaultsCounter = 0;

/** Reads keys in one namespace; keys that do not exist there (IPv6 disabled at boot) are left out. */
async function readSysctls(keys: readonly string[], options: SysctlOptions): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    for (const e of await sysctl([...keys], options)) out[e.key] = e.value;
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
    for (const k of keys) {
      try {
        out[k] = (await sysctl([k], options))[0]!.value;
      } catch (e) {
        if (!isNotFoundError(e)) throw e;
      }
    }
  }
  return out;
}

/** EXPORTED_SYSCTLS as a namespace made now has them: made, read and deleted. */
export async function measureSysctlDefaults(): Promise<Record<string, string>> {
  const name = `nlts-defaults-${process.pid}-${++defaultsCounter}`;
  await addNetns(name);
  try {
    return await readSysctls(EXPORTED_SYSCTLS, { netns: name, entry: 'setns' });
  } finally {
    deleteNetns(name);
  }
}

/** '1' -> 1, '0 2147483647' stays a string: the file reads as sysctl(8) prints. */
function sysctlValue(v: string): string | number {
  return /^-?\d{1,15}$/.test(v) ? Number(v) : v;
}

/** The keys whose values differ from a new namespace's, minus those an earlier key's write already sets. */
export function changedSysctls(
  values: Readonly<Record<string, string>>,
  defaults: Readonly<Record<string, string>>,
): Record<string, string | number> {
  const expected: Record<string, string | undefined> = { ...defaults };
  const out: Record<string, string | number> = {};
  for (const key of EXPORTED_SYSCTLS) {
    const v = values[key];
    if (v === undefined || v === expected[key]) continue;
    out[key] = sysctlValue(v);
    for (const k of IMPLIES[key] ?? []) expected[k] = v;
  }
  return out;
}

/**
 * Reads each namespace's ruleset as commands, through the snapshot's client (or options.nftables);
 * a ruleset that cannot be read (no nf_tables) is said so, not fatal. Read through the client,
 * tables apply could not write back (iptables-nft's xt rules...) are left out, and said so.
 */
function rulesetReader(o: ExportOptions, skip: (m: string) => void, into: Map<string, unknown[]>) {
  if (o.nftables === false) return undefined;
  const read = o.nftables;
  return async (netns: string, client: NetlinkClient): Promise<void> => {
    try {
      const commands = read ? await read(netns) : await appliable(await readNftables(client, o.signal), netns, skip);
      if (commands !== undefined && commands.length > 0) into.set(netns, commands);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      skip(`${netns}: nftables ruleset not read: ${(err as Error).message}`);
    }
  };
}

/** The commands of the tables apply can take back (the JSON linearizer is loaded only for a ruleset that has tables). */
async function appliable(commands: unknown[], netns: string, skip: (m: string) => void): Promise<unknown[]> {
  if (commands.length === 0) return commands;
  return (await import('./nft-declared.js')).appliableCommands(commands, netns, skip);
}

async function namespaceEntry(
  s: NamespaceSnapshot,
  snaps: NamespaceSnapshot[],
  defaults: Readonly<Record<string, string>>,
  o: ExportOptions,
  nft: ReadonlyMap<string, unknown[]>,
): Promise<TopologyNamespace> {
  const skip = o.onSkip ?? (() => {});
  const entry: TopologyNamespace = {};
  const where: SysctlOptions = s.name === CURRENT_NETNS ? {} : { netns: s.name, entry: o.netnsEntry ?? 'setns' };
  const sysctls = changedSysctls(await readSysctls(EXPORTED_SYSCTLS, where), defaults);
  if (Object.keys(sysctls).length > 0) entry.sysctl = sysctls;
  const links = linkEntries(s, snaps, skip);
  if (links.length > 0) entry.links = links;
  const routes = routeEntries(s);
  if (routes.length > 0) entry.routes = routes;
  const rules = nft.get(s.name);
  if (rules !== undefined) entry.nftables = rules;
  return entry;
}

/**
 * The given namespaces (default: the current one, '.', and every /run/netns name) as a topology
 * file. Namespaces keep the order read; a namespace with nothing configured is still listed.
 */
export async function exportTopology(namespaces?: readonly string[], options: ExportOptions = {}): Promise<TopologyFile> {
  const nft = new Map<string, unknown[]>();
  const snaps = await readSnapshots(namespaces, options, rulesetReader(options, options.onSkip ?? (() => {}), nft));
  const defaults = options.sysctlDefaults ?? (await measureSysctlDefaults());
  const entries = await Promise.all(snaps.map((s) => namespaceEntry(s, snaps, defaults, options, nft)));
  return { namespaces: Object.fromEntries(snaps.map((s, i) => [s.name, entries[i]!])) };
}

/**
 * A file as YAML or JSON text. YAML's `yaml` package is loaded on first use (src/deps/yaml.ts).
 * Keys keep their order; a namespace with nothing in it is written `{}`.
 */
export async function formatTopology(file: TopologyFile, format: 'yaml' | 'json', pretty = true): Promise<string> {
  if (format === 'json') return `${JSON.stringify(file, null, pretty ? 2 : undefined)}\n`;
  const { loadYaml } = await import('../deps/yaml.js');
  return loadYaml().stringify(file, { lineWidth: 0 });
}
