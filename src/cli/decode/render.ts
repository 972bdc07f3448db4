/**
 * Annotated messages as text (one line per header, member and attribute, indented by nesting,
 * with byte offsets) or as JSON.
 */
import { formatValue } from '../../codec/format.js';
import type { AnnotatedMessage, Node } from './annotate.js';
import type { Datagram } from './input.js';

function valueText(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'object' && v !== null) return formatValue(v);
  return String(v);
}

function off(n: number): string {
  return `@${n}`.padEnd(6);
}

function nodeLines(n: Node, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  let head = `${off(n.offset)}${pad}${n.constant ? `${n.constant} ` : ''}${n.name}`;
  if (n.type !== undefined) head += ` (type ${n.type}${n.nlaFlags ? ', ' + n.nlaFlags.join('|') : ''}, ${n.length} bytes)`;
  else head += ` (${n.length} bytes)`;
  if (n.note) head += ` [${n.note}]`;
  if (n.children) {
    out.push(head);
    for (const c of n.children) nodeLines(c, depth + 1, out);
  } else out.push(`${head}: ${valueText(n.value)}`);
}

export function renderText(d: Datagram, msgs: AnnotatedMessage[]): string {
  const out: string[] = [];
  const where = d.fileOffset !== undefined ? `, file offset ${d.fileOffset}` : '';
  const time = d.timeUs !== undefined ? ` ${new Date(d.timeUs / 1000).toISOString()}` : '';
  out.push(`# ${d.source}${d.dir ? ` ${d.dir}` : ''}: ${d.bytes.length} bytes, ${msgs.length} message${msgs.length === 1 ? '' : 's'}${where}${time}`);
  for (const m of msgs) {
    const name = m.kind ?? `type ${m.type}`;
    out.push(`${off(m.offset)}${name} (nlmsghdr: len ${m.length}, type ${m.type}, flags ${m.flagNames}, seq ${m.seq}, pid ${m.pid})${m.family ? ` [${m.family}]` : ''}`);
    if (m.header) nodeLines(m.header, 1, out);
    if (m.error) {
      const e = m.error;
      out.push(`${off(m.offset + 16)}  ${e.errno === 0 ? 'ACK' : `error ${e.errno} ${e.code} (${e.text})`} for ${e.request.kind ?? `type ${e.request.type}`} seq ${e.request.seq}`);
      for (const x of e.ext ?? []) nodeLines(x, 1, out);
    }
    if (m.status !== undefined) out.push(`${off(m.offset + 16)}  status ${m.status}`);
    for (const a of m.attributes ?? []) nodeLines(a, 1, out);
    if (m.payload !== undefined) out.push(`${off(m.offset + 16)}  payload: ${m.payload}`);
  }
  return out.join('\n') + '\n';
}

/** JSON with bigints as numbers and bytes as hex. */
export function toJson(v: unknown, pretty: boolean): string {
  const marks: string[] = [];
  const s = JSON.stringify(
    v,
    (_k, x) => {
      if (typeof x === 'bigint') {
        marks.push(x.toString());
        return `\u0000big${marks.length - 1}\u0000`;
      }
      if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
      return x;
    },
    pretty ? 2 : undefined,
  );
  return s.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]!);
}

export function datagramJson(d: Datagram, msgs: AnnotatedMessage[]): unknown {
  return {
    index: d.index,
    source: d.source,
    ...(d.dir && { dir: d.dir }),
    length: d.bytes.length,
    ...(d.fileOffset !== undefined && { fileOffset: d.fileOffset }),
    ...(d.timeUs !== undefined && { time: new Date(d.timeUs / 1000).toISOString() }),
    messages: msgs,
  };
}
