/**
 * The generated types describe what the codec really decodes (and accepts to encode).
 *
 * 1. Typed round trips, checked by `tsc --noEmit`: values written against the generated types are
 *    encoded with ProtocolCodec, decoded again, and must come back equal.
 * 2. For every message of every spec (and a fixture spec using every construct of the vocabulary),
 *    a sample message is encoded and decoded; the decoded object is printed as a TypeScript literal
 *    and type-checked against the generated message type with the compiler API. Object literals get
 *    excess-property checks, so the decoder may produce neither a key nor a value the types lack.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { rtnetlinkSpecs } from '../protocol/index.js';
import type { EnumSpec, FamilySpec, ScalarType, StructSpec } from '../protocol/spec.js';
import { defineFamily } from '../protocol/spec.js';
import { ProtocolCodec } from '../src/codec/message.js';
import type {
  RtAddrAddrAttrs,
  RtAddrIfaFlags,
  RtAddrIfaddrmsg,
  RtAddrMessages,
  RtAddrNewaddrMessage,
  RtRouteNewrouteMessage,
  RtRouteRouteAttrs,
  RtRouteRtnexthop,
} from '../src/generated/index.js';
import { GENERATED_DIR, ROOT, findSpecs, generateAll, generateFamily, pascal } from '../scripts/gen-types.js';

// ---------------------------------------------------------------------------------------------
// 1. Typed round trips (the assignments below are what tsc checks)

describe('generated types, checked by tsc', () => {
  const codec = new ProtocolCodec(rtnetlinkSpecs);

  it('rt-addr: a typed message survives encode + decode unchanged', () => {
    const sent: RtAddrNewaddrMessage = {
      header: { family: 'inet', prefixlen: 24, flags: ['permanent'], scope: 'universe', index: 2 },
      attrs: {
        address: '192.0.2.1',
        local: '192.0.2.1',
        label: 'eth0',
        cacheinfo: { prefered: 0xffffffff, valid: 0xffffffff, cstamp: 100, tstamp: 200 },
        flags: ['permanent', 'noprefixroute', 0x10000],
        proto: 'kernel_lo',
      },
    };
    const [msg] = codec.decode(codec.encode({ kind: 'newaddr', ...sent }));
    expect(msg?.kind).toBe('newaddr');
    const header: RtAddrIfaddrmsg = msg!.header as RtAddrIfaddrmsg;
    const attrs: RtAddrAddrAttrs = msg!.attrs!;
    expect({ header, attrs }).toEqual(sent);

    expectTypeOf(attrs.flags).toEqualTypeOf<RtAddrIfaFlags | undefined>();
    expectTypeOf(attrs.address).toEqualTypeOf<string | Uint8Array | undefined>();
    expectTypeOf(attrs.label).toEqualTypeOf<string | undefined>();
    expectTypeOf<RtAddrMessages['deladdr']['attrs']>().toEqualTypeOf<RtAddrAddrAttrs>();
  });

  it('rt-route: struct-array records drop their length member and carry attrs', () => {
    const sent: RtRouteNewrouteMessage = {
      header: { family: 'inet', dstLen: 24, srcLen: 0, tos: 0, table: 'main', protocol: 'static', scope: 'universe', type: 'unicast', flags: [] },
      attrs: {
        dst: '198.51.100.0',
        table: 'main',
        priority: 10,
        multipath: [
          { flags: ['onlink'], hops: 0, ifindex: 2, attrs: { gateway: '192.0.2.1' } },
          { flags: [], hops: 1, ifindex: 3, attrs: { gateway: '192.0.2.2' } },
        ],
      },
    };
    const [msg] = codec.decode(codec.encode({ kind: 'newroute', ...sent }));
    const attrs: RtRouteRouteAttrs = msg!.attrs!;
    expect({ header: msg!.header, attrs }).toEqual(sent);

    type Record0 = NonNullable<RtRouteRouteAttrs['multipath']>[number];
    expectTypeOf<Record0>().not.toHaveProperty('len');
    expectTypeOf<Record0['attrs']>().toEqualTypeOf<RtRouteRouteAttrs>();
    expectTypeOf<Record0['ifindex']>().toEqualTypeOf<RtRouteRtnexthop['ifindex']>();
  });

  it("request types (<'request'>) take what the encoder takes besides the decoded shape", () => {
    const req: RtAddrNewaddrMessage<'request'> = {
      header: { family: 'inet', prefixlen: 24, flags: 0x80, scope: 0, index: 2 },
      attrs: { address: new Uint8Array([192, 0, 2, 1]), flags: 0x80 },
    };
    const named: RtAddrNewaddrMessage = {
      header: { family: 'inet', prefixlen: 24, flags: ['permanent'], scope: 'universe', index: 2 },
      attrs: { address: '192.0.2.1', flags: ['permanent'] },
    };
    expect(codec.encode({ kind: 'newaddr', ...req })).toEqual(codec.encode({ kind: 'newaddr', ...named }));
    // @ts-expect-error decoded flags are a list of names, never one number
    const decoded: RtAddrIfaddrmsg = req.header;
    expect(decoded.flags).toBe(0x80);
    expectTypeOf<RtAddrMessages['newaddr']>().toEqualTypeOf<RtAddrNewaddrMessage<'decoded'>>();
    expectTypeOf<RtAddrAddrAttrs<'request'>['flags']>().toEqualTypeOf<RtAddrIfaFlags | number | undefined>();
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Decoder output of sample messages, type-checked against the generated types

/** Uses every construct of the spec vocabulary (sub-messages, nests with headers, subType...). */
const fixtureSpec = defineFamily({
  name: 'gen-fixture',
  doc: 'every attribute type of the spec vocabulary',
  protocol: 0,
  definitions: {
    color: { type: 'enum', entries: { red: 0, green: 1, blue: 2, 'sky-blue': 3 } },
    bits: { type: 'flags', entries: { a: 1, b: 2, c: 4, also_a: 1 } },
    hdr: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'color' },
        { name: 'pad', type: 'pad', len: 3 },
        { name: 'index', type: 's32' },
        { name: 'flags', type: 'u32', enum: 'bits' },
      ],
    },
    peerhdr: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8', enum: 'color' },
        { name: 'pad', type: 'pad', len: 3 },
        { name: 'ifindex', type: 's32' },
      ],
    },
    blob: {
      type: 'struct',
      doc: 'a struct with every member kind',
      members: [
        { name: 'mac', type: 'binary', len: 6, display: 'hwaddr' },
        { name: 'cookie', type: 'binary', len: 4, display: 'hex' },
        { name: 'addr', type: 'binary', len: 16, display: 'ipaddr' },
        { name: 'raw', type: 'binary', len: 3 },
        { name: 'v4', type: 'u32', display: 'ipaddr' },
        { name: 'big', type: 'u64' },
        { name: 'port', type: 'u16', byteOrder: 'big-endian' },
        { name: 'hue', type: 'u8', enum: 'color' },
        { name: 'pad', type: 'pad', len: 1 },
        { name: 'neg', type: 's16' },
      ],
    },
    rec: {
      type: 'struct',
      members: [
        { name: 'len', type: 'u16' },
        { name: 'weight', type: 'u8' },
        { name: 'mark', type: 'u8', enum: 'bits' },
        { name: 'ifindex', type: 's32' },
      ],
    },
  },
  attributeSets: {
    top: {
      prefix: 'FIX_',
      attributes: [
        { name: 'kind', value: 1, type: 'string' },
        { name: 'data', value: 2, type: 'sub-message', subMessage: 'kind-data', selector: 'kind' },
        { name: 'u8', value: 3, type: 'u8' },
        { name: 's64', value: 4, type: 's64' },
        { name: 'bigColor', value: 5, type: 'u64', enum: 'color', doc: 'an enum on a 64-bit integer' },
        { name: 'ip32', value: 6, type: 'u32', display: 'ipaddr', byteOrder: 'big-endian' },
        { name: 'mac', value: 7, type: 'binary', display: 'hwaddr' },
        { name: 'conf', value: 8, type: 'binary', subType: 'u32' },
        { name: 'conf64', value: 9, type: 'binary', subType: 'u64' },
        { name: 'on', value: 10, type: 'flag' },
        { name: 'blob', value: 11, type: 'struct', struct: 'blob' },
        { name: 'peer', value: 12, type: 'nest', nested: 'top', header: 'peerhdr', doc: 'recursive, with a header' },
        { name: 'list', value: 13, type: 'nest', nested: 'inner', nestedFlag: true },
        { name: 'hops', value: 14, type: 'struct-array', struct: 'rec', lengthMember: 'len', nested: 'inner' },
        { name: 'names', value: 15, type: 'string', multi: true },
        { name: 'colors', value: 16, type: 'u32', enum: 'color', multi: true },
        { name: 'odd-name', value: 17, type: 'binary', display: 'hex' },
        { name: 'addr', value: 18, type: 'binary', display: 'ipaddr' },
        { name: 'nested', value: 19, type: 'nest', nested: 'inner', multi: true },
        { name: 'bits', value: 20, type: 'u16', enum: 'bits' },
      ],
    },
    inner: {
      prefix: 'FIX_INNER_',
      attributes: [
        { name: 'x', value: 1, type: 'u32' },
        { name: 'gw', value: 2, type: 'binary', display: 'ipaddr' },
      ],
    },
    'kind-one': { attributes: [{ name: 'one', value: 1, type: 'u32' }] },
    'kind-two': {
      attributes: [
        { name: 'two', value: 1, type: 'string' },
        { name: 'deep', value: 2, type: 'nest', nested: 'inner' },
      ],
    },
  },
  subMessages: {
    'kind-data': { one: 'kind-one', two: 'kind-two', 'two-again': 'kind-two' },
  },
  messages: {
    newthing: { value: 0x7000, header: 'hdr', attributes: 'top' },
  },
});

