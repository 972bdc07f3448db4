/**
 * An event emitter's 'event' stream as an AsyncIterableIterator, with a bounded queue: a consumer
 * that falls too far behind loses its queue and gets an overrun event instead (never silent loss,
 * never unbounded memory), and the source resyncs.
 */
import type { EventEmitter } from 'node:events';
import type { MonitorEvent, OverrunEvent } from './events.js';

export interface IterateOptions {
  /** Ends this iteration (without an error) when aborted. */
  signal?: AbortSignal;
  /** Events queued for a slow consumer before its queue is dropped (default 100,000). */
  maxQueued?: number;
}

export interface EventSourceLike {
  on(event: 'event', fn: (e: MonitorEvent) => void): unknown;
  once(event: 'close', fn: () => void): unknown;
  off(event: 'event', fn: (e: MonitorEvent) => void): unknown;
  off(event: 'close', fn: () => void): unknown;
  readonly closed: boolean;
  /** The consumer lost events: report and resync (as after a kernel overrun). */
  consumerOverrun(): void;
}

export function iterateEvents(
  source: EventSourceLike & Pick<EventEmitter, 'off'>,
  options: IterateOptions = {},
): AsyncIterableIterator<MonitorEvent> {
  const max = Math.max(1, options.maxQueued ?? 100_000);
  let queue: MonitorEvent[] = [];
  let head = 0;
  let done = source.closed;
  let wake: ((r: IteratorResult<MonitorEvent>) => void) | undefined;
  const signal = options.signal;

  const push = (e: MonitorEvent) => {
    if (done) return;
    if (wake) {
      const w = wake;
      wake = undefined;
      w({ value: e, done: false });
      return;
    }
    if (queue.length - head >= max) {
      queue = [];
      head = 0;
      // The overrun event the source emits now lands in the emptied queue, then its resync.
      source.consumerOverrun();
      return;
    }
    queue.push(e);
  };
  const finish = () => {
    if (done) return;
    done = true;
    source.off('event', push);
    source.off('close', finish);
    signal?.removeEventListener('abort', finish);
    queue = [];
    head = 0;
    if (wake) {
      const w = wake;
      wake = undefined;
      w({ value: undefined, done: true });
    }
  };
  if (!done) {
    source.on('event', push);
    source.once('close', finish);
    if (signal?.aborted) finish();
    else signal?.addEventListener('abort', finish, { once: true });
  }

  const it: AsyncIterableIterator<MonitorEvent> = {
    next(): Promise<IteratorResult<MonitorEvent>> {
      if (head < queue.length) {
        const value = queue[head]!;
        queue[head++] = undefined as unknown as MonitorEvent;
        if (head === queue.length) {
          queue = [];
          head = 0;
        } else if (head > 4096 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        return Promise.resolve({ value, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (wake = resolve));
    },
    return(): Promise<IteratorResult<MonitorEvent>> {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

export type { OverrunEvent };
