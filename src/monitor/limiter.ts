/**
 * Bounds how many resync / refresh dumps run at once across the monitors that share it (a
 * MultiMonitor gives one to all its namespaces). A hundred namespaces that all lose events, or all
 * see a link flap, in the same second would otherwise dump together: every reply held in memory at
 * once, and as much CPU as there is. In turn, each dump's objects are short-lived.
 */
export class DumpLimiter {
  readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private peakRunning = 0;
  private waitedCount = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`dump concurrency must be a positive integer, not ${limit}`);
    this.limit = limit;
  }

  /** Runs `fn` once fewer than `limit` others run (first come, first served). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      this.waitedCount++;
      await new Promise<void>((r) => this.waiting.push(r));
    } else this.running++;
    // A slot handed over by release() was counted there.
    if (this.running > this.peakRunning) this.peakRunning = this.running;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Dumps running now, waiting now, the most that ran at once, and how many had to wait. */
  stats(): { running: number; waiting: number; peak: number; waited: number } {
    return { running: this.running, waiting: this.waiting.length, peak: this.peakRunning, waited: this.waitedCount };
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
