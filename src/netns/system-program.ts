/**
 * System programs by absolute path. This library runs as root and `npm run` puts node_modules/.bin
 * first in PATH, so a program is never looked up through the caller's PATH: only in the system
 * directories, and only a regular executable that no one but root (or this user) can change.
 */
import { statSync } from 'node:fs';
import { NamespaceError } from './errors.js';

const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
const programs = new Map<string, string>();

/**
 * A system program by absolute path, never through PATH (`npm run` puts node_modules/.bin first,
 * and this runs as root): the first regular executable file of that name in SYSTEM_DIRS that no
 * one but root (or this user) can change.
 */
export function systemProgram(name: string, pkg: string): string {
  const known = programs.get(name);
  if (known) return known;
  for (const dir of SYSTEM_DIRS) {
    try {
      const st = statSync(`${dir}/${name}`);
      if (st.isFile() && st.mode & 0o111 && !(st.mode & 0o022) && (st.uid === 0 || st.uid === process.getuid?.())) {
        programs.set(name, `${dir}/${name}`);
        return `${dir}/${name}`;
      }
    } catch {
      // not there
    }
  }
  throw new NamespaceError('', 'EHELPER', `${name} (${pkg}) was not found in ${SYSTEM_DIRS.join(', ')} (it is never looked up through PATH)`);
}
