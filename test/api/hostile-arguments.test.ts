/**
 * Every public method of NetlinkClient's families (and the client's and Monitor's options) called
 * with hostile arguments: null, symbols, bigints, NaN, huge numbers, NUL bytes, objects with
 * throwing getters, proxies, null prototypes, arrays where objects go... Only the documented error
 * classes may come out (docs/errors.md), never a TypeError or RangeError from inside the library.
 * The transport is a fake kernel: no privileges needed, nothing changes on the machine.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import { NetlinkClient } from '../../src/api/client.js';
import { InvalidArgumentError } from '../../src/api/errors.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { concat, doneFor, errorFor } from '../support/bytes.js';

const codec = rtnetlinkCodec();

/** What a hostile argument itself throws (a getter, a proxy trap, a toString): the caller's own error, passed through. */
class HostileError extends Error {
  override readonly name = 'HostileError';
}
const thrown = new HostileError('thrown by the hostile argument itself');
const throwing = () => {
  throw thrown;
};
/** The throwing proxies made here (a proxy cannot be told from its target otherwise). */
const proxies = new WeakSet<object>();
const isProxy = (o: object) => proxies.has(o);

/** The classes docs/errors.md promises for bad input and for the kernel's answers. */
const DOCUMENTED = [
  'InvalidArgumentError',
  'NotFoundError',
  'NetlinkError',
  'NetlinkTimeoutError',
  'NamespaceError',
  'EncodeError',
  'AbortError',
  'HostileError',
];

/** Refusals the fake kernel answers with in turn: mostly ACKs. */
const ERRNOS = [0, 0, 0, 0, 19 /* ENODEV */, 2 /* ENOENT */, 3 /* ESRCH */, 99 /* EADDRNOTAVAIL */, 17 /* EEXIST */, 22 /* EINVAL */];

/**
 * A kernel that answers everything: dumps are empty, getlink finds "eth0" (index 7), other
 * requests are ACKed or refused with the next errno of ERRNOS.
 */
let answered = 0;
function fakeKernel(): ScriptedTransport {
  return new ScriptedTransport((sent, reply) => {
    const out: Uint8Array[] = [];
    for (let pos = 0; pos + 16 <= sent.length; ) {
      const view = new DataView(sent.buffer, sent.byteOffset + pos);
      const len = view.getUint32(0, true);
      if (len < 16 || pos + len > sent.length) break;
      const frame = sent.subarray(pos, pos + len);
      const type = view.getUint16(4, true);
      const flags = view.getUint16(6, true);
      const seq = view.getUint32(8, true);
      pos += (len + 3) & ~3;
      const isGet = (type & 3) === 2;
      if (isGet && (flags & NLM_F.DUMP) === NLM_F.DUMP) {
        out.push(doneFor(frame));
        continue;
      }
      if (type === 18) {
        out.push(
          codec
            .encode({ kind: 'newlink', seq, pid: 0, header: { family: 0, type: 1, index: 7, flags: [], change: 0 }, attrs: { ifname: 'eth0' } })
            .slice(),
        );
        out.push(errorFor(frame, 0));
        continue;
      }
      const errno = ERRNOS[answered++ % ERRNOS.length]!;
      if (errno !== 0 || flags & NLM_F.ACK) out.push(errorFor(frame, errno));
    }
    if (out.length > 0) reply(concat(...out));
  });
}

// ---------------------------------------------------------------------------------------------
// Values

/** Every option name of the API (and a few that mean something to JavaScript itself). */
const KEYS = [
  // links
  'name',
  'kind',
  'master',
  'stats',
  'data',
  'peer',
  'link',
  'mtu',
  'address',
  'txqlen',
  'alias',
  'group',
  'up',
  'netns',
  'attrs',
  'broadcast',
  'promisc',
  'allmulticast',
  'multicast',
  'arp',
  'slaveData',
  'slaveKind',
  // addresses
  'family',
  'scope',
  'label',
  'anycast',
  'validLifetime',
  'preferredLifetime',
  'flags',
  'metric',
  'proto',
  'replace',
  'cidr',
  // routes
  'dst',
  'gateway',
  'via',
  'dev',
  'prefsrc',
  'src',
  'table',
  'protocol',
  'type',
  'tos',
  'multipath',
  'advmss',
  'hoplimit',
  'metrics',
  'onlink',
  'pref',
  'expires',
  'from',
  'iif',
  'oif',
  'mark',
  'fibMatch',
  'weight',
  'lock',
  'ccAlgo',
  'features',
  // neighbours, rules
  'lladdr',
  'state',
  'proxy',
  'router',
  'extLearned',
  'all',
  'priority',
  'action',
  'fwmark',
  'fwmask',
  'not',
  'sport',
  'dport',
  'ipproto',
  'uidrange',
  'suppressPrefixlength',
  'suppressIfgroup',
  'goto',
  'l3mdev',
  // requests, client, monitor
  'signal',
  'timeoutMs',
  'window',
  'netnsEntry',
  'dumpRetries',
  'groups',
  'sockets',
  'receiveBuffer',
  'resync',
  'initialDump',
  'maxQueued',
  'keepAlive',
  'retryDelayMs',
  'objects',
  'dumpLimiter',
  'pid',
  'fd',
  'path',
  // JavaScript's own
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'length',
  'raw',
  'then',
];

