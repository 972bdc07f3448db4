/**
 * nlts [-j] apply FILE [--dry-run] [--prune] and nlts destroy FILE: declarative topologies
 * (docs/topology.md). Prints each change on a line (`add link eth0 netns c1`); with -j a JSON array
 * of changes (`[]` when there is nothing to do). A failure part-way is undone before the one-line error.
 */
import type { Change } from '../../topology/types.js';
import { type CliContext, UsageError } from '../context.js';

export const APPLY_USAGE = `Usage: nlts [ -j ] apply FILE [ --dry-run ] [ --prune ]
       nlts [ -j ] destroy FILE
FILE := a topology in YAML or JSON (docs/topology.md); - reads standard input`;

/** `add link eth0 netns c1`, `change sysctl net.ipv4.ip_forward = 1 netns host`. */
function line(c: Change): string {
  let text = `${c.op} ${c.kind} ${c.name}`;
  if (c.kind === 'sysctl' && c.detail && 'to' in c.detail) text += ` = ${String(c.detail.to)}`;
  if (c.kind !== 'netns' && c.netns !== '.') text += ` netns ${c.netns}`;
  return text;
}

function print(ctx: CliContext, changes: Change[]): void {
  if (ctx.options.json) {
    const out = changes.map(({ op, kind, netns, name, key, path, detail }) => ({
      op,
      kind,
      netns,
      name,
      ...(key !== undefined ? { key } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(ctx.options.details && detail !== undefined ? { detail } : {}),
    }));
    ctx.out(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), ctx.options.pretty ? 4 : undefined));
    return;
  }
  for (const c of changes) ctx.out(line(c));
}

function parseArgs(argv: string[], flags: readonly string[]): { file: string; set: Set<string> } {
  let file: string | undefined;
  const set = new Set<string>();
  for (const a of argv) {
    if (a === 'help' || a === '-h' || a === '--help') throw new UsageError('', APPLY_USAGE);
    if (a.startsWith('--') && flags.includes(a)) set.add(a);
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`Option "${a}" is unknown.`, APPLY_USAGE);
    else if (file === undefined) file = a;
    else throw new UsageError(`One topology file at a time ("${a}" is one too many).`, APPLY_USAGE);
  }
  if (file === undefined) throw new UsageError('No topology file given.', APPLY_USAGE);
  return { file, set };
}

async function readFile(file: string): Promise<import('../../topology/types.js').TopologyFile> {
  const { parseTopology, readTopologyFile } = await import('../../topology/parse.js');
  if (file !== '-') return readTopologyFile(file);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return parseTopology(Buffer.concat(chunks).toString('utf8'));
}

function noNetns(ctx: CliContext, what: string): void {
  if (ctx.options.netns !== undefined) throw new UsageError(`${what} takes its namespaces from the file; -n does not apply.`, APPLY_USAGE);
}

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  noNetns(ctx, 'apply');
  const { file, set } = parseArgs(argv, ['--dry-run', '--prune']);
  const spec = await readFile(file);
  const { applyTopology } = await import('../../topology/apply.js');
  print(ctx, await applyTopology(spec, { dryRun: set.has('--dry-run'), prune: set.has('--prune') }));
  return 0;
}

export async function runDestroy(argv: string[], ctx: CliContext): Promise<number | undefined> {
  noNetns(ctx, 'destroy');
  const { file } = parseArgs(argv, []);
  const spec = await readFile(file);
  const { destroyTopology } = await import('../../topology/apply.js');
  print(ctx, await destroyTopology(spec));
  return 0;
}
