/**
 * Closed-loop load: `workers` loops, each sending its next request as soon as the previous one
 * answered, for a fixed window after a warm-up. Every request's latency is recorded; a failed
 * request counts as an error (and is not a sample).
 */
import { performance } from 'node:perf_hooks';
import { Latencies, type LatencySummary } from './stats.js';

/** One request; calls `done` once answered (with an error when the answer is wrong). */
export type Call = (worker: number, done: (error?: Error) => void) => void;

export interface LoadResult {
  /** Requests answered successfully inside the window. */
  ok: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  perSec: number;
  latency: LatencySummary;
  /** Requests still unanswered 10 s after the window closed (a stuck peer; the run goes on). */
  stuck: number;
}

export interface LoadOptions {
  workers: number;
  warmupMs: number;
  durationMs: number;
  /** Called with the live count (for the progress line). */
  onCount?: (ok: number) => void;
}

export function runClosedLoop(call: Call, o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve) => {
    const lat = new Latencies();
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let measuring = false;
    let stopping = false;
    let active = o.workers;
    let windowStart = 0;
    let windowEnd = 0;
    // One answer callback per worker, made once: a closure per request would cost the load
    // generator more than some of what it measures (tsx names every named closure it creates,
    // with a defineProperty each time: ≈8 % of this process's CPU at 64 clients).
    const sentAt = new Float64Array(o.workers);
    const answered = Array.from({ length: o.workers }, (_, worker) => (err?: Error): void => {
      const t1 = performance.now();
      if (measuring && !stopping) {
        if (err === undefined) {
          ok++;
          lat.add(t1 - sentAt[worker]!);
        } else {
          errors++;
          firstError ??= err.message;
        }
      }
      // A warm-up failure is not counted but still shown (a broken peer must not look idle).
      if (err !== undefined && !measuring) firstError ??= err.message;
      // After a failure the next call waits for the event loop: a peer that refuses at once
      // (a closed connection rejects in a microtask) would otherwise never let the window's
      // timers, or a SIGINT, run — the suite spun at 100 % CPU for ever.
      if (err === undefined) loop(worker);
      else setImmediate(loop, worker);
    });
    const loop = (worker: number): void => {
      if (stopping) {
        if (--active === 0) finish();
        return;
      }
      sentAt[worker] = performance.now();
      const done = answered[worker]!;
      try {
        call(worker, done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    };
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      const seconds = (windowEnd - windowStart) / 1000;
      resolve({ ok, errors, firstError, seconds, perSec: ok / seconds, latency: lat.summary(), stuck: active });
    };
    const ticker = o.onCount === undefined ? undefined : setInterval(() => o.onCount?.(ok), 250);
    setTimeout(() => {
      measuring = true;
      windowStart = performance.now();
      setTimeout(() => {
        windowEnd = performance.now();
        stopping = true;
        if (ticker !== undefined) clearInterval(ticker);
        // Answers that never come must not hang the suite.
        setTimeout(finish, 10_000).unref();
      }, o.durationMs);
    }, o.warmupMs);
    for (let w = 0; w < o.workers; w++) loop(w);
  });
}
