/**
 * Text as ethtool 6.1 prints it (its netlink code: features.c, settings.c, channels.c, rings.c),
 * from the objects nl.ethtool returns. Functions return whole text, lines ending in "\n".
 */
import type { Channels, DebugLevel, FeatureChange, Features, LinkInfo, LinkModes, LinkState, NamedBit, Rings, WakeOnLan } from '../../api/ethtool.js';
import { linkModeBitEnum } from '../../../protocol/ethtool-link-modes.js';
import { ethtoolSpec } from '../../../protocol/ethtool.js';
import type { EnumSpec } from '../../../protocol/spec.js';
import { FEATURE_GROUPS, featureGroup } from '../../api/ethtool-features.js';
import { enumNum } from './values.js';

// ---------------------------------------------------------------------------------------------
// -k / -K

/** `ethtool -k DEV`: groups (rx-checksumming...) first with their features, then the rest. */
export function formatFeatures(f: Features, devname: string): string {
  const names = Object.keys(f.features);
  const group = names.map(featureGroup);
  let out = `Features for ${devname}:\n`;
  FEATURE_GROUPS.forEach(([, long], g) => {
    if (long === 'udp-fragmentation-offload') return; // no kernel with ethtool netlink has UFO
    const members = names.filter((_, i) => group[i] === g);
    if (members.length !== 1) out += `${long}: ${members.some((n) => f.features[n]!.active) ? 'on' : 'off'}\n`;
    for (const n of members) out += featureLine(f, n, members.length === 1 ? long : n, members.length === 1 ? '' : '\t');
  });
  names.forEach((n, i) => {
    if (group[i] === -1) out += featureLine(f, n, n, '');
  });
  return out;
}

function featureLine(f: Features, name: string, label: string, prefix: string): string {
  const s = f.features[name]!;
  const suffix = s.fixed ? ' [fixed]' : s.active !== s.wanted ? (s.wanted ? ' [requested on]' : ' [requested off]') : '';
  return `${prefix}${label}: ${s.active ? 'on' : 'off'}${suffix}\n`;
}