/** An object whose every API key is a getter that throws. */
function throwingGetters(): object {
  const o: Record<string | symbol, unknown> = { [fc.toStringMethod]: () => '<throwing getters>' };
  for (const k of KEYS) if (k !== '__proto__') Object.defineProperty(o, k, { get: throwing, enumerable: false });
  return o;
}

const FC_SYMBOLS = new Set<string | symbol>([fc.cloneMethod, fc.asyncToStringMethod]);

/** A proxy that throws from every trap (fast-check's own description aside). */
function throwingProxy(target: object = {}): object {
  const name = Array.isArray(target) ? '<throwing proxy []>' : '<throwing proxy>';
  const proxy = new Proxy(target, {
    // fast-check's own questions (how to print it, whether it clones) get answers; nothing else.
    get: (_t, k) => {
      if (k === fc.toStringMethod) return () => name;
      if (FC_SYMBOLS.has(k)) return undefined;
      throw thrown;
    },
    has: (_t, k) => (k === fc.toStringMethod ? true : FC_SYMBOLS.has(k) ? false : throwing()),
    ownKeys: throwing,
    getOwnPropertyDescriptor: throwing,
    getPrototypeOf: throwing,
  });
  proxies.add(proxy);
  return proxy;
}

const HOSTILE: readonly unknown[] = [
  null,
  undefined,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  Number.MAX_VALUE,
  -(2 ** 53),
  0n,
  -1n,
  2n ** 64n,
  Symbol('hostile'),
  Symbol.iterator,
  '',
  ' ',
  '\0',
  'a\0b',
  'x'.repeat(70_000),
  '\uD800',
  '\u{1F600}',
  '__proto__',
  'constructor',
  'toString',
  'NaN',
  '-1',
  '1e3',
  '0x10',
  '10.0.0.1/24\0',
  'eth0 ',
  'eth0:1',
  '../',
  'all',
  '%',
  '10.0.0.1%eth0',
  '::ffff:1.2.3.4',
  '1.2.3.4/33',
  '01.2.3.4',
  {},
  [],
  [null],
  [undefined],
  [[]],
  [Symbol('in an array')],
  Object.create(null),
  Object.freeze({}),
  new Date(NaN),
  /x/,
  new Uint8Array(4),
  new ArrayBuffer(4),
  new Map(),
  new Set(),
  Promise.resolve(1),
  () => 0,
  class {},
  new Error('an error as a value'),
  { toString: throwing },
  { valueOf: throwing },
  { [Symbol.toPrimitive]: throwing },
  { toJSON: throwing },
  Object.create({ dst: '10.0.0.0/8', link: 'eth0', dev: 'eth0', name: 'eth0', kind: 'dummy' }),
  throwingGetters(),
  throwingProxy(),
  throwingProxy([]),
  AbortSignal.abort(),
  new AbortController().signal,
];

/** Values that pass the first checks, so that the hostile ones reach the later ones. */
const PLAUSIBLE: readonly unknown[] = [
  'eth0',
  'lo',
  'veth',
  'dummy',
  'bridge',
  7,
  1,
  0,
  255,
  1500,
  '10.0.0.1',
  '10.0.0.0/24',
  '10.0.0.1/24',
  '2001:db8::1',
  '2001:db8::/64',
  'default',
  'inet',
  'inet6',
  'main',
  'local',
  'link',
  'host',
  'universe',
  'permanent',
  'stale',
  'boot',
  'static',
  'unicast',
  'blackhole',
  true,
  false,
  'lookup',
  'goto',
  ['nodad'],
  ['mtu'],
  [1, 2],
  '02:00:00:00:00:01',
  'tcp',
  'forever',
  'low',
  'slim',
  ['link'],
  'route',
  'helper',
  'setns',
  [{ gateway: '10.0.0.2' }],
  { mtu: 1400 },
  { name: 'vb' },
];

const leaf = fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom(...PLAUSIBLE), fc.string({ maxLength: 20 }), fc.integer(), fc.double());

