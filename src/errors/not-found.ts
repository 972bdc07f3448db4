/** An object that does not exist; thrown by the API, generic netlink and the sysctl helpers. */
import { NetlinkTsError } from './base.js';

/** What NotFoundError names: the object kinds whose absence the kernel reports. */
export type NotFoundWhat = 'link' | 'address' | 'route' | 'route to' | 'neighbour' | 'proxy neighbour' | 'rule' | 'altname' | (string & {});

/**
 * A link, address, route, neighbour or rule that does not exist. From the kernel's refusal it
 * carries the kernel's `errno` and `code` (and the NetlinkError as `cause`).
 */
export class NotFoundError extends NetlinkTsError {
  override readonly name = 'NotFoundError' as const;
  readonly what: NotFoundWhat;
  readonly key: string | number;
  /** The kernel's errno when it said so (19 for ENODEV...); undefined when found absent here. */
  declare readonly errno?: number;
  /** Its name: 'ENODEV', 'EADDRNOTAVAIL', 'ESRCH', 'ENOENT', 'ENETUNREACH'. */
  declare readonly code?: string;
  constructor(what: NotFoundWhat, key: string | number, options?: { cause?: unknown }) {
    super(`${what} ${typeof key === 'string' ? JSON.stringify(key) : key} does not exist`, options);
    this.what = what;
    this.key = key;
    const cause = options?.cause as { name?: unknown; errno?: unknown; code?: unknown } | undefined;
    if (cause?.name === 'NetlinkError') {
      this.errno = cause.errno as number;
      this.code = cause.code as string;
    }
  }
}

export function isNotFoundError(e: unknown): e is NotFoundError {
  return e instanceof Error && e.name === 'NotFoundError';
}
