/**
 * Calls per second and events per second over the last minutes: one bucket per wall-clock
 * second, a bounded window.
 */
import type { EventPayload } from '@fsbus/contract';
import type { RatePoint } from './protocol.js';

/** Seconds kept (and drawn). @default 300 */
export const DEFAULT_RATE_WINDOW_S = 300;

export class RateSeries {
  readonly #points: RatePoint[] = [];
  readonly #window: number;
  #current: RatePoint;

  constructor(now: number, windowS = DEFAULT_RATE_WINDOW_S) {
    this.#window = Math.max(2, windowS);
    this.#current = { t: second(now), calls: 0, events: 0 };
  }

  count(e: EventPayload, now: number): void {
    this.roll(now);
    this.#current.events++;
    if (isNewCall(e)) this.#current.calls++;
  }

  /** Closes the buckets of the seconds that passed; returns the ones just closed. */
  roll(now: number): RatePoint[] {
    const s = second(now);
    if (this.#current.t >= s) return [];
    const closed = [this.#current];
    // Quiet seconds are zeros; after a long gap only the last window's worth matters.
    for (let t = Math.max(this.#current.t + 1000, s - this.#window * 1000); t < s; t += 1000) closed.push({ t, calls: 0, events: 0 });
    this.#current = { t: s, calls: 0, events: 0 };
    const kept = closed.slice(-this.#window);
    this.#points.push(...kept);
    if (this.#points.length > this.#window) this.#points.splice(0, this.#points.length - this.#window);
    return kept;
  }

  /** Closed buckets, oldest first. */
  points(): RatePoint[] {
    return [...this.#points];
  }
}

function second(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * A call starts with the CHANNEL_CREATE of its first leg: bridged and originated B-legs are not
 * new calls, nor is the B half of a loopback channel (`variable_loopback_leg=B`: FreeSWITCH creates
 * both halves, `loopback/…-a` and `…-b`, for one originate, and neither names the other as
 * originator — only `variable_other_loopback_leg_uuid`).
 */
export function isNewCall(e: EventPayload): boolean {
  if (e.event_name !== 'CHANNEL_CREATE') return false;
  const h = e.headers;
  return (
    h['Other-Leg-Unique-ID'] === undefined &&
    h['variable_originator'] === undefined &&
    h['variable_originating_leg_uuid'] === undefined &&
    h['variable_loopback_leg'] !== 'B'
  );
}
