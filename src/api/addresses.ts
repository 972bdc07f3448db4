/**
 * Interface addresses: list, add, replace, delete, flush, and pipelined addBatch/deleteBatch
 * (ip address show/add/replace/del/flush). CIDR strings in, plain objects out. Requests are
 * checked and built in address-requests.ts; replies become Address objects in address-fields.ts.
 */
import type { OutgoingMessage } from '../codec/message.js';
import type { BatchOptions, Connection, RequestOptions } from '../conn/connection.js';
import { isNetlinkError } from '../conn/errors.js';
import { type Address, toAddress } from './address-fields.js';
import {
  type PreparedAdd,
  type PreparedDelete,
  checkLabelFor,
  checkLinkRef,
  checkNoRequestOptions,
  deleteMessageFor,
  labelMatcher,
  prepareAdd,
  prepareDelete,
  scopeNumberOf,
  scopeValue,
} from './address-requests.js';
import { AddressStamps } from './address-stamps.js';
import type {
  AddressAddOptions,
  AddressBatchAdd,
  AddressBatchDelete,
  AddressDeleteOptions,
  AddressFlushOptions,
  AddressListOptions,
  AddressResult,
} from './address-types.js';
import { InvalidArgumentError, notFoundOr } from './errors.js';
import type { LinkApi } from './links.js';
import type { LinkRef } from './link-types.js';
import { type RequestHeader, isKind, rtnlRequest } from './rtnl-messages.js';
import { checkBatchOptions, checkFamily, checkRequestOptions, parseAddress } from './validate.js';

export * from './address-types.js';
export { type Address, type AddressCacheinfo, toAddress } from './address-fields.js';
export { FOREVER } from './address-requests.js';

function mapLinkError(err: unknown, ref: LinkRef): unknown {
  return notFoundOr(err, 'link', ref);
}

/** A delete's failure: the link or the address (EADDRNOTAVAIL) not there is a NotFoundError. */
function mapDeleteError(err: unknown, cidr: string, ref: LinkRef): unknown {
  return notFoundOr(mapLinkError(err, ref), 'address', `${cidr} dev ${ref}`);
}