/** Objects of these keys whose values are anything, with one getter that throws now and then. */
function objectOf(keys: readonly string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const dict = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 });
  return fc.oneof(
    { weight: 4, arbitrary: dict },
    {
      weight: 1,
      arbitrary: fc.tuple(dict, fc.constantFrom(...keys)).map(([o, k]) => {
        Object.defineProperty(o, k, { get: throwing, enumerable: false, configurable: true });
        return o;
      }),
    },
  );
}

const { value } = fc.letrec<{ value: unknown; object: unknown; array: unknown[] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('object'), tie('array')),
  object: objectOf(KEYS, tie('value')),
  array: fc.array(tie('value'), { maxLength: 3 }),
}));

/** An argument for a parameter whose keys are `keys`: hostile as a whole, or an object of those keys. */
const arg = (keys: readonly string[]) => fc.oneof(leaf, objectOf(keys, value), objectOf(keys, value));
const list = (keys: readonly string[]) => fc.oneof(leaf, fc.array(arg(keys), { maxLength: 3 }), fc.array(objectOf(keys, value), { maxLength: 3 }));

const REQ = ['signal', 'timeoutMs'];
const LINK_ADD = ['name', 'kind', 'data', 'peer', 'link', 'mtu', 'address', 'txqlen', 'master', 'alias', 'group', 'up', 'netns', 'attrs', ...REQ];
const LINK_SET = [...LINK_ADD, 'broadcast', 'promisc', 'allmulticast', 'multicast', 'arp', 'slaveData', 'slaveKind'];
const ADDR = [
  'link',
  'label',
  'broadcast',
  'anycast',
  'peer',
  'scope',
  'validLifetime',
  'preferredLifetime',
  'flags',
  'metric',
  'proto',
  'replace',
  'family',
  'cidr',
  ...REQ,
];
const ROUTE = [
  'dst',
  'family',
  'gateway',
  'via',
  'dev',
  'prefsrc',
  'src',
  'metric',
  'table',
  'scope',
  'protocol',
  'type',
  'tos',
  'multipath',
  'mtu',
  'advmss',
  'hoplimit',
  'metrics',
  'onlink',
  'pref',
  'expires',
  ...REQ,
];
const NEIGH = ['dev', 'lladdr', 'state', 'proxy', 'router', 'extLearned', 'protocol', 'family', 'master', 'all', ...REQ];
const RULE = [
  'family',
  'priority',
  'table',
  'action',
  'src',
  'dst',
  'iif',
  'oif',
  'fwmark',
  'fwmask',
  'tos',
  'not',
  'protocol',
  'sport',
  'dport',
  'ipproto',
  'uidrange',
  'suppressPrefixlength',
  'suppressIfgroup',
  'goto',
  'l3mdev',
  ...REQ,
];
const BATCH = [...REQ, 'window', 'replace'];
const CLIENT = ['netns', 'netnsEntry', 'timeoutMs', 'dumpRetries', 'socket'];
const MONITOR = [
  'groups',
  'netns',
  'sockets',
  'receiveBuffer',
  'signal',
  'resync',
  'initialDump',
  'maxQueued',
  'keepAlive',
  'retryDelayMs',
  'objects',
  'dumpLimiter',
];

// ---------------------------------------------------------------------------------------------
// Calls

type Call = (c: NetlinkClient, a: unknown[]) => unknown;
const any = (x: unknown) => x as never;

/** Options for open()/connect()/Monitor.open(): hostile as a whole, or with a fake transport forced in (never a real socket). */
function withFakeTransport(o: unknown, extra: Record<string, unknown> = {}): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o) || isProxy(o)) return o;
  const out = Object.create(Object.getPrototypeOf(o) as object | null) as Record<string, unknown>;
  Object.defineProperties(out, Object.getOwnPropertyDescriptors(o));
  for (const [k, v] of Object.entries({ transport: fakeKernel(), ...extra })) Object.defineProperty(out, k, { value: v, enumerable: true });
  return out;
}

/** Whole-argument values for open()/connect()/Monitor.open() that would open a real socket on old code are left out. */
const factoryArg = (keys: readonly string[]) =>
  fc.oneof(fc.constantFrom(...HOSTILE.filter((h) => h !== undefined && typeof h !== 'string')), objectOf(keys, value));

/**
 * Valid arguments to start from, so that a hostile value put in one place reaches the checks
 * behind the first ones (a route with a good dst and a hostile multipath[1].weight...). Made fresh
 * for every run: mutations write into them.
 */
