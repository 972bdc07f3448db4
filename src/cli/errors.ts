/**
 * How failures look on the terminal, as ip shows them: one line, exit 2 for a kernel refusal,
 * exit 1 for bad arguments; a stack trace only when DEBUG is set.
 */
import { UsageError } from './context.js';

export function reportError(err: unknown): number {
  const debug = !!process.env.DEBUG;
  const e = err as Error & { code?: string; kernelMessage?: string; errno?: number };
  if (err instanceof UsageError) {
    if (err.message) process.stderr.write(err.message + '\n');
    if (err.usage) process.stderr.write(err.usage + '\n');
    return err.message ? 1 : 0;
  }
  if (debug) process.stderr.write((e?.stack ?? String(err)) + '\n');
  switch (e?.name) {
    case 'NetlinkError': {
      // ip: "RTNETLINK answers: File exists" / "Error: <extack message>."
      const text = e.kernelMessage ? `Error: ${e.kernelMessage.replace(/\.?$/, '.')}` : `RTNETLINK answers: ${describeErrno(e)}`;
      process.stderr.write(text + '\n');
      return 2;
    }
    case 'InvalidArgumentError':
    case 'EncodeError':
      process.stderr.write(`Error: ${e.message}\n`);
      return 1;
    case 'NotFoundError':
      process.stderr.write(`Error: ${e.message}.\n`);
      return 1;
    default:
      if (!debug) process.stderr.write(`nlts: ${e?.message ?? String(err)}\n`);
      return 2;
  }
}

function describeErrno(e: { message: string; code?: string }): string {
  // NetlinkError.message is "op: CODE (Description)..."; ip prints just the description.
  const m = /\(([^)]+)\)/.exec(e.message);
  return m ? m[1]! : (e.code ?? e.message);
}
