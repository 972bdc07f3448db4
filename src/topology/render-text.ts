/**
 * The topology as a tree a person reads in a terminal: namespaces, their links with addresses and
 * veth peers, bridge ports under their bridge, and the routes someone configured.
 *
 *   c1
 *   ├── lo  loopback up mtu 65536
 *   ├── eth0  veth up mtu 1500  172.18.0.2/24  peer host/vh1
 *   └── routes
 *       └── default via 172.18.0.1 dev eth0
 */
import type { GraphLink, GraphNamespace, TopologyGraph } from './graph-types.js';
import { linkFacts, peerText, printable, routeText, shownAddresses, shownRoutes } from './render-common.js';
import { CURRENT_NETNS } from './types.js';

interface TreeNode {
  label: string;
  children: TreeNode[];
}

function linkLabel(l: GraphLink): string {
  const parts = [l.name, linkFacts(l)];
  const addrs = shownAddresses(l);
  if (addrs.length > 0) parts.push(addrs.join(' '));
  const peer = peerText(l);
  if (peer !== undefined) parts.push(`peer ${peer}`);
  return printable(parts.join('  '));
}

/** Links as a forest: a port hangs under its master; `seen` keeps a malformed graph (a master loop) finite. */
function linkNodes(ns: GraphNamespace): TreeNode[] {
  const names = new Set(ns.links.map((l) => l.name));
  const ports = new Map<string, GraphLink[]>();
  for (const l of ns.links) {
    if (l.master === undefined || !names.has(l.master) || l.master === l.name) continue;
    const list = ports.get(l.master);
    if (list) list.push(l);
    else ports.set(l.master, [l]);
  }
  const seen = new Set<string>();
  const node = (l: GraphLink): TreeNode => {
    seen.add(l.name);
    const children = (ports.get(l.name) ?? []).filter((p) => !seen.has(p.name)).map(node);
    return { label: linkLabel(l), children };
  };
  const roots = ns.links.filter((l) => l.master === undefined || !names.has(l.master) || l.master === l.name).map(node);
  // Ports whose master chain never reaches a root (only in a hand-made graph): listed at the top.
  for (const l of ns.links) if (!seen.has(l.name)) roots.push(node(l));
  return roots;
}

function namespaceTree(ns: GraphNamespace): TreeNode {
  const children = linkNodes(ns);
  const routes = shownRoutes(ns);
  if (routes.length > 0) children.push({ label: 'routes', children: routes.map((r) => ({ label: printable(routeText(r)), children: [] })) });
  const label = ns.name === CURRENT_NETNS ? '. (current namespace)' : printable(ns.name);
  return { label, children };
}

function drawChildren(nodes: TreeNode[], indent: string, out: string[]): void {
  nodes.forEach((n, i) => {
    const last = i === nodes.length - 1;
    out.push(`${indent}${last ? '└── ' : '├── '}${n.label}`);
    drawChildren(n.children, indent + (last ? '    ' : '│   '), out);
  });
}

/** The tree, one namespace after another, separated by a blank line; ends with a newline. */
export function renderText(graph: TopologyGraph): string {
  const out: string[] = [];
  graph.namespaces.forEach((ns, i) => {
    if (i > 0) out.push('');
    const tree = namespaceTree(ns);
    out.push(tree.label);
    drawChildren(tree.children, '', out);
  });
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
