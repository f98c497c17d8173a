/**
 * Whether the link to Redis still carries answers. ioredis notices a dead link only when the
 * kernel gives up on its socket — about a quarter of an hour with data unacknowledged, hours for a
 * connection that sits in a blocking read — and Redis has no heartbeat of its own. So a PING goes
 * on the command connection every interval (`livenessIntervalMs`), and one unanswered for two
 * intervals takes the link for dead: `onDead` drops the connections, which ioredis dials again
 * (sending again the commands they left unanswered). NATS (pings), AMQP (heartbeats) and MQTT
 * (keepalive) do this themselves.
 */
import type { Redis } from 'ioredis';

/** A PING every this many ms, unless `livenessIntervalMs` says otherwise. @default 5000 */
export const LIVENESS_INTERVAL_MS = 5_000;
/** A PING unanswered this long takes the link for dead (noticed at the next interval): two intervals. @default 10000 */
export const LIVENESS_DEAD_AFTER_MS = 2 * LIVENESS_INTERVAL_MS;

export class RedisLiveness {
  readonly #conn: () => Redis | undefined;
  readonly #onDead: (silentMs: number) => void;
  readonly #intervalMs: number;
  /** How long a PING may go unanswered: two intervals. */
  readonly deadAfterMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the PING still unanswered was sent (performance.now()). */
  #pingSentAt: number | undefined;

  /** `conn`: the command connection, when there is one; `intervalMs`: `livenessIntervalMs` or LIVENESS_INTERVAL_MS. */
  constructor(conn: () => Redis | undefined, intervalMs: number, onDead: (silentMs: number) => void) {
    this.#conn = conn;
    this.#intervalMs = intervalMs;
    // close() waits this long on a timer, and one past 2^31 - 1 ms fires at once.
    this.deadAfterMs = Math.min(2 * intervalMs, 2_147_483_647);
    this.#onDead = onDead;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#check(), this.#intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const conn = this.#conn();
    // Away already (ioredis is dialling): its own reconnect is under way.
    if (conn?.status !== 'ready') {
      this.#pingSentAt = undefined;
      return;
    }
    const sentAt = this.#pingSentAt;
    if (sentAt !== undefined) {
      const silent = performance.now() - sentAt;
      if (silent < this.deadAfterMs) return;
      this.#pingSentAt = undefined;
      this.#onDead(silent);
      return;
    }
    const mine = performance.now();
    this.#pingSentAt = mine;
    // Answered, or failed with its connection: either way the link spoke (or is known gone).
    const settled = () => {
      if (this.#pingSentAt === mine) this.#pingSentAt = undefined;
    };
    conn.ping().then(settled, settled);
  }
}
