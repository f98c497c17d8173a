/**
 * One timer for many deadlines, armed for the earliest. Per-request timers cost a timer insert
 * and removal each (measurable at tens of thousands of requests a second); with this, a request
 * only records its deadline, and the owner scans for expired ones when the timer fires.
 *
 * The timer holds the process open while something waits (as per-request timers did) and is
 * unref'd, not cleared, when nothing does: re-arming it per request is the cost avoided.
 */
import { MAX_TIMER_MS } from './backoff.js';

export class DeadlineTimer {
  readonly #expire: (now: number) => number;
  #timer: NodeJS.Timeout | undefined;
  #at = Number.POSITIVE_INFINITY;

  /**
   * @param expire fails whatever expired at `now` (performance.now() ms) and returns the
   *   earliest deadline still pending, or Infinity.
   */
  constructor(expire: (now: number) => number) {
    this.#expire = expire;
  }

  /** A new deadline (performance.now() ms); Infinity = none. Something now waits. */
  add(deadline: number): void {
    if (deadline < this.#at) this.#arm(deadline);
    else this.#timer?.ref();
  }

  /** Nothing waits any more: a pending fire may still come but must not hold the process. */
  idle(): void {
    this.#timer?.unref();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = at;
    // Never over setTimeout's limit (a longer delay fires at once): fired early, it re-arms for the rest.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#at = Number.POSITIVE_INFINITY;
      const next = this.#expire(performance.now());
      if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now())));
  }
}