const R4 = () => ({
  dst: '10.0.0.0/8',
  gateway: '10.1.1.1',
  dev: 'eth0',
  prefsrc: '10.1.1.2',
  metric: 10,
  table: 100,
  scope: 'universe',
  protocol: 'static',
  type: 'unicast',
  tos: 0,
  mtu: 1400,
  advmss: 1300,
  hoplimit: 64,
  metrics: { lock: ['mtu'], rtt: 10, ccAlgo: 'cubic', features: ['ecn'] },
  onlink: true,
});
const R6 = () => ({ dst: '2001:db8::/32', dev: 7, pref: 'high', expires: 100, src: '2001:db8:1::/48' });
const RMP = () => ({
  dst: 'default',
  multipath: [
    { gateway: '10.0.0.2', weight: 2, dev: 'eth0', onlink: true },
    { via: 'fe80::1', dev: 7 },
  ],
});
const ROUTE_OBJ = () => ({
  raw: {},
  dst: '10.0.0.0/8',
  family: 'inet',
  table: 'main',
  type: 'unicast',
  protocol: 'boot',
  scope: 'universe',
  tos: 0,
  gateway: '10.0.0.1',
  dev: 7,
  metric: 0,
  flags: [],
});
const RULE4 = () => ({
  family: 'inet',
  priority: 100,
  table: 100,
  src: '10.0.0.0/8',
  dst: '10.1.0.0/16',
  iif: 'eth0',
  oif: 'eth0',
  fwmark: 1,
  fwmask: 0xff,
  tos: 0,
  not: true,
  protocol: 'static',
  sport: [1000, 2000],
  dport: 80,
  ipproto: 'tcp',
  uidrange: [1000, 2000],
  suppressPrefixlength: 0,
  suppressIfgroup: 1,
});
const NEIGH4 = () => ({ dev: 'eth0', lladdr: '02:00:00:00:00:09', state: 'reachable', router: true, extLearned: false, protocol: 'static' });
const ADDR4 = () => ({
  link: 'eth0',
  label: 'eth0:1',
  broadcast: '+',
  scope: 'universe',
  validLifetime: 100,
  preferredLifetime: 50,
  flags: ['nodad'],
  metric: 5,
  proto: 'kernel_lo',
  replace: false,
});
const signal = () => new AbortController().signal;

interface Method {
  call: Call;
  /** Random arguments. */
  random: fc.Arbitrary<unknown[]>;
  /** Valid argument lists, and per argument the paths a mutation may put a hostile value at. */
  valid: () => unknown[][];
  paths: string[][];
}

