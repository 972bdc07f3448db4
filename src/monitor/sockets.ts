/**
 * Where a monitor's sockets come from. A netlink socket belongs to the namespace it was created
 * in, so watching namespace NAME needs sockets created inside NAME: a NetnsSocketFactory makes
 * them and hands back file descriptors. The default is the namespace layer's (src/netns): a
 * helper under nsenter creates them and passes them back over SCM_RIGHTS. Monitors ask for every
 * socket a namespace needs (events + requests) in one call, because a helper run costs ~40 ms and
 * sockets are cheap.
 */
import { type EnterOptions, enterNetns } from '../netns/enter.js';
import { NETNS_RUN_DIR } from '../netns/target.js';

export { NETNS_RUN_DIR };

/**
 * Creates `count` NETLINK_ROUTE sockets (SOCK_RAW | SOCK_CLOEXEC, not bound) inside the named
 * namespace (a name under /run/netns, or an absolute path to a namespace file), then one socket of
 * each netlink protocol in `more` (a monitor of 'nftables' asks for NETLINK_NETFILTER ones), and
 * returns their fds in that order. The caller owns the fds.
 */
export type NetnsSocketFactory = (netns: string, count: number, more?: readonly number[]) => Promise<number[]>;

/** A factory over the namespace layer: entry 'helper' (default, nothing in this process changes namespace) or 'setns'. */
export function netnsSocketFactory(options: EnterOptions = {}): NetnsSocketFactory {
  return async (netns, count, more = []) => {
    const protocols = [...new Array<number>(count).fill(0), ...more];
    return (await enterNetns(netns, { ...options, sockets: protocols })).sockets;
  };
}

/**
 * The in-process way: setns(CLONE_NEWNET) on the calling thread around socket(), then back
 * (~0.1 ms, synchronous: no JavaScript runs meanwhile). Needs CAP_SYS_ADMIN.
 */
export const setnsSocketFactory: NetnsSocketFactory = netnsSocketFactory({ entry: 'setns' });

let defaultFactory: NetnsSocketFactory | undefined;

/** The factory monitors use when none is given (the namespace layer's helper entry unless replaced). */
export async function defaultNetnsSocketFactory(): Promise<NetnsSocketFactory> {
  return (defaultFactory ??= netnsSocketFactory());
}

/** Replaces the default factory (undefined restores the helper-based one). */
export function setDefaultNetnsSocketFactory(factory: NetnsSocketFactory | undefined): void {
  defaultFactory = factory;
}
