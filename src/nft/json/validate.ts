/**
 * The shape of a libnftables JSON document, checked before anything is linearized: `nftables` is a
 * list of commands ({ "add": { "table": {...} } }) or bare objects (which mean add, as `nft -j -f`
 * takes a listing), each command takes the objects it can act on, and every object has the keys
 * it needs with the right types. Errors name the JSON path: `nftables[3].add.rule.chain`.
 */
import { utf8Length } from '../../codec/values.js';
import type { NftFamily } from './types.js';
import { type JsonObject, type JsonPath, JsonPath as Path, fail, failAt, isObject, onlyKeys, singleKey } from './json-path.js';

export type CommandName = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush';
export type ObjectKind = 'table' | 'chain' | 'rule' | 'set' | 'map' | 'element' | 'counter' | 'quota' | 'limit' | 'flowtable' | 'ruleset';

/** One command of the document, its object checked for shape. */
export interface Command {
  /** Position in the document's `nftables` list. */
  index: number;
  /** `nftables[3].add.rule`: where the object is. */
  path: JsonPath;
  command: CommandName;
  kind: ObjectKind;
  body: JsonObject;
  family: NftFamily;
}

export const FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

const COMMANDS: readonly CommandName[] = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush'];
const ADDABLE: readonly ObjectKind[] = ['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'quota', 'limit', 'flowtable'];
const ALLOWED: Readonly<Record<CommandName, readonly ObjectKind[]>> = {
  add: ADDABLE,
  create: ADDABLE,
  insert: ['rule'],
  replace: ['rule'],
  delete: ADDABLE,
  destroy: ADDABLE,
  flush: ['ruleset', 'table', 'chain', 'set', 'map'],
};
const UNSUPPORTED_OBJECTS = ['ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark', 'meter', 'meters'];

/** A set's keys; a map takes the same ones. */
const SET_KEYS = [
  'family',
  'table',
  'name',
  'handle',
  'type',
  'map',
  'policy',
  'flags',
  'timeout',
  'gc-interval',
  'size',
  'comment',
  'elem',
  'stmt',
  'auto-merge',
];

/** Keys each object may have (what nft prints in a listing, plus the input-only ones). */
const KEYS: Readonly<Record<Exclude<ObjectKind, 'ruleset'>, readonly string[]>> = {
  table: ['family', 'name', 'handle', 'flags', 'comment'],
  chain: ['family', 'table', 'name', 'handle', 'type', 'hook', 'prio', 'policy', 'dev', 'comment', 'newname'],
  rule: ['family', 'table', 'chain', 'handle', 'index', 'comment', 'expr'],
  set: SET_KEYS,
  map: SET_KEYS,
  element: ['family', 'table', 'name', 'elem'],
  counter: ['family', 'table', 'name', 'handle', 'packets', 'bytes', 'comment'],
  quota: ['family', 'table', 'name', 'handle', 'bytes', 'used', 'inv', 'comment'],
  limit: ['family', 'table', 'name', 'handle', 'rate', 'per', 'burst', 'unit', 'inv', 'comment'],
  flowtable: ['family', 'table', 'name', 'handle', 'hook', 'prio', 'dev'],
};

/** NFT_NAME_MAXLEN (256) with its NUL. */
const NAME_MAX = 255;

export function checkName(v: unknown, path: JsonPath, what: string): string {
  if (typeof v !== 'string' || v.length === 0) return fail(path, v, `must be a non-empty string (${what})`);
  if (v.length > NAME_MAX / 3 && utf8Length(v) > NAME_MAX) return fail(path, v, `is longer than the ${NAME_MAX} bytes the kernel allows for ${what}`);
  if (v.includes('\0')) return fail(path, v, `must not contain NUL (${what})`);
  return v;
}

function checkFamily(body: JsonObject, path: JsonPath): NftFamily {
  const f = body.family;
  if (f === undefined) return failAt(path, `"family" is missing (one of: ${FAMILIES.join(', ')})`);
  if (typeof f !== 'string' || !(FAMILIES as readonly string[]).includes(f))
    return fail(path.key('family'), f, `is not a family (one of: ${FAMILIES.join(', ')})`);
  return f as NftFamily;
}

function checkHandle(body: JsonObject, path: JsonPath): void {
  const h = body.handle;
  if (h !== undefined && (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 1))
    fail(path.key('handle'), h, 'must be a positive integer (an object handle)');
}

/** What every command needs of its object: family, table and name as its kind has them. */
function checkIdentity(cmd: CommandName, kind: ObjectKind, body: JsonObject, path: JsonPath): NftFamily {
  const family = checkFamily(body, path);
  checkHandle(body, path);
  const byHandle = (cmd === 'delete' || cmd === 'destroy') && body.handle !== undefined;
  if (kind === 'table') {
    if (!byHandle) checkName(body.name ?? failAt(path, '"name" is missing (the table\'s name)'), path.key('name'), "the table's name");
    return family;
  }
  checkName(body.table ?? failAt(path, `"table" is missing (the table the ${kind} is in)`), path.key('table'), 'a table name');
  if (kind === 'rule') {
    checkName(body.chain ?? failAt(path, '"chain" is missing (the chain the rule is in)'), path.key('chain'), 'a chain name');
    return family;
  }
  if (!byHandle) checkName(body.name ?? failAt(path, `"name" is missing (the ${kind}'s name)`), path.key('name'), `the ${kind}'s name`);
  return family;
}

function checkRuleCommand(cmd: CommandName, body: JsonObject, path: JsonPath): void {
  const needsHandle = cmd === 'replace' || cmd === 'delete' || cmd === 'destroy';
  if (needsHandle && body.handle === undefined) failAt(path, `"handle" is missing: ${cmd} names the rule by its handle`);
  const idx = body.index;
  if (idx !== undefined) {
    if (cmd !== 'add' && cmd !== 'insert' && cmd !== 'create') failAt(path.key('index'), `"index" is a position for add and insert, not for ${cmd}`);
    if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0) fail(path.key('index'), idx, 'must be a rule position (0, 1, 2...)');
    if (body.handle !== undefined) failAt(path, 'give "handle" or "index" as the position, not both');
  }
  if (cmd === 'delete' || cmd === 'destroy') return;
  if (!Array.isArray(body.expr)) fail(path.key('expr'), body.expr, "must be the list of the rule's statements");
  if (body.expr.length === 0) failAt(path.key('expr'), 'a rule needs at least one statement');
  if (body.comment !== undefined && typeof body.comment !== 'string') fail(path.key('comment'), body.comment, 'must be a string');
}

