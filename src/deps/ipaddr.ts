/**
 * `ipaddr.js`, required rather than imported (see README.md here), and on first use: only IPv6 text
 * needs it (dotted quads parse by hand), so a process that reads no such text (`nlts link show`)
 * does not spend ~2 ms of its start-up finding and compiling it.
 */
import { createRequire } from 'node:module';
import type ipaddrType from 'ipaddr.js';

let loaded: typeof ipaddrType | undefined;

/** The ipaddr.js package, loaded the first time it is asked for. */
export default function ipaddr(): typeof ipaddrType {
  return (loaded ??= createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrType);
}
