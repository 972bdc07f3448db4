/**
 * One-line text of a decoded message, for DEBUG=netlink:* traces: names, not hex.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage } from './message.js';

const FLAG_NAMES: [number, string][] = [
  [NLM_F.REQUEST, 'REQUEST'],
  [NLM_F.MULTI, 'MULTI'],
  [NLM_F.ACK, 'ACK'],
  [NLM_F.ECHO, 'ECHO'],
  [NLM_F.DUMP_INTR, 'DUMP_INTR'],
  [NLM_F.DUMP_FILTERED, 'DUMP_FILTERED'],
];

export function formatNlmsgFlags(flags: number, kind?: string): string {
  const out: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) out.push(name);
  const high = flags & 0xf00;
  if (high) {
    if (kind?.startsWith('get')) out.push((high & 0x300) === 0x300 ? 'DUMP' : `0x${high.toString(16)}`);
    else if (kind?.startsWith('new')) {
      if (high & NLM_F.REPLACE) out.push('REPLACE');
      if (high & NLM_F.EXCL) out.push('EXCL');
      if (high & NLM_F.CREATE) out.push('CREATE');
      if (high & NLM_F.APPEND) out.push('APPEND');
    } else if (kind === 'error' || kind === 'done') {
      if (high & NLM_F.CAPPED) out.push('CAPPED');
      if (high & NLM_F.ACK_TLVS) out.push('ACK_TLVS');
    } else out.push(`0x${high.toString(16)}`);
  }
  return out.join(',') || '0';
}

export function formatValue(v: unknown, depth = 0): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return String(v);
  if (v instanceof Uint8Array)
    return `<${Array.from(v.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join('')}${v.length > 32 ? `...(${v.length} bytes)` : ''}>`;
  if (depth > 8) return '{...}';
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, depth + 1)).join(' ')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    if (k === 'unknown' && Array.isArray(x)) {
      for (const u of x as { type: number; data: Uint8Array }[]) parts.push(`?${u.type}=${formatValue(u.data, depth + 1)}`);
      continue;
    }
    parts.push(
      typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array)
        ? `${k}{${formatValue(x, depth + 1).slice(1, -1)}}`
        : `${k}=${formatValue(x, depth + 1)}`,
    );
  }
  return `{${parts.join(' ')}}`;
}

export function formatMessage(m: NetlinkMessage): string {
  const head = `${m.kind ?? `type ${m.type}`} seq=${m.seq} pid=${m.pid} flags=${formatNlmsgFlags(m.flags, m.kind)}`;
  if (m.error) {
    const e = m.error;
    const ext = e.ext ? ' ' + formatValue(e.ext) : '';
    return `${head} errno=${e.errno}${e.errno === 0 ? ' (ack)' : ''} for type ${e.request.type} seq ${e.request.seq}${ext}`;
  }
  if (m.status !== undefined) return `${head} status=${m.status}`;
  if (m.payload) return `${head} payload=${formatValue(m.payload)}`;
  const hdr = m.header ? ` ${formatValue(m.header)}` : '';
  const attrs = m.attrs ? ' ' + formatValue(m.attrs).slice(1, -1) : '';
  return `${head}${hdr}${attrs}`;
}
