/**
 * The Driver interface: what the agent and the SDK need from a broker, shaped so that every
 * broker of SPEC §4 can implement it (NATS, AMQP, Kafka, Redis, MQTT, ZeroMQ). Subjects are the
 * contract's dotted names; a driver maps them to its own topics/queues/streams.
 */
import type { TransportError } from './errors.js';

export type DriverStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Message headers (NATS headers, AMQP properties, Kafka record headers…). */
export type MessageHeaders = Readonly<Record<string, string>>;

export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: MessageHeaders;
}

/** A command lane: `competing` lanes deliver each request to one server of the group. */
export interface Lane {
  readonly subject: string;
  readonly competing: boolean;
  /** Group name for competing lanes. @default subject */
  readonly group?: string;
}

/** A request received on a lane. The reply address is opaque: only the driver knows its form. */
export interface ServeRequest extends InboundMessage {
  /** True when the sender waits for a reply (NATS reply subject, AMQP reply_to, …). */
  readonly expectsReply: boolean;
  /**
   * Where `reply()` publishes, as the broker carries it (NATS reply subject, MQTT Response Topic,
   * AMQP reply_to, Redis key); undefined without one, and on ZeroMQ (the reply goes back on the
   * request's own connection) and Kafka (only its own `fsbus.inbox.<name>` topics are taken). The
   * requester picks it: a server may bound it further (the agent's `commands.reply_to`).
   */
  readonly replyTo?: string | undefined;
  /** Sends the reply; false when there is no reply address or it was already used. */
  reply(data: Uint8Array): boolean;
  /**
   * Hands the request, same bytes and same reply address, to another lane (node hand-off).
   * `timeoutMs`: how long the hand-off is worth sending — one still buffered past it (the broker
   * away meanwhile) is dropped and counted, not run late; a broker that carries the requester's own
   * deadline bounds it too.
   * `unserved`: the reply to send instead when the driver finds, before sending, that nobody
   * serves `subject` (Kafka: the lane's topic does not exist); elsewhere it is not called.
   */
  forward(subject: string, options?: { timeoutMs?: number; unserved?: () => Uint8Array | undefined }): void;
  /**
   * `performance.now()` after which the requester no longer waits, when the message says (Kafka,
   * Redis, ZeroMQ, NATS: the requester's wall-clock `fsbus-expires`; MQTT's message expiry; AMQP's
   * expiration); undefined for a request without one (on NATS: a client that sends no header).
   */
  readonly deadline?: number | undefined;
}

/** What a lane handler returns: reply bytes, or undefined for no (or an already sent) reply. */
export type ServeHandler = (request: ServeRequest) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface Subscription {
  readonly subject: string;
  /** Never throws synchronously; after the driver closed it resolves and does nothing. */
  unsubscribe(): Promise<void>;
}

export interface RequestOptions {
  /** @default 5000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  headers?: MessageHeaders;
}

export interface GatherOptions extends RequestOptions {
  /** Stop as soon as this many replies arrived; otherwise gather until the timeout. */
  expect?: number;
  /**
   * Who sent a reply (the SDK: its envelope's `node_id`), undefined when it cannot tell; must not
   * throw. Given, a reply from a sender heard already does not count towards `expect` (a broker
   * may deliver one twice: ioredis sends a command again after a lost connection); every reply is
   * still returned. Honoured by every built-in driver (NATS, AMQP, Redis, MQTT, Kafka, ZeroMQ).
   */
  replierOf?: (data: Uint8Array) => string | undefined;
  /**
   * Called with each reply; true ends the gather (the SDK: every node of an `expect` list heard).
   * Takes the place of `expect` and `replierOf`; must not throw. Honoured by every built-in driver.
   */
  doneWhen?: (data: Uint8Array) => boolean;
}

export type PublishOutcome = 'sent' | 'buffered' | 'dropped';

