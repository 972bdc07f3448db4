/**
 * Namespace ids (RTM_*NSID): the number a namespace gives a peer namespace, as in IFLA_LINK_NETNSID
 * of a veth whose other end lives there. Ids are per observer: A may call B 0 while B calls A 3.
 * Every call here asks from the namespace of the given connection.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { NLM_F } from '../../protocol/netlink.js';
import { rtNsidSpec } from '../../protocol/rt-nsid.js';
import { ProtocolCodec } from '../codec/message.js';
import type { Connection, RequestOptions } from '../conn/connection.js';
import { NamespaceError } from './errors.js';
import { NETNS_RUN_DIR, type NetnsTarget, resolveNetns } from './target.js';

/** NETNSA_NSID_NOT_ASSIGNED */
export const NSID_NOT_ASSIGNED = -1;

let codec: ProtocolCodec | undefined;

/** The rt-nsid family alone: what a NETLINK_ROUTE connection opened only to ask for ids speaks. */
export function nsidCodec(): ProtocolCodec {
  return (codec ??= new ProtocolCodec([rtNsidSpec]));
}

/**
 * Runs fn with a read-only fd of the namespace (opened here, or the caller's own for { fd }), kept
 * open until fn's promise settles: the kernel resolves the fd when it processes the request, and a
 * request may wait in the connection's queue; closing early could let the number name another file.
 */
export async function withNetnsFd<T>(target: NetnsTarget, fn: (fd: number) => Promise<T>): Promise<T> {
  const ns = resolveNetns(target);
  if (ns.fd !== undefined) return fn(ns.fd);
  let fd: number;
  try {
    fd = openSync(ns.path, 'r');
  } catch (err) {
    throw new NamespaceError(ns.label, 'ENOENT', `cannot open network namespace ${ns.label}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** The id `conn`'s namespace gives `target`, or undefined when none is assigned. */
export async function getNsid(conn: Connection, target: NetnsTarget, options: RequestOptions = {}): Promise<number | undefined> {
  const msgs = await withNetnsFd(target, (fd) => conn.request({ kind: 'getnsid', header: { family: 0 }, attrs: { fd } }, options));
  const nsid = msgs.find((m) => m.kind === 'newnsid')?.attrs?.nsid as number | undefined;
  return nsid === undefined || nsid < 0 ? undefined : nsid;
}

/** Assigns an id to `target` in `conn`'s namespace (RTM_NEWNSID); 'auto' lets the kernel pick. */
export async function setNsid(conn: Connection, target: NetnsTarget, nsid: number | 'auto', options: RequestOptions = {}): Promise<void> {
  const id = nsid === 'auto' ? NSID_NOT_ASSIGNED : nsid;
  if (!Number.isInteger(id) || id < -1 || id >= 0x7fffffff)
    throw new RangeError(`invalid nsid ${nsid}: an integer from 0 to ${0x7fffffff - 1}, or "auto"`);
  await withNetnsFd(target, (fd) => conn.request({ kind: 'newnsid', header: { family: 0 }, attrs: { nsid: id, fd } }, options));
}

/** Every id assigned in `conn`'s namespace (RTM_GETNSID dump). */
export async function dumpNsids(conn: Connection, options: RequestOptions = {}): Promise<number[]> {
  const msgs = await conn.dump({ kind: 'getnsid', flags: NLM_F.DUMP, header: { family: 0 }, attrs: {} }, options);
  return msgs
    .filter((m) => m.kind === 'newnsid')
    .map((m) => m.attrs?.nsid as number)
    .filter((n) => typeof n === 'number' && n >= 0);
}

/** Names under /run/netns, in directory order (as `ip netns list` prints them). */
export function netnsNames(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).filter((n) => n !== '.' && n !== '..');
  } catch {
    return [];
  }
}

/**
 * nsid -> name for every named namespace (/run/netns) that has an id in `conn`'s namespace: how ip
 * turns `link-netnsid 0` into `link-netns NAME`. Entries that are not namespaces are skipped.
 */
export async function nsidNames(conn: Connection, options: RequestOptions = {}): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  await Promise.all(
    netnsNames().map(async (name) => {
      try {
        const id = await getNsid(conn, { name }, options);
        if (id !== undefined && !map.has(id)) map.set(id, name);
      } catch {
        // stale entry, not a namespace, or gone meanwhile
      }
    }),
  );
  return map;
}
