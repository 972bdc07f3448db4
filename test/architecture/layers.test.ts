/**
 * The layers of docs/architecture.md, enforced: every file of src/ and protocol/ imports only from
 * its own directory or a lower layer, no import cycle joins two files, and only src/transport
 * touches the FFI. Sizes over the limits of issue 14 are printed, not failed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, ROOT, findCycles, readSources } from './source-graph.js';

/**
 * Layer of each directory, lowest first. A file may import from its own directory and from lower
 * layers; directories of one layer (conn and pcap, genl and netns) do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['src/errors', 'src/deps'], // leaves: the error base, wrappers of third-party packages
  ['protocol'], // specs as data
  ['src/codec'],
  ['src/generated'], // types generated from the specs, over codec types
  ['src/transport'], // the byte seam; the only FFI
  ['src/conn', 'src/pcap'],
  ['src/genl', 'src/netns', 'src/nft'], // generic netlink families by name; namespace entry; nftables connection
  ['src/api'], // the facade (rtnetlink families, ethtool, genl)
  ['src/monitor'],
  ['src/topology'], // declarative topologies: plan, apply, rollback (docs/topology.md)
  ['src/cli'],
  ['src/index.ts'], // the package entry
];

/** Only these may load the FFI (libc.ts is the one FFI shim, ffi.ts loads ffi-rs). */
const FFI_MODULES = new Set(['src/transport/libc.ts', 'src/transport/ffi.ts', 'ffi-rs']);
const FFI_HOME = 'src/transport';

/**
 * Cycles being removed by work in progress, as the test prints them. Listed so that a new cycle
 * fails at once; a listed one that is gone fails until it is taken off the list.
 */
const KNOWN_CYCLES: readonly string[] = [];

const FILE_LIMIT = 500;
const FUNCTION_LIMIT = 100;

interface BiomeConfig {
  overrides?: { includes: string[]; linter?: { rules?: { style?: { noRestrictedImports?: unknown } } } }[];
}

/** The Biome rule that says the same as LAYERS for one directory (import specifiers, not resolved paths). */
function biomeRule(dir: string): unknown {
  const above = LAYERS.flat()
    .filter((d) => d !== dir && d !== 'src/index.ts' && layerOf(d) >= layerOf(dir))
    .map((d) => d.split('/').pop()!);
  const group = above.length > 1 ? [`**/{${above.join(',')}}/**`] : above.map((d) => `**/${d}/**`);
  if (dir !== 'protocol') group.push('../index.js', '../../index.js'); // the package entry
  const options: Record<string, unknown> = {};
  if (dir !== FFI_HOME) {
    options.paths = { 'ffi-rs': 'the FFI is private to src/transport (system.ts)' };
    group.push('**/transport/{libc,ffi}.js');
  }
  const message = 'imports only from its own directory and lower layers; the FFI only in src/transport (docs/architecture.md)';
  options.patterns = [{ group, message }];
  return { level: 'error', options };
}

/** 'src/netns/manage.ts' -> 'src/netns'; the longest table entry that contains the file. */
function layerDir(file: string): string | undefined {
  let best: string | undefined;
  for (const dir of LAYERS.flat()) {
    if ((file === dir || file.startsWith(`${dir}/`)) && (best === undefined || dir.length > best.length)) best = dir;
  }
  return best;
}

function layerOf(dir: string): number {
  return LAYERS.findIndex((l) => l.includes(dir));
}

function where(e: ImportEdge): string {
  return `${e.from}:${e.line} imports ${e.to}${e.typeOnly ? ' (type)' : ''}${e.dynamic ? ' (dynamic)' : ''}`;
}

