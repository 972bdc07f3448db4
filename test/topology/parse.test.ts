/**
 * Topology files without privileges: YAML and JSON give the same TopologyFile, and every mistake
 * is an InvalidArgumentError (isTopologyFileError) whose message starts with the entry's path.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../../src/errors/index.js';
import { isTopologyFileError } from '../../src/topology/errors.js';
import { parseTopology } from '../../src/topology/parse.js';
import { validateTopology } from '../../src/topology/validate.js';
import { WALKTHROUGH } from './support.js';

const noHostNamespaces = { netnsExists: () => false };

function problem(text: string, format?: 'json' | 'yaml'): string {
  try {
    parseTopology(text, { ...noHostNamespaces, ...(format ? { format } : {}) });
  } catch (err) {
    expect(isTopologyFileError(err)).toBe(true);
    expect(isInvalidArgumentError(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('parsed without complaint');
}

/** The walk-through with one line replaced. */
const edit = (from: string, to: string) => {
  expect(WALKTHROUGH).toContain(from);
  return WALKTHROUGH.replace(from, to);
};

describe('parseTopology', () => {
  it("reads the issue's example: entries are the API's options, addresses normalised", () => {
    const file = parseTopology(WALKTHROUGH, noHostNamespaces);
    expect(file.namespaces.host).toEqual({
      sysctl: { 'net.ipv4.ip_forward': 1 },
      links: [{ name: 'br0', kind: 'bridge', data: { stpState: 0 }, up: true, addresses: ['172.18.0.1/24'] }],
      nftables: [],
    });
    expect(file.namespaces.c1!.links![0]!.peer).toEqual({ name: 'vh1', netns: 'host', master: 'br0', up: true });
    expect(file.namespaces.c1!.routes).toEqual([{ dst: 'default', gateway: '172.18.0.1', prefsrc: '172.18.0.2' }]);
  });

  it('reads JSON to the same file, and a file object as validateTopology gives it back unchanged', () => {
    const fromYaml = parseTopology(WALKTHROUGH, noHostNamespaces);
    const json = JSON.stringify(fromYaml);
    expect(parseTopology(json, noHostNamespaces)).toEqual(fromYaml);
    expect(parseTopology(`  ${json}`, { ...noHostNamespaces, format: 'json' })).toEqual(fromYaml);
    expect(validateTopology(fromYaml, noHostNamespaces)).toEqual(fromYaml);
  });

  it("normalises what the kernel lists differently: IPv6 text, bare addresses, slashed sysctl keys, '.'", () => {
    const file = parseTopology(
      `namespaces:
  .:
    links: [{ name: lo, addresses: ["2001:DB8:0:0::1/64", 10.1.2.3, { cidr: "10.0.0.1/8", label: "lo:x" }] }]
    sysctl: { net/ipv4/conf/all/forwarding: true }
  empty:
`,
      noHostNamespaces,
    );
    expect(file.namespaces['.']!.links![0]!.addresses).toEqual(['2001:db8::1/64', '10.1.2.3/32', { cidr: '10.0.0.1/8', label: 'lo:x' }]);
    expect(file.namespaces['.']!.sysctl).toEqual({ 'net.ipv4.conf.all.forwarding': true });
    expect(file.namespaces.empty).toEqual({});
  });

  it('a peer may live in a namespace of the host that the file does not declare', () => {
    const text = edit('netns: host', 'netns: elsewhere');
    expect(problem(text)).toBe('namespaces.c1.links[0].peer.netns: no such namespace in the file or on the host');
    const file = parseTopology(text, { netnsExists: (n) => n === 'elsewhere' });
    expect(file.namespaces.c1!.links![0]!.peer!.netns).toBe('elsewhere');
  });

  it.each([
    [
      'an unknown key',
      edit('up: true\n        addresses: [172.18.0.2/24]', 'upp: true'),
      /^namespaces\.c1\.links\[0\]\.upp: unknown key; expected one of /,
    ],
    ['a wrong type', edit('up: true\n        addresses: [172.18.0.2/24]', 'up: yes'), 'namespaces.c1.links[0].up: must be true or false'],
    ['an mtu that is not a number', edit('kind: bridge', 'kind: bridge\n        mtu: big'), 'namespaces.host.links[0].mtu: must be an integer'],
    ['a bad address', edit('[172.18.0.2/24]', '[172.18.0.2/33]'), 'namespaces.c1.links[0].addresses[0]: prefix length must be a number from 0 to 32'],
    ['an address twice', edit('[172.18.0.2/24]', '[172.18.0.2/24, 172.18.0.2/24]'), 'namespaces.c1.links[0].addresses[1]: is listed twice'],
    ['an unknown kind', edit('kind: bridge', 'kind: brigde'), /^namespaces\.host\.links\[0\]\.kind: unknown link kind; supported: veth, bridge/],
    ['kind data for a kind without', edit('kind: bridge', 'kind: dummy'), 'namespaces.host.links[0].data: a dummy link takes no kind data'],
    [
      'a veth without peer',
      edit('\n        peer: { name: vh1, netns: host, master: br0, up: true }', ''),
      'namespaces.c1.links[0].peer: a veth needs its peer: { name, netns }',
    ],
    ['a peer on a bridge', edit('kind: bridge', 'kind: bridge\n        peer: { name: x }'), 'namespaces.host.links[0].peer: only a veth has a peer'],
    ['a too long name', edit('name: eth0', 'name: eth0123456789abcdef'), /^namespaces\.c1\.links\[0\]\.name: is 19 bytes long/],
    ['a route field', edit('gateway: 172.18.0.1,', 'gateway: 172.18.0.256,'), /^namespaces\.c1\.routes\[0\]\.gateway: is not an IPv4 address/],
    [
      'a route with host bits',
      edit('dst: default', 'dst: 10.1.0.0/8'),
      'namespaces.c1.routes[0].dst: 10.1.0.0/8 has host bits set; did you mean 10.0.0.0/8?',
    ],
    [
      'a route of mixed families',
      edit('prefsrc: 172.18.0.2', 'prefsrc: "fd00::1"'),
      'namespaces.c1.routes[0].prefsrc: is IPv6 but the route is IPv4',
    ],
    ['a sysctl outside net', edit('net.ipv4.ip_forward: 1', 'kernel.panic: 1'), /^namespaces\.host\.sysctl\["kernel\.panic"\]: only net\.\* keys/],
    [
      'a sysctl key climbing out',
      edit('net.ipv4.ip_forward: 1', 'net/../../kernel/panic: 1'),
      /^namespaces\.host\.sysctl\["net\/\.\.\/\.\.\/kernel\/panic"\]: has an empty, "\." or "\.\." component/,
    ],
    [
      'a sysctl value that is a list',
      edit('net.ipv4.ip_forward: 1', 'net.ipv4.ip_forward: [1]'),
      'namespaces.host.sysctl["net.ipv4.ip_forward"]: must be a number, a string or true/false',
    ],
    ['a namespace name with a slash', edit('  c1:', '  "../c1":'), /^namespaces\["\.\.\/c1"\]: namespace name "\.\.\/c1" is not allowed/],
    ['a namespace name starting with a dot', edit('  c1:', '  .c1:'), /^namespaces\["\.c1"\]: namespace name "\.c1" is not allowed/],
    ['__proto__ as a namespace', edit('  c1:', '  __proto__:'), /^namespaces\.__proto__: namespace name "__proto__" is not allowed/],
    ['a master that is no bridge', edit('master: br0', 'master: vh1'), 'namespaces.c1.links[0].peer.master: a link cannot be its own master'],
    [
      'a master that is a veth',
      edit('master: br0', 'master: vx').replace('    nftables: []', '      - { name: vx, kind: veth, peer: { name: vy } }\n    nftables: []'),
      'namespaces.c1.links[0].peer.master: vx is a veth (declared at namespaces.host.links[1]); a master is a bridge or bond',
    ],
    [
      'a link declared twice',
      edit('name: vh1', 'name: br0'),
      'namespaces.c1.links[0].peer: link br0 in host is declared twice (first at namespaces.host.links[0])',
    ],
    [
      'attrs that would move the link',
      edit('kind: bridge', 'kind: bridge\n        attrs: { netNsPid: 1 }'),
      'namespaces.host.links[0].attrs.netNsPid: is set by the entry itself (its name, kind, master, namespace)',
    ],
    ['nftables that is not a list', edit('nftables: []', 'nftables: { add: 1 }'), /^namespaces\.host\.nftables: must be a list/],
    [
      'an nftables command on a table the entry does not add',
      edit(
        'nftables: []',
        'nftables:\n      - { add: { table: { family: ip, name: nat } } }\n      - { add: { chain: { family: ip, table: filter, name: c } } }',
      ),
      "namespaces.host.nftables[1]: table ip filter is not one this entry adds: an entry's commands define whole tables " +
        '(add { table: { family: ip, name: filter } } in it)',
    ],
    [
      'an nftables command that edits instead of declaring',
      edit(
        'nftables: []',
        'nftables:\n      - { add: { table: { family: ip, name: nat } } }\n      - { flush: { table: { family: ip, name: nat } } }',
      ),
      'namespaces.host.nftables[1]: an nftables entry declares whole tables: "flush" is not taken (add, create and insert are)',
    ],
    [
      'an nftables command of the wrong shape',
      edit('nftables: []', 'nftables:\n      - { add: { table: { family: ipv4, name: nat } } }'),
      /^namespaces\.host\.nftables\[0\]\.add\.table\.family: "ipv4" is not a family \(one of: ip, /,
    ],
    ['a top-level key', `${WALKTHROUGH}version: 2\n`, /^version: unknown key; expected one of namespaces/],
    ['no namespaces', 'links: []', /^links: unknown key/],
    ['an empty file', '', /^must be an object/],
    ['YAML that is not', 'namespaces: [', /^not valid YAML: .*line 1, column/],
    ['duplicate YAML keys', 'namespaces:\n  a: {}\n  a: {}\n', /^not valid YAML: Map keys must be unique/],
    ['JSON that is not', '{"namespaces": ', /^not valid JSON: /],
  ])('refuses %s, naming the entry', (_what, text, message) => {
    const got = problem(text);
    if (typeof message === 'string') expect(got).toBe(message);
    else expect(got).toMatch(message);
  });

  it('refuses YAML alias bombs instead of expanding them', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(problem(bomb)).toMatch(/^not valid YAML: .*(alias|Excessive)/i);
  });

  it('loads the yaml package only when a YAML file is read', () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/yaml/'));
      (async () => {
        const api = await import('./src/index.ts');
        const a = loaded();
        api.parseTopology('{"namespaces": {}}');
        const b = loaded();
        api.parseTopology('namespaces: {}');
        console.log(JSON.stringify([a, b, loaded()]));
      })();`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([false, false, true]);
  });
});
