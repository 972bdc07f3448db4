/**
 * Every struct of the rtnetlink specs against its C declaration in the kernel's uapi headers
 * (/usr/include/linux, Debian's linux-libc-dev): member offsets and sizes in the C layout (natural
 * alignment, size rounded up), signedness, and network byte order for __be types. The headers are
 * the kernel's own word where the YNL files say nothing (vxlan, vlan) or are wrong (rta_cacheinfo).
 * Skipped, with the reason, where the headers are not installed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import type { StructSpec } from '../../protocol/spec.js';

const INCLUDE = '/usr/include/linux';
const MISSING = existsSync(join(INCLUDE, 'rtnetlink.h')) ? undefined : `${INCLUDE}/rtnetlink.h not found (install linux-libc-dev)`;
if (MISSING) console.warn(`[uapi-structs] skipped: ${MISSING}`);

/** Our struct names whose C name is not the snake_case of it. */
const C_NAME: Record<string, string> = { 'ifla-vf-setting': 'ifla_vf_spoofchk' };

interface CMember {
  name: string;
  type: string; // u8..s64, or 'bytes'
  size: number;
  offset: number;
  be: boolean;
}

const C_TYPES: Record<string, [type: string, size: number, be?: boolean]> = {
  __u8: ['u8', 1],
  'unsigned char': ['u8', 1],
  __s8: ['s8', 1],
  __u16: ['u16', 2],
  'unsigned short': ['u16', 2],
  __kernel_sa_family_t: ['u16', 2],
  __s16: ['s16', 2],
  __be16: ['u16', 2, true],
  __u32: ['u32', 4],
  unsigned: ['u32', 4],
  'unsigned int': ['u32', 4],
  __s32: ['s32', 4],
  int: ['s32', 4],
  __be32: ['u32', 4, true],
  __u64: ['u64', 8],
  __aligned_u64: ['u64', 8],
  __s64: ['s64', 8],
  __be64: ['u64', 8, true],
};

let headers: string | undefined;
/** The members of `struct name { ... };` in the uapi headers, laid out as C does, or why not. */
function cStruct(name: string): { members: CMember[]; size: number } | string {
  headers ??= readdirSync(INCLUDE)
    .filter((f) => f.endsWith('.h'))
    .map((f) => readFileSync(join(INCLUDE, f), 'utf8'))
    .join('\n');
  const body = new RegExp(`struct ${name}\\s*\\{([^}]*)\\};`).exec(headers)?.[1];
  if (body === undefined) return `struct ${name} not found`;
  const members: CMember[] = [];
  let offset = 0;
  let align = 1;
  for (const decl of body
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^#.*$/gm, '')
    .split(';')) {
    const d = decl.trim().replace(/\s+/g, ' ');
    if (!d) continue;
    const m = /^(.+?) (\w+)(?:\[(\d*)\])?$/.exec(d);
    const t = m && C_TYPES[m[1]!];
    if (!m || !t) return `cannot read member "${d}"`;
    const [type, size, be] = t;
    offset = Math.ceil(offset / size) * size;
    align = Math.max(align, size);
    const count = m[3] === undefined ? 1 : Number(m[3]); // [] (a flexible array) counts 0
    members.push({ name: m[2]!, type: count === 1 ? type : 'bytes', size: size * count, offset, be: be === true });
    offset += size * count;
  }
  return { members, size: Math.ceil(offset / align) * align };
}

/** Message headers: the kernel finds the attributes at NLMSG_ALIGN(sizeof header), so ours are 4-byte multiples. */
const HEADERS = new Set(rtnetlinkSpecs.flatMap((f) => Object.values(f.messages).map((m) => m.header)));

/** Differences between our struct and the C one, as readable lines. */
function differences(name: string, def: StructSpec): string[] {
  const c = cStruct(C_NAME[name] ?? name.replace(/-/g, '_'));
  if (typeof c === 'string') return [c];
  const out: string[] = [];
  let offset = 0;
  for (const m of def.members) {
    if (m.type === 'binary' && m.len === undefined) return out; // rest of the payload (rtvia.addr)
    const size = m.type === 'pad' || m.type === 'binary' ? m.len! : Number(m.type.slice(1)) / 8;
    const cm = c.members.find((x) => x.offset === offset);
    if (m.type !== 'pad') {
      if (!cm || cm.size !== size) out.push(`${m.name} at ${offset} is ${size} bytes; C: ${cm ? `${cm.name} ${cm.size}` : 'no member there'}`);
      else if (cm.type !== 'bytes' && m.type !== 'binary' && (cm.type !== m.type || cm.be !== (m.byteOrder === 'big-endian'))) {
        out.push(`${m.name} is ${m.type}${m.byteOrder ? ' big-endian' : ''}; C: ${cm.name} ${cm.be ? '__be' : ''}${cm.type}`);
      }
    }
    offset += size;
  }
  const size = HEADERS.has(name) ? Math.ceil(c.size / 4) * 4 : c.size;
  if (offset !== size) out.push(`${offset} bytes; C: sizeof ${c.size}`);
  return out;
}

describe('rtnetlink structs against the uapi headers', () => {
  const seen = new Set<string>();
  for (const fam of rtnetlinkSpecs) {
    for (const [name, def] of Object.entries(fam.definitions)) {
      if (def.type !== 'struct' || seen.has(name)) continue;
      seen.add(name);
      it(name, (ctx) => {
        if (MISSING) return ctx.skip(MISSING);
        expect(differences(name, def)).toEqual([]);
      });
    }
  }
});
