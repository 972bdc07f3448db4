/**
 * Messages named by a header member instead of nlmsg_type (FamilySpec.messageIds): generic
 * netlink families put their family id in nlmsg_type and the command in genlmsghdr.cmd. The id
 * of most families is assigned by the kernel when the family registers, so it is bound at run
 * time (ProtocolCodec.bindType), after a lookup through nlctrl. Directional families number
 * kernel-sent and user-sent messages apart (MessageSpec.sentBy), so a lookup says who sent it.
 *
 * Pure bookkeeping for ProtocolCodec: rtnetlink codecs have no such family and never get here.
 */
import type { FamilySpec } from '../../protocol/spec.js';
import { EncodeError, SpecError } from './errors.js';
import type { CompiledFamily } from './types.js';

/** Who sent a message: replies and notifications come from the kernel, requests from a user. */
export type Sender = 'user' | 'kernel';

interface Entry {
  readonly spec: FamilySpec;
  readonly name: string;
}

interface KeyedFamily<E extends Entry> {
  readonly spec: FamilySpec;
  readonly member: string;
  type: number | undefined;
  /** Messages by member value, as sent by each side (a message without sentBy is in both). */
  readonly user: Map<number, E>;
  readonly kernel: Map<number, E>;
  /** Where the member sits in the header, found once the family is compiled. */
  at?: { offset: number; size: 1 | 2 | 4 };
}

export class KeyedMessages<E extends Entry> {
  private readonly families = new Map<string, KeyedFamily<E>>();
  private readonly byType = new Map<number, KeyedFamily<E>>();

  /** Families bound to a message type: 0 means no lookup can succeed (the common rtnetlink case). */
  get bound(): number {
    return this.byType.size;
  }

  has(family: string): boolean {
    return this.families.has(family);
  }

  /** Registers a family with messageIds; `entry` makes the codec's entry for each message. */
  add(spec: FamilySpec, entry: (name: string) => E): E[] {
    const ids = spec.messageIds!;
    const kf: KeyedFamily<E> = { spec, member: ids.member, type: undefined, user: new Map(), kernel: new Map() };
    const out: E[] = [];
    for (const [name, m] of Object.entries(spec.messages)) {
      const e = entry(name);
      out.push(e);
      if (m.sentBy !== 'kernel') kf.user.set(m.value, e);
      if (m.sentBy !== 'user') kf.kernel.set(m.value, e);
    }
    this.families.set(spec.name, kf);
    if (ids.type !== undefined) this.bind(spec.name, ids.type);
    return out;
  }

  /**
   * The family's messages now travel with nlmsg_type `type` (undefined: not known any more). A
   * family that had this type before loses it: ids are unique while families are registered, so
   * it went away and its id was reused.
   */
  bind(family: string, type: number | undefined): void {
    const kf = this.families.get(family);
    if (kf === undefined) throw new SpecError('is not a family whose message types are bound at run time (messageIds)', [family]);
    if (type !== undefined && (!Number.isInteger(type) || type < 0x10 || type > 0xffff)) {
      throw new SpecError(`message type ${type} is not in 16..65535`, [family]);
    }
    if (kf.type !== undefined && this.byType.get(kf.type) === kf) this.byType.delete(kf.type);
    kf.type = type;
    if (type === undefined) return;
    const previous = this.byType.get(type);
    if (previous !== undefined && previous !== kf) previous.type = undefined;
    this.byType.set(type, kf);
  }

  typeOf(family: string): number | undefined {
    return this.families.get(family)?.type;
  }

  /** nlmsg_type for encoding a message of `family`; EncodeError while it is not bound. */
  encodeType(family: string): number {
    const type = this.families.get(family)?.type;
    if (type === undefined) throw new EncodeError(`family ${family} has no message type yet: it is assigned by the kernel, look the family up first`);
    return type;
  }

  /** Header member that carries the message value in `family` (undefined for families named by nlmsg_type). */
  memberOf(family: string): string | undefined {
    return this.families.get(family)?.member;
  }

  /**
   * The message of a frame whose nlmsg_type is `type` and whose header starts at `body`, or
   * undefined (type not bound, header too short, value unknown for that sender).
   */
  find(type: number, view: DataView, body: number, end: number, sender: Sender, compiled: (spec: FamilySpec) => CompiledFamily): E | undefined {
    const kf = this.byType.get(type);
    if (kf === undefined) return undefined;
    const at = (kf.at ??= memberAt(compiled(kf.spec), kf.member));
    if (end - body < at.offset + at.size) return undefined;
    const p = body + at.offset;
    const value = at.size === 1 ? view.getUint8(p) : at.size === 2 ? view.getUint16(p, true) : view.getUint32(p, true);
    return (sender === 'kernel' ? kf.kernel : kf.user).get(value);
  }
}

/** Offset and size of the id member in the family's (first) message header. */
function memberAt(family: CompiledFamily, member: string): { offset: number; size: 1 | 2 | 4 } {
  const first = family.messages.values().next().value;
  const m = first?.header.members.find((x) => x.spec.name === member);
  if (m === undefined || (m.size !== 1 && m.size !== 2 && m.size !== 4))
    throw new SpecError(`messageIds.member "${member}" is not an integer member of the header`, [family.name]);
  return { offset: m.offset, size: m.size };
}
