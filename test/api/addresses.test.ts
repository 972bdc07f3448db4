/**
 * AddressApi over a scripted fake kernel: the exact requests each call builds (decoded back with
 * the rtnetlink codec), how replies become Address objects, and input refused before sending.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage } from '../../src/codec/message.js';
import { AddressApi, toAddress } from '../../src/api/addresses.js';
import { InvalidArgumentError, NotFoundError, isInvalidArgumentError, isNotFoundError } from '../../src/api/errors.js';
import type { LinkApi } from '../../src/api/links.js';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { type Reply, fakeKernel } from '../support/fake-kernel.js';

const codec = rtnetlinkCodec();
const NAMES = new Map<string, number>([
  ['veth0', 5],
  ['eth1', 7],
]);

/** A LinkApi stand-in: names resolve from NAMES without any request. */
function stubLinks(): LinkApi & { lookups: (string | number)[] } {
  const lookups: (string | number)[] = [];
  const byIndex = (i: number) => [...NAMES].find(([, v]) => v === i)?.[0];
  return {
    lookups,
    // As over a transport without ioctl lookups (a replay): numbers at once, names asked for.
    indexNow(ref: string | number) {
      return typeof ref === 'number' ? ref : undefined;
    },
    // No link name cache: a refused request is never sent again.
    staleIndex: () => false,
    async index(ref: string | number) {
      lookups.push(ref);
      if (typeof ref === 'number') return ref;
      const i = NAMES.get(ref);
      if (i === undefined) throw new NotFoundError('link', ref);
      return i;
    },
    async get(ref: string | number) {
      lookups.push(ref);
      const index = typeof ref === 'number' ? ref : NAMES.get(ref);
      const name = typeof ref === 'number' ? byIndex(ref) : ref;
      if (index === undefined || name === undefined) throw new NotFoundError('link', ref);
      return { index, name };
    },
  } as unknown as LinkApi & { lookups: (string | number)[] };
}

function setup(answer: (m: NetlinkMessage, i: number) => Reply = () => ({})) {
  const { transport: t, received, datagrams } = fakeKernel(codec, 'newaddr', answer);
  const conn = new Connection(t, codec, { timeoutMs: 2000 });
  const links = stubLinks();
  return { t, conn, links, api: new AddressApi(conn, links), received, datagrams };
}

// NLM_F_EXCL and NLM_F_REPLACE share their bits with NLM_F_DUMP (0x300): Connection.request() and
// batch() must not clear DUMP from non-dump requests, or these flags are lost.
const CREATE_EXCL = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;
const REPLACE_CREATE = NLM_F.REQUEST | NLM_F.ACK | NLM_F.REPLACE | NLM_F.CREATE;

function v4(local: string, prefixlen: number, index: number, extra: Record<string, unknown> = {}, flags: string[] = ['permanent']) {
  return {
    header: { family: 'inet', prefixlen, flags, scope: 'universe', index },
    attrs: {
      address: local,
      local,
      label: 'veth0',
      flags,
      cacheinfo: { prefered: 0xffffffff, valid: 0xffffffff, cstamp: 100, tstamp: 100 },
      ...extra,
    },
  };
}

