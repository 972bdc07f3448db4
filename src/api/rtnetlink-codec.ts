import { rtnetlinkSpecs } from '../../protocol/rtnetlink.js';
import { ProtocolCodec } from '../codec/message.js';

let shared: ProtocolCodec | undefined;

/** The rtnetlink codec, compiled once from the specs on first use. */
export function rtnetlinkCodec(): ProtocolCodec {
  return (shared ??= new ProtocolCodec(rtnetlinkSpecs));
}
