/**
 * The tables a namespace's `nftables` entry declares, as the kernel would list them once applied,
 * without a kernel: the commands are linearized (src/nft/json/from-json.ts: the messages nft would
 * send), the messages are kept as nf_tables keeps them (a rule without APPEND goes first in its
 * chain, anonymous sets get the names the kernel gives them, an object or element added twice is
 * there once), encoded and decoded as the kernel's dump would be, and listed by to-json. The
 * result, normalised (nft-tables.ts), is what "in force" compares a table's live listing with.
 * Loaded only for files with nftables entries: the JSON modules are large.
 */
import { NLM_F } from '../../protocol/netlink.js';
import type { NetlinkMessage } from '../codec/message.js';
import { nftablesCodec } from '../nft/codec.js';
import { type NftMessage, linearizeDocument } from '../nft/json/from-json.js';
import { type RulesetMessages, rulesetToJson } from '../nft/json/to-json.js';
import { topologyFileError } from './errors.js';
import { rulesetCommands } from './export-nftables.js';
import { type DeclaredTable, type TableItems, entryError, entryTables, splitListing } from './nft-tables.js';
import type { TopologyFile } from './types.js';
import { nsPath } from './validate.js';

/** What a dump would hold after `messages` committed into an empty ruleset. */
class Simulated {
  readonly tables = new Map<string, NftMessage>();
  readonly chains = new Map<string, NftMessage>();
  readonly rules = new Map<string, NftMessage[]>();
  readonly sets = new Map<string, NftMessage>();
  readonly elements = new Map<string, { msg: NftMessage; seen: Set<string> }>();
  readonly objects = new Map<string, NftMessage>();
  readonly flowtables = new Map<string, NftMessage>();
  /** Anonymous sets by the id the batch gives them: the kernel's name for '__set%d' ('__set0'...). */
  private readonly anonymous = new Map<string, string>();
  private readonly taken = new Map<string, number>();

  add(m: NftMessage): void {
    const a = m.attrs;
    const t = `${m.header.family}\0${String(a.table ?? a.name)}`;
    switch (m.kind) {
      case 'newtable':
        return merge(this.tables, t, m);
      case 'newchain':
        return merge(this.chains, `${t}\0${String(a.name)}`, m);
      case 'newrule': {
        const key = `${t}\0${String(a.chain)}`;
        const list = this.rules.get(key) ?? [];
        this.rules.set(key, list);
        const rule = this.renamed(m, t);
        if (m.flags & NLM_F.APPEND) list.push(rule);
        else list.unshift(rule);
        return;
      }
      case 'newset': {
        const named = this.setName(t, a);
        if (!this.sets.has(`${t}\0${named}`)) this.sets.set(`${t}\0${named}`, withAttrs(m, { ...a, name: named }));
        return;
      }
      case 'newsetelem':
        return this.addElements(t, m);
      case 'newobj':
        if (!this.objects.has(`${t}\0${String(a.type)}\0${String(a.name)}`)) this.objects.set(`${t}\0${String(a.type)}\0${String(a.name)}`, m);
        return;
      case 'newflowtable':
        return merge(this.flowtables, `${t}\0${String(a.name)}`, m);
    }
  }

  /** The kernel's name of a set: '__set%d' numbered per table and pattern, as nf_tables_set_alloc_name does in an empty table. */
  private setName(t: string, a: Record<string, unknown>): string {
    const name = String(a.name);
    if (!name.includes('%d')) return name;
    const id = `${t}\0${String(a.id)}`;
    let n = this.anonymous.get(id);
    if (n === undefined) {
      const k = `${t}\0${name}`;
      const i = this.taken.get(k) ?? 0;
      this.taken.set(k, i + 1);
      n = name.replace('%d', String(i));
      this.anonymous.set(id, n);
    }
    return n;
  }

  /** A set a message names by '__set%d' and its id, as the kernel names it. */
  private setRef(t: string, name: unknown, id: unknown): unknown {
    return typeof name === 'string' && name.includes('%d') ? (this.anonymous.get(`${t}\0${String(id)}`) ?? name) : name;
  }

