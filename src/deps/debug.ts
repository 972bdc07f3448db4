/** `debug`, required rather than imported (see README.md here: ~6 MiB less RSS). */
import { createRequire } from 'node:module';
import type createDebugType from 'debug';

const createDebug = createRequire(import.meta.url)('debug') as typeof createDebugType;
export default createDebug;
