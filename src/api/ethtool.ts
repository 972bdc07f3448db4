/**
 * nl.ethtool: device settings over generic netlink's ethtool family (protocol/ethtool.ts), what
 * `ethtool` shows and changes: features (offloads), link settings and state, channels, rings.
 * Devices by name or index. The generic netlink socket is opened on first use (see client.ts).
 *
 * Each method reads as: check the input, run one operation of the family, convert the reply.
 * A device without the operation gives NotSupportedError; a device that does not exist,
 * NotFoundError.
 */
import { markValidated } from '../codec/compile.js';
import type { NetlinkMessage } from '../codec/message.js';
import type { RequestOptions } from '../conn/connection.js';
import type {
  EthtoolChannelsAttrs,
  EthtoolDebugAttrs,
  EthtoolDuplex,
  EthtoolFeaturesAttrs,
  EthtoolHeaderAttrs,
  EthtoolHeaderFlags,
  EthtoolLinkExtState,
  EthtoolLinkinfoAttrs,
  EthtoolLinkmodesAttrs,
  EthtoolLinkstateAttrs,
  EthtoolMasterSlaveCfg,
  EthtoolMasterSlaveState,
  EthtoolPort,
  EthtoolRateMatching,
  EthtoolRingsAttrs,
  EthtoolStrsetAttrs,
  EthtoolTpMdi,
  EthtoolTransceiver,
  EthtoolWolAttrs,
} from '../generated/index.js';
import type { GenlAttrs, GenlConnection } from '../genl/connection.js';
import type { Transport } from '../transport/types.js';
import { type NamedBit, namedBitsRequest, readBits } from './ethtool-bitset.js';
import { type FeatureChange, type Features, expandFeatureName, featureChangesOf, featuresOf } from './ethtool-features.js';
import { InvalidArgumentError, notFoundOr } from './errors.js';
import { notSupportedOr } from './not-supported.js';
import { checkInt, checkLinkName, checkObject, checkRequestOptions } from './validate.js';

export type { FeatureChange, FeatureState, Features } from './ethtool-features.js';
export type { NamedBit } from './ethtool-bitset.js';

/** A device by name (or altname) or index. */
export type DeviceRef = string | number;

interface Device {
  ifindex: number;
  ifname: string;
}

/** ETHTOOL_MSG_LINKINFO: the connector and PHY. Enum values by name ('tp', 'internal'...) or number. */
export interface LinkInfo extends Device {
  port?: EthtoolPort;
  phyaddr?: number;
  /** MDI/MDI-X status ('mdi', 'mdi-x', 'invalid' when unknown) and control ('auto'...). */
  tpMdix?: EthtoolTpMdi;
  tpMdixCtrl?: EthtoolTpMdi;
  transceiver?: EthtoolTransceiver;
}

/** ETHTOOL_MSG_LINKMODES: speed, duplex, autonegotiation and link modes. */
export interface LinkModes extends Device {
  autoneg?: boolean;
  /** Mb/s; 'unknown' when the kernel says so (SPEED_UNKNOWN, or no link). */
  speed?: number | 'unknown';
  duplex?: EthtoolDuplex;
  lanes?: number;
  masterSlaveCfg?: EthtoolMasterSlaveCfg;
  masterSlaveState?: EthtoolMasterSlaveState;
  rateMatching?: EthtoolRateMatching;
  /**
   * Link modes the device supports and advertises. The kernel mixes port types (TP, FIBRE...),
   * pause and FEC bits into these sets, as ethtool shows them apart.
   */
  supported: NamedBit[];
  advertised: NamedBit[];
  /** What the link partner advertises, when reported. */
  partner?: NamedBit[];
}

/** ETHTOOL_MSG_LINKSTATE. */
export interface LinkState extends Device {
  /** Carrier. */
  link?: boolean;
  sqi?: number;
  sqiMax?: number;
  extState?: EthtoolLinkExtState;
  extSubstate?: number;
  extDownCnt?: number;
}

/** ETHTOOL_MSG_WOL: wake-on-LAN modes by bit ('phy', 'ucast', 'magic'...). */
export interface WakeOnLan extends Device {
  supported: NamedBit[];
  enabled: NamedBit[];
  /** SecureOn password, colon-separated hex. */
  sopass?: string;
}

