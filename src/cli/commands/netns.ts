/**
 * nlts netns { list | add | del | attach | set | identify | pids | exec | list-id | monitor }:
 * ip netns's grammar and output over src/netns. With -n NAME, ids (list, list-id, set) are the
 * ones NAME gives, as with `ip -n NAME netns ...`.
 */
import { watch } from 'node:fs';
import { isInvalidArgumentError } from '../../api/errors.js';
import { isNamespaceError } from '../../netns/errors.js';
import type { NsidOptions } from '../../netns/manage.js';
import { NETNS_RUN_DIR } from '../../netns/target.js';
import { type CliContext, CliError, UsageError, matches } from '../context.js';
import { flush, printerFor } from './common.js';

export const NETNS_USAGE = `Usage: nlts netns list
       nlts netns add NAME
       nlts netns attach NAME PID
       nlts netns set NAME NETNSID
       nlts [-all] netns delete [NAME]
       nlts netns identify [PID]
       nlts netns pids NAME
       nlts netns exec NAME cmd ...
       nlts netns monitor
       nlts netns list-id
NETNSID := auto | POSITIVE-INT`;

/** Loaded on demand: `nlts link` never pays for child_process and friends. */
const manage = () => import('../../netns/manage.js');

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return await list(ctx);
    if (sub === 'list-id') return await listId(ctx);
    if (matches(sub, 'add')) return await add(rest);
    if (matches(sub, 'attach')) return await attach(rest);
    if (matches(sub, 'set')) return await set(rest, ctx);
    if (matches(sub, 'delete')) return await del(rest);
    if (matches(sub, 'identify')) return await identify(rest, ctx);
    if (matches(sub, 'pids')) return await pids(rest, ctx);
    if (matches(sub, 'exec')) return await exec(rest);
    if (matches(sub, 'monitor')) return await monitor(ctx);
    if (matches(sub, 'help')) throw new UsageError('', NETNS_USAGE);
  } catch (err) {
    // ip's wording, exit status 1 (ip itself exits 255 for most of these).
    if (isNamespaceError(err)) throw new CliError(err.message.replace(/^network namespace/, 'Network namespace'), 1);
    if (isInvalidArgumentError(err) && /namespace name/.test(err.argument))
      throw new CliError(`Invalid netns name ${JSON.stringify(String(err.value))}`, 1);
    throw err;
  }
  throw new UsageError(`Command "${sub}" is unknown, try "nlts netns help".`, NETNS_USAGE);
}

/** Ids are asked of the -n namespace when given, else of this one (a short-lived client). */
async function via(ctx: CliContext): Promise<NsidOptions> {
  return ctx.options.netns !== undefined ? { via: await ctx.client() } : {};
}

function need(args: string[], n: number, what: string): void {
  if (args.length < n) throw new UsageError(`No ${what} specified`, NETNS_USAGE);
  if (args.length > n) throw new UsageError(`Error: either "${args[n]}" is duplicate, or "${args[n]}" is a garbage.`, NETNS_USAGE);
}

async function list(ctx: CliContext): Promise<undefined> {
  const { listNetns } = await manage();
  const p = printerFor(ctx);
  for (const ns of await listNetns(await via(ctx))) {
    p.openObject();
    p.any('name', ns.name, ns.name);
    if (ns.id !== undefined) p.any('id', ns.id, ` (id: ${ns.id})`);
    p.text('\n');
    p.closeObject();
  }
  flush(ctx, p);
}

async function listId(ctx: CliContext): Promise<undefined> {
  const { listNetnsIds } = await manage();
  const p = printerFor(ctx);
  for (const id of await listNetnsIds(await via(ctx))) {
    p.openObject();
    p.any('nsid', id.nsid, `nsid ${id.nsid} `);
    if (id.name !== undefined) p.any('name', id.name, `(iproute2 netns name: ${id.name})`);
    p.text('\n');
    p.closeObject();
  }
  flush(ctx, p);
}

async function add(args: string[]): Promise<undefined> {
  need(args, 1, 'netns name');
  await (await manage()).addNetns(args[0]!);
}

async function attach(args: string[]): Promise<undefined> {
  need(args, 2, 'netns name and pid');
  if (!/^\d+$/.test(args[1]!)) throw new UsageError(`Invalid pid "${args[1]}"`, NETNS_USAGE);
  (await manage()).attachNetns(args[0]!, Number(args[1]));
}

async function set(args: string[], ctx: CliContext): Promise<undefined> {
  need(args, 2, 'netns name and nsid');
  const [name, id] = args as [string, string];
  let nsid: number | 'auto';
  if (id === 'auto') nsid = 'auto';
  else if (/^\d+$/.test(id) && Number(id) < 0x7fffffff) nsid = Number(id);
  else throw new UsageError(`Error: argument "${id}" is wrong: Invalid "netnsid" value`, NETNS_USAGE);
  await (await manage()).setNetnsId(name, nsid, await via(ctx));
}

async function del(args: string[]): Promise<undefined> {
  need(args, 1, 'netns name');
  (await manage()).deleteNetns(args[0]!);
}

async function identify(args: string[], ctx: CliContext): Promise<undefined> {
  if (args.length > 1) throw new UsageError(`Error: either "${args[1]}" is duplicate, or "${args[1]}" is a garbage.`, NETNS_USAGE);
  if (args[0] !== undefined && !/^\d+$/.test(args[0])) throw new UsageError(`Invalid pid "${args[0]}"`, NETNS_USAGE);
  const names = (await manage()).identifyNetns(args[0] === undefined ? process.pid : Number(args[0]));
  if (ctx.options.json) ctx.out(JSON.stringify(names));
  else for (const n of names) ctx.out(n);
}

async function pids(args: string[], ctx: CliContext): Promise<undefined> {
  need(args, 1, 'netns name');
  const list = (await manage()).netnsPids({ name: args[0]! });
  if (ctx.options.json) ctx.out(JSON.stringify(list));
  else for (const pid of list) ctx.out(String(pid));
}

/** Runs the command with the terminal; its exit status becomes ours (128 + signal when killed). */
async function exec(args: string[]): Promise<number> {
  if (args.length < 1) throw new UsageError('No netns name specified', NETNS_USAGE);
  if (args.length < 2) throw new UsageError('No command specified', NETNS_USAGE);
  const child = (await manage()).execNetns(args[0]!, args.slice(1), { stdio: 'inherit' });
  // The child has the terminal: let it take ^C / SIGTERM, and wait for it.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of signals) process.on(s, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 1)));
    });
  } finally {
    for (const s of signals) process.off(s, forward);
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1;
}

/** `ip netns monitor`: names appearing in and leaving /run/netns ("add NAME" / "delete NAME"). */
async function monitor(ctx: CliContext): Promise<undefined> {
  const { netnsNames } = await import('../../netns/nsid.js');
  let known = new Set(netnsNames());
  await new Promise<void>((resolve) => {
    const w = watch(NETNS_RUN_DIR, () => {
      const now = new Set(netnsNames());
      for (const n of now) if (!known.has(n)) ctx.out(`add ${n}`);
      for (const n of known) if (!now.has(n)) ctx.out(`delete ${n}`);
      known = now;
    });
    w.on('error', () => resolve());
    process.once('SIGINT', () => {
      w.close();
      resolve();
    });
  });
}
