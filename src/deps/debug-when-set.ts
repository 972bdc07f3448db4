/**
 * `debug` as the CLI bundle has it (scripts/build.mjs puts this module in place of debug.ts there):
 * loaded only when DEBUG is set when the process starts. Nothing in the CLI calls debug.enable(),
 * so without DEBUG no namespace can ever be on, and loading the package (module lookups, its tty
 * and util setup, a failed optional require of supports-color) would be start-up spent on nothing.
 * The library keeps debug.ts: a program using it may enable namespaces at any time.
 */
import { createRequire } from 'node:module';
import type createDebugType from 'debug';

type CreateDebug = typeof createDebugType;

/** A logger that is off: what `debug` hands out for a namespace DEBUG does not name. */
function off(namespace: string): ReturnType<CreateDebug> {
  const log = Object.assign(() => undefined, { enabled: false, namespace, extend: (sub: string, sep = ':') => off(namespace + sep + sub) });
  return log as unknown as ReturnType<CreateDebug>;
}

export function debugWhenSet(env: NodeJS.ProcessEnv, load: () => CreateDebug): CreateDebug {
  return env.DEBUG ? load() : (off as unknown as CreateDebug);
}

const createDebug = debugWhenSet(process.env, () => createRequire(import.meta.url)('debug') as CreateDebug);
export default createDebug;