export interface PublishOptions {
  headers?: MessageHeaders;
  /**
   * Told (with the message's subject and bytes) when the driver drops this message after publish()
   * said 'sent' (or 'buffered' and it went later): the broker failed it, its fate unknown (it may
   * have been delivered), or the driver's own send queue pushed it out for room: a loss no
   * PublishOutcome can say. Counted in `dropped` as well. Must not throw; one function for every
   * publish costs nothing per message. Called by Redis (a failed route script), RabbitMQ (a nack, or
   * a publish its channel failed once the driver closed), MQTT (a publish mqtt.js fails), Kafka (a
   * record the broker refuses, one its full send queue or outbox pushes out, a command in flight on
   * a lost connection; the subject is the publisher's, not its topic) and ZeroMQ (an event its
   * full PUB writer pushes out or the socket refuses) and NATS (what it wrote into a connection that
   * went before a PONG confirmed it: the write window).
   * `lossMark`: this publish's `lossMark`, when it had one; `data` may then be empty (below).
   * `refused`: the broker refused it for a queue it was routed to (a RabbitMQ nack: a queue full
   * with `x-overflow: reject-publish`, or failing) — a nack does not say which queue, so the other
   * subscribers may have it; false for every other drop.
   * `unsent`: it never left — pushed out of the driver's full send queue for newer messages while
   * the broker was connected (Kafka) — so it was not delivered; false (or absent) for every other drop.
   */
  onDroppedAfterSend?: (subject: string, data: Uint8Array, lossMark?: number, refused?: boolean, unsent?: boolean) => void;
  /**
   * A number the publisher wants back with `onDroppedAfterSend` instead of the bytes (the agent:
   * the event's timestamp). A driver that keeps messages only to hand them back after a loss (NATS's
   * write window, until a PONG) then keeps the subject, the callback and this number, not the
   * message: `data` comes back empty. Drivers that hold the bytes anyway (outbox, send queues) pass
   * both. A driver that does not carry the option (not one of this package's) passes the bytes
   * alone: a publisher that gives a mark still reads `data` when none comes back. Without a mark,
   * `data` is always the message's bytes.
   */
  lossMark?: number;
}

/** A durable stream over some subjects (JetStream, Kafka topic, Redis Stream). */
export interface StreamSpec {
  name: string;
  subjects: readonly string[];
  /** Retention by age. @default unlimited */
  maxAgeMs?: number;
  /** Retention by count. @default unlimited */
  maxMessages?: number;
  /** Retention by size. @default unlimited */
  maxBytes?: number;
  /** @default 'file' */
  storage?: 'file' | 'memory';
}

export type ReplayFrom = 'all' | 'new' | { sequence: number } | { time: Date };

export interface DurableMessage extends InboundMessage {
  readonly sequence: number;
  /**
   * True when the broker delivers this message again (it went out before and was not
   * acknowledged, or the ack was lost): NATS JetStream, a delivery count above 1; Redis, an entry
   * read from the consumer's pending list as the subscription starts (the pending entries read
   * after a lost read reply were never handed out: false). Other drivers leave it undefined. Only such a message
   * may be a copy of one already acknowledged: a sequence alone can come back for a new message
   * (a Redis restarted without persistence starts its counter over).
   */
  readonly redelivered?: boolean;
  ack(): void;
}

export interface ConsumeDurableOptions {
  stream: string;
  /** Durable consumer name (position kept by the broker); absent = an ephemeral ordered replay. */
  durable?: string;
  /** @default 'all' */
  from?: ReplayFrom;
  /** Only subjects matching this pattern. */
  filter?: string;
  /**
   * Messages handed out and not yet acknowledged, at most (a consumer with a buffer of N passes
   * N, so the broker never sends more than it can hold). Drivers without the notion ignore it.
   * @default 1000
   */
  maxInFlight?: number;
  /**
   * Called when the broker's retention (age, count, size) removed messages of a durable consumer
   * before it acknowledged them: they are gone and will never be delivered. Drivers that can tell
   * call it (NATS: when the durable attaches, before anything newer is handed out; after a
   * reconnect, as soon as it knows); others may later (Kafka: a committed offset below
   * the log start; Redis: pending entries — delivered, not acknowledged — trimmed away, not
   * entries trimmed before the group read them; RabbitMQ: a stored offset below the stream's
   * first, and a reader retention overtook while it read — replays too). A driver that tells also
   * logs a warning.
   */
  onRetentionLoss?: (loss: RetentionLoss) => void;
  /**
   * Called when the broker lost the stream with this durable consumer's position while it read
   * it (Redis restarted without persistence: its stream, counter and groups begin again;
   * nats-server back without its JetStream store): what the lost stream held that the consumer
   * had not read is gone, how much cannot be known. Called before anything of the new stream is
   * handed out; the consumer then reads the new stream from its start (all of it was written
   * after the loss). Redis and NATS; the driver also logs a warning.
   */
  onStreamLost?: (loss: StreamDataLoss) => void;
  /**
   * Called when the durable consumer can read nothing any more while its subscription is open:
   * the broker lost it and refused to make it again (NATS: another client took its name with
   * another filter meanwhile). Nothing more will be delivered; the caller should close the
   * subscription. NATS only; the driver also logs an error.
   */
  onFailed?: (err: TransportError) => void;
}

