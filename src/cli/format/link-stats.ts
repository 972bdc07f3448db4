/**
 * `ip -s link`: the stats64 block (iproute2 6.1 print_stats64), JSON keys and the text table with
 * its self-sizing columns.
 */
import type { RtLinkLinkAttrs, RtLinkRtnlLinkStats64 } from '../../generated/index.js';
import type { Printer } from './printer.js';
import { padStart } from './printer.js';

/** IFLA_STATS64 (u64 members) or IFLA_STATS (u32, the same names less the last): read by stats64's names. */
type Stats = Partial<Record<keyof RtLinkRtnlLinkStats64, unknown>>;

function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return 0n;
}

/** size_columns: digits of each value, as ip counts them (10 counts as one digit: its quirk). */
function sizeColumns(cols: number[], values: bigint[]): void {
  values.forEach((val, i) => {
    let len = 1;
    for (let powi = 10n; powi < val; len++, powi *= 10n);
    if (len > cols[i]!) cols[i] = len;
  });
}

function num(width: number, v: bigint): string {
  return padStart(v.toString(), width) + ' ';
}

export function printLinkStats(p: Printer, a: RtLinkLinkAttrs, level: number): void {
  let s: Stats | undefined;
  let key = 'stats64';
  if (a.stats64 && typeof a.stats64 === 'object') s = a.stats64;
  else if (a.stats && typeof a.stats === 'object') {
    s = a.stats;
    key = 'stats';
  }
  if (!s) return;
  const stats = s;
  const g: Get = (k) => big(stats[k]);
  const carrierChanges = a.carrierChanges;
  if (p.json) {
    printStatsJson(p, key, g, level, carrierChanges);
    return;
  }
  const cols = statsColumns(g, level, carrierChanges);
  p.text(`${rxText(cols, g, level)}\n${txText(cols, g, level, carrierChanges)}`);
}

type Get = (k: keyof Stats) => bigint;

/** The JSON object: rx and tx, their error details at -s -s. */
function printStatsJson(p: Printer, key: string, g: Get, level: number, carrierChanges: number | undefined): void {
  p.openObject(key);
  p.openObject('rx');
  p.jsonOnly('bytes', g('rxBytes'));
  p.jsonOnly('packets', g('rxPackets'));
  p.jsonOnly('errors', g('rxErrors'));
  p.jsonOnly('dropped', g('rxDropped'));
  p.jsonOnly('over_errors', g('rxOverErrors'));
  p.jsonOnly('multicast', g('multicast'));
  if (g('rxCompressed')) p.jsonOnly('compressed', g('rxCompressed'));
  if (level > 1) {
    p.jsonOnly('length_errors', g('rxLengthErrors'));
    p.jsonOnly('crc_errors', g('rxCrcErrors'));
    p.jsonOnly('frame_errors', g('rxFrameErrors'));
    p.jsonOnly('fifo_errors', g('rxFifoErrors'));
    p.jsonOnly('missed_errors', g('rxMissedErrors'));
    if (g('rxNohandler')) p.jsonOnly('nohandler', g('rxNohandler'));
    if (g('rxOtherhostDropped')) p.jsonOnly('otherhost', g('rxOtherhostDropped'));
  }
  p.closeObject();
  p.openObject('tx');
  p.jsonOnly('bytes', g('txBytes'));
  p.jsonOnly('packets', g('txPackets'));
  p.jsonOnly('errors', g('txErrors'));
  p.jsonOnly('dropped', g('txDropped'));
  p.jsonOnly('carrier_errors', g('txCarrierErrors'));
  p.jsonOnly('collisions', g('collisions'));
  if (g('txCompressed')) p.jsonOnly('compressed', g('txCompressed'));
  if (level > 1) {
    p.jsonOnly('aborted_errors', g('txAbortedErrors'));
    p.jsonOnly('fifo_errors', g('txFifoErrors'));
    p.jsonOnly('window_errors', g('txWindowErrors'));
    p.jsonOnly('heartbeat_errors', g('txHeartbeatErrors'));
    if (carrierChanges !== undefined) p.jsonOnly('carrier_changes', carrierChanges);
  }
  p.closeObject();
  p.closeObject();
}

