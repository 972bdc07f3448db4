/**
 * A request as it went out, and the NetlinkError a kernel refusal of it becomes: the extended
 * ack's offset mapped to the attribute's name through the spec, a prepared message shown decoded.
 */
import { type ErrorPayload, type OutgoingMessage, type ProtocolCodec, makeCtx } from '../codec/message.js';
import { NetlinkError } from './errors.js';

/** A request's name in errors: its message name, or its raw type. */
export function operationOf(m: OutgoingMessage): string {
  return typeof m.kind === 'string' ? m.kind : `type ${m.kind}`;
}

/** A caller's message as it went out (kept for errors): its own fields plus the flags and seq used. */
export function asSent(m: OutgoingMessage, flags: number, seq: number): OutgoingMessage {
  const r: OutgoingMessage = { kind: m.kind, flags, seq, pid: m.pid ?? 0 };
  if (m.header !== undefined) r.header = m.header;
  if (m.attrs !== undefined) r.attrs = m.attrs;
  if (m.payload !== undefined) r.payload = m.payload;
  if (m.encoded !== undefined) r.encoded = m.encoded;
  return r;
}

/** A kernel refusal of the request `bytes` (as sent), with the attribute the extended ACK points at. */
export function refusal(
  codec: ProtocolCodec,
  operation: string,
  seq: number,
  bytes: Uint8Array,
  request: OutgoingMessage,
  e: ErrorPayload,
): NetlinkError {
  const ext = e.ext ?? {};
  // A prepared message is shown as what it decodes to: its header and attributes by name.
  if (request.encoded !== undefined && request.header === undefined) request = readable(codec, request, bytes);
  let attribute: string | undefined;
  if (ext.offs !== undefined) attribute = codec.attributePathAt(bytes, ext.offs)?.join('/');
  let missingAttribute: string | undefined;
  if (ext.missType !== undefined) missingAttribute = codec.attributeNameIn(bytes, ext.missNest, ext.missType);
  return new NetlinkError({
    errno: e.errno,
    operation,
    seq,
    ...(ext.msg !== undefined && { kernelMessage: ext.msg }),
    ...(ext.offs !== undefined && { offset: ext.offs }),
    ...(attribute !== undefined && { attribute }),
    ...(missingAttribute !== undefined && { missingAttribute }),
    request,
  });
}

function readable(codec: ProtocolCodec, request: OutgoingMessage, bytes: Uint8Array): OutgoingMessage {
  try {
    const ctx = makeCtx(bytes);
    const m = codec.decodeFrame(ctx, 0, codec.frameEnd(ctx, 0), true, 'user');
    const r: OutgoingMessage = { kind: request.kind, flags: request.flags ?? m.flags, seq: request.seq ?? m.seq, pid: request.pid ?? m.pid };
    if (m.header !== undefined) r.header = m.header;
    if (m.attrs !== undefined) r.attrs = m.attrs;
    return r;
  } catch {
    return request; // not decodable: the bytes as given
  }
}