/** A stream lost by the broker under a running durable consumer (onStreamLost): an unknown number of messages. */
export interface StreamDataLoss {
  /** When the consumer's last read failed (its connection lost with the broker). */
  readonly lostAt: Date;
  /** When it found the stream new and its group made again. */
  readonly restoredAt: Date;
}

/**
 * Stream positions a durable consumer lost to retention: `from`..`to` inclusive. `count` is how
 * many stream messages were removed there; with a filter (or a stream holding other subjects)
 * some of them may not have been for this consumer, so it is an upper bound of what it lost.
 */
export interface RetentionLoss {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

export interface DriverCapabilities {
  /** Native request/reply with a reply address. */
  requestReply: boolean;
  /** Competing consumers (queue groups, consumer groups, shared subscriptions). */
  competingConsumers: boolean;
  /** Subject wildcards in subscribe patterns (`*`, `>`). */
  wildcards: boolean;
  /** Message headers. */
  headers: boolean;
  /** ensureStream/consumeDurable work. */
  durableStreams: boolean;
  /** gather() collects several replies to one request. */
  scatterGather: boolean;
  /**
   * request() reaches every lane of the bus, from a server too, and the broker tells at once and
   * at little cost when nobody serves one: what lets the agent relay a hand-off and answer for a
   * node nobody serves. False on Kafka (only a missing topic tells, and a server's first request
   * opens a reply topic and joins its consumer group) and on ZeroMQ (a driver reaches only the
   * peers it connects to; a hand-off goes back to the requester, who sends it on itself).
   */
  promptNoResponders: boolean;
}

export interface DriverStats {
  published: number;
  /** Messages held while the broker was away (total over the driver's life). */
  buffered: number;
  /** Messages dropped: the outgoing buffer full, the driver closed, refused by the broker, or (a reply) lost with its connection. */
  dropped: number;
  /** Of `dropped`, replies to requests (not events). */
  repliesDropped: number;
  /**
   * Requests received but not run because no answer could reach their requester: a reply address
   * the broker cannot take or outside the bus's reply space (NATS `$…`, a RabbitMQ direct reply-to
   * name it cannot decode, an MQTT Response Topic with a wildcard, a Redis key other than
   * `<ns>:reply:<id>`, a Kafka topic other than `fsbus.inbox.<name>`), or on Kafka a record on a
   * lane's topic for another subject, on ZeroMQ a message that is not the fsbus wire; and on Redis,
   * Kafka and ZeroMQ a request whose `expires` is not epoch milliseconds (refused to its requester,
   * not run). Counted, logged once per burst; not in `dropped`.
   */
  requestsRefused: number;
  /**
   * NATS: publishes a stream of ensureStream refused or could not take (its limits, the account's
   * storage, the stream gone), as the driver's store probes found (nats-store-probe.ts); absent on
   * the other drivers.
   */
  streamRefusals?: number;
  /**
   * Requests (and forwarded requests) left unsent in the outgoing buffer because their requester
   * had stopped waiting (timeout, abort) by the time the broker was back, and, on a server,
   * requests skipped unrun because they arrived after that (held while no server read them: by
   * the broker on Kafka and Redis, by the client's socket on ZeroMQ). Never counted in `dropped`.
   * Absent for drivers without either.
   */
  expired?: number;
  /** Messages in the outgoing buffer now (stale requests included until the reconnect drops them). */
  pending: number;
  /**
   * Which bound of the outgoing buffer made its latest drop for room (its oldest pushed out):
   * 'messages' when it held `bufferMessages` (the bytes may have bound too), 'bytes' when the
   * newest would have passed `bufferBytes`. Absent before any such drop. Kafka: its outbox's, not
   * its send queue's (whose evictions are drops after send).
   */
  bufferFullBy?: 'messages' | 'bytes';
  reconnects: number;
  /** Peers refused by client authentication (zmq with `curve.clientKeys`); absent elsewhere. */
  refused?: number;
  /**
   * This driver's own requests (and gathers) published on the current connection and waiting for
   * their reply now: what fails at once with `FSBUS_ERR_TRANSPORT_DISCONNECTED` if it drops (amqp,
   * whose replies come back on the connection's direct reply-to); absent elsewhere. A request
   * leaves it as soon as it settles (reply, timeout, abort, no responders, close).
   */
  awaitingReplies?: number;
  /**
   * The broker's reason while it blocks the connection (RabbitMQ's memory or disk alarm:
   * `connection.blocked`): nothing published reaches it meanwhile, the status stays 'connected'.
   * Absent otherwise, and on drivers whose broker has no such thing.
   */
  blocked?: string;
}

export type DriverEvent =
  | { type: 'status'; status: DriverStatus; server?: string }
  | { type: 'error'; error: Error };

export interface Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  readonly status: DriverStatus;
  /**
   * The largest message the broker takes, when it says (nats-server's `max_payload`, 1 MiB by
   * default; Kafka's `message.max.bytes`, or a lane topic's smaller `max.message.bytes`, less room
   * for the record's key, headers and framing); undefined when unknown (not connected yet, or the
   * broker would not say). A larger one is refused, not sent.
   */
  readonly maxPayloadBytes?: number | undefined;
  /** Resolves once connected; rejects with a typed error when no server can be reached. */
  connect(): Promise<void>;
  /** Stops subscriptions, flushes what it can, closes. Idempotent. */
  close(): Promise<void>;
  /**
   * Why this driver can never publish to `subject` (its broker's rule, in words), or undefined when
   * it can: the check publish() makes, asked before anything is sent (the agent refuses such a
   * `forward_to` instead of running the command and dropping the copy). Pure: no broker needed.
   */
  subjectProblem(subject: string): string | undefined;
  /** Best effort: sent now, buffered (broker away, or on NATS not keeping up: bounded buffer), or dropped (buffer full). */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome;
  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription;
  serve(lane: Lane, handler: ServeHandler): Subscription;
  request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<InboundMessage>;
  gather(subject: string, data: Uint8Array, options?: GatherOptions): Promise<InboundMessage[]>;
  ensureStream(spec: StreamSpec): Promise<void>;
  consumeDurable(options: ConsumeDurableOptions, handler: (message: DurableMessage) => void): Promise<Subscription>;
  /**
   * Resolves once everything published so far reached the broker. While the broker is away with
   * messages still in the outgoing buffer it cannot: it rejects at once with
   * FSBUS_ERR_TRANSPORT_DISCONNECTED (the messages stay buffered and go out on reconnect). A flush
   * whose connection is lost before the broker confirmed rejects the same way (the library may
   * resend what was in flight on reconnect: it was not confirmed, not known lost); on AMQP a
   * message the broker refuses (nack) rejects it with FSBUS_ERR_TRANSPORT_BROKER.
   */
  flush(): Promise<void>;
  stats(): DriverStats;
  on(listener: (event: DriverEvent) => void): () => void;
}

