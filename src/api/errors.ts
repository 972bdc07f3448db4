/** Bad input caught before anything is sent to the kernel. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError' as const;
  /** Which argument: 'name', 'address', 'mtu'... */
  readonly argument: string;
  readonly value: unknown;

  constructor(argument: string, value: unknown, reason: string) {
    super(`invalid ${argument} ${describeValue(value)}: ${reason}`);
    this.argument = argument;
    this.value = value;
  }
}

/** Longest value text in a message: a 70,000-character "name" is shown by its start. */
const MAX_VALUE_TEXT = 200;

/**
 * A value as a message shows it, whatever it is: symbols, bigints, objects without a prototype
 * or with a toString that throws, proxies. Never throws.
 */
export function describeValue(value: unknown): string {
  let text: string;
  switch (typeof value) {
    case 'string':
      return value.length > MAX_VALUE_TEXT
        ? `${JSON.stringify(value.slice(0, MAX_VALUE_TEXT))}... (${value.length} characters)`
        : JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return '[function]';
    case 'object':
      if (value === null) return 'null';
      try {
        text = String(value);
        if (text === '' && Array.isArray(value)) return '[]';
      } catch {
        text = Array.isArray(value) ? '[array]' : '[object Object]';
      }
      break;
    default:
      text = String(value);
  }
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT)}...` : text;
}

/** What NotFoundError names: the object kinds whose absence the kernel reports. */
export type NotFoundWhat = 'link' | 'address' | 'route' | 'route to' | 'neighbour' | 'proxy neighbour' | 'rule' | 'altname' | (string & {});

/**
 * A link, address, route, neighbour or rule that does not exist. From the kernel's refusal it
 * carries the kernel's `errno` and `code` (and the NetlinkError as `cause`).
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError' as const;
  readonly what: NotFoundWhat;
  readonly key: string | number;
  /** The kernel's errno when it said so (19 for ENODEV...); undefined when found absent here. */
  readonly errno?: number;
  /** Its name: 'ENODEV', 'EADDRNOTAVAIL', 'ESRCH', 'ENOENT', 'ENETUNREACH'. */
  readonly code?: string;
  constructor(what: NotFoundWhat, key: string | number, options?: { cause?: unknown }) {
    super(`${what} ${typeof key === 'string' ? JSON.stringify(key) : key} does not exist`, options);
    this.what = what;
    this.key = key;
    const cause = options?.cause as { name?: unknown; errno?: unknown; code?: unknown } | undefined;
    if (cause?.name === 'NetlinkError') {
      this.errno = cause.errno as number;
      this.code = cause.code as string;
    }
  }
}

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

export function isInvalidArgumentError(e: unknown): e is InvalidArgumentError {
  return e instanceof Error && e.name === 'InvalidArgumentError';
}
export function isNotFoundError(e: unknown): e is NotFoundError {
  return e instanceof Error && e.name === 'NotFoundError';
}
