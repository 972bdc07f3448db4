/**
 * Fake kernels for monitor tests: event datagrams built with the codec, and a scripted request
 * socket that answers dumps from a mutable state.
 */
import { NLM_F } from '../../protocol/netlink.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { doneFor, errorFor, seqOf } from '../support/bytes.js';

export const codec = rtnetlinkCodec();

export function linkMsg(
  index: number,
  name: string,
  opts: { del?: boolean; up?: boolean; seq?: number; flags?: number; family?: string } = {},
): Uint8Array {
  const flags = opts.up === false ? ['broadcast', 'multicast'] : ['up', 'broadcast', 'multicast', 'lower_up', 'running'];
  return codec
    .encode({
      kind: opts.del ? 'dellink' : 'newlink',
      flags: opts.flags ?? 0,
      seq: opts.seq ?? 0,
      header: { family: opts.family ?? 'unspec', type: 'ether', index, flags, change: 0 },
      attrs: {
        ifname: name,
        mtu: 1500,
        operstate: opts.up === false ? 'down' : 'up',
        address: '02:00:00:00:00:' + index.toString(16).padStart(2, '0'),
      },
    })
    .slice();
}

export function addrMsg(index: number, cidr: string, opts: { del?: boolean; seq?: number; flags?: number } = {}): Uint8Array {
  const [address, len] = cidr.split('/') as [string, string];
  const v6 = address.includes(':');
  return codec
    .encode({
      kind: opts.del ? 'deladdr' : 'newaddr',
      flags: opts.flags ?? 0,
      seq: opts.seq ?? 0,
      header: { family: v6 ? 'inet6' : 'inet', prefixlen: Number(len), flags: 0x80, scope: 0, index },
      attrs: v6 ? { address, flags: 0x80 } : { address, local: address, label: 'eth' + index, flags: 0x80 },
    })
    .slice();
}

export function routeMsg(
  dst: string,
  oif: number,
  opts: { del?: boolean; seq?: number; flags?: number; table?: number; gateway?: string; prefsrc?: string; rtmFlags?: number } = {},
): Uint8Array {
  const [addr, len] = dst.split('/') as [string, string];
  const attrs: Record<string, unknown> = { dst: addr, oif, table: opts.table ?? 254 };
  if (opts.gateway) attrs.gateway = opts.gateway;
  if (opts.prefsrc) attrs.prefsrc = opts.prefsrc;
  return codec
    .encode({
      kind: opts.del ? 'delroute' : 'newroute',
      flags: opts.flags ?? 0,
      seq: opts.seq ?? 0,
      header: {
        family: 'inet',
        dstLen: Number(len),
        srcLen: 0,
        tos: 0,
        table: (opts.table ?? 254) < 256 ? (opts.table ?? 254) : 0,
        protocol: 'boot',
        scope: opts.gateway ? 'universe' : 'link',
        type: 'unicast',
        flags: opts.rtmFlags ?? 0,
      },
      attrs,
    })
    .slice();
}

/** What the fake kernel holds; dumps answer from it at the time they are asked. */
export interface FakeState {
  links: Map<number, string>;
  addrs: Map<string, number>; // cidr -> index
  routes: Map<string, number>; // dst -> oif ('dst@oif' keys: the same prefix through several devices)
  /** Route rtm_flags by state key (e.g. RTNH_F_LINKDOWN = 16). */
  routeFlags?: Map<string, number>;
}

export function fakeState(): FakeState {
  return { links: new Map([[1, 'lo']]), addrs: new Map(), routes: new Map() };
}

/** What a fakeRequests hook may ask of the answer to a dump: DUMP_INTR on it, or an error instead. */
export interface DumpHookResult {
  interrupt?: boolean | undefined;
  fail?: number | undefined;
}

/**
 * A request socket over a ScriptedTransport answering getlink / getaddr / getroute / others
 * with the state. `hook` runs on each dump request before the answer (to inject events "during" a dump).
 */
export function fakeRequests(
  state: FakeState,
  hook?: (kind: string, n: number) => DumpHookResult | undefined,
): { conn: Connection; t: ScriptedTransport; dumps: string[]; requests: NetlinkMessage[] } {
  const dumps: string[] = [];
  const requests: NetlinkMessage[] = [];
  const t = new ScriptedTransport((sent, reply) => {
    const seq = seqOf(sent);
    const type = new DataView(sent.buffer, sent.byteOffset).getUint16(4, true);
    const kind = codec.messageByType(type)?.message.name ?? String(type);
    dumps.push(kind);
    requests.push(codec.decode(sent)[0]!);
    const r = hook?.(kind, dumps.length);
    if (r?.fail) {
      reply(errorFor(sent, r.fail));
      return;
    }
    const multi = NLM_F.MULTI | (r?.interrupt ? NLM_F.DUMP_INTR : 0);
    const msgs: Uint8Array[] = [];
    const family = codec.decode(sent)[0]!.header?.family;
    if (kind === 'getlink') for (const [i, n] of state.links) msgs.push(linkMsg(i, n, { seq, flags: multi }));
    if (kind === 'getaddr')
      for (const [c, i] of state.addrs)
        if (family === 'unspec' || family === (c.includes(':') ? 'inet6' : 'inet')) msgs.push(addrMsg(i, c, { seq, flags: multi }));
    if (kind === 'getroute' && family === 'inet') {
      // Strict checking: the kernel applies RTA_OIF itself and says so (NLM_F_DUMP_FILTERED).
      const oif = (requests.at(-1)!.attrs as { oif?: number } | undefined)?.oif;
      const type = (requests.at(-1)!.header as { type?: unknown } | undefined)?.type;
      const filtered = oif !== undefined || (type !== undefined && type !== 0 && type !== 'unspec') ? NLM_F.DUMP_FILTERED : 0;
      for (const [k, i] of state.routes) {
        if (oif !== undefined && i !== oif) continue;
        if (filtered && type !== undefined && type !== 0 && type !== 'unspec' && type !== 'unicast') continue; // all fake routes are unicast
        msgs.push(routeMsg(k.split('@')[0]!, i, { seq, flags: multi | filtered, rtmFlags: state.routeFlags?.get(k) ?? 0 }));
      }
    }
    for (const m of msgs) reply(m);
    reply(doneFor(sent, 0, multi));
  });
  return { conn: new Connection(t, codec), t, dumps, requests };
}

export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
