/**
 * The Kafka producer path: records accepted while connected wait here (bounded like the Outbox;
 * when full the oldest is dropped and counted) and ONE loop sends them in order, in produce
 * requests of at most MAX_BATCH_BYTES, or the broker's limit when it is smaller. Why the cap: the
 * broker refuses a record batch over its `message.max.bytes` (≈1 MB by default) as a whole — at
 * 20,000 events/s of ~1.7 KB one unbounded batch grew past it and thousands of events were refused
 * at once; a broker set to 64 KiB refused 100 records of 2 KB sent in one tick. A refused batch
 * (not a network failure) is dropped and counted; on a network failure everything unsent goes back to the driver
 * (its outbox) in order. The batch that was in flight goes back without its requests: the broker
 * may have appended it before the answer was lost, and a command sent again would run twice.
 */
import type { Producer } from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';
import { Outbox, runsOnArrival, type OutboxItem } from '../../outbox.js';
import type { TopicCache } from './kafka-admin.js';
import { INBOX_PREFIX } from './kafka-inbox.js';
import { BATCH_HEADER_BYTES, recordBytes } from './kafka-limits.js';
import { isNetworkError, toRecord } from './kafka-wire.js';

/** Bytes of records per produce request: half of Kafka's default message.max.bytes. @default 524288 */
export const MAX_BATCH_BYTES = 512 * 1024;

export interface SendQueueContext {
  producer(): Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  topics: TopicCache;
  connected(): boolean;
  /** The broker went away: `unsent` (in order, oldest first) must be held for the reconnect. */
  lost(unsent: OutboxItem[]): void;
  /** The smallest record batch limit the broker set, when known (kafka-limits.ts). */
  limit?(): number | undefined;
  logger: DriverLogger | undefined;
}

export class KafkaSendQueue {
  readonly #ctx: SendQueueContext;
  readonly #queue: Outbox;
  #sending: Promise<void> | undefined;
  /** Records the broker acknowledged (acks=all). */
  acked = 0;
  /** Records the broker refused, or whose reply inbox was gone: dropped. */
  refused = 0;

  constructor(ctx: SendQueueContext, maxMessages: number, maxBytes: number) {
    this.#ctx = ctx;
    this.#queue = new Outbox(maxMessages, maxBytes);
  }

  get size(): number {
    return this.#queue.size;
  }

  /** Dropped here: the queue was full (oldest first), or the driver closed with records in it. */
  get dropped(): number {
    return this.#queue.dropped + this.refused;
  }

  /** Accepts a record for sending; throws when it can never be held (bigger than the bound). */
  push(item: OutboxItem): void {
    if (!this.#queue.push(item)) throw new Error(`record of ${item.data.byteLength} bytes exceeds the send buffer`);
    this.kick();
  }

  /** Starts the single send loop unless it runs. */
  kick(): void {
    if (this.#sending !== undefined || !this.#ctx.connected() || this.#queue.size === 0) return;
    this.#sending = this.#sendAll().finally(() => {
      this.#sending = undefined;
      if (this.#queue.size > 0 && this.#ctx.connected()) this.kick();
    });
  }

  /** Resolves once the queue is sent (or the broker went away: then the driver holds it). */
  async idle(): Promise<void> {
    while (this.#ctx.connected() && (this.#sending !== undefined || this.#queue.size > 0)) {
      this.kick();
      await this.#sending;
    }
  }

  /** Drops what is left (driver closing); counted. */
  discard(): void {
    this.#queue.discard();
  }

  async #sendAll(): Promise<void> {
    await Promise.resolve(); // let the current tick's publishes join the batch
    while (this.#ctx.connected() && this.#queue.size > 0) {
      const batches = splitBatches(await this.#withoutGoneInboxes(this.#queue.drain()), Math.min(MAX_BATCH_BYTES, this.#ctx.limit?.() ?? MAX_BATCH_BYTES));
      for (let b = 0; b < batches.length; b++) {
        const batch = batches[b]!;
        try {
          await this.#ctx.producer()!.send({ messages: batch.map(toRecord) });
          this.acked += batch.length;
        } catch (err) {
          if (isNetworkError(err) || !this.#ctx.connected()) {
            const again = batch.filter((item) => !runsOnArrival(item));
            if (again.length < batch.length) {
              this.#ctx.logger?.warn({ err, requests: batch.length - again.length }, 'kafka connection lost with requests unacknowledged: not sent again (they may have run)');
            }
            this.#ctx.lost([...again, ...batches.slice(b + 1).flat(), ...this.#queue.drain()]);
            return;
          }
          this.refused += batch.length;
          this.#ctx.logger?.warn({ err, records: batch.length }, 'kafka refused records, dropped');
        }
      }
    }
  }

  /** Replies go to an inbox only if it still exists: a gone requester's topic is not recreated. */
  async #withoutGoneInboxes(items: OutboxItem[]): Promise<OutboxItem[]> {
    const gone = new Set<string>();
    try {
      for (const topic of new Set(items.map((i) => i.subject))) {
        const ok = topic.startsWith(INBOX_PREFIX) ? await this.#ctx.topics.exists(topic) : await this.#ctx.topics.ensure(topic, 1).then(() => true);
        if (!ok) gone.add(topic);
      }
    } catch (err) {
      // Metadata unreachable: the produce below fails the same way and hands the records back.
      this.#ctx.logger?.debug({ err }, 'kafka topic check failed');
    }
    if (gone.size === 0) return items;
    const kept = items.filter((i) => !gone.has(i.subject));
    this.refused += items.length - kept.length;
    return kept;
  }
}

/** Consecutive runs of records whose batch stays within `maxBytes` (a bigger record alone). */
export function splitBatches(items: readonly OutboxItem[], maxBytes = MAX_BATCH_BYTES): OutboxItem[][] {
  const out: OutboxItem[][] = [];
  let current: OutboxItem[] = [];
  let bytes = BATCH_HEADER_BYTES;
  for (const item of items) {
    const size = recordBytes(item);
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = BATCH_HEADER_BYTES;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