const SIZE: Record<ScalarType, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };
const MAX_DEPTH = 3;

/** Builds encodable sample values for a spec; `variant` picks names, raw numbers, odd lengths... */
class Sampler {
  constructor(
    private readonly spec: FamilySpec,
    private readonly variant: number,
  ) {}

  private int(type: ScalarType, enumName: string | undefined): unknown {
    const bits = SIZE[type] * 8;
    const signed = type.startsWith('s');
    const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const fits = (n: number) => n >= 0 && n <= Math.min(max, 0xffffffff);
    const e = enumName ? (this.spec.definitions[enumName] as EnumSpec) : undefined;
    if (e?.type === 'flags') {
      const entries = Object.entries(e.entries).filter(([, m]) => m !== 0 && fits(m));
      const names = entries.slice(0, 3).map(([n]) => n);
      if (this.variant !== 1) return names;
      const known = entries.reduce((acc, [, m]) => (acc | m) >>> 0, 0);
      for (let bit = 0; bit < Math.min(bits, 32); bit++) {
        const m = 2 ** bit;
        if ((known & m) === 0) return [...names.slice(0, 1), m];
      }
      return names;
    }
    if (e) {
      const values = new Set(Object.values(e.entries));
      if (this.variant === 1) {
        for (let n = 0; n <= max; n++) if (!values.has(n)) return bits === 64 ? BigInt(n) : n;
      }
      return Object.keys(e.entries).find((k) => fits(e.entries[k]!)) ?? 0;
    }
    if (bits === 64) return this.variant === 1 ? (signed ? -5n : 2n ** 63n) : 7n;
    if (this.variant === 1) return signed ? -1 : max;
    return 1;
  }

