/**
 * applyTopology: read what exists, plan the differences (plan.ts), run them in order and, when
 * one fails, undo the ones done in reverse order and throw one TopologyApplyError. destroyTopology
 * removes what a file declares. docs/topology.md.
 */
import { existsSync } from 'node:fs';
import { isNamespaceError } from '../netns/errors.js';
import { deleteNetns } from '../netns/manage.js';
import { NETNS_RUN_DIR } from '../netns/target.js';
import { TopologyApplyError } from './errors.js';
import { type DeclaredTable, entryTables } from './nft-tables.js';
import { type Step, planTopology } from './plan.js';
import { type TopologyState, readNamespace, touchedNamespaces } from './state.js';
import { Clients, type RunContext, type Undo, runStep } from './steps.js';
import { type ApplyOptions, CURRENT_NETNS, type Change, type TopologyFile } from './types.js';
import { type ValidateOptions, nsPath, validateTopology } from './validate.js';

export interface TopologyApplyOptions extends ApplyOptions, ValidateOptions {
  /**
   * Tests only: fail as if the kernel refused the step of this index (0-based, in plan order),
   * to check that everything before it is undone.
   * @internal
   */
  failAt?: number;
}

/** Namespaces created at once: each is a short-lived unshare(1) process. */
const NETNS_AT_ONCE = 8;

/** Whether a named namespace exists (a /run/netns entry); '.' always does. */
function netnsExists(ns: string): boolean {
  return ns === CURRENT_NETNS || existsSync(`${NETNS_RUN_DIR}/${ns}`);
}

/** Whether the plan needs the namespace's nftables ruleset: its entry declares tables, or prune may delete some. */
function readsNftables(file: TopologyFile, ns: string, prune: boolean | undefined): boolean {
  const entry = file.namespaces[ns]?.nftables;
  return entry !== undefined && (entry.length > 0 || (prune === true && ns !== CURRENT_NETNS));
}

/** The state of every namespace the file touches that exists, read in parallel. */
async function readState(file: TopologyFile, clients: Clients, signal?: AbortSignal, prune?: boolean): Promise<TopologyState> {
  const state: TopologyState = new Map();
  await Promise.all(
    touchedNamespaces(file).map(async (ns) => {
      if (!netnsExists(ns)) return;
      let client: ReturnType<Clients['get']>;
      try {
        client = clients.get(ns);
      } catch (err) {
        if (isNamespaceError(err) && err.code === 'ENOENT') return;
        throw err;
      }
      const keys = Object.keys(file.namespaces[ns]?.sysctl ?? {});
      state.set(ns, await readNamespace(client, ns, keys, signal, readsNftables(file, ns, prune)));
    }),
  );
  return state;
}

/** The nftables module of topologies (the JSON linearizer and listing), loaded only for files with nftables entries. */
const nftDeclared = () => import('./nft-declared.js');

/**
 * The tables each namespace's `nftables` entry declares, each with the listing the kernel would
 * print for it (no kernel asked): planTopology's `nftables` option. Bad commands are
 * InvalidArgumentErrors naming the entry.
 */
export async function declareNftables(file: TopologyFile): Promise<Map<string, DeclaredTable[]>> {
  return (await nftDeclared()).declareNftables(file);
}

/**
 * Refuses a plan that replaces or deletes a table this library could not add back as it was
 * (an iptables-nft xt rule...): its undo would fail. Before anything changes.
 */
async function checkNftablesUndo(steps: Step[]): Promise<void> {
  const touching = steps.filter((s) => (s.action.do === 'nftables-table' && s.action.old) || s.action.do === 'nftables-delete');
  if (touching.length === 0) return;
  const { restoreCommands } = await nftDeclared();
  for (const { change, action } of touching) {
    const old = (action as { old: Parameters<typeof restoreCommands>[0] }).old;
    restoreCommands(old, change.netns, change.name, change.path ?? `${nsPath(change.netns)}.nftables`);
  }
}

/** Reads the state and plans: the steps applyTopology would run. */
export async function planFile(file: TopologyFile, clients: Clients, options: TopologyApplyOptions): Promise<Step[]> {
  const hasNftables = Object.values(file.namespaces).some((s) => s.nftables?.length);
  const [state, declared] = await Promise.all([
    readState(file, clients, options.signal, options.prune),
    hasNftables ? declareNftables(file) : undefined,
  ]);
  const steps = planTopology(file, state, { prune: options.prune, ...(declared && { nftables: declared }) });
  await checkNftablesUndo(steps);
  return steps;
}

class Undoer {
  readonly done: { change: Change; undo: Undo }[] = [];

  add(change: Change, undo: Undo | undefined): void {
    if (undo) this.done.push({ change, undo });
  }

