/**
 * The NATS driver: queue groups for competing lanes, plain subjects for direct lanes, native
 * request/reply and scatter-gather (our own inbox mux), JetStream for durable streams. While the
 * server is away, publishes go to our bounded Outbox (nats.js's own buffer is unbounded).
 */
import { AuthorizationError, connect, PermissionViolationError, UserAuthenticationExpiredError, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { ConsumeDurableOptions, Driver, DriverCapabilities, DriverOptions, DriverStats, DurableMessage, GatherOptions, InboundMessage, Lane, RequestOptions, ServeHandler, StreamSpec, Subscription } from '../driver.js';
import { TransportError, TransportErrorCode } from '../errors.js';
import { assertTlsFilesReadable } from '../tls-material.js';
import type { OutboxItem } from '../outbox.js';
import { connectError, deadlineOf, DriverCore, lateBy, livenessIntervalOption } from '../drivers/driver-core.js';
import { EXPIRES_HEADER, expiresOf, expiresRefusal, shownExpires } from '../expires.js';
import { closingSocketsOnFailure, dropStaleSocket } from './connect-sockets.js';
import { inboxPrefixProblem } from './inbox-subjects.js';
import { assertNatsCredsUsable, DEFAULT_PING_INTERVAL_MS, noTlsOffered, toNatsOptions } from './nats-options.js';
import { consumeNatsStream, ensureNatsStream } from './nats-streams.js';
import { restoreNatsStreams } from './nats-stream-restore.js';
import { advisoryRefusal, StoreProbe } from './nats-store-probe.js';
import { RequestMux, type NatsOutboxItem } from './nats-request-mux.js';
import { controlLineProblem, drainSub, toInbound, toNatsHeaders } from './nats-util.js';
import { WriteWindow } from './write-window.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, writeWindowBytes } from '../defaults.js';
/** The log line of refused `fsbus-expires` values (once per burst, with the request's subject and the value). */
export const REFUSED_EXPIRES_LOG = 'nats request whose fsbus-expires is not epoch milliseconds: refused, not run';
/**
 * How far past its requester's deadline (`fsbus-expires`, the requester's clock) a request is still
 * run: the hosts' clocks differ by this much at most, as NTP keeps them (a frozen server is late by
 * minutes). @default 1000
 */
export const CLOCK_SKEW_GRACE_MS = 1000;
/** What a message costs on the wire beyond its subject and payload (PUB line, sizes, CRLFs), roughly. */
const PUB_OVERHEAD_BYTES = 24;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: true,
  scatterGather: true,
  promptNoResponders: true,
};

export function createNatsDriver(options: DriverOptions): Driver {
  return new NatsDriver(options);
}

/**
 * On DriverCore, not BaseDriver: NATS has request/reply of its own (reply subjects; our inbox mux
 * for requests and gatherings), so BaseDriver's correlation table would only duplicate it.
 */
class NatsDriver extends DriverCore {
  readonly name = 'nats';
  readonly capabilities = CAPABILITIES;
  /** Requests refused for a `$` reply subject. */
  readonly #refuseDollarReply = this.requestRefusal("request refused: its reply subject is in the server's $ namespace");
  /** Requests refused for an `fsbus-expires` that is not epoch milliseconds (../expires.ts). */
  readonly #badExpires = this.requestRefusal(REFUSED_EXPIRES_LOG);

