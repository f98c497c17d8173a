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
