/**
 * The spec interpreter: turns a FamilySpec into lookup tables of small decode/encode functions,
 * once per family. Decoding a message is then an array lookup per attribute and one call, with no
 * per-message closure allocation; errors build their path only while unwinding.
 */
import type { AttrSpec, AttributeSetSpec, FamilySpec } from '../../protocol/spec.js';
import { decodeAttrs, decodeAttrsInterpreted, encodeAttrs, encodeAttrsInterpreted } from './attr-set-codec.js';
import { DecodeError, EncodeError, SpecError } from './errors.js';
import { buildSetDecoder } from './fast-decode.js';
import { tieredSetEncoder } from './fast-encode.js';
import { indexedArrayParts } from './indexed-array.js';
import { validateFamily } from './spec-check.js';
import {
  SCALAR_SIZE,
  binaryDecoder,
  binaryEncoder,
  compileEnum,
  describe,
  enumEncode,
  enumView,
  readScalar,
  readScalarArray,
  writeScalar,
} from './scalars.js';
import { compileStruct, decodeStruct, encodeStruct } from './struct-codec.js';
import {
  type CompiledAttr,
  type CompiledEnum,
  type CompiledFamily,
  type CompiledMessage,
  type CompiledSet,
  type CompiledStruct,
  MAX_NEST_DEPTH,
} from './types.js';
import { decodeString, formatIPv4, parseIp } from './values.js';
import { NLA_F_NESTED, align4, recordEnd } from './walk.js';

// One import point for the codec's pieces.
export * from './types.js';
export { decodeAttrs, decodeAttrsInterpreted, encodeAttrs, encodeAttrsInterpreted } from './attr-set-codec.js';
export { decodeStruct, decodeStructGeneric, encodeStruct } from './struct-codec.js';

interface Lookups {
  enumOf(n: string | undefined, where: string): CompiledEnum | undefined;
  structOf(n: string | undefined, where: string): CompiledStruct;
  setOf(n: string | undefined, where: string): CompiledSet;
}