/** One `nftables` item -> a Command, or undefined for metainfo. */
function parseItem(item: unknown, index: number, root: JsonPath): Command | undefined {
  const path = root.at(index);
  const [key, value] = singleKey(item, path, 'a command');
  if (key === 'metainfo') {
    const v = isObject(value) ? value.json_schema_version : undefined;
    if (v !== undefined && (typeof v !== 'number' || v > 1))
      fail(path.key('metainfo').key('json_schema_version'), v, 'is newer than the schema this library reads (1)');
    return undefined;
  }
  let command: CommandName = 'add';
  let objPath = path;
  let obj: unknown = item;
  if ((COMMANDS as readonly string[]).includes(key)) {
    command = key as CommandName;
    objPath = path.key(key);
    obj = value;
  } else if (key === 'list' || key === 'reset' || key === 'rename') {
    return failAt(path.key(key), `"${key}" is not a change this library applies (${COMMANDS.join(', ')} are)`);
  } else if (!(ADDABLE as readonly string[]).includes(key) && !UNSUPPORTED_OBJECTS.includes(key)) {
    return failAt(path.key(key), `"${key}" is neither a command (${COMMANDS.join(', ')}) nor an object (${ADDABLE.join(', ')})`);
  }
  const [kind, body] = singleKey(obj, objPath, `the object of "${command}"`);
  const bodyPath = objPath.key(kind);
  if (UNSUPPORTED_OBJECTS.includes(kind)) return failAt(bodyPath, `${kind} objects are not supported by this library`);
  if (!(ALLOWED[command] as readonly string[]).includes(kind)) {
    return failAt(bodyPath, `"${command}" does not take a ${kind} (it takes: ${ALLOWED[command].join(', ')})`);
  }
  return checkObject(index, command, kind as ObjectKind, body, bodyPath);
}

function checkObject(index: number, command: CommandName, kind: ObjectKind, body: unknown, path: JsonPath): Command {
  if (kind === 'ruleset') {
    if (body !== null && !isObject(body)) fail(path, body, 'must be null or { "family": ... }');
    const o = (body ?? {}) as JsonObject;
    onlyKeys(o, ['family'], path, 'a ruleset');
    const family = o.family === undefined ? ('unspec' as NftFamily) : checkFamily(o, path);
    return { index, path, command, kind, body: o, family };
  }
  if (!isObject(body)) return fail(path, body, `must be an object describing the ${kind}`);
  onlyKeys(body, KEYS[kind], path, `a ${kind}`);
  const family = checkIdentity(command, kind, body, path);
  if (kind === 'rule') checkRuleCommand(command, body, path);
  if (kind === 'element' && body.elem === undefined) failAt(path, '"elem" is missing (the elements)');
  if (command === 'add' || command === 'create') {
    if ((kind === 'set' || kind === 'map') && body.type === undefined) failAt(path, `"type" is missing (the ${kind}'s key type, like "ipv4_addr")`);
    if (kind === 'map' && body.map === undefined) failAt(path, '"map" is missing (the type of the values, like "ipv4_addr" or "verdict")');
  }
  return { index, path, command, kind, body, family };
}

/** A whole document -> its commands, or an InvalidArgumentError naming the first thing wrong. */
export function parseDocument(doc: unknown): Command[] {
  const root = Path.root();
  if (!isObject(doc)) return fail(Path.root('document'), doc, 'must be an object { "nftables": [...] }');
  const list = doc.nftables;
  if (!Array.isArray(list)) return fail(root, list, 'must be the list of commands ({ "nftables": [ { "add": {...} }, ... ] })');
  onlyKeys(doc, ['nftables'], Path.root('document'), 'a libnftables JSON document');
  const out: Command[] = [];
  list.forEach((item, i) => {
    const c = parseItem(item, i, root);
    if (c) out.push(c);
  });
  return out;
}
