/**
 * Links of the fake kernel: RTM_NEWLINK (create veth pairs, bridges and other kinds; change flags,
 * MTU, name, master... in do_setlink's order), RTM_DELLINK, RTM_GETLINK (by index, name or altname;
 * dumps filtered by master and kind) and RTM_NEWLINKPROP / DELLINKPROP, answered as rtnetlink.c does.
 * After each request, every link whose reported state changed is announced (RTM_NEWLINK), and
 * links that went up or down reconfigure their addresses and routes (addresses.ts).
 */
import { NLM_F } from '../../../protocol/netlink.js';
import { addrsLinkDown, addrsLinkGone, addrsLinkUp, v6LinkReady } from './addresses.js';
import { type Answer, type Attrs, E, type FakeLink, IFF, KernelError, type Net, type Request, bits } from './net.js';
import { linkMessage, snapshot } from './link-message.js';
import { neighsLinkDown } from './objects.js';

/** IFF_* a request may change (dev_change_flags); the rest are state. */
const SETTABLE =
  IFF.up! | IFF.debug! | IFF.notrailers! | IFF.noarp! | IFF.dynamic! | IFF.multicast! | IFF.portsel! | IFF.automedia! | IFF.promisc! | IFF.allmulti!;
const UNSUPPORTED_NETNS = 'stateful fake kernel: there is no other network namespace';

/** Kinds the fake creates; others are refused like a kernel without the module ("Unknown device type"). */
export const DEFAULT_KINDS = ['veth', 'bridge', 'dummy', 'vxlan', 'macvlan', 'macvtap', 'vlan'] as const;

