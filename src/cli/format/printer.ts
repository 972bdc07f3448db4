/**
 * One output path for text and JSON, as iproute2 has it (lib/json_print.c + lib/json_writer.c):
 * formatters call any() / json() / text() in ip's order, and the printer writes either ip's text
 * or ip's JSON, byte for byte (jsonw's separators, its "pretty" layout, no trailing spaces trimmed).
 */

/** A number written as is into JSON (ip prints timers as 0.00, hex counters as strings). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type JsonScalar = string | number | bigint | boolean | null | RawJson;

export class Printer {
  readonly json: boolean;
  private readonly pretty: boolean;
  private out = '';
  /** jsonw state: nesting depth and the separator to write before the next item. */
  private depth = 0;
  private sep = '';

  constructor(json: boolean, pretty = false) {
    this.json = json;
    this.pretty = json && pretty;
  }

  // ---- iproute2's print_* family ------------------------------------------------------------

  /** PRINT_ANY: `key: value` in JSON, `text` on the terminal (null: nothing). */
  any(key: string | null, value: JsonScalar, text: string | null): void {
    if (this.json) this.value(key, value);
    else if (text !== null) this.out += text;
  }

  /** PRINT_JSON: JSON only. */
  jsonOnly(key: string | null, value: JsonScalar): void {
    if (this.json) this.value(key, value);
  }

  /** PRINT_FP: text only. */
  text(s: string): void {
    if (!this.json) this.out += s;
  }

  /** open_json_object(key) (no text). */
  openObject(key: string | null = null): void {
    if (!this.json) return;
    if (key !== null) this.name(key);
    this.begin('{');
  }

  closeObject(): void {
    if (this.json) this.end('}');
  }

  /** open_json_array(PRINT_ANY or PRINT_JSON, key): `textOpen` is what the terminal gets instead. */
  openArray(key: string | null, textOpen = ''): void {
    if (!this.json) {
      this.out += textOpen;
      return;
    }
    if (key !== null) this.name(key);
    this.begin('[');
    if (this.pretty) this.out += ' ';
  }

  closeArray(textClose = ''): void {
    if (!this.json) {
      this.out += textClose;
      return;
    }
    if (this.pretty && this.sep) this.out += ' ';
    this.sep = '';
    this.end(']');
  }

  // ---- whole output ---------------------------------------------------------------------------

  /** new_json_obj(): the list every show command prints. */
  start(): void {
    if (this.json) this.openArray(null);
  }

  /** delete_json_obj() and everything printed so far. */
  finish(): string {
    if (this.json) {
      this.closeArray();
      this.out += '\n';
    }
    const s = this.out;
    this.out = '';
    return s;
  }

  /** What has been printed so far (text mode streams per object). */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }

  // ---- jsonw ----------------------------------------------------------------------------------

  private eol(): void {
    if (!this.pretty) return;
    this.out += '\n' + '    '.repeat(this.depth);
  }

  private eor(): void {
    if (this.sep) this.out += this.sep;
    this.sep = ',';
  }

  private begin(c: string): void {
    this.eor();
    this.out += c;
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep) this.eol();
    this.out += c;
    this.sep = ',';
  }

  private name(key: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.out += quote(key) + (this.pretty ? ': ' : ':');
  }

  private value(key: string | null, v: JsonScalar): void {
    if (key !== null) this.name(key);
    this.eor();
    this.out += scalar(v);
  }
}

function scalar(v: JsonScalar): string {
  if (v === null) return 'null';
  if (v instanceof RawJson) return v.text;
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}

/** jsonw_puts: the escapes ip writes; other control characters as \u00XX so the output stays JSON. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      default: {
        const c = ch.charCodeAt(0);
        out += c < 0x20 ? '\\u' + c.toString(16).padStart(4, '0') : ch;
      }
    }
  }
  return out + '"';
}

/** printf("%-*s") / ("%*s"). */
export function padEnd(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}
export function padStart(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}
