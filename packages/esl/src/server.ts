/**
 * EslServer: the listener FreeSWITCH's `socket` dialplan application connects to (outbound
 * mode). Each connection is answered with `connect`; once FreeSWITCH replies with the channel
 * data, an EslSession is emitted as 'session'.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_EVENT_QUEUE_LIMIT, DEFAULT_MAX_PENDING, DEFAULT_REQUEST_TIMEOUT_MS } from './client.js';
import { EslConnectError, EslInvalidArgumentError } from './errors.js';
import { EslSession } from './session.js';
import { silentLogger, type EslLogger } from './logger.js';
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
  logger?: EslLogger;
}

export interface EslServerEvents {
  session: [EslSession];
  /** A connection that failed its handshake, or a listener error. */
  error: [Error];
}

export const DEFAULT_OUTBOUND_PORT = 8084;

export class EslServer extends TypedEmitter<EslServerEvents> {
  readonly #host: string;
  readonly #port: number;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #maxPending: number;
  readonly #eventQueueLimit: number;
  readonly #logger: EslLogger;
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<EslSession>();
  #server: Server | undefined;
  /** Totals over every session of this server. */
  readonly stats = { sessions: 0, failedHandshakes: 0 };

  constructor(options: EslServerOptions = {}) {
    super();
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? DEFAULT_OUTBOUND_PORT;
    this.#connectTimeoutMs = checkTimeoutMs('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
    this.#requestTimeoutMs = checkTimeoutMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#eventQueueLimit = options.eventQueueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT;
    this.#logger = options.logger ?? silentLogger;
    // A listener's throw or rejection (an async 'session' handler's) is an 'error'; one of an 'error' listener is logged.
    this.setListenerErrorHandler((err, event) => {
      if (event === 'error') this.#logger.error({ err }, 'an EslServer error listener threw');
      else this.#error(err instanceof Error ? err : new Error(String(err)));
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
  }

  #error(err: Error): void {
    if (!this.emit('error', err)) this.#logger.error({ err }, err.message);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const session = new EslSession(socket, {
      logger: this.#logger,
      eventQueueLimit: this.#eventQueueLimit,
      requestTimeoutMs: this.#requestTimeoutMs,
      maxPending: this.#maxPending,
    });
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
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
