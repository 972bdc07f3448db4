/** Errors of the byte seam: a syscall that failed, or a socket that is gone. */
import { NetlinkTsError } from '../errors/base.js';

export class TransportError extends NetlinkTsError {
  override readonly name = 'TransportError' as const;
  /** The libc call or operation that failed ('socket', 'bind', 'setsockopt(SO_RCVBUF)', 'read'...). */
  readonly syscall: string;
  declare readonly errno?: number;
  declare readonly code?: string;

  constructor(message: string, syscall: string, errno?: number, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.syscall = syscall;
    if (errno !== undefined) this.errno = errno;
    if (code !== undefined) this.code = code;
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof Error && e.name === 'TransportError';
}
