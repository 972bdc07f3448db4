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
 *   followed by attributes of `nested` (rtnexthop in RTA_MULTIPATH).
 */
export type AttrType =
  | ScalarType
  | 'string'
  | 'binary'
  | 'flag'
  | 'nest'
  | 'struct'
  | 'sub-message'
  | 'struct-array';

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
  /** Set NLA_F_NESTED when encoding this nest (the kernel sets it when it used nla_nest_start). */
  readonly nestedFlag?: boolean;
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
  /** nlmsg_type on the wire. */
  readonly value: number;
  /** Fixed header struct that starts the payload (ifinfomsg...). */
  readonly header: string;
  /** Attribute set following the header. */
  readonly attributes: string;
  readonly doc?: string;
}

export interface McastGroupSpec {
  readonly name: string;
  readonly value: number;
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
}

/** Identity helper: keeps literal types for type derivation while checking the shape. */
export function defineFamily<const T extends FamilySpec>(spec: T): T {
  return spec;
}
