/**
 * The Kafka producer path: records accepted while connected wait here (in an Outbox of their own;
 * when full the oldest is dropped, counted and handed back to its publisher: publish() said 'sent'
 * for it) — after what the outbox held at the reconnect, which is never dropped here for room
 * (carry()) — and ONE loop sends them in order, in produce
 * requests of at most MAX_BATCH_BYTES, or the broker's limit when it is smaller. Why the cap: the
 * broker refuses a record batch over its `message.max.bytes` (≈1 MB by default) as a whole — at
 * 20,000 events/s of ~1.7 KB one unbounded batch grew past it and thousands of events were refused
 * at once; a broker set to 64 KiB refused 100 records of 2 KB sent in one tick. A batch refused
 * (not a network failure) is sent again record by record (requests and commands excepted: a
 * partition may have taken them), and only what the broker refuses alone
 * is dropped, counted and handed back to its publisher; a topic deleted meanwhile is created again first. On a network failure
 * everything unsent goes back to the driver (its outbox) in order. The batch that was in flight goes back without its requests: the broker
 * may have appended it before the answer was lost, and a command sent again would run twice. Those
 * are dropped and counted instead, and their requesters (or publishers) told at once.
 */
import type { Producer } from '@platformatic/kafka';
import { LogThrottle } from '@fsbus/esl';
import type { DriverLogger } from '../../driver.js';
import { isStale, Outbox, runsOnArrival, type OutboxItem } from '../../outbox.js';
import type { TopicCache } from './kafka-admin.js';
import { INBOX_PREFIX } from './kafka-inbox.js';
import { BATCH_HEADER_BYTES, recordBytes } from './kafka-limits.js';
import { isAgentNotice, isNetworkError, isTopicName, isUnknownTopic, toRecord, toRecords } from './kafka-wire.js';

/** Bytes of records per produce request: half of Kafka's default message.max.bytes. @default 524288 */
export const MAX_BATCH_BYTES = 512 * 1024;

/** The log line of replies dropped because their requester's reply topic is gone (or its name is not a topic's). */
export const GONE_REPLY_TOPIC_LOG = 'kafka: records to a gone reply topic (or an invalid one) dropped';

/** The log line of requests (and commands) in flight when the connection was lost. */
export const REQUESTS_LOST_LOG = 'kafka connection lost with requests unacknowledged: not sent again (they may have run), dropped';

/**
 * Why a record publish() or a request handed over is dropped after all: the broker refused it
 * ('refused': alone, so not appended; 'refusedWithBatch': a request or command dropped with a
 * refused batch, which another partition may have appended), the full queue pushed it out before
 * it was produced, or it was a request in flight when the connection was lost (never sent again).
 */
export type AfterSendDrop = 'refused' | 'refusedWithBatch' | 'evicted' | 'lost';

export interface SendQueueContext {
  producer(): Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  topics: TopicCache;
  connected(): boolean;
  /** The broker went away: `unsent` (in order, oldest first) must be held for the reconnect. */
  lost(unsent: OutboxItem[]): void;
  /**
   * `item` is dropped after it was handed over: counted once, its publisher (and our requester) told
   * (DriverCore.droppedAfterSend). `err`: the broker's refusal.
   */
  droppedAfterSend(item: OutboxItem, why: AfterSendDrop, err?: unknown): void;
  /** The smallest record batch limit the broker set, when known (kafka-limits.ts). */
  limit?(): number | undefined;
  logger: DriverLogger | undefined;
}

