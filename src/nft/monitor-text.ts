/**
 * `nft monitor`'s text (nft 1.0.6, src/monitor.c and the *_print_plain functions of rule.c) for
 * the changes `nft -j monitor` prints as JSON (monitor-json.ts): one line each, objects in their
 * one-line form (`add chain ip t c { type filter hook input priority filter; policy accept; }`,
 * `add set ip t s { type ipv4_addr; flags interval; } `, with nft's trailing space), a transaction's
 * end as `# new generation 5 by process 1234 (nft)`. Pure; the statements and values are printed
 * by the listing's formatter (src/nft/text). Elements print by their set's types, which it learns
 * from the ruleset the monitor starts from and from the sets added since.
 */
import type { NftChainBody, NftJsonDocument, NftRuleBody, NftSetBody } from './json/types.js';
import type { NftMonitorItem } from './monitor-json.js';
import { type TypeName, setItem } from './text/expressions.js';
import { chainDeclaration, objectText, ruleText, setText } from './text/objects.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON objects of any kind, read by key (as src/nft/text does)
type Obj = Record<string, any>;

/** Objects whose one-line form ends each line with "; " (rule.c obj_print_data's stmt_separator); the others with " ". */
const SEPARATED = new Set(['ct helper', 'ct timeout', 'ct expectation']);
const OBJECT_KINDS = new Set(['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark']);

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A declared set type as the element printer takes it: a name, or the names of a concatenation. */
function typeName(t: unknown): TypeName {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) {
    const names = list(t as string | string[] | undefined).flatMap((n) => n.split(' . '));
    return names.length > 1 ? names : names[0];
  }
  return undefined;
}

interface SetTypes {
  key: TypeName;
  data: TypeName;
  map: boolean;
}

/** The text lines of a monitor's changes; keeps the types of the sets it has seen, for their elements. */
export class NftMonitorText {
  private readonly sets = new Map<string, SetTypes>();

  /** The ruleset a resync carries: the sets' types (what was learnt before is dropped). */
  resync(doc: NftJsonDocument): void {
    this.sets.clear();
    for (const item of doc.nftables) {
      const kind = 'set' in item ? 'set' : 'map' in item ? 'map' : undefined;
      if (kind) this.learn(kind, (item as Obj)[kind] as NftSetBody);
    }
  }

  /** `# new generation GENID by process PID (NAME)`. */
  generation(genid: number, pid?: number, process?: string): string {
    return `# new generation ${genid}${pid === undefined ? '' : ` by process ${pid} (${process ?? ''})`}`;
  }

  /** The line for a change; `position`: the handle of the rule a new rule was put after (NFTA_RULE_POSITION). */
  line(item: NftMonitorItem, position?: number | bigint): string | undefined {
    const verb = Object.keys(item)[0] as keyof NftMonitorItem & string;
    const obj = (item as Obj)[verb] as Obj;
    const kind = Object.keys(obj)[0];
    if (kind === undefined) return undefined;
    const b = obj[kind] as Obj;
    const del = verb === 'delete';
    switch (kind) {
      case 'table':
        return `${verb} table ${b.family} ${b.name}${list(b.flags).includes('dormant') ? ' { flags dormant; }' : ''}`;
      case 'chain':
        return `${verb} ${del ? `chain ${b.family} ${b.table} ${b.name}` : chainPlain(b as NftChainBody)}`;
      case 'rule': {
        const r = b as NftRuleBody;
        const head = `${verb} rule ${r.family} ${r.table} ${r.chain} ${position ? `handle ${position} ` : ''}`;
        return del ? `${head}handle ${r.handle}` : head + ruleText(r, {});
      }
      case 'set':
      case 'map':
        if (del) {
          this.sets.delete(`${b.family}\0${b.table}\0${b.name}`);
          return `${verb} ${kind} ${b.family} ${b.table} ${b.name}`;
        }
        this.learn(kind, b as NftSetBody);
        return `${verb} ${plain(setText(kind, b as NftSetBody, b.family, {}), `${kind} ${b.family} ${b.table} ${b.name}`, true)}`;
      case 'element':
        return `${verb} element ${b.family} ${b.table} ${b.name} ${this.elements(b)}`;
      case 'flowtable':
        if (del) return `${verb} flowtable ${b.family} ${b.table} ${b.name}`;
        return `${verb} ${flowtablePlain(b)}`;
      default:
        if (!OBJECT_KINDS.has(kind)) return undefined;
        if (del) return `${verb} ${kind} ${b.family} ${b.table} ${b.name}`;
        return `${verb} ${plain(objectText(kind, b, {}), `${kind} ${b.family} ${b.table} ${b.name}`, SEPARATED.has(kind))}`;
    }
  }

  private learn(kind: 'set' | 'map', s: NftSetBody): void {
    const types = { key: typeName(s.type), data: kind === 'map' ? typeName(s.map) : undefined, map: kind === 'map' };
    this.sets.set(`${s.family}\0${s.table}\0${s.name}`, types);
  }

  /** `{ a, b }`: the elements as the set's types print them. */
  private elements(b: Obj): string {
    const t = this.sets.get(`${b.family}\0${b.table}\0${b.name}`);
    const items = list((b.elem as Obj | undefined)?.set as unknown[] | undefined);
    return `{ ${items.map((i) => setItem(i, t?.key, t?.data, t?.map ?? Array.isArray(i))).join(', ')} }`;
  }
}

/** chain_print_plain: the declaration on one line. */
function chainPlain(c: NftChainBody): string {
  const head = `chain ${c.family} ${c.table} ${c.name}`;
  if (c.type === undefined && c.hook === undefined) return head;
  // The listing's `type ... priority P; policy X;` line, in braces.
  const decl = chainDeclaration(c, {})
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('type '));
  return `${head} { ${decl ?? ''} }`;
}

/** flowtable_print_plain. */
function flowtablePlain(f: Obj): string {
  const devs = list(f.dev as string | string[] | undefined);
  const devices = devs.length > 0 ? ` devices = { ${devs.join(', ')} };` : '';
  return `flowtable ${f.family} ${f.table} ${f.name} { hook ${f.hook} priority ${f.prio};${devices} }`;
}

/**
 * The one-line (plain) form of a listing block (`\tset s {\n\t\ttype ...\n\t}\n`): `HEAD { type ...; flags ...; } `,
 * lines ended by "; " (`separated`) or " " as nft's print_fmt_options for plain output end them.
 */
function plain(block: string, head: string, separated: boolean): string {
  const inner = block
    .split('\n')
    .slice(1, -2)
    .map((l) => l.trim());
  return `${head} { ${inner.map((l) => (separated ? `${l}; ` : `${l} `)).join('')}} `;
}
