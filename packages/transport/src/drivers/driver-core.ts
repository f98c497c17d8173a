/**
 * What EVERY driver shares: the status machine and its listeners, the bounded outbox (send now
 * when connected, else buffer within the bound and count drops, flush in order on reconnect), the
 * ServeRequest a lane handler gets, stats, and "no durable streams" by default. A subclass moves
 * bytes (`rawSend`) and reports its connection (`setStatus`, `reconnects`, `flushOutbox`).
 * BaseDriver adds request/reply correlation for brokers without native request/reply; drivers
 * whose broker or protocol has its own (NATS inboxes, Kafka reply topics, the ZeroMQ wire) extend
 * this class directly.
 */
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
  ServeRequest,
  StreamSpec,
  Subscription,
} from '../driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import { Outbox, type OutboxItem } from '../outbox.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES } from '../defaults.js';

export abstract class DriverCore implements Driver {
  abstract readonly name: string;
  abstract readonly capabilities: DriverCapabilities;
  protected readonly options: DriverOptions;
  protected readonly outbox: Outbox;
  protected published = 0;
  protected reconnects = 0;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  #status: DriverStatus = 'connecting';

  constructor(options: DriverOptions) {
    this.options = options;
    this.outbox = new Outbox(options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
  }

  abstract connect(): Promise<void>;
  abstract close(): Promise<void>;
  abstract subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription;
  abstract serve(lane: Lane, handler: ServeHandler): Subscription;
  abstract request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<InboundMessage>;
  abstract gather(subject: string, data: Uint8Array, options?: GatherOptions): Promise<InboundMessage[]>;
  abstract flush(): Promise<void>;
  /** Sends one item now; throws only for what can never be sent (it is then dropped and counted). */
  protected abstract rawSend(item: OutboxItem): void;

  get status(): DriverStatus {
    return this.#status;
  }

  on(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  protected setStatus(status: DriverStatus, server?: string): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    this.options.logger?.info({ driver: this.name, status, server }, 'broker status');
    this.emit(server === undefined ? { type: 'status', status } : { type: 'status', status, server });
  }

  protected emit(event: DriverEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.options.logger?.error({ err }, 'driver listener threw');
      }
    }
  }

  protected assertOpen(): void {
    if (this.#status === 'closed') throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    return this.send({ subject, data, headers: options?.headers });
  }

  /** Sent now when connected, else into the bounded outbox (flushed in order on reconnect). */
  protected send(item: OutboxItem): PublishOutcome {
    if (this.#status === 'closed') {
      this.outbox.dropped++;
      return 'dropped';
    }
    if (this.#status !== 'connected') return this.outbox.push(item) ? 'buffered' : 'dropped';
    try {
      this.rawSend(item);
      this.published++;
      return 'sent';
    } catch (err) {
      this.outbox.dropped++;
      this.options.logger?.warn({ err, subject: item.subject }, 'publish refused, dropped');
      return 'dropped';
    }
  }

  /** Call once the connection and every subscription are back: sends what waited, in order. */
  protected flushOutbox(): void {
    for (const item of this.outbox.drain()) {
      try {
        this.rawSend(item);
        this.published++;
      } catch (err) {
        this.outbox.dropped++;
        this.options.logger?.warn({ err, subject: item.subject }, 'buffered publish refused, dropped');
      }
    }
  }

  /** Builds the ServeRequest for a message that arrived on a lane and runs the handler. */
  protected dispatch(message: InboundMessage, replyTo: string | undefined, correlationId: string | undefined, handler: ServeHandler): void {
    let replied = false;
    const request: ServeRequest = {
      ...message,
      expectsReply: replyTo !== undefined,
      reply: (data) => {
        if (replyTo === undefined || replied) return false;
        replied = true;
        return this.send({ kind: 'reply', subject: replyTo, data, correlationId }) !== 'dropped';
      },
      forward: (subject) => {
        // Same bytes, same reply address: the other node answers the original requester.
        replied = true;
        this.send({ subject, data: message.data, headers: message.headers, replyTo, correlationId });
      },
    };
    runLaneHandler(request, handler, this.options.logger);
  }

  ensureStream(spec: StreamSpec): Promise<void> {
    return Promise.reject(new TransportError(TransportErrorCode.UNSUPPORTED, `the ${this.name} driver has no durable streams (stream ${spec.name})`));
  }

  consumeDurable(options: ConsumeDurableOptions, _handler: (message: DurableMessage) => void): Promise<Subscription> {
    return Promise.reject(new TransportError(TransportErrorCode.UNSUPPORTED, `the ${this.name} driver has no durable streams (stream ${options.stream})`));
  }

  stats(): DriverStats {
    return {
      published: this.published,
      buffered: this.outbox.buffered,
      dropped: this.outbox.dropped,
      pending: this.outbox.size,
      reconnects: this.reconnects,
    };
  }

  /** Marks the driver closed and drops the outbox (counted). */
  protected markClosed(): void {
    this.outbox.discard();
    this.setStatus('closed');
  }
}

/**
 * Runs a lane handler: reply bytes it returns (now or from its promise) become the reply; a throw
 * or a rejection is logged, never thrown into the driver's receive loop.
 */
export function runLaneHandler(request: ServeRequest, handler: ServeHandler, logger: DriverOptions['logger']): void {
  const done = (bytes: Uint8Array | undefined) => {
    if (bytes !== undefined) request.reply(bytes);
  };
  try {
    const out = handler(request);
    if (out instanceof Promise) out.then(done, (err: unknown) => logger?.error({ err, subject: request.subject }, 'lane handler failed'));
    else done(out);
  } catch (err) {
    logger?.error({ err, subject: request.subject }, 'lane handler threw');
  }
}

/** Splits `urls` entries on commas, trims, drops empties. */
export function urlList(urls: readonly string[]): string[] {
  return urls.flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '');
}
