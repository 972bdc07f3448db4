/**
 * libnftables JSON -> the nf_tables messages nft 1.0.6 sends for it ("linearize"), after checking
 * the document (validate.ts). Pure: no I/O. The messages are in the nftables spec's names (kind
 * 'newrule', attrs { table, chain, expressions: { elem: [...] } }) with the flags nft gives each
 * command (add: CREATE [|APPEND for rules], create: |EXCL, insert: CREATE, replace: REPLACE);
 * the transaction layer adds NLM_F_REQUEST, sequence numbers and the batch markers.
 *
 * Every bad input is an InvalidArgumentError naming its JSON path, thrown before anything could be
 * sent. With `ruleset` (the current listing) rules, elements and deletions are also checked against
 * what exists; without it only against the document itself when `checkReferences` is true.
 */
import { NLM_F } from '../../../protocol/netlink.js';
import type { OutgoingMessage } from '../../codec/message.js';
import type { NftFamily } from './types.js';
import { type Command, parseDocument } from './validate.js';
import { type JsonPath, failAt } from './json-path.js';
import { RulesetModel, SET_FLAG, type SetModel, type TableModel } from './linearize-model.js';
import { chainAttrs, flowtableAttrs, objectAttrs, tableAttrs, commentTlv } from './linearize-chains.js';
import { anonymousSet, elementMessages, namedSet } from './linearize-setcmds.js';
import { type StmtEnv, parseStatements } from './linearize-stmt.js';
import { parseLoad } from './linearize-match.js';
import { type Load, type SetRef, type Stmt, emitRule } from './linearize-emit.js';
import { reduceRule } from './linearize-reduce.js';

/** One message of a transaction, with the command it came from. */
export interface NftMessage extends OutgoingMessage {
  kind: string;
  /** NLM_F_CREATE / EXCL / APPEND / REPLACE as nft sets them (NLM_F_REQUEST is the sender's). */
  flags: number;
  header: { family: NftFamily | 'unspec'; version: 0; resId: 0 };
  attrs: Record<string, unknown>;
  /** Index of the command in the document's `nftables` list. */
  command: number;
  /** What the command acts on, for error messages: 'rule inet nat POSTROUTING', 'table ip filter'. */
  label: string;
}

export interface LinearizeOptions {
  /** The current ruleset as listed (to-json's `{ nftables: [...] }`): references, `index` and set types are resolved against it. */
  ruleset?: unknown;
  /** Refuse references to tables, chains and sets that neither the document nor `ruleset` has. Default: when `ruleset` is given. */
  checkReferences?: boolean;
  /**
   * The index of an interface by name, for rules that compare indexes (meta iif "eth0"), as nft
   * looks them up when it parses the rule. Without it such names are refused.
   */
  ifindex?: (name: string) => number | undefined;
}

export interface LinearizedDocument {
  messages: NftMessage[];
}

const DEL_KIND: Readonly<Record<string, string>> = {
  table: 'table',
  chain: 'chain',
  rule: 'rule',
  set: 'set',
  map: 'set',
  element: 'setelem',
  counter: 'obj',
  quota: 'obj',
  limit: 'obj',
  flowtable: 'flowtable',
};

class Linearizer {
  private readonly messages: NftMessage[] = [];
  private readonly deferred: NftMessage[] = [];
  private readonly model: RulesetModel;
  private readonly strict: boolean;
  private setId = 0;
  readonly ifindex: ((name: string) => number | undefined) | undefined;
  private cmd!: Command;

  constructor(opts: LinearizeOptions) {
    this.model = RulesetModel.fromRuleset(opts.ruleset);
    this.strict = opts.checkReferences ?? opts.ruleset !== undefined;
    this.ifindex = opts.ifindex;
    this.setId = this.model.setCount;
  }

  private emit(kind: string, flags: number, attrs: Record<string, unknown>, family: NftFamily | 'unspec' = this.cmd.family, later = false): void {
    const b = this.cmd.body;
    const what =
      this.cmd.kind === 'rule'
        ? `${b.table} ${b.chain}`
        : this.cmd.kind === 'table'
          ? `${b.name ?? b.handle}`
          : `${b.table} ${b.name ?? b.handle ?? ''}`;
    const label = `${this.cmd.command} ${this.cmd.kind} ${family}${this.cmd.kind === 'ruleset' ? '' : ` ${what.trim()}`}`;
    (later ? this.deferred : this.messages).push({ kind, flags, header: { family, version: 0, resId: 0 }, attrs, command: this.cmd.index, label });
  }

  /** Messages that wait for the rest of the document (see elements()). */
  finish(): NftMessage[] {
    return [...this.messages, ...this.deferred];
  }

