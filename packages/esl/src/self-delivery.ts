/**
 * Makes sure the result event of a bgapi (BACKGROUND_JOB) or execute (CHANNEL_EXECUTE_COMPLETE)
 * reaches us whatever the user subscribed or filtered: subscribes when the user is not
 * subscribed, holds a filter on the result's id exactly while the user has filters (which would
 * block it), and undoes both afterwards. The commands are pipelined before the caller's own.
 */
import type { EslConnection, ReplyFrame } from './connection.js';
import type { EslLogger } from './logger.js';
import type { SubscriptionState } from './subscription-state.js';

type Send = (conn: EslConnection, line: string) => Promise<ReplyFrame>;

/** A result we wait for, and whether FreeSWITCH holds our filter letting it through. */
interface Claim {
  readonly header: string;
  readonly value: string;
  filtered: boolean;
}

export class SelfDelivery {
  readonly #subs: SubscriptionState;
  readonly #logger: EslLogger;
  readonly #send: Send;
  /** Event names subscribed for ourselves, with the number of users. */
  #subscribed = new Map<string, number>();
  /** Results still awaited on the current socket. */
  #claims = new Set<Claim>();

  constructor(subs: SubscriptionState, logger: EslLogger, send: Send) {
    this.#subs = subs;
    this.#logger = logger;
    this.#send = send;
  }

  /** The socket changed: what we set up is gone with it. */
  reset(): void {
    this.#subscribed = new Map();
    this.#claims = new Set();
  }

  /**
   * Returns the undo (idempotent; a no-op once the socket is closed). `filter: false` only
   * subscribes: for an event whose filter would let more than itself through the user's filters.
   */
  acquire(conn: EslConnection, eventName: string, header: string, value: string, filter = true): () => void {
    let subscribed = false;
    if (!this.#subs.isSubscribed(eventName)) {
      const users = this.#subscribed.get(eventName) ?? 0;
      if (users === 0) this.#fire(conn, `event ${this.#subs.format ?? 'plain'} ${eventName}`);
      this.#subscribed.set(eventName, users + 1);
      subscribed = true;
    }
    const claim: Claim | undefined = filter ? { header, value, filtered: false } : undefined;
    const claims = this.#claims;
    if (claim !== undefined) {
      claims.add(claim);
      this.syncFilters(conn);
    }
    let done = false;
    return () => {
      if (done || conn.closed) return;
      done = true;
      if (claim !== undefined) {
        claims.delete(claim);
        if (claim.filtered) this.#fire(conn, `filter delete ${header} ${value}`);
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

  /**
   * Our filters exist only while the user has filters of their own: with none, FreeSWITCH sends
   * every subscribed event and ours would narrow that to our results; with some, ours let the
   * results through. Call after the user's filters changed (before a first one is sent).
   */
  syncFilters(conn: EslConnection): void {
    const wanted = this.#subs.hasFilters;
    for (const claim of this.#claims) {
      if (claim.filtered === wanted) continue;
      claim.filtered = wanted;
      this.#fire(conn, wanted ? `filter ${claim.header} ${claim.value}` : `filter delete ${claim.header} ${claim.value}`);
    }
  }

  /** The user's `filter delete` removed ours too where it matched (FreeSWITCH matches names in any case). */
  onUserFilterDelete(header: string, value: string | undefined): void {
    const all = header.toLowerCase() === 'all'; // FreeSWITCH: strcasecmp, any value ignored
    for (const claim of this.#claims) {
      if (all || (claim.header.toLowerCase() === header.toLowerCase() && (value === undefined || value === claim.value))) claim.filtered = false;
    }
  }

  /** After the user's noevents: subscribe again to what pending results still need. */
  restoreSubscriptions(conn: EslConnection): void {
    for (const name of this.#subscribed.keys()) this.#fire(conn, `event ${this.#subs.format ?? 'plain'} ${name}`);
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