/** `ethtool -K`: "Actual changes:" when something came out otherwise than asked, else nothing. */
export function formatFeatureChanges(changes: readonly FeatureChange[]): string {
  if (changes.length === 0) return '';
  let out = 'Actual changes:\n';
  for (const c of changes) {
    if (c.refused !== undefined) out += `${c.name}: ${c.refused ? 'off' : 'on'} [requested ${c.refused ? 'on' : 'off'}]\n`;
    else if (!c.requested) out += `${c.name}: ${c.active ? 'on' : 'off'} [not requested]\n`;
    else out += `${c.name}: ${c.active ? 'on' : 'off'}\n`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ethtool DEV

/** How ethtool sorts link mode bits: speeds and media ("real"), or one of the other things kept there. */
const Class = { Real: 0, Autoneg: 1, Port: 2, Pause: 3, Fec: 4 } as const;
type Class = (typeof Class)[keyof typeof Class];

/** Bit -> uapi name (ETHTOOL_LINK_MODE_<name>_BIT), from the spec: the 6.1 bits ethtool 6.1 knows. */
const MODE_NAME = new Map(Object.entries(linkModeBitEnum.entries).map(([name, bit]) => [bit as number, name]));
const PORT_MODES = new Set(['TP', 'AUI', 'MII', 'FIBRE', 'BNC', 'Backplane']);
const AUTONEG_BIT = linkModeBitEnum.entries.Autoneg;
const PAUSE_BIT = linkModeBitEnum.entries.Pause;
const ASYM_PAUSE_BIT = linkModeBitEnum.entries.Asym_Pause;

/** A bit's class by its uapi name; bits newer than the spec count as real link modes, as in ethtool 6.1. */
function classOf(bit: number): Class {
  const name = MODE_NAME.get(bit);
  if (name === undefined) return Class.Real;
  if (bit === AUTONEG_BIT) return Class.Autoneg;
  if (PORT_MODES.has(name)) return Class.Port;
  if (bit === PAUSE_BIT || bit === ASYM_PAUSE_BIT) return Class.Pause;
  return name.startsWith('FEC_') ? Class.Fec : Class.Real;
}

/** A half-duplex mode: its Full twin (the next bit) follows after a space rather than on a new line. */
function halfDuplex(bit: number): boolean {
  return MODE_NAME.get(bit)?.endsWith('_Half') === true;
}

/** dump_link_modes() for a verbose bit set: the bits of one class, ethtool's separators between. */
function modesLine(bits: readonly NamedBit[], cls: Class, before: string, between: string | undefined, after: string, ifNone?: string): string {
  let out = `\t${before}`;
  let first = true;
  let prev = -2;
  for (const b of bits) {
    if (classOf(b.index) !== cls) continue;
    if (first) first = false;
    else if (cls === Class.Real && b.index === prev + 1 && halfDuplex(prev)) out += ' ';
    else if (between !== undefined) out += `\t${between}`;
    else out += `\n\t${' '.repeat(before.length)}`;
    out += b.name;
    prev = b.index;
  }
  if (first && ifNone !== undefined) out += ifNone;
  return out + after;
}

function has(bits: readonly NamedBit[], index: number): boolean {
  return bits.some((b) => b.index === index);
}

function pauseLine(bits: readonly NamedBit[], label: string): string {
  const pause = has(bits, PAUSE_BIT);
  const asym = has(bits, ASYM_PAUSE_BIT);
  return `\t${label}${pause ? (asym ? 'Symmetric Receive-only' : 'Symmetric') : asym ? 'Transmit-only' : 'No'}\n`;
}

const E = ethtoolSpec.definitions;
const DUPLEX: Readonly<Record<string, string>> = { half: 'Half', full: 'Full' };
const MS_CFG: Readonly<Record<string, string>> = {
  unknown: 'unknown',
  'master-preferred': 'preferred master',
  'slave-preferred': 'preferred slave',
  'master-force': 'forced master',
  'slave-force': 'forced slave',
};
const MS_STATE: Readonly<Record<string, string>> = { unknown: 'unknown', master: 'master', slave: 'slave', err: 'resolution error' };
const PORT: Readonly<Record<string, string>> = {
  tp: 'Twisted Pair',
  aui: 'AUI',
  bnc: 'BNC',
  mii: 'MII',
  fibre: 'FIBRE',
  da: 'Direct Attach Copper',
  none: 'None',
  other: 'Other',
};
const TRANSCEIVER: Readonly<Record<string, string>> = { internal: 'internal', external: 'external' };
/** print_enum(): ethtool's words for the values it names (presentation), else "Unknown! (N)" with the spec's number. */
function enumLine(label: string, v: string | number, def: EnumSpec, names: Readonly<Record<string, string>>): string {
  const text = typeof v === 'string' ? names[v] : undefined;
  return text !== undefined ? `\t${label}: ${text}\n` : `\t${label}: Unknown! (${enumNum(def, v)})\n`;
}

/** linkmodes_reply_cb(): the link mode lines, speed, lanes, duplex, autonegotiation. */
export function formatLinkModes(m: LinkModes): string {
  const sup = m.supported;
  const adv = m.advertised;
  let out = modesLine(sup, Class.Port, 'Supported ports: [ ', ' ', ' ]\n');
  out += modesLine(sup, Class.Real, 'Supported link modes:   ', undefined, '\n', 'Not reported');
  out += pauseLine(sup, 'Supported pause frame use: ');
  out += `\tSupports auto-negotiation: ${has(sup, AUTONEG_BIT) ? 'Yes' : 'No'}\n`;
  out += modesLine(sup, Class.Fec, 'Supported FEC modes: ', ' ', '\n', 'Not reported');
  out += modesLine(adv, Class.Real, 'Advertised link modes:  ', undefined, '\n', 'Not reported');
  out += pauseLine(adv, 'Advertised pause frame use: ');
  out += `\tAdvertised auto-negotiation: ${has(adv, AUTONEG_BIT) ? 'Yes' : 'No'}\n`;
  out += modesLine(adv, Class.Fec, 'Advertised FEC modes: ', ' ', '\n', 'Not reported');
  if (m.partner !== undefined) {
    const p = m.partner;
    out += modesLine(p, Class.Real, 'Link partner advertised link modes:  ', undefined, '\n', 'Not reported');
    out += pauseLine(p, 'Link partner advertised pause frame use: ');
    out += `\tLink partner advertised auto-negotiation: ${has(p, AUTONEG_BIT) ? 'Yes' : 'No'}\n`;
    out += modesLine(p, Class.Fec, 'Link partner advertised FEC modes: ', ' ', '\n', 'Not reported');
  }
  if (m.speed !== undefined) out += m.speed === 'unknown' ? '\tSpeed: Unknown!\n' : `\tSpeed: ${m.speed}Mb/s\n`;
  if (m.lanes !== undefined) out += `\tLanes: ${m.lanes}\n`;
  if (m.duplex !== undefined) out += enumLine('Duplex', m.duplex, E.duplex, DUPLEX);
  if (m.autoneg !== undefined) out += `\tAuto-negotiation: ${m.autoneg ? 'on' : 'off'}\n`;
  if (m.masterSlaveCfg !== undefined) out += enumLine('master-slave cfg', m.masterSlaveCfg, E['master-slave-cfg'], MS_CFG);
  if (m.masterSlaveState !== undefined) out += enumLine('master-slave status', m.masterSlaveState, E['master-slave-state'], MS_STATE);
  return out;
}

/** linkinfo_reply_cb(): port, PHY address, transceiver, MDI-X (twisted pair only). */
export function formatLinkInfo(l: LinkInfo): string {
  let out = '';
  if (l.port !== undefined) out += enumLine('Port', l.port, E.port, PORT);
  if (l.phyaddr !== undefined) out += `\tPHYAD: ${l.phyaddr}\n`;
  if (l.transceiver !== undefined) out += enumLine('Transceiver', l.transceiver, E.transceiver, TRANSCEIVER);
  if (l.tpMdix !== undefined && l.tpMdixCtrl !== undefined && (l.port === 'tp' || l.port === 0)) out += mdixLine(l.tpMdix, l.tpMdixCtrl);
  return out;
}

/** dump_mdix(): forced by control, else the status (auto-selected when control says so). */
function mdixLine(status: string | number, ctrl: string | number): string {
  if (ctrl === 'mdi') return '\tMDI-X: off (forced)\n';
  if (ctrl === 'mdi-x') return '\tMDI-X: on (forced)\n';
  const s = status === 'mdi' ? 'off' : status === 'mdi-x' ? 'on' : 'Unknown';
  return `\tMDI-X: ${s}${ctrl === 'auto' ? ' (auto)' : ''}\n`;
}

/** wol_reply_cb(): the mode letters (d: disabled), and the SecureOn password when supported. */
export function formatWakeOnLan(w: WakeOnLan): string {
  const supported = wolMask(w.supported);
  let out = `\tSupports Wake-on: ${wolLetters(supported)}\n\tWake-on: ${wolLetters(wolMask(w.enabled))}\n`;
  if (supported & (1 << 6)) out += `        SecureOn password: ${w.sopass ?? '00:00:00:00:00:00'}\n`;
  return out;
}

function wolMask(bits: readonly NamedBit[]): number {
  return bits.reduce((n, b) => (b.index < 32 ? n | (1 << b.index) : n), 0);
}

function wolLetters(mask: number): string {
  if (mask === 0) return 'd';
  return [...'pumbagsf'].filter((_, i) => mask & (1 << i)).join('');
}

/** debug_reply_cb(): the message level as a number, then the class names. */
export function formatDebug(d: DebugLevel): string {
  const hex = d.msglevel.toString(16).padStart(8, '0');
  return `        Current message level: 0x${hex} (${d.msglevel})\n                              ${d.classes.map((c) => ` ${c.name}`).join('')}\n`;
}

const EXT_STATE: Readonly<Record<string, string>> = {
  autoneg: 'Autoneg',
  'link-training-failure': 'Link training failure',
  'link-logical-mismatch': 'Logical mismatch',
  'bad-signal-integrity': 'Bad signal integrity',
  'no-cable': 'No cable',
  'cable-issue': 'Cable issue',
  'eeprom-issue': 'EEPROM issue',
  'calibration-failure': 'Calibration failure',
  'power-budget-exceeded': 'Power budget exceeded',
  overheat: 'Overheat',
  module: 'Module',
};

/** linkstate_reply_cb(): carrier (with why it is down, when the driver says) and signal quality. */
export function formatLinkState(s: LinkState): string {
  let out = '';
  if (s.link !== undefined) {
    out += `\tLink detected: ${s.link ? 'yes' : 'no'}`;
    if (s.extState !== undefined) {
      const text = typeof s.extState === 'string' ? EXT_STATE[s.extState] : undefined;
      out += ` (${text ?? s.extState}${s.extSubstate !== undefined ? `, ${s.extSubstate}` : ''})`;
    }
    out += '\n';
  }
  if (s.sqi !== undefined) out += `\tSQI: ${s.sqi}${s.sqiMax !== undefined ? `/${s.sqiMax}` : ''}\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// -l, -g

function u32(v: number | undefined, label: string): string {
  return `${label}${v === undefined ? 'n/a' : v}\n`;
}

/** `ethtool -l DEV`. */
export function formatChannels(c: Channels, devname: string): string {
  return (
    `Channel parameters for ${devname}:\nPre-set maximums:\n` +
    u32(c.rxMax, 'RX:\t\t') +
    u32(c.txMax, 'TX:\t\t') +
    u32(c.otherMax, 'Other:\t\t') +
    u32(c.combinedMax, 'Combined:\t') +
    'Current hardware settings:\n' +
    u32(c.rxCount, 'RX:\t\t') +
    u32(c.txCount, 'TX:\t\t') +
    u32(c.otherCount, 'Other:\t\t') +
    u32(c.combinedCount, 'Combined:\t')
  );
}

const TCP_DATA_SPLIT: Readonly<Record<string, string>> = { unknown: 'n/a', disabled: 'off', enabled: 'on' };

/** `ethtool -g DEV`. */
export function formatRings(r: Rings, devname: string): string {
  const split = r.tcpDataSplit ?? 'unknown';
  const splitText = typeof split === 'string' && TCP_DATA_SPLIT[split] !== undefined ? TCP_DATA_SPLIT[split] : `unknown(${split})`;
  return (
    `Ring parameters for ${devname}:\nPre-set maximums:\n` +
    u32(r.rxMax, 'RX:\t\t') +
    u32(r.rxMiniMax, 'RX Mini:\t') +
    u32(r.rxJumboMax, 'RX Jumbo:\t') +
    u32(r.txMax, 'TX:\t\t') +
    'Current hardware settings:\n' +
    u32(r.rx, 'RX:\t\t') +
    u32(r.rxMini, 'RX Mini:\t') +
    u32(r.rxJumbo, 'RX Jumbo:\t') +
    u32(r.tx, 'TX:\t\t') +
    u32(r.rxBufLen, 'RX Buf Len:\t\t') +
    u32(r.cqeSize, 'CQE Size:\t\t') +
    `TX Push:\t${r.txPush === undefined ? 'n/a' : r.txPush ? 'on' : 'off'}\n` +
    `TCP data split:\t${splitText}\n`
  );
}