const METHODS: Record<string, Method> = {
  'links.list': {
    call: (c, [o]) => c.links.list(any(o)),
    random: fc.tuple(arg(['kind', 'master', 'stats', ...REQ])),
    valid: () => [[{ kind: 'veth', master: 'eth0', stats: true, signal: signal(), timeoutMs: 1000 }]],
    paths: [['kind', 'master', 'stats', ...REQ]],
  },
  'links.messages': {
    call: (c, [o]) => c.links.messages(any(o)),
    random: fc.tuple(arg(['kind', 'master', 'stats', ...REQ])),
    valid: () => [[{ kind: 'bridge' }]],
    paths: [['kind', 'master', 'stats', ...REQ]],
  },
  'links.get': {
    call: (c, [r, o]) => c.links.get(any(r), any(o)),
    random: fc.tuple(leaf, arg(['stats', ...REQ])),
    valid: () => [
      ['eth0', { stats: true }],
      [7, {}],
    ],
    paths: [[], ['stats', ...REQ]],
  },
  'links.find': {
    call: (c, [r, o]) => c.links.find(any(r), any(o)),
    random: fc.tuple(leaf, arg(REQ)),
    valid: () => [['eth0', {}]],
    paths: [[], REQ],
  },
  'links.index': {
    call: (c, [r, o]) => c.links.index(any(r), any(o)),
    random: fc.tuple(leaf, arg(REQ)),
    valid: () => [['eth0', {}]],
    paths: [[], REQ],
  },
  'links.add': {
    call: (c, [o]) => c.links.add(any(o)),
    random: fc.tuple(arg(LINK_ADD)),
    valid: () => [
      [
        {
          name: 'v0',
          kind: 'veth',
          peer: { name: 'v1', mtu: 1400, address: '02:00:00:00:00:02', txqlen: 10, attrs: { group: 1 } },
          mtu: 1500,
          address: '02:00:00:00:00:01',
          txqlen: 100,
          master: 'eth0',
          alias: 'x',
          group: 1,
          up: true,
        },
      ],
      [{ name: 'vx0', kind: 'vxlan', link: 'eth0', data: { id: 42, port: 4789 } }],
      [{ name: 'br0', kind: 'bridge', data: { stpState: 0 }, attrs: { mtu: 1400 } }],
    ],
    paths: [
      [
        ...LINK_ADD,
        'peer.name',
        'peer.mtu',
        'peer.address',
        'peer.txqlen',
        'peer.netns',
        'peer.attrs',
        'peer.alias',
        'data.id',
        'data.port',
        'data.stpState',
        'attrs.mtu',
      ],
    ],
  },
  'links.set': {
    call: (c, [r, o]) => c.links.set(any(r), any(o)),
    random: fc.tuple(leaf, arg(LINK_SET)),
    valid: () => [
      [
        'eth0',
        {
          up: true,
          mtu: 1400,
          name: 'eth1',
          address: '02:00:00:00:00:01',
          broadcast: 'ff:ff:ff:ff:ff:ff',
          master: null,
          txqlen: 10,
          alias: '',
          group: 0,
          promisc: false,
          allmulticast: true,
          multicast: true,
          arp: true,
        },
      ],
      [7, { data: { stpState: 1 }, kind: 'bridge', slaveData: { cost: 10 }, slaveKind: 'bridge' }],
      ['eth0', { data: { stpState: 1 }, slaveData: { cost: 10 } }],
    ],
    paths: [[], [...LINK_SET, 'data.stpState', 'slaveData.cost']],
  },
  'links.peer': {
    call: (c, [r, o]) => c.links.peer(any(r), any(o)),
    random: fc.tuple(leaf, arg(REQ)),
    valid: () => [['eth0', {}]],
    paths: [[], REQ],
  },
  'links.netnsName': {
    call: (c, [n, o]) => c.links.netnsName(any(n), any(o)),
    random: fc.tuple(leaf, arg(REQ)),
    valid: () => [[0, {}]],
    paths: [[], REQ],
  },
  'links.delete': {
    call: (c, [r, o]) => c.links.delete(any(r), any(o)),
    random: fc.tuple(leaf, arg(REQ)),
    valid: () => [['eth0', {}], [7]],
    paths: [[], REQ],
  },
  'links.altname': {
    call: (c, [r, n, d, o]) => c.links.altname(any(r), any(n), any(d), any(o)),
    random: fc.tuple(leaf, fc.oneof(leaf, fc.array(leaf, { maxLength: 3 })), leaf, arg(REQ)),
    valid: () => [['eth0', ['alt0', 'a-much-longer-alternative-name-0'], false, {}]],
    paths: [[], ['0', '1'], [], REQ],
  },
  'addresses.list': {
    call: (c, [o]) => c.addresses.list(any(o)),
    random: fc.tuple(arg(ADDR)),
    valid: () => [[{ family: 'inet', link: 'eth0', scope: 'link', label: 'eth0*' }]],
    paths: [ADDR],
  },
  'addresses.add': {
    call: (c, [a, o]) => c.addresses.add(any(a), any(o)),
    random: fc.tuple(leaf, arg(ADDR)),
    valid: () => [
      ['10.0.0.1/24', ADDR4()],
      ['2001:db8::1/64', { link: 7, anycast: '2001:db8::2', flags: ['nodad', 'noprefixroute'] }],
      ['10.0.0.1', { link: 7, peer: '10.0.0.2/32' }],
      ['10.0.0.1/24', { link: 7 }],
    ],
    paths: [[], ADDR],
  },
  'addresses.replace': {
    call: (c, [a, o]) => c.addresses.replace(any(a), any(o)),
    random: fc.tuple(leaf, arg(ADDR)),
    valid: () => [
      ['10.0.0.1/24', ADDR4()],
      ['2001:db8::1/64', { link: 'eth0' }],
    ],
    paths: [[], ADDR],
  },
  'addresses.delete': {
    call: (c, [a, o]) => c.addresses.delete(any(a), any(o)),
    random: fc.tuple(leaf, arg(ADDR)),
    valid: () => [
      ['10.0.0.1/24', { link: 'eth0' }],
      ['2001:db8::1', { link: 7 }],
      ['10.0.0.1', { link: 7, peer: '10.0.0.2/32' }],
    ],
    paths: [[], ADDR],
  },
  'addresses.flush': {
    call: (c, [o]) => c.addresses.flush(any(o)),
    random: fc.tuple(arg(ADDR)),
    valid: () => [[{ link: 'eth0', family: 'inet', scope: 'host', label: 'eth0' }]],
    paths: [ADDR],
  },
  'addresses.addBatch': {
    call: (c, [i, o]) => c.addresses.addBatch(any(i), any(o)),
    random: fc.tuple(list(ADDR), arg(BATCH)),
    valid: () => [
      [
        [
          { cidr: '10.0.0.1/24', link: 7 },
          { cidr: '10.0.0.2/24', link: 'eth0', label: 'eth0:x' },
          { cidr: '10.0.0.3/24', ...ADDR4() },
        ],
        { window: 2, signal: signal() },
      ],
    ],
    paths: [['0', '1', ...['cidr', ...ADDR].flatMap((k) => [`0.${k}`, `2.${k}`])], BATCH],
  },
  'addresses.deleteBatch': {
    call: (c, [i, o]) => c.addresses.deleteBatch(any(i), any(o)),
    random: fc.tuple(list(ADDR), arg(BATCH)),
    valid: () => [
      [
        [
          { cidr: '10.0.0.1/24', link: 7 },
          { cidr: '2001:db8::1', link: 'eth0' },
          { cidr: '10.0.0.1', link: 7, peer: '10.0.0.2' },
        ],
        { window: 1 },
      ],
    ],
    paths: [['0', '1', ...['cidr', 'link', 'peer'].flatMap((k) => [`0.${k}`, `1.${k}`, `2.${k}`])], BATCH],
  },
  'routes.list': {
    call: (c, [o]) => c.routes.list(any(o)),
    random: fc.tuple(arg(['family', 'table', 'protocol', 'type', 'dev', ...REQ])),
    valid: () => [[{ family: 'inet', table: 'main', protocol: 'boot', type: 'unicast', dev: 'eth0' }], [{ table: 'all' }]],
    paths: [['family', 'table', 'protocol', 'type', 'dev', ...REQ]],
  },
  'routes.get': {
    call: (c, [d, o]) => c.routes.get(any(d), any(o)),
    random: fc.tuple(leaf, arg(['from', 'iif', 'oif', 'mark', 'fibMatch', ...REQ])),
    valid: () => [
      ['10.0.0.1', { from: '10.0.0.2', iif: 'eth0', oif: 7, mark: 1, fibMatch: true }],
      ['2001:db8::1', {}],
    ],
    paths: [[], ['from', 'iif', 'oif', 'mark', 'fibMatch', ...REQ]],
  },
  ...Object.fromEntries(
    (['add', 'replace', 'delete'] as const).map((op) => [
      `routes.${op}`,
      {
        call: (c: NetlinkClient, [r, o]: unknown[]) => c.routes[op](any(r), any(o)),
        random: fc.tuple(arg([...ROUTE, 'raw']), arg(REQ)),
        valid: () => [[R4(), {}], [R6(), { timeoutMs: 100 }], [RMP()], ...(op === 'delete' ? [[ROUTE_OBJ()]] : [])],
        paths: [
          [
            ...ROUTE,
            'raw',
            'multipath.0.gateway',
            'multipath.1.via',
            'multipath.1.weight',
            'multipath.0.onlink',
            'multipath.1.dev',
            'metrics.lock',
            'metrics.rtt',
            'metrics.ccAlgo',
            'metrics.features',
            'via.address',
            'via.family',
          ],
          REQ,
        ],
      } satisfies Method,
    ]),
  ),
  'routes.addBatch': {
    call: (c, [r, o]) => c.routes.addBatch(any(r), any(o)),
    random: fc.tuple(list(ROUTE), arg(BATCH)),
    valid: () => [[[R4(), R6(), RMP()], { window: 2, replace: true }]],
    paths: [['0', '1', '2', ...ROUTE.flatMap((k) => [`0.${k}`, `2.${k}`]), '2.multipath.0.weight'], BATCH],
  },
  'routes.deleteBatch': {
    call: (c, [r, o]) => c.routes.deleteBatch(any(r), any(o)),
    random: fc.tuple(list([...ROUTE, 'raw']), arg(BATCH)),
    valid: () => [[[R4(), ROUTE_OBJ()], {}]],
    paths: [['0', '1', ...[...ROUTE, 'raw'].flatMap((k) => [`0.${k}`, `1.${k}`])], BATCH],
  },
  'neighbours.list': {
    call: (c, [o]) => c.neighbours.list(any(o)),
    random: fc.tuple(arg(NEIGH)),
    valid: () => [[{ family: 'inet', dev: 'eth0', master: 'eth0', state: ['stale'] }], [{ proxy: true }]],
    paths: [NEIGH],
  },
  'neighbours.add': {
    call: (c, [d, o]) => c.neighbours.add(any(d), any(o)),
    random: fc.tuple(leaf, arg(NEIGH)),
    valid: () => [
      ['10.0.0.9', NEIGH4()],
      ['2001:db8::9', { dev: 7, proxy: true }],
    ],
    paths: [[], NEIGH],
  },
  'neighbours.replace': {
    call: (c, [d, o]) => c.neighbours.replace(any(d), any(o)),
    random: fc.tuple(leaf, arg(NEIGH)),
    valid: () => [['10.0.0.9', NEIGH4()]],
    paths: [[], NEIGH],
  },
  'neighbours.delete': {
    call: (c, [d, o]) => c.neighbours.delete(any(d), any(o)),
    random: fc.tuple(leaf, arg(NEIGH)),
    valid: () => [['10.0.0.9', { dev: 'eth0', proxy: false }]],
    paths: [[], NEIGH],
  },
  'neighbours.flush': {
    call: (c, [o]) => c.neighbours.flush(any(o)),
    random: fc.tuple(arg(NEIGH)),
    valid: () => [[{ dev: 'eth0', state: 'stale' }], [{ all: true }]],
    paths: [NEIGH],
  },
  'rules.list': {
    call: (c, [o]) => c.rules.list(any(o)),
    random: fc.tuple(arg(['family', ...REQ])),
    valid: () => [[{ family: 'inet6' }], [{ family: 'all' }]],
    paths: [['family', ...REQ]],
  },
  'rules.add': {
    call: (c, [r]) => c.rules.add(any(r)),
    random: fc.tuple(arg(RULE)),
    valid: () => [[RULE4()], [{ priority: 200, goto: 300 }], [{ priority: 5, l3mdev: true }]],
    paths: [RULE],
  },
  'rules.delete': {
    call: (c, [r]) => c.rules.delete(any(r)),
    random: fc.tuple(arg(RULE)),
    valid: () => [[RULE4()], [{ priority: 200 }]],
    paths: [RULE],
  },
  'NetlinkClient.open': {
    call: (_c, [o]) => NetlinkClient.open(any(withFakeTransport(o))),
    random: fc.tuple(factoryArg(CLIENT)),
    valid: () => [[{ timeoutMs: 1000, dumpRetries: 2, netnsEntry: 'setns' }]],
    paths: [CLIENT.filter((k) => k !== 'netns')],
  },
  'NetlinkClient.connect': {
    call: (_c, [o]) => NetlinkClient.connect(any(withFakeTransport(o))),
    random: fc.tuple(factoryArg(CLIENT)),
    valid: () => [[{ timeoutMs: 1000, dumpRetries: 2 }]],
    paths: [CLIENT.filter((k) => k !== 'netns')],
  },
  'Monitor.open': {
    call: (_c, [o]) => Monitor.open(any(withFakeTransport(o, { requests: () => new Connection(fakeKernel(), codec, { timeoutMs: 2000 }) }))),
    random: fc.tuple(factoryArg(MONITOR)),
    valid: () => [
      [
        {
          groups: ['link', 'route', 'rule', 'neigh', 'nsid', 'address'],
          objects: 'slim',
          maxQueued: 100,
          retryDelayMs: 10,
          resync: true,
          initialDump: true,
          keepAlive: false,
          signal: signal(),
        },
      ],
    ],
    paths: [MONITOR.filter((k) => k !== 'sockets' && k !== 'netns')],
  },
};

