/**
 * The CLI's output path for one-shot commands (src/cli/output.ts): write(2) on fd 1, no
 * process.stdout, and the stream only for what write(2) did not take. Run in child processes
 * whose stdout is a pipe read slowly, a non-blocking pipe, a pipe closed early, a file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LINES = 20_000;
const dir = mkdtempSync(path.join(tmpdir(), 'nlts-output-'));
/**
 * output.ts as plain JavaScript, for a child run by plain node: under tsx's loader (a thread of its
 * own) fd 1 is no longer blocking, which would leave the write(2) path untested.
 */
const OUTPUT = path.join(dir, 'output.mjs');
beforeAll(() => {
  const source = readFileSync(fileURLToPath(new URL('../../src/cli/output.ts', import.meta.url)), 'utf8');
  writeFileSync(OUTPUT, transformSync(source, { loader: 'ts', format: 'esm' }).code);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The child: `LINES` numbered lines (~1.3 MB), one writeOutSync each, then on stderr whether
 * process.stdout (a stream: Node's stream modules) was made. `nonBlocking`: fd 1 made O_NONBLOCK
 * first (a libuv pipe handle opened on it, no stream), so that write(2) meets EAGAIN.
 */
function child(nonBlocking: boolean): string {
  return `
    const d = Object.getOwnPropertyDescriptor(process, 'stdout');
    let made = false;
    Object.defineProperty(process, 'stdout', { configurable: true, enumerable: d.enumerable, get() { made = true; return d.get.call(process); } });
    process.on('exit', () => require('node:fs').writeSync(2, 'stdout made: ' + made));
    const { endQuietlyOnEpipe, writeOutSync } = await import(${JSON.stringify(OUTPUT)});
    endQuietlyOnEpipe();
    if (${nonBlocking}) { const p = process.binding('pipe_wrap'); new p.Pipe(p.constants.SOCKET).open(1); }
    for (let i = 0; i < ${LINES}; i++) writeOutSync(String(i).padStart(6, '0') + ' ' + 'x'.repeat(58) + '\\n');
  `;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the child with stdout to `stdout` (a file's fd) or a pipe read after `delayMs`, at most `take` bytes. */
function run(script: string, opts: { delayMs?: number; take?: number; stdout?: number } = {}): Promise<Run> {
  const prelude = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
  const c = spawn(process.execPath, ['--input-type=module', '-e', prelude + script], { stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
  let err = '';
  c.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const chunks: Buffer[] = [];
  if (c.stdout) {
    c.stdout.pause();
    setTimeout(() => {
      c.stdout!.on('data', (b: Buffer) => {
        chunks.push(b);
        if (opts.take !== undefined && Buffer.concat(chunks).length >= opts.take) c.stdout!.destroy();
        else {
          // a slow reader: a pause after every chunk
          c.stdout!.pause();
          setTimeout(() => c.stdout!.resume(), 1);
        }
      });
      c.stdout!.resume();
    }, opts.delayMs ?? 0);
  }
  return new Promise((resolve) => c.on('close', (code) => resolve({ code, out: Buffer.concat(chunks).toString('latin1'), err })));
}

function checkLines(out: string): void {
  const lines = out.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(LINES);
  for (let i = 0; i < LINES; i++) if (!lines[i]!.startsWith(String(i).padStart(6, '0') + ' ')) expect(lines[i]).toBe(`line ${i}`);
}

describe('CLI output of one-shot commands (write(2), stream only when needed)', () => {
  it('a large output into a pipe read slowly comes whole and in order, without process.stdout', async () => {
    const r = await run(child(false), { delayMs: 300 });
    expect(r.code).toBe(0);
    checkLines(r.out);
    expect(r.err).toBe('stdout made: false');
  }, 60_000);

  it('into a non-blocking pipe read slowly (EAGAIN), the stream takes the rest: whole and in order', async () => {
    const r = await run(child(true), { delayMs: 300 });
    expect(r.code).toBe(0);
    checkLines(r.out);
    expect(r.err).toBe('stdout made: true');
  }, 60_000);

  it('a reader that goes away early (`| head -c 10`) ends the output quietly, exit 0', async () => {
    for (const nonBlocking of [false, true]) {
      const r = await run(child(nonBlocking), { delayMs: 100, take: 10 });
      expect(r.code).toBe(0);
      expect(r.out.slice(0, 10)).toBe('000000 xxx');
      expect(r.err).not.toMatch(/Error|EPIPE/);
    }
  }, 60_000);

  it('into a file: whole and in order', async () => {
    const file = path.join(dir, 'out.txt');
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'w');
    try {
      const r = await run(child(false), { stdout: fd });
      expect(r.code).toBe(0);
      expect(r.err).toBe('stdout made: false');
    } finally {
      closeSync(fd);
    }
    checkLines(readFileSync(file, 'latin1'));
  }, 60_000);
});
