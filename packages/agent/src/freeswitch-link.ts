/**
 * The agent's Event Socket side: one connection for events (subscribed only to what will be
 * published) and a small pool for commands, so a slow `api` does not hold up the commands after
 * it (FreeSWITCH runs the api commands of one connection one after the other). Each client
 * reconnects by itself and re-applies its subscription; the first connect is retried here until
 * it succeeds.
 *
 * The event subscription is asked for here on every (re)connect of the event connection and
 * retried with backoff until FreeSWITCH accepts it: a refused `event json` is forgotten by the
 * client (it would never be asked again), and a refused re-apply only reported. Until it is
 * accepted the link is not ready.
 *
 * A subscription confirmed again after the event connection was lost is reported with the time
 * of the loss (`onEventsResumed`): FreeSWITCH's events of the gap are gone, consumers must resync.
 *
 * Connection failures are retried for ever (the first connect here, later ones by the client);
 * what they say — a refused password, a connection the event socket ACL turns away, no answer —
 * is counted, logged once per burst and given as `notReadyReason` by link-access.ts, and as the
 * `unavailableCause` of a command that found no connection ready. Why a ready connection was lost
 * is kept until it is ready again: /readyz says it while the event connection reconnects.
 */
import {
  DEFAULT_MAX_PENDING,
  EslAuthError,
  EslClient,
  EslProtocolError,
  EslRejectedError,
  LogThrottle,
  afterTask,
  backoffDelay,
  withBindings,
  type BgapiResult,
  type CommandOptions,
  type CommandReplyFrame,
  type EslClientStatus,
  type EslEvent,
  type EslLogger,
  type SendMsg,
} from '@fsbus/esl';
import { nowMicros } from '@fsbus/contract';
import { LinkAccess, withoutReconnectLines, type EslAuthState } from './link-access.js';

export type { EslAuthState };

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
/** Commands of one event-loop turn sent on the connection it picked first (see `#pick`). */
export const DEFAULT_TURN_BATCH = 16;

export interface FreeSwitchLinkOptions {
  host: string;
  port: number;
  password: string;
  /** The variable the password came from, named when FreeSWITCH refuses it. @default 'FSBUS_ESL_PASSWORD' */
  passwordEnv?: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Requests waiting for a reply per connection; more reject with EslQueueFullError. @default the ESL client's */
  maxPending?: number;
  /** Commands of one event-loop turn sent together on one connection; 1: each to the least busy. @default DEFAULT_TURN_BATCH */
  turnBatch?: number;
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
  /** The subscription is confirmed again after a loss: events since `lostSinceUs` (µs epoch) were not received. Called before `onSubscription`. */
  onEventsResumed?(lostSinceUs: number): void;
  /** FreeSWITCH refused the password (each attempt), or accepted it after refusing (see `auth`). */
  onAuth?(state: EslAuthState): void;
}

/** Which of the link's connections a log line is about. */
type ConnectionRole = { role: 'events' } | { role: 'command'; pool_index: number };

/**
 * An ESL client's logger: without its line per failed reconnect attempt (LinkAccess says those once
 * per burst), and with child(), through which the client binds its host and port once.
 */
function connectionLogger(logger: EslLogger): EslLogger {
  return { ...withoutReconnectLines(logger), child: (bindings) => connectionLogger(withBindings(logger, bindings)) };
}

