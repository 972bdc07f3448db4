/** Errors of declarative topologies: a bad file (before anything changes) and a failed apply (after rollback). */
import { InvalidArgumentError, NetlinkTsError } from '../errors/index.js';
import type { Change } from './types.js';

/** The errors topologyFileError made (within this copy of the package). */
const FILE_ERRORS = new WeakSet<Error>();

/**
 * Something wrong in a topology file, found before anything was changed: an InvalidArgumentError
 * whose `argument` is the entry's path and whose message starts with it: `namespaces.c1.links[0].peer.netns:
 * no such namespace in the file or on the host`.
 */
export function topologyFileError(path: string, value: unknown, reason: string): InvalidArgumentError {
  const e = new InvalidArgumentError(path || 'topology file', value, reason);
  e.message = path ? `${path}: ${reason}` : reason;
  FILE_ERRORS.add(e);
  return e;
}

/** An InvalidArgumentError made by topologyFileError (its `argument` is the entry's path). */
export function isTopologyFileError(e: unknown): e is InvalidArgumentError {
  return madeForFile(e);
}

/** The same test as a plain boolean (no narrowing), for code that has narrowed the error already. */
export function madeForFile(e: unknown): boolean {
  return e instanceof Error && FILE_ERRORS.has(e);
}

/**
 * An apply that failed part-way. Everything it had done was undone in reverse order before this
 * was thrown (`rolledBack`); undo steps that failed too are in `undoErrors`. `cause` is the error
 * of the failing step, usually a NetlinkError with the kernel's message.
 */
export class TopologyApplyError extends NetlinkTsError {
  override readonly name = 'TopologyApplyError' as const;
  /** The entry of the file the failing change came from ('' for a --prune deletion). */
  readonly path: string;
  readonly change: Change;
  /** Changes made and then undone. */
  readonly undone: Change[];
  /** True when every undo succeeded: the state is what it was before apply. */
  readonly rolledBack: boolean;
  readonly undoErrors: Error[];
  declare readonly code?: string;
  declare readonly errno?: number;

  constructor(change: Change, cause: unknown, undone: Change[], undoErrors: Error[]) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const where = change.path ? `${change.path}: ` : '';
    const ns = change.netns === '.' ? '' : ` in ${change.netns}`;
    const tail = undoErrors.length ? `; ${undoErrors.length} undo step(s) failed too, the first: ${undoErrors[0]!.message}` : '';
    super(`${where}${change.op} ${change.kind} ${change.name}${ns}: ${why}${tail}`, { cause });
    this.path = change.path ?? '';
    this.change = change;
    this.undone = undone;
    this.rolledBack = undoErrors.length === 0;
    this.undoErrors = undoErrors;
    const c = cause as { code?: unknown; errno?: unknown } | undefined;
    if (typeof c?.code === 'string') this.code = c.code;
    if (typeof c?.errno === 'number') this.errno = c.errno;
  }
}

export function isTopologyApplyError(e: unknown): e is TopologyApplyError {
  return e instanceof Error && e.name === 'TopologyApplyError';
}