/** Objects made for this run (a template's, or made on the way by setPath): the only ones written to. */
function ownObjects(root: unknown, out = new WeakSet<object>()): WeakSet<object> {
  if (typeof root === 'object' && root !== null && !isProxy(root) && !out.has(root)) {
    out.add(root);
    for (const v of Object.values(root)) ownObjects(v, out);
  }
  return out;
}

/** Puts v at `path` ('peer.name', 'multipath.1.weight') in args[i], making plain objects on the way through objects of our own. */
function setPath(args: unknown[], i: number, path: string, v: unknown, own: WeakSet<object>): void {
  const keys = path.split('.');
  let o: unknown = args;
  for (const k of [String(i), ...keys.slice(0, -1)]) {
    if (typeof o !== 'object' || o === null || !own.has(o)) return;
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (d && !('value' in d)) return;
    if (d?.value === undefined) {
      const fresh = {};
      own.add(fresh);
      (o as Record<string, unknown>)[k] = fresh;
    }
    o = (o as Record<string, unknown>)[k];
  }
  if (typeof o === 'object' && o !== null && own.has(o)) (o as Record<string, unknown>)[keys[keys.length - 1]!] = v;
}

/** A valid argument list with up to three hostile values put into it (or one argument replaced whole). */
function mutated(m: Method): fc.Arbitrary<unknown[]> {
  const mutation = fc.tuple(fc.nat(), fc.nat(), fc.nat(5), value);
  return fc.tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([t, muts]) => {
    const templates = m.valid();
    const args = templates[t % templates.length]!;
    const own = ownObjects(args);
    for (const [i, p, whole, v] of muts) {
      const argIndex = i % Math.max(1, m.paths.length);
      const paths = m.paths[argIndex] ?? [];
      if (whole === 0 || paths.length === 0) args[argIndex] = v;
      else setPath(args, argIndex, paths[p % paths.length]!, v, own);
    }
    return args;
  });
}

