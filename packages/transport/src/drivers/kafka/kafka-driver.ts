/**
 * The Kafka driver (@platformatic/kafka, pure JavaScript): competing lanes are consumer groups,
 * direct lanes and broadcast a group per driver, replies go to the requester's inbox topic with a
 * correlation header, events to one topic per prefix keyed by channel uuid. Topics are created when
 * missing. Records leave in order through a bounded send queue in batches under the broker's size
 * limit (kafka-send-queue.ts); while the broker is away they wait in the bounded outbox. Both count
 * what they drop. The size limit is learned from the broker (kafka-limits.ts): a record over it is
 * refused before it is queued. An idle link is checked every `livenessIntervalMs` (kafka-liveness.ts): a
 * broker that froze is noticed and reconnected to as one that dropped the connection; the producer
 * and the admin are then replaced, so what waited on them fails at once.
 */
import { randomBytes } from 'node:crypto';
import { Admin, type BaseOptions, type Producer } from '@platformatic/kafka';
import type { ConsumeDurableOptions, Driver, DriverCapabilities, DriverOptions, DriverStats, DurableMessage, GatherOptions, InboundMessage, Lane, PublishOptions, PublishOutcome, RequestOptions, ServeHandler, StreamSpec, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertTlsFilesReadable } from '../../tls-material.js';
import type { OutboxItem } from '../../outbox.js';
import { connectError, DriverCore, livenessIntervalOption, requestNeverSent } from '../driver-core.js';
import type { GatherEnds } from '../base-driver.js';
import { KafkaInbox } from './kafka-inbox.js';
import { baseOptions, bootstrapList, ensurePromiseWithResolvers, probeUntilUp } from './kafka-options.js';
import { KafkaReader, laneReaderSpec, SHUTDOWN_TIMEOUT_MS, subscriptionReaderSpec, type ReaderSpec } from './kafka-reader.js';
import { KafkaSendQueue, type AfterSendDrop } from './kafka-send-queue.js';
import { FOREIGN_SUBJECT_LOG, RecentRequests, REFUSED_EXPIRES_LOG, RunningHandlers, serveRequest, type ServeContext } from './kafka-serve.js';
import { PartitionOrder } from './kafka-partition-order.js';
import { consumeKafkaStream, ensureKafkaStream, StreamRegistry } from './kafka-streams.js';
import { kafkaCall } from './kafka-request.js';
import { isValidSubject, KafkaHeader, SUBJECT_RULE, topicFor, topicForPattern } from './kafka-topics.js';
import { subjectMatches } from '../../subject-pattern.js';
import { newKafkaProducer, openKafkaClients, TopicCache } from './kafka-admin.js';
import { KafkaLimits } from './kafka-limits.js';
import { DEFAULT_LIVENESS_INTERVAL_MS, dropConnections, KAFKA_LIVENESS_LOST, KafkaLiveness } from './kafka-liveness.js';
import { ServedTopics } from './kafka-served.js';
import { brokerReason, readHeaders, toInbound, toRecord, type KafkaMessage } from './kafka-wire.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from '../../defaults.js';

/** The log line of requests skipped for an `fsbus-reply-to` that is no reply topic. */
export const UNANSWERABLE_REQUEST_LOG = "kafka request whose fsbus-reply-to is not a reply topic (fsbus.inbox.<name>, [A-Za-z0-9._-], at most 249 characters): skipped, not run";

/** Why publish() drops a subject (subjectProblem), in words that say where the rule comes from. */
const KAFKA_SUBJECT_RULE = `${SUBJECT_RULE} (Kafka's topic-name rule)`;

/** The log line of requests skipped because their `fsbus-reply-to` topic does not exist. */
export const ABSENT_REPLY_TOPIC_LOG = "kafka request whose fsbus-reply-to topic does not exist (a server never creates a requester's reply topic): skipped, not run";

/** Partitions of a competing lane's topic: how many agents can share it. @default 6 */
export const LANE_PARTITIONS = 6;
/** flush() waits this long for readers to join their groups (two watchdog rounds of the reader). @default 60000 */
export const FLUSH_TIMEOUT_MS = 60_000;
/**
 * close() lets the lane handlers already running finish this long (their replies then sent);
 * those still running after it lose their replies (counted in repliesDropped, logged). @default 10000
 */
