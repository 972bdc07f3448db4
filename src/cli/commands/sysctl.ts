/**
 * nlts [-n NAME] sysctl [-w] [-q] KEY[=VALUE]...: read or set net.* sysctls of the current
 * namespace or of NAME (opened inside NAME: never this namespace's values). Prints
 * `key = value` as sysctl(8) does; -j gives [{"key": ..., "value": ...}].
 */
import { sysctl } from '../../netns/sysctl.js';
import { type CliContext, UsageError } from '../context.js';

export const SYSCTL_USAGE = `Usage: nlts [ -n NAME ] sysctl [ -w ] [ -q ] KEY[=VALUE] ...
KEY := a net.* sysctl, dotted (net.ipv4.conf.eth0.forwarding) or slashed (net/ipv4/ip_forward);
       in the dotted form a "/" stands for a "." in an interface name (net.ipv4.conf.eth0/100.rp_filter)`;

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  let quiet = false;
  const items: (string | [string, string])[] = [];
  for (const a of argv) {
    if (a === '-w' || a === '--write') continue; // sysctl(8) compatibility: KEY=VALUE writes anyway
    if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === 'help' || a === '-h' || a === '--help') throw new UsageError('', SYSCTL_USAGE);
    else if (a.startsWith('-')) throw new UsageError(`Option "${a}" is unknown.`, SYSCTL_USAGE);
    else {
      const eq = a.indexOf('=');
      items.push(eq < 0 ? a : [a.slice(0, eq).trim(), a.slice(eq + 1).trim()]);
    }
  }
  if (items.length === 0) throw new UsageError('No sysctl key given', SYSCTL_USAGE);
  const result = await sysctl(items, ctx.options.netns !== undefined ? { netns: ctx.options.netns } : {});
  if (ctx.options.json) {
    ctx.out(JSON.stringify(result, null, ctx.options.pretty ? 4 : undefined));
    return;
  }
  result.forEach((r, i) => {
    if (quiet && Array.isArray(items[i])) return;
    ctx.out(`${r.key} = ${r.value}`);
  });
}
