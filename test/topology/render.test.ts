/**
 * The renders from graph fixtures, no privileges: text, dot and svg against golden files (the
 * walk-through's SVG is the picture in docs/topology.md; `npx vitest run test/topology -u` rewrites
 * them after a deliberate change, to be looked at), the SVG well formed, and names from a hostile
 * host escaped in every format. test/topology/fixtures/walkthrough.graph.json was read from the
 * walk-through's lab (topologyGraph on namespaces built with ip, their test prefix removed).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GraphLink, TopologyGraph } from '../../src/topology/graph-types.js';
import { printable } from '../../src/topology/render-common.js';
import { renderDot } from '../../src/topology/render-dot.js';
import { layoutSvg, renderSvg, xml } from '../../src/topology/render-svg.js';
import { renderText } from '../../src/topology/render-text.js';
import { checkWellFormed } from './well-formed.js';

const walkthrough = JSON.parse(readFileSync(new URL('./fixtures/walkthrough.graph.json', import.meta.url), 'utf8')) as TopologyGraph;

const hasDot = (() => {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function link(netns: string, index: number, name: string, extra: Partial<GraphLink> = {}): GraphLink {
  return { id: `${netns}/${name}`, netns, index, name, kind: 'veth', type: 'ether', state: 'up', up: true, mtu: 1500, addresses: [], ...extra };
}

/** Names a host can really have: any byte but '/' and NUL in a namespace name, control characters in a link name. */
const EVIL_NS = '<script>alert("x")</script>&amp;\'\x1b[31m\nred\u202eevil\\n';
const EVIL_LINK = 'e"th\\0\x07<b>';
const hostile: TopologyGraph = {
  namespaces: [
    {
      name: EVIL_NS,
      links: [
        link(EVIL_NS, 2, 'br&0', { kind: '<script>', addresses: [{ family: 'inet', cidr: '10.0.0.1/24', scope: 'universe', kernel: false }] }),
        link(EVIL_NS, 3, EVIL_LINK, { master: 'br&0', peer: { netns: ']]>', name: 'x\ud800y', index: 2, id: ']]>/x\ud800y' } }),
      ],
      routes: [
        {
          family: 'inet',
          dst: 'default',
          gateway: '10.0.0.9',
          dev: EVIL_LINK,
          table: 'main',
          protocol: 'boot',
          scope: 'universe',
          type: 'unicast',
          kernel: false,
        },
      ],
    },
    {
      name: ']]>',
      links: [link(']]>', 2, 'x\ud800y', { peer: { netns: EVIL_NS, name: EVIL_LINK, index: 3, id: `${EVIL_NS}/${EVIL_LINK}` } })],
      routes: [],
    },
  ],
  edges: [
    { kind: 'veth', a: `${EVIL_NS}/${EVIL_LINK}`, b: ']]>/x\ud800y' },
    { kind: 'port', a: `${EVIL_NS}/${EVIL_LINK}`, b: `${EVIL_NS}/br&0` },
  ],
};

describe('topology renders: the walk-through lab', () => {
  it('text: namespaces, links with addresses, bridge ports under their bridge, peers, configured routes', async () => {
    const text = renderText(walkthrough);
    expect(text).toContain('├── br0  bridge up mtu 1500  172.18.0.1/24\n│   ├── vh1  veth up mtu 1500  peer c1/eth0\n│   └── vh2');
    expect(text).not.toContain('fe80'); // the kernel's link-local addresses are not shown
    await expect(text).toMatchFileSnapshot('./golden/walkthrough.txt');
  });

  it('dot: clusters, veth pairs across them, ports to their bridge', async () => {
    const dot = renderDot(walkthrough);
    expect(dot.match(/subgraph cluster_/g)).toHaveLength(5);
    expect(dot.match(/penwidth=2/g)).toHaveLength(4);
    expect(dot.match(/style=dashed/g)).toHaveLength(2);
    await expect(dot).toMatchFileSnapshot('./golden/walkthrough.dot');
  });

  it.skipIf(!hasDot)('dot: accepted by graphviz', () => {
    expect(execFileSync('dot', ['-Tsvg'], { input: renderDot(walkthrough), encoding: 'utf8' })).toContain('<svg');
  });

  it('svg: drawn in-process, well formed, the picture in docs/', async () => {
    const svg = await renderSvg(walkthrough);
    checkWellFormed(svg);
    expect(svg.match(/class="e veth-e"/g)).toHaveLength(4);
    expect(svg.match(/class="e port-e"/g)).toHaveLength(2);
    await expect(svg).toMatchFileSnapshot('../../docs/topology-walkthrough.svg');
  });

  it('svg: every box inside its namespace, under its title, and no two boxes overlap', async () => {
    const layout = await layoutSvg(walkthrough);
    expect(layout.clusters.map((c) => c.title)).toEqual(['host', 'c1', 'c2', 'c3', 'outside']);
    const inside = (n: (typeof layout.nodes)[number]) =>
      layout.clusters.some((c) => n.x >= c.x && n.x + n.width <= c.x + c.width && n.y >= c.y + 20 && n.y + n.height <= c.y + c.height);
    expect(layout.nodes.filter((n) => !inside(n))).toEqual([]);
    const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const boxes = [...layout.clusters];
    expect(
      boxes.flatMap((a, i) =>
        boxes
          .slice(i + 1)
          .filter((b) => overlap(a, b))
          .map((b) => `${a.title} / ${b.title}`),
      ),
    ).toEqual([]);
    for (const e of layout.edges) for (const p of e.points) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
  });

  it('the same graph gives the same bytes (deterministic layout)', async () => {
    expect(await renderSvg(walkthrough)).toBe(await renderSvg(structuredClone(walkthrough)));
  });
});

