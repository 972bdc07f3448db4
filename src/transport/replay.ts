/**
 * Serves a fixture back: each datagram sent must match the next recorded one (sequence numbers and
 * port ids aside), and the recorded replies that followed it are delivered with the live sequence
 * numbers. Needs no socket and no privileges.
 */
import { type Fixture, fromHex } from './fixture.js';
import { walkMessages } from '../codec/walk.js';
import { NetlinkTsError } from '../errors/base.js';
import { TransportError } from './errors.js';
import type { Transport, TransportSink } from './types.js';

export class ReplayMismatchError extends NetlinkTsError {
  override readonly name = 'ReplayMismatchError' as const;
  readonly index: number;
  readonly expected?: Uint8Array;
  readonly actual: Uint8Array;
  constructor(message: string, index: number, actual: Uint8Array, expected?: Uint8Array) {
    super(message);
    this.index = index;
    this.actual = actual;
    if (expected) this.expected = expected;
  }
}

export interface ReplayOptions {
  /** Port id the replayed socket pretends to have (default 4242). */
  portId?: number;
  /** Compare sent datagrams with the recording (default true). */
  strict?: boolean;
}

interface Frame {
  start: number;
  len: number;
}

/** The messages of a datagram, up to the first that does not fit (fixtures may hold anything). */
function frames(d: Uint8Array): Frame[] {
  const out: Frame[] = [];
  for (const m = walkMessages(d); m.nextValid(); ) out.push({ start: m.at, len: m.len });
  return out;
}

/** Equal apart from nlmsg_seq and nlmsg_pid of each message. */
function sameIgnoringSeq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const fa = frames(a);
  for (let i = 0; i < a.length; i++) {
    const inHeaderIds = fa.some((f) => i >= f.start + 8 && i < f.start + 16);
    if (!inHeaderIds && a[i] !== b[i]) return false;
  }
  return true;
}

export class ReplayTransport implements Transport {
  readonly protocol: number;
  readonly portId: number;
  private readonly entries: { dir: 'sent' | 'received'; data: Uint8Array }[];
  private readonly strict: boolean;
  private readonly recordedPort: number;
  private cursor = 0;
  private sink: TransportSink | undefined;
  private closed = false;
  private readonly seqMap = new Map<number, number>();

  constructor(fixture: Fixture, options: ReplayOptions = {}) {
    this.protocol = fixture.provenance.protocol;
    this.portId = options.portId ?? 4242;
    this.strict = options.strict ?? true;
    this.recordedPort = fixture.provenance.portId ?? 0;
    this.entries = fixture.exchanges.map((e) => ({ dir: e.dir, data: fromHex(e.hex) }));
  }

  /** True when every recorded exchange has been played. */
  get finished(): boolean {
    return this.cursor >= this.entries.length;
  }

  start(sink: TransportSink): void {
    this.sink = sink;
  }

  send(datagram: Uint8Array): void {
    if (this.closed) throw new TransportError('replay transport is closed', 'write', 9, 'EBADF');
    const idx = this.cursor;
    const expected = this.entries[idx];
    if (expected?.dir !== 'sent') {
      throw new ReplayMismatchError(
        `replay: request #${idx} was sent but the fixture ${expected ? 'expects a reply to be read first' : 'has no more requests'}`,
        idx,
        datagram,
      );
    }
    if (this.strict && !sameIgnoringSeq(expected.data, datagram)) {
      throw new ReplayMismatchError(`replay: request #${idx} differs from the recording`, idx, datagram, expected.data);
    }
    // Map recorded seq numbers to the live ones, message by message.
    const live = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    const rec = new DataView(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength);
    const lf = frames(datagram);
    frames(expected.data).forEach((f, i) => {
      const l = lf[i];
      if (l) this.seqMap.set(rec.getUint32(f.start + 8, true), live.getUint32(l.start + 8, true));
    });
    this.cursor++;
    const replies: Uint8Array[] = [];
    while (this.cursor < this.entries.length && this.entries[this.cursor]!.dir === 'received') {
      replies.push(this.rewrite(this.entries[this.cursor]!.data));
      this.cursor++;
    }
    setImmediate(() => {
      for (const r of replies) if (!this.closed) this.sink?.datagram(r);
    });
  }

  private rewrite(d: Uint8Array): Uint8Array {
    const out = d.slice();
    const view = new DataView(out.buffer);
    for (const f of frames(out)) {
      const seq = view.getUint32(f.start + 8, true);
      const mapped = this.seqMap.get(seq);
      if (mapped !== undefined) view.setUint32(f.start + 8, mapped, true);
      if (view.getUint32(f.start + 12, true) === this.recordedPort) view.setUint32(f.start + 12, this.portId, true);
      // An NLMSG_ERROR echoes the request header: its seq must follow too.
      if (view.getUint16(f.start + 4, true) === 2 && f.len >= 36) {
        const s2 = this.seqMap.get(view.getUint32(f.start + 28, true));
        if (s2 !== undefined) view.setUint32(f.start + 28, s2, true);
      }
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.sink?.closed?.());
  }
}

export function isReplayMismatchError(e: unknown): e is ReplayMismatchError {
  return e instanceof Error && e.name === 'ReplayMismatchError';
}
