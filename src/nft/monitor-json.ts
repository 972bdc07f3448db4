/**
 * `nft -j monitor` over decoded nf_tables notifications: for each message what nft 1.0.6 prints
 * (src/monitor.c), with the cache nft keeps to print them: every table's sets, anonymous ones with
 * their elements (rules show those inline), and the first end of a range until its other end
 * arrives. The cache starts from a ruleset dump (as `nft monitor` starts from a listing) and
 * follows the events. Pure: messages in, JSON out.
 *
 * Kept as nft prints it: anonymous sets and their elements are no events (the rule shows them); a
 * range of an interval set arrives as two messages and is one event; a deleted set is `type
 * "invalid"` (the kernel's DELSET carries no key type) and a set; a deleted rule's set lookups
 * are left out (nft forgets the rule's sets before printing it).
 */
import { NLM_F } from '../../protocol/netlink.js';
import { DecodeError } from '../codec/errors.js';
import { type Attrs, NFPROTO_ENUM, SET_ELEM_FLAGS, big, bytes, dataValue, listElems } from './json/attr-values.js';
import type { JsonValue, PrintState } from './json/datatypes.js';
import { type NetlinkExpr, type ParseContext, parseRuleExpressions } from './json/delinearize.js';
import { exprJson, family2str, stmtJson } from './json/expr-json.js';
import type { Expr, NftSet } from './json/ir.js';
import { chainJson, flowtableJson, objJson, tableJson } from './json/objects-json.js';
import { type ToJsonOptions, outputContext } from './json/output-context.js';
import { postprocessRule } from './json/postprocess.js';
import {
  addElement,
  concatRangeAggregate,
  delinearizeSet,
  finishElements,
  intervalMapDecompose,
  isAnonymous,
  parseUdata,
  udataString,
} from './json/sets.js';
import { NftJsonRuleset, type RulesetMessages } from './json/to-json.js';
import type { NftAddCommand, NftCreateCommand, NftDeleteCommand, NftInsertCommand } from './json/types.js';

/** One line of `nft -j monitor`: `{ add: { rule: {...} } }`, `{ insert: ... }`, `{ create: ... }`, `{ delete: ... }`. */
export type NftMonitorItem = NftAddCommand | NftCreateCommand | NftInsertCommand | NftDeleteCommand;

/** A decoded nf_tables message (only what is read here). */
export interface NftEventMessage {
  kind?: string;
  flags?: number;
  header?: { family?: unknown } & Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

const NFT_SET_INTERVAL = 0x4;
const ELEM_INTERVAL_END = 0x1;
/** NFTNL_UDATA_SET_ELEM_FLAGS, and its NFTNL_SET_ELEM_F_INTERVAL_OPEN: a range open to the end, one element. */
const UDATA_ELEM_FLAGS = 1;
const ELEM_F_INTERVAL_OPEN = 0x1;

const key = (family: number, table: string): string => `${family}\u0000${table}`;

/** netlink_msg2cmd: the verb nft prints for a message. */
function verbOf(kind: string, flags: number): 'add' | 'insert' | 'create' | 'delete' {
  if (kind.startsWith('del') || kind.startsWith('destroy')) return 'delete';
  if (kind === 'newrule') return flags & NLM_F.APPEND ? 'add' : 'insert';
  return flags & NLM_F.EXCL ? 'create' : 'add';
}

export class NftMonitorState {
  /** Sets by table (family and name), then by set name. */
  private readonly tables = new Map<string, Map<string, NftSet>>();
  /** Anonymous sets whose elements are in listing form already (a set is decomposed once). */
  private readonly finished = new WeakSet<NftSet>();
  /** nft's rg_cache: the first end of a range of an interval set, until the message with the other end. */
  private readonly rangeStart = new Map<NftSet, Expr>();
  private readonly st: PrintState;

  /** The cache of a dump: what `nft monitor` lists before it listens. */
  constructor(ruleset: RulesetMessages, options: ToJsonOptions = {}) {
    this.st = { ctx: outputContext(options) };
    for (const m of ruleset.tables ?? []) this.tables.set(key(familyOf(m), String(attrs(m).name ?? '')), new Map());
    for (const m of ruleset.sets ?? []) this.addSet(m);
    for (const m of ruleset.elements ?? []) {
      // Only anonymous sets' elements are printed (inline in their rule): a named set's are not kept.
      const set = this.setOf(m, String(attrs(m).set ?? ''));
      if (set && isAnonymous(set)) for (const el of listElems(attrs(m).elements)) addElement(set, el as Attrs, this.ctx(set.family, set.table));
    }
    for (const sets of this.tables.values()) {
      for (const s of sets.values()) {
        finishElements(s);
        this.finished.add(s);
      }
    }
  }