  /** The messages of the commands run so far (not the deferred ones), taken out. */
  take(): NftMessage[] {
    return this.messages.splice(0);
  }

  /** The deferred messages, taken out: they end the document. */
  takeDeferred(): NftMessage[] {
    return this.deferred.splice(0);
  }

  private table(path: JsonPath, create = false): TableModel | undefined {
    const { family, body } = this.cmd;
    const name = (this.cmd.kind === 'table' ? body.name : body.table) as string;
    const t = this.model.table(family, name);
    if (t || create) return t ?? this.model.addTable(family, name);
    if (this.strict)
      failAt(
        path.key(this.cmd.kind === 'table' ? 'name' : 'table'),
        `table ${family} ${name} does not exist (neither in the ruleset nor added before in the document)`,
      );
    return undefined;
  }

  run(cmd: Command): void {
    this.cmd = cmd;
    const { command, kind } = cmd;
    if (command === 'flush') return this.flush();
    if (command === 'delete' || command === 'destroy') return this.remove();
    switch (kind) {
      case 'table':
        return this.addTable();
      case 'chain':
        return this.addChain();
      case 'rule':
        return this.addRule();
      case 'set':
      case 'map':
        return this.addSet();
      case 'element':
        return this.addElements();
      case 'counter':
      case 'quota':
      case 'limit':
        this.table(cmd.path);
        this.model.addTable(cmd.family, cmd.body.table as string).objects.add(`${kind}\0${cmd.body.name}`);
        return this.emit('newobj', this.createFlags(), objectAttrs(kind, cmd.body, cmd.path));
      case 'flowtable':
        this.table(cmd.path);
        return this.emit('newflowtable', this.createFlags(), flowtableAttrs(cmd.family, cmd.body, cmd.path));
    }
  }

  private createFlags(extra = 0): number {
    return NLM_F.CREATE | extra | (this.cmd.command === 'create' ? NLM_F.EXCL : 0);
  }

  private addTable(): void {
    const { body, path, family } = this.cmd;
    this.model.addTable(family, body.name as string);
    this.emit('newtable', this.cmd.command === 'create' ? NLM_F.EXCL : 0, tableAttrs(body, path));
  }

  private addChain(): void {
    const { body, path } = this.cmd;
    const t = this.table(path);
    const attrs = chainAttrs(this.cmd.family, body, path);
    if (t && !t.chains.has(body.name as string)) t.chains.set(body.name as string, { name: body.name as string, rules: [] });
    else if (!t) this.model.addTable(this.cmd.family, body.table as string).chains.set(body.name as string, { name: body.name as string, rules: [] });
    this.emit('newchain', this.createFlags(), attrs);
  }

  private chainOf(t: TableModel | undefined, path: JsonPath) {
    const name = this.cmd.body.chain as string;
    const c = t?.chains.get(name);
    if (!c && this.strict)
      failAt(
        path.key('chain'),
        `chain ${this.cmd.family} ${this.cmd.body.table} ${name} does not exist (neither in the ruleset nor added before in the document)`,
      );
    return c;
  }

  private addRule(): void {
    const { body, path, command, family } = this.cmd;
    const t = this.table(path);
    const chain = this.chainOf(t, path);
    const env = this.ruleEnv(t);
    const stmts = parseStatements(env, body.expr, path.key('expr'));
    const exprs = emitRule(reduceRule(stmts, family));
    const attrs: Record<string, unknown> = { table: body.table, chain: body.chain };
    if (command === 'replace') attrs.handle = BigInt(body.handle as number);
    attrs.expressions = { elem: exprs };
    const position = this.position(chain, path);
    if (position !== undefined) attrs.position = position;
    if (body.comment !== undefined) attrs.userdata = commentTlv(body.comment, path.key('comment'));
    const flags = command === 'replace' ? NLM_F.REPLACE : command === 'insert' ? NLM_F.CREATE : this.createFlags(NLM_F.APPEND);
    this.emit('newrule', flags, attrs);
    if (chain && command !== 'replace') chain.rules.push(undefined);
  }

  /** NFTA_RULE_POSITION: a handle, or the handle of the rule at `index` in the listing. */
  private position(chain: { rules: (number | undefined)[] } | undefined, path: JsonPath): bigint | undefined {
    const { body, command } = this.cmd;
    // nft 1.0.6 takes a rule's position from "index" only: the "handle" of a listed rule applied again is ignored.
    if (command === 'replace' || body.index === undefined) return undefined;
    const i = body.index as number;
    if (!chain) return failAt(path.key('index'), 'a position by index needs the current ruleset (options.ruleset) to find the rule at that index');
    const handle = chain.rules[i];
    if (i >= chain.rules.length)
      failAt(path.key('index'), `the chain has ${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'}; there is none at index ${i}`);
    if (handle === undefined) failAt(path.key('index'), `the rule at index ${i} is added by this document and has no handle yet`);
    return BigInt(handle);
  }