  private bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, (_, i) => (i + this.variant + 1) & 0xff);
  }

  private binary(display: string | undefined, len?: number): unknown {
    const n = len ?? (this.variant === 1 ? 3 : 6);
    switch (display) {
      case 'hwaddr':
        return this.variant === 1 ? this.bytes(n) : [...this.bytes(n)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      case 'hex':
        return this.variant === 1 ? this.bytes(n) : 'ab'.repeat(n);
      case 'ipaddr':
        if (len === undefined) return this.variant === 1 ? this.bytes(3) : this.variant === 2 ? '2001:db8::1' : '192.0.2.1';
        return len === 4 ? '192.0.2.1' : len === 16 ? '2001:db8::1' : this.bytes(len);
      default:
        return this.bytes(n);
    }
  }

  struct(name: string, mode: 'header' | 'attr' | 'record', lengthMember?: string): Record<string, unknown> {
    const st = this.spec.definitions[name] as StructSpec;
    const out: Record<string, unknown> = {};
    const members = st.members.filter((m) => m.type !== 'pad' && m.name !== lengthMember);
    // attribute structs may be short (variant 2) or carry bytes of a newer kernel (variant 1)
    const used = mode === 'attr' && this.variant === 2 && members.length > 1 ? members.slice(0, -1) : members;
    for (const m of used) {
      if (m.type === 'binary') out[m.name] = this.binary(m.display, m.len);
      else if (m.type !== 'pad') out[m.name] = m.display === 'ipaddr' && SIZE[m.type] === 4 && !m.enum ? '192.0.2.9' : this.int(m.type, m.enum);
    }
    // (not after a trailing pad member: encodeStruct stops before trailing pads, so _tail would
    // land in the pad's place and the record would not re-encode byte for byte)
    if (mode === 'attr' && this.variant === 1 && st.members.at(-1)?.type !== 'pad') out._tail = this.bytes(4);
    return out;
  }

  set(name: string, depth: number): Record<string, unknown> {
    const set = this.spec.attributeSets[name]!;
    const selectors: Record<string, unknown> = {};
    const out: Record<string, unknown> = {};
    for (const a of set.attributes) {
      let v: unknown;
      switch (a.type) {
        case 'string':
          v = `s${this.variant}`;
          break;
        case 'flag':
          v = true;
          break;
        case 'binary':
          v = a.subType
            ? this.variant === 1
              ? this.bytes(SIZE[a.subType] * 2)
              : SIZE[a.subType] === 8
                ? [1n, 2n ** 63n]
                : [1, 2]
            : this.binary(a.display);
          break;
        case 'nest':
          if (depth >= MAX_DEPTH) continue;
          v = a.header ? { header: this.struct(a.header, 'header'), attrs: this.set(a.nested!, depth + 1) } : this.set(a.nested!, depth + 1);
          break;
        case 'struct':
          v = this.struct(a.struct!, 'attr');
          break;
        case 'sub-message': {
          if (depth >= MAX_DEPTH) continue;
          const table = this.spec.subMessages![a.subMessage!]!;
          const kinds = Object.keys(table);
          if (this.variant === 1) {
            const sel = set.attributes.find((x) => x.name === a.selector);
            selectors[a.selector!] = sel && sel.type !== 'string' ? this.int(sel.type as ScalarType, sel.enum) : 'no-such-kind';
            v = this.bytes(8); // unknown kinds travel as bytes
          } else {
            const kind = kinds[(this.variant + depth) % kinds.length]!;
            selectors[a.selector!] = kind;
            v = this.set(table[kind]!, depth + 1);
          }
          break;
        }
        case 'struct-array':
          if (depth >= MAX_DEPTH) continue;
          v = [0, 1].map(() => ({ ...this.struct(a.struct!, 'record', a.lengthMember), attrs: this.set(a.nested!, depth + 1) }));
          break;
        case 'indexed-array':
          if (depth >= MAX_DEPTH) continue;
          v = [0, 1].map(() => this.set(a.nested!, depth + 1));
          break;
        default: {
          v = a.display === 'ipaddr' && SIZE[a.type] === 4 ? (this.variant === 1 ? 0xc0000201 : '192.0.2.7') : this.int(a.type, a.enum);
        }
      }
      out[a.name] = a.multi ? [v, v] : v;
    }
    // selectors go first: the decoder picks a sub-message's set from siblings decoded before it
    return { ...selectors, ...Object.fromEntries(Object.entries(out).filter(([k]) => !(k in selectors))) };
  }
}

