/**
 * Link name -> index, cached and kept right by link events, for requests that name a link
 * (`addresses.add(cidr, { link: 'eth0' })`, a route's dev...). A live socket answers a name by an
 * SIOCGIFINDEX ioctl (conn/link-index.ts), but that is one ffi-rs call per request (3-4 µs); a
 * name looked up once is remembered here instead. What keeps it right is a second NETLINK_ROUTE
 * socket in the client's namespace, in RTNLGRP_LINK, opened at the first by-name lookup (a client
 * that gives indexes never makes it): RTM_NEWLINK forgets every name the link had and learns the
 * one it has now (a rename), RTM_DELLINK forgets the link (deleted, or moved to another namespace).
 *
 * Events reach the socket when the change is made, but JavaScript reads them only when something
 * reads the socket: the event loop, which a burst of awaited requests answered within their own
 * send never reaches. So a hit is trusted only when the socket was read to its end (readQueued)
 * less than STALE_MS before; otherwise it is read first (3-6 µs, once per STALE_MS). A miss reads it
 * too, then asks the ioctl, so what is learned is newer than every event applied. A lost event
 * (ENOBUFS, an undecodable message) drops everything; until the subscription is live, nothing is
 * cached. The ioctl answers whenever the cache cannot. docs/api.md, "Links by name", says what
 * window remains.
 */
import { rtLinkSpec } from '../../protocol/rt-link.js';
import type { NetlinkMessage } from '../codec/message.js';
import { MessageWalk } from '../codec/walk.js';
import { datagramCtx } from '../conn/fast-path.js';
import { linkIndexNow } from '../conn/link-index.js';
import createDebug from '../deps/debug.js';
import type { Transport } from '../transport/types.js';
import { rtnetlinkCodec } from './rtnetlink-codec.js';
import type { SideKind, SideSocket } from './side-socket.js';

const log = createDebug('netlink:link-names');

/** How long a hit is trusted after the event socket was last read to its end. */
export const STALE_MS = 1;
/** RTNLGRP_LINK: rt-link's multicast group 'link'. */
const RTNLGRP_LINK = rtLinkSpec.mcastGroups!.find((g) => g.name === 'link')!.value;
/** What is read of an event: ifi_index is in the header, decoded whole. */
const EVENT_FIELDS = { ifname: true } as const;

/** The event socket: NETLINK_ROUTE in the client's namespace, made as its side sockets are (side-socket.ts). */
export const LINK_EVENTS_SIDE: SideKind<Transport> = {
  protocol: 0,
  protocolName: 'NETLINK_ROUTE',
  option: 'transport',
  what: 'the link name cache',
  connect: async (transport) => transport,
};

type State = 'idle' | 'opening' | 'live' | 'off';

