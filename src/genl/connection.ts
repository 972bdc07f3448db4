/**
 * Generic netlink over one NETLINK_GENERIC socket: families are found by name through nlctrl
 * (CTRL_CMD_GETFAMILY), their ids bound in this connection's codec and cached here, so a family
 * module names its family and its operations and never a number.
 *
 * A family can go away and come back with another id (a module unloaded and loaded again). The
 * kernel answers a request to an id nobody has with ENOENT: the family is then looked up again,
 * and when its id changed the request is sent once more. A GenlMonitor watching nlctrl's
 * `notify` group forgets families as they go (GenlConnection.forget).
 *
 * The Connection underneath knows no family: it gets a ProtocolCodec over the genl specs.
 */
import { NETLINK_GENERIC } from '../../protocol/genetlink.js';
import { nlctrlSpec } from '../../protocol/nlctrl.js';
import type { FamilySpec, OperationMessageSpec } from '../../protocol/spec.js';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { markValidated } from '../codec/compile.js';
import { type NetlinkMessage, ProtocolCodec } from '../codec/message.js';
import { Connection, type ConnectionOptions, type RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import type { Transport } from '../transport/types.js';
import { type GenlFamily, familyOf } from './families.js';

// nlctrl is the package's own spec (test/codec/spec-validation.test.ts): not validated in every process.
markValidated([nlctrlSpec]);

const ENOENT = 2;
/** GENL_NAMSIZ - 1: longer names can name no family. */
const FAMILY_NAME_MAX = 15;

export interface GenlConnectionOptions extends ConnectionOptions {
  /** Family specs this connection speaks from the start (nlctrl always); family modules add theirs with use(). */
  specs?: readonly FamilySpec[];
}

/** Attributes for a request, by spec name. */
export type GenlAttrs = Record<string, unknown>;

export class GenlConnection {
  readonly connection: Connection;
  readonly codec: ProtocolCodec;
  private readonly specs = new Map<string, FamilySpec>();
  /** Families by name, as found (a promise, so concurrent first uses share one lookup). */
  private readonly cache = new Map<string, Promise<GenlFamily>>();

  constructor(transport: Transport, options: GenlConnectionOptions = {}) {
    if (transport.protocol !== NETLINK_GENERIC) {
      throw new InvalidArgumentError('transport', transport.protocol, `must be a NETLINK_GENERIC (${NETLINK_GENERIC}) socket`);
    }
    const specs = [nlctrlSpec, ...(options.specs ?? []).filter((s) => s !== nlctrlSpec)];
    for (const s of specs) this.specs.set(s.name, s);
    this.codec = new ProtocolCodec(specs);
    this.connection = new Connection(transport, this.codec, options);
  }

  /**
   * Speaks a family from now on: its spec joins this connection's codec (a family module calls
   * this before its first request). The same spec again is a no-op.
   */
  use(spec: FamilySpec): this {
    if (this.specs.get(spec.name) === spec) return this;
    if (spec.protocol !== NETLINK_GENERIC)
      throw new InvalidArgumentError('spec', spec.name, `is not a generic netlink family (protocol ${spec.protocol})`);
    this.codec.addFamily(spec);
    this.specs.set(spec.name, spec);
    this.cache.delete(spec.name); // found before its spec was here: looked up again, and its id bound
    return this;
  }

  /** A family by name (cached); NotFoundError when the kernel has none of that name. */
  family(name: string, options: RequestOptions = {}): Promise<GenlFamily> {
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > FAMILY_NAME_MAX || name.includes('\0')) {
      return Promise.reject(new InvalidArgumentError('family name', name, `must be 1 to ${FAMILY_NAME_MAX} bytes`));
    }
    let p = this.cache.get(name);
    if (p === undefined) {
      p = this.lookup(name, options);
      this.cache.set(name, p);
      // A failed lookup is not kept: the family may be registered later.
      p.catch(() => {
        if (this.cache.get(name) === p) this.cache.delete(name);
      });
    }
    return p;
  }

  /** Every family the kernel has (a CTRL_CMD_GETFAMILY dump), in the kernel's order; refreshes the cache. */
  async families(options: RequestOptions = {}): Promise<GenlFamily[]> {
    const msgs = await this.connection.dump({ kind: 'getfamily', header: { version: 2 } }, options);
    const out = msgs.flatMap((m) => (m.kind === 'newfamily' ? (familyOf(m) ?? []) : []));
    for (const f of out) this.learn(f);
    return out;
  }

  /** The id of multicast group `group` of `family`; NotFoundError when the family has no such group. */
  async mcastGroup(family: string, group: string, options: RequestOptions = {}): Promise<number> {
    const f = await this.family(family, options);
    const g = f.mcastGroups.find((x) => x.name === group);
    if (g === undefined) throw new NotFoundError('multicast group', `${family}/${group}`);
    return g.id;
  }

  /**
   * Forgets what is known of a family (it went away, or its id changed): the next use looks it up
   * again. Without a name, forgets every family.
   */
  forget(name?: string): void {
    for (const n of name === undefined ? [...this.cache.keys()] : [name]) {
      this.cache.delete(n);
      if (isDynamic(this.specs.get(n))) this.codec.bindType(n, undefined);
    }
  }

  /**
   * Runs operation `op` of `family` (a spec name): its do request with `attrs`, checked against the
   * operation's request attributes before anything is sent. Resolves with the replies.
   */
  request(family: string, op: string, attrs: GenlAttrs, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.run(family, op, 'do', attrs, options);
  }

  /** Runs the dump form of operation `op` of `family`. */
  dump(family: string, op: string, attrs: GenlAttrs, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.run(family, op, 'dump', attrs, options);
  }

  close(): void {
    this.connection.close();
  }

  // -------------------------------------------------------------------------------------------

  private async run(family: string, op: string, mode: 'do' | 'dump', attrs: GenlAttrs, options: RequestOptions): Promise<NetlinkMessage[]> {
    const request = this.requestSpec(family, op, mode);
    checkAttrs(attrs, request, `${family} ${op}`);
    const f = await this.family(family, options);
    try {
      return await this.send(f, request.message, mode, attrs, options);
    } catch (err) {
      // ENOENT for a request: perhaps no family has this id any more. Look again; retry if it moved.
      if (!isNetlinkError(err) || err.errno !== ENOENT) throw err;
      this.forget(family);
      const again = await this.family(family, options);
      if (again.id === f.id) throw err;
      return this.send(again, request.message, mode, attrs, options);
    }
  }

  private send(f: GenlFamily, message: string, mode: 'do' | 'dump', attrs: GenlAttrs, options: RequestOptions): Promise<NetlinkMessage[]> {
    const msg = { kind: message, header: { version: f.version }, attrs };
    return mode === 'do' ? this.connection.request(msg, options) : this.connection.dump(msg, options);
  }

  private requestSpec(family: string, op: string, mode: 'do' | 'dump'): OperationMessageSpec {
    const spec = this.specs.get(family);
    if (spec === undefined) throw new InvalidArgumentError('family', family, `has no spec here (known: ${[...this.specs.keys()].join(', ')})`);
    const request = spec.operations?.[op]?.[mode]?.request;
    if (request === undefined) throw new InvalidArgumentError('operation', op, `is not a ${mode} operation of ${family}`);
    return request;
  }

  private async lookup(name: string, options: RequestOptions): Promise<GenlFamily> {
    let msgs: NetlinkMessage[];
    try {
      msgs = await this.connection.request({ kind: 'getfamily', header: { version: 2 }, attrs: { familyName: name } }, options);
    } catch (err) {
      if (isNetlinkError(err) && err.errno === ENOENT) throw new NotFoundError('generic netlink family', name, { cause: err });
      throw err;
    }
    const f = msgs.map(familyOf).find((x) => x?.name === name);
    if (f === undefined) throw new NotFoundError('generic netlink family', name);
    this.learn(f);
    return f;
  }

  /** Binds a family's id in the codec and caches it, when this connection has its spec. */
  private learn(f: GenlFamily): void {
    const spec = this.specs.get(f.name);
    if (spec === undefined) return;
    if (isDynamic(spec)) this.codec.bindType(f.name, f.id);
    this.cache.set(f.name, Promise.resolve(f));
  }
}

/** A spec whose nlmsg_type the kernel assigns (messageIds without a fixed type). */
function isDynamic(spec: FamilySpec | undefined): spec is FamilySpec {
  return spec?.messageIds !== undefined && spec.messageIds.type === undefined;
}

/** Every attribute a request names must be one its operation takes (a typo is caught here, not by the kernel). */
function checkAttrs(attrs: GenlAttrs, request: OperationMessageSpec, what: string): void {
  if (typeof attrs !== 'object' || attrs === null) throw new InvalidArgumentError('attributes', attrs, `must be an object of ${what} attributes`);
  for (const key of Object.keys(attrs)) {
    if (key !== 'unknown' && !request.attributes.includes(key)) {
      throw new InvalidArgumentError(
        'attribute',
        key,
        `is not an attribute of a ${what} request (it takes ${request.attributes.join(', ') || 'none'})`,
      );
    }
  }
}
