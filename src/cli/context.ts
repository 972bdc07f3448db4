/**
 * What every `nlts` command gets: parsed global options, output, and a lazily opened client.
 * Commands live in src/cli/commands/<object>.ts and export `run(args, ctx)`.
 */
import type { NetlinkClient } from '../api/client.js';
import { NetlinkTsError } from '../errors/base.js';

export interface GlobalOptions {
  json: boolean;
  pretty: boolean;
  details: boolean;
  stats: number;
  family?: 'inet' | 'inet6';
  netns?: string;
  record?: string;
  /** Print numbers instead of names (ip -N / --numeric). */
  numeric: boolean;
}

export interface CliContext {
  options: GlobalOptions;
  /** Writes to stdout (a line each call unless it ends without newline). */
  out(text: string): void;
  /** Opens (once) the client for the selected namespace, recording if --record was given. */
  client(): Promise<NetlinkClient>;
}

export type CommandRun = (args: string[], ctx: CliContext) => Promise<number | undefined>;

/** Bad arguments: printed with a usage hint, exit status 1 (as ip does). */
export class UsageError extends NetlinkTsError {
  override readonly name = 'UsageError' as const;
  readonly usage?: string;
  constructor(message: string, usage?: string) {
    super(message);
    if (usage !== undefined) this.usage = usage;
  }
}

/** A failure with ip's wording and exit status (e.g. `Cannot find device "x"`, exit 1). */
export class CliError extends NetlinkTsError {
  override readonly name = 'CliError' as const;
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** iproute2's prefix matching of keywords: 'sh' matches 'show'. */
export function matches(word: string | undefined, keyword: string): boolean {
  return word !== undefined && word.length > 0 && keyword.startsWith(word);
}
