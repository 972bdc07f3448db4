/**
 * Fan-out of monitor events to their consumers. The layer above (MultiMonitor, StateMirror) gets
 * every event first by a plain call, before this; then listeners get it as 'event' and by its kind
 * ('link'...) or type ('overrun'...); iterators (iterate.ts) listen to 'event'. emit() allocates
 * its arguments even when nobody listens, so each name is asked first.
 */
import type { EventEmitter } from 'node:events';
import { type MonitorEvent, type MonitorEvents, type ObjectEvent, type RouteScope, isObjectEvent } from './events.js';

export function fanOut(emitter: EventEmitter<MonitorEvents>, e: MonitorEvent): void {
  if (emitter.listenerCount('event') > 0) emitter.emit('event', e);
  const name = isObjectEvent(e) ? e.kind : e.type;
  if (emitter.listenerCount(name) === 0) return;
  if (e.type === 'error') emitter.emit('error', e.error);
  else (emitter.emit as (n: string, e: MonitorEvent) => boolean)(name, e);
}

/**
 * fanOut for an object event, the per-event path: named by its kind, with no test of its type. That
 * test ('new' || 'del') lacked V8's feedback for 'del' after a run of 'new' events, and the first
 * delete threw away the event path's optimised code (~25 ms of recompiling in a 10k-event burst).
 */
export function fanOutObject(emitter: EventEmitter<MonitorEvents>, e: ObjectEvent): void {
  if (emitter.listenerCount('event') > 0) emitter.emit('event', e);
  if (emitter.listenerCount(e.kind) > 0) (emitter.emit as (n: string, e: MonitorEvent) => boolean)(e.kind, e);
}

/** Runs `start`, then resolves at the first event that `covers` says answers it, or at close. */
export function untilEvent(source: EventEmitter<MonitorEvents>, covers: (e: MonitorEvent) => boolean, start: () => void): Promise<void> {
  return new Promise((resolve) => {
    const check = (e: MonitorEvent) => {
      if (covers(e)) done();
    };
    const done = () => {
      source.off('event', check);
      source.off('close', done);
      resolve();
    };
    source.on('event', check);
    source.once('close', done);
    start();
  });
}

export function sameScope(a: RouteScope, b: RouteScope): boolean {
  return a.family === b.family && a.dev === b.dev && (a.types ?? []).join() === (b.types ?? []).join();
}
