/**
 * A namespace's nftables ruleset as a topology file's `nftables` commands: the listing (libnftables
 * JSON objects, what `nft -j list ruleset` prints and nl.nftables.list() returns) turned into `add`
 * commands that rebuild it. Kernel-assigned handles and element expiry are dropped and counters
 * start from zero, so the export of a ruleset is the same before and after traffic, and after
 * destroy and apply. Undo uses the same conversion with the counters kept (keepState).
 */
import type { NetlinkClient } from '../api/client.js';

type JsonObject = Record<string, unknown>;

/** Objects of a listing that an `add` command takes back (libnftables-json(5)); metainfo and the like are not. */
const ADDABLE = new Set([
  'table',
  'chain',
  'rule',
  'set',
  'map',
  'element',
  'flowtable',
  'counter',
  'quota',
  'ct helper',
  'limit',
  'ct timeout',
  'ct expectation',
  'secmark',
  'synproxy',
]);
/** Run-time state a listing carries, not configuration: handles, and an element's remaining lifetime. */
const STATE_KEYS = new Set(['handle', 'expires']);

export interface RulesetCommandsOptions {
  /** Keep counters, quota usage and element expiry as listed (what undo restores); handles are always dropped. */
  keepState?: boolean;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value with handles dropped and, unless kept, counters zeroed ({ counter: { packets, bytes } } and named counters) and expiry dropped. */
function withoutState(v: unknown, keep: boolean, key?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutState(x, keep));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'handle' || (!keep && STATE_KEYS.has(k))) continue;
    if (!keep && ((key === 'counter' && (k === 'packets' || k === 'bytes')) || (key === 'quota' && k === 'used'))) out[k] = 0;
    else out[k] = withoutState(x, keep, k);
  }
  return out;
}

/** The listing's objects as `add` commands, in listing order (tables before their chains, chains before rules). */
export function rulesetCommands(listing: unknown, options: RulesetCommandsOptions = {}): unknown[] {
  const items = isObject(listing) && Array.isArray(listing.nftables) ? listing.nftables : Array.isArray(listing) ? listing : [];
  const out: unknown[] = [];
  for (const item of items) {
    if (!isObject(item)) continue;
    const [kind] = Object.keys(item);
    if (kind === undefined || !ADDABLE.has(kind)) continue;
    out.push({ add: { [kind]: withoutState(item[kind], options.keepState === true, kind) } });
  }
  return out;
}

/** Reads the ruleset of the client's namespace through the nftables API. */
export async function readNftables(client: NetlinkClient, signal?: AbortSignal): Promise<unknown[]> {
  return rulesetCommands(await client.nftables.list(undefined, signal ? { signal } : {}));
}
