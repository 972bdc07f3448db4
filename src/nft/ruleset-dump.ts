/**
 * A consistent ruleset: every kind of object dumped between two reads of the generation id, and
 * read again when the generation moved in between, as nft's cache does. Each dump is consistent
 * on its own (NLM_F_DUMP_INTR makes the Connection run it again); the generation ties them
 * together, so chains never name a table the table dump did not have.
 */
import { DecodeError } from '../codec/errors.js';
import { type NetlinkMessage, type OutgoingMessage, type ProtocolCodec, makeCtx } from '../codec/message.js';
import type { AttrSelection, AttrValues } from '../codec/types.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import { DumpInterruptedError, isNetlinkError } from '../conn/errors.js';
import { InvalidArgumentError } from '../errors/index.js';
import { type NftFamily, genOf } from './transaction.js';

/** The ruleset as the kernel lists it: the messages of each dump, in the kernel's order. */
export interface NftRuleset {
  /** The generation every message below belongs to. */
  genid: number;
  tables: NetlinkMessage[];
  chains: NetlinkMessage[];
  /** Kept as their bytes: each read of a rule's `attrs` decodes them again (DumpedRule). */
  rules: NetlinkMessage[];
  sets: NetlinkMessage[];
  /** newsetelem messages, set by set in the order of `sets` (each names its table and set). */
  elements: NetlinkMessage[];
  objects: NetlinkMessage[];
  flowtables: NetlinkMessage[];
}

export interface RulesetOptions extends RequestOptions {
  /** Only tables of this family (and what they hold). */
  family?: NftFamily;
  /** Only the table of this name (of `family`, or of every family). */
  table?: string;
  /** How many times the dump starts over when the generation moved under it (default 10). */
  retries?: number;
}

const ENOENT = 2;

/** The ruleset generation (NFT_MSG_GETGEN). */
export async function getGenid(conn: Connection, options: RequestOptions = {}): Promise<number> {
  const replies = await conn.request({ kind: 'getgen', header: header('unspec'), attrs: {} }, options);
  for (const m of replies) {
    const id = m.kind === 'newgen' ? genOf(m) : undefined;
    if (id !== undefined) return id;
  }
  throw new DecodeError('getgen: the answer carries no generation id (NFTA_GEN_ID)', 0);
}

/** The ruleset (or one family's, one table's), consistent: all of it from one generation. */
export async function dumpRuleset(conn: Connection, options: RulesetOptions = {}): Promise<NftRuleset> {
  const retries = options.retries ?? 10;
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidArgumentError('retries', retries, 'must be a whole number, 0 or more');
  if (options.table !== undefined && (typeof options.table !== 'string' || options.table.length === 0)) {
    throw new InvalidArgumentError('table', options.table, 'must be a table name');
  }
  for (let attempt = 1; ; attempt++) {
    const before = await getGenid(conn, options);
    const ruleset = await dumpOnce(conn, options);
    const after = await getGenid(conn, options);
    if (ruleset !== undefined && before === after) return { genid: before, ...ruleset };
    if (attempt > retries) throw new DumpInterruptedError('nftables ruleset', attempt, ruleset === undefined ? [] : [ruleset]);
  }
}

type Dumped = Omit<NftRuleset, 'genid'>;

