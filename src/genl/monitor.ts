/**
 * Generic netlink notifications: a socket of its own joined to multicast groups by name
 * (family/group, resolved through the GenlConnection), messages decoded by the family specs. The
 * socket also joins nlctrl's `notify` group: when a family goes away or registers again, the
 * connection forgets it (its id may change) and this monitor's codec drops or rebinds the id;
 * groups of a family that comes back are joined again.
 *
 * Kept small on purpose: no overrun recovery or resync as the rtnetlink Monitor has (ethtool
 * notifications are rare); an overrun is reported to `onError`.
 */
import { GENL_ID_CTRL } from '../../protocol/genetlink.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import type { FamilySpec } from '../../protocol/spec.js';
import { type NetlinkMessage, ProtocolCodec } from '../codec/message.js';
import type { Transport } from '../transport/types.js';
import type { GenlConnection } from './connection.js';
import { familyOf } from './families.js';

export interface GenlMonitorOptions {
  /** Family and group names to join, e.g. [['ethtool', 'monitor']]. */
  groups: readonly (readonly [family: string, group: string])[];
  /** Specs of those families, to decode their messages. */
  specs: readonly FamilySpec[];
  /** Each notification of a joined group (nlctrl's own are handled, not passed on, unless asked for). */
  onMessage: (m: NetlinkMessage) => void;
  onError?: (err: Error) => void;
}

export class GenlMonitor {
  private readonly codec: ProtocolCodec;
  private closed = false;

  private constructor(
    private readonly transport: Transport,
    private readonly genl: GenlConnection,
    private readonly options: GenlMonitorOptions,
  ) {
    this.codec = new ProtocolCodec([nlctrlSpec, ...options.specs.filter((s) => s !== nlctrlSpec)]);
  }

  /** Joins the groups on `transport` (a fresh NETLINK_GENERIC socket, closed with the monitor). */
  static async open(transport: Transport, genl: GenlConnection, options: GenlMonitorOptions): Promise<GenlMonitor> {
    const m = new GenlMonitor(transport, genl, options);
    try {
      await m.join();
    } catch (err) {
      transport.close();
      throw err;
    }
    return m;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }

  private async join(): Promise<void> {
    const { transport, genl } = this;
    if (transport.addMembership === undefined) throw new Error('this transport cannot join multicast groups');
    transport.start({
      datagram: (d) => this.datagram(d),
      error: (e) => this.options.onError?.(e),
    });
    transport.unref?.(); // a monitor alone does not keep the process alive, as timers that are unref'd
    transport.addMembership(GENL_ID_CTRL); // nlctrl notify: families coming and going
    for (const [family, group] of this.options.groups) {
      transport.addMembership(await genl.mcastGroup(family, group));
      this.codec.bindType(family, genl.codec.typeOf(family));
    }
  }

  private datagram(d: Uint8Array): void {
    let msgs: NetlinkMessage[];
    try {
      msgs = this.codec.decode(d);
    } catch (err) {
      this.options.onError?.(err as Error);
      return;
    }
    for (const m of msgs) {
      if (m.family === 'nlctrl') this.familyEvent(m);
      else if (m.kind !== undefined && m.type >= 0x10) this.options.onMessage(m);
    }
  }

  /** A family went away or came (back): forget it everywhere; a watched one is joined again. */
  private familyEvent(m: NetlinkMessage): void {
    const f = familyOf(m) ?? { name: (m.attrs as { familyName?: string } | undefined)?.familyName };
    if (f.name === undefined || (m.kind !== 'delfamily' && m.kind !== 'newfamily')) return;
    this.genl.forget(f.name);
    const watched = this.options.groups.some(([family]) => family === f.name);
    if (!watched) return;
    if (m.kind === 'delfamily') this.codec.bindType(f.name, undefined);
    else void this.rejoin(f.name);
  }

  private async rejoin(family: string): Promise<void> {
    try {
      for (const [fam, group] of this.options.groups) {
        if (fam !== family || this.closed) continue;
        this.transport.addMembership!(await this.genl.mcastGroup(fam, group));
        this.codec.bindType(fam, this.genl.codec.typeOf(fam));
      }
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }
}
