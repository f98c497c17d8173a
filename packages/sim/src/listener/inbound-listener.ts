/**
 * The inbound Event Socket listener (mod_event_socket's runtime loop): accepts connections,
 * applies the ACL (`text/rude-rejection`, then the goodbye notice), and runs one EslSession per
 * connection. Can be stopped and started again on the same port.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Acl, DEFAULT_ACL } from './acl.js';
import { SimListenError } from './errors.js';
import type { EventHub } from './event-hub.js';
import { EslSession } from './session.js';
import type { EslUser, SessionLimits, WireCore, WireKnobs } from './types.js';
import { disconnectNotice, GOODBYE_TEXT, rudeRejection, SHUTDOWN_TEXT } from './wire-frames.js';

export interface InboundListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly password: string;
  readonly users: readonly EslUser[];
  /** CIDRs allowed to connect. @default loopback only */
  readonly acl?: readonly string[] | undefined;
  readonly firstCommandTimeoutMs: number;
  readonly limits: SessionLimits;
}

export class InboundListener {
  readonly #options: InboundListenerOptions;
  readonly #core: WireCore;
  readonly #hub: EventHub;
  readonly #knobs: WireKnobs;
  readonly #acl: Acl;
  readonly #sessions = new Set<EslSession>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #binding: Promise<{ host: string; port: number }> | undefined;
  #port: number;

  constructor(options: InboundListenerOptions, core: WireCore, hub: EventHub, knobs: WireKnobs) {
    this.#options = options;
    this.#core = core;
    this.#hub = hub;
    this.#knobs = knobs;
    this.#acl = new Acl(options.acl ?? DEFAULT_ACL);
    this.#port = options.port;
  }

  get listening(): boolean {
    return this.#server !== undefined;
  }

  /** The bound address (the chosen port when 0 was asked). */
  get address(): { host: string; port: number } {
    return { host: this.#options.host, port: this.#port };
  }

  get sessions(): ReadonlySet<EslSession> {
    return this.#sessions;
  }

  /** Listens; after a stop, on the port chosen the first time. A call while one is binding joins it. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.#server) return this.address;
    // Checked before the bind's await: without this, two calls on port 0 would bind two servers.
    this.#binding ??= this.#bind().finally(() => (this.#binding = undefined));
    return this.#binding;
  }

  async #bind(): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new SimListenError(`cannot listen on ${this.#options.host}:${this.#port}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(this.#port, this.#options.host, () => {
        server.off('error', onError);
        // A failed accept (ENOBUFS, ENOMEM; libuv absorbs EMFILE itself) is emitted on the
        // server; FreeSWITCH keeps listening, so do we.
        server.on('error', (err) => process.emitWarning(`event socket listener: ${err.message}`, 'FsbusSimWarning'));
        resolve();
      });
    });
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.#port = addr.port;
    this.#server = server;
    return this.address;
  }

  /** Stops listening; open connections get FreeSWITCH's shutdown notice and are closed. */
  async stop(): Promise<void> {
    // A bind under way would otherwise leave its server listening after this stop.
    await this.#binding?.catch(() => undefined);
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sessions) s.end(SHUTDOWN_TEXT);
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.#sessions].map((s) => s.closed));
  }

  /** Cuts every connection without a word (a network failure, for fault tests). */
  dropConnections(): number {
    const n = this.#sessions.size;
    for (const s of this.#sessions) s.drop();
    return n;
  }

  #accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (!this.#acl.allows(socket.remoteAddress)) {
      // FreeSWITCH writes the rejection, then its usual goodbye, then closes.
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.end(Buffer.concat([Buffer.from(rudeRejection()), disconnectNotice(GOODBYE_TEXT, undefined)]), () => socket.destroy());
      return;
    }
    const session = new EslSession(socket, {
      core: this.#core,
      hub: this.#hub,
      knobs: this.#knobs,
      limits: this.#options.limits,
      password: this.#options.password,
      users: this.#options.users,
      firstCommandTimeoutMs: this.#options.firstCommandTimeoutMs,
    });
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
    session.start();
  }
}