describe('AddressApi.add builds the request ip address add would', () => {
  it('IPv4 with broadcast +: local = address, broadcast computed, CREATE|EXCL', async () => {
    const { api, received } = setup();
    await api.add('10.0.0.1/24', { link: 5, broadcast: '+' });
    expect(received).toHaveLength(1);
    const m = received[0]!;
    expect(m.kind).toBe('newaddr');
    expect(m.flags).toBe(CREATE_EXCL);
    expect(m.header).toEqual({ family: 'inet', prefixlen: 24, flags: [], scope: 'universe', index: 5 });
    expect(m.attrs).toEqual({ local: '10.0.0.1', address: '10.0.0.1', broadcast: '10.0.0.255', flags: [] });
  });

  it('IPv4 broadcast -, an explicit broadcast, and none for /31', async () => {
    const { api, received } = setup();
    await api.add('192.168.7.9/20', { link: 5, broadcast: '-' });
    await api.add('192.168.7.9/20', { link: 5, broadcast: '192.168.15.254' });
    await api.add('10.9.9.0/31', { link: 5, broadcast: '+' });
    expect(received.map((m) => m.attrs!.broadcast)).toEqual(['192.168.0.0', '192.168.15.254', undefined]);
  });

  it('resolves a link name and sends label, scope, metric, proto', async () => {
    const { api, received, links } = setup();
    await api.add('10.0.0.2/8', { link: 'veth0', label: 'veth0:web', scope: 'link', metric: 300, proto: 7 });
    expect(links.lookups).toEqual(['veth0']);
    expect(received[0]!.header).toEqual({ family: 'inet', prefixlen: 8, flags: [], scope: 'link', index: 5 });
    expect(received[0]!.attrs).toEqual({ local: '10.0.0.2', address: '10.0.0.2', label: 'veth0:web', flags: [], rtPriority: 300, proto: 7 });
  });

  it('checks a label against the name of a link given by index', async () => {
    const { api, received, links } = setup();
    await api.add('10.0.0.3/24', { link: 7, label: 'eth1' });
    expect(links.lookups).toEqual([7]);
    expect(received[0]!.attrs!.label).toBe('eth1');
  });

  it('gives 127.0.0.0/8 host scope by default, as ip does', async () => {
    const { api, received } = setup();
    await api.add('127.0.0.2/8', { link: 1 });
    expect(received[0]!.header!.scope).toBe('host');
  });

  it("IPv4 peer: IFA_ADDRESS is the peer and the prefix length is the peer's; broadcast from the peer prefix", async () => {
    const { api, received } = setup();
    await api.add('10.1.0.1', { link: 5, peer: '10.1.0.2/30', broadcast: '+' });
    await api.add('10.1.0.1/24', { link: 5, peer: '10.1.0.9' });
    expect(received[0]!.header).toMatchObject({ family: 'inet', prefixlen: 30 });
    expect(received[0]!.attrs).toEqual({ local: '10.1.0.1', address: '10.1.0.2', broadcast: '10.1.0.3', flags: [] });
    expect(received[1]!.header).toMatchObject({ prefixlen: 32 });
    expect(received[1]!.attrs).toEqual({ local: '10.1.0.1', address: '10.1.0.9', flags: [] });
  });

  it('IPv6: IFA_ADDRESS only, all flags in IFA_FLAGS, low byte in the header, lifetimes in IFA_CACHEINFO', async () => {
    const { api, received } = setup();
    await api.add('2001:db8::1/64', {
      link: 5,
      flags: ['nodad', 'noprefixroute', 'mngtmpaddr'],
      validLifetime: 100,
      preferredLifetime: 50,
    });
    const m = received[0]!;
    expect(m.flags).toBe(CREATE_EXCL);
    expect(m.header).toEqual({ family: 'inet6', prefixlen: 64, flags: ['nodad'], scope: 'universe', index: 5 });
    expect(m.attrs).toEqual({
      address: '2001:db8::1',
      flags: ['nodad', 'managetempaddr', 'noprefixroute'],
      cacheinfo: { prefered: 50, valid: 100, cstamp: 0, tstamp: 0 },
    });
  });

  it('IPv6 peer: IFA_LOCAL is the address, IFA_ADDRESS the peer', async () => {
    const { api, received } = setup();
    await api.add('2001:db8::1', { link: 5, peer: '2001:db8::2/128' });
    expect(received[0]!.header).toMatchObject({ family: 'inet6', prefixlen: 128 });
    expect(received[0]!.attrs).toEqual({ local: '2001:db8::1', address: '2001:db8::2', flags: [] });
  });

  it("a lifetime alone leaves the other forever; 'forever' is accepted", async () => {
    const { api, received } = setup();
    await api.add('10.0.0.1/24', { link: 5, preferredLifetime: 30 });
    await api.add('10.0.0.1/24', { link: 5, validLifetime: 'forever', preferredLifetime: 'forever' });
    expect(received[0]!.attrs!.cacheinfo).toEqual({ prefered: 30, valid: 0xffffffff, cstamp: 0, tstamp: 0 });
    expect(received[1]!.attrs!.cacheinfo).toEqual({ prefered: 0xffffffff, valid: 0xffffffff, cstamp: 0, tstamp: 0 });
  });

  it('replace() and add({ replace: true }) send REPLACE|CREATE', async () => {
    const { api, received } = setup();
    await api.replace('10.0.0.1/24', { link: 5, validLifetime: 200, preferredLifetime: 100 });
    await api.add('10.0.0.1/24', { link: 5, replace: true });
    expect(received.map((m) => m.flags)).toEqual([REPLACE_CREATE, REPLACE_CREATE]);
    expect(received[0]!.attrs!.cacheinfo).toMatchObject({ prefered: 100, valid: 200 });
  });

  it('EEXIST stays a NetlinkError with the kernel message; ENODEV becomes NotFoundError', async () => {
    const { api } = setup((_m, i) => (i === 0 ? { errno: 17, msg: 'address exists' } : { errno: 19, msg: 'ipv4: Device not found' }));
    const e1 = await api.add('10.0.0.1/24', { link: 5 }).catch((e) => e);
    expect(isNetlinkError(e1)).toBe(true);
    expect(e1.code).toBe('EEXIST');
    expect(e1.kernelMessage).toBe('address exists');
    const e2 = await api.add('10.0.0.1/24', { link: 99 }).catch((e) => e);
    expect(isNotFoundError(e2)).toBe(true);
    expect(e2.key).toBe(99);
  });
});

