/**
 * Typed codec errors. Decoders never throw anything else on malformed input: a truncated buffer,
 * an nla_len of 0, a length past the end or nesting too deep all become a DecodeError naming
 * where it happened (attribute path) and the byte offset from the start of the decoded buffer.
 */

export class DecodeError extends Error {
  override readonly name = 'DecodeError' as const;
  /** Segments from the outside in, e.g. ['rt-link', 'linkinfo', 'data(veth)', 'peer', 'ifname']. */
  readonly path: string[];
  /** Byte offset, from the start of the buffer given to the decoder, where the problem is. */
  readonly offset: number;
  /** What was wrong, without the location (the message adds it). */
  readonly reason: string;

  constructor(reason: string, offset: number, path: string[] = [], options?: { cause?: unknown }) {
    super('', options);
    this.reason = reason;
    this.offset = offset;
    this.path = path;
    this.message = this.describe();
  }

  /** Called by enclosing decoders as the error unwinds, so the path is built only on failure. */
  withOuter(segment: string): this {
    this.path.unshift(segment);
    this.message = this.describe();
    return this;
  }

  private describe(): string {
    const where = this.path.length > 0 ? ` at ${this.path.join('/')}` : '';
    return `${this.reason}${where} (offset ${this.offset})`;
  }
}

/** A value the caller asked to encode does not fit its attribute (wrong type, out of range...). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError' as const;
  readonly path: string[];
  readonly reason: string;

  constructor(reason: string, path: string[] = [], options?: { cause?: unknown }) {
    super('', options);
    this.reason = reason;
    this.path = path;
    this.message = this.describe();
  }

  withOuter(segment: string): this {
    this.path.unshift(segment);
    this.message = this.describe();
    return this;
  }

  private describe(): string {
    return this.path.length > 0 ? `${this.path.join('/')}: ${this.reason}` : this.reason;
  }
}

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof Error && e.name === 'DecodeError';
}

export function isEncodeError(e: unknown): e is EncodeError {
  return e instanceof Error && e.name === 'EncodeError';
}