export const CLOSE_HANDLERS_TIMEOUT_MS = SHUTDOWN_TIMEOUT_MS;

/** The warning of a close that cut lane handlers off (CLOSE_HANDLERS_TIMEOUT_MS). */
export const CLOSE_CUT_HANDLERS_LOG = 'kafka driver closed with lane handlers still running: their replies are dropped';

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
  promptNoResponders: false,
};

/** A consumer group's name: what @platformatic/kafka accepts (one or more characters, no white space). */
function assertGroupName(name: string, what: 'queue' | 'durable'): void {
  if (!/^\S+$/.test(name)) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot use ${JSON.stringify(name)} as a ${what} name (a consumer group): it must be one or more characters without white space`);
}

export function createKafkaDriver(options: DriverOptions): Driver {
  ensurePromiseWithResolvers();
  return new KafkaDriver(options);
}

/**
 * On DriverCore, not BaseDriver: requests and replies travel as records with reply-topic and
 * correlation headers (kafka-request.ts, kafka-serve.ts), and "no responders" is a missing topic.
 * Records the core sends while connected go to the send queue (kafka-send-queue.ts); while the
 * broker is away they wait in the core's outbox, flushed in order on reconnect.
 */
class KafkaDriver extends DriverCore {
  readonly name = 'kafka';
  readonly capabilities = CAPABILITIES;
  readonly #base: BaseOptions;
  readonly #clientId: string;
  readonly #readers = new Set<KafkaReader>();
  readonly #topics = new TopicCache(() => this.#admin);
  readonly #inbox: KafkaInbox;
  readonly #streams = new StreamRegistry();
  readonly #sends: KafkaSendQueue;
  readonly #limits = new KafkaLimits(() => this.#admin, this.options.logger);
  readonly #servedTopics = new ServedTopics(() => this.#admin, this.options.logger);
  readonly #liveness: KafkaLiveness;
  /** The outbox is being flushed into the send queue (flushOutbox). */
  #flushing = false;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #admin: Admin | undefined;
  #probe: { cancel(): void } | undefined;
  #subSeq = 0;
  /** Lane records being handled (KafkaDriver.close lets them finish). */
  readonly #running = new RunningHandlers();
  /** The close under way: no reader is started from then on. */
  #closing: Promise<void> | undefined;
  /** Requests skipped for a reply address that is no reply topic: counted each, said once per burst. */
  readonly #refuseUnanswerable = this.requestRefusal(UNANSWERABLE_REQUEST_LOG);
  /** Requests skipped for a reply topic that does not exist: counted each, said once per burst. */
  readonly #refuseAbsentReplyTopic = this.requestRefusal(ABSENT_REPLY_TOPIC_LOG);
  /** Records skipped on a lane's topic for a subject not the lane's: counted each, said once per burst. */
  readonly #refuseForeign = this.requestRefusal(FOREIGN_SUBJECT_LOG);
  /** Requests refused for an `fsbus-expires` that is not epoch milliseconds: counted each, said once per burst. */
  readonly #refuseExpires = this.requestRefusal(REFUSED_EXPIRES_LOG);
  /** The bootstrap list, for status events and logs. */
  readonly #servers = bootstrapList(this.options.urls).join(',');

  constructor(options: DriverOptions) {
    super(options);
    assertTlsFilesReadable(options.tls);
    this.#liveness = new KafkaLiveness(() => [this.#admin, this.#producer], livenessIntervalOption(options, DEFAULT_LIVENESS_INTERVAL_MS), (broker, silentMs) => this.#linkDead(broker, silentMs));
    this.#clientId = `${(options.name ?? 'fsbus').replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(4).toString('hex')}`;
    this.#base = baseOptions(options, this.#clientId);
    this.#inbox = new KafkaInbox(this.#base, this.#clientId, (t, again) => this.#ensureTopic(t, 1, again), options.logger);
    this.#sends = new KafkaSendQueue(
      {
        producer: () => this.#producer,
        topics: this.#topics,
        connected: () => this.status === 'connected',
        lost: (unsent) => this.#lost(unsent),
        // Pushed out of the send queue ('evicted' there): never produced, so not delivered.
        droppedAfterSend: (item, why, err) => this.#droppedAfterSend(item, why, err, why === 'evicted'),
        limit: () => this.#limits.smallest,
        logger: options.logger,
      },
      options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES,
      options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    );
  }

  /**
   * What a record's value may weigh: the smallest of the brokers' `message.max.bytes` and the
   * overrides of the lane topics this driver serves or requests, less room for the rest of the
   * record (kafka-limits.ts). Learned on connect, refreshed on reconnect, kept while reconnecting;
   * undefined before, after close, or when the broker would not say.
   */
  get maxPayloadBytes(): number | undefined {
    return this.status === 'closed' ? undefined : this.#limits.payload;
  }

  async connect(): Promise<void> {
    if (this.#producer !== undefined) return;
    this.assertOpen();
    let clients: Awaited<ReturnType<typeof openKafkaClients>>;
    try {
      clients = await openKafkaClients(this.#base);
    } catch (err) {
      if (this.status === 'closed') throw this.closedDuringConnect();
      throw connectError('Kafka', this.options.urls, err);
    }
    const { admin, producer } = clients;
    if (this.status !== 'closed') {
      this.#admin = admin;
      // Before 'connected': the first request or reply is weighed already.
      await this.#limits.refresh();
    }
    if (this.status === 'closed') {
      await Promise.allSettled([admin.close(), producer.close(true)]);
      throw this.closedDuringConnect();
    }
    this.#admin = admin;
    this.#producer = producer;
    for (const client of [admin, producer]) client.on('client:broker:disconnect', this.#disconnected);
    this.#online();
  }

  /** A connection of the admin or the producer dropped. */
  readonly #disconnected = (): void => this.#lost();

  /** What waited goes to the send queue first, then 'connected' (its listeners may publish), then the queue runs. */
  #online(): void {
    this.#servedTopics.reset();
    this.online(this.#servers);
    this.#sends.kick();
    if (this.status === 'connected') this.#liveness.start();
  }

  /**
   * A broker left the liveness check unanswered (frozen: its connections open, nothing read): the
   * link is lost as if it had dropped. Its connections are dropped too, and the producer and the
   * admin are replaced (#renewProducer, #renewAdmin), so what is in flight fails now (the send
   * queue hands it back, its requests told DISCONNECTED; a lookup fails) instead of at the
   * library's request timeout.
   */
  #linkDead(broker: string, silentMs: number): void {
    const clients = [this.#admin, this.#producer];
    this.#lost([], new Error(`${KAFKA_LIVENESS_LOST} for ${silentMs} ms (${broker}): connections dropped`));
    dropConnections(clients, broker);
    this.#renewProducer();
    this.#renewAdmin();
  }

  /**
   * Closes the producer whose connections the liveness check condemned; a new one (it dials when
   * the send queue produces after the reconnect) takes its place. Dropping the connection was not
   * enough: the library sends a produce that failed on it once more (`retries: 1`), on a new
   * connection to the broker still frozen, and waits out that connection's request timeout (30 s)
   * before the send queue hears of it. A closed producer fails that retry at once.
   */
  #renewProducer(): void {
    const old = this.#producer;
    if (old === undefined || this.status === 'closed') return;
    // Its close is no news: the link is taken for lost already.
    old.off('client:broker:disconnect', this.#disconnected);
    const producer = newKafkaProducer(this.#base);
    producer.on('client:broker:disconnect', this.#disconnected);
    this.#producer = producer;
    void old.close(true).catch(() => undefined);
  }

  /**
   * The same for the admin: a lookup on it (a topic's existence, a lane's groups or size limit, a
   * topic's creation, a durable's record) is sent once more on a new connection to the frozen
   * broker, where it waits out the library's 30 s request timeout, or the thaw. Closed, the old admin
   * fails it at once ('Client closed while retrying'). Everything reads the admin through
   * `this.#admin` when it calls, the reconnect probe too: it runs on the new one.
   */
  #renewAdmin(): void {
    const old = this.#admin;
    if (old === undefined || this.status === 'closed') return;
    old.off('client:broker:disconnect', this.#disconnected);
    const admin = new Admin(this.#base);
    admin.on('client:broker:disconnect', this.#disconnected);
    this.#admin = admin;
    void old.close().catch(() => undefined);
  }

  /**
   * Why an admin lookup made for `what` failed: DISCONNECTED when the link was taken for lost
   * meanwhile (the admin closed under it, #renewAdmin; nothing was sent), else `err` as it is.
   */
  #lookupFailed(what: string, err: unknown): unknown {
    if (this.status === 'connected' || (err instanceof TransportError && err.code !== TransportErrorCode.BROKER)) return err;
    return new TransportError(TransportErrorCode.DISCONNECTED, `${what}: the connection to Kafka was lost during a lookup before sending (not sent): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  /**
   * A connection dropped: probe the cluster until it answers again, with jittered backoff.
   * `unsent` records (from the send queue) go in front of what waits already, within the bound.
   * `reason`: why, when the driver itself took the link for dead (logged with 'reconnecting').
   */
  #lost(unsent: OutboxItem[] = [], reason?: Error): void {
    // publish() said 'sent' for them: the outbox marks them, and those its bound drops (now or as
    // newer messages come) are handed back (evictedAfterSend), where it would only count them.
    this.outbox.putBack(unsent);
    if (this.status !== 'connected') return;
    this.#liveness.stop();
    this.setStatus('reconnecting', undefined, reason);
    this.#probe = probeUntilUp(
      // The limits may have changed meanwhile (a broker restarted with another message.max.bytes).
      () => this.#admin?.metadata({ topics: [], forceUpdate: true }).then(() => this.#limits.refresh()) ?? Promise.reject(new Error('closed')),
      () => this.status === 'reconnecting',
      () => {
        this.reconnects++;
        this.#online();
      },
    );
  }

  /**
   * What waited goes to the send queue as carried (KafkaSendQueue.carry): never pushed out there
   * for room by what is published as 'connected' is said (the loss announcement first of all).
   */
  protected override flushOutbox(): void {
    this.#flushing = true;
    try {
      super.flushOutbox();
    } finally {
      this.#flushing = false;
    }
  }

  /** Its publisher's subject restored (the outbox holds the topic). */
  protected override evictedAfterSend(item: OutboxItem): void {
    this.#droppedAfterSend(item, 'evicted');
  }

  /** Sent again after a reconnect, refused before it reached the broker (rawSend: over a limit learned meanwhile). */
  protected override refusedAfterSend(item: OutboxItem, err: unknown): void {
    this.#droppedAfterSend(item, 'refused', err);
  }

  /**
   * A record handed over (publish() said 'sent', or a request was sent) is dropped after all
   * (AfterSendDrop): counted once and its publisher told, with its subject, not its topic, and
   * whether it never left (`unsent`: the send queue pushed it out; one the outbox pushes out, put
   * back by a lost connection, may have been in flight). One of this driver's own requests fails
   * at once, not at its timeout.
   */
  #droppedAfterSend(item: OutboxItem, why: AfterSendDrop, err?: unknown, unsent = false): void {
    const headers = item.headers;
    // Dropped for good, its topic never read again: no copy on a path every evicted event takes.
    item.subject = headers?.[KafkaHeader.SUBJECT] ?? item.subject;
    this.droppedAfterSend(item, false, unsent);
    if (item.kind === 'request' && headers?.[KafkaHeader.REPLY_TO] === this.#inbox.topic) this.#failRequest(item, why, err);
  }

  /** One of our requests the outbox lost unsent (OutboxItem.onRequestUnsent; counted there). */
  readonly #requestUnsent = (item: OutboxItem, refusal?: unknown): void => this.#failRequest(item, refusal === undefined ? 'evicted' : 'refused', refusal);

  /** Its requester hears why no reply comes, with its subject, not its topic. */
  #failRequest(item: OutboxItem, why: AfterSendDrop, err: unknown): void {
    const headers = item.headers;
    this.#inbox.fail(headers?.[KafkaHeader.CORRELATION_ID], requestDropped(headers?.[KafkaHeader.SUBJECT] ?? item.subject, why, err));
  }

  #live(): void {
    this.assertOpen();
    if (this.#producer === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected yet');
  }

  /** What publish() drops: topicFor() takes only a subject isValidSubject() passes. */
  override subjectProblem(subject: string): string | undefined {
    return isValidSubject(subject) ? undefined : KAFKA_SUBJECT_RULE;
  }

  override publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    const topic = topicFor(subject, this.options.namespace);
    if (topic === undefined) {
      // Never sendable: dropped, counted and logged (as the other drivers refuse one), never queued.
      this.outbox.dropped++;
      this.refusedLog.hit({ subject, reason: 'not a subject Kafka can carry' });
      return 'dropped';
    }
    const item: OutboxItem = { subject: topic, data, headers: { ...options?.headers, [KafkaHeader.SUBJECT]: subject }, onDroppedAfterSend: options?.onDroppedAfterSend, lossMark: options?.lossMark };
    // A fire-and-forget command (the async lane) runs on arrival: never produced twice.
    if (this.isCommand(subject)) item.kind = 'request';
    return this.send(item);
  }

  /**
   * Connected: into the send queue (its loop batches and produces). A record over what the broker
   * takes throws: the core drops, counts and logs it, as any refused publish (queued, the broker
   * would refuse it with every record of its batch).
   */
  protected rawSend(item: OutboxItem): void {
    const why = this.#limits.unsendable(item);
    if (why !== undefined) {
      const topic = item.subject;
      const key = toRecord(item).key?.toString('utf8');
      // Dropped for good, its topic never read again: the core's line (and its publisher, if told)
      // names the publisher's subject, not the topic; the error, the record key (a call's uuid).
      item.subject = item.headers?.[KafkaHeader.SUBJECT] ?? topic;
      throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka record of ${item.subject}${key === undefined ? '' : ` (key ${key.slice(0, 128)})`} to topic ${topic}: ${why}`);
    }
    if (this.#flushing) this.#sends.carry(item);
    else this.#sends.push(item);
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    this.#live();
    const topic = topicForPattern(pattern, this.options.namespace);
    if (topic === undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot map the pattern '${pattern}' to a topic (a wildcard must come after the subject's root: <prefix>.<name>.>)`);
    if (options?.queue !== undefined) assertGroupName(options.queue, 'queue');
    const spec = subscriptionReaderSpec(topic, options?.queue, `${this.#clientId}.sub.${++this.#subSeq}`);
    // A topic carries every subject below its root: a subscription takes those its pattern matches.
    return this.#read(pattern, spec, 1, (m, headers) => {
      if (subjectMatches(pattern, headers[KafkaHeader.SUBJECT] ?? m.topic)) handler(toInbound(m, headers));
    });
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    this.#live();
    const topic = topicForPattern(lane.subject, this.options.namespace);
    if (topic === undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `kafka cannot map the lane '${lane.subject}' to a topic`);
    const spec = laneReaderSpec(topic, lane, this.#clientId);
    const context: ServeContext = {
      lane: lane.subject,
      enqueue: (item) => this.send(item),
      topicFor: (subject) => topicFor(subject, this.options.namespace),
      served: (t) => this.#served(t),
      expired: (t, lateMs) => this.expiredOnArrival(t, lateMs),
      unanswerable: (t, replyTo) => this.#refuseUnanswerable({ topic: t, reply_to: replyTo.slice(0, 300) }),
      knownReplyTopic: (replyTo) => this.#topics.knownReplyTopic(replyTo),
      replyTopicExists: (replyTo) => this.#topics.replyTopicExists(replyTo),
      absentReplyTopic: (t, replyTo) => this.#refuseAbsentReplyTopic({ topic: t, reply_to: replyTo }),
      closed: () => this.status === 'closed',
      foreign: (t, subject) => this.#refuseForeign({ topic: t, subject: subject.slice(0, 300) }),
      refusedExpires: (subject, shown) => this.#refuseExpires({ subject: subject.slice(0, 300), expires: shown }),
      ran: new RecentRequests(),
      running: (work) => this.#running.track(work),
      logger: this.options.logger,
    };
    const order = new PartitionOrder(this.options.logger);
    // A lane's topic-level size limit counts in maxPayloadBytes: the replies and hand-offs it causes.
    return this.#read(lane.subject, spec, lane.competing ? LANE_PARTITIONS : 1, (m, headers) => {
      // Waiting behind its partition (a reply topic checked): handled all the same if a close begins.
      const waiting = order.run(m.partition, () => serveRequest(m, headers, handler, context));
      if (waiting !== undefined) this.#running.track(waiting);
    }, true);
  }

  #read(pattern: string, spec: ReaderSpec, partitions: number, onMessage: (m: KafkaMessage, headers: Record<string, string>) => void, watchLimit = false): Subscription {
    const reader = new KafkaReader(this.#base, spec, (m) => onMessage(m, readHeaders(m)), this.options.logger);
    // A topic deleted while it is read is created again before the reader's next attempt.
    reader.onMissingTopic = () => this.#ensureTopic(spec.topic, partitions, true);
    void this.#topics.ensure(spec.topic, partitions).then(
      () => {
        if (watchLimit) void this.#limits.watch(spec.topic);
        reader.start();
      },
      (err: unknown) => {
        this.emit({ type: 'error', error: err as Error });
        reader.start();
      },
    );
    return this.#track(pattern, reader);
  }

  /** Creates the topic unless it exists; `again`: it was found missing, so the cache's memory of it is wrong. */
  #ensureTopic(topic: string, partitions: number, again = false): Promise<void> {
    if (again) this.#topics.forget(topic);
    return this.#topics.ensure(topic, partitions).then(() => undefined);
  }

  /** The reader is closed with the driver, or by its subscription. */
  #track(subject: string, reader: KafkaReader): Subscription {
    if (this.#closing !== undefined) {
      // The close has closed the readers it found: this one would outlive it.
      void reader.close();
      throw new TransportError(TransportErrorCode.CLOSED, 'driver is closing');
    }
    this.#readers.add(reader);
    return {
      subject,
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
    return this.#call(subject, data, options, options);
  }

  /**
   * Kafka has no "no responders": a lane's topic that nobody ever created has nobody serving it,
   * nor one whose consumer groups are all empty (its readers stopped or crashed: kafka-served.ts).
   * While the broker is away the question waits: what is sent waits in the outbox meanwhile.
   */
  async #served(topic: string): Promise<boolean> {
    if (this.status !== 'connected') return true;
    if (!(await this.#topics.seen(topic))) return false;
    return this.#servedTopics.served(topic);
  }

  #call(subject: string, data: Uint8Array, options: RequestOptions, gather: GatherEnds | undefined): Promise<InboundMessage[]> {
    this.#live();
    return kafkaCall(
      {
        inbox: this.#inbox,
        topicFor: (s) => topicFor(s, this.options.namespace),
        served: (topic) =>
          this.#served(topic).catch((err: unknown) => {
            throw this.#lookupFailed(`${gather === undefined ? 'request to' : 'gather on'} ${subject}`, err);
          }),
        enqueue: (item) => {
          // Pushed out of the outbox for room (or refused when flushed), the request fails at once;
          // once in the send queue (said 'sent'), #droppedAfterSend tells it instead.
          item.onRequestUnsent = this.#requestUnsent;
          return this.send(item);
        },
        unsendable: (item) => this.#limits.unsendable(item),
        // While the broker is away the request waits in the outbox: no lookup to wait for.
        learn: (topic) => (this.status === 'connected' ? this.#limits.watch(topic) : Promise.resolve()),
      },
      subject,
      data,
      { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
      gather,
    );
  }

  override async ensureStream(spec: StreamSpec): Promise<void> {
    this.#live();
    try {
      await ensureKafkaStream(spec, this.options.namespace, this.#streams, (t, configs) => this.#topics.ensure(t, 1, configs), (t) => this.send(t), () => this.#admin, this.options.logger);
    } catch (err) {
      throw this.#lookupFailed(`stream ${spec.name}`, err);
    }
    await this.flush();
  }

  override async consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    this.#live();
    if (options.durable !== undefined) assertGroupName(options.durable, 'durable');
    if (this.#admin === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected yet');
    // The admin as it is when used: the liveness check may replace it (#renewAdmin), before the unsubscribe too.
    let consumer: Awaited<ReturnType<typeof consumeKafkaStream>>;
    try {
      consumer = await consumeKafkaStream(options, this.#streams, this.#base, () => this.#admin, `${this.#clientId}.replay`, handler, this.options.logger);
    } catch (err) {
      throw this.#lookupFailed(`durable read of stream ${options.stream}`, err);
    }
    const { reader, stopped } = consumer;
    const sub = this.#track(options.stream, reader);
    if (stopped === undefined) return sub;
    return {
      subject: sub.subject,
      unsubscribe: async () => {
        await sub.unsubscribe();
        if (this.status === 'connected') await stopped();
      },
    };
  }

  /**
   * Readers joined and positioned (a request sent after this is seen), then the send queue drained.
   * Bounded: a reader still not positioned after FLUSH_TIMEOUT_MS (its own watchdog restarts it
   * meanwhile) fails the flush with the topics and groups that are missing.
   */
  async flush(): Promise<void> {
    this.assertFlushable();
    const waiting = [...this.#readers];
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(waiting.map((r) => r.ready)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const missing = waiting.filter((r) => !r.positioned && this.#readers.has(r)).map((r) => `${r.spec.topic} (group ${r.spec.group})`);
            reject(new TransportError(TransportErrorCode.TIMEOUT, `kafka readers not positioned within ${FLUSH_TIMEOUT_MS} ms: ${missing.join(', ')}`));
          }, FLUSH_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    // The size limits of the lanes just served are known before anyone replies on them.
    await this.#limits.settled();
    await this.#sends.idle();
  }

  /** Published = acknowledged by the broker; pending and dropped add the send queue's. */
  override stats(): DriverStats {
    const core = super.stats();
    return {
      ...core,
      published: this.#sends.acked,
      dropped: core.dropped + this.#sends.dropped,
      repliesDropped: core.repliesDropped + this.#sends.repliesDropped,
      pending: core.pending + this.#sends.size,
    };
  }

  /**
   * The readers first: from now on none hands a new record over (a competing lane's next owner
   * reads it), and what a lane committed before running it is run. Those handlers, and any still
   * running, may finish and their replies go out (CLOSE_HANDLERS_TIMEOUT_MS), before the driver
   * counts as closed and stops sending: a request it accepted does not lose its reply. Idempotent:
   * a second call waits for the first.
   */
  close(): Promise<void> {
    if (this.status === 'closed') return Promise.resolve();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const readers = [...this.#readers];
    this.#readers.clear();
    await Promise.allSettled(readers.map((r) => r.close()));
    if (!(await this.#running.settled(CLOSE_HANDLERS_TIMEOUT_MS))) {
      this.options.logger?.warn({ handlers: this.#running.size, timeout_ms: CLOSE_HANDLERS_TIMEOUT_MS }, CLOSE_CUT_HANDLERS_LOG);
    }
    // Only what is queued is sent: readers still joining a group are not waited for.
    await this.#sends.idle().catch(() => undefined);
    this.markClosed();
    this.#liveness.stop();
    this.#limits.clear();
    this.#probe?.cancel();
    this.#sends.discard();
    const inbox = this.#inbox.opened;
    await this.#inbox.close();
    if (inbox) await this.#admin?.deleteTopics({ topics: [this.#inbox.topic] }).catch(() => undefined);
    await Promise.allSettled([this.#producer?.close(true), this.#admin?.close()]);
  }
}

/** Why one of our requests dropped after it was handed over will get no reply (`why`: AfterSendDrop). */
function requestDropped(subject: string, why: AfterSendDrop, err: unknown): TransportError {
  switch (why) {
    case 'lost':
      return new TransportError(TransportErrorCode.DISCONNECTED, `request to ${subject}: the connection to Kafka was lost before the broker confirmed it (it may have run; it is not sent again)`);
    case 'evicted':
      return requestNeverSent(`request to ${subject}`);
    case 'refused':
      return requestNeverSent(`request to ${subject}`, err ?? 'refused', brokerReason(err));
    case 'refusedWithBatch':
      return new TransportError(TransportErrorCode.BROKER, `request to ${subject}: Kafka refused the batch it went in: ${brokerReason(err)} (it may have run; it is not sent again)`, { cause: err });
  }
}
