/**
 * The Kafka driver (@platformatic/kafka, pure JavaScript): competing lanes are consumer groups,
 * direct lanes and broadcast a group per driver, replies go to the requester's inbox topic with a
 * correlation header, events to one topic per prefix keyed by channel uuid. Topics are created when
 * missing. Every record goes through one bounded queue (the Outbox), sent in order in batches;
 * while the broker is away it holds what it can and counts what it drops.
 */
import { randomBytes } from 'node:crypto';
import { Admin, Producer, type BaseOptions } from '@platformatic/kafka';
import type {
  ConsumeDurableOptions,
  Driver,
  DriverCapabilities,
  DriverEvent,
  DriverOptions,
  DriverStats,
  DriverStatus,
  DurableMessage,
  GatherOptions,
  InboundMessage,
  Lane,
  PublishOptions,
  PublishOutcome,
  RequestOptions,
  ServeHandler,
  StreamSpec,
  Subscription,
} from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { Outbox, type OutboxItem } from '../../outbox.js';
import { INBOX_PREFIX, KafkaInbox } from './kafka-inbox.js';
import { baseOptions, bootstrapList, ensurePromiseWithResolvers, probeUntilUp } from './kafka-options.js';
import { KafkaReader, type ReaderSpec } from './kafka-reader.js';
import { serveRequest } from './kafka-serve.js';
import { consumeKafkaStream, ensureKafkaStream, StreamRegistry } from './kafka-streams.js';
import { kafkaCall } from './kafka-request.js';
import { KafkaHeader, subjectMatches, topicFor, topicForPattern } from './kafka-topics.js';
import { TopicCache } from './kafka-admin.js';
import { isNetworkError, readHeaders, toInbound, toRecord } from './kafka-wire.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from '../../defaults.js';

/** Partitions of a competing lane's topic: how many agents can share it. @default 6 */
export const LANE_PARTITIONS = 6;
/** Kafka's default max.message.bytes (about 1 MB): a bigger record can never be sent. */
export const MAX_RECORD_BYTES = 1_000_000;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
};

export function createKafkaDriver(options: DriverOptions): Driver {
  ensurePromiseWithResolvers();
  return new KafkaDriver(options);
}

class KafkaDriver implements Driver {
  readonly name = 'kafka';
  readonly capabilities = CAPABILITIES;
  readonly #options: DriverOptions;
  readonly #base: BaseOptions;
  readonly #clientId: string;
  readonly #queue: Outbox;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  readonly #readers = new Set<KafkaReader>();
  readonly #topics = new TopicCache(() => this.#admin);
  readonly #inbox: KafkaInbox;
  readonly #streams: StreamRegistry;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #admin: Admin | undefined;
  #status: DriverStatus = 'connecting';
  #published = 0;
  #buffered = 0;
  #dropped = 0;
  #reconnects = 0;
  #sending: Promise<void> | undefined;
  #probe: { cancel(): void } | undefined;
  #subSeq = 0;
  /** The bootstrap list, for status events and logs. */
  get #servers(): string {
    return bootstrapList(this.#options.urls).join(',');
  }

  constructor(options: DriverOptions) {
    this.#options = options;
    this.#clientId = `${(options.name ?? 'fsbus').replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(4).toString('hex')}`;
    this.#base = baseOptions(options, this.#clientId);
    this.#queue = new Outbox(options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.#inbox = new KafkaInbox(this.#base, this.#clientId, (t) => this.#topics.ensure(t, 1), options.logger);
    this.#streams = new StreamRegistry();
  }

  get status(): DriverStatus {
    return this.#status;
  }

