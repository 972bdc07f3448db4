/**
 * The base of every error netlink-ts throws. A leaf module: it imports nothing of the package, so
 * every layer (codec, transport, conn, netns, api...) can extend it without depending on another.
 */

/**
 * Marks the base's prototype. Symbol.for gives the same symbol in every copy of the package loaded
 * into one process, so isNetlinkTsError holds across copies where `instanceof` does not.
 */
const BRAND = Symbol.for('netlink-ts.error');

/**
 * An error of netlink-ts. Each subclass has a literal `name` ('NetlinkError', 'DecodeError'...)
 * and an `is...` guard; `code` and `errno` are there when the error has them (docs/errors.md).
 */
export abstract class NetlinkTsError extends Error {
  /** A short code: an errno name ('EEXIST', 'ENODEV') where the error has one. */
  declare readonly code?: string;
  /** The positive errno number, where the error comes from one. */
  declare readonly errno?: number;
}

Object.defineProperty(NetlinkTsError.prototype, BRAND, { value: true });

/** Any error thrown by netlink-ts (of this copy of the package or another). */
export function isNetlinkTsError(e: unknown): e is NetlinkTsError {
  return e instanceof Error && (e as unknown as Record<symbol, unknown>)[BRAND] === true;
}
