/**
 * A fake kernel driven by one function: it sees each datagram sent and answers with any datagrams
 * (split or merged as the test likes). For tests of sequencing, multipart, NACK and DUMP_INTR.
 */
import type { Transport, TransportSink } from './types.js';

export type Script = (sent: Uint8Array, reply: (datagram: Uint8Array) => void, t: ScriptedTransport) => void;

export class ScriptedTransport implements Transport {
  readonly protocol = 0;
  readonly portId: number;
  readonly sent: Uint8Array[] = [];
  private sink: TransportSink | undefined;
  private readonly script: Script;
  closed = false;

  constructor(script: Script, portId = 1234) {
    this.script = script;
    this.portId = portId;
  }

  start(sink: TransportSink): void {
    this.sink = sink;
  }

  send(datagram: Uint8Array): void {
    const copy = datagram.slice();
    this.sent.push(copy);
    this.script(copy, (d) => setImmediate(() => !this.closed && this.sink?.datagram(d)), this);
  }

  /** Delivers a datagram now, unprompted (multicast-like or late). */
  push(datagram: Uint8Array): void {
    this.sink?.datagram(datagram);
  }

  fail(err: Error): void {
    this.sink?.error(err);
  }

  close(): void {
    this.closed = true;
    this.sink?.closed?.();
  }
}
