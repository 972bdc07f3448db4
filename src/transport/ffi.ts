/**
 * ffi-rs, loaded without its start-up tax. To choose between its glibc and musl binaries its
 * loader calls process.report.getReport() and reads only header.glibcVersionRuntime. A full
 * report costs 5 ms (and, with its network section, 27 ms with 2001 links, measured in bench
 * S1). The executable's ELF interpreter (ld-linux or ld-musl, 0.08 ms) or else /proc/self/maps
 * (the C library mapped into the process, 0.3 ms) answers the same question, and ffi-rs gets that
 * answer from a stand-in for process.report, so Node's report module is not even loaded (0.1 ms);
 * without either answer the real report runs, minus the network part.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as FfiRs from 'ffi-rs';

type Report = typeof process.report & { excludeNetwork?: boolean };

/** What getReport().header.glibcVersionRuntime would say, or null when unsure. */
function glibcFromMaps(): { glibcVersionRuntime?: string } | null {
  try {
    const maps = readFileSync('/proc/self/maps', 'latin1');
    if (/\/ld-musl-[^/\s]*\.so/.test(maps)) return {}; // musl: no glibc version
    if (/\/libc(?:-[\d.]+)?\.so(?:\.6)?\b/.test(maps)) return { glibcVersionRuntime: 'from /proc/self/maps' };
  } catch {
    // no /proc: fall through
  }
  return null;
}

/** PT_INTERP of the running executable (e.g. /lib64/ld-linux-x86-64.so.2), undefined when it has none or is unreadable. */
export function executableInterpreter(): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/exe', 'r');
    const h = Buffer.alloc(64);
    // ELF64, little-endian (x86-64, arm64): e_phoff at 32, e_phentsize at 54, e_phnum at 56.
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
    const size = h.readUInt16LE(54);
    const count = Math.min(h.readUInt16LE(56), 64);
    const ph = Buffer.alloc(size * count);
    if (size < 56 || readSync(fd, ph, 0, ph.length, Number(h.readBigUInt64LE(32))) < ph.length) return undefined;
    for (let at = 0; at < ph.length; at += size) {
      if (ph.readUInt32LE(at) !== 3) continue; // PT_INTERP: p_offset at 8, p_filesz at 32
      const path = Buffer.alloc(Math.min(Number(ph.readBigUInt64LE(at + 32)), 4096));
      readSync(fd, path, 0, path.length, Number(ph.readBigUInt64LE(at + 8)));
      const text = path.toString('latin1');
      const nul = text.indexOf('\0');
      return nul < 0 ? text : text.slice(0, nul);
    }
  } catch {
    // no /proc, or not ELF: undefined
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return undefined;
}

/** What getReport().header says about the C library, from the ELF interpreter or else /proc/self/maps; null when unsure. */
function libcHeader(): { glibcVersionRuntime?: string } | null {
  const interp = executableInterpreter();
  if (interp !== undefined && /\/ld-musl-[^/]*$/.test(interp)) return {};
  if (interp !== undefined && /\/ld-linux[^/]*\.so\.\d+$/.test(interp)) return { glibcVersionRuntime: 'from the ELF interpreter' };
  return glibcFromMaps();
}

function loadFfiRs(): typeof FfiRs {
  const req = createRequire(import.meta.url);
  const header = libcHeader();
  const own = Object.getOwnPropertyDescriptor(process, 'report');
  if (header && own?.configurable && own.get) {
    // process.report is a lazy getter of Node's: a stand-in answers, the getter comes back after.
    Object.defineProperty(process, 'report', { configurable: true, enumerable: own.enumerable, value: { getReport: () => ({ header }) } });
    try {
      return req('ffi-rs') as typeof FfiRs;
    } finally {
      Object.defineProperty(process, 'report', own);
    }
  }
  const report = process.report as Report | undefined;
  if (!report || typeof report.getReport !== 'function') return req('ffi-rs') as typeof FfiRs;
  const realGetReport = report.getReport;
  const previous = report.excludeNetwork;
  report.excludeNetwork = true;
  if (header) report.getReport = (() => ({ header })) as unknown as typeof report.getReport;
  try {
    return req('ffi-rs') as typeof FfiRs;
  } finally {
    report.getReport = realGetReport;
    report.excludeNetwork = previous ?? false;
  }
}

const ffi = loadFfiRs();

export const { DataType, load, open } = ffi;
export type DataType = FfiRs.DataType;
