/** Failures to find or enter a network namespace. */

export type NamespaceErrorCode =
  /** No such namespace (no /run/netns/NAME, no such process, no such path). */
  | 'ENOENT'
  /** The path exists but is not a network namespace (e.g. a stale /run/netns entry that is not mounted). */
  | 'EINVAL'
  /** A namespace of that name already exists (add, attach). */
  | 'EEXIST'
  /** Not permitted (entering a namespace needs CAP_SYS_ADMIN). */
  | 'EPERM'
  /** The helper did not answer in time. */
  | 'ETIMEDOUT'
  /** Cancelled through an AbortSignal. */
  | 'ABORT_ERR'
  /** The helper (or nsenter / unshare / mount) failed. */
  | 'EHELPER';

export class NamespaceError extends Error {
  override readonly name = 'NamespaceError' as const;
  /** The namespace as the caller named it: a name, a path, "pid 1234" or "fd 7". */
  readonly namespace: string;
  readonly code: NamespaceErrorCode;
  constructor(namespace: string, code: NamespaceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.namespace = namespace;
    this.code = code;
  }
}

export function isNamespaceError(e: unknown): e is NamespaceError {
  return e instanceof Error && e.name === 'NamespaceError';
}
