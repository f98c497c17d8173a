/**
 * The agent's Event Socket side: one connection for events (subscribed only to what will be
 * published) and a small pool for commands, so a slow `api` never holds up the others (FreeSWITCH
 * runs the api commands of one connection one after the other). Each client reconnects by itself
 * and re-applies its subscription; the first connect is retried here until it succeeds.
 */
import {
  EslClient,
  backoffDelay,
  type BgapiResult,
  type CommandOptions,
  type CommandReplyFrame,
  type EslClientStatus,
  type EslEvent,
  type EslLogger,
  type SendMsg,
} from '@fsbus/esl';

export interface FreeSwitchLinkOptions {
  host: string;
  port: number;
  password: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Requests waiting for a reply per connection; more reject with EslQueueFullError. @default the ESL client's */
  maxPending?: number;
  /** `event json …` arguments; empty = no events. */
  eventNames: readonly string[];
  logger: EslLogger;
  onEvent(event: EslEvent): void;
  onStatus(which: 'events' | 'commands', status: EslClientStatus): void;
  onReconnect(): void;
}

export class FreeSwitchLink {
  readonly #opts: FreeSwitchLinkOptions;
  readonly #events: EslClient;
  readonly #pool: EslClient[];
  readonly #inflight = new Map<EslClient, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(opts: FreeSwitchLinkOptions) {
    this.#opts = opts;
    const make = () =>
      new EslClient({
        host: opts.host,
        port: opts.port,
        password: opts.password,
        reconnect: true,
        connectTimeoutMs: opts.connectTimeoutMs,
        logger: opts.logger,
        ...(opts.maxPending === undefined ? {} : { maxPending: opts.maxPending }),
      });
    this.#events = make();
    this.#pool = Array.from({ length: opts.poolSize }, make);
    this.#events.on('event', (e) => opts.onEvent(e));
    for (const c of [this.#events, ...this.#pool]) {
      this.#inflight.set(c, 0);
      let wasReady = false;
      c.on('status', (s) => {
        if (s === 'ready' && wasReady) opts.onReconnect();
        if (s === 'ready') wasReady = true;
        opts.onStatus(c === this.#events ? 'events' : 'commands', s);
      });
      // Errors surface as statuses and rejected requests; an unhandled 'error' must not crash us.
      c.on('error', (err) => opts.logger.warn({ err }, 'esl error'));
    }
  }

  /** Starts connecting every client; resolves at once (readiness is reported by status). */
  start(): void {
    this.#connect(this.#events, 0, async () => {
      if (this.#opts.eventNames.length > 0) await this.#events.events('json', this.#opts.eventNames);
    });
    for (const c of this.#pool) this.#connect(c, 0, () => Promise.resolve());
  }

  #connect(client: EslClient, attempt: number, afterFirst: () => Promise<void>): void {
    if (this.#closed) return;
    client.connect().then(
      () =>
        afterFirst().catch((err: unknown) => {
          this.#opts.logger.error({ err }, 'event subscription failed');
        }),
      (err: unknown) => {
        if (this.#closed) return;
        this.#opts.logger.warn({ err, attempt }, 'FreeSWITCH not reachable, retrying');
        const timer = setTimeout(() => {
          this.#retryTimers.delete(timer);
          this.#connect(client, attempt + 1, afterFirst);
        }, backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 5000 }));
        this.#retryTimers.add(timer);
      },
    );
  }

  get eventsStatus(): EslClientStatus {
    return this.#events.status;
  }

  /** Ready pool connections. */
  get commandsReady(): number {
    return this.#pool.filter((c) => c.status === 'ready').length;
  }

  get ready(): boolean {
    return this.#events.status === 'ready' && this.commandsReady > 0;
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
    for (const t of this.#retryTimers) clearTimeout(t);
    this.#retryTimers.clear();
    await Promise.all([this.#events, ...this.#pool].map((c) => c.close()));
  }
}
