/**
 * ffi-rs, loaded without its start-up tax: to pick a prebuilt binary it calls
 * process.report.getReport(), which lists every network interface of the namespace (27 ms with
 * 2001 links, measured in bench S1). The report's network section is not needed for that.
 */
import { createRequire } from 'node:module';
import type * as FfiRs from 'ffi-rs';

const report = process.report as (typeof process.report & { excludeNetwork?: boolean }) | undefined;
const previous = report?.excludeNetwork;
if (report) report.excludeNetwork = true;
let ffi: typeof FfiRs;
try {
  ffi = createRequire(import.meta.url)('ffi-rs') as typeof FfiRs;
} finally {
  if (report) report.excludeNetwork = previous ?? false;
}

export const { DataType, load, open } = ffi;
export type DataType = FfiRs.DataType;