/** ETHTOOL_MSG_DEBUG: the driver's message level. */
export interface DebugLevel extends Device {
  /** NETIF_MSG_* bits below 32, as a number (ethtool's "Current message level"). */
  msglevel: number;
  classes: NamedBit[];
}

/** ETHTOOL_MSG_CHANNELS: queue counts, as the spec names them; an attribute the device does not have is left out. */
export interface Channels extends Device, Omit<EthtoolChannelsAttrs, 'header' | 'unknown'> {}

/** Channel counts to set (ethtool -L): rx, tx, other, combined. */
export interface ChannelsSet extends RequestOptions {
  rx?: number;
  tx?: number;
  other?: number;
  combined?: number;
}

/**
 * ETHTOOL_MSG_RINGS: ring sizes and ring options, as the spec names them (tcpDataSplit: 'unknown',
 * 'disabled', 'enabled'); the u8 push switches as booleans; what the device lacks is left out.
 */
export interface Rings extends Device, Omit<EthtoolRingsAttrs, 'header' | 'unknown' | 'txPush' | 'rxPush'> {
  txPush?: boolean;
  rxPush?: boolean;
}

/** Ring settings to change (ethtool -G). */
export interface RingsSet extends RequestOptions {
  rx?: number;
  rxMini?: number;
  rxJumbo?: number;
  tx?: number;
  rxBufLen?: number;
  cqeSize?: number;
  txPush?: boolean;
  rxPush?: boolean;
  tcpDataSplit?: 'auto' | 'off' | 'on';
  txPushBufLen?: number;
  hdsThresh?: number;
}

/** A notification of the ethtool `monitor` group: someone changed a device's settings. */
export interface EthtoolEvent {
  /** The message: 'featuresNtf', 'linkmodesNtf', 'linkinfoNtf', 'channelsNtf', 'ringsNtf', 'wolNtf', 'debugNtf', 'privflagsNtf'... */
  kind: string;
  ifindex: number;
  ifname: string;
  /** Its attributes as decoded by the spec (the new settings, bit sets compact or verbose). */
  attrs: Record<string, unknown>;
}

/** A running monitor (see EthtoolApi.monitor). */
export interface EthtoolMonitor {
  close(): void;
}

/** Feature changes by kernel name ('tx-checksum-ip-generic') or ethtool -K group name ('tx', 'tso', 'gro'...). */
export type FeatureRequest = Record<string, boolean>;

const CHANNEL_KEYS = { rx: 'rxCount', tx: 'txCount', other: 'otherCount', combined: 'combinedCount' } as const;
const RING_U32 = ['rx', 'rxMini', 'rxJumbo', 'tx', 'rxBufLen', 'cqeSize', 'txPushBufLen', 'hdsThresh'] as const;
const TCP_DATA_SPLIT = { auto: 0, off: 1, on: 2 } as const;
const SPEED_UNKNOWN = new Set([0, 0xffff, 0xffffffff]);
/** Global string sets, by ETH_SS_* name: the same for every device of a kernel. */
type GlobalStringSet = 'features' | 'link-modes' | 'msg-classes' | 'wol-modes';

export class EthtoolApi {
  /** Global string sets per connection (the socket's kernel), fetched once each. */
  private readonly strings = new Map<string, Promise<string[]>>();
  private genlFor: GenlConnection | undefined;

  /**
   * @param genl the generic netlink connection, opened on first use
   * @param socket a new generic netlink socket in the same namespace (for monitor())
   */
  constructor(
    private readonly genl: () => Promise<GenlConnection>,
    private readonly socket?: () => Promise<Transport>,
  ) {}

  /** Features (offloads) of a device by kernel name: active, wanted, changeable, fixed (ethtool -k). */
  async features(dev: DeviceRef, options?: RequestOptions): Promise<Features> {
    const o = checkRequestOptions(options);
    const names = await this.stringSet('features', o);
    const m = await this.get('featuresGet', 'features', dev, o, ['compact-bitsets']);
    const d = deviceOf(m, dev);
    return featuresOf(m.attrs as EthtoolFeaturesAttrs, names, d.ifindex, d.ifname);
  }

