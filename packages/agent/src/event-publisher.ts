/**
 * FreeSWITCH events → the bus: filter, shape (SPEC §3.5), publish. The driver buffers (bounded)
 * while the broker is away; every drop is counted there and exported as a metric. What it drops
 * is noticed here (DropWatch), so that subscribers can be told once the broker is back; an event
 * the broker failed after it was sent, the driver hands back (PublishOptions.onDroppedAfterSend),
 * with its timestamp as the lossMark: what the NATS write window keeps instead of its payload.
 * The agent's own events (publishOwn: its announcements) are handed back apart: not a loss to
 * announce, which would be another announcement the same broker may fail. They pass any
 * events.include (they are the bus's signals, not FreeSWITCH's events); only events.exclude turns
 * them off (config/own-events.ts).
 */
import { encodeEventPayload, encodeUtf8, eventTimestampUs, nowMicros, type EventFilter, type EventSource, type Subjects } from '@fsbus/contract';
import type { EslEvent } from '@fsbus/esl';
import type { Driver, DriverStats, PublishOptions, PublishOutcome } from '@fsbus/transport';
import { ownEventFilter } from './config/own-events.js';
import type { EventLoss } from './lifecycle-events.js';
import type { AgentMetrics } from './metrics.js';

/** The event whose loss a billing consumer cares most about (the CDR). */
const HANGUP_COMPLETE = 'CHANNEL_HANGUP_COMPLETE';

/**
 * Why events were just dropped: the buffer made room ('buffer-full'), the broker failed them after
 * they were sent ('after-send'), or an event could not be buffered at all — larger than the buffer
 * or the broker takes, or the driver closed — which the driver logs itself ('unbuffered').
 */
export type DropCause = 'buffer-full' | 'after-send' | 'unbuffered';

/** How the publisher learns of drops and says so. */
export interface DropReporting {
  /** Events the driver dropped so far (its total less replies and other messages). */
  droppedTotal(): number;
  /**
   * More were dropped: `drop` those just noticed, `loss` everything not yet told since the broker
   * was last reached. `fullBy` ('buffer-full' only): which bound of the driver's buffer made its
   * latest drop (DriverStats.bufferFullBy), absent when the driver does not say. `unsent`
   * ('after-send' only): the driver pushed it out of its full send queue before it left (Kafka,
   * connected): not delivered, unlike what the broker failed.
   */
  onDropped(drop: EventLoss, loss: EventLoss, cause: DropCause, fullBy?: DriverStats['bufferFullBy'], unsent?: boolean): void;
  /** An event went out at once again (the buffer is empty) while a loss waits to be told. */
  onFlowing(): void;
  /** One of the agent's own events (publishOwn) failed at the broker after it was sent. */
  onOwnDropped(subject: string): void;
}

export interface EventCounters {
  received: number;
  filtered: number;
  published: number;
  buffered: number;
  /** Could not even be buffered (buffer full and the event larger than it, or driver closed). */
  failed: number;
  bytes: number;
}

export class EventPublisher {
  readonly counters: EventCounters = { received: 0, filtered: 0, published: 0, buffered: 0, failed: 0, bytes: 0 };
  readonly #filter: EventFilter;
  /** The agent's own events: events.exclude alone (an include list does not name them). */
  readonly #ownFilter: EventFilter;
  readonly #subjects: Subjects;
  readonly #nodeId: string;
  readonly #driver: Driver;
  readonly #metrics: AgentMetrics;
  readonly #drops: DropWatch;
  /** One function for every event; its options object carries the event's timestamp (lossMark). */
  readonly #onEventDropped: NonNullable<PublishOptions['onDroppedAfterSend']>;
  /** The same object for every publish of the agent's own events. */
  readonly #ownPublishOptions: PublishOptions;

