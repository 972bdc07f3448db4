import { rtnetlinkSpecs } from '../../protocol/rtnetlink.js';
import { markValidated } from '../codec/compile.js';
import { ProtocolCodec } from '../codec/message.js';
import { Operations } from '../codec/operations.js';

let shared: ProtocolCodec | undefined;

/** The rtnetlink codec, compiled once from the specs on first use (the package's own: a test validates them, not every process). */
export function rtnetlinkCodec(): ProtocolCodec {
  if (shared === undefined) markValidated(rtnetlinkSpecs);
  return (shared ??= new ProtocolCodec(rtnetlinkSpecs));
}

/** The rtnetlink operations (protocol/rt-*.ts): what each request may carry, checked before sending. */
export function rtnetlinkOperations(): Operations {
  return Operations.of(rtnetlinkSpecs);
}
