/**
 * Makes sure the result event of a bgapi (BACKGROUND_JOB) or execute (CHANNEL_EXECUTE_COMPLETE)
 * reaches us whatever the user subscribed or filtered: subscribes when the user is not
 * subscribed, holds a filter on the result's id exactly while the user has filters (which would
 * block it), and undoes both afterwards. The commands are pipelined before the caller's own.
 *
 * FreeSWITCH may refuse such a subscription (`-ERR permission denied`: a userauth user's
 * esl-allowed-events leaves the event out). The waiting calls then hear of it, and the refusal is
 * kept for the socket's life: FreeSWITCH reads a user's allowed events once, at userauth, so
 * asking again on the same connection would only be refused again.
 */
import type { EslConnection, ReplyFrame } from './connection.js';
import type { EslLogger } from './logger.js';
import type { SubscriptionState } from './subscription-state.js';

type Send = (conn: EslConnection, line: string) => Promise<ReplyFrame>;

/** A subscription FreeSWITCH refused: the event, the command, its reply. */
export interface Refusal {
  readonly event: string;
  readonly command: string;
  readonly reply: string;
}

type OnRefused = (refusal: Refusal) => void;

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
  /** Subscriptions FreeSWITCH refused on the current socket, by event name. */
  #refused = new Map<string, Refusal>();
  /** Who waits on each needed name, to hear of its refusal. */
  #waiting = new Map<string, Set<OnRefused>>();

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
    this.#refused = new Map();
    this.#waiting = new Map();
  }

  /** FreeSWITCH refused `name` on this socket, and the user's subscription does not deliver it either; else undefined. */
  refusal(name: string): Refusal | undefined {
    const refusal = this.#refused.get(name);
    return refusal === undefined || this.#subs.isSubscribed(name) ? undefined : refusal;
  }

  /**
   * Returns the undo (idempotent; a no-op once the socket is closed). `filter: false` only
   * subscribes: for an event whose filter would let more than itself through the user's filters.
   * `onRefused`: called if FreeSWITCH refuses the subscription to `eventName` while this waits.
   */
  acquire(conn: EslConnection, eventName: string, header: string, value: string, filter = true, onRefused?: OnRefused): () => void {
    const needed = this.#needed;
    const own = this.#own;
    needed.set(eventName, (needed.get(eventName) ?? 0) + 1);
    const waiting = this.#waiting;
    if (onRefused !== undefined) {
      const set = waiting.get(eventName);
      if (set === undefined) waiting.set(eventName, new Set([onRefused]));
      else set.add(onRefused);
    }
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
      if (onRefused !== undefined) waiting.get(eventName)?.delete(onRefused);
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

  /** Turns `name` on for ourselves when the user's subscription does not deliver it (and FreeSWITCH has not refused it). */
  #subscribeNeeded(conn: EslConnection, name: string): void {
    if (this.#subs.isSubscribed(name) || this.#own.has(name) || this.#refused.has(name)) return;
    const line = this.#subscribeLine(name);
    const refused = this.#refused;
    this.#fire(conn, line, (reply) => {
      // A reply of a socket since replaced: its refusal is not this one's.
      if (refused !== this.#refused) return;
      const refusal: Refusal = { event: name, command: line, reply };
      refused.set(name, refusal);
      // Not on: nothing to nix when the last waiter is done.
      this.#own.delete(name);
      for (const onRefused of [...(this.#waiting.get(name) ?? [])]) onRefused(refusal);
    });
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

  /** `onRefused`: FreeSWITCH answered anything but `+OK`. */
  #fire(conn: EslConnection, line: string, onRefused?: (reply: string) => void): void {
    this.#send(conn, line).then(
      (reply) => {
        if (reply.kind !== 'command-reply' || reply.ok) return;
        this.#logger.warn({ command: line, reply: reply.replyText }, 'internal command refused');
        onRefused?.(reply.replyText);
      },
      (err: unknown) => this.#logger.debug({ err, command: line }, 'internal command failed'),
    );
  }
}
