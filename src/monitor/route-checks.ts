/**
 * Route checks: the mirror's answer to route changes the kernel makes without RTM_NEWROUTE /
 * RTM_DELROUTE. StateMirror records here what each event implies; a check runs `delay` ms after the
 * first event that asked for it (coalesced per namespace, one timer for all) and asks for narrow
 * route refreshes (Monitor.refresh) of what may have changed.
 *
 * What the kernel changes silently (net/ipv4/fib_frontend.c, fib_semantics.c, net/ipv6/route.c,
 * addrconf.c), and the event that tells the mirror:
 * - a link goes down: its IPv4 routes are flushed (fib_sync_down_dev, fib_flush), a multipath hop
 *   through it dies; up: dead hops revive (fib_sync_up). The link message changes `up`.
 * - carrier lost or back: routes through the link, both families, get or lose `linkdown`. That
 *   happens when linkwatch handles the change (NETDEV_CHANGE), up to a second later for some
 *   devices, and its link message may differ from the one before only by `operstate`: an earlier
 *   message (an MTU change, say) can already have shown `lowerUp` cleared, before the routes were
 *   flagged. So a change of `up`, `lowerUp` or `operstate` each re-dumps the link's routes.
 * - the last IPv4 address of a device deleted: every IPv4 route through it is flushed, hops through
 *   it die (fib_disable_ip). Decided when the deletion is applied, by the addresses held then: an
 *   address added before the check runs does not bring the routes back. The next IPv4 address
 *   revives the dead hops through its device (fib_sync_up).
 * - an IPv4 address deleted: routes using it as preferred source are flushed (fib_sync_down_addr).
 * - an IPv6 address deleted: routes through its device that use it as `src` lose it
 *   (rt6_remove_prefsrc).
 * - an MTU change: IPv6 routes through the device with an `mtu` metric follow it (rt6_mtu_change).
 * - a link deleted: every route is re-dumped (multipath routes that kept a hop; the link is gone,
 *   so the kernel cannot filter by it).
 */
// The module's binding, not the global: that one is a lazy accessor, a getter call on every use.
import { performance } from 'node:perf_hooks';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import type { RouteScope } from './events.js';

/** The route types through an interface whose state the kernel changes silently with the link's. */
export const LINK_ROUTE_TYPES: readonly string[] = Object.freeze(['unicast', 'broadcast', 'multicast', 'anycast']);

/** What the events since the last check imply, for one namespace. */
export interface RouteCheck<V> {
  view: V;
  /** When it runs (performance.now()): the first event that asked for it, plus the delay. */
  due: number;
  /** Every route (a link was deleted). */
  all: boolean;
  /** Interfaces that went up or down or whose carrier or operstate changed: the routes through them. */
  devs: Set<number>;
  /** Every route of these families. */
  families: Set<'inet' | 'inet6'>;
  /** IPv4 addresses deleted: routes using one as preferred source were flushed (a list: a push per event is cheaper). */
  gone4: string[];
  /** Interfaces whose last IPv4 address was deleted: their IPv4 routes were flushed. */
  emptied: Set<number>;
  /** Interfaces that got their first IPv4 address: their dead multipath hops revived. */
  added4: Set<number>;
  /** IPv6 addresses deleted: routes using one as `src` lost it. */
  gone6: string[];
  /** Interfaces whose MTU changed: IPv6 routes through them with an mtu metric followed. */
  mtu: Set<number>;
}

/** Does this link message (after `prev`) mean the kernel may have changed routes through the link? */
export function linkChangesRoutes(prev: Link, next: Link): boolean {
  return prev.up !== next.up || prev.lowerUp !== next.lowerUp || prev.operstate !== next.operstate;
}

/** Does `r` go through one of `devs`, on any nexthop? */
export function routeUses(r: Route, devs: ReadonlySet<number>): boolean {
  if (r.dev !== undefined && devs.has(r.dev)) return true;
  const hops = r.nexthops;
  if (hops) for (const h of hops) if (devs.has(h.dev)) return true;
  return false;
}