  /** Undoes everything in reverse order; each failure is kept, the rest still undone. */
  async rollback(): Promise<{ undone: Change[]; errors: Error[] }> {
    const errors: Error[] = [];
    const undone: Change[] = [];
    for (const { change, undo } of this.done.splice(0).reverse()) {
      try {
        await undo();
        undone.push(change);
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return { undone, errors };
  }
}

/** Runs the steps in order (namespace creations several at once); on a failure undoes and throws. */
async function runSteps(steps: Step[], ctx: RunContext, failAt: number | undefined): Promise<Change[]> {
  const undoer = new Undoer();
  const made: Change[] = [];
  const one = async (step: Step, i: number) => {
    if (i === failAt) throw new Error('injected failure (failAt)');
    return runStep(step, ctx);
  };
  let i = 0;
  try {
    while (i < steps.length) {
      ctx.signal?.throwIfAborted();
      let n = 1;
      if (steps[i]!.action.do === 'netns-add') while (n < NETNS_AT_ONCE && steps[i + n]?.action.do === 'netns-add') n++;
      const batch = steps.slice(i, i + n);
      const results = await Promise.allSettled(batch.map((s, k) => one(s, i + k)));
      // Undo in plan order whatever succeeded, even beside a failure.
      results.forEach((r, k) => {
        if (r.status === 'rejected') return;
        undoer.add(batch[k]!.change, r.value);
        if (r.value !== undefined || batch[k]!.action.do === 'link-delete') made.push(batch[k]!.change);
      });
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        i += failed;
        throw (results[failed] as PromiseRejectedResult).reason;
      }
      i += n;
    }
  } catch (err) {
    const { undone, errors } = await undoer.rollback();
    if (ctx.signal?.aborted && err === ctx.signal.reason) throw err;
    throw new TopologyApplyError(steps[i]!.change, err, undone, errors);
  }
  return made;
}

/**
 * Makes the namespaces, links, addresses, routes, sysctls and nftables rules of `spec` exist,
 * changing only what differs, and returns the changes (none when everything is as declared). With
 * dryRun, returns them and changes nothing; with prune, also removes what the declared
 * namespaces (not '.') hold and the file does not. A failure part-way undoes every change made
 * and throws a TopologyApplyError; a bad file is an InvalidArgumentError naming the entry (topologyFileError) before anything changes.
 */
export async function applyTopology(spec: TopologyFile | unknown, options: TopologyApplyOptions = {}): Promise<Change[]> {
  const file = validateTopology(spec, options);
  options.signal?.throwIfAborted();
  const clients = new Clients();
  try {
    const steps = await planFile(file, clients, options);
    if (options.dryRun) return steps.map((s) => s.change);
    return await runSteps(steps, { clients, signal: options.signal }, options.failAt);
  } finally {
    clients.close();
  }
}

/** Destroy's part in '.': the tables its `nftables` entry declares (other namespaces go away with everything in them). */
async function destroyTables(file: TopologyFile, clients: Clients, changes: Change[], signal?: AbortSignal): Promise<void> {
  const entry = file.namespaces[CURRENT_NETNS]?.nftables;
  if (!entry?.length) return;
  const nft = clients.get(CURRENT_NETNS).nftables;
  for (const t of entryTables(entry, `${nsPath(CURRENT_NETNS)}.nftables`)) {
    try {
      await nft.deleteTable(t.family as never, t.name, { handles: false, signal });
      changes.push({ op: 'delete', kind: 'nftables', netns: CURRENT_NETNS, name: t.key, path: t.path });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err; // not there
    }
  }
}

/**
 * Removes what `spec` declares: its namespaces (not '.'), and in '.' the links its entries create
 * (never links it only configures, like lo or a NIC) and the tables its nftables entry declares. A veth whose peer is in a namespace that
 * stays is deleted before its namespace, so that the peer is gone when this returns. Returns the changes.
 */
export async function destroyTopology(spec: TopologyFile | unknown, options: ValidateOptions & { signal?: AbortSignal } = {}): Promise<Change[]> {
  const file = validateTopology(spec, options);
  const clients = new Clients();
  const changes: Change[] = [];
  const deleteLink = async (ns: string, name: string, path: string) => {
    try {
      await clients.get(ns).links.delete(name, { signal: options.signal });
      changes.push({ op: 'delete', kind: 'link', netns: ns, name, path });
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotFoundError') throw err;
    }
  };
  try {
    await destroyTables(file, clients, changes, options.signal);
    for (const [ns, s] of Object.entries(file.namespaces)) {
      if (!netnsExists(ns)) continue;
      for (const [i, l] of (s.links ?? []).entries()) {
        const path = `${nsPath(ns)}.links[${i}]`;
        // A veth goes with its namespace; delete it first only when its peer's namespace stays (deleting is ~20 ms a link).
        const peerStays = l.kind === 'veth' && (l.peer?.netns === CURRENT_NETNS || !Object.hasOwn(file.namespaces, l.peer?.netns ?? ns));
        if (ns === CURRENT_NETNS ? l.kind !== undefined : peerStays) await deleteLink(ns, l.name, path);
      }
    }
    clients.close();
    for (const ns of Object.keys(file.namespaces)) {
      if (ns === CURRENT_NETNS || !netnsExists(ns)) continue;
      deleteNetns(ns);
      changes.push({ op: 'delete', kind: 'netns', netns: ns, name: ns, path: nsPath(ns) });
    }
  } finally {
    clients.close();
  }
  return changes;
}
