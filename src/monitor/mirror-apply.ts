/**
 * Applying what the monitors report to a namespace's view, with a change for each difference:
 * events one by one, resyncs and refreshes as replacements of what they cover. Where the kernel
 * changes state without a word (route-checks.ts), the events that show it schedule a route check.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { Address } from '../api/addresses.js';
import type { Link } from '../api/links.js';
import type { Route } from '../api/routes.js';
import { isSlim, slimAddress, slimLink, slimRoute } from './compact.js';
import { type RefreshEvent, type ResyncEvent, inRouteScope } from './events.js';
import { fingerprint, sameObject } from './mirror-diff.js';
import { type MirrorKind, type NamespaceView, addressKey, isLinkMessage, isMirroredRoute, linkKey, routeKey, routeSlot } from './mirror-view.js';
import { type RouteCheck, type RouteCheckQueue, linkChangesRoutes } from './route-checks.js';

export interface MirrorChange {
  op: 'add' | 'update' | 'remove';
  kind: MirrorKind;
  netns?: string;
  key: string;
  /** The object now (for 'remove': the object removed). */
  object: Link | Address | Route;
  /** The object before an 'update'. */
  previous?: Link | Address | Route;
  /** What caused it: a kernel event, a resync diff, a refresh diff (routes re-dumped), or a link removal taking its objects along. */
  cause: 'event' | 'resync' | 'refresh' | 'cascade';
}

/** Where changes go: the StateMirror's 'change' listeners. */
export interface ChangeListeners {
  listenerCount(name: 'change'): number;
  emit(name: 'change', change: MirrorChange): boolean;
}

type Mirrored = Link | Address | Route;

/** The slim copy (compact.ts) of a link, address or route, by the mirror's kind names. */
function slimCopy<T extends Mirrored>(kind: MirrorKind, o: T): T {
  return (kind === 'link' ? slimLink(o as Link) : kind === 'address' ? slimAddress(o as Address) : slimRoute(o as Route)) as T;
}

export class MirrorUpdater {
  /** What the mirror holds of an event's object: a slim copy, or the object itself with keepRaw. */
  private readonly keep: <T extends Mirrored>(kind: MirrorKind, o: T) => T;
  /** Listed objects (resync, refresh) are kept as they are, or as slim copies. */
  private readonly keepListed: <T extends Mirrored>(kind: MirrorKind, o: T) => T;

  constructor(
    private readonly listeners: ChangeListeners,
    private readonly checks: RouteCheckQueue<NamespaceView>,
    keepRaw: boolean,
  ) {
    // Object events come slim already (objects: 'slim'), unless a custom openMonitor ignored that.
    this.keep = keepRaw ? (_k, o) => o : (k, o) => (isSlim(o) ? o : slimCopy(k, o));
    this.keepListed = keepRaw ? (_k, o) => o : slimCopy;
  }

  /** A dump of whole kinds replaces what the view holds of them; all three make the view ready. */
  resync(v: NamespaceView, e: ResyncEvent): void {
    if (e.links) this.replace(v, 'link', v.links, e.links.filter(isLinkMessage), (l) => l.index, linkKey, 'resync');
    if (e.addresses) {
      this.replace(v, 'address', v.addresses, e.addresses, addressKey, addressKey, 'resync');
      v.ipv4Count.clear();
      for (const a of v.addresses.values()) if (a.family === 'inet') v.ipv4Count.set(a.index, (v.ipv4Count.get(a.index) ?? 0) + 1);
    }
    if (e.routes) this.replace(v, 'route', v.routes, e.routes.filter(isMirroredRoute), routeKey, routeKey, 'resync');
    if (e.kinds.includes('link') && e.kinds.includes('address') && e.kinds.includes('route')) {
      v.ready = true;
      v.consistent = true;
    }
  }

  /** A dump of the routes in a scope replaces the routes held in that scope. */
  refresh(v: NamespaceView, e: RefreshEvent): void {
    const scope = e.scope;
    this.replace(v, 'route', v.routes, e.routes.filter(isMirroredRoute), routeKey, routeKey, 'refresh', (r) => inRouteScope(r, scope));
  }

  /**
   * Replaces the objects of `map` that `inScope` accepts (all of them for a resync) with `list`,
   * notifying the differences. An object equal to the one held (raw aside) keeps the one held.
   */
  private replace<K, T extends Mirrored>(
    v: NamespaceView,
    kind: MirrorKind,
    map: Map<K, T>,
    list: readonly T[],
    mapKey: (o: T) => K,
    key: (o: T) => string,
    cause: 'resync' | 'refresh',
    inScope?: (o: T) => boolean,
  ): void {
    const next = new Map<K, T>();
    for (const o of list) next.set(mapKey(o), o);
    for (const [k, old] of map) {
      const now = next.get(k);
      if (now === undefined) {
        if (inScope && !inScope(old)) continue;
        map.delete(k);
        this.change('remove', kind, v.netns, key(old), old, cause);
      } else if (!sameObject(old, now)) {
        // Only what is kept is copied (a listed object decodes its message to give its envelope).
        const kept = this.keepListed(kind, now);
        map.set(k, kept);
        if (fingerprint(kind, kept) !== fingerprint(kind, old)) this.change('update', kind, v.netns, key(kept), kept, cause, old);
      }
    }
    for (const [k, now] of next) {
      if (map.has(k)) continue;
      const kept = this.keepListed(kind, now);
      map.set(k, kept);
      this.change('add', kind, v.netns, key(kept), kept, cause);
    }
  }