  /**
   * What `nft -j monitor` prints for `m` (undefined: nothing), the cache updated after it. `apply`
   * false prints without updating the sets (a change the cache's dump already holds). A message the
   * cache cannot print (an element of a set it does not know) is a DecodeError: the cache is off.
   */
  event(m: NftEventMessage, apply = true): NftMonitorItem | undefined {
    const kind = m.kind ?? '';
    const family = familyOf(m);
    const a = attrs(m);
    const verb = verbOf(kind, m.flags ?? 0);
    let body: JsonValue | undefined;
    switch (kind) {
      case 'newtable':
      case 'deltable':
        if (apply) this.tableChanged(kind, family, String(a.name ?? ''));
        body = tableJson(family, a);
        break;
      case 'newchain':
      case 'delchain':
        body = chainJson(family, a);
        break;
      case 'newset':
      case 'delset':
        body = this.setEvent(m, kind, apply);
        break;
      case 'newsetelem':
      case 'delsetelem':
        body = this.elementEvent(m, kind, apply);
        break;
      case 'newrule':
      case 'delrule':
        body = this.ruleEvent(family, a, kind, apply);
        break;
      case 'newobj':
      case 'delobj':
        body = objJson(family, a);
        if (kind === 'delobj') nullHelperName(body);
        break;
      case 'newflowtable':
      case 'delflowtable':
        body = flowtableJson(family, a);
        break;
    }
    return body === undefined ? undefined : ({ [verb]: body } as unknown as NftMonitorItem);
  }

  private tableChanged(kind: string, family: number, name: string): void {
    const k = key(family, name);
    if (kind === 'deltable') {
      for (const s of this.tables.get(k)?.values() ?? []) this.rangeStart.delete(s);
      this.tables.delete(k);
    } else if (!this.tables.has(k)) this.tables.set(k, new Map());
  }

  /** Named sets print (`set_print_json`); anonymous ones are only cached. */
  private setEvent(m: NftEventMessage, kind: string, apply: boolean): JsonValue | undefined {
    const a = attrs(m);
    const family = familyOf(m);
    const table = String(a.table ?? '');
    const name = String(a.name ?? '');
    if (kind === 'newset') {
      const set = apply ? this.addSet(m) : delinearizeSet(a, family, () => this.ctx(family, table));
      if (isAnonymous(set)) return undefined;
    } else if (apply) {
      const sets = this.tables.get(key(family, table));
      const gone = sets?.get(name);
      if (gone) this.rangeStart.delete(gone);
      sets?.delete(name);
    }
    // The listing's set JSON, of a one-set ruleset (a DELSET carries no type: "invalid", as nft prints it).
    const doc = new NftJsonRuleset({ tables: [{ header: { family }, attrs: { name: table } }], sets: [m] }).set(family, table, name);
    return doc?.nftables[1] as JsonValue | undefined;
  }

  /** netlink_events_setelem_cb: elements of a named set (a range once both its ends are in). */
  private elementEvent(m: NftEventMessage, kind: string, apply: boolean): JsonValue | undefined {
    const a = attrs(m);
    const name = String(a.set ?? '');
    const set = this.setOf(m, name);
    if (!set) {
      const where = `${family2str(familyOf(m))} ${String(a.table ?? '')} ${name}`;
      throw new DecodeError(`element event for ${where}, a set the monitor does not know`, 0);
    }
    const elems = listElems(a.elements) as Attrs[];
    const ctx = this.ctx(set.family, set.table);
    if (isAnonymous(set)) {
      // Cached for the rule that uses it, which prints them.
      if (apply && kind === 'newsetelem') for (const el of elems) addElement(set, el, ctx);
      return undefined;
    }
    const dummy: NftSet = { ...set, init: undefined };
    for (const el of elems) {
      if (ignoredRangeEnd(el)) return undefined;
      addElement(dummy, el, ctx);
    }
    const last = elems[elems.length - 1];
    if (!dummy.init || this.rangeCached(set, dummy, last !== undefined && openInterval(last))) return undefined;
    return { element: { family: family2str(set.family), table: set.table, name, elem: exprJson(dummy.init, this.st) } };
  }

  /**
   * netlink_event_range_cache: true when `dummy` holds the first end of a range (kept until the
   * other). `open`: its last element is a range open to the end (no other end comes).
   */
  private rangeCached(set: NftSet, dummy: NftSet, open: boolean): boolean {
    if (!(set.flags & NFT_SET_INTERVAL)) return false;
    const init = dummy.init!;
    const start = this.rangeStart.get(set);
    if (start !== undefined) {
      init.exprs.push(start);
      this.rangeStart.delete(set);
    } else {
      const last = init.exprs[init.exprs.length - 1];
      if (last !== undefined && !open && dummy.fieldCount <= 1) {
        this.rangeStart.set(set, last);
        return true;
      }
    }
    if (dummy.fieldCount > 1) concatRangeAggregate(init);
    else intervalMapDecompose(init);
    return false;
  }

