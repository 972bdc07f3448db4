/**
 * The vocabulary of protocol specs. A spec is plain data (one file per message family), written
 * from the kernel's uapi headers. The codec interprets it; nothing else holds attribute tables.
 *
 * The shape follows the kernel's YNL specs (definitions, attribute-sets, sub-messages, operations,
 * mcast-groups) with camelCase keys so specs are ordinary `as const` TypeScript objects.
 */

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

/**
 * How an attribute's payload is laid out.
 * - scalars: fixed-size integers (u64/s64 decode to bigint: counters do pass 2^53);
 * - `string`: NUL-terminated text; `binary`: raw bytes, shown by `display` or split by `subType`;
 * - `flag`: present or absent, no payload;
 * - `nest`: attributes of `nested` (optionally preceded by a fixed `header` struct, as the veth
 *   peer's ifinfomsg is);
 * - `struct`: one fixed C struct (`struct`), shorter or longer payloads still decode;
 * - `sub-message`: a nest whose attribute set is chosen by the value of a sibling (`selector`),
 *   as IFLA_INFO_DATA is chosen by IFLA_INFO_KIND;
 * - `struct-array`: back-to-back records, each a struct whose `lengthMember` counts the record,
 *   followed by attributes of `nested` (rtnexthop in RTA_MULTIPATH);
 * - `indexed-array`: a nest whose attributes are the elements, each a nest of `nested`, their
 *   types only positions (1, 2, 3...): decodes to an array (nlctrl's CTRL_ATTR_OPS; YNL's
 *   `indexed-array` with `sub-type: nest`).
 */
export type AttrType = ScalarType | 'string' | 'binary' | 'flag' | 'nest' | 'struct' | 'sub-message' | 'struct-array' | 'indexed-array';

/** How a binary payload (or an integer) is presented. */
export type DisplayHint =
  | 'hwaddr' // colon-separated hex of any length: "aa:bb:cc:dd:ee:ff"
  | 'ipaddr' // 4 bytes -> dotted IPv4, 16 bytes -> IPv6 text; other lengths stay bytes
  | 'hex'; // lowercase hex string

export interface AttrSpec {
  readonly name: string;
  readonly value: number;
  readonly type: AttrType;
  readonly doc?: string;
  /** Network byte order on the wire (ports, VNIs in some sets, 802.1Q protocol ids). */
  readonly byteOrder?: 'big-endian';
  /** Attribute set of a `nest`, `sub-message` fallback, or the attributes after each `struct-array` record. */
  readonly nested?: string;
  /** Fixed header struct that precedes a nest's attributes. */
  readonly header?: string;
  /** Struct of a `struct` or `struct-array` attribute. */
  readonly struct?: string;
  /** Member of the `struct-array` record that holds the record's length in bytes. */
  readonly lengthMember?: string;
  /** Enum (values -> names) or flags (bits -> names) definition for an integer. */
  readonly enum?: string;
  readonly display?: DisplayHint;
  /** `binary` payload that is an array of integers (IFLA_INET_CONF). */
  readonly subType?: ScalarType;
  /** The attribute may repeat: it decodes to an array. */
  readonly multi?: boolean;
  /** For `sub-message`: the sub-message table and the sibling attribute selecting the entry. */
  readonly subMessage?: string;
  readonly selector?: string;
  /**
   * NLA_F_NESTED on this nest. `true`: both sides set it (the kernel used nla_nest_start); `'user'`:
   * userspace sets it (libmnl's mnl_attr_nest_start) and the kernel does not (nla_nest_start_noflag),
   * as in nf_tables: either form decodes, and the encoder writes it in requests, not when encoding
   * as the kernel (ProtocolCodec.encode's sender). indexed-array takes a boolean only.
   */
  readonly nestedFlag?: boolean | 'user';
}

export interface AttributeSetSpec {
  /** The kernel's prefix for the set's constants, e.g. IFLA_ (for docs and error messages). */
  readonly prefix?: string;
  readonly attributes: readonly AttrSpec[];
}

