/**
 * The agent's Event Socket side: one connection for events (subscribed only to what will be
 * published) and a small pool for commands, so a slow `api` never holds up the others (FreeSWITCH
 * runs the api commands of one connection one after the other). Each client reconnects by itself
 * and re-applies its subscription; the first connect is retried here until it succeeds.
 *
 * The event subscription is asked for here on every (re)connect of the event connection and
 * retried with backoff until FreeSWITCH accepts it: a refused `event json` is forgotten by the
 * client (it would never be asked again), and a refused re-apply only reported. Until it is
 * accepted the link is not ready.
 *
 * Connection failures are retried for ever (the first connect here, later ones by the client) and
 * logged once per burst, not once per attempt and connection; a refused password says so (its own
 * log line, `auth`, `notReadyReason`), and so does a connection its event socket ACL turns away
 * (`text/rude-rejection`: its own log line, `rejections`, `notReadyReason`). Frames of a
 * Content-Type the client does not know are counted and logged.
 */
import {
  EslAuthError,
  EslClient,
  EslProtocolError,
  EslRejectedError,
  LogThrottle,
  RECONNECT_FAILED_LOG,
  backoffDelay,
  type BgapiResult,
  type CommandOptions,
  type CommandReplyFrame,
  type EslClientStatus,
  type EslEvent,
  type EslLogger,
  type SendMsg,
  type UnknownFrame,
} from '@fsbus/esl';

/**
 * The event subscription on the current event connection: `none` (no events wanted), `pending`
 * (asked, or waiting for the connection), `confirmed` (FreeSWITCH said +OK), `failed` (refused or
 * unanswered; retried with backoff).
 */
export type EventSubscriptionState = 'none' | 'pending' | 'confirmed' | 'failed';

/** Backoff of the subscription retries. */
const SUBSCRIBE_RETRY = { initialDelayMs: 100, maxDelayMs: 5000 } as const;
/** Backoff of the first connect (later ones: the client's own, 100 ms doubling to 10 s). */
const CONNECT_RETRY = { initialDelayMs: 100, maxDelayMs: 5000 } as const;

/** Whether FreeSWITCH accepted the password: `unknown` until a connection got an answer. */
export type EslAuthState = 'unknown' | 'accepted' | 'refused';

export interface FreeSwitchLinkOptions {
  host: string;
  port: number;
  password: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Requests waiting for a reply per connection; more reject with EslQueueFullError. @default the ESL client's */
  maxPending?: number;
  /** Liveness probe period of every connection (EslClient `livenessMs`); 0: off. @default the ESL client's */
  livenessMs?: number;
  /** `event json …` arguments; empty = no events. */
  eventNames: readonly string[];
  logger: EslLogger;
  onEvent(event: EslEvent): void;
  onStatus(which: 'events' | 'commands', status: EslClientStatus): void;
  onReconnect(): void;
  /** The event subscription was confirmed or failed (see `subscription`). */
  onSubscription?(state: EventSubscriptionState): void;
  /** FreeSWITCH refused the password (each attempt), or accepted it after refusing (see `auth`). */
  onAuth?(state: EslAuthState): void;
}

export class FreeSwitchLink {
  readonly #opts: FreeSwitchLinkOptions;
  readonly #events: EslClient;
  readonly #pool: EslClient[];
  readonly #inflight = new Map<EslClient, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  readonly #subscribeLog: LogThrottle;
  readonly #authLog: LogThrottle;
  readonly #unreachableLog: LogThrottle;
  readonly #unknownFrameLog: LogThrottle;
  #auth: EslAuthState = 'unknown';
  /** Why FreeSWITCH refused the password last, until a connection gets in or an attempt fails for another reason. */
  #authError: string | undefined;
  /** Connection attempts FreeSWITCH refused the password of. */
  authFailures = 0;
  /** Why FreeSWITCH turned the connection away last (its ACL), until one gets in or fails otherwise. */
  #rejectError: string | undefined;
  /** Connection attempts FreeSWITCH turned away before the password (apply-inbound-acl). */
  rejections = 0;
  readonly #rejectLog: LogThrottle;
  /** Frames of an unknown or missing Content-Type (not decoded, not used). */
  unknownFrames = 0;
  #subscription: EventSubscriptionState;
  /** The last subscription failure, for `notReadyReason`. */
  #subscribeError: string | undefined;
  /** Bumped on every status change of the event connection: an answer of an older one is stale. */
  #eventsEpoch = 0;
  #closed = false;

