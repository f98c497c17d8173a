/**
 * The NATS driver: queue groups for competing lanes, plain subjects for direct lanes, native
 * request/reply, requestMany for scatter-gather, JetStream for durable streams. While the
 * server is away, publishes go to our bounded Outbox (nats.js's own buffer is unbounded).
 */
import { connect, TimeoutError, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
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
import { toNatsOptions } from './nats-options.js';
import { consumeNatsStream, ensureNatsStream } from './nats-streams.js';
import { RequestMux } from './nats-request-mux.js';
import { drainSub, isNoResponders, mapRequestError, toInbound, toNatsHeaders, withSignal } from './nats-util.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from '../defaults.js';

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
};

export function createNatsDriver(options: DriverOptions): Driver {
  return new NatsDriver(options);
}

class NatsDriver implements Driver {
  readonly name = 'nats';
  readonly capabilities = CAPABILITIES;
  readonly #options: DriverOptions;
  readonly #outbox: Outbox;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  #nc: NatsConnection | undefined;
  /** Request/reply without nats.js's per-request error objects (see nats-request-mux.ts). */
  #requests: RequestMux | undefined;
  #status: DriverStatus = 'connecting';
  #published = 0;
  #reconnects = 0;

  constructor(options: DriverOptions) {
    this.#options = options;
    this.#outbox = new Outbox(options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
  }

  get status(): DriverStatus {
    return this.#status;
  }

  on(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async connect(): Promise<void> {
    if (this.#nc !== undefined) return;
    if (this.#status === 'closed') throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
    try {
      this.#nc = await connect(toNatsOptions(this.#options));
    } catch (err) {
      throw new TransportError(TransportErrorCode.CONNECT, `cannot connect to NATS (${this.#options.urls.join(', ')}): ${(err as Error).message}`, { cause: err });
    }
    this.#setStatus('connected', this.#nc.getServer());
    void this.#watch(this.#nc);
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
        case 'reconnecting':
          if (this.#status === 'connected') this.#setStatus('reconnecting');
          break;
        case 'reconnect':
          this.#reconnects++;
          this.#setStatus('connected', s.server);
          this.#flushOutbox();
          break;
        case 'error':
          this.#emit({ type: 'error', error: s.error });
          break;
        case 'close':
          break;
        default:
          break;
      }
    }
  }

  #setStatus(status: DriverStatus, server?: string): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#options.logger?.info({ driver: 'nats', status, server }, 'broker status');
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

  #conn(): NatsConnection {
    if (this.#nc === undefined || this.#status === 'closed') {
      throw new TransportError(TransportErrorCode.CLOSED, this.#status === 'closed' ? 'driver is closed' : 'driver is not connected yet');
    }
    return this.#nc;
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    return this.#send({ subject, data, headers: options?.headers });
  }

  #send(item: OutboxItem): PublishOutcome {
    if (this.#status === 'closed') {
      this.#outbox.dropped++;
      return 'dropped';
    }
    if (this.#status !== 'connected' || this.#nc === undefined) {
      return this.#outbox.push(item) ? 'buffered' : 'dropped';
    }
    try {
      this.#raw(this.#nc, item);
      return 'sent';
    } catch (err) {
      // nats.js buffers by itself while reconnecting; it throws only for what can never be sent
      // (bad subject, payload over the server's max, closed): retrying would wedge the outbox.
      this.#outbox.dropped++;
      this.#options.logger?.warn({ err, subject: item.subject }, 'publish refused, dropped');
      return 'dropped';
    }
  }

  #raw(nc: NatsConnection, item: OutboxItem): void {
    const opts: { headers?: MsgHdrs; reply?: string } = {};
    if (item.headers !== undefined) opts.headers = toNatsHeaders(item.headers);
    if (item.replyTo !== undefined) opts.reply = item.replyTo;
    nc.publish(item.subject, item.data, opts);
    this.#published++;
  }

