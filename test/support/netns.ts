/**
 * Throwaway network namespaces for integration tests. Every test namespace is named
 * nlts-t-<pid>-<n>, created with `ip netns add` (tests may use ip; the library never does) and
 * removed in finally. Sockets are opened inside with the library's setns entry (src/netns).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { enterBySetns } from '../../src/netns/enter.js';
import { resolveNetns } from '../../src/netns/target.js';

let counter = 0;
export const TEST_NS_PREFIX = `nlts-t-${process.pid}-`;

function probe(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: integration tests need CAP_SYS_ADMIN to create network namespaces (run as root, as CI does)';
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip') && !existsSync('/usr/bin/ip'))
    return 'iproute2 (ip) is not installed; it is the test oracle';
  const name = `${TEST_NS_PREFIX}probe`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot create network namespaces here: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Why privileged tests are skipped, or undefined when they can run. */
export const skipReason = probe();
export const privileged = skipReason === undefined;

export class TestNetns {
  readonly name: string;
  readonly path: string;
  constructor(name: string) {
    this.name = name;
    this.path = `/run/netns/${name}`;
  }

  /** Runs `ip -n NAME ARGS...` and returns stdout. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** `ip -n NAME -j ARGS...` parsed. */
  ipJson<T = any>(...args: string[]): T {
    const out = execFileSync('ip', ['-n', this.name, '-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out || '[]') as T;
  }

  /** Runs a command inside the namespace (`ip netns exec`). */
  exec(cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A NETLINK_ROUTE socket fd created inside this namespace. */
  socketFd(protocol = 0): number {
    return socketInNetns(this.path, protocol);
  }
}

export function socketInNetns(path: string, protocol = 0): number {
  // The library's own in-process entry (setns around socket()), synchronous for tests.
  return enterBySetns(resolveNetns(path), { sockets: [protocol] }).sockets[0]!;
}

export function createNetns(): TestNetns {
  const name = `${TEST_NS_PREFIX}${++counter}`;
  execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
  return new TestNetns(name);
}

export function deleteNetns(ns: TestNetns): void {
  try {
    execFileSync('ip', ['netns', 'del', ns.name], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

/** Runs fn with a fresh namespace that is always deleted afterwards. */
export async function withNetns<T>(fn: (ns: TestNetns) => Promise<T> | T): Promise<T> {
  const ns = createNetns();
  try {
    return await fn(ns);
  } finally {
    deleteNetns(ns);
  }
}