  private ruleEnv(t: TableModel | undefined): StmtEnv {
    return new RuleScope(this, t, this.cmd.family, this.cmd.body.table as string);
  }

  /** A set a rule names: its reference (and id when the transaction makes it). */
  namedSet(t: TableModel | undefined, family: NftFamily, table: string, name: string, path: JsonPath): ReturnType<StmtEnv['named']> {
    const s = t?.sets.get(name);
    if (!s && this.strict) failAt(path, `set @${name} does not exist in table ${family} ${table}`);
    return { ref: { name, ...(s?.id !== undefined && { id: s.id }) }, ...(s?.key && { key: s.key.parts[0]! }), map: s?.map ?? false };
  }

  /** An anonymous set a rule builds: its newset and newsetelem go before the rule. */
  anonymousSet(table: string, key: Load, items: unknown[], path: JsonPath, map?: 'verdict', shift?: number): SetRef {
    const id = ++this.setId;
    const a = anonymousSet(table, key, items, path, id, map === 'verdict', shift);
    this.emit('newset', NLM_F.CREATE, a.attrs);
    this.emit('newsetelem', NLM_F.CREATE, { table, set: a.set.name, setId: id, elements: { elem: a.elements } });
    return { name: a.set.name, id };
  }

  checkChain(t: TableModel | undefined, family: NftFamily, table: string, name: string, path: JsonPath): void {
    if (this.strict && !t?.chains.has(name)) failAt(path, `chain ${name} does not exist in table ${family} ${table}`);
  }

  private addSet(): void {
    const { body, path, kind } = this.cmd;
    const t = this.table(path) ?? this.model.addTable(this.cmd.family, body.table as string);
    const id = ++this.setId;
    const env = this.ruleEnv(t);
    const { model, attrs } = namedSet(kind as 'set' | 'map', body, path, id, (json, p) => parseLoad(env, json, p));
    t.sets.set(model.name, model);
    const at = this.messages.length;
    this.emit('newset', this.createFlags(), attrs);
    if (body.elem === undefined) return;
    const before = this.messages.length;
    this.elements(t, model, body.elem, path.key('elem'), 'newsetelem');
    // A constant set is as big as its elements: nft says so (desc size), and the kernel picks its backend by it.
    if (model.flags & SET_FLAG.constant && body.size === undefined) {
      const n = this.messages.slice(before).reduce((k, m) => k + (m.attrs.elements as { elem: unknown[] }).elem.length, 0);
      const { userdata, ...head } = this.messages[at]!.attrs;
      const { timeout, gcInterval, ...rest } = head;
      this.messages[at]!.attrs = {
        ...rest,
        desc: { size: n },
        ...(timeout !== undefined && { timeout }),
        ...(gcInterval !== undefined && { gcInterval }),
        userdata,
      };
    }
  }

  private elements(t: TableModel, set: SetModel, elem: unknown, path: JsonPath, kind: string): void {
    const items = Array.isArray(elem) ? elem : [elem];
    const adding = kind === 'newsetelem';
    const list = elementMessages(t.name, set, items, path, { withId: adding, firstSegment: adding && !set.hasElements });
    // A verdict map's jump to a chain the document adds later (nft lists maps before chains) waits for it: end of the batch.
    const later = adding && set.data !== undefined && 'verdict' in set.data && list.some((a) => jumpsToUnknown(t, a));
    for (const attrs of list) this.emit(kind, adding ? this.createFlags() : 0, attrs, this.cmd.family, later);
    if (adding && items.length > 0) set.hasElements = true;
  }

  private setOf(t: TableModel | undefined, path: JsonPath): SetModel {
    const name = this.cmd.body.name as string;
    const s = t?.sets.get(name);
    if (!s)
      return failAt(
        path.key('name'),
        `set ${this.cmd.family} ${this.cmd.body.table} ${name} is not known: add it in the document, or pass the current ruleset (options.ruleset) so its type is known`,
      );
    return s;
  }

  private addElements(): void {
    const { path, body } = this.cmd;
    const t = this.table(path);
    this.elements(t!, this.setOf(t, path), body.elem, path.key('elem'), 'newsetelem');
  }

