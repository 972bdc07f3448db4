/**
 * nlts [-n NAME] genl ctrl { list | get name NAME | get id ID }: generic netlink families as
 * iproute2's `genl ctrl` shows them, over client.genl. Failures exit 255, as genl's do.
 */
import type { GenlFamily } from '../../api/genl.js';
import { type CliContext, CliError, UsageError, matches } from '../context.js';
import { formatGenlFamily } from '../format/genl.js';

export const GENL_USAGE = `Usage: nlts [ -n NAME ] genl ctrl { list | get PARMS }
PARMS := name NAME | id ID`;

/** genl exits -1 (255) on every failure. */
const FAILED = 255;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const [object, cmd, ...rest] = argv;
  if (object === undefined || matches(object, 'help')) throw new UsageError('', GENL_USAGE);
  if (object !== 'ctrl' && object !== 'nlctrl') throw new CliError(`Unknown genl object "${object}": nlts knows ctrl`, FAILED);
  if (cmd === undefined) throw new CliError('wrong controller params', FAILED);
  if (matches(cmd, 'list') || matches(cmd, 'show') || matches(cmd, 'lst')) return list(ctx);
  if (matches(cmd, 'get')) return get(rest, ctx);
  if (matches(cmd, 'help')) throw new UsageError('', GENL_USAGE);
  throw new CliError(`ctrl command "${cmd}" is unknown, try "ctrl help".`, FAILED);
}

async function list(ctx: CliContext): Promise<undefined> {
  const families = await (await ctx.client()).genl.families();
  ctx.out(ctx.options.json ? JSON.stringify(families, null, ctx.options.pretty ? 4 : undefined) : families.map(formatGenlFamily).join(''));
  return undefined;
}

async function get(args: string[], ctx: CliContext): Promise<number | undefined> {
  if (args.length !== 2) throw new CliError('Wrong number of params', FAILED);
  const [key, value] = args as [string, string];
  const genl = (await ctx.client()).genl;
  let family: GenlFamily | undefined;
  try {
    if (matches(key, 'name')) family = await genl.family(value);
    else if (matches(key, 'id')) {
      const id = Number(value);
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(value) || id > 0xffff) throw new CliError('Illegal "id"', FAILED);
      family = (await genl.families()).find((f) => f.id === id);
      if (family === undefined) throw new CliError('RTNETLINK answers: No such file or directory\nError talking to the kernel', FAILED);
    } else throw new CliError('Wrong params', FAILED);
  } catch (err) {
    if ((err as Error)?.name === 'NotFoundError')
      throw new CliError('RTNETLINK answers: No such file or directory\nError talking to the kernel', FAILED);
    throw err;
  }
  ctx.out(ctx.options.json ? JSON.stringify(family, null, ctx.options.pretty ? 4 : undefined) : formatGenlFamily(family));
  return undefined;
}
