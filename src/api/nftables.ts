/**
 * nl.nftables: the ruleset in libnftables' JSON (what `nft -j list ...` prints and `nft -j -f`
 * takes), over the client's NETLINK_NETFILTER socket (opened on first use, in the client's
 * namespace). list() = the consistent dump (src/nft/ruleset-dump.ts) + to-json; apply() = the
 * document checked and linearized against the current ruleset (from-json) + one all-or-nothing
 * transaction (src/nft/transaction.ts). The JSON modules load on first use: a client that never
 * touches nftables never loads them.
 *
 * Bad input is an InvalidArgumentError naming its JSON path, before anything is sent; a kernel
 * refusal is an NftTransactionError naming every refused command by its index in the document.
 */
import type { RequestOptions } from '../conn/connection.js';
import type { NftMessage } from '../nft/json/from-json.js';
import type { ToJsonOptions } from '../nft/json/output-context.js';
import type { NftJsonDocument, NftJsonItem } from '../nft/json/types.js';
import type { Command } from '../nft/json/validate.js';
import type { NftConnection } from '../nft/connection.js';
import type { NftCommandFailure } from '../nft/errors.js';
import type { NftRuleset } from '../nft/ruleset-dump.js';
import type { NftCommand, NftCommandKind, NftTransactionResult } from '../nft/transaction.js';
import { InvalidArgumentError, NotFoundError } from './errors.js';
import { type NftListFilter, type NftTableFamily, NFT_FAMILIES, checkListFilter, selectListing } from './nftables-list.js';
import { type NftRecipeName, type NftRecipeOptions, idempotentRecipe } from './nftables-recipes.js';
import type { LinkApi } from './links.js';
import { checkBool, checkInt, checkRequestOptions } from './validate.js';

export type { NftListFilter, NftTableFamily } from './nftables-list.js';
export type { NftAllowEstablishedOptions, NftDnatOptions, NftMasqueradeOptions, NftSnatOptions } from './nftables-recipes.js';

export interface NftApplyOptions extends RequestOptions {
  /**
   * Report the handle of every object the document adds (as `nft --echo --handle` prints them):
   * the kernel then echoes each command, which costs it and the reading about as much again as the
   * change itself on large documents. Default false for apply() (nft -f asks for no echoes either),
   * true for the walk-through helpers (a few commands; the handle of the rule they add).
   */
  handles?: boolean;
  /**
   * Apply only while the ruleset is still at this generation (else an NftTransactionError, code
   * ERESTART, nothing applied). Without it, apply() checks references against a listing and
   * applies at that listing's generation, starting over (a few times) when someone changed it.
   */
  genid?: number;
}

export interface NftApplyResult {
  /** The ruleset generation after the commit. */
  genid?: number;
  /**
   * Per item of the document's `nftables` list: the handle the kernel gave the object it added
   * (table, chain, rule, set, map, counter, quota, limit, flowtable); undefined for the others.
   */
  handles: (number | undefined)[];
}

const ERESTART = 85;
/** How often apply() starts over when the ruleset moved between its listing and its transaction. */
const APPLY_RETRIES = 5;

/** Echoed message kind of what each document object adds. */
const ECHO_KIND: Readonly<Record<string, string>> = {
  table: 'newtable',
  chain: 'newchain',
  rule: 'newrule',
  set: 'newset',
  map: 'newset',
  counter: 'newobj',
  quota: 'newobj',
  limit: 'newobj',
  flowtable: 'newflowtable',
};

export class NftablesApi {
  constructor(
    private readonly conn: () => Promise<NftConnection>,
    private readonly links: LinkApi,
  ) {}

  /**
   * The ruleset, or one family's, table, chain, set or map, as `nft -j list ...` prints it:
   * `{ nftables: [{ metainfo }, { table }, { chain }, { rule }...] }`, all of one generation.
   * A table, chain, set or map that does not exist is a NotFoundError.
   */
  list(filter?: NftListFilter, options?: RequestOptions): Promise<NftJsonDocument> {
    return this.listing(filter, options, false);
  }

  /**
   * @internal list() plus what nft's text shows and its JSON does not (comments, devices, set
   * flags: nftables-extras.ts), for the text formatter (`nlts nft list`).
   */
  listForText(filter?: NftListFilter, options?: RequestOptions): Promise<NftJsonDocument> {
    return this.listing(filter, options, true);
  }

