/**
 * Makes sure the result event of a bgapi (BACKGROUND_JOB) or execute (CHANNEL_EXECUTE_COMPLETE)
 * reaches us whatever the user subscribed or filtered: subscribes when the user is not
 * subscribed, adds a filter on the result's id when the user has filters (which would block it),
 * and undoes both afterwards. The commands are pipelined before the caller's own command.
 */
import type { EslConnection, ReplyFrame } from './connection.js';
import type { EslLogger } from './logger.js';
import type { SubscriptionState } from './subscription-state.js';

type Send = (conn: EslConnection, line: string) => Promise<ReplyFrame>;

export class SelfDelivery {
  readonly #subs: SubscriptionState;
  readonly #logger: EslLogger;
  readonly #send: Send;
  /** Event names subscribed for ourselves, with the number of users. */
  #subscribed = new Map<string, number>();
  /** Filters added for ourselves. */
  #filters: Array<[string, string]> = [];

  constructor(subs: SubscriptionState, logger: EslLogger, send: Send) {
    this.#subs = subs;
    this.#logger = logger;
    this.#send = send;
  }

  /** The socket changed: what we set up is gone with it. */
  reset(): void {
    this.#subscribed = new Map();
    this.#filters = [];
  }

  /** Returns the undo (idempotent; a no-op once the socket is closed). */
  acquire(conn: EslConnection, eventName: string, header: string, value: string): () => void {
    let subscribed = false;
    let filtered = false;
    if (!this.#subs.isSubscribed(eventName)) {
      const users = this.#subscribed.get(eventName) ?? 0;
      if (users === 0) this.#fire(conn, `event ${this.#subs.format ?? 'plain'} ${eventName}`);
      this.#subscribed.set(eventName, users + 1);
      subscribed = true;
    }
    const filters = this.#filters;
    if (this.#subs.hasFilters) {
      filters.push([header, value]);
      this.#fire(conn, `filter ${header} ${value}`);
      filtered = true;
    }
    let done = false;
    return () => {
      if (done || conn.closed) return;
      done = true;
      if (filtered) {
        const at = filters.findIndex(([h, v]) => h === header && v === value);
        if (at >= 0) {
          filters.splice(at, 1);
          this.#fire(conn, `filter delete ${header} ${value}`);
        }
      }
      if (subscribed) {
        const users = (this.#subscribed.get(eventName) ?? 1) - 1;
        if (users > 0) this.#subscribed.set(eventName, users);
        else {
          this.#subscribed.delete(eventName);
          if (!this.#subs.isSubscribed(eventName)) this.#fire(conn, `nixevent ${eventName}`);
        }
      }
    };
  }

  /** After the user's noevents / `filter delete all`: put back what pending results still need. */
  restore(conn: EslConnection, subscriptions: boolean, filters: boolean): void {
    if (subscriptions) for (const name of this.#subscribed.keys()) this.#fire(conn, `event ${this.#subs.format ?? 'plain'} ${name}`);
    if (filters) for (const [h, v] of this.#filters) this.#fire(conn, `filter ${h} ${v}`);
  }

  #fire(conn: EslConnection, line: string): void {
    this.#send(conn, line).then(
      (reply) => {
        if (reply.kind === 'command-reply' && !reply.ok) this.#logger.warn({ command: line, reply: reply.replyText }, 'internal command refused');
      },
      (err: unknown) => this.#logger.debug({ err, command: line }, 'internal command failed'),
    );
  }
}
