/**
 * GenlConnection without a kernel: a scripted NETLINK_GENERIC transport answers nlctrl and ethtool
 * requests. Families are looked up once and cached, their ids bound in the codec; a family that
 * moved (ENOENT for its old id) is looked up again and the request sent once more; bad input is
 * refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { ethtoolSpec } from '../../protocol/ethtool.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import { isInvalidArgumentError, isNotFoundError } from '../../src/api/errors.js';
import { type NetlinkMessage, ProtocolCodec } from '../../src/codec/message.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { GenlConnection } from '../../src/genl/connection.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';
import { concat, errorFor } from '../support/bytes.js';

/** A scripted transport that says it is NETLINK_GENERIC. */
class GenericScript implements Transport {
  readonly protocol = 16;
  readonly portId = 1234;
  constructor(readonly inner: ScriptedTransport) {}
  start(sink: TransportSink): void {
    this.inner.start(sink);
  }
  send(d: Uint8Array): void {
    this.inner.send(d);
  }
  close(): void {
    this.inner.close();
  }
}

/**
 * A kernel with an ethtool family at `state.id` (undefined: not registered). It answers
 * GETFAMILY by name, and ethtool CHANNELS_GET for device "va" when sent to the right id.
 */
function kernel(state: { id: number | undefined; enoent?: boolean }) {
  const codec = new ProtocolCodec([nlctrlSpec, ethtoolSpec]);
  const seen: NetlinkMessage[] = [];
  const script = new ScriptedTransport((sent, reply) => {
    codec.bindType('ethtool', state.id);
    const [m] = codec.decode(sent, 'user');
    seen.push(m!);
    const answer = (kind: string, header: Record<string, unknown>, attrs: Record<string, unknown>) =>
      codec.encode({ kind, flags: 0, seq: m!.seq, pid: 1234, header, attrs }).slice();
    if (m!.kind === 'getfamily') {
      const name = (m!.attrs as { familyName?: string }).familyName;
      if (name !== 'ethtool' || state.id === undefined) return reply(errorFor(sent, 2));
      const family = { familyId: state.id, familyName: 'ethtool', version: 1, hdrsize: 0, maxattr: 0, mcastGroups: [{ name: 'monitor', id: 7 }] };
      return reply(concat(answer('newfamily', { version: 2 }, family), errorFor(sent, 0)));
    }
    // An id no family has: ENOENT, as genl_rcv_msg says (or a family that answers ENOENT itself).
    if (m!.kind === undefined || state.enoent) return reply(errorFor(sent, 2));
    reply(concat(answer('channelsGetReply', { version: 1 }, { header: { devIndex: 3, devName: 'va' }, rxMax: 2, rxCount: 1 }), errorFor(sent, 0)));
  });
  return { transport: new GenericScript(script), seen, script };
}

const channels = (g: GenlConnection) => g.request('ethtool', 'channelsGet', { header: { devName: 'va' } });

