/**
 * The AMQP 0-9-1 (RabbitMQ) driver. One topic exchange `<namespace>` carries everything with the
 * subject as routing key. Competing lanes are one shared queue named after the lane; other lanes
 * and subscriptions get a queue of their own per server. Requests use RabbitMQ's direct reply-to
 * (`amq.rabbitmq.reply-to`) + `correlation_id`, published `mandatory` so an unroutable request is
 * returned (no responders). Publisher confirms back `flush()` and bound how far the driver writes
 * ahead of the broker (publish-confirms.ts). amqplib does not reconnect: this driver does, with
 * jittered backoff over the URL list, setting its queues and consumers up again (amqp-consumers.ts)
 * before the bounded outbox is flushed. Durable streams are stream queues (amqp-streams.ts).
 */
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message } from 'amqplib';
import { BaseDriver, DEFAULT_CONNECT_TIMEOUT_MS, backoffMs, urlList } from '../base-driver.js';
import { connectError } from '../driver-core.js';
import { assertPattern } from '../../subject-pattern.js';
import type { ConsumeDurableOptions, DriverCapabilities, DriverOptions, DriverStats, DurableMessage, InboundMessage, Lane, ServeHandler, StreamSpec, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertTlsFilesReadable } from '../../tls-material.js';
import { redact } from '../../redact.js';
import type { OutboxItem } from '../../outbox.js';
import { writeWindowBytes } from '../../defaults.js';
import { brokerCloseReason, closeAmqp, refusedHandshake } from './amqp-close.js';
import { amqpSocketOptions, amqpUrl, bindingKey, persistentMatcher, withTlsScheme } from './amqp-options.js';
import { ensureAmqpStream, StreamConsumer } from './amqp-streams.js';
import { AmqpConsumers } from './amqp-consumers.js';
import { assertRoutingKey, ConsumerRefused, outboundHeaders, routingKeyProblem, servedInbound, toInbound } from './amqp-wire.js';
import { MIN_AMQP_WINDOW_BYTES, PublishConfirms } from './publish-confirms.js';
import { DIRECT_REPLY_TO, directReplyToProblem, shownReplyAddress } from './direct-reply-to.js';

export { DIRECT_REPLY_TO };
/** @default 'freeswitch' */
export const DEFAULT_AMQP_EXCHANGE = 'freeswitch';
/** AMQP's short-string limit: a binding key (a subscribe pattern) longer than this cannot be sent. */
const MAX_BINDING_KEY_BYTES = 255;
/**
 * How long a connection stays up before the reconnect backoff starts again from its shortest
 * delay: one the broker closes as soon as it opens (something sent on it makes it fail) is
 * retried ever more slowly, not 10 times a second.
 */
const STABLE_CONNECTION_MS = 10_000;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
  promptNoResponders: true,
};

/**
 * What a JSON body says it is: every contract body (event, reply, request) is a JSON object, and
 * consumers that decode by content type (Spring AMQP's Jackson converter; mod_amqp sent `text/json`)
 * or show it (the management UI, shovels) need the property. UTF-8 is JSON's own encoding: no
 * `content_encoding`.
 */
const JSON_CONTENT_TYPE = 'application/json';
/** `{`, the first byte of every contract body. */
const OPEN_BRACE = 0x7b;

/** JSON_CONTENT_TYPE for a body that is a JSON object (one byte read); none for other bytes a library user publishes. */
function contentTypeOf(content: Buffer): string | undefined {
  return content[0] === OPEN_BRACE ? JSON_CONTENT_TYPE : undefined;
}

export const CONNECTION_BLOCKED_LOG = 'RabbitMQ blocked the connection (resource alarm): publishes wait until it unblocks';
export const CONNECTION_UNBLOCKED_LOG = 'RabbitMQ unblocked the connection: publishes flow again';

export function createAmqpDriver(options: DriverOptions): AmqpDriver {
  return new AmqpDriver(options);
}