  /**
   * The server's max_payload from its INFO. nats.js forgets the INFO whenever it starts a dial, so
   * for most of an outage: the one learned on (re)connecting is kept until a server says again.
   */
  get maxPayloadBytes(): number | undefined {
    if (this.status === 'closed') return undefined;
    return this.#nc?.info?.max_payload ?? this.#maxPayload;
  }
  #maxPayload: number | undefined;
  #nc: NatsConnection | undefined;
  /** The streams ensureStream set up: checked again on each reconnect (nats-stream-restore.ts). */
  readonly #streams = new Map<string, StreamSpec>();
  /** Whether those streams still store what is published (nats-store-probe.ts); made by the first ensureStream. */
  #probe: StoreProbe | undefined;
  /** Request/reply without nats.js's per-request error objects (see nats-request-mux.ts). */
  #requests: RequestMux | undefined;
  /**
   * What the server has not confirmed reading yet; past its limit, publishes wait in the outbox.
   * It keeps what it needs to hand back the publishes with an onDroppedAfterSend until confirmed
   * (#handBack): their subject and lossMark, their bytes only without a mark.
   */
  readonly #window = new WriteWindow(
    writeWindowBytes(this.options.bufferBytes),
    () => this.#conn().flush(),
    () => this.releaseHeld(),
  );

  constructor(options: DriverOptions) {
    super(options);
    // nats.js reads the files itself, at each connect: checked here so a missing one is refused now.
    assertTlsFilesReadable(options.tls);
    assertNatsCredsUsable(options.auth);
    livenessIntervalOption(options, DEFAULT_PING_INTERVAL_MS); // nats.js reads it at connect: refused now
    const badPrefix = options.inboxPrefix === undefined ? undefined : inboxPrefixProblem(options.inboxPrefix);
    if (badPrefix !== undefined) throw new TransportError(TransportErrorCode.INVALID_OPTION, `inboxPrefix ${JSON.stringify(options.inboxPrefix)} ${badPrefix}`);
  }

  async connect(): Promise<void> {
    if (this.#nc !== undefined) return;
    this.assertOpen();
    let nc: NatsConnection;
    try {
      nc = await closingSocketsOnFailure(() => connect(toNatsOptions(this.options)));
    } catch (err) {
      if (this.status === 'closed') throw this.closedDuringConnect();
      throw connectError('NATS', this.options.urls, noTlsOffered(err, this.options));
    }
    if (this.status === 'closed') {
      // close() ran meanwhile: it could not close a connection it did not have yet.
      await nc.close().catch(() => undefined);
      throw this.closedDuringConnect();
    }
    this.#nc = nc;
    this.#maxPayload = nc.info?.max_payload;
    void this.#watch(nc);
    // Publishes made before connect() resolved waited in the outbox: out first, then 'connected'.
    this.online(nc.getServer());
  }

  async #watch(nc: NatsConnection): Promise<void> {
    // Why the connection goes, as nats.js decides it (its last error but a permission refusal):
    // its 'disconnect' does not say.
    let lostBecause: Error | undefined;
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
        case 'reconnecting':
          this.#probe?.reset();
          // Before the status: a publisher hears of its losses before it hears 'reconnecting'.
          this.#handBack();
          if (this.status === 'connected') this.setStatus('reconnecting', undefined, lostBecause ?? new Error('the connection to the server closed'));
          break;
        case 'staleConnection':
          // Also what nats.js says when it drops the connection for an auth error: that error says more.
          lostBecause ??= new Error('the server did not answer the PINGs (stale connection)');
          // Its close waits for queued writes to drain, which a frozen link never does.
          if (dropStaleSocket(nc)) this.options.logger?.warn({ server: nc.getServer() }, 'nats: stale connection with writes queued: socket dropped, reconnecting');
          break;
        case 'ldm':
          lostBecause = new Error('the server is shutting down (lame duck mode)');
          break;
        case 'reconnect': {
          lostBecause = undefined;
          this.reconnects++;
          this.#handBack();
          // nats.js has re-sent the subscriptions; once the server answers a PING it has them all,
          // and only then is 'connected' true to its word (a request sent on it finds the lanes).
          const server = s.server;
          nc.flush().then(
            async () => {
              this.#maxPayload = nc.info?.max_payload ?? this.#maxPayload;
              // Before the outbox goes out: what it holds must land in the stream, not before it.
              if (this.#streams.size > 0) await restoreNatsStreams(nc, this.#streams.values(), this.options.logger);
              if (!nc.isClosed() && this.status === 'reconnecting') this.online(server);
            },
            () => undefined, // lost again: the next 'reconnect' announces it
          );
          break;
        }
        case 'error':
          // A user not allowed a stream advisory of ours: noticed without it (nats-store-probe.ts).
          if (advisoryRefusal(s.error, this.options.logger)) break;
          if (!(s.error instanceof PermissionViolationError)) lostBecause = s.error;
          // A reconnect the server refused for the credentials: said once per refusal, not at
          // every attempt of the backoff (as on the other brokers).
          if (this.status !== 'connected' && (s.error instanceof AuthorizationError || s.error instanceof UserAuthenticationExpiredError)) this.reconnectRefused('NATS', this.options.urls.join(','), s.error);
          else this.emit({ type: 'error', error: s.error });
          break;
        case 'close':
          // Ours (close()) or nats.js giving up, which it should not with the options we set (an
          // authenticator that throws still can): say so rather than look reconnecting for ever.
          if (this.status !== 'closed') this.#lost(nc);
          break;
        default:
          break;
      }
    }
  }

  /** nats.js closed the connection by itself: the driver is closed too, and says why first. */
  #lost(nc: NatsConnection): void {
    void nc.closed().then((cause) => {
      if (this.status === 'closed') return; // close() came first
      this.#handBack();
      const why = cause instanceof Error ? `: ${cause.message}` : '';
      this.emit({ type: 'error', error: new TransportError(TransportErrorCode.CLOSED, `the NATS connection closed and will not reconnect${why}`, { cause }) });
      this.#requests?.close();
      this.markClosed();
    });
  }

  /**
   * The connection went (or was replaced): what it took unconfirmed is handed back to its
   * publishers, counted, their fate unknown (written is not read: some may have arrived).
   */
  #handBack(): void {
    for (const item of this.#window.reset()) this.droppedAfterSend(item);
  }

  /**
   * Requests and gatherings go through send(): while the server is away they wait in our outbox,
   * not in nats.js's buffer, so one whose requester gave up (timeout, abort) is not sent on reconnect.
   */
  #mux(): RequestMux {
    const nc = this.#conn();
    this.#requests ??= new RequestMux(nc, (item) => this.send(item), () => this.maxPayloadBytes, this.options.inboxPrefix);
    return this.#requests;
  }

  #conn(): NatsConnection {
    if (this.#nc === undefined || this.status === 'closed') {
      throw new TransportError(TransportErrorCode.CLOSED, this.status === 'closed' ? 'driver is closed' : 'driver is not connected yet');
    }
    return this.#nc;
  }

  protected override get writeWindow(): WriteWindow {
    return this.#window;
  }

  /** rawSend's own refusal: a subject too long for a control line. */
  override subjectProblem(subject: string): string | undefined {
    return controlLineProblem(subject);
  }

  /**
   * nats.js buffers by itself while reconnecting; it throws only for what can never be sent (bad
   * subject, payload over the server's max, closed): DriverCore then drops and counts it.
   */
  protected rawSend(item: OutboxItem): void {
    const tooLong = controlLineProblem(item.subject);
    if (tooLong !== undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `publish to ${item.subject.slice(0, 80)}…: ${tooLong}`);
    const opts: { headers?: MsgHdrs; reply?: string } = {};
    // A request from our mux brings its headers made and measured already.
    const made = (item as NatsOutboxItem).natsHeaders;
    if (made !== undefined) opts.headers = made;
    else if (item.headers !== undefined) opts.headers = toNatsHeaders(item.headers);
    if (item.replyTo !== undefined) opts.reply = item.replyTo;
    else if (this.#probe !== undefined) {
      // Now and then an event asks its stream to answer: does it still store them?
      const reply = this.#probe.replyFor(item.subject);
      if (reply !== undefined) opts.reply = reply;
    }
    this.#nc!.publish(item.subject, item.data, opts);
    // Only a publisher that wants to hear of a loss costs a few scalars until the PONG.
    this.#window.wrote(item.data.byteLength + item.subject.length + PUB_OVERHEAD_BYTES, item);
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    const nc = this.#conn();
    assertOnControlLine(pattern, 'subscribe to');
    const sub = nc.subscribe(pattern, {
      ...(options?.queue === undefined ? {} : { queue: options.queue }),
      callback: (err, msg) => {
        if (err !== null) {
          this.emit({ type: 'error', error: err });
          return;
        }
        try {
          handler(toInbound(msg));
        } catch (e) {
          this.options.logger?.error({ err: e, subject: msg.subject }, 'subscriber threw');
        }
      },
    });
    return { subject: pattern, unsubscribe: () => drainSub(sub) };
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    const nc = this.#conn();
    assertOnControlLine(lane.subject, 'serve');
    const queue = lane.competing ? (lane.group ?? lane.subject) : undefined;
    const sub = nc.subscribe(lane.subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (err, msg) => {
        if (err !== null) {
          this.emit({ type: 'error', error: err });
          return;
        }
        // A reply subject in the server's own namespaces ($JS.API…, $KV…, $SYS…) would make our
        // answer a JetStream or system request sent with our credentials (purge a stream, write a
        // key): such a request is not run at all.
        if (msg.reply?.startsWith('$') === true) {
          this.#refuseDollarReply({ subject: msg.subject, reply: msg.reply.slice(0, 80) });
          return;
        }
        const reply = msg.reply !== undefined && msg.reply !== '' ? msg.reply : undefined;
        // The requester's deadline (request()'s header; absent from clients that send none: no deadline).
        const expires = expiresOf(msg.headers?.get(EXPIRES_HEADER));
        if (Number.isNaN(expires)) {
          this.#refuseExpires(msg.subject, msg.headers?.get(EXPIRES_HEADER), msg.data, reply);
          return;
        }
        // Reached us after its requester stopped waiting (this server frozen meanwhile, its
        // connection still in the queue group): not run late — an originate would ring for nobody.
        // NATS delivers at once otherwise, so a deadline passed by a little is the two hosts'
        // clocks apart: run, without that deadline.
        const late = lateBy(expires);
        if (late !== undefined && late > CLOCK_SKEW_GRACE_MS) {
          this.expiredOnArrival(msg.subject, late);
          return;
        }
        // Replies go to the request's reply subject (no correlation id: the subject is the address).
        // The header stays: a hand-off (forward) carries the same deadline on.
        this.dispatch(toInbound(msg), reply, undefined, handler, late === undefined ? deadlineOf(expires) : undefined);
      },
    });
    return { subject: lane.subject, unsubscribe: () => drainSub(sub) };
  }

  /** Not run, counted and logged; a request with a reply subject is answered why (unless its body is `async`). */
  #refuseExpires(subject: string, raw: string | undefined, data: Uint8Array, reply: string | undefined): void {
    const shown = shownExpires(raw);
    this.#badExpires({ subject: subject.slice(0, 300), expires: shown });
    const refusal = reply === undefined ? undefined : expiresRefusal(data, shown);
    if (reply !== undefined && refusal !== undefined) this.send({ kind: 'reply', subject: reply, data: refusal });
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const msg = await this.#mux().request(subject, data, {
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      headers: options.headers,
      signal: options.signal,
    });
    return toInbound(msg);
  }

  async gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    const replies = await this.#mux().gather(subject, data, {
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      headers: options.headers,
      signal: options.signal,
      expect: options.expect,
      replierOf: options.replierOf,
      doneWhen: options.doneWhen,
    });
    return replies.map(toInbound);
  }

  override async ensureStream(spec: StreamSpec): Promise<void> {
    const nc = this.#conn();
    // JetStream's API subjects carry the names: one too long would close the connection too.
    for (const subject of [`$JS.API.STREAM.UPDATE.${spec.name}`, ...spec.subjects]) assertOnControlLine(subject, 'ensure a stream through');
    await ensureNatsStream(nc, spec, this.options.logger);
    this.#streams.set(spec.name, spec);
    this.#probe ??= new StoreProbe(nc, this.#streams, this.options.logger, this.options.inboxPrefix);
    this.#probe.watchDeleted(spec.name);
  }

  override async consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription> {
    const nc = this.#conn();
    assertOnControlLine(`$JS.API.CONSUMER.CREATE.${options.stream}.${options.durable ?? ''}.${options.filter ?? ''}`, 'consume a stream through');
    return consumeNatsStream(nc, options, handler, this.options.logger, this.options.inboxPrefix);
  }

  /** `streamRefusals`: publishes a stream of ensureStream refused or could not take, as the store probes found (nats-store-probe.ts). */
  override stats(): DriverStats {
    return { ...super.stats(), streamRefusals: this.#probe?.refusals ?? 0 };
  }

  async flush(): Promise<void> {
    this.assertFlushable();
    const nc = this.#nc;
    if (nc === undefined || this.status !== 'connected') return;
    // What the window held goes out as the server confirms what came before it: every message held
    // when flush() was called must have left the outbox (sent, or dropped for room) before the
    // final PING. nats.js fails a flush whose connection went before that status arrives.
    try {
      await this.sendHeld(() => this.whileConnected(this.#window.confirm()));
      // Through the window: its PONG confirms the tracked publishes too.
      await this.whileConnected(this.#window.confirm());
    } catch (err) {
      throw err instanceof TransportError ? err : this.lostDuringFlush(err);
    }
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    const nc = this.#nc;
    // Held by the window, not by an outage: the goodbye (drain) takes them too.
    if (this.status === 'connected' && this.outbox.size > 0) this.flushOutbox();
    this.markClosed();
    this.#requests?.close();
    this.#probe?.close();
    if (nc !== undefined && !nc.isClosed()) {
      // drain() lets in-flight messages out; close() if the server is gone.
      if (nc.isDraining()) await nc.closed();
      else await nc.drain().then(() => this.#window.reset(), () => nc.close());
    }
    // Drained: the server read it all (reset above). Else what the goodbye did not confirm.
    this.#handBack();
  }
}

/** A subscription nats-server would refuse by closing the connection, after every reconnect again. */
function assertOnControlLine(pattern: string, what: string): void {
  const tooLong = controlLineProblem(pattern);
  if (tooLong !== undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, `cannot ${what} ${pattern.slice(0, 80)}…: ${tooLong}`);
}
