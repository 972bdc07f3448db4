/**
 * Generic netlink families as iproute2's `genl ctrl list` prints them (genl/ctrl.c print_ctrl):
 * hex ids, "#N:" positions, and capabilities only for families whose version is 2 or more.
 */
import { nlctrlSpec } from '../../../protocol/nlctrl.js';
import type { GenlFamily } from '../../api/genl.js';

const OP_FLAGS = nlctrlSpec.definitions['op-flags'].entries;
/** Presentation: genl's words for the GENL_* capability bits it prints, by the spec's names. */
const CAPABILITIES = [
  [OP_FLAGS['admin-perm'], ' requires admin permission;'],
  [OP_FLAGS['cmd-cap-do'], ' can doit;'],
  [OP_FLAGS['cmd-cap-dump'], ' can dumpit;'],
  [OP_FLAGS['cmd-cap-haspol'], ' has policy'],
] as const;

/** One family, as `genl ctrl get` prints it and `genl ctrl list` prints each. */
export function formatGenlFamily(f: GenlFamily): string {
  let out = `\nName: ${f.name}\n\tID: 0x${hex(f.id)}  Version: 0x${hex(f.version)}  header size: ${f.hdrsize}  max attribs: ${f.maxattr} \n`;
  if (f.operations.length > 0) {
    out += '\tcommands supported: \n';
    // genl reads the first 255 positions of each list (GENL_MAX_FAM_OPS / _GRPS).
    f.operations.slice(0, 255).forEach((op, i) => {
      out += `\t\t#${i + 1}:  ID-0x${hex(op.id)} `;
      // genl reads the capabilities only from families of version 2 and up (its controller check).
      if (f.version >= 2) out += capabilities(op.flags);
      out += '\n';
    });
    out += '\n';
  }
  if (f.mcastGroups.length > 0) {
    out += '\tmulticast groups:\n';
    f.mcastGroups.slice(0, 255).forEach((g, i) => {
      out += `\t\t#${i + 1}:  ID-0x${hex(g.id)}  name: ${g.name} \n`;
    });
    out += '\n';
  }
  return out;
}

function capabilities(flags: number): string {
  let out = `\n\t\tCapabilities (0x${hex(flags)}):\n `;
  if (flags === 0) return out + '\n';
  out += '\t\t ';
  for (const [bit, text] of CAPABILITIES) if (flags & bit) out += text;
  return out + '\n';
}

function hex(n: number): string {
  return (n >>> 0).toString(16);
}
