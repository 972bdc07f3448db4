/**
 * A link as RTM_NEWLINK / RTM_DELLINK carry it (rtnl_fill_ifinfo), from the fake kernel's state:
 * reported flags, operstate and carrier derived from the links around it.
 */
import { rtLinkSpec } from '../../../protocol/rt-link.js';
import type { OutgoingMessage } from '../../../src/codec/message.js';
import { type Attrs, type FakeLink, IFF, type Net } from './net.js';

/** IFF_* as dev_get_flags reports them: the user's flags plus running / lower_up while up. */
function reportedFlags(net: Net, l: FakeLink): number {
  let f = l.flags;
  if (net.isUp(l)) {
    const oper = net.operstate(l);
    if (oper === 'up' || oper === 'unknown') f |= IFF.running!;
    if (net.carrier(l)) f |= IFF.lower_up!;
  }
  return f;
}

export function linkMessage(net: Net, l: FakeLink, kind = 'newlink', opts: { stats?: boolean; flags?: number } = {}): OutgoingMessage {
  const master = l.master === undefined ? undefined : net.links.get(l.master);
  const port = master?.kind === 'bridge' ? 1 : 0;
  const attrs: Attrs = {
    ifname: l.name,
    txqlen: l.txqlen,
    operstate: net.operstate(l),
    linkmode: 'default',
    mtu: l.mtu,
    minMtu: l.minMtu,
    maxMtu: l.maxMtu,
    group: l.group,
    promiscuity: ((l.flags & IFF.promisc!) !== 0 ? 1 : 0) + port,
    allmulti: ((l.flags & IFF.allmulti!) !== 0 ? 1 : 0) + port,
    numTxQueues: l.numTxQueues,
    numRxQueues: l.numRxQueues,
    carrier: net.carrier(l) ? 1 : 0,
    carrierChanges: l.carrierChanges,
    qdisc: l.everUp ? 'noqueue' : 'noop',
    address: l.address,
    broadcast: l.broadcast,
  };
  if (l.master !== undefined) attrs.master = l.master;
  if (l.peer !== undefined) attrs.link = l.peer;
  if (l.lower !== undefined) attrs.link = l.lower;
  if (l.alias !== undefined) attrs.ifalias = l.alias;
  if (l.altnames.length > 0) attrs.propList = { altIfname: l.altnames };
  if (l.kind !== undefined) {
    const info: Attrs = { kind: l.kind };
    if (l.data !== undefined && l.kind !== 'veth') info.data = l.data;
    if (port) {
      info.slaveKind = 'bridge';
      info.slaveData = { state: net.isUp(l) && net.carrier(l) && net.isUp(master) ? 'forwarding' : 'disabled', ...l.slaveData };
    }
    attrs.linkinfo = info;
  }
  // Counters always (RTEXT_FILTER_SKIP_STATS only drops per-family and VF statistics); nothing moves here.
  if (opts.stats !== false) attrs.stats64 = Object.fromEntries(STATS64.map((k) => [k, 0n]));
  attrs.afSpec = { inet6: { addrGenMode: 'eui64' } };
  return { kind, flags: opts.flags ?? 0, header: { family: 'unspec', type: l.type, index: l.index, flags: reportedFlags(net, l), change: 0 }, attrs };
}

const STATS64 = rtLinkSpec.definitions['rtnl-link-stats64'].members.map((m) => m.name);

/** What the kernel would announce of a link: its message without counters. */
export function snapshot(net: Net, l: FakeLink): string {
  return JSON.stringify(linkMessage(net, l, 'newlink', { stats: false }), (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
}
