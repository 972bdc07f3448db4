/**
 * Reading a command's arguments the way iproute2 does: a cursor over argv, keywords matched by
 * prefix (`matches`), NEXT_ARG's "Command line is not complete", invarg's "argument is wrong".
 * Every mistake is a UsageError (exit 1) carrying the command's usage text.
 */
import { UsageError, matches } from './context.js';

export class Args {
  private i = 0;
  constructor(
    private readonly argv: readonly string[],
    /** Usage text shown with every error about these arguments. */
    readonly usage: string,
  ) {}

  get done(): boolean {
    return this.i >= this.argv.length;
  }

  peek(): string | undefined {
    return this.argv[this.i];
  }

  /** The next word (the current one is consumed). */
  next(): string | undefined {
    return this.argv[this.i++];
  }

  /** Rest of the words, consumed. */
  rest(): string[] {
    const r = this.argv.slice(this.i);
    this.i = this.argv.length;
    return r;
  }

  /** NEXT_ARG(): the value after a keyword, or "Command line is not complete". */
  value(keyword: string): string {
    const v = this.argv[this.i++];
    if (v === undefined) throw this.incomplete(keyword);
    return v;
  }

  /** The current word is `keyword` or a prefix of it (iproute2 `matches`); consumes it when true. */
  accept(keyword: string, minLength = 1): boolean {
    const w = this.argv[this.i];
    if (w !== undefined && w.length >= minLength && matches(w, keyword)) {
      this.i++;
      return true;
    }
    return false;
  }

  /** The current word is exactly `word`; consumes it when true. */
  acceptExact(...words: string[]): boolean {
    const w = this.argv[this.i];
    if (w !== undefined && words.includes(w)) {
      this.i++;
      return true;
    }
    return false;
  }

  /** ip names no keyword here ("Command line is not complete. Try option "help""). */
  incomplete(_after?: string): UsageError {
    return new UsageError('Command line is not complete. Try option "help"', this.usage);
  }

  /** invarg(): `Error: argument "VALUE" is wrong: WHAT`. */
  invalid(what: string, value: string): UsageError {
    return new UsageError(`Error: argument "${value}" is wrong: ${what}`, this.usage);
  }

  /** duparg2(key, word): a second value for `key`, or a word nothing expects. */
  garbage(word: string, key = word): UsageError {
    return new UsageError(`Error: either "${key}" is duplicate, or "${word}" is a garbage.`, this.usage);
  }

  unknownCommand(command: string, object: string): UsageError {
    return new UsageError(`Command "${command}" is unknown, try "nlts ${object} help".`, this.usage);
  }

  // ---- values ---------------------------------------------------------------------------------

  /** get_unsigned / get_u32 (decimal, 0x hex or 0 octal like strtoul base 0). */
  u32(keyword: string, max = 0xffffffff): number {
    const v = this.value(keyword);
    const n = parseUnsigned(v);
    if (n === undefined || n > max) throw this.invalid(`"${keyword}" value is invalid`, v);
    return n;
  }

  int(keyword: string, min: number, max: number): number {
    const v = this.value(keyword);
    const n = /^-?\d+$/.test(v) ? Number(v) : parseUnsigned(v);
    if (n === undefined || n < min || n > max) throw this.invalid(`"${keyword}" value is invalid`, v);
    return n;
  }
}

/** strtoul(s, 0): 0x.. hex, 0.. octal, decimal; undefined if anything else. */
export function parseUnsigned(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return parseInt(s.slice(1), 8);
  if (/^\d+$/.test(s)) return Number(s);
  return undefined;
}