export class AmqpDriver extends BaseDriver {
  readonly name = 'amqp';
  readonly capabilities = CAPABILITIES;
  readonly #exchange: string;
  readonly #urls: string[];
  readonly #consumers: AmqpConsumers;
  /** Subjects published persistent (DriverOptions.persistentSubjects); undefined: none. */
  readonly #persistent: ((subject: string) => boolean) | undefined;
  readonly #streamConsumers = new Set<StreamConsumer>();
  #conn: ChannelModel | undefined;
  #ch: ConfirmChannel | undefined;
  /**
   * This driver's own requests (and gathers) published on the current channel and not settled yet:
   * their replies can only come back on it (direct reply-to), so they fail when it dies. Each leaves
   * when it settles, its payload with it.
   */
  readonly #awaitingReplies = new Set<OutboxItem>();
  readonly #confirms = new PublishConfirms(writeWindowBytes(this.options.bufferBytes, MIN_AMQP_WINDOW_BYTES), {
    outbox: this.outbox,
    closed: () => this.status === 'closed',
    unpublished: () => this.published--,
    room: () => this.releaseHeld(),
    droppedAfterSend: (item, refused) => this.droppedAfterSend(item, refused),
    warn: (fields, msg) => this.options.logger?.warn(fields, msg),
  });
  /** Requests whose reply address RabbitMQ cannot take. */
  readonly #refuseReplyTo = this.requestRefusal('request with a reply address RabbitMQ cannot take: skipped, not run');
  #urlIndex = 0;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The last direct reply-to name found good: a requester sends all its requests with one. */
  #goodReplyTo = '';
  /** Until it fires, the current connection is too young to reset the backoff (STABLE_CONNECTION_MS). */
  #stableTimer: NodeJS.Timeout | undefined;
  #connecting: Promise<void> | undefined;
  /** While RabbitMQ blocks the current connection: its reason, since when (performance.now()). */
  #blocked: { reason: string; since: number } | undefined;

  constructor(options: DriverOptions) {
    super(options);
    assertTlsFilesReadable(options.tls);
    this.#exchange = options.namespace ?? DEFAULT_AMQP_EXCHANGE;
    this.#urls = urlList(options.urls);
    this.#persistent = persistentMatcher(options);
    this.#consumers = new AmqpConsumers(this.#exchange, (error) => this.emit({ type: 'error', error }));
  }

  protected replyAddress(): string {
    return DIRECT_REPLY_TO;
  }

  async connect(): Promise<void> {
    this.assertOpen();
    if (this.#conn !== undefined) return;
    this.#connecting ??= this.#open();
    try {
      await this.#connecting;
    } catch (err) {
      if (this.status === 'closed') throw this.closedDuringConnect();
      throw connectError('RabbitMQ', this.#urls, err);
    } finally {
      this.#connecting = undefined;
    }
    if (this.status === 'closed') {
      // close() ran meanwhile: it could not close a connection it did not have yet.
      // (#open set it: TypeScript still narrows it to the undefined of the check above.)
      const conn = this.#conn as ChannelModel | undefined;
      this.#conn = undefined;
      this.#ch = undefined;
      await closeAmqp(conn);
      throw this.closedDuringConnect();
    }
    // Publishes made before connect() resolved waited in the outbox: out first, then 'connected'.
    this.online(this.#urls[this.#urlIndex]);
  }

  /** Tries each URL once, starting with the last good one; sets up the channel and consumers. */
  async #open(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < this.#urls.length; i++) {
      const index = (this.#urlIndex + i) % this.#urls.length;
      const raw = this.#urls[index]!;
      const timeout = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      let conn: ChannelModel | undefined;
      try {
        conn = await connect(amqpUrl(withTlsScheme(raw, this.options), this.options), amqpSocketOptions(this.options, timeout));
        // Heard before the channel opens: a connection dropped (or a missed heartbeat) while it
        // opens is an 'error' event, and an unheard one would throw out of the process.
        conn.on('error', (err: Error) => this.emit({ type: 'error', error: err }));
        const ch = await conn.createConfirmChannel();
        await this.#prepare(conn, ch);
        this.#urlIndex = index;
        return;
      } catch (err) {
        last = err;
        await closeAmqp(conn);
        if (this.status === 'closed') break;
        // That consumer is gone now: the same broker again, without it.
        if (err instanceof ConsumerRefused) i--;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async #prepare(conn: ChannelModel, ch: ConfirmChannel): Promise<void> {
    // amqplib moves a channel the broker closed to 'closed' before the refused operation's rejection is seen.
    let chClosed = false;
    ch.once('close', () => (chClosed = true));
    // The broker's reason for closing the channel, said when the driver reconnects for it.
    let chError: Error | undefined;
    ch.on('error', (err: Error) => {
      chError = err;
      this.emit({ type: 'error', error: err });
    });
    ch.on('return', (msg: Message) => {
      // A mandatory request nobody is bound for: tell the requester now instead of a timeout.
      const id = msg.properties.correlationId as unknown;
      if (typeof id === 'string' && msg.properties.replyTo !== undefined) this.noResponders(id);
    });
    await ch.assertExchange(this.#exchange, 'topic', { durable: true });
    // Direct reply-to must be consumed (no-ack) on the channel that publishes the requests.
    await ch.consume(DIRECT_REPLY_TO, (msg) => {
      if (msg !== null) this.deliverReply(msg.properties.correlationId as string | undefined, toInbound(msg));
    }, { noAck: true });
    await this.#consumers.restore(ch, () => chClosed);
    this.#conn = conn;
    this.#ch = ch;
    this.#confirms.newChannel();
    // Once set up: a channel error (e.g. a refused declare) or a lost connection both reconnect.
    ch.on('close', () => {
      if (this.#ch !== ch) return;
      this.#closedByBroker('channel', chError);
      // Lost at once, not when the connection's own close follows: what is published meanwhile
      // waits in the outbox instead of meeting a closed channel.
      this.#lost(conn);
      void closeAmqp(conn);
    });
    // A resource alarm stops every publish without closing anything: said, or the events stop in silence.
    conn.on('blocked', (reason: unknown) => {
      if (this.#conn !== conn || this.#blocked !== undefined) return;
      this.#blocked = { reason: String(reason), since: performance.now() };
      this.options.logger?.warn({ driver: this.name, reason: this.#blocked.reason, server: redact(this.#urls[this.#urlIndex] ?? '') }, CONNECTION_BLOCKED_LOG);
    });
    conn.on('unblocked', () => {
      if (this.#conn !== conn) return;
      this.#unblocked();
    });
    conn.on('close', (err?: Error) => {
      // amqplib closes the channels (the loss is reported there) before the connection says why.
      this.#closedByBroker('connection', err);
      this.#lost(conn);
    });
    // Replays go on where they stopped; one that cannot (stream deleted) is reported, not fatal.
    for (const s of this.#streamConsumers) await s.attach(conn).catch((err: unknown) => this.emit({ type: 'error', error: err as Error }));
  }

  /** The broker's code and text, when it is the broker that closed `what` (not a lost socket, not close()). */
  #closedByBroker(what: 'connection' | 'channel', err: Error | undefined): void {
    const reason = brokerCloseReason(err);
    if (reason === undefined || this.status === 'closed') return;
    this.options.logger?.warn({ driver: this.name, ...reason, server: redact(this.#urls[this.#urlIndex] ?? '') }, `RabbitMQ closed the ${what}`);
  }

  /** RabbitMQ lifted the block: said with how long it held. */
  #unblocked(): void {
    const b = this.#blocked;
    if (b === undefined) return;
    this.#blocked = undefined;
    this.options.logger?.info({ driver: this.name, reason: b.reason, blocked_ms: Math.round(performance.now() - b.since) }, CONNECTION_UNBLOCKED_LOG);
  }

  #lost(conn: ChannelModel): void {
    if (this.#conn !== conn) return;
    clearTimeout(this.#stableTimer);
    // A new connection is blocked anew if the alarm still holds (the reconnect's status line says the rest).
    this.#blocked = undefined;
    this.#conn = undefined;
    this.#ch = undefined;
    this.#consumers.detach();
    for (const s of this.#streamConsumers) s.detach();
    const awaiting = [...this.#awaitingReplies];
    this.#awaitingReplies.clear();
    if (this.status === 'closed') return;
    this.setStatus('reconnecting');
    this.#schedule();
    // Their direct reply-to consumer went with the channel: a reply can never arrive. Not sent
    // again either (it may have run): the requester hears it now instead of at its timeout.
    for (const item of awaiting) {
      if (item.correlationId === undefined) continue;
      this.requestLost(item.correlationId, new TransportError(TransportErrorCode.DISCONNECTED, `request to ${item.subject}: the connection to RabbitMQ was lost before the reply came (it may have run)`));
    }
  }

  protected override requestSettled(item: OutboxItem): void {
    this.#awaitingReplies.delete(item);
  }

  override stats(): DriverStats {
    const stats: DriverStats = { ...super.stats(), awaitingReplies: this.#awaitingReplies.size };
    if (this.#blocked !== undefined) stats.blocked = this.#blocked.reason;
    return stats;
  }

  #schedule(): void {
    const delayMs = backoffMs(this.#attempt++);
    this.options.logger?.debug({ driver: this.name, attempt: this.#attempt, delay_ms: delayMs }, 'reconnect scheduled');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open().then(
        () => {
          if (this.status === 'closed') {
            void closeAmqp(this.#conn);
            return;
          }
          // Not reset yet: a connection the broker closes at once (something sent on it fails) is retried ever more slowly.
          this.#stableTimer = setTimeout(() => (this.#attempt = 0), STABLE_CONNECTION_MS);
          this.#stableTimer.unref();
          this.reconnects++;
          this.online(this.#urls[this.#urlIndex]);
        },
        (err: unknown) => {
          if (this.status === 'closed') return;
          // The broker refusing the login (a password changed meanwhile) is said, not retried in silence.
          if (refusedHandshake(err)) this.reconnectRefused('RabbitMQ', this.#urls.join(','), err);
          else this.options.logger?.debug({ err }, 'reconnect failed');
          this.#schedule();
        },
      );
    }, delayMs);
  }

  protected override get writeWindow(): PublishConfirms {
    return this.#confirms;
  }

  /** rawSend's refusal of a publish: the subject is its routing key. */
  override subjectProblem(subject: string): string | undefined {
    return routingKeyProblem(subject);
  }

  protected rawSend(item: OutboxItem): void {
    const ch = this.#ch;
    if (ch === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'no channel');
    const content = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength);
    // The AMQP timestamp is whole seconds (as mod_amqp's): when this send went, a message sent
    // again after a reconnect included. Both fields in the literal: no spread, nothing copied.
    const props: Record<string, unknown> = { contentType: contentTypeOf(content), timestamp: Math.floor(Date.now() / 1000) };
    if (item.headers !== undefined) {
      const out = outboundHeaders(item.headers, item.kind === 'request' || item.replyTo !== undefined);
      // No empty table: a copy that had only the correlation id goes out without headers.
      if (Object.keys(out.headers).length > 0) props['headers'] = out.headers;
      if (out.correlationId !== undefined) props['correlationId'] = out.correlationId;
    }
    if (item.correlationId !== undefined) props['correlationId'] = item.correlationId;
    if (item.kind === 'reply') {
      ch.publish('', item.subject, content, props, this.#confirms.track(item));
      return;
    }
    assertRoutingKey(item.subject);
    if (item.replyTo !== undefined) {
      props['replyTo'] = item.replyTo;
      // A request nobody is bound for comes back (basic.return) instead of vanishing.
      props['mandatory'] = true;
    }
    // A command is worth running only while its requester still waits: the time left, not the timeout.
    if (item.deadline !== undefined) props['expiration'] = String(Math.max(1, Math.round(item.deadline - performance.now())));
    // Events a durable queue must keep across a broker restart (delivery_mode 2). Never a request:
    // it is worth running only while its requester waits, and its reply could only come back on
    // this connection's direct reply-to, gone with the restart.
    if (this.#persistent !== undefined && item.replyTo === undefined && item.kind !== 'request' && this.#persistent(item.subject)) props['persistent'] = true;
    ch.publish(this.#exchange, item.subject, content, props, this.#confirms.track(item));
    // Our own request (a hand-off carries its requester's reply address, not ours).
    if (item.replyTo === DIRECT_REPLY_TO) this.#awaitingReplies.add(item);
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    // A queue group is per pattern, as in NATS: one shared queue for two patterns would hand each
    // subscriber the other's messages (and take its own away).
    const queue = options?.queue === undefined ? undefined : `${options.queue}|${pattern}`;
    return this.#consume(queue, pattern, (msg) => {
      try {
        handler(toInbound(msg));
      } catch (err) {
        this.options.logger?.error({ err, subject: msg.fields.routingKey }, 'subscriber threw');
      }
    });
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    const queue = lane.competing ? (lane.group ?? lane.subject) : undefined;
    return this.#consume(queue, lane.subject, (msg) => {
      const replyTo = msg.properties.replyTo as unknown;
      if (typeof replyTo === 'string' && replyTo !== '' && this.#refusesReplyTo(msg.fields.routingKey, replyTo)) return;
      // `expiration` is the requester's time left when it was sent: an upper bound for a hand-off.
      const ttl = Number(msg.properties.expiration as unknown);
      const deadline = Number.isFinite(ttl) && ttl > 0 ? performance.now() + ttl : undefined;
      this.dispatch(servedInbound(msg), typeof replyTo === 'string' && replyTo !== '' ? replyTo : undefined, msg.properties.correlationId as string | undefined, handler, deadline);
    });
  }

  /**
   * True for a reply address RabbitMQ cannot take (direct-reply-to.ts): publishing to it would get
   * the connection closed. The request is not run (its requester could never learn the outcome;
   * one that retries would run it twice): counted, said once per burst.
   */
  #refusesReplyTo(subject: string, replyTo: string): boolean {
    if (replyTo === this.#goodReplyTo) return false;
    const problem = directReplyToProblem(replyTo);
    if (problem === undefined) {
      this.#goodReplyTo = replyTo;
      return false;
    }
    this.#refuseReplyTo({ driver: this.name, subject, reply_to: shownReplyAddress(replyTo), problem });
    return true;
  }

  #consume(queue: string | undefined, pattern: string, onMessage: (msg: ConsumeMessage) => void): Subscription {
    this.assertOpen();
    assertPattern(pattern, '#', MAX_BINDING_KEY_BYTES);
    return { subject: pattern, unsubscribe: this.#consumers.add(queue, bindingKey(pattern), onMessage) };
  }

  override async ensureStream(spec: StreamSpec): Promise<void> {
    this.assertOpen();
    await ensureAmqpStream(this.#conn, this.#exchange, spec);
  }

  override async consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    this.assertOpen();
    const conn = this.#conn;
    if (conn === undefined) throw new TransportError(TransportErrorCode.BROKER, `cannot consume stream ${options.stream}: not connected`);
    const consumer = new StreamConsumer(this.#exchange, options, handler, (error) => this.emit({ type: 'error', error }), this.options.logger);
    await consumer.attach(conn);
    this.#streamConsumers.add(consumer);
    return {
      subject: consumer.subject,
      unsubscribe: async () => {
        this.#streamConsumers.delete(consumer);
        await consumer.unsubscribe();
      },
    };
  }

  async flush(): Promise<void> {
    this.assertFlushable();
    await this.#consumers.settled;
    const ch = this.#ch;
    if (ch === undefined || this.status !== 'connected') return;
    // What the window held goes out as the broker confirms what came before it: every message held
    // when flush() was called must have left the outbox (sent, or dropped for room) before the
    // final wait for confirms.
    try {
      await this.sendHeld(() => this.whileConnected(ch.waitForConfirms()));
      await this.whileConnected(ch.waitForConfirms());
    } catch (err) {
      if (err instanceof TransportError) throw err;
      // amqplib fails the confirms of a channel that went with its connection before that 'close': lost, not refused.
      if (this.#ch !== ch) throw this.lostDuringFlush(err);
      throw new TransportError(TransportErrorCode.BROKER, `flush: the broker did not confirm every message: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    clearTimeout(this.#stableTimer);
    const conn = this.#conn;
    const ch = this.#ch;
    if (ch !== undefined) {
      await this.#consumers.settled;
      // Held by the window, not by an outage: the goodbye takes them too.
      if (this.status === 'connected' && this.outbox.size > 0) this.flushOutbox();
      await ch.waitForConfirms().catch(() => undefined);
    }
    this.#consumers.clear();
    for (const s of this.#streamConsumers) await s.unsubscribe();
    this.#streamConsumers.clear();
    this.markClosed();
    this.#confirms.flushLog();
    this.#conn = undefined;
    this.#ch = undefined;
    await closeAmqp(conn);
  }
}
