/**
 * Decoded nf_tables dump messages -> the libnftables JSON document `nft -j list ruleset` prints (nft 1.0.6):
 * the same objects in the same order with the same keys, key order and values.
 *
 * Input: the messages of the dumps (NetlinkMessage of the 'nftables' spec: `header.family`, `attrs`), grouped by
 * kind. Rules go through nft's delinearizer (delinearize.ts, postprocess.ts); sets and their elements through
 * sets.ts. Pure: no I/O; the host lookups nft does while printing (interface names, time zone) are options.
 *
 * Output order, per table as nft 1.0.6 lists it: the table, its stateful objects, its named sets and maps,
 * its flowtables, its chains, then the rules of each chain in chain order. Anonymous sets (`__set%d`) are not
 * listed; rules show their elements inline.
 */
import { type Attrs, NFPROTO_ENUM, big, bytes, listElems, nest } from './attr-values.js';
import type { JsonValue, PrintState } from './datatypes.js';
import { type NetlinkExpr, type ParseContext, parseRuleExpressions } from './delinearize.js';
import { exprJson, family2str, stmtJson, stmtListJson } from './expr-json.js';
import type { NftSet } from './ir.js';
import { chainJson, flowtableJson, objJson, tableJson } from './objects-json.js';
import { type OutputContext, type ToJsonOptions, outputContext } from './output-context.js';
import { postprocessRule } from './postprocess.js';
import { addElement, delinearizeSet, finishElements, isAnonymous, objTypeName, parseUdata, udataString } from './sets.js';
import type { NftJsonDocument, NftJsonItem, NftMetainfo } from './types.js';

export type { ToJsonOptions } from './output-context.js';

/** A decoded message as the codec gives it (only what is read here). */
export interface NftDumpMessage {
  kind?: string;
  header?: { family?: unknown } & Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

/** The dumps of a ruleset listing, each in the order the kernel sent it. */
export interface RulesetMessages {
  tables?: readonly NftDumpMessage[];
  chains?: readonly NftDumpMessage[];
  rules?: readonly NftDumpMessage[];
  sets?: readonly NftDumpMessage[];
  /** newsetelem messages of every set (several per set when the dump took several datagrams) */
  elements?: readonly NftDumpMessage[];
  objects?: readonly NftDumpMessage[];
  flowtables?: readonly NftDumpMessage[];
  /** the ruleset generation the dumps were taken at (not printed: nft does not print it either) */
  genid?: unknown;
}

export interface RulesetToJsonOptions extends ToJsonOptions {
  /**
   * The metainfo item. Default: exactly what nft 1.0.6 prints (version "1.0.6", release name "Lester Gooch #5",
   * json_schema_version 1), because the output is nft 1.0.6's and consumers compare these documents with nft's;
   * json_schema_version is the only field libnftables checks on input.
   */
  metainfo?: NftMetainfo['metainfo'];
}

export const NFT_METAINFO: NftMetainfo['metainfo'] = { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 };

function familyOf(m: NftDumpMessage): number {
  return NFPROTO_ENUM.num(m.header?.family) ?? 0;
}

function attrsOf(m: NftDumpMessage): Attrs {
  return (m.attrs ?? {}) as Attrs;
}

const keyOf = (family: number, table: string): string => `${family}\u0000${table}`;

interface TableModel {
  family: number;
  name: string;
  attrs: Attrs;
  objects: Attrs[];
  sets: NftSet[];
  setsByName: Map<string, NftSet>;
  flowtables: Attrs[];
  chains: Attrs[];
  rules: Map<string, JsonValue[]>;
}

/**
 * The ruleset as nft's cache holds it: built once from the dumps, listed whole or in part (a table, a chain, a
 * set) like the `nft list` commands.
 */
export class NftJsonRuleset {
  private readonly tables: TableModel[] = [];
  private readonly byKey = new Map<string, TableModel>();
  private readonly st: PrintState;
  private readonly meta: NftMetainfo['metainfo'];