  private async listing(filter: NftListFilter | undefined, options: RequestOptions | undefined, text: boolean): Promise<NftJsonDocument> {
    const f = checkListFilter(filter);
    const opts = checkRequestOptions(options);
    const nft = await this.conn();
    let ruleset: NftRuleset;
    try {
      ruleset = await nft.ruleset({ ...requestOnly(opts), ...(f.family && { family: f.family }), ...(f.table !== undefined && { table: f.table }) });
    } catch (err) {
      // Dumps of one table's chains, rules... are refused with ENOENT when there is no such table.
      throw f.table === undefined ? err : notFoundOr(err, 'table', `${f.family} ${f.table}`, 'ENOENT');
    }
    const doc = await this.toJson(ruleset, opts);
    if (text) (await import('./nftables-extras.js')).addTextExtras(doc, ruleset);
    return selectListing(doc, f);
  }

  /** The ruleset generation (it moves with every committed change). */
  async genid(options?: RequestOptions): Promise<number> {
    return (await this.conn()).genid(checkRequestOptions(options));
  }

  /**
   * Applies a libnftables JSON document (`{ nftables: [...] }`, or its list of commands) as one
   * transaction: all of it, or nothing. Commands: add, create, insert, replace, delete, destroy,
   * flush; a bare object means add. References to tables, chains and sets resolve against the
   * document and the current ruleset.
   */
  async apply(document: NftJsonDocument | NftJsonItem[], options?: NftApplyOptions): Promise<NftApplyResult> {
    const doc = checkDocument(document);
    const opts = checkApplyOptions(options);
    const commands = (await import('../nft/json/validate.js')).parseDocument(doc); // its shape, before even the listing is read
    const nft = await this.conn();
    for (let attempt = 0; ; attempt++) {
      const current = needsRuleset(doc) ? await this.currentRuleset(nft, doc, opts) : undefined;
      const genid = opts.genid ?? current?.genid;
      try {
        return await this.transaction(nft, doc, current?.listing, { ...opts, ...(genid !== undefined && { genid }) }, commands);
      } catch (err) {
        const moved = opts.genid === undefined && current !== undefined && isBatchRestart(err);
        if (!moved || attempt >= APPLY_RETRIES) throw err;
      }
    }
  }

  /** `nft flush ruleset`: every table of every family (or of one) deleted. */
  async flush(family?: NftTableFamily, options?: NftApplyOptions): Promise<NftApplyResult> {
    if (family !== undefined && !NFT_FAMILIES.includes(family)) {
      throw new InvalidArgumentError('family', family, `must be one of ${NFT_FAMILIES.join(', ')}`);
    }
    return this.apply([{ flush: { ruleset: family === undefined ? null : { family } } }], options);
  }

  /** `nft delete table FAMILY NAME`: the table and everything in it. */
  async deleteTable(family: NftTableFamily, name: string, options?: NftApplyOptions): Promise<NftApplyResult> {
    return this.apply([{ delete: { table: { family, name } } }], options);
  }

  /** Masquerade a source prefix leaving through (or not through) an interface: the walk-through's NAT step. */
  masquerade(opts: NftRecipeOptions<'masquerade'>, options?: NftApplyOptions): Promise<NftApplyResult> {
    return this.recipe('masquerade', opts, options);
  }

  /** Source NAT to a fixed address. */
  snat(opts: NftRecipeOptions<'snat'>, options?: NftApplyOptions): Promise<NftApplyResult> {
    return this.recipe('snat', opts, options);
  }

  /** Port forwarding: a port arriving (on an interface) to an address and port (a container's). */
  dnat(opts: NftRecipeOptions<'dnat'>, options?: NftApplyOptions): Promise<NftApplyResult> {
    return this.recipe('dnat', opts, options);
  }

  /** Accept established and related connections in a filter chain (forward by default). */
  allowEstablished(opts?: NftRecipeOptions<'allowEstablished'>, options?: NftApplyOptions): Promise<NftApplyResult> {
    return this.recipe('allowEstablished', opts, options);
  }

  /**
   * A walk-through helper: its commands minus what is already there (the table, the chain, an
   * identical rule in that chain), so calling it twice changes nothing the second time and never
   * redefines a chain someone else made (its policy stays).
   */
  private async recipe<N extends NftRecipeName>(name: N, opts: NftRecipeOptions<N>, options?: NftApplyOptions): Promise<NftApplyResult> {
    const recipes = await import('../nft/json/recipes.js');
    const fn = recipes[name] as (o: NftRecipeOptions<N>) => NftJsonDocument;
    const doc = fn(opts); // InvalidArgumentError for bad options
    const o = checkApplyOptions({ ...options, handles: options?.handles ?? true });
    const nft = await this.conn();
    for (let attempt = 0; ; attempt++) {
      const current = await this.currentRuleset(nft, doc, o);
      const { linearizeDocument } = await import('../nft/json/from-json.js');
      const wanted = idempotentRecipe(doc, current.listing, linearizeDocument);
      if (wanted.nftables.length === 0) return { genid: current.genid, handles: doc.nftables.map(() => undefined) };
      try {
        const r = await this.transaction(nft, wanted, current.listing, { ...o, genid: o.genid ?? current.genid });
        return { ...r, handles: doc.nftables.map((item) => r.handles[wanted.nftables.indexOf(item)]) };
      } catch (err) {
        if (o.genid !== undefined || !isBatchRestart(err) || attempt >= APPLY_RETRIES) throw err;
      }
    }
  }

