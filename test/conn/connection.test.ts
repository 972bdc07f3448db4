import { describe, expect, it } from 'vitest';
import { defineFamily } from '../../protocol/spec.js';
import { ProtocolCodec } from '../../src/codec/message.js';
import { Connection } from '../../src/conn/connection.js';
import { isConnectionClosedError, isDumpInterruptedError, isNetlinkError, isNetlinkTimeoutError } from '../../src/conn/errors.js';
import { ScriptedTransport, type Script } from '../../src/transport/scripted.js';
import { Bytes, concat, doneFor, errorFor, nlmsg, seqOf } from '../support/bytes.js';

// A small family so these tests depend only on the framing, not on the real specs.
const spec = defineFamily({
  name: 'test-link',
  protocol: 0,
  definitions: {
    ifinfomsg: {
      type: 'struct',
      members: [
        { name: 'family', type: 'u8' },
        { name: 'pad', type: 'pad', len: 1 },
        { name: 'type', type: 'u16' },
        { name: 'index', type: 's32' },
        { name: 'flags', type: 'u32' },
        { name: 'change', type: 'u32' },
      ],
    },
  },
  attributeSets: {
    link: {
      prefix: 'IFLA_',
      attributes: [
        { name: 'ifname', value: 3, type: 'string' },
        { name: 'mtu', value: 4, type: 'u32' },
        { name: 'linkinfo', value: 18, type: 'nest', nested: 'linkinfo' },
      ],
    },
    linkinfo: { prefix: 'IFLA_INFO_', attributes: [{ name: 'kind', value: 1, type: 'string' }] },
  },
  messages: {
    newlink: { value: 16, header: 'ifinfomsg', attributes: 'link' },
    getlink: { value: 18, header: 'ifinfomsg', attributes: 'link' },
  },
});
const codec = new ProtocolCodec([spec]);

function linkMsg(seq: number, index: number, name: string, flags = 2): Uint8Array {
  const body = new Bytes().u8(0).u8(0).u16(1).s32(index).u32(0).u32(0).attr(3, new Bytes().str(name)).attr(4, new Bytes().u32(1500));
  return nlmsg(16, flags, seq, 1234, body);
}

function connect(script: Script, timeoutMs?: number) {
  const t = new ScriptedTransport(script);
  return { t, conn: new Connection(t, codec, timeoutMs === undefined ? {} : { timeoutMs }) };
}