describe('GenlConnection', () => {
  it('looks a family up once (concurrent first uses share the lookup) and binds its id', async () => {
    const k = kernel({ id: 0x15 });
    const g = new GenlConnection(k.transport).use(ethtoolSpec);
    const [a, b] = await Promise.all([g.family('ethtool'), g.family('ethtool')]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ name: 'ethtool', id: 0x15, version: 1, mcastGroups: [{ name: 'monitor', id: 7 }] });
    expect(await g.mcastGroup('ethtool', 'monitor')).toBe(7);
    expect(g.codec.typeOf('ethtool')).toBe(0x15);
    const replies = await channels(g);
    expect(replies[0]).toMatchObject({ kind: 'channelsGetReply', attrs: { rxMax: 2, rxCount: 1 } });
    expect(k.seen.map((m) => m.kind)).toEqual(['getfamily', 'channelsGet']);
    g.close();
  });

  it('a family that moved (ENOENT for its old id) is looked up again and the request sent once more', async () => {
    const state = { id: 0x15 as number | undefined };
    const k = kernel(state);
    const g = new GenlConnection(k.transport).use(ethtoolSpec);
    await channels(g);
    state.id = 0x22; // module unloaded and loaded again
    const replies = await channels(g);
    expect(replies[0]!.kind).toBe('channelsGetReply');
    expect(k.seen.map((m) => `${m.kind ?? 'raw'}@${m.type}`)).toEqual(['getfamily@16', 'channelsGet@21', 'raw@21', 'getfamily@16', 'channelsGet@34']);
    g.close();
  });

  it('ENOENT with the id unchanged is the kernel answer: one lookup again, no retry loop', async () => {
    const k = kernel({ id: 0x15, enoent: true });
    const g = new GenlConnection(k.transport).use(ethtoolSpec);
    const err = await channels(g).catch((e: unknown) => e);
    expect(isNetlinkError(err) && err.code).toBe('ENOENT');
    expect(k.seen.map((m) => m.kind)).toEqual(['getfamily', 'channelsGet', 'getfamily']);
    g.close();
  });

  it('a family the kernel does not have is a NotFoundError; the next use asks again', async () => {
    const state = { id: undefined as number | undefined };
    const k = kernel(state);
    const g = new GenlConnection(k.transport).use(ethtoolSpec);
    const err = await g.family('ethtool').catch((e: unknown) => e);
    expect(isNotFoundError(err)).toBe(true);
    expect(String(err)).toContain('generic netlink family "ethtool" does not exist');
    state.id = 0x19;
    expect((await g.family('ethtool')).id).toBe(0x19);
    g.close();
  });

  it('refuses, before sending, an attribute the operation does not take, an unknown operation and a non-generic transport', async () => {
    const k = kernel({ id: 0x15 });
    const g = new GenlConnection(k.transport).use(ethtoolSpec);
    const bad = await g.request('ethtool', 'channelsGet', { header: { devName: 'va' }, rxCount: 2 }).catch((e: unknown) => e);
    expect(isInvalidArgumentError(bad)).toBe(true);
    expect(String(bad)).toMatch(/rxCount.*is not an attribute of a ethtool channelsGet request \(it takes header\)/);
    expect(isInvalidArgumentError(await g.request('ethtool', 'nosuchGet', {}).catch((e: unknown) => e))).toBe(true);
    expect(isInvalidArgumentError(await g.dump('ethtool', 'channelsSet', {}).catch((e: unknown) => e))).toBe(true);
    expect(isInvalidArgumentError(await g.family('x'.repeat(16)).catch((e: unknown) => e))).toBe(true);
    expect(k.seen).toEqual([]);
    expect(() => new GenlConnection(new ScriptedTransport(() => undefined))).toThrow(/NETLINK_GENERIC/);
    g.close();
  });

  it('kernel refusals other than a moved family come through as NetlinkError', async () => {
    const t = new GenericScript(
      new ScriptedTransport((sent, reply) => {
        const type = new DataView(sent.buffer, sent.byteOffset).getUint16(4, true);
        if (type !== 0x10) return reply(errorFor(sent, 95));
        const codec = new ProtocolCodec([nlctrlSpec]);
        const seq = new DataView(sent.buffer, sent.byteOffset).getUint32(8, true);
        const family = codec.encode({
          kind: 'newfamily',
          flags: 0,
          seq,
          header: { version: 2 },
          attrs: { familyId: 0x15, familyName: 'ethtool', version: 1 },
        });
        reply(concat(family.slice(), errorFor(sent, 0)));
      }),
    );
    const g = new GenlConnection(t).use(ethtoolSpec);
    const err = await g.request('ethtool', 'ringsGet', { header: { devName: 'va' } }).catch((e: unknown) => e);
    expect(isNetlinkError(err) && err.code).toBe('EOPNOTSUPP');
    g.close();
  });
});
