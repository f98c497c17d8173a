/**
 * What EVERY driver shares: the status machine and its listeners, the bounded outbox (send now
 * when connected, else buffer within the bound and count drops, flush in order on reconnect,
 * leaving out requests nobody waits for), the ServeRequest a lane handler gets, stats, "no durable
 * streams" by default, and credentials kept out of errors, logs and status events. A subclass moves
 * bytes (`rawSend`) and reports its connection (`setStatus('reconnecting')`, `reconnects`,
 * `online()`: outbox first, then 'connected').
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
import { isStale, Outbox, type OutboxItem } from '../outbox.js';
import { redact } from '../redact.js';
import { unlessInterrupted } from '../interruptible.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_BUFFER_BYTES, DEFAULT_NAMESPACE } from '../defaults.js';
import { isCommandSubject } from '../command-subjects.js';
import { errorFields, LogThrottle } from '@fsbus/esl';

/** The log line of requests skipped unrun because they arrived after their requester stopped waiting. */
export const EXPIRED_REQUEST_LOG = 'request arrived after its requester stopped waiting: skipped, not run';

/**
 * How long after `expires` (epoch ms, the requester's wall clock) `now` is; undefined when it is
 * not past, or the request carries no deadline (0, absent, not a number).
 */
export function lateBy(expires: number, now = Date.now()): number | undefined {
  return expires > 0 && now > expires ? now - expires : undefined;
}

/**
 * The failure of a request (or gathering; `what`: `request to <subject>`, `gather on <subject>`)
 * lost unsent from the outbox (OutboxItem.onRequestUnsent): pushed out of it for newer messages, or
 * `refusal` when it was flushed (`reason`: what to say of it when its message says less, as
 * Kafka's wrapped broker codes). Never sent, so it did not run.
 */
export function requestNeverSent(what: string, refusal?: unknown, reason?: string): TransportError {
  if (refusal === undefined) return new TransportError(TransportErrorCode.BROKER, `${what}: never sent, pushed out of the full send buffer for newer messages (it did not run)`);
  const why = reason ?? (refusal instanceof Error ? refusal.message : typeof refusal === 'string' ? refusal : 'not sendable');
  return new TransportError(TransportErrorCode.BROKER, `${what}: never sent, refused: ${why} (it did not run)`, { cause: refusal });
}

/** `expires` (epoch ms, the requester's wall clock) as a `performance.now()` deadline; undefined without one. */
export function deadlineOf(expires: number): number | undefined {
  return expires > 0 ? performance.now() + (expires - Date.now()) : undefined;
}