/** Column widths: at least the headings', grown to the widest value (ip's size_columns). */
function statsColumns(g: Get, level: number, carrierChanges: number | undefined): number[] {
  const cols = [
    '*X errors:'.length,
    'packets'.length,
    'errors'.length,
    'dropped'.length,
    'heartbt'.length,
    'overrun'.length,
    'compressed'.length,
    'otherhost'.length,
  ];
  sizeColumns(cols, [g('rxBytes'), g('rxPackets'), g('rxErrors'), g('rxDropped'), g('rxMissedErrors'), g('multicast'), g('rxCompressed')]);
  if (level > 1) {
    sizeColumns(cols, [
      0n,
      g('rxLengthErrors'),
      g('rxCrcErrors'),
      g('rxFrameErrors'),
      g('rxFifoErrors'),
      g('rxOverErrors'),
      g('rxNohandler'),
      g('rxOtherhostDropped'),
    ]);
  }
  sizeColumns(cols, [g('txBytes'), g('txPackets'), g('txErrors'), g('txDropped'), g('txCarrierErrors'), g('collisions'), g('txCompressed')]);
  if (level > 1) {
    sizeColumns(cols, [0n, 0n, g('txAbortedErrors'), g('txFifoErrors'), g('txWindowErrors'), g('txHeartbeatErrors'), big(carrierChanges ?? 0)]);
  }
  return cols;
}

/** The RX lines (and RX errors at -s -s). */
function rxText(cols: number[], g: Get, level: number): string {
  const c = (i: number) => cols[i]!;
  let t = '';
  t += `    RX: ${padStart('bytes', c(0) - 4)} ${padStart('packets', c(1))} ${padStart('errors', c(2))} ${padStart('dropped', c(3))} ${padStart('missed', c(4))} ${padStart('mcast', c(5))} ${padStart(g('rxCompressed') ? 'compressed' : '', c(6))}\n`;
  t +=
    '    ' +
    num(c(0), g('rxBytes')) +
    num(c(1), g('rxPackets')) +
    num(c(2), g('rxErrors')) +
    num(c(3), g('rxDropped')) +
    num(c(4), g('rxMissedErrors')) +
    num(c(5), g('multicast'));
  if (g('rxCompressed')) t += num(c(6), g('rxCompressed'));
  if (level > 1) {
    t += '\n';
    t += `    RX errors:${padStart('', c(0) - 10)} ${padStart('length', c(1))} ${padStart('crc', c(2))} ${padStart('frame', c(3))} ${padStart('fifo', c(4))} ${padStart('overrun', c(5))}`;
    t += g('rxNohandler') ? padStart(' nohandler', c(6) + 1) : '';
    t += g('rxOtherhostDropped') ? padStart(' otherhost', c(7) + 1) : '';
    t += '\n';
    t +=
      ' '.repeat(c(0) + 5) +
      num(c(1), g('rxLengthErrors')) +
      num(c(2), g('rxCrcErrors')) +
      num(c(3), g('rxFrameErrors')) +
      num(c(4), g('rxFifoErrors')) +
      num(c(5), g('rxOverErrors'));
    if (g('rxNohandler')) t += num(c(6), g('rxNohandler'));
    if (g('rxOtherhostDropped')) t += num(c(7), g('rxOtherhostDropped'));
  }
  return t;
}

/** The TX lines (and TX errors at -s -s). */
function txText(cols: number[], g: Get, level: number, carrierChanges: number | undefined): string {
  const c = (i: number) => cols[i]!;
  let t = '';
  t += `    TX: ${padStart('bytes', c(0) - 4)} ${padStart('packets', c(1))} ${padStart('errors', c(2))} ${padStart('dropped', c(3))} ${padStart('carrier', c(4))} ${padStart('collsns', c(5))} ${padStart(g('txCompressed') ? 'compressed' : '', c(6))}\n`;
  t +=
    '    ' +
    num(c(0), g('txBytes')) +
    num(c(1), g('txPackets')) +
    num(c(2), g('txErrors')) +
    num(c(3), g('txDropped')) +
    num(c(4), g('txCarrierErrors')) +
    num(c(5), g('collisions'));
  if (g('txCompressed')) t += num(c(6), g('txCompressed'));
  if (level > 1) {
    t += '\n';
    t += `    TX errors:${padStart('', c(0) - 10)} ${padStart('aborted', c(1))} ${padStart('fifo', c(2))} ${padStart('window', c(3))} ${padStart('heartbt', c(4))} ${padStart(carrierChanges !== undefined ? 'transns' : '', c(5))}\n`;
    t +=
      ' '.repeat(c(0) + 5) +
      num(c(1), g('txAbortedErrors')) +
      num(c(2), g('txFifoErrors')) +
      num(c(3), g('txWindowErrors')) +
      num(c(4), g('txHeartbeatErrors'));
    if (carrierChanges !== undefined) t += num(c(5), big(carrierChanges));
  }
  return t;
}
