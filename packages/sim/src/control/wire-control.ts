/**
 * Fault-injection knobs of the wire layer, for tests, benchmarks and the demo: reply latency,
 * refused authentication, paused event delivery, dropped connections, a stopped or restarted
 * listener. The call core's own knobs (calls, events, digits, endpoints) are on `core`.
 */
import type { InboundListener } from '../listener/inbound-listener.js';
import type { WireKnobs } from '../listener/types.js';
import type { SocketOutboundConnector } from '../outbound/outbound-connector.js';
import { SimConfigError } from '../listener/errors.js';

export interface WireStatus {
  readonly listening: boolean;
  readonly host: string;
  readonly port: number;
  readonly inboundConnections: number;
  readonly outboundSessions: number;
  readonly replyLatencyMs: number;
  readonly refuseAuth: boolean;
  readonly eventsPaused: boolean;
}

export class WireControl {
  readonly #knobs: WireKnobs;
  readonly #listener: InboundListener;
  readonly #outbound: SocketOutboundConnector;

  constructor(knobs: WireKnobs, listener: InboundListener, outbound: SocketOutboundConnector) {
    this.#knobs = knobs;
    this.#listener = listener;
    this.#outbound = outbound;
  }

  /** Delays every command/reply and api/response by `ms` (0 turns it off). */
  setReplyLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new SimConfigError(`reply latency must be a number >= 0, got ${ms}`);
    this.#knobs.replyLatencyMs = ms;
  }

  /** While on, every `auth`/`userauth` gets `-ERR invalid` and the connection is closed. */
  refuseAuth(on = true): void {
    this.#knobs.refuseAuth = on;
  }

  /** Stops writing events and log lines to every connection; they queue up to the limit, then get lost. */
  pauseEvents(): void {
    this.#knobs.eventsPaused = true;
  }

  resumeEvents(): void {
    this.#knobs.eventsPaused = false;
    for (const s of this.#listener.sessions) s.kick();
    for (const s of this.#outbound.sessions) s.kick();
  }

  /** Cuts every inbound and outbound connection without a word; returns how many. */
  dropConnections(): number {
    return this.#listener.dropConnections() + this.#outbound.dropConnections();
  }

  /** Stops the inbound listener (connections get the shutdown notice). */
  stopListener(): Promise<void> {
    return this.#listener.stop();
  }

  /** Starts the inbound listener again, on the same port. */
  startListener(): Promise<{ host: string; port: number }> {
    return this.#listener.start();
  }

  async restartListener(): Promise<{ host: string; port: number }> {
    await this.#listener.stop();
    return this.#listener.start();
  }

  status(): WireStatus {
    const { host, port } = this.#listener.address;
    return {
      listening: this.#listener.listening,
      host,
      port,
      inboundConnections: this.#listener.sessions.size,
      outboundSessions: this.#outbound.sessions.size,
      replyLatencyMs: this.#knobs.replyLatencyMs,
      refuseAuth: this.#knobs.refuseAuth,
      eventsPaused: this.#knobs.eventsPaused,
    };
  }
}