describe('AddressApi refuses bad input before sending anything', () => {
  const cases: [string, (api: AddressApi) => Promise<unknown>, RegExp][] = [
    ['malformed CIDR', (a) => a.add('10.0.0/24', { link: 5 }), /not an IPv4 or IPv6 address/],
    ['IPv4 prefix out of range', (a) => a.add('10.0.0.1/33', { link: 5 }), /prefix length must be a number from 0 to 32/],
    ['IPv6 prefix out of range', (a) => a.add('2001:db8::1/129', { link: 5 }), /from 0 to 128/],
    ['not a string', (a) => a.add(42 as unknown as string, { link: 5 }), /must be a string/],
    ['no link', (a) => a.add('10.0.0.1/24', {} as never), /link .*is required/],
    ['link name too long (names and altnames: at most 127 bytes)', (a) => a.add('10.0.0.1/24', { link: 'x'.repeat(128) }), /at most 127/],
    ['bad link index', (a) => a.add('10.0.0.1/24', { link: 0 }), /between 1 and/],
    ['label too long', (a) => a.add('10.0.0.1/24', { link: 'veth0', label: 'veth0:abcdefghijk' }), /at most 15/],
    [
      'label not starting with the link name',
      (a) => a.add('10.0.0.1/24', { link: 'veth0', label: 'eth1:x' }),
      /must be the interface name "veth0" or start with "veth0:"/,
    ],
    ['label not starting with the name of a link by index', (a) => a.add('10.0.0.1/24', { link: 7, label: 'veth0' }), /start with "eth1:"/],
    ['label on IPv6', (a) => a.add('2001:db8::1/64', { link: 5, label: 'veth0' }), /IPv4 addresses only/],
    ['broadcast on IPv6', (a) => a.add('2001:db8::1/64', { link: 5, broadcast: '+' }), /IPv4 only/],
    ['bad broadcast', (a) => a.add('10.0.0.1/24', { link: 5, broadcast: '10.0.0' }), /broadcast/],
    ['peer of the other family', (a) => a.add('10.0.0.1/24', { link: 5, peer: '2001:db8::2' }), /peer/],
    [
      'preferred > valid',
      (a) => a.add('10.0.0.1/24', { link: 5, validLifetime: 50, preferredLifetime: 100 }),
      /must not exceed validLifetime \(50\)/,
    ],
    ['valid alone with preferred forever', (a) => a.add('10.0.0.1/24', { link: 5, validLifetime: 50 }), /give preferredLifetime too/],
    ['valid lifetime 0', (a) => a.add('10.0.0.1/24', { link: 5, validLifetime: 0, preferredLifetime: 0 }), /at least 1 second/],
    ['negative lifetime', (a) => a.add('10.0.0.1/24', { link: 5, validLifetime: -1 }), /between 0 and 4294967295/],
    ['unknown flag', (a) => a.add('10.0.0.1/24', { link: 5, flags: ['permanent' as never] }), /flag "permanent".*must be one of nodad/],
    ['bad scope', (a) => a.add('10.0.0.1/24', { link: 5, scope: 'galaxy' as never }), /scope/],
    ['bad proto', (a) => a.add('10.0.0.1/24', { link: 5, proto: 300 }), /proto/],
    ['bad metric', (a) => a.add('10.0.0.1/24', { link: 5, metric: 1.5 }), /metric/],
    ['delete: malformed', (a) => a.delete('10.0.0.256/24', { link: 5 }), /not an IPv4 or IPv6 address/],
    ['delete: no link', (a) => a.delete('10.0.0.1/24', {} as never), /is required/],
    ['flush without a filter', (a) => a.flush({}), /needs link, family, scope or label/],
    ['list: bad family', (a) => a.list({ family: 'ipx' as never }), /family/],
    ['list: bad scope', (a) => a.list({ scope: 1000 }), /scope/],
    [
      'addBatch: one bad item stops all',
      (a) =>
        a.addBatch([
          { cidr: '10.0.0.1/24', link: 5 },
          { cidr: '10.0.0.2/40', link: 5 },
        ]),
      /item 1: address/,
    ],
    ['deleteBatch: bad item', (a) => a.deleteBatch([{ cidr: 'nope', link: 5 }]), /item 0: address/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      const { api, t } = setup();
      const err: any = await call(api).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(isInvalidArgumentError(err)).toBe(true);
      expect(err.message).toMatch(message);
      expect(t.sent).toHaveLength(0);
    });
  }

  it('a link name that does not exist: NotFoundError, nothing sent', async () => {
    const { api, t } = setup();
    const err = await api.add('10.0.0.1/24', { link: 'nosuch0' }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    const err2 = await api.list({ link: 'nosuch0' }).catch((e) => e);
    expect(err2).toBeInstanceOf(NotFoundError);
    expect(t.sent).toHaveLength(0);
  });
});

