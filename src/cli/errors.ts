/**
 * How failures look on the terminal, as ip shows them: one line, exit 2 for a kernel refusal,
 * exit 1 for bad arguments; a stack trace only when DEBUG is set.
 */
import { CliError, UsageError } from './context.js';
import { stdout } from './output.js';

type ErrorLike = Error & { code?: string; kernelMessage?: string; errno?: number; what?: string; key?: unknown; offset?: number };

export function reportError(err: unknown): number {
  const debug = !!process.env.DEBUG;
  const e = err as ErrorLike;
  if (err instanceof UsageError) {
    if (!err.message) {
      // `nlts help`, `nlts link help`: the usage, on stdout, success
      if (err.usage) stdout().write(err.usage + '\n');
      return 0;
    }
    process.stderr.write(err.message + '\n');
    // a message that already says where to look (ip's `..., try "ip link help".`) gets no second hint
    if (err.usage && !/try "nlts [^"]*"\.$/.test(err.message)) process.stderr.write(usageHint(err.usage) + '\n');
    return 1;
  }
  if (debug) process.stderr.write((e?.stack ?? String(err)) + '\n');
  if (err instanceof CliError) {
    process.stderr.write(err.message + '\n');
    return err.exitCode;
  }
  switch (e?.name) {
    case 'NetlinkError':
      process.stderr.write(kernelRefusal(e) + '\n');
      return 2;
    case 'NotFoundError': {
      const cause = (e as { cause?: unknown }).cause as ErrorLike | undefined;
      // A device named on the command line: ip looks names up itself and says so.
      if (e.what === 'link') {
        process.stderr.write(`Cannot find device "${String(e.key)}"\n`);
        return 1;
      }
      if (cause?.name === 'NetlinkError') {
        process.stderr.write(kernelRefusal(cause) + '\n');
        return 2;
      }
      process.stderr.write(`Error: ${e.message}.\n`);
      return 1;
    }
    case 'InvalidArgumentError':
    case 'EncodeError':
      process.stderr.write(`Error: ${e.message}\n`);
      return 1;
    case 'DecodeError':
      process.stderr.write(`nlts: malformed netlink data: ${e.message}\n`);
      return 1;
    case 'DumpInterruptedError':
      process.stderr.write('Dump was interrupted and may be inconsistent.\n');
      return 2;
    case 'NetlinkTimeoutError':
    case 'TransportError':
    case 'ConnectionClosedError':
      process.stderr.write(`nlts: ${e.message}\n`);
      return 2;
    default:
      if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') {
        process.stderr.write(`nlts: ${e.message}\n`);
        return 1;
      }
      if (!debug) process.stderr.write(`nlts: ${e?.message ?? String(err)}\n`);
      return 2;
  }
}

/** One line pointing at the full usage ("Try "nlts link help"."), or a short usage as is. */
export function usageHint(usage: string): string {
  const m = /^Usage: nlts (\w+)/.exec(usage);
  if (m) return `Try "nlts ${m[1]} help".`;
  if (/^Usage: nlts \[/.test(usage)) return 'Try "nlts help".';
  return usage;
}

/** ip: "Error: <extack message>." or "RTNETLINK answers: <strerror>". */
export function kernelRefusal(e: ErrorLike): string {
  if (e.kernelMessage) return `Error: ${e.kernelMessage.replace(/\.?$/, '.')}`;
  return `RTNETLINK answers: ${describeErrno(e)}`;
}

function describeErrno(e: { message: string; code?: string }): string {
  // NetlinkError.message is "op: CODE (Description)..."; ip prints just the description.
  const m = /\(([^)]+)\)/.exec(e.message);
  return m ? m[1]! : (e.code ?? e.message);
}
