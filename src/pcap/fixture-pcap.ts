/**
 * Fixtures <-> pcap: a recording written as a LINKTYPE_NETLINK capture (Wireshark / tshark read it
 * as "Netlink route"), and a capture (from nlts or from nlmon: `ip link add nlmon0 type nlmon`,
 * `tcpdump -i nlmon0 -w f.pcap`) read back as a fixture.
 */
import { type Fixture, FIXTURE_FORMAT, FIXTURE_VERSION, fromHex, newProvenance, toHex } from '../transport/fixture.js';
import {
  LINKTYPE_NETLINK,
  NETLINK_PSEUDO_HEADER,
  PACKET_KERNEL,
  PACKET_USER,
  PcapError,
  type PcapPacket,
  netlinkPseudoHeader,
  readPcap,
  writePcap,
} from './pcap.js';

/**
 * One packet per datagram. `timesUs` gives each exchange's capture time (microseconds since the
 * epoch); without it the recording time is used, a microsecond apart.
 */
export function fixtureToPcap(f: Fixture, timesUs?: readonly (number | undefined)[]): Uint8Array {
  const base = Date.parse(f.provenance.recordedAt) * 1000 || Date.now() * 1000;
  const packets = f.exchanges.map((e, i) => {
    const body = fromHex(e.hex);
    const data = new Uint8Array(NETLINK_PSEUDO_HEADER + body.length);
    data.set(netlinkPseudoHeader(e.dir === 'sent', e.protocol ?? f.provenance.protocol ?? 0));
    data.set(body, NETLINK_PSEUDO_HEADER);
    return { timeUs: timesUs?.[i] ?? base + i, data };
  });
  return writePcap(packets, LINKTYPE_NETLINK);
}

/** Where each exchange came from in the capture, for error messages. */
export interface PcapFixture {
  fixture: Fixture;
  /** File offset of each exchange's netlink data. */
  offsets: number[];
  /** Capture times; undefined where the file has none or one that is not a date (PcapPacket.timeError). */
  timesUs: (number | undefined)[];
}

/** Refuses captures of other link types (checked once packets exist: an empty file of any type is empty). */
export function assertNetlinkLinktype(linktype: number): void {
  if (linktype !== LINKTYPE_NETLINK) throw new PcapError(`link type ${linktype} is not LINKTYPE_NETLINK (253): not a netlink capture`, 20);
}

/** A LINKTYPE_NETLINK packet: its direction and netlink protocol from the pseudo-header, and the datagram after it. */
export function netlinkDatagram(p: PcapPacket, index: number): { sent: boolean; protocol: number; body: Uint8Array } {
  if (p.data.length < NETLINK_PSEUDO_HEADER) {
    throw new PcapError(`packet ${index} has ${p.data.length} bytes, too short for the 16-byte netlink pseudo-header`, p.offset);
  }
  const v = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  const pkttype = v.getUint16(0);
  const body = p.data.subarray(NETLINK_PSEUDO_HEADER);
  // nlmon: PACKET_USER = from a user socket; PACKET_KERNEL = from the kernel. Others: guess by NLM_F_REQUEST.
  let sent: boolean;
  if (pkttype === PACKET_USER) sent = true;
  else if (pkttype === PACKET_KERNEL) sent = false;
  else sent = body.length >= 8 && (new DataView(body.buffer, body.byteOffset, body.byteLength).getUint16(6, true) & 1) === 1;
  return { sent, protocol: v.getUint16(14), body };
}

export function pcapToFixture(bytes: Uint8Array, source = 'capture'): PcapFixture {
  const file = readPcap(bytes);
  if (file.packets.length > 0) assertNetlinkLinktype(file.linktype);
  let protocol: number | undefined;
  const offsets: number[] = [];
  const timesUs: (number | undefined)[] = [];
  // The first packet's protocol is the fixture's; a packet of another keeps its own.
  const exchanges: Fixture['exchanges'] = file.packets.map((p, i) => {
    const d = netlinkDatagram(p, i);
    protocol ??= d.protocol;
    offsets.push(p.offset + NETLINK_PSEUDO_HEADER);
    timesUs.push(p.timeUs);
    return { dir: d.sent ? 'sent' : 'received', ...(d.protocol !== protocol && { protocol: d.protocol }), hex: toHex(d.body) };
  });
  const fixture: Fixture = {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    provenance: newProvenance({
      producer: `pcap import (${file.format})`,
      description: source,
      protocol: protocol ?? 0,
      recordedAt: new Date((timesUs.find((t) => t !== undefined) ?? 0) / 1000).toISOString(),
    }),
    exchanges,
  };
  return { fixture, offsets, timesUs };
}
