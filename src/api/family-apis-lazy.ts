/**
 * family-apis.ts for the CLI bundle only (scripts/build.mjs swaps it in): each family's modules are
 * initialised on the first use of its API. The bundle is CommonJS, where esbuild turns these
 * require() calls into a call of the bundled module's initialiser; nftables alone is a third of
 * the bundle, and its start-up work (tables, the code cache's share) is not paid by `link show`.
 * Never imported by the library's ES modules, which have no `require`.
 */
import type * as Ethtool from './ethtool.js';
import type * as Genl from './genl.js';
import type * as Nftables from './nftables.js';

export const ethtoolApi = (): typeof Ethtool.EthtoolApi => (require('./ethtool.js') as typeof Ethtool).EthtoolApi;
export const genlApi = (): typeof Genl.GenlApi => (require('./genl.js') as typeof Genl).GenlApi;
export const nftablesApi = (): typeof Nftables.NftablesApi => (require('./nftables.js') as typeof Nftables).NftablesApi;