export class AddressApi {
  #stamps: AddressStamps | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly links: LinkApi,
  ) {}

  /**
   * Addresses in one RTM_GETADDR dump. Family and link are filtered by the kernel (strict checking
   * honours the header's ifa_index); scope and label here.
   */
  async list(opts?: AddressListOptions): Promise<Address[]> {
    const options = checkRequestOptions(opts);
    const family = options.family === undefined ? undefined : checkFamily(options.family);
    const scope = options.scope === undefined ? undefined : scopeValue(options.scope);
    const labelOk = options.label === undefined ? undefined : labelMatcher(options.label);
    const index = options.link === undefined ? 0 : await this.links.index(checkLinkRef(options.link), options);
    const req = rtnlRequest({ kind: 'getaddr', header: { family: family ?? 'unspec', prefixlen: 0, flags: 0, scope: 0, index } });
    let out = await this.conn.dumpMap(req, (m, bytes, offset) => (isKind(m, 'newaddr') ? toAddress(m, bytes, offset) : undefined), options);
    // Also here: a kernel without strict checking ignores ifa_index (and old ones the family of IPv6 dumps).
    if (family !== undefined) out = out.filter((a) => a.family === family);
    if (index !== 0) out = out.filter((a) => a.index === index);
    if (scope !== undefined) out = out.filter((a) => scopeNumberOf(a.scope) === scope);
    if (labelOk) out = out.filter((a) => labelOk(a.label));
    return out;
  }

  /** Adds an address (ip address add): EEXIST when it is already there, unless `replace`. */
  async add(cidr: string, options: AddressAddOptions): Promise<void> {
    const p = prepareAdd(this.stamps, cidr, options, options?.replace);
    checkRequestOptions(options);
    const index = this.indexNow(p) ?? (await this.resolveFor(p, options));
    try {
      await this.conn.request(p.build(index), options);
    } catch (err) {
      if (!this.links.staleIndex(p.link, err)) throw mapLinkError(err, p.link);
      await this.addAgain(p, options);
    }
  }

  /** add() once more after a cached index was refused as gone (ENODEV): the link is looked up afresh. */
  private async addAgain(p: PreparedAdd, options: RequestOptions): Promise<void> {
    try {
      await this.conn.request(p.build(await this.resolveFor(p, options)), options);
    } catch (err) {
      throw mapLinkError(err, p.link);
    }
  }

  /** Adds or updates an address (ip address replace): lifetimes, flags, metric... change in place. */
  async replace(cidr: string, options: Omit<AddressAddOptions, 'replace'>): Promise<void> {
    return this.add(cidr, { ...options, replace: true });
  }

  /**
   * Deletes an address (ip address del). For IPv4 a bare address deletes it whatever its prefix
   * length; an IPv6 address without one is looked up first (the kernel matches it exactly).
   * NotFoundError (code EADDRNOTAVAIL) when there is no such address.
   */
  async delete(cidr: string, options: AddressDeleteOptions): Promise<void> {
    const p = prepareDelete(this.stamps, cidr, options);
    checkRequestOptions(options);
    const index = this.indexNow(p) ?? (await this.links.index(p.link, options));
    let prefixlen: number | undefined;
    if (p.needsPrefixlen) prefixlen = (await this.v6Prefixlens([index], options)).get(`${index} ${p.address}`);
    try {
      await this.conn.request(p.build(index, prefixlen), options);
    } catch (err) {
      if (!this.links.staleIndex(p.link, err)) throw mapDeleteError(err, cidr, p.link);
      await this.deleteAgain(p, cidr, options);
    }
  }

  /** delete() once more after a cached index was refused as gone (ENODEV): the link is looked up afresh. */
  private async deleteAgain(p: PreparedDelete, cidr: string, options: RequestOptions): Promise<void> {
    try {
      const index = await this.links.index(p.link, options);
      let prefixlen: number | undefined;
      if (p.needsPrefixlen) prefixlen = (await this.v6Prefixlens([index], options)).get(`${index} ${p.address}`);
      await this.conn.request(p.build(index, prefixlen), options);
    } catch (err) {
      throw mapDeleteError(err, cidr, p.link);
    }
  }

  /**
   * Deletes every address matching the filter (one dump, then pipelined deletes) and returns how
   * many are gone. Secondaries go first, so deleting a primary neither takes them along nor
   * promotes them; one that vanished meanwhile (EADDRNOTAVAIL) still counts as gone.
   * Like `ip address flush`, at least one filter is required.
   */
  async flush(opts?: AddressFlushOptions): Promise<number> {
    const options = checkRequestOptions(opts);
    const { link, family, scope, label } = options;
    if (link === undefined && family === undefined && scope === undefined && label === undefined) {
      const hint = "use { family: 'inet' } and { family: 'inet6' } for everything";
      throw new InvalidArgumentError('flush filter', options, `needs link, family, scope or label (like ip address flush); ${hint}`);
    }
    const found = await this.list(options);
    found.sort((a, b) => Number(b.secondary) - Number(a.secondary));
    const msgs = found.map(deleteMessageFor);
    const results = await this.conn.batch(msgs, options);
    let gone = 0;
    for (const r of results) {
      if (r.ok || (isNetlinkError(r.error) && r.error.code === 'EADDRNOTAVAIL')) gone++;
      else throw r.error;
    }
    return gone;
  }

  /**
   * Adds many addresses, pipelined. Everything is validated (and link names resolved) before
   * anything is sent; then each item succeeds or fails on its own, results in order.
   */
  async addBatch(items: readonly AddressBatchAdd[], opts?: BatchOptions): Promise<AddressResult[]> {
    const options = checkBatchOptions(opts);
    if (!Array.isArray(items)) throw new InvalidArgumentError('items', items, 'must be an array');
    const prepared = items.map((it, i) => {
      if (typeof it !== 'object' || it === null) throw new InvalidArgumentError(`item ${i}`, it, 'must be an object like { cidr, link }');
      checkNoRequestOptions(it, i);
      return prepareAdd(this.stamps, it.cidr, it, it.replace, `item ${i}: `);
    });
    // Each distinct link is looked up once; then the messages are built without further awaits.
    const found = new Map<LinkRef, { index: number; name?: string }>();
    for (const p of prepared) {
      const have = found.get(p.link);
      const needName = p.label !== undefined;
      if (have === undefined || (needName && have.name === undefined)) found.set(p.link, await this.lookupLink(p.link, needName, options));
    }
    const msgs = prepared.map((p) => {
      const f = found.get(p.link)!;
      if (p.label !== undefined) checkLabelFor(p.label, f.name!);
      return p.build(f.index);
    });
    return this.runBatch(msgs, prepared, options);
  }

  /** Deletes many addresses, pipelined; per-item results in order (EADDRNOTAVAIL for missing ones). */
  async deleteBatch(items: readonly AddressBatchDelete[], opts?: BatchOptions): Promise<AddressResult[]> {
    const options = checkBatchOptions(opts);
    if (!Array.isArray(items)) throw new InvalidArgumentError('items', items, 'must be an array');
    const prepared = items.map((it, i) => {
      if (typeof it !== 'object' || it === null) throw new InvalidArgumentError(`item ${i}`, it, 'must be an object like { cidr, link }');
      return prepareDelete(this.stamps, it.cidr, it, `item ${i}: `);
    });
    const indexes = new Map<LinkRef, number>();
    for (const p of prepared) if (!indexes.has(p.link)) indexes.set(p.link, await this.links.index(p.link, options));
    const v6 = prepared.filter((p) => p.needsPrefixlen).map((p) => indexes.get(p.link)!);
    const lens = v6.length > 0 ? await this.v6Prefixlens(v6, options) : new Map<string, number>();
    const msgs = prepared.map((p) => {
      const index = indexes.get(p.link)!;
      return p.build(index, lens.get(`${index} ${p.address}`));
    });
    const cidrs = items.map((it) => it.cidr);
    return this.runBatch(msgs, prepared, options, cidrs);
  }

  // -------------------------------------------------------------------------------------------

  /** Prepared requests of the common shapes, made on first use. */
  private get stamps(): AddressStamps {
    return (this.#stamps ??= new AddressStamps());
  }

  /** Sends a batch; with `deleted` (the items' cidrs) an absent address is a NotFoundError too. */
  private async runBatch(
    msgs: OutgoingMessage[],
    prepared: { link: LinkRef }[],
    options: BatchOptions,
    deleted?: string[],
  ): Promise<AddressResult[]> {
    const results = await this.conn.batch(msgs, options);
    return results.map((r, i) => {
      if (r.ok) return { ok: true };
      const link = prepared[i]!.link;
      return { ok: false, error: (deleted ? mapDeleteError(r.error, deleted[i]!, link) : mapLinkError(r.error, link)) as Error };
    });
  }

  /**
   * The link's index when known without a request (conn/link-index.ts): no await on the common
   * path. An add with a label needs the link's name as well, so it always resolves.
   */
  private indexNow(p: { link: LinkRef; label?: string }): number | undefined {
    return p.label === undefined ? this.links.indexNow(p.link, true) : undefined;
  }

  /** Resolves the link of an add and checks the label against its name. */
  private async resolveFor(p: PreparedAdd, options: RequestOptions): Promise<number> {
    const found = await this.lookupLink(p.link, p.label !== undefined, options);
    if (p.label !== undefined) checkLabelFor(p.label, found.name!);
    return found.index;
  }

  /** A link's index, and its name when asked for (a label must start with it). */
  private async lookupLink(link: LinkRef, needName: boolean, options: RequestOptions): Promise<{ index: number; name?: string }> {
    if (typeof link === 'string') return { index: await this.links.index(link, options), name: link };
    if (!needName) return { index: link };
    const l = await this.links.get(link, options);
    return { index: l.index, name: l.name };
  }

  /** `${index} ${address}` -> prefixlen of the IPv6 addresses on these links. */
  private async v6Prefixlens(indexes: number[], options: RequestOptions): Promise<Map<string, number>> {
    const unique = [...new Set(indexes)];
    const header: RequestHeader<'getaddr'> = { family: 'inet6', prefixlen: 0, flags: 0, scope: 0, index: unique.length === 1 ? unique[0]! : 0 };
    const msgs = await this.conn.dump(rtnlRequest({ kind: 'getaddr', header }), options);
    const out = new Map<string, number>();
    for (const m of msgs) {
      if (!isKind(m, 'newaddr')) continue;
      const a = toAddress(m);
      if (a.family === 'inet6' && !a.peer) out.set(`${a.index} ${parseAddress(a.address).address}`, a.prefixlen);
    }
    return out;
  }
}