  /**
   * Turns features on or off (ethtool -K): kernel names, or ethtool's group names (tx, rx, sg, tso,
   * gso, gro, lro, rxvlan, txvlan, ntuple, rxhash, and their long forms like tx-checksumming) for
   * every feature of the group. Resolves with what came out otherwise: features the device did not
   * change as asked (`refused`) and features that changed besides. Empty when all went as asked.
   */
  async setFeatures(dev: DeviceRef, changes: FeatureRequest, options?: RequestOptions): Promise<FeatureChange[]> {
    const o = checkRequestOptions(options);
    checkObject(changes, 'features', "must be an object like { 'tx-checksum-ip-generic': false }");
    const names = await this.stringSet('features', o);
    const wanted: [string, boolean][] = [];
    const requested = new Set<string>();
    for (const [name, on] of Object.entries(changes)) {
      if (typeof on !== 'boolean') throw new InvalidArgumentError(`feature ${name}`, on, 'must be true or false');
      const expanded = expandFeatureName(name, names);
      if (expanded === undefined)
        throw new InvalidArgumentError('feature', name, 'is not a feature of this kernel, nor an ethtool group name (tx, sg, tso, gro...)');
      for (const n of expanded) {
        wanted.push([n, on]);
        requested.add(n);
      }
    }
    if (wanted.length === 0) throw new InvalidArgumentError('features', changes, 'names no feature to change');
    const attrs = { header: this.header(dev, ['compact-bitsets']), wanted: namedBitsRequest(wanted) };
    const msgs = await this.run('setFeatures', 'featuresSet', dev, attrs, o);
    const reply = msgs.find((m) => m.kind === 'featuresSetReply');
    return reply === undefined ? [] : featureChangesOf(reply.attrs as EthtoolFeaturesAttrs, names, requested);
  }

  /** Connector, PHY address, MDI-X, transceiver (part of what `ethtool DEV` shows). */
  async linkInfo(dev: DeviceRef, options?: RequestOptions): Promise<LinkInfo> {
    const m = await this.get('linkinfoGet', 'linkInfo', dev, checkRequestOptions(options));
    const a = m.attrs as EthtoolLinkinfoAttrs;
    return defined({ ...deviceOf(m, dev), port: a.port, phyaddr: a.phyaddr, tpMdix: a.tpMdix, tpMdixCtrl: a.tpMdixCtrl, transceiver: a.transceiver });
  }

  /** Speed, duplex, autonegotiation and the link modes supported, advertised and seen from the partner. */
  async linkModes(dev: DeviceRef, options?: RequestOptions): Promise<LinkModes> {
    const m = await this.get('linkmodesGet', 'linkModes', dev, checkRequestOptions(options));
    const a = m.attrs as EthtoolLinkmodesAttrs;
    const ours = readBits(a.ours);
    return defined({
      ...deviceOf(m, dev),
      autoneg: a.autoneg === undefined ? undefined : a.autoneg !== 0,
      speed: a.speed === undefined ? undefined : SPEED_UNKNOWN.has(a.speed) ? ('unknown' as const) : a.speed,
      duplex: a.duplex,
      lanes: a.lanes,
      masterSlaveCfg: a.masterSlaveCfg,
      masterSlaveState: a.masterSlaveState,
      rateMatching: a.rateMatching,
      supported: ours.mask ?? ours.value,
      advertised: ours.value,
      partner: a.peer === undefined ? undefined : readBits(a.peer).value,
    });
  }

  /** Carrier and signal quality. */
  async linkState(dev: DeviceRef, options?: RequestOptions): Promise<LinkState> {
    const m = await this.get('linkstateGet', 'linkState', dev, checkRequestOptions(options));
    const a = m.attrs as EthtoolLinkstateAttrs;
    const link = a.link === undefined ? undefined : a.link !== 0;
    return defined({
      ...deviceOf(m, dev),
      link,
      sqi: a.sqi,
      sqiMax: a.sqiMax,
      extState: a.extState,
      extSubstate: a.extSubstate,
      extDownCnt: a.extDownCnt,
    });
  }

  /** Wake-on-LAN modes supported and enabled. */
  async wakeOnLan(dev: DeviceRef, options?: RequestOptions): Promise<WakeOnLan> {
    const m = await this.get('wolGet', 'wakeOnLan', dev, checkRequestOptions(options));
    const a = m.attrs as EthtoolWolAttrs;
    const modes = readBits(a.modes);
    const sopass = typeof a.sopass === 'string' ? a.sopass : undefined;
    return defined({ ...deviceOf(m, dev), supported: modes.mask ?? modes.value, enabled: modes.value, sopass });
  }

