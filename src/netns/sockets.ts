/**
 * Netlink sockets in other network namespaces, cached per namespace.
 *
 * One helper run makes every socket a namespace needs: the one asked for plus `spares` more
 * (default 1: a monitor socket or a second client then costs nothing). Spares are kept per namespace
 * (keyed by its nsfs identity, however it was named) while at least one socket handed out for that
 * namespace is still open, and closed with the last one: a cached socket would otherwise keep a
 * deleted namespace, and its devices, alive. Concurrent requests for one namespace share one helper run.
 */
import * as system from '../transport/system.js';
import { type EnterOptions, enterNetns } from './enter.js';
import { type NetnsTarget, type ResolvedNetns, resolveNetns } from './target.js';

export interface NetnsSocketOptions extends EnterOptions {
  /** Netlink protocol (NETLINK_ROUTE = 0). */
  protocol?: number;
}

/** A socket fd made in a namespace. The fd is the caller's (close it, or let NetlinkSocket do it); call release() once it is closed. */
export interface NetnsSocketLease {
  fd: number;
  netns: ResolvedNetns;
  release(): void;
}

interface Entry {
  netns: ResolvedNetns;
  /** Unused sockets by protocol. */
  spares: Map<number, number[]>;
  /** Sockets handed out and not released yet. */
  leases: number;
  /** A helper run in flight, shared by concurrent requests. */
  inflight?: Promise<void>;
}

export class NetnsSocketCache {
  private readonly entries = new Map<string, Entry>();

  /** @param spares extra sockets made by each helper run, kept for the next request (default 1). */
  constructor(private readonly spares = 1) {}

  /** A socket created in the namespace: a spare if one is cached, else from one helper run. */
  async socket(target: NetnsTarget | ResolvedNetns, options: NetnsSocketOptions = {}): Promise<NetnsSocketLease> {
    const netns = isResolved(target) ? target : resolveNetns(target);
    const protocol = options.protocol ?? 0;
    const entry = this.entry(netns);
    entry.leases++; // held while waiting, so the spares made for us are not dropped underneath
    let handedOut = false;
    try {
      for (;;) {
        const fd = entry.spares.get(protocol)?.pop();
        if (fd !== undefined) {
          handedOut = true;
          return this.lease(entry, fd);
        }
        if (entry.inflight) {
          await entry.inflight;
          continue;
        }
        if (options.entry === 'setns') {
          // In-process entry is cheap: no spares, nothing to share.
          const { sockets } = await enterNetns(netns, { ...options, sockets: [protocol] });
          handedOut = true;
          return this.lease(entry, sockets[0]!);
        }
        const count = 1 + this.spares;
        const run = enterNetns(netns, { ...options, sockets: Array(count).fill(protocol) }).then(({ sockets }) => {
          if (entry.leases <= 0 || this.entries.get(netns.key) !== entry) {
            for (const fd of sockets) system.close(fd); // everyone waiting gave up
            return;
          }
          const list = entry.spares.get(protocol) ?? [];
          list.push(...sockets);
          entry.spares.set(protocol, list);
        });
        entry.inflight = run.finally(() => {
          entry.inflight = undefined;
        });
        await entry.inflight;
      }
    } finally {
      if (!handedOut) this.release(entry);
    }
  }

  /** Closes the cached spares of one namespace (or of all); sockets already handed out are not affected. */
  evict(target?: NetnsTarget | ResolvedNetns): void {
    if (target === undefined) {
      for (const e of this.entries.values()) this.dropSpares(e);
      return;
    }
    let key: string;
    try {
      key = isResolved(target) ? target.key : resolveNetns(target).key;
    } catch {
      return; // gone already: nothing cached can be reached by this name
    }
    const e = this.entries.get(key);
    if (e) this.dropSpares(e);
  }

  /** Number of cached spare sockets (for tests and diagnostics). */
  spareCount(): number {
    let n = 0;
    for (const e of this.entries.values()) for (const l of e.spares.values()) n += l.length;
    return n;
  }

  private entry(netns: ResolvedNetns): Entry {
    let e = this.entries.get(netns.key);
    if (!e) {
      e = { netns, spares: new Map(), leases: 0 };
      this.entries.set(netns.key, e);
    }
    return e;
  }

  private lease(entry: Entry, fd: number): NetnsSocketLease {
    let released = false;
    return {
      fd,
      netns: entry.netns,
      release: () => {
        if (released) return;
        released = true;
        this.release(entry);
      },
    };
  }

  private release(entry: Entry): void {
    entry.leases--;
    if (entry.leases <= 0) {
      this.dropSpares(entry);
      this.entries.delete(entry.netns.key);
    }
  }

  private dropSpares(entry: Entry): void {
    for (const list of entry.spares.values()) for (const fd of list.splice(0)) system.close(fd);
  }
}

function isResolved(t: NetnsTarget | ResolvedNetns): t is ResolvedNetns {
  return typeof t === 'object' && t !== null && 'key' in t && 'path' in t;
}

/** The process-wide cache NetlinkClient.connect({ netns }) uses. */
export const netnsSockets = new NetnsSocketCache();