export class KafkaSendQueue {
  readonly #ctx: SendQueueContext;
  readonly #queue: Outbox;
  /**
   * What the outbox held, handed over at a (re)connect before the loop runs (carry()): sent first,
   * never pushed out for room. publish() said 'buffered' for it, and the outbox's bound holds it
   * already; in the bounded queue, the announcement of the outage's loss (published as 'connected'
   * is said, before the loop takes anything) pushed the oldest out as failed after send — each
   * such drop announced in turn, the kept events all lost.
   */
  #carried: OutboxItem[] = [];
  #sending: Promise<void> | undefined;
  /** Records the broker acknowledged (acks=all). */
  acked = 0;
  /**
   * Records dropped here: before any produce (their reply inbox was gone, or their topic is no name
   * Kafka takes), or left when the driver closed. Every other drop the driver counts
   * (SendQueueContext.droppedAfterSend).
   */
  #unsendable = 0;
  /** Of `#unsendable`, replies. */
  #repliesUnsendable = 0;
  /** Replies to a gone reply topic: counted each, said once per burst (its requester waits out its timeout). */
  readonly #goneLog: LogThrottle;

  constructor(ctx: SendQueueContext, maxMessages: number, maxBytes: number) {
    this.#ctx = ctx;
    // publish() says 'sent' for every record it holds: pushed out for room later, each is handed back.
    this.#queue = new Outbox(maxMessages, maxBytes, (item) => ctx.droppedAfterSend(item, 'evicted'), true);
    this.#goneLog = new LogThrottle((fields, msg) => ctx.logger?.warn(fields, msg), GONE_REPLY_TOPIC_LOG);
  }

  get size(): number {
    return this.#carried.length + this.#queue.size;
  }

  /** Dropped here: a reply to a gone inbox, a record to a topic name Kafka cannot take, a record left at close. */
  get dropped(): number {
    return this.#unsendable;
  }

  /** Of `dropped`, replies. */
  get repliesDropped(): number {
    return this.#repliesUnsendable;
  }

  /**
   * Accepts a record for sending; throws when it can never be held (bigger than the bound). An
   * agent's notice (fsbus::events_dropped above all) is carried, never pushed out for room: in the
   * bounded queue the events published after it pushed it out, and the loss it told with it. It
   * goes ahead of what waits in the queue (events said 'sent' before it, none of them lost yet);
   * an agent announces once per outage or window, so the lane stays small.
   */
  push(item: OutboxItem): void {
    if (!this.#queue.holds(item)) throw new Error(`record of ${item.data.byteLength} bytes exceeds the send buffer`);
    if (isAgentNotice(item)) this.#carried.push(item);
    else this.#queue.push(item);
    this.kick();
  }

  /** Takes a record the outbox held (its flush on a reconnect): sent before what is pushed, never pushed out for room. */
  carry(item: OutboxItem): void {
    this.#carried.push(item);
    this.kick();
  }

  /** Starts the single send loop unless it runs. */
  kick(): void {
    if (this.#sending !== undefined || !this.#ctx.connected() || this.size === 0) return;
    this.#sending = this.#sendAll().finally(() => {
      this.#sending = undefined;
      if (this.size > 0 && this.#ctx.connected()) this.kick();
    });
  }

  /** Resolves once the queue is sent (or the broker went away: then the driver holds it). */
  async idle(): Promise<void> {
    while (this.#ctx.connected() && (this.#sending !== undefined || this.size > 0)) {
      this.kick();
      await this.#sending;
    }
  }

  /**
   * Drops what is left (driver closing): counted, not handed back — a stopping publisher counts
   * what is pending as discarded already (the agent's stop) — but requests nobody waits for any more.
   */
  discard(): void {
    const now = performance.now();
    this.#countUnsendable([...this.#carried.splice(0).filter((item) => !isStale(item, now)), ...this.#queue.takeLive(now)]);
  }

  /** Everything held, oldest first: the outbox's records before what was pushed since. */
  #takeAll(): OutboxItem[] {
    const carried = this.#carried.splice(0);
    return carried.length === 0 ? this.#queue.drain() : [...carried, ...this.#queue.drain()];
  }

