/**
 * The Redis driver's subscriptions: Redis Pub/Sub with one PSUBSCRIBE per glob, shared by every
 * subscription whose pattern maps to it; a message goes to each whose pattern matches its subject
 * exactly (a glob's `*` also matches dots).
 */
import type { Redis } from 'ioredis';
import type { DriverOptions, InboundMessage, Subscription } from '../../driver.js';
import { subjectMatches } from '../../subject-pattern.js';
import { toGlob } from './redis-util.js';

interface SubEntry {
  pattern: string;
  handler: (message: InboundMessage) => void;
}

export class PubSubRoutes {
  readonly #byGlob = new Map<string, Set<SubEntry>>();
  readonly #logger: DriverOptions['logger'];

  constructor(logger: DriverOptions['logger']) {
    this.#logger = logger;
  }

  /** Every glob subscribed to, for a new connection. */
  globs(): string[] {
    return [...this.#byGlob.keys()];
  }

  /**
   * Adds a subscription; `conn` is the Pub/Sub connection when it is ready (else the next restore
   * subscribes), `track` reports a PSUBSCRIBE's failure.
   */
  add(pattern: string, handler: (message: InboundMessage) => void, conn: () => Redis | undefined, track: (op: Promise<unknown>) => void): Subscription {
    const glob = toGlob(pattern);
    const entry: SubEntry = { pattern, handler };
    let set = this.#byGlob.get(glob);
    if (set === undefined) {
      set = new Set();
      this.#byGlob.set(glob, set);
      const c = conn();
      if (c !== undefined) track(c.psubscribe(glob));
    }
    set.add(entry);
    return {
      subject: pattern,
      unsubscribe: async () => {
        const s = this.#byGlob.get(glob);
        if (s?.delete(entry) !== true || s.size > 0) return;
        this.#byGlob.delete(glob);
        await conn()?.punsubscribe(glob).catch(() => undefined);
      },
    };
  }

  /** A `pmessageBuffer` of `glob`. */
  deliver(glob: string, subject: string, message: Buffer): void {
    const set = this.#byGlob.get(glob);
    if (set === undefined) return;
    const data = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    for (const e of set) {
      if (!subjectMatches(e.pattern, subject)) continue;
      try {
        e.handler({ subject, data });
      } catch (err) {
        this.#logger?.error({ err, subject }, 'subscriber threw');
      }
    }
  }
}
