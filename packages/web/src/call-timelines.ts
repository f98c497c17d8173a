/**
 * The events of each call the dashboard tracks (a channel of its table), kept per call: the global
 * event ring (event-log.ts) turns over in seconds at an incident's volume (800 events/s through a
 * 2,000-event ring: 2.5 s), which left a live call's timeline empty. Bounded per call and in
 * total; an ended call's timeline stays while the table remembers the call as ended.
 */
import type { EventDetail } from './protocol.js';
import { ENDED_MEMORY } from './channel-table.js';

/** Events kept per call; past it its oldest go (counted as `dropped`). @default 200 */
export const DEFAULT_TIMELINE_EVENTS = 200;
/**
 * Bytes all timelines take (counted as the event ring counts them, event-log.ts's sizeOf; an event
 * kept by both legs counts twice). Past it ended calls' timelines go first, oldest ended first, then
 * the oldest live call's. The events are the ring's own objects: no copy. @default 128 MiB
 */
export const DEFAULT_TIMELINE_BYTES = 128 * 1024 * 1024;

interface Timeline {
  events: EventDetail[];
  sizes: number[];
  bytes: number;
  /** Events of this call no longer kept (past the per-call bound, or its timeline cut to fit). */
  dropped: number;
}

export interface CallTimeline {
  events: EventDetail[];
  dropped: number;
}

export class CallTimelines {
  /** Insertion order is the order calls were first tracked: the oldest live one goes first when full. */
  readonly #calls = new Map<string, Timeline>();
  /** Calls that ended (or left the table), oldest first; their timelines go past `maxEnded`. */
  readonly #ended = new Set<string>();
  readonly #perCall: number;
  readonly #maxBytes: number;
  readonly #maxEnded: number;
  #bytes = 0;

  constructor(perCall = DEFAULT_TIMELINE_EVENTS, maxBytes = DEFAULT_TIMELINE_BYTES, maxEnded = ENDED_MEMORY) {
    this.#perCall = Math.max(1, perCall);
    this.#maxBytes = Math.max(1, maxBytes);
    this.#maxEnded = Math.max(0, maxEnded);
  }

  /** Timelines kept (live and ended calls). */
  get size(): number {
    return this.#calls.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(uuid: string): boolean {
    return this.#calls.has(uuid);
  }

  get(uuid: string): CallTimeline | undefined {
    const t = this.#calls.get(uuid);
    return t === undefined ? undefined : { events: t.events.slice(), dropped: t.dropped };
  }

  /**
   * Starts a call's timeline with what the ring still holds of it (`seed`, oldest first: events
   * such as CODEC may come before its CHANNEL_CREATE). A call back in the table (its node forgotten,
   * then back with it) is live again: its timeline no longer ages out.
   */
  track(uuid: string, seed: () => ReadonlyArray<{ detail: EventDetail; size: number }>): void {
    if (this.#calls.has(uuid)) {
      this.#ended.delete(uuid);
      return;
    }
    const t: Timeline = { events: [], sizes: [], bytes: 0, dropped: 0 };
    this.#calls.set(uuid, t);
    for (const s of seed()) this.#push(t, s.detail, s.size);
    this.#trim();
  }

  /** Adds an event to the timeline of every tracked call it belongs to (its uuid, its other leg's). */
  add(detail: EventDetail, size: number): void {
    let pushed = false;
    for (const key of timelineKeys(detail)) {
      const t = this.#calls.get(key);
      if (t === undefined) continue;
      this.#push(t, detail, size);
      pushed = true;
    }
    if (pushed) this.#trim();
  }

  /** The call left the table (hung up, dropped from a full table, its node forgotten): its timeline ages out. */
  ended(uuid: string): void {
    if (!this.#calls.has(uuid)) return;
    this.#ended.delete(uuid);
    this.#ended.add(uuid);
    while (this.#ended.size > this.#maxEnded) {
      const oldest = this.#ended.values().next().value;
      if (oldest === undefined) break;
      this.#drop(oldest);
    }
  }

  #push(t: Timeline, detail: EventDetail, size: number): void {
    t.events.push(detail);
    t.sizes.push(size);
    t.bytes += size;
    this.#bytes += size;
    while (t.events.length > this.#perCall) this.#shift(t);
  }

  #shift(t: Timeline): void {
    t.events.shift();
    const size = t.sizes.shift() ?? 0;
    t.bytes -= size;
    this.#bytes -= size;
    t.dropped++;
  }

  #drop(uuid: string): void {
    const t = this.#calls.get(uuid);
    this.#ended.delete(uuid);
    if (t === undefined) return;
    this.#calls.delete(uuid);
    this.#bytes -= t.bytes;
  }

  /** Over the byte bound: ended timelines go first, then the oldest live; the last one left keeps its newest event. */
  #trim(): void {
    while (this.#bytes > this.#maxBytes) {
      const ended = this.#ended.values().next().value;
      if (ended !== undefined) {
        this.#drop(ended);
        continue;
      }
      if (this.#calls.size > 1) {
        const oldest = this.#calls.keys().next().value;
        if (oldest !== undefined) this.#drop(oldest);
        continue;
      }
      const only = this.#calls.values().next().value;
      if (only === undefined || only.events.length <= 1) return;
      this.#shift(only);
    }
  }
}

/**
 * The calls an event belongs to, as a timeline shows them: its own uuid, the other leg it names
 * in Other-Leg-Unique-ID (a bridge), and for the two halves of a loopback channel
 * variable_other_loopback_leg_uuid (no Other-Leg header on either half).
 */
export function timelineKeys(e: EventDetail): Set<string> {
  const keys = new Set<string>();
  if (e.uuid !== undefined) keys.add(e.uuid);
  const other = e.headers['Other-Leg-Unique-ID'];
  if (other !== undefined && other !== '') keys.add(other);
  const loop = e.headers['variable_other_loopback_leg_uuid'];
  if (loop !== undefined && loop !== '') keys.add(loop);
  return keys;
}