describe('AddressApi.delete', () => {
  it('IPv4: bare address sends IFA_LOCAL only; with a prefix IFA_ADDRESS too; peer as IFA_ADDRESS', async () => {
    const { api, received } = setup();
    await api.delete('10.0.0.1', { link: 5 });
    await api.delete('10.0.0.1/24', { link: 'veth0' });
    await api.delete('10.1.0.1', { link: 5, peer: '10.1.0.2/30' });
    expect(received.map((m) => [m.kind, m.flags])).toEqual([
      ['deladdr', NLM_F.REQUEST | NLM_F.ACK],
      ['deladdr', NLM_F.REQUEST | NLM_F.ACK],
      ['deladdr', NLM_F.REQUEST | NLM_F.ACK],
    ]);
    expect(received[0]!.header).toEqual({ family: 'inet', prefixlen: 32, flags: [], scope: 'universe', index: 5 });
    expect(received[0]!.attrs).toEqual({ local: '10.0.0.1' });
    expect(received[1]!.header).toMatchObject({ prefixlen: 24, index: 5 });
    expect(received[1]!.attrs).toEqual({ local: '10.0.0.1', address: '10.0.0.1' });
    expect(received[2]!.header).toMatchObject({ prefixlen: 30 });
    expect(received[2]!.attrs).toEqual({ local: '10.1.0.1', address: '10.1.0.2' });
  });

  it('IPv6 with a prefix: IFA_ADDRESS and prefixlen', async () => {
    const { api, received } = setup();
    await api.delete('2001:db8::1/64', { link: 5 });
    expect(received[0]!.header).toEqual({ family: 'inet6', prefixlen: 64, flags: [], scope: 'universe', index: 5 });
    expect(received[0]!.attrs).toEqual({ address: '2001:db8::1' });
  });

  it('IPv6 without a prefix: looks the prefix length up first (the kernel matches it exactly)', async () => {
    const { api, received } = setup((m) =>
      m.kind === 'getaddr'
        ? {
            dump: [
              {
                header: { family: 'inet6', prefixlen: 56, flags: [], scope: 'universe', index: 5 },
                attrs: { address: '2001:db8:0:0::1', flags: ['permanent'] },
              },
            ],
          }
        : {},
    );
    await api.delete('2001:0db8::0001', { link: 5 });
    expect(received.map((m) => m.kind)).toEqual(['getaddr', 'deladdr']);
    expect(received[0]!.header).toMatchObject({ family: 'inet6', index: 5 });
    expect(received[1]!.header).toMatchObject({ prefixlen: 56 });
  });

  it("a missing address: NotFoundError carrying the kernel's EADDRNOTAVAIL", async () => {
    const { api } = setup(() => ({ errno: 99 }));
    const err = await api.delete('10.0.0.1/24', { link: 5 }).catch((e) => e);
    expect(isNotFoundError(err)).toBe(true);
    expect(err).toMatchObject({ what: 'address', key: '10.0.0.1/24 dev 5', code: 'EADDRNOTAVAIL', errno: 99 });
    expect(isNetlinkError(err.cause)).toBe(true);
  });
});