  constructor(opts: FreeSwitchLinkOptions) {
    this.#opts = opts;
    this.#authLog = new LogThrottle((fields, msg) => opts.logger.error(fields, msg), 'FreeSWITCH refused the ESL password (FSBUS_ESL_PASSWORD), retrying');
    this.#unreachableLog = new LogThrottle((fields, msg) => opts.logger.warn(fields, msg), 'FreeSWITCH not reachable, retrying');
    this.#rejectLog = new LogThrottle((fields, msg) => opts.logger.error(fields, msg), "FreeSWITCH turned the connection away (its event socket's apply-inbound-acl), retrying");
    this.#unknownFrameLog = new LogThrottle((fields, msg) => opts.logger.warn(fields, msg), 'FreeSWITCH sent a frame of an unknown Content-Type, ignored');
    const clientLogger = this.#clientLogger(opts.logger);
    const make = () =>
      new EslClient({
        host: opts.host,
        port: opts.port,
        password: opts.password,
        reconnect: true,
        connectTimeoutMs: opts.connectTimeoutMs,
        logger: clientLogger,
        ...(opts.maxPending === undefined ? {} : { maxPending: opts.maxPending }),
        ...(opts.livenessMs === undefined ? {} : { livenessMs: opts.livenessMs === 0 ? false : opts.livenessMs }),
      });
    this.#events = make();
    this.#pool = Array.from({ length: opts.poolSize }, make);
    this.#subscription = opts.eventNames.length === 0 ? 'none' : 'pending';
    this.#subscribeLog = new LogThrottle((fields, msg) => opts.logger.error(fields, msg), 'event subscription failed, retrying');
    this.#events.on('event', (e) => opts.onEvent(e));
    this.#events.on('status', (s) => this.#onEventsStatus(s));
    for (const c of [this.#events, ...this.#pool]) {
      this.#inflight.set(c, 0);
      let wasReady = false;
      const which = c === this.#events ? 'events' : 'commands';
      c.on('status', (s) => {
        if (s === 'ready' && wasReady) opts.onReconnect();
        if (s === 'ready') {
          wasReady = true;
          this.#authAccepted();
        }
        opts.onStatus(which, s);
      });
      // Errors surface as statuses and rejected requests; an unhandled 'error' must not crash us.
      // Protocol errors are logged (rate-limited) and counted (stats.protocolErrors) by the client.
      c.on('error', (err) => {
        if (err instanceof EslAuthError) this.#authRefused(err, undefined);
        else if (err instanceof EslRejectedError) this.#rejected(err, undefined);
        else if (!(err instanceof EslProtocolError)) opts.logger.warn({ err }, 'esl error');
      });
      c.on('frame', (frame) => this.#onUnknownFrame(frame, which));
      // A refused password is left to the 'error' the client emits next.
      c.on('reconnect-failed', (err, attempt) => {
        if (!(err instanceof EslAuthError)) this.#unreachable(err, attempt);
      });
    }
  }

  /** Starts connecting every client; resolves at once (readiness is reported by status). */
  start(): void {
    for (const c of [this.#events, ...this.#pool]) this.#connect(c, 0);
  }

  #connect(client: EslClient, attempt: number): void {
    if (this.#closed) return;
    client.connect().then(
      () => undefined,
      (err: unknown) => {
        if (this.#closed) return;
        if (err instanceof EslAuthError) this.#authRefused(err, attempt);
        else this.#unreachable(err, attempt);
        this.#later(backoffDelay(attempt, CONNECT_RETRY), () => this.#connect(client, attempt + 1));
      },
    );
  }

  /** The clients' logger, without their line per failed reconnect attempt and connection (see 'reconnect-failed'). */
  #clientLogger(logger: EslLogger): EslLogger {
    return {
      debug: (obj, msg) => logger.debug(obj, msg),
      info: (obj, msg) => logger.info(obj, msg),
      error: (obj, msg) => logger.error(obj, msg),
      // The ESL client's line for each failed reconnect attempt: said here once per burst instead ('reconnect-failed').
      warn: (obj, msg) => {
        if (msg !== RECONNECT_FAILED_LOG) logger.warn(obj, msg);
      },
    };
  }

  #unreachable(err: unknown, attempt: number | undefined): void {
    if (err instanceof EslRejectedError) {
      this.#rejected(err, attempt);
      return;
    }
    // No answer to the password this time: /readyz stops blaming it (esl.auth keeps the last answer).
    this.#authError = undefined;
    this.#rejectError = undefined;
    this.#unreachableLog.hit({ reason: err instanceof Error ? err.message : String(err), host: this.#opts.host, port: this.#opts.port, attempt });
  }

  /** FreeSWITCH answered, but its ACL refuses this host: not "unreachable", and no password was tried. */
  #rejected(err: EslRejectedError, attempt: number | undefined): void {
    this.rejections++;
    this.#authError = undefined;
    this.#rejectError = err.text;
    this.#rejectLog.hit({ reason: err.text, host: this.#opts.host, port: this.#opts.port, attempt });
  }

  #authRefused(err: EslAuthError, attempt: number | undefined): void {
    this.authFailures++;
    this.#auth = 'refused';
    this.#authError = err.message;
    this.#rejectError = undefined;
    // The message carries FreeSWITCH's reply, never the password.
    this.#authLog.hit({ reason: err.message, host: this.#opts.host, port: this.#opts.port, attempt });
    this.#opts.onAuth?.('refused');
  }

  #authAccepted(): void {
    const was = this.#auth;
    this.#auth = 'accepted';
    this.#authError = undefined;
    this.#rejectError = undefined;
    this.#rejectLog.flush();
    if (was !== 'refused') return;
    this.#authLog.flush();
    this.#opts.logger.info({ host: this.#opts.host, port: this.#opts.port }, 'FreeSWITCH accepted the ESL password');
    this.#opts.onAuth?.('accepted');
  }

