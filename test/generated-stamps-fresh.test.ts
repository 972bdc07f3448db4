/**
 * src/generated/stamps/ must be exactly what scripts/gen-stamps.ts makes from the specs and
 * api/address-stamps.ts's shapes today: the stamps' bytes are the encoder's, so a spec or encoder
 * change that moves a byte makes them stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, STAMPS_MARK, generateStamps, staleStampFiles } from '../scripts/gen-stamps.js';

describe('generated stamps', () => {
  it('are up to date with the specs and the shapes (run npm run gen)', async () => {
    const expected = await generateStamps();
    const problems: string[] = [];
    for (const [path, content] of expected) {
      const abs = join(ROOT, path);
      if (!existsSync(abs)) problems.push(`${path}: missing`);
      else if (readFileSync(abs, 'utf8') !== content) problems.push(`${path}: differs from the generator's output`);
      expect(content.split('\n')[0]).toMatch(new RegExp(`^${STAMPS_MARK} from `));
    }
    for (const path of staleStampFiles(expected)) problems.push(`${path}: nothing generates it any more`);
    if (problems.length > 0) throw new Error(`src/generated/stamps is out of date, run npm run gen:\n  ${problems.join('\n  ')}`);
  });

  it('are deterministic', async () => {
    expect(await generateStamps()).toEqual(await generateStamps());
  });
});
