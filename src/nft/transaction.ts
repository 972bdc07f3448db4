/**
 * One nftables transaction as the kernel takes it: NFNL_MSG_BATCH_BEGIN (resId: the nftables
 * subsystem), the commands, NFNL_MSG_BATCH_END, all in ONE datagram (the kernel runs what one
 * datagram holds between the two markers as one transaction and ignores whatever follows the end),
 * then a getgen in a datagram of its own as the fence (Connection.fenced).
 *
 * What the kernel answers (measured on 6.18 with hand-made batches; test/integration/nft-transaction.test.ts
 * holds the outcomes):
 * - success: nothing, unless asked. Echoes (NLM_F_ECHO) come before the fence, under their
 *   command's sequence number, and a newgen echo with the committed generation;
 * - a refused command: an NLMSG_ERROR under its sequence number, with the request and the
 *   extended ack; the kernel goes on with the batch and reports every refusal, then aborts it all;
 * - the batch as a whole refused (no CAP_NET_ADMIN, a stale NFNL_BATCH_GENID: ERESTART, a
 *   failed commit): an NLMSG_ERROR under BATCH_BEGIN's number.
 * So no command asks for an ACK: an ACK says only that its command was parsed, and comes even
 * for commands the abort undid, one socket buffer each (10,000 rules: ~8 MiB of receive buffer).
 * Asked to (NLM_F_ACK), the kernel ACKs BATCH_BEGIN always but BATCH_END only after a commit:
 * neither ends the answers of a failed batch, which is why the fence does. (A batch without its
 * END is dropped, with ACKs for what asked for one.)
 */
import { NLM_F } from '../../protocol/netlink.js';
import { NFNL_SUBSYS_NFTABLES } from '../../protocol/nfnetlink.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { EncodeError } from '../codec/errors.js';
import type { NetlinkMessage, OutgoingMessage, ProtocolCodec } from '../codec/message.js';
import type { BatchResult, FencedResult } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { InvalidArgumentError } from '../errors/index.js';
import { type NftCommandFailure, NftTransactionError } from './errors.js';

/** nfgenmsg.family by name (NFPROTO_*), or its number. */
export type NftFamily = 'unspec' | 'inet' | 'ip' | 'arp' | 'netdev' | 'bridge' | 'ip6' | number;

/** The messages a transaction may carry: the nftables changes. */
export type NftCommandKind =
  | 'newtable'
  | 'deltable'
  | 'destroytable'
  | 'newchain'
  | 'delchain'
  | 'destroychain'
  | 'newrule'
  | 'delrule'
  | 'destroyrule'
  | 'newset'
  | 'delset'
  | 'destroyset'
  | 'newsetelem'
  | 'delsetelem'
  | 'destroysetelem'
  | 'newobj'
  | 'delobj'
  | 'destroyobj'
  | 'newflowtable'
  | 'delflowtable'
  | 'destroyflowtable';

const COMMAND_KINDS: ReadonlySet<string> = new Set<NftCommandKind>([
  'newtable',
  'deltable',
  'destroytable',
  'newchain',
  'delchain',
  'destroychain',
  'newrule',
  'delrule',
  'destroyrule',
  'newset',
  'delset',
  'destroyset',
  'newsetelem',
  'delsetelem',
  'destroysetelem',
  'newobj',
  'delobj',
  'destroyobj',
  'newflowtable',
  'delflowtable',
  'destroyflowtable',
]);

/** One change: an nftables message by spec name, as from-json makes them. */
export interface NftCommand {
  kind: NftCommandKind;
  /** nfgenmsg: the family of the table the command is about (version and resId are filled in). */
  header: { family: NftFamily };
  /** Attributes by spec name (table-attrs, chain-attrs, rule-attrs...). */
  attrs?: Record<string, unknown>;
  /** nlmsg flags besides NLM_F_REQUEST: NLM_F.CREATE, EXCL, REPLACE, APPEND, ECHO. */
  flags?: number;
  /** The caller's name for the object, shown in errors ('inet filter input', a JSON path...). */
  label?: string;
}

/** What a transaction gave back. */
export interface NftTransactionResult {
  /** Per command, in order: what the kernel echoed of it (NLM_F_ECHO: the object with its handle). */
  echoes: NetlinkMessage[][];
  /**
   * The ruleset generation after the commit: the committed one when it was echoed, else what a
   * getgen right after the batch found (a change by someone else in between shows there too).
   */
  genid?: number;
}

/** batchMessages() encodes commands into buffers of this size. */
const CHUNK = 1 << 20;

/** What a transaction keeps of each command once it is encoded: what errors name it by. */
export type NftCommandName = Pick<NftCommand, 'kind' | 'label'>;

/**
 * The batch markers, the commands and the fence. Each command is checked (`check` too), named by
 * its index when it is not right, and encoded as it comes: `commands` may be made one at a time (a
 * generator), and then a big document's messages die young as objects (a 10,000-rule document's,
 * kept until all were encoded, were most of its garbage collection). What stays is their bytes
 * and, per command, its kind and label.
 */