  #onUnknownFrame(frame: UnknownFrame, connection: 'events' | 'commands'): void {
    this.unknownFrames++;
    const contentType = frame.contentType === '' ? '(none)' : frame.contentType.slice(0, 100);
    this.#unknownFrameLog.hit({ content_type: contentType, connection });
  }

  /** `refused` while FreeSWITCH refuses the password (every attempt is retried). */
  get auth(): EslAuthState {
    return this.#auth;
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      fn();
    }, ms);
    this.#retryTimers.add(timer);
  }

  /** Each time the event connection is (back) up, the subscription is asked for and confirmed. */
  #onEventsStatus(status: EslClientStatus): void {
    if (this.#subscription === 'none') return;
    const epoch = ++this.#eventsEpoch;
    if (status === 'ready') this.#subscribe(epoch, 0);
    else if (this.#subscription === 'confirmed') this.#subscription = 'pending';
  }

  #subscribe(epoch: number, attempt: number): void {
    if (this.#closed || epoch !== this.#eventsEpoch) return;
    this.#events.events('json', this.#opts.eventNames).then(
      () => {
        if (this.#closed || epoch !== this.#eventsEpoch) return;
        if (this.#subscription === 'failed') this.#opts.logger.info({ attempt }, 'event subscription accepted');
        this.#subscription = 'confirmed';
        this.#subscribeError = undefined;
        this.#opts.onSubscription?.('confirmed');
      },
      (err: unknown) => {
        // The connection went away meanwhile: its next 'ready' asks again.
        if (this.#closed || epoch !== this.#eventsEpoch) return;
        this.#subscription = 'failed';
        this.#subscribeError = err instanceof Error ? err.message : String(err);
        this.#subscribeLog.hit({ err, attempt });
        this.#opts.onSubscription?.('failed');
        this.#later(backoffDelay(attempt, SUBSCRIBE_RETRY), () => this.#subscribe(epoch, attempt + 1));
      },
    );
  }

  /** The event subscription on the current event connection. */
  get subscription(): EventSubscriptionState {
    return this.#subscription;
  }

  /** Why the link is not ready, for /readyz; undefined when it is. */
  get notReadyReason(): string | undefined {
    if (this.#events.status !== 'ready') {
      if (this.#authError !== undefined) return `FreeSWITCH refused the ESL password (${this.#authError}), retrying: check FSBUS_ESL_PASSWORD`;
      if (this.#rejectError !== undefined) return `FreeSWITCH turned the connection away (${this.#rejectError}), retrying: its event socket ACL (apply-inbound-acl) must allow this host`;
      return `FreeSWITCH event connection ${this.#events.status}`;
    }
    if (this.#subscription === 'failed') return `FreeSWITCH refused the event subscription (${this.#subscribeError ?? 'no reason given'}), retrying`;
    if (this.#subscription === 'pending') return 'waiting for FreeSWITCH to confirm the event subscription';
    if (this.commandsReady === 0) return 'no FreeSWITCH command connection ready';
    return undefined;
  }

  get eventsStatus(): EslClientStatus {
    return this.#events.status;
  }

  /** Ready pool connections. */
  get commandsReady(): number {
    return this.#pool.filter((c) => c.status === 'ready').length;
  }

  /** Events connection up with its subscription confirmed, and a command connection up. */
  get ready(): boolean {
    return this.#events.status === 'ready' && (this.#subscription === 'none' || this.#subscription === 'confirmed') && this.commandsReady > 0;
  }

  /** Total protocol errors of every connection (undecodable frames; see EslStats). */
  get protocolErrors(): number {
    let n = 0;
    for (const c of this.clients) n += c.stats.protocolErrors;
    return n;
  }

  /**
   * Requests waiting for a reply on each pool connection. One that timed out here still counts:
   * FreeSWITCH is still running it, and it runs the api commands of one connection one after
   * the other, so whatever comes next would wait behind it. A lost socket's requests were
   * rejected with it and count no more.
   */
  get pending(): number[] {
    return this.#pool.map((c) => c.pending);
  }

  /**
   * The ready pool connection with the fewest requests waiting for FreeSWITCH (nothing pending
   * first), then the fewest commands in flight here (a bgapi waits for its job, not for the
   * connection); undefined when none is ready.
   */
  #pick(): EslClient | undefined {
    let best: EslClient | undefined;
    let bestPending = 0;
    for (const c of this.#pool) {
      if (c.status !== 'ready') continue;
      const pending = c.pending;
      if (best === undefined || pending < bestPending || (pending === bestPending && this.#inflight.get(c)! < this.#inflight.get(best)!)) {
        best = c;
        bestPending = pending;
      }
    }
    return best;
  }

  async #run<T>(fn: (c: EslClient) => Promise<T>): Promise<T | undefined> {
    const c = this.#pick();
    if (c === undefined) return undefined;
    this.#inflight.set(c, this.#inflight.get(c)! + 1);
    try {
      return await fn(c);
    } finally {
      this.#inflight.set(c, this.#inflight.get(c)! - 1);
    }
  }

  /** `api` on a pool connection; undefined when none is ready. */
  api(command: string, opts: CommandOptions): Promise<string | undefined> {
    return this.#run((c) => c.api(command, opts));
  }

  bgapi(command: string, opts: CommandOptions & { jobUuid?: string }): Promise<BgapiResult | undefined> {
    return this.#run((c) => c.bgapi(command, opts));
  }

  /** `sendmsg <uuid>` on a pool connection; undefined when none is ready; `-ERR` rejects (EslCommandError). */
  sendmsg(uuid: string, msg: SendMsg, opts: CommandOptions): Promise<CommandReplyFrame | undefined> {
    return this.#run((c) => c.sendmsg(uuid, msg, opts));
  }

  /** Every client, for stats. */
  get clients(): readonly EslClient[] {
    return [this.#events, ...this.#pool];
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const log of [this.#subscribeLog, this.#authLog, this.#rejectLog, this.#unreachableLog, this.#unknownFrameLog]) log.flush();
    for (const t of this.#retryTimers) clearTimeout(t);
    this.#retryTimers.clear();
    await Promise.all([this.#events, ...this.#pool].map((c) => c.close()));
  }
}
