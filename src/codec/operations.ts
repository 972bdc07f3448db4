/**
 * The operations of the specs (protocol/spec.ts OperationSpec, YNL's `operations`), by the request
 * that starts them: a message kind and whether it is a dump. An operation says which attributes
 * its request may carry, so a request can be refused by name before anything is sent, and which
 * its reply carries, as the AttrSelection a dump's decoder takes.
 *
 * Cheap on the request path: finding an operation is one Map lookup, and checking a request walks
 * its own keys against a Set, allocating nothing unless an attribute is refused.
 */
import type { FamilySpec, OperationMessageSpec, OperationSpec } from '../../protocol/spec.js';
import { InvalidArgumentError } from '../errors/index.js';
import { SpecError } from './errors.js';
import type { AttrSelection } from './types.js';

export type OperationMode = 'do' | 'dump';

const NONE: readonly string[] = Object.freeze([]);

/** One form (do or dump) of one operation, as a request of its kind finds it. */
export class Operation {
  private readonly taken: ReadonlySet<string>;
  private selection: AttrSelection | undefined;

  constructor(
    readonly family: string,
    readonly name: string,
    readonly mode: OperationMode,
    readonly request: OperationMessageSpec,
    readonly reply: OperationMessageSpec | undefined,
    readonly spec: OperationSpec,
  ) {
    this.taken = new Set(request.attributes);
  }

  /**
   * The attributes of `attrs` the request may not carry, in their order; none (a shared empty
   * array) when all are taken. `unknown` (raw attributes by number) and keys holding undefined
   * (the encoder leaves them out) are not attributes of the request.
   */
  offending(attrs: object | null | undefined): readonly string[] {
    if (attrs === null || attrs === undefined) return NONE;
    let out: string[] | undefined;
    for (const key in attrs) {
      if (this.taken.has(key) || key === 'unknown' || (attrs as Record<string, unknown>)[key] === undefined) continue;
      (out ??= []).push(key);
    }
    return out ?? NONE;
  }

  /** Throws InvalidArgumentError naming each attribute the request may not carry. */
  check(attrs: object | null | undefined): void {
    const bad = this.offending(attrs);
    if (bad.length > 0) throw refusal(this, bad);
  }

  /** The reply's attributes as a selection for the decoder: one frozen object, so it is found by identity. */
  get replySelection(): AttrSelection | undefined {
    if (this.selection === undefined && this.reply !== undefined) {
      this.selection = Object.freeze(Object.fromEntries(this.reply.attributes.map((a) => [a, true] as const)));
    }
    return this.selection;
  }
}

function refusal(op: Operation, bad: readonly string[]): InvalidArgumentError {
  const what = `${op.name}${op.mode === 'dump' ? ' dump' : ''} request`;
  const takes = op.request.attributes.length > 0 ? `it takes ${op.request.attributes.join(', ')}` : 'it takes none';
  if (bad.length === 1) return new InvalidArgumentError('attribute', bad[0], `is not an attribute of a ${what} (${takes})`);
  const names = bad.map((b) => `"${b}"`).join(', ');
  return new InvalidArgumentError('attributes', bad, `attributes ${names} are not attributes of a ${what} (${takes})`);
}

/** The operations of some families, by request kind: [do, dump]. */
export class Operations {
  private static readonly cache = new WeakMap<readonly FamilySpec[], Operations>();
  private readonly byKind = new Map<string, [Operation | undefined, Operation | undefined]>();

  constructor(specs: readonly FamilySpec[]) {
    for (const spec of specs) {
      for (const [name, op] of Object.entries(spec.operations ?? {})) {
        if (op.do?.request) this.add(spec.name, name, 'do', op);
        if (op.dump?.request) this.add(spec.name, name, 'dump', op);
      }
    }
  }

  /** The Operations of a list of specs, made once per list. */
  static of(specs: readonly FamilySpec[]): Operations {
    let ops = Operations.cache.get(specs);
    if (ops === undefined) Operations.cache.set(specs, (ops = new Operations(specs)));
    return ops;
  }

  /** The operation a request of `kind` starts (its dump form when `dump`), or undefined when none does. */
  find(kind: string, dump: boolean): Operation | undefined {
    return this.byKind.get(kind)?.[dump ? 1 : 0];
  }

  /** Like find(), but InvalidArgumentError when no operation sends that request. */
  get(kind: string, dump: boolean): Operation {
    const op = this.find(kind, dump);
    if (op === undefined) {
      const other = this.find(kind, !dump);
      const why = other ? `only as a ${other.mode === 'dump' ? 'dump' : 'do (not a dump)'} request` : 'by no operation of the specs';
      throw new InvalidArgumentError('request', `${kind}${dump ? ' dump' : ''}`, `${kind} is sent ${why}`);
    }
    return op;
  }

  private add(family: string, name: string, mode: OperationMode, op: OperationSpec): void {
    const form = op[mode]!;
    const request = form.request!;
    const slot = this.byKind.get(request.message) ?? [undefined, undefined];
    const i = mode === 'dump' ? 1 : 0;
    const before = slot[i];
    if (before !== undefined) {
      throw new SpecError(`${mode} request ${request.message} is sent by both ${before.name} and ${name}`, [family, 'operations', name, mode]);
    }
    slot[i] = new Operation(family, name, mode, request, form.reply, op);
    this.byKind.set(request.message, slot);
  }
}
