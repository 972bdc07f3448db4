/**
 * The CLI's stdout. One-shot commands write with write(2) (fs.writeSync) and never make
 * process.stdout: that stream loads Node's stream modules, ~1.3 ms of a one-shot start. fd 1 is
 * then as the shell gave it, normally blocking, so a slow reader holds the write (as for ip). What
 * write(2) does not take (EAGAIN on a non-blocking fd, EPIPE, any failure) goes to process.stdout,
 * and so does everything after it: the stream retries and fails as it always did, in order.
 * Long-running commands (monitor) write through the stream from the start.
 */
import { writeSync } from 'node:fs';

let stream: NodeJS.WriteStream | undefined;
let epipeQuiet = false;

/** A real run: a closed pipe (`nlts ... | head`) ends the output quietly, as for ip. */
export function endQuietlyOnEpipe(): void {
  epipeQuiet = true;
  if (stream !== undefined) stream.on('error', onError);
}

function onError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}

/** process.stdout, made on first use (with the EPIPE handling of a real run). */
export function stdout(): NodeJS.WriteStream {
  if (stream === undefined) {
    stream = process.stdout;
    if (epipeQuiet) stream.on('error', onError);
  }
  return stream;
}

/** Writes `text` with write(2) while that works, through stdout() once it did not or the stream exists. */
export function writeOutSync(text: string): void {
  if (stream !== undefined) {
    stream.write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let at = 0;
  try {
    for (let n = 1; at < bytes.length && n > 0; at += n) n = writeSync(1, bytes, at);
  } catch {
    // the stream writes the rest, and reports a failure as it does
  }
  if (at < bytes.length) stdout().write(bytes.subarray(at));
}