export class FreeSwitchLink {
  readonly #opts: FreeSwitchLinkOptions;
  readonly #turnBatch: number;
  readonly #maxPending: number;
  readonly #events: EslClient;
  readonly #pool: EslClient[];
  readonly #inflight = new Map<EslClient, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  readonly #subscribeLog: LogThrottle;
  readonly #access: LinkAccess;
  #subscription: EventSubscriptionState;
  /** The last subscription failure, for `notReadyReason`. */
  #subscribeError: string | undefined;
  /** When events stopped flowing (a confirmed subscription's connection went away), until confirmed again. */
  #eventsLostAtUs: number | undefined;
  /** Bumped on every status change of the event connection: an answer of an older one is stale. */
  #eventsEpoch = 0;
  #closed = false;
  /** The connection this event-loop turn's commands go to, and how many it took. */
  #turnPick: EslClient | undefined;
  #turnCount = 0;
  readonly #endTurn = (): void => {
    this.#turnPick = undefined;
  };

  constructor(opts: FreeSwitchLinkOptions) {
    this.#opts = opts;
    this.#turnBatch = opts.turnBatch ?? DEFAULT_TURN_BATCH;
    this.#maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    const access = new LinkAccess({ host: opts.host, port: opts.port }, opts.logger, (state) => opts.onAuth?.(state), opts.passwordEnv);
    this.#access = access;
    const roleLoggers = new Map<EslClient, EslLogger>();
    const make = (role: ConnectionRole) => {
      const logger = withBindings(opts.logger, role);
      const client = new EslClient({
        host: opts.host,
        port: opts.port,
        password: opts.password,
        reconnect: true,
        connectTimeoutMs: opts.connectTimeoutMs,
        logger: connectionLogger(logger),
        maxPending: this.#maxPending,
        ...(opts.livenessMs === undefined ? {} : { livenessMs: opts.livenessMs === 0 ? false : opts.livenessMs }),
      });
      roleLoggers.set(client, logger);
      return client;
    };
    this.#events = make({ role: 'events' });
    this.#pool = Array.from({ length: opts.poolSize }, (_, i) => make({ role: 'command', pool_index: i }));
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
          access.accepted();
        }
        this.#sayLinkState(c, s);
        opts.onStatus(which, s);
      });
      // Errors surface as statuses and rejected requests; an unhandled 'error' must not crash us.
      // Protocol errors are logged (rate-limited) and counted (stats.protocolErrors) by the client.
      c.on('error', (err) => {
        if (err instanceof EslAuthError) access.authRefused(err, undefined);
        else if (err instanceof EslRejectedError) access.rejected(err, undefined);
        else if (!(err instanceof EslProtocolError)) roleLoggers.get(c)!.warn({ err, host: opts.host, port: opts.port }, 'esl error');
      });
      c.on('frame', (frame) => access.unknownFrame(frame, which));
      // A refused password or an ACL rejection is left to the 'error' the client emits next (counted once, not twice).
      c.on('reconnect-failed', (err, attempt) => {
        if (!(err instanceof EslAuthError) && !(err instanceof EslRejectedError)) access.unreachable(err, attempt);
      });
    }
  }

  /** Up: the event connection and a command connection ready (LinkAccess says it once per loss of the event connection). */
  #sayLinkState(client: EslClient, status: EslClientStatus): void {
    if (client === this.#events && status !== 'ready') this.#access.eventsDown();
    else if (status === 'ready' && this.#events.status === 'ready') {
      const ready = this.commandsReady;
      if (ready > 0) this.#access.linkUp(ready, this.#pool.length);
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
        if (err instanceof EslAuthError) this.#access.authRefused(err, attempt);
        else this.#access.unreachable(err, attempt);
        this.#later(backoffDelay(attempt, CONNECT_RETRY), () => this.#connect(client, attempt + 1));
      },
    );
  }

  /** `refused` while FreeSWITCH refuses the password (every attempt is retried). */
  get auth(): EslAuthState {
    return this.#access.auth;
  }

  /** Connection attempts FreeSWITCH refused the password of. */
  get authFailures(): number {
    return this.#access.authFailures;
  }

  /** Connection attempts FreeSWITCH turned away before the password (apply-inbound-acl). */
  get rejections(): number {
    return this.#access.rejections;
  }

  /** Frames of an unknown or missing Content-Type (not decoded, not used). */
  get unknownFrames(): number {
    return this.#access.unknownFrames;
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
    else if (this.#subscription === 'confirmed') {
      this.#subscription = 'pending';
      // Losses while not confirmed (a failed reconnect, a refused subscription) are the same gap.
      this.#eventsLostAtUs = nowMicros();
    }
  }

  #subscribe(epoch: number, attempt: number): void {
    if (this.#closed || epoch !== this.#eventsEpoch) return;
    this.#events.events('json', this.#opts.eventNames).then(
      () => {
        if (this.#closed || epoch !== this.#eventsEpoch) return;
        if (this.#subscription === 'failed') this.#opts.logger.info({ attempt }, 'event subscription accepted');
        this.#subscription = 'confirmed';
        this.#subscribeError = undefined;
        const lostAt = this.#eventsLostAtUs;
        this.#eventsLostAtUs = undefined;
        if (lostAt !== undefined) this.#opts.onEventsResumed?.(lostAt);
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
      // Why the last attempt failed, else why the connection was lost (until an attempt fails).
      const unreachable = this.#access.unreachableReason;
      const lost = this.#events.lostReason;
      const why = unreachable !== undefined ? `: ${unreachable}` : lost !== undefined ? ` (lost: ${lost})` : '';
      return this.#access.refusal ?? `FreeSWITCH event connection ${this.#events.status}${why}`;
    }
    if (this.#subscription === 'failed') return `FreeSWITCH refused the event subscription (${this.#subscribeError ?? 'no reason given'}), retrying`;
    if (this.#subscription === 'pending') return 'waiting for FreeSWITCH to confirm the event subscription';
    if (this.commandsReady === 0) return 'no FreeSWITCH command connection ready';
    return undefined;
  }

  /**
   * Why no command connection is ready, for the answer of a command that found none: what
   * FreeSWITCH said (the password, its ACL), why the last attempt failed, else why a command
   * connection was lost; undefined when nothing is known.
   */
  get unavailableCause(): string | undefined {
    const cause = this.#access.cause;
    if (cause !== undefined) return cause;
    for (const c of this.#pool) {
      const lost = c.lostReason;
      if (lost !== undefined) return `the connection was lost (${lost}), reconnecting`;
    }
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
   * The connection for the next command. The commands of one event-loop turn (up to
   * `turnBatch`) go where the turn's first one went, the least busy connection: they leave in
   * one write and their replies come back in one read, where spreading them over the pool split
   * every turn into a write, a wake-up and a read per connection (bench/results/notes.md). The
   * turn ends when its task's ticks and microtasks have run (afterTask: the broker clients hand
   * over one read's requests through either). The price: a slow `api` holds up the commands of
   * its own turn; later ones go elsewhere.
   */
  #pick(): EslClient | undefined {
    const turn = this.#turnPick;
    if (turn !== undefined && this.#turnCount < this.#turnBatch && turn.status === 'ready' && turn.pending < this.#maxPending) {
      this.#turnCount++;
      return turn;
    }
    const best = this.#leastBusy();
    if (best === undefined) return undefined;
    if (turn === undefined) afterTask(this.#endTurn);
    this.#turnPick = best;
    this.#turnCount = 1;
    return best;
  }

  /**
   * The ready pool connection with the fewest requests waiting for FreeSWITCH (nothing pending
   * first), then the fewest commands in flight here (a bgapi waits for its job, not for the
   * connection); undefined when none is ready.
   */
  #leastBusy(): EslClient | undefined {
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
    this.#subscribeLog.flush();
    this.#access.flushLogs();
    for (const t of this.#retryTimers) clearTimeout(t);
    this.#retryTimers.clear();
    await Promise.all([this.#events, ...this.#pool].map((c) => c.close()));
  }
}
