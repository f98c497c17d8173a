/**
 * What the brokers without native request/reply share (AMQP, Redis, MQTT): status and listeners,
 * the bounded outbox, correlation of replies to requests (one or many, for gather), and the
 * ServeRequest a lane handler gets. A subclass only moves bytes: `rawSend` one item now (throw
 * when it can never be sent) and call `deliverReply`/`noResponders`/`dispatch` on what arrives.
 */
import { randomUUID } from 'node:crypto';
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
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from '../defaults.js';
export { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS };

interface Pending {
  subject: string;
  /** undefined: a single request; a number: gather until that many (Infinity: until the timeout). */
  expect: number | undefined;
  replies: InboundMessage[];
  resolve(replies: InboundMessage[]): void;
  reject(err: Error): void;
  cleanup(): void;
}

export abstract class BaseDriver implements Driver {
  abstract readonly name: string;
  abstract readonly capabilities: DriverCapabilities;
  protected readonly options: DriverOptions;
  protected readonly outbox: Outbox;
  protected published = 0;
  protected reconnects = 0;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  readonly #pending = new Map<string, Pending>();
  #status: DriverStatus = 'connecting';

  constructor(options: DriverOptions) {
    this.options = options;
    this.outbox = new Outbox(options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
  }

  abstract connect(): Promise<void>;
  abstract close(): Promise<void>;
  abstract subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription;
  abstract serve(lane: Lane, handler: ServeHandler): Subscription;
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
    const done = (bytes: Uint8Array | undefined) => {
      if (bytes !== undefined) request.reply(bytes);
    };
    try {
      const out = handler(request);
      if (out instanceof Promise) out.then(done, (err: unknown) => this.options.logger?.error({ err, subject: message.subject }, 'lane handler failed'));
      else done(out);
    } catch (err) {
      this.options.logger?.error({ err, subject: message.subject }, 'lane handler threw');
    }
  }

  /** Address replies to this client come back on (per driver). */
  protected abstract replyAddress(): string;

  request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    return this.#ask(subject, data, options, undefined).then((r) => r[0]!);
  }

  gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    return this.#ask(subject, data, options, options.expect ?? Infinity);
  }

  #ask(subject: string, data: Uint8Array, options: RequestOptions, expect: number | undefined): Promise<InboundMessage[]> {
    this.assertOpen();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted === true) {
      return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
    }
    const id = randomUUID();
    const promise = new Promise<InboundMessage[]>((resolve, reject) => {
      const onAbort = () => this.#settle(id, new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => {
        const p = this.#pending.get(id);
        // A gathering ends at its timeout with what came; a single request fails.
        if (p !== undefined && p.expect !== undefined) this.#settle(id);
        else this.#settle(id, new TransportError(TransportErrorCode.TIMEOUT, `request to ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        subject,
        expect,
        replies: [],
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
    });
    const outcome = this.send({
      kind: 'request',
      subject,
      data,
      headers: options.headers,
      replyTo: this.replyAddress(),
      correlationId: id,
      ttlMs: timeoutMs,
    });
    if (outcome === 'dropped') this.#settle(id, new TransportError(TransportErrorCode.BROKER, `request to ${subject} could not be sent`));
    return promise;
  }

  #settle(id: string, err?: Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.cleanup();
    if (err === undefined) p.resolve(p.replies);
    else p.reject(err);
  }

  /** A reply arrived for `correlationId` (ignored when nobody waits for it any more). */
  protected deliverReply(correlationId: string | undefined, message: InboundMessage): void {
    if (correlationId === undefined) return;
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    p.replies.push(message);
    if (p.expect === undefined || p.replies.length >= p.expect) this.#settle(correlationId);
  }

  /** The broker said nobody serves the request's subject. */
  protected noResponders(correlationId: string): void {
    const p = this.#pending.get(correlationId);
    if (p === undefined) return;
    if (p.expect !== undefined) this.#settle(correlationId);
    else this.#settle(correlationId, new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${p.subject}`));
  }

  /** Rejects every request still waiting (driver closing). */
  protected failPending(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, err);
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

  /** Marks the driver closed, drops the outbox (counted) and fails waiting requests. */
  protected markClosed(): void {
    this.outbox.discard();
    this.setStatus('closed');
    this.failPending(new TransportError(TransportErrorCode.CLOSED, 'driver closed'));
  }
}

/** Splits `urls` entries on commas, trims, drops empties. */
export function urlList(urls: readonly string[]): string[] {
  return urls.flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '');
}

/** Jittered exponential backoff: 100 ms doubling to 5 s, ±20 %. */
export function backoffMs(attempt: number): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export const utf8 = new TextEncoder();