  on(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async connect(): Promise<void> {
    if (this.#producer !== undefined) return;
    if (this.#status === 'closed') throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
    const admin = new Admin(this.#base);
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ ...this.#base, acks: -1 });
    try {
      await admin.metadata({ topics: [], forceUpdate: true });
    } catch (err) {
      await Promise.allSettled([admin.close(), producer.close(true)]);
      throw new TransportError(TransportErrorCode.CONNECT, `cannot connect to Kafka (${this.#options.urls.join(', ')}): ${(err as Error).message}`, { cause: err });
    }
    if ((this.#status as DriverStatus) === 'closed') {
      await Promise.allSettled([admin.close(), producer.close(true)]);
      throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
    }
    this.#admin = admin;
    this.#producer = producer;
    for (const client of [admin, producer]) client.on('client:broker:disconnect', () => this.#lost());
    this.#setStatus('connected', this.#servers);
  }

  /** A connection dropped: probe the cluster until it answers again, with jittered backoff. */
  #lost(): void {
    if (this.#status !== 'connected') return;
    this.#setStatus('reconnecting');
    this.#probe = probeUntilUp(
      () => this.#admin?.metadata({ topics: [], forceUpdate: true }) ?? Promise.reject(new Error('closed')),
      () => this.#status === 'reconnecting',
      () => {
        this.#reconnects++;
        this.#setStatus('connected', this.#servers);
        this.#kick();
      },
    );
  }

  #setStatus(status: DriverStatus, server?: string): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#options.logger?.info({ driver: 'kafka', status, server }, 'broker status');
    this.#emit(server === undefined ? { type: 'status', status } : { type: 'status', status, server });
  }

  #emit(event: DriverEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#options.logger?.error({ err }, 'driver listener threw');
      }
    }
  }

  #live(): void {
    if (this.#status === 'closed') throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
    if (this.#producer === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected yet');
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    const topic = topicFor(subject, this.#options.namespace);
    if (topic === undefined || data.byteLength > MAX_RECORD_BYTES || this.#status === 'closed') {
      // Never sendable (bad subject, too big) or closed: dropped and counted, never queued.
      this.#dropped++;
      return 'dropped';
    }
    return this.#enqueue({ subject: topic, data, headers: { ...options?.headers, [KafkaHeader.SUBJECT]: subject } });
  }

  #enqueue(item: OutboxItem): PublishOutcome {
    if (!this.#queue.push(item)) return 'dropped';
    if (this.#status === 'connected' && this.#producer !== undefined) {
      this.#kick();
      return 'sent';
    }
    this.#buffered++;
    return 'buffered';
  }

  /** Starts the single send loop unless it runs: records leave in order, in batches. */
  #kick(): void {
    if (this.#sending !== undefined || this.#status !== 'connected' || this.#queue.size === 0) return;
    this.#sending = this.#sendAll().finally(() => {
      this.#sending = undefined;
      if (this.#queue.size > 0 && this.#status === 'connected') this.#kick();
    });
  }

  async #sendAll(): Promise<void> {
    await Promise.resolve(); // let the current tick's publishes join the batch
    while (this.#status === 'connected' && this.#queue.size > 0) {
      const items = this.#queue.drain();
      try {
        const gone = new Set<string>();
        for (const topic of new Set(items.map((i) => i.subject))) {
          // Replies go to an inbox only if it still exists: a gone requester's topic is not recreated.
          const ok = topic.startsWith(INBOX_PREFIX) ? await this.#topics.exists(topic) : await this.#topics.ensure(topic, 1).then(() => true);
          if (!ok) gone.add(topic);
        }
        const batch = gone.size === 0 ? items : items.filter((i) => !gone.has(i.subject));
        this.#dropped += items.length - batch.length;
        if (batch.length > 0) await this.#producer!.send({ messages: batch.map(toRecord) });
        this.#published += batch.length;
      } catch (err) {
        if (isNetworkError(err) || this.#status !== 'connected') {
          // Broker away: put everything back in front, oldest first, within the bound.
          const rest = this.#queue.drain();
          for (const i of [...items, ...rest]) this.#queue.push(i);
          this.#lost();
          return;
        }
        this.#dropped += items.length;
        this.#options.logger?.warn({ err, records: items.length }, 'kafka refused records, dropped');
      }
    }
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    this.#live();
    const topic = topicForPattern(pattern, this.#options.namespace);
    if (topic === undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot map the pattern '${pattern}' to a topic (a wildcard must come after the subject's root: <prefix>.<name>.>)`);
    // Without a queue every subscription is its own group: two patterns on one topic both see everything.
    const group = options?.queue ?? `${this.#clientId}.sub.${++this.#subSeq}`;
    return this.#read(pattern, { topic, group, mode: options?.queue === undefined ? 'latest' : 'committed', commitEach: options?.queue !== undefined }, 1, (m, headers) => {
      handler(toInbound(m, headers));
    });
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    this.#live();
    const topic = topicForPattern(lane.subject, this.#options.namespace);
    if (topic === undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot map the lane '${lane.subject}' to a topic`);
    // Competing: one shared group resumes where it stopped. Direct/broadcast: a group per driver,
    // so every server of a broadcast lane sees every request.
    const spec: ReaderSpec = lane.competing
      ? { topic, group: lane.group ?? lane.subject, mode: 'committed', commitEach: true }
      : { topic, group: `${this.#clientId}.${lane.subject}`, mode: 'latest', commitEach: false };
    return this.#read(lane.subject, spec, lane.competing ? LANE_PARTITIONS : 1, (m, headers) =>
      serveRequest(m, headers, handler, {
        enqueue: (item) => this.#enqueue(item),
        topicFor: (subject) => topicFor(subject, this.#options.namespace),
        logger: this.#options.logger,
      }),
    );
  }

  #read(pattern: string, spec: ReaderSpec, partitions: number, onMessage: (m: Parameters<typeof toInbound>[0], headers: Record<string, string>) => void): Subscription {
    const reader = new KafkaReader(this.#base, spec, (m) => {
      const headers = readHeaders(m);
      if (!subjectMatches(pattern, headers[KafkaHeader.SUBJECT] ?? m.topic)) return;
      onMessage(m, headers);
    }, this.#options.logger);
    this.#readers.add(reader);
    void this.#topics.ensure(spec.topic, partitions).then(
      () => reader.start(),
      (err: unknown) => {
        this.#emit({ type: 'error', error: err as Error });
        reader.start();
      },
    );
    return {
      subject: pattern,
      unsubscribe: async () => {
        this.#readers.delete(reader);
        await reader.close();
      },
    };
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const [reply] = await this.#call(subject, data, options, undefined);
    return reply!;
  }

  gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    return this.#call(subject, data, options, { expect: options.expect });
  }

  #call(subject: string, data: Uint8Array, options: RequestOptions, gather: { expect: number | undefined } | undefined): Promise<InboundMessage[]> {
    this.#live();
    return kafkaCall(
      {
        inbox: this.#inbox,
        topicFor: (s) => topicFor(s, this.#options.namespace),
        // Kafka has no "no responders": a lane's topic that nobody ever created has nobody serving it.
        served: async (topic) => this.#status !== 'connected' || this.#topics.known(topic) || (await this.#topics.exists(topic)),
        enqueue: (item) => this.#enqueue(item),
      },
      subject,
      data,
      { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
      gather,
    );
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    this.#live();
    await ensureKafkaStream(spec, this.#options.namespace, this.#streams, (t, configs) => this.#topics.ensure(t, 1, configs), (t) => this.#enqueue(t));
    await this.flush();
  }

  async consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    this.#live();
    const reader = await consumeKafkaStream(options, this.#streams, this.#base, `${this.#clientId}.replay`, handler, this.#options.logger);
    this.#readers.add(reader);
    return {
      subject: options.stream,
      unsubscribe: async () => {
        this.#readers.delete(reader);
        await reader.close();
      },
    };
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#readers].map((r) => r.ready));
    await this.#drainSends();
  }

  /** Resolves once the queue is sent (or the broker went away: then it stays queued). */
  async #drainSends(): Promise<void> {
    while (this.#status === 'connected' && (this.#sending !== undefined || this.#queue.size > 0)) {
      this.#kick();
      await this.#sending;
    }
  }

  stats(): DriverStats {
    return {
      published: this.#published,
      buffered: this.#buffered,
      dropped: this.#dropped + this.#queue.dropped,
      pending: this.#queue.size,
      reconnects: this.#reconnects,
    };
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    // Only what is queued is sent: readers still joining a group are not waited for.
    await this.#drainSends().catch(() => undefined);
    this.#setStatus('closed');
    this.#probe?.cancel();
    this.#queue.discard();
    await Promise.allSettled([...this.#readers].map((r) => r.close()));
    this.#readers.clear();
    const inbox = this.#inbox.opened;
    await this.#inbox.close();
    if (inbox) await this.#admin?.deleteTopics({ topics: [this.#inbox.topic] }).catch(() => undefined);
    await Promise.allSettled([this.#producer?.close(true), this.#admin?.close()]);
  }
}
