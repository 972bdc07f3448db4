/**
 * Fixture files: the datagrams of a netlink conversation with where they came from. JSON with hex
 * so a diff shows what changed; `nlts decode FILE` shows them decoded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';

export const FIXTURE_FORMAT = 'netlink-ts/fixture';
export const FIXTURE_VERSION = 1;

export interface FixtureProvenance {
  /** What produced it: 'netlink-ts 0.1.0 recorder', 'pcap import'... */
  producer: string;
  /** The command or code that ran, e.g. `ip link add veth0 type veth peer name veth1` equivalent. */
  command?: string;
  description?: string;
  /** uname -r of the recording machine. */
  kernel: string;
  recordedAt: string;
  /** Netlink protocol (NETLINK_ROUTE = 0). */
  protocol: number;
  /** The port id the recording socket had: replay rewrites it. */
  portId?: number;
}

export interface FixtureExchange {
  dir: 'sent' | 'received';
  /** Netlink protocol of this datagram when not the provenance's (a capture that mixes protocols). */
  protocol?: number;
  hex: string;
  /** Optional human summary (one line per message); ignored on replay. */
  note?: string[];
}

export interface Fixture {
  format: typeof FIXTURE_FORMAT;
  version: number;
  provenance: FixtureProvenance;
  exchanges: FixtureExchange[];
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error('fixture hex is malformed');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function newProvenance(p: Partial<FixtureProvenance> = {}): FixtureProvenance {
  return { producer: 'netlink-ts recorder', kernel: release(), recordedAt: new Date().toISOString(), protocol: 0, ...p };
}

export function parseFixture(text: string, source = 'fixture'): Fixture {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON: ${(err as Error).message}`);
  }
  const f = data as Fixture;
  if (f?.format !== FIXTURE_FORMAT) throw new Error(`${source}: not a netlink-ts fixture (format is ${JSON.stringify(f?.format)})`);
  if (f.version !== FIXTURE_VERSION) throw new Error(`${source}: fixture version ${f.version} is not supported (expected ${FIXTURE_VERSION})`);
  if (!Array.isArray(f.exchanges)) throw new Error(`${source}: fixture has no exchanges`);
  return f;
}

export function loadFixture(path: string): Fixture {
  return parseFixture(readFileSync(path, 'utf8'), path);
}

export function saveFixture(path: string, f: Fixture): void {
  writeFileSync(path, JSON.stringify(f, null, 1) + '\n');
}
