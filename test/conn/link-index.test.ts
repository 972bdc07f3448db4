/** conn/link-index.ts: a number is an index; a name is one only when the transport answers it at once. */
import { describe, expect, it } from 'vitest';
import { linkIndexNow } from '../../src/conn/link-index.js';
import type { Transport } from '../../src/transport/types.js';

describe('linkIndexNow', () => {
  it('takes a number as it is, and asks the transport for a name', () => {
    const asked: string[] = [];
    const linkIndex = (name: string) => {
      asked.push(name);
      return name === 'eth0' ? 2 : undefined;
    };
    const live = { linkIndex } as unknown as Transport;
    expect(linkIndexNow(live, 7)).toBe(7);
    expect(linkIndexNow(live, 'eth0')).toBe(2);
    expect(linkIndexNow(live, 'nope')).toBeUndefined();
    expect(asked).toEqual(['eth0', 'nope']);
  });

  it('says "ask over netlink" (undefined) for a name when the transport has no lookup (a replay)', () => {
    expect(linkIndexNow({} as Transport, 'eth0')).toBeUndefined();
    expect(linkIndexNow({} as Transport, 3)).toBe(3);
  });
});
