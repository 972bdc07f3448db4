/**
 * `ip neigh show`: one entry as iproute2 6.1 print_neigh writes it.
 */
import { rtNeighSpec } from '../../../protocol/rt-neigh.js';
import type { NetlinkMessage } from '../../codec/message.js';
import { protocolName } from '../names.js';
import type { Printer } from './printer.js';
import { type LinkNames, attrs, attrsOf, enumNum, flagsNum, headerOf, llAddr } from './values.js';

const D = rtNeighSpec.definitions;
const HZ = 100;

/** NUD_* bits in ip's order (the bits' and the spec's), printed as the spec's names in upper case. */
const NUD_WORDS = Object.entries(D['nud-state'].entries)
  .filter(([, bit]) => bit !== 0)
  .map(([name, bit]) => [bit, name.toUpperCase()] as const);

const NTF = D['ntf-flags'].entries;
/** Presentation: the NTF_* flags ip prints, in its order and words (the spec has the kernel's names). */
const NTF_WORDS = [
  [NTF.router, 'router'],
  [NTF.proxy, 'proxy'],
  [NTF.ext_learned, 'extern_learn'],
  [NTF.offloaded, 'offload'],
] as const;

export interface NeighFormatOptions {
  stats: number;
  /** A device was chosen: dev is then not printed. */
  devFiltered: boolean;
}

export function neighState(m: NetlinkMessage): number {
  return flagsNum(D['nud-state'], headerOf(m, 'newneigh').state);
}

export function printNeigh(p: Printer, m: NetlinkMessage, names: LinkNames, o: NeighFormatOptions): void {
  const h = headerOf(m, 'newneigh');
  const a = attrsOf(m, 'newneigh');
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
    const s = llAddr(a.lladdr, 'ether');
    p.any('lladdr', s, `lladdr ${s} `);
  }
  for (const [bit, word] of NTF_WORDS) if (flags & bit) p.any(word, null, `${word} `);
  if (o.stats) {
    if (a.cacheinfo !== undefined) {
      const { refcnt, used = 0, confirmed = 0, updated = 0 } = attrs(a.cacheinfo);
      if (refcnt) p.any('refcnt', refcnt, ` ref ${refcnt}`);
      const u = Math.trunc(used / HZ);
      const c = Math.trunc(confirmed / HZ);
      const up = Math.trunc(updated / HZ);
      p.any('used', u, ` used ${u}`);
      p.any('confirmed', c, `/${c}`);
      p.any('updated', up, `/${up}`);
    }
    if (a.probes !== undefined) p.any('probes', a.probes, `probes ${a.probes} `);
  }
  if (state) {
    p.openArray(p.json ? 'state' : null);
    for (const [bit, name] of NUD_WORDS) if (state & bit) p.any(null, name, `${name} `);
    p.closeArray();
  }
  if (a.protocol !== undefined) {
    const proto = enumNum(D['rt-protocol'], a.protocol);
    if (proto) {
      const s = protocolName(proto);
      p.any('protocol', s, ` proto ${s} `);
    }
  }
  p.text('\n');
  p.closeObject();
}