  /** The listing and its generation, as apply() checks a document against it. */
  /**
   * The listing `doc` is checked against, and its generation: only the table `doc` is about when it
   * is about one (nothing in nftables refers across tables), so a small change to a big ruleset
   * does not list all of it.
   */
  private async currentRuleset(nft: NftConnection, doc: NftJsonDocument, opts: RequestOptions): Promise<{ genid: number; listing: NftJsonDocument }> {
    const scope = tableScope(doc);
    let ruleset: NftRuleset;
    try {
      ruleset = await nft.ruleset({ ...requestOnly(opts), ...scope });
    } catch (err) {
      // No such table yet: an empty listing, at the generation of that answer (a change since fails the batch).
      if (scope === undefined || notFoundOr(err, 'table', '', 'ENOENT') === err) throw err;
      return { genid: await nft.genid(requestOnly(opts)), listing: { nftables: [] } };
    }
    const { rulesetToJson } = await import('../nft/json/to-json.js');
    return { genid: ruleset.genid, listing: rulesetToJson(ruleset) };
  }

  /** Linearizes `doc` (its `commands` when parsed already) against `listing` and sends it as one transaction. */
  private async transaction(
    nft: NftConnection,
    doc: NftJsonDocument,
    listing: NftJsonDocument | undefined,
    opts: NftApplyOptions,
    commands?: readonly Command[],
  ): Promise<NftApplyResult> {
    const { linearizeEach } = await import('../nft/json/from-json.js');
    const parsed = commands ?? (await import('../nft/json/validate.js')).parseDocument(doc);
    // Linearized one command at a time and encoded as they come (NftConnection.transaction).
    const messages = linearizeEach(parsed, listing === undefined ? {} : { ruleset: listing });
    const handles: (number | undefined)[] = doc.nftables.map(() => undefined);
    const first = messages.next();
    if (first.done) return { handles, ...(opts.genid !== undefined && { genid: opts.genid }) };
    const echo = opts.handles === true;
    const sent: SentMessages = { items: [], kinds: [] };
    let r: NftTransactionResult;
    try {
      r = await nft.transaction(asCommands(first.value, messages, sent), {
        ...requestOnly(opts),
        echo,
        ...(opts.genid !== undefined && { genid: opts.genid }),
      });
    } catch (err) {
      throw await byDocumentIndex(err, sent);
    }
    if (echo) collectHandles(doc, sent, r, handles);
    return { handles, ...(r.genid !== undefined && { genid: r.genid }) };
  }

  /** to-json of a dump; interface indexes are named in the client's namespace, looked up only when a rule has some. */
  private async toJson(ruleset: NftRuleset, opts: RequestOptions): Promise<NftJsonDocument> {
    const { rulesetToJson } = await import('../nft/json/to-json.js');
    let asked = false;
    const probe: ToJsonOptions = {
      ifname: () => {
        asked = true;
        return undefined;
      },
    };
    const doc = rulesetToJson(ruleset, probe);
    if (!asked) return doc;
    const names = new Map((await this.links.list(requestOnly(opts))).map((l) => [l.index, l.name] as const));
    return rulesetToJson(ruleset, { ifname: (i) => names.get(i) });
  }
}

/** The kernel's "no such table" (`code`) as a NotFoundError, anything else unchanged. */
function notFoundOr(err: unknown, what: string, key: string, code: string): unknown {
  const e = err as { name?: string; code?: string } | null;
  return e?.name === 'NetlinkError' && e.code === code ? new NotFoundError(what, key, { cause: err }) : err;
}

function requestOnly(o: RequestOptions): RequestOptions {
  return { ...(o.signal !== undefined && { signal: o.signal }), ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }) };
}

function checkDocument(document: NftJsonDocument | NftJsonItem[]): NftJsonDocument {
  if (Array.isArray(document)) return { nftables: document };
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { nftables?: unknown }).nftables)) {
    throw new InvalidArgumentError('document', document, 'must be a libnftables JSON document ({ nftables: [...] }) or its list of commands');
  }
  return document;
}

function checkApplyOptions(options: NftApplyOptions | undefined): NftApplyOptions {
  const o = checkRequestOptions(options);
  checkBool(o.handles, 'options.handles');
  if (o.genid !== undefined) checkInt(o.genid, 'options.genid', 0, 0xffffffff);
  return o;
}

