/** A Monitor's options, checked whole before any socket is opened. */
import { checkBool, checkInt, checkOptions, checkSignal, checkTimeoutMs } from '../api/validate.js';
import { Connection } from '../conn/connection.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { NftConnection } from '../nft/connection.js';
import type { Transport } from '../transport/types.js';
import { type MonitorGroup, resolveGroups, wantsNftables } from './groups.js';
import type { DumpLimiter } from './limiter.js';
import type { NetnsSocketFactory } from './sockets.js';

export const DEFAULT_RECEIVE_BUFFER = 1 << 20;
/**
 * Event sockets read in bursts while events stream in (NetlinkSocketOptions.paceMs): one wake-up
 * per millisecond instead of one per event, for at most ~1-2 ms more latency during the stream.
 */
export const EVENT_PACE_MS = 1;

export interface MonitorOptions {
  /**
   * What to watch (default ['link', 'address', 'route']). 'nftables': nftables changes, on a
   * NETLINK_NETFILTER socket of the same namespace (docs/monitoring.md).
   */
  groups?: readonly (MonitorGroup | number)[] | MonitorGroup;
  /** Watch this named namespace (a name under /run/netns or a path) instead of the current one. */
  netns?: string;
  /** Makes sockets inside `netns` (default: the namespace layer's, else setns). */
  sockets?: NetnsSocketFactory;
  /** Receive buffer in bytes of the sockets the monitor opens (default 1 MiB; forced past net.core.rmem_max when permitted). */
  receiveBuffer?: number;
  /** Closes the monitor when aborted; iterations then end. */
  signal?: AbortSignal;
  /** Dump and emit 'resync' after an overrun (default true). */
  resync?: boolean;
  /** Start with a 'resync' event (initial: true) carrying the current state (default false). */
  initialDump?: boolean;
  /** Events an iterator may hold for a slow consumer before it is overrun (default 100,000). */
  maxQueued?: number;
  /** Keep the process alive while the monitor is open, like a server (default true). */
  keepAlive?: boolean;
  /** Delay before retrying a failed resync dump, doubling up to 5 s (default 100 ms). */
  retryDelayMs?: number;
  /** Use this transport for events (tests, replay) instead of opening a socket. */
  transport?: Transport;
  /** Use this connection for resync dumps instead of opening a request socket. */
  requests?: Connection | (() => Connection | Promise<Connection>);
  /** With 'nftables': use this NETLINK_NETFILTER transport for its events (tests, replay). */
  nftTransport?: Transport;
  /** With 'nftables': use this connection for its ruleset dumps instead of opening a socket. */
  nftRequests?: NftConnection | (() => NftConnection | Promise<NftConnection>);
  /**
   * Object events: 'full' (default) carry links, addresses and routes as the API makes them;
   * 'slim' carry them as StateMirror keeps them: `raw` holds only the message envelope, links
   * carry no counters, strings and flag lists are compacted (src/monitor/compact.ts). For
   * consumers that keep many objects. Resync and refresh events carry the API's listed objects
   * either way (their `raw` is decoded on first access).
   */
  objects?: 'full' | 'slim';
  /** Bounds the resync / refresh dumps running at once across the monitors sharing it (MultiMonitor shares one). */
  dumpLimiter?: DumpLimiter;
}

export function normalizeGroups(g: MonitorOptions['groups']): number[] {
  const list = g === undefined ? ['link', 'address', 'route'] : typeof g === 'string' ? [g] : g;
  const groups = resolveGroups(list);
  if (groups.length === 0 && !wantsNftables(list)) throw new InvalidArgumentError('groups', g, 'a monitor needs at least one group');
  return groups;
}

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods = (v: unknown, ...names: string[]): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

/**
 * Every option (groups too) is checked before a socket is opened: bad values are
 * InvalidArgumentErrors, never ignored. MultiMonitor checks its options with it too.
 */
export function checkMonitorOptions<T extends MonitorOptions>(options: T | undefined): T {
  const o = checkOptions(options);
  normalizeGroups(o.groups);
  const { netns, sockets, receiveBuffer, signal, maxQueued, retryDelayMs, transport, requests, objects, dumpLimiter, nftTransport, nftRequests } = o;
  if (netns !== undefined && (typeof netns !== 'string' || netns.length === 0)) {
    throw new InvalidArgumentError('netns', netns, 'must be a namespace name or a path');
  }
  if (sockets !== undefined && !isFunction(sockets)) throw new InvalidArgumentError('sockets', sockets, 'must be a function (netns, count) => fds');
  if (receiveBuffer !== undefined) checkInt(receiveBuffer, 'receiveBuffer', 1, 0x7fffffff);
  if (signal !== undefined) checkSignal(signal);
  for (const k of ['resync', 'initialDump', 'keepAlive'] as const) checkBool(o[k], k);
  if (maxQueued !== undefined) checkInt(maxQueued, 'maxQueued', 1, 0x7fffffff);
  if (retryDelayMs !== undefined) checkTimeoutMs(retryDelayMs, 'retryDelayMs');
  if (transport !== undefined && !hasMethods(transport, 'start', 'send', 'close')) {
    throw new InvalidArgumentError('transport', transport, 'must be a Transport (start, send, close)');
  }
  if (requests !== undefined && !(requests instanceof Connection) && !isFunction(requests)) {
    throw new InvalidArgumentError('requests', requests, 'must be a Connection or a function that returns one');
  }
  if (nftTransport !== undefined && !hasMethods(nftTransport, 'start', 'send', 'close')) {
    throw new InvalidArgumentError('nftTransport', nftTransport, 'must be a Transport (start, send, close)');
  }
  if (nftRequests !== undefined && !isFunction(nftRequests) && !hasMethods(nftRequests, 'ruleset', 'close')) {
    throw new InvalidArgumentError('nftRequests', nftRequests, 'must be an NftConnection or a function that returns one');
  }
  if (objects !== undefined && objects !== 'full' && objects !== 'slim') {
    throw new InvalidArgumentError('objects', objects, "must be 'full' or 'slim'");
  }
  if (dumpLimiter !== undefined && !hasMethods(dumpLimiter, 'run')) {
    throw new InvalidArgumentError('dumpLimiter', dumpLimiter, 'must be a DumpLimiter');
  }
  return o;
}
