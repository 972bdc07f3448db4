/**
 * src/generated/ must be exactly what scripts/gen-types.ts produces from protocol/ today.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, GENERATED_MARK, ROOT, findSpecs, generateAll, staleGeneratedFiles } from '../scripts/gen-types.js';

function firstDifference(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 0;
}

describe('generated types', () => {
  const expected = generateAll();

  it('are up to date with protocol/ (run npm run gen)', () => {
    const problems: string[] = [];
    for (const [path, content] of expected) {
      const abs = join(ROOT, path);
      if (!existsSync(abs)) {
        problems.push(`${path}: missing`);
        continue;
      }
      const actual = readFileSync(abs, 'utf8');
      if (actual !== content) problems.push(`${path}: differs from the generator's output (first at line ${firstDifference(actual, content)})`);
    }
    for (const path of staleGeneratedFiles(expected)) problems.push(`${path}: no spec generates it any more`);
    if (problems.length > 0) {
      throw new Error(`src/generated is out of date, run npm run gen:\n  ${problems.join('\n  ')}`);
    }
  });

  it('cover every spec exported by protocol/index.ts, with the header comment', () => {
    const specs = findSpecs();
    expect(specs.length).toBeGreaterThan(0);
    for (const { spec, file } of specs) {
      const content = expected.get(`${GENERATED_DIR}/${spec.name}.ts`);
      expect(content, spec.name).toBeDefined();
      expect(content!.split('\n')[0]).toBe(`${GENERATED_MARK} from ${file}. Do not edit.`);
      expect(expected.get(`${GENERATED_DIR}/index.ts`)).toContain(`export type * from './${spec.name}.js';`);
    }
    expect(expected.size).toBe(specs.length + 2); // plus index.ts and shared.ts (enums several specs share)
  });

  it('are deterministic', () => {
    expect(generateAll()).toEqual(expected);
  });
});
