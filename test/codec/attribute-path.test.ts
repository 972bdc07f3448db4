import { describe, expect, it } from 'vitest';
import { rtnetlinkSpecs } from '../../protocol/index.js';
import { ProtocolCodec } from '../../src/codec/message.js';

const codec = new ProtocolCodec(rtnetlinkSpecs);

/** Offset of the first occurrence of `needle` in `hay`. */
function find(hay: Uint8Array, needle: string): number {
  const n = Buffer.from(needle);
  return Buffer.from(hay).indexOf(n);
}

describe('extended-ack offsets map back to attribute names', () => {
  const msg = codec.encode({
    kind: 'newlink',
    header: {},
    attrs: { ifname: 'veth0', linkinfo: { kind: 'veth', data: { peer: { header: {}, attrs: { ifname: 'peer-name', mtu: 1400 } } } } },
  });

  it('through a sub-message chosen by its selector and a nest with a fixed header', () => {
    // The attribute header sits 4 bytes before its payload.
    expect(codec.attributePathAt(msg, find(msg, 'peer-name') - 4)).toEqual(['linkinfo', 'data', 'peer', 'ifname']);
    expect(codec.attributePathAt(msg, find(msg, 'veth0') - 4)).toEqual(['ifname']);
  });

  it('names a missing attribute inside the nest the kernel points at', () => {
    const linkinfo = find(msg, 'veth\0') - 8; // IFLA_INFO_KIND header is inside linkinfo's payload
    expect(codec.attributeNameIn(msg, linkinfo, 1)).toBe('linkinfo/kind');
  });

  it('gives nothing for offsets outside the attributes', () => {
    expect(codec.attributePathAt(msg, 4)).toBeUndefined();
  });
});
