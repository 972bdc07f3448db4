/**
 * The classes behind nl.ethtool, nl.genl and nl.nftables, which client.ts constructs on first use.
 * Imported eagerly here (an ES module cannot load one synchronously); the CLI bundle replaces this
 * module with family-apis-lazy.ts (scripts/build.mjs), so that `nlts link show` runs none of them.
 */
import { EthtoolApi } from './ethtool.js';
import { GenlApi } from './genl.js';
import { NftablesApi } from './nftables.js';

export const ethtoolApi = (): typeof EthtoolApi => EthtoolApi;
export const genlApi = (): typeof GenlApi => GenlApi;
export const nftablesApi = (): typeof NftablesApi => NftablesApi;
