/**
 * What `nlts decode` learns from a capture as it goes: each datagram is decoded by its own
 * netlink protocol (rtnetlink, generic netlink with every family spec of protocol/, or headers
 * only for the others), and generic netlink family ids are named by the nlctrl messages in the
 * capture itself (CTRL_CMD_NEWFAMILY replies and notifications, DELFAMILY), as Wireshark does.
 *
 * One pass: an id is named from the packet after the nlctrl message that names it. Files and
 * stdin read the same way, output streams, and an id that a family gave up and another took is
 * named right on both sides of the change. Packets before the first naming stay unnamed (tshark
 * does the same; its GUI names them after its first pass, with the last name the id had).
 */
import * as protocols from '../../../protocol/index.js';
import { GENL_ID_CTRL, GENL_NAMSIZ, NETLINK_GENERIC } from '../../../protocol/genetlink.js';
import { nlctrlSpec } from '../../../protocol/nlctrl.js';
import type { FamilySpec } from '../../../protocol/spec.js';
import { rtnetlinkCodec } from '../../api/rtnetlink-codec.js';
import { isSpecError } from '../../codec/errors.js';
import { ProtocolCodec } from '../../codec/message.js';

const NETLINK_ROUTE = 0;

/** A generic netlink family as the capture named it. */
export interface GenlName {
  name: string;
  /** Size of the family's own header after genlmsghdr (CTRL_ATTR_HDRSIZE). */
  hdrsize: number;
}

/** Generic netlink family names by id, as known at the current packet. */
export interface GenlNames {
  family(id: number): GenlName | undefined;
}

/** The attributes of an nlctrl family message that name a family. */
interface FamilyAttrs {
  familyId?: unknown;
  familyName?: unknown;
  hdrsize?: unknown;
}

const NLCTRL: GenlName = { name: nlctrlSpec.name, hdrsize: 0 };

/** Other protocols: headers decoded, payloads raw. */
let rawCodec: ProtocolCodec | undefined;

/** Every generic netlink family spec exported by protocol/ (a new family needs no edit here). */
function genlSpecs(): FamilySpec[] {
  const exported: unknown[] = Object.values(protocols);
  return exported.filter(
    (v): v is FamilySpec => typeof v === 'object' && v !== null && 'messageIds' in v && (v as FamilySpec).protocol === NETLINK_GENERIC,
  );
}

/** A family header's size as nlctrl gave it; 0 when absent or beyond any message (a hostile capture). */
function hdrsizeOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : 0;
}

export class CaptureFamilies implements GenlNames {
  private generic: ProtocolCodec | undefined;
  /** Families with a spec in `generic`: their ids are bound there too. */
  private readonly specs = new Set<string>();
  private readonly byId = new Map<number, GenlName>();
  private readonly idOf = new Map<string, number>();

  /** The codec for datagrams of netlink protocol `protocol`. */
  codec(protocol: number): ProtocolCodec {
    if (protocol === NETLINK_ROUTE) return rtnetlinkCodec();
    if (protocol === NETLINK_GENERIC) return (this.generic ??= this.genericCodec());
    return (rawCodec ??= new ProtocolCodec([]));
  }

  family(id: number): GenlName | undefined {
    return id === GENL_ID_CTRL ? NLCTRL : this.byId.get(id);
  }

  /** Learns from decoded generic netlink messages: nlctrl's newfamily binds an id, delfamily frees it. */
  learn(messages: Iterable<{ family?: string; kind?: string; attrs?: unknown }>): void {
    for (const m of messages) {
      if (m.family !== nlctrlSpec.name || (m.kind !== 'newfamily' && m.kind !== 'delfamily')) continue;
      const a = (m.attrs ?? {}) as FamilyAttrs;
      const { familyId: id, familyName: name } = a;
      // A capture may hold anything: ids nlctrl cannot give, nlctrl itself, names no family can have.
      if (typeof id !== 'number' || id <= GENL_ID_CTRL || id > 0xffff || typeof name !== 'string') continue;
      if (name === nlctrlSpec.name || name.length === 0 || Buffer.byteLength(name) >= GENL_NAMSIZ) continue;
      if (m.kind === 'newfamily') this.bind(name, id, hdrsizeOf(a.hdrsize));
      else if (this.idOf.get(name) === id) this.unbind(name);
    }
  }

  private bind(name: string, id: number, hdrsize: number): void {
    const holder = this.byId.get(id);
    if (holder !== undefined && holder.name !== name) this.unbind(holder.name); // the id was given to another family
    if (this.idOf.has(name)) this.unbind(name); // the family moved
    this.byId.set(id, { name, hdrsize });
    this.idOf.set(name, id);
    this.codec(NETLINK_GENERIC); // made on first use: it lists the families with a spec
    if (this.specs.has(name)) this.generic!.bindType(name, id);
  }

  private unbind(name: string): void {
    const id = this.idOf.get(name);
    if (id === undefined) return;
    this.idOf.delete(name);
    this.byId.delete(id);
    if (this.specs.has(name)) this.generic!.bindType(name, undefined);
  }

  private genericCodec(): ProtocolCodec {
    const codec = new ProtocolCodec([nlctrlSpec]);
    for (const spec of genlSpecs()) {
      if (spec === nlctrlSpec) continue;
      try {
        codec.addFamily(spec);
        this.specs.add(spec.name);
      } catch (err) {
        // a spec whose message names clash with another's: its messages are shown raw, named by family
        if (!isSpecError(err)) throw err;
      }
    }
    return codec;
  }
}
