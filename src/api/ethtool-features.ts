/**
 * Device features (netdev offloads) from ETHTOOL_MSG_FEATURES_* bit sets, and the short names
 * ethtool -K takes for groups of them (tx, sg, tso, gro...). A feature's name is the kernel's,
 * from the `features` string set; the groups match names by ethtool's patterns, so a feature a
 * newer kernel adds (tx-tcp-accecn-segmentation) joins its group without a table change.
 */
import { type BitsetAttrs, bitArray } from './ethtool-bitset.js';

/** One feature of a device. */
export interface FeatureState {
  /** In effect now. */
  active: boolean;
  /** Asked for by the user (it may be off anyway: a dependency, the driver). */
  wanted: boolean;
  /** The user may change it (the device lists it as changeable, NETIF_F_* hw_features). */
  changeable: boolean;
  /** Cannot change: not changeable, or never changing (ethtool's "[fixed]"). */
  fixed: boolean;
}

export interface Features {
  ifindex: number;
  ifname: string;
  /** By kernel name, in the kernel's bit order. */
  features: Record<string, FeatureState>;
}

/** One feature after a change: what the kernel reported differently from the request, or changed besides. */
export interface FeatureChange {
  name: string;
  /** Its state now. */
  active: boolean;
  /** The request named it (directly or through a group like `tx`). */
  requested: boolean;
  /** It did not come out as asked: the state that was asked for (the driver refused it or something forced it). */
  refused?: boolean;
}

/** ethtool's legacy feature groups: short name, long name, kernel names (one `*` wildcard) (ethtool's off_flag_def). */
export const FEATURE_GROUPS: readonly (readonly [short: string, long: string, pattern: string])[] = [
  ['rx', 'rx-checksumming', 'rx-checksum'],
  ['tx', 'tx-checksumming', 'tx-checksum-*'],
  ['sg', 'scatter-gather', 'tx-scatter-gather*'],
  ['tso', 'tcp-segmentation-offload', 'tx-tcp*-segmentation'],
  ['ufo', 'udp-fragmentation-offload', 'tx-udp-fragmentation'],
  ['gso', 'generic-segmentation-offload', 'tx-generic-segmentation'],
  ['gro', 'generic-receive-offload', 'rx-gro'],
  ['lro', 'large-receive-offload', 'rx-lro'],
  ['rxvlan', 'rx-vlan-offload', 'rx-vlan-hw-parse'],
  ['txvlan', 'tx-vlan-offload', 'tx-vlan-hw-insert'],
  ['ntuple', 'ntuple-filters', 'rx-ntuple-filter'],
  ['rxhash', 'receive-hashing', 'rx-hashing'],
];

/** ethtool's pattern match: one optional `*` standing for any (possibly empty) middle. */
export function featurePatternMatch(name: string, pattern: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return name === pattern;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return name.length >= head.length + tail.length && name.startsWith(head) && name.endsWith(tail);
}

/** The group a feature belongs to (index into FEATURE_GROUPS), or -1. */
export function featureGroup(name: string): number {
  if (name === '') return -1;
  return FEATURE_GROUPS.findIndex(([, , pattern]) => featurePatternMatch(name, pattern));
}

/**
 * Kernel feature names for a name as ethtool -K takes it: a group's short or long name stands for
 * every feature matching its pattern; anything else is itself. Undefined for a name that is
 * neither a group nor one of `names`.
 */
export function expandFeatureName(name: string, names: readonly string[]): string[] | undefined {
  const group = FEATURE_GROUPS.find(([short, long]) => name === short || name === long);
  if (group !== undefined) return names.filter((n) => n !== '' && featurePatternMatch(n, group[2]));
  return names.includes(name) ? [name] : undefined;
}

type FeatureAttrs = { hw?: BitsetAttrs; wanted?: BitsetAttrs; active?: BitsetAttrs; nochange?: BitsetAttrs };

/** A FEATURES_GET reply (compact bit sets) as Features, names from the `features` string set. */
export function featuresOf(attrs: FeatureAttrs, names: readonly string[], ifindex: number, ifname: string): Features {
  const size = attrs.hw?.size ?? names.length;
  const hw = bitArray(attrs.hw, size);
  const wanted = bitArray(attrs.wanted, size);
  const active = bitArray(attrs.active, size);
  const nochange = bitArray(attrs.nochange, size);
  const features: Record<string, FeatureState> = {};
  for (let i = 0; i < size; i++) {
    const name = names[i];
    if (name === undefined || name === '') continue;
    features[name] = { active: active[i]!, wanted: wanted[i]!, changeable: hw[i]!, fixed: !hw[i] || nochange[i]! };
  }
  return { ifindex, ifname, features };
}

/**
 * What a FEATURES_SET reply says (compact, with masks): the wanted bits that differ from the
 * request, and the active bits that changed. `requested` holds the kernel names the request named.
 */
export function featureChangesOf(attrs: FeatureAttrs, names: readonly string[], requested: ReadonlySet<string>): FeatureChange[] {
  const size = attrs.wanted?.size ?? attrs.active?.size ?? names.length;
  const wantedValue = bitArray(attrs.wanted, size);
  const wantedMask = bitArray(attrs.wanted, size, 'mask');
  const activeValue = bitArray(attrs.active, size);
  const activeMask = bitArray(attrs.active, size, 'mask');
  const out: FeatureChange[] = [];
  for (let i = 0; i < size; i++) {
    if (!wantedMask[i] && !activeMask[i]) continue;
    const name = names[i] || `BIT${i}`;
    const change: FeatureChange = { name, active: activeValue[i]!, requested: requested.has(name) };
    if (wantedMask[i]) change.refused = wantedValue[i]!;
    out.push(change);
  }
  return out;
}