  /**
   * `exclude`: the events.exclude `filter` was built with, which alone filters the agent's own
   * events (an include list does not name them); none when omitted.
   */
  constructor(filter: EventFilter, subjects: Subjects, nodeId: string, driver: Driver, metrics: AgentMetrics, reporting: DropReporting, bufferMessages: number, exclude: readonly string[] = []) {
    this.#filter = filter;
    this.#ownFilter = ownEventFilter(exclude);
    this.#subjects = subjects;
    this.#nodeId = nodeId;
    this.#driver = driver;
    this.#metrics = metrics;
    this.#drops = new DropWatch(reporting, bufferMessages, () => driver.stats().bufferFullBy);
    const hangupSubject = subjects.event(HANGUP_COMPLETE);
    this.#onEventDropped = (subject, data, lossMark, refused, unsent) => {
      if (refused === true) metrics.eventsRefused.inc();
      this.#drops.droppedAfterSend(subject === hangupSubject, data, lossMark, refused === true, unsent === true);
    };
    this.#ownPublishOptions = {
      onDroppedAfterSend: (subject) => {
        this.#drops.ownDroppedAfterSend();
        reporting.onOwnDropped(subject);
      },
    };
  }

  /** The drops not yet told (noticed now if another message's buffering caused them); cleared. */
  takeLoss(): EventLoss | undefined {
    return this.#drops.take();
  }

  /** Of the last `pending` messages buffered, the CHANNEL_HANGUP_COMPLETE events (what a stop now would discard). */
  hangupsHeld(pending: number): number {
    return this.#drops.hangupsHeld(pending);
  }

  onEvent(event: EslEvent): void {
    this.counters.received++;
    this.#metrics.eventsReceived.inc();
    const subclass = event.subclass;
    if (!this.#filter.matches(event.name, subclass)) {
      this.counters.filtered++;
      this.#metrics.eventsFiltered.inc();
      return;
    }
    this.#publish(event, subclass);
  }

  /** Whether publishOwn publishes this event of the agent's own: events.exclude does not exclude it. */
  acceptsOwn(event: { readonly name: string; readonly subclass?: string | undefined }): boolean {
    return this.#ownFilter.matches(event.name, event.subclass);
  }

  /**
   * An event of the agent's own (its goodbye, its announcements), published like FreeSWITCH's:
   * same subject and envelope, counted as published but not as received; filtered by
   * events.exclude alone (acceptsOwn). Failed at the broker after it was sent, it is reported
   * apart (DropReporting.onOwnDropped), not as a loss. May throw what the driver throws.
   */
  publishOwn(event: EventSource & { readonly name: string }): PublishOutcome | 'filtered' {
    if (!this.acceptsOwn(event)) return 'filtered';
    return this.#publish(event, event.subclass, this.#ownPublishOptions);
  }

  /** `own`: the options of the agent's own events; FreeSWITCH's get theirs with their timestamp. */
  #publish(event: EventSource, subclass: string | undefined, own?: PublishOptions): PublishOutcome {
    const timestampUs = eventTimestampUs(event);
    const bytes = encodeUtf8(encodeEventPayload(event, this.#nodeId, timestampUs));
    // A loss hands back the timestamp, so a driver need not keep the payload to tell it (NATS).
    const options = own ?? { onDroppedAfterSend: this.#onEventDropped, lossMark: timestampUs };
    const outcome = this.#driver.publish(this.#subjects.event(event.name, subclass), bytes, options);
    // Only the buffering path looks further: an event sent at once costs one comparison here.
    if (outcome === 'sent') this.#drops.sent();
    else this.#drops.held(event, outcome, timestampUs);
    if (outcome === 'dropped') {
      this.counters.failed++;
      return outcome;
    }
    this.counters.published++;
    this.counters.bytes += bytes.byteLength;
    this.#metrics.eventsPublished.inc();
    if (outcome === 'buffered') {
      this.counters.buffered++;
      this.#metrics.eventsBuffered.inc();
    }
    return outcome;
  }
}

const TIMESTAMP_KEY = '"timestamp":';
/** encodeEventPayload writes the timestamp right after the event's name: within these first bytes. */
const PAYLOAD_HEAD_BYTES = 256;
const payloadDecoder = new TextDecoder();

/**
 * A published event's timestamp, read back from its payload (only for a drop after send by a
 * driver that did not give the lossMark back: not one of @fsbus/transport's): the
 * first `"timestamp":` of encodeEventPayload's JSON is its own (one inside the name would be
 * escaped), so the head is enough, not the whole payload parsed.
 */
function payloadTimestamp(data: Uint8Array): number {
  const head = payloadDecoder.decode(data.subarray(0, PAYLOAD_HEAD_BYTES));
  const at = head.indexOf(TIMESTAMP_KEY);
  const ts = at < 0 ? Number.NaN : Number.parseInt(head.slice(at + TIMESTAMP_KEY.length), 10);
  return Number.isSafeInteger(ts) && ts > 0 ? ts : nowMicros();
}

/**
 * What the driver's bounded buffer dropped, seen from the events handed to it. The buffer drops
 * its oldest first, so the dropped events lie between the first one buffered since it was last
 * empty and the one buffered before the drop was noticed: that range is told, a bound (events in
 * it may still have been sent). Hangups buffered are remembered by position, so that a drop (the
 * oldest go first) and a stop can say how many of those they lose. Only events that were buffered
 * or dropped come here: the sent-at-once path does none of this. An event the broker failed after
 * it was sent comes back from the driver with its subject (a hangup or not) and its timestamp (the
 * lossMark, or read from its payload).
 */
class DropWatch {
  readonly #reporting: DropReporting;
  readonly #bufferMessages: number;
  /** Read only when the buffer dropped for room (the driver's stats, not on every event). */
  readonly #fullBy: () => DriverStats['bufferFullBy'];
  #droppedSeen: number;
  /** Timestamp of the first event buffered since the buffer was last seen empty. */
  #heldSinceUs: number | undefined;
  /** The last event buffered: every dropped one was buffered no later. */
  #lastHeld: EventSource | undefined;
  #loss: EventLoss | undefined;
  /** Events buffered since the buffer was last seen empty, and the positions of the hangups among them. */
  #heldCount = 0;
  #hangupAt: number[] = [];
  /** Of the events buffered since the buffer was last seen empty, how many the buffer dropped (the oldest). */
  #evicted = 0;

  constructor(reporting: DropReporting, bufferMessages: number, fullBy: () => DriverStats['bufferFullBy']) {
    this.#reporting = reporting;
    this.#bufferMessages = bufferMessages;
    this.#fullBy = fullBy;
    this.#droppedSeen = reporting.droppedTotal();
  }

  /** Sent at once: nothing waits in the buffer. */
  sent(): void {
    if (this.#heldSinceUs === undefined && this.#loss === undefined) return;
    this.#heldSinceUs = undefined;
    this.#lastHeld = undefined;
    this.#heldCount = 0;
    this.#hangupAt = [];
    this.#evicted = 0;
    if (this.#loss !== undefined) this.#reporting.onFlowing();
  }

  /** `timestampUs`: the event's (eventTimestampUs). */
  held(event: EventSource & { readonly name: string }, outcome: 'buffered' | 'dropped', timestampUs: number): void {
    if (outcome === 'dropped') {
      // Itself lost (larger than the buffer, or the driver closed): the newest of the drops.
      this.#heldSinceUs ??= timestampUs;
      this.#notice(false, timestampUs, event.name === HANGUP_COMPLETE);
      return;
    }
    this.#heldSinceUs ??= timestampUs;
    this.#notice(true);
    this.#lastHeld = event;
    this.#heldCount++;
    if (event.name === HANGUP_COMPLETE) this.#rememberHangup();
  }

  /**
   * The broker failed an event after it was sent (the driver counted it already): lost itself, not
   * evicted. `lossMark`: its timestamp, when the driver gave it back; else read from the payload.
   * `unsent`: the driver's full send queue pushed it out before it left (said so, told the same way).
   */
  droppedAfterSend(hangup: boolean, data: Uint8Array, lossMark?: number, refused = false, unsent = false): void {
    // Taken out of the driver's total first: the next notice must not count it as the buffer's.
    this.#droppedSeen++;
    const timestampUs = lossMark ?? payloadTimestamp(data);
    this.#record(1, hangup ? 1 : 0, timestampUs, timestampUs, 'after-send', refused ? 1 : 0, undefined, unsent);
  }

  /** One of the agent's own events failed after it was sent: in the driver's total, but no loss of FreeSWITCH's. */
  ownDroppedAfterSend(): void {
    this.#droppedSeen++;
  }

  take(): EventLoss | undefined {
    // Drops another message's buffering caused: told now, no buffer-full line of their own.
    this.#notice(false);
    const loss = this.#loss;
    this.#loss = undefined;
    return loss;
  }

  hangupsHeld(pending: number): number {
    const from = this.#heldCount - pending;
    return this.#hangupAt.filter((at) => at >= from).length;
  }

  /** The next `count` oldest buffered events are gone: the hangups among them (positions let go). */
  #evictHangups(count: number): number {
    if (count <= 0) return 0;
    this.#evicted += count;
    if (this.#hangupAt.length === 0 || this.#hangupAt[0]! >= this.#evicted) return 0;
    const kept = this.#hangupAt.filter((at) => at >= this.#evicted);
    const lost = this.#hangupAt.length - kept.length;
    this.#hangupAt = kept;
    return lost;
  }

  #rememberHangup(): void {
    this.#hangupAt.push(this.#heldCount - 1);
    // Positions the buffer cannot hold any more (it keeps at most bufferMessages) are let go.
    if (this.#hangupAt.length > this.#bufferMessages) {
      const from = this.#heldCount - this.#bufferMessages;
      this.#hangupAt = this.#hangupAt.filter((at) => at >= from);
    }
  }

  /** `selfLost`: the event at hand is one of the drops (never buffered), a hangup or not; the others are the oldest buffered. */
  #notice(bufferFull: boolean, untilUs?: number, selfLost?: boolean): void {
    const total = this.#reporting.droppedTotal();
    const count = total - this.#droppedSeen;
    if (count <= 0) return;
    this.#droppedSeen = total;
    const hangups = this.#evictHangups(selfLost === undefined ? count : count - 1) + (selfLost === true ? 1 : 0);
    const until = untilUs ?? (this.#lastHeld === undefined ? nowMicros() : eventTimestampUs(this.#lastHeld));
    const since = Math.min(this.#heldSinceUs ?? until, until);
    if (bufferFull) this.#record(count, hangups, since, until, 'buffer-full', 0, this.#fullBy());
    else this.#record(count, hangups, since, until, 'unbuffered');
  }

  /** Adds a drop to the loss not yet told, and says so. */
  #record(count: number, hangups: number, since: number, until: number, cause: DropCause, refused = 0, fullBy?: DriverStats['bufferFullBy'], unsent = false): void {
    // `refused` only when some were: a loss without is what it always was.
    const drop: EventLoss = { count, hangups, sinceUs: since, untilUs: until, ...refusedField(refused) };
    const prev = this.#loss;
    this.#loss =
      prev === undefined
        ? drop
        : { count: prev.count + count, hangups: prev.hangups + hangups, sinceUs: Math.min(prev.sinceUs, since), untilUs: Math.max(prev.untilUs, until), ...refusedField((prev.refused ?? 0) + refused) };
    this.#reporting.onDropped(drop, this.#loss, cause, fullBy, unsent);
  }
}

function refusedField(refused: number): { refused?: number } {
  return refused > 0 ? { refused } : {};
}
