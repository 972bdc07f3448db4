/**
 * Annotated messages as text (one line per header, member and attribute, indented by nesting,
 * with byte offsets) or as JSON.
 */
import { NETLINK_PROTOCOL_NAMES } from '../../../protocol/netlink.js';
import { formatValue } from '../../codec/format.js';
import type { AnnotatedMessage, ErrorRequest, Node } from './annotate.js';
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
  return renderHeader(d, msgs.length) + renderMessages(msgs);
}

function protocolName(p: number): string {
  return NETLINK_PROTOCOL_NAMES[p] ?? `netlink protocol ${p}`;
}

/** The datagram's line: where it came from, its protocol (unless rtnetlink), its size, how many messages. */
export function renderHeader(d: Datagram, count: number): string {
  const where = d.fileOffset !== undefined ? `, file offset ${d.fileOffset}` : '';
  const iso = isoTime(d.timeUs);
  const time = iso ? ` ${iso}` : d.timeError ? `, time invalid (${d.timeError})` : '';
  const proto = d.protocol ? ` (${protocolName(d.protocol)})` : '';
  return `# ${d.source}${d.dir ? ` ${d.dir}` : ''}${proto}: ${d.bytes.length} bytes, ${count} message${count === 1 ? '' : 's'}${where}${time}\n`;
}

/** A message's name: its spec name, a generic netlink family (by name once nlctrl named it) and command, or its type. */
function messageName(m: AnnotatedMessage): string {
  if (m.kind !== undefined) return m.kind;
  return m.genl ? `family ${m.family ?? m.genl.familyId} cmd ${m.genl.cmd}` : `type ${m.type}`;
}

function requestName(r: ErrorRequest): string {
  if (r.kind !== undefined) return r.kind;
  if (r.cmd !== undefined) return `family ${r.family ?? r.type} cmd ${r.cmd}`;
  return r.family !== undefined ? `family ${r.family}` : `type ${r.type}`;
}

/** After the header: the spec family, or why a generic netlink family has no name. */
function familyNote(m: AnnotatedMessage): string {
  if (m.kind !== undefined && m.family) return ` [${m.family}]`;
  return m.genl && m.family === undefined ? ' [not named by an nlctrl reply before it]' : '';
}

export function renderMessages(msgs: AnnotatedMessage[]): string {
  const out: string[] = [];
  for (const m of msgs) {
    const hdr = `nlmsghdr: len ${m.length}, type ${m.type}, flags ${m.flagNames}, seq ${m.seq}, pid ${m.pid}`;
    out.push(`${off(m.offset)}${messageName(m)} (${hdr})${familyNote(m)}`);
    if (m.header) nodeLines(m.header, 1, out);
    if (m.error) {
      const e = m.error;
      const what = e.errno === 0 ? 'ACK' : `error ${e.errno} ${e.code} (${e.text})`;
      out.push(`${off(m.offset + 16)}  ${what} for ${requestName(e.request)} seq ${e.request.seq}`);
      for (const x of e.ext ?? []) nodeLines(x, 1, out);
    }
    if (m.status !== undefined) out.push(`${off(m.offset + 16)}  status ${m.status}`);
    for (const a of m.attributes ?? []) nodeLines(a, 1, out);
    if (m.payload !== undefined) out.push(`${off(m.offset + 16)}  payload: ${m.payload}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
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

/** A capture time as ISO text; undefined when there is none or it is not a date. */
function isoTime(us: number | undefined): string | undefined {
  if (us === undefined) return undefined;
  const t = new Date(us / 1000);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** A datagram as JSON; `msgs` is [MESSAGE_PARTS] when its messages are written in parts. */
export function datagramJson(d: Datagram, msgs: readonly unknown[]): unknown {
  const time = isoTime(d.timeUs);
  return {
    index: d.index,
    source: d.source,
    ...(d.dir && { dir: d.dir }),
    ...(d.protocol !== undefined && { protocol: d.protocol, protocolName: protocolName(d.protocol) }),
    length: d.bytes.length,
    ...(d.fileOffset !== undefined && { fileOffset: d.fileOffset }),
    ...(time && { time }),
    ...(d.timeError !== undefined && { timeError: d.timeError }),
    messages: msgs,
  };
}

/** Stands for the messages in a datagram's JSON whose messages are written a part at a time. */
export const MESSAGE_PARTS = '\u0000parts\u0000';
const PARTS_JSON = JSON.stringify(MESSAGE_PARTS);

/**
 * A JSON array written an element at a time, each as it is made, so the output is never held
 * whole; an element's `messages` can also be written a part at a time (openParts, part,
 * closeParts). The text is toJson's of the whole array, except that each write ends a line:
 * compact output puts each element after the first (and each message of a parted element) on its
 * own line.
 */
export class JsonArrayWriter {
  /** The last text, held until it is known whether a comma follows. */
  private pending: string | undefined;
  private started = false;
  /** While an element's messages are being written: what closes them, how items are indented, how many. */
  private parts: { tail: string; indent: string; items: number } | undefined;

  constructor(
    private readonly out: (text: string) => void,
    private readonly pretty: boolean,
  ) {}

  push(value: unknown): void {
    this.begin(toJson(value, this.pretty));
  }

  /** Starts an element whose messages (given as [MESSAGE_PARTS]) follow in parts. */
  openParts(shell: unknown): void {
    const s = toJson(shell, this.pretty);
    const at = s.indexOf(PARTS_JSON);
    // pretty: "[", a line break and the items' indentation come before the mark; a line break after it
    const cut = this.pretty ? s.lastIndexOf('\n', at) : at;
    this.begin(s.slice(0, cut));
    this.parts = { tail: s.slice(at + PARTS_JSON.length + (this.pretty ? 1 : 0)), indent: this.pretty ? s.slice(cut + 1, at) : '', items: 0 };
  }

  part(items: unknown[]): void {
    const p = this.parts!;
    for (const m of items) {
      const t = toJson(m, this.pretty);
      this.flush(p.items++ ? ',' : '');
      this.pending = this.indent(this.pretty ? p.indent + t.replace(/\n/g, '\n' + p.indent) : t);
    }
  }

  closeParts(): void {
    if (!this.parts) return;
    this.flush('');
    this.pending = this.indent(this.parts.tail);
    this.parts = undefined;
  }

  /** Closes the array. After a failure, an array with no element is left unwritten (the error says why). */
  end(failed = false): void {
    this.closeParts();
    if (!this.started) {
      if (!failed) this.out('[]');
    } else this.flush(this.pretty ? '\n]' : ']');
  }

  private begin(text: string): void {
    const first = !this.started;
    if (first) {
      this.started = true;
      if (this.pretty) this.out('[');
    } else this.flush(',');
    this.pending = first && !this.pretty ? '[' + text : this.indent(text);
  }

  private flush(suffix: string): void {
    if (this.pending !== undefined) this.out(this.pending + suffix);
    this.pending = undefined;
  }

  /** Pretty: an element's lines are indented one level inside the array. */
  private indent(text: string): string {
    return this.pretty ? '  ' + text.replace(/\n/g, '\n  ') : text;
  }
}
