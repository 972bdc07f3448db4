/** Declarative topologies: files of namespaces, links, addresses, routes, sysctls and nftables rules, applied and destroyed (docs/topology.md). */
export * from './types.js';
export { TopologyApplyError, isTopologyApplyError, isTopologyFileError, topologyFileError } from './errors.js';
export { type ParseOptions, parseTopology, readTopologyFile } from './parse.js';
export { type ValidateOptions, validateTopology, TOPOLOGY_KINDS } from './validate.js';
export { type Action, type LinkChanges, type PlanOptions, type Step, planTopology } from './plan.js';
export type { CurrentAddress, CurrentLink, CurrentNamespace, CurrentRoute, TopologyState } from './state.js';
export { type TopologyApplyOptions, applyTopology, declareNftables, destroyTopology } from './apply.js';
export type { DeclaredTable, EntryTable, TableItems } from './nft-tables.js';
export { type TopologyReadOptions, topologyGraph } from './graph.js';
export type { GraphAddress, GraphEdge, GraphLink, GraphNamespace, GraphNexthop, GraphPeer, GraphRoute, TopologyGraph } from './graph-types.js';
export { type ExportOptions, EXPORTED_SYSCTLS, KERNEL_SYSCTL_DEFAULTS, exportTopology, formatTopology } from './export.js';
export { renderText } from './render-text.js';
export { renderDot } from './render-dot.js';
export { renderSvg } from './render-svg.js';
