/**
 * Serving marks. A server that crashed (or lost Redis for good) leaves its lane stream and its
 * consumer group behind, so the stream alone cannot say whether anyone still reads a lane: a
 * request written there would wait out its timeout, where NATS, MQTT and RabbitMQ answer "no
 * responders" at once. So every server marks the lanes it reads in `<ns>:serving:<lane subject>`
 * (a sorted set: member = the driver's id, score = until when, on Redis's clock) and renews the
 * marks every SERVING_MARK_INTERVAL_MS; the route script writes a request only to a lane with a
 * mark still valid (redis-scripts.ts).
 */
import type { Redis } from 'ioredis';

/** Marks are renewed this often. @default 2000 */
export const SERVING_MARK_INTERVAL_MS = 2_000;
/** A mark not renewed this long ago has run out: its server is taken for gone. @default 6000 */
export const SERVING_MARK_TTL_MS = 6_000;

export interface MarkCommand {
  fsbusMark(keyCount: number, ...args: string[]): Promise<number>;
}

export function servingKey(ns: string, laneSubject: string): string {
  return `${ns}:serving:${laneSubject}`;
}

export class ServingMarks {
  readonly #conn: () => (Redis & MarkCommand) | undefined;
  readonly #member: string;
  readonly #keys: () => Iterable<string>;
  readonly #onError: (err: Error) => void;
  #timer: NodeJS.Timeout | undefined;

  /** `keys`: the serving keys of the lanes read now; `member`: this driver's id. */
  constructor(conn: () => (Redis & MarkCommand) | undefined, member: string, keys: () => Iterable<string>, onError: (err: Error) => void) {
    this.#conn = conn;
    this.#member = member;
    this.#keys = keys;
    this.#onError = onError;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.renew(), SERVING_MARK_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Marks every lane read now (also at once: a new lane, the link back). Never rejects. */
  async renew(): Promise<void> {
    const conn = this.#conn();
    // Away (ioredis is dialling): the marks wait for the link; not queued behind it.
    if (conn?.status !== 'ready') return;
    const keys = [...new Set(this.#keys())];
    if (keys.length === 0) return;
    try {
      await conn.fsbusMark(keys.length, ...keys, this.#member, String(SERVING_MARK_TTL_MS));
    } catch (err) {
      this.#onError(err as Error);
    }
  }
}
