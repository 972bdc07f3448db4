/**
 * The nftables codec (nfnetlink + nf_tables), compiled once on first use and shared by every
 * NftConnection, the Monitor's nftables channel and topologies, as rtnetlinkCodec is for
 * rtnetlink. The specs are the package's own, which test/codec/spec-validation.test.ts validates:
 * not validated again in every process (2.5 ms for nf_tables, 0.8 for nfnetlink).
 */
import { nfnetlinkSpec } from '../../protocol/nfnetlink.js';
import { nftablesSpec } from '../../protocol/nf-tables.js';
import { markValidated } from '../codec/compile.js';
import { ProtocolCodec } from '../codec/message.js';
import { Operations } from '../codec/operations.js';

export const NFT_SPECS = [nfnetlinkSpec, nftablesSpec] as const;

let shared: ProtocolCodec | undefined;
let operations: Operations | undefined;

export function nftablesCodec(): ProtocolCodec {
  if (shared === undefined) markValidated(NFT_SPECS);
  return (shared ??= new ProtocolCodec(NFT_SPECS));
}

/** What each nf_tables request may carry, checked before sending. */
export function nftablesOperations(): Operations {
  return (operations ??= Operations.of(NFT_SPECS));
}
