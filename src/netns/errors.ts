/** Failures to find or enter a network namespace. */
import { errnoInfo } from '../conn/errors.js';
import { NetlinkTsError } from '../errors/base.js';

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

export class NamespaceError extends NetlinkTsError {
  override readonly name = 'NamespaceError' as const;
  /** The namespace as the caller named it: a name, a path, "pid 1234" or "fd 7". */
  readonly namespace: string;
  override readonly code: NamespaceErrorCode;
  constructor(namespace: string, code: NamespaceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.namespace = namespace;
    this.code = code;
  }
}

export function isNamespaceError(e: unknown): e is NamespaceError {
  return e instanceof Error && e.name === 'NamespaceError';
}

/** 'EPERM (Operation not permitted)': an errno as messages show it (glibc's words, as ip prints them). */
export function describeErrno(errno: number): string {
  const { code, description } = errnoInfo(errno);
  return `${code} (${description})`;
}

/** EPERM for "not allowed" errnos (EPERM, EACCES), else the fallback. */
export function permissionCode<T extends NamespaceErrorCode>(errno: number | undefined, otherwise: T): T | 'EPERM' {
  return errno === 1 || errno === 13 ? 'EPERM' : otherwise;
}
