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
  /** Event names pending results need, with how many wait on each. */
  #needed = new Map<string, number>();
  /** Needed names we turned on ourselves (the user was not subscribed to them). */
  #own = new Set<string>();
  /** Results still awaited on the current socket. */
  #claims = new Set<Claim>();

  readonly #subscribeLine: (name: string) => string;

  /** `subscribeLine`: the command that turns `name` on for us. @default `event <format> <name>` */
  constructor(subs: SubscriptionState, logger: EslLogger, send: Send, subscribeLine?: (name: string) => string) {
    this.#subs = subs;
    this.#logger = logger;
    this.#send = send;
    this.#subscribeLine = subscribeLine ?? ((name) => `event ${this.#subs.format ?? 'plain'} ${name}`);
  }

  /** The socket changed: what we set up is gone with it. */
  reset(): void {
    this.#needed = new Map();
    this.#own = new Set();
    this.#claims = new Set();
  }

  /**
   * Returns the undo (idempotent; a no-op once the socket is closed). `filter: false` only
   * subscribes: for an event whose filter would let more than itself through the user's filters.
   */
  acquire(conn: EslConnection, eventName: string, header: string, value: string, filter = true): () => void {
    const needed = this.#needed;
    const own = this.#own;
    needed.set(eventName, (needed.get(eventName) ?? 0) + 1);
    this.#subscribeNeeded(conn, eventName);
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
      const users = (needed.get(eventName) ?? 1) - 1;
      if (users > 0) {
        needed.set(eventName, users);
        return;
      }
      needed.delete(eventName);
      if (own.delete(eventName) && !this.#subs.isSubscribed(eventName)) this.#fire(conn, `nixevent ${eventName}`);
    };
  }

  /** Turns `name` on for ourselves when the user's subscription does not deliver it. */
  #subscribeNeeded(conn: EslConnection, name: string): void {
    if (this.#subs.isSubscribed(name) || this.#own.has(name)) return;
    this.#fire(conn, this.#subscribeLine(name));
    this.#own.add(name);
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

  /**
   * After the user's nixevent or noevents, which FreeSWITCH applies to what we turned on as well
   * (and to what the user's subscription delivered for us): on again, what pending results need.
   */
  restoreSubscriptions(conn: EslConnection, turnedOff: (name: string) => boolean): void {
    for (const name of this.#needed.keys()) {
      if (turnedOff(name)) this.#own.delete(name);
      this.#subscribeNeeded(conn, name);
    }
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