describe('layers', () => {
  const sources = readSources();
  const files = sources.map((s) => s.path);
  const known = new Set(files);
  const edges = sources.flatMap((s) => s.imports);
  const local = edges.filter((e) => known.has(e.to));

  it('reads the whole tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(local.length).toBeGreaterThan(300);
    // Every relative import names a file that exists: a typo would hide an edge from the checks below.
    const dangling = edges.filter((e) => (e.to.startsWith('src/') || e.to.startsWith('protocol/')) && !known.has(e.to));
    expect(dangling.map(where)).toEqual([]);
  });

  it('places every file in a layer', () => {
    expect(files.filter((f) => layerDir(f) === undefined)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const kind = new Map(local.map((e) => [`${e.from} ${e.to}`, e.typeOnly ? ' (type)' : '']));
    const show = (c: string[]) => c.map((f, i) => (i === 0 ? f : `${kind.get(`${c[i - 1]} ${f}`) ?? ''} -> ${f}`)).join('');
    const cycles = findCycles(files, local).map((c) => show(c.path));
    const unexpected = cycles.filter((c) => !KNOWN_CYCLES.includes(c));
    const fixed = KNOWN_CYCLES.filter((c) => !cycles.includes(c));
    if (unexpected.length > 0) {
      throw new Error(`${unexpected.length} import cycle(s), each shown once through its files:\n${unexpected.map((c) => `  ${c}`).join('\n')}`);
    }
    expect(fixed, 'gone: remove from KNOWN_CYCLES').toEqual([]);
  });

  it('has no import cycle between directories', () => {
    const dirEdges = local.map((e) => ({ ...e, from: layerDir(e.from)!, to: layerDir(e.to)! })).filter((e) => e.from !== e.to);
    const cycles = findCycles(LAYERS.flat(), dirEdges).map(({ members, path: c }) => {
      const via = c.slice(1).map((d, i) => dirEdges.find((e) => e.from === c[i] && e.to === d)!);
      return `  ${members.join(', ')}: ${c.join(' -> ')}\n${via.map((e) => `    ${e.from} -> ${e.to}: e.g. ${where(local.find((l) => l.from.startsWith(e.from) && layerDir(l.to) === e.to)!)}`).join('\n')}`;
    });
    if (cycles.length > 0) throw new Error(`${cycles.length} cycle(s) between directories:\n${cycles.join('\n')}`);
  });

  it('imports only from the same directory or a lower layer', () => {
    const wrong: string[] = [];
    for (const e of local) {
      const a = layerDir(e.from)!;
      const b = layerDir(e.to)!;
      if (a === b) continue;
      const la = layerOf(a);
      const lb = layerOf(b);
      if (lb > la) wrong.push(`${where(e)}: ${b} is above ${a}`);
      else if (lb === la) wrong.push(`${where(e)}: ${a} and ${b} are one layer, neither imports the other`);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the FFI (libc.ts, ffi.ts, ffi-rs) inside src/transport', () => {
    const outside = edges.filter((e) => FFI_MODULES.has(e.to) && !e.from.startsWith(`${FFI_HOME}/`));
    expect(outside.map(where)).toEqual([]);
  });

  it('is what biome.jsonc enforces too (noRestrictedImports per directory)', () => {
    const text = readFileSync(join(ROOT, 'biome.jsonc'), 'utf8');
    const { config, error } = ts.parseConfigFileTextToJson('biome.jsonc', text);
    expect(error).toBeUndefined();
    const actual = new Map<string, unknown>();
    for (const o of (config as BiomeConfig).overrides ?? []) {
      const rule = o.linter?.rules?.style?.noRestrictedImports;
      if (rule) actual.set(o.includes.join(' '), rule);
    }
    const expected = new Map<string, unknown>();
    for (const dir of LAYERS.flat()) if (dir !== 'src/index.ts') expected.set(`${dir}/**`, biomeRule(dir));
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  });

  it('reports sizes over the limits (information only)', () => {
    const handWritten = sources.filter((s) => !s.path.startsWith('src/generated/'));
    const bigFiles = handWritten.filter((s) => s.lines > FILE_LIMIT).sort((a, b) => b.lines - a.lines);
    const bigFunctions = handWritten
      .flatMap((s) => s.functions)
      .filter((f) => f.lines > FUNCTION_LIMIT)
      .sort((a, b) => b.lines - a.lines);
    const lines = [
      `${bigFiles.length} hand-written file(s) over ${FILE_LIMIT} lines:`,
      ...bigFiles.map((s) => `  ${s.lines} ${s.path}`),
      `${bigFunctions.length} function(s) over ${FUNCTION_LIMIT} lines:`,
      ...bigFunctions.map((f) => `  ${f.lines} ${f.name} (${f.file}:${f.line})`),
    ];
    console.log(lines.join('\n'));
    expect(handWritten.length).toBeGreaterThan(0);
  });
});
