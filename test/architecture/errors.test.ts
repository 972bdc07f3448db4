/**
 * One error family: every error class the package exports (from each entry point of package.json)
 * extends NetlinkTsError, carries the name docs/errors.md gives it, and answers its guard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourcePaths } from './source-graph.js';

type ErrorClass = abstract new (...args: never[]) => Error;
type Module = Record<string, unknown>;

/** package.json's entry points, as source files by their declarations (the code is bundled): './conn' -> 'src/conn/index.ts'. */
function entryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };
  const out = new Map<string, string>();
  for (const [sub, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.types;
    if (!file?.startsWith('./dist/') || !file.endsWith('.d.ts')) continue;
    out.set(sub === '.' ? 'netlink-ts' : `netlink-ts/${sub.slice(2)}`, file.slice('./dist/'.length).replace(/\.d\.ts$/, '.ts'));
  }
  return out;
}

/** Error modules the package does not export (the CLI's own, captures), checked all the same. */
const INTERNAL = ['src/pcap/pcap.ts', 'src/cli/context.ts'];

/** How to make one of each, by class name. */
const SAMPLE_ARGS: Record<string, unknown[]> = {
  NetlinkError: [{ errno: 17, operation: 'newlink', seq: 1 }],
  NotFoundError: ['link', 'nope'],
  InvalidArgumentError: ['mtu', -1, 'must be positive'],
  DumpInterruptedError: ['getroute', 6, []],
  NetlinkTimeoutError: ['getlink', 50],
  ConnectionClosedError: [],
  TransportError: ['socket failed: EPERM (Operation not permitted)', 'socket', 1, 'EPERM'],
  DecodeError: ['attribute length 0', 16],
  EncodeError: ['300 is out of range for u8 (0..255)', ['rt-link:newlink', 'ttl']],
  SpecError: ['unknown type', ['rt-link', 'attribute-sets']],
  ReplayMismatchError: ['replay: request #0 differs from the recording', 0, new Uint8Array(4)],
  NamespaceError: ['blue', 'ENOENT', 'network namespace "blue" does not exist'],
  NotSupportedError: ['rings', 'veth0'],
  PcapError: ['bad magic', 0],
  UsageError: ['unknown command'],
  CliError: ['Cannot find device "x"'],
  TopologyApplyError: [{ op: 'add', kind: 'link', netns: 'c1', name: 'eth0' }, new Error('refused'), [], []],
  NftTransactionError: [
    [
      {
        index: 0,
        kind: 'newrule',
        error: { errno: 2, code: 'ENOENT', operation: 'newrule', message: 'newrule: ENOENT (No such file or directory)' },
      },
    ],
  ],
};

interface DocRow {
  name: string;
  from: string[];
  guard?: string;
}

/** The table at the top of docs/errors.md: | `Name` | `netlink-ts`, `netlink-ts/conn` | `isName` | ... |. */
function documented(): DocRow[] {
  const text = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const rows: DocRow[] = [];
  const start = text.indexOf('| name | from | guard | means |');
  const table = text.slice(start, text.indexOf('\n\n', start));
  for (const line of table.split('\n')) {
    const m = /^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    const from = [...m[2]!.matchAll(/`?([\w./-]+)`?/g)].map((x) => x[1]!);
    const guard = /`(is\w+)`/.exec(m[3]!)?.[1];
    rows.push({ name: m[1]!, from, ...(guard ? { guard } : {}) });
  }
  return rows;
}

function errorClasses(mod: Module): Map<string, ErrorClass> {
  const out = new Map<string, ErrorClass>();
  for (const [key, value] of Object.entries(mod)) {
    if (typeof value === 'function' && value.prototype instanceof Error) out.set(key, value as ErrorClass);
  }
  return out;
}