/** One pass over every kind of object; undefined when a set went away under it (the generation moved). */
async function dumpOnce(conn: Connection, options: RulesetOptions): Promise<Dumped | undefined> {
  const family = options.family ?? 'unspec';
  const byTable = options.table === undefined ? {} : { table: options.table };
  // Queued at once: the connection runs them one after the other without a turn in between.
  const [tables, chains, rules, sets, objects, flowtables] = await Promise.all([
    dump(conn, 'gettable', family, {}, options),
    dump(conn, 'getchain', family, byTable, options),
    dumpRules(conn, family, byTable, options),
    dump(conn, 'getset', family, byTable, options),
    dump(conn, 'getobj', family, byTable, options),
    dump(conn, 'getflowtable', family, byTable, options),
  ]);
  const keep = (m: NetlinkMessage, tableKey: string) => options.table === undefined || attr(m, tableKey) === options.table;
  const ownSets = sets.filter((m) => keep(m, 'table'));
  let elements: NetlinkMessage[][];
  try {
    elements = await Promise.all(
      ownSets.map((s) => dump(conn, 'getsetelem', s.header?.family as NftFamily, { table: attr(s, 'table'), set: attr(s, 'name') }, options)),
    );
  } catch (err) {
    if (isNetlinkError(err) && err.errno === ENOENT) return undefined; // deleted since the set dump
    throw err;
  }
  return {
    tables: tables.filter((m) => keep(m, 'name')),
    chains: chains.filter((m) => keep(m, 'table')),
    rules: rules.filter((m) => keep(m, 'table')),
    sets: ownSets,
    elements: elements.flat(),
    objects: objects.filter((m) => keep(m, 'table')),
    flowtables: flowtables.filter((m) => keep(m, 'table')),
  };
}

function dump(conn: Connection, kind: string, family: NftFamily, attrs: Record<string, unknown>, options: RequestOptions): Promise<NetlinkMessage[]> {
  const msg: OutgoingMessage = { kind, header: header(family), attrs };
  return conn.dump(msg, options);
}

/** What a rule dump decodes up front: where each rule is. The rest stays bytes (DumpedRule). */
const RULE_HEAD: AttrSelection = { table: true, chain: true };

function dumpRules(conn: Connection, family: NftFamily, attrs: Record<string, unknown>, options: RequestOptions): Promise<NetlinkMessage[]> {
  const msg: OutgoingMessage = { kind: 'getrule', header: header(family), attrs };
  return conn.dumpMap(msg, (head, bytes, offset) => new DumpedRule(head, bytes, offset, conn.codec), options, RULE_HEAD);
}

/**
 * A dumped rule held as its bytes (a share of one copy per datagram): `attrs` is decoded from them
 * on each access, and not kept. A 10,000-rule listing held as decoded objects until to-json had
 * read them all was copied by every scavenge meanwhile and promoted, most of a listing's time; as
 * bytes it costs the collector nothing, and each rule's attributes die young in to-json, which
 * reads them once. `head` holds the table and chain (RULE_HEAD) for filters that only need those.
 */
class DumpedRule implements NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly kind: string | undefined;
  readonly family: string | undefined;
  readonly header: Record<string, unknown> | undefined;
  readonly #head: AttrValues | undefined;
  readonly #bytes: Uint8Array;
  readonly #offset: number;
  readonly #codec: ProtocolCodec;

  constructor(head: NetlinkMessage, bytes: Uint8Array, offset: number, codec: ProtocolCodec) {
    this.type = head.type;
    this.flags = head.flags;
    this.seq = head.seq;
    this.pid = head.pid;
    this.kind = head.kind;
    this.family = head.family;
    this.header = head.header;
    this.#head = head.attrs;
    this.#bytes = bytes;
    this.#offset = offset;
    this.#codec = codec;
  }

  /** Every attribute, decoded now (each access decodes again: read it once). */
  get attrs(): AttrValues | undefined {
    const ctx = makeCtx(this.#bytes);
    return this.#codec.decodeFrame(ctx, this.#offset, this.#codec.frameEnd(ctx, this.#offset)).attrs;
  }

  /** The table (and chain) alone, decoded with the dump. */
  get head(): AttrValues | undefined {
    return this.#head;
  }
}

function header(family: NftFamily): Record<string, unknown> {
  return { family, version: 0, resId: 0 };
}

function attr(m: NetlinkMessage, key: string): unknown {
  const attrs = m instanceof DumpedRule ? m.head : m.attrs;
  return (attrs as Record<string, unknown> | undefined)?.[key];
}
