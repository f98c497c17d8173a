/**
 * FreeSWITCH events → the bus: filter, shape (SPEC §3.5), publish. The driver buffers (bounded)
 * while the broker is away; every drop is counted there and exported as a metric.
 */
import { encodeEventPayload, encodeUtf8, type EventFilter, type EventSource, type Subjects } from '@fsbus/contract';
import type { EslEvent } from '@fsbus/esl';
import type { Driver, PublishOutcome } from '@fsbus/transport';
import type { AgentMetrics } from './metrics.js';

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
  readonly #subjects: Subjects;
  readonly #nodeId: string;
  readonly #driver: Driver;
  readonly #metrics: AgentMetrics;

  constructor(filter: EventFilter, subjects: Subjects, nodeId: string, driver: Driver, metrics: AgentMetrics) {
    this.#filter = filter;
    this.#subjects = subjects;
    this.#nodeId = nodeId;
    this.#driver = driver;
    this.#metrics = metrics;
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

  /** Whether events.include/exclude let this event through. */
  accepts(name: string, subclass?: string): boolean {
    return this.#filter.matches(name, subclass);
  }

  /**
   * An event of the agent's own (its goodbye), published like FreeSWITCH's: same filter, subject
   * and envelope, counted as published but not as received. May throw what the driver throws.
   */
  publishOwn(event: EventSource & { readonly name: string }): PublishOutcome | 'filtered' {
    if (!this.#filter.matches(event.name, event.subclass)) return 'filtered';
    return this.#publish(event, event.subclass);
  }

  #publish(event: EventSource, subclass: string | undefined): PublishOutcome {
    const bytes = encodeUtf8(encodeEventPayload(event, this.#nodeId));
    const outcome = this.#driver.publish(this.#subjects.event(event.name, subclass), bytes);
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
