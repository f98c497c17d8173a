/** Jittered exponential backoff for reconnects. */

export interface BackoffOptions {
  /** @default 100 */
  initialDelayMs?: number;
  /** @default 10000 */
  maxDelayMs?: number;
  /** @default 2 */
  factor?: number;
  /** Fraction of the delay randomised either way (0 = none, 0.2 = ±20 %). @default 0.2 */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2 };

/**
 * Delay before reconnect attempt `attempt` (0-based). Jitter spreads many clients that lost
 * the same FreeSWITCH so they do not reconnect in lock-step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt));
  const jitter = Math.min(Math.max(o.jitter, 0), 1);
  const delay = base * (1 - jitter + 2 * jitter * random());
  return Math.max(0, Math.min(o.maxDelayMs, Math.round(delay)));
}

/** setTimeout's largest delay (2^31 - 1 ms); a longer one fires at once, with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The reconnect delays of one client, and the numbering of its attempts. The delay's step starts
 * over only once a connection has stayed up for `maxDelayMs`: a peer that breaks each new
 * connection at once (a bad frame right after the subscription) is retried ever more slowly, up to
 * `maxDelayMs`, instead of every `initialDelayMs` for ever. The attempt number starts over with
 * each loss: it says how long this outage has lasted, the step how unstable the peer has been.
 */
export class ReconnectBackoff {
  readonly #options: BackoffOptions;
  readonly #stableAfterMs: number;
  /** Delays handed out since the last stable connection. */
  #step = 0;
  /** Attempts failed since the connection was lost. */
  #failed = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BackoffOptions) {
    this.#options = options;
    this.#stableAfterMs = Math.min(options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs, MAX_TIMER_MS);
  }

  /** The connection was lost: the delay before the first attempt. */
  lost(): number {
    this.#failed = 0;
    return this.#next();
  }

  /** An attempt failed: its number since the loss (1, 2, …) and the delay before the next. */
  failed(): { attempt: number; retryInMs: number } {
    this.#failed++;
    return { attempt: this.#failed, retryInMs: this.#next() };
  }

  /** A reconnect succeeded: if the connection is still up after `maxDelayMs`, the delays start over and `onStable` is called. */
  connected(onStable: () => void): void {
    this.#unwatch();
    if (this.#step === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#step = 0;
      onStable();
    }, this.#stableAfterMs);
    this.#timer.unref();
  }

  /** The connection is gone (or the client closes) before it proved stable: the step stays. */
  disconnected(): void {
    this.#unwatch();
  }

  /** A fresh start (`connect()` by the user). */
  reset(): void {
    this.#unwatch();
    this.#step = 0;
    this.#failed = 0;
  }

  #next(): number {
    this.#unwatch();
    return backoffDelay(this.#step++, this.#options);
  }

  #unwatch(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
