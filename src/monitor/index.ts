/**
 * Monitoring: multicast events decoded into friendly objects (Monitor, MultiMonitor), an
 * always-current state mirror (StateMirror), named namespaces followed as they come and go
 * (NetnsWatcher). See docs/monitoring.md.
 */
export { Monitor, monitor, DEFAULT_RECEIVE_BUFFER, type MonitorOptions, type MonitorStats, type MonitorEvents } from './monitor.js';
export { MultiMonitor, type MultiMonitorOptions } from './multi.js';
export {
  StateMirror,
  NamespaceView,
  diffState,
  linkKey,
  addressKey,
  routeKey,
  fingerprint,
  type MirrorOptions,
  type MirrorChange,
  type MirrorEvents,
  type MirrorKind,
  type StateTables,
} from './mirror.js';
export { NetnsWatcher, isNamespaceFile, runNetnsMonitor, type NetnsWatcherOptions, type NetnsWatcherEvents } from './netns-watch.js';
export {
  type NetnsSocketFactory,
  netnsSocketFactory,
  setnsSocketFactory,
  defaultNetnsSocketFactory,
  setDefaultNetnsSocketFactory,
} from './sockets.js';
export { resolveGroups, dumpPlan, RTNLGRP, OBJECT_KINDS, type MonitorGroup, type ObjectKind, type EventKind, type DumpPlan } from './groups.js';
export { iterateEvents, type IterateOptions } from './iterate.js';
export { eventJson } from './format.js';
export {
  toNsid,
  isObjectEvent,
  type Nsid,
  type MonitorEvent,
  type ObjectEvent,
  type OverrunEvent,
  type OverrunReason,
  type ResyncEvent,
  type NetnsEvent,
  type ErrorEvent,
  type ObjectTypes,
  type NftChangeEvent,
  type NftGenerationEvent,
} from './events.js';
export type { NftMonitorItem } from '../nft/monitor-json.js';
