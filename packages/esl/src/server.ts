/**
 * EslServer: the listener FreeSWITCH's `socket` dialplan application connects to (outbound
 * mode). Each connection is answered with `connect`; once FreeSWITCH replies with the channel
 * data, an EslSession is emitted as 'session'. Until that reply a peer is unauthenticated: its
 * frames are held to a small size, and maxSessions bounds how many such sockets there are.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_EVENT_QUEUE_LIMIT, DEFAULT_MAX_PENDING, DEFAULT_REQUEST_TIMEOUT_MS } from './client.js';
import { EslConnectError, EslInvalidArgumentError } from './errors.js';
import { EslSession } from './session.js';
import { silentLogger, type EslLogger } from './logger.js';
import { LogThrottle } from './log-throttle.js';
import { reportListenerError } from './listener-error.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES, type ParserOptions } from './parser.js';
import { TypedEmitter } from './typed-emitter.js';
import { checkTimeoutMs } from './timeout-ms.js';

export interface EslServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8084 */
  port?: number;
  /** Bounds the `connect` handshake. @default 5000 */
  connectTimeoutMs?: number;
  /** Default timeout of every request of a session. @default 30000 */
  requestTimeoutMs?: number;
  /** @default 10000 */
  maxPending?: number;
  /** @default 10000 */
  eventQueueLimit?: number;
  /**
   * Largest body kept on an established session; a larger one is skipped (as the client does).
   * @default 64 MiB
   */
  maxBodyBytes?: number;
  /** Largest header block of an established session; a larger one closes it. @default 1 MiB */
  maxHeaderBytes?: number;
  /**
   * Open connections, those still in the handshake included; one more is closed at once and
   * counted in `stats.refusedConnections`. `Infinity`: no cap. @default 1024
   */
  maxSessions?: number;
  logger?: EslLogger;
}

export interface EslServerEvents {
  session: [EslSession];
  /** A connection that failed its handshake, or a listener error. */
  error: [Error];
}

export const DEFAULT_OUTBOUND_PORT = 8084;

/**
 * Far more concurrent `socket` calls than one FreeSWITCH usually sends one process, while the
 * connections that never answer `connect` can hold about 1024 × 128 KiB (HANDSHAKE_LIMIT_BYTES of
 * headers and of body each) at most. Raise it, with the process's open-file limit, for more.
 */
const DEFAULT_MAX_SESSIONS = 1024;

/**
 * The frames before the `connect` reply: FreeSWITCH's reply is a header block of the channel's
 * data (≈3.4 KB in the 1.10.12 capture; 64 KiB leaves room for many more variables), no body.
 */
const HANDSHAKE_LIMIT_BYTES = 64 * 1024;

/**
 * How long a failed handler's session may take to end after its `exit` before its socket is
 * destroyed: FreeSWITCH answers at once, unless the channel's thread is still busy (a static
 * session behind a running application reads nothing until it completes).
 */
const FAILED_SESSION_EXIT_MS = 1000;

/**
 * Ends the session of a failed 'session' handler as the protocol expects: `exit` (FreeSWITCH
 * answers `+OK bye`, sends its goodbye and closes), the socket destroyed if that has not happened
 * within FAILED_SESSION_EXIT_MS — one deadline for the whole, as close()'s own waits are longer.
 */
function endFailedSession(session: EslSession): void {
  if (session.closed) return;
  const timer = setTimeout(() => session.destroy(), FAILED_SESSION_EXIT_MS);
  // close() never rejects: a refused or failed `exit` destroys the socket itself.
  const done = (): void => clearTimeout(timer);
  session.close({ timeoutMs: FAILED_SESSION_EXIT_MS }).then(done, done);
}

function checkLimit(name: string, value: number, allowInfinity = false): number {
  if ((Number.isSafeInteger(value) && value > 0) || (allowInfinity && value === Infinity)) return value;
  throw new EslInvalidArgumentError(`${name} must be a positive integer${allowInfinity ? ' or Infinity' : ''}, not ${value}`);
}

