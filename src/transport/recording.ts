/** Wraps any transport and keeps every datagram it carries, in order, as a fixture. */
import { type Fixture, type FixtureProvenance, FIXTURE_FORMAT, FIXTURE_VERSION, newProvenance, saveFixture, toHex } from './fixture.js';
import type { Transport, TransportSink } from './types.js';

export class RecordingTransport implements Transport {
  readonly inner: Transport;
  readonly exchanges: Fixture['exchanges'] = [];
  private readonly provenance: Partial<FixtureProvenance>;
  /** Optional annotator: one line per message of a datagram (e.g. formatMessage over a codec). */
  annotate?: (datagram: Uint8Array) => string[];

  constructor(inner: Transport, provenance: Partial<FixtureProvenance> = {}) {
    this.inner = inner;
    this.provenance = provenance;
  }

  get protocol(): number {
    return this.inner.protocol;
  }
  get portId(): number {
    return this.inner.portId;
  }

  start(sink: TransportSink): void {
    this.inner.start({
      datagram: (d) => {
        this.record('received', d);
        sink.datagram(d);
      },
      error: (e) => sink.error(e),
      closed: () => sink.closed?.(),
    });
  }

  send(datagram: Uint8Array): void {
    this.record('sent', datagram);
    this.inner.send(datagram);
  }

  addMembership(group: number): void {
    this.inner.addMembership?.(group);
  }
  dropMembership(group: number): void {
    this.inner.dropMembership?.(group);
  }
  ref(): void {
    this.inner.ref?.();
  }
  unref(): void {
    this.inner.unref?.();
  }
  close(): void {
    this.inner.close();
  }

  fixture(extra: Partial<FixtureProvenance> = {}): Fixture {
    return {
      format: FIXTURE_FORMAT,
      version: FIXTURE_VERSION,
      provenance: newProvenance({ protocol: this.protocol, portId: this.portId, ...this.provenance, ...extra }),
      exchanges: this.exchanges,
    };
  }

  save(path: string, extra: Partial<FixtureProvenance> = {}): void {
    saveFixture(path, this.fixture(extra));
  }

  private record(dir: 'sent' | 'received', d: Uint8Array): void {
    const entry: Fixture['exchanges'][number] = { dir, hex: toHex(d) };
    if (this.annotate) {
      try {
        entry.note = this.annotate(d);
      } catch (err) {
        entry.note = [`(cannot decode: ${(err as Error).message})`];
      }
    }
    this.exchanges.push(entry);
  }
}
