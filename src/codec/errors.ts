/**
 * Typed codec errors. Decoders never throw anything else on malformed input: a truncated buffer,
 * an nla_len of 0, a length past the end or nesting too deep all become a DecodeError naming
 * where it happened (attribute path) and the byte offset from the start of the decoded buffer.
 */
import { NetlinkTsError } from '../errors/base.js';

/** An error located by an attribute path that enclosing (de)coders extend as it unwinds. */
abstract class PathError extends NetlinkTsError {
  /** Segments from the outside in, e.g. ['rt-link:newlink', 'linkinfo', 'data', '(veth)', 'peer', 'ifname']. */
  readonly path: string[];
  /** What was wrong, without the location (the message adds it). */
  readonly reason: string;

  constructor(reason: string, path: string[], options?: { cause?: unknown }) {
    super('', options);
    this.reason = reason;
    this.path = path;
  }

  /** Called by enclosing decoders/encoders as the error unwinds, so the path costs nothing until a failure. */
  withOuter(segment: string): this {
    this.path.unshift(segment);
    this.message = this.describe();
    return this;
  }

  protected abstract describe(): string;
}

export class DecodeError extends PathError {
  override readonly name = 'DecodeError' as const;
  /** Byte offset, from the start of the buffer given to the decoder, where the problem is. */
  readonly offset: number;

  constructor(reason: string, offset: number, path: string[] = [], options?: { cause?: unknown }) {
    super(reason, path, options);
    this.offset = offset;
    this.message = this.describe();
  }

  protected describe(): string {
    const where = this.path.length > 0 ? ` at ${this.path.join('/')}` : '';
    return `${this.reason}${where} (offset ${this.offset})`;
  }
}

/** A value the caller asked to encode does not fit its attribute (wrong type, out of range...). */
export class EncodeError extends PathError {
  override readonly name = 'EncodeError' as const;

  constructor(reason: string, path: string[] = [], options?: { cause?: unknown }) {
    super(reason, path, options);
    this.message = this.describe();
  }

  protected describe(): string {
    return this.path.length > 0 ? `${this.path.join('/')}: ${this.reason}` : this.reason;
  }
}

/**
 * A protocol spec that is not valid data: found when the spec is compiled, before any decoder is
 * generated from it. The path leads from the family through the spec's own keys to the bad value,
 * e.g. ['rt-link', 'definitions', 'ifinfomsg', 'index', 'type'].
 */
export class SpecError extends PathError {
  override readonly name = 'SpecError' as const;

  constructor(reason: string, path: string[], options?: { cause?: unknown }) {
    super(reason, path, options);
    this.message = this.describe();
  }

  protected describe(): string {
    const [family, ...rest] = this.path;
    return `spec ${family ?? '?'}${rest.length > 0 ? `, ${rest.join('.')}` : ''}: ${this.reason}`;
  }
}

export function isSpecError(e: unknown): e is SpecError {
  return e instanceof Error && e.name === 'SpecError';
}

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof Error && e.name === 'DecodeError';
}

export function isEncodeError(e: unknown): e is EncodeError {
  return e instanceof Error && e.name === 'EncodeError';
}