  /** The driver's message level (NETIF_MSG_* classes). */
  async debug(dev: DeviceRef, options?: RequestOptions): Promise<DebugLevel> {
    const m = await this.get('debugGet', 'debug', dev, checkRequestOptions(options));
    const classes = readBits((m.attrs as EthtoolDebugAttrs).msgmask).value;
    const msglevel = classes.reduce((n, b) => (b.index < 32 ? n | (1 << b.index) : n), 0) >>> 0;
    return { ...deviceOf(m, dev), msglevel, classes };
  }

  /** Queue (channel) counts and their maximums (ethtool -l). */
  async channels(dev: DeviceRef, options?: RequestOptions): Promise<Channels> {
    const m = await this.get('channelsGet', 'channels', dev, checkRequestOptions(options));
    const a = m.attrs as EthtoolChannelsAttrs;
    return defined({
      ...deviceOf(m, dev),
      rxMax: a.rxMax,
      txMax: a.txMax,
      otherMax: a.otherMax,
      combinedMax: a.combinedMax,
      rxCount: a.rxCount,
      txCount: a.txCount,
      otherCount: a.otherCount,
      combinedCount: a.combinedCount,
    });
  }

  /** Sets channel counts (ethtool -L DEV combined N...); the kernel checks them against the maximums. */
  async setChannels(dev: DeviceRef, counts: ChannelsSet): Promise<void> {
    const o = checkRequestOptions(checkObject(counts, 'channels', 'must be an object like { combined: 4 }'));
    const attrs: EthtoolChannelsAttrs = { header: this.header(dev) };
    for (const [k, attr] of Object.entries(CHANNEL_KEYS)) {
      const v = counts[k as keyof typeof CHANNEL_KEYS];
      if (v !== undefined) attrs[attr] = checkInt(v, k, 0, 0xffffffff);
    }
    if (Object.keys(attrs).length === 1) throw new InvalidArgumentError('channels', counts, 'names no count to set (rx, tx, other, combined)');
    await this.run('setChannels', 'channelsSet', dev, attrs, o);
  }

  /** Ring sizes and options (ethtool -g); NotSupportedError for devices without rings (veth). */
  async rings(dev: DeviceRef, options?: RequestOptions): Promise<Rings> {
    const m = await this.get('ringsGet', 'rings', dev, checkRequestOptions(options));
    const { header: _h, unknown: _u, txPush, rxPush, ...a } = m.attrs as EthtoolRingsAttrs;
    return defined({
      ...deviceOf(m, dev),
      ...a,
      txPush: txPush === undefined ? undefined : txPush !== 0,
      rxPush: rxPush === undefined ? undefined : rxPush !== 0,
    });
  }