describe('AddressApi.list and toAddress', () => {
  const dump = [
    v4('10.0.0.1', 24, 5, { broadcast: '10.0.0.255' }),
    v4('10.0.0.2', 24, 5, { label: 'veth0:sec' }, ['secondary', 'permanent']),
    v4('10.1.0.1', 32, 5, { address: '10.1.0.2' }),
    {
      header: { family: 'inet6', prefixlen: 64, flags: [], scope: 'universe', index: 5 },
      attrs: {
        address: '2001:db8::1',
        flags: ['secondary', 'nodad', 'noprefixroute'],
        cacheinfo: { prefered: 50, valid: 100, cstamp: 1, tstamp: 2 },
        rtPriority: 20,
        proto: 'kernel_ra',
      },
    },
    { header: { family: 'inet6', prefixlen: 64, flags: ['permanent'], scope: 'link', index: 5 }, attrs: { address: 'fe80::1' } },
  ];

  it('sends one dump with family and index in the header and nothing else', async () => {
    const { api, received } = setup(() => ({ dump }));
    const all = await api.list({ link: 'veth0', family: 'inet' });
    expect(received).toHaveLength(1);
    expect(received[0]!.kind).toBe('getaddr');
    expect(received[0]!.flags).toBe(NLM_F.REQUEST | NLM_F.DUMP);
    expect(received[0]!.header).toEqual({ family: 'inet', prefixlen: 0, flags: [], scope: 'universe', index: 5 });
    expect(received[0]!.attrs).toEqual({});
    // The fake kernel does not filter; the API also does, for kernels without strict checking.
    expect(all.map((a) => a.cidr)).toEqual(['10.0.0.1/24', '10.0.0.2/24', '10.1.0.1/32']);
  });

  it('no filter: family unspec, index 0', async () => {
    const { api, received } = setup(() => ({ dump }));
    expect(await api.list()).toHaveLength(5);
    expect(received[0]!.header).toMatchObject({ family: 'unspec', index: 0 });
  });

  it('filters scope and label (exact or glob) in JS', async () => {
    const { api } = setup(() => ({ dump }));
    expect((await api.list({ scope: 'link' })).map((a) => a.address)).toEqual(['fe80::1']);
    expect((await api.list({ scope: 'global' })).map((a) => a.address)).toHaveLength(4);
    expect((await api.list({ label: 'veth0:sec' })).map((a) => a.address)).toEqual(['10.0.0.2']);
    expect((await api.list({ label: 'veth0*' })).map((a) => a.address)).toEqual(['10.0.0.1', '10.0.0.2', '10.1.0.1']);
  });

  it('turns messages into friendly addresses', async () => {
    const { api } = setup(() => ({ dump }));
    const [a, b, p, six, ll] = await api.list();
    expect(a).toMatchObject({
      family: 'inet',
      index: 5,
      prefixlen: 24,
      address: '10.0.0.1',
      cidr: '10.0.0.1/24',
      broadcast: '10.0.0.255',
      label: 'veth0',
      scope: 'universe',
      flags: ['permanent'],
      permanent: true,
      dynamic: false,
      secondary: false,
      validLifetime: 0xffffffff,
      preferredLifetime: 0xffffffff,
    });
    expect(a!.peer).toBeUndefined();
    expect(a!.raw.kind).toBe('newaddr');
    expect(b).toMatchObject({ secondary: true, label: 'veth0:sec' });
    expect(p).toMatchObject({ address: '10.1.0.1', peer: '10.1.0.2', cidr: '10.1.0.1/32' });
    expect(six).toMatchObject({
      family: 'inet6',
      address: '2001:db8::1',
      flags: ['temporary', 'nodad', 'noprefixroute'],
      secondary: true,
      permanent: false,
      dynamic: true,
      validLifetime: 100,
      preferredLifetime: 50,
      cacheinfo: { prefered: 50, valid: 100, cstamp: 1, tstamp: 2 },
      metric: 20,
      proto: 'kernel_ra',
    });
    // Without IFA_FLAGS the header's flags are used.
    expect(ll).toMatchObject({ flags: ['permanent'], permanent: true, scope: 'link' });
    expect(toAddress(ll!.raw)).toEqual(ll);
  });
});

