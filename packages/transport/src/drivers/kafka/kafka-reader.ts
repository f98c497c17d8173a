/**
 * One consumer-group reader of one topic: what a lane, a subscription or an inbox is on Kafka.
 * `ready` resolves once the group is joined and the read positions are fixed, so a message
 * produced after it is seen (the driver's flush() waits on it). When the broker goes away the
 * stream fails; the reader starts over with backoff until closed.
 */
import { Consumer, type BaseOptions, type Message, type MessagesStream } from '@platformatic/kafka';
import type { DriverLogger } from '../../driver.js';
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS } from './kafka-options.js';

export interface ReaderSpec {
  topic: string;
  group: string;
  /** 'committed' resumes a shared group where it stopped (new groups start at the end). */
  mode: 'latest' | 'earliest' | 'committed' | 'manual';
  /** Where a group without committed offsets starts. @default 'latest' */
  fallback?: 'latest' | 'earliest';
  /** Start positions for mode 'manual'. */
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
  /**
   * Competing lanes: commit each message's offset BEFORE handing it over, and drop it when the
   * commit is refused (a rebalance moved its partition: the new owner runs it). At most once,
   * never twice, even while members join or leave.
   */
  commitEach: boolean;
}

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export class KafkaReader {
  readonly spec: ReaderSpec;
  readonly #base: BaseOptions;
  readonly #onMessage: (m: KafkaMessage) => void;
  readonly #logger: DriverLogger | undefined;
  #consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #closed = false;
  #attempt = 0;
  /** Next offset per `topic:partition`, so a restarted reader goes on where it stopped. */
  readonly #next = new Map<string, bigint>();
  #retryTimer: NodeJS.Timeout | undefined;
  #readyResolve!: () => void;
  /** Resolves the first time the reader is positioned (or when it is closed before that). */
  readonly ready: Promise<void>;

  constructor(base: BaseOptions, spec: ReaderSpec, onMessage: (m: KafkaMessage) => void, logger?: DriverLogger) {
    this.#base = base;
    this.spec = spec;
    this.#onMessage = onMessage;
    this.#logger = logger;
    this.ready = new Promise((resolve) => (this.#readyResolve = resolve));
  }

  start(): void {
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#closed) return;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...this.#base,
      groupId: this.spec.group,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTime: 500,
    });
    this.#consumer = consumer;
    // A group-less position (not 'committed') that was reached once is resumed exactly after a restart.
    const resume = this.spec.mode !== 'committed' && this.#next.size > 0;
    const offsets = resume
      ? [...this.#next].map(([key, offset]) => ({ topic: this.spec.topic, partition: Number(key.slice(key.lastIndexOf(':') + 1)), offset }))
      : this.spec.offsets;
    const mode = resume ? 'manual' : this.spec.mode;
    try {
      const stream = await consumer.consume({
        topics: [this.spec.topic],
        mode,
        fallbackMode: this.spec.fallback ?? (this.spec.mode === 'earliest' ? 'earliest' : 'latest'),
        ...(offsets === undefined || mode !== 'manual' ? {} : { offsets }),
        autocommit: false,
      });
      this.#stream = stream;
      if (this.#closed) {
        await this.#shutdown();
        return;
      }
      stream.on('data', (m: KafkaMessage) => {
        this.#next.set(`${m.topic}:${m.partition}`, m.offset + 1n);
        if (!this.spec.commitEach) {
          this.#deliver(m);
          return;
        }
        Promise.resolve(m.commit()).then(
          () => {
            // After a rebalance the library may still hand out records of a partition it no longer
            // owns (fetched before the revocation): its new owner runs them, this member must not.
            if (this.#owns(m)) this.#deliver(m);
            else this.#logger?.debug({ topic: m.topic, partition: m.partition, offset: String(m.offset) }, 'record of a revoked partition skipped');
          },
          (err: unknown) => this.#logger?.debug({ err, topic: m.topic, offset: String(m.offset) }, 'commit refused (partition moved), left to its new owner'),
        );
      });
      stream.once('error', (err: Error) => this.#retry(err));
      if (stream.offsetsToFetch.size > 0) this.#positioned();
      else stream.once('offsets', () => this.#positioned());
    } catch (err) {
      this.#retry(err as Error);
    }
  }

  #owns(m: KafkaMessage): boolean {
    const assigned = this.#consumer?.assignments?.find((a) => a.topic === m.topic);
    return assigned !== undefined && assigned.partitions.includes(m.partition);
  }

  #deliver(m: KafkaMessage): void {
    try {
      this.#onMessage(m);
    } catch (err) {
      this.#logger?.error({ err, topic: m.topic }, 'kafka message handler threw');
    }
  }

  #positioned(): void {
    const stream = this.#stream;
    if (stream !== undefined) for (const [key, offset] of stream.offsetsToFetch) if (!this.#next.has(key)) this.#next.set(key, offset);
    this.#attempt = 0;
    this.#readyResolve();
  }

  #retry(err: Error): void {
    if (this.#closed) return;
    this.#logger?.debug({ err, topic: this.spec.topic, group: this.spec.group }, 'kafka reader restarts');
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.#attempt++) * (0.5 + Math.random() / 2);
    void this.#shutdown().finally(() => {
      if (this.#closed) return;
      this.#retryTimer = setTimeout(() => void this.#run(), delay);
    });
  }

  async #shutdown(): Promise<void> {
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    await stream?.close().catch(() => undefined);
    await consumer?.close(true).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#readyResolve();
    await this.#shutdown();
  }
}

/**
 * The reader of a lane. Competing: one shared group resumes where it stopped. Direct/broadcast: a
 * group per driver, so every server of a broadcast lane sees every request.
 */
export function laneReaderSpec(topic: string, lane: { subject: string; competing: boolean; group?: string }, clientId: string): ReaderSpec {
  return lane.competing
    ? { topic, group: lane.group ?? lane.subject, mode: 'committed', commitEach: true }
    : { topic, group: `${clientId}.${lane.subject}`, mode: 'latest', commitEach: false };
}

/** A subscription without a queue is its own group (two patterns on one topic both see everything). */
export function subscriptionReaderSpec(topic: string, queue: string | undefined, ownGroup: string): ReaderSpec {
  return { topic, group: queue ?? ownGroup, mode: queue === undefined ? 'latest' : 'committed', commitEach: queue !== undefined };
}
