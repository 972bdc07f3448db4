/** Bad input, refused before anything is sent; thrown by every layer that takes arguments. */
import { NetlinkTsError } from './base.js';

/** Bad input caught before anything is sent to the kernel. */
export class InvalidArgumentError extends NetlinkTsError {
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

export function isInvalidArgumentError(e: unknown): e is InvalidArgumentError {
  return e instanceof Error && e.name === 'InvalidArgumentError';
}
