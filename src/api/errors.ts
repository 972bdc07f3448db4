/**
 * The API's errors. InvalidArgumentError and NotFoundError live in the leaf module src/errors (the
 * netns, genl and monitor layers throw them too); re-exported here, where the API has always had them.
 */
import { NotFoundError, type NotFoundWhat } from '../errors/index.js';

export {
  InvalidArgumentError,
  NotFoundError,
  type NotFoundWhat,
  describeValue,
  isInvalidArgumentError,
  isNotFoundError,
} from '../errors/index.js';

/**
 * How the kernel says that the object a get or delete names does not exist (rtnetlink's own
 * choices: dev_get_by_name, inet_rtm_deladdr / inet6_addr_del, fib_table_delete, neigh_delete,
 * fib_nl_delrule, and a route lookup that finds nothing).
 */
const ABSENT: Readonly<Record<string, string>> = {
  link: 'ENODEV',
  address: 'EADDRNOTAVAIL',
  route: 'ESRCH',
  'route to': 'ENETUNREACH',
  neighbour: 'ENOENT',
  'proxy neighbour': 'ENOENT',
  rule: 'ENOENT',
  altname: 'ENOENT',
};

/**
 * The one errno -> NotFoundError mapping: `err` as a NotFoundError(what, key) when it is the
 * kernel's "no such <what>" refusal, else `err` unchanged. Call it where a failure is caught.
 */
export function notFoundOr(err: unknown, what: NotFoundWhat, key: string | number): unknown {
  const e = err as { name?: unknown; code?: unknown } | null | undefined;
  if (e?.name === 'NetlinkError' && e.code === ABSENT[what]) return new NotFoundError(what, key, { cause: err });
  return err;
}