  async #sendAll(): Promise<void> {
    await Promise.resolve(); // let the current tick's publishes join the batch
    while (this.#ctx.connected() && this.size > 0) {
      const batches = splitBatches(await this.#withoutGoneInboxes(this.#takeAll()), Math.min(MAX_BATCH_BYTES, this.#ctx.limit?.() ?? MAX_BATCH_BYTES));
      for (let b = 0; b < batches.length; b++) {
        const lost = await this.#sendBatch(batches[b]!);
        if (lost === undefined) continue;
        const again = lost.inFlight.filter((item) => !runsOnArrival(item));
        const unsent = [...again, ...lost.unsent, ...batches.slice(b + 1).flat(), ...this.#takeAll()];
        // An agent's notice stays carried in the outbox too (OutboxItem.carried): pushed out there by
        // the events buffered in this outage, the loss it told would never be told.
        for (const item of unsent) if (isAgentNotice(item)) item.carried = true;
        this.#ctx.lost(unsent);
        if (again.length < lost.inFlight.length) {
          const requests = lost.inFlight.filter(runsOnArrival);
          this.#ctx.logger?.warn({ err: lost.err, requests: requests.length }, REQUESTS_LOST_LOG);
          // Never answered for certain: a requester hears it now, not at its timeout.
          for (const item of requests) this.#ctx.droppedAfterSend(item, 'lost');
        }
        return;
      }
    }
  }

  /**
   * Produces one batch; on a network failure, says what was in flight and what was not sent yet.
   * A refusal of the batch's own is not its good records' fault: a topic deleted meanwhile is
   * forgotten and created again, the batch tried once more; still refused, its records go one by
   * one, so only those the broker refuses alone (a topic that cannot be, a record too large) are
   * dropped and counted.
   */
  async #sendBatch(batch: OutboxItem[]): Promise<{ err: unknown; inFlight: OutboxItem[]; unsent: OutboxItem[] } | undefined> {
    let err = await this.#produce(batch);
    if (err === undefined) return undefined;
    if (this.#isLost(err)) return { err, inFlight: batch, unsent: [] };
    if (isUnknownTopic(err)) {
      const topics = [...new Set(batch.map((i) => i.subject))];
      for (const topic of topics) this.#ctx.topics.forget(topic);
      this.#ctx.logger?.warn({ err, topics }, 'kafka: a topic is gone (deleted?): creating it again');
      // Of a batch over several topics, another topic's partition may have taken its part: its
      // requests are not sent again (they could run twice), as below.
      if (topics.length > 1) {
        const requests = batch.filter(runsOnArrival);
        if (requests.length > 0) this.#refuse(requests, err, 'refusedWithBatch');
        batch = batch.filter((i) => !runsOnArrival(i));
      }
      batch = await this.#withoutGoneInboxes(batch);
      err = batch.length === 0 ? undefined : await this.#produce(batch);
      if (err === undefined) return undefined;
      if (this.#isLost(err)) return { err, inFlight: batch, unsent: [] };
    }
    if (batch.length === 1) {
      this.#refuse(batch, err, 'refused');
      return undefined;
    }
    const withBatch: OutboxItem[] = [];
    const refused: OutboxItem[] = [];
    let why: unknown = err;
    for (let i = 0; i < batch.length; i++) {
      // A request (or command) may be in a partition that took its part of the batch: sent again it
      // could run twice, so it is dropped with the batch as before; events and replies go again.
      if (runsOnArrival(batch[i]!)) {
        withBatch.push(batch[i]!);
        continue;
      }
      const e = await this.#produce([batch[i]!]);
      if (e === undefined) continue;
      if (this.#isLost(e)) {
        this.#refuse(withBatch, err, 'refusedWithBatch');
        this.#refuse(refused, why, 'refused');
        return { err: e, inFlight: [batch[i]!], unsent: batch.slice(i + 1) };
      }
      refused.push(batch[i]!);
      why = e;
    }
    this.#refuse(withBatch, err, 'refusedWithBatch');
    this.#refuse(refused, why, 'refused');
    return undefined;
  }

  /** One produce request: undefined once acknowledged, else why not. */
  async #produce(batch: OutboxItem[]): Promise<unknown> {
    try {
      const producer = this.#ctx.producer()!;
      // Most batches hold no notice: produced at once, as before, without waiting for a lookup.
      const partitions = batch.some(isAgentNotice) ? await noticePartitions(producer, batch, this.#ctx.logger) : undefined;
      // The N−1 copies of a notice are not counted by splitBatches: each goes to its own
      // partition's record batch (the library builds one per partition), so none nears message.max.bytes.
      await producer.send({ messages: partitions === undefined ? batch.map(toRecord) : batch.flatMap((item) => toRecords(item, (topic) => partitions.get(topic) ?? 1)) });
      this.acked += batch.length;
      return undefined;
    } catch (err) {
      return err ?? new Error('produce failed');
    }
  }

  #countUnsendable(records: readonly OutboxItem[]): void {
    this.#unsendable += records.length;
    for (const r of records) if (r.kind === 'reply') this.#repliesUnsendable++;
  }

  #isLost(err: unknown): boolean {
    return isNetworkError(err) || !this.#ctx.connected();
  }

