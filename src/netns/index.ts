/**
 * Network namespaces: entering them (sockets and /proc/sys files made inside, by a helper under
 * nsenter or by setns), managing them as `ip netns` does, namespace ids, and per-namespace sysctls.
 * See docs/namespaces.md.
 */
export { NamespaceError, isNamespaceError, type NamespaceErrorCode } from './errors.js';
export { type NetnsTarget, type ResolvedNetns, resolveNetns, checkNetnsName, netnsPath, NETNS_RUN_DIR } from './target.js';
export { type NetnsEntry, type EnterOptions, type EnterRequest, type EnterResult, enterNetns, setMaxHelpers, helperLoad } from './enter.js';
export { NetnsSocketCache, netnsSockets, type NetnsSocketLease, type NetnsSocketOptions } from './sockets.js';
export { getNsid, setNsid, dumpNsids, nsidNames, netnsNames, NSID_NOT_ASSIGNED } from './nsid.js';
export {
  netns,
  addNetns,
  attachNetns,
  deleteNetns,
  listNetns,
  identifyNetns,
  netnsPids,
  setNetnsId,
  getNetnsId,
  listNetnsIds,
  execNetns,
  runInNetns,
  type NetnsInfo,
  type NsidInfo,
  type NsidOptions,
  type NsidVia,
  type ExecResult,
} from './manage.js';
export { sysctl, readSysctl, writeSysctl, sysctlPath, type SysctlOptions, type SysctlEntry } from './sysctl.js';