export interface TlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** PEM strings, as alternatives to the files. */
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * ZeroMQ CURVE keys (Z85 text, 40 characters each; `zeromq`'s `curveKeyPair()` or libzmq's
 * `curve_keygen` make them). ZeroMQ has no TLS: CURVE is its encryption, server authentication
 * and, with `clientKeys`, client authentication.
 */
export interface CurveKeys {
  /** The serving side's public key: connecting drivers trust only it. */
  serverKey?: string;
  /** This driver's key pair. With a secret key, a binding driver is a CURVE server; a connecting
   * driver without a pair uses a fresh one per socket. */
  publicKey?: string;
  secretKey?: string;
  /** A binding driver admits only clients with these public keys (checked by a ZAP handler);
   * absent, any client that holds `serverKey` may connect. Public keys: not secrets. */
  clientKeys?: readonly string[];
}

export interface DriverAuth {
  token?: string;
  /** NATS NKey seed (`SU…`). */
  nkeySeed?: string;
  /**
   * NATS only: a `.creds` file's text (the user JWT and its NKey seed, as `nsc` and Synadia Cloud
   * issue them) for an operator-mode (JWT) server. Not with another credential.
   */
  creds?: string;
  /** NATS only: the path of a `.creds` file, read by `connect()`. Not with `creds` or another credential. */
  credsFile?: string;
  user?: string;
  password?: string;
}