export class EslServer extends TypedEmitter<EslServerEvents> {
  readonly #host: string;
  readonly #port: number;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #maxPending: number;
  readonly #eventQueueLimit: number;
  readonly #parser: ParserOptions;
  readonly #maxSessions: number;
  readonly #logger: EslLogger;
  readonly #refusedLog: LogThrottle;
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<EslSession>();
  #server: Server | undefined;
  /** Totals over every session of this server. */
  readonly stats = { sessions: 0, failedHandshakes: 0, refusedConnections: 0 };

  constructor(options: EslServerOptions = {}) {
    super();
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? DEFAULT_OUTBOUND_PORT;
    this.#connectTimeoutMs = checkTimeoutMs('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
    this.#requestTimeoutMs = checkTimeoutMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#eventQueueLimit = options.eventQueueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT;
    const maxBodyBytes = checkLimit('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    const maxHeaderBytes = checkLimit('maxHeaderBytes', options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    this.#parser = {
      maxBodyBytes,
      maxHeaderBytes,
      beforeFirstReply: { maxBodyBytes: Math.min(maxBodyBytes, HANDSHAKE_LIMIT_BYTES), maxHeaderBytes: Math.min(maxHeaderBytes, HANDSHAKE_LIMIT_BYTES) },
    };
    this.#maxSessions = checkLimit('maxSessions', options.maxSessions ?? DEFAULT_MAX_SESSIONS, true);
    this.#logger = options.logger ?? silentLogger;
    // A flood of connections must not flood the log too: one line per burst, the counter has them all.
    this.#refusedLog = new LogThrottle((fields, msg) => this.#logger.warn(fields, msg), 'outbound connection refused: maxSessions reached');
    // A listener's throw or rejection (an async 'session' handler's) is an 'error' (reportListenerError).
    // A failed 'session' handler left its call in a state nobody drives: its session is ended, so
    // that FreeSWITCH goes on with the dialplan instead of keeping the call parked until close().
    this.setListenerErrorHandler((thrown, event, args) => {
      if (event === 'session' && args[0] instanceof EslSession) endFailedSession(args[0]);
      reportListenerError(thrown, event, (err) => this.emit('error', err), this.#logger);
    });
  }

  /** Sessions whose socket is open. */
  get sessions(): ReadonlySet<EslSession> {
    return this.#sessions;
  }

  async listen(): Promise<{ port: number; host: string }> {
    if (this.#server !== undefined) throw new EslInvalidArgumentError('EslServer is already listening');
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#server = undefined;
        reject(new EslConnectError(`cannot listen on ${this.#host}:${this.#port}: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen(this.#port, this.#host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.#error(err));
        resolve();
      });
    });
    const address = server.address();
    return { port: typeof address === 'object' && address !== null ? address.port : this.#port, host: this.#host };
  }

  /** Stops listening and closes every session's socket. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const sockets = [...this.#sockets].map((s) => new Promise<void>((resolve) => {
      if (s.destroyed) resolve();
      else {
        s.once('close', () => resolve());
        s.destroy();
      }
    }));
    await Promise.all([closed, ...sockets]);
    this.#refusedLog.flush();
  }

  #error(err: Error): void {
    if (!this.emit('error', err)) this.#logger.error({ err }, err.message);
  }

  #accept(socket: Socket): void {
    if (this.#sockets.size >= this.#maxSessions) {
      this.stats.refusedConnections++;
      this.#refusedLog.hit({ max_sessions: this.#maxSessions, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    const session = new EslSession(socket, {
      logger: this.#logger,
      eventQueueLimit: this.#eventQueueLimit,
      requestTimeoutMs: this.#requestTimeoutMs,
      maxPending: this.#maxPending,
      parser: this.#parser,
    });
    // On the socket, not the session's 'close': an app's session.removeAllListeners() (a modesl
    // habit) would take a listener of ours with it, and the session would stay here for ever.
    // Ahead of the session's own: gone from `sessions` by the time its 'close' is emitted.
    socket.prependOnceListener('close', () => {
      this.#sockets.delete(socket);
      this.#sessions.delete(session);
    });
    this.#sessions.add(session);
    session.handshake(this.#connectTimeoutMs).then(
      () => {
        this.stats.sessions++;
        this.emit('session', session);
      },
      (err: unknown) => {
        this.stats.failedHandshakes++;
        this.#logger.warn({ err, remote: socket.remoteAddress }, 'outbound handshake failed');
        session.destroy();
        this.#error(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }
}
