/**
 * Errors of nftables transactions. The kernel runs a whole batch before it answers and reports
 * every command it refused; NftTransactionError keeps each refusal (a NetlinkError, with the
 * extended ack) and takes its own `code`, `errno`, `kernelMessage` and `attribute` from the first,
 * so `isNetlinkTsError(err) && err.code === 'EEXIST'` reads it like any kernel refusal.
 */
import type { NetlinkError } from '../conn/errors.js';
import { NetlinkTsError } from '../errors/base.js';

/** One refused command of a transaction. */
export interface NftCommandFailure {
  /** Index of the command in the transaction; undefined when the kernel refused the batch as a whole. */
  index: number | undefined;
  /** Its message: 'newrule', 'delchain'... ('batch' for the batch as a whole). */
  kind: string;
  /** The caller's name for the object (NftCommand.label), when given. */
  label?: string;
  /** The kernel's answer: errno, extended-ack text, the attribute it points at, the request. */
  error: NetlinkError;
}

/**
 * The kernel refused an nftables transaction: nothing of it was applied. `failures` lists every
 * refusal in command order; the message names the first (its index, kind, label, errno, the
 * kernel's text and attribute) and the rest after it. `cause` is the first refusal's NetlinkError.
 */
export class NftTransactionError extends NetlinkTsError {
  override readonly name = 'NftTransactionError' as const;
  override readonly errno: number;
  override readonly code: string;
  /** Every refusal, in command order. */
  readonly failures: readonly NftCommandFailure[];
  /** Index of the first refused command (undefined: the batch as a whole). */
  readonly index: number | undefined;
  /** Its kind ('batch' for the batch as a whole) and label. */
  readonly kind: string;
  readonly label?: string;
  /** The first refusal's extended ack: the kernel's text and the attribute it points at. */
  readonly kernelMessage?: string;
  readonly attribute?: string;

  constructor(failures: readonly NftCommandFailure[]) {
    const first = failures[0]!;
    const more = failures.length - 1;
    const rest = more > 0 ? ` (and ${more} more: ${failures.slice(1).map(describeFailure).join('; ')})` : '';
    super(`nftables transaction refused, nothing applied: ${describeFailure(first)}${rest}`, { cause: first.error });
    const e = first.error;
    this.errno = e.errno;
    this.code = e.code;
    this.failures = failures;
    this.index = first.index;
    this.kind = first.kind;
    if (first.label !== undefined) this.label = first.label;
    if (e.kernelMessage !== undefined) this.kernelMessage = e.kernelMessage;
    if (e.attribute !== undefined) this.attribute = e.attribute;
  }
}

/** 'command 3 (newrule "inet filter input #2"): ENOENT (No such file or directory): text [attribute chain]'. */
export function describeFailure(f: NftCommandFailure): string {
  const what = f.index === undefined ? 'the batch' : `command ${f.index} (${f.kind}${f.label !== undefined ? ` ${JSON.stringify(f.label)}` : ''})`;
  // The NetlinkError's message starts with its operation, already named above.
  const detail = f.error.message.startsWith(`${f.error.operation}: `) ? f.error.message.slice(f.error.operation.length + 2) : f.error.message;
  return `${what}: ${detail}`;
}

export function isNftTransactionError(e: unknown): e is NftTransactionError {
  return e instanceof Error && e.name === 'NftTransactionError';
}
