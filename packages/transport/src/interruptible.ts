/**
 * Waiting on a library's promise that may never settle (a broker that went away mid-command):
 * the wait also ends on an interruption — an abort signal, a connection's 'close', a status change.
 */
import type { EventEmitter } from 'node:events';

/**
 * `work`'s outcome, unless `interrupt` calls `stop` first: then a rejection with that error.
 * `interrupt` starts listening and returns how to stop listening, which happens as soon as either
 * side settles. An interrupted `work` is left to itself, its rejection handled.
 */
export function unlessInterrupted<T>(work: Promise<T>, interrupt: (stop: (err: Error) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    // Filled once interrupt() returns; it may call stop() before that (an already aborted signal).
    const listening: { stop?: () => void } = {};
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      listening.stop?.();
      settle();
    };
    listening.stop = interrupt((err) => finish(() => reject(err)));
    if (done) listening.stop();
    work.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

/** Calls `fn` once on `event`; returns how to stop listening. */
export function onceEvent(emitter: EventEmitter, event: string, fn: () => void): () => void {
  emitter.once(event, fn);
  return () => emitter.off(event, fn);
}
