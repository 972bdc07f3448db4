/**
 * The topology as SVG, drawn in-process: @dagrejs/dagre places the boxes (a compound graph, one
 * cluster per namespace, laid out left to right), and the SVG is written here. No graphviz needed.
 * dagre is loaded on first use, so nothing else pays for it (docs/dependencies.md).
 *
 * Every name comes from the host: printable() turns control characters into visible escapes (a
 * name of raw bytes stays legible and cannot break the XML), then xml() escapes markup. Classes and
 * ids are fixed words, never names.
 */
import type { Edge, Graph, Point } from '@dagrejs/dagre';
import type { GraphLink, GraphNamespace, TopologyGraph } from './graph-types.js';
import { linkLines, orientEdge, pictureLinks, printable } from './render-common.js';
import { CURRENT_NETNS } from './types.js';

const FONT_SIZE = 12;
/** Advance of one cell of a monospace font at FONT_SIZE (DejaVu Sans Mono: 0.602 em). */
const CHAR_W = 7.3;
const LINE_H = 15;
const PAD_X = 8;
const PAD_Y = 6;
/** Room above each namespace's boxes for its name. */
const TITLE_H = 22;
const MARGIN = 12;
const LEGEND_H = 28;
const LEGEND_W = 240;
/** The invisible node alignEnds ranks from. */
const ANCHOR = 'anchor';

/** Kinds with a colour of their own; anything else is drawn as a plain link. */
const KIND_CLASS: Readonly<Record<string, string>> = { bridge: 'bridge', veth: 'veth', loopback: 'lo' };

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SvgLayout {
  width: number;
  height: number;
  /** `full`: the whole name when `title` had to be cut to the cluster's width. */
  clusters: (Box & { title: string; full?: string })[];
  nodes: (Box & { lines: string[]; cls: string; down: boolean })[];
  edges: { kind: 'veth' | 'port'; points: { x: number; y: number }[] }[];
}

type Dagre = typeof import('@dagrejs/dagre');
let dagre: Promise<Dagre> | undefined;

/** East Asian wide characters take two cells of a monospace font. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;

export function textWidth(s: string): number {
  let cells = 0;
  for (const c of s) cells += WIDE.test(c) ? 2 : 1;
  return cells * CHAR_W;
}

/** XML character data and attribute values (text already passed through printable()). */
export function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function boxOf(lines: string[]): { width: number; height: number } {
  return { width: Math.ceil(Math.max(...lines.map(textWidth)) + 2 * PAD_X), height: lines.length * LINE_H + 2 * PAD_Y };
}

interface Drawn {
  lines: string[];
  cls: string;
  down: boolean;
  link?: GraphLink;
}

/** What a namespace's cluster holds: its links, or a note when it has none to draw (an empty cluster has no size). */
function drawnOf(ns: GraphNamespace): Drawn[] {
  const links = pictureLinks(ns);
  if (links.length === 0) return [{ lines: ['(no links)'], cls: 'note', down: false }];
  return links.map((l) => ({ lines: linkLines(l), cls: KIND_CLASS[l.kind ?? l.type] ?? 'link', down: !l.up, link: l }));
}

/**
 * Rank each node no earlier than its distance from the right end (the longest path to an edge's
 * last node): every container's link then lands in the last column, whether its pair hangs off a
 * bridge or not. Done with zero-weight edges from one invisible anchor, so dagre's own ranking
 * (which keeps namespaces side by side) still decides the rest. Nodes on no edge stay free.
 */
function alignEnds(g: Graph, edges: [string, string][]): void {
  const out = new Map<string, string[]>();
  for (const [v, w] of edges) out.set(v, [...(out.get(v) ?? []), w]);
  const depth = new Map<string, number>();
  const visit = (v: string, path: Set<string>): number => {
    if (depth.has(v)) return depth.get(v)!;
    path.add(v);
    let d = 0;
    for (const w of out.get(v) ?? []) if (!path.has(w)) d = Math.max(d, visit(w, path) + 1);
    path.delete(v);
    depth.set(v, d);
    return d;
  };
  const ends = new Set(edges.flat());
  for (const v of ends) visit(v, new Set());
  const last = Math.max(0, ...depth.values());
  if (last === 0) return;
  g.setNode(ANCHOR, { width: 0, height: 0 });
  for (const v of ends) if (last - depth.get(v)! > 0) g.setEdge(ANCHOR, v, { minlen: last - depth.get(v)!, weight: 0, kind: 'anchor' }, `a${v}`);
}