  constructor(msgs: RulesetMessages, options: RulesetToJsonOptions = {}) {
    const ctx: OutputContext = outputContext(options);
    this.st = { ctx };
    this.meta = options.metainfo ?? NFT_METAINFO;
    for (const m of msgs.tables ?? []) {
      const a = attrsOf(m);
      const t: TableModel = {
        family: familyOf(m),
        name: String(a.name ?? ''),
        attrs: a,
        objects: [],
        sets: [],
        setsByName: new Map(),
        flowtables: [],
        chains: [],
        rules: new Map(),
      };
      this.tables.push(t);
      this.byKey.set(keyOf(t.family, t.name), t);
    }
    for (const m of msgs.objects ?? []) this.tableOf(m)?.objects.push(attrsOf(m));
    for (const m of msgs.flowtables ?? []) this.tableOf(m)?.flowtables.push(attrsOf(m));
    for (const m of msgs.chains ?? []) this.tableOf(m)?.chains.push(attrsOf(m));
    for (const m of msgs.sets ?? []) {
      const t = this.tableOf(m);
      if (!t) continue;
      const set = delinearizeSet(attrsOf(m), t.family, () => this.parseCtx(t));
      t.sets.push(set);
      t.setsByName.set(set.name, set);
    }
    for (const m of msgs.elements ?? []) {
      const t = this.tableOf(m);
      const a = attrsOf(m);
      const set = t?.setsByName.get(String(a.set ?? ''));
      if (!t || !set) continue;
      for (const el of listElems(a.elements)) {
        try {
          addElement(set, el as Attrs, this.parseCtx(t));
        } catch {
          // a malformed element is left out (nft stops listing with an error); the rest still lists
        }
      }
    }
    for (const t of this.tables) {
      for (const s of t.sets) {
        try {
          finishElements(s);
        } catch {
          // elements that do not fold into intervals stay as the kernel sent them
        }
      }
    }
    for (const m of msgs.rules ?? []) {
      const a = attrsOf(m); // once: a dumped rule decodes its attributes on each read (ruleset-dump.ts)
      const t = this.tableOf(m, a);
      if (!t) continue;
      const chain = String(a.chain ?? '');
      let list = t.rules.get(chain);
      if (!list) t.rules.set(chain, (list = []));
      list.push(this.ruleJson(t, a));
    }
  }

  private tableOf(m: NftDumpMessage, a = attrsOf(m)): TableModel | undefined {
    return this.byKey.get(keyOf(familyOf(m), String(a.table ?? '')));
  }

  private parseCtx(t: TableModel): ParseContext {
    return { family: t.family, sets: t.setsByName };
  }

  private ruleJson(t: TableModel, a: Attrs): JsonValue {
    let expr: JsonValue[];
    try {
      const stmts = postprocessRule(parseRuleExpressions(listElems<NetlinkExpr>(a.expressions), this.parseCtx(t)), t.family);
      expr = stmts.map((s) => stmtJson(s, this.st));
    } catch {
      // expressions that make no sense together (no real kernel sends them): the rule lists, marked
      expr = [{ unknown: { name: 'rule' } }];
    }
    const root: { [k: string]: JsonValue } = {
      family: family2str(t.family),
      table: t.name,
      chain: String(a.chain ?? ''),
      handle: Number(big(a.handle) ?? 0n),
    };
    const comment = udataString(parseUdata(bytes(a.userdata)).get(0));
    if (comment !== undefined) root.comment = comment;
    if (expr.length) root.expr = expr;
    return { rule: root };
  }

  /** set_print_json. */
  private setJson(set: NftSet): JsonValue {
    const isMap = (set.flags & 0x8) !== 0 || (set.flags & 0x40) !== 0;
    const root: { [k: string]: JsonValue } = {
      family: family2str(set.family),
      name: set.name,
      table: set.table,
      type: dtypeJson(set.key.dtype.name),
      handle: Number(set.handle),
    };
    if (set.comment !== undefined) root.comment = set.comment;
    if (set.flags & 0x8 && set.data) root.map = set.data.dtype.name;
    else if (set.flags & 0x40) root.map = objTypeName(set.objtype);
    if (!(set.flags & 0x2)) {
      if (set.policy !== 0) root.policy = set.policy === 1 ? 'memory' : 'unknown';
      if (set.size) root.size = set.size;
    }
    const flags: JsonValue[] = [];
    if (set.flags & 0x2) flags.push('constant');
    if (set.flags & 0x4) flags.push('interval');
    if (set.flags & 0x10) flags.push('timeout');
    if (flags.length) root.flags = flags;
    if (set.timeout) root.timeout = Number(set.timeout / 1000n);
    if (set.gcInterval) root['gc-interval'] = Math.floor(set.gcInterval / 1000);
    if (set.init && set.init.exprs.length > 0) root.elem = set.init.exprs.map((e) => this.safeJson(e));
    if (set.stmts.length) root.stmt = stmtListJson(set.stmts, this.st);
    return { [isMap ? 'map' : 'set']: root };
  }

