/**
 * nlts [-n NAME] ethtool [ -k | -K | -l | -L | -g | -G ] DEV ...: ethtool's grammar and text (6.1,
 * its netlink code) over client.ethtool, in the namespace of -n. Failures are reported as ethtool
 * reports them, with its exit statuses: "netlink error: <kernel message> (offset N)" then
 * "netlink error: <strerror>"; 1 for show commands, 92 for -K, 81 for -G.
 */
import type { ChannelsSet, EthtoolApi, RingsSet } from '../../api/ethtool.js';
import { isInvalidArgumentError } from '../../api/errors.js';
import { errnoInfo } from '../../conn/errors.js';
import { type CliContext, CliError, UsageError } from '../context.js';
import {
  formatChannels,
  formatDebug,
  formatFeatureChanges,
  formatFeatures,
  formatLinkInfo,
  formatLinkModes,
  formatLinkState,
  formatRings,
  formatWakeOnLan,
} from '../format/ethtool.js';

export const ETHTOOL_USAGE = `Usage: nlts [ -n NAME ] ethtool DEV
       nlts [ -n NAME ] ethtool { -k | --show-features | --show-offload } DEV
       nlts [ -n NAME ] ethtool { -K | --features | --offload } DEV FEATURE { on | off } ...
       nlts [ -n NAME ] ethtool { -l | --show-channels } DEV
       nlts [ -n NAME ] ethtool { -L | --set-channels } DEV [ rx N ] [ tx N ] [ other N ] [ combined N ]
       nlts [ -n NAME ] ethtool { -g | --show-ring } DEV
       nlts [ -n NAME ] ethtool { -G | --set-ring } DEV [ rx N ] [ rx-mini N ] [ rx-jumbo N ] [ tx N ] [ rx-buf-len N ]
                                   [ cqe-size N ] [ tx-push on|off ] [ rx-push on|off ] [ tcp-data-split auto|on|off ]
FEATURE := a kernel feature name (tx-checksum-ip-generic...) or rx | tx | sg | tso | gso | gro | lro | rxvlan | txvlan | ntuple | rxhash`;

type Mode = 'settings' | 'k' | 'K' | 'l' | 'L' | 'g' | 'G';

const MODES: Readonly<Record<string, Mode>> = {
  '-k': 'k',
  '--show-features': 'k',
  '--show-offload': 'k',
  '-K': 'K',
  '--features': 'K',
  '--offload': 'K',
  '-l': 'l',
  '--show-channels': 'l',
  '-L': 'L',
  '--set-channels': 'L',
  '-g': 'g',
  '--show-ring': 'g',
  '-G': 'G',
  '--set-ring': 'G',
};

/** ethtool's exit status when the kernel refuses each command. */
const FAILURE: Readonly<Record<Mode, number>> = { settings: 1, k: 1, K: 92, l: 1, L: 1, g: 1, G: 81 };

export async function run(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '-h' || first === '--help') throw new UsageError('', ETHTOOL_USAGE);
  const mode = first.startsWith('-') ? MODES[first] : 'settings';
  if (mode === undefined) throw new UsageError(`Option "${first}" is not supported by nlts ethtool.`, ETHTOOL_USAGE);
  const args = mode === 'settings' ? argv : rest;
  const dev = args[0];
  if (dev === undefined) throw new CliError('ethtool: bad command line argument(s)\nFor more information run ethtool -h', 1);
  const params = args.slice(1);
  if ((mode === 'k' || mode === 'l' || mode === 'g') && params.length > 0) throw new CliError(`ethtool: unexpected parameter '${params[0]}'`, 1);
  const ethtool = (await ctx.client()).ethtool;
  try {
    return await runMode(mode, ethtool, dev, params, ctx);
  } catch (err) {
    const line = netlinkErrorLines(err);
    if (line === undefined) throw err;
    process.stderr.write(line);
    return FAILURE[mode];
  }
}

async function runMode(mode: Mode, ethtool: EthtoolApi, dev: string, params: string[], ctx: CliContext): Promise<number | undefined> {
  const json = ctx.options.json;
  const show = (value: unknown, text: () => string): undefined => {
    ctx.out(json ? JSON.stringify(value, null, ctx.options.pretty ? 4 : undefined) : text());
    return undefined;
  };
  switch (mode) {
    case 'settings':
      return settings(ethtool, dev, ctx);
    case 'k': {
      const f = await ethtool.features(dev);
      return show(f, () => formatFeatures(f, dev));
    }
    case 'K': {
      const changes = await ethtool.setFeatures(dev, featureArgs(params));
      if (json) return show(changes, () => '');
      const text = formatFeatureChanges(changes);
      if (text) ctx.out(text);
      return undefined;
    }
    case 'l': {
      const c = await ethtool.channels(dev);
      return show(c, () => formatChannels(c, dev));
    }
    case 'L': {
      const counts = numberArgs('-L', params, ['rx', 'tx', 'other', 'combined']) as ChannelsSet;
      if (Object.keys(counts).length > 0) await ethtool.setChannels(dev, counts);
      return undefined;
    }
    case 'g': {
      const r = await ethtool.rings(dev);
      return show(r, () => formatRings(r, dev));
    }
    case 'G': {
      const rings = ringArgs(params);
      if (Object.keys(rings).length > 0) await ethtool.setRings(dev, rings);
      return undefined;
    }
  }
}