describe('Connection', () => {
  it('holds the event loop while a request is pending, letting go one loop turn after the last', async () => {
    const calls: string[] = [];
    class Counting extends ScriptedTransport {
      ref(): void {
        calls.push('ref');
      }
      unref(): void {
        calls.push('unref');
      }
    }
    // Answered at once, as a real socket's reply is read right after the send: never pending
    // after its send, so the loop is never held for it (nor a timer armed, below).
    const t = new Counting((sent, _reply, tt) => tt.push(errorFor(sent, 0)));
    const conn = new Connection(t, codec);
    expect(calls).toEqual(['unref']);
    for (let i = 0; i < 50; i++) await conn.request({ kind: 'getlink', attrs: { ifname: 'x' } });
    expect(calls).toEqual(['unref']);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['unref']);
    // A request still pending at that turn keeps the loop held.
    const slow = new Counting((sent, reply) => setTimeout(() => reply(errorFor(sent, 0)), 20));
    const c2 = new Connection(slow, codec);
    calls.length = 0;
    const done = c2.request({ kind: 'getlink', attrs: { ifname: 'x' } });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['ref']);
    await done;
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['ref', 'unref']);
  });

  it('arms no timer for requests answered within their send; one still pending after it times out', async () => {
    const armed: number[] = [];
    const real = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      armed.push(ms ?? 0);
      return real(fn, ms);
    }) as typeof setTimeout;
    try {
      const { conn } = connect((sent, _reply, tt) => tt.push(errorFor(sent, 0)), 50);
      for (let i = 0; i < 20; i++) await conn.request({ kind: 'getlink', attrs: { ifname: 'x' } });
      expect(armed).toEqual([]);
      const { conn: silent } = connect(() => {}, 50);
      const err = await silent.request({ kind: 'getlink', attrs: { ifname: 'x' } }).catch((e) => e);
      expect(isNetlinkTimeoutError(err)).toBe(true);
      expect(armed).toHaveLength(1);
    } finally {
      globalThis.setTimeout = real;
    }
  });

  it('collects a multipart dump split over several datagrams, several messages per datagram', async () => {
    const { conn, t } = connect((sent, reply) => {
      const s = seqOf(sent);
      reply(concat(linkMsg(s, 1, 'lo'), linkMsg(s, 2, 'eth0')));
      reply(linkMsg(s, 3, 'veth0'));
      reply(doneFor(sent));
    });
    const msgs = await conn.dump({ kind: 'getlink' });
    expect(msgs.map((m) => m.attrs?.ifname)).toEqual(['lo', 'eth0', 'veth0']);
    // The request went out as a dump: NLM_F_REQUEST | NLM_F_DUMP.
    expect(new DataView(t.sent[0]!.buffer).getUint16(6, true)).toBe(0x301);
  });

  it('resolves a request with the replies before its ACK', async () => {
    const { conn, t } = connect((sent, reply) => {
      reply(linkMsg(seqOf(sent), 7, 'veth0', 0));
      reply(errorFor(sent, 0));
    });
    const msgs = await conn.request({ kind: 'getlink', attrs: { ifname: 'veth0' } });
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.header?.index).toBe(7);
    expect(new DataView(t.sent[0]!.buffer).getUint16(6, true)).toBe(0x5); // REQUEST | ACK
  });

  it('turns a NACK into a NetlinkError with errno, code, extack text and the attribute it points at', async () => {
    const { conn } = connect((sent, reply) => {
      // Point at the linkinfo/kind attribute: nlmsghdr 16 + ifinfomsg 16 + ifname attr (4+"veth0\0" padded = 12) + linkinfo hdr 4.
      reply(errorFor(sent, 95, { msg: 'Unknown device type', offs: 16 + 16 + 12 + 4 }));
    });
    const err = await conn.request({ kind: 'newlink', attrs: { ifname: 'veth0', linkinfo: { kind: 'bogus' } } }).catch((e) => e);
    expect(isNetlinkError(err)).toBe(true);
    expect(err.errno).toBe(95);
    expect(err.code).toBe('EOPNOTSUPP');
    expect(err.kernelMessage).toBe('Unknown device type');
    expect(err.attribute).toBe('linkinfo/kind');
    expect(err.operation).toBe('newlink');
    expect(err.request.attrs.ifname).toBe('veth0');
    expect(err.message).toContain('Unknown device type');
  });

  it('retries a dump interrupted by concurrent changes, then succeeds', async () => {
    let attempt = 0;
    const { conn, t } = connect((sent, reply) => {
      const s = seqOf(sent);
      attempt++;
      if (attempt === 1) {
        reply(linkMsg(s, 1, 'lo', 2 | 0x10));
        reply(doneFor(sent, 0, 2 | 0x10));
      } else {
        reply(linkMsg(s, 1, 'lo'));
        reply(linkMsg(s, 2, 'eth0'));
        reply(doneFor(sent));
      }
    });
    const msgs = await conn.dump({ kind: 'getlink' });
    expect(msgs).toHaveLength(2);
    expect(t.sent).toHaveLength(2);
    expect(seqOf(t.sent[1]!)).not.toBe(seqOf(t.sent[0]!));
  });

  it('gives up with DumpInterruptedError carrying the partial result after the retry budget', async () => {
    const t = new ScriptedTransport((sent, reply) => {
      reply(linkMsg(seqOf(sent), 1, 'lo', 2 | 0x10));
      reply(doneFor(sent, 0, 2 | 0x10));
    });
    const conn = new Connection(t, codec, { dumpRetries: 2 });
    const err = await conn.dump({ kind: 'getlink' }).catch((e) => e);
    expect(isDumpInterruptedError(err)).toBe(true);
    expect(err.attempts).toBe(3);
    expect(err.partial).toHaveLength(1);
    expect(t.sent).toHaveLength(3);
  });

  it('dumpMap turns replies into results as they arrive, with a private copy of the datagram', async () => {
    const sentDatagrams: Uint8Array[] = [];
    const { conn } = connect((sent, reply) => {
      const s = seqOf(sent);
      const d = concat(linkMsg(s, 1, 'lo'), linkMsg(s, 2, 'eth0'));
      sentDatagrams.push(d);
      reply(d);
      reply(linkMsg(s, 3, 'veth0'));
      reply(doneFor(sent));
    });
    const seen: { name: unknown; offset: number; bytes: Uint8Array }[] = [];
    const out = await conn.dumpMap({ kind: 'getlink' }, (m, bytes, offset) => {
      seen.push({ name: m.attrs?.ifname, offset, bytes });
      return m.attrs?.ifname === 'eth0' ? undefined : `${m.header?.index}:${m.attrs?.ifname}`;
    });
    expect(out).toEqual(['1:lo', '3:veth0']); // undefined drops a message
    expect(seen.map((x) => x.name)).toEqual(['lo', 'eth0', 'veth0']);
    // Messages of one datagram share one copy; the offset is where each starts in it.
    expect(seen[0]!.bytes).toBe(seen[1]!.bytes);
    expect(seen[0]!.offset).toBe(0);
    expect(seen[1]!.offset).toBe(linkMsg(1, 1, 'lo').length);
    expect(seen[2]!.bytes).not.toBe(seen[0]!.bytes);
    // A copy: the transport may reuse its receive buffer afterwards.
    expect(seen[0]!.bytes).not.toBe(sentDatagrams[0]);
    const before = Array.from(seen[0]!.bytes);
    sentDatagrams[0]!.fill(0);
    expect(Array.from(seen[0]!.bytes)).toEqual(before);
    expect(codec.decode(seen[1]!.bytes.subarray(seen[1]!.offset))[0]!.attrs?.ifname).toBe('eth0');
  });

  it('dumpMap starts over on an interrupted dump and rejects when the mapper throws', async () => {
    let attempt = 0;
    const { conn } = connect((sent, reply) => {
      const s = seqOf(sent);
      attempt++;
      reply(linkMsg(s, 1, 'lo', attempt === 1 ? 2 | 0x10 : 2));
      reply(linkMsg(s, 2, 'eth0'));
      reply(doneFor(sent));
    });
    expect(await conn.dumpMap({ kind: 'getlink' }, (m) => m.attrs?.ifname)).toEqual(['lo', 'eth0']);
    const err = await conn
      .dumpMap({ kind: 'getlink' }, (m) => {
        if (m.attrs?.ifname === 'eth0') throw new Error('mapper failed');
        return 1;
      })
      .catch((e) => e);
    expect(err.message).toBe('mapper failed');
    // The connection stays usable.
    expect(await conn.dump({ kind: 'getlink' })).toHaveLength(2);
  });

  it('surfaces an error that ends a dump (NLMSG_DONE with a negative status)', async () => {
    const { conn } = connect((sent, reply) => {
      reply(linkMsg(seqOf(sent), 1, 'lo'));
      reply(doneFor(sent, -22));
    });
    const err = await conn.dump({ kind: 'getlink' }).catch((e) => e);
    expect(isNetlinkError(err) && err.code).toBe('EINVAL');
  });

  it('times out a request the kernel never answers, and ignores the late reply', async () => {
    let late: (() => void) | undefined;
    const { conn } = connect((sent, reply) => {
      late = () => reply(errorFor(sent, 0));
    }, 30);
    const err = await conn.request({ kind: 'getlink' }).catch((e) => e);
    expect(isNetlinkTimeoutError(err)).toBe(true);
    late!();
    await new Promise((r) => setTimeout(r, 5));
  });

  it('aborts with the AbortSignal reason', async () => {
    const { conn } = connect(() => {});
    const ac = new AbortController();
    const p = conn.request({ kind: 'getlink' }, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(conn.request({ kind: 'getlink' }, { signal: ac.signal })).rejects.toThrow('stop');
  });

  it('rejects everything pending on close, and later requests too', async () => {
    const { conn } = connect(() => {});
    const p1 = conn.request({ kind: 'getlink' });
    const p2 = conn.dump({ kind: 'getlink' });
    conn.close();
    for (const p of [p1, p2]) expect(isConnectionClosedError(await p.catch((e) => e))).toBe(true);
    expect(isConnectionClosedError(await conn.request({ kind: 'getlink' }).catch((e) => e))).toBe(true);
  });

  it('rejects bad input before sending anything', async () => {
    const { conn, t } = connect(() => {});
    await expect(conn.request({ kind: 'newlink', attrs: { mtu: -1 } })).rejects.toThrow(/out of range/);
    await expect(conn.request({ kind: 'newlink', attrs: { nope: 1 } })).rejects.toThrow(/not an attribute/);
    expect(t.sent).toHaveLength(0);
  });

  it('fails only the request whose reply is truncated', async () => {
    const { conn } = connect((sent, reply) => {
      const full = linkMsg(seqOf(sent), 1, 'lo', 0);
      reply(full.subarray(0, full.length - 8)); // as a read into a too-small buffer would leave it
    });
    const err = await conn.request({ kind: 'getlink' }).catch((e) => e);
    expect(err.name).toBe('DecodeError');
    expect(err.message).toMatch(/past the end/);
  });

  it('pipelines a batch in one datagram per window, one ACK per window, each result in order', async () => {
    let i = 0;
    const acked: boolean[] = [];
    const { conn, t } = connect((sent, reply) => {
      // As the kernel does: an error for a failing message (the 3rd) even unasked, an ACK only when asked.
      let pos = 0;
      const view = new DataView(sent.buffer, sent.byteOffset);
      while (pos < sent.length) {
        const len = view.getUint32(pos, true);
        const one = sent.subarray(pos, pos + len);
        const wantsAck = (view.getUint16(pos + 6, true) & 4) !== 0;
        acked.push(wantsAck);
        if (i === 2) reply(errorFor(one, 17));
        else if (wantsAck) reply(errorFor(one, 0));
        pos += (len + 3) & ~3;
        i++;
      }
    });
    const msgs = Array.from({ length: 10 }, (_, i) => ({ kind: 'newlink', attrs: { ifname: `v${i}` } }));
    const results = await conn.batch(msgs, { window: 4 });
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, true, true, true, true, true]);
    const failed = results[2]!;
    expect(!failed.ok && isNetlinkError(failed.error) && failed.error.code).toBe('EEXIST');
    expect(t.sent).toHaveLength(3); // windows of 4, 4, 2
    expect(acked).toEqual([false, false, false, true, false, false, false, true, false, true]);
  });

  it('still gets its ACK when the last request of a window is bad input', async () => {
    const { conn, t } = connect((sent, reply) => {
      let pos = 0;
      const view = new DataView(sent.buffer, sent.byteOffset);
      while (pos < sent.length) {
        const len = view.getUint32(pos, true);
        expect(len).toBeGreaterThanOrEqual(16); // no half-written message from the failed encode
        if (len < 16) break;
        if (view.getUint16(pos + 6, true) & 4) reply(errorFor(sent.subarray(pos, pos + len), 0));
        pos += (len + 3) & ~3;
      }
    }, 500);
    const results = await conn.batch(
      [
        { kind: 'newlink', attrs: { ifname: 'a' } },
        { kind: 'newlink', attrs: { mtu: -1 } },
      ],
      { window: 2 },
    );
    expect(results[0]).toEqual({ ok: true, messages: [] });
    expect(!results[1]!.ok && results[1]!.error.name).toBe('EncodeError');
    expect(t.sent).toHaveLength(1);
  });

  it('a batch window: replies land in their own slot, an error on the last message fails only that one', async () => {
    const { conn } = connect((sent, reply) => {
      const view = new DataView(sent.buffer, sent.byteOffset);
      const frames: Uint8Array[] = [];
      for (let pos = 0; pos < sent.length; pos += (view.getUint32(pos, true) + 3) & ~3)
        frames.push(sent.subarray(pos, pos + view.getUint32(pos, true)));
      // An echo for the first message, then the kernel refuses the last (which asked for the ACK).
      reply(concat(linkMsg(seqOf(frames[0]!), 7, 'echoed'), errorFor(frames[frames.length - 1]!, 17)));
    });
    const msgs = Array.from({ length: 3 }, (_, i) => ({ kind: 'newlink', attrs: { ifname: `v${i}` } }));
    const results = await conn.batch(msgs);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[0]!.ok && results[0]!.messages.map((m) => (m.attrs as { ifname: string }).ifname)).toEqual(['echoed']);
    expect(results[1]).toEqual({ ok: true, messages: [] });
    const err = !results[2]!.ok && results[2]!.error;
    expect(isNetlinkError(err) && err.code).toBe('EEXIST');
    expect(isNetlinkError(err) && err.request?.attrs).toEqual({ ifname: 'v2' });
  });

  it('a batch window that is never acknowledged times out as a whole; the connection goes on', async () => {
    let n = 0;
    const { conn } = connect((sent, reply) => {
      if (n++ > 0) reply(errorFor(sent, 0));
    }, 50);
    const results = await conn.batch([
      { kind: 'newlink', attrs: { ifname: 'a' } },
      { kind: 'newlink', attrs: { ifname: 'b' } },
    ]);
    expect(results.map((r) => !r.ok && isNetlinkTimeoutError(r.error))).toEqual([true, true]);
    await expect(conn.request({ kind: 'getlink' })).resolves.toEqual([]);
  });

  it('batch sequence numbers do not collide with requests in flight', async () => {
    const seen: number[] = [];
    const { conn } = connect((sent, reply) => {
      const view = new DataView(sent.buffer, sent.byteOffset);
      for (let pos = 0; pos < sent.length; pos += (view.getUint32(pos, true) + 3) & ~3) {
        const one = sent.subarray(pos, pos + view.getUint32(pos, true));
        seen.push(seqOf(one));
        if (view.getUint16(pos + 6, true) & 4) reply(errorFor(one, 0));
      }
    });
    const [a, b] = await Promise.all([
      conn.batch([{ kind: 'newlink' }, { kind: 'newlink' }, { kind: 'newlink' }]),
      conn.request({ kind: 'getlink' }),
    ]);
    expect(a.every((r) => r.ok)).toBe(true);
    expect(b).toEqual([]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('ignores messages for sequence numbers nobody waits for', async () => {
    const { conn } = connect((sent, reply) => {
      reply(linkMsg(999, 1, 'stray'));
      reply(errorFor(sent, 0));
    });
    await expect(conn.request({ kind: 'getlink' })).resolves.toEqual([]);
  });
});