describe('AddressApi.flush, addBatch, deleteBatch', () => {
  it('flush: one dump, then the deletes pipelined (secondaries first); vanished ones count', async () => {
    const dump = [v4('10.0.0.1', 24, 5), v4('10.0.0.2', 24, 5, {}, ['secondary', 'permanent']), v4('10.1.0.1', 32, 5, { address: '10.1.0.2' })];
    const { api, received, datagrams } = setup((m) => (m.kind === 'getaddr' ? { dump } : m.attrs!.local === '10.1.0.1' ? { errno: 99 } : {}));
    expect(await api.flush({ link: 5, family: 'inet' })).toBe(3);
    expect(datagrams).toEqual([1, 3]);
    expect(received.slice(1).map((m) => [m.kind, m.header!.prefixlen, m.attrs])).toEqual([
      ['deladdr', 24, { local: '10.0.0.2', address: '10.0.0.2' }],
      ['deladdr', 24, { local: '10.0.0.1', address: '10.0.0.1' }],
      ['deladdr', 32, { local: '10.1.0.1', address: '10.1.0.2' }],
    ]);
  });

  it('flush: other failures are thrown', async () => {
    const { api } = setup((m) => (m.kind === 'getaddr' ? { dump: [v4('10.0.0.1', 24, 5)] } : { errno: 1 }));
    const err = await api.flush({ family: 'inet' }).catch((e) => e);
    expect(isNetlinkError(err)).toBe(true);
    expect(err.code).toBe('EPERM');
  });

  it('addBatch: validated first, links resolved once, one datagram, per-item results', async () => {
    const { api, received, datagrams, links } = setup((_m, i) => (i === 1 ? { errno: 17 } : {}));
    const res = await api.addBatch([
      { cidr: '10.0.0.1/24', link: 'veth0' },
      { cidr: '10.0.0.2/24', link: 'veth0' },
      { cidr: '2001:db8::3/64', link: 'veth0', flags: ['nodad'], replace: true },
    ]);
    expect(links.lookups).toEqual(['veth0']);
    expect(datagrams).toEqual([3]);
    expect(res[0]).toEqual({ ok: true });
    expect(res[1]!.ok).toBe(false);
    expect(isNetlinkError((res[1] as { error: Error }).error) && (res[1] as any).error.code).toBe('EEXIST');
    expect(res[2]).toEqual({ ok: true });
    // One ACK per window: only the window's last request asks for it (failures are answered unasked).
    expect(received.map((m) => m.flags)).toEqual([CREATE_EXCL & ~0x4, CREATE_EXCL & ~0x4, REPLACE_CREATE]);
    expect(received[2]!.attrs).toEqual({ address: '2001:db8::3', flags: ['nodad'] });
  });

  it('deleteBatch: pipelined, EADDRNOTAVAIL per item', async () => {
    const { api, received, datagrams } = setup((_m, i) => (i === 0 ? { errno: 99 } : {}));
    const res = await api.deleteBatch([
      { cidr: '10.0.0.1/24', link: 5 },
      { cidr: '2001:db8::3/64', link: 'veth0' },
    ]);
    expect(datagrams).toEqual([2]);
    expect(res[0]!.ok).toBe(false);
    expect((res[0] as any).error.code).toBe('EADDRNOTAVAIL');
    expect(res[1]).toEqual({ ok: true });
    expect(received.map((m) => m.kind)).toEqual(['deladdr', 'deladdr']);
  });

  it('empty batches send nothing', async () => {
    const { api, t } = setup();
    expect(await api.addBatch([])).toEqual([]);
    expect(await api.deleteBatch([])).toEqual([]);
    expect(t.sent).toHaveLength(0);
  });
});