/**
 * Whether linearizing `doc` needs the current ruleset: anything but whole tables and the whole
 * ruleset refers to tables, chains or sets that may exist already.
 */
function needsRuleset(doc: NftJsonDocument): boolean {
  return !doc.nftables.every((item) => {
    if (typeof item !== 'object' || item === null) return false;
    const [cmd, obj] = Object.entries(item)[0] ?? [];
    if (typeof obj !== 'object' || obj === null) return false;
    const kind = Object.keys(obj)[0];
    if (cmd === 'flush') return kind === 'ruleset';
    return (cmd === 'add' || cmd === 'create' || cmd === 'delete' || cmd === 'destroy') && kind === 'table';
  });
}

/** { family, table } when every item of `doc` is about that one table; undefined otherwise. */
function tableScope(doc: NftJsonDocument): { family: NftTableFamily; table: string } | undefined {
  let scope: { family: NftTableFamily; table: string } | undefined;
  for (const item of doc.nftables) {
    const [cmd, obj] = Object.entries(item as object)[0] ?? [];
    const [kind, body] = cmd !== undefined && cmd in ECHO_KIND ? [cmd, obj] : (Object.entries((obj ?? {}) as object)[0] ?? []);
    if (typeof body !== 'object' || body === null) return undefined;
    const b = body as { family?: unknown; table?: unknown; name?: unknown };
    const table = kind === 'table' ? b.name : b.table;
    if (typeof b.family !== 'string' || !NFT_FAMILIES.includes(b.family as NftTableFamily) || typeof table !== 'string') return undefined;
    if (scope === undefined) scope = { family: b.family as NftTableFamily, table };
    else if (scope.family !== b.family || scope.table !== table) return undefined;
  }
  return scope;
}

function toCommand(m: NftMessage): NftCommand {
  return { kind: m.kind as NftCommandKind, header: { family: m.header.family }, attrs: m.attrs, flags: m.flags, label: m.label };
}

/** Per message of a transaction: the document item it came from and its kind (the messages themselves are not kept). */
interface SentMessages {
  items: number[];
  kinds: string[];
}

/** The linearized messages as commands, `first` and then the rest, noting each in `sent`. */
function* asCommands(first: NftMessage, rest: Iterator<NftMessage>, sent: SentMessages): Generator<NftCommand, void, undefined> {
  for (let m: IteratorResult<NftMessage, unknown> = { value: first }; !m.done; m = rest.next()) {
    const msg = m.value as NftMessage;
    sent.items.push(msg.command);
    sent.kinds.push(msg.kind);
    yield toCommand(msg);
  }
}

/** The batch as a whole refused because the generation moved (NFNL_BATCH_GENID). */
function isBatchRestart(err: unknown): boolean {
  const e = err as { name?: string; index?: number; errno?: number } | null;
  return e?.name === 'NftTransactionError' && e.index === undefined && e.errno === ERESTART;
}

/** An NftTransactionError's failures renumbered by the document's items instead of the messages. */
async function byDocumentIndex(err: unknown, sent: SentMessages): Promise<unknown> {
  const e = err as { name?: string; failures?: readonly NftCommandFailure[] } | null;
  if (e?.name !== 'NftTransactionError' || e.failures === undefined) return err;
  const { NftTransactionError } = await import('../nft/errors.js');
  const failures = e.failures.map((f) => (f.index === undefined ? f : { ...f, index: sent.items[f.index] ?? f.index }));
  return new NftTransactionError(failures);
}

/** handles[i]: the handle echoed for the object document item i adds. */
function collectHandles(doc: NftJsonDocument, sent: SentMessages, r: NftTransactionResult, handles: (number | undefined)[]): void {
  for (let i = 0; i < sent.items.length; i++) {
    const item = sent.items[i]!;
    if (handles[item] !== undefined) continue;
    const want = ECHO_KIND[objectKind(doc.nftables[item]) ?? ''];
    if (want === undefined || sent.kinds[i] !== want) continue;
    for (const echoed of r.echoes[i] ?? []) {
      const h = (echoed.attrs as { handle?: unknown } | undefined)?.handle;
      if (echoed.kind === want && (typeof h === 'bigint' || typeof h === 'number')) {
        handles[item] = Number(h);
        break;
      }
    }
  }
}

/** The object an item adds: 'rule' of { add: { rule } } or { insert: { rule } }; 'table' of a bare { table }. */
function objectKind(item: NftJsonItem | undefined): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const [k, v] = Object.entries(item)[0] ?? [];
  if (k === undefined) return undefined;
  if (k in ECHO_KIND) return k; // a bare object means add
  if (!['add', 'create', 'insert', 'replace'].includes(k) || typeof v !== 'object' || v === null) return undefined;
  return Object.keys(v)[0];
}