  private remove(): void {
    const { command, kind, body, path, family } = this.cmd;
    const msg = `${command === 'destroy' ? 'destroy' : 'del'}${DEL_KIND[kind]}`;
    const byHandle = body.handle !== undefined && kind !== 'rule';
    const handle = body.handle === undefined ? undefined : BigInt(body.handle as number);
    const t = kind === 'table' || command === 'destroy' || byHandle ? undefined : this.table(path);
    switch (kind) {
      case 'table':
        if (byHandle) return this.emit(msg, 0, { handle });
        this.model.deleteTable(family, body.name as string);
        return this.emit(msg, 0, { name: body.name });
      case 'chain':
        if (!byHandle && this.strict && command === 'delete' && !t?.chains.has(body.name as string))
          failAt(path.key('name'), `chain ${family} ${body.table} ${body.name} does not exist`);
        t?.chains.delete(body.name as string);
        return this.emit(msg, 0, byHandle ? { table: body.table, handle } : { table: body.table, name: body.name });
      case 'rule':
        return this.emit(msg, 0, { table: body.table, chain: body.chain, handle });
      case 'set':
      case 'map':
        t?.sets.delete(body.name as string);
        return this.emit(msg, 0, byHandle ? { table: body.table, handle } : { table: body.table, name: body.name });
      case 'element': {
        const tt = this.table(path);
        return this.elements(tt!, this.setOf(tt, path), body.elem, path.key('elem'), msg);
      }
      case 'flowtable':
        return this.emit(msg, 0, byHandle ? { table: body.table, handle } : { table: body.table, name: body.name });
      default:
        return this.emit(msg, 0, { table: body.table, name: body.name, type: kind, data: {} });
    }
  }

  private flush(): void {
    const { kind, body, family } = this.cmd;
    switch (kind) {
      case 'ruleset':
        this.model.clear(family);
        return this.emit('deltable', 0, {}, family);
      case 'table':
        return this.emit('delrule', 0, { table: body.name });
      case 'chain':
        return this.emit('delrule', 0, { table: body.table, chain: body.name });
      default:
        return this.emit('delsetelem', 0, { set: body.name, table: body.table });
    }
  }
}

/** What a rule's statements see of the document: one object per rule, its methods the linearizer's. */
class RuleScope implements StmtEnv {
  readonly ctx = {};
  out: Stmt[] = [];
  readonly head: Stmt[] = [];
  readonly ifindex: ((name: string) => number | undefined) | undefined;

  constructor(
    private readonly lin: Linearizer,
    private readonly t: TableModel | undefined,
    readonly family: NftFamily,
    private readonly table: string,
  ) {
    this.ifindex = lin.ifindex;
  }

  named(name: string, path: JsonPath): ReturnType<StmtEnv['named']> {
    return this.lin.namedSet(this.t, this.family, this.table, name, path);
  }

  anonymous(key: Load, items: unknown[], path: JsonPath, map?: 'verdict', shift?: number): SetRef {
    return this.lin.anonymousSet(this.table, key, items, path, map, shift);
  }

  checkChain(name: string, path: JsonPath): void {
    this.lin.checkChain(this.t, this.family, this.table, name, path);
  }
}

/** Whether a newsetelem's elements jump to (or goto) a chain the model does not have yet. */
function jumpsToUnknown(t: TableModel, attrs: Record<string, unknown>): boolean {
  const elems = (attrs.elements as { elem: { data?: { verdict?: { chain?: string } } }[] }).elem;
  return elems.some((e) => e.data?.verdict?.chain !== undefined && !t.chains.has(e.data.verdict.chain));
}

/**
 * Checks a libnftables JSON document and turns it into the messages nft would send, in order.
 * Throws InvalidArgumentError (with the JSON path) on the first problem.
 */
export function linearizeDocument(doc: unknown, options: LinearizeOptions = {}): LinearizedDocument {
  return linearizeCommands(parseDocument(doc), options);
}

/** linearizeDocument of the commands parseDocument gave (a caller that checked the shape first does not check it twice). */
export function linearizeCommands(commands: readonly Command[], options: LinearizeOptions = {}): LinearizedDocument {
  const lin = new Linearizer(options);
  for (const c of commands) lin.run(c);
  return { messages: lin.finish() };
}

/**
 * linearizeCommands one command at a time: the messages of each as soon as it is linearized (the
 * deferred ones at the end), so a consumer that encodes them as they come (NftConnection.transaction)
 * does not keep a big document's messages alive as objects. An error is thrown where it is found,
 * so the consumer must take every message before it sends anything.
 */
export function* linearizeEach(commands: readonly Command[], options: LinearizeOptions = {}): Generator<NftMessage, void, undefined> {
  const lin = new Linearizer(options);
  for (const c of commands) {
    lin.run(c);
    yield* lin.take();
  }
  yield* lin.takeDeferred();
}

/** Checks a document as linearizeDocument does, without keeping the messages. */
export function validateDocument(doc: unknown, options: LinearizeOptions = {}): void {
  linearizeDocument(doc, options);
}