function routeThrough(r: Route, dev: number): boolean {
  if (r.dev === dev) return true;
  const hops = r.nexthops;
  if (hops) for (const h of hops) if (h.dev === dev) return true;
  return false;
}

function hasDeadHopThrough(r: Route, devs: ReadonlySet<number>): boolean {
  const hops = r.nexthops;
  if (hops) for (const h of hops) if (devs.has(h.dev) && h.flags.includes('dead')) return true;
  return false;
}

/**
 * The refreshes a check asks for, given the routes the mirror holds: only where a held route may
 * be stale (an address deleted that no held route uses costs no dump).
 */
export function refreshScopes(routes: Iterable<Route>, c: RouteCheck<unknown>): RouteScope[] {
  if (c.all) return [{}];
  const families = new Set(c.families);
  const gone4 = new Set(c.gone4);
  const gone6 = new Set(c.gone6);
  const mtuDevs = new Set<number>();
  // A route over a nexthop object without its hops in the message (nexthop_compat_mode off) cannot
  // be told to use an interface: then every route, when an interface went down or lost its addresses.
  const flushed = c.devs.size > 0 || c.emptied.size > 0;
  if (flushed || c.added4.size > 0 || c.mtu.size > 0 || gone4.size > 0 || gone6.size > 0) {
    for (const r of routes) {
      if (flushed && r.nhid !== undefined && r.dev === undefined && !r.nexthops?.length) return [{}];
      if (r.family === 'inet') {
        if (families.has('inet')) continue;
        if ((r.prefsrc !== undefined && gone4.has(r.prefsrc)) || routeUses(r, c.emptied) || hasDeadHopThrough(r, c.added4)) families.add('inet');
      } else if (r.family === 'inet6') {
        if (families.has('inet6')) continue;
        if (r.prefsrc !== undefined && gone6.has(r.prefsrc)) families.add('inet6');
        else if (r.metrics?.mtu !== undefined && c.mtu.size > 0) for (const d of c.mtu) if (routeThrough(r, d)) mtuDevs.add(d);
      }
    }
  }
  if (families.size === 2) return [{}];
  const out: RouteScope[] = [];
  for (const family of families) out.push({ family });
  // Local routes (an address's own, table local) are neither flushed nor flagged by the kernel when
  // their link goes up, down or loses its carrier (IPv6 announces their removal): re-dumping them
  // would be most of the dump (one per address) for nothing.
  for (const dev of c.devs) out.push({ dev, types: LINK_ROUTE_TYPES });
  if (!families.has('inet6')) for (const dev of mtuDevs) if (!c.devs.has(dev)) out.push({ dev, family: 'inet6' });
  return out;
}

/** Checks waiting, by namespace, in the order they are due (one delay for all), on one timer. */
export class RouteCheckQueue<V extends { readonly netns: string | undefined }> {
  private readonly checks = new Map<string | undefined, RouteCheck<V>>();
  /** One timer for all of them (a timer per namespace per event costs more than the check). */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delay: number,
    private readonly run: (c: RouteCheck<V>) => void,
  ) {}

  /** The check pending for `view`'s namespace, scheduled now if there is none. */
  schedule(view: V): RouteCheck<V> {
    let c = this.checks.get(view.netns);
    if (!c) {
      c = {
        view,
        due: performance.now() + this.delay,
        all: false,
        devs: new Set(),
        families: new Set(),
        gone4: [],
        emptied: new Set(),
        added4: new Set(),
        gone6: [],
        mtu: new Set(),
      };
      this.checks.set(view.netns, c);
      if (!this.timer) this.arm(this.delay);
    }
    return c;
  }

  delete(netns: string | undefined): void {
    this.checks.delete(netns);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.checks.clear();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.runDue(), Math.max(0, ms));
    this.timer.unref();
  }

  private runDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const [netns, c] of this.checks) {
      // Due in order of insertion: stop at the first one not due yet (a timer fires a little early at times).
      if (c.due > now + 1) {
        this.arm(c.due - now);
        return;
      }
      this.checks.delete(netns);
      this.run(c);
    }
  }
}
