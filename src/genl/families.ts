/**
 * Generic netlink families as nlctrl describes them (CTRL_CMD_NEWFAMILY): the id the kernel gave
 * the family (its nlmsg_type), its interface version, its operations and its multicast groups.
 */
import type { NetlinkMessage } from '../codec/message.js';

export interface GenlOperation {
  /** The command (genlmsghdr.cmd). */
  id: number;
  /** CTRL_ATTR_OP_FLAGS as the kernel sent them (GENL_ADMIN_PERM, GENL_CMD_CAP_DO...). */
  flags: number;
  /** The same, by name: 'admin-perm', 'cmd-cap-do', 'cmd-cap-dump', 'cmd-cap-haspol', 'uns-admin-perm'. */
  capabilities: string[];
}

export interface GenlMcastGroup {
  name: string;
  /** The group number to join. */
  id: number;
}

export interface GenlFamily {
  name: string;
  /** nlmsg_type of the family's messages, assigned when it registered. */
  id: number;
  /** Interface version: requests carry it in genlmsghdr.version. */
  version: number;
  /** Size of the family's own header after genlmsghdr (0 for most). */
  hdrsize: number;
  /** Highest attribute type (0 when the family has per-operation policies). */
  maxattr: number;
  operations: GenlOperation[];
  mcastGroups: GenlMcastGroup[];
}

type CtrlAttrs = {
  familyId?: number;
  familyName?: string;
  version?: number;
  hdrsize?: number;
  maxattr?: number;
  ops?: { id?: number; flags?: (string | number)[] }[];
  mcastGroups?: { name?: string; id?: number }[];
};

const OP_FLAG_BITS: Readonly<Record<string, number>> = {
  'admin-perm': 1 << 0,
  'cmd-cap-do': 1 << 1,
  'cmd-cap-dump': 1 << 2,
  'cmd-cap-haspol': 1 << 3,
  'uns-admin-perm': 1 << 4,
};

/** A family from an nlctrl family message, or undefined when it lacks a name or an id. */
export function familyOf(m: NetlinkMessage): GenlFamily | undefined {
  const a = m.attrs as CtrlAttrs | undefined;
  if (a?.familyName === undefined || a.familyId === undefined) return undefined;
  return {
    name: a.familyName,
    id: a.familyId,
    version: a.version ?? 0,
    hdrsize: a.hdrsize ?? 0,
    maxattr: a.maxattr ?? 0,
    operations: (a.ops ?? []).map((op) => {
      const names = (op.flags ?? []).filter((f): f is string => typeof f === 'string');
      const rest = (op.flags ?? []).filter((f): f is number => typeof f === 'number');
      const flags =
        names.reduce(
          (n, f) => n | (OP_FLAG_BITS[f] ?? 0),
          rest.reduce((n, f) => n | f, 0),
        ) >>> 0;
      return { id: op.id ?? 0, flags, capabilities: names };
    }),
    mcastGroups: (a.mcastGroups ?? []).flatMap((g) => (g.name !== undefined && g.id !== undefined ? [{ name: g.name, id: g.id }] : [])),
  };
}
