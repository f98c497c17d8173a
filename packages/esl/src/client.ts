/**
 * EslClient: the inbound Event Socket client. Connects, authenticates, keeps the connection
 * (jittered exponential backoff), and re-applies the user's subscription, filters, log level
 * and myevents/divert state after every reconnect. Requests of a dead socket are rejected,
 * never replayed: FreeSWITCH may have run them.
 */
import { connect as netConnect } from 'node:net';
import { hostPort } from './host-port.js';
import { MAX_TIMER_MS, ReconnectBackoff, type BackoffOptions } from './backoff.js';
import { simpleCommand } from './command-text.js';
import type { CommandOptions } from './command-options.js';
import { EslCommands } from './commands.js';
import { EslConnection } from './connection.js';
import { EslAbortError, EslAuthError, EslClosedError, EslConnectError, EslError, EslInvalidArgumentError, EslRejectedError, EslTimeoutError } from './errors.js';
import { HUB_SIGNALS, type EslHubEvents, type SignalNames } from './event-hub.js';
import { GOODBYE_TEXT, type CommandReplyFrame, type DisconnectNoticeFrame, type EslFrame } from './frame.js';
import { DEFAULT_LIVENESS_MS, watchLiveness } from './liveness.js';
import { warnOnce } from './listener-error.js';
import { reapplyTracked } from './reapply.js';
import { checkTimeoutMs } from './timeout-ms.js';
import { errorFields, silentLogger, withBindings, type EslLogger } from './logger.js';

export type EslClientStatus = 'idle' | 'connecting' | 'ready' | 'disconnected' | 'reconnecting' | 'closed';

/**
 * Why the client went to 'closed': `close()`; `exit` (the app's `exit()`); `channel-hangup` (the
 * channel of `myevents <uuid>` hung up and FreeSWITCH ended the connection: its goodbye, after
 * the linger notice when lingering).
 */
export type EslClientCloseReason = 'close' | 'exit' | 'channel-hangup';

export interface EslClientOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 8021 */
  port?: number;
  /** @default 'ClueCon' */
  password?: string;
  /** `user@domain` for `userauth` instead of `auth`. */
  user?: string;
  /** Bounds TCP connect + greeting + auth. @default 5000 */
  connectTimeoutMs?: number;
  /** Default timeout of every request. @default 30000 */
  requestTimeoutMs?: number;
  /** Reconnect after a lost connection. @default true (100 ms doubling to 10 s, ±20 % jitter) */
  reconnect?: boolean | BackoffOptions;
  /** Requests waiting for a reply at most; more reject with EslQueueFullError. @default 10000 */
  maxPending?: number;
  /** Events an iterator keeps waiting at most before dropping. @default 10000 */
  eventQueueLimit?: number;
  /**
   * A connection that received nothing for this long, with no reply awaited, is sent a no-op
   * probe, and given up (reconnect) when that is not answered within as long again: a FreeSWITCH
   * gone without closing the socket is noticed in 2–3 periods, not TCP keepalive's ~12 minutes.
   * `false`: off. @default 60000
   */
  livenessMs?: number | false;
  /** Silent by default. Every line carries `host` and `port` (bound once through `child()` when the logger has it). */
  logger?: EslLogger;
}

export interface EslClientEvents extends EslHubEvents {
  status: [EslClientStatus];
  /** A reconnect attempt failed: why, its number since the connection was lost (1, 2, …), the wait before the next. */
  'reconnect-failed': [err: EslError, attempt: number, retryInMs: number];
}

const CLIENT_SIGNALS: SignalNames<EslClientEvents> = { ...HUB_SIGNALS, status: true, 'reconnect-failed': true };

/**
 * The message of the log line of each failed reconnect attempt (`{ reason, code, attempt,
 * retry_in_ms }`, no stack: it repeats until FreeSWITCH is back). An application that logs these its
 * own way drops this line and listens to `reconnect-failed`, which carries the Error itself.
 */
export const RECONNECT_FAILED_LOG = 'esl reconnect failed';

/** The message of the log line of a ready connection going away (`{ reason, retry_in_ms }`): the one place its reason is said. */
export const CONNECTION_LOST_LOG = 'esl connection lost';

const DEFAULT_ESL_HOST = '127.0.0.1';
export const DEFAULT_ESL_PORT = 8021;
export const DEFAULT_ESL_PASSWORD = 'ClueCon';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_PENDING = 10_000;
export const DEFAULT_EVENT_QUEUE_LIMIT = 10_000;
/** How long close() waits for FreeSWITCH's `+OK bye` and socket close before destroying it. */
const CLOSE_GRACE_MS = 2000;

