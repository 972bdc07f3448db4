/** Bad input caught before anything is sent to the kernel. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError' as const;
  /** Which argument: 'name', 'address', 'mtu'... */
  readonly argument: string;
  readonly value: unknown;

  constructor(argument: string, value: unknown, reason: string) {
    super(`invalid ${argument} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${reason}`);
    this.argument = argument;
    this.value = value;
  }
}

/** A name that should resolve (an interface, a table...) does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError' as const;
  readonly what: string;
  readonly key: string | number;
  constructor(what: string, key: string | number, options?: { cause?: unknown }) {
    super(`${what} ${typeof key === 'string' ? JSON.stringify(key) : key} does not exist`, options);
    this.what = what;
    this.key = key;
  }
}

export function isInvalidArgumentError(e: unknown): e is InvalidArgumentError {
  return e instanceof Error && e.name === 'InvalidArgumentError';
}
export function isNotFoundError(e: unknown): e is NotFoundError {
  return e instanceof Error && e.name === 'NotFoundError';
}
