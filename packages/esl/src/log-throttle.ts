/**
 * One log line per burst instead of one per occurrence, for faults that can repeat thousands of
 * times a second (undecodable events from FreeSWITCH; in the agent a broker refusing every publish).
 * The first occurrence is logged at once; those within the next interval are counted and written
 * as one line at its end, with `suppressed: n` (that line stands for n occurrences). Every fault
 * logged this way also has a counter (metrics, agent.status): the log says what, the counter how many.
 */

/** @default interval between two lines of one throttle */
export const DEFAULT_LOG_THROTTLE_MS = 10_000;

export type LogFn = (fields: Record<string, unknown>, msg: string) => void;

/**
 * How the summary line's fields are made from the occurrences it stands for: `held` is what the
 * earlier ones of the interval gave (undefined for the first), `next` the new one's fields.
 * Without it, the summary carries the last occurrence's fields.
 */
export type LogFold = (held: Record<string, unknown> | undefined, next: Record<string, unknown>) => Record<string, unknown>;

export class LogThrottle {
  readonly #log: LogFn;
  readonly #msg: string;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  readonly #fold: LogFold;
  #suppressed = 0;
  #held: Record<string, unknown> | undefined;

  constructor(log: LogFn, msg: string, intervalMs = DEFAULT_LOG_THROTTLE_MS, fold: LogFold = (_held, next) => next) {
    this.#log = log;
    this.#msg = msg;
    this.#intervalMs = intervalMs;
    this.#fold = fold;
  }

  /** One occurrence: logged now, or counted into the line written at the end of the interval. */
  hit(fields: Record<string, unknown>): void {
    if (this.#timer !== undefined) {
      this.#suppressed++;
      this.#held = this.#fold(this.#held, fields);
      return;
    }
    this.#log(fields, this.#msg);
    this.#openWindow();
  }

  /** Writes what is counted and not yet logged (at shutdown); the next hit is logged at once. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writeSuppressed();
  }

  #openWindow(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Occurrences still coming: one more line at most per interval.
      if (this.#writeSuppressed()) this.#openWindow();
    }, this.#intervalMs);
    // A pending summary line never keeps the process alive.
    this.#timer.unref();
  }

  #writeSuppressed(): boolean {
    const n = this.#suppressed;
    if (n === 0) return false;
    this.#suppressed = 0;
    const held = this.#held;
    this.#held = undefined;
    this.#log({ ...held, suppressed: n }, this.#msg);
    return true;
  }
}