/** A TypeScript expression for a decoded value. */
function literal(v: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `new Uint8Array([${[...v].join(', ')}])`;
  if (Array.isArray(v)) return `[${v.map((x) => literal(x, indent)).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${literal(x, inner)},`).join('\n')}\n${indent}}`;
  }
  throw new Error(`cannot print ${String(v)}`);
}

/** Type-checks in-memory files (absolute path -> text) against the project's tsconfig. */
function typecheck(files: Map<string, string>, roots: string[]): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('cannot read tsconfig.json');
  const options = parsed.options;
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  host.directoryExists = (d) => [...files.keys()].some((f) => f.startsWith(d + '/')) || (directoryExists?.call(host, d) ?? true);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = files.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang, true) : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram(roots, options, host);
  const out: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!files.has(sf.fileName)) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const { line } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = sf.text.split('\n')[line]?.trim();
      out.push(`${sf.fileName}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n    ${text}`);
    }
  }
  return out;
}

describe('generated types match decoder output', () => {
  it('for sample messages of every spec and of a fixture using the whole vocabulary', () => {
    const files = new Map<string, string>();
    for (const [path, content] of generateAll()) files.set(join(ROOT, path), content);
    const fixtureFile = join(ROOT, GENERATED_DIR, '__gen-fixture.ts');
    files.set(fixtureFile, generateFamily(fixtureSpec, 'test/generated-types.test.ts'));

    const lines: string[] = [
      `import type * as G from '../src/generated/index.js';`,
      `import type * as F from '../src/generated/__gen-fixture.js';`,
      '',
    ];
    const specs: [FamilySpec, string, ProtocolCodec][] = [];
    const real = findSpecs().map((s) => s.spec);
    // One codec per netlink protocol: message types are numbered per protocol (nlctrl's 0x10 is RTM_NEWLINK's).
    const codecs = new Map<number, ProtocolCodec>();
    for (const protocol of new Set(real.map((s) => s.protocol))) codecs.set(protocol, new ProtocolCodec(real.filter((s) => s.protocol === protocol)));
    real.forEach((spec, i) => {
      // Families whose message type the kernel assigns (generic netlink) get one for the samples.
      if (spec.messageIds && spec.messageIds.type === undefined) codecs.get(spec.protocol)!.bindType(spec.name, 0x100 + i);
      specs.push([spec, 'G', codecs.get(spec.protocol)!]);
    });
    specs.push([fixtureSpec, 'F', new ProtocolCodec([fixtureSpec])]);

    let checked = 0;
    for (const [spec, ns, codec] of specs) {
      for (const [name, m] of Object.entries(spec.messages)) {
        for (const variant of [0, 1, 2]) {
          const sampler = new Sampler(spec, variant);
          const out = { kind: name, header: sampler.struct(m.header, 'header'), attrs: sampler.set(m.attributes, 0) };
          const bytes = codec.encode(out);
          const [msg] = codec.decode(bytes, m.sentBy ?? 'kernel');
          expect(msg?.kind, `${spec.name}.${name}`).toBe(name);
          // what decodes re-encodes byte for byte
          expect(codec.encode({ kind: name, header: msg!.header, attrs: msg!.attrs }), `${spec.name}.${name} re-encoded`).toEqual(bytes);
          const typeName = `${ns}.${pascal(spec.name, name)}Message`;
          lines.push(`const m${checked++}: ${typeName} = ${literal({ header: msg!.header, attrs: msg!.attrs })};`, '');
        }
      }
    }
    lines.push(`export const all = [${Array.from({ length: checked }, (_, i) => `m${i}`).join(', ')}];`);
    const checkFile = join(ROOT, 'test', '__generated-check.ts');
    files.set(checkFile, lines.join('\n'));

    const errors = typecheck(files, [checkFile]);
    expect(errors, errors.join('\n')).toEqual([]);
    expect(checked).toBeGreaterThan(3);
  }, 60_000);

  it('fixture: the mapping of each construct', () => {
    const text = generateFamily(fixtureSpec, 'test/generated-types.test.ts');
    const expectLines = [
      `export type GenFixtureColor = 'red' | 'green' | 'blue' | 'sky-blue' | number;`,
      `export type GenFixtureBits = Array<'a' | 'b' | 'c' | 'also_a' | number>;`,
      `  data?: GenFixtureKindOneAttrs<D> | GenFixtureKindTwoAttrs<D> | Uint8Array;`,
      `  s64?: bigint | EncodeOnly<D, number>;`,
      `  bigColor?: GenFixtureColor | bigint;`,
      `  ip32?: string | EncodeOnly<D, number>;`,
      `  mac?: string | EncodeOnly<D, Uint8Array>;`,
      `  conf?: number[] | EncodeOnly<D, Uint8Array>;`,
      `  conf64?: bigint[] | EncodeOnly<D, Uint8Array>;`,
      `  on?: true | EncodeOnly<D, false>;`,
      `  blob?: GenFixtureBlob<D> | EncodeOnly<D, Uint8Array>;`,
      `  peer?: { header: GenFixturePeerhdr<D>; attrs: GenFixtureTopAttrs<D> };`,
      `  ifindex?: number;`,
      `  hops?: Array<Omit<GenFixtureRec<D>, 'len'> & { attrs: GenFixtureInnerAttrs<D> }>;`,
      `  names?: string[];`,
      `  colors?: GenFixtureColor[];`,
      `  'odd-name'?: string | EncodeOnly<D, Uint8Array>;`,
      `  addr?: string | Uint8Array;`,
      `  nested?: GenFixtureInnerAttrs<D>[];`,
      `  unknown?: UnknownAttr[];`,
      `  _tail?: Uint8Array;`,
      `  index: number;`,
      `  v4?: string | EncodeOnly<D, number>;`,
      `  mark?: GenFixtureBits | EncodeOnly<D, number>;`,
      `export type GenFixtureNewthingMessage<D extends SpecDirection = 'decoded'> = { header: GenFixtureHdr<D>; attrs: GenFixtureTopAttrs<D> };`,
      '  /** FIX_BIG_COLOR: an enum on a 64-bit integer */',
    ];
    const have = new Set(text.split('\n'));
    for (const l of expectLines) expect(have.has(l), `missing line: ${l}\n\n${text}`).toBe(true);
  });
});
