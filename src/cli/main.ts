/**
 * nlts [OPTIONS] OBJECT [COMMAND [ARGS]]: iproute2's grammar, speaking netlink itself.
 * Only the grammar and output live here; commands load lazily so start-up stays small.
 */
import type { NetlinkClient } from '../api/client.js';
import { type CliContext, type CommandRun, type GlobalOptions, UsageError, matches } from './context.js';
import { reportError } from './errors.js';
import { endQuietlyOnEpipe, stdout, writeOutSync } from './output.js';

/** OBJECT keyword -> module; abbreviations resolve by prefix in this order (ip's order). */
const OBJECTS: [string, () => Promise<{ run: CommandRun }>][] = [
  ['link', () => import('./commands/link.js')],
  ['address', () => import('./commands/address.js')],
  ['addr', () => import('./commands/address.js')],
  ['apply', () => import('./commands/topology-apply.js')],
  ['route', () => import('./commands/route.js')],
  ['rule', () => import('./commands/rule.js')],
  ['neighbour', () => import('./commands/neigh.js')],
  ['neighbor', () => import('./commands/neigh.js')],
  ['neigh', () => import('./commands/neigh.js')],
  ['netns', () => import('./commands/netns.js')],
  ['sysctl', () => import('./commands/sysctl.js')],
  ['monitor', () => import('./commands/monitor.js')],
  ['decode', () => import('./commands/decode.js')],
  ['destroy', async () => ({ run: (await import('./commands/topology-apply.js')).runDestroy })],
  ['ethtool', () => import('./commands/ethtool.js')],
  ['genl', () => import('./commands/genl.js')],
  ['topology', () => import('./commands/topology.js')],
  ['nft', () => import('./commands/nft.js')],
];

/** Objects whose commands all end once they printed: their output is written with write(2) (src/cli/output.ts). */
const SYNC_OUTPUT = new Set(['link', 'address', 'addr', 'route', 'rule', 'neighbour', 'neighbor', 'neigh']);

export const USAGE = `Usage: nlts [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { link | address | route | rule | neigh | netns | sysctl | monitor | decode |
                   ethtool | genl | nft | topology | apply | destroy }
       OPTIONS := { -j[son] | -p[retty] | -d[etails] | -s[tatistics] | -4 | -6 |
                    -n[etns] NAME | --record FILE | -N[umeric] | -h[elp] }`;

/** ip's options that nlts does not have (docs/cli.md), with the shortest prefix ip takes for each. */
const IP_ONLY_OPTIONS: [string, number][] = [
  ['batch', 1],
  ['brief', 2],
  ['oneline', 1],
  ['color', 1],
  ['colour', 4],
  ['timestamp', 1],
  ['tshort', 2],
  ['iec', 1],
  ['rcvbuf', 2],
  ['force', 1],
  ['echo', 1],
  ['loops', 1],
];

export function parseGlobal(argv: string[]): { options: GlobalOptions; rest: string[] } {
  const options: GlobalOptions = { json: false, pretty: false, details: false, stats: 0, numeric: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    const opt = a.replace(/^--?/, '');
    if (a === '--') {
      i++;
      break;
    } else if (opt === '4') options.family = 'inet';
    else if (opt === '6') options.family = 'inet6';
    else if (matches(opt, 'json') || opt === 'j') options.json = true;
    else if (matches(opt, 'pretty')) options.pretty = true;
    else if (matches(opt, 'details')) options.details = true;
    else if (matches(opt, 'statistics') || opt === 's' || opt === 'stats') options.stats++;
    // -n is netns (as in ip), before the prefix match that would read it as -numeric
    else if (opt === 'n' || matches(opt, 'netns')) {
      const v = argv[++i];
      if (!v) throw new UsageError(`option "${a}" needs a namespace name`, USAGE);
      options.netns = v;
    } else if (opt === 'N' || matches(opt, 'numeric')) options.numeric = true;
    else if (opt === 'record') {
      const v = argv[++i];
      if (!v) throw new UsageError('option "--record" needs a file name', USAGE);
      options.record = v;
    } else if (opt === 'h' || matches(opt, 'help')) throw new UsageError('', USAGE);
    else {
      const ipOption = IP_ONLY_OPTIONS.find(([name, min]) => opt.length >= min && matches(opt, name))?.[0];
      if (ipOption) throw new UsageError(`Option "${a}" (ip's -${ipOption}) is not supported by nlts, try "nlts -help".`, USAGE);
      throw new UsageError(`Option "${a}" is unknown, try "nlts -help".`, USAGE);
    }
  }
  return { options, rest: argv.slice(i) };
}

/** Test seams: where output goes and how the client is opened (a replayed fixture...). */
export interface MainHooks {
  out?: (text: string) => void;
  openClient?: (options: GlobalOptions) => Promise<{ client: NetlinkClient; close(): void }>;
}

export async function main(argv: string[], hooks: MainHooks = {}): Promise<number> {
  let ctx: CliContext | undefined;
  let opened: { close(): void } | undefined;
  try {
    const { options, rest } = parseGlobal(argv);
    if (options.numeric) (await import('./names.js')).setNumeric(true);
    const [object, ...args] = rest;
    if (!object) throw new UsageError('', USAGE);
    if (object === 'help') {
      stdout().write(USAGE + '\n');
      return 0;
    }
    const entry = OBJECTS.find(([name]) => matches(object, name));
    if (!entry) throw new UsageError(`Object "${object}" is unknown, try "nlts help".`, USAGE);
    let client: { client: NetlinkClient; close(): void } | undefined;
    const write = hooks.out ?? (SYNC_OUTPUT.has(entry[0]) ? writeOutSync : (text: string) => void stdout().write(text));
    ctx = {
      options,
      out: (text) => write(text.endsWith('\n') || text === '' ? text : text + '\n'),
      client: async () => {
        if (!client) {
          // loaded on first use: `nlts decode` never opens a socket
          const open = hooks.openClient ?? (await import('./client.js')).openCliClient;
          client = await open(options);
          opened = client;
        }
        return client.client;
      },
    };
    const mod = await entry[1]();
    const code = await mod.run(args, ctx);
    return code ?? 0;
  } catch (err) {
    return reportError(err);
  } finally {
    opened?.close();
  }
}

const isMain = process.argv[1] && /(?:^|[\\/])(?:nlts(?:\.c?js)?|main\.[tj]s)$/.test(process.argv[1]);
if (isMain) {
  endQuietlyOnEpipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