export class LinkNameCache {
  private readonly byName = new Map<string, number>();
  private readonly byIndex = new Map<number, string[]>();
  private state: State = 'idle';
  private transport: Transport | undefined;
  /** performance.now() when the event socket was last read to its end (before that read began). */
  private drainedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly side: SideSocket<Transport>) {}

  /** The index of `name`: cached when the cache can vouch for it now, else the transport's ioctl (undefined: ask over netlink). */
  resolve(name: string, transport: Transport): number | undefined {
    if (this.state !== 'live') {
      if (this.state === 'idle') this.open();
      return linkIndexNow(transport, name);
    }
    const now = performance.now();
    if (now - this.drainedAt >= STALE_MS && !this.drain(now)) return linkIndexNow(transport, name);
    const hit = this.byName.get(name);
    if (hit !== undefined) return hit;
    // A miss: events queued before the ioctl are applied first, so none can overwrite what it says.
    if (this.drainedAt !== now && !this.drain(performance.now())) return linkIndexNow(transport, name);
    const index = linkIndexNow(transport, name);
    if (index !== undefined) this.learn(name, index);
    return index;
  }

  /** The kernel said the link is gone (ENODEV) for an index that may have come from here: forget the name. */
  forget(name: string): void {
    const index = this.byName.get(name);
    if (index !== undefined) this.forgetIndex(index);
  }

  /** Entries held (for tests and debugging). */
  get size(): number {
    return this.byName.size;
  }

  close(): void {
    this.state = 'off';
    this.clear();
    const t = this.transport;
    this.transport = undefined;
    t?.close();
  }

  private open(): void {
    this.state = 'opening';
    this.side.openTransport().then(
      (t) => this.attach(t),
      (err) => {
        if (this.state === 'opening') this.state = 'off';
        log('no link event socket, names are looked up each time: %s', (err as Error).message);
      },
    );
  }

  /** Starts reading and joins RTNLGRP_LINK; live from then on: every later change is queued for us. */
  private attach(t: Transport): void {
    if (this.state !== 'opening') {
      t.close(); // the client was closed meanwhile
      return;
    }
    try {
      if (t.addMembership === undefined) throw new Error('the transport cannot join multicast groups');
      t.start({ datagram: (d) => this.onDatagram(t, d), error: (e) => this.lost(t, e.message), closed: () => this.gone(t) });
      t.addMembership(RTNLGRP_LINK);
      t.unref?.();
    } catch (err) {
      t.close();
      this.state = 'off';
      log('link event socket failed, names are looked up each time: %s', (err as Error).message);
      return;
    }
    this.transport = t;
    this.state = 'live';
  }

  /** Reads the socket to its end; false when it could not be (then the ioctl answers). */
  private drain(now: number): boolean {
    const t = this.transport!;
    if (t.readQueued === undefined || !t.readQueued() || this.state !== 'live') return false;
    this.drainedAt = now;
    return true;
  }

  private learn(name: string, index: number): void {
    const old = this.byName.get(name);
    if (old === index) return;
    if (old !== undefined) this.forgetIndex(old);
    this.byName.set(name, index);
    const names = this.byIndex.get(index);
    if (names === undefined) this.byIndex.set(index, [name]);
    else names.push(name);
  }

  private forgetIndex(index: number): void {
    const names = this.byIndex.get(index);
    if (names === undefined) return;
    this.byIndex.delete(index);
    for (const n of names) this.byName.delete(n);
  }

  private clear(): void {
    this.byName.clear();
    this.byIndex.clear();
    this.drainedAt = Number.NEGATIVE_INFINITY;
  }

  private onDatagram(t: Transport, d: Uint8Array): void {
    if (t !== this.transport || this.state !== 'live') return;
    try {
      this.apply(d);
    } catch (err) {
      this.lost(t, `undecodable event: ${(err as Error).message}`);
    }
  }

  /** Each message of an event datagram; anything but a link event (an overrun report) loses the cache. */
  private apply(d: Uint8Array): void {
    const ctx = datagramCtx(d);
    const base = d.byteOffset - ctx.bytes.byteOffset;
    const codec = rtnetlinkCodec();
    for (const m = new MessageWalk(ctx.view, base, base + d.length); m.next(); ) {
      const msg: NetlinkMessage = codec.decodeFrame(ctx, m.at, m.end, EVENT_FIELDS);
      const index = (msg.header as { index?: number } | undefined)?.index;
      if ((msg.kind !== 'newlink' && msg.kind !== 'dellink') || index === undefined) throw new Error(`unexpected message type ${msg.type}`);
      // Every name the link had goes (a rename, an altname removed); its name now is learned.
      this.forgetIndex(index);
      const name = msg.attrs?.ifname;
      if (msg.kind === 'newlink' && typeof name === 'string') this.learn(name, index);
    }
  }

  /** Events were lost (ENOBUFS) or could not be read: nothing cached can be trusted; later events still can. */
  private lost(t: Transport, why: string): void {
    if (t !== this.transport) return;
    log('link name cache dropped: %s', why);
    this.clear();
  }

  /** The socket closed under us (libuv closes it on a read error): reopened at the next lookup. */
  private gone(t: Transport): void {
    if (t !== this.transport) return;
    this.clear();
    this.transport = undefined;
    if (this.state === 'live') this.state = 'idle';
  }
}