  #flushOutbox(): void {
    const nc = this.#nc;
    if (nc === undefined) return;
    const items = this.#outbox.drain();
    for (const item of items) {
      try {
        this.#raw(nc, item);
      } catch (err) {
        // Only unsendable messages throw (see #send); the rest still go, in order.
        this.#outbox.dropped++;
        this.#options.logger?.warn({ err, subject: item.subject }, 'buffered publish refused, dropped');
      }
    }
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    const nc = this.#conn();
    const sub = nc.subscribe(pattern, {
      ...(options?.queue === undefined ? {} : { queue: options.queue }),
      callback: (err, msg) => {
        if (err !== null) {
          this.#emit({ type: 'error', error: err });
          return;
        }
        try {
          handler(toInbound(msg));
        } catch (e) {
          this.#options.logger?.error({ err: e, subject: msg.subject }, 'subscriber threw');
        }
      },
    });
    return { subject: pattern, unsubscribe: () => drainSub(sub) };
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    const nc = this.#conn();
    const queue = lane.competing ? (lane.group ?? lane.subject) : undefined;
    const sub = nc.subscribe(lane.subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (err, msg) => {
        if (err !== null) {
          this.#emit({ type: 'error', error: err });
          return;
        }
        this.#handle(msg, handler);
      },
    });
    return { subject: lane.subject, unsubscribe: () => drainSub(sub) };
  }

  #handle(msg: Msg, handler: ServeHandler): void {
    let replied = false;
    const replyTo = msg.reply !== undefined && msg.reply !== '' ? msg.reply : undefined;
    const base = toInbound(msg);
    const request: ServeRequest = {
      ...base,
      expectsReply: replyTo !== undefined,
      reply: (data) => {
        if (replyTo === undefined || replied) return false;
        replied = true;
        return this.#send({ subject: replyTo, data }) !== 'dropped';
      },
      forward: (subject) => {
        // Same bytes, same reply address: the other node answers the original requester.
        replied = true;
        this.#send({ subject, data: base.data, headers: base.headers, replyTo });
      },
    };
    const done = (bytes: Uint8Array | undefined) => {
      if (bytes !== undefined) request.reply(bytes);
    };
    try {
      const out = handler(request);
      if (out instanceof Promise) {
        out.then(done, (err: unknown) => this.#options.logger?.error({ err, subject: msg.subject }, 'lane handler failed'));
      } else done(out);
    } catch (err) {
      this.#options.logger?.error({ err, subject: msg.subject }, 'lane handler threw');
    }
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const nc = this.#conn();
    this.#requests ??= new RequestMux(nc);
    const msg = await this.#requests.request(subject, data, {
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      headers: options.headers === undefined ? undefined : toNatsHeaders(options.headers),
      signal: options.signal,
    });
    return toInbound(msg);
  }

  async gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    const nc = this.#conn();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const out: InboundMessage[] = [];
    const collect = async () => {
      const iter = await nc.requestMany(subject, data, {
        maxWait: timeoutMs,
        ...(options.expect === undefined ? { strategy: 'timer' as const } : { strategy: 'count' as const, maxMessages: options.expect }),
        ...(options.headers === undefined ? {} : { headers: toNatsHeaders(options.headers) }),
      });
      for await (const m of iter) out.push(toInbound(m));
      return out;
    };
    try {
      return await withSignal(collect(), options.signal, subject);
    } catch (err) {
      // No responders (or a late error after replies arrived) ends the gathering with what came.
      if (isNoResponders(err) || (err instanceof TimeoutError && out.length > 0)) return out;
      throw mapRequestError(err, subject, timeoutMs);
    }
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    await ensureNatsStream(this.#conn(), spec);
  }

  consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    return consumeNatsStream(this.#conn(), options, handler);
  }

  async flush(): Promise<void> {
    if (this.#nc !== undefined && this.#status === 'connected') await this.#nc.flush();
  }

  stats(): DriverStats {
    return {
      published: this.#published,
      buffered: this.#outbox.buffered,
      dropped: this.#outbox.dropped,
      pending: this.#outbox.size,
      reconnects: this.#reconnects,
    };
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    const nc = this.#nc;
    this.#outbox.discard();
    this.#setStatus('closed');
    this.#requests?.close();
    if (nc !== undefined && !nc.isClosed()) {
      // drain() lets in-flight messages out; close() if the server is gone.
      if (nc.isDraining()) await nc.closed();
      else await nc.drain().catch(() => nc.close());
    }
  }
}