export abstract class DriverCore implements Driver {
  abstract readonly name: string;
  abstract readonly capabilities: DriverCapabilities;
  protected readonly options: DriverOptions;
  protected readonly outbox: Outbox;
  protected published = 0;
  protected reconnects = 0;
  /**
   * Requests not run because no answer could reach their requester (a reply address the broker
   * cannot take, or one outside the bus's reply space; on Kafka also a record on a lane's topic
   * for another subject), or, on Redis, Kafka and ZeroMQ, because their `expires` is not epoch
   * milliseconds (../expires.ts; those are answered why): counted here, never in `dropped`.
   */
  protected requestsRefused = 0;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  #status: DriverStatus = 'connecting';
  /**
   * Refused publishes are each counted (`dropped`) but logged once per burst: a stream of events
   * the broker cannot take (over its size limit) would otherwise write a line per event.
   */
  protected readonly refusedLog = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), 'publish refused, dropped');
  /** Requests skipped for arriving after their requester stopped waiting: counted each, said once per burst. */
  readonly #expiredLog = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), EXPIRED_REQUEST_LOG);
  /** The log lines of requestRefusal(), said in full when the driver closes. */
  readonly #refusalLogs: LogThrottle[] = [];
  /** The reconnect refusal last reported (reconnectRefused), until the driver is back online. */
  #refusalSaid: string | undefined;

  constructor(options: DriverOptions) {
    this.options = options;
    this.outbox = new Outbox(options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES, (item) => this.evictedAfterSend(item));
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

  /**
   * False while the connection is going and the driver not told yet (its library would refuse a
   * message unsent): what is published waits in the outbox, in order, for the reconnect, and a
   * flush leaves the outbox as it is — the write window asks for one at every settled publish.
   */
  protected canSend(): boolean {
    return true;
  }

  get status(): DriverStatus {
    return this.#status;
  }

  on(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * `server` loses its credentials (user-info) before it is logged or emitted. `reason`: why the
   * connection went, when the client library said (logged as `reason`/`code`, credentials removed).
   */
  protected setStatus(status: DriverStatus, server?: string, reason?: Error): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    if (status === 'closed') {
      // What a burst held back is still said.
      this.refusedLog.flush();
      this.#expiredLog.flush();
      for (const log of this.#refusalLogs) log.flush();
    }
    const shown = server === undefined ? undefined : redact(server);
    // Losing the broker is a warning (as losing FreeSWITCH is); the other states are news.
    const fields = { driver: this.name, status, server: shown, ...reasonFields(reason) };
    if (status === 'reconnecting') this.options.logger?.warn(fields, 'broker status');
    else this.options.logger?.info(fields, 'broker status');
    this.emit(shown === undefined ? { type: 'status', status } : { type: 'status', status, server: shown });
  }

  /**
   * The connection and every subscription are (back) up: what waited in the outbox goes out first,
   * in order, THEN 'connected' is announced, so a listener's publish comes after the older ones.
   */
  protected online(server?: string): void {
    if (this.#status === 'closed') return;
    this.#refusalSaid = undefined;
    this.flushOutbox();
    this.setStatus('connected', server);
  }

  /**
   * A reconnect the broker itself refused (its credentials, a vhost…), not a socket that could not
   * connect: retried as any failed reconnect, but reported as an error (the agent logs it with the
   * credentials hint and counts it) — once per distinct refusal until the driver is back online,
   * not at every retry of the backoff.
   */
  protected reconnectRefused(broker: string, server: string, err: unknown): void {
    const error = connectError(broker, [server], err, 'reconnect');
    if (error.message === this.#refusalSaid) {
      this.options.logger?.debug({ driver: this.name, reason: error.message }, 'reconnect refused again');
      return;
    }
    this.#refusalSaid = error.message;
    this.emit({ type: 'error', error });
  }

  /** The rejection of a connect() that close() overtook. */
  protected closedDuringConnect(): TransportError {
    return new TransportError(TransportErrorCode.CLOSED, `the ${this.name} driver was closed while connecting`);
  }

  /**
   * For flush(): while the broker is away, what waits in the outbox cannot reach it, so say so
   * instead of resolving (the messages stay buffered for the reconnect).
   */
  protected assertFlushable(): void {
    if (this.#status === 'connected' || this.#status === 'closed' || this.outbox.size === 0) return;
    throw new TransportError(TransportErrorCode.DISCONNECTED, `flush: the broker is away (${this.#status}) with ${this.outbox.size} message(s) buffered`);
  }

  /**
   * For flush(): `work` (what the broker has yet to confirm), unless the connection is lost first —
   * then a DISCONNECTED rejection: a library may hold an unconfirmed operation until a reconnect
   * that is far off or never comes, and flush() must neither hang nor pretend it was confirmed.
   */
  protected whileConnected<T>(work: Promise<T>): Promise<T> {
    if (this.#status !== 'connected') {
      work.catch(() => undefined);
      return Promise.reject(this.lostDuringFlush());
    }
    return unlessInterrupted(work, (stop) =>
      this.on((e) => {
        if (e.type === 'status' && e.status !== 'connected') stop(this.lostDuringFlush());
      }),
    );
  }

  /** The rejection of a flush() whose connection went (or whose driver closed) before the broker confirmed. */
  protected lostDuringFlush(cause?: unknown): TransportError {
    const options = cause === undefined ? undefined : { cause };
    if (this.#status === 'closed') return new TransportError(TransportErrorCode.CLOSED, 'flush: the driver was closed before the broker confirmed', options);
    return new TransportError(TransportErrorCode.DISCONNECTED, 'flush: the connection to the broker was lost before it confirmed', options);
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

  /** None by default: a driver whose publish refuses some subjects says why with the same check. */
  subjectProblem(_subject: string): string | undefined {
    return undefined;
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    const item: OutboxItem = { subject, data, headers: options?.headers, onDroppedAfterSend: options?.onDroppedAfterSend, lossMark: options?.lossMark };
    // A fire-and-forget command runs on arrival: never sent twice (command-subjects.ts).
    if (this.isCommand(subject)) item.kind = 'request';
    return this.send(item);
  }

  /** Whether `subject` is one of this driver's namespace's command lanes (command-subjects.ts). */
  protected isCommand(subject: string): boolean {
    return isCommandSubject(subject, this.options.namespace ?? DEFAULT_NAMESPACE);
  }

  /**
   * What the driver wrote that its broker has not confirmed yet (nats/write-window.ts,
   * pending-bytes.ts, amqp/publish-confirms.ts); none for a driver whose send queue bounds itself.
   * Connected, while it is full or anything waits behind it, what is published waits in the
   * outbox, in order; the driver calls `releaseHeld()` when its broker confirms.
   */
  protected get writeWindow(): { readonly full: boolean } | undefined {
    return undefined;
  }

  /** Held messages keep their place: nothing overtakes them while any waits. */
  #holding(): boolean {
    const window = this.writeWindow;
    return window !== undefined && (this.outbox.size > 0 || window.full);
  }

  /** The broker confirmed enough: what the window held goes out, in order (it may fill the window again). */
  protected releaseHeld(): void {
    if (this.outbox.size > 0 && this.#status === 'connected' && this.writeWindow?.full !== true) this.flushOutbox();
  }

  /**
   * For flush(): resolves once every message held when it was called has left the outbox (sent,
   * or dropped for room); `confirmed` waits for the broker to confirm what went before, which
   * makes room.
   */
  protected async sendHeld(confirmed: () => Promise<unknown>): Promise<void> {
    const heldBefore = this.outbox.buffered;
    while (this.#status === 'connected' && this.outbox.buffered - this.outbox.size < heldBefore) {
      this.releaseHeld();
      await confirmed();
    }
  }

  /** Sent now when connected, else into the bounded outbox (flushed in order on reconnect). */
  protected send(item: OutboxItem): PublishOutcome {
    if (this.#status === 'closed') {
      this.outbox.countDropped(item);
      return 'dropped';
    }
    if (isStale(item)) {
      this.outbox.expired++;
      return 'dropped';
    }
    if (this.#status !== 'connected' || this.#holding() || !this.canSend()) return this.outbox.push(item) ? 'buffered' : 'dropped';
    try {
      this.rawSend(item);
      this.published++;
      return 'sent';
    } catch (err) {
      this.outbox.countDropped(item);
      this.refusedLog.hit({ err, subject: item.subject });
      return 'dropped';
    }
  }

  /**
   * Call once the connection and every subscription are back (`online()` does): sends what waited,
   * in order, except requests nobody waits for any more (counted as expired).
   */
  protected flushOutbox(): void {
    if (!this.canSend()) return;
    const items = this.outbox.takeLive();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      // A write can fail the socket under the flush (EPIPE): this one and the rest wait for the next, in order.
      if (!this.canSend()) {
        this.outbox.putBack(items.slice(i), true);
        return;
      }
      try {
        this.rawSend(item);
        this.published++;
      } catch (err) {
        this.refusedLog.hit({ err, subject: item.subject, buffered: true });
        // publish() said 'sent' for it: its publisher hears of the loss (counted there, once).
        if (item.sentBefore === true) this.refusedAfterSend(item, err);
        else {
          this.outbox.countDropped(item);
          // Its requester waits for a reply that cannot come: it fails now.
          item.onRequestUnsent?.(item, err);
        }
      }
    }
  }

  /**
   * `item`, which publish() said 'sent' for before a lost connection put it back in the outbox,
   * cannot be sent again (`err`: rawSend's refusal): dropped, counted once, its publisher told.
   */
  protected refusedAfterSend(item: OutboxItem, err: unknown): void {
    this.droppedAfterSend(item);
    item.onRequestUnsent?.(item, err);
  }

  /**
   * `item` was handed to the broker, which failed it, its fate unknown (it may have been
   * delivered): dropped for good, counted, and its publisher told (PublishOptions.onDroppedAfterSend;
   * `refused`: a queue refused it; `unsent`: it never left, pushed out of a full send queue — see there).
   */
  protected droppedAfterSend(item: OutboxItem, refused = false, unsent = false): void {
    this.outbox.countDropped(item);
    try {
      item.onDroppedAfterSend?.(item.subject, item.data, item.lossMark, refused, unsent);
    } catch (err) {
      this.options.logger?.error({ err, subject: item.subject }, 'onDroppedAfterSend threw');
    }
  }

  /**
   * The outbox's bound dropped `item`, put back after publish() said 'sent' for it (in flight when
   * the connection went): its publisher is told as for a drop after send, with its own event.
   */
  protected evictedAfterSend(item: OutboxItem): void {
    this.droppedAfterSend(item);
    // A request put back unsent (never written): its requester fails now.
    item.onRequestUnsent?.(item);
  }

  /**
   * A request that reached its server after its requester stopped waiting (`lateBy`): skipped,
   * not run, counted, said once per burst. The same lateness on every request means the two
   * hosts' clocks disagree.
   */
  protected expiredOnArrival(subject: string, lateMs: number): void {
    this.outbox.expired++;
    this.#expiredLog.hit({ subject, late_ms: Math.round(lateMs) });
  }

  /** Builds the ServeRequest for a message that arrived on a lane and runs the handler. */
  /** `deadline` (performance.now()), when the broker told how long the requester waits, bounds a forward. */
  protected dispatch(message: InboundMessage, replyTo: string | undefined, correlationId: string | undefined, handler: ServeHandler, deadline?: number): void {
    let replied = false;
    const request = laneRequest(
      message,
      replyTo !== undefined,
      (data) => {
        if (replyTo === undefined || replied) return false;
        replied = true;
        return this.send({ kind: 'reply', subject: replyTo, data, correlationId }) !== 'dropped';
      },
      (subject, options) => {
        // Same bytes, same reply address: the other node answers the original requester.
        replied = true;
        // NATS carries no deadline: the caller's bound keeps a hand-off buffered meanwhile from running late.
        const bound = options?.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
        const until = bound === undefined ? deadline : deadline === undefined ? bound : Math.min(bound, deadline);
        // A request still, whether or not it expects a reply: never sent twice.
        this.send({ kind: 'request', subject, data: message.data, headers: message.headers, replyTo, correlationId, deadline: until });
      },
      deadline,
      replyTo,
    );
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
      repliesDropped: this.outbox.repliesDropped,
      requestsRefused: this.requestsRefused,
      expired: this.outbox.expired,
      pending: this.outbox.size,
      ...(this.outbox.fullBy === undefined ? {} : { bufferFullBy: this.outbox.fullBy }),
      reconnects: this.reconnects,
    };
  }

  /**
   * One kind of request a server does not run (DriverStats.requestsRefused): no answer could reach
   * its requester, or its `expires` is not epoch milliseconds. The returned function counts one and
   * logs `message` with its fields once per burst — whoever sends requests can send these by the
   * thousand.
   */
  protected requestRefusal(message: string): (fields: Record<string, unknown>) => void {
    const log = new LogThrottle((fields, msg) => this.options.logger?.warn(fields, msg), message);
    this.#refusalLogs.push(log);
    return (fields) => {
      this.requestsRefused++;
      log.hit(fields);
    };
  }

  /** Marks the driver closed and drops the outbox (counted). */
  protected markClosed(): void {
    this.outbox.discard();
    this.setStatus('closed');
  }
}

/**
 * The request a lane handler gets, written out field by field: on Node 20 (V8 11) the literal
 * `{ ...message, expectsReply, reply, forward }` cost ≈2 µs per request, more than the rest of it.
 */
export function laneRequest(
  message: InboundMessage,
  expectsReply: boolean,
  reply: ServeRequest['reply'],
  forward: ServeRequest['forward'],
  deadline: number | undefined,
  replyTo?: string,
): ServeRequest {
  const { subject, data, headers } = message;
  return headers === undefined ? { subject, data, expectsReply, replyTo, reply, forward, deadline } : { subject, data, headers, expectsReply, replyTo, reply, forward, deadline };
}

/**
 * Runs a lane handler: reply bytes it returns (now or from its promise) become the reply; a throw
 * or a rejection is logged, never thrown into the driver's receive loop. `running` gets a handler
 * still running (it returned a promise) as a promise that settles, never rejecting, once its reply
 * is handed to the driver: what a close waits for (Kafka's).
 */
export function runLaneHandler(request: ServeRequest, handler: ServeHandler, logger: DriverOptions['logger'], running?: (done: Promise<void>) => void): void {
  const done = (bytes: Uint8Array | undefined) => {
    if (bytes !== undefined) request.reply(bytes);
  };
  try {
    const out = handler(request);
    if (out instanceof Promise) {
      const finished = out.then(done, (err: unknown) => logger?.error({ err, subject: request.subject }, 'lane handler failed'));
      running?.(finished.catch(() => undefined));
    } else done(out);
  } catch (err) {
    logger?.error({ err, subject: request.subject }, 'lane handler threw');
  }
}

/** A lost connection's reason as log fields (no stack: the line repeats with every loss), without credentials. */
function reasonFields(err: Error | undefined): { reason?: string; code?: string } {
  const fields = errorFields(err);
  return fields.reason === undefined ? fields : { ...fields, reason: redact(fields.reason) };
}

/** The connect() failure: the URLs (and the library's message) without their credentials. */
export function connectError(broker: string, urls: readonly string[], err: unknown, verb: 'connect' | 'reconnect' = 'connect'): TransportError {
  const why = redact(err instanceof Error ? err.message : String(err));
  // Redacted as one list (no space: redact() reads a comma inside a password as part of it).
  return new TransportError(TransportErrorCode.CONNECT, `cannot ${verb} to ${broker} (${redact(urls.join(','))}): ${why}`, { cause: err });
}

/**
 * `connecting`, unless it has not settled within `ms`: then it rejects with a `timeout: no answer
 * within <ms> ms` reason (for connectError), and the caller drops what is still connecting. For
 * libraries whose connect timeout bounds the TCP connect only (ioredis, @platformatic/kafka): a
 * broker that accepts and never answers (a proxy that stalls, SIGSTOP) was otherwise waited on for
 * ever, or for their request timeouts. `connecting`'s own later rejection is handled here.
 */
export async function connectWithin<T>(connecting: Promise<T>, ms: number): Promise<T> {
  const limit = timeLimit(ms);
  const expired = limit.expired.then((): never => {
    throw new Error(`timeout: no answer within ${ms} ms`);
  });
  try {
    return await Promise.race([connecting, expired]);
  } finally {
    limit.clear();
  }
}

/** A driver option of milliseconds as given, or `fallback`; anything but a number in (0, 2^31) is refused (a timer would fire at once). */
export function millisecondsOption(name: string, ms: number | undefined, fallback: number): number {
  if (ms === undefined) return fallback;
  if (typeof ms !== 'number' || !(ms > 0) || ms > 2_147_483_647) {
    throw new TransportError(TransportErrorCode.INVALID_OPTION, `${name} must be a number of milliseconds > 0 and at most 2147483647, not ${String(ms)}`);
  }
  return ms;
}

/**
 * `livenessIntervalMs` (how often a driver checks that a link which has not closed still answers)
 * as given, or the driver's own default; refused as millisecondsOption refuses.
 */
export function livenessIntervalOption(options: Pick<DriverOptions, 'livenessIntervalMs'>, fallback: number): number {
  return millisecondsOption('livenessIntervalMs', options.livenessIntervalMs, fallback);
}

/** A wait bounded in time: `expired` resolves after `ms` unless `clear()` came first (it then never settles). */
export function timeLimit(ms: number): { expired: Promise<void>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

/** Splits `urls` entries on commas, trims, drops empties. */
export function urlList(urls: readonly string[]): string[] {
  return urls.flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '');
}
