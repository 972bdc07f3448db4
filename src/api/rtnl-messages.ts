/**
 * rtnetlink's messages by kind, typed from the generated types (src/generated, made from the
 * specs): a request of kind K is what the encoder takes for it, a reply of kind K what the decoder
 * gives. The codec itself is untyped (bytes <-> plain objects); the API's families build their
 * requests and read their replies through these types only.
 */
import type { NetlinkMessage, OutgoingMessage } from '../codec/message.js';
import type {
  RtAddrMessages,
  RtLinkMessages,
  RtNeighMessages,
  RtNsidMessages,
  RtRouteMessages,
  RtRuleMessages,
  SpecDirection,
} from '../generated/index.js';

/** Every message of the families spoken on NETLINK_ROUTE sockets (protocol/rtnetlink.ts), by name. */
export type RtnlMessages<D extends SpecDirection = 'decoded'> = RtLinkMessages<D> &
  RtAddrMessages<D> &
  RtRouteMessages<D> &
  RtNeighMessages<D> &
  RtRuleMessages<D> &
  RtNsidMessages<D>;

export type RtnlKind = keyof RtnlMessages;

/** The fixed header of a request of kind K: members left out are sent as 0. */
export type RequestHeader<K extends RtnlKind> = Partial<RtnlMessages<'request'>[K]['header']>;
/** The attributes of a request of kind K, by spec name. */
export type RequestAttrs<K extends RtnlKind> = RtnlMessages<'request'>[K]['attrs'];

/** A request of kind K. */
export interface RtnlRequest<K extends RtnlKind> extends Omit<OutgoingMessage, 'kind' | 'header' | 'attrs'> {
  kind: K;
  header?: RequestHeader<K>;
  attrs?: RequestAttrs<K>;
}

/** A decoded message of kind K. */
export type RtnlMessage<K extends RtnlKind> = NetlinkMessage<RtnlMessages[K]['header'], RtnlMessages[K]['attrs']>;

/**
 * A generated type as the friendly objects (Link, Route...) and their options carry it: a spec
 * enum's value as `string` (its name) or `number`, flags as a list of those, the rest as generated.
 * The names are the spec's; typing them as any string lets callers compare with their own strings.
 */
export type Friendly<T> = T extends string ? string : T extends readonly (infer E)[] ? Array<E extends string ? string : E> : T;

/** Every field of `T` as Friendly. */
export type FriendlyFields<T> = { [K in keyof T]: Friendly<T[K]> };

/** A request of kind K, checked against its types where it is written (the object itself). */
export function rtnlRequest<K extends RtnlKind>(msg: RtnlRequest<K>): RtnlRequest<K> {
  return msg;
}

/** Whether `m` is a message of kind `kind`, and then typed as one. */
export function isKind<K extends RtnlKind>(m: NetlinkMessage, kind: K): m is RtnlMessage<K> {
  return m.kind === kind;
}
