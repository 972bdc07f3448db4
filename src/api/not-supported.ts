/**
 * NotSupportedError: the device (its driver) does not implement what was asked, EOPNOTSUPP from the
 * kernel. ethtool operations are optional per driver: a veth has features and channels but no
 * ring sizes, so `ethtool.rings('veth0')` fails with this, not with a bare NetlinkError.
 */
import { NetlinkTsError } from '../errors/base.js';

/** A device that does not support an operation; the kernel's NetlinkError is the `cause`. */
export class NotSupportedError extends NetlinkTsError {
  override readonly name = 'NotSupportedError' as const;
  /** What was asked: 'rings', 'setChannels'... */
  readonly operation: string;
  /** The device, as the caller named it. */
  readonly device: string | number;
  override readonly errno = 95;
  override readonly code = 'EOPNOTSUPP';
  /** The kernel's extended-ack text, when it gave one. */
  readonly kernelMessage?: string;

  constructor(operation: string, device: string | number, options?: { cause?: unknown }) {
    const kernelMessage = (options?.cause as { kernelMessage?: unknown } | undefined)?.kernelMessage;
    const dev = typeof device === 'string' ? JSON.stringify(device) : String(device);
    super(
      `${operation} of ${dev}: not supported by the device${typeof kernelMessage === 'string' ? `: ${kernelMessage}` : ''} (EOPNOTSUPP)`,
      options,
    );
    this.operation = operation;
    this.device = device;
    if (typeof kernelMessage === 'string') this.kernelMessage = kernelMessage;
  }
}

/** `err` as a NotSupportedError when it is the kernel's EOPNOTSUPP, else `err` unchanged. */
export function notSupportedOr(err: unknown, operation: string, device: string | number): unknown {
  const e = err as { name?: unknown; code?: unknown } | null | undefined;
  return e?.name === 'NetlinkError' && e.code === 'EOPNOTSUPP' ? new NotSupportedError(operation, device, { cause: err }) : err;
}

export function isNotSupportedError(e: unknown): e is NotSupportedError {
  return e instanceof Error && e.name === 'NotSupportedError';
}
