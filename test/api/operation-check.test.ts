/**
 * Requests are checked against their operation (protocol/rt-*.ts `operations`) before anything is
 * sent: an attribute the kernel's request does not take is an InvalidArgumentError naming it.
 */
import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../../src/api/errors.js';
import { StatefulKernel } from '../support/stateful-kernel.js';

function client() {
  const kernel = new StatefulKernel();
  const nl = kernel.client();
  const sent = () => kernel.requests.length;
  return { nl, sent };
}

describe('requests are checked against their operation before sending', () => {
  it('a do request with an attribute its operation does not take', async () => {
    const { nl, sent } = client();
    const before = sent();
    const err = await nl.connection
      .request({ kind: 'newaddr', header: { family: 2, prefixlen: 24, index: 1 }, attrs: { address: '10.0.0.1', multicast: '224.0.0.1' } })
      .catch((e) => e);
    expect(isInvalidArgumentError(err), String(err)).toBe(true);
    expect(err.message).toMatch(/"multicast".*newaddr request/);
    expect(sent()).toBe(before);
    nl.close();
  });

  it('a dump with a filter its dump form does not take, and a batch with one bad message', async () => {
    const { nl, sent } = client();
    const before = sent();
    await expect(nl.connection.dump({ kind: 'getroute', header: { family: 2 }, attrs: { gateway: '10.0.0.1' } })).rejects.toSatisfy(
      isInvalidArgumentError,
    );
    const ok = { kind: 'newaddr', header: { family: 2, prefixlen: 24, index: 1 }, attrs: { address: '10.0.0.1' } };
    await expect(nl.connection.batch([ok, { ...ok, attrs: { address: '10.0.0.2', targetNetnsid: 1 } }])).rejects.toSatisfy(isInvalidArgumentError);
    expect(sent()).toBe(before);
    nl.close();
  });

  it('what the API builds passes (it is within the operations)', async () => {
    const { nl } = client();
    await nl.links.add({ name: 'br0', kind: 'bridge', up: true });
    await nl.addresses.add('10.1.0.1/24', { link: 'br0' });
    expect((await nl.routes.list({ table: 'main' })).length).toBeGreaterThan(0);
    nl.close();
  });
});
