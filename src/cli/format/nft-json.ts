/**
 * A libnftables JSON document as nft prints it: jansson's json_dumpf without indentation, so ", "
 * between items and ": " after keys, key order kept, strings with jansson's escapes (control
 * characters as \uXXXX in upper-case hex, '/' and non-ASCII as they are). Properties under symbol
 * keys (to-json's xt info for the text listing) and undefined ones are left out, as JSON leaves them.
 */

export function nftJsonText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(nftJsonText).join(', ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${quote(k)}: ${nftJsonText(v)}`)
        .join(', ')}}`;
    default:
      return 'null';
  }
}

const SHORT: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quote(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters JSON must escape
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}