const NAMES = Object.keys(METHODS);
/** A method and its arguments: random ones, or valid ones made hostile in places (twice as often). */
const calls = fc.oneof(
  ...NAMES.map((name) => {
    const m = METHODS[name]!;
    return fc.oneof({ weight: 1, arbitrary: m.random }, { weight: 2, arbitrary: mutated(m) }).map((args) => [name, args] as const);
  }),
);

/** Lets a monitor's first resync (initialDump) run against the fake before it is closed. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function describeError(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : `non-error ${typeof e}`;
  } catch {
    return 'an undescribable error';
  }
}

/** Runs one call: resolves with what it threw (undefined when it succeeded). */
async function callOnce(name: string, call: Call, args: unknown[]): Promise<unknown> {
  const client = NetlinkClient.open({ transport: fakeKernel(), timeoutMs: 2000 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => call(client, args)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not settle within 5 s`)), 5000);
      }),
    ]);
    if (result instanceof NetlinkClient) result.close();
    if (result instanceof Monitor) {
      await turns(5);
      result.close();
    }
    return undefined;
  } catch (err) {
    return err ?? new Error('rejected with nothing');
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

describe('hostile arguments give only documented errors', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('every public method of links, addresses, routes, neighbours, rules, NetlinkClient.open/connect and Monitor.open', async () => {
    await fc.assert(
      fc.asyncProperty(calls, async ([name, args]) => {
        const err = await callOnce(name, METHODS[name]!.call, args);
        if (err === undefined) return;
        const errName = (err as Error).name;
        if (!DOCUMENTED.includes(errName)) throw new Error(`${name} threw ${describeError(err)}`);
        // The message itself must be readable (InvalidArgumentError formats any value).
        expect(typeof (err as Error).message).toBe('string');
      }),
      // HOSTILE_RUNS=50000 for a longer search.
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 2500) },
    );
    await turns(3);
    expect(unhandled.map(describeError)).toEqual([]);
  }, 120_000);

  it('InvalidArgumentError describes any value: symbols, null prototypes, throwing toString, proxies, bigints', () => {
    for (const v of HOSTILE) {
      const e = new InvalidArgumentError('thing', v, 'is wrong');
      expect(e.message).toMatch(/^invalid thing .*: is wrong$/s);
      expect(e.value).toBe(v);
    }
    expect(new InvalidArgumentError('x', Symbol('s'), 'r').message).toBe('invalid x Symbol(s): r');
    expect(new InvalidArgumentError('x', 5n, 'r').message).toBe('invalid x 5n: r');
    expect(new InvalidArgumentError('x', Object.create(null), 'r').message).toBe('invalid x [object Object]: r');
  });

  it.each<[string, (c: NetlinkClient) => Promise<unknown>]>([
    ['routes.list(null)', (c: NetlinkClient) => c.routes.list(any(null))],
    ['links.add(null)', (c: NetlinkClient) => c.links.add(any(null))],
    ["links.set('eth0', null)", (c: NetlinkClient) => c.links.set('eth0', any(null))],
    ['addresses.list(null)', (c: NetlinkClient) => c.addresses.list(any(null))],
    ['neighbours.list(Symbol())', (c: NetlinkClient) => c.neighbours.list(any(Symbol('x')))],
    ["links.altname('eth0', 'x')", (c: NetlinkClient) => c.links.altname('eth0', any('x'))],
    [
      "routes.add({ dst: 'default', dev: 'eth0' }, { signal: {} })",
      (c: NetlinkClient) => c.routes.add({ dst: 'default', dev: 'eth0' }, any({ signal: {} })),
    ],
    ['addresses.addBatch([...], { window: NaN })', (c: NetlinkClient) => c.addresses.addBatch([{ cidr: '10.0.0.1/24', link: 7 }], { window: NaN })],
  ])('%s is an InvalidArgumentError', async (_name, call) => {
    const client = NetlinkClient.open({ transport: fakeKernel(), timeoutMs: 2000 });
    try {
      const err = await Promise.resolve()
        .then(() => call(client))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((err as Error)?.name, describeError(err)).toBe('InvalidArgumentError');
    } finally {
      client.close();
    }
  });
});