export function kernelConstant(prefix: string | undefined, name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2');
  return (prefix ?? '') + words.replace(/-/g, '_').toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Compilation

/** Specs known to be valid without checking them again (markValidated). */
const VALIDATED = new WeakSet<FamilySpec>();

/**
 * Marks specs as valid, so that compileFamily does not validate them again: for the package's own
 * specs (protocol/), which test/codec/spec-validation.test.ts validates ("every shipped spec is
 * valid"). Checking rt-link whole is 1.1 ms of a process's first link request, for nothing.
 * Decoders generated from a marked spec still take only checked integers and quoted names.
 * @internal
 */
export function markValidated(specs: readonly FamilySpec[]): void {
  for (const spec of specs) VALIDATED.add(spec);
}

/** Compiles a spec, after validating it whole unless it is marked valid (SpecError: decoders are generated from its names and numbers). */
export function compileFamily(spec: FamilySpec): CompiledFamily {
  const valid = VALIDATED.has(spec);
  if (!valid) validateFamily(spec);
  const enums = new Map<string, CompiledEnum>();
  const structs = new Map<string, CompiledStruct>();
  const sets = new Map<string, CompiledSet>();

  for (const [name, def] of Object.entries(spec.definitions)) {
    if (def.type !== 'struct') enums.set(name, compileEnum(name, def));
  }
  const enumOf = (n: string | undefined, where: string): CompiledEnum | undefined => {
    if (n === undefined) return undefined;
    const e = enums.get(n);
    if (!e) throw new SpecError(`${where} refers to unknown enum "${n}"`, [spec.name]);
    return e;
  };
  for (const [name, def] of Object.entries(spec.definitions)) {
    if (def.type === 'struct')
      structs.set(
        name,
        compileStruct(name, def, (n) => enumOf(n, `struct ${name}`)),
      );
  }
  const structOf = (n: string | undefined, where: string): CompiledStruct => {
    const s = n === undefined ? undefined : structs.get(n);
    if (!s) throw new SpecError(`${where} refers to unknown struct "${n}"`, [spec.name]);
    return s;
  };

  // Sets are created empty first so nests may refer to sets defined later (and to themselves);
  // their attributes are compiled on first use (AttrSetTable).
  const setOf = (n: string | undefined, where: string): CompiledSet => {
    const s = n === undefined ? undefined : sets.get(n);
    if (!s) throw new SpecError(`${where} refers to unknown attribute set "${n}"`, [spec.name]);
    return s;
  };
  for (const [setName, setSpec] of Object.entries(spec.attributeSets)) {
    sets.set(
      setName,
      new AttrSetTable(setName, (byId, byName) => {
        for (const a of setSpec.attributes) {
          const where = `${setName}.${a.name}`;
          if (byId[a.value]) throw new SpecError(`${where} reuses id ${a.value}`, [spec.name]);
          if (byName.has(a.name)) throw new SpecError(`${where} is defined twice`, [spec.name]);
          const compiled = compileAttr(spec, setSpec, a, where, { enumOf, structOf, setOf });
          byId[a.value] = compiled;
          byName.set(a.name, compiled);
        }
      }),
    );
  }
  // A spec given at run time is compiled whole now, so that what is wrong with it shows here.
  if (!valid) for (const set of sets.values()) void set.byId;

  // Built on first use: most processes touch a few of the ~80 sets, and start-up matters for a CLI.
  for (const set of sets.values()) {
    set.decode = (ctx, start, end, depth) => (set.decode = buildSetDecoder(set, MAX_NEST_DEPTH))(ctx, start, end, depth);
    set.encode = tieredSetEncoder(set);
  }

  const messages = new Map<string, CompiledMessage>();
  const messagesByType = new Map<number, CompiledMessage>();
  for (const [name, m] of Object.entries(spec.messages)) {
    const cm: CompiledMessage = {
      name,
      value: m.value,
      header: structOf(m.header, `message ${name}`),
      attributes: setOf(m.attributes, `message ${name}`),
    };
    messages.set(name, cm);
    messagesByType.set(m.value, cm);
  }
  return { spec, name: spec.name, sets, structs, enums, messages, messagesByType };
}

/**
 * A compiled attribute set whose attributes are compiled on first use (byId or byName): a link
 * dump reads about a third of rt-link's 298 attributes, and compiling the others was most of the
 * family's first use (docs/benchmarks.md, "#17 first request").
 */
class AttrSetTable implements CompiledSet {
  decode: CompiledSet['decode'];
  encode: CompiledSet['encode'];
  selected: CompiledSet['selected'] = undefined;
  selectedByContent: CompiledSet['selectedByContent'] = undefined;
  lastSelection: CompiledSet['lastSelection'] = undefined;
  lastSelected: CompiledSet['lastSelected'] = undefined;
  #byId: (CompiledAttr | undefined)[] | undefined;
  #byName: Map<string, CompiledAttr> | undefined;

  constructor(
    readonly name: string,
    private fill: ((byId: (CompiledAttr | undefined)[], byName: Map<string, CompiledAttr>) => void) | undefined,
  ) {
    this.decode = (ctx, start, end, depth) => decodeAttrsInterpreted(ctx, this, start, end, depth);
    this.encode = (w, values, depth) => encodeAttrsInterpreted(w, this, values, depth);
  }

  get byId(): (CompiledAttr | undefined)[] {
    return this.#byId ?? this.compile()[0];
  }

  get byName(): Map<string, CompiledAttr> {
    return this.#byName ?? this.compile()[1];
  }

  private compile(): [(CompiledAttr | undefined)[], Map<string, CompiledAttr>] {
    const byId: (CompiledAttr | undefined)[] = [];
    const byName = new Map<string, CompiledAttr>();
    this.fill!(byId, byName);
    this.fill = undefined;
    this.#byId = byId;
    this.#byName = byName;
    return [byId, byName];
  }
}

/** What compileAttr works out per attribute type; Attr adds what every attribute has. */
type AttrParts = Omit<CompiledAttr, 'spec' | 'key' | 'id' | 'constant' | 'multi' | 'nlaFlags' | 'kernelNlaFlags'>;

/**
 * A compiled attribute. Every field is always present (undefined where it does not apply), so
 * all attributes share one object shape; the kernel constant (IFLA_IFNAME), which only error
 * messages and `nlts decode` read, is worked out on first read.
 */
class Attr implements CompiledAttr {
  readonly key: string;
  readonly id: number;
  readonly multi: boolean;
  readonly nlaFlags: number;
  readonly kernelNlaFlags: number;
  readonly fixedSize: number | undefined;
  readonly selector: string | undefined;
  decode: CompiledAttr['decode'];
  encode: CompiledAttr['encode'];
  present: CompiledAttr['present'];
  readArray: CompiledAttr['readArray'];
  showBytes: CompiledAttr['showBytes'];
  nestedSet: CompiledSet | undefined;
  subSets: Map<string, CompiledSet> | undefined;
  header: CompiledStruct | undefined;
  struct: CompiledStruct | undefined;
  #constant: string | undefined;

  constructor(
    readonly spec: AttrSpec,
    private readonly prefix: string | undefined,
    p: AttrParts,
  ) {
    this.key = spec.name;
    this.id = spec.value;
    this.multi = spec.multi === true;
    this.nlaFlags = spec.nestedFlag ? NLA_F_NESTED : 0;
    this.kernelNlaFlags = spec.nestedFlag === true ? NLA_F_NESTED : 0;
    this.fixedSize = p.fixedSize;
    this.selector = p.selector;
    this.decode = p.decode;
    this.encode = p.encode;
    this.present = p.present;
    this.readArray = p.readArray;
    this.showBytes = p.showBytes;
    this.nestedSet = p.nestedSet;
    this.subSets = p.subSets;
    this.header = p.header;
    this.struct = p.struct;
  }

  get constant(): string {
    return (this.#constant ??= kernelConstant(this.prefix, this.key));
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function compileAttr(family: FamilySpec, setSpec: AttributeSetSpec, a: AttrSpec, where: string, L: Lookups): CompiledAttr {
  return new Attr(a, setSpec.prefix, attrParts(family, setSpec, a, where, L));
}

function attrParts(family: FamilySpec, setSpec: AttributeSetSpec, a: AttrSpec, where: string, L: Lookups): AttrParts {
  switch (a.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
    case 's8':
    case 's16':
    case 's32':
    case 's64':
      return scalarParts(a, a.type, where, L);
    case 'string':
      return STRING_PARTS;
    case 'flag':
      return FLAG_PARTS;
    case 'binary':
      return binaryParts(a);
    case 'struct':
      return structParts(L.structOf(a.struct, where));
    case 'nest':
      return nestParts(L.setOf(a.nested, where), a.header ? L.structOf(a.header, where) : undefined);
    case 'sub-message':
      return subMessageParts(family, setSpec, a, where, L);
    case 'indexed-array':
      return indexedArrayParts(L.setOf(a.nested, where), a.nestedFlag === true);
    case 'struct-array':
      return structArrayParts(family, a, where, L);
  }
}

function scalarParts(a: AttrSpec, type: keyof typeof SCALAR_SIZE, where: string, L: Lookups): AttrParts {
  const bigEndian = a.byteOrder === 'big-endian';
  const size = SCALAR_SIZE[type];
  const rd = readScalar(type, bigEndian);
  const wr = writeScalar(type, bigEndian);
  const e = L.enumOf(a.enum, where);
  const view = enumView(e);
  const toNum = enumEncode(e);
  const showIp = a.display === 'ipaddr' && size === 4;
  return {
    fixedSize: size,
    present: view && !showIp ? view : undefined,
    decode: (ctx, s, end) => {
      if (end - s < size) throw new DecodeError(`${type} attribute has ${end - s} bytes, needs ${size}`, s);
      if (showIp) return formatIPv4(ctx.bytes, s);
      const n = rd(ctx.view, s);
      return view ? view(n) : n;
    },
    encode: (w, v) => {
      if (showIp && typeof v === 'string') {
        const ip = parseIp(v);
        if (ip?.length !== 4) throw new EncodeError(`${describe(v)} is not an IPv4 address`);
        return w.bytes(ip);
      }
      wr(w, toNum(v));
    },
  };
}

const STRING_PARTS: AttrParts = {
  decode: (ctx, s, end) => decodeString(ctx.bytes, s, end),
  encode: (w, v) => {
    if (typeof v !== 'string') throw new EncodeError(`expected a string, got ${describe(v)}`);
    w.cstring(v);
  },
};

const FLAG_PARTS: AttrParts = {
  decode: () => true,
  encode: (_w, v) => {
    if (v !== true) throw new EncodeError(`a flag attribute takes true (or is left out), got ${describe(v)}`);
  },
};

function binaryParts(a: AttrSpec): AttrParts {
  if (a.subType) {
    const readArray = readScalarArray(a.subType, a.byteOrder === 'big-endian');
    const wr = writeScalar(a.subType, a.byteOrder === 'big-endian');
    return {
      readArray,
      decode: (ctx, s, end) => readArray(ctx.view, s, end),
      encode: (w, v) => {
        if (v instanceof Uint8Array) return w.bytes(v);
        if (!Array.isArray(v)) throw new EncodeError(`expected an array of ${a.subType}, got ${describe(v)}`);
        v.forEach((n, i) => {
          try {
            wr(w, n as number);
          } catch (err) {
            throw err instanceof EncodeError ? err.withOuter(`[${i}]`) : err;
          }
        });
      },
    };
  }
  const show = binaryDecoder(a.display);
  const parse = binaryEncoder(a.display);
  return {
    showBytes: show,
    decode: (ctx, s, end) => show(ctx.bytes, s, end),
    encode: (w, v) => w.bytes(parse(v)),
  };
}

function structParts(st: CompiledStruct): AttrParts {
  return {
    struct: st,
    decode: (ctx, s, end) => decodeStruct(ctx, st, s, end),
    encode: (w, v) => {
      if (v instanceof Uint8Array) return w.bytes(v);
      encodeStruct(w, st, v as Record<string, unknown>, false);
    },
  };
}

/** A nest of `set`'s attributes, after a fixed `header` struct when it has one (the veth peer's ifinfomsg). */
function nestParts(set: CompiledSet, header: CompiledStruct | undefined): AttrParts {
  if (!header) {
    return {
      nestedSet: set,
      header,
      decode: (ctx, s, end, depth) => decodeAttrs(ctx, set, s, end, depth + 1),
      encode: (w, v, _sib, depth) => encodeAttrs(w, set, v as Record<string, unknown>, depth + 1),
    };
  }
  return {
    nestedSet: set,
    header,
    decode: (ctx, s, end, depth) => {
      const hdrEnd = Math.min(end, s + align4(header.size));
      const hdr = decodeStruct(ctx, header, s, Math.min(end, s + header.size));
      const attrs = decodeAttrs(ctx, set, hdrEnd, end, depth + 1);
      return { header: hdr, attrs };
    },
    encode: (w, v, _sib, depth) => {
      const nv = (v ?? {}) as { header?: Record<string, unknown>; attrs?: Record<string, unknown> };
      // Whole when attributes follow it; alone, as far as its members go (a payload shorter
      // than the header decodes to the members it has and no attributes).
      if (nv.attrs === undefined || !hasKeys(nv.attrs)) return encodeStruct(w, header, nv.header, false);
      encodeStruct(w, header, nv.header, true);
      w.align();
      encodeAttrs(w, set, nv.attrs, depth + 1);
    },
  };
}

/**
 * Attributes of the set a sibling (the selector) chooses: linkinfo's data by kind. An enum selector
 * (NFTA_OBJ_TYPE) decodes to its name; a request may give it as a number, which chooses by that name.
 */
function subMessageParts(family: FamilySpec, setSpec: AttributeSetSpec, a: AttrSpec, where: string, L: Lookups): AttrParts {
  const table = a.subMessage ? family.subMessages?.[a.subMessage] : undefined;
  if (!table) throw new SpecError(`${where} refers to unknown sub-message "${a.subMessage}"`, [family.name]);
  if (!a.selector) throw new SpecError(`${where} needs a selector`, [family.name]);
  const selector = a.selector;
  const choices = new Map<string, CompiledSet>();
  for (const [k, setName] of Object.entries(table)) choices.set(k, L.setOf(setName, `${where}[${k}]`));
  const selEnum = L.enumOf(setSpec.attributes.find((s) => s.name === selector)?.enum, where);
  return {
    selector,
    subSets: choices,
    decode: (ctx, s, end, depth, siblings) => {
      const sel = siblings[selector];
      const set = typeof sel === 'string' ? choices.get(sel) : undefined;
      if (!set) return ctx.bytes.slice(s, end); // unknown kind: kept raw, re-encoded unchanged
      try {
        return decodeAttrs(ctx, set, s, end, depth + 1);
      } catch (err) {
        throw err instanceof DecodeError ? err.withOuter(`(${sel})`) : err;
      }
    },
    encode: (w, v, siblings, depth) => {
      if (v instanceof Uint8Array) return w.bytes(v);
      const sel = siblings[selector];
      const name = typeof sel === 'number' && selEnum?.spec.type === 'enum' ? selEnum.byValue.get(sel) : sel;
      const set = typeof name === 'string' ? choices.get(name) : undefined;
      if (!set) {
        throw new EncodeError(
          `cannot encode structured data for ${selector} ${describe(sel)}: known are ${[...choices.keys()].join(', ')} (pass raw bytes for others)`,
        );
      }
      encodeAttrs(w, set, v as Record<string, unknown>, depth + 1);
    },
  };
}

/** Back-to-back records (rtnexthop), each a struct whose lengthMember counts it, then attributes of a set. */
function structArrayParts(family: FamilySpec, a: AttrSpec, where: string, L: Lookups): AttrParts {
  const st = L.structOf(a.struct, where);
  const set = L.setOf(a.nested, where);
  const lenMember = st.members.find((m) => m.spec.name === a.lengthMember);
  if (lenMember?.spec.type !== 'u16') throw new SpecError(`${where} needs a u16 lengthMember`, [family.name]);
  const lenOff = lenMember.offset;
  return {
    nestedSet: set,
    decode: (ctx, s, end, depth) => {
      const out: Record<string, unknown>[] = [];
      for (let p = s; p < end; ) {
        const e = recordEnd(ctx.view, p, end, lenOff, st.size, st.name);
        const rec = decodeStruct(ctx, st, p, p + st.size);
        delete rec[lenMember.spec.name];
        try {
          rec.attrs = decodeAttrs(ctx, set, p + align4(st.size), e, depth + 1);
        } catch (err) {
          throw err instanceof DecodeError ? err.withOuter(`[${out.length}]`) : err;
        }
        out.push(rec);
        p += align4(e - p);
      }
      return out;
    },
    encode: (w, v, _sib, depth) => {
      if (!Array.isArray(v)) throw new EncodeError(`expected an array of ${st.name} records, got ${describe(v)}`);
      v.forEach((rec: Record<string, unknown>, i) => {
        const start = w.pos;
        try {
          encodeStruct(w, st, { ...rec, [lenMember.spec.name]: 0 }, true);
          w.align();
          encodeAttrs(w, set, (rec.attrs ?? {}) as Record<string, unknown>, depth + 1);
        } catch (err) {
          throw err instanceof EncodeError ? err.withOuter(`[${i}]`) : err;
        }
        w.view.setUint16(start + lenOff, w.pos - start, true);
        w.align();
      });
    },
  };
}