export class EslClient extends EslCommands<EslClientEvents> {
  readonly #host: string;
  readonly #port: number;
  readonly #password: string;
  readonly #user: string | undefined;
  readonly #connectTimeoutMs: number;
  readonly #maxPending: number;
  /** Undefined: no liveness probe. */
  readonly #livenessMs: number | undefined;
  /** Undefined: reconnect disabled. */
  readonly #backoff: ReconnectBackoff | undefined;
  #status: EslClientStatus = 'idle';
  #conn: EslConnection | undefined;
  #ready = false;
  #closing = false;
  /**
   * Bumped by connect() and close(): an open (or a reconnect) started before is stale, and its
   * late outcome must not touch the status or the current connection, only drop its own socket.
   */
  #epoch = 0;
  /** True from TCP connect until the re-applied state is confirmed; a close then fails #open. */
  #opening = false;
  /** The user sent `exit`: the close that follows is wanted, not a reason to reconnect. */
  #exitSent = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** The text of the current connection's last disconnect notice: the reason of a clean close. */
  #disconnectNotice: string | undefined;
  /** The uuid of the channel this connection was bound to (`myevents <uuid>`) once FreeSWITCH said it hung up. */
  #channelHungUp: string | undefined;
  #closeReason: EslClientCloseReason | undefined;
  #lostReason: string | undefined;
  /** The connect() in progress, which a second connect() joins. */
  #connecting: Promise<void> | undefined;
  /** Set while a handshake waits for the greeting / a rude rejection. */
  #handshake: { onFrame(frame: EslFrame): void; onClose(err: Error | undefined): void } | undefined;

