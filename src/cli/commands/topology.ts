/**
 * nlts topology [--format text|json|yaml|dot|svg] [NS ...]: the namespaces (default: the current
 * one and every /run/netns name; `-n NAME` alone means NAME) as a tree, as a file `nlts apply`
 * takes (json, yaml), as graphviz source, or as an SVG drawn in-process. docs/topology.md.
 */
import { isNamespaceError } from '../../netns/errors.js';
import { type CliContext, CliError, UsageError, matches } from '../context.js';

export const TOPOLOGY_USAGE = `Usage: nlts topology [ --format { text | json | yaml | dot | svg } ] [ NS ... ]
NS := a /run/netns name, or . for the current namespace (default: . and every named namespace)
json and yaml print a file that "nlts apply" takes; -j is --format json`;

const FORMATS = ['text', 'json', 'yaml', 'dot', 'svg'] as const;
type Format = (typeof FORMATS)[number];

function parse(argv: string[], ctx: CliContext): { format: Format; namespaces?: string[] } {
  let format: Format = ctx.options.json ? 'json' : 'text';
  const namespaces: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'help' || a === '-h' || a === '--help') throw new UsageError('', TOPOLOGY_USAGE);
    let value: string | undefined;
    if (a === '--format' || a === '-f' || a === 'format') value = argv[++i] ?? '';
    else if (a.startsWith('--format=')) value = a.slice('--format='.length);
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`Option "${a}" is unknown.`, TOPOLOGY_USAGE);
    else {
      namespaces.push(a);
      continue;
    }
    const f = FORMATS.find((x) => value !== '' && matches(value, x));
    if (f === undefined) throw new UsageError(`Format "${value}" is unknown: ${FORMATS.join(', ')}.`, TOPOLOGY_USAGE);
    format = f;
  }
  if (namespaces.length === 0 && ctx.options.netns !== undefined) namespaces.push(ctx.options.netns);
  return namespaces.length > 0 ? { format, namespaces } : { format };
}

async function render(format: Format, namespaces: string[] | undefined, ctx: CliContext): Promise<string> {
  const entry = { netnsEntry: 'setns' as const };
  if (format === 'json' || format === 'yaml') {
    const { exportTopology, formatTopology } = await import('../../topology/export.js');
    const file = await exportTopology(namespaces, { ...entry, onSkip: (m) => process.stderr.write(`nlts topology: ${m}\n`) });
    return formatTopology(file, format, format === 'yaml' || ctx.options.pretty || !ctx.options.json);
  }
  const graph = await (await import('../../topology/graph.js')).topologyGraph(namespaces, entry);
  if (format === 'dot') return (await import('../../topology/render-dot.js')).renderDot(graph);
  if (format === 'svg') return (await import('../../topology/render-svg.js')).renderSvg(graph);
  return (await import('../../topology/render-text.js')).renderText(graph);
}

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const { format, namespaces } = parse(argv, ctx);
  let text: string;
  try {
    text = await render(format, namespaces, ctx);
  } catch (err) {
    if (isNamespaceError(err)) throw new CliError(err.message.replace(/^network namespace/, 'Network namespace'), 1);
    throw err;
  }
  ctx.out(text);
  return 0;
}