/**
 * `ethtool DEV`: link modes, link info, wake-on-LAN, debug level and link state, each left out when
 * the device does not support it; "No data available" (75) when none could be read.
 */
async function settings(ethtool: EthtoolApi, dev: string, ctx: CliContext): Promise<number | undefined> {
  const parts: [() => Promise<unknown>, (v: never) => string][] = [
    [() => ethtool.linkModes(dev), formatLinkModes],
    [() => ethtool.linkInfo(dev), formatLinkInfo],
    [() => ethtool.wakeOnLan(dev), formatWakeOnLan],
    [() => ethtool.debug(dev), formatDebug],
    [() => ethtool.linkState(dev), formatLinkState],
  ];
  let text = '';
  const values: unknown[] = [];
  for (const [get, format] of parts) {
    try {
      const v = await get();
      values.push(v);
      text += format(v as never);
    } catch (err) {
      if ((err as Error)?.name === 'NotSupportedError') continue; // ethtool leaves such parts out quietly
      const lines = netlinkErrorLines(err);
      if (lines === undefined) throw err;
      process.stderr.write(lines);
    }
  }
  if (ctx.options.json) {
    ctx.out(JSON.stringify(values, null, ctx.options.pretty ? 4 : undefined));
    return undefined;
  }
  if (text === '') {
    ctx.out('No data available');
    return 75;
  }
  ctx.out(`Settings for ${dev}:\n${text}`);
  return undefined;
}

/** FEATURE on|off pairs, in order (a later one for the same name wins). */
function featureArgs(params: string[]): Record<string, boolean> {
  if (params.length === 0) throw new CliError('Could not change any device features', 1);
  const out: Record<string, boolean> = {};
  for (let i = 0; i < params.length; i += 2) {
    const name = params[i]!;
    const v = params[i + 1];
    if (v !== 'on' && v !== 'off')
      throw new CliError(`ethtool (-K): flag '${v ?? '(null)'}' for parameter '${name}' is not followed by 'on' or 'off'`, 1);
    out[name] = v === 'on';
  }
  return out;
}

/** KEYWORD N pairs as ethtool's parser takes them: known keywords only, unsigned 32-bit values. */
function numberArgs(cmd: string, params: string[], keywords: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < params.length; i += 2) {
    const key = params[i]!;
    if (!keywords.includes(key)) throw new CliError(`ethtool (${cmd}): unknown parameter '${key}'`, 1);
    const v = params[i + 1];
    if (v === undefined) throw new CliError(`ethtool (${cmd}): no value for parameter '${key}'`, 1);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || Number(v) > 0xffffffff)
      throw new CliError(`ethtool (${cmd}): invalid value '${v}' for parameter '${key}'`, 1);
    out[camel(key)] = Number(v);
  }
  return out;
}

const RING_NUMBERS = ['rx', 'rx-mini', 'rx-jumbo', 'tx', 'rx-buf-len', 'cqe-size', 'tx-push-buf-len', 'header-data-split-thresh'] as const;

/** -G parameters: sizes, on|off switches and tcp-data-split auto|on|off. */
function ringArgs(params: string[]): RingsSet {
  const numbers: string[] = [];
  const out: RingsSet = {};
  for (let i = 0; i < params.length; i += 2) {
    const key = params[i]!;
    const v = params[i + 1];
    if (key === 'tx-push' || key === 'rx-push' || key === 'tcp-data-split') {
      if (v === undefined) throw new CliError(`ethtool (-G): no value for parameter '${key}'`, 1);
      const allowed = key === 'tcp-data-split' ? ['auto', 'on', 'off'] : ['on', 'off'];
      if (!allowed.includes(v)) throw new CliError(`ethtool (-G): invalid value '${v}' for parameter '${key}'`, 1);
      if (key === 'tcp-data-split') out.tcpDataSplit = v as 'auto' | 'on' | 'off';
      else out[key === 'tx-push' ? 'txPush' : 'rxPush'] = v === 'on';
    } else numbers.push(key, ...(v === undefined ? [] : [v]));
  }
  const sizes = numberArgs('-G', numbers, RING_NUMBERS);
  if ('headerDataSplitThresh' in sizes) {
    sizes.hdsThresh = sizes.headerDataSplitThresh!;
    delete sizes.headerDataSplitThresh;
  }
  return { ...sizes, ...out };
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * ethtool's report of a kernel refusal: the extended-ack message (with its offset) and the errno's
 * text. Bad input caught before sending reads like the kernel's answer to it. Undefined for other errors.
 */
function netlinkErrorLines(err: unknown): string | undefined {
  const e = err as { name?: string; cause?: unknown; argument?: string } | undefined;
  if (isInvalidArgumentError(err) && e?.argument === 'feature') return 'netlink error: bit name not found\nnetlink error: Operation not supported\n';
  const k = (e?.name === 'NetlinkError' ? e : (e?.cause as typeof e)) as
    | { name?: string; errno?: number; kernelMessage?: string; offset?: number }
    | undefined;
  if (k?.name !== 'NetlinkError' || k.errno === undefined) return undefined;
  let out = '';
  if (k.kernelMessage) out += `netlink error: ${k.kernelMessage}${k.offset !== undefined ? ` (offset ${k.offset})` : ''}\n`;
  return `${out}netlink error: ${errnoInfo(k.errno).description}\n`;
}