export interface StructMemberSpec {
  readonly name: string;
  /** `pad` members are skipped on decode and written as zeros; `binary` members take `len` bytes. */
  readonly type: ScalarType | 'pad' | 'binary';
  readonly len?: number;
  readonly byteOrder?: 'big-endian';
  readonly enum?: string;
  readonly display?: DisplayHint;
  readonly doc?: string;
}

export interface StructSpec {
  readonly type: 'struct';
  readonly doc?: string;
  readonly members: readonly StructMemberSpec[];
}

export interface EnumSpec {
  /** `enum`: value -> name; `flags`: each entry is a bit mask. */
  readonly type: 'enum' | 'flags';
  readonly doc?: string;
  readonly entries: Readonly<Record<string, number>>;
}

export type DefinitionSpec = StructSpec | EnumSpec;

export interface MessageSpec {
  /** nlmsg_type on the wire; with the family's `messageIds`, the value of its header member (genlmsghdr.cmd). */
  readonly value: number;
  /** Fixed header struct that starts the payload (ifinfomsg...). */
  readonly header: string;
  /** Attribute set following the header. */
  readonly attributes: string;
  readonly doc?: string;
  /**
   * Only this side sends it. Families numbering the two directions apart (YNL's directional ids:
   * ethtool's FEATURES_GET request and FEATURES_NTF notification are both 13) give a user message
   * and a kernel message the same value; left out, the message goes both ways.
   */
  readonly sentBy?: 'user' | 'kernel';
}

export interface McastGroupSpec {
  readonly name: string;
  /** The group number; left out when the kernel assigns it at run time (generic netlink: resolved by name). */
  readonly value?: number;
}

/**
 * How messages are told apart when nlmsg_type does not say which message it is. Generic netlink
 * families put their family id in nlmsg_type and the command in genlmsghdr.cmd.
 */
export interface MessageIdsSpec {
  /** Member of every message's header struct that holds the message's `value` (genlmsghdr's `cmd`); the codec writes it. */
  readonly member: string;
  /**
   * nlmsg_type of every message of the family (nlctrl: GENL_ID_CTRL, 16). Left out, the kernel
   * assigns it at run time (a generic netlink family id) and ProtocolCodec.bindType() tells the codec.
   */
  readonly type?: number;
}

/** One direction of an operation: the message it travels in and the attributes it carries. */
export interface OperationMessageSpec {
  /** A name in the family's `messages`. */
  readonly message: string;
  /** The attributes (names in the message's attribute set) the request may carry or the reply carries. */
  readonly attributes: readonly string[];
}

/** A request kind (do) or dump of an operation: what goes out and what comes back. */
export interface OperationModeSpec {
  readonly request?: OperationMessageSpec;
  readonly reply?: OperationMessageSpec;
}

/**
 * An operation, as YNL's `operations.list` writes one: its do and dump forms with their request
 * and reply attribute lists, and the notification it causes. Requests can be checked against the
 * request list before anything is sent.
 */
export interface OperationSpec {
  readonly doc?: string;
  readonly do?: OperationModeSpec;
  readonly dump?: OperationModeSpec;
  /** A notification: the message and attributes the kernel multicasts (YNL's `event`, or `notify` of a get). */
  readonly event?: OperationMessageSpec;
  /** Multicast group (a name in mcastGroups) the notification goes to. */
  readonly mcgrp?: string;
}

export interface FamilySpec {
  readonly name: string;
  readonly doc?: string;
  /** Netlink protocol number for socket(): NETLINK_ROUTE is 0. */
  readonly protocol: number;
  readonly definitions: Readonly<Record<string, DefinitionSpec>>;
  readonly attributeSets: Readonly<Record<string, AttributeSetSpec>>;
  /** sub-message table -> selector value -> attribute set name. */
  readonly subMessages?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly messages: Readonly<Record<string, MessageSpec>>;
  readonly mcastGroups?: readonly McastGroupSpec[];
  /** When nlmsg_type alone does not name the message (generic netlink); see MessageIdsSpec. */
  readonly messageIds?: MessageIdsSpec;
  /** Operations by name (YNL's operations list). */
  readonly operations?: Readonly<Record<string, OperationSpec>>;
}

/** Identity helper: keeps literal types for type derivation while checking the shape. */
export function defineFamily<const T extends FamilySpec>(spec: T): T {
  return spec;
}
