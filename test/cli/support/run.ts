/** Runs the CLI in-process: output captured, the client over a replayed fixture when given. */
import { vi } from 'vitest';
import { NetlinkClient } from '../../../src/api/client.js';
import { type MainHooks, main } from '../../../src/cli/main.js';
import { loadFixture } from '../../../src/transport/fixture.js';
import { ReplayTransport } from '../../../src/transport/replay.js';

export interface CliRun {
  out: string;
  err: string;
  code: number;
  replay?: ReplayTransport;
}

/** main(argv) with stdout and stderr captured (and `out`, the CLI's own output sink). */
async function captured(argv: string[], options: Omit<MainHooks, 'out'> = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    const code = await main(argv, { ...options, out: (s) => (out += s) });
    return { out, err, code };
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
  }
}

export async function runCli(argv: string[], fixturePath?: string): Promise<CliRun> {
  const replay = fixturePath ? new ReplayTransport(loadFixture(fixturePath)) : undefined;
  const run = await captured(argv, {
    openClient: async () => {
      if (!replay) throw new Error('this test opens no netlink socket');
      const client = NetlinkClient.open({ transport: replay });
      return { client, close: () => client.close() };
    },
  });
  return { ...run, ...(replay && { replay }) };
}

/** Runs the CLI in-process on the real kernel (its own client): stdout and stderr captured. */
export function runNlts(argv: string[]): Promise<CliRun> {
  return captured(argv);
}
