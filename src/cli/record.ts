/**
 * --record FILE: the recorder's notes (each datagram decoded, one line per message) with capture
 * times, saved as a fixture, or as a pcap capture (LINKTYPE_NETLINK) when FILE ends in .pcap.
 */
import { writeFileSync } from 'node:fs';
import { rtnetlinkCodec } from '../api/rtnetlink-codec.js';
import { formatMessage } from '../codec/format.js';
import { fixtureToPcap } from '../pcap/fixture-pcap.js';
import type { RecordingTransport } from '../transport/recording.js';

const times = new WeakMap<RecordingTransport, number[]>();
const t0Us = Date.now() * 1000;
const h0 = process.hrtime.bigint();

function nowUs(): number {
  return t0Us + Number((process.hrtime.bigint() - h0) / 1000n);
}

/** RecordingTransport.annotate that also notes when each datagram passed. */
export function timedAnnotator(recorder: RecordingTransport): (d: Uint8Array) => string[] {
  const list: number[] = [];
  times.set(recorder, list);
  return (d) => {
    list.push(nowUs());
    return rtnetlinkCodec().decode(d).map(formatMessage);
  };
}

export function saveRecording(recorder: RecordingTransport, path: string): void {
  if (/\.pcap$/i.test(path)) {
    writeFileSync(path, fixtureToPcap(recorder.fixture(), times.get(recorder)));
    return;
  }
  recorder.save(path);
}