describe('one error family', async () => {
  const entries = entryPoints();
  const modules = new Map<string, Module>();
  for (const [entry, file] of entries) modules.set(entry, (await import(join(ROOT, file))) as Module);
  for (const file of INTERNAL) modules.set(file, (await import(join(ROOT, file))) as Module);
  const root = modules.get('netlink-ts')!;
  const Base = root.NetlinkTsError as ErrorClass | undefined;
  const isBase = root.isNetlinkTsError as ((e: unknown) => boolean) | undefined;

  /** Every error class of every module, by name, with the modules that export it. */
  const classes = new Map<string, { cls: ErrorClass; from: string[] }>();
  for (const [where, mod] of modules) {
    for (const [name, cls] of errorClasses(mod)) {
      if (cls === Base) continue;
      const seen = classes.get(name);
      if (seen && seen.cls !== cls) throw new Error(`two classes named ${name}`);
      classes.set(name, { cls, from: [...(seen?.from ?? []), where] });
    }
  }
  const make = (name: string): Error => Reflect.construct(classes.get(name)!.cls, SAMPLE_ARGS[name]!) as Error;

  it('exports the base and its guard from netlink-ts', () => {
    expect(typeof Base).toBe('function');
    expect(typeof isBase).toBe('function');
    expect(Base!.prototype).toBeInstanceOf(Error);
  });

  it('finds the error classes', () => {
    expect([...classes.keys()].sort()).toEqual(Object.keys(SAMPLE_ARGS).sort());
  });

  it('makes every error class an instance of NetlinkTsError, named as its class', () => {
    const wrong: string[] = [];
    for (const name of classes.keys()) {
      const e = make(name);
      if (!Base || !(e instanceof Base)) wrong.push(`${name}: not an instance of NetlinkTsError`);
      if (!isBase?.(e)) wrong.push(`${name}: isNetlinkTsError says no`);
      if (e.name !== name) wrong.push(`${name}: name is ${e.name}`);
      if (!(e instanceof Error) || typeof e.stack !== 'string') wrong.push(`${name}: not an Error with a stack`);
    }
    expect(wrong).toEqual([]);
  });

  it('recognises the family across copies of the package (by its brand, not by instanceof)', () => {
    // An error from another copy: a different class, its prototype branded with the same Symbol.for key.
    const brand = Object.getOwnPropertySymbols(Base!.prototype).find((s) => Symbol.keyFor(s) !== undefined);
    expect(brand).toBeDefined();
    class Foreign extends Error {}
    Object.defineProperty(Foreign.prototype, brand!, { value: true });
    expect(isBase!(new Foreign('x'))).toBe(true);
    expect(isBase!(new Error('x'))).toBe(false);
    expect(isBase!({ name: 'NetlinkError', message: 'x' })).toBe(false);
    expect(isBase!(null)).toBe(false);
  });

  it('documents every exported error in docs/errors.md, exported where the table says, with its guard', () => {
    const rows = documented();
    const problems: string[] = [];
    if (!rows.some((r) => r.name === 'NetlinkTsError')) problems.push('NetlinkTsError: not in the table');
    for (const [name, { from }] of classes) {
      if (from.some((f) => f.startsWith('netlink-ts')) && !rows.some((r) => r.name === name)) problems.push(`${name}: not in the table`);
    }
    const guardModules = [...modules.values()];
    for (const row of rows) {
      if (row.name === 'NetlinkTsError') {
        if (Base === undefined) problems.push('NetlinkTsError: not exported');
        continue;
      }
      const found = classes.get(row.name);
      if (!found) {
        problems.push(`${row.name}: documented but not found`);
        continue;
      }
      for (const entry of row.from.filter((f) => entries.has(f))) {
        if (!found.from.includes(entry)) problems.push(`${row.name}: not exported from ${entry}`);
      }
      if (!row.guard) continue;
      const guard = guardModules.map((m) => m[row.guard!]).find((g) => typeof g === 'function') as ((e: unknown) => boolean) | undefined;
      if (!guard) problems.push(`${row.name}: guard ${row.guard} not exported`);
      else if (!guard(make(row.name)) || guard(new Error('x'))) problems.push(`${row.name}: ${row.guard} does not tell it apart`);
    }
    expect(problems).toEqual([]);
  });

  it('has no error class in src/ that extends Error directly, other than NetlinkTsError', () => {
    const direct: string[] = [];
    for (const path of sourcePaths()) {
      const text = readFileSync(join(ROOT, path), 'utf8');
      for (const m of text.matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g)) {
        if (m[1] !== 'NetlinkTsError') direct.push(`${path}: ${m[1]} extends ${m[2]}`);
      }
    }
    expect(direct).toEqual([]);
  });
});
