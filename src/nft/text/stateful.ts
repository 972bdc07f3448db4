/**
 * The stateful statements (counter, quota, limit) as nft prints them: in rules, attached to set
 * elements (`1.2.3.4 counter packets 0 bytes 0`) and, stateless, in set declarations and dynamic
 * set updates. Shared by expressions.ts (elements) and statements.ts (rules).
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are walked by their shape
type Obj = Record<string, any>;

/** `counter packets 1 bytes 2`, or `counter` without the numbers. */
export function counterText(b: Obj | null, stateless: boolean): string {
  return b === null || stateless ? 'counter' : `counter packets ${b.packets} bytes ${b.bytes}`;
}

/** `quota [over] 10 mbytes [used 1 kbytes]` (statement.c quota_stmt_print). */
export function quotaText(b: Obj, stateless: boolean): string {
  let out = `quota ${b.inv ? 'over ' : ''}${b.val} ${b.val_unit}`;
  if (!stateless && b.used) out += ` used ${b.used} ${b.used_unit}`;
  return out;
}

/**
 * `rate [over] 10/second [burst 20 packets]`, or in bytes (statement.c limit_stmt_print): a packet
 * burst of 5 is the default and not printed, a byte burst is printed unless 0. Shared by the
 * statement and the limit object.
 */
export function rate(b: Obj): string {
  const over = b.inv ? 'over ' : '';
  if (b.rate_unit === undefined || b.rate_unit === 'packets') {
    const burst = b.burst && b.burst !== 5 ? ` burst ${b.burst} packets` : '';
    return `rate ${over}${b.rate}/${b.per}${burst}`;
  }
  const burst = b.burst ? ` burst ${b.burst} ${b.burst_unit ?? 'bytes'}` : '';
  return `rate ${over}${b.rate} ${b.rate_unit}/${b.per}${burst}`;
}

/** A statement attached to a set element, or undefined when it is not one of these. */
export function elementStatement(kind: string, b: unknown): string | undefined {
  switch (kind) {
    case 'counter':
      return counterText(b as Obj | null, false);
    case 'quota':
      return quotaText(b as Obj, false);
    case 'limit':
      return `limit ${rate(b as Obj)}`;
    default:
      return undefined;
  }
}
