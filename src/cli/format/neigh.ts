/**
 * `ip neigh show`: one entry as iproute2 6.1 print_neigh writes it.
 */
import { rtNeighSpec } from '../../../protocol/rt-neigh.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { protocolName } from '../names.js';
import type { Printer } from './printer.js';
import { type LinkNames, attrs, enumNum, flagsNum, llAddr } from './values.js';

const D = rtNeighSpec.definitions as Record<string, any>;
const HZ = 100;

const NUD_ORDER: [number, string][] = [
  [0x01, 'INCOMPLETE'],
  [0x02, 'REACHABLE'],
  [0x04, 'STALE'],
  [0x08, 'DELAY'],
  [0x10, 'PROBE'],
  [0x20, 'FAILED'],
  [0x40, 'NOARP'],
  [0x80, 'PERMANENT'],
];

export interface NeighFormatOptions {
  stats: number;
  /** A device was chosen: dev is then not printed. */
  devFiltered: boolean;
}

export function neighState(m: NetlinkMessage): number {
  return flagsNum(D['nud-state'], attrs(m.header).state);
}

export function printNeigh(p: Printer, m: NetlinkMessage, names: LinkNames, o: NeighFormatOptions): void {
  const h = attrs(m.header);
  const a = attrs(m.attrs);
  const flags = flagsNum(D['ntf-flags'], h.flags);
  const state = neighState(m);
  p.openObject();
  if (m.kind === 'delneigh') p.any('deleted', true, 'Deleted ');
  else if (m.kind === 'getneigh') p.any('miss', null, 'miss ');
  if (a.dst !== undefined) p.any('dst', String(a.dst), `${a.dst} `);
  if (!o.devFiltered && h.ifindex) {
    const d = names.name(h.ifindex);
    p.any('dev', d, `dev ${d} `);
  }
  if (a.lladdr !== undefined && a.lladdr !== '') {
    const s = llAddr(a.lladdr, 1);
    p.any('lladdr', s, `lladdr ${s} `);
  }
  if (flags & 0x80) p.any('router', null, 'router ');
  if (flags & 0x08) p.any('proxy', null, 'proxy ');
  if (flags & 0x10) p.any('extern_learn', null, 'extern_learn ');
  if (flags & 0x20) p.any('offload', null, 'offload ');
  if (o.stats) {
    if (a.cacheinfo !== undefined) {
      const ci = attrs(a.cacheinfo);
      if (ci.refcnt) p.any('refcnt', ci.refcnt, ` ref ${ci.refcnt}`);
      const u = Math.trunc(ci.used / HZ);
      const c = Math.trunc(ci.confirmed / HZ);
      const up = Math.trunc(ci.updated / HZ);
      p.any('used', u, ` used ${u}`);
      p.any('confirmed', c, `/${c}`);
      p.any('updated', up, `/${up}`);
    }
    if (a.probes !== undefined) p.any('probes', a.probes, `probes ${a.probes} `);
  }
  if (state) {
    p.openArray(p.json ? 'state' : null);
    for (const [bit, name] of NUD_ORDER) if (state & bit) p.any(null, name, `${name} `);
    p.closeArray();
  }
  if (a.protocol !== undefined) {
    const proto = enumNum(D['rt-protocol'] ?? { type: 'enum', entries: {} }, a.protocol);
    if (proto) {
      const s = protocolName(proto);
      p.any('protocol', s, ` proto ${s} `);
    }
  }
  p.text('\n');
  p.closeObject();
}
