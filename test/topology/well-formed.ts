/**
 * XML 1.0 well-formedness, enough to hold an SVG render to it without a parser dependency: one
 * root, balanced tags, quoted and unique attributes, only the predefined and numeric entities,
 * no '<' in text or values, no character XML forbids. Throws with the offset of the first fault.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Surrogate}/u;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function checkChars(text: string, at: number): void {
  const bad = FORBIDDEN.exec(text);
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} not allowed in XML at ${at + bad.index}`);
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bare '&' at ${at + i}: ${JSON.stringify(text.slice(i, i + 12))}`);
  }
}

function checkAttributes(body: string, at: number): void {
  const seen = new Set<string>();
  let rest = body.trim();
  while (rest.length > 0) {
    const m = /^([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"<]*)"|'([^'<]*)')\s*/.exec(rest);
    if (!m) throw new Error(`malformed attribute at ${at}: ${JSON.stringify(rest.slice(0, 30))}`);
    if (seen.has(m[1]!)) throw new Error(`attribute ${m[1]} repeated at ${at}`);
    seen.add(m[1]!);
    checkChars(m[3] ?? m[4] ?? '', at);
    rest = rest.slice(m[0].length);
  }
}

export function checkWellFormed(doc: string): void {
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  if (doc.startsWith('<?xml')) i = doc.indexOf('?>') + 2;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt < 0 ? doc.length : lt);
    checkChars(text, i);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    if (lt < 0) break;
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt);
      if (end < 0) throw new Error(`unterminated comment at ${lt}`);
      i = end + 3;
      continue;
    }
    const gt = doc.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated tag at ${lt}`);
    const tag = doc.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = NAME.exec(body)?.[0];
      if (name === undefined) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(tag.slice(0, 30))}`);
      checkAttributes(body.slice(name.length), lt);
      if (stack.length === 0 && ++roots > 1) throw new Error(`a second root element at ${lt}`);
      if (!selfClosing) stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  if (roots !== 1) throw new Error('no root element');
}
