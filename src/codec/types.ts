/** Shapes of a compiled spec: what the interpreter and the generated decoders share. */
import type { AttrSpec, EnumSpec, FamilySpec, StructMemberSpec } from '../../protocol/spec.js';
import type { ByteWriter } from './byte-writer.js';

/** Nests deeper than this are refused: real rtnetlink messages stay under 8. */
export const MAX_NEST_DEPTH = 32;

/** An attribute the spec does not name, kept with its position so re-encoding is byte-exact. */
export interface UnknownAttr {
  /** nla_type including flag bits. */
  type: number;
  data: Uint8Array;
  /** Position among the attributes of its set (0-based), where re-encoding puts it back. */
  index: number;
}

export type AttrValues = Record<string, unknown> & { unknown?: UnknownAttr[] };

/** Decoding state for one buffer; `depth` counts nesting. */
export interface DecodeCtx {
  bytes: Uint8Array;
  view: DataView;
}

/** Decodes the attributes in [start, end) of a set (fast-decode.ts generates them, attr-set-codec.ts interprets). */
export type SetDecoder = (ctx: DecodeCtx, start: number, end: number, depth: number) => AttrValues;
/** Encodes an object of a set's attributes at the writer's position (`depth`: nesting, checked against MAX_NEST_DEPTH). */
export type SetEncoder = (w: ByteWriter, values: Record<string, unknown>, depth: number) => void;
/** Decodes a struct payload in [start, end). */
export type StructDecoder = (ctx: DecodeCtx, start: number, end: number) => Record<string, unknown>;

type Decoder = (ctx: DecodeCtx, start: number, end: number, depth: number, siblings: AttrValues) => unknown;
type Encoder = (w: ByteWriter, value: unknown, siblings: Record<string, unknown>, depth: number) => void;

export interface CompiledAttr {
  readonly spec: AttrSpec;
  readonly key: string;
  readonly id: number;
  /** Kernel-style constant, e.g. IFLA_IFNAME: for messages people search for. */
  readonly constant: string;
  readonly multi: boolean;
  /** Flag bits (NLA_F_NESTED) of the attribute as userspace writes it: what the encoder writes by default. */
  readonly nlaFlags: number;
  /** Flag bits as the kernel writes it: the same but for `nestedFlag: 'user'` nests. Decoding accepts both. */
  readonly kernelNlaFlags: number;
  /** Exact payload size for scalars: other sizes are kept raw (as unknown) for exactness. */
  readonly fixedSize?: number;
  /** Sibling whose value selects a sub-message's set: decoding waits until the set is read. */
  readonly selector?: string;
  decode: Decoder;
  encode: Encoder;
  /** Scalars with an enum or flags: number -> name(s), for decoders that read the number inline. */
  present?: (n: number | bigint) => unknown;
  /** Binary with `subType`: the whole integer array (throws DecodeError on a ragged length). */
  readArray?: (view: DataView, s: number, e: number) => unknown[];
  /** Other binaries: bytes -> value (a copy, or text with `display`). */
  showBytes?: (bytes: Uint8Array, s: number, e: number) => unknown;
  /** Attribute set of nests (for offset lookup and docs); undefined for leaves. */
  nestedSet?: CompiledSet;
  /** Sub-message candidates by selector value. */
  subSets?: Map<string, CompiledSet>;
  /** Struct of a struct attribute. */
  struct?: CompiledStruct;
  /** Fixed header of a nest (the veth peer's ifinfomsg). */
  header?: CompiledStruct;
}

export interface CompiledSet {
  readonly name: string;
  readonly byId: (CompiledAttr | undefined)[];
  readonly byName: Map<string, CompiledAttr>;
  /** Specialised decoder (fast-decode.ts), built once all sets are compiled. */
  decode: SetDecoder;
  /** The interpreter, then a specialised encoder (fast-encode.ts) once the set is used often. */
  encode: SetEncoder;
  /** Decoders of a selection of this set's attributes (selectedSetDecoder), by selection object... */
  selected?: WeakMap<AttrSelection, SetDecoder>;
  /** ...and by the selection's canonical text (at most MAX_SELECTIONS), both built on first use. */
  selectedByContent?: Map<string, SetDecoder>;
  /** The selection asked for last and its decoder (one object kept: the rest only while in use). */
  lastSelection?: AttrSelection;
  lastSelected?: SetDecoder;
}

/**
 * The attributes a reader needs, by spec name: `true` for the whole value, or a selection of a
 * nest's own attributes. Decoding skips the rest without looking inside them (a link dump's
 * af_spec and per-family statistics are most of its bytes; a Link object reads none of them).
 * Keeping one object per use is fastest (it is found by identity); a fresh object of the same
 * content finds the same decoder by content.
 */
export type AttrSelection = { readonly [key: string]: true | AttrSelection };

export interface CompiledMember {
  readonly spec: StructMemberSpec;
  readonly offset: number;
  readonly size: number;
  /** Variable-length last member: reads to the end of the payload. */
  readonly rest?: boolean;
  read(view: DataView, bytes: Uint8Array, at: number, end: number): unknown;
  write(w: ByteWriter, value: unknown): void;
}

export interface CompiledStruct {
  readonly name: string;
  readonly size: number;
  readonly members: CompiledMember[];
  decode: StructDecoder;
}

export interface CompiledEnum {
  readonly name: string;
  readonly spec: EnumSpec;
  readonly byValue: Map<number, string>;
  readonly byName: Map<string, number>;
  /** flags only: [mask, name] pairs in spec order. */
  readonly bits: [number, string][];
}

export interface CompiledMessage {
  readonly name: string;
  readonly value: number;
  readonly header: CompiledStruct;
  readonly attributes: CompiledSet;
}

export interface CompiledFamily {
  readonly spec: FamilySpec;
  readonly name: string;
  readonly sets: Map<string, CompiledSet>;
  readonly structs: Map<string, CompiledStruct>;
  readonly enums: Map<string, CompiledEnum>;
  readonly messages: Map<string, CompiledMessage>;
  readonly messagesByType: Map<number, CompiledMessage>;
}
