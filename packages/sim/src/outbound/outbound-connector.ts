/**
 * The wire side of the `socket` dialplan application: connects to an outbound ESL server and
 * runs a session for the channel there, as mod_event_socket's socket_function does (no greeting,
 * `connect` answered with the channel data, the server's commands served until the channel is
 * gone or the server says `exit`).
 */
import { connect as netConnect } from 'node:net';
import type { OutboundChannel, OutboundConnector } from '../core/types.js';
import { SimOutboundConnectError } from '../listener/errors.js';
import type { EventHub } from '../listener/event-hub.js';
import { EslSession } from '../listener/session.js';
import type { SessionLimits, WireCore, WireKnobs } from '../listener/types.js';
import { SHUTDOWN_TEXT } from '../listener/wire-frames.js';

export interface OutboundConnectorOptions {
  readonly firstCommandTimeoutMs: number;
  readonly limits: SessionLimits;
}

export class SocketOutboundConnector implements OutboundConnector {
  readonly #options: OutboundConnectorOptions;
  readonly #core: WireCore;
  readonly #hub: EventHub;
  readonly #knobs: WireKnobs;
  readonly #sessions = new Set<EslSession>();

  constructor(options: OutboundConnectorOptions, core: WireCore, hub: EventHub, knobs: WireKnobs) {
    this.#options = options;
    this.#core = core;
    this.#hub = hub;
    this.#knobs = knobs;
  }

  get sessions(): ReadonlySet<EslSession> {
    return this.#sessions;
  }

  connect(target: { host: string; port: number; async: boolean; full: boolean }, channel: OutboundChannel): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = netConnect({ host: target.host, port: target.port });
      const onError = (err: Error): void => {
        socket.destroy();
        reject(new SimOutboundConnectError(`socket application: cannot connect to ${target.host}:${target.port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.setKeepAlive(true);
        const session = new EslSession(socket, {
          core: this.#core,
          hub: this.#hub,
          knobs: this.#knobs,
          limits: this.#options.limits,
          password: '',
          users: [],
          firstCommandTimeoutMs: this.#options.firstCommandTimeoutMs,
          outbound: { channel, async: target.async, full: target.full },
        });
        this.#sessions.add(session);
        void session.closed.then(() => {
          this.#sessions.delete(session);
          resolve();
        });
        session.start();
      });
    });
  }

  /** Ends every outbound session (simulator shutdown). */
  async stop(): Promise<void> {
    for (const s of this.#sessions) s.end(SHUTDOWN_TEXT);
    await Promise.all([...this.#sessions].map((s) => s.closed));
  }

  dropConnections(): number {
    const n = this.#sessions.size;
    for (const s of this.#sessions) s.drop();
    return n;
  }
}
