/**
 * Calls per second and events per second over the last minutes: one bucket per wall-clock
 * second, a bounded window. An event counts in the second it happened (its own timestamp), not
 * the one it arrived in: after a broker stall the backlog arrives at once, and counting it on
 * arrival drew a spike of 20 times the real rate. A second already closed is amended and handed
 * out again (roll), for pages to replace theirs.
 */
import type { EventPayload } from '@fsbus/contract';
import type { RatePoint } from './protocol.js';

/** Seconds kept (and drawn). @default 300 */
export const DEFAULT_RATE_WINDOW_S = 300;

/**
 * How far ahead of this server's clock an event's timestamp may be and still be counted as its
 * own (node clocks drift a little); further ahead, the clock is wrong and the arrival time counts.
 */
export const RATE_CLOCK_SKEW_MS = 2000;

export class RateSeries {
  readonly #points: RatePoint[] = [];
  readonly #window: number;
  #current: RatePoint;
  /** Closed seconds a late event was counted into since the last roll. */
  readonly #amended = new Set<RatePoint>();

  constructor(now: number, windowS = DEFAULT_RATE_WINDOW_S) {
    this.#window = Math.max(2, windowS);
    this.#current = { t: second(now), calls: 0, events: 0 };
  }

  /**
   * Counts `e` in the second of its timestamp (µs) when that is sane, else in the second of `now`;
   * an event older than the window is not counted. Call roll(now) first: what it returns is lost otherwise.
   */
  count(e: EventPayload, now: number): void {
    this.#roll(now);
    const bucket = this.#bucketOf(e.timestamp / 1000, now);
    if (bucket === undefined) return;
    bucket.events++;
    if (isNewCall(e)) bucket.calls++;
    if (bucket !== this.#current) this.#amended.add(bucket);
  }

  #bucketOf(at: number, now: number): RatePoint | undefined {
    if (!Number.isFinite(at) || at > now + RATE_CLOCK_SKEW_MS) return this.#current;
    const s = second(at);
    if (s >= this.#current.t) return this.#current;
    const last = this.#points.at(-1);
    if (last === undefined) return undefined;
    // Closed points are consecutive seconds: the position is computed, not searched.
    const p = this.#points[this.#points.length - 1 - (last.t - s) / 1000];
    return p?.t === s ? p : undefined;
  }

  /** Closes the buckets of the seconds that passed; returns them and the closed ones amended since the last roll, oldest first. */
  roll(now: number): RatePoint[] {
    const closed = this.#roll(now);
    if (this.#amended.size === 0) return closed;
    const amended = [...this.#amended].sort((a, b) => a.t - b.t);
    this.#amended.clear();
    return [...amended, ...closed];
  }

  #roll(now: number): RatePoint[] {
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
