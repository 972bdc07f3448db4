/**
 * nlts [-n NAME] nft [-j] monitor [-j]: nftables changes as `nft monitor` (nft 1.0.6) prints them,
 * one line each (`add rule ip t c handle 3 counter packets 0 bytes 0 accept`), each committed
 * transaction closed by `# new generation N by process PID (NAME)`; with -j the lines of
 * `nft -j monitor` (its JSON, no generation lines). Dispatched from `nlts nft` (nft.ts): the command
 * is nft's, so it lives beside nft's other commands, not in `nlts monitor` (ip monitor's grammar).
 *
 * A Monitor of group 'nftables' in the namespace: lost events are reported as nft reports them
 * (`# ERROR: We lost some netlink events!`), then, unlike nft, the monitor resyncs and says so
 * (`# resynced at generation N`): what follows is exact again. SIGINT / SIGTERM end it, status 0.
 */
import { Monitor } from '../../monitor/monitor.js';
import type { MonitorEvent } from '../../monitor/events.js';
import { NftMonitorText } from '../../nft/monitor-text.js';
import { type CliContext, UsageError } from '../context.js';
import { nftJsonText } from '../format/nft-json.js';

export const NFT_MONITOR_USAGE = `Usage: nlts [ -n NAME ] nft [ -j ] monitor [ -j ]
Prints nftables changes as nft monitor does; -j as nft -j monitor does.`;

/** nft's line when the kernel dropped events (mnl_nft_event_listener on ENOBUFS). */
export const LOST_LINE = '# ERROR: We lost some netlink events!';

export async function run(argv: string[], json: boolean, ctx: CliContext): Promise<number> {
  let asJson = json;
  for (const a of argv) {
    if (a === '-j' || a === '--json') asJson = true;
    else if (a === 'help' || a === '-h' || a === '--help') throw new UsageError('', NFT_MONITOR_USAGE);
    else throw new UsageError(`Error: "nft monitor ${a}" is not supported by nlts nft (it watches every change)`, NFT_MONITOR_USAGE);
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let m: Monitor | undefined;
  try {
    const netns = ctx.options.netns;
    // The initial resync gives the printer the types of the sets that exist (their elements print by them).
    m = await Monitor.open({ groups: ['nftables'], initialDump: true, signal: ac.signal, ...(netns !== undefined && { netns }) });
    const printer = new NftEventPrinter(asJson);
    for await (const e of m.events({ signal: ac.signal })) {
      const line = printer.line(e);
      if (line !== undefined) ctx.out(line);
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    m?.close();
  }
}

/** The line (text, or nft's JSON) for a monitor event; undefined when nft prints nothing for it. */
export class NftEventPrinter {
  private readonly text = new NftMonitorText();
  constructor(private readonly json: boolean) {}

  line(e: MonitorEvent): string | undefined {
    switch (e.type) {
      case 'new':
      case 'del': {
        if (e.kind !== 'nftables') return undefined;
        if (this.json) return nftJsonText(e.object);
        const position = (e.raw.attrs as { position?: bigint } | undefined)?.position;
        return this.text.line(e.object, position);
      }
      case 'generation':
        return this.json ? undefined : this.text.generation(e.genid, e.pid, e.process);
      case 'resync':
        if (e.ruleset === undefined) return undefined;
        this.text.resync(e.ruleset);
        return e.initial ? undefined : `# resynced at generation ${e.genid}`;
      case 'overrun':
        return LOST_LINE;
      case 'error':
        process.stderr.write(`nlts: nft monitor: ${e.error.message}\n`);
        return undefined;
      default:
        return undefined;
    }
  }
}
