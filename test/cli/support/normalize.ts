/**
 * Values that legitimately change between two reads of the same state (lifetimes counting down,
 * timers, traffic counters, neighbour ages): blanked in ip's and nlts's output alike before they
 * are compared. Everything else must match exactly.
 */

/** JSON keys whose values are clocks or counters. */
export const VOLATILE_KEYS = new Set([
  'valid_life_time',
  'preferred_life_time',
  'expires',
  'hello_timer',
  'tcn_timer',
  'topology_change_timer',
  'gc_timer',
  'hold_timer',
  'message_age_timer',
  'forward_delay_timer',
  'used',
  'confirmed',
  'updated',
  'age',
  'carrier_changes',
]);

/** Objects whose every number is a counter. */
const COUNTER_OBJECTS = new Set(['stats64', 'stats']);

export function normalizeJson(v: unknown, key?: string, inCounters = false): unknown {
  if (Array.isArray(v)) return v.map((x) => normalizeJson(x, undefined, inCounters));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeJson(x, k, inCounters || COUNTER_OBJECTS.has(k));
    return out;
  }
  if (key && typeof v === 'number' && (inCounters || (VOLATILE_KEYS.has(key) && v !== 4294967295))) return '<volatile>';
  return v;
}

export function normalizeText(s: string): string {
  return s
    .replace(/(valid_lft|preferred_lft) \d+sec/g, '$1 <n>sec')
    .replace(/expires -?\d+sec/g, 'expires <n>sec')
    .replace(/(_timer) +\d+\.\d+/g, '$1 <t>')
    .replace(/used \d+\/\d+\/\d+/g, 'used <n>/<n>/<n>')
    .replace(/^( {4}(?:RX|TX)[^\n]*\n)( +[\d ]+\n?)/gm, '$1<counters>\n');
}
