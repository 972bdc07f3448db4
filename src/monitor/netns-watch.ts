/**
 * Named network namespaces coming and going, as `ip netns monitor` sees them: inotify (fs.watch)
 * on /run/netns. `ip netns add` creates the file and then bind-mounts the namespace on it (no
 * inotify event for the mount), so a new entry counts only once it is an nsfs file, checked with
 * statfs and retried for a short while. If /run/netns does not exist yet, its parent is watched
 * until it appears. No polling: an idle watcher costs nothing.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, existsSync, readdirSync, statfsSync, watch } from 'node:fs';
import path from 'node:path';
import createDebug from '../deps/debug.js';
import { NETNS_RUN_DIR } from './sockets.js';

const log = createDebug('netlink:netns-watch');

/** statfs f_type of namespace files (NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

export function isNamespaceFile(file: string): boolean {
  try {
    return statfsSync(file).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

export interface NetnsWatcherOptions {
  /** Directory of named namespaces (default /run/netns). */
  dir?: string;
  /** Only names this accepts. */
  filter?: (name: string) => boolean;
  /** Whether a directory entry is a namespace yet (default: an nsfs file). */
  isNamespace?: (file: string) => boolean;
  /** How long a new entry may take to become a namespace (default 2000 ms). */
  settleMs?: number;
  /** Keep the process alive while watching (default false). */
  keepAlive?: boolean;
}

export interface NetnsWatcherEvents {
  add: [string];
  del: [string];
  error: [Error];
}

export class NetnsWatcher extends EventEmitter<NetnsWatcherEvents> {
  readonly dir: string;
  private readonly known = new Set<string>();
  /** New entries that are not namespaces yet -> when first seen. */
  private readonly settling = new Map<string, number>();
  private watcher: FSWatcher | undefined;
  private parentWatcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private scanQueued = false;
  private closed = false;
  private readonly options: NetnsWatcherOptions;

  constructor(options: NetnsWatcherOptions = {}) {
    super();
    this.options = options;
    this.dir = options.dir ?? NETNS_RUN_DIR;
  }

  /** Starts watching; the namespaces present now are reported as 'add' before this resolves. */
  async start(): Promise<void> {
    this.attach();
    this.scan();
  }

  /** The namespaces currently known. */
  names(): string[] {
    return [...this.known];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.parentWatcher?.close();
    if (this.settleTimer) clearTimeout(this.settleTimer);
  }

  private attach(): void {
    if (this.closed) return;
    if (existsSync(this.dir)) {
      try {
        const w = watch(this.dir, { persistent: this.options.keepAlive === true }, () => this.queueScan());
        w.on('error', (err) => {
          // The directory itself went away: report what vanished and wait for it to come back.
          log('watch %s failed: %s', this.dir, err.message);
          w.close();
          if (this.watcher === w) this.watcher = undefined;
          this.queueScan();
          this.attach();
        });
        this.watcher = w;
        this.parentWatcher?.close();
        this.parentWatcher = undefined;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.emit('error', err as Error);
          return;
        }
      }
    }
    if (this.parentWatcher) return;
    const parent = path.dirname(this.dir);
    const base = path.basename(this.dir);
    try {
      this.parentWatcher = watch(parent, { persistent: this.options.keepAlive === true }, (_ev, name) => {
        if (name && name.toString() !== base) return;
        if (existsSync(this.dir) && !this.watcher) {
          this.attach();
          this.queueScan();
        }
      });
      this.parentWatcher.on('error', (err) => this.emit('error', err));
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  private queueScan(): void {
    if (this.scanQueued || this.closed) return;
    this.scanQueued = true;
    setImmediate(() => {
      this.scanQueued = false;
      this.scan();
    });
  }

  private scan(): void {
    if (this.closed) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.emit('error', err as Error);
    }
    const filter = this.options.filter;
    const isNs = this.options.isNamespace ?? isNamespaceFile;
    const present = new Set<string>();
    const now = Date.now();
    for (const name of entries) {
      if (filter && !filter(name)) continue;
      present.add(name);
      if (this.known.has(name)) continue;
      if (isNs(path.join(this.dir, name))) {
        this.settling.delete(name);
        this.known.add(name);
        log('add %s', name);
        this.emit('add', name);
      } else if (!this.settling.has(name)) this.settling.set(name, now);
    }
    for (const name of [...this.known]) {
      if (present.has(name) && isNs(path.join(this.dir, name))) continue;
      this.known.delete(name);
      log('del %s', name);
      this.emit('del', name);
    }
    const settle = this.options.settleMs ?? 2000;
    for (const [name, since] of this.settling) if (!present.has(name) || now - since > settle) this.settling.delete(name);
    if (this.settling.size > 0 && !this.settleTimer) {
      // Bind mounts do not show up in inotify: look again shortly.
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.scan();
      }, 10);
      this.settleTimer.unref();
    }
  }
}

/**
 * `nlts netns monitor` (ip netns monitor): prints "add NAME" / "delete NAME" as namespaces come
 * and go until the signal aborts. Resolves when stopped.
 */
export async function runNetnsMonitor(
  out: (line: string) => void,
  options: { signal?: AbortSignal; dir?: string; json?: boolean } = {},
): Promise<void> {
  const w = new NetnsWatcher({ keepAlive: true, ...(options.dir && { dir: options.dir }) });
  const print = (action: 'add' | 'delete', name: string) => out(options.json ? JSON.stringify({ event: action, name }) : `${action} ${name}`);
  let started = false;
  w.on('add', (n) => started && print('add', n));
  w.on('del', (n) => print('delete', n));
  await w.start();
  started = true;
  await new Promise<void>((resolve) => {
    const stop = () => {
      w.close();
      resolve();
    };
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
}
