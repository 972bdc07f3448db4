/**
 * src/transport/ffi.ts loads ffi-rs without Node's diagnostic report: ffi-rs asks
 * process.report.getReport() only whether the C library is glibc, and the answer comes from the
 * executable's ELF interpreter (or /proc/self/maps) without loading the report module.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { executableInterpreter } from '../../src/transport/ffi.js';

const FFI = fileURLToPath(new URL('../../src/transport/ffi.ts', import.meta.url));

describe('loading ffi-rs', () => {
  it("tells the C library from the executable's ELF interpreter, as the report would", () => {
    const interp = executableInterpreter();
    expect(interp).toMatch(/^\/.*\/ld-(linux|musl)[^/]*$/);
    const glibc = Boolean((process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime);
    expect(/\/ld-linux/.test(interp!)).toBe(glibc);
  });

  it("loads without Node's report module, and leaves process.report as it was", () => {
    const script = `
      const m = await import(${JSON.stringify(FFI)});
      const reportLoaded = process.moduleLoadList.includes('NativeModule internal/process/report');
      const d = Object.getOwnPropertyDescriptor(process, 'report');
      const works = typeof process.report.getReport === 'function' && process.report.excludeNetwork === false;
      console.log(JSON.stringify({ reportLoaded, accessor: typeof d.get, works, load: typeof m.load }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ reportLoaded: false, accessor: 'function', works: true, load: 'function' });
  });
});
