/** The Printer writes ip's JSON byte for byte (json_writer.c) and ip's text from the same calls. */
import { describe, expect, it } from 'vitest';
import { Printer, RawJson, quote } from '../../src/cli/format/printer.js';

function sample(p: Printer): string {
  p.start();
  p.openObject();
  p.any('ifindex', 1, '1: ');
  p.openArray('flags', '<');
  p.any(null, 'UP', 'UP,');
  p.any(null, 'LOWER_UP', 'LOWER_UP');
  p.closeArray('> ');
  p.openArray('empty');
  p.closeArray();
  p.jsonOnly('link', null);
  p.openObject('linkinfo');
  p.any('hello_timer', new RawJson('0.00'), 'hello_timer    0.00 ');
  p.jsonOnly('big', 18446744073709551615n);
  p.closeObject();
  p.text('\n');
  p.closeObject();
  return p.finish();
}

describe('Printer', () => {
  it('writes compact JSON as ip -j does', () => {
    expect(sample(new Printer(true))).toBe(
      '[{"ifindex":1,"flags":["UP","LOWER_UP"],"empty":[],"link":null,"linkinfo":{"hello_timer":0.00,"big":18446744073709551615}}]\n',
    );
  });
  it("writes ip -j -p's layout", () => {
    expect(sample(new Printer(true, true))).toBe(
      '[ {\n        "ifindex": 1,\n        "flags": [ "UP","LOWER_UP" ],\n        "empty": [ ],\n        "link": null,\n        "linkinfo": {\n            "hello_timer": 0.00,\n            "big": 18446744073709551615\n        }\n    } ]\n',
    );
  });
  it('writes the text form from the same calls', () => {
    expect(sample(new Printer(false))).toBe('1: <UP,LOWER_UP> hello_timer    0.00 \n');
  });
  it('prints an empty list as ip does', () => {
    const p = new Printer(true, true);
    p.start();
    expect(p.finish()).toBe('[ ]\n');
  });
  it('escapes strings as jsonw does, control characters as \\u', () => {
    expect(quote('a"b\\c\td\n\u0001')).toBe('"a\\"b\\\\c\\td\\n\\u0001"');
  });
});