  /** A rule whose lookups, dynsets and objref maps name anonymous sets by their kernel names. */
  private renamed(m: NftMessage, t: string): NftMessage {
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) {
        if (k === 'setId') continue; // the kernel lists sets by name only
        out[k] = (k === 'set' || k === 'setName') && 'setId' in o ? this.setRef(t, x, o.setId) : walk(x);
      }
      return out;
    };
    return withAttrs(m, walk(m.attrs) as Record<string, unknown>);
  }

  /** Elements go to their set; one listed twice (by key) is there once, as the kernel keeps it. */
  private addElements(t: string, m: NftMessage): void {
    const set = String(this.setRef(t, m.attrs.set, m.attrs.setId));
    const key = `${t}\0${set}`;
    let entry = this.elements.get(key);
    if (!entry) {
      entry = { msg: withAttrs(m, { table: m.attrs.table, set, elements: { elem: [] } }), seen: new Set() };
      this.elements.set(key, entry);
    }
    const into = (entry.msg.attrs.elements as { elem: unknown[] }).elem;
    for (const e of (m.attrs.elements as { elem?: unknown[] } | undefined)?.elem ?? []) {
      const id = JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
      if (entry.seen.has(id)) continue;
      entry.seen.add(id);
      into.push(e);
    }
  }

  /** The dumps, decoded as the kernel's messages are: what to-json reads. */
  dumps(): RulesetMessages {
    const c = nftablesCodec();
    const decode = (list: Iterable<NftMessage>): NetlinkMessage[] =>
      [...list].map((m) => c.decode(c.encode({ kind: m.kind, header: m.header, attrs: m.attrs, flags: 0 }, undefined, 'kernel'))[0]!);
    return {
      tables: decode(this.tables.values()),
      chains: decode(this.chains.values()),
      rules: decode([...this.rules.values()].flat()),
      sets: decode(this.sets.values()),
      elements: decode([...this.elements.values()].map((e) => e.msg)),
      objects: decode(this.objects.values()),
      flowtables: decode(this.flowtables.values()),
    };
  }
}

function withAttrs(m: NftMessage, attrs: Record<string, unknown>): NftMessage {
  return { ...m, attrs };
}

/** An object added again is updated with what the later command gives (a table's flags, a chain's policy). */
function merge(into: Map<string, NftMessage>, key: string, m: NftMessage): void {
  const before = into.get(key);
  into.set(key, before ? withAttrs(before, { ...before.attrs, ...m.attrs }) : m);
}

/**
 * The tables `commands` (a namespace's `nftables` entry, at `entryPath`) declare, each with the
 * listing the kernel would print for it once applied. A command the linearizer refuses is an
 * InvalidArgumentError naming its entry (`namespaces.host.nftables[2].add.rule.expr[0]`).
 */
export function declareTables(commands: readonly unknown[], entryPath: string): DeclaredTable[] {
  const tables = entryTables(commands, entryPath);
  let messages: NftMessage[];
  try {
    messages = linearizeDocument({ nftables: commands }, { checkReferences: true }).messages;
  } catch (err) {
    throw entryError(err, entryPath);
  }
  const sim = new Simulated();
  for (const m of messages) sim.add(m);
  const listed = splitListing(rulesetToJson(sim.dumps()));
  return tables.map((t) => ({ ...t, listing: listed.get(t.key) ?? [] }));
}

/** Each namespace's declared tables, for the namespaces of the file that have an `nftables` entry. */
export function declareNftables(file: TopologyFile): Map<string, DeclaredTable[]> {
  const out = new Map<string, DeclaredTable[]>();
  for (const [ns, spec] of Object.entries(file.namespaces)) {
    if (spec.nftables) out.set(ns, declareTables(spec.nftables, `${nsPath(ns)}.nftables`));
  }
  return out;
}

/**
 * A table's listing as the commands that add it back (what undo applies, counters kept), or an
 * InvalidArgumentError when this library cannot write some of it (an iptables-nft xt rule, an
 * expression the linearizer lacks): apply would then be unable to undo replacing or deleting it.
 */
export function restoreCommands(items: TableItems, ns: string, key: string, path: string): unknown[] {
  const commands = rulesetCommands(items, { keepState: true });
  try {
    linearizeDocument({ nftables: commands }, { checkReferences: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw topologyFileError(
      path,
      key,
      `table ${key} in ${ns === '.' ? 'the current namespace' : ns} holds what this library cannot add back (${why}), ` +
        'so apply could not undo replacing or deleting it: change or delete that table by other means first',
    );
  }
  return commands;
}

/**
 * An export's commands without the tables apply could not take back (each said so through `skip`):
 * a file `nlts topology --format yaml` writes applies as it is.
 */
export function appliableCommands(commands: unknown[], netns: string, skip: (message: string) => void): unknown[] {
  const byTable = new Map<string, unknown[]>();
  for (const c of commands) {
    const body = Object.values(Object.values(c as object)[0] as object)[0] as { family?: string; table?: string; name?: string };
    const key = `${String(body.family)} ${String(body.table ?? body.name)}`;
    byTable.set(key, [...(byTable.get(key) ?? []), c]);
  }
  const out: unknown[] = [];
  for (const [key, list] of byTable) {
    try {
      declareTables(list, 'nftables');
      out.push(...list);
    } catch (err) {
      skip(`${netns}: nftables table ${key} left out: apply cannot write it back: ${(err as Error).message}`);
    }
  }
  return out;
}
