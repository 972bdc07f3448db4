/**
 * Errors of request/response traffic. Each has a literal `name` and an `is...` guard, because
 * `instanceof` fails when two copies of the package are installed.
 */
import type { OutgoingMessage } from '../codec/message.js';
import { NetlinkTsError } from '../errors/base.js';
import { ERRNO } from './errno-table.js';

/** errno -> { code: 'EEXIST', description: 'File exists' } (glibc's words, as ip prints them). */
export function errnoInfo(errno: number): { code: string; description: string } {
  const entry = ERRNO[Math.abs(errno)];
  if (entry) return { code: entry[0], description: entry[1] };
  return { code: `E${errno}`, description: `Unknown error ${errno}` };
}

/** errno number for a name ('EEXIST' -> 17). */
export function errnoByName(code: string): number | undefined {
  for (const [n, [name]] of Object.entries(ERRNO)) if (name === code) return Number(n);
  return undefined;
}

export interface NetlinkErrorDetails {
  errno: number;
  /** Message the request sent, e.g. 'newlink'. */
  operation: string;
  seq: number;
  /** The kernel's extended-ack text, when it gave one. */
  kernelMessage?: string;
  /** Offset of the offending attribute in the request, from the extended ack. */
  offset?: number;
  /** Attribute the offset points at, named through the spec (e.g. 'linkinfo/data/peer'). */
  attribute?: string;
  /** Type of a required attribute the kernel found missing. */
  missingAttribute?: string;
  /** The request that was refused. */
  request?: OutgoingMessage;
}

/** The kernel refused a request (NLMSG_ERROR with a non-zero errno, or a dump ended in error). */
export class NetlinkError extends NetlinkTsError {
  override readonly name = 'NetlinkError' as const;
  override readonly errno: number;
  /** errno name: 'EEXIST', 'ENODEV'... */
  override readonly code: string;
  readonly operation: string;
  readonly seq: number;
  readonly kernelMessage?: string;
  readonly offset?: number;
  readonly attribute?: string;
  readonly missingAttribute?: string;
  readonly request?: OutgoingMessage;

  constructor(d: NetlinkErrorDetails) {
    const { code, description } = errnoInfo(d.errno);
    const parts = [`${d.operation}: ${code} (${description})`];
    if (d.kernelMessage) parts.push(d.kernelMessage);
    if (d.attribute) parts.push(`[attribute ${d.attribute}]`);
    if (d.missingAttribute) parts.push(`[missing attribute ${d.missingAttribute}]`);
    super(parts.join(': ').replace(/: \[/g, ' ['));
    this.errno = d.errno;
    this.code = code;
    this.operation = d.operation;
    this.seq = d.seq;
    if (d.kernelMessage !== undefined) this.kernelMessage = d.kernelMessage;
    if (d.offset !== undefined) this.offset = d.offset;
    if (d.attribute !== undefined) this.attribute = d.attribute;
    if (d.missingAttribute !== undefined) this.missingAttribute = d.missingAttribute;
    if (d.request !== undefined) this.request = d.request;
  }
}

/** A dump stayed inconsistent (NLM_F_DUMP_INTR) after every retry. Carries the last partial result. */
export class DumpInterruptedError extends NetlinkTsError {
  override readonly name = 'DumpInterruptedError' as const;
  readonly operation: string;
  readonly attempts: number;
  readonly partial: unknown[];

  constructor(operation: string, attempts: number, partial: unknown[]) {
    super(`${operation}: dump was interrupted by concurrent changes ${attempts} times in a row (NLM_F_DUMP_INTR); results would be inconsistent`);
    this.operation = operation;
    this.attempts = attempts;
    this.partial = partial;
  }
}

/** No answer in time, or the caller aborted. */
export class NetlinkTimeoutError extends NetlinkTsError {
  override readonly name = 'NetlinkTimeoutError' as const;
  readonly operation: string;
  readonly timeoutMs: number;
  constructor(operation: string, timeoutMs: number) {
    super(`${operation}: no reply from the kernel within ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

export class ConnectionClosedError extends NetlinkTsError {
  override readonly name = 'ConnectionClosedError' as const;
  constructor(reason = 'connection closed', options?: { cause?: unknown }) {
    super(reason, options);
  }
}

export function isNetlinkError(e: unknown): e is NetlinkError {
  return e instanceof Error && e.name === 'NetlinkError';
}
export function isDumpInterruptedError(e: unknown): e is DumpInterruptedError {
  return e instanceof Error && e.name === 'DumpInterruptedError';
}
export function isNetlinkTimeoutError(e: unknown): e is NetlinkTimeoutError {
  return e instanceof Error && e.name === 'NetlinkTimeoutError';
}
export function isConnectionClosedError(e: unknown): e is ConnectionClosedError {
  return e instanceof Error && e.name === 'ConnectionClosedError';
}
