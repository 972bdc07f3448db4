/**
 * A capture file read through a window with positional reads, so a PcapReader over it holds about
 * one window (1 MiB, or the largest block) however big the file is.
 */
import { fstatSync, readSync } from 'node:fs';
import type { ByteSource } from './pcap.js';

export class FileSource implements ByteSource {
  readonly size: number;
  private buf: Uint8Array;
  /** File offsets of buf[0] and of the end of what buf holds. */
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    window = 1 << 20,
  ) {
    this.size = fstatSync(fd).size;
    this.buf = new Uint8Array(window);
  }

  read(pos: number, n: number): Uint8Array {
    const want = Math.max(0, Math.min(n, this.size - pos));
    if (pos < this.start || pos + want > this.end) this.fill(pos, want);
    const s = pos - this.start;
    return this.buf.subarray(s, s + Math.min(want, this.end - pos));
  }

  /** Reads a window from `pos`; grown for a block larger than it (the reader checked it fits the file). */
  private fill(pos: number, n: number): void {
    if (n > this.buf.length) this.buf = new Uint8Array(n);
    const len = Math.min(this.buf.length, this.size - pos);
    let got = 0;
    while (got < len) {
      const k = readSync(this.fd, this.buf, got, len - got, pos + got);
      if (k === 0) break; // the file shrank: the reader sees fewer bytes than it asked for
      got += k;
    }
    this.start = pos;
    this.end = pos + got;
  }
}