/** Options every driver takes; brokers ignore what they cannot use. */
export interface DriverOptions {
  /** Broker URLs; more than one fails over. */
  urls: readonly string[];
  /** Client name shown by the broker. */
  name?: string;
  /**
   * Broker-side namespace for drivers that need one besides the subjects (AMQP exchange, Redis
   * key prefix of lane streams): the agent passes its subject prefix. @default 'freeswitch'
   */
  namespace?: string;
  auth?: DriverAuth;
  /** true = TLS with the system CAs. */
  tls?: TlsOptions | boolean;
  /** ZeroMQ only: CURVE encryption (the other drivers use `tls`). */
  curve?: CurveKeys;
  /** Outgoing buffer while the broker is away, in messages. @default 10000 */
  bufferMessages?: number;
  /** Outgoing buffer, in bytes. @default 8 MiB */
  bufferBytes?: number;
  /**
   * First-connect timeout: connect() rejects (FSBUS_ERR_TRANSPORT_CONNECT) when the broker has not
   * completed it by then, the TCP connect and the protocol's handshake after it (zmq: how long
   * flush() waits for the publishers' subscription markers, docs/drivers/zmq.md). @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * NATS only: the root of this connection's reply subjects (`<inboxPrefix>.<nuid>.<token>`), so a
   * server can give each user an inbox namespace of its own (`_INBOX_alice`, permissions to
   * subscribe `_INBOX_alice.>` only). Dot-separated tokens of `[A-Za-z0-9_-]`, at most 64
   * characters. @default '_INBOX'
   */
  inboxPrefix?: string;
  /**
   * The dead-link check's interval: how soon a link that hangs without closing (a broker frozen, a
   * peer host gone, a middlebox that forgot the connection) is taken for dead — 'reconnecting',
   * connections dropped and dialled again. Milliseconds, > 0, at most 2147483647; anything else is
   * refused by createDriver (FSBUS_ERR_TRANSPORT_INVALID_OPTION). Per driver:
   * - Kafka: how long a connection may leave the liveness check (an ApiVersions request sent once
   *   it has been silent for half this) unanswered; what was in flight is handed back. Keep it
   *   above the 10 s a produce may wait at the broker for its replicas. @default 10000
   * - Redis: a PING every interval; one unanswered for two intervals takes the link for dead
   *   (noticed within 2–3 intervals); close() waits as long for Redis's goodbye. @default 5000
   * - ZeroMQ: the ZMTP heartbeat interval of every socket; a connection silent for two intervals
   *   after a PING is dropped, and the peer is asked (the PING's TTL) to drop it past three.
   *   @default 5000
   * - NATS: nats.js's PING interval; two left unanswered make the connection stale at the next
   *   (given up 2–3 intervals after the link stopped answering). @default 10000
   * AMQP (heartbeats) and MQTT (keepalive) ignore it.
   */
  livenessIntervalMs?: number;
  /**
   * MQTT only: how long `flush()` (so `close()` and the agent's stop) waits for the PUBACKs of what
   * is in flight before it gives them up, each counted dropped: a broker may never acknowledge a
   * publish while its connection stays up (docs/drivers/mqtt.md, message_size_limit). Milliseconds,
   * > 0. @default 10000 (MQTT_FLUSH_ACK_WAIT_MS, the keepalive)
   */
  flushAckWaitMs?: number;
  /**
   * AMQP only: subject patterns (`*`, `>`) whose publishes go out persistent (delivery_mode 2), so
   * a durable queue bound to them keeps them across a RabbitMQ restart; RabbitMQ writes them to
   * disk, which slows the publish confirms. Requests and replies stay transient whatever their
   * subject. The agent passes `<prefix>.events.>` with `broker.amqp.persistent_events`.
   * @default [] (everything transient)
   */
  persistentSubjects?: readonly string[];
  /** Minimal logger; silent by default. */
  logger?: DriverLogger;
}

export interface DriverLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
