/** Pure codec: bytes <-> plain objects, driven by the protocol specs. No I/O. */
export * from './errors.js';
export * from './byte-writer.js';
export { type AttrNames, AttrWalk, MessageWalk, attrFrameError, messageEnd, recordEnd, walkAttrs, walkMessages } from './walk.js';
export { compileFamily, decodeAttrs, encodeAttrs, decodeStruct, encodeStruct, kernelConstant, MAX_NEST_DEPTH } from './compile.js';
export type { AttrValues, UnknownAttr, CompiledFamily, CompiledSet, CompiledAttr, CompiledStruct, CompiledMessage, DecodeCtx } from './compile.js';
export type { AttrSelection } from './types.js';
export * from './message.js';
export * from './format.js';
export { formatIPv4, formatIPv6, formatHwaddr, parseIp, parseHwaddr } from './values.js';
export { MessageTemplate, setU32 } from './template.js';
export { Operation, Operations, type OperationMode } from './operations.js';