describe('topology renders: names from a hostile host', () => {
  it('printable() shows control characters, bidi overrides and lone surrogates as escapes, and doubles backslashes', () => {
    expect(printable('a\x1b[31mb\n\u202e\\\ud800')).toBe('a\\x1b[31mb\\x0a\\u{202e}\\\\\\u{d800}');
    expect(printable('plain-name_1.2 ok')).toBe('plain-name_1.2 ok');
  });

  it('text: no raw control character reaches the terminal', () => {
    const text = renderText(hostile);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
    expect(text.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]|\p{Surrogate}/u);
    expect(text).toContain('\\x1b[31m\\x0ared\\u{202e}evil\\\\n');
    expect(text.split('\n')).toHaveLength(9); // 8 lines and the final newline: the one in the name did not start a line
  });

  it('dot: every label a closed, escaped string', () => {
    const dot = renderDot(hostile);
    for (const line of dot.split('\n').filter((l) => l.includes('label='))) {
      // the label value: a quoted string whose inner quotes are all escaped
      const value = line.slice(line.indexOf('label=') + 6);
      expect(value).toMatch(/^"(?:[^"\\]|\\.)*"[\];]/);
    }
    // quote escaped, & as an entity, backslashes (printable()'s, then the name's own) doubled for DOT
    expect(dot).toContain(String.raw`label="<script>alert(\"x\")</script>&amp;amp;'\\x1b[31m\\x0ared\\u{202e}evil\\\\n"`);
    expect(dot).not.toContain('\x1b');
    expect(dot).toContain('br&amp;0');
  });

  it.skipIf(!hasDot)('dot: graphviz reads it, and draws the names as escaped text', () => {
    const svg = execFileSync('dot', ['-Tsvg'], { input: renderDot(hostile), encoding: 'utf8' });
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)');
    expect(svg).not.toContain('<script');
    checkWellFormed(svg.slice(svg.indexOf('<svg')));
  });

  it('svg: well formed, markup in names is text, nothing unescaped', async () => {
    const svg = await renderSvg(hostile);
    checkWellFormed(svg);
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&apos;\\x1b[31m\\x0ared\\u{202e}evil\\\\n');
    expect(svg).toContain('e&quot;th\\\\0\\x07&lt;b&gt;');
    // classes come from a fixed list, never from a kind name
    expect(svg).not.toMatch(/class="[^"]*script/);
  });

  it('svg: a long namespace name is cut to its box, the whole name in a tooltip', async () => {
    const name = 'n'.repeat(255);
    const g: TopologyGraph = { namespaces: [{ name, links: [link(name, 2, 'eth0')], routes: [] }], edges: [] };
    const layout = await layoutSvg(g);
    const [c] = layout.clusters;
    expect(c!.title.endsWith('…')).toBe(true);
    expect(c!.title.length).toBeLessThan(30);
    expect(c!.full).toBe(name);
    expect(c!.width).toBeLessThan(200);
    const svg = await renderSvg(g);
    checkWellFormed(svg);
    expect(svg).toContain(`<title>${name}</title>`);
  });

  it('the well-formedness check itself refuses what XML refuses', () => {
    for (const bad of [
      '<a><b></a>',
      '<a x=1/>',
      '<a x="1" x="2"/>',
      '<a>&foo;</a>',
      '<a>&</a>',
      '<a>\x01</a>',
      '<a/><b/>',
      '<a>',
      'text',
      '<a x="<"/>',
    ]) {
      expect(() => checkWellFormed(bad), bad).toThrow();
    }
    checkWellFormed('<?xml version="1.0"?>\n<a x="&amp;&#38;"><!-- c --><b/>t &lt;</a>\n');
  });

  it('xml() escapes the five markup characters', () => {
    expect(xml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });
});

describe('topology renders: edge cases', () => {
  const empty: TopologyGraph = { namespaces: [], edges: [] };
  const bare: TopologyGraph = { namespaces: [{ name: '.', links: [], routes: [] }], edges: [] };

  it('no namespaces: empty text, a valid dot graph, a well-formed SVG', async () => {
    expect(renderText(empty)).toBe('');
    expect(renderDot(empty)).toMatch(/^graph topology \{\n[\s\S]*\}\n$/);
    checkWellFormed(await renderSvg(empty));
  });

  it('svg: namespaces that each hold both ends of a veth pair, beside the current one (dagre threw "Not possible to find intersection")', async () => {
    const graph = JSON.parse(readFileSync(new URL('./fixtures/intra-namespace-pairs.graph.json', import.meta.url), 'utf8')) as TopologyGraph;
    const svg = await renderSvg(graph);
    checkWellFormed(svg);
    for (const name of ['lab-a', 'lab-b', 'veth0', 'veth1', 'eth0']) expect(svg).toContain(name);
  });

  it('a namespace without links: named, with a note in the picture', async () => {
    expect(renderText(bare)).toBe('. (current namespace)\n');
    const svg = await renderSvg(bare);
    checkWellFormed(svg);
    expect(svg).toContain('(no links)');
    expect(svg).toContain('. (current namespace)');
  });

  it('a master loop (only in a hand-made graph) still prints every link once', () => {
    const loop: TopologyGraph = {
      namespaces: [{ name: 'x', links: [link('x', 2, 'a', { master: 'b' }), link('x', 3, 'b', { master: 'a' })], routes: [] }],
      edges: [],
    };
    const text = renderText(loop);
    expect(text.match(/ a {2}/g)).toHaveLength(1);
    expect(text.match(/ b {2}/g)).toHaveLength(1);
  });
});