  private safeJson(e: Parameters<typeof exprJson>[0]): JsonValue {
    try {
      return exprJson(e, this.st);
    } catch {
      return { unknown: { name: 'element' } };
    }
  }

  /** table_print_json_full: one table and everything in it. */
  private tableItems(t: TableModel): JsonValue[] {
    const out: JsonValue[] = [tableJson(t.family, t.attrs)];
    for (const o of t.objects) {
      const j = objJson(t.family, o);
      if (j !== undefined) out.push(j);
    }
    for (const s of t.sets) if (!isAnonymous(s)) out.push(this.setJson(s));
    for (const f of t.flowtables) out.push(flowtableJson(t.family, f));
    for (const c of t.chains) out.push(chainJson(t.family, c));
    for (const c of t.chains) out.push(...(t.rules.get(String(c.name ?? '')) ?? []));
    return out;
  }

  private document(items: JsonValue[]): NftJsonDocument {
    return { nftables: [{ metainfo: { ...this.meta } }, ...(items as unknown as NftJsonItem[])] };
  }

  private find(family: string | number, table: string): TableModel | undefined {
    const f = typeof family === 'number' ? family : (NFPROTO_ENUM.num(family) ?? -1);
    return this.byKey.get(keyOf(f, table));
  }

  /** `nft -j list ruleset [family]`. */
  ruleset(family?: string | number): NftJsonDocument {
    const f = family === undefined ? undefined : typeof family === 'number' ? family : NFPROTO_ENUM.num(family);
    return this.document(this.tables.filter((t) => f === undefined || t.family === f).flatMap((t) => this.tableItems(t)));
  }

  /** `nft -j list tables [family]`. */
  tablesList(family?: string | number): NftJsonDocument {
    const f = family === undefined ? undefined : typeof family === 'number' ? family : NFPROTO_ENUM.num(family);
    return this.document(this.tables.filter((t) => f === undefined || t.family === f).map((t) => tableJson(t.family, t.attrs)));
  }

  /** `nft -j list table FAMILY NAME`, or undefined when there is no such table. */
  table(family: string | number, name: string): NftJsonDocument | undefined {
    const t = this.find(family, name);
    return t ? this.document(this.tableItems(t)) : undefined;
  }

  /** `nft -j list chain FAMILY TABLE NAME`: the chain and its rules. */
  chain(family: string | number, table: string, name: string): NftJsonDocument | undefined {
    const t = this.find(family, table);
    const c = t?.chains.find((x) => String(x.name ?? '') === name);
    if (!t || !c) return undefined;
    return this.document([chainJson(t.family, c), ...(t.rules.get(name) ?? [])]);
  }

  /** `nft -j list set|map FAMILY TABLE NAME`. */
  set(family: string | number, table: string, name: string): NftJsonDocument | undefined {
    const t = this.find(family, table);
    const s = t?.setsByName.get(name);
    if (!t || !s) return undefined;
    return this.document([this.setJson(s)]);
  }
}

/** Type names of a set: 'ipv4_addr', or a list for concatenations ('ipv4_addr . inet_service'). */
function dtypeJson(name: string): JsonValue {
  const parts = name.split(/[ .]+/).filter((x) => x.length > 0);
  return parts.length === 1 ? parts[0]! : parts;
}

/** `nft -j list ruleset` of decoded dumps. */
export function rulesetToJson(msgs: RulesetMessages, options: RulesetToJsonOptions = {}): NftJsonDocument {
  return new NftJsonRuleset(msgs, options).ruleset();
}

export { nest };
