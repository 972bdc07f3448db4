/**
 * Throwaway namespaces for the netns tests, made and removed with the library itself
 * (addNetns / deleteNetns); `ip` only as the oracle. Names: nlts-t-<pid>-<tag><n>.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { addNetns, deleteNetns } from '../../src/netns/manage.js';
import { privileged, skipReason } from '../support/netns.js';

export { privileged, skipReason };
export const PREFIX = `nlts-t-${process.pid}-`;
let counter = 0;

export function uniqueName(tag = 'ns'): string {
  return `${PREFIX}${tag}${++counter}`;
}

/** Deletes a namespace name if it is still there, never throwing. */
export function removeNetns(name: string): void {
  try {
    if (existsSync(`/run/netns/${name}`)) deleteNetns(name);
  } catch {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // gone
    }
  }
}

/** Runs fn with `count` fresh namespaces (made by addNetns), always deleted afterwards. */
export async function withNamespaces<T>(count: number, fn: (...names: string[]) => Promise<T>, tag = 'ns'): Promise<T> {
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = uniqueName(tag);
      names.push(name);
      await addNetns(name);
    }
    return await fn(...names);
  } finally {
    for (const name of names) removeNetns(name);
  }
}

/** Waits until process PID runs `comm` (execNetns: the command has replaced the namespace helper). */
export async function execReady(pid: number | undefined, comm: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return;
    } catch {
      // not started yet, or gone
    }
    if (Date.now() > until) throw new Error(`process ${pid} did not exec ${comm} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `ip -n NAME -j ARGS` parsed (oracle). */
export function ipJson<T = any>(name: string, ...args: string[]): T {
  const out = execFileSync('ip', ['-n', name, '-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out || '[]') as T;
}

/** `ip ARGS` output (oracle). */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The root namespace's identity, to check that nothing there changed. */
export function rootSnapshot(): string {
  const links = JSON.parse(ip('-j', 'link', 'show')).map((l: any) => `${l.ifindex}:${l.ifname}:${l.flags.join(',')}:${l.mtu}`);
  const addrs = JSON.parse(ip('-j', 'addr', 'show')).flatMap((l: any) =>
    (l.addr_info ?? []).map((a: any) => `${l.ifname}:${a.local}/${a.prefixlen}`),
  );
  const routes = ip('route', 'show', 'table', 'all');
  return JSON.stringify({ links, addrs, routes });
}
