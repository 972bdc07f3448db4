/**
 * nftables over one NETLINK_NETFILTER socket: transactions (all-or-nothing batches, every refusal
 * named by its command), the generation id, and the consistent ruleset dump. The Connection
 * underneath knows no family: it gets a ProtocolCodec over the nfnetlink and nftables specs, and
 * Connection.fenced() is its one primitive for a batch (transaction.ts says why and what the kernel
 * answers).
 */
import { NETLINK_NETFILTER } from '../../protocol/nfnetlink.js';
import type { ProtocolCodec } from '../codec/message.js';
import { Connection, type ConnectionOptions, type RequestOptions } from '../conn/connection.js';
import { InvalidArgumentError, isInvalidArgumentError } from '../errors/index.js';
import { NetlinkSocket, type NetlinkSocketOptions } from '../transport/netlink-socket.js';
import type { Transport } from '../transport/types.js';
import { nftablesCodec, nftablesOperations } from './codec.js';
import { type NftRuleset, type RulesetOptions, dumpRuleset, getGenid } from './ruleset-dump.js';
import { type NftCommand, type NftTransactionResult, batchMessages, encodeFailure, transactionOutcome } from './transaction.js';

export interface TransactionOptions extends RequestOptions {
  /**
   * Have the kernel echo what each command made (NLM_F_ECHO on every command): the result's
   * `echoes` then hold the objects as the kernel has them, new rules with their handles.
   */
  echo?: boolean;
  /** Apply only while the ruleset is still at this generation (NFNL_BATCH_GENID): else ERESTART, nothing applied. */
  genid?: number;
}

export interface NftOpenOptions extends ConnectionOptions {
  /** Socket options (a ready-made fd made in another namespace...); the protocol is NETLINK_NETFILTER. */
  socket?: Omit<NetlinkSocketOptions, 'protocol'>;
}

/** The specs an NftConnection speaks: the batch markers and nftables. */
export class NftConnection {
  readonly connection: Connection;
  readonly codec: ProtocolCodec;
  private readonly closers: (() => void)[] = [];

  constructor(transport: Transport, options: ConnectionOptions = {}) {
    if (transport.protocol !== NETLINK_NETFILTER) {
      throw new InvalidArgumentError('transport', transport.protocol, `must be a NETLINK_NETFILTER (${NETLINK_NETFILTER}) socket`);
    }
    this.codec = nftablesCodec();
    this.connection = new Connection(transport, this.codec, { ...options, operations: nftablesOperations() });
  }

  /**
   * A NETLINK_NETFILTER socket in this process's network namespace, or over `socket.fd` (one made
   * in another namespace: src/api opens those). The send and receive buffers grow per transaction.
   */
  static open(options: NftOpenOptions = {}): NftConnection {
    const { socket, ...connectionOptions } = options;
    const transport = new NetlinkSocket({ receiveBuffer: 1 << 20, ...socket, protocol: NETLINK_NETFILTER });
    try {
      return new NftConnection(transport, connectionOptions);
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /**
   * Applies `commands` as one transaction: all of them or, when the kernel refuses any, none.
   * Resolves with what the kernel echoed per command and the generation after the commit; rejects
   * with an NftTransactionError naming every refused command (index, kind, label, errno, the
   * kernel's text and attribute), the first in its message. Bad input (an unknown kind, an
   * attribute the command does not take, a value that does not encode) is an InvalidArgumentError
   * naming the command, and nothing is sent. `commands` may be a generator: each is encoded as it
   * comes, so the caller's command objects need not outlive it (batchMessages).
   */
  async transaction(commands: Iterable<NftCommand>, options: TransactionOptions = {}): Promise<NftTransactionResult> {
    const genid = options.genid;
    if (genid !== undefined && (!Number.isInteger(genid) || genid < 0 || genid > 0xffffffff)) {
      throw new InvalidArgumentError('genid', genid, 'must be a generation id (0 to 2^32-1)');
    }
    const { msgs, fence, names } = batchMessages(this.codec, commands, options.echo === true, genid, (c, i) => this.checkCommand(c, i));
    const r = await this.connection.fenced(msgs, fence, options);
    if (!r.sent) throw encodeFailure(names, r);
    return transactionOutcome(names, r.results);
  }

  /** The ruleset generation: it moves with every committed transaction. */
  genid(options: RequestOptions = {}): Promise<number> {
    return getGenid(this.connection, options);
  }

  /** Tables, chains, rules, sets and their elements, objects and flowtables, all of one generation. */
  ruleset(options: RulesetOptions = {}): Promise<NftRuleset> {
    return dumpRuleset(this.connection, options);
  }

  /** Runs `fn` once the connection is closed (a namespace socket's lease). */
  onClose(fn: () => void): void {
    if (this.connection.closed) fn();
    else this.closers.push(fn);
  }

  close(): void {
    this.connection.close();
    for (const fn of this.closers.splice(0)) fn();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** A command's attributes are ones its operation takes; the error names the command. */
  private checkCommand(c: NftCommand, i: number): void {
    try {
      nftablesOperations()
        .find(c.kind, false)
        ?.check(c.attrs ?? {});
    } catch (err) {
      if (!isInvalidArgumentError(err)) throw err;
      const who = c.label === undefined ? '' : ` (${JSON.stringify(c.label)})`;
      throw new InvalidArgumentError(`commands[${i}]${who}`, c.kind, err.message);
    }
  }
}
