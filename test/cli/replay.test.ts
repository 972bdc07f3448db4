/**
 * The CLI end to end without privileges: each command's netlink traffic was recorded (with ip's
 * output of the same state) by test/cli/fixtures/generate.ts; here the command runs again over
 * the replayed fixture and its output must be ip's (clocks and counters aside).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CASES, caseFile } from './fixtures/cases.js';
import { normalizeJson, normalizeText } from './support/normalize.js';
import { runCli } from './support/run.js';

const here = dirname(fileURLToPath(import.meta.url));
const ipOutput = JSON.parse(readFileSync(join(here, 'fixtures', 'ip-output.json'), 'utf8')) as Record<string, { ip: string; status: number }>;

afterEach(() => vi.restoreAllMocks());

describe('CLI over recorded netlink traffic matches ip', () => {
  for (const c of CASES) {
    it(`nlts ${c.join(' ')}`, async () => {
      const { out, err, code, replay } = await runCli(c, join(here, 'fixtures', caseFile(c)));
      const expected = ipOutput[c.join(' ')]!;
      expect(replay!.finished, 'every recorded request was made').toBe(true);
      expect(code === 0, `exit status ${code} vs ip's ${expected.status}`).toBe(expected.status === 0);
      if (expected.status !== 0) {
        expect(err.trim()).toBe(expected.ip.trim());
        return;
      }
      if (c.includes('-j')) expect(normalizeJson(JSON.parse(out))).toEqual(normalizeJson(JSON.parse(expected.ip)));
      else expect(normalizeText(out)).toBe(normalizeText(expected.ip));
      if (c.includes('-p')) expect(out).toBe(expected.ip);
    });
  }
});
