/**
 * The link name cache (src/api/link-names.ts) over the stateful fake kernel: names are looked up
 * once, renames and deletions by another socket are seen at the next lookup, a cached index the
 * kernel calls gone (ENODEV) is looked up again once, lost events drop everything, and the event
 * socket is made only for lookups by name and closed with the client.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { InvalidArgumentError, NotFoundError } from '../../src/api/errors.js';
import { LinkNameCache } from '../../src/api/link-names.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';
import { type FakeSocket, StatefulKernel } from '../support/stateful-kernel.js';

interface Setup {
  kernel: StatefulKernel;
  nl: NetlinkClient;
  other: NetlinkClient;
  /** The client's request socket: its ioctl calls are counted. */
  ioctl: ReturnType<typeof vi.fn>;
  /** Event sockets made so far. */
  events: FakeSocket[];
  cache: LinkNameCache;
}

const opened: NetlinkClient[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** A client with a link name cache whose event socket is on the fake kernel (as open() makes one on a live socket). */
function setup(wrap?: (s: FakeSocket) => Transport): Setup {
  const kernel = new StatefulKernel();
  const nl = kernel.client();
  const other = kernel.client();
  opened.push(nl, other);
  const transport = nl.connection.transport as FakeSocket;
  const real = transport.linkIndex.bind(transport);
  const ioctl = vi.fn((name: string) => real(name));
  transport.linkIndex = ioctl;
  const events: FakeSocket[] = [];
  nl.linkEvents.opener = async () => {
    const s = kernel.socket();
    events.push(s);
    return wrap ? wrap(s) : s;
  };
  const cache = new LinkNameCache(nl.linkEvents);
  nl.links.names = cache;
  return { kernel, nl, other, ioctl, events, cache };
}

async function dummies(nl: NetlinkClient, ...names: string[]): Promise<number[]> {
  for (const name of names) await nl.links.add({ name, kind: 'dummy' });
  return Promise.all(names.map((n) => nl.links.index(n)));
}

function addressesOf(kernel: StatefulKernel, index: number): string[] {
  return kernel.net.addrsOf(index).map((a) => a.local.join('.'));
}

describe('link name cache (fake kernel)', () => {
  it('looks a name up once and answers later lookups from the cache', async () => {
    const { nl, ioctl, cache } = setup();
    const [a0] = await dummies(nl, 'a0');
    await nl.addresses.add('198.18.0.1/32', { link: 'a0' }); // the event socket is live from here
    ioctl.mockClear();
    for (let i = 2; i < 12; i++) await nl.addresses.add(`198.18.0.${i}/32`, { link: 'a0' });
    for (let i = 2; i < 12; i++) await nl.addresses.delete(`198.18.0.${i}/32`, { link: 'a0' });
    expect(ioctl.mock.calls.length).toBeLessThanOrEqual(1);
    expect(cache.size).toBe(1);
    expect(await nl.links.index('a0')).toBe(a0);
  });

  it('a rename by another socket: the old name is not found, the new one is the link', async () => {
    const { kernel, nl, other } = setup();
    const [a0] = await dummies(nl, 'a0');
    await nl.addresses.add('198.18.0.1/32', { link: 'a0' });
    await nl.addresses.add('198.18.0.2/32', { link: 'a0' });
    await other.links.set('a0', { name: 'b0' });
    await expect(nl.addresses.add('198.18.0.3/32', { link: 'a0' })).rejects.toBeInstanceOf(NotFoundError);
    await nl.addresses.add('198.18.0.4/32', { link: 'b0' });
    expect(addressesOf(kernel, a0!).sort()).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.4']);
  });

  it('a name taken over by another link after a rename goes to that link', async () => {
    const { kernel, nl, other } = setup();
    const [a0] = await dummies(nl, 'a0');
    await nl.addresses.add('198.18.0.1/32', { link: 'a0' });
    await nl.addresses.add('198.18.0.2/32', { link: 'a0' });
    await other.links.set('a0', { name: 'b0' });
    await other.links.add({ name: 'a0', kind: 'dummy' });
    const fresh = kernel.net.byName('a0')!.index;
    expect(fresh).not.toBe(a0);
    await nl.addresses.add('198.18.0.3/32', { link: 'a0' });
    expect(addressesOf(kernel, fresh)).toEqual(['198.18.0.3']);
  });

  it('an index the kernel calls gone (ENODEV) before its event is read is looked up again, once', async () => {
    // Events held back: the window between a change and our reading of its event.
    let hold = false;
    const { kernel, nl, other } = setup((s) => holdable(s, () => hold));
    const [a0] = await dummies(nl, 'a0');
    await nl.addresses.add('198.18.0.1/32', { link: 'a0' });
    await nl.addresses.add('198.18.0.2/32', { link: 'a0' });
    hold = true;
    await other.links.delete('a0');
    await other.links.add({ name: 'a0', kind: 'dummy' });
    const fresh = kernel.net.byName('a0')!.index;
    expect(fresh).not.toBe(a0);
    await nl.addresses.add('198.18.0.3/32', { link: 'a0' });
    expect(addressesOf(kernel, fresh)).toEqual(['198.18.0.3']);
    await other.links.delete('a0');
    await other.links.add({ name: 'a0', kind: 'dummy' });
    await nl.addresses.delete('198.18.0.3/32', { link: 'a0' }).catch(() => undefined); // on the third a0: not there
    await expect(nl.addresses.delete('198.18.0.3/32', { link: 'a0' })).rejects.toBeInstanceOf(NotFoundError);
    await other.links.delete('a0');
    await expect(nl.addresses.add('198.18.0.4/32', { link: 'a0' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lost events (ENOBUFS) and undecodable ones drop the whole cache, and it fills again', async () => {
    const { nl, events, cache } = setup();
    await dummies(nl, 'a0', 'a1');
    await nl.addresses.add('198.18.0.1/32', { link: 'a0' });
    await nl.addresses.add('198.18.0.2/32', { link: 'a0' });
    await nl.addresses.add('198.18.0.3/32', { link: 'a1' });
    expect(cache.size).toBe(2);
    const sink = sinkOf(events[0]!);
    sink.error(Object.assign(new Error('ENOBUFS'), { code: 'ENOBUFS' }));
    expect(cache.size).toBe(0);
    await nl.addresses.add('198.18.0.4/32', { link: 'a0' });
    expect(cache.size).toBe(1);
    sink.datagram(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(cache.size).toBe(0);
    await nl.addresses.add('198.18.0.5/32', { link: 'a1' });
    expect(cache.size).toBe(1);
  });

  it('makes no event socket for links given by index, and closes it with the client', async () => {
    const { nl, events, cache } = setup();
    const [a0] = await dummies(nl, 'a0'); // links.index by name: the first lookup opens it
    expect(events).toHaveLength(1);
    const s2 = setup();
    await s2.other.links.add({ name: 'b0', kind: 'dummy' });
    const b0 = s2.kernel.net.byName('b0')!.index;
    await s2.nl.addresses.add('198.18.0.1/32', { link: b0 });
    await s2.nl.addresses.delete('198.18.0.1/32', { link: b0 });
    expect(s2.events).toHaveLength(0);
    expect(s2.cache.size).toBe(0);
    await nl.addresses.add('198.18.0.1/32', { link: a0! });
    nl.close();
    expect(events[0]!.closed).toBe(true);
    expect(cache.size).toBe(0);
  });
});

describe('linkNameCache option', () => {
  it('is true or false, refused otherwise', () => {
    for (const v of ['yes', 1, null]) {
      expect(() => NetlinkClient.open({ linkNameCache: v as never })).toThrow(InvalidArgumentError);
    }
  });

  it('false: no cache; a client over a given transport (a replay) has none either', () => {
    const on = NetlinkClient.open();
    const off = NetlinkClient.open({ linkNameCache: false });
    const given = new StatefulKernel().client();
    opened.push(on, off, given);
    expect(on.links.names).toBeInstanceOf(LinkNameCache);
    expect(off.links.names).toBeUndefined();
    expect(given.links.names).toBeUndefined();
  });
});

/** A socket whose events are held (not delivered, even by readQueued) while `held()` says so. */
function holdable(s: FakeSocket, held: () => boolean): Transport {
  return {
    protocol: s.protocol,
    portId: s.portId,
    start: (sink: TransportSink) => s.start({ ...sink, datagram: (d) => (held() ? undefined : sink.datagram(d)), error: (e) => sink.error(e) }),
    send: (d) => s.send(d),
    addMembership: (g) => s.addMembership(g),
    readQueued: () => s.readQueued(),
    close: () => s.close(),
  };
}

function sinkOf(s: FakeSocket): TransportSink {
  return (s as unknown as { sink: TransportSink }).sink;
}