/** The dagre graph: a cluster per namespace, a node per drawn link, edges ordered bridge -> port -> peer. */
function buildLayoutGraph(d: Dagre, graph: TopologyGraph, align: boolean): { g: Graph; drawn: Drawn[] } {
  const g = new d.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, edgesep: 12, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  const drawn: Drawn[] = [];
  const nodeId = new Map<string, string>();
  const size = new Map<string, number>();
  graph.namespaces.forEach((ns, i) => {
    g.setNode(`c${i}`, {});
    const items = drawnOf(ns);
    size.set(ns.name, items.length);
    for (const item of items) {
      const id = `n${drawn.length}`;
      drawn.push(item);
      if (item.link) nodeId.set(item.link.id, id);
      g.setNode(id, boxOf(item.lines));
      g.setParent(id, `c${i}`);
    }
  });
  const links = new Map(drawn.flatMap((x) => (x.link ? [[x.link.id, x.link] as const] : [])));
  const edges: [string, string][] = [];
  graph.edges.forEach((e, i) => {
    const a = links.get(e.a);
    const b = links.get(e.b);
    if (a === undefined || b === undefined) return;
    const [from, to] = orientEdge(e, a, b, size);
    edges.push([nodeId.get(from.id)!, nodeId.get(to.id)!]);
    g.setEdge(nodeId.get(from.id)!, nodeId.get(to.id)!, { kind: e.kind }, `e${i}`);
  });
  if (align) alignEnds(g, edges);
  return { g, drawn };
}

/**
 * dagre has no room for a cluster's title, so one is made: every y below a cluster's top moves down
 * by TITLE_H (a monotone map: order and containment are kept), opening a band above each cluster.
 */