export function batchMessages(
  codec: ProtocolCodec,
  commands: Iterable<NftCommand>,
  echo: boolean,
  genid: number | undefined,
  check: (c: NftCommand, i: number) => void,
): { msgs: OutgoingMessage[]; fence: OutgoingMessage; names: NftCommandName[] } {
  if (typeof commands !== 'object' || commands === null || typeof (commands as Iterable<NftCommand>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError('commands', commands, 'must be an array of nftables commands');
  }
  const names: NftCommandName[] = [];
  const msgs: OutgoingMessage[] = [];
  const marker = { family: 'unspec', version: 0, resId: NFNL_SUBSYS_NFTABLES };
  msgs.push({ kind: 'batchBegin', header: marker, attrs: genid === undefined ? {} : { genid } });
  // Into chunks of about a megabyte: one writer grown by doubling copied a big batch ten times over.
  let w = new ByteWriter(8192);
  for (const c of commands) {
    const i = names.length;
    const m = commandMessage(c, i, echo);
    check(c, i);
    if (w.pos >= CHUNK - 4096) w = new ByteWriter(CHUNK);
    const at = w.pos;
    try {
      codec.encode(m, w);
    } catch (err) {
      if (!(err instanceof EncodeError)) throw err;
      throw new InvalidArgumentError(`commands[${i}]`, c.label ?? c.kind, `cannot be encoded, nothing was sent: ${err.message}`);
    }
    names.push(c.label === undefined ? { kind: c.kind } : { kind: c.kind, label: c.label });
    // A view of this writer's buffer as it is now: a later growth copies it, these bytes stay.
    msgs.push({ kind: c.kind, flags: m.flags!, encoded: w.buf.subarray(at, w.pos) });
  }
  msgs.push({ kind: 'batchEnd', header: marker, attrs: {} });
  return { msgs, fence: { kind: 'getgen', header: { family: 'unspec', version: 0, resId: 0 }, attrs: {} }, names };
}

function commandMessage(c: NftCommand | undefined, i: number, echo: boolean): OutgoingMessage {
  if (typeof c !== 'object' || c === null) throw new InvalidArgumentError(`commands[${i}]`, c, 'must be an nftables command object');
  if (!COMMAND_KINDS.has(c.kind)) {
    throw new InvalidArgumentError(`commands[${i}].kind`, c.kind, 'must be an nftables change (newtable, delchain, newrule, destroyset...)');
  }
  if (typeof c.header !== 'object' || c.header === null || c.header.family === undefined) {
    throw new InvalidArgumentError(`commands[${i}].header`, c.header, 'must give the family of the table ({ family: "inet" })');
  }
  const flags = c.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff)
    throw new InvalidArgumentError(`commands[${i}].flags`, c.flags, 'must be nlmsg flags (0 to 0xffff)');
  return {
    kind: c.kind,
    flags: echo ? flags | NLM_F.ECHO : flags,
    header: { family: c.header.family, version: 0, resId: 0 },
    attrs: c.attrs ?? {},
  };
}

/** A command that could not be encoded: nothing was sent. */
export function encodeFailure(commands: readonly NftCommandName[], r: FencedResult): InvalidArgumentError {
  const slot = r.results.findIndex((x) => x !== undefined && !x.ok);
  const err = (r.results[slot] as { error: Error } | undefined)?.error;
  const i = slot - 1;
  const c = commands[i];
  const what = c === undefined ? 'batch' : `commands[${i}]`;
  return new InvalidArgumentError(what, c?.label ?? c?.kind, `cannot be encoded, nothing was sent: ${err?.message ?? 'unknown error'}`);
}

/**
 * The outcome of a sent transaction from its fenced results (BATCH_BEGIN, the commands,
 * BATCH_END, the fence): the echoes and generation, or every refusal as one NftTransactionError.
 * An answer that is not the kernel's (a timeout, a closed socket, a lost reply) leaves the outcome
 * unknown: that error is thrown as it is.
 */
export function transactionOutcome(commands: readonly NftCommandName[], results: readonly BatchResult[]): NftTransactionResult {
  const n = commands.length;
  const failures: NftCommandFailure[] = [];
  for (let slot = 0; slot < results.length; slot++) {
    const r = results[slot]!;
    if (r.ok) continue;
    if (!isNetlinkError(r.error)) throw r.error;
    if (slot === n + 2) continue; // the fence refused (the batch's own refusal says why)
    const index = slot >= 1 && slot <= n ? slot - 1 : undefined;
    const c = index === undefined ? undefined : commands[index];
    const f: NftCommandFailure = { index, kind: c?.kind ?? 'batch', error: r.error };
    if (c?.label !== undefined) f.label = c.label;
    failures.push(f);
  }
  if (failures.length > 0) throw new NftTransactionError(failures);
  let genid: number | undefined;
  const echoes: NetlinkMessage[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = results[i + 1] as { messages: NetlinkMessage[] };
    const mine: NetlinkMessage[] = [];
    for (const m of r.messages) {
      if (m.kind === 'newgen') genid = genOf(m) ?? genid;
      else mine.push(m);
    }
    echoes[i] = mine;
  }
  if (genid === undefined) {
    const fence = results[n + 2]!;
    if (fence.ok) for (const m of fence.messages) if (m.kind === 'newgen') genid = genOf(m);
  }
  return genid === undefined ? { echoes } : { echoes, genid };
}

/** NFTA_GEN_ID of a newgen message. */
export function genOf(m: NetlinkMessage): number | undefined {
  const id = (m.attrs as { id?: unknown } | undefined)?.id;
  return typeof id === 'number' ? id : undefined;
}
