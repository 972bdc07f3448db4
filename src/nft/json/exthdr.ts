/**
 * Extension header loads (nftables src/exthdr.c, tcpopt.c, ipopt.c): an `exthdr` expression names its
 * header by type and its field by offset and length; these find the template nft prints ('tcp option
 * maxseg size', 'exthdr frag', 'ip option rr').
 */
import { booleanType, integerType, invalidType } from './datatypes.js';
import type { ExthdrExpr } from './ir.js';
import {
  EXTHDR_BY_PROTO,
  type ExthdrDesc,
  IPOPTS,
  type ProtoTemplate,
  SCTP_CHUNKS,
  TCPOPTS,
  exthdrRt,
  exthdrRt0,
  exthdrRt2,
  exthdrSrh,
  exthdrUnknownTemplate,
} from './proto.js';

export const NFT_EXTHDR_OP = { IPV6: 0, TCPOPT: 1, IPV4: 2, SCTP: 3, DCCP: 4 } as const;
export const NFT_EXTHDR_F_PRESENT = 0x1;

function findTemplate(d: ExthdrDesc, offset: number, len: number): ProtoTemplate | undefined {
  for (const t of d.templates) if (t && t.offset === offset && t.len === len) return t;
  return undefined;
}

/** exthdr_init_raw. */
export function exthdrInitRaw(type: number, offset: number, len: number, op: number, flags: number): ExthdrExpr {
  const e: ExthdrExpr = {
    kind: 'exthdr',
    dtype: invalidType,
    byteorder: 'big',
    len,
    flags: 0,
    op,
    rawType: type,
    offset,
    exthdrFlags: flags,
    tmpl: exthdrUnknownTemplate,
  };
  const present = (flags & NFT_EXTHDR_F_PRESENT) !== 0;
  if (op === NFT_EXTHDR_OP.TCPOPT || op === NFT_EXTHDR_OP.IPV4 || op === NFT_EXTHDR_OP.SCTP) {
    // tcpopt_init_raw / ipopt_init_raw / sctp_chunk_init_raw
    e.dtype = present ? booleanType : integerType;
    const d = (op === NFT_EXTHDR_OP.TCPOPT ? TCPOPTS : op === NFT_EXTHDR_OP.IPV4 ? IPOPTS : SCTP_CHUNKS)[type];
    if (!d) return e;
    e.desc = d;
    const t = findTemplate(d, offset, len);
    if (t) {
      if (!present) e.dtype = t.dtype;
      e.tmpl = t;
    }
    return e;
  }
  if (op !== NFT_EXTHDR_OP.IPV6) {
    e.dtype = present ? booleanType : integerType;
    return e;
  }
  e.desc = EXTHDR_BY_PROTO[type];
  let tmpl: ProtoTemplate = exthdrUnknownTemplate;
  if (e.desc) {
    const t = findTemplate(e.desc, offset, len);
    if (t) tmpl = t;
    else if (e.desc === exthdrRt) {
      for (const alt of [exthdrSrh, exthdrRt0, exthdrRt2]) {
        const a = findTemplate(alt, offset, len);
        if (a) {
          e.desc = alt;
          tmpl = a;
          break;
        }
      }
    }
  }
  e.tmpl = tmpl;
  e.dtype = present ? booleanType : tmpl.dtype;
  return e;
}

/** exthdr_find_template: a masked load of a header field narrower than a byte. */
export function exthdrFindTemplate(e: ExthdrExpr, maskValue: bigint, maskLen: number): { found: boolean; shift: number } {
  let maskOffset = 0;
  let v = maskValue;
  while (v > 0n && (v & 1n) === 0n) {
    v >>= 1n;
    maskOffset++;
  }
  let maskEnd = maskOffset;
  while ((v & 1n) === 1n) {
    v >>= 1n;
    maskEnd++;
  }
  const off = e.offset + Math.ceil(maskLen / 8) * 8 - maskEnd;
  const len = maskEnd - maskOffset;
  if (e.op === NFT_EXTHDR_OP.TCPOPT || e.op === NFT_EXTHDR_OP.IPV4) {
    if (e.tmpl !== exthdrUnknownTemplate || !e.desc) return { found: false, shift: 0 };
    const n = exthdrInitRaw(e.desc.type, off, len, e.op, 0);
    if (n.tmpl === exthdrUnknownTemplate) return { found: false, shift: 0 };
    Object.assign(e, n);
    return { found: true, shift: maskOffset };
  }
  if (e.op === NFT_EXTHDR_OP.IPV6 && e.desc) {
    const n = exthdrInitRaw(e.desc.type, off, len, e.op, 0);
    if (n.tmpl === exthdrUnknownTemplate) return { found: false, shift: 0 };
    Object.assign(e, n);
    return { found: true, shift: maskOffset };
  }
  return { found: false, shift: 0 };
}