  /**
   * netlink_events_rule_cb. A deleted rule's sets leave the cache before it is printed (nft's
   * cache_update runs first): its lookups print as nothing; its anonymous sets go for good.
   */
  private ruleEvent(family: number, a: Attrs, kind: string, apply: boolean): JsonValue {
    const table = String(a.table ?? '');
    const exprs = listElems<NetlinkExpr>(a.expressions);
    const used = lookedUp(exprs);
    const sets = this.tables.get(key(family, table)) ?? new Map<string, NftSet>();
    let ctx: ParseContext = { family, sets };
    if (kind === 'delrule') {
      const left = new Map(sets);
      for (const n of used) left.delete(n);
      ctx = { family, sets: left };
      if (apply) for (const n of used) if (sets.get(n) && isAnonymous(sets.get(n)!)) sets.delete(n);
    }
    const stmts = postprocessRule(parseRuleExpressions(exprs, ctx), family);
    if (kind === 'newrule') for (const n of used) this.decompose(sets.get(n));
    const root: { [k: string]: JsonValue } = { family: family2str(family), table, chain: String(a.chain ?? '') };
    root.handle = Number(big(a.handle) ?? 0n);
    const comment = udataString(parseUdata(bytes(a.userdata)).get(0));
    if (comment !== undefined) root.comment = comment;
    const expr = stmts.map((s) => stmtJson(s, this.st));
    if (expr.length) root.expr = expr;
    return { rule: root };
  }

  /** rule_map_decompose_cb: an anonymous interval set's elements as ranges and prefixes, once. */
  private decompose(set: NftSet | undefined): void {
    if (!set || !isAnonymous(set) || this.finished.has(set)) return;
    this.finished.add(set);
    if (!set.init || !(set.flags & NFT_SET_INTERVAL)) return;
    if (set.fieldCount > 1) concatRangeAggregate(set.init);
    else intervalMapDecompose(set.init);
  }

  private addSet(m: NftEventMessage): NftSet {
    const family = familyOf(m);
    const table = String(attrs(m).table ?? '');
    const set = delinearizeSet(attrs(m), family, () => this.ctx(family, table));
    let sets = this.tables.get(key(family, table));
    if (!sets) this.tables.set(key(family, table), (sets = new Map()));
    sets.set(set.name, set);
    return set;
  }

  private setOf(m: NftEventMessage, name: string): NftSet | undefined {
    return this.tables.get(key(familyOf(m), String(attrs(m).table ?? '')))?.get(name);
  }

  private ctx(family: number, table: string): ParseContext {
    return { family, sets: this.tables.get(key(family, table)) ?? new Map() };
  }
}

function familyOf(m: { header?: { family?: unknown } }): number {
  return NFPROTO_ENUM.num(m.header?.family) ?? 0;
}

function attrs(m: { attrs?: Record<string, unknown> }): Attrs {
  return (m.attrs ?? {}) as Attrs;
}

/** A DELOBJ carries no data: nft prints a ct helper's missing name with printf's "(null)". */
function nullHelperName(body: JsonValue | undefined): void {
  const helper = (body as { 'ct helper'?: { type?: string } } | undefined)?.['ct helper'];
  if (helper?.type === '') helper.type = '(null)';
}

/** Names of the sets a rule's lookups use (nlr_for_each_set). */
function lookedUp(exprs: readonly NetlinkExpr[]): string[] {
  const out: string[] = [];
  for (const e of exprs) {
    const x = e as unknown as { name?: unknown; data?: { set?: unknown } };
    if (x.name === 'lookup' && typeof x.data?.set === 'string') out.push(x.data.set);
  }
  return out;
}

/** netlink_event_ignore_range_event: an interval end whose key reads as 0 (the null element) prints nothing. */
function ignoredRangeEnd(el: Attrs): boolean {
  if (!(SET_ELEM_FLAGS.flags(el.flags) & ELEM_INTERVAL_END)) return false;
  const k = dataValue(el.key) ?? new Uint8Array(0);
  for (let i = 0; i < Math.min(4, k.length); i++) if (k[i] !== 0) return false;
  return true;
}

/** set_elem_is_open_interval: the element's userdata flags say NFTNL_SET_ELEM_F_INTERVAL_OPEN. */
function openInterval(el: Attrs): boolean {
  const v = parseUdata(bytes(el.userdata)).get(UDATA_ELEM_FLAGS);
  return v !== undefined && v.length === 4 && (new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true) & ELEM_F_INTERVAL_OPEN) !== 0;
}
