/**
 * Starting the namespace helper: helper.cjs under util-linux nsenter (by absolute path), with an
 * empty environment and its request on stdin. Also what `netns exec` and `netns add` (manage.ts)
 * start the helper with.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSpec } from './helper-reply.js';
import { NamespaceError } from './errors.js';
import { systemProgram } from './system-program.js';

let helperPath: string | undefined;
/**
 * helper.cjs: next to this module (source tree); in dist/src/netns from the bundles (their modules'
 * import.meta.url is dist/src/cli/nlts.cjs or a file in dist/src/lib, scripts/lib-bundle.mjs); or in
 * src/netns when running a compiled copy from dist/.
 */
export function helperScript(): string {
  if (helperPath) return helperPath;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, 'helper.cjs'),
    path.join(here, '..', 'netns', 'helper.cjs'),
    path.join(here, '..', '..', '..', 'src', 'netns', 'helper.cjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new NamespaceError('', 'EHELPER', `netns helper script not found (looked in ${candidates.join(', ')})`);
  return (helperPath = found);
}

let ffiPath: string | null | undefined;
/** The ffi-rs this process loads, by absolute path: the helper has no NODE_PATH to find another one. */
export function helperFfiModule(): string | undefined {
  if (ffiPath === undefined) {
    try {
      ffiPath = createRequire(import.meta.url).resolve('ffi-rs');
    } catch {
      ffiPath = null; // the helper looks next to itself
    }
  }
  return ffiPath ?? undefined;
}

/**
 * The helpers' environment: none. Node reads NODE_OPTIONS (--require: code run as root), NODE_PATH,
 * NODE_EXTRA_CA_CERTS (~60 ms of start-up) and more from it, and the dynamic linker LD_PRELOAD;
 * the helper needs nothing from it (the ffi-rs path travels in the request).
 */
export function helperEnv(): NodeJS.ProcessEnv {
  return {};
}

/** nsenter into the first job's namespace, then node helper.cjs with the request on stdin; `fd` (an fd target) as its fd 4. */
export function spawnHelper(jobs: JobSpec[], theirs: number, fd: number | undefined): ChildProcess {
  // Under util-linux nsenter (absolute path): the helper starts in the first job's namespace, and
  // enters the others (and this one again, harmlessly) with setns() itself.
  // child_process on first use: every client imports this module, few start a helper (~1 ms of a CLI's start-up).
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child = spawn(systemProgram('nsenter', 'util-linux'), [`--net=${jobs[0]!.path}`, '--', process.execPath, helperScript()], {
    stdio: ['pipe', 'pipe', 'pipe', theirs, ...(fd !== undefined ? [fd] : [])],
    env: helperEnv(),
  });
  // The request goes on stdin: argv is world-readable (/proc/PID/cmdline) and limited to 128 KiB.
  child.stdin!.on('error', () => undefined); // a helper that died early is reported on 'close'
  child.stdin!.end(JSON.stringify({ ppid: process.pid, ffi: helperFfiModule(), jobs }));
  return child;
}
