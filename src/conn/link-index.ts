/**
 * A link's index without a netlink round trip, where the transport can give it at once. Requests
 * that name a link (an address on eth0, a route through veth0) need its index; a number is one,
 * and a live socket answers a name by an SIOCGIFINDEX ioctl in its own namespace (Transport.linkIndex),
 * synchronously. Undefined means "ask the kernel over netlink" (no such link, or a replayed fixture,
 * which holds every lookup as an exchange): that answer is the kernel's own, error included.
 * Being synchronous, it lets a request path skip an await on its common case.
 */
import type { Transport } from '../transport/types.js';

/** The index of `ref` when known now: a number as it is, a name if the transport resolves it at once. */
export function linkIndexNow(transport: Transport, ref: string | number): number | undefined {
  return typeof ref === 'number' ? ref : transport.linkIndex?.(ref);
}
