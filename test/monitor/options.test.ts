/**
 * Monitor options: what docs/errors.md promises for bad input (an InvalidArgumentError, before any
 * socket is opened), and no option silently ignored. Scripted transports only.
 */
import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../../src/api/errors.js';
import { resolveGroups } from '../../src/monitor/groups.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import { MultiMonitor, type MultiMonitorOptions } from '../../src/monitor/multi.js';
import { ScriptedTransport } from '../../src/transport/scripted.js';
import { errorFor } from '../support/bytes.js';
import { fakeRequests, fakeState } from './helpers.js';

const events = () => new ScriptedTransport((sent, reply) => reply(errorFor(sent, 0)));

async function refused(options: unknown, pattern: RegExp): Promise<void> {
  const t = events();
  const base = typeof options === 'object' && options !== null ? { transport: t, requests: fakeRequests(fakeState()).conn, keepAlive: false } : {};
  const err = await Monitor.open(
    typeof options === 'object' && options !== null ? ({ ...base, ...options } as MonitorOptions) : (options as never),
  ).then(
    (m) => {
      m.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(isInvalidArgumentError(err), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe('Monitor options', () => {
  it('an unknown group is an InvalidArgumentError naming the groups there are', async () => {
    await refused({ groups: ['bogus'] }, /invalid group "bogus": unknown monitor group \(use all, link, address/);
    await refused({ groups: 'bogus' }, /unknown monitor group/);
    await refused({ groups: [0] }, /group 0/);
    await refused({ groups: [] }, /at least one group/);
    await refused({ groups: 5 }, /groups/);
    await refused({ groups: [Symbol('x')] }, /group/);
    expect(() => resolveGroups(['nope'])).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'group' }));
    expect(() => resolveGroups(['toString'])).toThrow(/unknown monitor group/);
  });

  it('bad values of the other options are InvalidArgumentErrors too', async () => {
    await refused(null, /options/);
    await refused({ objects: 'thin' }, /objects.*'full' or 'slim'/);
    await refused({ signal: {} }, /signal/);
    await refused({ maxQueued: -1 }, /maxQueued/);
    await refused({ retryDelayMs: Number.NaN }, /retryDelayMs/);
    await refused({ receiveBuffer: 'big' }, /receiveBuffer/);
    await refused({ requests: 5 }, /requests/);
    await refused({ dumpLimiter: {} }, /dumpLimiter/);
    await refused({ netns: 7 }, /netns/);
    await refused({ transport: {} }, /transport/);
  });

  it('MultiMonitor.open checks them (and its own) before watching anything, instead of failing each namespace later', async () => {
    // namespaces: [] and no current namespace: nothing is opened even where a check is missing.
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ groups: ['bogus'] }, /unknown monitor group/],
      [{ objects: 'thin' }, /objects/],
      [{ maxQueued: -1 }, /maxQueued/],
      [{ signal: {} }, /signal/],
      [{ concurrency: 0 }, /concurrency/],
      [{ dumpConcurrency: 1.5 }, /dumpConcurrency/],
      [{ namespaces: 'some' }, /namespaces/],
      [{ namespaces: [7] }, /namespaces/],
      [{ includeCurrent: 'yes' }, /includeCurrent/],
      [{ filter: 'pod-*' }, /filter/],
      [{ openMonitor: {} }, /openMonitor/],
    ];
    for (const [extra, pattern] of cases) {
      const options = { namespaces: [], ...extra } as MultiMonitorOptions;
      const err = await MultiMonitor.open(options).then(
        (mm) => {
          mm.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(isInvalidArgumentError(err), `${JSON.stringify(extra)}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    }
    await expect(MultiMonitor.open(null as never)).rejects.toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('new Monitor({ netns }) without a transport names Monitor.open()', () => {
    let err: unknown;
    try {
      new Monitor({ netns: 'blue' }).close();
    } catch (e) {
      err = e;
    }
    expect(isInvalidArgumentError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/Monitor\.open\(\{ netns \}\)/);
  });

  it('events() options are checked too', () => {
    const m = new Monitor({ transport: events(), requests: fakeRequests(fakeState()).conn, keepAlive: false });
    try {
      expect(() => m.events({ signal: 'stop' as never })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'signal' }));
      expect(() => m.events({ maxQueued: 0 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', argument: 'maxQueued' }));
      expect(() => m.events(null as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    } finally {
      m.close();
    }
  });

  it('refresh() of anything but routes is an InvalidArgumentError', () => {
    const m = new Monitor({ transport: events(), requests: fakeRequests(fakeState()).conn, keepAlive: false });
    try {
      expect(() => m.refresh('link' as 'route')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    } finally {
      m.close();
    }
  });

  it('valid options still open a monitor', async () => {
    const m = await Monitor.open({
      transport: events(),
      requests: fakeRequests(fakeState()).conn,
      keepAlive: false,
      groups: 'all',
      objects: 'slim',
      maxQueued: 10,
      retryDelayMs: 0,
      resync: false,
      signal: new AbortController().signal,
    });
    expect(m.groups.length).toBe(9);
    m.close();
  });
});
