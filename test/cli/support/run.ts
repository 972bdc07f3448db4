/** Runs the CLI in-process: output captured, the client over a replayed fixture when given. */
import { vi } from 'vitest';
import { NetlinkClient } from '../../../src/api/client.js';
import { main } from '../../../src/cli/main.js';
import { loadFixture } from '../../../src/transport/fixture.js';
import { ReplayTransport } from '../../../src/transport/replay.js';

export interface CliRun {
  out: string;
  err: string;
  code: number;
  replay?: ReplayTransport;
}

export async function runCli(argv: string[], fixturePath?: string): Promise<CliRun> {
  const replay = fixturePath ? new ReplayTransport(loadFixture(fixturePath)) : undefined;
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
    const code = await main(argv, {
      out: (s) => (out += s),
      openClient: async () => {
        if (!replay) throw new Error('this test opens no netlink socket');
        const client = NetlinkClient.open({ transport: replay });
        return { client, close: () => client.close() };
      },
    });
    return { out, err, code, ...(replay && { replay }) };
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
  }
}

/** Runs the CLI in-process on the real kernel (its own client): stdout and stderr captured. */
export async function runNlts(argv: string[]): Promise<{ code: number; out: string; err: string }> {
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
    const code = await main(argv, { out: (s) => (out += s) });
    return { code, out, err };
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
  }
}