function titleBands(tops: number[]): { shift: (y: number) => number; above: (y: number) => number } {
  const sorted = [...tops].sort((a, b) => a - b);
  const count = (y: number, inclusive: boolean) => sorted.filter((t) => (inclusive ? t <= y : t < y)).length;
  return { shift: (y) => y + TITLE_H * count(y, true), above: (y) => y + TITLE_H * count(y, false) };
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * An edge's points moved with the bands: its ends with their boxes (so they stay on the borders),
 * the points between by the ends' moves interpolated along x, which keeps dagre's route in shape.
 */
function edgePoints(points: Point[], from: Box, to: Box, shift: (y: number) => number): Point[] {
  if (points.length === 0) return [];
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const d0 = shift(from.y) - from.y;
  const d1 = shift(to.y) - to.y;
  const span = last.x - first.x;
  return points.map((p) => {
    const t = span === 0 ? 0 : (p.x - first.x) / span;
    return { x: round(p.x), y: round(p.y + d0 + (d1 - d0) * t) };
  });
}

/** A cluster's title cut to its width (a name may be 255 bytes), the whole name kept for a tooltip. */
function fitTitle(name: string, room: number): { title: string; full?: string } {
  if (textWidth(name) <= room) return { title: name };
  let title = '';
  for (const c of name) {
    if (textWidth(`${title}${c}…`) > room) break;
    title += c;
  }
  return { title: `${title}…`, full: name };
}

/** Positions of every cluster, box and edge (dagre's centres turned into top-left corners). */
export async function layoutSvg(graph: TopologyGraph): Promise<SvgLayout> {
  const d = await (dagre ??= import('@dagrejs/dagre'));
  let { g, drawn } = buildLayoutGraph(d, graph, true);
  try {
    d.layout(g);
  } catch {
    // dagre 3.1 fails on some compound graphs with the alignment anchor (a namespace with no
    // edge beside two that each hold a whole veth pair): drawn without the alignment instead.
    ({ g, drawn } = buildLayoutGraph(d, graph, false));
    d.layout(g);
  }
  const clusterIds = graph.namespaces.map((_, i) => `c${i}`);
  const tops = clusterIds.map((c) => g.node(c).y! - g.node(c).height / 2);
  const { shift, above } = titleBands(tops);
  const clusters = clusterIds.map((c) => {
    const n = g.node(c);
    const ns = graph.namespaces[Number(c.slice(1))]!;
    const name = ns.name === CURRENT_NETNS ? '. (current namespace)' : printable(ns.name);
    const top = above(n.y! - n.height / 2);
    const box = { x: round(n.x! - n.width / 2), y: round(top), width: round(n.width), height: round(shift(n.y! + n.height / 2) - top) };
    return { ...box, ...fitTitle(name, n.width - 2 * PAD_X) };
  });
  const nodes = drawn.map((item, i) => {
    const n = g.node(`n${i}`);
    const { lines, cls, down } = item;
    return { lines, cls, down, x: round(n.x! - n.width / 2), y: round(shift(n.y!) - n.height / 2), width: n.width, height: n.height };
  });
  const edges = g
    .edges()
    .filter((e: Edge) => e.v !== ANCHOR)
    .map((e: Edge) => {
      const label = g.edge(e) as { kind: 'veth' | 'port'; points?: { x: number; y: number }[] };
      return { kind: label.kind, points: edgePoints(label.points ?? [], g.node(e.v), g.node(e.w), shift) };
    });
  const right = Math.max(g.graph().width ?? 0, LEGEND_W, ...clusters.map((c) => c.x + c.width + MARGIN));
  const bottom = Math.max(shift(g.graph().height ?? 0), ...clusters.map((c) => c.y + c.height + MARGIN));
  return { width: Math.ceil(right), height: Math.ceil(bottom) + LEGEND_H, clusters, nodes, edges };
}

const STYLE = [
  '.ns rect{fill:#f7f7f7;stroke:#999;stroke-width:1}',
  '.ns text{font-weight:bold;fill:#333}',
  '.link rect,.lo rect{fill:#fff;stroke:#666}',
  '.note rect{fill:none;stroke:none}.note text{fill:#777;font-style:italic}',
  '.veth rect{fill:#eaf2ff;stroke:#3a6fc4}',
  '.bridge rect{fill:#fff4d6;stroke:#b98a00}',
  '.down rect{stroke-dasharray:4 3;opacity:.7}',
  '.name{font-weight:bold}',
  '.e{fill:none}',
  '.veth-e{stroke:#3a6fc4;stroke-width:2}',
  '.port-e{stroke:#888;stroke-width:1.2;stroke-dasharray:5 4}',
].join('');

function textLines(lines: string[], x: number, y: number): string {
  const spans = lines.map((l, i) => `<tspan x="${x}" y="${round(y + i * LINE_H)}"${i === 0 ? ' class="name"' : ''}>${xml(l)}</tspan>`);
  return `<text>${spans.join('')}</text>`;
}

/** A smooth path through an edge's points (a uniform B-spline, as d3's curveBasis draws dagre's routes). */
function pathData(points: Point[]): string {
  const [a, b] = points;
  if (points.length < 3) return `M${a!.x},${a!.y} L${b!.x},${b!.y}`;
  const n = (v: number) => round(v);
  const out = [`M${a!.x},${a!.y}`, `L${n((5 * a!.x + b!.x) / 6)},${n((5 * a!.y + b!.y) / 6)}`];
  const pts = [...points, points[points.length - 1]!];
  for (let i = 2; i < pts.length; i++) {
    const p0 = pts[i - 2]!;
    const p1 = pts[i - 1]!;
    const p = pts[i]!;
    out.push(
      `C${n((2 * p0.x + p1.x) / 3)},${n((2 * p0.y + p1.y) / 3)} ${n((p0.x + 2 * p1.x) / 3)},${n((p0.y + 2 * p1.y) / 3)} ` +
        `${n((p0.x + 4 * p1.x + p.x) / 6)},${n((p0.y + 4 * p1.y + p.y) / 6)}`,
    );
  }
  out.push(`L${points[points.length - 1]!.x},${points[points.length - 1]!.y}`);
  return out.join(' ');
}

/** The SVG document of a layout (pure: golden tests compare it byte for byte). */
export function drawSvg(layout: SvgLayout): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}"` +
      ` font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    '<title>network namespaces, links and veth pairs</title>',
    `<style>${STYLE}</style>`,
    `<rect width="${layout.width}" height="${layout.height}" fill="#fff"/>`,
  ];
  for (const c of layout.clusters) {
    const tip = c.full === undefined ? '' : `<title>${xml(c.full)}</title>`;
    const rect = `<rect x="${c.x}" y="${c.y}" width="${c.width}" height="${c.height}" rx="6"/>`;
    out.push(`<g class="ns">${tip}${rect}${textLines([c.title], c.x + PAD_X, c.y + 15)}</g>`);
  }
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    out.push(`<path class="e ${e.kind}-e" d="${pathData(e.points)}"/>`);
  }
  for (const n of layout.nodes) {
    const cls = n.down ? `${n.cls} down` : n.cls;
    out.push(
      `<g class="${cls}"><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="4"/>${textLines(n.lines, n.x + PAD_X, n.y + PAD_Y + 11)}</g>`,
    );
  }
  const ly = layout.height - LEGEND_H / 2;
  out.push(
    `<g font-size="10" fill="#555"><path class="e veth-e key" d="M${MARGIN},${ly} L${MARGIN + 28},${ly}"/><text x="${MARGIN + 34}" y="${ly + 3}">veth pair</text>` +
      `<path class="e port-e key" d="M${MARGIN + 110},${ly} L${MARGIN + 138},${ly}"/><text x="${MARGIN + 144}" y="${ly + 3}">bridge port</text></g>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The topology as an SVG document. */
export async function renderSvg(graph: TopologyGraph): Promise<string> {
  return drawSvg(await layoutSvg(graph));
}