/** Locally administered MACs, numbered per kernel (deterministic). */
function newMac(net: Net): string {
  const n = ++net.macs;
  return `02:00:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
}

function validName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

/**
 * Runs a change and then does what the kernel does after it: links that went up or down
 * reconfigure addresses and routes, carrier transitions are counted, and each link whose state
 * changed is announced (also when the change failed half-way: do_setlink keeps what it applied).
 */
export function changing(net: Net, fn: () => void): void {
  const before = new Map([...net.links.values()].map((l) => [l.index, { s: snapshot(net, l), up: net.isUp(l), carrier: net.carrier(l) }]));
  try {
    fn();
  } finally {
    for (const l of net.links.values()) refreshBridge(net, l);
    // The link messages go first (__dev_notify_flags), then what NETDEV_UP / NETDEV_DOWN do.
    for (const l of net.links.values()) {
      const b = before.get(l.index);
      if (net.isUp(l)) l.everUp = true;
      if (b && b.carrier !== net.carrier(l)) l.carrierChanges++;
      if (!b || b.s !== snapshot(net, l)) net.notify('link', linkMessage(net, l));
    }
    for (const l of net.links.values()) {
      const b = before.get(l.index);
      if (b?.up && !net.isUp(l)) {
        addrsLinkDown(net, l);
        neighsLinkDown(net, l.index);
      } else if (b && !b.up && net.isUp(l)) addrsLinkUp(net, l);
      v6LinkReady(net, l);
    }
  }
}

/** A bridge follows its ports (br_mtu_auto_adjust): the smallest MTU (1500 without ports) and lowest MAC, unless set. */
function refreshBridge(net: Net, br: FakeLink): void {
  if (br.kind !== 'bridge') return;
  const ports = net.portsOf(br);
  if (ports.length > 0) br.hadPorts = true;
  if (!br.hadPorts) return;
  if (!br.mtuSetByUser) br.mtu = ports.length > 0 ? Math.min(...ports.map((p) => p.mtu)) : 1500;
  if (!br.addressSetByUser && ports.length > 0) br.address = ports.map((p) => p.address).sort()[0]!;
}

/** ifla_policy: names are NLA_STRINGs of at most IFNAMSIZ - 1 (altnames ALTIFNAMSIZ - 1) bytes, or ERANGE at the attribute. */
function checkPolicy(req: Request): void {
  const a = req.msg.attrs;
  const long = (v: unknown, max: number) => typeof v === 'string' && Buffer.byteLength(v) > max;
  const fail = (path: string[]) => new KernelError(E.ERANGE, 'Attribute failed policy validation', path);
  if (long(a.ifname, 15)) throw fail(['ifname']);
  if (long(a.altIfname, 127)) throw fail(['altIfname']);
  const peer = (a.linkinfo as Attrs | undefined)?.data?.peer as { attrs?: Attrs } | undefined;
  if (long(peer?.attrs?.ifname, 15)) throw fail(['linkinfo', 'data', 'peer', 'ifname']);
}

function findLink(net: Net, req: Request, byIndex = true): FakeLink | undefined {
  const h = req.msg.header;
  const a = req.msg.attrs;
  if (byIndex && h.index > 0) return net.links.get(h.index);
  if (a.altIfname !== undefined) return net.byName(a.altIfname);
  if (a.ifname !== undefined) return net.byName(a.ifname);
  return undefined;
}

export function newLink(net: Net, req: Request, kinds: readonly string[]): Answer {
  checkPolicy(req);
  const a = req.msg.attrs;
  if (a.netNsPid !== undefined || a.netNsFd !== undefined || a.targetNetnsid !== undefined) throw new KernelError(E.EOPNOTSUPP, UNSUPPORTED_NETNS);
  const h = req.msg.header;
  const dev = h.index > 0 ? net.links.get(h.index) : findLink(net, req, false);
  if (dev) {
    if (req.flags & NLM_F.EXCL) throw new KernelError(E.EEXIST);
    if (req.flags & NLM_F.REPLACE) throw new KernelError(E.EOPNOTSUPP);
    changing(net, () => setLink(net, dev, req));
    return {};
  }
  if (!(req.flags & NLM_F.CREATE)) throw new KernelError(E.ENODEV);
  changing(net, () => createLink(net, req, kinds));
  return {};
}

/** Kinds with ETH_MIN_MTU..ETH_MAX_MTU bounds; dummy and lo check none. */
const ETHERNET_MTU_KINDS = ['veth', 'bridge', 'vxlan', 'macvlan', 'macvtap', 'vlan'];

function bounds(kind: string | undefined): { min: number; max: number } {
  return ETHERNET_MTU_KINDS.includes(kind ?? '') ? { min: 68, max: 65535 } : { min: 0, max: 0 };
}

function checkMtu(l: { minMtu: number; maxMtu: number }, mtu: number): void {
  if (mtu < l.minMtu) throw new KernelError(E.EINVAL, 'mtu less than device minimum');
  if (l.maxMtu > 0 && mtu > l.maxMtu) throw new KernelError(E.EINVAL, 'mtu greater than device maximum');
}

/** dev_alloc_name: a name with %d gets the lowest free number. */
function allocName(net: Net, pattern: string): string {
  if (!pattern.includes('%d')) return pattern;
  for (let i = 0; ; i++) if (!net.nameTaken(pattern.replace('%d', String(i)))) return pattern.replace('%d', String(i));
}

function blankLink(net: Net, index: number, name: string, kind: string): FakeLink {
  const b = bounds(kind);
  return {
    index,
    name,
    kind,
    type: 'ether',
    flags: IFF.broadcast! | IFF.multicast! | (kind === 'dummy' ? IFF.noarp! : 0),
    mtu: 1500,
    minMtu: b.min,
    maxMtu: b.max,
    mtuSetByUser: false,
    txqlen: 1000,
    address: newMac(net),
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addressSetByUser: false,
    group: 0,
    altnames: [],
    carrierChanges: 0,
    numTxQueues: 1,
    numRxQueues: 1,
  };
}

/** The name a new link asks for, checked and free. */
function claimName(net: Net, requested: unknown, kind: string, taken: string[] = []): string {
  const name = allocName(net, typeof requested === 'string' ? requested : `${kind}%d`);
  if (!validName(name)) throw new KernelError(E.EINVAL);
  if (net.nameTaken(name) || taken.includes(name)) throw new KernelError(E.EEXIST);
  return name;
}

/** rtnl_newlink_create: checks everything, then registers the link (and a veth's peer, first). */
function createLink(net: Net, req: Request, kinds: readonly string[]): void {
  const a = req.msg.attrs;
  const info = (a.linkinfo ?? {}) as Attrs;
  const kind = info.kind as string | undefined;
  if (a.map !== undefined || a.protinfo !== undefined) throw new KernelError(E.EOPNOTSUPP);
  if (kind === undefined || !kinds.includes(kind)) throw new KernelError(E.EOPNOTSUPP, 'Unknown device type');
  const name = claimName(net, a.ifname, kind);
  const peerReq = kind === 'veth' ? ((info.data as Attrs | undefined)?.peer as { header?: Attrs; attrs?: Attrs } | undefined) : undefined;
  const peerAttrs = peerReq?.attrs ?? {};
  if (peerAttrs.netNsPid !== undefined || peerAttrs.netNsFd !== undefined) throw new KernelError(E.EOPNOTSUPP, UNSUPPORTED_NETNS);
  const peerName = kind === 'veth' ? claimName(net, peerAttrs.ifname, 'veth', [name]) : undefined;
  const master = a.master !== undefined && a.master !== 0 ? net.links.get(a.master) : undefined;
  if (a.master && !master) throw new KernelError(E.EINVAL);
  if (master && master.kind !== 'bridge') throw new KernelError(E.EOPNOTSUPP);
  if (a.link !== undefined && kind !== 'veth' && !net.links.has(a.link)) throw new KernelError(E.ENODEV);
  const configure = (l: FakeLink, at: Attrs) => {
    if (at.mtu !== undefined) {
      // veth_validate checks 68..65535 itself, without a message; other kinds get dev_validate_mtu's.
      if (kind === 'veth' && (at.mtu < l.minMtu || at.mtu > l.maxMtu)) throw new KernelError(E.EINVAL);
      checkMtu(l, at.mtu);
      l.mtu = at.mtu;
      l.mtuSetByUser = true;
    }
    if (at.address !== undefined) {
      l.address = at.address;
      l.addressSetByUser = true;
    }
    if (at.txqlen !== undefined) l.txqlen = at.txqlen;
    if (at.group !== undefined) l.group = at.group;
    if (at.ifalias) l.alias = at.ifalias;
  };
  const main = blankLink(net, 0, name, kind);
  configure(main, a);
  let peer: FakeLink | undefined;
  if (peerName !== undefined) {
    peer = blankLink(net, 0, peerName, 'veth');
    configure(peer, peerAttrs);
    peer.index = net.allocIndex(peerReq?.header?.index);
    main.peer = peer.index;
  }
  main.index = net.allocIndex(req.msg.header.index);
  if (peer) {
    peer.peer = main.index;
    net.links.set(peer.index, peer);
  }
  if (kind !== 'veth' && info.data !== undefined) main.data = info.data;
  if (a.link !== undefined && kind !== 'veth') main.lower = a.link;
  net.links.set(main.index, main);
  if (master) main.master = master.index;
  applyFlags(main, req.msg.header);
}

/** rtnl_dev_combine_flags + dev_change_flags: ifi_change 0 means "all bits". */
function applyFlags(l: FakeLink, h: Attrs): void {
  const flags = bits(h.flags, IFF);
  const change = h.change ?? 0;
  if (flags === 0 && change === 0) return;
  const want = change ? (flags & change) | (l.flags & ~change) : flags;
  l.flags = (l.flags & ~SETTABLE) | (want & SETTABLE);
}

/** do_setlink, in its order: a failure keeps what was applied before it. */
function setLink(net: Net, l: FakeLink, req: Request): void {
  const a = req.msg.attrs;
  const h = req.msg.header;
  const info = a.linkinfo as Attrs | undefined;
  if (info?.data !== undefined && (info.kind !== l.kind || l.kind === 'veth')) throw new KernelError(E.EOPNOTSUPP);
  if (info?.data !== undefined) l.data = { ...(l.data as Attrs | undefined), ...(info.data as Attrs) };
  if (info?.slaveData !== undefined) {
    if (net.links.get(l.master ?? 0)?.kind !== 'bridge') throw new KernelError(E.EOPNOTSUPP);
    l.slaveData = { ...l.slaveData, ...(info.slaveData as Attrs) };
  }
  if (a.map !== undefined) throw new KernelError(E.EOPNOTSUPP);
  if (a.address !== undefined) {
    l.address = a.address;
    l.addressSetByUser = true;
  }
  if (a.mtu !== undefined) {
    checkMtu(l, a.mtu);
    l.mtu = a.mtu;
    if (l.kind === 'bridge') l.mtuSetByUser = true;
  }
  if (a.group !== undefined) l.group = a.group;
  if (h.index > 0 && a.ifname !== undefined && a.ifname !== l.name) rename(net, l, a.ifname);
  if (a.ifalias !== undefined) l.alias = a.ifalias === '' ? undefined : a.ifalias;
  if (a.broadcast !== undefined) l.broadcast = a.broadcast;
  applyFlags(l, h);
  if (a.master !== undefined) setMaster(net, l, a.master);
  if (a.txqlen !== undefined) l.txqlen = a.txqlen;
}

function rename(net: Net, l: FakeLink, name: unknown): void {
  if (!validName(name)) throw new KernelError(E.EINVAL);
  if (net.nameTaken(name, l) || l.altnames.includes(name)) throw new KernelError(E.EEXIST);
  l.name = name;
}

/** do_set_master: release the old master, then enslave (bridges only, no loops, no loopback). */
function setMaster(net: Net, l: FakeLink, index: number): void {
  if (l.master === index && index !== 0) return;
  l.master = undefined;
  if (index === 0) return;
  const br = net.links.get(index);
  if (!br) throw new KernelError(E.EINVAL);
  if (br.kind !== 'bridge') throw new KernelError(E.EOPNOTSUPP);
  if (l.kind === undefined || l.type !== 'ether') throw new KernelError(E.EINVAL);
  if (l.kind === 'bridge') throw new KernelError(E.ELOOP, 'Can not enslave a bridge to a bridge');
  l.master = index;
}

export function delLink(net: Net, req: Request): Answer {
  checkPolicy(req);
  const l = findLink(net, req);
  if (!l) {
    const named = req.msg.header.index > 0 || req.msg.attrs.ifname !== undefined || req.msg.attrs.altIfname !== undefined;
    throw new KernelError(named ? E.ENODEV : E.EINVAL);
  }
  if (l.kind === undefined) throw new KernelError(E.EOPNOTSUPP);
  const gone = [l, ...(l.peer !== undefined ? [net.links.get(l.peer)!] : [])];
  changing(net, () => {
    for (const g of gone) {
      for (const p of net.portsOf(g)) p.master = undefined;
      addrsLinkGone(net, g);
      neighsLinkDown(net, g.index);
      net.links.delete(g.index);
      net.notify('link', linkMessage(net, g, 'dellink'));
    }
  });
  return {};
}

export function getLink(net: Net, req: Request): Answer {
  const a = req.msg.attrs;
  if ((req.flags & NLM_F.DUMP) === NLM_F.DUMP) {
    const kind = (a.linkinfo as Attrs | undefined)?.kind as string | undefined;
    const master = a.master as number | undefined;
    const dump = [...net.links.values()]
      .sort((x, y) => x.index - y.index)
      .filter((l) => (master === undefined || l.master === master) && (kind === undefined || l.kind === kind))
      .map((l) => linkMessage(net, l, 'newlink', { flags: NLM_F.MULTI }));
    return { dump, filtered: kind !== undefined || master !== undefined };
  }
  checkPolicy(req);
  if (a.targetNetnsid !== undefined) throw new KernelError(E.EINVAL, 'Invalid target network namespace id');
  const h = req.msg.header;
  if (!(h.index > 0) && a.ifname === undefined && a.altIfname === undefined) throw new KernelError(E.EINVAL);
  const l = findLink(net, req);
  if (!l) throw new KernelError(E.ENODEV);
  return { replies: [linkMessage(net, l)] };
}

/** RTM_NEWLINKPROP / RTM_DELLINKPROP: alternative names (up to 127 bytes). */
export function linkProp(net: Net, req: Request, add: boolean): Answer {
  checkPolicy(req);
  const l = findLink(net, req);
  if (!l) throw new KernelError(E.ENODEV);
  const names = ((req.msg.attrs.propList as Attrs | undefined)?.altIfname ?? []) as string[];
  if (names.length === 0) throw new KernelError(E.EINVAL);
  changing(net, () => {
    for (const n of names) {
      if (add) {
        if (typeof n !== 'string' || n.length === 0 || Buffer.byteLength(n) > 127) throw new KernelError(E.EINVAL);
        if (net.nameTaken(n)) throw new KernelError(E.EEXIST);
        l.altnames.push(n);
      } else {
        const i = l.altnames.indexOf(n);
        if (i < 0) throw new KernelError(n === l.name ? E.EINVAL : E.ENOENT);
        l.altnames.splice(i, 1);
      }
    }
  });
  return {};
}

/** lo, index 1, down: what every new network namespace has. */
export function loopback(net: Net): void {
  const l: FakeLink = {
    index: net.allocIndex(1),
    name: 'lo',
    type: 'loopback',
    flags: IFF.loopback!,
    mtu: 65536,
    minMtu: 0,
    maxMtu: 0,
    mtuSetByUser: false,
    txqlen: 1000,
    address: '00:00:00:00:00:00',
    broadcast: '00:00:00:00:00:00',
    addressSetByUser: true,
    group: 0,
    altnames: [],
    carrierChanges: 0,
    numTxQueues: 1,
    numRxQueues: 1,
  };
  net.links.set(l.index, l);
}