  link(v: NamespaceView, type: 'new' | 'del', full: Link): void {
    if (!isLinkMessage(full)) return;
    const l = this.keep('link', full);
    const prev = v.links.get(l.index);
    if (type === 'new') {
      v.links.set(l.index, l);
      if (prev) this.change('update', 'link', v.netns, linkKey(l), l, 'event', prev);
      else this.change('add', 'link', v.netns, linkKey(l), l, 'event');
      // Down: its IPv4 routes are flushed silently. Up, down, carrier (seen by lowerUp, then by the
      // operstate linkwatch sets when it flags the routes): route flags change silently.
      if (prev && linkChangesRoutes(prev, l)) this.routeCheck(v).devs.add(l.index);
      // IPv6 routes with an mtu metric follow the device's MTU silently.
      if (prev && prev.mtu !== l.mtu) this.routeCheck(v).mtu.add(l.index);
      return;
    }
    if (prev) this.linkGone(v, prev);
  }

  /** A deleted link takes its addresses and the routes only through it along. */
  private linkGone(v: NamespaceView, prev: Link): void {
    const index = prev.index;
    v.links.delete(index);
    v.ipv4Count.delete(index);
    this.change('remove', 'link', v.netns, linkKey(prev), prev, 'event');
    for (const [k, a] of v.addresses) {
      if (a.index !== index) continue;
      v.addresses.delete(k);
      this.change('remove', 'address', v.netns, k, a, 'cascade');
    }
    for (const [k, r] of v.routes) {
      const devs = r.nexthops?.length ? r.nexthops.map((h) => h.dev) : [r.dev];
      if (!devs.every((d) => d === index)) continue;
      v.routes.delete(k);
      this.change('remove', 'route', v.netns, k, r, 'cascade');
    }
    // Multipath routes that kept a hop, routes of other tables... the link is gone, so the kernel
    // cannot filter by it: every route.
    this.routeCheck(v).all = true;
  }

  address(v: NamespaceView, type: 'new' | 'del', full: Address): void {
    const a = this.keep('address', full);
    const key = addressKey(a);
    const prev = v.addresses.get(key);
    const inet = a.family === 'inet';
    if (type === 'new') {
      v.addresses.set(key, a);
      if (prev) return this.change('update', 'address', v.netns, key, a, 'event', prev);
      this.change('add', 'address', v.netns, key, a, 'event');
      if (!inet) return;
      const n = v.ipv4Count.get(a.index) ?? 0;
      v.ipv4Count.set(a.index, n + 1);
      // Its first: multipath hops through the device that died with its last one revive silently.
      if (n === 0) this.routeCheck(v).added4.add(a.index);
      return;
    }
    if (prev) {
      v.addresses.delete(key);
      if (inet) countDown(v.ipv4Count, a.index);
      this.change('remove', 'address', v.netns, key, prev, 'event');
    }
    if (inet) {
      // Decided now, by the addresses held now: one added before the check runs does not bring back
      // the routes the kernel flushed with the last one.
      const c = this.routeCheck(v);
      c.gone4.push(a.address);
      if (!v.ipv4Count.has(a.index)) c.emptied.add(a.index);
    } else if (a.family === 'inet6') {
      this.routeCheck(v).gone6.push(a.address);
    }
  }

  route(v: NamespaceView, type: 'new' | 'del', full: Route): void {
    if (!isMirroredRoute(full)) return;
    const r = this.keep('route', full);
    const key = routeKey(r);
    const prev = v.routes.get(key);
    if (type === 'del') {
      if (!prev) return;
      v.routes.delete(key);
      return this.change('remove', 'route', v.netns, key, prev, 'event');
    }
    if (r.raw.flags & NLM_F.REPLACE) this.replaced(v, r, key);
    v.routes.set(key, r);
    if (prev) this.change('update', 'route', v.netns, key, r, 'event', prev);
    else this.change('add', 'route', v.netns, key, r, 'event');
  }

  /**
   * `ip route replace` / `change`: one notification for the new route; the one it replaced (through
   * another device, maybe) goes without a word.
   */
  private replaced(v: NamespaceView, r: Route, key: string): void {
    const slot = routeSlot(key);
    const others: string[] = [];
    for (const k of v.routes.keys()) if (k !== key && routeSlot(k) === slot) others.push(k);
    if (others.length === 1) {
      const o = v.routes.get(others[0]!)!;
      v.routes.delete(others[0]!);
      this.change('remove', 'route', v.netns, others[0]!, o, 'event');
    } else if (others.length > 1 && (r.family === 'inet' || r.family === 'inet6')) {
      // Which of the appended routes it replaced, the notification does not say.
      this.routeCheck(v).families.add(r.family);
    }
  }

  /** Emits a change, built only when someone listens. */
  private change(
    op: MirrorChange['op'],
    kind: MirrorKind,
    netns: string | undefined,
    key: string,
    object: Mirrored,
    cause: MirrorChange['cause'],
    previous?: Mirrored,
  ): void {
    if (this.listeners.listenerCount('change') === 0) return;
    this.listeners.emit(
      'change',
      previous === undefined ? { op, kind, netns, key, object, cause } : { op, kind, netns, key, object, previous, cause },
    );
  }

  private routeCheck(v: NamespaceView): RouteCheck<NamespaceView> {
    return this.checks.schedule(v);
  }
}

function countDown(counts: Map<number, number>, index: number): void {
  const n = (counts.get(index) ?? 0) - 1;
  if (n > 0) counts.set(index, n);
  else counts.delete(index);
}