  /** Changes ring sizes and options (ethtool -G). */
  async setRings(dev: DeviceRef, rings: RingsSet): Promise<void> {
    const o = checkRequestOptions(checkObject(rings, 'rings', 'must be an object like { rx: 1024 }'));
    const attrs: EthtoolRingsAttrs = { header: this.header(dev) };
    for (const k of RING_U32) if (rings[k] !== undefined) attrs[k] = checkInt(rings[k], k, 0, 0xffffffff);
    for (const k of ['txPush', 'rxPush'] as const) {
      const v = rings[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new InvalidArgumentError(k, v, 'must be true or false');
      attrs[k] = v ? 1 : 0;
    }
    if (rings.tcpDataSplit !== undefined) {
      const v = Object.hasOwn(TCP_DATA_SPLIT, rings.tcpDataSplit) ? TCP_DATA_SPLIT[rings.tcpDataSplit] : undefined;
      if (v === undefined) throw new InvalidArgumentError('tcpDataSplit', rings.tcpDataSplit, "must be 'auto', 'off' or 'on'");
      attrs.tcpDataSplit = v;
    }
    if (Object.keys(attrs).length === 1) throw new InvalidArgumentError('rings', rings, 'names nothing to set');
    await this.run('setRings', 'ringsSet', dev, attrs, o);
  }

  /**
   * ethtool's notifications (the `monitor` group, what `ethtool --monitor` shows): every change of
   * a device's features, link settings, channels, rings... by anyone, on a socket of its own.
   * Resolves once joined; close() leaves.
   */
  async monitor(onEvent: (e: EthtoolEvent) => void, options: { onError?: (err: Error) => void } = {}): Promise<EthtoolMonitor> {
    if (typeof onEvent !== 'function') throw new InvalidArgumentError('onEvent', onEvent, 'must be a function');
    if (this.socket === undefined) throw new InvalidArgumentError('monitor', undefined, 'needs a client that can open generic netlink sockets');
    const [genl, { GenlMonitor }, { ethtoolSpec }] = await Promise.all([
      this.connection(),
      import('../genl/monitor.js'),
      import('../../protocol/ethtool.js'),
    ]);
    // GenlMonitor.open closes the socket when joining fails.
    return GenlMonitor.open(await this.socket(), genl, {
      groups: [['ethtool', 'monitor']],
      specs: [ethtoolSpec],
      onMessage: (m) => {
        const attrs = (m.attrs ?? {}) as Record<string, unknown>;
        onEvent({ kind: m.kind!, ...deviceOf(m, 0), attrs });
      },
      ...(options.onError !== undefined && { onError: options.onError }),
    });
  }

  /** A global string set by its ETH_SS_* name ('features', 'link-modes'...), fetched once per connection. */
  async stringSet(id: GlobalStringSet, options: RequestOptions = {}): Promise<string[]> {
    const genl = await this.connection();
    if (genl !== this.genlFor) {
      this.strings.clear(); // a new socket: perhaps another kernel's namespace, never stale data
      this.genlFor = genl;
    }
    let p = this.strings.get(id);
    if (p === undefined) {
      p = this.fetchStringSet(genl, id, options);
      this.strings.set(id, p);
      p.catch(() => this.strings.delete(id));
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------

  /** The generic netlink connection, speaking ethtool (the spec is loaded and joins its codec on first use). */
  private async connection(): Promise<GenlConnection> {
    const [genl, { ethtoolSpec }] = await Promise.all([this.genl(), import('../../protocol/ethtool.js')]);
    markValidated([ethtoolSpec]); // the package's own spec (test/codec/spec-validation.test.ts): 0.7 ms a process
    return genl.use(ethtoolSpec);
  }

  private async fetchStringSet(genl: GenlConnection, id: GlobalStringSet, options: RequestOptions): Promise<string[]> {
    // The header is required (empty for a global set: no device).
    const msgs = await genl.request('ethtool', 'strsetGet', { header: {}, stringsets: { stringset: [{ id }] } }, options);
    const set = (msgs[0]?.attrs as EthtoolStrsetAttrs | undefined)?.stringsets?.stringset?.find((x) => x.id === id);
    const out: string[] = new Array<string>(set?.count ?? 0).fill('');
    for (const strings of set?.strings ?? []) {
      for (const str of strings.string ?? []) if (str.index !== undefined && str.index < 0x10000) out[str.index] = str.value ?? '';
    }
    return out;
  }

  private header(dev: DeviceRef, flags?: EthtoolHeaderFlags): EthtoolHeaderAttrs {
    const h: EthtoolHeaderAttrs =
      typeof dev === 'number' ? { devIndex: checkInt(dev, 'device index', 1, 0x7fffffff) } : { devName: checkLinkName(dev, 'device') };
    if (flags !== undefined) h.flags = flags;
    return h;
  }

  /** One get operation on a device: its reply message. */
  private async get(op: string, what: string, dev: DeviceRef, options: RequestOptions, flags?: EthtoolHeaderFlags): Promise<NetlinkMessage> {
    const msgs = await this.run(what, op, dev, { header: this.header(dev, flags) }, options);
    const reply = msgs.find((m) => m.attrs !== undefined);
    if (reply === undefined) throw new InvalidArgumentError('device', dev, `gave no ${what} reply`);
    return reply;
  }

  /** Runs an ethtool operation; the kernel's "no such device" and "not supported" become typed errors. */
  private async run(what: string, op: string, dev: DeviceRef, attrs: GenlAttrs, options: RequestOptions): Promise<NetlinkMessage[]> {
    const genl = await this.connection();
    try {
      return await genl.request('ethtool', op, attrs, options);
    } catch (err) {
      throw notSupportedOr(notFoundOr(err, 'link', dev), what, dev);
    }
  }
}

/** The device a reply is about, from its header nest. */
function deviceOf(m: NetlinkMessage, dev: DeviceRef): Device {
  const h = (m.attrs as { header?: EthtoolHeaderAttrs } | undefined)?.header;
  return { ifindex: h?.devIndex ?? (typeof dev === 'number' ? dev : 0), ifname: h?.devName ?? String(dev) };
}

/** `o` without its undefined properties (attributes the kernel did not send are left out, not undefined). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
