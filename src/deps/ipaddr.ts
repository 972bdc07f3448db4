/** `ipaddr.js`, required rather than imported (see README.md here). */
import { createRequire } from 'node:module';
import type ipaddrType from 'ipaddr.js';

const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrType;
export default ipaddr;