  constructor(options: EslClientOptions = {}) {
    const host = options.host ?? DEFAULT_ESL_HOST;
    const port = options.port ?? DEFAULT_ESL_PORT;
    // Every line names the FreeSWITCH it is about: an application may keep several connections.
    const logger = withBindings(options.logger ?? silentLogger, { host, port });
    super(logger, options.eventQueueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT, checkTimeoutMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS), CLIENT_SIGNALS);
    this.#host = host;
    this.#port = port;
    this.#password = options.password ?? DEFAULT_ESL_PASSWORD;
    this.#user = options.user;
    this.#connectTimeoutMs = checkTimeoutMs('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    const liveness = options.livenessMs ?? DEFAULT_LIVENESS_MS;
    if (liveness !== false && !(Number.isInteger(liveness) && liveness > 0 && liveness <= MAX_TIMER_MS)) {
      throw new EslInvalidArgumentError(`livenessMs must be false or a whole number of milliseconds > 0 and <= ${MAX_TIMER_MS}`);
    }
    this.#livenessMs = liveness === false ? undefined : liveness;
    const r = options.reconnect ?? true;
    this.#backoff = r === false ? undefined : new ReconnectBackoff(r === true ? {} : r);
  }

  get status(): EslClientStatus {
    return this.#status;
  }

  /**
   * Why the last ready connection was lost (the `reason` of its `esl connection lost` line), until
   * the client is ready again; undefined otherwise.
   */
  get lostReason(): string | undefined {
    return this.#lostReason;
  }

  /** Why the client is 'closed'; undefined in every other status (a `connect()` clears it). */
  get closeReason(): EslClientCloseReason | undefined {
    return this.#closeReason;
  }

  /** Requests on the current connection still waiting for their reply, timed-out ones included; 0 between connections. */
  get pending(): number {
    return this.#conn?.pending ?? 0;
  }

  /**
   * Resolves once authenticated. Rejects EslAuthError / EslRejectedError / EslConnectError / EslTimeoutError.
   * Called while a connect() is in progress, it joins that attempt (the same outcome; its own
   * `signal` ends only its own wait); while reconnecting it rejects EslConnectError.
   */
  async connect(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#status === 'ready') return;
    if (this.#status === 'connecting' && this.#connecting !== undefined) return joinAttempt(this.#connecting, opts.signal);
    if (this.#status === 'connecting' || this.#status === 'reconnecting') throw new EslConnectError(`already ${this.#status}`);
    const attempt = this.#connect(opts.signal);
    this.#connecting = attempt;
    try {
      await attempt;
    } finally {
      if (this.#connecting === attempt) this.#connecting = undefined;
    }
  }

  async #connect(signal: AbortSignal | undefined): Promise<void> {
    this.#closing = false;
    this.#exitSent = false;
    this.#closeReason = undefined;
    this.#backoff?.reset();
    const epoch = ++this.#epoch;
    this.#setStatus('connecting');
    try {
      await this.#open(signal, epoch);
      if (this.#closing || epoch !== this.#epoch) throw new EslClosedError('client closed while connecting');
    } catch (err) {
      if (!this.#closing && epoch === this.#epoch) this.#setStatus('disconnected');
      throw err;
    }
    this.#setStatus('ready');
  }

  /** Sends `exit` when ready, closes the socket, stops reconnecting; pending requests reject EslClosedError. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#closing = true;
    this.#epoch++;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#backoff?.disconnected();
    const conn = this.#conn;
    if (conn !== undefined && !conn.closed) {
      const closed = new Promise<void>((resolve) => conn.socket.once('close', () => resolve()));
      if (this.#ready) {
        try {
          await conn.request(simpleCommand('exit'), 'exit', { timeoutMs: CLOSE_GRACE_MS });
        } catch {
          // closing anyway
        }
        conn.end();
        const timer = setTimeout(() => conn.destroy(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(timer);
      } else {
        conn.destroy();
        await closed;
      }
    }
    this.#ready = false;
    this.rejectWaiters(new EslClosedError('client closed'));
    this.closeHub();
    this.#closeReason = 'close';
    this.#setStatus('closed');
  }

  /** `exit`: FreeSWITCH says goodbye and closes; the client then goes to 'closed' (no reconnect). */
  override async exit(opts?: CommandOptions): Promise<CommandReplyFrame> {
    this.#exitSent = true;
    try {
      return await super.exit(opts);
    } catch (err) {
      this.#exitSent = false;
      throw err;
    }
  }

  protected override connectionFor(label: string): EslConnection {
    const conn = this.#conn;
    if (!this.#ready || conn === undefined || conn.closed) throw new EslClosedError(`${label}: not connected (status ${this.#status})`, { unsent: true });
    return conn;
  }

  /** Reported, with the reason, in the one 'esl connection lost' line per occurrence (no second line with a stack per retry). */
  protected override logFatalProtocolError(): void {}

  #setStatus(status: EslClientStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    if (status === 'ready') this.#lostReason = undefined;
    this.logger.debug({ status }, 'esl status');
    this.emit('status', status);
  }

  /** TCP connect, greeting, auth, then re-apply the tracked state; `epoch`: the connect or reconnect it serves. */
  async #open(signal: AbortSignal | undefined, epoch: number): Promise<void> {
    if (signal?.aborted === true) throw new EslAbortError('connect', signal.reason);
    this.#opening = true;
    try {
      await this.#openSocket(signal, epoch);
    } finally {
      // A stale open must not end the flag of the one that replaced it.
      if (epoch === this.#epoch) this.#opening = false;
    }
  }

  async #openSocket(signal: AbortSignal | undefined, epoch: number): Promise<void> {
    const socket = netConnect({ host: this.#host, port: this.#port, noDelay: true });
    // A socket that never connected had no handshake to close during: said as a failed connect.
    let stage: HandshakeStage = 'tcp';
    socket.once('connect', () => {
      stage = 'greeting';
    });
    const conn = new EslConnection(
      socket,
      {
        onFrame: (frame) => this.#onFrame(conn, frame),
        onProtocolError: (err, fatal) => {
          if (this.#conn === conn) this.handleProtocolError(err, fatal);
        },
        onClose: (err) => this.#onClose(conn, err),
      },
      { maxPending: this.#maxPending, requestTimeoutMs: this.requestTimeoutMs, stats: this.stats },
    );
    this.#conn = conn;
    this.#ready = false;
    this.#disconnectNotice = undefined;
    this.#channelHungUp = undefined;
    this.resetInternalState();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => {
          this.#handshake = undefined;
          conn.destroy();
          reject(err);
        };
        const where = hostPort(this.#host, this.#port);
        // 0 and Infinity: no timeout (Node would fire either after 1 ms).
        const limitMs = this.#connectTimeoutMs;
        if (limitMs > 0 && Number.isFinite(limitMs)) timer = setTimeout(() => fail(new EslTimeoutError(`connect to ${where}`, limitMs, STALLED_AT[stage])), limitMs);
        if (signal !== undefined) {
          onAbort = () => fail(new EslAbortError('connect', signal.reason));
          signal.addEventListener('abort', onAbort, { once: true });
        }
        this.#handshake = {
          onFrame: (frame) => {
            if (frame.kind === 'rude-rejection') fail(new EslRejectedError(frame.text));
            else if (frame.kind === 'auth-request') {
              stage = 'auth';
              this.#handshake = undefined;
              this.#authenticate(conn).then(resolve, fail);
            }
          },
          onClose: (err) =>
            fail(
              this.#closing
                ? new EslClosedError('client closed while connecting')
                : stage !== 'tcp'
                  ? new EslConnectError(`connection to ${where} closed during the handshake${closedAt(stage, err)}`, { cause: err })
                  : new EslConnectError(`cannot connect to FreeSWITCH at ${where}: ${connectFailure(err)}`, { cause: err }),
            ),
        };
      });
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
    if (this.#closing || epoch !== this.#epoch) {
      conn.destroy();
      throw new EslClosedError('client closed while connecting');
    }
    this.#ready = true;
    await this.#reapply(conn);
    if (epoch !== this.#epoch) {
      conn.destroy();
      throw new EslClosedError('client closed while connecting');
    }
    if (conn.closed) throw new EslClosedError('connection closed while re-applying the subscription', conn.error === undefined ? undefined : { cause: conn.error });
    if (this.#livenessMs !== undefined) watchLiveness(conn, this.#livenessMs, (err) => conn.destroy(err));
  }

  async #authenticate(conn: EslConnection): Promise<void> {
    const line = this.#user === undefined ? `auth ${this.#password}` : `userauth ${this.#user}:${this.#password}`;
    // The label never carries the password.
    const reply = await conn.request(simpleCommand(line), this.#user === undefined ? 'auth' : 'userauth', { timeoutMs: this.#connectTimeoutMs });
    if (reply.kind !== 'command-reply' || !reply.ok) {
      throw new EslAuthError(reply.kind === 'command-reply' ? reply.replyText : reply.body);
    }
  }

  /** After every (re)connect: what the user had set on the connection before (reapply.ts). */
  #reapply(conn: EslConnection): Promise<void> {
    return reapplyTracked({
      subs: this.subs,
      send: (text, label) => this.send(conn, text, label),
      current: () => conn === this.#conn && !conn.closed,
      logger: this.logger,
      refused: (err, command) => this.#reportUnasked(err, `re-apply ${command}`),
    });
  }

  /**
   * A failure of the client's own doing (a reconnect, its re-apply), with no call of the user's to
   * reject: an 'error'; unheard, logged and a process warning once per `kind`, as an unheard
   * listener error is (listener-error.ts) — the default logger is silent. Never thrown. The kind
   * names this client's FreeSWITCH: a second one refusing too warns as well. `logged`: the caller
   * has written its own line (a reconnect's), not written again.
   */
  #reportUnasked(err: EslError, kind: string, logged = false): void {
    if (this.emit('error', err)) return;
    if (!logged) this.logger.error({ err }, err.message);
    warnOnce(`${hostPort(this.#host, this.#port)} ${kind}`, err);
  }

  #onFrame(conn: EslConnection, frame: EslFrame): void {
    if (this.#conn !== conn) return;
    if (this.#handshake !== undefined) {
      this.#handshake.onFrame(frame);
      return;
    }
    if (frame.kind === 'rude-rejection') this.emitError(new EslRejectedError(frame.text));
    else if (frame.kind === 'disconnect-notice') this.#onNotice(frame);
    this.handleFrame(frame);
  }

  /**
   * A connection bound to a channel (`myevents <uuid>`: FreeSWITCH then sets listener->session and
   * names it in `Controlled-Session-UUID`) hears of its hangup: the linger notice, or — without
   * linger — the goodbye, with which listener_run ends as the channel goes down (not an answer to
   * our `exit`: that is #exitSent's). The channel is gone: a reconnect would only be refused its
   * `myevents`, so the close that follows ends the client. Other notices (shutdown, a listener
   * killed for lost events) leave the channel as it was: those still reconnect.
   */
  #onNotice(frame: DisconnectNoticeFrame): void {
    this.#disconnectNotice = frame.text;
    const uuid = frame.headers.get('Controlled-Session-UUID');
    if (uuid === undefined || this.#exitSent) return;
    if (frame.linger || frame.text.startsWith(GOODBYE_TEXT)) this.#channelHungUp = uuid;
  }

  #onClose(conn: EslConnection, err: Error | undefined): void {
    if (this.#conn !== conn) return;
    this.#backoff?.disconnected();
    const handshake = this.#handshake;
    this.#handshake = undefined;
    const wasReady = this.#ready;
    this.#ready = false;
    this.rejectWaiters(new EslClosedError('connection closed', err === undefined ? undefined : { cause: err }));
    this.resetInternalState();
    if (handshake !== undefined) {
      handshake.onClose(err);
      return;
    }
    if (this.#closing || !wasReady || this.#opening) return;
    const reason = this.#exitSent ? 'exit' : this.#channelHungUp !== undefined ? 'channel-hangup' : undefined;
    if (reason !== undefined) {
      if (reason === 'channel-hangup') this.logger.info({ uuid: this.#channelHungUp }, 'esl channel of myevents hung up, client closed');
      this.#exitSent = false;
      this.#closing = true;
      this.closeHub();
      this.#closeReason = reason;
      this.#setStatus('closed');
      return;
    }
    const retryInMs = this.#backoff?.lost();
    const why = err === undefined ? { reason: cleanCloseReason(this.#disconnectNotice) } : errorFields(err);
    this.logger.warn({ ...why, ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }) }, CONNECTION_LOST_LOG);
    this.#lostReason = why.reason;
    // No reconnect: only a connect() of the user's brings events again, so iterators end as on close().
    if (retryInMs === undefined) this.closeHub();
    this.#setStatus('disconnected');
    if (retryInMs !== undefined) this.#scheduleReconnect(retryInMs);
  }

  #scheduleReconnect(delay: number): void {
    const backoff = this.#backoff;
    if (this.#closing || backoff === undefined) return;
    this.#setStatus('reconnecting');
    const epoch = this.#epoch;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      // A close() (and a connect() after it) made this attempt stale: its outcome is ignored, its socket dropped (#openSocket).
      this.#open(undefined, epoch).then(
        () => {
          if (this.#closing || epoch !== this.#epoch) return;
          // Not reset yet: a connection that dies at once must not be retried at the first delay again.
          backoff.connected(() => this.logger.debug({}, 'esl connection stable, reconnect backoff reset'));
          this.stats.reconnects++;
          this.#setStatus('ready');
        },
        (err: unknown) => {
          if (this.#closing || epoch !== this.#epoch) return;
          const { attempt, retryInMs } = backoff.failed();
          // Every failure of #open is one of ours; anything else (a fault) is said as a failed connect, its cause kept.
          const error = err instanceof EslError ? err : new EslConnectError(`reconnect to ${hostPort(this.#host, this.#port)} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          this.logger.warn({ ...errorFields(error), attempt, retry_in_ms: retryInMs }, RECONNECT_FAILED_LOG);
          this.emit('reconnect-failed', error, attempt, retryInMs);
          // Refused, it will be refused again until someone changes the password or the ACL: say so.
          if (err instanceof EslAuthError || err instanceof EslRejectedError) this.#reportUnasked(err, `reconnect ${err.code}`, true);
          this.#scheduleReconnect(retryInMs);
        },
      );
    }, delay);
  }
}

/** A connect() joining the attempt in progress: its outcome, or an EslAbortError when the joiner's own signal fires first. */
function joinAttempt(attempt: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return attempt;
  if (signal.aborted) return Promise.reject(new EslAbortError('connect', signal.reason));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(new EslAbortError('connect', signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    void attempt.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A close without a socket error: what FreeSWITCH said before it (`The system is being shut down.`), if anything. */
function cleanCloseReason(notice: string | undefined): string {
  const text = notice?.trim().replace(/\s+/g, ' ');
  return text === undefined || text === '' ? 'the peer closed the connection' : `the peer closed the connection after its disconnect notice: ${text}`;
}

/** How far a connect got: TCP, then FreeSWITCH's `auth/request` greeting, then the reply to auth. */
type HandshakeStage = 'tcp' | 'greeting' | 'auth';

/** What a connect timeout says of where it stalled: a port that accepts TCP but never greets is not Event Socket. */
const STALLED_AT: Readonly<Record<HandshakeStage, string>> = {
  tcp: 'TCP not connected',
  greeting: 'TCP connected but no Event Socket greeting (Content-Type: auth/request) came: not an Event Socket port?',
  auth: 'FreeSWITCH greeted, but sent no reply to auth',
};

/**
 * What a close during the handshake adds to its message: the socket error, if any, and — closed
 * before any greeting (a port that hangs up at once) — the same hint as a timeout there.
 */
function closedAt(stage: HandshakeStage, err: Error | undefined): string {
  const parts = [err?.message, stage === 'greeting' ? STALLED_AT.greeting : undefined].filter((p) => p !== undefined && p !== '');
  return parts.length === 0 ? '' : `: ${parts.join('; ')}`;
}

/** What a failed TCP connect's error code means, in words (its message, `connect ECONNREFUSED 127.0.0.1:8021`, repeats the address). */
const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  // A listener closing with our connect still in its backlog (FreeSWITCH stopping) resets it.
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
};

function connectFailure(err: Error | undefined): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code === undefined ? undefined : CONNECT_FAILURES[code]) ?? err?.message ?? 'closed before connecting';
}