  /** Refused by the broker after they were sent: the driver counts them (once) and tells their publishers (and our requesters). */
  #refuse(records: OutboxItem[], err: unknown, why: 'refused' | 'refusedWithBatch'): void {
    if (records.length === 0) return;
    this.#ctx.logger?.warn({ err, records: records.length, topics: [...new Set(records.map((i) => i.subject))] }, 'kafka refused records, dropped');
    for (const r of records) this.#ctx.droppedAfterSend(r, why, err);
  }

  /**
   * Replies go to an inbox only if it still exists: a gone requester's topic is not recreated, and
   * the topic cache forgets it, so a request naming it later is refused before it runs
   * (kafka-serve.ts). A record whose topic Kafka cannot take is dropped here, alone (counted, logged).
   */
  async #withoutGoneInboxes(items: OutboxItem[]): Promise<OutboxItem[]> {
    const gone = new Set<string>();
    for (const topic of new Set(items.map((i) => i.subject))) {
      if (!isTopicName(topic)) {
        gone.add(topic);
        this.#ctx.logger?.warn({ topic: topic.slice(0, 300) }, 'kafka: records to a topic name Kafka cannot take, dropped');
        continue;
      }
      try {
        const ok = topic.startsWith(INBOX_PREFIX) ? await this.#ctx.topics.exists(topic) : await this.#ctx.topics.ensure(topic, 1).then(() => true);
        if (!ok) {
          gone.add(topic);
          this.#ctx.topics.forget(topic);
        }
      } catch (err) {
        // Metadata unreachable: the produce below fails the same way and hands the records back.
        this.#ctx.logger?.debug({ err, topic }, 'kafka topic check failed');
      }
    }
    if (gone.size === 0) return items;
    const kept = items.filter((i) => !gone.has(i.subject));
    this.#countUnsendable(items.filter((i) => gone.has(i.subject)));
    this.#goneLog.hit({ records: items.length - kept.length, topics: [...gone].map((t) => t.slice(0, 300)) });
    return kept;
  }
}

/**
 * Partitions of the topics `batch` has an agent's notice for (toRecords sends one copy to each):
 * from the producer's metadata, which it keeps for its own routing (read from the broker when it
 * has none for the topic or it is older than the client's metadataMaxAge). A topic given more
 * partitions is seen at the next refresh. A failed lookup sends nothing, so it must not fail the
 * batch (lost, or refused record by record): the notice then goes out once, key-less, as before the copies.
 */
async function noticePartitions(producer: Producer<Buffer, Buffer, Buffer, Buffer>, batch: readonly OutboxItem[], logger: DriverLogger | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const topics = [...new Set(batch.filter(isAgentNotice).map((i) => i.subject))];
  try {
    const metadata = await producer.metadata({ topics });
    for (const topic of topics) out.set(topic, metadata.topics.get(topic)?.partitionsCount ?? 1);
  } catch (err) {
    logger?.debug({ err, topics }, 'kafka: partitions of a notice topic unknown, notice sent once');
  }
  return out;
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
