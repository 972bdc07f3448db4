/**
 * The topology as graphviz source (`dot -Tsvg`): a cluster per namespace, a box per link with its
 * addresses, veth pairs as bold edges (across clusters when the ends live in two namespaces),
 * bridge ports joined to their bridge by dashed edges. Loopbacks with nothing configured are left
 * out. Identifiers are generated (n0, cluster_0); every name is a quoted, escaped label.
 */
import type { GraphLink, TopologyGraph } from './graph-types.js';
import { linkLines, orientEdge, pictureLinks, printable } from './render-common.js';
import { CURRENT_NETNS } from './types.js';

/**
 * A DOT double-quoted string. Inside one, graphviz reads `\"`, the escapes `\n \l \r \N \G...` and
 * HTML entities (`&amp;`); so a backslash is doubled, a quote and an ampersand escaped. Control
 * characters are already gone (printable()).
 */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;')}"`;
}

/** Lines of a label, joined with DOT's left-justified line break. */
function label(lines: string[]): string {
  return `"${lines.map((l) => quote(l).slice(1, -1)).join('\\l')}\\l"`;
}

export function renderDot(graph: TopologyGraph): string {
  const ids = new Map<string, string>();
  const byId = new Map<string, GraphLink>();
  const out = [
    'graph topology {',
    '  graph [rankdir=LR, fontname="monospace", fontsize=11, nodesep=0.3, ranksep=0.6];',
    '  node [shape=box, style=rounded, fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  const size = new Map(graph.namespaces.map((ns) => [ns.name, pictureLinks(ns).length]));
  graph.namespaces.forEach((ns, i) => {
    const title = ns.name === CURRENT_NETNS ? '. (current namespace)' : printable(ns.name);
    out.push(`  subgraph cluster_${i} {`, `    label=${quote(title)};`, '    style=rounded;');
    for (const l of pictureLinks(ns)) {
      const id = `n${ids.size}`;
      ids.set(l.id, id);
      byId.set(l.id, l);
      out.push(`    ${id} [label=${label(linkLines(l))}];`);
    }
    out.push('  }');
  });
  for (const e of graph.edges) {
    const a = byId.get(e.a);
    const b = byId.get(e.b);
    if (a === undefined || b === undefined) continue;
    const [x, y] = orientEdge(e, a, b, size);
    const style = e.kind === 'port' ? 'style=dashed' : 'penwidth=2, label="veth"';
    out.push(`  ${ids.get(x.id)} -- ${ids.get(y.id)} [${style}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
